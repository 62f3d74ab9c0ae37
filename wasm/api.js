// tokenflow's JavaScript API. This file is appended to the ES module that
// emscripten generates (createTokenflowModule, the factory of one
// WebAssembly instance); tokenflow.d.ts declares what it exports. Each
// createTokenflow() gets its own instance, so close() gives all of its
// memory back; the compiled module is shared.
//
// Calls go to the Lua functions of tokenflow.jsapi (lua/tokenflow/jsapi.lua)
// through wasm/host.c: strings in, one JSON text (or an error message) out.

const encoder = new TextEncoder();
const decoder = new TextDecoder();

let compiledModule; // Promise<WebAssembly.Module> of the default .wasm

async function compileFrom(url) {
  url = new URL(url, import.meta.url);
  if (url.protocol === 'file:') {
    // Node: fetch() cannot read files; the name is a variable so that
    // bundlers for the web leave it alone.
    const fsModule = 'node:fs/promises';
    const { readFile } = await import(fsModule);
    return WebAssembly.compile(await readFile(url));
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cannot load ${url}: HTTP ${response.status}`);
  if (WebAssembly.compileStreaming && response.headers.get('content-type') === 'application/wasm') {
    return WebAssembly.compileStreaming(response);
  }
  return WebAssembly.compile(await response.arrayBuffer());
}

function compile(options) {
  if (options.wasmModule) return Promise.resolve(options.wasmModule);
  if (options.wasmBinary) return WebAssembly.compile(options.wasmBinary);
  if (options.wasmUrl) return compileFrom(options.wasmUrl);
  if (!compiledModule) {
    compiledModule = compileFrom(new URL('tokenflow.wasm', import.meta.url));
    compiledModule.catch(() => { compiledModule = undefined; });
  }
  return compiledModule;
}

function isPlainObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

// files: {path: text}, a Map, or an array of [path, text] -> [path, text, ...]
function fileArguments(files) {
  let entries;
  if (files instanceof Map || Array.isArray(files)) entries = [...files];
  else if (isPlainObject(files)) entries = Object.entries(files);
  else throw new TypeError('files must map paths to JSON texts (an object, a Map or [path, text] pairs)');
  if (entries.length === 0) throw new TypeError('files: no token files given');
  const out = [];
  for (const entry of entries) {
    const [path, text] = Array.isArray(entry) ? entry : [];
    if (typeof path !== 'string' || typeof text !== 'string') {
      throw new TypeError(`files: each path must map to a JSON text (${String(path)} -> ${typeof text})`);
    }
    out.push(path, text);
  }
  return out;
}

function loadOptions({ inputFormat, math } = {}) {
  if (inputFormat !== undefined && inputFormat !== 'tokens-studio' && inputFormat !== 'dtcg') {
    throw new TypeError(`inputFormat must be 'tokens-studio' or 'dtcg', got ${String(inputFormat)}`);
  }
  if (math !== undefined && typeof math !== 'boolean') throw new TypeError('math must be a boolean');
  return JSON.stringify({ inputFormat, math });
}

// The selection as the Lua API takes it ({themes =} and/or {sets =}), as
// JSON text: also the key of the resolved set kept on the Lua side.
function selection({ theme, sets } = {}) {
  const out = {};
  if (theme !== undefined) {
    const themes = Array.isArray(theme) ? theme : [theme];
    if (!themes.every((t) => typeof t === 'string')) throw new TypeError('theme must be a name or an array of names');
    out.themes = themes;
  }
  if (sets !== undefined) {
    if (!Array.isArray(sets) && !isPlainObject(sets)) {
      throw new TypeError('sets must be an array of set names or an object of set name -> status');
    }
    out.sets = sets;
  }
  return JSON.stringify(out);
}

// A long string goes in as its UTF-8 bytes: room for 3 bytes a UTF-16 unit
// (what a short one gets) would be three times the memory of a large file.
const SHORT_STRING = 1 << 16;
function utf8Sized(v) {
  return typeof v === 'string' && v.length > SHORT_STRING ? encoder.encode(v) : v;
}

// A Figma file: its text, or its UTF-8 bytes (as a file picker or fetch gives them).
function figmaBytes(file) {
  if (typeof file === 'string') return file;
  if (file instanceof Uint8Array) return file;
  if (file instanceof ArrayBuffer) return new Uint8Array(file);
  if (ArrayBuffer.isView(file)) return new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
  throw new TypeError('the Figma file must be its JSON text or its bytes (a Uint8Array or an ArrayBuffer)');
}

function applyOptions({ viewport, baseFontSize, chunkMs, name, onProgress, signal } = {}) {
  if (viewport !== undefined) {
    if (!isPlainObject(viewport) || !['x', 'y', 'w', 'h'].every((k) => typeof viewport[k] === 'number')
      || (viewport.zoom !== undefined && typeof viewport.zoom !== 'number')) {
      throw new TypeError('viewport must be {x, y, w, h[, zoom]} (numbers: the canvas rectangle written first)');
    }
  }
  if (baseFontSize !== undefined && typeof baseFontSize !== 'number' && typeof baseFontSize !== 'string') {
    throw new TypeError('baseFontSize must be a number or a text such as "14px"');
  }
  if (chunkMs !== undefined && !(typeof chunkMs === 'number' && chunkMs > 0 && Number.isFinite(chunkMs))) {
    throw new TypeError('chunkMs must be a positive number of milliseconds');
  }
  if (name !== undefined && typeof name !== 'string') throw new TypeError('name must be a string');
  if (onProgress !== undefined && typeof onProgress !== 'function') throw new TypeError('onProgress must be a function');
  if (signal !== undefined && !(typeof signal === 'object' && signal !== null && 'aborted' in signal)) {
    throw new TypeError('signal must be an AbortSignal');
  }
  const vp = viewport && { x: viewport.x, y: viewport.y, w: viewport.w, h: viewport.h, zoom: viewport.zoom };
  return JSON.stringify({ viewport: vp, baseFontSize, chunkMs, name });
}

// A turn of the event loop between chunks: timers, input and rendering run.
// scheduler.yield where there is one; else a task that is not clamped as
// nested setTimeout(0) calls are (to 4 ms in browsers): setImmediate in
// Node, a MessageChannel message in a page.
let turns; // {channel, waiting}: the MessageChannel and who waits on it
function nextTurn() {
  if (typeof globalThis.scheduler?.yield === 'function') return globalThis.scheduler.yield();
  if (typeof globalThis.setImmediate === 'function') return new Promise((resolve) => globalThis.setImmediate(resolve));
  if (typeof MessageChannel === 'function') {
    if (!turns) {
      turns = { channel: new MessageChannel(), waiting: [] };
      turns.channel.port1.onmessage = () => turns.waiting.shift()();
    }
    return new Promise((resolve) => {
      turns.waiting.push(resolve);
      turns.channel.port2.postMessage(0);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}

const handles = new WeakMap(); // TokenSet -> {tokenflow, handle}
let release; // (tokenflow, {handle}) -> undefined: Tokenflow's own, for TokenSet.close

/** A token set loaded once, resolved per selection on demand (see tokenflow.d.ts). */
class TokenSet {
  constructor(tokenflow, info) {
    handles.set(this, { tokenflow, handle: info.handle });
    this.format = info.format;
    this.sets = info.sets;
    this.themes = info.themes;
  }

  resolve(options) { return handles.get(this).tokenflow.resolve(this, options); }

  plans(tokenMaps, options) { return handles.get(this).tokenflow.plans(tokenMaps, this, options); }

  apply(figmaFile, options) { return handles.get(this).tokenflow.apply(figmaFile, this, options); }

  close() {
    const h = handles.get(this);
    if (h.handle !== 0) release(h.tokenflow, h);
  }
}

/** One tokenflow: a WebAssembly instance running one Lua state. */
class Tokenflow {
  #module;
  #host;
  #stopped; // why the instance cannot be used any more
  #finalizer;

  static {
    release = (tokenflow, h) => tokenflow.#release(h);
  }

  constructor(module, host) {
    this.#module = module;
    this.#host = host;
    this.#finalizer = typeof FinalizationRegistry === 'function'
      ? new FinalizationRegistry((handle) => { if (this.#host) this.#tryRelease(handle); })
      : null;
  }

  #check() {
    if (!this.#host) throw new Error(this.#stopped ?? 'attempt to use a closed tokenflow');
  }

  // tokenflow.jsapi[name](...args) -> the JSON text it returns; a Lua error
  // becomes an Error with its message. Arguments are strings, or bytes
  // (a Uint8Array of UTF-8) passed as they are.
  #call(name, args) {
    this.#check();
    const m = this.#module;
    const values = [name, ...args].map(utf8Sized);
    let bound = 0;
    for (const v of values) bound += v.length * (typeof v === 'string' ? 3 : 1);
    const lens = m._malloc(values.length * 4 + bound);
    if (!lens) throw new Error('not enough memory');
    let status, text;
    try {
      const base = lens + values.length * 4;
      let at = base;
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        let written = v.length;
        if (typeof v === 'string') ({ written } = encoder.encodeInto(v, m.HEAPU8.subarray(at, at + v.length * 3)));
        else m.HEAPU8.set(v, at);
        m.HEAPU32[(lens >> 2) + i] = written;
        at += written;
      }
      status = m._tfw_call(this.#host, base, lens, values.length);
      const p = m._tfw_result(this.#host);
      text = decoder.decode(m.HEAPU8.subarray(p, p + (m._tfw_result_len(this.#host) >>> 0)));
    } catch (e) {
      // a trap (out of stack, a bug): the instance's state is unknown
      this.#stop(e);
      throw e;
    } finally {
      if (this.#host) m._free(lens);
    }
    if (status !== 0) throw new Error(text);
    return text;
  }

  #stop(e) {
    this.#stopped = `tokenflow stopped after an internal error (${e && e.message}); create a new one`;
    this.#host = 0;
    this.#module = null;
  }

  #tryRelease(handle) {
    try { this.#call('release', [String(handle)]); } catch { /* closed or stopped */ }
  }

  #release(h) {
    if (this.#finalizer) this.#finalizer.unregister(h);
    if (this.#host) this.#call('release', [String(h.handle)]);
    h.handle = 0;
  }

  #handleOf(set) {
    const h = handles.get(set);
    if (!h || h.tokenflow !== this) throw new TypeError('the token set belongs to another tokenflow');
    if (h.handle === 0) throw new Error('attempt to use a released token set');
    return String(h.handle);
  }

  // Runs fn with the handle of source: a TokenSet, or files loaded for this
  // call only.
  #withSet(source, options, fn) {
    if (source instanceof TokenSet) return fn(this.#handleOf(source));
    const set = this.load(source, options);
    try {
      return fn(this.#handleOf(set));
    } finally {
      set.close();
    }
  }

  load(files, options) {
    const info = JSON.parse(this.#call('load', [loadOptions(options), ...fileArguments(files)]));
    const set = new TokenSet(this, info);
    const h = handles.get(set);
    if (this.#finalizer) this.#finalizer.register(set, info.handle, h);
    return set;
  }

  resolve(source, options = {}) {
    const format = options.format ?? 'flat';
    if (format !== 'flat' && format !== 'json') throw new TypeError(`format must be 'flat' or 'json', got ${String(format)}`);
    const sel = selection(options);
    return this.#withSet(source, options, (handle) => JSON.parse(this.#call('resolve', [handle, sel, format])));
  }

  plans(tokenMaps, source, options = {}) {
    if (!Array.isArray(tokenMaps)) throw new TypeError('tokenMaps must be an array of token maps');
    const { baseFontSize } = options;
    if (baseFontSize !== undefined && typeof baseFontSize !== 'number' && typeof baseFontSize !== 'string') {
      throw new TypeError('baseFontSize must be a number or a text such as "14px"');
    }
    const sel = selection(options);
    // one plan per distinct token map: the key is its entries in key order
    const distinct = [], index = new Array(tokenMaps.length), seen = new Map();
    tokenMaps.forEach((map, n) => {
      if (!isPlainObject(map)) throw new TypeError(`tokenMaps[${n}] must be an object of property -> token name`);
      const key = JSON.stringify(Object.keys(map).sort().map((k) => [k, map[k]]));
      let i = seen.get(key);
      if (i === undefined) {
        i = distinct.length;
        seen.set(key, i);
        distinct.push(map);
      }
      index[n] = i;
    });
    const out = this.#withSet(source, options, (handle) =>
      JSON.parse(this.#call('plans', [handle, sel, JSON.stringify(distinct), JSON.stringify({ baseFontSize })])));
    return { plans: out.map((p, i) => ({ tokens: distinct[i], ...p })), index };
  }

  lua(code, ...args) {
    if (typeof code !== 'string') throw new TypeError('code must be a string of Lua');
    return JSON.parse(this.#call('lua', [code, JSON.stringify(args)]));
  }

  memory() {
    this.#check();
    const m = this.#module;
    return {
      bytes: m._tfw_bytes(this.#host) >>> 0,
      engineBytes: m._tfw_engine_bytes(this.#host) >>> 0,
      wasmBytes: m.HEAPU8.buffer.byteLength,
    };
  }

  // The document engine's update of a Figma file, in steps of about chunkMs
  // (reading the file, the job over its nodes, writing the result) with a
  // turn of the event loop between steps and progress after each; an
  // aborted signal or close() stops it between two steps, and nothing is
  // returned. The result comes out piece by piece (the instance never
  // holds it whole). The job and its document are released however it ends.
  async apply(figmaFile, source, options = {}) {
    const { signal, onProgress } = options;
    signal?.throwIfAborted();
    const bytes = figmaBytes(figmaFile);
    const opts = applyOptions(options);
    const sel = selection(options);
    const { job } = this.#withSet(source, options, (handle) =>
      JSON.parse(this.#call('apply_start', [handle, sel, bytes, opts])));
    const id = String(job);
    try {
      let text = '';
      for (;;) {
        const { more, ...progress } = JSON.parse(this.#call('apply_step', [id]));
        if (progress.phase === 'write') text += this.#call('apply_text', [id]);
        onProgress?.(progress);
        if (!more) break;
        await nextTurn();
        if (signal?.aborted) {
          this.#call('apply_cancel', [id]);
          throw signal.reason;
        }
      }
      return { text, report: JSON.parse(this.#call('apply_report', [id])) };
    } finally {
      if (this.#host) this.#call('apply_release', [id]);
    }
  }

  close() {
    if (!this.#host) return;
    // what the allocator still counts once Lua is closed: 0 unless C leaked
    const left = this.#module._tfw_close(this.#host) >>> 0;
    this.#host = 0;
    this.#module = null;
    if (left !== 0) throw new Error(`tokenflow: ${left} bytes not released by close() (a leak in tokenflow)`);
  }
}

if (typeof Symbol.dispose === 'symbol') {
  Tokenflow.prototype[Symbol.dispose] = Tokenflow.prototype.close;
  TokenSet.prototype[Symbol.dispose] = TokenSet.prototype.close;
}

/** A new tokenflow (see tokenflow.d.ts). */
export async function createTokenflow(options = {}) {
  const limit = options.memoryLimit ?? 0;
  if (!Number.isInteger(limit) || limit < 0 || limit > 0x7fffffff) {
    throw new TypeError('memoryLimit must be a number of bytes (0: none) below 2 GB');
  }
  const wasmModule = await compile(options);
  let failed;
  const instantiated = new Promise((_, reject) => { failed = reject; });
  const module = await Promise.race([instantiated, createTokenflowModule({
    instantiateWasm(imports, receive) {
      WebAssembly.instantiate(wasmModule, imports).then((instance) => receive(instance, wasmModule), failed);
      return {};
    },
    print: options.print ?? ((text) => console.log(text)),
    printErr: options.printErr ?? ((text) => console.error(text)),
  })]);
  const err = module._malloc(512);
  if (!err) throw new Error('not enough memory');
  const host = module._tfw_open(limit, err, 512);
  const why = decoder.decode(module.HEAPU8.subarray(err, module.HEAPU8.indexOf(0, err)));
  module._free(err);
  if (!host) throw new Error(why);
  return new Tokenflow(module, host);
}

/** Compiles tokenflow.wasm (or options.wasmUrl / wasmBinary) ahead of createTokenflow. */
export function compileTokenflow(options = {}) {
  return compile(options);
}

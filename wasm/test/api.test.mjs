// The JavaScript API: its shape, its errors (the Lua API's messages, or
// TypeErrors for bad arguments), bad input that must not break an instance,
// and memory given back by close().
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { root, modulePath, createTokenflow, compileTokenflow, readTree, nativeLua } from './helpers.mjs';

const studio = readTree(join(root, 'examples/tokens/studio'));
let tf;
before(async () => { tf = await createTokenflow(); });
after(() => tf.close());

// The message the native Lua API gives for loading these files.
function nativeLoadError(files, path = '') {
  return nativeLua(`
    local json = require "tokenflow.tokens.json"
    local set, err = require("tokenflow").tokens.load("${path}", { files = json.decode(INPUT, "files") })
    io.write(set and "loaded" or err)`, JSON.stringify(files));
}

test('a loaded set: its format, sets and themes; resolve per theme', () => {
  const set = tf.load(studio);
  try {
    assert.equal(set.format, 'tokens-studio');
    assert.deepEqual(set.sets, ['core', 'theme/light', 'theme/dark', 'components/button']);
    assert.deepEqual(set.themes.map((t) => t.name), ['light', 'dark']);
    assert.equal(set.themes[1].selectedTokenSets['theme/dark'], 'enabled');
    const light = set.resolve({ theme: 'light' });
    const dark = set.resolve({ theme: 'dark' });
    assert.notEqual(light.tokens['color.bg'], dark.tokens['color.bg']);
    assert.deepEqual(set.resolve({ theme: 'light' }), light);
    assert.deepEqual(tf.resolve(set, { theme: 'dark' }), dark);
  } finally {
    set.close();
  }
});

test('a single file is a token file; a Map and [path, text] pairs are files too', () => {
  const single = JSON.stringify({ core: { a: { value: '4px', type: 'spacing' }, b: { value: '{a} * 3', type: 'spacing' } } });
  const expected = { a: '4px', b: '12px' };
  assert.deepEqual(tf.resolve({ 'tokens.json': single }).tokens, expected);
  assert.deepEqual(tf.resolve(new Map([['tokens.json', single]])).tokens, expected);
  assert.deepEqual(tf.resolve([['x/tokens.json', single]]).tokens, expected);
});

test('format json nests the tokens as the command line does', () => {
  const { tokens } = tf.resolve(studio, { theme: 'dark', format: 'json' });
  assert.equal(tokens.color.bg.type, 'color');
  assert.equal(tokens.color.bg.value, tf.resolve(studio, { theme: 'dark' }).tokens['color.bg']);
});

test('sets select sets, with statuses', () => {
  const only = tf.resolve(studio, { sets: ['core'] });
  assert.ok(Object.keys(only.tokens).length > 0);
  const sourced = tf.resolve(studio, { sets: { core: 'source', 'theme/dark': 'enabled' } });
  assert.ok(Object.keys(sourced.tokens).every((name) => name.startsWith('color.')), Object.keys(sourced.tokens).join());
});

test('errors of the Lua API are Errors with its messages', () => {
  assert.throws(() => tf.resolve(studio, { theme: 'nope' }), { name: 'Error', message: "unknown theme 'nope' (themes: mode/light, mode/dark)" });
  const bad = { 'a.json': '{"x": {"value": ' };
  assert.throws(() => tf.resolve(bad), { name: 'Error', message: nativeLoadError(bad, 'a.json') });
  const missing = { ...studio };
  delete missing['core.json'];
  assert.equal(nativeLoadError(missing), "$metadata.json: set 'core' is listed in $metadata.json but core.json is missing");
  assert.throws(() => tf.load(missing), { message: nativeLoadError(missing) });
  const notTokens = { 't.json': '{"core": 5}' };
  assert.throws(() => tf.resolve(notTokens), { message: nativeLoadError(notTokens, 't.json') });
  assert.equal(nativeLoadError(notTokens, 't.json'), 't.json: core: a set must be an object of tokens');
});

test('bad arguments are TypeErrors', () => {
  assert.throws(() => tf.resolve('examples/tokens'), TypeError);
  assert.throws(() => tf.resolve({}), { name: 'TypeError', message: 'files: no token files given' });
  assert.throws(() => tf.resolve({ 'a.json': 42 }), TypeError);
  assert.throws(() => tf.resolve(studio, { format: 'yaml' }), TypeError);
  assert.throws(() => tf.resolve(studio, { theme: 3 }), TypeError);
  assert.throws(() => tf.resolve(studio, { sets: 'core' }), TypeError);
  assert.throws(() => tf.load(studio, { inputFormat: 'xml' }), TypeError);
  assert.throws(() => tf.plans({ fill: 'x' }, studio), TypeError);
  assert.throws(() => tf.plans([null], studio), TypeError);
  assert.throws(() => tf.plans([{ fill: 'color.bg' }], studio, { baseFontSize: {} }), TypeError);
  assert.throws(() => tf.lua(42), TypeError);
});

test('bad input leaves the instance working: deep nesting, garbage, huge names', () => {
  const deep = '['.repeat(200000) + ']'.repeat(200000);
  assert.throws(() => tf.resolve({ 'a.json': `{"x": ${deep}}` }), Error);
  assert.throws(() => tf.resolve({ 'a.json': '\u0000\u00ff garbage' }), /a\.json: invalid JSON/);
  const long = 'n'.repeat(100000);
  const r = tf.resolve({ 'a.json': JSON.stringify({ [long]: { $value: 1, $type: 'number' } }) });
  assert.equal(r.tokens[long], 1);
  const deepRefs = {};
  for (let i = 1; i <= 5000; i++) deepRefs[`t${i}`] = { value: i === 1 ? '1' : `{t${i - 1}} + 1`, type: 'number' };
  const chain = tf.resolve({ 'tokens.json': JSON.stringify({ core: deepRefs }) });
  assert.equal(chain.tokens.t5000, 5000);
  assert.equal(tf.resolve(studio, { theme: 'dark' }).failures.length, 0);
});

test('a memory limit turns into "not enough memory", and the instance goes on', async () => {
  const small = await createTokenflow({ memoryLimit: 3 << 20 });
  try {
    const big = {};
    for (let i = 0; i < 40000; i++) big[`token${i}`] = { value: `{token${i ? i - 1 : 0}}`, type: 'spacing' };
    assert.throws(() => small.resolve({ 'tokens.json': JSON.stringify({ core: big }) }), { message: 'not enough memory' });
    assert.ok(small.resolve(studio, { theme: 'dark' }).tokens['color.bg']);
  } finally {
    small.close();
  }
  await assert.rejects(createTokenflow({ memoryLimit: -1 }), TypeError);
  await assert.rejects(createTokenflow({ memoryLimit: 1000 }), { message: 'not enough memory' });
});

test('plans: distinct combinations, property errors, reuse of a loaded set', () => {
  const set = tf.load(studio);
  try {
    const maps = [{ fill: 'color.bg' }, { fill: 'color.bg' }, { fill: 'color.fg', borderRadius: 'button.radius' }, { fill: 'missing' }];
    const light = set.plans(maps, { theme: 'light' });
    assert.deepEqual(light.index, [0, 0, 1, 2]);
    assert.equal(light.plans.length, 3);
    assert.deepEqual(light.plans[0].tokens, { fill: 'color.bg' });
    assert.equal(light.plans[0].ops[0].op, 'fills');
    assert.deepEqual(light.plans[2].errors, [{ property: 'fill', token: 'missing', message: 'token not found' }]);
    const dark = tf.plans(maps, set, { theme: 'dark' });
    assert.notDeepEqual(dark.plans[0].ops[0].paints, light.plans[0].ops[0].paints);
    const reset = set.plans([{ fill: 'none' }], { theme: 'dark' });
    assert.deepEqual(reset.plans[0].ops[0].paints, []);
    const rem = set.plans([{ borderRadius: 'button.radius' }], { theme: 'dark', baseFontSize: 10 });
    assert.equal(typeof rem.plans[0].ops[0].value, 'number');
  } finally {
    set.close();
  }
});

test('lua: runs code against the module, arguments in, results out, errors with Lua messages', () => {
  assert.deepEqual(tf.lua('return 1 + 1, nil, "x", {a = {1, 2}}'), [2, null, 'x', { a: [1, 2] }]);
  assert.deepEqual(tf.lua('local a, b, c = ... return c, b, a', 'one', null, { two: 2 }), [{ two: 2 }, null, 'one']);
  assert.match(tf.lua('return tf.cache{capacity = 4}')[0], /^tokenflow\.Cache \(0\/4 entries/);
  assert.deepEqual(tf.lua('count = (count or 0) + 1 return count'), [1]);
  assert.deepEqual(tf.lua('count = count + 1 return count'), [2]);
  assert.throws(() => tf.lua('error("boom")'), { message: 'tf.lua:1: boom' });
  assert.throws(() => tf.lua('return +'), { message: /^tf\.lua:1: unexpected symbol/ });
  assert.throws(() => tf.lua('local t = {} t.t = t return t'), { message: 'cannot encode a table that contains itself' });
  assert.throws(() => tf.lua('return tf.cache{capacity = 0}'), { message: /bad argument #1 to 'cache'/ });
});

test('no file system: io cannot open files, require finds only what is built in', () => {
  assert.deepEqual(tf.lua('return io.open("/etc/hostname")'), [null, '/etc/hostname: Function not implemented', 52]);
  assert.deepEqual(tf.lua('return pcall(dofile, "x.lua")'), [false, 'cannot open x.lua: Function not implemented']);
  assert.deepEqual(tf.lua('return io.read("l")'), [null, 'Bad file descriptor', 8]);
  // Figma files come in as texts (tf.apply, tf.figma.parse): open and save say why they cannot
  assert.deepEqual(tf.lua('return tf.figma.open("file.json")'), [null, 'cannot read file.json: Function not implemented']);
  assert.deepEqual(tf.lua(`local doc = assert(tf.figma.parse('{"document":{"id":"0:0","type":"DOCUMENT"}}'))
    local ok, err = doc:save("out.json") doc:close() return ok, err`),
  [null, 'cannot write out.json: Function not implemented (making a temporary file in its directory)']);
  assert.throws(() => tf.lua('os.exit(1)'), { message: "tf.lua:1: os.exit is not available in tokenflow's WebAssembly build" });
  assert.deepEqual(tf.lua('return 1'), [1]);
  assert.throws(() => tf.lua('require "socket"'), /module 'socket' not found/);
  assert.deepEqual(tf.lua('return type(require "lpeg"), type(require "cjson"), type(require "tokenflow.core")'),
    ['table', 'table', 'table']);
});

test('the store is absent, and says so', () => {
  const [st, message] = tf.lua('return tf.store("cache.db")');
  assert.equal(st, null);
  assert.equal(message, 'cache.db: tf.store is not available in this build of tokenflow (built without SQLite)');
  assert.throws(() => tf.lua('return tf.cache{capacity = 4, store = "cache.db"}'), /store must be a tokenflow\.Store/);
});

test('released sets and closed instances refuse calls', async () => {
  const set = tf.load(studio);
  set.close();
  set.close();
  assert.throws(() => set.resolve({ theme: 'dark' }), { message: 'attempt to use a released token set' });
  const other = await createTokenflow();
  const foreign = other.load(studio);
  assert.throws(() => tf.resolve(foreign), { name: 'TypeError', message: 'the token set belongs to another tokenflow' });
  other.close();
  other.close();
  assert.throws(() => other.resolve(studio), { message: 'attempt to use a closed tokenflow' });
  assert.throws(() => foreign.resolve(), { message: 'attempt to use a closed tokenflow' });
  assert.throws(() => other.memory(), { message: 'attempt to use a closed tokenflow' });
  foreign.close();
});

test('memory: a released set gives its memory back; resolving again does not grow it', () => {
  const base = tf.memory().bytes;
  const big = {};
  for (let i = 0; i < 5000; i++) big[`token${i}`] = { value: `${i}px`, type: 'spacing' };
  const set = tf.load({ 'tokens.json': JSON.stringify({ core: big }) });
  set.resolve();
  const loaded = tf.memory().bytes;
  assert.ok(loaded > base + 500000, `${loaded} > ${base} + 500 kB`);
  set.close();
  const released = tf.memory().bytes;
  assert.ok(released < base + 100000, `released ${released}, base ${base}`);
  for (let i = 0; i < 30; i++) tf.resolve(studio, { theme: i % 2 ? 'dark' : 'light' });
  assert.ok(tf.memory().bytes < released + 100000);
});

test('close() frees every byte the Lua state and the C engines held', async () => {
  const t = await createTokenflow();
  t.load(studio).resolve({ theme: 'dark' }); // not released: close() takes it too
  t.plans([{ fill: 'color.bg' }], studio, { theme: 'light' });
  t.lua('keep = { tf.cache{capacity = 8}, tf.metrics(), tf.interner(), tf.pool{}, tf.pack({1, {2}}) } keep[1]:set("k", {1})');
  assert.ok(t.memory().engineBytes > 0);
  assert.doesNotThrow(() => t.close()); // it throws when the allocator still counts bytes
});

test('close() gives the WebAssembly memory back to the JavaScript heap', { skip: !global.gc && 'needs node --expose-gc' }, async () => {
  // V8 counts WebAssembly memories as external memory
  const external = async () => {
    for (let i = 0; i < 2; i++) {
      await new Promise((r) => setTimeout(r, 10));
      global.gc();
    }
    return process.memoryUsage().external;
  };
  const before = await external();
  const t = await createTokenflow();
  t.lua('local t = {} for i = 1, 1000000 do t[i] = {i} end big = t');
  assert.ok(t.memory().wasmBytes > 64 << 20);
  const grown = await external();
  assert.ok(grown > before + (64 << 20), `grown ${grown} from ${before}`);
  t.close(); // t itself stays reachable
  const closed = await external();
  assert.ok(closed < before + (16 << 20), `after close ${closed}, before ${before}`);
});

test('createTokenflow takes a compiled module or the bytes', async () => {
  const wasmModule = await compileTokenflow();
  const a = await createTokenflow({ wasmModule });
  const b = await createTokenflow({ wasmBinary: readFileSync(modulePath.replace(/\.mjs$/, '.wasm')) });
  assert.deepEqual(a.resolve(studio, { theme: 'dark' }), b.resolve(studio, { theme: 'dark' }));
  a.close();
  b.close();
  await assert.rejects(createTokenflow({ wasmBinary: new Uint8Array([0, 1, 2]) }), WebAssembly.CompileError);
});

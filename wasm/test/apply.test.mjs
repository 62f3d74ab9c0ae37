// tf.apply: the output bytes of `tokenflow apply` on every real Figma file
// (untouched, and with token maps added) and on a generated one, its
// report, progress, cancellation, a page that stays responsive, bad input,
// and memory given back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  root, createTokenflow, readTree, nativeApply, nativeLua, nativeScript, figmaFixturesDir,
} from './helpers.mjs';

const demoDir = join(root, 'examples/tokens/demo');
const demo = readTree(demoDir);
const work = mkdtempSync(join(tmpdir(), 'tokenflow-apply-'));
const fixtures = existsSync(figmaFixturesDir)
  ? readdirSync(figmaFixturesDir).filter((f) => f.endsWith('.json')).sort() : [];
let tf, set;

before(async () => {
  tf = await createTokenflow();
  set = tf.load(demo);
});
after(() => {
  set.close();
  tf.close();
  rmSync(work, { recursive: true, force: true });
});

// A generated file (every node with a token map), written once.
function generated(nodes, seed) {
  const path = join(work, `gen-${nodes}-${seed}.json`);
  if (!existsSync(path)) nativeScript('examples/gen-doc.lua', '--nodes', String(nodes), '--seed', String(seed), '--out', path);
  return path;
}

const utf8 = (text) => Buffer.from(text, 'utf8');
const figures = (r) => [r.nodes, r.total, r.written, r.skipped, r.failed, r.combinations, r.failures];

// A real file a test cannot find must fail the run, not skip it.
test(`the real Figma files are at ${figmaFixturesDir} (TOKENFLOW_FIGMA_FIXTURES names another place)`, () => {
  assert.ok(existsSync(figmaFixturesDir), `no directory ${figmaFixturesDir}`);
  assert.ok(fixtures.length > 0, `no .json files in ${figmaFixturesDir}`);
});

for (const name of fixtures) {
  const path = join(figmaFixturesDir, name);

  test(`${name}: untouched (no token maps), byte for byte, as the command line`, async () => {
    const bytes = readFileSync(path);
    const { text, report } = await set.apply(bytes, { theme: 'light' });
    assert.ok(utf8(text).equals(bytes), 'the file changed');
    const native = nativeApply(path, { tokens: demoDir, themes: ['light'] });
    assert.ok(native.bytes.equals(bytes));
    assert.deepEqual(figures(report), figures(native.summary));
    assert.equal(report.written, 0);
  });

  test(`${name}: with token maps added, the bytes and figures of the command line`, async () => {
    const copy = join(work, `tokens-${name}`);
    const given = Number(nativeScript('wasm/test/with-tokens.lua', '42', path, copy));
    assert.ok(given > 0);
    for (const theme of ['light', 'dark']) {
      const native = nativeApply(copy, { tokens: demoDir, themes: [theme] });
      const { text, report } = await tf.apply(readFileSync(copy, 'utf8'), demo, { theme });
      assert.ok(report.written > 0 && report.written <= given, `${report.written} written of ${given}`);
      assert.ok(utf8(text).equals(native.bytes), `${theme}: the output differs from tokenflow apply's`);
      assert.deepEqual(figures(report), figures(native.summary));
    }
    rmSync(copy);
  });
}

test('a generated file: the bytes of the command line, with and without a viewport; the report', async () => {
  const path = generated(3000, 5);
  const native = nativeApply(path, { tokens: demoDir, themes: ['dark'] });
  const { text, report } = await set.apply(readFileSync(path), { theme: 'dark', name: 'gen.json' });
  assert.ok(utf8(text).equals(native.bytes));
  assert.deepEqual(figures(report), figures(native.summary));
  assert.equal(report.state, 'done');
  assert.equal(report.mode, 'streaming');
  assert.equal(report.doc, 'gen.json');
  assert.deepEqual(report.theme, ['dark']);
  assert.ok(report.written > 2500 && report.cache.hits > 0 && report.memory.document_bytes > 0);
  for (const k of ['apply_s', 'read_doc_s', 'write_s', 'total_s']) assert.ok(report.time[k] > 0, k);

  const viewport = nativeApply(path, { tokens: demoDir, themes: ['dark'], args: ['--viewport', '0,0,2000,1500'] });
  const first = await set.apply(readFileSync(path, 'utf8'), { theme: 'dark', viewport: { x: 0, y: 0, w: 2000, h: 1500 } });
  assert.ok(utf8(first.text).equals(viewport.bytes));
  assert.equal(first.report.visible.count, viewport.summary.visible.count);
  assert.ok(first.report.visible.count > 0);
  // files given for the call, or the loaded set: the same
  const again = await tf.apply(readFileSync(path, 'utf8'), demo, { theme: 'dark', baseFontSize: 16 });
  assert.equal(again.text, text);
});

test('progress: phases in order (read, apply, write), done never goes back, each phase ends at its total', async () => {
  const path = generated(3000, 5);
  const seen = [];
  const { report } = await set.apply(readFileSync(path), { theme: 'light', chunkMs: 1, onProgress: (p) => seen.push(p) });
  const order = ['read', 'apply', 'write'];
  assert.deepEqual([...new Set(seen.map((p) => p.phase))], order);
  for (let i = 1; i < seen.length; i++) {
    const [a, b] = [seen[i - 1], seen[i]];
    assert.ok(order.indexOf(b.phase) >= order.indexOf(a.phase), `${a.phase} after ${b.phase}`);
    if (a.phase === b.phase) assert.ok(b.done >= a.done && b.total === a.total, JSON.stringify([a, b]));
  }
  const last = (phase) => seen.filter((p) => p.phase === phase).at(-1);
  assert.equal(last('apply').done, 3000);
  assert.equal(last('apply').total, report.nodes);
  assert.equal(last('read').done, last('read').total);
  assert.equal(last('write').done, last('write').total);
  assert.ok(seen.filter((p) => p.phase === 'apply').length > 3, 'several apply steps at 1 ms');
});

test('a timer fires while an apply runs: the event loop gets turns between steps', async () => {
  const path = generated(3000, 5);
  let ticks = 0, progressAfterTick = 0;
  const timer = setInterval(() => { ticks++; }, 1);
  try {
    await set.apply(readFileSync(path), {
      theme: 'dark', chunkMs: 2, onProgress: () => { if (ticks > 0) progressAfterTick++; },
    });
  } finally {
    clearInterval(timer);
  }
  assert.ok(ticks > 0 && progressAfterTick > 0, `${ticks} ticks, ${progressAfterTick} steps after the first`);
});

test('cancellation: an AbortSignal stops it between steps, it rejects with the reason, memory comes back', async () => {
  const path = generated(3000, 5);
  const text = readFileSync(path, 'utf8');
  await set.apply(text, { theme: 'light' }); // modules and the selection loaded
  const base = tf.memory().bytes;
  for (const phase of ['read', 'apply', 'write']) {
    const controller = new AbortController();
    const reason = new Error(`stop in ${phase}`);
    let after = 0;
    await assert.rejects(set.apply(text, {
      theme: 'light', chunkMs: 1, signal: controller.signal,
      onProgress: (p) => {
        if (controller.signal.aborted) after++;
        if (p.phase === phase) controller.abort(reason);
      },
    }), (e) => e === reason);
    assert.equal(after, 0, 'no step after the abort');
    assert.ok(tf.memory().bytes < base + 64 * 1024, `${tf.memory().bytes} against ${base}`);
  }
  const aborted = AbortSignal.abort();
  await assert.rejects(set.apply(text, { signal: aborted }), { name: 'AbortError' });
  // the instance goes on
  assert.equal((await set.apply(text, { theme: 'light' })).report.state, 'done');
});

test('close() during an apply stops it; the apply rejects', async () => {
  const t = await createTokenflow();
  const p = t.apply(readFileSync(generated(3000, 5)), demo, {
    theme: 'light', chunkMs: 1, onProgress: (pr) => { if (pr.phase === 'apply') t.close(); },
  });
  await assert.rejects(p, { message: 'attempt to use a closed tokenflow' });
});

test('a file that cannot be read: an Error with the Lua API message, where it is', async () => {
  const parse = (text, name) => nativeLua(`
    local json = require "tokenflow.tokens.json"
    local a = json.decode(INPUT, "input")
    local doc, err = require("tokenflow").figma.parse(a[1], a[2] ~= json.null and a[2] or nil)
    io.write(doc and "read" or err)`, JSON.stringify([text, name ?? null]));
  const big = `{"document":{"id":"0:0","type":"DOCUMENT","children":[${
    Array.from({ length: 200000 }, (_, i) => `{"id":"1:${i}","type":"RECTANGLE","name":"r"}`).join(',')}]`;
  const cases = [
    ['{"document": [}', undefined],
    ['{"document":{"id":"0:0","type":"DOCUMENT","children":[{"id":"1:1","opacity":NaN}]}}', 'bad.json'],
    ['{"name": "x"}', 'other.json'],
    ['', undefined],
    [big, 'big.json'], // cut short past the first 8 MB: found in a later step
  ];
  assert.ok(big.length > 9 << 20);
  for (const [text, name] of cases) {
    const message = parse(text, name);
    assert.match(message, name ? new RegExp(`^${name.replace('.', '\\.')}:\\d+:\\d+: .* \\(byte \\d+\\)$`) : /^\(string\):\d+:\d+: /);
    await assert.rejects(set.apply(text, { name }), (e) => e instanceof Error && e.message === message);
  }
});

test('bad arguments are TypeErrors', async () => {
  const ok = '{"document":{"id":"0:0","type":"DOCUMENT","children":[]}}';
  await assert.rejects(tf.apply(42, demo), TypeError);
  await assert.rejects(tf.apply({ document: {} }, demo), TypeError);
  await assert.rejects(tf.apply(ok, {}), { name: 'TypeError', message: 'files: no token files given' });
  await assert.rejects(set.apply(ok, { viewport: { x: 0, y: 0, width: 5, height: 5 } }), TypeError);
  await assert.rejects(set.apply(ok, { chunkMs: 0 }), TypeError);
  await assert.rejects(set.apply(ok, { onProgress: 'x' }), TypeError);
  await assert.rejects(set.apply(ok, { signal: {} }), TypeError);
  await assert.rejects(set.apply(ok, { baseFontSize: [] }), TypeError);
  await assert.rejects(set.apply(ok, { theme: 'sepia' }), { message: /^unknown theme 'sepia'/ });
  await assert.rejects(set.apply(ok, { viewport: { x: 0, y: 0, w: -1, h: 5 } }), { message: /viewport size must be >= 0/ });
  assert.equal((await set.apply(ok)).text, ok);
});

test('memory: applies leave nothing behind; a closed instance gives every byte back', async () => {
  const path = generated(3000, 5);
  const text = readFileSync(path);
  await set.apply(text, { theme: 'dark' });
  const base = tf.memory().bytes;
  for (let i = 0; i < 3; i++) await set.apply(text, { theme: i % 2 ? 'dark' : 'light' });
  assert.ok(tf.memory().bytes < base + 64 * 1024 + 32 * 1024, `${tf.memory().bytes} against ${base}`);
  const t = await createTokenflow();
  await t.apply(text, demo, { theme: 'dark' });
  assert.doesNotThrow(() => t.close()); // it throws when the allocator still counts bytes
});

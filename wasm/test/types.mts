// Type-checked by scripts/checks/wasm.sh (tsc --strict) against the
// declarations built next to the module: a program using the whole API
// must compile, and the misuses marked below must not.
import {
  createTokenflow, compileTokenflow, type ApplyResult, type Plans, type Progress, type Resolved, type TokenSet,
} from '../../build-wasm/tokenflow.mjs';

const tf = await createTokenflow({ memoryLimit: 64 << 20, wasmModule: await compileTokenflow(), print: console.log });
const set: TokenSet = tf.load({ 'a.json': '{}' }, { inputFormat: 'dtcg', math: false });
const themes: string[] = set.themes.map((t) => t.name);
const r: Resolved = set.resolve({ theme: ['a', 'b'], format: 'json' });
const p: Plans = tf.plans([{ fill: 'x' }], new Map([['a.json', '{}']]), { sets: { core: 'source' }, baseFontSize: '14px' });
const ops = p.plans[p.index[0]].ops ?? [];
const n: number = ops.length + r.failures.length + tf.memory().bytes + themes.length;
const out: unknown[] = tf.lua('return ...', 2, 'x');
// @ts-expect-error format is 'flat' or 'json'
tf.resolve({ 'a.json': '{}' }, { format: 'yaml' });
// @ts-expect-error files map paths to texts
tf.load({ 'a.json': 42 });
// @ts-expect-error a set status is enabled, source or disabled
set.resolve({ sets: { core: 'on' } });
const figma = '{"document":{"id":"0:0","type":"DOCUMENT","children":[]}}';
const seen: Progress[] = [];
const applied: ApplyResult = await set.apply(figma, {
  theme: 'dark', baseFontSize: 14, viewport: { x: 0, y: 0, w: 100, h: 100, zoom: 2 }, name: 'f.json', chunkMs: 4,
  onProgress: (p) => { if (p.phase === 'apply') seen.push(p); }, signal: new AbortController().signal,
});
const { text, report } = await tf.apply(new TextEncoder().encode(figma), { 'a.json': '{}' }, { sets: ['core'] });
const figures: number = report.written + report.cache.hit_rate + report.time.write_s + applied.report.failures.length;
// @ts-expect-error a viewport has w and h, not width and height
tf.apply(figma, set, { viewport: { x: 0, y: 0, width: 1, height: 1 } });
// @ts-expect-error the Figma file is text or bytes
tf.apply({ document: {} }, set);
set.close();
tf.close();
console.log(n, out, text.length, figures, seen.length);

// Type-checked by scripts/checks/wasm.sh (tsc --strict) against the
// declarations built next to the module: a program using the whole API
// must compile, and the misuses marked below must not.
import { createTokenflow, compileTokenflow, type Plans, type Resolved, type TokenSet } from '../../build-wasm/tokenflow.mjs';

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
set.close();
tf.close();
console.log(n, out);

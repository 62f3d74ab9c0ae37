// One cold start of the WebAssembly build in a fresh Node process, for
// bench/wasm_bench.mjs: importing the module, createTokenflow() (reading and
// compiling the .wasm, instantiating, opening Lua), then a first resolve of
// examples/tokens/studio. Prints milliseconds as JSON.
//   node bench/wasm_init.mjs MODULE.mjs
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dir = resolve(fileURLToPath(import.meta.url), '../../examples/tokens/studio');
const files = {};
const walk = (d) => {
  for (const e of readdirSync(d)) {
    const p = join(d, e);
    if (statSync(p).isDirectory()) walk(p); else files[relative(dir, p)] = readFileSync(p, 'utf8');
  }
};
walk(dir);

const t0 = performance.now();
const { createTokenflow } = await import(pathToFileURL(resolve(process.argv[2])).href);
const t1 = performance.now();
const tf = await createTokenflow();
const t2 = performance.now();
const { tokens } = tf.resolve(files, { theme: 'dark' });
const t3 = performance.now();
if (!tokens['color.bg']) throw new Error('resolve gave no color.bg');
console.log(JSON.stringify({ import: t1 - t0, create: t2 - t1, firstResolve: t3 - t2, total: t3 - t0 }));

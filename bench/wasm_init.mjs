// One cold start of the WebAssembly build in a fresh Node process, for
// bench/wasm_bench.mjs: importing the module, createTokenflow() (reading and
// compiling the .wasm, instantiating, opening Lua), then a first resolve of
// examples/tokens/studio. Prints milliseconds as JSON.
//   node bench/wasm_init.mjs MODULE.mjs
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readTree, root } from '../wasm/test/native.mjs'; // (node's own modules only: nothing of the build)

const files = readTree(join(root, 'examples/tokens/studio'));

const t0 = performance.now();
const { createTokenflow } = await import(pathToFileURL(resolve(process.argv[2])).href);
const t1 = performance.now();
const tf = await createTokenflow();
const t2 = performance.now();
const { tokens } = tf.resolve(files, { theme: 'dark' });
const t3 = performance.now();
if (!tokens['color.bg']) throw new Error('resolve gave no color.bg');
console.log(JSON.stringify({ import: t1 - t0, create: t2 - t1, firstResolve: t3 - t2, total: t3 - t0 }));

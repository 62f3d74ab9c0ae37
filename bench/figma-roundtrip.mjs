// The baseline of bench/apply_bench.lua: what a Node.js script that re-themes
// a Figma file does without tokenflow. JSON.parse the whole file, walk every
// node, set the fills of each node that carries tokens, JSON.stringify the
// file back. Prints one JSON line: {"seconds": s, "nodes": n, "written": w}.
// Usage: node bench/figma-roundtrip.mjs IN.json OUT.json
import { readFileSync, writeFileSync } from "node:fs";

const [input, output] = process.argv.slice(2);
const t0 = process.hrtime.bigint();
const file = JSON.parse(readFileSync(input, "utf8"));
let nodes = 0, written = 0;
const stack = [file.document];
while (stack.length > 0) {
  const node = stack.pop();
  nodes++;
  const tokens = node.sharedPluginData && node.sharedPluginData.tokens;
  if (tokens && tokens.fill) {
    node.fills = [{ blendMode: "NORMAL", type: "SOLID", color: { r: 0.2, g: 0.4, b: 0.9, a: 1 } }];
    written++;
  }
  if (Array.isArray(node.children)) for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]);
}
writeFileSync(output, JSON.stringify(file));
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(JSON.stringify({ seconds, nodes, written }));

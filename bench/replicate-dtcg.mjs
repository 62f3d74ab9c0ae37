// Builds the large-set benchmark input from a published DTCG file: COPIES
// copies of its tokens under distinct top-level groups (copy1, copy2, ...),
// references rewritten to stay inside their copy. With --source, each token
// is the one its publisher wrote in the source, which Style Dictionary keeps
// in its built output as `original` (aliases, light/dark arrays), and the
// fields Style Dictionary adds when it builds (name, path, attributes,
// filePath, isSource, original) are left out: read again, they would stand
// for Style Dictionary's own token metadata.
// IN may be a DTCG 2025.10 resolver document (`*.resolver.json`): its sets
// and each modifier's default context are merged, in resolution order, into
// one document first (later files win, objects merge).
//   node replicate-dtcg.mjs IN.json OUT.json [--copies N] [--source]
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const args = process.argv.slice(2);
const [input, output] = args;
let copies = 10, source = false;
for (let i = 2; i < args.length; i++) {
  if (args[i] === '--copies') copies = Number(args[++i]);
  else if (args[i] === '--source') source = true;
}
const isObject = (v) => v && typeof v === 'object' && !Array.isArray(v);
const merge = (into, from) => {
  for (const [k, v] of Object.entries(from)) {
    if (isObject(v) && isObject(into[k]) && !('$value' in v)) merge(into[k], v);
    else into[k] = v;
  }
  return into;
};

// The documents a resolver document lists, in resolution order.
const resolverFiles = (path, r) => {
  const base = dirname(path);
  const files = [];
  const take = (refs) => { for (const ref of refs ?? []) files.push(resolve(base, ref.$ref)); };
  for (const step of r.resolutionOrder) {
    const [kind, name] = step.$ref.replace(/^#\//, '').split('/');
    if (kind === 'sets') take(r.sets[name].sources);
    else take(r.modifiers[name].contexts[r.modifiers[name].default]);
  }
  return files;
};

let doc = JSON.parse(readFileSync(input, 'utf8'));
if (doc.resolutionOrder) {
  const merged = {};
  for (const f of resolverFiles(input, doc)) merge(merged, JSON.parse(readFileSync(f, 'utf8')));
  doc = merged;
}

const prefixRefs = (v, group) => {
  if (typeof v === 'string') return v.replace(/\{([^{}]+)\}/g, (_, name) => `{${group}.${name}}`);
  if (Array.isArray(v)) return v.map((x) => prefixRefs(x, group));
  if (v && typeof v === 'object') {
    const out = {};
    for (const [k, x] of Object.entries(v)) out[k] = prefixRefs(x, group);
    return out;
  }
  return v;
};

const copyTree = (node, group) => {
  if (!node || typeof node !== 'object' || Array.isArray(node)) return node;
  if ('$value' in node) {
    let token = { ...node };
    if (source) {
      token = { ...(node.original && '$value' in node.original ? node.original : node) };
      if (token.$type === undefined && node.$type !== undefined) token.$type = node.$type;
      for (const k of ['name', 'path', 'attributes', 'filePath', 'isSource', 'original']) delete token[k];
    }
    token.$value = prefixRefs(token.$value, group);
    return token;
  }
  const out = {};
  for (const [k, v] of Object.entries(node)) out[k] = k.startsWith('$') ? v : copyTree(v, group);
  return out;
};

const out = {};
for (let i = 1; i <= copies; i++) out[`copy${i}`] = copyTree(doc, `copy${i}`);
writeFileSync(output, JSON.stringify(out));

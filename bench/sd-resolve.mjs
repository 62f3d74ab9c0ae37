// Resolves a Tokens Studio folder (themes as in tokenflow: sets a theme marks
// "source" are used for references only) or a DTCG folder with Style
// Dictionary 5 + @tokens-studio/sd-transforms, and prints one JSON object:
// token name -> resolved value, plus the wall time. Used by the conformance
// script and the benchmark as the reference implementation.
//   node sd-resolve.mjs DIR [--theme NAME]... [--dtcg] [--digits N] [--time-only]
// Also a module: `sdResolve(dir, {themes, dtcg, digits})` -> {seconds, tokens}
// (the benchmarks of the WebAssembly build run it in their own process).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import StyleDictionary from 'style-dictionary';
import { register } from '@tokens-studio/sd-transforms';

function jsonFiles(root) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (e.endsWith('.json') && !e.startsWith('$')) out.push(relative(root, p).replace(/\.json$/, ''));
    }
  };
  walk(root);
  return out;
}

/** Resolves dir with Style Dictionary: {seconds, tokens}. */
export async function sdResolve(dir, { themes = [], dtcg = false, digits } = {}) {
  const t0 = performance.now();
  register(StyleDictionary, { 'ts/color/modifiers': { format: 'hex' } });
  let include = [], source = [];
  const isFile = statSync(dir).isFile();
  if (isFile) {
    source = [dir];
  } else if (dtcg) {
    source = jsonFiles(dir).map((s) => join(dir, s + '.json'));
  } else {
    let order = jsonFiles(dir);
    try { order = JSON.parse(readFileSync(join(dir, '$metadata.json'), 'utf8')).tokenSetOrder ?? order; } catch {}
    let list = [];
    try { list = JSON.parse(readFileSync(join(dir, '$themes.json'), 'utf8')); } catch {}
    const rank = { disabled: 1, source: 2, enabled: 3 };
    const status = {};
    if (themes.length === 0) order.forEach((s) => { status[s] = 'enabled'; });
    for (const name of themes) {
      const t = list.find((x) => x.name === name || x.id === name || `${x.group}/${x.name}` === name);
      if (!t) throw new Error(`unknown theme ${name}`);
      for (const [set, st] of Object.entries(t.selectedTokenSets)) {
        if (!status[set] || rank[st] > rank[status[set]]) status[set] = st;
      }
    }
    include = order.filter((s) => status[s] === 'source').map((s) => join(dir, s + '.json'));
    source = order.filter((s) => status[s] === 'enabled').map((s) => join(dir, s + '.json'));
  }

  const result = {};
  StyleDictionary.registerFormat({
    name: 'tokenflow/flat',
    format: ({ dictionary }) => {
      for (const token of dictionary.allTokens) {
        if (token.isSource === false) continue;
        result[token.path.join('.')] = token.$value ?? token.value;
      }
      return '';
    },
  });

  const sd = new StyleDictionary({
    include,
    source,
    preprocessors: dtcg ? [] : ['tokens-studio'],
    log: { verbosity: 'silent', warnings: 'disabled', errors: { brokenReferences: 'console' } },
    platforms: {
      flat: {
        // DTCG files: Style Dictionary's own semantics plus the Tokens Studio
        // colour modifiers; Tokens Studio files: the sd-transforms resolution steps
        transforms: dtcg ? ['ts/color/modifiers'] : ['ts/resolveMath', 'ts/color/modifiers', 'ts/color/css/hexrgba'],
        ...(digits !== undefined ? { mathFractionDigits: digits } : {}),
        files: [{ destination: 'ignored.json', format: 'tokenflow/flat' }],
      },
    },
  });
  await sd.formatPlatform('flat');
  return { seconds: (performance.now() - t0) / 1000, tokens: result };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const themes = [];
  let dtcg = false, digits, timeOnly = false;
  for (let i = 1; i < args.length; i++) {
    if (args[i] === '--theme') themes.push(args[++i]);
    else if (args[i] === '--dtcg') dtcg = true;
    else if (args[i] === '--digits') digits = Number(args[++i]);
    else if (args[i] === '--time-only') timeOnly = true;
  }
  let result;
  try {
    result = await sdResolve(args[0], { themes, dtcg, digits });
  } catch (e) {
    console.error(e.message);
    process.exit(2);
  }
  const { seconds, tokens } = result;
  if (timeOnly) console.log(JSON.stringify({ seconds, count: Object.keys(tokens).length }));
  else console.log(JSON.stringify({ seconds, tokens }));
}

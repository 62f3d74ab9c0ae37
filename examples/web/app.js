// The web example: loads a token set (a bundled example, or files the user
// picks), shows its themes, and redraws a small page from tf.plans on each
// theme switch; with a Figma file (the bundled card, or one the user picks)
// it also applies the theme to the file with tf.apply and draws the result
// as SVG. Long work (reading files, the first parse and resolve, an apply)
// runs in steps with a progress bar, yielding to the page between them.
import { createTokenflow } from '../../build-wasm/tokenflow.mjs';
import { cssOf } from './render.js';
import { pages, swatchPage, nodesOf } from './pages.js';
import { figmaSvg } from './svg.js';

const $ = (selector) => document.querySelector(selector);
const state = {
  tf: null, set: null, page: null, elements: new Map(), choice: new Map(),
  figma: null, // {name, bytes}: the Figma file to apply the theme to
  applying: null, // the AbortController of the apply running
};

// Lets the page paint (a frame, or 50 ms where frames are paused).
const yieldToPage = () => new Promise((resolve) => {
  const timer = setTimeout(resolve, 50);
  requestAnimationFrame(() => { clearTimeout(timer); setTimeout(resolve, 0); });
});

async function progress(done, total, label) {
  $('#progress').value = total ? done / total : 0;
  $('#progress-label').textContent = label;
  await yieldToPage();
}

function showError(e) {
  $('#error').hidden = !e;
  $('#error').textContent = e ? e.message : '';
  if (e) document.body.dataset.state = 'error';
}

// Themes by group ("" for themes without one), in the set's order.
function groupsOf(themes) {
  const groups = new Map();
  for (const t of themes) {
    const g = t.group ?? '';
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g).push(t.name);
  }
  return groups;
}

// One theme per group: qualified ("group/name") where there are groups.
function selectedThemes() {
  return [...state.choice].map(([group, name]) => (group ? `${group}/${name}` : name));
}

function renderThemeControls(themes) {
  const box = $('#themes');
  box.replaceChildren();
  state.choice.clear();
  for (const [group, names] of groupsOf(themes)) {
    state.choice.set(group, names[0]);
    const fieldset = document.createElement('fieldset');
    const legend = document.createElement('legend');
    legend.textContent = group || 'theme';
    fieldset.append(legend);
    for (const name of names) {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = name;
      button.dataset.group = group;
      button.dataset.theme = name;
      button.setAttribute('aria-pressed', String(name === names[0]));
      button.addEventListener('click', () => {
        state.choice.set(group, name);
        for (const b of fieldset.querySelectorAll('button')) b.setAttribute('aria-pressed', String(b === button));
        show();
      });
      fieldset.append(button);
    }
    box.append(fieldset);
  }
}

// The page's elements, made once per set; show() only restyles them.
function buildPreview(page) {
  state.elements.clear();
  const make = (node) => {
    const el = document.createElement('div');
    el.className = `node${node.row ? ' row' : ''}${page.swatches && node !== page ? ' swatch' : ''}${page.swatches && node === page ? ' swatches' : ''}`;
    el.dataset.node = node.id;
    if (node.text !== undefined) el.textContent = node.text;
    if (node.title) {
      el.title = node.title;
      const label = document.createElement('span');
      label.textContent = node.title;
      el.append(label);
    }
    state.elements.set(node, el);
    for (const child of node.children ?? []) el.append(make(child));
    return el;
  };
  $('#preview').replaceChildren(make(page));
}

// Colour tokens of the set, from the nested form of a resolve.
function colourTokens(tree, prefix = '', out = []) {
  for (const [key, v] of Object.entries(tree)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (v && typeof v === 'object' && 'value' in v && 'type' in v && typeof v.type === 'string') {
      if (v.type === 'color') out.push(name);
    } else if (v && typeof v === 'object') {
      colourTokens(v, name, out);
    }
  }
  return out;
}

// Resolves the selected themes and restyles every node from its plan.
function show() {
  try {
    const theme = selectedThemes();
    const options = theme.length ? { theme } : {};
    const t0 = performance.now();
    const { tokens, failures } = state.set.resolve(options);
    const nodes = nodesOf(state.page);
    const { plans, index } = state.set.plans(nodes.map((n) => n.tokens), options);
    nodes.forEach((node, i) => {
      const el = state.elements.get(node);
      const plan = plans[index[i]];
      el.removeAttribute('style');
      if (plan.errors) {
        el.dataset.errors = plan.errors.map((e) => `${e.property} (${e.token}): ${e.message}`).join('\n');
        return;
      }
      delete el.dataset.errors;
      const { style, text } = cssOf(plan.ops, { isText: node.text !== undefined });
      Object.assign(el.style, style);
      if (text !== undefined) el.textContent = text;
    });
    const ms = performance.now() - t0;
    $('#status').textContent = `${Object.keys(tokens).length} tokens, ${failures.length} failed; ` +
      `${plans.length} plans for ${nodes.length} nodes; ${ms.toFixed(1)} ms`;
    const list = $('#failures ul');
    list.replaceChildren(...failures.slice(0, 200).map((f) => {
      const li = document.createElement('li');
      li.textContent = `${f.name}: ${f.reason}`;
      return li;
    }));
    $('#failures').hidden = failures.length === 0;
    document.body.dataset.theme = theme.join(' ');
    document.body.dataset.state = 'ready';
    showError(null);
    applyFigma();
  } catch (e) {
    showError(e);
  }
}

const PHASES = { read: 'reading the Figma file', apply: 'applying', write: 'writing the result' };

// Applies the selected themes to the Figma file and draws the result; a
// newer switch aborts the apply still running.
async function applyFigma() {
  if (!state.figma || !state.set) return;
  state.applying?.abort();
  const controller = new AbortController();
  state.applying = controller;
  const { name, bytes } = state.figma;
  const theme = selectedThemes();
  const body = document.body.dataset;
  body.figma = 'applying';
  let steps = 0;
  try {
    const t0 = performance.now();
    const { text, report } = await state.set.apply(bytes, {
      ...(theme.length ? { theme } : {}), name, signal: controller.signal,
      onProgress: (p) => {
        steps++;
        $('#progress').value = p.total ? p.done / p.total : 0;
        $('#progress-label').textContent = `${name}: ${PHASES[p.phase]} ${p.done} / ${p.total}${p.phase === 'apply' ? ' nodes' : ' bytes'}`;
      },
    });
    const ms = performance.now() - t0;
    const { svg, drawn, nodes } = figmaSvg(JSON.parse(text));
    $('#figma').innerHTML = svg;
    const link = $('#figma-download');
    if (link.href) URL.revokeObjectURL(link.href);
    link.href = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
    link.download = name.replace(/(\.json)?$/, `.${theme.join('-').replaceAll('/', '-') || 'themed'}.json`);
    link.hidden = false;
    $('#figma-status').textContent = `${name}: ${report.written} of ${report.nodes} nodes written, ${report.failed} failed, `
      + `in ${steps} steps, ${ms.toFixed(0)} ms${drawn < nodes ? `; the first ${drawn} of ${nodes} nodes drawn` : ''}`;
    $('#progress-label').textContent = '';
    body.figmaTheme = theme.join(' ');
    body.figmaSteps = String(steps);
    body.figma = 'ready';
  } catch (e) {
    if (controller.signal.aborted) return; // a newer apply took over
    showError(e);
    body.figma = 'error';
  } finally {
    if (state.applying === controller) state.applying = null;
  }
}

async function loadFigma(name, read) {
  showError(null);
  try {
    state.figma = { name, bytes: new Uint8Array(await read()) };
    await applyFigma();
  } catch (e) {
    showError(e);
  }
}

// Loads a set from [path, read] pairs (read() -> Promise<string>).
async function load(name, entries) {
  document.body.dataset.state = 'loading';
  showError(null);
  try {
    const files = entries.filter(([path]) => path.endsWith('.json'));
    if (files.length === 0) throw new Error('no .json files among those picked');
    const total = files.length + 3;
    const texts = {};
    for (let i = 0; i < files.length; i++) {
      await progress(i, total, `reading ${files[i][0]}`);
      texts[files[i][0]] = await files[i][1]();
    }
    await progress(files.length, total, 'starting tokenflow');
    state.tf ??= await createTokenflow();
    await progress(files.length + 1, total, 'reading the token set');
    state.set?.close();
    state.set = null;
    const set = state.tf.load(texts);
    state.set = set;
    renderThemeControls(set.themes);
    await progress(files.length + 2, total, 'resolving');
    const theme = selectedThemes();
    state.page = pages[name] ?? swatchPage(colourTokens(set.resolve({ ...(theme.length ? { theme } : {}), format: 'json' }).tokens));
    buildPreview(state.page);
    show();
    await progress(total, total, `${name}: ${set.format}, ${set.sets.length} sets, ${set.themes.length} themes`);
  } catch (e) {
    showError(e);
  }
}

async function loadExample(name) {
  const list = await (await fetch('examples.json')).json();
  await load(name, list[name].map((path) => [path, async () => {
    const response = await fetch(`../tokens/${name}/${path}`);
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    return response.text();
  }]));
}

// Picked files: a folder's paths lose the folder's own name.
function picked(fileList, inFolder) {
  return [...fileList].map((file) => {
    const path = inFolder ? file.webkitRelativePath.split('/').slice(1).join('/') : file.name;
    return [path, () => file.text()];
  });
}

for (const button of document.querySelectorAll('[data-example]')) {
  button.addEventListener('click', () => loadExample(button.dataset.example));
}
$('#pick-folder').addEventListener('change', (e) => load('your folder', picked(e.target.files, true)));
$('#pick-files').addEventListener('change', (e) => load('your files', picked(e.target.files, false)));
$('[data-figma-example="card"]').addEventListener('click', () => loadFigma('card.figma.json', fetchBytes('card.figma.json')));
$('#pick-figma').addEventListener('change', (e) => {
  const [file] = e.target.files;
  if (file) loadFigma(file.name, () => file.arrayBuffer());
});

function fetchBytes(url) {
  return async () => {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    return response.arrayBuffer();
  };
}

const params = new URLSearchParams(location.search);
await loadExample(params.get('set') ?? 'demo');
if (params.get('figma') !== 'none') await loadFigma('card.figma.json', fetchBytes('card.figma.json'));

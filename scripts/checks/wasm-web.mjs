// The web example in headless Chromium (Debian's, driven by playwright-core
// from build-wasm/npm): served from 127.0.0.1 by examples/web/serve.mjs, it
// loads the bundled demo set and switches themes; the colours in the DOM
// must be the native command line's resolved values for each theme, the
// preview must not be blank, and a folder picked through the file input
// must load and switch too. Each switch also applies the theme to a Figma
// file (the bundled card, then a generated file picked through the input)
// with tf.apply: the SVG drawn from the result must show the fills that
// `tokenflow apply` writes. Prints "ok/not ok" lines and "N passed, N failed".
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { buildWasm, nativeApply, nativeResolve, root } from '../../wasm/test/native.mjs';

const { chromium } = createRequire(join(buildWasm, 'npm/package.json'))('playwright-core');

let passed = 0;
let failed = 0;
function check(name, ok, detail = '') {
  if (ok) passed++; else failed++;
  console.log(`${ok ? 'ok' : 'not ok'} ${passed + failed} - ${name}${ok || !detail ? '' : `: ${detail}`}`);
  return ok;
}

// The native build's resolved values (`tokenflow resolve DIR --theme T --format flat`)
// and applied file (`tokenflow apply --tokens DIR --theme T --doc DOC --out -`), parsed.
const nativeTokens = (dir, theme) => nativeResolve(join(root, dir), [theme]).tokens;
const nativeApplied = (dir, theme, doc) =>
  JSON.parse(nativeApply(doc, { tokens: join(root, dir), themes: [theme] }).bytes);

// Node id -> the colour of its top visible solid fill as Chromium computes
// it, for the nodes of the first page that have bounds (those drawn).
function fillsOf(file) {
  const out = new Map();
  const walk = (node) => {
    if (node.visible === false) return;
    const top = (node.fills ?? []).filter((p) => p.visible !== false).at(-1);
    if (node.absoluteBoundingBox && top?.type === 'SOLID') {
      const c = (x) => Math.round(Math.min(1, Math.max(0, x)) * 255);
      const a = Number(((top.color.a ?? 1) * (top.opacity ?? 1)).toFixed(3));
      const rgb = `${c(top.color.r)}, ${c(top.color.g)}, ${c(top.color.b)}`;
      out.set(node.id, a === 1 ? `rgb(${rgb})` : `rgba(${rgb}, ${a})`);
    }
    (node.children ?? []).forEach(walk);
  };
  file.document.children.find((c) => c.type === 'CANVAS').children.forEach(walk);
  return out;
}

// "#rrggbb[aa]" as Chromium reports a computed colour.
function cssRgb(hex) {
  const n = (i) => parseInt(hex.slice(i, i + 2), 16);
  const alpha = hex.length === 9 ? n(7) / 255 : 1;
  return alpha === 1 ? `rgb(${n(1)}, ${n(3)}, ${n(5)})` : `rgba(${n(1)}, ${n(3)}, ${n(5)}, ${Number(alpha.toFixed(3))})`;
}

// PNG (8-bit RGB or RGBA, not interlaced) -> {width, height, colours, inkShare}.
function pngStats(png) {
  let pos = 8, width, height, bpp;
  const idat = [];
  while (pos < png.length) {
    const n = png.readUInt32BE(pos);
    const kind = png.toString('latin1', pos + 4, pos + 8);
    const body = png.subarray(pos + 8, pos + 8 + n);
    if (kind === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      bpp = body[9] === 6 ? 4 : 3;
    } else if (kind === 'IDAT') idat.push(body);
    pos += 12 + n;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  let prev = Buffer.alloc(stride);
  const colours = new Set();
  let ink = 0;
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    const line = Buffer.from(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? line[x - bpp] : 0, b = prev[x], c = x >= bpp ? prev[x - bpp] : 0;
      if (f === 1) line[x] = (line[x] + a) & 255;
      else if (f === 2) line[x] = (line[x] + b) & 255;
      else if (f === 3) line[x] = (line[x] + ((a + b) >> 1)) & 255;
      else if (f === 4) {
        const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        line[x] = (line[x] + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)) & 255;
      }
    }
    for (let x = 0; x < stride; x += bpp) {
      const rgb = (line[x] << 16) | (line[x + 1] << 8) | line[x + 2];
      colours.add(rgb);
      if (rgb !== 0xffffff) ink++;
    }
    prev = line;
  }
  return { width, height, colours: colours.size, inkShare: ink / (width * height) };
}

async function startServer() {
  const server = spawn(process.execPath, [join(root, 'examples/web/serve.mjs'), '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((res, rej) => {
    server.stdout.on('data', (d) => {
      const m = /serving (http:\/\/127\.0\.0\.1:\d+\/)/.exec(String(d));
      if (m) res(m[1]);
    });
    server.on('exit', (code) => rej(new Error(`server exited (${code})`)));
  });
  return { server, url };
}

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const profile = mkdtempSync(join(tmpdir(), 'tokenflow-chromium-'));
const generated = join(profile, 'generated.figma.json'); // a picked Figma file
spawnSync('lua5.4', [join(root, 'examples/gen-doc.lua'), '--nodes', '2000', '--seed', '4', '--out', generated], { stdio: 'ignore' });
const { server, url } = await startServer();
let context;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium', headless: true, args: FLAGS, viewport: { width: 900, height: 700 },
  });
  const page = context.pages()[0] ?? await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  const background = (id) => page.$eval(`[data-node="${id}"]`, (el) => getComputedStyle(el).backgroundColor);
  const colour = (id) => page.$eval(`[data-node="${id}"]`, (el) => getComputedStyle(el).color);

  // 1. the bundled demo set, light then dark
  await page.goto(`${url}examples/web/?set=demo`);
  const ready = await page.waitForSelector('body[data-state="ready"]', { timeout: 30000 }).then(() => true, (e) => e.message);
  check('examples/web/?set=demo loads and resolves', ready === true, String(ready));
  const themes = await page.$$eval('#themes button', (bs) => bs.map((b) => b.dataset.theme));
  check('the demo set shows its themes', themes.join() === 'light,dark', themes.join());
  const light = nativeTokens('examples/tokens/demo', 'light');
  const dark = nativeTokens('examples/tokens/demo', 'dark');
  check('light: the card is drawn with card.bg of the native build',
    await background('card') === cssRgb(light['card.bg']), `${await background('card')} vs ${light['card.bg']}`);
  check('light: the primary button with button.primary.bg',
    await background('primary') === cssRgb(light['button.primary.bg']), await background('primary'));
  const lightShot = await page.locator('#preview').screenshot();
  const card = join(root, 'examples/web/card.figma.json');
  // the SVG's fills against those `tokenflow apply` writes: matched, and what differs
  const figmaFills = async (expected) => {
    const drawn = new Map(await page.$$eval('#figma svg [data-node]', (els) => els.map((e) => [e.dataset.node, getComputedStyle(e).fill])));
    const wrong = [...expected].filter(([id, fill]) => drawn.get(id) !== fill).map(([id, fill]) => `${id}: ${drawn.get(id)} vs ${fill}`);
    return { matched: expected.size - wrong.length, wrong };
  };
  const figmaReady = (theme) => page.waitForSelector(`body[data-figma="ready"][data-figma-theme="${theme}"]`, { timeout: 30000 })
    .then(() => true, (e) => e.message);
  let ok = await figmaReady('color-scheme/light');
  check('the bundled Figma file is applied (light) and drawn as SVG', ok === true, String(ok));
  const cardLight = await figmaFills(fillsOf(nativeApplied('examples/tokens/demo', 'light', card)));
  check('light: the SVG shows the fills tokenflow apply writes into the card', cardLight.matched >= 10 && cardLight.wrong.length === 0,
    JSON.stringify(cardLight));
  const figmaLightShot = await page.locator('#figma').screenshot();
  await page.click('#themes button[data-theme="dark"]');
  await page.waitForSelector('body[data-theme="color-scheme/dark"][data-state="ready"]', { timeout: 10000 }).catch(() => {});
  check('dark: the card switches to the dark card.bg',
    await background('card') === cssRgb(dark['card.bg']), `${await background('card')} vs ${dark['card.bg']}`);
  check('dark: the title text takes color.fg.default',
    await colour('title') === cssRgb(dark['color.fg.default']), await colour('title'));
  check('dark: the primary button with button.primary.bg',
    await background('primary') === cssRgb(dark['button.primary.bg']), await background('primary'));
  const darkShot = await page.locator('#preview').screenshot();
  const stats = pngStats(darkShot);
  check('the preview screenshot is not blank', stats.width > 200 && stats.colours >= 16 && stats.inkShare > 0.2,
    JSON.stringify(stats));
  check('the light and dark screenshots differ', !lightShot.equals(darkShot));
  const status = await page.textContent('#status');
  check('the status line counts tokens and plans', /\d+ tokens, 0 failed; \d+ plans for \d+ nodes/.test(status), status);
  ok = await figmaReady('color-scheme/dark');
  check('the theme switch applies dark to the Figma file', ok === true, String(ok));
  const cardDark = await figmaFills(fillsOf(nativeApplied('examples/tokens/demo', 'dark', card)));
  check('dark: the SVG shows the fills tokenflow apply writes into the card', cardDark.matched >= 10 && cardDark.wrong.length === 0,
    JSON.stringify(cardDark));
  const figmaDarkShot = await page.locator('#figma').screenshot();
  const figmaStats = pngStats(figmaDarkShot);
  check('the Figma SVG screenshot is not blank', figmaStats.width > 200 && figmaStats.colours >= 16 && figmaStats.inkShare > 0.5,
    JSON.stringify(figmaStats));
  check('the Figma SVG differs between light and dark', !figmaLightShot.equals(figmaDarkShot));
  const figmaStatus = await page.textContent('#figma-status');
  check('the apply reports its nodes, with progress steps', /^card\.figma\.json: 13 of 15 nodes written, 0 failed, in [1-9]\d* steps/.test(figmaStatus)
    && Number(await page.getAttribute('body', 'data-figma-steps')) > 0, figmaStatus);

  // a Figma file picked through the input: 2000 generated nodes, dark
  await page.setInputFiles('#pick-figma', generated);
  ok = await page.waitForFunction(() => document.body.dataset.figma === 'ready'
    && document.querySelector('#figma-status').textContent.startsWith('generated.figma.json'), null, { timeout: 60000 })
    .then(() => true, (e) => e.message);
  check('a picked Figma file is applied and drawn', ok === true, String(ok));
  const picked = await figmaFills(fillsOf(nativeApplied('examples/tokens/demo', 'dark', generated)));
  check('the picked file: the SVG shows the fills tokenflow apply writes', picked.matched > 500 && picked.wrong.length === 0,
    `${picked.matched} matched; ${picked.wrong.slice(0, 5).join('; ')}`);

  // 2. a folder picked through the file input: swatches from its colour tokens
  await page.setInputFiles('#pick-folder', join(root, 'examples/tokens/studio'));
  await page.waitForSelector('body[data-state="ready"] #themes button[data-theme="light"]', { timeout: 10000 }).catch(() => {});
  const studioLight = nativeTokens('examples/tokens/studio', 'light');
  const studioDark = nativeTokens('examples/tokens/studio', 'dark');
  const swatchOf = (name) => page.$eval(`[title="${name}"]`, (el) => getComputedStyle(el).backgroundColor).catch((e) => e.message);
  check('a picked folder loads: a swatch of color.bg in light', await swatchOf('color.bg') === cssRgb(studioLight['color.bg']),
    await swatchOf('color.bg'));
  await page.click('#themes button[data-theme="dark"]');
  await page.waitForSelector('body[data-theme="mode/dark"][data-state="ready"]', { timeout: 10000 }).catch(() => {});
  check('a picked folder switches theme: color.bg in dark', await swatchOf('color.bg') === cssRgb(studioDark['color.bg']),
    await swatchOf('color.bg'));

  // 3. a broken file is reported on the page, with the Lua API's message
  await page.setInputFiles('#pick-files', { name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from('{"a": ') });
  await page.waitForSelector('body[data-state="error"]', { timeout: 10000 }).catch(() => {});
  const error = await page.textContent('#error');
  check('a broken file shows its error', /^broken\.json: invalid JSON/.test(error), error);

  check('no errors in the console', errors.length === 0, errors.join(' | '));
} catch (e) {
  check('the browser check ran to the end', false, e.stack);
} finally {
  await context?.close();
  server.kill();
  rmSync(profile, { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;

// The web example's parts that run without a browser: its manifest of the
// bundled sets, its pages (every token they name must resolve in every
// theme), the conversion of Figma writes to CSS, its Figma file and the
// SVG drawn from a file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root, createTokenflow, readTree } from './helpers.mjs';

const { cssOf, cssColor } = await import(join(root, 'examples/web/render.js'));
const { pages, nodesOf, swatchPage } = await import(join(root, 'examples/web/pages.js'));
const { figmaSvg } = await import(join(root, 'examples/web/svg.js'));
const manifest = JSON.parse(readFileSync(join(root, 'examples/web/examples.json'), 'utf8'));

test('examples.json lists every file of the bundled sets', () => {
  for (const [name, files] of Object.entries(manifest)) {
    assert.deepEqual(files, Object.keys(readTree(join(root, 'examples/tokens', name))).sort(), name);
  }
});

test('every node of the bundled pages gets a plan without errors, in every theme', async () => {
  const tf = await createTokenflow();
  try {
    for (const [name, page] of Object.entries(pages)) {
      const set = tf.load(readTree(join(root, 'examples/tokens', name)));
      const nodes = nodesOf(page);
      for (const theme of set.themes) {
        const { plans } = set.plans(nodes.map((n) => n.tokens), { theme: theme.name });
        for (const p of plans) assert.equal(p.errors, undefined, `${name} ${theme.name}: ${JSON.stringify(p)}`);
      }
      set.close();
    }
  } finally {
    tf.close();
  }
});

test('cssOf: fills, strokes, radius, padding, gap, shadows, opacity, text', () => {
  const solid = (r, g, b, opacity = 1) => ({ type: 'SOLID', color: { r, g, b }, opacity, visible: true });
  const { style } = cssOf([
    { op: 'fills', paints: [solid(1, 0, 0), solid(0, 0, 1, 0.5)] },
    { op: 'strokes', paints: [solid(0, 1, 0)] },
    { op: 'stroke_weight', value: 2 },
    { op: 'corner_radius', value: 6 },
    { op: 'padding', top: 8, left: 16 },
    { op: 'item_spacing', value: 12 },
    { op: 'shadows', effects: [{ type: 'DROP_SHADOW', visible: true, offset: { x: 0, y: 1 }, radius: 2, spread: 0, color: { r: 0, g: 0, b: 0, a: 0.25 } }] },
    { op: 'opacity', value: 0.5 },
  ]);
  assert.deepEqual(style, {
    background: 'rgba(0, 0, 255, 0.5)', borderColor: 'rgba(0, 255, 0, 1)', borderStyle: 'solid', borderWidth: '2px',
    borderRadius: '6px', paddingTop: '8px', paddingLeft: '16px', gap: '12px',
    boxShadow: '0px 1px 2px 0px rgba(0, 0, 0, 0.25)', opacity: '0.5',
  });
  const text = cssOf([
    { op: 'fills', paints: [solid(0, 0, 0)] },
    { op: 'text_style', fields: { fontFamily: 'Inter', fontSize: 16, fontWeight: { weight: 600 }, lineHeight: { unit: 'PERCENT', value: 150 } } },
    { op: 'characters', value: 'Hi' },
  ], { isText: true });
  assert.deepEqual(text, {
    style: { color: 'rgba(0, 0, 0, 1)', fontFamily: '"Inter", system-ui, sans-serif', fontSize: '16px', fontWeight: '600', lineHeight: '150%' },
    text: 'Hi',
  });
  assert.equal(cssColor({ r: 2, g: -1, b: 0.5, a: 0.5 }), 'rgba(255, 0, 128, 0.5)');
  assert.equal(cssOf([{ op: 'fills', paints: [] }]).style.background, 'transparent');
});

test('swatchPage: a swatch per colour token, at most 120', () => {
  const names = Array.from({ length: 200 }, (_, i) => `c${i}`);
  const page = swatchPage(names);
  assert.equal(page.children.length, 120);
  assert.deepEqual(page.children[3].tokens, { fill: 'c3' });
});

test('card.figma.json: every node with a token map is written in both themes, nothing fails', async () => {
  const tf = await createTokenflow();
  try {
    const card = readFileSync(join(root, 'examples/web/card.figma.json'));
    for (const theme of ['light', 'dark']) {
      const { report } = await tf.apply(card, readTree(join(root, 'examples/tokens/demo')), { theme });
      assert.deepEqual([report.nodes, report.written, report.failed], [15, 13, 0], theme);
    }
  } finally {
    tf.close();
  }
});

test('figmaSvg: shapes, text and shadows of the first page, in document order, escaped; hidden nodes left out', () => {
  const solid = (r, g, b) => [{ type: 'SOLID', color: { r, g, b, a: 1 } }];
  const file = {
    name: 'a <b>',
    document: { id: '0:0', type: 'DOCUMENT', children: [{ id: '0:1', type: 'CANVAS', children: [
      { id: '1:1', type: 'FRAME', absoluteBoundingBox: { x: 0, y: 0, width: 100, height: 50 }, fills: solid(1, 0, 0), cornerRadius: 8,
        strokes: solid(0, 0, 1), strokeWeight: 2,
        effects: [{ type: 'DROP_SHADOW', color: { r: 0, g: 0, b: 0, a: 0.5 }, offset: { x: 0, y: 2 }, radius: 4 }], children: [
          { id: '1:2', type: 'TEXT', absoluteBoundingBox: { x: 10, y: 10, width: 80, height: 20 }, fills: solid(0, 1, 0),
            characters: 'x < y & z', style: { fontFamily: 'Inter', fontSize: 12, fontWeight: 600 } },
          { id: '1:3', type: 'ELLIPSE', absoluteBoundingBox: { x: 60, y: 10, width: 20, height: 10 }, fills: [] },
          { id: '1:4', type: 'RECTANGLE', visible: false, absoluteBoundingBox: { x: 0, y: 0, width: 1, height: 1 } },
        ] },
    ] }] },
  };
  const { svg, drawn, nodes } = figmaSvg(file);
  assert.deepEqual([drawn, nodes], [3, 3]);
  assert.deepEqual([...svg.matchAll(/data-node="([^"]+)"/g)].map((m) => m[1]), ['1:1', '1:2', '1:3']);
  assert.match(svg, /<rect data-node="1:1" filter="url\(#shadow-0\)" stroke="rgba\(0, 0, 255, 1\)" stroke-width="2" fill="rgba\(255, 0, 0, 1\)" rx="8"/);
  assert.match(svg, /<feDropShadow dx="0" dy="2" stdDeviation="2" flood-color="rgba\(0, 0, 0, 1\)" flood-opacity="0.5"\/>/);
  assert.match(svg, /<text data-node="1:2" fill="rgba\(0, 255, 0, 1\)" font-family="Inter, system-ui, sans-serif" font-size="12" font-weight="600"/);
  assert.match(svg, />x &lt; y &amp; z</);
  assert.match(svg, /<ellipse data-node="1:3" fill="none" cx="70" cy="15" rx="10" ry="5"\/>/);
  assert.match(svg, /aria-label="a &lt;b&gt;"/);
  assert.equal(figmaSvg(file, { maxNodes: 1 }).drawn, 1);
});

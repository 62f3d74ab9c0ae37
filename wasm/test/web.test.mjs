// The web example's parts that run without a browser: its manifest of the
// bundled sets, its pages (every token they name must resolve in every
// theme), and the conversion of Figma writes to CSS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root, createTokenflow, readTree } from './helpers.mjs';

const { cssOf, cssColor } = await import(join(root, 'examples/web/render.js'));
const { pages, nodesOf, swatchPage } = await import(join(root, 'examples/web/pages.js'));
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

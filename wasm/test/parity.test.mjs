// The WebAssembly build gives what the native build gives: the resolved
// values and failures of `tokenflow resolve`, on the example token sets and
// on Designsystemet, and the plans of tf.figma.map.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import {
  root, createTokenflow, readTree, nativeResolve, nativeLua, designsystemet, haveDesignsystemet,
} from './helpers.mjs';

let tf;
before(async () => { tf = await createTokenflow(); });
after(() => tf.close());

// Theme selections of each set: every theme alone, and all at once where
// they are in different groups.
const examples = [
  ['studio', [['light'], ['dark']]],
  ['demo', [['light'], ['dark']]],
  ['dtcg', [[]]],
];

for (const [name, selections] of examples) {
  const dir = join(root, 'examples/tokens', name);
  for (const themes of selections) {
    test(`examples/tokens/${name} ${themes.join(' ') || '(all sets)'}: the values and failures of the command line`, () => {
      const files = readTree(dir);
      for (const format of ['flat', 'json']) {
        const native = nativeResolve(dir, themes, format);
        const ours = tf.resolve(files, { theme: themes.length ? themes : undefined, format });
        assert.deepEqual(ours.tokens, native.tokens, format);
        assert.deepEqual(ours.failures, native.failures, format);
      }
    });
  }
}

// One theme of each group, as the benchmarks select, and the other modes.
const dsSelections = [
  ['medium', 'brand', 'Primary', 'Light', 'Semantic', 'accent', 'brand2'],
  ['large', 'brand', 'Secondary', 'Dark', 'Semantic', 'brand1', 'brand2'],
  ['small', 'brand', 'Primary', 'Dark', 'Semantic', 'accent', 'brand2'],
];

for (const themes of dsSelections) {
  test(`Designsystemet ${themes.join(' ')}: the values and failures of the command line`,
    { skip: !haveDesignsystemet && 'not generated (make wasm-deps)' }, () => {
      const native = nativeResolve(designsystemet, themes);
      const ours = tf.resolve(readTree(designsystemet), { theme: themes });
      assert.ok(Object.keys(ours.tokens).length > 400, 'a real set');
      assert.deepEqual(ours.tokens, native.tokens);
      assert.deepEqual(ours.failures, native.failures);
    });
}

test('Designsystemet: one loaded set serves every theme as loading it again does',
  { skip: !haveDesignsystemet && 'not generated (make wasm-deps)' }, () => {
    const files = readTree(designsystemet);
    const set = tf.load(files);
    try {
      for (const themes of dsSelections) {
        assert.deepEqual(set.resolve({ theme: themes }), tf.resolve(files, { theme: themes }));
      }
    } finally {
      set.close();
    }
  });

test('plans: the writes tf.figma.map gives natively, one per distinct token map', () => {
  const dir = join(root, 'examples/tokens/demo');
  const maps = [
    { fill: 'card.bg', borderRadius: 'card.radius', boxShadow: 'card.shadow' },
    { fill: 'color.fg.default', typography: 'type.body.md' },
    { boxShadow: 'card.shadow', borderRadius: 'card.radius', fill: 'card.bg' }, // the first, keys in another order
    { fill: 'no.such.token' },
    { fill: 'none', border: 'stroke.default', spacing: 'card.padding' },
  ];
  const { plans, index } = tf.plans(maps, readTree(dir), { theme: 'dark' });
  assert.deepEqual(index, [0, 1, 0, 2, 3]);
  const native = JSON.parse(nativeLua(`
    local tf = require "tokenflow"
    local jsonout = require "tokenflow.tokens.jsonout"
    local json = require "tokenflow.tokens.json"
    local r = assert(assert(tf.tokens.load("${dir}")):resolve{ theme = "dark" })
    local out = {}
    for i, m in ipairs(json.decode(INPUT, "maps")) do
      local plan, errors = tf.figma.map(m, r)
      out[i] = plan and { ops = plan } or { errors = errors }
    end
    io.write(jsonout.encode(out, { empty_array = true }))`, JSON.stringify(plans.map((p) => p.tokens))));
  assert.equal(plans.length, 4);
  plans.forEach((p, i) => {
    const { tokens, ...rest } = p;
    assert.deepEqual(rest, native[i], `plan ${i}`);
  });
  assert.ok(plans[0].ops.length > 0 && plans[2].errors.length === 1);
});

test('a set with failing tokens: the same failures, reasons and values as the command line', () => {
  const files = {
    '$metadata.json': JSON.stringify({ tokenSetOrder: ['core', 'broken'] }),
    'core.json': JSON.stringify({
      space: { value: '4px', type: 'spacing' },
      double: { value: '{space} * 2', type: 'spacing' },
      tint: { value: 'rgba({colour}, 0.5)', type: 'color' },
    }),
    'broken.json': JSON.stringify({
      missing: { value: '{no.such.token}', type: 'color' },
      loop_a: { value: '{loop_b}', type: 'spacing' },
      loop_b: { value: '{loop_a}', type: 'spacing' },
      bad_math: { value: '{space} * / 2', type: 'spacing' },
      fine: { value: '{double} + 1', type: 'spacing' },
    }),
  };
  const dir = mkdtempSync(join(tmpdir(), 'tokenflow-wasm-'));
  try {
    for (const [path, text] of Object.entries(files)) writeFileSync(join(dir, path), text);
    const native = nativeResolve(dir);
    assert.equal(native.code, 1);
    const ours = tf.resolve(files);
    assert.ok(ours.failures.length >= 4, JSON.stringify(ours.failures));
    assert.deepEqual(ours.failures, native.failures);
    assert.deepEqual(ours.tokens, native.tokens);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

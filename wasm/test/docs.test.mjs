// The JavaScript examples of docs/wasm.md run: every ```js block (```javascript
// and ```html blocks need a browser or a plugin host and are only shown) runs
// as a module in a fresh Node process from the project root, importing the
// module just built.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { root, modulePath } from './helpers.mjs';

const doc = readFileSync(join(root, 'docs/wasm.md'), 'utf8');
const blocks = [...doc.matchAll(/\n```js\n([\s\S]*?)\n```/g)].map((m) => m[1]);

test('docs/wasm.md has runnable examples', () => assert.ok(blocks.length > 0));

blocks.forEach((code, i) => {
  test(`docs/wasm.md example ${i + 1} runs`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokenflow-docs-'));
    try {
      const file = join(dir, 'example.mjs');
      writeFileSync(file, code.replaceAll("'./tokenflow.mjs'", `'${pathToFileURL(modulePath).href}'`));
      const r = spawnSync(process.execPath, [file], { cwd: root, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /\S/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

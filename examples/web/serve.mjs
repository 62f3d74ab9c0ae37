// A static server for the web example (and the checks and benchmarks that
// load it in Chromium): serves examples/, bench/ and build-wasm/ of this
// tree on 127.0.0.1, with the MIME types browsers need (application/wasm
// lets them compile while downloading).
//   node examples/web/serve.mjs [PORT]     default 8080; 0 picks a free port
// Prints "serving http://127.0.0.1:PORT/examples/web/" once listening.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const served = ['examples/', 'bench/', 'build-wasm/'];
const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.ts': 'text/plain; charset=utf-8',
};

const server = createServer(async (req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  let path = normalize(decodeURIComponent(url.pathname)).replace(/^\/+/, '');
  if (path.endsWith('/') || path === '') path += 'index.html';
  if (req.method !== 'GET' || path.includes('..') || !served.some((p) => path.startsWith(p))) {
    res.writeHead(404).end('not found');
    return;
  }
  try {
    const body = await readFile(join(root, path));
    res.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(body);
  } catch {
    res.writeHead(404).end('not found');
  }
});

const port = Number(process.argv[2] ?? 8080);
server.listen(port, '127.0.0.1', () => {
  console.log(`serving http://127.0.0.1:${server.address().port}/examples/web/`);
});

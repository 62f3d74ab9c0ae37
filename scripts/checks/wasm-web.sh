#!/bin/sh
# The web example (examples/web/) in headless Chromium: builds the
# WebAssembly module (make wasm, incremental) and the npm packages it needs
# (scripts/wasm-deps.sh), then scripts/checks/wasm-web.mjs serves the page on
# 127.0.0.1, switches themes and checks the DOM against the native build.
set -u
. "$(dirname "$0")/../check-lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! scripts/wasm-build.sh > "$tmp/build.log" 2>&1; then
  fail "make wasm"; tail -30 "$tmp/build.log"; summary; exit
fi
if ! scripts/wasm-deps.sh > "$tmp/deps.log" 2>&1; then
  fail "npm packages (scripts/wasm-deps.sh)"; tail -20 "$tmp/deps.log"; summary; exit
fi
# its own "N passed, N failed" line ends the output
node scripts/checks/wasm-web.mjs

#!/bin/sh
# What the WebAssembly checks and benchmarks need from npm (the registry
# only), installed once into the build folder: playwright-core (drives
# Debian's Chromium headless) and typescript (checks tokenflow.d.ts) in
# build-wasm/npm, and the Designsystemet token
# set with Style Dictionary in build-wasm/tokensets (bench/fetch-tokensets.sh).
# Does nothing when they are there.
set -eu
cd "$(dirname "$0")/.."
out=${BUILD_WASM:-build-wasm}
mkdir -p "$out/npm"
if [ ! -f "$out/npm/node_modules/playwright-core/package.json" ] || [ ! -f "$out/npm/node_modules/typescript/package.json" ]; then
  (cd "$out/npm" && { [ -f package.json ] || npm init -y >/dev/null; } &&
    npm install --no-audit --no-fund --loglevel=error playwright-core typescript >/dev/null)
fi
if [ ! -f "$out/tokensets/designsystemet/\$metadata.json" ] ||
   [ ! -f "$out/tokensets/npm/node_modules/style-dictionary/package.json" ]; then
  bench/fetch-tokensets.sh "$out/tokensets"
fi

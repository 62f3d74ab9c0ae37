#!/bin/sh
# Runs every benchmark in bench/ (bench/*_bench.lua, then bench/*_bench.mjs
# with Node) against the release build. Each prints lines "bench <name>
# <ratio> <details>"; ratios compare against a baseline run in the same
# process. BENCH=name runs only bench/name_bench.lua (or .mjs).
set -eu
cd "$(dirname "$0")/.."
export LUA_PATH="./lua/?.lua;./lua/?/init.lua;./bench/?.lua;;"
export LUA_CPATH="./${BUILD:-build}/?.so;;"
status=0
for f in bench/*_bench.lua; do
  name=$(basename "$f" _bench.lua)
  if [ -n "${BENCH:-}" ] && [ "$BENCH" != "$name" ]; then continue; fi
  lua5.4 "$f" || status=1
done
# Node benchmarks (the WebAssembly build: make wasm wasm-deps first)
for f in bench/*_bench.mjs; do
  name=$(basename "$f" _bench.mjs)
  if [ -n "${BENCH:-}" ] && [ "$BENCH" != "$name" ]; then continue; fi
  node "$f" || status=1
done
exit $status

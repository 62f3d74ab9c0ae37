#!/bin/sh
# Builds the WebAssembly module (`make wasm`): build-wasm/tokenflow.mjs, its
# tokenflow.wasm and tokenflow.d.ts, from Debian's emscripten (scripts/deps.sh
# installs it) and the source packages of Lua, LPeg and lua-cjson
# (scripts/wasm-sources.sh, fetched once into build-wasm/src). Incremental:
# a second run rebuilds only what changed.
#   BUILD_WASM=dir  build folder (default build-wasm)
#   WASM_LUA=source build the Lua modules in as source, not bytecode
#   WASM_OPT=-Oz    optimisation flags (default -O2)
set -eu
cd "$(dirname "$0")/.."
out=${BUILD_WASM:-build-wasm}
mkdir -p "$out"
out=$(cd "$out" && pwd)
scripts/wasm-sources.sh "$out/src"
# emcc runs its JavaScript optimizer with Node, which needs Debian's acorn.
export NODE_PATH=/usr/share/nodejs
emcmake cmake -S wasm -B "$out" -DTF_WASM_SOURCES="$out/src" \
  -DTF_WASM_LUA="${WASM_LUA:-bytecode}" -DTF_WASM_OPT="${WASM_OPT:--O2}" >"$out/configure.log" 2>&1 ||
  { cat "$out/configure.log" >&2; exit 1; }
cmake --build "$out" -j "${JOBS:-2}"
# the link writes both files; make knows only the .mjs
if [ ! -f "$out/tokenflow.wasm" ]; then
  rm -f "$out/tokenflow.mjs"
  cmake --build "$out" -j "${JOBS:-2}"
fi

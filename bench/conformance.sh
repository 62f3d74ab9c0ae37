#!/bin/sh
# Compares tokenflow's resolution with Style Dictionary 5 + sd-transforms on a
# real token set and prints match/total and every difference.
#   bench/conformance.sh [DIR] [--theme NAME]...
# DIR defaults to the Designsystemet set fetched by bench/fetch-tokensets.sh
# (run it first), with one theme per group.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
sets=${TOKENSETS_DIR:-/tmp/tokenflow-tokensets}
[ -d "$sets/npm/node_modules/style-dictionary" ] || "$root/bench/fetch-tokensets.sh" "$sets"
cp "$root/bench/sd-resolve.mjs" "$sets/npm/"
target=${1:-$sets/designsystemet}
[ $# -gt 0 ] && shift
if [ $# -eq 0 ]; then
  set -- --theme medium --theme brand --theme Primary --theme Light --theme Semantic --theme accent --theme brand2
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
(cd "$sets/npm" && node sd-resolve.mjs "$target" "$@") > "$out/sd.json"
"$root/bin/tokenflow" resolve "$target" "$@" --format flat > "$out/ours.json" 2> "$out/ours.err" || true
cd "$root"
LUA_PATH="./lua/?.lua;./lua/?/init.lua;;" lua5.4 bench/conformance.lua "$out/ours.json" "$out/sd.json"

#!/bin/sh
# Compares tokenflow's resolution with Style Dictionary 5 + sd-transforms on a
# real token set and prints match/total and every difference.
#   bench/conformance.sh [DIR [--theme NAME]... | DIR --dtcg]
# DIR defaults to the Designsystemet set fetched by bench/fetch-tokensets.sh
# (run first if missing), with one theme per group; then the small probe set
# bench/conformance-probe shows where Tokens Studio semantics (which we
# follow) and sd-transforms differ; then 500 random colour modifiers. CONFORMANCE_VERBOSE=1 lists every token.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
sets=${TOKENSETS_DIR:-/tmp/tokenflow-tokensets}
[ -d "$sets/npm/node_modules/style-dictionary" ] || "$root/bench/fetch-tokensets.sh" "$sets"
cp "$root/bench/sd-resolve.mjs" "$sets/npm/"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

compare() { # DIR [--theme NAME]...
  target=$1; shift
  echo "== $target $*"
  (cd "$sets/npm" && node sd-resolve.mjs "$target" "$@") > "$out/sd.json"
  ours_args=$(echo "$@" | sed 's/--dtcg/--input-format dtcg/')
  # shellcheck disable=SC2086
  "$root/bin/tokenflow" resolve "$target" $ours_args --format flat > "$out/ours.json" 2> "$out/ours.err" || true
  (cd "$root" && LUA_PATH="./lua/?.lua;./lua/?/init.lua;;" lua5.4 bench/conformance.lua "$out/ours.json" "$out/sd.json")
}

if [ $# -gt 0 ]; then
  compare "$@"
else
  compare "$sets/designsystemet" --theme medium --theme brand --theme Primary --theme Light \
    --theme Semantic --theme accent --theme brand2
  compare "$root/bench/conformance-probe"
  compare "$root/examples/tokens/dtcg" --dtcg
  compare "$root/bench/conformance-probe-dtcg" --dtcg
  echo "== colour modifiers, 500 random cases"
  cp "$root/bench/sd-modify.mjs" "$sets/npm/"
  (cd "$root" && LUA_PATH="./lua/?.lua;./lua/?/init.lua;;" lua5.4 bench/conformance-colors.lua gen 500 "$out/cases.json")
  (cd "$sets/npm" && node sd-modify.mjs "$out/cases.json") > "$out/expected.json"
  (cd "$root" && LUA_PATH="./lua/?.lua;./lua/?/init.lua;;" lua5.4 bench/conformance-colors.lua compare "$out/cases.json" "$out/expected.json")
fi

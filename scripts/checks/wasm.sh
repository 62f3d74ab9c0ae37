#!/bin/sh
# The WebAssembly build: `make wasm` builds it (incrementally, in
# build-wasm/), then Node's test runner runs the JavaScript API's tests
# (wasm/test/*.test.mjs; helpers.mjs and native.mjs are shared by them),
# parity with the native release build (./build) included. npm packages and the Designsystemet set come from
# scripts/wasm-deps.sh (the npm registry, once). Each step and each test is
# one pass or fail.
set -u
. "$(dirname "$0")/../check-lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if scripts/wasm-build.sh > "$tmp/build.log" 2>&1; then
  ok "make wasm"
else
  fail "make wasm"; tail -30 "$tmp/build.log"; summary; exit
fi
if scripts/wasm-deps.sh > "$tmp/deps.log" 2>&1; then
  ok "npm packages and token sets (scripts/wasm-deps.sh)"
else
  fail "npm packages and token sets (scripts/wasm-deps.sh)"; tail -20 "$tmp/deps.log"
fi

# the TypeScript declarations, with the TypeScript compiler from npm
tsc=build-wasm/npm/node_modules/.bin/tsc
if "$tsc" --strict --noEmit --skipLibCheck --target es2022 --module nodenext --moduleResolution nodenext \
    --lib es2022,dom wasm/test/types.mts > "$tmp/tsc.out" 2>&1; then
  ok "tokenflow.d.ts: a program using the API type-checks (tsc --strict), its misuses do not"
else
  fail "tokenflow.d.ts: tsc --strict on wasm/test/types.mts"; cat "$tmp/tsc.out"
fi

# TAP from node: top-level "ok N - name" / "not ok N - name" lines
node --expose-gc --test --test-reporter=tap wasm/test/*.test.mjs > "$tmp/node.out" 2>&1
node_rc=$?
while IFS= read -r line; do
  case $line in
    "not ok "*) fail "node: ${line#not ok * - }" ;;
    "ok "*"# SKIP"*) fail "node: ${line#ok * - } (skipped)" ;;
    "ok "*) ok "node: ${line#ok * - }" ;;
  esac
done < "$tmp/node.out"
if grep -q '^not ok' "$tmp/node.out" || ! grep -q '^# pass [1-9]' "$tmp/node.out"; then
  grep -vE '^ *(ok|#|---|\.\.\.|duration_ms|1\.\.)' "$tmp/node.out" | head -60
fi
# node ran no test, or ended badly without saying which test failed: a failure too
if ! grep -q '^# pass [1-9]' "$tmp/node.out"; then
  fail "node --test: no test passed"
elif [ "$node_rc" -ne 0 ] && ! grep -q '^not ok' "$tmp/node.out"; then
  fail "node --test exited with $node_rc"
fi
summary

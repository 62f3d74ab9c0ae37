#!/bin/sh
# The API reference builds without an LDoc warning (scripts/docs.sh), the C
# binding's types are in it, and a module LDoc warns about does fail the
# build. Ends with "N passed, N failed".
set -u
. "$(dirname "$0")/../check-lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! command -v ldoc > /dev/null; then
  echo "ldoc not installed (scripts/deps.sh installs lua-ldoc)"; fail "ldoc"; summary; exit
fi
if scripts/docs.sh "$tmp/docs" > "$tmp/log" 2>&1; then ok "$(tail -1 "$tmp/log")"; else cat "$tmp/log"; fail "LDoc without warnings"; fi
page=$tmp/docs/modules/tokenflow.core.html
for name in tf.cache Cache:get Pool:submit Task:result Store:vacuum Interner:intern ViewportIndex:query Walk:stats \
  Histogram:quantile; do
  if grep -q "$name" "$page" 2>/dev/null; then ok "tokenflow.core documents $name"; else fail "tokenflow.core documents $name"; fi
done
if grep -q "Module <code>tokenflow</code>" "$tmp/docs/modules/tokenflow.html" 2>/dev/null; then ok "the facade has its page"
else fail "the facade has its page"; fi
# control: a parameter the function does not have is an LDoc warning, and
# it fails the build
mkdir -p "$tmp/bad"
printf -- '--- A module.\n-- @module bad\nlocal M = {}\n--- Does it.\n-- @param x the x\n-- @param y why\nfunction M.f(x) return x end\nreturn M\n' \
  > "$tmp/bad/bad.lua"
if scripts/docs.sh "$tmp/control" "$tmp/bad" > "$tmp/log" 2>&1; then fail "an LDoc warning fails make docs"
elif grep -q "extra param with no formal argument: 'y'" "$tmp/log"; then ok "an LDoc warning fails make docs"
else cat "$tmp/log"; fail "an LDoc warning fails make docs"; fi
summary

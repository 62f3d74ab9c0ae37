#!/bin/sh
# luacheck (Debian: lua-check) over every Lua file of the project, as
# configured by .luacheckrc: any warning fails. Ends with "N passed, N failed".
set -u
. "$(dirname "$0")/../check-lib.sh"
if ! command -v luacheck > /dev/null; then
  echo "luacheck not installed (scripts/deps.sh installs lua-check)"; fail "luacheck"; summary; exit
fi
out=$(luacheck . --no-color --codes 2>&1)
rc=$?
total=$(echo "$out" | tail -1)
if [ "$rc" -eq 0 ]; then ok "luacheck: $total"; else echo "$out" | grep -v '^Checking .* OK$'; fail "luacheck: $total"; fi
summary

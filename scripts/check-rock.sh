#!/bin/sh
# Builds and installs the rock with LuaRocks into a temporary tree, offline:
# its dependencies (LPeg, lua-cjson, LuaFileSystem) come from the system's
# packages, so none is fetched (--deps-mode=none). Then loads tokenflow from
# that tree alone, and checks the rockspec lists what the module requires.
set -eu
cd "$(dirname "$0")/.."
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
luarocks --lua-version=5.4 --tree="$tree" make --deps-mode=none tokenflow-scm-1.rockspec >"$tree.log" 2>&1 || {
  cat "$tree.log"; rm -f "$tree.log"; exit 1; }
rm -f "$tree.log"
LUA_PATH="$tree/share/lua/5.4/?.lua;$tree/share/lua/5.4/?/init.lua" \
LUA_CPATH="$tree/lib/lua/5.4/?.so;/usr/lib/x86_64-linux-gnu/lua/5.4/?.so;/usr/local/lib/lua/5.4/?.so" \
  lua5.4 -e 'local tf = require "tokenflow"; print("tokenflow " .. tf.version .. " from " .. package.searchpath("tokenflow.core", package.cpath))'
# every module the Lua side requires outside tokenflow is a listed dependency
lua5.4 scripts/rock-deps.lua tokenflow-scm-1.rockspec
# the command, with the tree's paths as `luarocks path` gives them (the
# dependencies being the system's, LuaRocks' loader does not place them)
test -x "$tree/bin/tokenflow"
eval "$(luarocks --lua-version=5.4 --tree="$tree" path)"
test "$(command -v tokenflow)" = "$tree/bin/tokenflow"
tokenflow --version
tokenflow resolve examples/tokens/studio --theme dark --format flat >/dev/null
echo "tokenflow command installed: $tree/bin/tokenflow"

#!/bin/sh
# Builds and installs the rock with LuaRocks into a temporary tree (offline:
# no dependency is fetched) and loads tokenflow from that tree alone.
set -eu
cd "$(dirname "$0")/.."
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
luarocks --lua-version=5.4 --tree="$tree" make tokenflow-scm-1.rockspec >"$tree.log" 2>&1 || {
  cat "$tree.log"; rm -f "$tree.log"; exit 1; }
rm -f "$tree.log"
LUA_PATH="$tree/share/lua/5.4/?.lua;$tree/share/lua/5.4/?/init.lua" \
LUA_CPATH="$tree/lib/lua/5.4/?.so;/usr/lib/x86_64-linux-gnu/lua/5.4/?.so;/usr/local/lib/lua/5.4/?.so" \
  lua5.4 -e 'local tf = require "tokenflow"; print("tokenflow " .. tf.version .. " from " .. package.searchpath("tokenflow.core", package.cpath))'
test -x "$tree/bin/tokenflow"
"$tree/bin/tokenflow" resolve examples/tokens/studio --theme dark --format flat >/dev/null
echo "tokenflow command installed: $tree/bin/tokenflow"

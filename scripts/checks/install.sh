#!/bin/sh
# make install into temporary places, then tokenflow used from there alone,
# outside the source tree: require "tokenflow" on Debian lua5.4's own search
# path (moved into a DESTDIR), the command from another directory and by
# name on the PATH, the README's REPL session; make uninstall removes every
# file. Ends with "N passed, N failed".
set -u
. "$(dirname "$0")/../check-lib.sh"
unset LUA_PATH LUA_CPATH
root=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
check() { # name command...
  name=$1; shift
  if "$@" > "$tmp/check.log" 2>&1; then ok "$name"; else fail "$name"; cat "$tmp/check.log"; fi
}
version=$(LUA_PATH="./lua/?.lua;./lua/?/init.lua;;" LUA_CPATH="./${BUILD:-build}/?.so;;" lua5.4 -e 'io.write(require("tokenflow").version)')

# The default directories are on Debian lua5.4's search path.
check "default LUADIR and LIBDIR are where lua5.4 looks" lua5.4 -e '
  assert(package.path:find("/usr/local/share/lua/5.4/?.lua;", 1, true), package.path)
  assert(package.path:find("/usr/local/share/lua/5.4/?/init.lua;", 1, true), package.path)
  assert(package.cpath:find("/usr/local/lib/lua/5.4/?.so;", 1, true), package.cpath)'

# DESTDIR with the default PREFIX, loaded with lua5.4's default paths moved
# into the stage.
stage=$tmp/stage
check "make install DESTDIR=..." make -s install DESTDIR="$stage"
LUA_PATH=$(lua5.4 -e "io.write((package.path:gsub('/usr/local/', '$stage/usr/local/')))")
LUA_CPATH=$(lua5.4 -e "io.write((package.cpath:gsub('/usr/local/', '$stage/usr/local/')))")
export LUA_PATH LUA_CPATH
check "require \"tokenflow\" from the stage, outside the source tree" sh -c "cd / && lua5.4 -e '
  local tf = require \"tokenflow\"
  assert(tf.version == \"$version\")
  for _, m in ipairs { \"tokenflow\", \"tokenflow.cli\", \"tokenflow.tokens\" } do
    assert(package.searchpath(m, package.path):find(\"$stage/usr/local/share/lua/5.4/tokenflow/\", 1, true), m)
  end
  assert(package.searchpath(\"tokenflow.core\", package.cpath) == \"$stage/usr/local/lib/lua/5.4/tokenflow/core.so\")
  local set = assert(tf.tokens.load(\"$root/examples/tokens/studio\"))
  assert(set:resolve { theme = \"dark\" }:get(\"color.bg\") == \"#1b2430\")'"
check "the staged command refers to PREFIX, not DESTDIR" \
  grep -q "^local lua_dir, lib_dir = \"/usr/local/share/lua/5.4\", \"/usr/local/lib/lua/5.4\"$" "$stage/usr/local/bin/tokenflow"
check "the README's REPL session, from the stage" lua5.4 scripts/checks/readme-repl.lua README.md
check "make uninstall DESTDIR=... removes every file" make -s uninstall DESTDIR="$stage"
check "nothing left in the stage but PREFIX" sh -c "test -z \"\$(find '$stage' -mindepth 1 ! -path '$stage/usr' ! -path '$stage/usr/local')\""
unset LUA_PATH LUA_CPATH

# PREFIX: the command, by name on the PATH, from another directory, with a
# LUA_PATH that would break it if it used anything but its own modules.
prefix=$tmp/prefix
check "make install PREFIX=..." make -s install PREFIX="$prefix"
check "the command's shebang is lua5.4" sh -c "head -1 '$prefix/bin/tokenflow' | grep -qx '#!$(command -v lua5.4)'"
mkdir -p "$tmp/decoy/tokenflow"
echo 'error("a tokenflow outside the installed one was loaded")' > "$tmp/decoy/tokenflow/cli.lua"
run() { (cd / && PATH="$prefix/bin:$PATH" LUA_PATH="$tmp/decoy/?.lua;;" "$@"); }
check "tokenflow --version" sh -c "test \"\$(cd / && PATH='$prefix/bin':\"\$PATH\" LUA_PATH='$tmp/decoy/?.lua;;' tokenflow --version)\" = 'tokenflow $version'"
check "tokenflow resolve" run tokenflow resolve "$root/examples/tokens/studio" --theme dark --format flat
grep -q '"color.bg":"#1b2430"' "$tmp/check.log" && ok "tokenflow resolve prints the set" || fail "tokenflow resolve prints the set"
lua5.4 examples/gen-doc.lua --nodes 300 --seed 5 --out "$tmp/doc.json" 2>/dev/null
check "tokenflow apply" run tokenflow apply --tokens "$root/examples/tokens/demo" --theme dark --doc "$tmp/doc.json" \
  --out "$tmp/out.json" --quiet
check "tokenflow help apply" run tokenflow help apply
check "make uninstall PREFIX=... removes every file" make -s uninstall PREFIX="$prefix"
check "nothing left in PREFIX" sh -c "test -z \"\$(find '$prefix' -mindepth 1)\""
summary

#!/bin/sh
# Installs tokenflow (`scripts/install.sh install`) or removes what that
# installs (`scripts/install.sh uninstall`):
#   the Lua modules       lua/tokenflow/**         -> $LUADIR/tokenflow/
#   the C module          $BUILD/tokenflow/core.so -> $LIBDIR/tokenflow/core.so
#   the command           bin/tokenflow            -> $BINDIR/tokenflow
# The defaults are where Debian's lua5.4 looks under PREFIX (/usr/local):
# $PREFIX/share/lua/5.4 and $PREFIX/lib/lua/5.4. DESTDIR, when set, is put in
# front of every path written to, not of the paths the command refers to.
set -eu
cd "$(dirname "$0")/.."

PREFIX=${PREFIX:-/usr/local}
LUADIR=${LUADIR:-$PREFIX/share/lua/5.4}
LIBDIR=${LIBDIR:-$PREFIX/lib/lua/5.4}
BINDIR=${BINDIR:-$PREFIX/bin}
BUILD=${BUILD:-build}
DESTDIR=${DESTDIR:-}

# Each installed file: "source destination mode" (destination without DESTDIR).
files() {
  find lua/tokenflow -type f -name '*.lua' | LC_ALL=C sort | while read -r f; do
    echo "$f $LUADIR/${f#lua/} 644"
  done
  echo "$BUILD/tokenflow/core.so $LIBDIR/tokenflow/core.so 755"
  echo "bin/tokenflow $BINDIR/tokenflow 755"
}

# Removes dir and then its parents while they are empty, up to PREFIX
# (never PREFIX itself, never a directory that holds anything).
prune() {
  d=$1
  while [ "$d" != "$DESTDIR$PREFIX" ] && [ "$d" != "/" ] && rmdir "$d" 2>/dev/null; do
    d=$(dirname "$d")
  done
}

case "${1:-}" in
install)
  test -f "$BUILD/tokenflow/core.so" || { echo "$BUILD/tokenflow/core.so is missing: run make build" >&2; exit 1; }
  lua=$(command -v lua5.4) || { echo "lua5.4 not found" >&2; exit 1; }
  files | while read -r src dest mode; do
    mkdir -p "$DESTDIR$(dirname "$dest")"
    if [ "$src" = bin/tokenflow ]; then
      # the command: lua5.4 by its absolute path, and the installed
      # directories in place of the source tree's
      sed -e "1s|.*|#!$lua|" \
          -e '/^local root = /d' \
          -e "s|^local lua_dir, lib_dir = .*|local lua_dir, lib_dir = \"$LUADIR\", \"$LIBDIR\"|" \
          "$src" > "$DESTDIR$dest.tmp"
      chmod "$mode" "$DESTDIR$dest.tmp"
      mv "$DESTDIR$dest.tmp" "$DESTDIR$dest"
    else
      install -m "$mode" "$src" "$DESTDIR$dest"
    fi
  done
  echo "installed tokenflow: modules in $DESTDIR$LUADIR/tokenflow, $DESTDIR$LIBDIR/tokenflow; command $DESTDIR$BINDIR/tokenflow"
  ;;
uninstall)
  files | while read -r _ dest _; do
    rm -f "$DESTDIR$dest"
  done
  # the folders install made, deepest first, while they are empty
  files | while read -r _ dest _; do dirname "$dest"; done | LC_ALL=C sort -ru | while read -r d; do
    prune "$DESTDIR$d"
  done
  echo "removed tokenflow from $DESTDIR$PREFIX"
  ;;
*)
  echo "usage: scripts/install.sh install|uninstall (PREFIX, DESTDIR, LUADIR, LIBDIR, BINDIR, BUILD)" >&2
  exit 2
  ;;
esac

#!/bin/sh
# Installs what building and testing tokenflow needs and is missing, from
# Debian's packages. Run as root (or with sudo available); does nothing when
# everything is there.
set -eu

need=""
have_cmd() { command -v "$1" >/dev/null 2>&1; }
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"; }

for pkg in lua5.4 liblua5.4-dev lua-busted lua-cjson lua-lpeg cmake make gcc \
           libsqlite3-dev luarocks valgrind lua-filesystem \
           lua-argparse lua-ldoc lua-markdown lua-check \
           clang libclang-rt-14-dev prometheus chromium time emscripten dpkg-dev; do
  have_pkg "$pkg" || need="$need $pkg"
done
# Node and npm (specs check written files with JSON.parse; the WebAssembly
# build's tests and benchmarks): any install will do, Debian's when there is none.
have_cmd node || need="$need nodejs"
have_cmd npm || need="$need npm"

if [ -z "$need" ]; then
  exit 0
fi

echo "installing:$need"
if [ "$(id -u)" = 0 ]; then SUDO=""; elif have_cmd sudo; then SUDO="sudo"; else
  echo "missing packages:$need (run as root or install them)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $need >/dev/null

#!/bin/sh
# Unpacks the C sources of Lua 5.4, LPeg and lua-cjson from Debian's source
# packages into DIR (default build-wasm/src), for the WebAssembly build. Does
# nothing when they are there. The deb-src entries are derived from this
# machine's apt sources (the entries of its Debian release) and kept, with
# apt's lists, inside DIR: the system's apt configuration is not touched.
#   scripts/wasm-sources.sh [DIR]
set -eu
dir=${1:-build-wasm/src}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
packages="lua5.4 lua-lpeg lua-cjson"

have_all() {
  ls -d "$dir"/lua5.4-*/src >/dev/null 2>&1 &&
    ls -d "$dir"/lua-lpeg-*/lptree.c >/dev/null 2>&1 &&
    ls -d "$dir"/lua-cjson-*/lua_cjson.c >/dev/null 2>&1
}
have_all && exit 0

codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
if [ -z "$codename" ]; then
  echo "wasm-sources: cannot tell the Debian release (VERSION_CODENAME in /etc/os-release)" >&2
  exit 1
fi

apt="$dir/apt"
mkdir -p "$apt/parts" "$apt/lists/partial" "$apt/cache/archives/partial"
: > "$apt/sources.list"

# One-line entries ("deb [opts] URI SUITE COMPONENTS...") of the release:
# the same with deb-src.
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
  [ -f "$f" ] || continue
  awk -v rel="$codename" '
    $1 == "deb" {
      i = 2
      if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
      suite = $(i + 1)
      if (suite == rel || index(suite, rel "-") == 1) { $1 = "deb-src"; print }
    }' "$f" >> "$apt/sources.list"
done

# deb822 stanzas: those with a suite of the release, as deb-src.
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  awk -v rel="$codename" '
    BEGIN { RS = ""; FS = "\n" }
    {
      deb = 0; ours = 0; enabled = 1; out = ""
      for (i = 1; i <= NF; i++) {
        line = $i
        if (line ~ /^#/) continue
        if (line ~ /^Types:/) { if (line ~ /[ \t]deb([ \t]|$)/) deb = 1; line = "Types: deb-src" }
        if (line ~ /^Enabled:[ \t]*no/) enabled = 0
        if (line ~ /^Suites:/) {
          n = split(substr(line, 8), s, /[ \t]+/); kept = ""
          for (j = 1; j <= n; j++) if (s[j] == rel || index(s[j], rel "-") == 1) kept = kept " " s[j]
          if (kept != "") ours = 1
          line = "Suites:" kept
        }
        out = out line "\n"
      }
      if (deb && ours && enabled) printf "%s\n", out
    }' "$f" >> "$apt/parts/deb-src.sources"
done

if [ ! -s "$apt/sources.list" ] && [ ! -s "$apt/parts/deb-src.sources" ]; then
  echo "wasm-sources: no apt source of Debian $codename found to derive a deb-src entry from" >&2
  exit 1
fi

run_apt() {
  apt-get -q -o Dir::Etc::SourceList="$apt/sources.list" -o Dir::Etc::SourceParts="$apt/parts" \
    -o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt/cache" -o APT::Sandbox::User="$(id -un)" "$@"
}
echo "wasm-sources: fetching the source packages $packages (Debian $codename)"
run_apt update >"$apt/update.log" 2>&1 || { cat "$apt/update.log" >&2; exit 1; }
# shellcheck disable=SC2086
(cd "$dir" && run_apt source $packages >"$apt/source.log" 2>&1) || { cat "$apt/source.log" >&2; exit 1; }
have_all || { echo "wasm-sources: the source packages did not unpack as expected in $dir" >&2; exit 1; }
# apt's lists are only needed for fetching
rm -rf "$apt/lists" "$apt/cache"

#!/bin/sh
# The API reference: LDoc (config.ld) over lua/ and over the C binding's
# comments, which scripts/ldoc-c.lua writes as Lua to build/ldoc/. Writes
# OUT (default build/docs); any LDoc warning fails it. SOURCE, when given,
# is what LDoc reads instead of config.ld's files.
# usage: scripts/docs.sh [OUT [SOURCE]]
set -eu
cd "$(dirname "$0")/.."
out=${1:-build/docs}
mkdir -p build/ldoc
lua5.4 scripts/ldoc-c.lua build/ldoc/core.lua > /dev/null
rm -rf "$out"
if ! log=$(ldoc -c config.ld -d "$out" "${2:-.}" 2>&1); then
  echo "$log"; exit 1
fi
warnings=$(echo "$log" | grep -v -e '^reading configuration from ' -e '^output written to ' || true)
if [ -n "$warnings" ]; then
  echo "$warnings"
  echo "LDoc warnings (above): make docs fails until they are fixed" >&2
  exit 1
fi
echo "API reference: $out/index.html ($(find "$out" -name '*.html' | wc -l) pages)"

#!/bin/sh
# tokenflow apply against real tools: promtool parses its --metrics output
# (Prometheus exposition format), its --json summary and its output document
# are valid JSON, --chart writes SVG. Ends with "N passed, N failed".
set -u
. "$(dirname "$0")/../check-lib.sh"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
check() { # name command...
  name=$1; shift
  if "$@" > "$dir/check.log" 2>&1; then echo "ok $name"; passed=$((passed + 1))
  else echo "not ok $name"; cat "$dir/check.log"; failed=$((failed + 1)); fi
}

lua5.4 examples/gen-doc.lua --nodes 5000 --seed 11 --out "$dir/doc.json" 2>/dev/null
bin/tokenflow apply --tokens examples/tokens/demo --theme dark --doc "$dir/doc.json" --out "$dir/out.json" \
  --json --metrics "$dir/metrics.prom" --chart "$dir/chart.svg" > "$dir/summary.json"
rc=$?
check "apply exits 0" test "$rc" -eq 0
if command -v promtool > /dev/null; then
  # exit 1: the text does not parse; exit 3: it parses, with naming lint
  # findings (printed for the record, not a format error)
  promtool check metrics < "$dir/metrics.prom" > "$dir/lint.txt" 2>&1
  prc=$?
  [ -s "$dir/lint.txt" ] && sed 's/^/promtool lint: /' "$dir/lint.txt"
  check "promtool parses the metrics" test "$prc" -eq 0 -o "$prc" -eq 3
else
  echo "promtool not installed (scripts/deps.sh installs it)"; failed=$((failed + 1))
fi
check "summary is JSON" lua5.4 -e "local t = require('cjson').decode(io.open('$dir/summary.json'):read('a')) assert(t.nodes == 5000)"
check "output is JSON with the document" lua5.4 -e "local t = require('cjson').decode(io.open('$dir/out.json'):read('a')) assert(t.document.type == 'DOCUMENT')"
check "chart is SVG" grep -q "<svg" "$dir/chart.svg"
summary

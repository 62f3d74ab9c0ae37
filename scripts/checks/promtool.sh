#!/bin/sh
# promtool check metrics on reg:prometheus() output: every metric kind, with
# and without labels, +Inf/-Inf/NaN, label values with quotes, backslashes
# and newlines, counters ending in _total (cases in promtool-cases.lua);
# then broken expositions that promtool must reject, so this check can
# fail. Each case is one pass or fail. Needs the release build (./build).
set -u
. "$(dirname "$0")/../check-lib.sh"

if ! command -v promtool >/dev/null 2>&1; then
  fail "promtool not installed (Debian package prometheus)"
  summary
  exit 1
fi

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

if ! lua5.4 scripts/checks/promtool-cases.lua "$dir" > "$dir/cases.txt"; then
  fail "generating the cases (output lacks what a case is about)"
fi
while read -r name; do
  if promtool check metrics < "$dir/$name.prom" > "$dir/out.txt" 2>&1; then
    ok "promtool accepts $name"
  else
    fail "promtool rejects $name: $(cat "$dir/out.txt")"
    cat "$dir/$name.prom"
  fi
done < "$dir/cases.txt"
[ -s "$dir/cases.txt" ] || fail "no cases generated"

# Broken on purpose. An escaped newline in a label value made raw: a parse
# error (exit status 1).
sed 's/line 1\\nline 2\\n/line 1\nline 2\n/' "$dir/label_value_newlines.prom" > "$dir/broken1.prom"
promtool check metrics < "$dir/broken1.prom" > "$dir/out.txt" 2>&1
rc=$?
if [ "$rc" -eq 1 ] && grep -q "parsing error" "$dir/out.txt"; then
  ok "promtool rejects a raw newline in a label value (exit 1: $(head -1 "$dir/out.txt"))"
else
  fail "promtool did not reject a raw newline in a label value (exit $rc)"
fi
# A counter without _total: a lint problem (non-zero exit).
sed 's/tokenflow_nodes_total/tokenflow_nodes/g' "$dir/counter.prom" > "$dir/broken2.prom"
if promtool check metrics < "$dir/broken2.prom" > "$dir/out.txt" 2>&1; then
  fail "promtool accepted a counter without _total"
else
  ok "promtool rejects a counter without _total ($(head -1 "$dir/out.txt"))"
fi

summary

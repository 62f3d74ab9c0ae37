#!/bin/sh
# Runs every C test of the release build (the executables ctest runs, with
# their arguments) under valgrind memcheck: any invalid access, use of
# uninitialised memory or leak fails the executable (but the known leaks of
# tests/valgrind.supp, in Debian's libraries). One line per executable, then
# "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
build=${BUILD:-build}
if ! command -v valgrind >/dev/null 2>&1; then
  echo "valgrind: not installed (scripts/deps.sh installs it)"
  echo "0 passed, 1 failed"
  exit 1
fi
list=$(mktemp)
log=$(mktemp)
trap 'rm -f "$list" "$log"' EXIT
# name<TAB>command line, from ctest's own test list
if ! ctest --test-dir "$build" --show-only=json-v1 2>/dev/null |
  lua5.4 -e 'local j = require("cjson").decode(io.read("a"))
    for _, t in ipairs(j.tests or {}) do print(t.name .. "\t" .. table.concat(t.command, " ")) end' >"$list" ||
  [ ! -s "$list" ]; then
  echo "valgrind: no C tests found in $build (run make build first)"
  echo "0 passed, 1 failed"
  exit 1
fi
passed=0
failed=0
while IFS="$(printf '\t')" read -r name cmd; do
  start=$(date +%s)
  # shellcheck disable=SC2086
  TF_UNDER_VALGRIND=1 valgrind --suppressions=tests/valgrind.supp --error-exitcode=1 --leak-check=full \
    --show-leak-kinds=definite,indirect,possible \
    --errors-for-leak-kinds=definite,indirect,possible --quiet $cmd >"$log" 2>&1
  rc=$?
  secs=$(( $(date +%s) - start ))
  if [ "$rc" -eq 0 ]; then
    echo "valgrind $name: ok (${secs}s)"
    passed=$((passed + 1))
  else
    tail -40 "$log"
    echo "valgrind $name: FAILED (exit $rc)"
    failed=$((failed + 1))
  fi
done <"$list"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

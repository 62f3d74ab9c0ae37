#!/bin/sh
# Runs every test: busted and ctest on the normal build, then both again on
# the AddressSanitizer + UndefinedBehaviorSanitizer build. Ends with one line
# "N passed, N failed" summed over all runners.
set -u
cd "$(dirname "$0")/.."

passed=0
failed=0
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
: > "$log/failures"

# Keeps what failed for the recap printed just before the summary line, so the
# last lines of a long run say which runner failed and why.
remember_failure() { # label file-with-details
  { echo "-- $1"; head -40 "$2"; } >> "$log/failures"
}

# busted in TAP form: count "ok" and "not ok" lines (a crash counts as one failure).
run_busted() { # label build-dir [env...]
  label=$1; dir=$2; shift 2
  echo "== busted ($label)"
  env TOKENFLOW_BUILD_DIR="$dir" "$@" busted -o TAP > "$log/busted.out" 2>&1
  rc=$?
  grep -E '^(not ok|#)' "$log/busted.out" | head -200
  ok=$(grep -c '^ok ' "$log/busted.out")
  bad=$(grep -c '^not ok ' "$log/busted.out")
  if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
    tail -20 "$log/busted.out"
    bad=1
  fi
  if [ "$bad" -gt 0 ]; then
    grep -E '^not ok' -A 12 "$log/busted.out" | grep -vE '^[0-9]+\.\.[0-9]+$' > "$log/detail" || tail -20 "$log/busted.out" > "$log/detail"
    remember_failure "busted ($label)" "$log/detail"
  fi
  echo "busted ($label): $ok passed, $bad failed"
  passed=$((passed + ok)); failed=$((failed + bad))
}

# ctest: read "N tests failed out of M".
run_ctest() { # label build-dir [env...]
  label=$1; dir=$2; shift 2
  echo "== ctest ($label)"
  env "$@" ctest --test-dir "$dir" --output-on-failure > "$log/ctest.out" 2>&1
  rc=$?
  line=$(grep -E 'tests failed out of' "$log/ctest.out" | tail -1)
  if [ -z "$line" ]; then
    tail -30 "$log/ctest.out"
    bad=1; total=1
  else
    bad=$(echo "$line" | sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/')
    total=$(echo "$line" | sed -E 's/.* tests failed out of ([0-9]+).*/\1/')
  fi
  [ "$bad" -gt 0 ] && cat "$log/ctest.out"
  [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ] && bad=1
  if [ "$bad" -gt 0 ]; then
    grep -E 'Failed|\*\*\*|Error|error' "$log/ctest.out" > "$log/detail" || tail -20 "$log/ctest.out" > "$log/detail"
    remember_failure "ctest ($label)" "$log/detail"
  fi
  echo "ctest ($label): $((total - bad)) passed, $bad failed"
  passed=$((passed + total - bad)); failed=$((failed + bad))
}

run_busted release build
run_ctest release build

# The interpreter is not instrumented: preload the ASan runtime the module
# was built against. Lua's own allocations are then checked too.
asan_rt=$(gcc -print-file-name=libasan.so)
san_env="LD_PRELOAD=$asan_rt ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 LSAN_OPTIONS=suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0"
# shellcheck disable=SC2086
run_busted sanitizers build-asan $san_env
run_ctest sanitizers build-asan ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# Packaging: the rock builds and installs offline, and loads from its tree.
echo "== luarocks make (offline, temporary tree)"
if scripts/check-rock.sh > "$log/rock.out" 2>&1; then
  cat "$log/rock.out"; passed=$((passed + 1))
else
  cat "$log/rock.out"; failed=$((failed + 1))
  tail -20 "$log/rock.out" > "$log/detail"; remember_failure "luarocks make" "$log/detail"
fi

# Extra checks against real tools (promtool, Chromium, valgrind, fuzzers...):
# every scripts/checks/*.sh runs in name order and ends with its own line
# "N passed, N failed"; a script that exits non-zero without one counts as a failure.
for check in scripts/checks/*.sh; do
  [ -e "$check" ] || continue
  name=$(basename "$check" .sh)
  echo "== check $name"
  sh "$check" > "$log/check.out" 2>&1
  rc=$?
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log/check.out" | tail -1)
  if [ -z "$line" ]; then
    tail -30 "$log/check.out"
    ok=0; bad=1
  else
    ok=${line%% passed*}
    bad=$(echo "$line" | sed -E 's/.* ([0-9]+) failed$/\1/')
    [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ] && bad=1
    if [ "$bad" -gt 0 ]; then cat "$log/check.out"; else grep -v '^ok ' "$log/check.out" | tail -15; fi
  fi
  if [ "$bad" -gt 0 ]; then
    grep -vE '^(ok |[^ ]+ [^ ]+: ok|[0-9]+ passed, [0-9]+ failed$)' "$log/check.out" | tail -20 > "$log/detail"
    remember_failure "check $name" "$log/detail"
  fi
  echo "check $name: $ok passed, $bad failed"
  passed=$((passed + ok)); failed=$((failed + bad))
done

if [ -s "$log/failures" ]; then
  echo "== what failed"
  cat "$log/failures"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

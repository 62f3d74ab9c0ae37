#!/bin/sh
# Builds tokenflow and tests/host_threads with ThreadSanitizer in
# build-tsan/ and runs it: two lua_States in two threads load the module and
# run the same work at once; any data race is a failure.
# Ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
dir=${BUILD_TSAN:-build-tsan}
if ! cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTOKENFLOW_TSAN=ON >/dev/null ||
   ! cmake --build "$dir" --target host_threads -j "${JOBS:-2}" >"$dir/build.log" 2>&1; then
  tail -30 "$dir/build.log" 2>/dev/null
  echo "tsan: build failed"
  echo "0 passed, 1 failed"
  exit 1
fi
rm -f "$dir/build.log"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
TSAN_OPTIONS="halt_on_error=1 exitcode=66 suppressions=$(pwd)/tests/tsan.supp" "$dir/tests/host_threads" "$(pwd)/lua" "$(pwd)/tests/scenarios" >"$log" 2>&1
rc=$?
cat "$log" | head -60
if [ "$rc" -eq 0 ] && ! grep -q "ThreadSanitizer" "$log"; then
  echo "tsan host_threads: ok, no data race"
  echo "1 passed, 0 failed"
else
  echo "tsan host_threads: FAILED (exit $rc)"
  echo "0 passed, 1 failed"
  exit 1
fi

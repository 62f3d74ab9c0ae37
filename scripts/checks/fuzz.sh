#!/bin/sh
# Builds the libFuzzer targets (fuzz/, clang, ASan+UBSan) in build-fuzz/ and
# runs each for FUZZ_SECONDS (default 30) from its seed corpus in
# fuzz/corpus/<target>. Prints executions and coverage per target; a crash,
# a sanitizer report, a hang or a broken invariant fails the target and its
# input is kept in build-fuzz/artifacts/. Ends with "N passed, N failed".
# FUZZ_SEED fixes libFuzzer's random seed (0: a new one each run). `make test`
# uses a fixed seed, so a run that fails can be repeated exactly; a slower
# machine runs the first part of the same sequence of inputs. `make fuzz`
# explores with a new seed each time.
set -u
cd "$(dirname "$0")/../.."
seconds=${FUZZ_SECONDS:-30}
seed=${FUZZ_SEED:-1}
dir=${BUILD_FUZZ:-build-fuzz}
targets=${FUZZ_TARGETS:-"tokens math color cache pool doc"}

if ! CC=clang cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTOKENFLOW_FUZZ=ON -DTOKENFLOW_TESTS=OFF >/dev/null ||
   ! cmake --build "$dir" --target fuzzers -j "${JOBS:-2}" >"$dir/build.log" 2>&1; then
  tail -30 "$dir/build.log" 2>/dev/null
  echo "fuzz: build failed"
  echo "0 passed, 1 failed"
  exit 1
fi
rm -f "$dir/build.log"

passed=0
failed=0
mkdir -p "$dir/artifacts"
for t in $targets; do
  work=$(mktemp -d)
  out=$(mktemp)
  # the document reader also starts from the real Figma files (linked in
  # place, the larger ones left out to keep inputs small)
  extra=""
  if [ "$t" = doc ] && [ -d ../shared/figma-fixtures ]; then
    extra=$(mktemp -d)
    for f in ../shared/figma-fixtures/*.json; do
      [ "$(wc -c < "$f")" -le 1500000 ] && ln -s "$(cd "$(dirname "$f")" && pwd)/$(basename "$f")" "$extra/"
    done
  fi
  # new inputs go to the temporary first folder; the seed corpus stays as is
  "$dir/fuzz/fuzz_$t" -max_total_time="$seconds" -seed="$seed" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$dir/artifacts/$t-" "$work" "fuzz/corpus/$t" $extra >"$out" 2>&1
  rc=$?
  execs=$(grep -E '^stat::number_of_executed_units' "$out" | awk '{print $2}')
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$out" | tail -1)
  if [ "$rc" -eq 0 ]; then
    echo "fuzz $t: ok, ${execs:-0} executions in ${seconds}s, ${cov:-cov: ?}"
    passed=$((passed + 1))
  else
    grep -E 'ERROR|runtime error|invariant failed|fuzz_cache:|fuzz_pool:|fuzz_doc:|SUMMARY|Test unit written|timeout' "$out" | head -20
    echo "fuzz $t: FAILED (exit $rc) after ${execs:-?} executions, ${cov:-cov: ?}, seed $(grep -oE 'Seed: [0-9]+' "$out" | head -1 | cut -d' ' -f2); input in $dir/artifacts/"
    failed=$((failed + 1))
  fi
  rm -rf "$work" "$out" ${extra:+"$extra"}
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

# Sourced by the checks in scripts/checks/: runs from the project root with
# the release build's module on Lua's paths, and counts what passed and what
# failed. `summary` prints the line make test reads ("N passed, N failed")
# and fails when anything did.
cd "$(dirname "$0")/../.." || exit 1
export LUA_PATH="./lua/?.lua;./lua/?/init.lua;;"
export LUA_CPATH="./${BUILD:-build}/?.so;;"
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok $((passed + failed)) - $1"; }
fail() { failed=$((failed + 1)); echo "not ok $((passed + failed)) - $1"; }
summary() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

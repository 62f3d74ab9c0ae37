--- Shared helpers for the benchmarks in bench/: timing and the one-line
-- result format `bench <name> <ratio> <details>`.
local tf = require "tokenflow"

local benchlib = {}

--- Runs fn(n) `rounds` times (after one warm-up) and returns the median
-- seconds of one call. fn does its own inner loop of n iterations.
function benchlib.time(fn, n, rounds)
  rounds = rounds or 5
  fn(math.max(1, n // 10)) -- warm-up
  local samples = {}
  for r = 1, rounds do
    collectgarbage("collect")
    local t0 = tf.now()
    fn(n)
    samples[r] = tf.now() - t0
  end
  table.sort(samples)
  return samples[(rounds + 1) // 2]
end

--- Prints the machine-readable result line.
function benchlib.line(name, ratio, details)
  print(string.format("bench %s %.2f %s", name, ratio, details or ""))
  io.stdout:flush()
end

--- Lua heap in bytes after a full collection.
function benchlib.heap()
  collectgarbage("collect")
  collectgarbage("collect")
  return math.floor(collectgarbage("count") * 1024)
end

return benchlib

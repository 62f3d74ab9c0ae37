--- Shared helpers for the benchmarks in bench/: timing (through tf.bench)
-- and the one-line result format `bench <name> <ratio> <details>`.
local tf = require "tokenflow"

local benchlib = {}

--- Runs fn(n) `rounds` times (after one warm-up of n // 10) and returns
-- the median seconds of one call, and the tf.bench result. fn does its own
-- inner loop of n iterations.
function benchlib.time(fn, n, rounds)
  fn(math.max(1, n // 10)) -- warm-up
  local r = tf.bench("benchlib", function() fn(n) end, { iterations = rounds or 5, warmup = 0 })
  return r.median_s, r
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

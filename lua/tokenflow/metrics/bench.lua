--- The benchmark framework bench/ scripts use: runs a function a number
-- of times and reports its median, min and max time and the Lua heap bytes
-- one call allocates, against optional targets.
-- @module tokenflow.metrics.bench

local core = require "tokenflow.core"

local now = core.now

--- Runs `fn` `opts.warmup` times (default 1), then `opts.iterations` times
-- (default 5), each timed on its own. Returns `{name, iterations, median_s,
-- min_s, max_s, bytes, met}`: `bytes` is the largest Lua heap growth of one
-- timed call (measured with the collector stopped, so garbage counts too);
-- `met` is true when `median_s <= opts.target_s` and `bytes <=
-- opts.target_bytes` (each checked only when given).
local function bench(name, fn, opts)
  if type(name) ~= "string" then error("bad argument #1 to 'bench' (string expected, got " .. type(name) .. ")", 2) end
  if type(fn) ~= "function" then error("bad argument #2 to 'bench' (function expected, got " .. type(fn) .. ")", 2) end
  if opts ~= nil and type(opts) ~= "table" then
    error("bad argument #3 to 'bench' (table expected, got " .. type(opts) .. ")", 2)
  end
  opts = opts or {}
  local iterations, warmup = opts.iterations or 5, opts.warmup or 1
  if math.type(iterations) ~= "integer" or iterations < 1 then
    error("bench: iterations must be a positive integer", 2)
  end
  if math.type(warmup) ~= "integer" or warmup < 0 then error("bench: warmup must be a non-negative integer", 2) end
  for _, field in ipairs { "target_s", "target_bytes" } do
    if opts[field] ~= nil and type(opts[field]) ~= "number" then error("bench: " .. field .. " must be a number", 2) end
  end
  for _ = 1, warmup do fn() end
  local times, bytes = {}, 0
  local was_running = collectgarbage("isrunning")
  for i = 1, iterations do
    collectgarbage("collect")
    collectgarbage("stop")
    local heap0 = collectgarbage("count")
    local t0 = now()
    fn()
    local dt = now() - t0
    local grew = (collectgarbage("count") - heap0) * 1024 -- before times[i] grows the list
    collectgarbage("restart")
    times[i] = dt
    if grew > bytes then bytes = grew end
  end
  if not was_running then collectgarbage("stop") end
  table.sort(times)
  local median = iterations % 2 == 1 and times[(iterations + 1) // 2]
    or (times[iterations // 2] + times[iterations // 2 + 1]) / 2
  local met = (opts.target_s == nil or median <= opts.target_s)
    and (opts.target_bytes == nil or bytes <= opts.target_bytes)
  return {
    name = name, iterations = iterations, median_s = median, min_s = times[1], max_s = times[iterations],
    bytes = math.floor(bytes), met = met,
  }
end

return bench

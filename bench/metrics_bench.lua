-- Metrics recording path against a plain Lua table field increment in the
-- same run: `counter:inc()` against `t.n = t.n + 1`; `histogram:observe(v)`
-- against `t.n = t.n + v` with the same v (i * 1e-7: 0.1 us .. 1 s, the
-- range of chunk times, over the default buckets) computed in both loops,
-- and against `t.n = t.n + 1` as well; `counter:inc(n)` and a bound
-- labelled child. Lua heap: tf.bench measures with the collector stopped,
-- so any per-call garbage would show; the growth over 10M calls is
-- compared with the growth over 10k calls (the difference is what the
-- calls allocate). Then `reg:prometheus()` with 10k series.
local tf = require "tokenflow"
local benchlib = require "benchlib"

local N = 10000000
local reg = tf.metrics()
local counter = reg:counter("nodes", "Nodes written")
local hist = reg:histogram("chunk_seconds", "Chunk time")
local labelled = reg:counter("writes", "Writes per property", { "property" }):labels { property = "fill" }
local plain = { n = 0 }

local function table_inc(n)
  local t = plain
  for _ = 1, n do t.n = t.n + 1 end
end
local function counter_inc(n)
  local c = counter
  for _ = 1, n do c:inc() end
end
local function counter_inc_n(n)
  local c = counter
  for _ = 1, n do c:inc(2) end
end
local function child_inc(n)
  local c = labelled
  for _ = 1, n do c:inc() end
end
local function hist_observe(n)
  local h = hist
  for i = 1, n do h:observe(i * 1e-7) end
end
local function table_add(n) -- the same loop as hist_observe, a field update by the same value
  local t = plain
  for i = 1, n do t.n = t.n + i * 1e-7 end
end

-- The machine is shared and its load changes from second to second, so
-- the loops are timed in CPU time, interleaved in rounds (order reversed
-- every other round), and each ratio is the median over the rounds of
-- (subject / baseline) timed back to back.
local ROUNDS, M = 21, 1000000
local cpu = os.clock -- CPU time of the process: time spent descheduled does not count
local loops = {
  { "table", table_inc }, { "inc", counter_inc }, { "inc_n", counter_inc_n }, { "child", child_inc },
  { "add", table_add }, { "obs", hist_observe },
}
local times = {}
for _, l in ipairs(loops) do
  l[2](M // 10) -- warm-up
  times[l[1]] = {}
end
for r = 1, ROUNDS do
  for k = 1, #loops do
    local l = loops[r % 2 == 1 and k or #loops + 1 - k] -- every other round in reverse order
    local t0 = cpu()
    l[2](M)
    times[l[1]][r] = cpu() - t0
  end
end
local function median(list)
  table.sort(list)
  return list[(#list + 1) // 2]
end
local function ratio(subject, base)
  local r = {}
  for i = 1, ROUNDS do r[i] = times[subject][i] / times[base][i] end
  return median(r), math.min(table.unpack(r)), math.max(table.unpack(r))
end
local function ns(name)
  local copy = { table.unpack(times[name]) }
  return median(copy) / M * 1e9
end
-- heap: one run of N calls, and one of N / 1000, with the collector stopped
local r_inc = tf.bench("inc", function() counter_inc(N) end, { iterations = 1, warmup = 0 })
local r_inc_small = tf.bench("inc", function() counter_inc(N // 1000) end, { iterations = 1, warmup = 0 })
local r_obs = tf.bench("observe", function() hist_observe(N) end, { iterations = 1, warmup = 0 })
local r_obs_small = tf.bench("observe", function() hist_observe(N // 1000) end, { iterations = 1, warmup = 0 })

local inc_ratio, inc_lo, inc_hi = ratio("inc", "table")
local obs_ratio, obs_lo, obs_hi = ratio("obs", "add")
benchlib.line("metrics_counter_inc_vs_table", inc_ratio, string.format(
  "inc() %.1f ns, table t.n = t.n + 1 %.1f ns (CPU time, median of %d interleaved rounds, ratio range %.2f-%.2f); "
    .. "inc(2) %.2fx, labelled child inc() %.2fx; heap growth over %d inc() %d bytes, over %d %d bytes; target <= 2x, flat",
  ns("inc"), ns("table"), ROUNDS, inc_lo, inc_hi, (ratio("inc_n", "table")), (ratio("child", "table")),
  N, r_inc.bytes, N // 1000, r_inc_small.bytes))
benchlib.line("metrics_histogram_observe_vs_table", obs_ratio, string.format(
  "observe(v) %.1f ns, table t.n = t.n + v %.1f ns (same v; ratio range %.2f-%.2f); against t.n = t.n + 1 %.2fx; "
    .. "heap growth over %d observe %d bytes, over %d %d bytes; target <= 2x, flat",
  ns("obs"), ns("add"), obs_lo, obs_hi, (ratio("obs", "table")), N, r_obs.bytes, N // 1000, r_obs_small.bytes))

-- exposition of 10k series: 2.5k labelled counters, gauges, and 500 histograms (13 lines each) ...
local big = tf.metrics { max_series = 10000 }
local c = big:counter("requests", "Requests by route and code", { "route", "code" })
local g = big:gauge("queue_depth", "Queue depth per worker", { "worker" })
local h = big:histogram("latency_seconds", "Latency per route", { labels = { "route" } })
local series = 0
for i = 1, 4500 do c:inc(i, { "/route/" .. i, tostring(200 + i % 5) }); series = series + 1 end
for i = 1, 5000 do g:set(i * 0.5, { "w" .. i }); series = series + 1 end
for i = 1, 500 do h:observe(i * 1e-3, { "/route/" .. i }); series = series + 1 end
assert(big._core:series_count() >= series)
local text
local r = tf.bench("prometheus_10k", function() text = big:prometheus() end, { iterations = 7, warmup = 1, target_s = 0.050 })
local lines = select(2, text:gsub("\n", ""))
benchlib.line("metrics_prometheus_10k_series", r.median_s / 0.050, string.format(
  "%d series (%d lines, %d KB) in %.1f ms median (min %.1f, max %.1f); ratio is against the 50 ms target; met=%s",
  series, lines, #text // 1024, r.median_s * 1e3, r.min_s * 1e3, r.max_s * 1e3, tostring(r.met)))

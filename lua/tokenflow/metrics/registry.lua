--- The metrics registry (`tf.metrics()`): counters, gauges, histograms,
-- timers, nested spans and their profile, system gauges, thresholds and
-- alerts, and its outputs (snapshot, JSON, Prometheus text, SVG chart).
-- Recording goes to the C core (tokenflow.core.metrics_core); this file
-- holds the rules that are not on the hot path.
-- @classmod tokenflow.Metrics

local core = require "tokenflow.core"
local spans = require "tokenflow.metrics.spans"
local svg = require "tokenflow.metrics.svg"

local now, sys_usage, engine_bytes = core.now, core.sys_usage, core.engine_bytes

local Metrics = { __name = "tokenflow.Metrics" }
Metrics.__index = Metrics

-- The gauges sample() sets, registered with every registry.
local system_gauges = {
  { "tokenflow_lua_heap_bytes", "Lua heap in use, in bytes" },
  { "tokenflow_engine_bytes", "Bytes held by tokenflow's C engines" },
  { "process_resident_memory_bytes", "Resident set size of the process, in bytes" },
  { "process_peak_resident_memory_bytes", "Largest resident set size of the process so far, in bytes" },
  { "process_cpu_user_seconds", "CPU time spent in user mode, in seconds" },
  { "process_cpu_system_seconds", "CPU time spent in the kernel, in seconds" },
}

local fmt, getinfo = string.format, debug.getinfo

-- Raises a programming error at the caller's line: the first Lua function
-- on the stack outside these modules (level 1 is raise itself; the
-- numbering of debug.getinfo is that of error). Methods may call each
-- other or be reached through a timer's stop function: the position is
-- still the user's.
local function raise(msg, ...)
  if select("#", ...) > 0 then msg = fmt(msg, ...) end
  local level = 2
  while true do
    local info = getinfo(level, "Sl")
    if info == nil then break end
    if info.currentline > 0 and not info.source:find("tokenflow/metrics/", 1, true) then error(msg, level) end
    level = level + 1
  end
  error(msg, 2)
end

local function core_of(self, fname)
  if getmetatable(self) ~= Metrics then
    raise("calling '%s' on bad self (tokenflow.Metrics expected, got %s)", fname, type(self))
  end
  local c = rawget(self, "_core")
  if c == nil then raise("attempt to use a closed tokenflow.Metrics") end
  return c
end

local function check_name(name, fname)
  if type(name) ~= "string" then raise("bad argument #1 to '%s' (metric name expected, got %s)", fname, type(name)) end
end

local function check_table(v, n, fname, what)
  if v ~= nil and type(v) ~= "table" then
    raise("bad argument #%d to '%s' (%s expected, got %s)", n, fname, what, type(v))
  end
end

-- Raises on a key of opts not in `known` (a misspelt option would
-- otherwise be silently ignored).
local function check_keys(opts, known, fname)
  for k in pairs(opts) do
    if not known[k] then raise("%s: unknown option '%s'", fname, tostring(k)) end
  end
end

local function check_count(v, name, min, fname)
  if v ~= nil and (math.type(v) ~= "integer" or v < min) then
    raise("%s: %s must be an integer >= %d, got %s", fname, name, min, tostring(v))
  end
end

-- Called by the C core when an update raises a series to a level.
local function record_alert(self, metric, level, value, labels)
  local alerts = self._alerts
  local alert = { metric = metric, level = level, value = value, at = now() - self._t0 }
  if next(labels) ~= nil then alert.labels = labels end
  if #alerts >= self._max_alerts then
    table.remove(alerts, 1)
    self._alerts_dropped = self._alerts_dropped + 1
  end
  alerts[#alerts + 1] = alert
  local handler = rawget(self, "on_alert")
  if handler ~= nil then
    if type(handler) ~= "function" then raise("on_alert must be a function, got %s", type(handler)) end
    handler(alert)
  end
end

local new_options = { max_series = true, max_samples = true, max_alerts = true }

--- A new registry. `opts`: `max_series` (label combinations per metric,
-- default 1000; one more raises), `max_samples` (rows kept for the chart,
-- default 4096: when full every second row is dropped, so the whole run
-- stays visible at half the resolution), `max_alerts` (default 1000,
-- oldest dropped). Set `reg.on_alert = function(alert) ... end` to hear of
-- alerts.
-- @function tokenflow.metrics
local function new(opts)
  if opts ~= nil and type(opts) ~= "table" then
    raise("bad argument #1 to 'metrics' (table of options expected, got %s)", type(opts))
  end
  opts = opts or {}
  check_keys(opts, new_options, "metrics")
  check_count(opts.max_series, "max_series", 1, "metrics")
  check_count(opts.max_samples, "max_samples", 2, "metrics")
  check_count(opts.max_alerts, "max_alerts", 1, "metrics")
  local self = setmetatable({
    _core = core.metrics_core(opts.max_series or 1000),
    _t0 = now(),
    _alerts = {}, _alerts_dropped = 0, _max_alerts = opts.max_alerts or 1000,
    _samples = {}, _max_samples = opts.max_samples or 4096,
    _spans = spans.new(),
    _system = {},
  }, Metrics)
  self._core:on_alert(function(metric, level, value, labels) record_alert(self, metric, level, value, labels) end)
  for i, g in ipairs(system_gauges) do self._system[i] = self._core:register("gauge", g[1], g[2]) end
  return self
end

--- A counter: `c:inc([n][, labels])` adds n >= 0 (default 1), `c:value([labels])`.
-- The name gets `_total` appended unless it ends so. `label_names`: list
-- of names; labels are then given as `{name = value}` or positionally, or
-- bound once with `c:labels{...}` (the fast way on a hot path).
-- Registering the same name, kind and labels again returns the same metric.
function Metrics:counter(name, help, label_names)
  local c = core_of(self, "counter")
  check_name(name, "counter"); check_table(label_names, 3, "counter", "list of label names")
  return c:register("counter", name, help, label_names)
end

--- A gauge: `g:set(v[, labels])` (any number, NaN and infinities too),
-- `g:inc([n][, labels])`, `g:dec([n][, labels])`, `g:value([labels])`.
function Metrics:gauge(name, help, label_names)
  local c = core_of(self, "gauge")
  check_name(name, "gauge"); check_table(label_names, 3, "gauge", "list of label names")
  return c:register("gauge", name, help, label_names)
end

local histogram_options = { buckets = true, labels = true }

--- A histogram: `h:observe(v[, labels])` (finite v) with exact count and
-- sum, `h:quantile(q[, labels])` estimated from log-linear buckets
-- (relative error at most 1.6%), `h:stats([labels])`. `opts`: `buckets`
-- (Prometheus upper bounds, increasing; default .005 .. 10), `labels`
-- (label names; `le` is reserved).
function Metrics:histogram(name, help, opts)
  local c = core_of(self, "histogram")
  check_name(name, "histogram"); check_table(opts, 3, "histogram", "table of options")
  opts = opts or {}
  check_keys(opts, histogram_options, "histogram")
  return c:register("histogram", name, help, opts.labels, opts.buckets)
end

--- The handle of a registered metric (a counter also by its name without
-- `_total`), or nil.
function Metrics:get(name)
  local c = core_of(self, "get")
  check_name(name, "get")
  return c:get(name)
end

--- Starts a timer: returns a function that stops it, records the seconds
-- into the histogram `name` (registered when new; with `labels`, the
-- series of those label values) and returns them. Stopping again records
-- nothing and returns the same seconds.
function Metrics:timer(name, labels)
  local c = core_of(self, "timer")
  check_name(name, "timer"); check_table(labels, 2, "timer", "table of label values")
  local h = c:get(name) or c:register("histogram", name, "Duration in seconds")
  if h.kind ~= "histogram" then raise("timer '%s': metric '%s' is a %s, not a histogram", name, name, h.kind) end
  h = h:labels(labels or {}) -- missing or bad labels raise here, not when stopped
  local t0, elapsed = now(), nil
  return function()
    if elapsed == nil then
      elapsed = now() - t0
      h:observe(elapsed)
    end
    return elapsed
  end
end

--- Runs `fn(...)` as the span `name` (nested inside the running span, if
-- any) and returns its results. Its time and Lua heap delta go into the
-- profile, also when fn raises (the error is re-raised).
function Metrics:span(name, fn, ...)
  core_of(self, "span")
  check_name(name, "span")
  if type(fn) ~= "function" then raise("bad argument #2 to 'span' (function expected, got %s)", type(fn)) end
  local tree = self._spans
  local node = spans.enter(tree, name)
  local heap0, t0 = collectgarbage("count"), now()
  local results = table.pack(pcall(fn, ...))
  spans.leave(tree, node, now() - t0, collectgarbage("count") - heap0)
  if not results[1] then error(results[2], 0) end
  return table.unpack(results, 2, results.n)
end

--- The tree of spans: `{total_s, phases, bottleneck}`, each phase `{name,
-- path, calls, total_s, self_s, share, self_share, heap_kb, children}`;
-- the bottleneck is the phase with the largest self time.
function Metrics:profile()
  core_of(self, "profile")
  return spans.profile(self._spans)
end

--- Samples the system gauges (Lua heap, engine bytes, RSS, peak RSS, CPU
-- user/system) and keeps a row for the chart with them and the numeric
-- fields of `extra` (e.g. `{chunk_s = dt, nodes = n}`). Returns the row.
function Metrics:sample(extra)
  core_of(self, "sample")
  check_table(extra, 1, "sample", "table of numbers")
  local heap_kb = collectgarbage("count")
  local user_s, system_s, rss, peak = sys_usage()
  local row = {
    t = now() - self._t0, lua_heap_kb = heap_kb, engine_bytes = engine_bytes(), rss_bytes = rss,
    peak_rss_bytes = peak, cpu_user_s = user_s, cpu_system_s = system_s,
  }
  if extra then
    for k, v in pairs(extra) do
      if type(k) == "string" and type(v) == "number" then row[k] = v end
    end
  end
  local g = self._system
  g[1]:set(heap_kb * 1024); g[2]:set(row.engine_bytes); g[3]:set(rss); g[4]:set(peak)
  g[5]:set(user_s); g[6]:set(system_s)
  local rows = self._samples
  if #rows >= self._max_samples then
    local kept = {}
    for i = 2, #rows, 2 do kept[#kept + 1] = rows[i] end
    rows = kept
    self._samples = rows
  end
  rows[#rows + 1] = row
  return row
end

--- The rows sample() kept, oldest first.
function Metrics:samples()
  core_of(self, "samples")
  return self._samples
end

local threshold_options = { warn = true, critical = true, above = true }

--- Sets alert levels on metric `name`: `{warn =, critical =, above = true}`
-- (either level may be left out; `above = false` alerts at or below). An
-- update that raises a series to a level appends `{metric, level, value,
-- at, labels}` to `reg:alerts()` and calls `reg.on_alert(alert)`: once per
-- crossing; falling back re-arms it.
function Metrics:threshold(name, levels)
  local c = core_of(self, "threshold")
  check_name(name, "threshold")
  if type(levels) ~= "table" then
    raise("bad argument #2 to 'threshold' (table of levels expected, got %s)", type(levels))
  end
  check_keys(levels, threshold_options, "threshold")
  local warn, critical, above = levels.warn, levels.critical, levels.above ~= false
  for _, k in ipairs({ "warn", "critical" }) do
    local v = levels[k]
    if v ~= nil and (type(v) ~= "number" or v ~= v) then
      raise("threshold for '%s': %s must be a number, got %s", name, k, tostring(v))
    end
  end
  if levels.above ~= nil and type(levels.above) ~= "boolean" then
    raise("threshold for '%s': above must be a boolean, got %s", name, type(levels.above))
  end
  if warn == nil and critical == nil then raise("threshold for '%s': give warn and/or critical", name) end
  if warn and critical and ((above and warn > critical) or (not above and warn < critical)) then
    raise("threshold for '%s': warn must come before critical (above = %s)", name, tostring(above))
  end
  c:threshold(name, warn, critical, above)
end

--- The alerts raised so far, oldest first (at most max_alerts).
function Metrics:alerts()
  core_of(self, "alerts")
  return self._alerts
end

-- Series of a collected family as plain tables.
local function plain_series(f)
  local out = {}
  for i, s in ipairs(f.series) do
    local labels = {}
    for j, name in ipairs(f.labels) do labels[name] = s.values[j] end
    local entry = { labels = labels }
    if f.kind == "histogram" then
      entry.count, entry.sum, entry.min, entry.max = s.count, s.sum, s.min, s.max
      entry.mean = s.count > 0 and s.sum / s.count or nil
      entry.p50, entry.p90, entry.p99 = s.p50, s.p90, s.p99
      local buckets, cumulative = {}, 0
      for k, c in ipairs(s.buckets) do
        cumulative = cumulative + c
        buckets[k] = { le = f.buckets[k] or math.huge, count = cumulative }
      end
      entry.buckets = buckets
    else
      entry.value = s.value
    end
    out[i] = entry
  end
  return out
end

--- Everything as plain tables: `{uptime_s, metrics = {[name] = {kind,
-- help, labels, series}}, alerts, alerts_dropped, profile, samples}`
-- (samples: how many rows are kept).
function Metrics:snapshot()
  local c = core_of(self, "snapshot")
  local metrics = {}
  for _, f in ipairs(c:collect()) do
    metrics[f.name] = { kind = f.kind, help = f.help, labels = f.labels, series = plain_series(f) }
  end
  return {
    uptime_s = now() - self._t0, metrics = metrics, alerts = self._alerts,
    alerts_dropped = self._alerts_dropped, profile = self:profile(), samples = #self._samples,
  }
end

--- The snapshot as JSON (lua-cjson); NaN and infinities become null,
-- bucket bounds `le` are strings ("0.5", "+Inf").
function Metrics:json()
  core_of(self, "json")
  local cjson = require("cjson").new()
  cjson.encode_invalid_numbers("null")
  local snap = Metrics.snapshot(self)
  local number = require "tokenflow.metrics.number"
  for _, m in pairs(snap.metrics) do
    for _, s in ipairs(m.series) do
      for _, b in ipairs(s.buckets or {}) do b.le = number.format(b.le) end
    end
  end
  return cjson.encode(snap)
end

--- The metrics in Prometheus text exposition format 0.0.4.
function Metrics:prometheus()
  return core_of(self, "prometheus"):prometheus() -- written by the C core straight into one buffer
end

--- A self-contained SVG chart of the sampled rows: `opts.series` lists
-- fields (default `{"chunk_s", "lua_heap_kb"}`), see tokenflow.metrics.svg
-- for `title`, `width`, `height` and `x`.
function Metrics:svg(opts)
  core_of(self, "svg")
  check_table(opts, 1, "svg", "table of options")
  opts = opts or {}
  for _, field in ipairs { "width", "height" } do
    local v = opts[field]
    if v ~= nil and (type(v) ~= "number" or v ~= v or v < 1 or v > 1e6) then
      error(string.format("bad argument #1 to 'svg' (%s must be a number from 1 to 1e6)", field), 2)
    end
  end
  if opts.series ~= nil and type(opts.series) ~= "table" then
    error("bad argument #1 to 'svg' (series must be a table, got " .. type(opts.series) .. ")", 2)
  end
  if opts.series == nil then
    local copy = {}
    for k, v in pairs(opts) do copy[k] = v end
    copy.series = { "chunk_s", "lua_heap_kb" }
    opts = copy
  end
  local text, err = svg.chart(self._samples, opts)
  if text == nil then raise("svg: %s", err) end
  return text
end

--- Frees the registry now; its handles then raise on use. Idempotent.
function Metrics:close()
  if getmetatable(self) ~= Metrics then core_of(self) end
  local c = rawget(self, "_core")
  if c then
    c:close()
    self._core = nil
  end
end

Metrics.__close = Metrics.close

function Metrics:__tostring()
  local c = rawget(self, "_core")
  if c == nil then return "tokenflow.Metrics (closed)" end
  return string.format("tokenflow.Metrics (%d metrics, %d series, %d alerts)", #c, c:series_count(), #self._alerts)
end

return { new = new, Metrics = Metrics }

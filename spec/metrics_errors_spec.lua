-- Bad input to the metrics registry: each programming error raises a
-- clear message positioned at the caller's line (this file), not inside
-- tokenflow's own modules.
local tf = require "tokenflow"

local here = debug.getinfo(1, "S").short_src

-- fn must be a one-line function: the error must name this file and that line.
local function raises_here(fn, message)
  local line = debug.getinfo(fn, "S").linedefined
  local ok, err = pcall(fn)
  assert.is_false(ok, "expected an error: " .. tostring(message))
  assert.are.equal("string", type(err))
  local prefix = here .. ":" .. line .. ": "
  assert.are.equal(prefix, err:sub(1, #prefix), "position of: " .. err)
  if message then assert.are.equal(message, err:sub(#prefix + 1)) end
end

describe("metrics bad input", function()
  local reg
  before_each(function() reg = tf.metrics() end)
  after_each(function() reg:close() end)

  it("invalid metric names, for every kind", function()
    for _, name in ipairs { "", "9lives", "a-b", "a b", "a.b", "é", "x\n" } do
      local want = "invalid metric name '" .. name .. "' (must match [a-zA-Z_:][a-zA-Z0-9_:]*)"
      raises_here(function() reg:counter(name, "x") end, want)
      raises_here(function() reg:gauge(name, "x") end, want)
      raises_here(function() reg:histogram(name, "x") end, want)
    end
    raises_here(function() reg:counter(42, "x") end, "bad argument #1 to 'counter' (metric name expected, got number)")
    raises_here(function() reg:get(nil) end, "bad argument #1 to 'get' (metric name expected, got nil)")
    -- names the Prometheus rules allow
    for _, name in ipairs { "a", "_x", ":x", "a:b_c9", "ns:sub_total" } do reg:gauge(name, "x") end
  end)

  it("invalid, reserved and repeated label names", function()
    for _, label in ipairs { "a-b", "1a", "a:b", "", "a b" } do
      raises_here(function() reg:counter("c", "x", { label }) end,
        "invalid label name '" .. label .. "' for metric 'c' (must match [a-zA-Z_][a-zA-Z0-9_]*)")
    end
    local reserved = " (metric 'h'; 'le' and names starting with '__' are Prometheus's)"
    raises_here(function() reg:histogram("h", "x", { labels = { "route", "le" } }) end, "label name 'le' is reserved" .. reserved)
    raises_here(function() reg:histogram("h", "x", { labels = { "__name__" } }) end, "label name '__name__' is reserved" .. reserved)
    raises_here(function() reg:counter("h", "x", { "le" }) end, "label name 'le' is reserved" .. reserved)
    raises_here(function() reg:gauge("g", "x", { "a", "b", "a" }) end, "label name 'a' given twice (metric 'g')")
    raises_here(function() reg:gauge("g", "x", { "a", 7 }) end, "label names of metric 'g' must be strings, got number")
    raises_here(function() reg:gauge("g", "x", "a") end, "bad argument #3 to 'gauge' (list of label names expected, got string)")
    local many = {}
    for i = 1, 17 do many[i] = "l" .. i end
    raises_here(function() reg:gauge("g", "x", many) end, "metric 'g' has more than 16 labels")
    assert.is_nil(reg:get("g")) -- nothing registered by a refused call
  end)

  it("the same name registered as two kinds, or with other labels or buckets", function()
    reg:counter("nodes", "x")
    reg:gauge("depth", "x")
    reg:histogram("lat", "x", { buckets = { 1, 2 } })
    reg:counter("req", "x", { "route" })
    raises_here(function() reg:gauge("nodes", "x") end, "metric 'nodes' is already registered as a counter")
    raises_here(function() reg:histogram("nodes_total", "x") end, "metric 'nodes_total' is already registered as a counter")
    raises_here(function() reg:counter("depth", "x") end, "metric 'depth' is already registered as a gauge")
    raises_here(function() reg:counter("lat", "x") end, "metric 'lat' is already registered as a histogram")
    reg:gauge("free_total", "x")
    raises_here(function() reg:counter("free", "x") end, "metric 'free' is already registered as a gauge")
    raises_here(function() reg:counter("req", "x", { "code" }) end, "metric 'req' is already registered with other labels or buckets")
    raises_here(function() reg:counter("req", "x") end, "metric 'req' is already registered with other labels or buckets")
    raises_here(function() reg:histogram("lat", "x", { buckets = { 1, 3 } }) end,
      "metric 'lat' is already registered with other labels or buckets")
  end)

  it("bad buckets and histogram options", function()
    local want = "buckets of histogram 'h' must be finite and strictly increasing"
    raises_here(function() reg:histogram("h", "x", { buckets = { 1, 1 } }) end, want)
    raises_here(function() reg:histogram("h", "x", { buckets = { 2, 1 } }) end, want)
    raises_here(function() reg:histogram("h", "x", { buckets = { 1, 0 / 0 } }) end, want)
    raises_here(function() reg:histogram("h", "x", { buckets = { -math.huge, 1 } }) end, want)
    raises_here(function() reg:histogram("h", "x", { buckets = { 1, "two" } }) end, want)
    local lots = {}
    for i = 1, 257 do lots[i] = i end
    raises_here(function() reg:histogram("h", "x", { buckets = lots }) end, "histogram 'h' has more than 256 buckets")
    raises_here(function() reg:histogram("h", "x", { buckets = 5 }) end, "buckets of histogram 'h' must be a list of numbers, got number")
    raises_here(function() reg:histogram("h", "x", { bucket = { 1 } }) end, "histogram: unknown option 'bucket'")
    raises_here(function() reg:histogram("h", "x", "labels") end, "bad argument #3 to 'histogram' (table of options expected, got string)")
    raises_here(function() reg:histogram("h", { "help" }) end, "help of metric 'h' must be a string, got table")
  end)

  it("wrong number or type of label values", function()
    local c = reg:counter("req", "x", { "route", "code" })
    local want = "metric 'req_total' expects 2 label values (route, code), got "
    raises_here(function() c:inc() end, want .. "0")
    raises_here(function() c:inc(1, { "/a" }) end, want .. "1")
    raises_here(function() c:inc(1, { "/a", "200", "x" }) end, want .. "3")
    raises_here(function() c:labels { route = "/a", status = "200" } end, want .. "2")
    raises_here(function() c:labels {} end, want .. "0")
    raises_here(function() c:value() end, want .. "0")
    raises_here(function() c:inc(1, { "/a", {} }) end, "label 'code' of metric 'req_total' must be a string or a number, got table")
    raises_here(function() c:inc(1, "/a") end, "labels of metric 'req_total' must be a table of label values, got string")
    local g = reg:gauge("g", "x")
    raises_here(function() g:set(1, { "extra" }) end, "metric 'g' expects 0 label values (), got 1")
    local h = reg:histogram("h", "x", { labels = { "k" } })
    raises_here(function() h:observe(1) end, "metric 'h' expects 1 label values (k), got 0")
    raises_here(function() h:quantile(0.5) end, "metric 'h' expects 1 label values (k), got 0")
    raises_here(function() h:stats() end, "metric 'h' expects 1 label values (k), got 0")
  end)

  it("non-finite and non-numeric values where they are not allowed", function()
    local c, g, h = reg:counter("c", "x"), reg:gauge("g", "x"), reg:histogram("h", "x")
    raises_here(function() c:inc(0 / 0) end, "metric 'c_total': value must be a finite number, got NaN")
    raises_here(function() c:inc(math.huge) end, "metric 'c_total': value must be a finite number, got +Inf")
    raises_here(function() c:inc(-1) end, "counter 'c_total' can only increase (got -1.0)")
    raises_here(function() c:inc("many") end, "metric 'c_total': value must be a number, got string")
    raises_here(function() g:inc(-math.huge) end, "metric 'g': value must be a finite number, got -Inf")
    raises_here(function() g:dec(0 / 0) end, "metric 'g': value must be a finite number, got NaN")
    raises_here(function() g:set() end, "metric 'g': value must be a number, got no value")
    raises_here(function() h:observe(0 / 0) end, "metric 'h': value must be a finite number, got NaN")
    raises_here(function() h:observe(math.huge) end, "metric 'h': value must be a finite number, got +Inf")
    raises_here(function() h:observe(-math.huge) end, "metric 'h': value must be a finite number, got -Inf")
    raises_here(function() h:observe("fast") end, "metric 'h': value must be a number, got string")
    raises_here(function() h:observe() end, "metric 'h': value must be a number, got no value")
    raises_here(function() h:quantile(1.5) end, "bad argument #1 to 'quantile' (quantile must be in [0, 1])")
    -- nothing was recorded by the refused calls
    assert.are.equal(0, c:value())
    assert.are.equal(0, h:stats().count)
  end)

  it("label cardinality: a configurable cap with an error", function()
    local r = tf.metrics { max_series = 3 }
    local c = r:counter("req", "x", { "route" })
    for i = 1, 3 do c:inc(1, { "/r" .. i }) end
    raises_here(function() c:inc(1, { "/r4" }) end, "metric 'req_total' reached its cap of 3 label combinations (max_series)")
    raises_here(function() c:labels { "/r5" } end, "metric 'req_total' reached its cap of 3 label combinations (max_series)")
    c:inc(1, { "/r2" }) -- existing combinations still work
    assert.are.equal(2, c:value { "/r2" })
    assert.are.equal(3, select(2, r:prometheus():gsub("req_total{", "")))
    r:close()
    -- the default cap is 1000 per metric
    local d = reg:gauge("per_worker", "x", { "w" })
    for i = 1, 1000 do d:set(i, { tostring(i) }) end
    raises_here(function() d:set(1, { "1001" }) end, "metric 'per_worker' reached its cap of 1000 label combinations (max_series)")
  end)

  it("bad registry options", function()
    raises_here(function() tf.metrics("big") end, "bad argument #1 to 'metrics' (table of options expected, got string)")
    raises_here(function() tf.metrics { max_series = 0 } end, "metrics: max_series must be an integer >= 1, got 0")
    raises_here(function() tf.metrics { max_series = 2.5 } end, "metrics: max_series must be an integer >= 1, got 2.5")
    raises_here(function() tf.metrics { max_samples = 1 } end, "metrics: max_samples must be an integer >= 2, got 1")
    raises_here(function() tf.metrics { max_alerts = "x" } end, "metrics: max_alerts must be an integer >= 1, got x")
    raises_here(function() tf.metrics { maxseries = 10 } end, "metrics: unknown option 'maxseries'")
  end)

  it("bad thresholds", function()
    reg:gauge("g", "x")
    raises_here(function() reg:threshold("nope", { warn = 1 }) end, "no metric named 'nope'")
    raises_here(function() reg:threshold("g", 5) end, "bad argument #2 to 'threshold' (table of levels expected, got number)")
    raises_here(function() reg:threshold("g", {}) end, "threshold for 'g': give warn and/or critical")
    raises_here(function() reg:threshold("g", { warn = "1" }) end, "threshold for 'g': warn must be a number, got 1")
    raises_here(function() reg:threshold("g", { critical = 0 / 0 }) end, "threshold for 'g': critical must be a number, got " .. tostring(0 / 0))
    raises_here(function() reg:threshold("g", { warn = 5, critical = 1 }) end, "threshold for 'g': warn must come before critical (above = true)")
    raises_here(function() reg:threshold("g", { warn = 1, critical = 5, above = false }) end,
      "threshold for 'g': warn must come before critical (above = false)")
    raises_here(function() reg:threshold("g", { warn = 1, above = "yes" }) end, "threshold for 'g': above must be a boolean, got string")
    raises_here(function() reg:threshold("g", { warning = 1 }) end, "threshold: unknown option 'warning'")
  end)

  it("an on_alert that is not a function is reported where the alert is raised", function()
    local g = reg:gauge("g", "x")
    reg:threshold("g", { warn = 1 })
    reg.on_alert = "print"
    raises_here(function() g:set(2) end, "on_alert must be a function, got string")
  end)

  it("bad timers, spans, samples and charts", function()
    reg:gauge("depth", "x")
    reg:histogram("op_seconds", "x", { labels = { "op" } })
    raises_here(function() reg:timer("depth") end, "timer 'depth': metric 'depth' is a gauge, not a histogram")
    raises_here(function() reg:timer("op_seconds") end, "metric 'op_seconds' expects 1 label values (op), got 0")
    raises_here(function() reg:timer("op_seconds", { "a", "b" }) end, "metric 'op_seconds' expects 1 label values (op), got 2")
    raises_here(function() reg:timer("op_seconds", "read") end, "bad argument #2 to 'timer' (table of label values expected, got string)")
    raises_here(function() reg:timer("bad name") end, "invalid metric name 'bad name' (must match [a-zA-Z_:][a-zA-Z0-9_:]*)")
    raises_here(function() reg:span("phase") end, "bad argument #2 to 'span' (function expected, got nil)")
    raises_here(function() reg:span(1, print) end, "bad argument #1 to 'span' (metric name expected, got number)")
    raises_here(function() reg:sample(5) end, "bad argument #1 to 'sample' (table of numbers expected, got number)")
    raises_here(function() reg:svg { series = { "a_s", "b_kb", "c" } } end, "svg: at most two units per chart, got ms, MB, count")
    raises_here(function() reg:svg { series = {} } end, "svg: no series (give series = {field, ...})")
    raises_here(function() reg:svg { series = { 5 } } end, "svg: series 1 must be a field name or {field = name}")
    raises_here(function() reg:svg { width = 10 } end, "svg: width must be an integer >= 200, got 10")
    raises_here(function() reg:svg { x = "time" } end, 'svg: x must be "chunk" or "t", got time')
    raises_here(function() reg:svg { colour = "red" } end, "svg: unknown option 'colour'")
    raises_here(function() reg:svg "chart" end, "bad argument #1 to 'svg' (table of options expected, got string)")
  end)

  it("a method called with a dot, and any use after close", function()
    raises_here(function() reg.counter("x", "help") end, "calling 'counter' on bad self (tokenflow.Metrics expected, got string)")
    raises_here(function() reg.prometheus() end, "calling 'prometheus' on bad self (tokenflow.Metrics expected, got nil)")
    local c = reg:counter("c", "x")
    reg:close()
    raises_here(function() reg:gauge("g", "x") end, "attempt to use a closed tokenflow.Metrics")
    raises_here(function() reg:prometheus() end, "attempt to use a closed tokenflow.Metrics")
    raises_here(function() c:inc() end, "attempt to use a closed tokenflow.Metrics")
  end)

  it("errors inside a span's function keep their own position", function()
    raises_here(function() reg:span("outer", function() reg:counter("bad name") end) end,
      "invalid metric name 'bad name' (must match [a-zA-Z_:][a-zA-Z0-9_:]*)")
  end)
end)

describe("metrics handles after close", function()
  it("raise the closed error before looking at their (freed) metric, whatever the arguments", function()
    local reg = tf.metrics()
    local c, g, h = reg:counter("c", "x", { "k" }), reg:gauge("g", "x"), reg:histogram("h", "x")
    local bound = c:labels { "v" }
    reg:close()
    local want = "attempt to use a closed tokenflow.Metrics"
    raises_here(function() c:inc("x") end, want)
    raises_here(function() bound:inc(-1) end, want)
    raises_here(function() bound:inc(0 / 0) end, want)
    raises_here(function() g:set("x") end, want)
    raises_here(function() g:inc(1, 2, 3) end, want)
    raises_here(function() g:dec("x") end, want)
    raises_here(function() h:observe("x") end, want)
    raises_here(function() h:observe(0 / 0) end, want)
    raises_here(function() h:observe(1, { "v" }) end, want)
    raises_here(function() h:quantile(0.5) end, want)
    raises_here(function() bound:labels { "w" } end, want)
    raises_here(function() g:value() end, want)
    assert.are.equal("tokenflow.Histogram (closed registry)", tostring(h))
  end)
end)

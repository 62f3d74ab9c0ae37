local tf = require "tokenflow"

describe("tf.metrics()", function()
  local reg
  before_each(function() reg = tf.metrics() end)
  after_each(function() reg:close() end)

  it("counts, with and without labels; counters are exported with _total", function()
    local c = reg:counter("nodes", "Nodes written")
    c:inc()
    c:inc(4)
    assert.are.equal(5, c:value())
    local w = reg:counter("writes", "Writes", { "phase" })
    local apply = w:labels { "apply" }
    apply:inc(3)
    assert.are.equal(3, w:labels({ "apply" }):value())
    local text = reg:prometheus()
    assert.matches("# TYPE nodes_total counter\nnodes_total 5\n", text, 1, true)
    assert.matches('writes_total{phase="apply"} 3', text, 1, true)
  end)

  it("sets, raises and lowers gauges", function()
    local g = reg:gauge("queue", "Queue depth")
    g:set(5)
    g:inc(2)
    g:dec(1)
    assert.are.equal(6, g:value())
  end)

  it("keeps exact count and sum, cumulative buckets and quantiles within 2%", function()
    local h = reg:histogram("lat", "Latency", { buckets = { 0.1, 1 } })
    for i = 1, 1000 do h:observe(i / 1000) end
    local s = h:stats()
    assert.are.equal(1000, s.count)
    assert.are.equal(500.5, s.sum)
    assert.are.equal(0.001, s.min)
    assert.are.equal(1.0, s.max)
    assert.is_true(math.abs(h:quantile(0.5) - 0.5) / 0.5 <= 0.02)
    assert.is_true(math.abs(h:quantile(0.99) - 0.99) / 0.99 <= 0.02)
    local text = reg:prometheus()
    assert.matches('lat_bucket{le="0.1"} 100\nlat_bucket{le="1"} 1000\nlat_bucket{le="+Inf"} 1000\nlat_sum 500.5\nlat_count 1000', text, 1, true)
  end)

  it("raises one alert per upward crossing and re-arms below the level", function()
    local alerts = {}
    reg.on_alert = function(a) alerts[#alerts + 1] = a.level .. " " .. a.value end
    local mem = reg:gauge("mem", "Memory")
    reg:threshold("mem", { warn = 10, critical = 20 })
    for _, v in ipairs { 5, 12, 15, 25, 5, 12 } do mem:set(v) end
    assert.are.same({ "warn 12.0", "critical 25.0", "warn 12.0" }, alerts)
    assert.are.equal(3, #reg:alerts())
  end)

  it("profiles nested spans and names the bottleneck", function()
    reg:span("outer", function()
      reg:span("inner", function() for _ = 1, 200000 do end end)
    end)
    local p = reg:profile()
    assert.are.equal("inner", p.bottleneck.name)
  end)

  it("samples the system gauges", function()
    local s = reg:sample()
    assert.is_true(s.lua_heap_kb > 0)
    assert.is_true(s.rss_bytes > 0 and s.peak_rss_bytes >= s.rss_bytes)
    assert.is_true(s.engine_bytes > 0)
    assert.is_number(s.cpu_user_s)
  end)

  it("renders a self-contained SVG and JSON", function()
    for _ = 1, 5 do reg:sample() end
    local svg = reg:svg { series = { "lua_heap_kb" } }
    assert.matches("^<svg", svg)
    assert.is_nil(svg:find("<script", 1, true))
    local decoded = require("cjson").decode(reg:json())
    assert.is_table(decoded)
  end)

  it("rejects bad names, kind conflicts, reserved labels, wrong label counts and NaN", function()
    reg:counter("nodes", "x")
    assert.has_error(function() reg:counter("bad name", "x") end)
    assert.error_matches(function() reg:counter("bad name", "x") end, "invalid metric name 'bad name'", 1, true)
    assert.error_matches(function() reg:gauge("nodes", "x") end, "metric 'nodes' is already registered as a counter", 1, true)
    assert.error_matches(function() reg:counter("x2", "x", { "le" }) end, "label name 'le' is reserved", 1, true)
    local w = reg:counter("writes", "x", { "phase" })
    assert.error_matches(function() w:labels {} end, "expects 1 label values (phase), got 0", 1, true)
    local h = reg:histogram("h", "x")
    assert.error_matches(function() h:observe(0 / 0) end, "must be a finite number", 1, true)
  end)

  it("says what it holds and refuses use after close", function()
    reg:counter("a", "x")
    assert.matches("^tokenflow.Metrics %(", tostring(reg))
    local r = tf.metrics()
    r:close()
    assert.has_error(function() r:counter("b", "x") end, "attempt to use a closed tokenflow.Metrics")
  end)
end)

describe("tf.bench", function()
  it("times a function and reports whether it met its target", function()
    local calls = 0
    local r = tf.bench("count", function() calls = calls + 1 end, { iterations = 5, warmup = 1, target_s = 10 })
    assert.are.equal(6, calls)
    assert.is_true(r.min_s <= r.median_s and r.median_s <= r.max_s)
    assert.is_true(r.met)
  end)
end)

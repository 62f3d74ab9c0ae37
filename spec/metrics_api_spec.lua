-- Every method of the metrics registry and of its handles.
local tf = require "tokenflow"

local function count(s, pattern) return select(2, s:gsub(pattern, "")) end

describe("metrics registry", function()
  local reg
  before_each(function() reg = tf.metrics() end)
  after_each(function() reg:close() end)

  describe("counter", function()
    it("returns a handle that names its metric and kind", function()
      local c = reg:counter("nodes", "Nodes written")
      assert.are.equal("nodes_total", c.name)
      assert.are.equal("counter", c.kind)
      assert.are.equal("tokenflow.Counter nodes_total = 0.0", tostring(c))
    end)

    it("adds 1 by default, n when given, integers and floats", function()
      local c = reg:counter("n", "x")
      c:inc(); c:inc(2); c:inc(0.5); c:inc(0)
      assert.are.equal(3.5, c:value())
    end)

    it("keeps a name that already ends in _total", function()
      local c = reg:counter("writes_total", "x")
      assert.are.equal("writes_total", c.name)
      assert.matches("\nwrites_total 0\n", reg:prometheus(), 1, true)
    end)

    it("returns the same metric when registered again with the same shape", function()
      local a = reg:counter("n", "x", { "k" })
      local b = reg:counter("n_total", "other help", { "k" })
      a:inc(1, { "v" })
      b:inc(2, { "v" })
      assert.are.equal(3, a:value { "v" })
    end)

    it("takes labels by name, by position, or bound with labels()", function()
      local c = reg:counter("req", "x", { "route", "code" })
      c:inc(1, { route = "/a", code = "200" })
      c:inc(2, { "/a", "200" })
      c:inc { route = "/a", code = 200 } -- labels only; numbers are label values too
      local bound = c:labels { code = "500", route = "/b" }
      bound:inc()
      bound:inc(4)
      assert.are.equal(4, c:value { "/a", "200" })
      assert.are.equal(5, c:value { route = "/b", code = "500" })
      assert.are.equal(5, bound:value())
      assert.matches("^tokenflow.Counter req_total %(2 series%)$", tostring(c))
    end)

    it("value() of a labelled metric without labels is an error", function()
      local c = reg:counter("req", "x", { "route" })
      assert.error_matches(function() c:value() end, "expects 1 label values (route), got 0", 1, true)
    end)
  end)

  describe("gauge", function()
    it("sets, increments and decrements, with labels", function()
      local g = reg:gauge("depth", "x", { "queue" })
      g:set(10, { "a" })
      g:inc(nil, { "a" })
      g:inc(5, { "a" })
      g:dec(nil, { "a" })
      g:dec(2.5, { queue = "a" })
      g:inc { "b" }
      g:dec { "b" }
      g:dec { "b" }
      assert.are.equal(12.5, g:value { "a" })
      assert.are.equal(-1, g:value { "b" })
      assert.are.equal("gauge", g.kind)
    end)

    it("takes NaN and infinities (Prometheus gauges may hold them)", function()
      local g = reg:gauge("g", "x")
      g:set(math.huge)
      assert.are.equal(math.huge, g:value())
      g:set(0 / 0)
      local v = g:value()
      assert.is_true(v ~= v)
      assert.matches("\ng NaN\n", reg:prometheus(), 1, true)
    end)

    it("a bound child reads and writes the same series", function()
      local g = reg:gauge("g", "x", { "w" })
      local w1 = g:labels { "1" }
      w1:set(3)
      assert.are.equal(3, g:value { "1" })
      assert.matches("^tokenflow.Gauge g = 3", tostring(w1))
    end)
  end)

  describe("histogram", function()
    it("keeps exact count, sum, min, max and mean", function()
      local h = reg:histogram("h", "x", { buckets = { 1, 2 } })
      for _, v in ipairs { 0.5, 1, 1.5, 2, 7 } do h:observe(v) end
      local s = h:stats()
      assert.are.same({ 5, 12, 0.5, 7, 2.4 }, { s.count, s.sum, s.min, s.max, s.mean })
      assert.is_true(s.p50 <= s.p90 and s.p90 <= s.p99)
      assert.matches("^tokenflow.Histogram h %(5 observations, sum 12", tostring(h))
    end)

    it("counts a value equal to a bound in that bucket (le is inclusive)", function()
      local h = reg:histogram("h", "x", { buckets = { 1, 2 } })
      for _, v in ipairs { 0.5, 1, 1.5, 2, 7 } do h:observe(v) end
      local text = reg:prometheus()
      assert.matches('h_bucket{le="1"} 2\nh_bucket{le="2"} 4\nh_bucket{le="+Inf"} 5\nh_sum 12\nh_count 5\n', text, 1, true)
    end)

    it("uses the default buckets without options, and drops a last +Inf bound", function()
      reg:histogram("d", "x")
      reg:histogram("e", "x", { buckets = { 0.5, math.huge } })
      local text = reg:prometheus()
      assert.are.equal(12, count(text, "d_bucket{"))
      assert.matches('d_bucket{le="0.005"} 0\n', text, 1, true)
      assert.matches('d_bucket{le="10"} 0\n', text, 1, true)
      assert.are.equal(2, count(text, "e_bucket{"))
    end)

    it("estimates quantiles within 2% for values over several magnitudes", function()
      local h = reg:histogram("lat", "x")
      local values = {}
      for i = 1, 5000 do
        local v = 10 ^ (-5 + 8 * ((i * 7919) % 5000) / 5000)
        values[i] = v
        h:observe(v)
      end
      table.sort(values)
      for _, q in ipairs { 0.01, 0.1, 0.5, 0.9, 0.99, 0.999 } do
        local truth = values[math.ceil(q * #values)]
        assert.is_true(math.abs(h:quantile(q) - truth) / truth <= 0.02, "q=" .. q)
      end
      assert.are.equal(values[1], h:quantile(0))
      assert.are.equal(values[#values], h:quantile(1))
    end)

    it("handles negative values and zero", function()
      local h = reg:histogram("drift", "x", { buckets = { -1, 0, 1 } })
      for _, v in ipairs { -5, -0.5, 0, 0, 3 } do h:observe(v) end
      assert.are.equal(-5, h:stats().min)
      assert.are.equal(0, h:quantile(0.5))
      assert.is_true(math.abs(h:quantile(0.2) - -5) <= 0.1)
    end)

    it("quantile and stats of an empty histogram", function()
      local h = reg:histogram("h", "x")
      assert.is_nil(h:quantile(0.5))
      local s = h:stats()
      assert.are.equal(0, s.count)
      assert.are.equal(0, s.sum)
      assert.is_nil(s.mean)
      assert.is_nil(s.p99)
    end)

    it("labelled: observe with labels, bound children, per-series stats and quantiles", function()
      local h = reg:histogram("lat", "x", { labels = { "route" }, buckets = { 0.1 } })
      local a = h:labels { "/a" }
      for i = 1, 10 do a:observe(i / 100) end
      h:observe(5, { route = "/b" })
      assert.are.equal(10, a:stats().count)
      assert.are.equal(1, h:stats({ "/b" }).count)
      assert.are.equal(5, h:quantile(0.5, { "/b" }))
      assert.matches('lat_bucket{route="/a",le="0.1"} 10\n', reg:prometheus(), 1, true)
    end)
  end)

  describe("get", function()
    it("returns a handle on the registered metric, or nil", function()
      local c = reg:counter("nodes", "x")
      c:inc(3)
      assert.are.equal(3, reg:get("nodes"):value())
      assert.are.equal(3, reg:get("nodes_total"):value())
      reg:get("nodes"):inc()
      assert.are.equal(4, c:value())
      assert.is_nil(reg:get("nope"))
    end)
  end)

  describe("timer", function()
    it("records the seconds once into a histogram and returns them", function()
      local stop = reg:timer("step_seconds")
      local t0 = tf.now()
      while tf.now() - t0 < 0.002 do end
      local s = stop()
      assert.is_true(s >= 0.002 and s < 1)
      assert.are.equal(s, stop())
      local h = reg:get("step_seconds")
      assert.are.equal("histogram", h.kind)
      assert.are.equal(1, h:stats().count)
      assert.are.equal(s, h:stats().sum)
    end)

    it("records into the series of its labels, and reuses a registered histogram", function()
      local h = reg:histogram("op_seconds", "x", { labels = { "op" } })
      reg:timer("op_seconds", { op = "read" })()
      reg:timer("op_seconds", { "write" })()
      reg:timer("op_seconds", { "write" })()
      assert.are.equal(1, h:stats({ "read" }).count)
      assert.are.equal(2, h:stats({ "write" }).count)
    end)
  end)

  describe("span and profile", function()
    it("returns the function's results and passes its arguments", function()
      local a, b, c = reg:span("calc", function(x, y) return x + y, nil, "z" end, 1, 2)
      assert.are.same({ 3, nil, "z" }, { a, b, c })
    end)

    it("builds a tree with calls, total and self time, shares and heap deltas", function()
      local function busy(s) local t0 = tf.now(); while tf.now() - t0 < s do end end
      collectgarbage("stop") -- so the heap delta of "write" is what it allocated
      for _ = 1, 2 do
        reg:span("apply", function()
          reg:span("resolve", busy, 0.004)
          reg:span("write", function() busy(0.001); local t = {}; for i = 1, 1000 do t[i] = { i } end end) -- luacheck: ignore 241
        end)
      end
      collectgarbage("restart")
      reg:span("report", busy, 0.001)
      local p = reg:profile()
      assert.are.equal(2, #p.phases)
      local apply = p.phases[1]
      assert.are.equal("apply", apply.name)
      assert.are.equal(2, apply.calls)
      assert.are.equal("apply/resolve", apply.children[1].path)
      assert.are.equal("write", apply.children[2].name)
      assert.is_true(apply.children[2].heap_kb > 2 * 1000 * 40 / 1024)
      assert.is_true(apply.self_s < apply.total_s)
      assert.is_true(math.abs(apply.total_s - apply.self_s - apply.children[1].total_s - apply.children[2].total_s) < 1e-9)
      assert.is_true(math.abs(p.total_s - apply.total_s - p.phases[2].total_s) < 1e-9)
      assert.is_true(apply.share > 0.5 and apply.share <= 1)
      assert.are.equal("resolve", p.bottleneck.name)
      assert.is_true(p.bottleneck.self_share > 0.3)
    end)

    it("still records a span whose function raises, and re-raises the error", function()
      assert.has_error(function() reg:span("boom", function() error("bad thing", 0) end) end, "bad thing")
      local p = reg:profile()
      assert.are.equal("boom", p.phases[1].name)
      assert.are.equal(1, p.phases[1].calls)
      -- the stack of open spans was unwound: a new span is top-level again
      reg:span("after", function() end)
      assert.are.equal(2, #reg:profile().phases)
    end)

    it("an empty profile has no bottleneck", function()
      local p = reg:profile()
      assert.are.equal(0, p.total_s)
      assert.are.same({}, p.phases)
      assert.is_nil(p.bottleneck)
    end)
  end)

  describe("sample and samples", function()
    it("sets the system gauges and keeps a row with the numeric extras", function()
      local row = reg:sample { chunk_s = 0.004, nodes = 10, note = "not a number" }
      assert.are.equal(0.004, row.chunk_s)
      assert.are.equal(10, row.nodes)
      assert.is_nil(row.note)
      assert.is_true(row.t >= 0)
      assert.is_true(row.lua_heap_kb > 0 and row.rss_bytes > 0 and row.peak_rss_bytes >= row.rss_bytes)
      assert.is_true(row.cpu_user_s >= 0 and row.cpu_system_s >= 0 and row.engine_bytes > 0)
      assert.are.equal(row.lua_heap_kb * 1024, reg:get("tokenflow_lua_heap_bytes"):value())
      assert.are.equal(row.rss_bytes, reg:get("process_resident_memory_bytes"):value())
      assert.are.equal(row.peak_rss_bytes, reg:get("process_peak_resident_memory_bytes"):value())
      assert.are.equal(row.engine_bytes, reg:get("tokenflow_engine_bytes"):value())
      assert.are.equal(row.cpu_user_s, reg:get("process_cpu_user_seconds"):value())
      assert.are.equal(row.cpu_system_s, reg:get("process_cpu_system_seconds"):value())
      assert.are.equal(row, reg:samples()[1])
    end)

    it("keeps at most max_samples rows, dropping every second one when full", function()
      local r = tf.metrics { max_samples = 4 }
      for i = 1, 5 do r:sample { i = i } end
      local kept = {}
      for k, row in ipairs(r:samples()) do kept[k] = row.i end
      assert.are.same({ 2, 4, 5 }, kept)
      r:close()
    end)
  end)

  describe("threshold, alerts and on_alert", function()
    it("raises an alert per upward crossing with metric, level, value, time and labels", function()
      local seen = {}
      reg.on_alert = function(a) seen[#seen + 1] = a end
      local g = reg:gauge("mem", "x", { "pool" })
      reg:threshold("mem", { warn = 10, critical = 20 })
      g:set(15, { "p1" })
      g:set(16, { "p1" })
      g:set(25, { "p1" })
      g:set(11, { "p2" })
      local alerts = reg:alerts()
      assert.are.equal(3, #alerts)
      assert.are.same({ "mem", "warn", 15, { pool = "p1" } }, { alerts[1].metric, alerts[1].level, alerts[1].value, alerts[1].labels })
      assert.are.same({ "critical", 25 }, { alerts[2].level, alerts[2].value })
      assert.are.same({ pool = "p2" }, alerts[3].labels)
      assert.is_true(alerts[1].at >= 0 and alerts[2].at >= alerts[1].at)
      assert.are.equal(alerts[3], seen[3])
    end)

    it("alerts at or below with above = false, on counters and histograms too", function()
      local g = reg:gauge("hit_ratio", "x")
      reg:threshold("hit_ratio", { warn = 0.9, critical = 0.5, above = false })
      for _, v in ipairs { 1, 0.95, 0.8, 0.85, 0.4, 0.95, 0.3 } do g:set(v) end
      local levels = {}
      for i, a in ipairs(reg:alerts()) do levels[i] = a.level .. "@" .. a.value end
      assert.are.same({ "warn@0.8", "critical@0.4", "critical@0.3" }, levels)

      local c = reg:counter("errors", "x")
      reg:threshold("errors", { warn = 3 })
      for _ = 1, 5 do c:inc() end
      local h = reg:histogram("chunk_seconds", "x")
      reg:threshold("chunk_seconds", { critical = 0.016 })
      for _, v in ipairs { 0.008, 0.02, 0.03, 0.004, 0.017 } do h:observe(v) end
      local alerts = reg:alerts()
      assert.are.same({ "errors_total", "warn", 3 }, { alerts[4].metric, alerts[4].level, alerts[4].value })
      assert.are.same({ "chunk_seconds", "critical", 0.02 }, { alerts[5].metric, alerts[5].level, alerts[5].value })
      assert.are.same({ "chunk_seconds", "critical", 0.017 }, { alerts[6].metric, alerts[6].level, alerts[6].value })
      assert.are.equal(6, #alerts)
      assert.are.equal(5, h:stats().count) -- observations with a threshold are all recorded
    end)

    it("keeps at most max_alerts, oldest dropped, and counts the dropped ones", function()
      local r = tf.metrics { max_alerts = 2 }
      local g = r:gauge("g", "x")
      r:threshold("g", { warn = 1 })
      for v = 1, 4 do g:set(v % 2 == 1 and 5 or 0) end
      g:set(5)
      assert.are.equal(2, #r:alerts())
      assert.are.equal(1, r:snapshot().alerts_dropped)
      r:close()
    end)
  end)

  describe("snapshot and json", function()
    it("gives every metric as plain tables", function()
      reg:counter("n", "Nodes", { "k" }):inc(2, { "a" })
      local h = reg:histogram("h", "Hist", { buckets = { 1 } })
      h:observe(0.5); h:observe(3)
      reg:span("phase", function() end)
      reg:sample()
      local snap = reg:snapshot()
      assert.is_true(snap.uptime_s >= 0)
      assert.are.equal(1, snap.samples)
      assert.are.equal("phase", snap.profile.phases[1].name)
      local n = snap.metrics.n_total
      assert.are.same({ kind = "counter", help = "Nodes", labels = { "k" } }, { kind = n.kind, help = n.help, labels = n.labels })
      assert.are.same({ labels = { k = "a" }, value = 2 }, n.series[1])
      local hs = snap.metrics.h.series[1]
      assert.are.same({ { le = 1, count = 1 }, { le = math.huge, count = 2 } }, hs.buckets)
      assert.are.same({ 2, 3.5, 0.5, 3, 1.75 }, { hs.count, hs.sum, hs.min, hs.max, hs.mean })
      assert.is_number(snap.metrics.tokenflow_lua_heap_bytes.series[1].value)
    end)

    it("encodes the snapshot as JSON, NaN as null and bucket bounds as strings", function()
      reg:gauge("g", "x"):set(0 / 0)
      reg:histogram("h", "x", { buckets = { 0.5 } }):observe(1)
      local doc = require("cjson").decode(reg:json())
      assert.are.equal(require("cjson").null, doc.metrics.g.series[1].value)
      assert.are.same({ { le = "0.5", count = 0 }, { le = "+Inf", count = 1 } }, doc.metrics.h.series[1].buckets)
    end)
  end)

  describe("prometheus", function()
    it("writes HELP and TYPE lines, escaped help and label values", function()
      reg:counter("c", "Line one\nback\\slash", { "path" }):inc(1, { 'a"b\\c\nd' })
      local text = reg:prometheus()
      assert.matches("# HELP c_total Line one\\nback\\\\slash\n# TYPE c_total counter\n", text, 1, true)
      assert.matches('c_total{path="a\\"b\\\\c\\nd"} 1\n', text, 1, true)
      assert.are.equal("\n", text:sub(-1))
    end)

    it("spells infinities as Prometheus does and prints integers without a fraction", function()
      local g = reg:gauge("g", "x", { "k" })
      g:set(math.huge, { "p" }); g:set(-math.huge, { "m" }); g:set(2 ^ 40, { "i" }); g:set(0.1, { "f" })
      local text = reg:prometheus()
      assert.matches('g{k="p"} +Inf\n', text, 1, true)
      assert.matches('g{k="m"} -Inf\n', text, 1, true)
      assert.matches('g{k="i"} 1099511627776\n', text, 1, true)
      assert.matches('g{k="f"} 0.1\n', text, 1, true)
    end)
  end)

  describe("svg", function()
    it("draws the sampled rows with axes, units and a legend", function()
      for i = 1, 20 do reg:sample { chunk_s = i / 1000 } end
      local svg = reg:svg { title = "run <1>" }
      assert.matches('^<svg xmlns="http://www.w3.org/2000/svg" width="800" height="400"', svg)
      assert.matches("run &lt;1&gt;", svg, 1, true)
      assert.matches("time (ms)", svg, 1, true)
      assert.matches("memory (MB)", svg, 1, true)
      assert.matches("chunk time (ms)", svg, 1, true)
      assert.matches("Lua heap (MB)", svg, 1, true)
      assert.are.equal(2, count(svg, "<polyline"))
      assert.is_nil(svg:find("<script", 1, true))
      assert.is_nil(svg:find("href", 1, true))
    end)

    it("takes series with labels, one unit, the time axis and a size", function()
      for i = 1, 5 do reg:sample { nodes = i * 100 } end
      local svg = reg:svg { series = { { field = "nodes", label = "nodes done" } }, x = "t", width = 600, height = 300 }
      assert.matches('width="600" height="300"', svg, 1, true)
      assert.matches("nodes done (count)", svg, 1, true)
      assert.matches("time since start (s)", svg, 1, true)
      assert.are.equal(1, count(svg, "<polyline"))
    end)

    it("says so when there are no samples", function()
      assert.matches("no samples", reg:svg(), 1, true)
    end)
  end)

  describe("close and tostring", function()
    it("says what it holds", function()
      reg:counter("a", "x"); reg:gauge("b", "x", { "k" }):set(1, { "v" })
      assert.are.equal("tokenflow.Metrics (8 metrics, 8 series, 0 alerts)", tostring(reg))
    end)

    it("is idempotent, closes with a to-be-closed variable, and handles refuse use afterwards", function()
      local c, h
      do
        local r <close> = tf.metrics()
        c = r:counter("a", "x")
        h = r:histogram("h", "x")
        c:inc()
        r:close()
        r:close()
        assert.are.equal("tokenflow.Metrics (closed)", tostring(r))
      end
      assert.has_error(function() c:inc() end, "attempt to use a closed tokenflow.Metrics")
      assert.has_error(function() h:observe(1) end, "attempt to use a closed tokenflow.Metrics")
      assert.has_error(function() c:value() end, "attempt to use a closed tokenflow.Metrics")
      assert.are.equal("tokenflow.Counter (closed registry)", tostring(c))
    end)

    it("every method of a closed registry raises", function()
      local r = tf.metrics()
      r:close()
      local calls = {
        function() r:counter("a", "x") end, function() r:gauge("a", "x") end, function() r:histogram("a", "x") end,
        function() r:get("a") end, function() r:timer("a") end, function() r:span("a", print) end,
        function() r:profile() end, function() r:sample() end, function() r:samples() end,
        function() r:threshold("a", { warn = 1 }) end, function() r:alerts() end, function() r:snapshot() end,
        function() r:json() end, function() r:prometheus() end, function() r:svg() end,
      }
      for _, f in ipairs(calls) do assert.has_error(f, "attempt to use a closed tokenflow.Metrics") end
    end)
  end)

  describe("the recording path", function()
    it("allocates nothing per call once a series exists", function()
      local c = reg:counter("c", "x")
      local h = reg:histogram("h", "x")
      local child = reg:counter("w", "x", { "k" }):labels { "v" }
      local g = reg:gauge("g", "x")
      local function run(n)
        for i = 1, n do c:inc(); c:inc(2); child:inc(); h:observe(i * 1e-6); g:set(i) end
      end
      run(1000)
      collectgarbage("collect")
      collectgarbage("stop")
      local before = collectgarbage("count")
      run(100000)
      local grew = collectgarbage("count") - before
      collectgarbage("restart")
      assert.are.equal(0, grew)
      assert.are.equal(300000 + 3000, c:value())
    end)
  end)
end)

describe("tf.bench", function()
  it("reports median, min, max, bytes and whether the targets were met", function()
    local r = tf.bench("alloc", function() local t = {}; for i = 1, 100 do t[i] = i end end, -- luacheck: ignore 241
      { iterations = 3, warmup = 0, target_s = 10, target_bytes = 1 })
    assert.are.equal("alloc", r.name)
    assert.are.equal(3, r.iterations)
    assert.is_true(r.bytes > 100 * 8)
    assert.is_false(r.met) -- the byte target was missed
    local fast = tf.bench("nothing", function() end, { iterations = 4, target_s = 1 })
    assert.is_true(fast.met)
    assert.are.equal(0, fast.bytes)
  end)

  it("rejects a bad name, function or iteration count", function()
    assert.has_error(function() tf.bench(1, print) end, "bad argument #1 to 'bench' (string expected, got number)")
    assert.has_error(function() tf.bench("x", 1) end, "bad argument #2 to 'bench' (function expected, got number)")
    assert.has_error(function() tf.bench("x", print, { iterations = 0 }) end, "bench: iterations must be a positive integer")
  end)
end)

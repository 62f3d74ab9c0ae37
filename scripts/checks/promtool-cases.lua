-- Writes one Prometheus exposition per case into the directory arg[1]
-- (NAME.prom), each from a registry's reg:prometheus(), and checks that
-- the text holds what the case is about (so an empty or wrong output
-- cannot pass). Prints the case names, one a line. Used by promtool.sh.
local tf = require "tokenflow"

local dir = assert(arg[1], "usage: promtool-cases.lua DIR")
local cases = {}

local function case(name, build, expect)
  cases[#cases + 1] = { name = name, build = build, expect = expect }
end

case("counter", function(reg)
  reg:counter("tokenflow_nodes", "Nodes written"):inc(42)
end, { "# TYPE tokenflow_nodes_total counter\n", "\ntokenflow_nodes_total 42\n" })

case("counter_named_total", function(reg)
  reg:counter("tokenflow_writes_total", "Writes"):inc(1.5)
end, { "\ntokenflow_writes_total 1.5\n" })

case("counter_labels", function(reg)
  local c = reg:counter("tokenflow_props", "Properties written", { "property", "kind" })
  c:inc(3, { property = "fill", kind = "color" })
  c:labels({ "radius", "dimension" }):inc()
end, { 'tokenflow_props_total{property="fill",kind="color"} 3\n', 'tokenflow_props_total{property="radius",kind="dimension"} 1\n' })

case("gauge", function(reg)
  reg:gauge("tokenflow_queue_depth", "Queue depth"):set(-3.25)
end, { "\ntokenflow_queue_depth -3.25\n" })

case("gauge_labels", function(reg)
  local g = reg:gauge("tokenflow_pool_tasks", "Tasks by state", { "state" })
  g:set(7, { "running" }); g:inc(2, { "queued" }); g:dec(1, { "queued" })
end, { 'tokenflow_pool_tasks{state="running"} 7\n', 'tokenflow_pool_tasks{state="queued"} 1\n' })

case("gauge_plus_inf", function(reg)
  reg:gauge("tokenflow_limit_bytes", "Byte limit"):set(math.huge)
end, { "\ntokenflow_limit_bytes +Inf\n" })

case("gauge_minus_inf", function(reg)
  reg:gauge("tokenflow_floor", "Lowest level"):set(-math.huge)
end, { "\ntokenflow_floor -Inf\n" })

case("gauge_nan", function(reg)
  reg:gauge("tokenflow_ratio", "Hit ratio"):set(0 / 0)
end, { "\ntokenflow_ratio NaN\n" })

case("histogram", function(reg)
  local h = reg:histogram("tokenflow_chunk_seconds", "Time per chunk")
  for i = 1, 100 do h:observe(i / 1024) end
end, { 'tokenflow_chunk_seconds_bucket{le="0.005"} 5\n', 'tokenflow_chunk_seconds_bucket{le="0.1"} 100\n',
       'tokenflow_chunk_seconds_bucket{le="+Inf"} 100\n', "tokenflow_chunk_seconds_sum 4.931640625\n",
       "tokenflow_chunk_seconds_count 100\n" })

case("histogram_labels_buckets", function(reg)
  local h = reg:histogram("tokenflow_node_bytes", "Bytes per node", { labels = { "phase" }, buckets = { 64, 256, 1024 } })
  h:observe(10, { "read" }); h:observe(300, { "read" }); h:observe(5000, { phase = "write" })
end, { 'tokenflow_node_bytes_bucket{phase="read",le="256"} 1\n', 'tokenflow_node_bytes_bucket{phase="read",le="+Inf"} 2\n',
       'tokenflow_node_bytes_bucket{phase="write",le="1024"} 0\n', 'tokenflow_node_bytes_count{phase="write"} 1\n' })

case("histogram_empty_and_negative", function(reg)
  reg:histogram("tokenflow_idle_seconds", "Never observed")
  local d = reg:histogram("tokenflow_drift", "Signed drift", { buckets = { -1, 0, 1 } })
  d:observe(-2); d:observe(0); d:observe(0.5)
end, { "tokenflow_idle_seconds_count 0\n", 'tokenflow_drift_bucket{le="-1"} 1\n', 'tokenflow_drift_bucket{le="0"} 2\n' })

case("label_value_quotes", function(reg)
  reg:counter("tokenflow_files", "Files", { "path" }):inc(1, { 'say "hi".json' })
end, { 'tokenflow_files_total{path="say \\"hi\\".json"} 1\n' })

case("label_value_backslashes", function(reg)
  reg:counter("tokenflow_files", "Files", { "path" }):inc(1, { "C:\\tokens\\" })
end, { 'tokenflow_files_total{path="C:\\\\tokens\\\\"} 1\n' })

case("label_value_newlines", function(reg)
  reg:gauge("tokenflow_note", "Notes", { "text" }):set(1, { "line 1\nline 2\n" })
end, { 'tokenflow_note{text="line 1\\nline 2\\n"} 1\n' })

case("label_value_all_escapes_and_utf8", function(reg)
  reg:counter("tokenflow_tokens", "Tokens", { "name", "empty" }):inc(2, { 'a\\"b\n{c}=,é', "" })
end, { 'tokenflow_tokens_total{name="a\\\\\\"b\\n{c}=,é",empty=""} 2\n' })

case("help_escapes", function(reg)
  reg:gauge("tokenflow_help", "Back\\slash and\nnewline"):set(1)
end, { "# HELP tokenflow_help Back\\\\slash and\\nnewline\n" })

case("sampled_system_gauges", function(reg)
  reg:sample { chunk_s = 0.004 }
end, { "# TYPE tokenflow_lua_heap_bytes gauge\n", "# TYPE process_peak_resident_memory_bytes gauge\n" })

case("everything_together", function(reg)
  local c = reg:counter("tokenflow_nodes", "Nodes", { "mode" })
  c:inc(10, { "streaming" })
  reg:gauge("tokenflow_eta_seconds", "ETA"):set(0 / 0)
  local stop = reg:timer("tokenflow_apply_seconds")
  stop()
  reg:threshold("tokenflow_apply_seconds", { warn = 1 })
  reg:sample()
end, { "tokenflow_apply_seconds_count 1\n", 'tokenflow_nodes_total{mode="streaming"} 10\n' })

local failed = false
for _, c in ipairs(cases) do
  local reg = tf.metrics()
  c.build(reg)
  local text = reg:prometheus()
  reg:close()
  for _, want in ipairs(c.expect) do
    if not text:find(want, 1, true) then
      io.stderr:write(("case %s: output lacks %q\n%s\n"):format(c.name, want, text))
      failed = true
    end
  end
  local f = assert(io.open(dir .. "/" .. c.name .. ".prom", "w"))
  f:write(text)
  f:close()
  print(c.name)
end
os.exit(failed and 1 or 0)

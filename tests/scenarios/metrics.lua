-- Metrics scenario for the embedding host's out-of-memory sweep: the core
-- registry of every kind, label sets, bound handles, observations over
-- many magnitudes, thresholds with an alert handler, collect and the
-- Prometheus text.
local tf = require "tokenflow.core"
local core = tf.metrics_core(50)
local alerts = 0
core:on_alert(function() alerts = alerts + 1 end)
local c = core:register("counter", "nodes", "Nodes", { "phase" })
local g = core:register("gauge", "depth", "Depth")
local h = core:register("histogram", "chunk_seconds", "Chunk time", { "mode" }, { 0.001, 0.01, 0.1 })
core:threshold("depth", 5, 10, true)
for i = 1, 30 do
  c:inc(i, { "p" .. (i % 12) })
  h:observe(2 ^ (i - 20), { mode = i % 2 == 0 and "streaming" or "batched" })
  g:set(i % 12)
end
local bound = c:labels { "p1" }
bound:inc()
assert(bound:value() > 1)
assert(alerts > 0)
local text = core:prometheus()
assert(text:find('chunk_seconds_bucket{mode="batched",le="+Inf"} 15', 1, true))
local families = core:collect()
assert(#families == 3 and #families[1].series == 12)
assert(h:quantile(0.5, { "streaming" }) > 0)
core:close()
return "ok"

-- Update job scenario for the embedding host's out-of-memory sweep: load a
-- token set, resolve it, run an update over 2,000 nodes with a cache, a
-- pool and the job's metrics, render the reports, and check the results.
local tf = require "tokenflow"

local set = assert(tf.tokens.new {
  core = {
    color = {
      c0 = { value = "#102030", type = "color" }, c1 = { value = "#3366ff", type = "color" },
      c2 = { value = "{color.c1}", type = "color" }, c3 = { value = "rgba({color.c0}, 0.5)", type = "color" },
    },
    space = { base = { value = "4", type = "spacing" }, s1 = { value = "{space.base} * 2", type = "spacing" },
              s2 = { value = "{space.base} * 4", type = "spacing" } },
  },
})
local resolved = assert(set:resolve())

local colors, spaces = { "color.c0", "color.c1", "color.c2", "color.c3" }, { "space.base", "space.s1", "space.s2" }
local nodes = {}
for i = 1, 2000 do
  nodes[i] = { id = i, tokens = { fill = colors[i % 4 + 1], padding = spaces[i % 3 + 1] } }
end

local cache = tf.cache { capacity = 64 }
local pool = tf.pool { concurrency = 4, capacity = 32 }
local writes = 0
local job = tf.update {
  tokens = resolved, source = nodes, cache = cache, pool = pool, mode = "batched", chunk = { size = 250 },
  write = function(node, plan)
    node.fill, node.padding = plan.fill, plan.padding
    writes = writes + 1
  end,
}
local report = job:run()
assert(report.state == "done", report.state)
assert(report.written == 2000 and writes == 2000 and report.failed == 0, report.written)
assert(report.combinations == 12, report.combinations)
for i = 1, 2000, 97 do
  local n = nodes[i]
  assert(n.fill == resolved:get(colors[i % 4 + 1]) and n.padding == resolved:get(spaces[i % 3 + 1]), i)
end

-- the reports
job.metrics:sample { chunk_s = 0.001 }
local prom = job.metrics:prometheus()
assert(prom:find("job_written_total 2000", 1, true), "prometheus")
assert(#job.metrics:json() > 0 and #job.metrics:svg() > 0)
assert(tostring(job):find("2000", 1, true))
pool:close()
cache:close()
return "ok"

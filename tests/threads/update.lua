-- The update job in one thread of tests/host_threads.c while the other
-- runs the same: 3,000 nodes, a cache, a pool, metrics and a rerun of the
-- nodes a changed token touches. Returns a summary string.
local tf = require "tokenflow"

local set = assert(tf.tokens.new {
  core = {
    color = { a = { value = "#102030", type = "color" }, b = { value = "{color.a}", type = "color" },
              c = { value = "#3366ff", type = "color" } },
    space = { base = { value = "4", type = "spacing" }, lg = { value = "{space.base} * 4", type = "spacing" } },
  },
})
local r = assert(set:resolve())
local colors, spaces = { "color.a", "color.b", "color.c" }, { "space.base", "space.lg" }
local nodes = {}
for i = 1, 3000 do nodes[i] = { id = i, tokens = { fill = colors[i % 3 + 1], padding = spaces[i % 2 + 1] } } end
local writes = 0
local job = tf.update {
  tokens = r, source = nodes, pool = { concurrency = 4, capacity = 16 }, mode = "streaming", chunk = { size = 200 },
  write = function(node, plan) node.fill = plan.fill writes = writes + 1 end,
}
-- driven from a coroutine, as a host frame loop would
local co = coroutine.wrap(function() return job:run() end)
local report
repeat report = co() until report.tokenflow ~= "progress"
local again = job:rerun { changed = { "color.a" } }
return table.concat({ report.state, report.written, report.combinations, again.written, writes,
  tostring(nodes[2999].fill), #job.metrics:prometheus() > 0 and "metrics" or "none" }, " ")

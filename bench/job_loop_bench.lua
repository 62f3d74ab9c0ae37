--- Update job hot loop: 200k nodes, 5 token properties each (JSON-encoded
-- names as Tokens Studio stores them), 30 distinct combinations, so almost
-- every node is a cache hit.
--  * job_loop: tf.update (batched, chunks of 5000) writing every property
--    of the plan into the node, against a plain Lua loop writing the same
--    values looked up per node from a table of pre-resolved values by
--    stored name (no decoding, no combination key, no cache); ratio =
--    job / plain time.
--  * job_index: bytes the job's C engine holds per node (the node ->
--    combination index plus the combination table); ratio = bytes/node / 4.
local tf = require "tokenflow"
local benchlib = require "benchlib"

local N = 200000

local set = assert(tf.tokens.new { core = {
  colors = {
    red = { value = "#ff0000", type = "color" }, blue = { value = "#0000ff", type = "color" },
    green = { value = "#00ff00", type = "color" },
    primary = { value = "{colors.red}", type = "color" }, accent = { value = "{colors.blue}", type = "color" },
  },
  spacing = {
    base = { value = "4", type = "spacing" }, sm = { value = "{spacing.base} / 2", type = "spacing" },
    lg = { value = "{spacing.base} * 4", type = "spacing" },
  },
  radius = { sm = { value = "2", type = "borderRadius" }, md = { value = "8", type = "borderRadius" } },
  opacity = { half = { value = "0.5", type = "opacity" } },
} })
local resolved = assert(set:resolve {})

local FILLS = { '"colors.primary"', '"colors.accent"', '"colors.green"', '"colors.red"', '"colors.blue"' }
local GAPS = { '"spacing.base"', '"spacing.sm"', '"spacing.lg"' }
local RADII = { '"radius.sm"', '"radius.md"' }
local nodes = {}
for i = 1, N do
  nodes[i] = { id = i, fill = false, itemSpacing = false, borderRadius = false, opacity = false, paddingLeft = false,
    tokens = { fill = FILLS[i % 5 + 1], itemSpacing = GAPS[i % 3 + 1], borderRadius = RADII[i % 2 + 1],
      opacity = '"opacity.half"', paddingLeft = '"spacing.base"' } }
end
local by_stored = {}
for _, list in ipairs { FILLS, GAPS, RADII, { '"opacity.half"' } } do
  for _, stored in ipairs(list) do by_stored[stored] = resolved:get(stored:sub(2, -2)) end
end

local function write(node, plan)
  for k, v in pairs(plan) do node[k] = v end
end

local plain = benchlib.time(function(n)
  for i = 1, n do
    local node = nodes[i]
    for k, stored in pairs(node.tokens) do node[k] = by_stored[stored] end
  end
end, N)

local report
local job = benchlib.time(function(n)
  local source = n == N and nodes or { table.unpack(nodes, 1, n) }
  report = tf.update { tokens = resolved, source = source, write = write, mode = "batched", chunk = { size = 5000 } }:run()
end, N)
assert(report.written == N and report.combinations == 30, "unexpected report")

benchlib.line("job_loop", job / plain, string.format("plain=%.0fns/node job=%.0fns/node hits=%.4f combinations=%d",
  plain / N * 1e9, job / N * 1e9, report.cache.hit_rate, report.combinations))
benchlib.line("job_index", report.memory.engine_bytes / N / 4, string.format("engine=%d bytes (%.2f bytes/node)",
  report.memory.engine_bytes, report.memory.engine_bytes / N))

-- A real update job measured by its own registry (job.metrics): tf.update
-- applies design tokens to a synthetic page of NODES nodes walked with
-- tf.walk, a chunk at a time (streaming, chunk size adapting to an 8 ms
-- budget). Nodes are generated as the walk reaches them and dropped after
-- their chunk, as in a host document. Each node's token map (fill, stroke,
-- padding, gap, radius) is one of ~1.4k combinations; the job maps a
-- combination once and writes the values into each node. The loop steps
-- the job and samples time and memory after each chunk (reg:sample); the
-- run ends with a short summary and the SVG chart of time and memory per
-- chunk.
--
-- Run: lua5.4 examples/metrics_chart.lua [OUT.svg] [NODES]
-- (`make chart` writes docs/metrics-chart.png from it)
local here = debug.getinfo(1, "S").source:match("^@(.*)/examples/[^/]*$") or "."
package.path = here .. "/lua/?.lua;" .. here .. "/lua/?/init.lua;" .. package.path
package.cpath = here .. "/build/?.so;" .. package.cpath

local tf = require "tokenflow"

local out = arg and arg[1] or "metrics-chart.svg"
local NODES = math.tointeger(tonumber(arg and arg[2] or "")) or 200000

-- Tokens: a palette, semantic colour aliases, a spacing scale computed from
-- a base, and radii (Tokens Studio shape, one set).
local core = { color = {}, fg = {}, space = { base = { value = "4", type = "spacing" } }, radius = {} }
for i = 1, 24 do
  core.color["c" .. i] = { value = string.format("#%02x%02x%02x", (i * 37) % 256, (i * 91) % 256, (i * 53) % 256), type = "color" }
end
for i = 1, 12 do core.fg["f" .. i] = { value = "{color.c" .. (i * 2) .. "}", type = "color" } end
for i = 1, 10 do core.space["s" .. i] = { value = "{space.base} * " .. i, type = "spacing" } end
for i = 1, 5 do core.radius["r" .. i] = { value = tostring(i * 2) .. "px", type = "borderRadius" } end
local resolved = assert(assert(tf.tokens.new { core = core }):resolve {})

local choices = {
  { prop = "fill", prefix = "color.c", n = 24 },
  { prop = "stroke", prefix = "fg.f", n = 12 },
  { prop = "padding", prefix = "space.s", n = 10 },
  { prop = "gap", prefix = "space.s", n = 4 },
  { prop = "radius", prefix = "radius.r", n = 5 },
}

-- The page: frames of groups of leaves, generated on demand (deterministic).
local made = 0
local function rand(seed, n) -- skewed: low choices are more common, as in real files
  local r = ((seed * 2654435761) % 4294967296) / 4294967296
  return 1 + math.floor(r * r * n)
end
local function new_node(kind)
  made = made + 1
  local tokens = {}
  for i, c in ipairs(choices) do
    -- a few choices per frame style, some per node
    local seed = i == 1 and made or (made // 7) * 31 + i
    tokens[c.prop] = c.prefix .. rand(seed, c.n)
  end
  return { id = made, kind = kind, tokens = tokens }
end
local function children(node)
  if made >= NODES then return nil end
  local kind, count = nil, 0
  if node.kind == "page" then kind, count = "frame", NODES // 200
  elseif node.kind == "frame" then kind, count = "group", 12
  elseif node.kind == "group" then kind, count = "leaf", 16 end
  if kind == nil then return nil end
  local list = {}
  for i = 1, count do
    if made >= NODES then break end
    list[i] = new_node(kind)
  end
  return list
end

local written_props = 0
local job = tf.update {
  tokens = resolved,
  source = tf.walk({ id = 0, kind = "page" }, children),
  mode = "streaming",
  chunk = { size = "auto", budget_ms = 8 },
  write = function(node, props)
    for prop, value in pairs(props) do
      node[prop] = { value = value, token = node.tokens[prop] } -- a fresh table, as a host object
      written_props = written_props + 1
    end
  end,
}
local reg = job.metrics
reg:threshold("job_chunk_seconds", { warn = 0.016, critical = 0.032 })

local t0 = tf.now()
reg:sample { chunk_s = 0 }
local more = true
while more do
  local c0 = tf.now()
  more = job:step()
  reg:sample { chunk_s = tf.now() - c0 }
end
local elapsed = tf.now() - t0

local report = job:report()
local chunk_seconds = reg:get("job_chunk_seconds")
local stats = chunk_seconds:stats()
local written = reg:get("job_written"):value()
local hits, misses = reg:get("job_cache_hits"):value(), reg:get("job_cache_misses"):value()
local heap_peak, rss_peak = 0, 0
for _, row in ipairs(reg:samples()) do
  heap_peak = math.max(heap_peak, row.lua_heap_kb)
  rss_peak = math.max(rss_peak, row.peak_rss_bytes)
end
print(string.format("tokenflow metrics: %d nodes written (%d properties) in %d chunks, %.2f s (%.0f ns per node), state %s",
  written, written_props, stats.count, elapsed, elapsed / math.max(written, 1) * 1e9, report.state))
print(string.format("  chunk time      p50 %.2f ms, p99 %.2f ms, max %.2f ms; %d alerts (warn 16 ms, critical 32 ms)",
  stats.p50 * 1e3, stats.p99 * 1e3, stats.max * 1e3, #reg:alerts()))
print(string.format("  memory          Lua heap peak %.1f MB, C engines %d KB, peak RSS %.1f MB",
  heap_peak / 1024, tf.engine_bytes() // 1024, rss_peak / 1048576))
print(string.format("  combinations    %d mapped, %d cache hits (%.1f%%)", misses, hits, 100 * hits / math.max(hits + misses, 1)))
local f = assert(io.open(out, "w"))
f:write(reg:svg { series = { "chunk_s", "lua_heap_kb", "engine_bytes" },
  title = string.format("tokenflow update: %d nodes, %d chunks (8 ms budget)", written, stats.count) })
f:close()
print("  chart           " .. out)

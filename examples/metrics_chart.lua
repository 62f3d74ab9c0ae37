-- A chunked run measured by tf.metrics: applies design tokens to a
-- synthetic page of NODES nodes, walked a chunk at a time (tf.walk +
-- tf.chunks, chunk size adapting to an 8 ms budget). Nodes are generated
-- as the walk reaches them and dropped after their chunk, as a streaming
-- job does. Each node's token map (fill, stroke, padding, gap, radius) is
-- one of ~1.4k combinations; a combination is resolved once through the
-- token engine and the cache, then written into the node's properties.
-- Every chunk records its time, node count and memory (reg:sample); the
-- run ends with a short summary and the SVG chart of time and memory per
-- chunk.
--
-- Run: lua5.4 examples/metrics_chart.lua [OUT.svg] [NODES]
-- (`make chart` writes docs/metrics-chart.svg and renders docs/metrics-chart.png)
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

local reg = tf.metrics()
local nodes_written = reg:counter("tokenflow_nodes", "Nodes written")
local props_written = reg:counter("tokenflow_properties", "Properties written", { "property" })
local per_prop = {}
for i, c in ipairs(choices) do per_prop[i] = props_written:labels { c.prop } end
local chunk_seconds = reg:histogram("tokenflow_chunk_seconds", "Time per chunk",
  { buckets = { 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064 } })
reg:threshold("tokenflow_chunk_seconds", { warn = 0.016, critical = 0.032 })
local cache = tf.cache { capacity = 4096 }

local key = {}
local function resolve_combination(k)
  local props = {}
  for i, c in ipairs(choices) do props[c.prop] = (resolved:get(k[i])) end
  return props
end

-- Two phases per chunk: resolve each node's combination (cache, token
-- engine on a miss), then write the properties.
local planned = {}
local function resolve_chunk(chunk)
  for n = 1, #chunk do
    local tokens = chunk[n].tokens
    if tokens then
      for i, c in ipairs(choices) do key[i] = tokens[c.prop] end
      planned[n] = cache:fetch(key, resolve_combination)
    else
      planned[n] = false -- the page itself
    end
  end
end
local function write_chunk(chunk)
  local written = 0
  for n = 1, #chunk do
    local node, props = chunk[n], planned[n]
    if props then
      for i, c in ipairs(choices) do
        node[c.prop] = { value = props[c.prop], token = node.tokens[c.prop] } -- a fresh table, as a host object
        per_prop[i]:inc()
      end
      written = written + 1
    end
    planned[n] = nil
  end
  return written
end

local root = { id = 0, kind = "page" }
local t0 = tf.now()
reg:sample { chunk_s = 0, chunk_nodes = 0 }
for chunk, info in tf.chunks(tf.walk(root, children), { size = "auto", budget_ms = 8 }) do
  local stop = reg:timer("tokenflow_chunk_seconds")
  local written = reg:span("apply", function()
    reg:span("resolve", resolve_chunk, chunk)
    return reg:span("write", write_chunk, chunk)
  end)
  nodes_written:inc(written)
  reg:sample { chunk_s = stop(), chunk_nodes = info.count }
end
local elapsed = tf.now() - t0

local stats, s, p = chunk_seconds:stats(), cache:stats(), reg:profile()
local rows = reg:samples()
local heap_peak, rss_peak = 0, 0
for _, row in ipairs(rows) do
  heap_peak = math.max(heap_peak, row.lua_heap_kb)
  rss_peak = math.max(rss_peak, row.peak_rss_bytes)
end
print(string.format("tokenflow metrics: %d nodes in %d chunks, %.2f s (%.0f ns per node)",
  nodes_written:value(), stats.count, elapsed, elapsed / nodes_written:value() * 1e9))
print(string.format("  chunk time      p50 %.2f ms, p99 %.2f ms, max %.2f ms; %d alerts (warn 16 ms, critical 32 ms)",
  stats.p50 * 1e3, stats.p99 * 1e3, stats.max * 1e3, #reg:alerts()))
print(string.format("  memory          Lua heap peak %.1f MB, C engines %d KB, peak RSS %.1f MB",
  heap_peak / 1024, tf.engine_bytes() // 1024, rss_peak / 1048576))
print(string.format("  cache           %.1f%% hits, %d resolutions", 100 * s.hit_rate, s.misses))
print(string.format("  bottleneck      %s (%.0f%% of the time in itself)", p.bottleneck.path, 100 * p.bottleneck.self_share))
local f = assert(io.open(out, "w"))
f:write(reg:svg { series = { "chunk_s", "lua_heap_kb", "engine_bytes" },
  title = string.format("tokenflow: %d nodes, %d chunks (8 ms budget)", nodes_written:value(), stats.count) })
f:close()
print("  chart           " .. out)

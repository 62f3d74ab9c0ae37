-- tf.figma: writing a cached plan (map once per token combination, then
-- write it to every node) against calling map for every node, over the same
-- 100k frame nodes with 8 token properties each, in one run. The ratio is how
-- much the cache saves per node; the details give the write-side cost per node.
local tf = require "tokenflow"
local benchlib = require "benchlib"

local N = 100000
local figma = tf.figma

local values = {
  ["colors.surface"] = "rgba(51, 51, 51, 0.5)",
  ["colors.border"] = "#d0d7de",
  ["spacing.md"] = "8px 16px",
  ["radius.md"] = "4px 8px",
  ["shadow.card"] = {
    { x = 0, y = 1, blur = 2, spread = 0, color = "rgba(0,0,0,0.1)", type = "dropShadow" },
    { x = 0, y = 4, blur = 8, spread = -2, color = "rgba(0,0,0,0.2)", type = "dropShadow" },
  },
  ["border.default"] = { color = "#d0d7de", width = "1px", style = "solid" },
  ["opacity.muted"] = "80%",
  ["size.card"] = "20rem",
  ["spacing.gap"] = "12",
}
local resolved = {}
function resolved:get(name)
  local v = values[name]
  if v == nil then return nil end
  return v, { type = "any" }
end

-- as Tokens Studio stores them: JSON-encoded names
local tokens_of_node = {
  fill = '"colors.surface"', spacing = '"spacing.md"', borderRadius = '"radius.md"',
  boxShadow = '"shadow.card"', border = '"border.default"', opacity = '"opacity.muted"',
  width = '"size.card"', itemSpacing = '"spacing.gap"',
}

local nodes = {}
for i = 1, N do
  nodes[i] = { type = "FRAME", id = "1:" .. i, layoutMode = "HORIZONTAL",
    sharedPluginData = { tokens = tokens_of_node } }
end

local write = figma.writer { base_font_size = 16 }
local map = figma.map

local function cached(n)
  local plan = assert(map(tokens_of_node, resolved))
  for i = 1, n do write(nodes[i], plan) end
end

local function uncached(n)
  for i = 1, n do write(nodes[i], assert(map(tokens_of_node, resolved))) end
end

local read = figma.read
local function read_only(n)
  for i = 1, n do read(nodes[i]) end
end

local function map_only(n)
  for _ = 1, n do map(tokens_of_node, resolved) end
end

local t_cached = benchlib.time(cached, N)
local t_uncached = benchlib.time(uncached, N)
local t_map = benchlib.time(map_only, N // 10)
local t_read = benchlib.time(read_only, N)

-- what the nodes hold: written from one shared plan, or each from its own
uncached(N)
local heap_own = benchlib.heap()
cached(N)
local heap_shared = benchlib.heap()

benchlib.line("figma_cached_plan_vs_map_per_node", t_uncached / t_cached, string.format(
  "write of a cached plan %.0f ns/node (%d ops), map+write per node %.0f ns/node, map alone %.0f ns/call (with the %d nodes on the heap); read (8 JSON names) %.0f ns/node; nodes written from per-node plans hold %.1f MB more than from one cached plan",
  t_cached / N * 1e9, #assert(map(tokens_of_node, resolved)), t_uncached / N * 1e9, t_map / (N // 10) * 1e9, N, t_read / N * 1e9,
  (heap_own - heap_shared) / 1e6))

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
function resolved.get(_, name)
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
  "write of a cached plan %.0f ns/node (%d ops), map+write per node %.0f ns/node, map alone %.0f ns/call (with the %d nodes on the heap); "
    .. "read (8 JSON names) %.0f ns/node; "
    .. "nodes written from per-node plans hold %.1f MB more than from one cached plan",
  t_cached / N * 1e9, #assert(map(tokens_of_node, resolved)), t_uncached / N * 1e9, t_map / (N // 10) * 1e9, N, t_read / N * 1e9,
  (heap_own - heap_shared) / 1e6))

-- The apply path of a rerun, on the generated document's token maps
-- (examples/gen-doc.lua's catalog, ~980 combinations) against the demo
-- token set: one line per ratio.
do
  nodes = nil -- the 100k nodes above are done with
  collectgarbage()
  local here = debug.getinfo(1, "S").source:match("^@(.*)/bench/[^/]*$") or "."
  local gen = dofile(here .. "/examples/gen-doc.lua")
  local set = assert(tf.tokens.load(here .. "/examples/tokens/demo"))
  local light = assert(set:resolve { theme = "light" })
  local dark = assert(set:resolve { theme = "dark" })
  local combos = {}
  local catalog = gen.catalog(1)
  for _, kind in ipairs { "button", "canvas", "shape", "stack", "text" } do
    for _, m in ipairs(catalog[kind]) do combos[#combos + 1] = m end
  end
  local C = #combos

  -- map: conversions reused per resolved set (a tokenflow.Resolved) against
  -- the same set behind a plain object, which map cannot reuse anything for
  local plain = { get = function(_, name) return light:get(name) end }
  local function map_all(r) return function(n) for _ = 1, n do for i = 1, C do map(combos[i], r) end end end end
  local t_reuse = benchlib.time(map_all(light), 10)
  local t_plain = benchlib.time(map_all(plain), 10)
  benchlib.line("figma_map_reused_vs_plain_object", t_plain / t_reuse, string.format(
    "map per combination: %.1f us reusing conversions vs %.1f us converting every property (%d combinations)",
    t_reuse / (10 * C) * 1e6, t_plain / (10 * C) * 1e6, C))

  -- diff: light plans -> dark plans, as a rerun after a theme switch.
  -- positional (same operation sequence) vs by group (the old plan's
  -- operations in reverse order, same result), and with shared operations
  local old, new, rev, copies = {}, {}, {}, {}
  local function copy(v)
    if type(v) ~= "table" then return v end
    local out = {}
    for k, x in pairs(v) do out[k] = copy(x) end
    return out
  end
  for i = 1, C do
    old[#old + 1] = assert(map(combos[i], light))
    new[#new + 1] = assert(map(combos[i], dark))
    local o = old[#old]
    local r = {}
    for k = #o, 1, -1 do r[#r + 1] = o[k] end
    rev[#rev + 1] = r
    copies[#copies + 1] = { copy(o), copy(new[#new]) }
  end
  local diff = figma.diff
  local function diff_all(a, b) return function(n) for _ = 1, n do for i = 1, C do diff(a[i], b[i]) end end end end
  local t_shared = benchlib.time(diff_all(old, new), 10)
  local t_grouped = benchlib.time(diff_all(rev, new), 10)
  local t_copies = benchlib.time(function(n)
    for _ = 1, n do for i = 1, C do diff(copies[i][1], copies[i][2]) end end
  end, 10)
  benchlib.line("figma_diff_grouped_vs_positional", t_grouped / t_copies, string.format(
    "diff per combination (light -> dark plans): %.1f us by group, %.1f us position by position (plain copies), %.1f us on map's shared operations",
    t_grouped / (10 * C) * 1e6, t_copies / (10 * C) * 1e6, t_shared / (10 * C) * 1e6))

  -- writer: the fixed cost of one write, a one-operation plan on a RECTANGLE,
  -- against assigning the same field
  local rects = {}
  for i = 1, 1000 do rects[i] = { type = "RECTANGLE", id = "1:" .. i } end
  local one = { { op = "fills", key = "fill", token = "c", paints = { { type = "SOLID", color = { r = 1, g = 0, b = 0, a = 1 } } } } }
  local ww = write.write
  local W = 1000000
  local t_write = benchlib.time(function(n) for i = 1, n do ww(rects[i % 1000 + 1], one) end end, W)
  local paints = one[1].paints
  local t_assign = benchlib.time(function(n) for i = 1, n do rects[i % 1000 + 1].fills = paints end end, W)
  benchlib.line("figma_write_one_op_vs_assignment", t_write / t_assign, string.format(
    "one-operation plan written to a RECTANGLE %.3f us vs the bare assignment %.3f us",
    t_write / W * 1e6, t_assign / W * 1e6))
end

--- Chunked iterator and tree walk benchmarks.
--  * chunks_array_*: 1M nodes, the same loop body run from a plain numeric
--    `for` and from tf.chunks (size 1000); ratio = chunked / plain time.
--    "apply" is a token write (look the node's token up, set a property);
--    "trivial" increments a field, which shows the bare per-node overhead.
--  * walk_memory: tf.walk over a 1M-node tree (depth 20, fan-out 1 to 3),
--    Lua heap sampled per chunk; ratio = peak growth / 1 MB (target < 1).
--  * walk_time: the same walk (batched mode, no GC steps) against a
--    recursive Lua traversal calling a function per node.
local tf = require "tokenflow"
local benchlib = require "benchlib"

local N = 1000000

local nodes = {}
local colors = { "colors.primary", "colors.secondary", "colors.surface", "colors.text" }
local resolved = { ["colors.primary"] = "#0055ff", ["colors.secondary"] = "#ff5500",
  ["colors.surface"] = "#ffffff", ["colors.text"] = "#111111" }
for i = 1, N do nodes[i] = { v = i, token = colors[i % 4 + 1] } end

local bodies = {
  apply = function(node)
    local value = resolved[node.token]
    if value ~= node.fill then node.fill = value end
  end,
  trivial = function(node) node.v = node.v + 1 end,
}

for _, name in ipairs { "apply", "trivial" } do
  local body = bodies[name]
  local plain = benchlib.time(function(n)
    for i = 1, n do body(nodes[i]) end
  end, N)
  local chunked = benchlib.time(function(n)
    for chunk in tf.chunks(nodes, { size = 1000, to = n, mode = "batched" }) do
      for i = 1, #chunk do body(chunk[i]) end
    end
  end, N)
  benchlib.line("chunks_array_" .. name, chunked / plain,
    string.format("plain=%.1fns/node chunked=%.1fns/node overhead=%.1fns/node",
      plain / N * 1e9, chunked / N * 1e9, (chunked - plain) / N * 1e9))
end
nodes = nil

-- A tree of N nodes built level by level: depth 20, fan-out 1, 2 or 3
-- (mean about 2), from a fixed LCG so every run builds the same tree.
local function build_tree(total, depth)
  local seed = 12345
  local function rand()
    seed = (seed * 1103515245 + 12345) % 2147483648
    return seed / 2147483648
  end
  local root = { id = 1 }
  local level, count = { root }, 1
  local parents = level -- the level above `level`
  for _ = 2, depth do
    parents = level
    local next_level = {}
    for _, parent in ipairs(level) do
      local r = rand()
      local fan = r < 0.12 and 1 or r < 0.9 and 2 or 3
      local kids = {}
      for k = 1, fan do
        if count >= total then break end
        count = count + 1
        local child = { id = count }
        kids[k] = child
        next_level[#next_level + 1] = child
      end
      if #kids > 0 then parent.children = kids end
      if count >= total then break end
    end
    level = next_level
    if count >= total then break end
  end
  -- top up the deepest level so the tree has exactly `total` nodes
  local i = 1
  while count < total do
    local parent = parents[i]
    count = count + 1
    parent.children = parent.children or {}
    parent.children[#parent.children + 1] = { id = count }
    i = i % #parents + 1
  end
  return root, count
end

local root, count = build_tree(N, 20)
local function children(node) return node.children end

local base = benchlib.heap()
local peak, visited = 0, 0
local t0 = tf.now()
local walk = tf.walk(root, children)
for chunk in tf.chunks(walk, { size = 1000 }) do
  visited = visited + #chunk
  local kb = collectgarbage("count")
  if kb > peak then peak = kb end
end
local streaming_s = tf.now() - t0
local depth = walk:stats().peak_depth
local growth = math.max(0, peak * 1024 - base)
benchlib.line("walk_memory", growth / (1024 * 1024),
  string.format("nodes=%d visited=%d depth=%d peak_growth=%.1fKB tree=%.1fMB", count, visited, depth,
    growth / 1024, base / (1024 * 1024)))

local function recurse(node, f)
  f(node)
  local kids = node.children
  if kids then for i = 1, #kids do recurse(kids[i], f) end end
end
local walk_s = benchlib.time(function()
  for _ in tf.chunks(tf.walk(root, children), { size = 1000, mode = "batched" }) do end
end, 1, 3)
local n_rec = 0
local rec_s = benchlib.time(function()
  n_rec = 0
  recurse(root, function() n_rec = n_rec + 1 end)
end, 1, 3)
benchlib.line("walk_time", walk_s / rec_s,
  string.format("walk+chunks=%.0fms (batched: no GC steps; streaming run above: %.0fms) recursive=%.0fms (%d nodes)",
    walk_s * 1e3, streaming_s * 1e3, rec_s * 1e3, n_rec))

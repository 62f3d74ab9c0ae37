--- Nested spans and the profile built from them: a tree of phases with
-- total and self time, share of the run and the bottleneck (the phase with
-- the largest self time).
-- @module tokenflow.metrics.spans

local spans = {}

local function new_node(name, path)
  return { name = name, path = path, calls = 0, total_s = 0, heap_kb = 0, children = {}, order = {} }
end

--- A new span tree, empty.
function spans.new()
  local root = new_node("", "")
  return { root = root, stack = { root } }
end

--- Enters the span `name` under the current one and returns its node.
function spans.enter(tree, name)
  local parent = tree.stack[#tree.stack]
  local node = parent.children[name]
  if node == nil then
    node = new_node(name, parent.path == "" and name or parent.path .. "/" .. name)
    parent.children[name] = node
    parent.order[#parent.order + 1] = node
  end
  tree.stack[#tree.stack + 1] = node
  return node
end

--- Leaves `node` (the innermost span), adding its time and heap delta.
function spans.leave(tree, node, seconds, heap_kb)
  assert(tree.stack[#tree.stack] == node, "spans left out of order")
  tree.stack[#tree.stack] = nil
  node.calls = node.calls + 1
  node.total_s = node.total_s + seconds
  node.heap_kb = node.heap_kb + heap_kb
end

-- The public view of a node: self time is what its children do not cover.
local function view(node, run_total, best)
  local out = {
    name = node.name, path = node.path, calls = node.calls, total_s = node.total_s,
    heap_kb = node.heap_kb, children = {},
  }
  local children_s = 0
  for i, child in ipairs(node.order) do
    out.children[i] = view(child, run_total, best)
    children_s = children_s + child.total_s
  end
  table.sort(out.children, function(a, b) return a.total_s > b.total_s end)
  out.self_s = math.max(0, node.total_s - children_s)
  out.share = run_total > 0 and node.total_s / run_total or 0
  out.self_share = run_total > 0 and out.self_s / run_total or 0
  if best[1] == nil or out.self_s > best[1].self_s then best[1] = out end
  return out
end

--- The profile: `{total_s, phases = {...}, bottleneck = phase or nil}`;
-- each phase `{name, path, calls, total_s, self_s, share, self_share,
-- heap_kb, children}`, children sorted by total time, largest first.
function spans.profile(tree)
  local total = 0
  for _, node in ipairs(tree.root.order) do total = total + node.total_s end
  local best, phases = {}, {}
  for i, node in ipairs(tree.root.order) do phases[i] = view(node, total, best) end
  table.sort(phases, function(a, b) return a.total_s > b.total_s end)
  return { total_s = total, phases = phases, bottleneck = best[1] }
end

return spans

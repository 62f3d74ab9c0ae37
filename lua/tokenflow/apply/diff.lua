--- `figma.diff`: what must be written again when a node that holds one plan
-- (from `figma.map`) should come to hold another. Used by the update job on a
-- rerun with changed tokens: the nodes of a combination already hold its old
-- plan, so only the operations whose result changed are written.
--
-- Operations are grouped by the node fields they read or write (strokeWeight
-- and individualStrokeWeights together, the corner fields together, every
-- effect operation on `effects`, every size and layout operation together,
-- ...). When a group's operations differ between the two plans (count, order
-- or any value), every operation of the new plan in that group is kept, in
-- plan order, so later operations on the same fields see what they saw in a
-- full write. A group whose operations are equal is left out: each writer
-- operation is idempotent (writing it again over its own result changes
-- nothing), so the node already holds what a full write would give. Groups
-- share no fields, so writing only the changed groups leaves a node exactly
-- as writing the whole new plan over the old one does.
-- @module tokenflow.apply.diff

local SHARED = require "tokenflow.apply.shared"

-- Node-field group of each writer operation (see tokenflow.apply.writer).
local GROUP = {
  fills = "fills", strokes = "strokes", dashes = "strokeDashes",
  shadows = "effects", shadows_off = "effects", background_blur = "effects", background_blur_off = "effects",
  opacity = "opacity", visible = "visible", rotation = "rotation", characters = "characters",
  text_style = "style",
  stroke_weight = "strokeWeight", stroke_side = "strokeWeight",
  corner_radius = "corners", corner_radii = "corners", corner = "corners",
  -- size, spacing, paddings and position all touch the box or auto-layout fields
  size = "layout", size_full = "layout", size_limit = "layout", dimension = "layout",
  item_spacing = "layout", counter_axis_spacing = "layout", padding = "layout", position = "layout",
}

local function same(a, b)
  if a == b then return true end
  if type(a) ~= "table" or type(b) ~= "table" then return false end
  -- every key of a is in b with an equal value, and b has no more keys
  local n = 0
  for k, v in pairs(a) do
    local w = b[k]
    if v ~= w and not same(v, w) then return false end
    n = n + 1
  end
  for _ in pairs(b) do
    n = n - 1
    if n < 0 then return false end
  end
  return n == 0
end

-- Whether two operations kept by figma.map (never changed) are equal:
-- known[a][b], weak both ways, so an entry goes with either operation.
local known = setmetatable({}, { __mode = "k" })

local function op_equal(a, b)
  if a == b then return true end
  if SHARED[a] and SHARED[b] then
    local row = known[a]
    local eq = row and row[b]
    if eq == nil then
      eq = same(a, b)
      if not row then
        row = setmetatable({}, { __mode = "k" })
        known[a] = row
      end
      row[b] = eq
    end
    return eq
  end
  return same(a, b)
end

-- The operations of plan by group, in plan order; nil when an operation is
-- not one this module knows.
local function by_group(plan)
  local groups = {}
  for i = 1, #plan do
    local op = plan[i]
    local g = type(op) == "table" and GROUP[op.op]
    if not g then return nil end
    local list = groups[g]
    if not list then
      list = {}
      groups[g] = list
    end
    list[#list + 1] = op
  end
  return groups
end

local function group_equal(a, b)
  if a == nil or b == nil then return a == b end
  if #a ~= #b then return false end
  for i = 1, #a do
    if not op_equal(a[i], b[i]) then return false end
  end
  return true
end

-- The groups that changed when old and new hold the same operations in the
-- same order (the common case: the same token map mapped against two
-- resolved sets): each group's operations then sit at the same positions in
-- both, so comparing position by position is comparing group by group.
-- Returns false when the plans differ in length or operation sequence (or
-- hold an entry this module does not know), nil when nothing changed.
local function changed_in_place(old, new, n)
  if #old ~= n then return false end
  local changed
  for i = 1, n do
    local a, b = old[i], new[i]
    if type(a) ~= "table" or type(b) ~= "table" then return false end
    local name = b.op
    local g = GROUP[name]
    if not g or a.op ~= name then return false end
    if not (changed and changed[g]) and not op_equal(a, b) then
      changed = changed or {}
      changed[g] = true
    end
  end
  return changed
end

--- The operations of `new` to write on a node that holds `old`.
-- @tparam table old the plan the node holds (from figma.map), or nil (unknown: all of `new`)
-- @tparam table new the plan it should hold
-- @treturn table a plan: the operations of `new` in changed groups, in
-- plan order (empty when nothing changed); `new` itself when `old` is
-- unknown or either plan holds an operation this module does not know
local function diff(old, new)
  if type(new) ~= "table" then
    error("tokenflow.figma.diff: new plan must be a table, got a " .. type(new), 2)
  end
  if type(old) ~= "table" then return new end
  local n = #new
  local changed = changed_in_place(old, new, n)
  if changed == false then
    local go, gn = by_group(old), by_group(new)
    if not go or not gn then return new end
    for g, list in pairs(gn) do
      if not group_equal(go[g], list) then
        changed = changed or {}
        changed[g] = true
      end
    end
  end
  local out = {}
  if not changed then return out end
  for i = 1, n do
    local op = new[i]
    if changed[GROUP[op.op]] then out[#out + 1] = op end
  end
  return out
end

return diff

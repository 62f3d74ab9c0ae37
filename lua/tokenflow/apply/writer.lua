--- `figma.writer`: applies a plan (from `figma.map`) to a Figma REST-API-style
-- node table. Every value was computed by map; the writer only decides what
-- each operation means for the kind of node it meets (auto layout or not,
-- TEXT or not, inside an instance or not) and assigns fields, so a node is
-- never left half-written.
-- @module tokenflow.apply.writer

local units = require "tokenflow.apply.units"
local fields = require "tokenflow.apply.fields"
local map = require "tokenflow.apply.map"
local diff = require "tokenflow.apply.diff"

-- Figma node types tokens are never applied to (their geometry and paints are
-- not editable the usual way).
local SKIPPED = { CONNECTOR = true, SHAPE_WITH_TEXT = true, STICKY = true, CODE_BLOCK = true }
-- Types without geometry of their own: nothing here applies to them.
local NO_GEOMETRY = { DOCUMENT = true, CANVAS = true, PAGE = true }
-- Types that hold paddings and auto-layout settings.
local FRAME_LIKE = { FRAME = true, COMPONENT = true, COMPONENT_SET = true, INSTANCE = true }
local AUTO_LAYOUT = { HORIZONTAL = true, VERTICAL = true, GRID = true }

-- `kind.inside_instance` until an operation asks (see inside_instance).
local UNKNOWN = {}

-- Whether the node is inside an instance: `where.inside_instance`, else
-- whether its id starts with "I" (Figma's ids for layers inside instances).
local function inside_instance(node, k)
  local inside = k.inside_instance
  if inside == UNKNOWN then
    local where = k.where
    inside = where and where.inside_instance
    if inside == nil then
      local id = node.id
      inside = type(id) == "string" and id:byte(1) == 73 -- "I"
    end
    k.inside_instance = inside
  end
  return inside
end

local function is_auto_layout(node)
  return type(node) == "table" and AUTO_LAYOUT[node.layoutMode] == true
end

local function deep_copy(v)
  if type(v) ~= "table" then return v end
  local out = {}
  for k, x in pairs(v) do out[k] = deep_copy(x) end
  return out
end

-- Fields the writer reads or extends must be tables when present; effects
-- are filtered by type, so every entry must be an effect object. Only the
-- fields the plan's operations read are checked (a malformed field nothing
-- reads does not stop a write), in this order: style, effects,
-- absoluteBoundingBox, rectangleCornerRadii, individualStrokeWeights, then
-- the effect entries.
local function bad_field(node, field, v)
  return string.format("node %s: %s must be a table, got a %s", tostring(node.id or "?"), field, type(v))
end

local CHECKED_FIELDS = { "style", "effects", "absoluteBoundingBox", "rectangleCornerRadii", "individualStrokeWeights" }
-- The field each operation reads (or extends) on the node.
local READS = {
  text_style = "style", shadows_off = "effects", background_blur = "effects", background_blur_off = "effects",
  size = "absoluteBoundingBox", size_full = "absoluteBoundingBox", dimension = "absoluteBoundingBox",
  corner = "rectangleCornerRadii", stroke_side = "individualStrokeWeights",
}

-- The fields a plan's operations read, in CHECKED_FIELDS order.
local function fields_read(plan, n)
  local want = {}
  for i = 1, n do
    local f = READS[plan[i].op]
    if f then want[f] = true end
  end
  local out = {}
  for _, f in ipairs(CHECKED_FIELDS) do
    if want[f] then out[#out + 1] = f end
  end
  return out
end

local function check_node(node, reads)
  for i = 1, #reads do
    local field = reads[i]
    local v = node[field]
    if v ~= nil and type(v) ~= "table" then return bad_field(node, field, v) end
  end
  local effects = node.effects
  if effects ~= nil and reads.effects then
    -- as ipairs: up to the first nil entry
    local i, e = 1, effects[1]
    while e ~= nil do
      if type(e) ~= "table" then
        return string.format("node %s: effects[%d] must be a table, got a %s", tostring(node.id or "?"), i, type(e))
      end
      i = i + 1
      e = effects[i]
    end
  end
  return nil
end

local BOX_KEYS = { "x", "y", "width", "height" }

-- Sets the size of the node's bounding box (a fresh table: boxes are never
-- shared between nodes); a box lacking a coordinate gets 0 for it.
local function resize(node, axis, value)
  local box = node.absoluteBoundingBox
  box = box and fields.copy(box) or {}
  for _, k in ipairs(BOX_KEYS) do fields.default(box, k, 0) end
  if axis ~= "height" then box.width = value end
  if axis ~= "width" then box.height = value end
  node.absoluteBoundingBox = box
end

-- `100%`: stretch in an auto-layout parent (grow along its main axis, stretch
-- across it), else take the parent's size, else 100 like the reference.
local function size_full(node, op, where)
  local parent = where and where.parent
  local dims = op.axis == "both" and { "width", "height" } or { op.axis }
  for _, dim in ipairs(dims) do
    if is_auto_layout(parent) then
      local main = parent.layoutMode == "VERTICAL" and "height" or "width"
      if dim == main and parent.layoutMode ~= "GRID" then
        node.layoutGrow = 1
      else
        node.layoutAlign = "STRETCH"
      end
    elseif type(parent) == "table" and type(parent.absoluteBoundingBox) == "table"
        and type(parent.absoluteBoundingBox[dim]) == "number" then
      resize(node, dim, units.nonzero(parent.absoluteBoundingBox[dim]))
    else
      resize(node, dim, 100)
    end
  end
end

local function without_effects(list, kinds)
  local out = fields.array {}
  for _, e in ipairs(list or {}) do
    if not kinds[e.type] then out[#out + 1] = e end
  end
  return out
end

local SHADOW_KINDS = { DROP_SHADOW = true, INNER_SHADOW = true }
local BLUR_KIND = { BACKGROUND_BLUR = true }

local function set_radii(node, radii)
  local a = radii[1]
  node.rectangleCornerRadii = radii
  if radii[2] == a and radii[3] == a and radii[4] == a then
    node.cornerRadius = a
  else
    node.cornerRadius = nil
  end
end

local function set_line_height(style, lh)
  if lh.unit == "PIXELS" then
    style.lineHeightUnit, style.lineHeightPx = "PIXELS", lh.value
    style.lineHeightPercentFontSize, style.lineHeightPercent = nil, nil
  elseif lh.unit == "PERCENT" then
    style.lineHeightUnit, style.lineHeightPercentFontSize = "FONT_SIZE_%", lh.value
    style.lineHeightPercent = nil
    style.lineHeightPx = type(style.fontSize) == "number" and style.fontSize * lh.value / 100 or nil
  else
    style.lineHeightUnit, style.lineHeightPercent = "INTRINSIC_%", 100
    style.lineHeightPx, style.lineHeightPercentFontSize = nil, nil
  end
end

local function first_style(_, candidates) return candidates[1] end

local function set_text_style(node, text, cfg)
  local style = node.style
  style = style and fields.copy(style) or {}
  if text.fontFamily then style.fontFamily = text.fontFamily end
  if text.fontSize then style.fontSize = text.fontSize end
  local weight = text.fontWeight
  if weight then
    style.fontStyle = cfg.font_style(style.fontFamily, weight.styles) or weight.styles[1]
    style.fontWeight = weight.weight or style.fontWeight
    style.fontPostScriptName = nil -- names a face of the old family or weight
  end
  if text.lineHeight then set_line_height(style, text.lineHeight) end
  local ls = text.letterSpacing
  if ls then
    if ls.unit == "PERCENT" then
      -- REST stores letter spacing in pixels: a percentage of the font size
      local size = type(style.fontSize) == "number" and style.fontSize or cfg.base
      style.letterSpacing = size * ls.value / 100
    else
      style.letterSpacing = ls.value
    end
  end
  if text.paragraphSpacing then style.paragraphSpacing = text.paragraphSpacing end
  if text.paragraphIndent then style.paragraphIndent = text.paragraphIndent end
  if text.textCase then style.textCase = text.textCase end
  if text.textDecoration then style.textDecoration = text.textDecoration end
  node.style = style
end

-- One function per operation: (node, op, kind, cfg) -> true when written.
-- `kind` describes the node: type, auto_layout, inside_instance, where.
local WRITE = {}

-- An operation that sets one node field from one field of the operation.
local function assign(node_field, op_field)
  return function(node, op, _, cfg)
    local v = op[op_field]
    if cfg.deep then v = deep_copy(v) end
    node[node_field] = v
    return true
  end
end

WRITE.fills = assign("fills", "paints")
WRITE.strokes = assign("strokes", "paints")
WRITE.dashes = assign("strokeDashes", "value")
WRITE.shadows = assign("effects", "effects")
WRITE.opacity = assign("opacity", "value")
WRITE.visible = assign("visible", "value")

function WRITE.size(node, op)
  resize(node, op.axis, op.value)
  return true
end

function WRITE.size_full(node, op, k)
  size_full(node, op, k.where)
  return true
end

-- min/max sizes exist on auto-layout frames and their direct children only.
function WRITE.size_limit(node, op, k)
  local parent = k.where and k.where.parent
  if inside_instance(node, k) or not (k.auto_layout or is_auto_layout(parent)) then return false end
  node[op.field] = op.value
  return true
end

function WRITE.padding(node, op, k)
  if not k.frame_like then return false end
  if op.top then node.paddingTop = op.top end
  if op.right then node.paddingRight = op.right end
  if op.bottom then node.paddingBottom = op.bottom end
  if op.left then node.paddingLeft = op.left end
  return true
end

function WRITE.item_spacing(node, op, k)
  if not k.auto_layout then return false end
  if op.auto then
    node.primaryAxisAlignItems = "SPACE_BETWEEN"
  else
    if node.primaryAxisAlignItems == "SPACE_BETWEEN" then node.primaryAxisAlignItems = "MIN" end
    node.itemSpacing = op.value
  end
  return true
end

function WRITE.counter_axis_spacing(node, op, k)
  if not k.auto_layout then return false end
  node.counterAxisSpacing = op.value
  return true
end

function WRITE.dimension(node, op, k, cfg)
  if k.auto_layout then
    return WRITE.item_spacing(node, { value = op.spacing }, k, cfg)
  end
  resize(node, "both", op.size)
  return true
end

function WRITE.stroke_weight(node, op)
  node.strokeWeight = op.value
  node.individualStrokeWeights = nil -- one weight for all sides again
  return true
end

function WRITE.stroke_side(node, op)
  local w = node.strokeWeight or 0
  local sides = { top = w, right = w, bottom = w, left = w }
  for side, v in pairs(node.individualStrokeWeights or {}) do sides[side] = v end
  sides[op.side] = op.value
  node.individualStrokeWeights = sides
  return true
end

function WRITE.corner_radius(node, op, k)
  if k.type == "TEXT" then return false end
  node.cornerRadius = op.value
  node.rectangleCornerRadii = nil
  return true
end

function WRITE.corner_radii(node, op, k, cfg)
  if k.type == "TEXT" then return false end
  local radii = op.value
  if cfg.deep then radii = deep_copy(radii) end
  set_radii(node, radii)
  return true
end

function WRITE.corner(node, op, k)
  if k.type == "TEXT" then return false end
  local r = node.cornerRadius or 0
  local radii = { r, r, r, r }
  for i, v in ipairs(node.rectangleCornerRadii or {}) do radii[i] = v end
  radii[op.index] = op.value
  set_radii(node, radii)
  return true
end

function WRITE.shadows_off(node)
  node.effects = without_effects(node.effects, SHADOW_KINDS)
  return true
end

function WRITE.background_blur(node, op)
  local list = without_effects(node.effects, BLUR_KIND)
  local blur = { type = "BACKGROUND_BLUR", visible = true, radius = op.value }
  -- keep the blur where it was in the list
  local at = #list + 1
  for i, e in ipairs(node.effects or {}) do
    if e.type == "BACKGROUND_BLUR" then at = i break end
  end
  table.insert(list, math.min(at, #list + 1), blur)
  node.effects = list
  return true
end

function WRITE.background_blur_off(node)
  node.effects = without_effects(node.effects, BLUR_KIND)
  return true
end

function WRITE.text_style(node, op, k, cfg)
  if k.type ~= "TEXT" then return false end
  set_text_style(node, op.fields, cfg)
  return true
end

function WRITE.characters(node, op, k)
  if k.type ~= "TEXT" then return false end
  node.characters = op.value
  return true
end

-- Rotation and position of layers inside an instance come from the main
-- component; Figma does not let them be overridden.
function WRITE.rotation(node, op, k)
  if inside_instance(node, k) then return false end
  node.rotation = op.value
  return true
end

function WRITE.position(node, op, k)
  if inside_instance(node, k) then return false end
  node[op.axis] = op.value
  return true
end

-- Node types nothing is written to (skipped, or without geometry).
local NOT_WRITTEN = {}
for t in pairs(SKIPPED) do NOT_WRITTEN[t] = true end
for t in pairs(NO_GEOMETRY) do NOT_WRITTEN[t] = true end

-- The index of the first entry of plan that is not an operation, or nil.
local function check_plan(plan, n)
  for i = 1, n do
    local op = plan[i]
    if type(op) ~= "table" or not WRITE[op.op] then return i end
  end
  return nil
end

-- Plans already checked, with the fields their operations read and their
-- length then: the job writes one cached plan to many nodes, so each is
-- checked once (again when its length changes). Weak keys: a plan is
-- forgotten with its last user.
local checked = setmetatable({}, { __mode = "k" })

--- Makes a writer.
-- @tparam[opt] table opts
--  `base_font_size` (default 16) for percentages of the font size the node does not know;
--  `font_style(family, candidates) -> name` picks the font style among the names
--  a weight may have (default: the first);
--  `copy` (default false): write deep copies of paints and effects instead of
--  sharing the plan's tables between the nodes written from one plan.
-- @treturn table a callable writer: `write(node, plan[, where])` -> number of operations
--  applied (0 and a reason for a skipped node type), or nil and a message
--  for a node whose fields have the wrong types (then nothing was written).
--  `where` is optional: `{parent = parent_node, inside_instance = bool}`; without
--  `inside_instance`, a node whose id starts with "I" (Figma's ids for layers
--  inside instances) is taken as inside an instance. The table also holds
--  `map(tokens_of_node, resolved)` (figma.map with this writer's
--  base_font_size), `write` (the plain function) and `diff(old_plan,
--  new_plan)` (figma.diff: what to write again on a node holding old_plan).
local function writer(opts)
  if opts ~= nil and type(opts) ~= "table" then
    error("tokenflow.figma.writer: opts must be a table", 2)
  end
  opts = opts or {}
  if opts.font_style ~= nil and type(opts.font_style) ~= "function" then
    error("tokenflow.figma.writer: font_style must be a function", 2)
  end
  local cfg = {
    base = units.base_size(opts.base_font_size),
    font_style = opts.font_style or first_style,
    deep = opts.copy and true or false,
  }
  local kind = {}

  local function write(node, plan, where)
    if type(node) ~= "table" then
      error("tokenflow.figma.writer: node must be a table, got a " .. type(node), 2)
    end
    if type(plan) ~= "table" then
      error("tokenflow.figma.writer: plan must be a table (from figma.map), got a " .. type(plan), 2)
    end
    if where ~= nil and type(where) ~= "table" then
      error("tokenflow.figma.writer: where must be a table {parent=, inside_instance=}", 2)
    end
    local t = node.type
    if t ~= nil and type(t) ~= "string" then
      return nil, string.format("node %s: type must be a string, got a %s", tostring(node.id or "?"), type(t))
    end
    if NOT_WRITTEN[t] then return 0, "skipped node type " .. t end
    local n = #plan
    local reads = checked[plan]
    if reads == nil or reads.n ~= n then
      local i = check_plan(plan, n)
      if i then error("tokenflow.figma.writer: plan entry " .. i .. " is not an operation from figma.map", 2) end
      reads = fields_read(plan, n)
      reads.n = n
      for _, f in ipairs(reads) do reads[f] = true end
      checked[plan] = reads
    end
    local bad = check_node(node, reads)
    if bad then return nil, bad end

    -- one description per writer, refilled for each node: writes never
    -- yield, so no other node can see it half-filled; whether the node is
    -- inside an instance is worked out by the operations that ask
    kind.type, kind.where, kind.inside_instance = t, where, UNKNOWN
    kind.auto_layout = AUTO_LAYOUT[node.layoutMode] == true
    kind.frame_like = t == nil or FRAME_LIKE[t] == true
    local applied = 0
    for i = 1, n do
      local op = plan[i]
      -- an entry replaced after the plan was checked is still refused
      local f = type(op) == "table" and WRITE[op.op]
      if not f then
        kind.where = nil
        error("tokenflow.figma.writer: plan entry " .. i .. " is not an operation from figma.map", 2)
      end
      if f(node, op, kind, cfg) then applied = applied + 1 end
    end
    kind.where = nil -- do not keep the parent alive
    return applied
  end

  -- callable, and carrying the matching `map` (same base font size), so
  -- tf.update{write = figma.writer{...}} needs no `map` of its own
  local map_opts = { base_font_size = opts.base_font_size }
  return setmetatable({
    write = write,
    map = function(tokens_of_node, resolved) return map(tokens_of_node, resolved, map_opts) end,
    diff = diff,
  }, { __call = function(_, node, plan, where) return write(node, plan, where) end, __name = "tokenflow.figma.Writer" })
end

return writer

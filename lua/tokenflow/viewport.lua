--- tf.viewport: what the user sees first. A spatial index over node bounds
-- (in C), level of detail by on-screen size, and the viewport rectangle
-- checks the update job uses to write visible nodes first.
-- @module tokenflow.viewport

local core = require "tokenflow.core"

local viewport = {}

local huge = math.huge

local function finite(v)
  return type(v) == "number" and v == v and v > -huge and v < huge
end

-- A value for messages (NaN prints as "nan", whatever its sign).
local function text(v)
  if v ~= v then return "nan" end
  return tostring(v)
end

--- A new spatial index over rectangles (a sparse uniform grid in C).
-- `tf.viewport.index{cell = 256, max_cells = 256, names = tf.names}`.
-- Methods: `insert(id, x, y, w, h)` (raises when id is already in: use
-- `update`), `update(id, x, y, w, h)` (raises when id is not in),
-- `remove(id)` -> boolean, `get(id)` -> x, y, w, h or nil,
-- `query(x, y, w, h)` -> iterator over the ids overlapping the rectangle,
-- each once, `count()` (also `#idx`), `stats()`, `close()`.
-- Ids are integers or strings (interned in `names`). Rectangles are closed:
-- touching edges overlap, and a zero-size rectangle is a point. Sizes must
-- be >= 0 and coordinates finite (NaN and infinities raise). A rectangle
-- spanning more than `max_cells` cells goes to an overflow list that every
-- query checks, so a huge frame costs one entry, not millions of cells.
-- @tparam[opt] table opts `cell` (side of a cell in document units, default
-- 256: about the size of the common node), `max_cells`, `names`
-- @function index
viewport.index = core.viewport_index

--- The default level-of-detail thresholds, in on-screen pixels: below
-- `hidden` a node is not drawn, below `low` it is drawn with low detail,
-- below `medium` with medium detail, else with full detail.
viewport.thresholds = { hidden = 1, low = 4, medium = 24 }

local function check_size(v, arg, name)
  if not finite(v) or v < 0 then
    error(string.format("bad argument #%d to 'lod' (%s must be a finite number >= 0, got %s)", arg, name, text(v)), 3)
  end
end

--- Level of detail of a node by its on-screen size: `max(w, h) * zoom`
-- pixels, compared with the thresholds (each optional, defaults in
-- `tf.viewport.thresholds`).
-- @tparam number w width in document units (>= 0)
-- @tparam number h height in document units (>= 0)
-- @tparam[opt=1] number zoom screen pixels per document unit (> 0)
-- @tparam[opt] table thresholds `{hidden = 1, low = 4, medium = 24}`
-- @treturn string `"hidden"`, `"low"`, `"medium"` or `"high"`
-- @usage tf.viewport.lod(20, 10, 0.5, { low = 4, medium = 24 }) --> "medium"
function viewport.lod(w, h, zoom, thresholds)
  check_size(w, 1, "w")
  check_size(h, 2, "h")
  if zoom == nil then zoom = 1 end
  if not finite(zoom) or zoom <= 0 then
    error(string.format("bad argument #3 to 'lod' (zoom must be a finite number > 0, got %s)", text(zoom)), 2)
  end
  local d = viewport.thresholds
  local hidden, low, medium = d.hidden, d.low, d.medium
  if thresholds ~= nil then
    if type(thresholds) ~= "table" then
      error("bad argument #4 to 'lod' (thresholds must be a table, got " .. type(thresholds) .. ")", 2)
    end
    for k, v in pairs(thresholds) do
      if d[k] == nil then error(string.format("bad argument #4 to 'lod' (unknown threshold '%s')", tostring(k)), 2) end
      if not finite(v) or v < 0 then
        error(string.format("bad argument #4 to 'lod' (%s must be a finite number >= 0, got %s)", k, text(v)), 2)
      end
    end
    hidden = thresholds.hidden or hidden
    low = thresholds.low or low
    medium = thresholds.medium or medium
    if not (hidden <= low and low <= medium) then
      error(string.format("bad argument #4 to 'lod' (thresholds must be hidden <= low <= medium, got %s, %s, %s)",
        hidden, low, medium), 2)
    end
  end
  local size = (w > h and w or h) * zoom
  if size < hidden then return "hidden" end
  if size < low then return "low" end
  if size < medium then return "medium" end
  return "high"
end

-- x, y, w, h, zoom of a viewport table, or nil and a message.
local function check_rect(v, what)
  if type(v) ~= "table" then
    return nil, string.format("%s must be a table {x, y, w, h[, zoom]}, got %s", what, type(v))
  end
  local x, y, w, h, zoom = v.x or v[1], v.y or v[2], v.w or v[3], v.h or v[4], v.zoom or v[5] or 1
  for _, f in ipairs { { "x", x }, { "y", y }, { "w", w }, { "h", h }, { "zoom", zoom } } do
    if not finite(f[2]) then
      return nil, string.format("%s.%s must be a finite number, got %s", what, f[1], text(f[2]))
    end
  end
  if w < 0 or h < 0 then return nil, string.format("%s size must be >= 0, got %s x %s", what, w, h) end
  if zoom <= 0 then return nil, string.format("%s.zoom must be > 0, got %s", what, zoom) end
  return x, y, w, h, zoom
end

--- Checks a viewport table `{x, y, w, h[, zoom]}` (positional, or the
-- fields `x`, `y`, `w`, `h`, `zoom`) and returns x, y, w, h, zoom.
-- Raises naming the bad field; `what` prefixes the message.
-- @tparam table v
-- @tparam[opt="viewport"] string what
function viewport.rect(v, what)
  local x, y, w, h, zoom = check_rect(v, what or "viewport")
  if not x then error(y, 2) end
  return x, y, w, h, zoom
end

--- Parses `"x,y,w,h[,zoom]"` (the command line form) into a viewport
-- table, or returns nil and a message.
-- @tparam string s
function viewport.parse(s)
  if type(s) ~= "string" and type(s) ~= "number" then
    error("bad argument #1 to 'parse' (string expected, got " .. type(s) .. ")", 2)
  end
  local parts = {}
  for field in (s .. ","):gmatch("([^,]*),") do parts[#parts + 1] = field end
  if #parts < 4 or #parts > 5 then
    return nil, string.format("viewport must be x,y,w,h[,zoom], got %q", s)
  end
  for i, p in ipairs(parts) do
    local n = tonumber(p)
    if n == nil or not finite(n) then
      return nil, string.format("viewport field %d is not a finite number: %q", i, p)
    end
    parts[i] = n
  end
  local ok, err = check_rect(parts, "viewport")
  if not ok then return nil, err end
  return parts
end

--- Plans a visible-first update (used by `tf.update` when given
-- `viewport`): finds the nodes of `source` inside the viewport, with one
-- bounds pass in C or, for an array source, one query of `viewport.index`
-- (a tf.viewport.index whose ids are the array positions).
-- An array or a tf.walk is left as it is (a walk is read from a fresh copy
-- of itself, so it must not have started); an iterator function cannot be
-- read twice, so it is read once into an array of its nodes.
-- @param source the job's source
-- @param bounds `function(node) -> x, y, w, h` (nil: no bounds, not
-- visible), `tf.figma.bounds`, or the name of a field holding
-- `{x, y, width, height}`
-- @tparam table vp `{x, y, w, h[, zoom][, index = idx]}`
-- @return a plan `{source, order, count, zoom, scan_s}` (order: the visible
-- positions ascending; for a walk also `nodes` and `set`), or nil and a message
function viewport.prepare(source, bounds, vp)
  local x, y, w, h, zoom = check_rect(vp, "viewport")
  if not x then return nil, y end
  local index = vp.index
  if index ~= nil and not tostring(index):find("^tokenflow.ViewportIndex") then
    return nil, "viewport.index must be a tf.viewport.index, got a " .. type(index)
  end
  if index ~= nil and type(source) ~= "table" then
    return nil, "viewport.index needs an array source (its ids are the array positions)"
  end
  local is_doc = type(source) == "userdata" and tostring(source):find("^tokenflow.DocumentNodes") ~= nil
  if is_doc then -- the document's own bounds pass, in C
    local t0 = core.now()
    local order = source:visible(x, y, w, h)
    return { source = source, order = order, count = #order, zoom = zoom, scan_s = core.now() - t0 }
  end
  if bounds == nil and index == nil then
    return nil, "bounds is required with viewport (function(node) -> x, y, w, h)"
  end
  if bounds ~= nil and index == nil then
    if bounds == require("tokenflow.apply.figma").bounds then
      bounds = "absoluteBoundingBox" -- the same reading, done in C
    elseif type(bounds) ~= "function" and type(bounds) ~= "string" then
      local mt = getmetatable(bounds)
      if type(mt) ~= "table" or mt.__call == nil then
        return nil, "bounds must be a function or a field name, got a " .. type(bounds)
      end
      local callable = bounds
      bounds = function(node) return callable(node) end
    end
  end
  local t0 = core.now()
  local order, nodes
  if index ~= nil then
    local n = #source
    order = {}
    for id in index:query(x, y, w, h) do
      if math.type(id) == "integer" and id >= 1 and id <= n then order[#order + 1] = id end
    end
    table.sort(order)
  elseif type(source) == "table" then
    order = core.viewport_scan(source, bounds, x, y, w, h)
  elseif type(source) == "function" then
    source, order = core.viewport_scan(source, bounds, x, y, w, h)
  else
    local count
    nodes, count, order = core.viewport_scan(source, bounds, x, y, w, h)
    assert(count == #nodes)
    local set = {}
    for _, node in ipairs(nodes) do set[node] = true end
    order.nodes, order.set = nodes, set
  end
  return { source = source, order = order, count = #order, zoom = zoom, scan_s = core.now() - t0 }
end

return viewport

--- Colour token values to Figma paints: a solid colour becomes a SOLID paint,
-- `linear-gradient(...)`, `radial-gradient(...)` and `conic-gradient(...)`
-- become GRADIENT_LINEAR, GRADIENT_RADIAL and GRADIENT_ANGULAR paints with
-- their stops, the plugin-API `gradientTransform` and the REST-API
-- `gradientHandlePositions`.
-- @module tokenflow.apply.paint

local color_parse = require "tokenflow.apply.color_parse"

local paint = {}

local GRADIENT_TYPES = {
  ["linear-gradient"] = "GRADIENT_LINEAR",
  ["radial-gradient"] = "GRADIENT_RADIAL",
  ["conic-gradient"] = "GRADIENT_ANGULAR",
}

-- Splits at top-level occurrences of `sep` (not inside parentheses).
local function split_top(text, sep)
  local parts, depth, start = {}, 0, 1
  for i = 1, #text do
    local ch = text:sub(i, i)
    if ch == "(" then
      depth = depth + 1
    elseif ch == ")" then
      depth = depth - 1
    elseif ch == sep and depth == 0 then
      parts[#parts + 1] = text:sub(start, i - 1):match("^%s*(.-)%s*$")
      start = i + 1
    end
  end
  local last = text:sub(start):match("^%s*(.-)%s*$")
  if last ~= "" then parts[#parts + 1] = last end
  return parts
end

-- Rounds away floating-point noise (cos(90deg) is 6e-17, not 0).
local function tidy(x)
  local r = math.floor(x * 1e10 + 0.5) / 1e10
  if r == 0 then return 0 end
  return r
end

-- CSS angles of `to <side>` (corners as for a square box).
local DIRECTIONS = {
  top = 0, right = 90, bottom = 180, left = 270,
  ["top right"] = 45, ["right top"] = 45, ["bottom right"] = 135, ["right bottom"] = 135,
  ["bottom left"] = 225, ["left bottom"] = 225, ["top left"] = 315, ["left top"] = 315,
}

-- The CSS angle of a linear gradient (deg, turn or `to <side>`), when parts[1] is one.
local function linear_angle(first)
  local deg = first:match("^([%+%-]?%d*%.?%d+)deg$")
  if deg then return tonumber(deg) end
  local turn = first:match("^([%+%-]?%d*%.?%d+)turn$")
  if turn then return tonumber(turn) * 360 end
  local side = first:match("^to%s+(.+)$")
  if side then return DIRECTIONS[side:gsub("%s+", " ")] or 180 end
  return nil
end

-- Figma's gradient space: a 2x3 affine transform. For a CSS angle the
-- gradient line is rotated about the centre and scaled so its ends touch the
-- box edges as CSS does.
local function linear_transform(angle)
  local rad = math.rad(90 - angle)
  local fold = math.abs(rad) % (math.pi / 2)
  if fold > math.pi / 4 then fold = math.pi / 2 - fold end
  local scale = math.cos(fold)
  local c, s = math.cos(rad) * scale, math.sin(rad) * scale
  return {
    { tidy(c), tidy(-s), tidy(0.5 - 0.5 * c + 0.5 * s) },
    { tidy(s), tidy(c), tidy(0.5 - 0.5 * s - 0.5 * c) },
  }
end

local KEYWORD_POSITION = { left = 0, top = 0, center = 0.5, right = 1, bottom = 1 }

local function coordinate(word)
  if KEYWORD_POSITION[word] then return KEYWORD_POSITION[word] end
  local p = word:match("^([%+%-]?%d*%.?%d+)%%$")
  return p and tonumber(p) / 100 or 0.5
end

-- "circle at 25% 75%", "at top", "ellipse": the centre of a radial gradient.
local function radial_centre(first)
  local where = first:match("^at%s+(.+)$") or first:match("%s+at%s+(.+)$")
  local cx, cy = 0.5, 0.5
  if where then
    local words = {}
    for w in where:gmatch("%S+") do words[#words + 1] = w end
    local a, b = words[1], words[2]
    if not b then
      if a == "top" or a == "bottom" then cy = coordinate(a) else cx = coordinate(a) end
    elseif a == "top" or a == "bottom" or b == "left" or b == "right" then
      cx, cy = coordinate(b), coordinate(a)
    else
      cx, cy = coordinate(a), coordinate(b)
    end
  end
  return cx, cy
end

local function radial_transform(cx, cy)
  local fy = 1 - cy -- Figma's y axis for gradients runs bottom-up here
  local sx, sy = 2 * math.max(cx, 1 - cx), 2 * math.max(fy, 1 - fy)
  return { { tidy(sx), 0, tidy(cx - 0.5 * sx) }, { 0, tidy(sy), tidy(fy - 0.5 * sy) } }
end

local function conic_transform(start_deg)
  local rad = math.rad(start_deg)
  local c, s = math.cos(rad), math.sin(rad)
  return {
    { tidy(c), tidy(-s), tidy(0.5 - 0.5 * c + 0.5 * s) },
    { tidy(s), tidy(c), tidy(0.5 - 0.5 * s - 0.5 * c) },
  }
end

-- REST-API handles: the inverse transform applied to the gradient-space
-- points (0, 0.5), (1, 0.5) and (0, 1).
local function handles(m)
  local a, b, tx, c, d, ty = m[1][1], m[1][2], m[1][3], m[2][1], m[2][2], m[2][3]
  local det = a * d - b * c
  if det == 0 then return nil end
  local function inverse(u, v)
    local x, y = u - tx, v - ty
    return { x = tidy((d * x - b * y) / det), y = tidy((-c * x + a * y) / det) }
  end
  return { inverse(0, 0.5), inverse(1, 0.5), inverse(0, 1) }
end

local function parse_stops(parts, first)
  local stops, count = {}, #parts - first + 1
  if count < 1 then return nil, "a gradient needs at least one colour stop" end
  for i = first, #parts do
    local text = parts[i]
    local colour_text, position = text, nil
    -- the position is the last top-level word when it is a percentage or a number
    local words = split_top(text, " ")
    if #words > 1 then
      local last = words[#words]
      local p = last:match("^([%+%-]?%d*%.?%d+)%%$") or last:match("^([%+%-]?%d*%.?%d+)$")
      if p then
        position = tonumber(p) / 100
        colour_text = text:sub(1, #text - #last):match("^%s*(.-)%s*$")
      end
    end
    local colour, opacity = color_parse.parse(colour_text)
    if not colour then return nil, opacity end
    local index = i - first
    stops[#stops + 1] = {
      color = { r = colour.r, g = colour.g, b = colour.b, a = opacity },
      position = position or (count > 1 and index / (count - 1) or 0),
    }
  end
  return stops
end

--- A gradient paint from CSS gradient text.
-- @tparam string text e.g. `"linear-gradient(90deg, #ff0000 0%, #0000ff 100%)"`
-- @treturn[1] table `{type=, gradientStops=, gradientTransform=, gradientHandlePositions=}`
-- @treturn[2] nil
-- @treturn[2] string why not
function paint.gradient(text)
  local name, body = text:match("^%s*([%a%-]+)%s*%((.*)%)%s*$")
  local kind = name and GRADIENT_TYPES[name:lower()]
  if not kind then return nil, string.format("%q is not a gradient", text) end
  local parts = split_top(body, ",")
  if #parts == 0 then return nil, string.format("%q has no colour stops", text) end
  local first, transform = 1
  if kind == "GRADIENT_LINEAR" then
    local angle = linear_angle(parts[1])
    if angle then first = 2 end
    transform = linear_transform(angle or 180)
  elseif kind == "GRADIENT_RADIAL" then
    local p = parts[1]:lower()
    local cx, cy = 0.5, 0.5
    if p:find("^at%s") or p:find("circle") or p:find("ellipse") or p:find("closest%-") or p:find("farthest%-") then
      first = 2
      cx, cy = radial_centre(p)
    end
    transform = radial_transform(cx, cy)
  else
    local p = parts[1]:lower()
    local start = 0
    if p:find("^from%s") or p:find("^at%s") then
      first = 2
      start = tonumber(p:match("^from%s+([%+%-]?%d*%.?%d+)deg")) or 0
    end
    transform = conic_transform(start)
  end
  local stops, err = parse_stops(parts, first)
  if not stops then return nil, string.format("%s in %q", err, text) end
  return {
    type = kind,
    gradientStops = stops,
    gradientTransform = transform,
    gradientHandlePositions = handles(transform),
  }
end

--- True when the text is a CSS gradient.
-- @param value any
-- @treturn boolean
function paint.is_gradient(value)
  if type(value) ~= "string" then return false end
  local name = value:match("^%s*([%a%-]+)%s*%(")
  return name ~= nil and GRADIENT_TYPES[name:lower()] ~= nil
end

--- A SOLID paint from CSS colour text.
-- @tparam string text
-- @treturn[1] table `{type="SOLID", color={r=,g=,b=}, opacity=}`
-- @treturn[2] nil
-- @treturn[2] string why not
function paint.solid(text)
  local colour, opacity = color_parse.parse(text)
  if not colour then return nil, opacity end
  return { type = "SOLID", color = colour, opacity = opacity, visible = true }
end

--- The paint for any colour token value: a gradient or a solid colour.
-- @param value string (a colour, or an object with a `fill`/`color` string, as composite tokens hold)
-- @treturn[1] table a Figma paint
-- @treturn[2] nil
-- @treturn[2] string why not
function paint.from_value(value)
  if type(value) == "table" then value = value.fill or value.color end
  if type(value) ~= "string" then
    return nil, "expected a colour or gradient, got a " .. type(value)
  end
  if paint.is_gradient(value) then return paint.gradient(value) end
  return paint.solid(value)
end

return paint

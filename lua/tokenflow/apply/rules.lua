--- Per-property conversion rules: a resolved token value for one property key
-- becomes plan operations holding Figma values. Nothing here looks at a node;
-- the writer decides what each operation means for the node it meets.
--
-- A rule is `rule(value, cx)`, where `cx.base` is the base font size,
-- `cx.key` the property key, `cx.add(op)` appends an operation and
-- `cx.text` collects text style fields. It returns true, or nil and a message.
-- @module tokenflow.apply.rules

local units = require "tokenflow.apply.units"
local paint = require "tokenflow.apply.paint"
local effects = require "tokenflow.apply.effects"
local array = require("tokenflow.apply.fields").array
local text = require "tokenflow.apply.text"

local rules = {}

local function px(value, cx)
  return units.to_px(value, cx.base)
end

-- A rule for one number in pixels, turned into an operation by `make_op(n)`.
local function number_rule(make_op)
  return function(value, cx)
    local n, err = px(value, cx)
    if not n then return nil, err end
    cx.add(make_op(n))
    return true
  end
end

-- Sizes: 0 is not allowed by Figma; `100%` stretches (decided by the writer).
local function size_rule(axis)
  return function(value, cx)
    if type(value) == "string" and value:match("^%s*100%%%s*$") then
      cx.add { op = "size_full", axis = axis }
      return true
    end
    local n, err = px(value, cx)
    if not n then return nil, err end
    cx.add { op = "size", axis = axis, value = units.nonzero(n) }
    return true
  end
end

local function size_limit_rule(field)
  return number_rule(function(n) return { op = "size_limit", field = field, value = units.nonzero(n) } end)
end

-- Converts every part of a 1-4 value shorthand to pixels.
local function shorthand(value, cx)
  local parts, err = units.parts(value)
  if not parts then return nil, err end
  for i, p in ipairs(parts) do
    local n, perr = px(p, cx)
    if not n then return nil, perr end
    parts[i] = n
  end
  return parts
end

local function padding_rule(sides)
  return number_rule(function(n)
    local op = { op = "padding" }
    for _, side in ipairs(sides) do op[side] = n end
    return op
  end)
end

local function corner_rule(index)
  return number_rule(function(n) return { op = "corner", index = index, value = n } end)
end

local function stroke_side_rule(side)
  return number_rule(function(n) return { op = "stroke_side", side = side, value = n } end)
end

--- Dash pattern of a dashed border, by its width (in pixels).
-- @tparam number width
-- @treturn table `{dash, gap}`
function rules.dash_pattern(width)
  if width == 1 then return { 3, 2 } end
  if width == 2 or width == 3 then return { 6, 3 } end
  if width == 4 then return { 8, 4 } end
  if width == 5 then return { 10, 5 } end
  return { 10, 10 }
end

-- Border `{color, width, style}` on all sides (side == nil) or one side.
-- Its colour reaches the strokes through `borderColor` (see map.lua), since
-- Figma has one stroke paint for all sides.
local function border_rule(side)
  return function(value, cx)
    if type(value) == "string" then
      -- older files: a border token that is only a colour
      local p, err = paint.from_value(value)
      if not p then return nil, err end
      cx.add { op = "strokes", paints = { p } }
      return true
    end
    if type(value) ~= "table" then
      return nil, "a border must be an object {color, width, style}, got a " .. type(value)
    end
    local width
    if value.width ~= nil then
      local err
      width, err = px(value.width, cx)
      if not width then return nil, "width: " .. err end
      if side then
        cx.add { op = "stroke_side", side = side, value = width }
      else
        cx.add { op = "stroke_weight", value = width }
      end
    end
    if type(value.style) == "string" then
      local dashes = { 0, 0 }
      if value.style == "dashed" then dashes = rules.dash_pattern(width or 0) end
      cx.add { op = "dashes", value = dashes }
    end
    return true
  end
end

local function paint_rule(op)
  return function(value, cx)
    local p, err = paint.from_value(value)
    if not p then return nil, err end
    cx.add { op = op, paints = { p } }
    return true
  end
end

local function number_op_rule(op)
  return number_rule(function(n) return { op = op, value = n } end)
end

-- Text style fields are collected and written as one operation on TEXT nodes.
local function text_field_rule(field, convert)
  return function(value, cx)
    local v, err = convert(value, cx)
    if v == nil then return nil, err end
    cx.text[field] = v
    return true
  end
end

local function font_family(value)
  if type(value) == "table" then value = value[1] end -- a font stack: the first family
  if type(value) ~= "string" or value == "" then
    return nil, "expected a font family name, got " .. tostring(value)
  end
  return (value:match("^%s*['\"]?(.-)['\"]?%s*$"))
end

local function text_number(value, cx) return px(value, cx) end
local function line_height(value, cx) return text.line_height(value, cx.base) end
local function letter_spacing(value, cx) return text.letter_spacing(value, cx.base) end
local function font_weight(value) return text.font_weight(value) end
local function text_case(value) return text.text_case(value) end
local function text_decoration(value) return text.text_decoration(value) end

local TEXT_FIELDS = {
  fontFamilies = { "fontFamily", font_family },
  fontWeights = { "fontWeight", font_weight },
  fontSizes = { "fontSize", text_number },
  lineHeights = { "lineHeight", line_height },
  letterSpacing = { "letterSpacing", letter_spacing },
  paragraphSpacing = { "paragraphSpacing", text_number },
  paragraphIndent = { "paragraphIndent", text_number },
  textCase = { "textCase", text_case },
  textDecoration = { "textDecoration", text_decoration },
}

-- Keys of a typography value, by the property key they stand for.
local TYPOGRAPHY_KEYS = {
  fontFamily = "fontFamilies", fontFamilies = "fontFamilies",
  fontWeight = "fontWeights", fontWeights = "fontWeights",
  fontSize = "fontSizes", fontSizes = "fontSizes",
  lineHeight = "lineHeights", lineHeights = "lineHeights",
  letterSpacing = "letterSpacing", paragraphSpacing = "paragraphSpacing",
  paragraphIndent = "paragraphIndent", textCase = "textCase", textDecoration = "textDecoration",
}

local TYPOGRAPHY_ORDER = { "fontFamily", "fontFamilies", "fontWeight", "fontWeights", "fontSize", "fontSizes",
  "lineHeight", "lineHeights", "letterSpacing", "paragraphSpacing", "paragraphIndent", "textCase", "textDecoration" }

--- The text style fields of a typography value, converted, before the node's
-- own text properties are taken out: a list, in a fixed order, of
-- `{key=, field=, value=}` or `{key=, error=}` (key: the property key the
-- entry stands for, such as `fontSizes`). It depends only on the value and
-- `cx.base`; `rules.typography_into` applies it.
-- @param value the typography value
-- @tparam table cx `base`
-- @treturn[1] table the list
-- @treturn[2] nil
-- @treturn[2] string why the value is not a typography value
function rules.typography_fields(value, cx)
  if type(value) ~= "table" then
    return nil, "a typography value must be an object, got a " .. type(value)
  end
  local list = {}
  for _, key in ipairs(TYPOGRAPHY_ORDER) do
    local v = value[key]
    if v ~= nil then
      local prop = TYPOGRAPHY_KEYS[key]
      local spec = TEXT_FIELDS[prop]
      local out, err = spec[2](v, cx)
      if out == nil then
        list[#list + 1] = { key = prop, error = key .. ": " .. err }
      else
        list[#list + 1] = { key = prop, field = spec[1], value = out }
      end
    end
  end
  return list
end

--- Sets the fields of a `rules.typography_fields` list into `text`, leaving
-- out those whose property the node sets itself (`explicit[key]`); the
-- first such entry that failed is the error.
-- @tparam table list
-- @tparam table explicit property key -> token name of the node
-- @tparam table fields the text style: field -> value
-- @treturn[1] true
-- @treturn[2] nil
-- @treturn[2] string
function rules.typography_into(list, explicit, fields)
  for i = 1, #list do
    local e = list[i]
    if not explicit[e.key] then
      if e.error then return nil, e.error end
      fields[e.field] = e.value
    end
  end
  return true
end

local function typography_rule(value, cx)
  local list, err = rules.typography_fields(value, cx)
  if not list then return nil, err end
  return rules.typography_into(list, cx.explicit, cx.text)
end

local function spacing_rule(value, cx)
  local p, err = shorthand(value, cx)
  if not p then return nil, err end
  local top, right, bottom, left = units.four(p)
  cx.add { op = "padding", top = top, right = right, bottom = bottom, left = left }
  return true
end

local function border_radius_rule(value, cx)
  local p, err = shorthand(value, cx)
  if not p then return nil, err end
  if #p == 1 then
    cx.add { op = "corner_radius", value = p[1] }
  else
    cx.add { op = "corner_radii", value = { units.four(p) } }
  end
  return true
end

local function item_spacing_rule(value, cx)
  if value == "AUTO" then
    cx.add { op = "item_spacing", auto = true }
    return true
  end
  local n, err = px(value, cx)
  if not n then return nil, err end
  cx.add { op = "item_spacing", value = n }
  return true
end

local function box_shadow_rule(value, cx)
  local list, err = effects.shadows(value, cx.base)
  if not list then return nil, err end
  cx.add { op = "shadows", effects = array(list) }
  return true
end

local function opacity_rule(value, cx)
  local pct = units.percent(value)
  local n = pct and pct / 100 or tonumber(value)
  if not n or n < 0 or n > 1 then
    return nil, string.format("%q is not an opacity (0 to 1, or 0%% to 100%%)", tostring(value))
  end
  cx.add { op = "opacity", value = n }
  return true
end

-- dimension/number: item spacing on auto-layout frames, a square size elsewhere.
local dimension_rule = number_rule(function(n)
  return { op = "dimension", spacing = n, size = units.nonzero(n) }
end)

local function visibility_rule(value, cx)
  if value == true or value == "true" then
    cx.add { op = "visible", value = true }
  elseif value == false or value == "false" then
    cx.add { op = "visible", value = false }
  else
    return nil, string.format("%q is not a visibility (true or false)", tostring(value))
  end
  return true
end

-- How a value reads as text: numbers without a trailing ".0", objects as
-- "key: value" lines, arrays as blocks separated by a blank line.
local function display(value)
  local t = type(value)
  if t == "number" then
    if math.type(value) == "float" and value == math.floor(value) and math.abs(value) < 2 ^ 53 then
      return string.format("%d", value)
    end
    return string.format("%.14g", value)
  end
  if t ~= "table" then return tostring(value) end
  local lines = {}
  if value[1] ~= nil then
    for i, v in ipairs(value) do lines[i] = display(v) end
    return table.concat(lines, "\n\n")
  end
  local keys = {}
  for k in pairs(value) do keys[#keys + 1] = tostring(k) end
  table.sort(keys)
  for i, k in ipairs(keys) do lines[i] = k .. ": " .. display(value[k]) end
  return table.concat(lines, "\n")
end
rules.display = display

local function text_rule(value, cx)
  local t = type(value)
  if t ~= "string" and t ~= "number" and t ~= "boolean" then
    return nil, "text must be a string or a number, got a " .. t
  end
  cx.add { op = "characters", value = display(value) }
  return true
end

-- tokenValue/value/tokenName/description write documentation into TEXT nodes.
local function characters_rule(pick)
  return function(value, cx)
    cx.add { op = "characters", value = pick(value, cx) }
    return true
  end
end

local function position_rule(axis)
  return number_rule(function(n) return { op = "position", axis = axis, value = n } end)
end

local function asset_rule(value, cx)
  if type(value) ~= "string" or value == "" then
    return nil, "an asset must be an image URL, got " .. tostring(value)
  end
  cx.add { op = "fills", paints = { { type = "IMAGE", scaleMode = "FILL", imageRef = value, visible = true } } }
  return true
end

--- Rules by property key.
rules.by_key = {
  sizing = size_rule("both"), width = size_rule("width"), height = size_rule("height"),
  minWidth = size_limit_rule("minWidth"), maxWidth = size_limit_rule("maxWidth"),
  minHeight = size_limit_rule("minHeight"), maxHeight = size_limit_rule("maxHeight"),
  spacing = spacing_rule,
  horizontalPadding = padding_rule { "left", "right" },
  verticalPadding = padding_rule { "top", "bottom" },
  paddingTop = padding_rule { "top" }, paddingRight = padding_rule { "right" },
  paddingBottom = padding_rule { "bottom" }, paddingLeft = padding_rule { "left" },
  itemSpacing = item_spacing_rule,
  counterAxisSpacing = number_op_rule("counter_axis_spacing"),
  fill = paint_rule("fills"),
  borderColor = paint_rule("strokes"),
  backgroundBlur = number_op_rule("background_blur"),
  border = border_rule(nil), borderTop = border_rule("top"), borderRight = border_rule("right"),
  borderBottom = border_rule("bottom"), borderLeft = border_rule("left"),
  borderRadius = border_radius_rule,
  borderRadiusTopLeft = corner_rule(1), borderRadiusTopRight = corner_rule(2),
  borderRadiusBottomRight = corner_rule(3), borderRadiusBottomLeft = corner_rule(4),
  borderWidth = number_op_rule("stroke_weight"),
  borderWidthTop = stroke_side_rule("top"), borderWidthRight = stroke_side_rule("right"),
  borderWidthBottom = stroke_side_rule("bottom"), borderWidthLeft = stroke_side_rule("left"),
  boxShadow = box_shadow_rule,
  opacity = opacity_rule,
  typography = typography_rule,
  dimension = dimension_rule, number = dimension_rule,
  asset = asset_rule,
  visibility = visibility_rule,
  text = text_rule,
  tokenValue = characters_rule(function(value, cx)
    local raw = cx.info and cx.info.raw
    return display(raw ~= nil and raw or value)
  end),
  value = characters_rule(function(value) return display(value) end),
  tokenName = characters_rule(function(_, cx) return cx.token end),
  description = characters_rule(function(_, cx)
    local d = cx.info and cx.info.description
    return (d ~= nil and d ~= "") and tostring(d) or "No description"
  end),
  rotation = number_op_rule("rotation"),
  x = position_rule("x"), y = position_rule("y"),
}
for key, spec in pairs(TEXT_FIELDS) do
  rules.by_key[key] = text_field_rule(spec[1], spec[2])
end

--- Property keys in the order their operations are written (the reference
-- plugin's order: borders, radii, effects, opacity, sizes, spacing, rotation,
-- colour, position, typography, assets, dimension, visibility, text).
rules.order = {
  "border", "borderTop", "borderRight", "borderBottom", "borderLeft", "borderColor",
  "borderRadius", "borderRadiusTopLeft", "borderRadiusTopRight", "borderRadiusBottomRight", "borderRadiusBottomLeft",
  "boxShadow", "backgroundBlur",
  "borderWidth", "borderWidthTop", "borderWidthRight", "borderWidthBottom", "borderWidthLeft",
  "opacity",
  "sizing", "width", "height", "minWidth", "maxWidth", "minHeight", "maxHeight",
  "spacing", "horizontalPadding", "verticalPadding", "itemSpacing", "counterAxisSpacing",
  "paddingTop", "paddingRight", "paddingBottom", "paddingLeft",
  "rotation", "fill", "x", "y",
  "typography", "fontFamilies", "fontWeights", "fontSizes", "lineHeights", "letterSpacing",
  "paragraphSpacing", "paragraphIndent", "textCase", "textDecoration",
  "asset", "dimension", "number", "visibility",
  "tokenValue", "text", "value", "tokenName", "description",
}

--- True for keys whose values are text style fields.
rules.is_text_key = { typography = true }
for key in pairs(TEXT_FIELDS) do rules.is_text_key[key] = true end

--- Other names composition tokens use for property keys.
rules.alias = {
  fontFamily = "fontFamilies", fontWeight = "fontWeights", fontSize = "fontSizes", lineHeight = "lineHeights",
}

--- The border keys, whose colour becomes the default `borderColor`.
rules.border_keys = { "border", "borderTop", "borderRight", "borderLeft", "borderBottom" }

return rules

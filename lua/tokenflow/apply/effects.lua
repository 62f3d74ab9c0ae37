--- Box shadow token values to Figma effects.
-- @module tokenflow.apply.effects

local units = require "tokenflow.apply.units"
local color_parse = require "tokenflow.apply.color_parse"

local effects = {}

local function number_field(shadow, field, base)
  local v = shadow[field]
  if v == nil then return 0 end
  local n, err = units.to_px(v, base)
  if not n then return nil, field .. ": " .. err end
  return n
end

local function one_shadow(shadow, base)
  if type(shadow) ~= "table" then
    return nil, "a shadow must be an object, got a " .. type(shadow)
  end
  local colour, opacity = color_parse.parse(shadow.color or "#000000")
  if not colour then return nil, "color: " .. opacity end
  local fields = {}
  for _, f in ipairs { "x", "y", "blur", "spread" } do
    local n, err = number_field(shadow, f, base)
    if not n then return nil, err end
    fields[f] = n
  end
  local kind = shadow.type == "innerShadow" and "INNER_SHADOW" or "DROP_SHADOW"
  local effect = {
    type = kind,
    color = { r = colour.r, g = colour.g, b = colour.b, a = opacity },
    offset = { x = fields.x, y = fields.y },
    radius = fields.blur,
    spread = fields.spread,
    blendMode = type(shadow.blendMode) == "string" and shadow.blendMode or "NORMAL",
    visible = true,
  }
  if kind == "DROP_SHADOW" then effect.showShadowBehindNode = false end
  return effect
end

--- The effect list for a box shadow value: one shadow object, or an array of
-- them applied in reverse order (the first CSS layer is on top, Figma's top
-- effect is the last).
-- @param value table a shadow `{x, y, blur, spread, color, type}` or an array of them
-- @tparam number base base font size
-- @treturn[1] table list of effects
-- @treturn[2] nil
-- @treturn[2] string why not
function effects.shadows(value, base)
  if type(value) ~= "table" then
    return nil, "a box shadow must be an object or an array, got a " .. type(value)
  end
  local list = value[1] ~= nil and value or { value }
  local out, n = {}, #list
  for i = 1, n do
    local effect, err = one_shadow(list[i], base)
    if not effect then
      return nil, n > 1 and string.format("shadow %d: %s", i, err) or err
    end
    out[n - i + 1] = effect
  end
  return out
end

return effects

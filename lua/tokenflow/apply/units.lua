--- Numbers as design tokens write them (`13px`, `2rem`, `1.5em`, `50%`) turned
-- into the plain numbers Figma stores, and CSS 1-4 value shorthands.
-- @module tokenflow.apply.units

local units = {}

local DEFAULT_BASE = 16

-- One number, optionally signed, with an optional unit: "13px", "-0.5em", ".5", "12".
local function split_number(text)
  local num, unit = text:match("^%s*([%+%-]?%d*%.?%d+)%s*(%a*%%?)%s*$")
  if not num then
    num, unit = text:match("^%s*([%+%-]?%d+%.)%s*(%a*%%?)%s*$")
  end
  return tonumber(num), unit
end

--- The base font size as a number: a number, or a string such as `"14px"`;
-- anything unparsable (or not positive) falls back to 16, like the reference plugin.
-- @param base number|string|nil
-- @treturn number
function units.base_size(base)
  if type(base) == "number" then
    return base > 0 and base or DEFAULT_BASE
  end
  if type(base) == "string" then
    local n, unit = split_number(base)
    if n and n > 0 and (unit == "" or unit == "px") then return n end
  end
  return DEFAULT_BASE
end

--- A token value as a number of pixels. `px`, `%` and bare numbers keep their
-- number; `rem` and `em` multiply by `base`.
-- @param value number|string
-- @tparam number base base font size in pixels
-- @treturn[1] number
-- @treturn[2] nil
-- @treturn[2] string why the value is not a number
function units.to_px(value, base)
  if type(value) == "number" then return value end
  if type(value) ~= "string" then
    return nil, "expected a number, got a " .. type(value)
  end
  local n, unit = split_number(value)
  if not n then
    return nil, string.format("%q is not a number", value)
  end
  if unit == "" or unit == "px" or unit == "%" then return n end
  if unit == "rem" or unit == "em" then return n * base end
  return nil, string.format("%q has an unsupported unit %q (px, rem, em)", value, unit)
end

--- The number in `"50%"`, or nil when the value is not a percentage.
-- @param value any
-- @treturn number|nil
function units.percent(value)
  if type(value) ~= "string" then return nil end
  return tonumber(value:match("^%s*([%+%-]?%d*%.?%d+)%s*%%%s*$"))
end

--- Figma rejects a size of 0, so sizes of 0 become 0.001.
-- @tparam number n
-- @treturn number
function units.nonzero(n)
  if n == 0 then return 0.001 end
  return n
end

--- The parts of a CSS shorthand (`"8px 16px"`): 1 to 4 values separated by
-- spaces. A number is one part.
-- @param value number|string
-- @treturn[1] table the parts, as strings or numbers
-- @treturn[2] nil
-- @treturn[2] string why not
function units.parts(value)
  if type(value) == "number" then return { value } end
  if type(value) ~= "string" then
    return nil, "expected a number or text, got a " .. type(value)
  end
  local list = {}
  for part in value:gmatch("%S+") do list[#list + 1] = part end
  if #list < 1 or #list > 4 then
    return nil, string.format("%q must have 1 to 4 values, has %d", value, #list)
  end
  return list
end

--- The four sides (or corners) of a 2-4 value CSS shorthand, in CSS order
-- top, right, bottom, left (corners: top-left, top-right, bottom-right, bottom-left).
-- @tparam table p 1 to 4 numbers
-- @treturn number,number,number,number
function units.four(p)
  local a, b, c, d = p[1], p[2], p[3], p[4]
  if #p == 1 then return a, a, a, a end
  if #p == 2 then return a, b, a, b end
  if #p == 3 then return a, b, c, b end
  return a, b, c, d
end

return units

--- Colour functions written in token values, rewritten to hex as Tokens
-- Studio does: `rgba(#ff0000, 0.5)`, `rgb(255, 0, 0, 0.25)`, `hsl(172, 50%,
-- 25%)`, `hsla(...)`, anywhere in the text (gradients keep their structure).
-- Arguments may be math (`25 * 3.5 + 0.175%`).
-- @module tokenflow.tokens.colorfn

local color = require "tokenflow.tokens.color"
local tmath = require "tokenflow.tokens.math"

local colorfn = {}

local function split_args(inner)
  local args = {}
  for a in (inner .. ","):gmatch("%s*([^,]-)%s*,") do args[#args + 1] = a end
  return args
end

-- Number of an argument: math allowed; "n%" scales to `percent_scale`.
local function arg_value(text, percent_scale)
  local x, unit = tmath.value(text)
  if not x and text:find("%", 1, true) then
    -- "25 * 3.5 + 0.175%": the percent sign applies to the whole argument
    x, unit = tmath.value((text:gsub("%%", "")))
    if x and unit == "" then unit = "%" else x = nil end
  end
  if not x then return nil end
  if unit == "%" then return x / 100 * percent_scale end
  if unit ~= "" and unit ~= "deg" then return nil end
  return x
end

local function rewrite(name, inner)
  local args = split_args(inner)
  local lname = name:lower()
  if lname == "rgb" or lname == "rgba" then
    local hex = args[1] and args[1]:match("^#%x+$")
    local c
    if hex then
      if #args ~= 2 and #args ~= 1 then return nil end
      c = color.parse(hex)
      if not c then return nil end
      if args[2] then
        local a = arg_value(args[2], 1)
        if not a then return nil end
        c.alpha = a
      end
    else
      if #args ~= 3 and #args ~= 4 then return nil end
      local v = {}
      for i = 1, 3 do
        v[i] = arg_value(args[i], 255)
        if not v[i] then return nil end
      end
      local a = args[4] and arg_value(args[4], 1) or 1
      if not a then return nil end
      c = color.new("srgb", v[1] / 255, v[2] / 255, v[3] / 255, a)
    end
    return color.hex(c)
  elseif lname == "hsl" or lname == "hsla" then
    if #args ~= 3 and #args ~= 4 then return nil end
    local h, s, l = arg_value(args[1], 360), arg_value(args[2], 100), arg_value(args[3], 100)
    local a = args[4] and arg_value(args[4], 1) or 1
    if not (h and s and l and a) then return nil end
    return color.hex(color.new("hsl", h, s, l, a))
  end
  return nil
end

--- Rewrites every colour function in text to hex; returns the text
-- unchanged when there is none or an argument is not a number.
function colorfn.apply(text)
  if not (text:find("rgb", 1, true) or text:find("hsl", 1, true)) then return text end
  local function each(name, call) return rewrite(name, call:sub(2, -2)) end
  text = text:gsub("%f[%w_%-]([rR][gG][bB][aA]?)(%b())", each)
  return (text:gsub("%f[%w_%-]([hH][sS][lL][aA]?)(%b())", each))
end

return colorfn

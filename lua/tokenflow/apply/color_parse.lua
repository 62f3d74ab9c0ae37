--- CSS colour text to Figma colour components: hex with 3, 4, 6 or 8 digits,
-- `rgb()`/`rgba()` with numbers or percentages (comma or space syntax),
-- `hsl()`/`hsla()`, the CSS named colours and `transparent`.
-- The interface is one function so the token engine's colour maths can share it.
-- @module tokenflow.apply.color_parse

local css_colors = require "tokenflow.apply.css_colors"

local color_parse = {}

local function clamp01(x)
  if x < 0 then return 0 elseif x > 1 then return 1 end
  return x
end

-- Figma shows opacity as a whole percentage; the reference rounds to 2 decimals.
local function round2(x)
  return math.floor(x * 100 + 0.5) / 100
end

local function from_hex(digits)
  local n = #digits
  if n == 3 or n == 4 then
    digits = digits:gsub(".", "%0%0")
  elseif n ~= 6 and n ~= 8 then
    return nil
  end
  local r = tonumber(digits:sub(1, 2), 16)
  local g = tonumber(digits:sub(3, 4), 16)
  local b = tonumber(digits:sub(5, 6), 16)
  local a = #digits == 8 and tonumber(digits:sub(7, 8), 16) / 255 or 1
  return r / 255, g / 255, b / 255, a
end

-- The arguments of a colour function: "51, 51, 51, 0.5" or "51 51 51 / 50%".
local function arguments(body)
  local list = {}
  local main, alpha = body:match("^([^/]*)/(.*)$")
  for item in (main or body):gmatch("[^,%s]+") do list[#list + 1] = item end
  if alpha then list[#list + 1] = alpha:match("^%s*(.-)%s*$") end
  return list
end

-- "50%" -> 0.5 * scale; "128" -> 128; nil when not a number.
local function number_or_percent(text, percent_scale)
  local p = text:match("^([%+%-]?%d*%.?%d+)%%$")
  if p then return tonumber(p) / 100 * percent_scale end
  return tonumber(text)
end

local function alpha_of(text)
  if text == nil then return 1 end
  local a = number_or_percent(text, 1)
  return a and clamp01(a)
end

local function from_rgb(args)
  if #args ~= 3 and #args ~= 4 then return nil end
  local c = {}
  for i = 1, 3 do
    local v = number_or_percent(args[i], 255)
    if not v then return nil end
    c[i] = clamp01(v / 255)
  end
  local a = alpha_of(args[4])
  if not a then return nil end
  return c[1], c[2], c[3], a
end

local function hue_to_channel(p, q, t)
  if t < 0 then t = t + 1 elseif t > 1 then t = t - 1 end
  if t < 1 / 6 then return p + (q - p) * 6 * t end
  if t < 1 / 2 then return q end
  if t < 2 / 3 then return p + (q - p) * (2 / 3 - t) * 6 end
  return p
end

local function from_hsl(args)
  if #args ~= 3 and #args ~= 4 then return nil end
  local h = tonumber((args[1]:gsub("deg$", "")))
  local s = number_or_percent(args[2], 1)
  local l = number_or_percent(args[3], 1)
  local a = alpha_of(args[4])
  if not (h and s and l and a) then return nil end
  h, s, l = (h % 360) / 360, clamp01(s), clamp01(l)
  if s == 0 then return l, l, l, a end
  local q = l < 0.5 and l * (1 + s) or l + s - l * s
  local p = 2 * l - q
  -- whole 0-255 channels, as CSS serialises hsl() colours
  local function channel(t) return math.floor(hue_to_channel(p, q, t) * 255 + 0.5) / 255 end
  return channel(h + 1 / 3), channel(h), channel(h - 1 / 3), a
end

--- Parses a CSS colour.
-- @tparam string text
-- @treturn[1] table `{r=, g=, b=}` each 0..1
-- @treturn[1] number opacity 0..1, rounded to 2 decimals
-- @treturn[2] nil
-- @treturn[2] string why the text is not a colour
function color_parse.parse(text)
  if type(text) ~= "string" then
    return nil, "expected a colour text, got a " .. type(text)
  end
  local s = text:match("^%s*(.-)%s*$"):lower()
  local r, g, b, a
  local hex = s:match("^#(%x+)$")
  if hex then
    r, g, b, a = from_hex(hex)
  else
    local fn, body = s:match("^(%a+)%((.*)%)$")
    if fn == "rgb" or fn == "rgba" then
      r, g, b, a = from_rgb(arguments(body))
    elseif fn == "hsl" or fn == "hsla" then
      r, g, b, a = from_hsl(arguments(body))
    elseif s == "transparent" then
      r, g, b, a = 0, 0, 0, 0
    elseif css_colors[s] then
      local n = css_colors[s]
      r, g, b, a = (n >> 16) / 255, ((n >> 8) & 0xff) / 255, (n & 0xff) / 255, 1
    end
  end
  if not r then
    return nil, string.format("%q is not a colour", text)
  end
  return { r = r, g = g, b = b }, round2(a)
end

return color_parse

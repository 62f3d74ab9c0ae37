--- Tokens Studio colour modifiers (`$extensions["studio.tokens"].modify`):
-- lighten, darken, mix and alpha in the lch, srgb, p3 or hsl space, with the
-- arithmetic of the Tokens Studio plugin and sd-transforms.
-- @module tokenflow.tokens.modify

local color = require "tokenflow.tokens.color"

local modify = {}

local max, min, floor, abs, log = math.max, math.min, math.floor, math.abs, math.log

local spaces = { lch = "lch", srgb = "srgb", p3 = "p3", hsl = "hsl" }

-- Lightness is l (0-100) in lch and hsl; p3 and srgb move every channel.
local function lighten(c, space, amount)
  if space == "lch" or space == "hsl" then
    local p, l = color.to(c, space), space == "lch" and 1 or 3
    p[l] = min(100, p[l] + (100 - p[l]) * amount)
    if space == "lch" then p[2] = max(0, p[2] - amount * p[2]) end
    return p
  end
  local p = color.to(c, space)
  for i = 1, 3 do p[i] = min(1, p[i] + amount * (1 - p[i])) end
  return p
end

local function darken(c, space, amount)
  if space == "lch" or space == "hsl" then
    local p, l = color.to(c, space), space == "lch" and 1 or 3
    p[l] = max(0, p[l] - p[l] * amount)
    if space == "lch" then p[2] = max(0, p[2] - amount * p[2]) end
    return p
  end
  local p = color.to(c, space)
  for i = 1, 3 do p[i] = max(0, p[i] - amount * p[i]) end
  return p
end

-- colour.js rounds a colour to 5 significant digits when it prints it;
-- sd-transforms prints and re-reads the mixed colour, so we round the same way.
local function to_precision(n, digits)
  if n == 0 or n ~= n then return n end
  local int = n < 0 and -floor(-n) or floor(n)
  local d = 0
  if int ~= 0 then d = floor(log(abs(int), 10)) + 1 end
  local m = 10.0 ^ (digits - d)
  return floor(n * m + 0.5) / m
end

local function mix(c, space, amount, other)
  amount = max(0, min(1, amount))
  local a, b = color.to(c, space), color.to(other, space)
  local out = color.new(space, 0, 0, 0, 1)
  for i = 1, 3 do
    local x, y = a[i], b[i]
    if (space == "lch" or space == "hsl") and i == (space == "lch" and 3 or 1) then
      -- hue: take the shorter arc; a missing hue takes the other one
      if x ~= x then x = y elseif y ~= y then y = x end
      if y - x > 180 then x = x + 360 elseif y - x < -180 then y = y + 360 end
    end
    out[i] = x + (y - x) * amount
  end
  local alpha_a, alpha_b = a.alpha or 1, b.alpha or 1
  out.alpha = alpha_a + (alpha_b - alpha_a) * amount
  local scale = space == "srgb" and 100 or 1
  for i = 1, 3 do out[i] = to_precision(out[i] * scale, 5) / scale end
  out.alpha = to_precision(out.alpha, 5)
  return out
end

--- Applies a modifier to a colour. `mod` is `{type, value (number), space,
-- color (parsed colour, for mix)}`. Returns the hex result, or nil and a reason.
function modify.apply(base, mod)
  local space = spaces[mod.space]
  if not space then return nil, "unknown colour space '" .. tostring(mod.space) .. "'" end
  local amount = mod.value
  if type(amount) ~= "number" then return nil, "modifier value is not a number" end
  local out
  if mod.type == "lighten" then out = lighten(base, space, amount)
  elseif mod.type == "darken" then out = darken(base, space, amount)
  elseif mod.type == "mix" then
    if not mod.color then return nil, "mix modifier needs a colour" end
    out = mix(base, space, amount, mod.color)
  elseif mod.type == "alpha" then
    out = color.to(base, space)
    out.alpha = max(0, min(1, amount))
  else
    return nil, "unknown modifier type '" .. tostring(mod.type) .. "'"
  end
  -- channels far out of range overflow in the conversions (inf, then NaN)
  local s = color.to(out, "srgb")
  for i = 1, 3 do
    if s[i] ~= s[i] or s[i] == math.huge or s[i] == -math.huge then
      return nil, "the " .. mod.type .. " result is out of range (the colour's channels are too large to convert)"
    end
  end
  return color.hex(out)
end

return modify

--- Numbers as the reference tools print and parse them: shortest round-trip
-- text (JavaScript's Number#toString), rounding to a number of decimals
-- (Number#toFixed), and which strings count as plain numbers.
-- @module tokenflow.tokens.number

local number = {}

local floor, fmt, tonumber, mtype = math.floor, string.format, tonumber, math.type

--- Shortest decimal text that reads back as the same double.
function number.text(x)
  if mtype(x) == "integer" then return fmt("%d", x) end
  if x ~= x then return "NaN" end
  if x == floor(x) and x > -1e21 and x < 1e21 then
    if x == 0 then return "0" end
    return fmt("%.0f", x)
  end
  for digits = 15, 17 do
    local s = fmt("%." .. digits .. "g", x)
    if tonumber(s) == x then return s end
  end
  return fmt("%.17g", x)
end

--- x rounded to `decimals` places, as toFixed would, returned as a number
-- (an integer-valued result becomes a Lua integer so it prints without ".0").
function number.round(x, decimals)
  local s = fmt("%." .. decimals .. "f", x)
  -- toFixed breaks exact ties upwards, C's printf to even: fix the exact ties.
  local scaled = x * 10 ^ decimals
  if scaled - floor(scaled) == 0.5 and fmt("%.0f", scaled * 2) == fmt("%.0f", floor(scaled) * 2 + 1) then
    s = fmt("%." .. decimals .. "f", (floor(scaled) + 1) / 10 ^ decimals)
  end
  local r = tonumber(s)
  if r == floor(r) and r > -2^53 and r < 2^53 then return floor(r) end
  if r == 0 then return 0 end
  return r
end

--- The number a string spells, or nil. Only plain decimals count: no
-- exponents, no hex, no leading zeros ("003e78", "000001" stay strings).
function number.parse(s)
  if not s:find("^%-?%d+%.?%d*$") and not s:find("^%-?%.%d+$") then return nil end
  if s:find("^%-?0%d") then return nil end
  local n = tonumber(s)
  if n and n == floor(n) and mtype(n) == "float" and n > -2^53 and n < 2^53 and not s:find("%.") then
    return floor(n)
  end
  return n
end

return number

--- Numbers spelled the way Prometheus (and people) read them: integers
-- without a fraction, the shortest of %.15g / %.17g that round-trips, and
-- +Inf, -Inf, NaN.
-- @module tokenflow.metrics.number

local fmt, tonumber, mtype = string.format, tonumber, math.type

local number = {}

--- The text of v.
function number.format(v)
  if v ~= v then return "NaN" end
  if v == math.huge then return "+Inf" end
  if v == -math.huge then return "-Inf" end
  if mtype(v) == "integer" then return fmt("%d", v) end
  if v == math.floor(v) and v > -2^53 and v < 2^53 then return fmt("%d", math.floor(v)) end
  local s = fmt("%.15g", v)
  if tonumber(s) ~= v then s = fmt("%.17g", v) end
  return s
end

return number

-- Compares two flat resolutions (name -> value): ours and Style Dictionary's.
-- Prints "conformance exact A/N", then "equivalent B/N" after normalising the
-- notations the tools legitimately differ in, a count per kind of notation
-- difference, and every remaining difference.
local cjson = require "cjson"
local color = require "tokenflow.tokens.color"

local function read(path)
  local f = assert(io.open(path, "rb"))
  local text = f:read("a")
  f:close()
  return cjson.decode(text)
end

local ours = read(arg[1])
local sd = read(arg[2]).tokens

local function equal(a, b)
  if a == b then return true end
  if type(a) ~= "table" or type(b) ~= "table" then return false end
  for k, v in pairs(a) do if not equal(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

-- Notation differences, each counted by kind.
local kinds = {}
local key_alias = { offsetX = "x", offsetY = "y" }

local function norm(v, kind_out)
  if type(v) == "string" then
    local n = tonumber(v)
    if n and v:match("^%-?[%d.]+$") then kind_out.numeric_string = true return n end
    local c = color.parse(v)
    if c then
      local hex = color.hex(c)
      if hex ~= v then kind_out.colour_notation = true end
      return hex
    end
    local px = v:match("^(%-?[%d.]+)px$")
    if px and tonumber(px) then return v end
    return v
  end
  if type(v) == "table" then
    local out = {}
    for k, x in pairs(v) do
      local nk = key_alias[k] or k
      if nk ~= k then kind_out.shadow_keys = true end
      if k ~= "fontStyle" or x ~= "normal" then out[nk] = norm(x, kind_out) else kind_out.font_style = true end
    end
    return out
  end
  return v
end

local function close_numbers(a, b, kind_out)
  if type(a) == "number" and type(b) == "number" then
    if a == b then return true end
    if math.abs(a - b) < 1e-3 * math.max(1, math.abs(a)) then kind_out.rounding = true return true end
    return false
  end
  if type(a) == "string" and type(b) == "string" then
    local na, ua = a:match("^(%-?[%d.]+)(%a*%%?)$")
    local nb, ub = b:match("^(%-?[%d.]+)(%a*%%?)$")
    if na and nb and ua == ub and tonumber(na) and tonumber(nb) then
      return close_numbers(tonumber(na), tonumber(nb), kind_out)
    end
    return a == b
  end
  if type(a) ~= "table" or type(b) ~= "table" then return a == b end
  for k, v in pairs(a) do if not close_numbers(v, b[k], kind_out) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

local names, seen = {}, {}
for k in pairs(ours) do names[#names + 1] = k; seen[k] = true end
for k in pairs(sd) do if not seen[k] then names[#names + 1] = k end end
table.sort(names)

local exact, equivalent, diffs, notes = 0, 0, {}, {}
local verbose = os.getenv("CONFORMANCE_VERBOSE") == "1"
for _, name in ipairs(names) do
  local a, b = ours[name], sd[name]
  if a ~= nil and b ~= nil and equal(a, b) then
    exact = exact + 1
    equivalent = equivalent + 1
  else
    local k = {}
    if a ~= nil and b ~= nil and close_numbers(norm(a, k), norm(b, k), k) then
      equivalent = equivalent + 1
      for kind in pairs(k) do kinds[kind] = (kinds[kind] or 0) + 1 end
      if verbose then
        local list = {}
        for kind in pairs(k) do list[#list + 1] = kind end
        table.sort(list)
        notes[#notes + 1] = string.format("  %s (%s)\n    tokenflow: %s\n    sd:        %s", name,
          table.concat(list, ", "), cjson.encode(a), cjson.encode(b))
      end
    else
      diffs[#diffs + 1] = string.format("  %s\n    tokenflow: %s\n    sd:        %s", name,
        a == nil and "(absent)" or cjson.encode(a), b == nil and "(absent)" or cjson.encode(b))
    end
  end
end
print(string.format("conformance exact %d/%d", exact, #names))
print(string.format("conformance equivalent %d/%d", equivalent, #names))
local klist = {}
for kind, n in pairs(kinds) do klist[#klist + 1] = string.format("  %s: %d tokens", kind, n) end
table.sort(klist)
if #klist > 0 then print("notation differences (counted as equivalent):") print(table.concat(klist, "\n")) end
if #notes > 0 then print("notation differences:") print(table.concat(notes, "\n")) end
if #diffs > 0 then print("differences:") print(table.concat(diffs, "\n")) end

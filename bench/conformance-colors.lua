-- Random colour-modifier cases for bench/conformance.sh: `gen N FILE` writes
-- N cases; `compare CASES EXPECTED` applies them with tokenflow and compares
-- with the hex sd-transforms (colour.js) produced, printing match/total.
local cjson = require "cjson"
local color = require "tokenflow.tokens.color"
local modify = require "tokenflow.tokens.modify"

local function hex() return string.format("#%02x%02x%02x", math.random(0, 255), math.random(0, 255), math.random(0, 255)) end

local function read(path)
  local f = assert(io.open(path, "rb"))
  local t = cjson.decode(f:read("a"))
  f:close()
  return t
end

if arg[1] == "gen" then
  math.randomseed(7)
  local types, spaces, cases = { "lighten", "darken", "mix", "alpha" }, { "lch", "srgb", "p3", "hsl" }, {}
  for i = 1, tonumber(arg[2]) do
    cases[i] = { hex(), types[math.random(1, 4)], tonumber(string.format("%.2f", math.random())), spaces[math.random(1, 4)], hex() }
  end
  local f = assert(io.open(arg[3], "wb"))
  f:write(cjson.encode(cases))
  f:close()
else
  local cases, expected = read(arg[2]), read(arg[3])
  local match, lines = 0, {}
  for i, k in ipairs(cases) do
    local got = modify.apply(color.parse(k[1]), { type = k[2], value = k[3], space = k[4], color = color.parse(k[5]) })
    -- colour.js writes #rgb when it can; compare the full form
    local want = expected[i]:gsub("^#(%x%x%x%x?)$", function(s) return "#" .. s:gsub("%x", "%0%0") end)
    if got == want then match = match + 1
    else lines[#lines + 1] = string.format("  %s %s %s %s %s: tokenflow %s, sd %s", k[1], k[2], k[3], k[4], k[5], got, expected[i]) end
  end
  print(string.format("colour modifiers %d/%d", match, #cases))
  if #lines > 0 then print(table.concat(lines, "\n")) end
end

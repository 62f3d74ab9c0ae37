-- Generates a synthetic Tokens Studio multi-file set for the benchmark:
--   lua5.4 bench/gen-tokens.lua DIR [COUNT]
-- COUNT tokens (default 50000) in one set "core": a fifth are base colours
-- and numbers, the rest aliases up to 6 levels deep; 5% math, 5% colour
-- modifiers. Deterministic (fixed seed).
local dir, count = arg[1], tonumber(arg[2] or "50000")
assert(dir, "usage: gen-tokens.lua DIR [COUNT]")
math.randomseed(42)

local parts = {}
local function emit(s) parts[#parts + 1] = s end
local kinds, depth = {}, {} -- per token: "color" or "spacing", alias depth
local first = true
local function token(name, value, ttype, extra)
  emit((first and "" or ",\n") .. string.format('  %q: {"value": %q, "type": %q%s}', name, value, ttype, extra or ""))
  first = false
end

local bases = math.max(10, count // 5)
for i = 1, count do
  local name = "t" .. i
  local r = math.random()
  if i <= bases then
    if i % 2 == 0 then
      token(name, string.format("#%02x%02x%02x", math.random(0, 255), math.random(0, 255), math.random(0, 255)), "color")
      depth[i], kinds[i] = 0, "color"
    else
      token(name, tostring(math.random(1, 64)), "spacing")
      depth[i], kinds[i] = 0, "spacing"
    end
  else
    -- a fifth of the tokens are bases, so 1/16 of the aliases is 5% of all
    local want = r < 0.0625 and "spacing" or r < 0.125 and "color" or nil
    local target
    repeat target = math.random(1, i - 1)
    until depth[target] < 6 and (want == nil or kinds[target] == want)
    depth[i] = depth[target] + 1
    kinds[i] = kinds[target]
    if want == "spacing" then
      token(name, string.format("{t%d} * 2 + 4", target), "spacing")
    elseif want == "color" then
      local kind = ({ "lighten", "darken", "mix", "alpha" })[math.random(1, 4)]
      token(name, string.format("{t%d}", target), "color",
        string.format(', "$extensions": {"studio.tokens": {"modify": {"type": "%s", "value": "0.%d", "space": "%s"%s}}}',
          kind, math.random(1, 9), ({ "lch", "srgb", "hsl", "p3" })[math.random(1, 4)],
          kind == "mix" and ', "color": "#334455"' or ""))
    else
      token(name, string.format("{t%d}", target), kinds[target])
    end
  end
end

os.execute("mkdir -p '" .. dir .. "'")
local f = assert(io.open(dir .. "/core.json", "wb"))
f:write("{\n", table.concat(parts), "\n}\n")
f:close()
f = assert(io.open(dir .. "/$metadata.json", "wb"))
f:write('{"tokenSetOrder": ["core"]}\n')
f:close()

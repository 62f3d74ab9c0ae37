-- Checks that the rockspec lists a dependency for every module the Lua side
-- (lua/, bin/) requires outside tokenflow and Lua's own libraries.
-- usage: lua5.4 scripts/rock-deps.lua tokenflow-scm-1.rockspec
local ROCKS = { lpeg = "lpeg", cjson = "lua-cjson", lfs = "luafilesystem", argparse = "argparse" }

local spec = {}
assert(loadfile(arg[1], "t", spec))()
local listed = {}
for _, d in ipairs(spec.dependencies) do listed[d:match("^[%w_.-]+")] = true end

local problems, seen = {}, {}
local files = assert(io.popen("find lua bin -type f | LC_ALL=C sort"))
for path in files:lines() do
  local f = assert(io.open(path, "rb"))
  for name in f:read("a"):gmatch("require[%s(,]*[\"']([%w_.]+)[\"']") do
    local top = name:match("^[^.]+")
    if top ~= "tokenflow" and not seen[top] then
      seen[top] = true
      if not ROCKS[top] then
        problems[#problems + 1] = path .. ": requires " .. name .. ", which no rock in scripts/rock-deps.lua provides"
      elseif not listed[ROCKS[top]] then
        problems[#problems + 1] = arg[1] .. ": " .. ROCKS[top] .. " (for " .. name .. ", " .. path
          .. ") is not a dependency"
      end
    end
  end
  f:close()
end
files:close()
if #problems > 0 then
  io.stderr:write(table.concat(problems, "\n"), "\n")
  os.exit(1)
end
local names = {}
for top in pairs(seen) do names[#names + 1] = ROCKS[top] end
table.sort(names)
print("rockspec dependencies cover every module required: " .. table.concat(names, ", "))

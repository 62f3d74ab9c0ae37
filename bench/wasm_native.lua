-- The native side of bench/wasm_bench.mjs: what the JavaScript API's
-- tf.resolve(files, {theme}) does (tokenflow.jsapi load, resolve, release on
-- texts in memory), timed in this process after a warm-up. Prints the
-- median CPU milliseconds of one call (CPU time: the machine may be shared).
--   lua5.4 bench/wasm_native.lua DIR RUNS THEME...
local jsapi = require "tokenflow.jsapi"
local jsonout = require "tokenflow.tokens.jsonout"
local lfs = require "lfs"

local dir, runs = arg[1], tonumber(arg[2])
local themes = table.move(arg, 3, #arg, 1, {})

local args = {}
local function walk(rel)
  for entry in lfs.dir(dir .. (rel ~= "" and "/" .. rel or "")) do
    if entry ~= "." and entry ~= ".." then
      local r = rel == "" and entry or rel .. "/" .. entry
      if lfs.attributes(dir .. "/" .. r, "mode") == "directory" then
        walk(r)
      else
        local f = assert(io.open(dir .. "/" .. r, "rb"))
        args[#args + 1] = r
        args[#args + 1] = f:read("a")
        f:close()
      end
    end
  end
end
walk("")
local selection = jsonout.encode({ themes = themes })

local function once()
  local info = jsapi.load("{}", table.unpack(args))
  local handle = info:match('"handle":(%d+)')
  local out = jsapi.resolve(handle, selection, "flat")
  jsapi.release(handle)
  return out
end

for _ = 1, 20 do once() end
-- batches of 10 calls: os.clock's resolution is coarse
local times = {}
for i = 1, runs do
  local t0 = os.clock()
  for _ = 1, 10 do once() end
  times[i] = (os.clock() - t0) * 100
end
table.sort(times)
print(string.format("%.3f", times[(runs + 1) // 2]))

-- The native side of bench/wasm_bench.mjs: what the JavaScript API does,
-- through the same tokenflow.jsapi calls on texts in memory, timed in this
-- process after a warm-up. Prints the median CPU milliseconds of one call
-- (CPU time: the machine may be shared).
--   lua5.4 bench/wasm_native.lua resolve DIR RUNS THEME...
--     tf.resolve(files, {theme}): load, resolve, release (batches of 10)
--   lua5.4 bench/wasm_native.lua apply DIR RUNS DOC THEME...
--     set.apply(figmaText, {theme}) of a set loaded once: read the file, the
--     job over its nodes, the output gathered from the write steps
local jsapi = require "tokenflow.jsapi"
local jsonout = require "tokenflow.tokens.jsonout"
local lfs = require "lfs"

local what, dir, runs = arg[1], arg[2], tonumber(arg[3])
local doc_path = what == "apply" and arg[4] or nil
local themes = table.move(arg, what == "apply" and 5 or 4, #arg, 1, {})

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

local function resolve_once()
  local info = jsapi.load("{}", table.unpack(args))
  local handle = info:match('"handle":(%d+)')
  local out = jsapi.resolve(handle, selection, "flat")
  jsapi.release(handle)
  return out
end

local set, figma_text
local function apply_once()
  local job = jsapi.apply_start(set, selection, figma_text, "{}"):match('"job":(%d+)')
  local parts = {}
  repeat
    local p = jsapi.apply_step(job)
    if p:find('"phase":"write"', 1, true) then parts[#parts + 1] = jsapi.apply_text(job) end
  until p:find('"more":false', 1, true)
  local report = jsapi.apply_report(job)
  jsapi.apply_release(job)
  return table.concat(parts), report
end

local once, warm, batch = resolve_once, 20, 10
if what == "apply" then
  set = jsapi.load("{}", table.unpack(args)):match('"handle":(%d+)')
  local f = assert(io.open(doc_path, "rb"))
  figma_text = f:read("a")
  f:close()
  once, warm, batch = apply_once, 2, 1
elseif what ~= "resolve" then
  error("usage: wasm_native.lua resolve|apply DIR RUNS [DOC] THEME...")
end

for _ = 1, warm do once() end
-- os.clock's resolution is coarse: short calls are timed in batches
local times = {}
for i = 1, runs do
  local t0 = os.clock()
  for _ = 1, batch do once() end
  times[i] = (os.clock() - t0) * 1000 / batch
end
table.sort(times)
print(string.format("%.3f", times[(runs + 1) // 2]))

-- Writes the LDoc source of the C module's Lua API: every `/** ... */`
-- comment of src/lua/*.c, whose first words are the Lua-facing call
-- ("cache:get(key) -> value: ...", "tf.cache{...} -> a new cache"), becomes
-- a documented function of the page tokenflow.core, methods grouped by the
-- type of their receiver. The C files stay the one place these are written.
-- usage: lua5.4 scripts/ldoc-c.lua OUT.lua
local out_path = assert(arg[1], "usage: lua5.4 scripts/ldoc-c.lua OUT.lua")

-- The receiver of each method comment, by file: its type and what it is.
local TYPES = {
  ["cache.c"] = { cache = { "Cache", "The token cache (`tf.cache`): LRU by entries and bytes, TTL, tags." } },
  ["chunks.c"] = { it = { "Chunks", "The state of a `tf.chunks` loop." } },
  ["document.c"] = {
    doc = { "DocumentCore", "The C side of a `tf.figma.open` Document (`core.doc_open`), read in steps." },
    nodes = { "DocumentNodes", "A document's nodes as a `tf.update` source (`doc:nodes()`)." },
  },
  ["docwriter.c"] = {
    doc = { "DocumentCore", "The C side of a `tf.figma.open` Document (`core.doc_open`), read in steps." },
    w = { "DocumentWriter", "Writes a document out in steps, atomically (`doc:writer(path)`), or beside an update." },
  },
  ["interner.c"] = { names = { "Interner", "A string interner (`tf.interner()`, `tf.names`): names <-> small ids." } },
  ["job.c"] = { core = { "JobCore", "The C loop under `tf.update` (`tokenflow.core.job`); `tokenflow.job` drives it." } },
  ["jsondoc.c"] = { doc = { "JsonDoc", "A JSON text read by the strict C reader (`core.json_read`)." } },
  ["metrics.c"] = {
    counter = { "Counter", "A counter of a `tf.metrics()` registry." },
    gauge = { "Gauge", "A gauge of a `tf.metrics()` registry." },
    histogram = { "Histogram", "A histogram of a `tf.metrics()` registry." },
    handle = { "Handle", "Any metric handle: counter, gauge or histogram." },
    core = { "MetricsCore", "The C registry under `tf.metrics()` (`core.metrics_core`)." },
  },
  ["pool.c"] = {
    pool = { "Pool", "A bounded pool of coroutine tasks (`tf.pool`)." },
    task = { "Task", "A task of a pool (`pool:submit`)." },
  },
  ["store.c"] = { st = { "Store", "A persistent cache file (`tf.store`)." } },
  ["viewport.c"] = { idx = { "ViewportIndex", "The spatial index (`tf.viewport.index`)." } },
  ["walk.c"] = { walk = { "Walk", "A depth-first walk (`tf.walk`)." } },
}
-- Prefixes of the module's own functions, as the comments write them.
local MODULE_PREFIXES = { "tf%.", "tokenflow%.core%.", "core%." }

local function sorted_files()
  local p = assert(io.popen("ls src/lua/*.c | LC_ALL=C sort"))
  local files = {}
  for path in p:lines() do files[#files + 1] = path end
  p:close()
  return files
end

-- One doc comment, "name(args) -> what: more", as its name, whether it is
-- a call, and its text with the call as code.
local CLOSE = { ["("] = ")", ["{"] = "}" }
local function entry(comment)
  -- the comment's lines joined into one paragraph, except list items
  -- ("- ..."), each on its own line after an empty one
  local parts = {}
  for line in (comment .. "\n"):gmatch("(.-)\n") do
    line = line:gsub("^%s*%*", ""):gsub("^%s+", ""):gsub("%s+$", "")
    if line:match("^%- ") then
      parts[#parts + 1] = (#parts > 0 and not parts[#parts]:match("^\n?%- ") and "\n" or "") .. line
    elseif line ~= "" and #parts == 0 then
      parts[1] = line
    elseif line ~= "" then
      parts[#parts] = parts[#parts] .. " " .. line
    end
  end
  local text = table.concat(parts, "\n")
  local name = text:match("^([%w_.]+:[%w_]+)") or text:match("^([%w_.]+)")
  local i = #name + 1
  local open = text:sub(i, i)
  if not CLOSE[open] then return name, false, "`" .. name .. "`" .. text:sub(i) end
  local depth = 0
  for j = i, #text do
    local c = text:sub(j, j)
    if c == open then depth = depth + 1 elseif c == CLOSE[open] then depth = depth - 1 end
    if depth == 0 then return name, true, "`" .. text:sub(1, j) .. "`" .. text:sub(j + 1) end
  end
  error("unbalanced call in: " .. text)
end

local functions, types, type_order = {}, {}, {}
for _, path in ipairs(sorted_files()) do
  local file = path:match("([^/]+)$")
  local f = assert(io.open(path, "rb"))
  local src = f:read("a")
  f:close()
  for comment in src:gmatch("/%*%* (.-)%*/") do
    local name, is_call, doc = entry(comment)
    local receiver, method = name:match("^(%w+):([%w_]+)$")
    if receiver then
      local t = TYPES[file] and TYPES[file][receiver]
      if not t then error(path .. ": no type for the receiver of '" .. name .. "' (scripts/ldoc-c.lua TYPES)") end
      if not types[t[1]] then
        types[t[1]] = { summary = t[2], methods = {} }
        type_order[#type_order + 1] = t[1]
      end
      table.insert(types[t[1]].methods, { name = t[1] .. ":" .. method, doc = doc })
    else
      local known = false
      for _, prefix in ipairs(MODULE_PREFIXES) do known = known or name:match("^" .. prefix) ~= nil end
      if not known then error(path .. ": '" .. name .. "' is neither a method nor a function of the module") end
      functions[#functions + 1] = { name = name, doc = doc, tag = is_call and "@function " or "@field " }
    end
  end
end

-- Every method a binding registers (its luaL_Reg arrays named *methods) is
-- documented, except in the files of internal types that the Lua side wraps.
-- (a method may be documented in another file than the one registering it)
local UNCHECKED = { ["job.c"] = true, ["jsondoc.c"] = true }
local sources, documented = {}, {}
for _, path in ipairs(sorted_files()) do
  local f = assert(io.open(path, "rb"))
  sources[path] = f:read("a")
  f:close()
  for method in sources[path]:gmatch("/%*%* %w+:([%w_]+)") do documented[method] = true end
end
for _, path in ipairs(sorted_files()) do
  local file = path:match("([^/]+)$")
  local src = sources[path]
  for array in src:gmatch("static const luaL_Reg [%w_]*methods%[%] = (%b{})") do
    for method in array:gmatch("{\"([%w_]+)\"") do
      if not documented[method] and not UNCHECKED[file] then
        error(path .. ": method '" .. method .. "' has no /** receiver:" .. method .. "(...) ... */ comment")
      end
    end
  end
end

local out = {
  "--- The C module, `tokenflow.core` (src/lua/*.c): the engines' Lua API.",
  "-- `require \"tokenflow\"` gives the public functions as `tf.*`; the others",
  "-- serve the Lua side. Written by scripts/ldoc-c.lua from the C files.",
  "-- @module tokenflow.core",
  "",
}
-- Markdown would read the underscores of names such as max_bytes as
-- emphasis: escaped, outside `code`.
local function escape(doc)
  return (doc:gsub("([^`]*)(`?[^`]*`?)", function(text, code) return text:gsub("_", "\\_") .. code end))
end
local function add(doc, tag)
  out[#out + 1] = "--- " .. escape(doc):gsub("\n", "\n-- "):gsub("%-%- \n", "--\n")
  out[#out + 1] = "-- " .. tag
  out[#out + 1] = ""
end
for _, fn in ipairs(functions) do add(fn.doc, fn.tag .. fn.name) end
for _, name in ipairs(type_order) do
  add(types[name].summary, "@type " .. name)
  for _, m in ipairs(types[name].methods) do add(m.doc, "@function " .. m.name) end
end
local f = assert(io.open(out_path, "wb"))
f:write(table.concat(out, "\n"))
f:close()
print(string.format("%s: %d functions, %d types", out_path, #functions, #type_order))

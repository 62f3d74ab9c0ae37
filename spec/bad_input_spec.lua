-- The bad-input matrix: every public function of require "tokenflow" and
-- every method of its objects gets every bad value below in each argument
-- position (and in each field of its option tables), with valid values
-- everywhere else. Each call must end one of three ways: it returns
-- normally (the value is acceptable there), it returns nil and a message, or
-- it raises a clear error: a string naming the problem, not a Lua runtime
-- error from inside tokenflow ("attempt to index a nil value", a 'for'
-- limit, "bad argument to '?'"...). A crash ends the process, and with it
-- the test. Methods are also called on closed objects (they must raise
-- "attempt to use a closed X") and on objects of the wrong tokenflow type.
local tf = require "tokenflow"
local lfs = require "lfs"

-- Store files go to a temporary directory; calls that may create files (a
-- bad path such as "12" is a valid file name) run with it as the current
-- directory.
local TMP = os.tmpname()
os.remove(TMP)
assert(lfs.mkdir(TMP))
local HOME = assert(lfs.currentdir())
local function store_path() return TMP .. "/matrix.db" end
local function store() return assert(tf.store(store_path())) end

local MB = string.rep("x", 1 << 20)

local function deep_table(depth)
  local root = {}
  local t = root
  for _ = 1, depth do
    local child = {}
    t[1], t.value, t.children = child, child, { child }
    t = child
  end
  return root
end

local cyclic = { name = "cyclic" }
cyclic[1], cyclic.self, cyclic.value, cyclic.children = cyclic, cyclic, cyclic, { cyclic }

-- tokenflow objects, one of each type (open), and closed ones
local function token_set() return assert(tf.tokens.new { core = { a = { value = "4", type = "spacing" } } }) end
local function resolved() return assert(token_set():resolve()) end

local function job_opts()
  local nodes = {}
  for i = 1, 5 do nodes[i] = { id = i, tokens = { fill = "a" } } end
  return { tokens = resolved(), source = nodes, write = function() end }
end

local function job() return tf.update(job_opts()) end

-- visible-first updates: nodes with bounds in a `box` field, a viewport over some of them
local function vp_nodes()
  local nodes = {}
  for i = 1, 5 do nodes[i] = { id = i, tokens = { fill = "a" }, box = { x = i * 4, y = 0, width = 2, height = 2 } } end
  return nodes
end

local function vp_job_opts()
  local o = job_opts()
  o.source, o.bounds, o.viewport = vp_nodes(), "box", { 0, 0, 10, 10 }
  return o
end

local function vp_index()
  local idx = tf.viewport.index { cell = 8 }
  for i = 1, 5 do idx:insert(i, i * 4, 0, 2, 2) end
  return idx
end

-- documents: a small Figma file, as a string and on disk
local FIGMA = '{"document":{"id":"0:0","type":"DOCUMENT","children":[{"id":"1:1","type":"RECTANGLE","fills":[],'
  .. '"style":{"fontSize":12},"sharedPluginData":{"tokens":{"fill":"\\"a\\""}}}]}}'
local function figma_path()
  local path = TMP .. "/figma.json"
  local f = assert(io.open(path, "wb"))
  f:write(FIGMA)
  f:close()
  return path
end
local function document() return assert(tf.figma.parse(FIGMA, "matrix.json")) end
local function node_handle() return document():node(2) end
local function saving() return assert(document():saving(TMP .. "/saving.json")) end
local function doc_job_opts()
  local set = assert(tf.tokens.new { core = { a = { value = "#ff0000", type = "color" } } })
  return { tokens = assert(set:resolve()), source = document():nodes(), write = tf.figma.writer {} }
end

-- placeholders in the valid arguments, made fresh for each call
local MAKE = {
  FIGMA_PATH = figma_path, DOC_OUT = function() return TMP .. "/out.json" end, DOC_JOB_OPTS = doc_job_opts,
  STORE_PATH = store_path, STORE = store, PACKED = function() return tf.pack { a = 1, "b" } end,
  STORE_CACHE_OPTS = function() return { capacity = 4, store = store() } end,
  FIGMA_FILE = function()
    return { document = { id = "0:0", type = "DOCUMENT", sharedPluginData = { tokens = {
      values = '{"core": {"a": {"value": "4", "type": "spacing"}}}', themes = "[]" } } } }
  end,
  OTHER = resolved, JOB_OPTS = job_opts, VP_JOB_OPTS = vp_job_opts, VP_NODES = vp_nodes,
  VP_INDEX_OPTS = function() return { x = 0, y = 0, w = 10, h = 10, zoom = 1, index = vp_index() } end,
}

local function closed(make)
  local o = make()
  o:close()
  return o
end

local BAD = {
  { "nil", nil }, { "true", true }, { "false", false },
  { "0", 0 }, { "-1", -1 }, { "0.5", 0.5 }, { "-0.0", -0.0 }, { "NaN", 0 / 0 }, { "inf", math.huge },
  { "-inf", -math.huge }, { "maxinteger", math.maxinteger }, { "mininteger", math.mininteger },
  { "1e308", 1e308 }, { "2^63", 2 ^ 63 }, { "-2^31", -(2 ^ 31) },
  { "empty string", "" }, { "embedded zero", "a\0b" }, { "1 MB string", MB }, { "numeric string", "12" },
  { "empty table", {} }, { "array", { 1, 2, 3 } }, { "deep table", deep_table(100000) }, { "cyclic table", cyclic },
  { "table of NaN", { 0 / 0, x = 0 / 0 } }, { "function", function() end },
  { "erroring function", function() error("host error") end },
  { "coroutine", coroutine.create(function() end) }, { "file", io.stdout },
  { "interner", tf.interner() }, { "cache", tf.cache { capacity = 4 } }, { "pool", tf.pool {} },
  { "metrics", tf.metrics() }, { "token set", token_set() }, { "resolved", resolved() },
  { "walk", tf.walk({}, function() end) }, { "viewport index", tf.viewport.index {} },
  { "closed interner", closed(tf.interner) }, { "closed cache", closed(function() return tf.cache { capacity = 4 } end) },
  { "closed pool", closed(tf.pool) }, { "closed metrics", closed(tf.metrics) },
  { "closed viewport index", closed(tf.viewport.index) },
  { "store", store() }, { "closed store", closed(store) },
}

-- Messages of Lua runtime errors that leak out of tokenflow's own code.
local INTERNAL = {
  "attempt to index", "attempt to call", "attempt to perform arithmetic", "attempt to compare",
  "attempt to concatenate", "attempt to get length", "attempt to do bitwise", "'for' ",
  "number has no integer representation", "table index is", "invalid value %(at index", "string slice too long",
  "C stack overflow", "error in error handling",
}

-- Argument errors of functions that are not tokenflow's public API.
local NOT_PUBLIC = { ["for iterator"] = true, metrics_core = true, ipairs = true, pairs = true,
  insert = true, concat = true, rep = true, sub = true, find = true, gsub = true, match = true }

local function internal(msg)
  local fname = msg:match("bad argument #%d+ to '([^']*)'")
  if fname then return NOT_PUBLIC[fname] and ("bad argument to '" .. fname .. "'") or nil end
  for _, p in ipairs(INTERNAL) do
    if msg:find(p) then return p end
  end
end

-- Functions of a class table that make objects rather than act on one.
local CONSTRUCTORS = { new = true, restore = true }

-- The API: name, receiver factory (nil: a module function), the call, valid
-- arguments, and for option-table arguments the fields to walk.
-- `nil_second` is the type of the second result when the first is nil.
local API = {
  { "tf.interner", nil, function(_, ...) return tf.interner(...) end, {} },
  { "tf.cache", nil, function(_, ...) return tf.cache(...) end, { { capacity = 4 } },
    fields = { [1] = { "capacity", "max_bytes", "ttl", "on_evict", "clock", "names", "store" } } },
  { "tf.cache (store)", nil, function(_, ...) return tf.cache(...) end, { "STORE_CACHE_OPTS" },
    fields = { [1] = { "capacity", "ttl", "store" } } },
  { "tf.now", nil, function(_, ...) return tf.now(...) end, {} },
  { "tf.engine_bytes", nil, function(_, ...) return tf.engine_bytes(...) end, {} },
  { "tf.chunks", nil, function(_, ...) return tf.chunks(...) end, { { 1, 2, 3 }, { size = 2 } },
    fields = { [2] = { "size", "budget_ms", "min_size", "max_size", "from", "to", "mode", "yield", "gc_step" } } },
  { "tf.walk", nil, function(_, ...) return tf.walk(...) end, { {}, function() end, { unique = true } },
    fields = { [3] = { "filter", "unique", "max_depth" } } },
  { "tf.walk (children field)", nil, function(_, ...) return tf.walk(...) end, { {}, "children", { unique = true } },
    fields = { [3] = { "filter", "unique", "max_depth" } } },
  { "tf.pool", nil, function(_, ...) return tf.pool(...) end, { { concurrency = 2, capacity = 4 } },
    fields = { [1] = { "concurrency", "capacity", "on_park", "seed" } } },
  { "tf.plan", nil, function(_, ...) return tf.plan(...) end, { 10, {} },
    fields = { [2] = { "direct_max", "stream_min", "profiles" } } },
  { "tf.metrics", nil, function(_, ...) return tf.metrics(...) end, { {} },
    fields = { [1] = { "max_series", "max_samples", "max_alerts" } } },
  { "tf.bench", nil, function(_, ...) return tf.bench(...) end, { "b", function() end, { iterations = 1, warmup = 0 } },
    fields = { [3] = { "iterations", "warmup", "target_s", "target_bytes" } }, counts = true },
  { "tf.tokens.load", nil, function(_, ...) return tf.tokens.load(...) end, { "examples/tokens/studio", {} },
    fields = { [2] = { "format", "math", "lazy", "strict", "files" } } },
  { "tf.tokens.load (files)", nil, function(_, ...) return tf.tokens.load(...) end,
    { "", { files = { ["a.json"] = '{"x": {"$value": 1, "$type": "number"}}' } } },
    fields = { [2] = { "format", "math", "lazy", "strict", "files" } } },
  { "tf.tokens.new", nil, function(_, ...) return tf.tokens.new(...) end, { { a = { value = "1" } }, {} },
    fields = { [1] = { "a", "$themes", "$metadata" }, [2] = { "format", "math", "name", "lazy", "strict" } } },
  { "tf.tokens.from_figma", nil, function(_, ...) return tf.tokens.from_figma(...) end, { "FIGMA_FILE", {} },
    fields = { [2] = { "format", "math", "name", "strict" } } },
  { "tf.figma.map", nil, function(_, ...) return tf.figma.map(...) end, { { fill = "c" }, nil, {} }, nil_second = "table" },
  { "tf.figma.writer", nil, function(_, ...) return tf.figma.writer(...) end, { { base_font_size = 16 } },
    fields = { [1] = { "base_font_size" } } },
  { "tf.figma.read", nil, function(_, ...) return tf.figma.read(...) end, { { id = "1", sharedPluginData = { tokens = {} } } } },
  { "tf.figma.describe_errors", nil, function(_, ...) return tf.figma.describe_errors(...) end, { {}, "n1" } },
  { "tf.figma.bounds", nil, function(_, ...) return tf.figma.bounds(...) end,
    { { id = "1", absoluteBoundingBox = { x = 0, y = 0, width = 4, height = 2 } } },
    fields = { [1] = { "id", "absoluteBoundingBox" } } },
  { "tf.figma.diff", nil, function(_, ...) return tf.figma.diff(...) end,
    { { { op = "opacity", value = 0.5 } }, { { op = "opacity", value = 1 } } } },
  -- Documents
  { "tf.figma.open", nil, function(_, ...) return tf.figma.open(...) end, { "FIGMA_PATH", { on_progress = function() end } },
    fields = { [2] = { "on_progress" } }, in_tmp = true },
  { "tf.figma.parse", nil, function(_, ...) return tf.figma.parse(...) end, { FIGMA, "m.json", { on_progress = print } },
    fields = { [3] = { "on_progress" } } },
  { "document:nodes", document, "nodes", {} },
  { "document:node", document, "node", { 1 } },
  { "document:count", document, "count", {} },
  { "document:json", document, "json", { 2, "style", "fontSize" } },
  { "document:stats", document, "stats", {} },
  { "document:duplicates", document, "duplicates", {} },
  { "document:name", document, "name", {} },
  { "document:text", document, "text", {} },
  { "document:pieces", document, "pieces", { 4096 } },
  { "document:save", document, "save", { "DOC_OUT", { on_progress = function() end } },
    fields = { [2] = { "on_progress" } }, in_tmp = true },
  { "document:saving", document, "saving", { "DOC_OUT" }, in_tmp = true },
  { "document:close", document, "close", {} },
  { "saving:advance", saving, "advance", { 3 } },
  { "saving:finish", saving, "finish", { { on_progress = function() end } }, fields = { [1] = { "on_progress" } } },
  { "saving:abort", saving, "abort", {} },
  { "node.field = value", node_handle, function(n, k, v) n[k] = v end, { "opacity", 0.5 } },
  { "node.field.member = value", node_handle, function(n, k, v) n.style[k] = v end, { "fontSize", 14 } },
  { "node.fills[i] = value", node_handle, function(n, i, v) n.fills[i] = v end, { 1, { type = "SOLID" } } },
  { "tf.update (document)", nil, function(_, opts) return tf.update(opts):run() end, { "DOC_JOB_OPTS" },
    fields = { [1] = { "source", "read", "write", "mode", "chunk", "pool", "on_error", "viewport", "bounds" } } },
  -- Viewport
  { "tf.viewport.index", nil, function(_, ...) return tf.viewport.index(...) end, { { cell = 8, max_cells = 16 } },
    fields = { [1] = { "cell", "max_cells", "names" } } },
  { "tf.viewport.lod", nil, function(_, ...) return tf.viewport.lod(...) end, { 20, 10, 0.5, { low = 4, medium = 24 } },
    fields = { [4] = { "hidden", "low", "medium" } } },
  { "tf.viewport.rect", nil, function(_, ...) return tf.viewport.rect(...) end,
    { { x = 0, y = 0, w = 10, h = 10, zoom = 2 }, "viewport" }, fields = { [1] = { "x", "y", "w", "h", "zoom", 1, 5 } } },
  { "tf.viewport.parse", nil, function(_, ...) return tf.viewport.parse(...) end, { "0,0,10,10,2" } },
  { "tf.viewport.prepare", nil, function(_, ...) return tf.viewport.prepare(...) end,
    { "VP_NODES", "box", { x = 0, y = 0, w = 10, h = 10, zoom = 1 } },
    fields = { [3] = { "x", "y", "w", "h", "zoom", "index" } } },
  { "tf.viewport.prepare (index)", nil, function(_, ...) return tf.viewport.prepare(...) end,
    { "VP_NODES", nil, "VP_INDEX_OPTS" }, fields = { [3] = { "x", "index" } } },

  { "tf.update", nil, function(_, opts) return tf.update(opts):run() end, { "JOB_OPTS" },
    fields = { [1] = { "tokens", "source", "total", "read", "map", "write", "mode", "chunk", "pool", "changed",
      "on_progress", "on_error", "cache", "index", "index_nodes", "clock", "max_failures", "viewport", "bounds" } } },
  { "tf.update (viewport)", nil, function(_, opts) return tf.update(opts):run() end, { "VP_JOB_OPTS" },
    fields = { [1] = { "source", "viewport", "bounds", "mode", "pool" } } },
  { "tf.update (viewport, step)", nil, function(_, opts)
      local j = tf.update(opts)
      local done = j:step()
      j:close()
      return done
    end, { "VP_JOB_OPTS" }, fields = { [1] = { "viewport", "bounds" } } },

  -- Job
  { "job:run", function() return job() end, "run", {} },
  { "job:step", function() return job() end, "step", {} },
  { "job:steps", function() return job() end, "steps", {} },
  { "job:cancel", function() return job() end, "cancel", {} },
  { "job:rerun", function() local j = job() j:run() return j end, "rerun", { { changed = { "a" } } },
    fields = { [1] = { "changed", "tokens", "source", "run" } } },
  { "job:report", function() return job() end, "report", {} },
  { "job:position", function() return job() end, "position", {} },
  { "job:close", function() return job() end, "close", {} },
  -- Store, value format, help
  { "tf.store", nil, function(_, ...) return tf.store(...) end,
    { "STORE_PATH", { ttl = 10, max_bytes = 1 << 20, max_entries = 100, clock = os.time } },
    fields = { [2] = { "ttl", "max_bytes", "max_entries", "clock" } }, in_tmp = true },
  { "tf.pack", nil, function(_, ...) return tf.pack(...) end, { { a = 1, "b", { c = true } } },
    fields = { [1] = { "a", 1, 2 } } },
  { "tf.unpack", nil, function(_, ...) return tf.unpack(...) end, { "PACKED" } },
  { "tf.help", nil, function(_, ...) -- the list goes to a scratch file, not the test output
      local out, scratch = io.output(), io.tmpfile()
      io.output(scratch)
      local res = table.pack(pcall(tf.help, ...))
      io.output(out)
      scratch:close()
      if not res[1] then error(res[2], 0) end
      return table.unpack(res, 2, res.n)
    end, { "store", false } },
  { "store:get", store, "get", { "k" } },
  { "store:set", store, "set", { "k", { a = 1 }, { ttl = 10, tags = { "t" } } }, fields = { [3] = { "ttl", "tags" } } },
  { "store:delete", store, "delete", { "k" } },
  { "store:invalidate", store, "invalidate", { "t", "u" } },
  { "store:clear", store, "clear", { "k" } },
  { "store:stats", store, "stats", {} },
  { "store:vacuum", store, "vacuum", {} },
  { "store:close", store, "close", {} },
  -- a cache with a store as second tier
  { "cache:set (store)", function() return tf.cache { capacity = 4, store = store() } end, "set",
    { "k", { v = 1 }, { ttl = 10, tags = { "t" } } }, fields = { [3] = { "ttl", "tags", "cost" } } },
  { "cache:get (store)", function() return tf.cache { capacity = 4, store = store() } end, "get", { "k" } },
  { "cache:fetch (store)", function() return tf.cache { capacity = 4, store = store() } end, "fetch",
    { "k", function() return 1 end, {} }, fields = { [3] = { "ttl", "tags" } } },
  { "cache:delete (store)", function() return tf.cache { capacity = 4, store = store() } end, "delete", { "k" } },
  { "cache:invalidate (store)", function() return tf.cache { capacity = 4, store = store() } end, "invalidate", { "t" } },
  -- Viewport index and its query results
  { "viewport_index:insert", vp_index, "insert", { 9, 0, 0, 1, 1 } },
  { "viewport_index:update", vp_index, "update", { 1, 0, 0, 1, 1 } },
  { "viewport_index:remove", vp_index, "remove", { 1 } },
  { "viewport_index:get", vp_index, "get", { 1 } },
  { "viewport_index:query", vp_index, "query", { 0, 0, 10, 10 } },
  { "viewport_index:count", vp_index, "count", {} },
  { "viewport_index:stats", vp_index, "stats", {} },
  { "viewport_index:close", vp_index, "close", {} },
  { "viewport_hits:close", function() return select(4, vp_index():query(0, 0, 10, 10)) end, "close", {} },
  -- Interner
  { "interner:intern", tf.interner, "intern", { "a" } },
  { "interner:lookup", tf.interner, "lookup", { "a" } },
  { "interner:name", tf.interner, "name", { 1 } },
  { "interner:stats", tf.interner, "stats", {} },
  { "interner:close", tf.interner, "close", {} },
  -- Cache
  { "cache:set", function() return tf.cache { capacity = 4 } end, "set", { "k", 1, { ttl = 10, tags = { "t" }, cost = 1 } },
    fields = { [3] = { "ttl", "tags", "cost" } } },
  { "cache:get", function() return tf.cache { capacity = 4 } end, "get", { "k" } },
  { "cache:fetch", function() return tf.cache { capacity = 4 } end, "fetch", { "k", function() return 1 end, {} },
    fields = { [3] = { "ttl", "tags", "cost" } } },
  { "cache:delete", function() return tf.cache { capacity = 4 } end, "delete", { "k" } },
  { "cache:invalidate", function() return tf.cache { capacity = 4 } end, "invalidate", { "t", "u" } },
  { "cache:flush", function() return tf.cache { capacity = 4 } end, "flush", {} },
  { "cache:keys", function() return tf.cache { capacity = 4 } end, "keys", {} },
  { "cache:stats", function() return tf.cache { capacity = 4 } end, "stats", {} },
  { "cache:capacity", function() return tf.cache { capacity = 4 } end, "capacity", { 8 } },
  { "cache:close", function() return tf.cache { capacity = 4 } end, "close", {} },
  -- Pool
  { "pool:submit", tf.pool, "submit", { function() end, { args = {}, retries = 1 } },
    fields = { [2] = { "args", "retries", "priority", "timeout", "on_park", "backoff", "delay" } } },
  { "pool:run", tf.pool, "run", {} },
  { "pool:step", tf.pool, "step", {} },
  { "pool:wake", function()
      local p = tf.pool {}
      p:submit(function() coroutine.yield() end)
      p:run()
      return p, p:parked()[1]
    end, "wake", { "TASK", 1 } },
  { "pool:parked", tf.pool, "parked", {} },
  { "pool:stats", tf.pool, "stats", {} },
  { "pool:close", tf.pool, "close", {} },
  -- Chunks and Walk states
  { "chunks:stats", function() return select(2, tf.chunks { 1, 2 }) end, "stats", {} },
  { "chunks:close", function() return select(2, tf.chunks { 1, 2 }) end, "close", {} },
  { "walk:stats", function() return tf.walk({}, function() end) end, "stats", {} },
  { "walk:close", function() return tf.walk({}, function() end) end, "close", {} },
  -- Metrics registry and handles
  { "metrics:counter", tf.metrics, "counter", { "c", "help", { "l" } } },
  { "metrics:gauge", tf.metrics, "gauge", { "g", "help", { "l" } } },
  { "metrics:histogram", tf.metrics, "histogram", { "h", "help", {} } },
  { "metrics:get", tf.metrics, "get", { "c" } },
  { "metrics:timer", function() local m = tf.metrics() m:histogram("h", "x") return m end, "timer", { "h", {} } },
  { "metrics:span", tf.metrics, "span", { "s", function() end } },
  { "metrics:profile", tf.metrics, "profile", {} },
  { "metrics:sample", tf.metrics, "sample", { { x = 1 } } },
  { "metrics:samples", tf.metrics, "samples", {} },
  { "metrics:threshold", function() local m = tf.metrics() m:histogram("h", "x") return m end, "threshold",
    { "h", { warn = 1, critical = 2 } }, fields = { [2] = { "warn", "critical" } } },
  { "metrics:alerts", tf.metrics, "alerts", {} },
  { "metrics:snapshot", tf.metrics, "snapshot", {} },
  { "metrics:json", tf.metrics, "json", {} },
  { "metrics:prometheus", tf.metrics, "prometheus", {} },
  { "metrics:svg", tf.metrics, "svg", { {} }, fields = { [1] = { "series", "width", "height", "title" } } },
  { "metrics:close", tf.metrics, "close", {} },
  { "counter:inc", function() return tf.metrics():counter("c", "h") end, "inc", { 1 } },
  { "counter:value", function() return tf.metrics():counter("c", "h") end, "value", {} },
  { "counter:labels", function() return tf.metrics():counter("c", "h", { "k" }) end, "labels", { { k = "v" } } },
  { "gauge:set", function() return tf.metrics():gauge("g", "h") end, "set", { 1 } },
  { "gauge:inc", function() return tf.metrics():gauge("g", "h") end, "inc", { 1 } },
  { "gauge:dec", function() return tf.metrics():gauge("g", "h") end, "dec", { 1 } },
  { "histogram:observe", function() return tf.metrics():histogram("h", "h") end, "observe", { 1 } },
  { "histogram:quantile", function() return tf.metrics():histogram("h", "h") end, "quantile", { 0.5 } },
  { "histogram:stats", function() return tf.metrics():histogram("h", "h") end, "stats", {} },
  -- Token engine
  { "set:format", token_set, "format", {} },
  { "set:sets", token_set, "sets", {} },
  { "set:themes", token_set, "themes", {} },
  { "set:resolve", token_set, "resolve", { {} }, fields = { [1] = { "theme", "themes", "sets", "store" } } },
  { "set:resolve (store)", token_set, "resolve", { { store = "STORE" } }, fields = { [1] = { "theme", "sets" } } },
  { "set:prefetch", token_set, "prefetch", { {} }, fields = { [1] = { "theme", "themes", "sets" } } },
  { "set:fingerprint", token_set, "fingerprint", { {} }, fields = { [1] = { "theme", "themes", "sets" } } },
  { "set:files_read", token_set, "files_read", {} },
  { "set:stats", token_set, "stats", {} },
  { "set:resolve (lazy)", function() return assert(tf.tokens.load("examples/tokens/studio", { lazy = true })) end,
    "resolve", { {} }, fields = { [1] = { "theme", "themes", "sets", "store" } } },
  { "set:prefetch (lazy)", function() return assert(tf.tokens.load("examples/tokens/studio", { lazy = true })) end,
    "prefetch", { {} }, fields = { [1] = { "theme", "themes", "sets" } } },
  { "resolved:fingerprint", resolved, "fingerprint", {} },
  { "resolved:get", resolved, "get", { "a" } },
  { "resolved:each", resolved, "each", {} },
  { "resolved:eval", resolved, "eval", { "{a} * 2" } },
  { "resolved:dependents", resolved, "dependents", { "a" } },
  { "resolved:diff", resolved, "diff", { "OTHER" } },
  { "resolved:flat", resolved, "flat", {} },
  { "resolved:tree", resolved, "tree", {} },
  { "resolved:failures", resolved, "failures", {} },
  { "resolved:stats", resolved, "stats", {} },
}

-- Calls entry e with argument position pos replaced by bad (field: the
-- option field replaced instead). Returns nil when the outcome is fine, else
-- a description of what went wrong.
local function call(e, pos, field, bad)
  if os.getenv("BAD_TRACE") then io.stderr:write(e[1], " ", pos, " ", tostring(field), " ", tostring(bad):sub(1, 40), "\n") end
  local make, method, valid = e[2], e[3], e[4]
  local recv, extra
  if make then recv, extra = make() end
  local args, n = {}, math.max(#valid, pos or 0)
  for i = 1, n do
    local v = valid[i]
    if v == "TASK" then v = extra elseif type(v) == "string" and MAKE[v] then v = MAKE[v]() end
    if type(v) == "table" and field == nil then -- a fresh copy: calls may keep or change it
      local copy = {}
      for k, x in pairs(v) do copy[k] = x end
      v = copy
    end
    args[i] = v
  end
  if field then
    local t = {}
    if type(args[pos]) == "string" and MAKE[args[pos]] then args[pos] = MAKE[args[pos]]() end
    for k, x in pairs(args[pos]) do t[k] = x end
    t[field] = bad
    args[pos] = t
  elseif pos then
    args[pos] = bad
  end
  for i = 1, n do -- placeholders one level down (an option table holding a made object)
    if type(args[i]) == "table" then
      for k, x in pairs(args[i]) do
        if type(x) == "string" and MAKE[x] and k ~= field then args[i][k] = MAKE[x]() end
      end
    end
  end
  local fn = type(method) == "function" and method or function(r, ...) return r[method](r, ...) end
  if e.in_tmp then assert(lfs.chdir(TMP)) end
  local res = table.pack(pcall(fn, recv, table.unpack(args, 1, n)))
  local made = res[2] -- a saving made by the call: its temporary file goes with it (in TMP)
  if res[1] and type(made) == "table" and getmetatable(made) and getmetatable(made).__name == "tokenflow.DocumentSaving" then
    made:abort()
  end
  if e.in_tmp then assert(lfs.chdir(HOME)) end
  if recv and type(recv.close) == "function" then pcall(recv.close, recv) end
  if recv and type(recv.abort) == "function" then pcall(recv.abort, recv) end
  if not res[1] then
    local msg = res[2]
    if type(msg) ~= "string" then return "raised a " .. type(msg) .. " instead of a message" end
    if msg == "" then return "raised an empty message" end
    local leak = internal(msg)
    if leak then return "raised an internal error (" .. leak .. "): " .. msg:sub(1, 200) end
    return nil
  end
  if res[2] == nil and res.n >= 3 and res[3] ~= nil then
    local want = e.nil_second or "string"
    if type(res[3]) ~= want then return "returned nil and a " .. type(res[3]) .. ", not a " .. want end
  end
  return nil
end

-- Groups problems by place: "place (bad values...): first message".
local function note(problems, place, value_name, why)
  local p = problems[place]
  if not p then
    p = { values = {}, why = why }
    problems[place] = p
  end
  p.values[#p.values + 1] = value_name
end

local function summary(problems)
  local out = {}
  for place, p in pairs(problems) do
    out[#out + 1] = place .. " (" .. table.concat(p.values, ", ") .. "): " .. p.why
  end
  table.sort(out)
  return out
end

describe("bad-input matrix", function()
  it("covers every public function and method", function()
    local listed = {}
    for _, e in ipairs(API) do listed[e[1]] = true end
    local missing = {}
    local function check_table(prefix, t)
      for k, v in pairs(t) do
        if type(v) == "function" and not listed[prefix .. k] then missing[#missing + 1] = prefix .. k end
      end
    end
    local skip = { version = true, names = true, core = true, figma = true, tokens = true, viewport = true }
    for k, v in pairs(tf) do
      if not skip[k] and type(v) == "function" and not listed["tf." .. k] then missing[#missing + 1] = "tf." .. k end
    end
    check_table("tf.tokens.", tf.tokens)
    check_table("tf.figma.", tf.figma)
    check_table("tf.viewport.", tf.viewport)
    -- every table of functions in the module is enumerated above
    for k, v in pairs(tf) do
      if type(v) == "table" and not skip[k] then missing[#missing + 1] = "tf." .. k .. " (a table not enumerated)" end
    end
    local objects = {
      interner = tf.interner(), cache = tf.cache { capacity = 2 }, pool = tf.pool {},
      chunks = select(2, tf.chunks { 1 }), walk = tf.walk({}, function() end), metrics = tf.metrics(),
      set = token_set(), resolved = resolved(), job = job(),
      viewport_index = tf.viewport.index {}, viewport_hits = select(4, vp_index():query(0, 0, 1, 1)),
      store = store(), document = document(), saving = saving(),
    }
    for prefix, o in pairs(objects) do
      local idx = getmetatable(o).__index
      for k, v in pairs(idx) do
        if type(v) == "function" and not k:match("^_") and not CONSTRUCTORS[k] and not listed[prefix .. ":" .. k] then
          missing[#missing + 1] = prefix .. ":" .. k
        end
      end
    end
    objects.saving:abort()
    table.sort(missing)
    assert.are.same({}, missing)
  end)

  it("gives a clear error or nil, message for every bad input, never a crash", function()
    local problems, cases = {}, 0
    for _, e in ipairs(API) do
      local positions = math.max(#e[4], 1)
      for pos = 1, positions do
        for _, b in ipairs(BAD) do
          local skip = e.counts and type(b[2]) == "number" and b[2] > 1e6 -- a huge iteration count is a request, not a fault
          if not skip then
            cases = cases + 1
            local why = call(e, pos, nil, b[2])
            if why then note(problems, e[1] .. " arg " .. pos, b[1], why) end
          end
        end
        for _, field in ipairs(e.fields and e.fields[pos] or {}) do
          for _, b in ipairs(BAD) do
            local skip = e.counts and type(b[2]) == "number" and b[2] > 1e6
            if not skip then
              cases = cases + 1
              local why = call(e, pos, field, b[2])
              if why then note(problems, e[1] .. " arg " .. pos .. "." .. field, b[1], why) end
            end
          end
        end
      end
    end
    local distinct, nfn = {}, 0 -- "name (variant)" entries count once
    for _, e in ipairs(API) do
      local fname = e[1]:gsub(" %(.*%)$", "")
      if not distinct[fname] then distinct[fname], nfn = true, nfn + 1 end
    end
    print(string.format("bad-input matrix: %d cases, %d functions and methods (%d entries with variants), %d bad values",
      cases, nfn, #API, #BAD))
    assert.are.same({}, summary(problems))
  end)

  it("methods on closed objects raise 'attempt to use a closed X'", function()
    -- receiver factory, type, methods and valid arguments for each
    local cases = {
      { tf.interner, "Interner", { intern = { "a" }, lookup = { "a" }, name = { 1 }, stats = {} } },
      { function() return tf.cache { capacity = 2 } end, "Cache", {
          set = { "k", 1 }, get = { "k" }, fetch = { "k", function() return 1 end }, delete = { "k" },
          invalidate = { "t" }, flush = {}, keys = {}, stats = {}, capacity = { 4 } } },
      { tf.pool, "Pool", { submit = { function() end }, run = {}, step = {}, wake = {}, parked = {} } },
      { tf.metrics, "Metrics", { counter = { "c" }, gauge = { "g" }, histogram = { "h" }, get = { "c" },
          timer = { "h" }, span = { "s", function() end }, sample = {}, threshold = { "h", { warn = 1 } },
          snapshot = {}, json = {}, prometheus = {}, svg = {}, profile = {}, alerts = {}, samples = {} } },
      { job, "Job", { step = {}, run = {}, rerun = { {} } } },
      { vp_index, "ViewportIndex", { insert = { 9, 0, 0, 1, 1 }, update = { 1, 0, 0, 1, 1 }, remove = { 1 }, get = { 1 },
          query = { 0, 0, 1, 1 }, count = {}, stats = {} } },
      { store, "Store", { get = { "k" }, set = { "k", 1 }, delete = { "k" }, invalidate = { "t" }, clear = {},
          stats = {}, vacuum = {} } },
      { document, "Document", { nodes = {}, node = { 1 }, count = {}, stats = {}, duplicates = {}, name = {}, json = { 1, "id" },
          text = {}, save = { TMP .. "/closed.json" }, saving = { TMP .. "/closed.json" } } },
    }
    local bad, ncalls = {}, 0
    for _, c in ipairs(cases) do
      for m, args in pairs(c[3]) do
        ncalls = ncalls + 1
        local o = c[1]()
        local method = o[m]
        o:close()
        o:close() -- idempotent
        local ok, err = pcall(method, o, table.unpack(args))
        if ok or not tostring(err):find("attempt to use a closed", 1, true) then
          bad[#bad + 1] = c[2] .. ":" .. m .. " -> " .. tostring(ok and "returned" or err)
        end
      end
    end
    print(string.format("closed objects: %d calls", ncalls))
    table.sort(bad)
    assert.are.same({}, bad)
    -- stats stay readable after close, and say so
    for _, make in ipairs { tf.pool, function() return select(2, tf.chunks { 1 }) end,
                            function() return tf.walk({}, function() end) end } do
      local o = make()
      o:close()
      assert.is_table(o:stats())
    end
  end)

  it("methods given an object of the wrong tokenflow type raise a clear error", function()
    local objects = {
      Interner = tf.interner(), Cache = tf.cache { capacity = 2 }, Pool = tf.pool {}, Metrics = tf.metrics(),
      TokenSet = token_set(), Resolved = resolved(), Walk = tf.walk({}, function() end), Job = job(),
      Chunks = select(2, tf.chunks { 1 }), ViewportIndex = vp_index(),
      ViewportHits = select(4, vp_index():query(0, 0, 10, 10)), Store = store(), Document = document(),
      DocumentSaving = saving(),
    }
    local bad, cases = {}, 0
    for tname, o in pairs(objects) do
      for k, method in pairs(getmetatable(o).__index) do
        if type(method) == "function" and not k:match("^_") and not CONSTRUCTORS[k] then
          for other_name, other in pairs(objects) do
            if other_name ~= tname then
              cases = cases + 1
              if os.getenv("BAD_TRACE") then io.stderr:write(tname, ":", k, " on ", other_name, "\n") end
              local ok, err = pcall(method, other, "a", "b")
              if ok then
                bad[#bad + 1] = tname .. ":" .. k .. " accepted a " .. other_name
              elseif type(err) ~= "string" or internal(err) then
                bad[#bad + 1] = tname .. ":" .. k .. " on a " .. other_name .. ": " .. tostring(err):sub(1, 160)
              end
            end
          end
        end
      end
    end
    objects.DocumentSaving:abort()
    print(string.format("wrong-type receivers: %d cases", cases))
    table.sort(bad)
    assert.are.same({}, bad)
  end)

  -- Entry points that walk a table they are given, each with the bad table
  -- put where the walk goes: a table that contains itself and one nested
  -- 100,000 levels deep must give a clear error (raised, or nil and a
  -- message) that names where it sits, never a hang or a stack overflow.
  local function self_containing()
    local t = { id = "loop" }
    t.self, t.children = t, nil
    t.children = { t }
    return t
  end
  local function deep_chain(depth)
    local root = { id = "d0" }
    local t = root
    for i = 1, depth do
      local child = { id = "d" .. i }
      t.next, t.children = child, { child }
      t = child
    end
    return root
  end
  local function with_table(place) -- a node whose token map is `place`
    return { { id = "n1", tokens = place } }
  end
  local WALKERS = {
    { "tf.tokens.new (root)", function(t) return tf.tokens.new(t) end, "%(table%)%.[%a%[]" },
    { "tf.tokens.new (a set)", function(t) return tf.tokens.new { core = t } end, "%(table%)%.core" },
    { "tf.tokens.new (a token value)", function(t)
        return tf.tokens.new { core = { a = { value = t, type = "typography" } } }
      end, "%(table%)%.core%.a%.value" },
    { "tf.tokens.new ($themes)", function(t) return tf.tokens.new { ["$themes"] = { t }, core = {} } end, "%$themes" },
    { "tf.tokens.new (named)", function(t) return tf.tokens.new({ core = t }, { name = "brand.json" }) end, "brand%.json%.core" },
    { "tf.pack", function(t) return tf.pack { colors = t } end, "value%.colors" },
    { "store:set", function(t) return store():set("k", { colors = t }) end, "value%.colors" },
    { "cache:set (store)", function(t) return tf.cache({ capacity = 4, store = store() }):set("k", { colors = t }) end,
      "value%.colors" },
    { "cache:fetch (store)", function(t)
        return tf.cache({ capacity = 4, store = store() }):fetch("not stored yet", function() return { colors = t } end)
      end, "value%.colors" },
    { "tf.walk (children field)", function(t) for _ in tf.walk(t, "children") do end end, "at node d?[%w]+" },
    { "tf.walk (children function)", function(t)
        for _ in tf.walk(t, function(n) return n.children end) do end
      end, "at node d?[%w]+" },
    { "tf.update (walk source)", function(t)
        return tf.update({ tokens = resolved(), source = tf.walk(t, "children"), write = function() end }):run()
      end, "at node d?[%w]+" },
    { "tf.figma.read (token map)", function(t)
        return tf.figma.read { id = "1:2", sharedPluginData = { tokens = { fill = t } } }
      end, "node 1:2: sharedPluginData%.tokens%.fill" },
    { "tf.figma.map (token map)", function(t)
        local plan, errors = tf.figma.map({ fill = t }, resolved())
        return plan, errors and tf.figma.describe_errors(errors, "1:2")
      end, "node 1:2: fill" },
    { "tf.update (a node's token map)", function(t)
        local report = tf.update({ tokens = resolved(), source = with_table({ fill = t }), write = function() end }):run()
        local f = report.failures[1]
        return nil, f and string.format("node %s: %s: %s", f.node, f.property, f.message)
      end, "node n1: fill: " },
    { "counter:labels", function(t)
        return tf.metrics():counter("c", "h", { "k" }):labels { k = t }
      end, "label 'k' of metric 'c_total'" },
  }
  it("names where a table contains itself or nests 100,000 deep, at every entry point that walks one", function()
    local problems, cases = {}, 0
    for _, w in ipairs(WALKERS) do
      for _, bad in ipairs { { "self-containing", self_containing() }, { "100,000 deep", deep_chain(100000) } } do
        cases = cases + 1
        local res = table.pack(pcall(w[2], bad[2]))
        local msg = res[1] and (res[2] == nil and res[3]) or (not res[1] and res[2])
        if type(msg) ~= "string" then
          problems[#problems + 1] = w[1] .. " (" .. bad[1] .. "): no error (" .. tostring(res[2]) .. ")"
        elseif internal(msg) or not msg:find(w[3]) then
          problems[#problems + 1] = w[1] .. " (" .. bad[1] .. "): " .. msg:sub(1, 200)
        end
      end
    end
    print(string.format("self-containing and 100,000-deep tables: %d cases over %d entry points", cases, #WALKERS))
    assert.are.same({}, problems)
  end)

  it("opens store files only under the names given", function()
    -- tf.store ran with bad paths in TMP: "a\0b" must not have opened "a"
    local names = {}
    for f in lfs.dir(TMP) do
      if f ~= "." and f ~= ".." then
        names[f] = true
        os.remove(TMP .. "/" .. f)
      end
    end
    assert.is_true(lfs.rmdir(TMP))
    assert.is_true(names["matrix.db"])
    assert.is_nil(names.a)
    for name in pairs(names) do -- an atomic save leaves no temporary file behind, whatever failed
      assert.is_nil(name:match("%.tmp%-"), name)
    end
  end)
end)

--- The update job: `tf.update{...}` applies resolved tokens to every node of
-- a source, one mapping per distinct token combination, in chunks.
--
-- The per-node loop (read, combination key, cache lookup, write) is C
-- (`tokenflow.core.job`, src/lua/job.c); this module checks the options,
-- supplies the mapping hooks the C loop calls on a cache miss, drives the
-- chunks in the three ways (straight through, inside a coroutine, step by
-- step), reports progress, records metrics and shapes the report.
-- @module tokenflow.job

local core = require "tokenflow.core"
local guard = require "tokenflow.guard"
local planner = require "tokenflow.plan"
local metrics = require "tokenflow.metrics.registry"
local read = require "tokenflow.apply.read"
local Resolved = require "tokenflow.tokens.resolved"

local Job = {}
Job.__index = Job
Job.__name = "tokenflow.Job"

local KNOWN = {
  tokens = true, source = true, total = true, read = true, map = true, write = true, mode = true,
  chunk = true, pool = true, changed = true, on_progress = true, on_error = true, cache = true,
  index = true, index_nodes = true, clock = true, max_failures = true,
}
KNOWN.viewport, KNOWN.bounds = true, true -- visible-first updates (tokenflow.viewport)
local MODES = { auto = true, direct = true, batched = true, streaming = true }

-- Progress is reported at most this often (seconds), and at the end.
local PROGRESS_INTERVAL = 0.1
-- Weight of the newest chunk in the smoothed rate.
local RATE_ALPHA = 0.3
-- The rate counts as steady while it stays within this ratio of the last report's.
local STEADY = 0.2

local function fail(msg) error("tokenflow.update: " .. msg, 3) end

-- Raises the usual argument error unless self is a Job.
local function check(self, fname)
  guard.receiver(self, Job, fname)
end

local function callable(v)
  if type(v) == "function" then return true end
  local mt = getmetatable(v)
  return type(mt) == "table" and mt.__call ~= nil
end

local function is_resolved(v) return getmetatable(v) == Resolved end

local function figma_writer(w)
  local mt = getmetatable(w)
  return type(w) == "table" and type(mt) == "table" and mt.__name == "tokenflow.figma.Writer"
end

-- One token's value or why it has none.
local function lookup(resolved, name)
  local value, info = resolved:get(name)
  if value == nil then return nil, "token not found" end
  if type(info) == "table" and info.failed then
    local why = info.reason or info.error
    return nil, "token failed to resolve" .. (why and (": " .. tostring(why)) or "")
  end
  return value
end

--- The default mapping: property -> resolved value, a composition token's
-- properties expanded (the node's own properties win), `none` -> false.
-- @tparam table map property -> token name
-- @param resolved a Resolved
-- @treturn[1] table property -> value
-- @treturn[2] nil
-- @treturn[2] table errors `{property=, token=, message=}`
local function plain_map(map, resolved)
  local out, errors = {}, {}
  local comp = map.composition
  if comp and comp ~= "none" then
    local value, err = lookup(resolved, comp)
    if err then
      errors[#errors + 1] = { property = "composition", token = comp, message = err }
    elseif type(value) ~= "table" then
      errors[#errors + 1] = { property = "composition", token = comp,
        message = "a composition value must be an object" }
    else
      for prop, v in pairs(value) do
        if map[prop] == nil then out[prop] = v end
      end
    end
  end
  for prop, name in pairs(map) do
    if prop ~= "composition" then
      if name == "none" then
        out[prop] = false
      else
        local value, err = lookup(resolved, name)
        if err then
          errors[#errors + 1] = { property = prop, token = name, message = err }
        else
          out[prop] = value
        end
      end
    end
  end
  if #errors > 0 then
    table.sort(errors, function(a, b) return a.property < b.property end)
    return nil, errors
  end
  return out
end

-- Every token `name` depends on, itself included (through aliases and math).
local function closure(resolved, name, memo)
  local got = memo[name]
  if got then return got end
  local out, seen, queue, head = {}, { [name] = true }, { name }, 1
  while queue[head] do
    local n = queue[head]
    head = head + 1
    out[#out + 1] = n
    local _, info = resolved:get(n)
    for _, r in ipairs(type(info) == "table" and info.refs or {}) do
      if not seen[r] then
        seen[r] = true
        queue[#queue + 1] = r
      end
    end
  end
  memo[name] = out
  return out
end

-- Names affected when `changed` change: themselves and their dependents,
-- in each of the Resolveds given.
local function affected_names(changed, ...)
  local set, list = {}, {}
  local function add(n)
    if not set[n] then
      set[n] = true
      list[#list + 1] = n
    end
  end
  for _, name in ipairs(changed) do
    add(name)
    for i = 1, select("#", ...) do
      local r = select(i, ...)
      if r then
        for _, d in ipairs(r:dependents(name)) do add(d) end
      end
    end
  end
  return list
end

local function check_changed(changed, level)
  if type(changed) ~= "table" then error("tokenflow.update: changed must be an array of token names", level) end
  for i, n in ipairs(changed) do
    if type(n) ~= "string" then
      error("tokenflow.update: changed[" .. i .. "] must be a token name (string), got a " .. type(n), level)
    end
  end
end

local function check_chunk(chunk)
  if chunk == nil then return {} end
  if type(chunk) ~= "table" then fail("chunk must be a table {size =, budget_ms =}") end
  for k in pairs(chunk) do
    if k ~= "size" and k ~= "budget_ms" then fail("unknown chunk option '" .. tostring(k) .. "'") end
  end
  local size = chunk.size
  if size ~= nil and size ~= "auto" and (math.type(size) ~= "integer" or size < 1) then
    fail("chunk.size must be a positive integer or \"auto\"")
  end
  local b = chunk.budget_ms
  if b ~= nil and (type(b) ~= "number" or b ~= b or b <= 0 or b == math.huge) then
    fail("chunk.budget_ms must be a positive number")
  end
  return chunk
end

local function new_metrics()
  local m = metrics.new()
  return m, {
    chunk_s = m:histogram("job_chunk_seconds", "Time to process one chunk"),
    heap_bytes = m:histogram("job_lua_heap_bytes", "Lua heap after each chunk, bytes (Prometheus base unit)",
      { buckets = { 2 ^ 18, 2 ^ 20, 2 ^ 22, 2 ^ 24, 2 ^ 26, 2 ^ 28, 2 ^ 30 } }),
    nodes = m:counter("job_nodes", "Nodes taken from the source"),
    written = m:counter("job_written", "Nodes written"),
    failed = m:counter("job_failed", "Nodes that failed"),
    hits = m:counter("job_cache_hits", "Token combinations found in the cache"),
    misses = m:counter("job_cache_misses", "Token combinations mapped"),
    engine = m:gauge("job_engine_bytes", "Bytes held by the job's C index"),
  }
end

local function rss_peak_kb()
  local f = io.open("/proc/self/status", "r")
  if not f then return nil end
  local text = f:read("a")
  f:close()
  local kb = text:match("VmHWM:%s*(%d+)")
  return kb and tonumber(kb) or nil
end

-- The pool hooks. Each write first runs in a reusable runner coroutine:
-- one that returns is done, no task made. One that yields keeps its runner
-- and becomes a pool task that relays: the task parks with the write's
-- yielded values (on_park sees them), and the value the host wakes it with
-- goes back to the write. The outcome goes back to the core (record).
local DONE = setmetatable({}, { __name = "tokenflow.job.done" })

local function pool_hooks(self, pool, write, budget_ms)
  local cap = pool:stats().capacity
  local budget_s = (budget_ms or 8) / 1000
  local inflight = {}
  self._inflight = inflight
  self._inflight_n = 0
  local runner

  local function new_runner()
    return coroutine.create(function(node, plan)
      while true do
        local ok, r1, r2 = pcall(write, node, plan)
        node, plan = coroutine.yield(DONE, ok, r1, r2)
      end
    end)
  end

  -- The relay task: yields what the write yielded, resumes it with the answer.
  local function relay(rec, ...)
    local co, node, pos = rec[1], rec[2], rec[3]
    local out = table.pack(...)
    while true do
      local answer = table.pack(coroutine.yield(table.unpack(out, 1, out.n)))
      if self._cancelled then break end
      out = table.pack(coroutine.resume(co, table.unpack(answer, 1, answer.n)))
      if not out[1] then -- cannot happen (the runner catches errors), but never hide it
        self._core:record(node, pos, false, out[2])
        break
      end
      if out[2] == DONE then
        self._core:record(node, pos, out[3], out[4], out[5])
        break
      end
      table.remove(out, 1)
      out.n = out.n - 1
    end
    if inflight[rec] then
      inflight[rec] = nil
      self._inflight_n = self._inflight_n - 1
    end
  end

  -- The node cannot be handed to the pool: it counts as failed (so a
  -- resumed job goes on after it), and the error reaches the host.
  local function refuse(node, pos, msg)
    self._waiting_node = false
    self._core:record(node, pos, false, msg)
    error(msg, 0)
  end

  local function wait_for_room(node, pos)
    local waited_from = core.now()
    self._waiting_node = true -- cancel() counts it as not written
    while self._inflight_n >= cap and not self._cancelled do
      local ran = pool:step()
      -- the host gets control while the writes wait, and at least once a
      -- chunk budget when they keep yielding and being woken
      if coroutine.isyieldable() and (ran == 0 or core.now() - waited_from > budget_s) then
        coroutine.yield(self:_progress(false, self._inflight_n))
        waited_from = core.now()
      elseif ran == 0 then
        refuse(node, pos, "tokenflow.update: the write pool is full of parked writes and nothing wakes them "
          .. "(wake them from the pool's on_park, or drive the job from a coroutine)")
      end
    end
    self._waiting_node = false
  end

  -- What the runner returned for the write of node at pos.
  local function after(co, node, pos, resumed, first, ...)
    if not resumed then
      runner = nil
      return self._core:record(node, pos, false, first)
    end
    if first == DONE then return self._core:record(node, pos, ...) end
    -- the write yielded: its runner goes to a relay task
    runner = nil
    local rec = { co, node, pos }
    local t, err = pool:submit(relay, { args = table.pack(rec, first, ...) })
    if not t then refuse(node, pos, "tokenflow.update: " .. tostring(err)) end
    inflight[rec] = t
    self._inflight_n = self._inflight_n + 1
    pool:step() -- parks it at once: on_park hears of it
  end

  return function(node, plan, pos)
    if self._inflight_n >= cap then wait_for_room(node, pos) end
    if self._cancelled then return end
    local co = runner
    if co == nil then
      co = new_runner()
      runner = co
    end
    return after(co, node, pos, coroutine.resume(co, node, plan))
  end
end

--- Creates an update job. The README section "Update job" shows it at work.
-- @tparam table opts `tokens` (a Resolved, required), `source` (array,
-- iterator function or `tf.walk`, required), `write` (function or callable
-- table, required), `read`, `map`, `total`, `mode`, `chunk`, `pool`,
-- `changed`, `on_progress`, `on_error`, `cache`, `index` (default true:
-- keep a node -> combination index, 1-4 bytes a node, for `rerun`),
-- `index_nodes` (default 262144: for iterator and walk sources, keep
-- references to up to this many nodes, 16 bytes each, so `rerun` visits
-- only the affected nodes; past it the job keeps positions only and a
-- rerun walks the source again; 0: never),
-- `clock` (seconds; progress timing), `max_failures` (failures kept in the
-- report, default 1000; all are counted), `viewport` and `bounds`
-- (visible-first: the nodes in `viewport = {x, y, w, h[, zoom][, index]}`
-- are written first, see `tokenflow.viewport.prepare`)
-- @treturn Job
local function update(opts)
  if type(opts) ~= "table" then fail("options must be a table, got a " .. type(opts)) end
  for k in pairs(opts) do
    if not KNOWN[k] then fail("unknown option '" .. tostring(k) .. "'") end
  end
  local tokens = opts.tokens
  if not is_resolved(tokens) then
    fail("tokens must be a Resolved (from set:resolve{}), got a " .. type(tokens))
  end
  local source = opts.source
  local st = type(source)
  local is_doc = st == "userdata" and tostring(source):find("^tokenflow.DocumentNodes") ~= nil
  if is_doc then
    st = "document"
  elseif st ~= "table" and st ~= "function" and not (st == "userdata" and tostring(source):find("^tokenflow.Walk")) then
    fail("source must be an array, an iterator function, a tf.walk or doc:nodes(), got a " .. st)
  end
  local visible
  if opts.viewport ~= nil then
    local why
    visible, why = require("tokenflow.viewport").prepare(source, opts.bounds, opts.viewport)
    if not visible then fail(why) end
    source, st = visible.source, type(visible.source)
  elseif opts.bounds ~= nil then
    fail("bounds is only used with viewport")
  end
  local write = opts.write
  if not callable(write) then fail("write must be a function or a callable table, got a " .. type(write)) end
  local read_fn = opts.read
  if read_fn ~= nil and not callable(read_fn) then fail("read must be a function, got a " .. type(read_fn)) end
  local map = opts.map
  if map == nil and type(write) == "table" and callable(write.map) then map = write.map end
  if map == nil then map = plain_map end
  if not callable(map) then fail("map must be a function, got a " .. type(map)) end
  local total = opts.total
  if total ~= nil and (math.type(total) ~= "integer" or total < 0) then fail("total must be a non-negative integer") end
  if st == "table" or is_doc then total = #source end
  local mode = opts.mode or "auto"
  if not MODES[mode] then
    fail("mode must be \"auto\", \"direct\", \"batched\" or \"streaming\", got " .. tostring(mode))
  end
  local chunk = check_chunk(opts.chunk)
  local on_error = opts.on_error or "skip"
  if on_error ~= "skip" and on_error ~= "stop" then
    fail("on_error must be \"skip\" or \"stop\", got " .. tostring(on_error))
  end
  if opts.on_progress ~= nil and not callable(opts.on_progress) then fail("on_progress must be a function") end
  if opts.changed ~= nil then check_changed(opts.changed, 3) end
  local cache = opts.cache
  if cache ~= nil and not tostring(cache):find("^tokenflow.Cache") then fail("cache must be a tf.cache") end
  if opts.index ~= nil and type(opts.index) ~= "boolean" then fail("index must be a boolean") end
  local index_nodes = opts.index_nodes
  if index_nodes ~= nil and (math.type(index_nodes) ~= "integer" or index_nodes < 0) then
    fail("index_nodes must be a non-negative integer")
  end
  local clock = opts.clock or core.now
  if not callable(clock) then fail("clock must be a function") end
  if opts.clock then
    local host_clock = clock
    clock = function()
      local t = host_clock()
      if type(t) ~= "number" then
        error("tokenflow.update: clock must return seconds (a number), got a " .. type(t), 0)
      end
      return t
    end
  end
  local max_failures = opts.max_failures or 1000
  if math.type(max_failures) ~= "integer" or max_failures < 0 then
    fail("max_failures must be a non-negative integer")
  end
  local pool = opts.pool
  if pool ~= nil and is_doc then
    fail("pool is not used with a document's nodes (writes to a document never wait)")
  end
  if pool ~= nil then
    if type(pool) == "table" then
      pool = core.pool(pool)
    elseif not tostring(pool):find("^tokenflow.Pool") then
      fail("pool must be a table of pool options or a tf.pool")
    end
  end

  if mode == "auto" then mode = planner.plan((st == "table" or is_doc) and total or opts.total).mode end
  local size, budget = nil, chunk.budget_ms
  if mode == "direct" then
    size = math.maxinteger
  elseif math.type(chunk.size) == "integer" then
    size = chunk.size
  elseif mode == "batched" and chunk.size == nil then
    size = 1000
  end

  local self = setmetatable({
    mode = mode, _tokens = tokens, _map = map, _clock = clock, _on_progress = opts.on_progress,
    _state = "pending", _yields = mode == "streaming", _gc = mode == "streaming", _total = total,
    _memo = {}, _cache = cache or core.cache{ capacity = 100000 }, _pool = pool, _source_kind = st,
    _failures = {}, _lua_kb_peak = collectgarbage("count"), _elapsed = 0, _cancelled = false,
    _visible = visible and { count = visible.count, scan_s = visible.scan_s,
      first_visible_s = visible.count == 0 and visible.scan_s or nil },
  }, Job)
  self.metrics, self._m = new_metrics()
  self.pool = pool
  self._own_pool, self._own_cache = type(opts.pool) == "table", cache == nil

  local hooks = {
    cache = self._cache, source = source, total = total, read = read_fn, write = write,
    index = opts.index ~= false, index_nodes = index_nodes, stop = on_error == "stop", size = size, budget_ms = budget,
    max_failures = max_failures, decode = read.token_name,
    deps = function(m)
      local names, seen, r, memo = {}, {}, self._tokens, self._memo
      for _, name in pairs(m) do
        if name ~= "none" then
          for _, n in ipairs(closure(r, name, memo)) do
            if not seen[n] then
              seen[n] = true
              names[#names + 1] = n
            end
          end
        end
      end
      return names
    end,
    map = function(m) return self._map(m, self._tokens) end,
  }
  -- a writer table (tf.figma.writer) is called through its plain function
  if type(write) == "table" and type(rawget(write, "write")) == "function" then hooks.write = write.write end
  -- tokenflow's own writer is deterministic: on a document, what it did to
  -- a node is reused for every node that reads the same to it
  hooks.memo = is_doc and figma_writer(write)
  if pool then hooks.submit = pool_hooks(self, pool, hooks.write, budget) end
  -- a writer that can tell what changed between two plans (tf.figma.writer):
  -- a rerun with changed tokens writes only that
  if type(write) == "table" and callable(write.diff) then
    local diff = write.diff
    hooks.diff = type(diff) == "function" and diff or function(a, b) return diff(a, b) end
  end
  hooks.visible = visible and visible.order
  self._core = core.job(hooks)
  if opts.changed then self:_mark(false, opts.changed, tokens) end
  return self
end

-- Marks the changed tokens (and their dependents) and drops cached
-- combinations that use them. With keep (a rerun), the core first keeps
-- their cached plans, so a writer with `diff` rewrites only what changed.
function Job:_mark(keep, changed, ...)
  local names = affected_names(changed, ...)
  self._core:mark(names, keep)
  for _, n in ipairs(names) do self._cache:invalidate(n) end
  self._affected = #names
end

-- The progress table (a new one each time).
function Job:_progress(final, waiting)
  local s = self._stats or self._core:stats()
  return {
    tokenflow = "progress", done = s.pos, total = self._total, rate = self._rate or 0,
    eta_s = self._eta, chunk = s.chunks, mode = self.mode, written = s.written, failed = s.failed,
    final = final or nil, waiting = waiting,
  }
end

-- Updates the smoothed rate and the ETA after a chunk of n nodes in dt seconds.
function Job:_update_rate(n, dt, now)
  if n > 0 and dt > 0 then
    local inst = n / dt
    self._rate = self._rate and (RATE_ALPHA * inst + (1 - RATE_ALPHA) * self._rate) or inst
  end
  local rate, s = self._rate, self._stats
  if not (rate and rate > 0 and self._total) then return end
  local eta = math.max(0, (self._total - s.pos) / rate)
  local prev, prev_t, prev_rate = self._eta, self._eta_t, self._eta_rate
  if prev and prev_rate and math.abs(rate - prev_rate) <= STEADY * prev_rate then
    -- steady rate: the estimate only counts down
    local down = math.max(0, prev - (now - prev_t))
    if eta > down then eta = down end
  else
    self._eta_rate = rate
  end
  self._eta, self._eta_t = eta, now
end

function Job:_emit(final)
  local now = self._clock()
  local cb = self._on_progress
  if cb and (final or not self._last_emit or now - self._last_emit >= PROGRESS_INTERVAL) then
    self._last_emit = now
    cb(self:_progress(final))
  end
end

-- Records the chunk just processed into the metrics (per chunk, never per node).
function Job:_record(before, after, dt)
  local m = self._m
  if after.chunks > before.chunks then m.chunk_s:observe(dt) end
  local kb = collectgarbage("count")
  if kb > self._lua_kb_peak then self._lua_kb_peak = kb end
  m.heap_bytes:observe(kb * 1024)
  m.nodes:inc(after.nodes - before.nodes)
  m.written:inc(math.max(0, after.written - before.written))
  m.failed:inc(math.max(0, after.failed - before.failed))
  m.hits:inc(after.hits - before.hits)
  m.misses:inc(after.misses - before.misses)
  m.engine:set(after.engine_bytes or 0)
end

-- The most a between-chunk collector step pays for (KB of allocation).
local GC_STEP_KB = 64

-- A collector step between chunks, sized by what the chunk allocated and
-- capped, so it never costs more than a sliver of a frame. Never a "basic"
-- step (`collectgarbage("step", 0)`): in Lua 5.4 that runs the collector
-- until the debt it sets is paid, which right after a full collection
-- (the heap in pause with all its credit) is a whole mark-and-sweep of the
-- heap, hundreds of milliseconds on a large document. While the collector
-- is in pause with credit left, a sized step does nothing, as the
-- allocation-driven collector would.
local function gc_step(kb0)
  local grown = collectgarbage("count") - kb0
  if grown >= 1 then collectgarbage("step", math.min(GC_STEP_KB, math.ceil(grown))) end
end

local TERMINAL = { done = true, cancelled = true, stopped = false }

--- Processes one chunk. Returns true while work remains (for host frame
-- loops). A stopped job (on_error = "stop") returns false; `run` or `step`
-- again continues after the failed node.
-- @treturn boolean
function Job:step()
  check(self, "step")
  if self._closed then error("attempt to use a closed tokenflow.Job", 2) end
  local state = self._state
  if TERMINAL[state] then return false end
  if state ~= "running" then
    self._state = "running"
    if not self._t0 then self._t0 = self._clock() end
  end
  local c = self._core
  if self._stepping then
    -- called again from its own write, read, source or progress callback:
    -- refuse without disturbing the chunk in progress
    error("tokenflow.Job: the job is already running (step, run or rerun called from inside the job)", 2)
  end
  local before = self._stats or c:stats()
  local t0 = self._clock()
  self._stepping = true
  local kb0 = self._gc and collectgarbage("count")
  local ok, st = pcall(c.chunk, c)
  self._stepping = false
  if not ok then
    c:abort()
    self._state = "stopped"
    error(st, 0)
  end
  local now = self._clock()
  -- with a viewport, GC steps wait until the visible part is written
  if self._gc and not (self._visible and not self._visible.first_visible_s) then gc_step(kb0) end
  local after = c:stats()
  self._stats = after
  self:_record(before, after, now - t0)
  self:_update_rate(after.pos - before.pos, now - t0, now)
  self._elapsed = now - self._t0
  local vis = self._visible
  if vis and not vis.first_visible_s and after.visible_ended then
    vis.first_visible_s = vis.scan_s + self._elapsed -- the visible part finished with this chunk
    self._visible_now = true
  end
  if self._state == "cancelled" or st == "cancelled" then
    self._state = "cancelled"
    self:_emit(true)
    return false
  end
  if st == "stopped" then
    self._state = "stopped"
    self:_emit(true)
    return false
  end
  if st == "done" then
    if self._pool and self._inflight_n > 0 then
      local ran = self._pool:step()
      self._stats = c:stats()
      if self._inflight_n > 0 then
        self._waiting, self._stalled = self._inflight_n, ran == 0
        return true
      end
    end
    self._state = "done"
    self._stats = c:stats()
    self:_emit(true)
    return false
  end
  self:_emit(false)
  return true
end

--- How many nodes the job has taken from its source so far, in the
-- source's order (with a viewport, visible nodes taken ahead count too).
-- Over `doc:nodes()` without a viewport: the document's first nodes the
-- job is done with (see `doc:saving`).
-- @treturn integer
function Job:position()
  check(self, "position")
  return (self._stats or self._core:stats()).pos
end

--- Runs the job to completion (or until cancelled or stopped). Inside a
-- coroutine, in streaming mode, it yields a progress table between chunks
-- (`{tokenflow = "progress", done, total, rate, eta_s, chunk, mode, ...}`).
-- @treturn table the report
function Job:run()
  check(self, "run")
  while self:step() do
    if self._stalled then
      self._stalled = false
      if coroutine.isyieldable() then
        coroutine.yield(self:_progress(false, self._waiting))
      else
        error("tokenflow.update: " .. self._waiting .. " writes are parked in the pool and nothing wakes them "
          .. "(wake them from the pool's on_park, or drive the job from a coroutine or with step())", 2)
      end
    elseif (self._yields or self._visible_now) and coroutine.isyieldable() then
      -- with a viewport, also after the visible part in any mode: the host repaints
      self._visible_now = nil
      coroutine.yield(self:_progress(false))
    end
  end
  return self:report()
end

--- Iterates the job a chunk at a time: `for p in job:steps() do ... end`,
-- p the progress table after each chunk.
function Job:steps()
  check(self, "steps")
  local finished = false
  return function()
    if finished then return nil end
    if not self:step() then finished = true end
    return self:_progress(finished)
  end
end

--- Stops the job: no write starts after this returns (also from inside a
-- write or progress callback); pending pool writes are cancelled.
function Job:cancel()
  check(self, "cancel")
  self._cancelled = true
  self._core:cancel()
  if self._inflight then
    local n = 0
    for rec, task in pairs(self._inflight) do
      self._inflight[rec] = nil
      task:cancel()
      -- the parked write ends here (its to-be-closed variables run);
      -- one running this very call cannot be closed and ends with its task
      pcall(coroutine.close, rec[1])
      n = n + 1
    end
    if self._waiting_node then -- a node waiting for room in the pool
      self._waiting_node = false
      n = n + 1
    end
    self._not_written_tasks = (self._not_written_tasks or 0) + n
    self._inflight_n = 0
  end
  if self._state ~= "done" then self._state = "cancelled" end
end

--- Re-applies the nodes whose token combination depends on changed tokens,
-- from the job's own index (read is not called again) when the job ran to
-- completion with `index` on; otherwise nodes are read again. The affected
-- nodes come straight from the source array or from the nodes the job kept
-- (`index_nodes`); without those a walk source is walked again from its
-- root, and an iterator source needs `source` again.
-- @tparam table opts `changed` (token names; nil: every node again),
-- `tokens` (a new Resolved, optional), `source` (a fresh source over the
-- same nodes in the same order; needed only for an iterator source whose
-- nodes the job did not keep),
-- `run` (default true: run now, as `run()` does; false: drive with `step`)
-- @treturn table the report (or the job when `run = false`)
function Job:rerun(opts)
  check(self, "rerun")
  opts = opts or {}
  if type(opts) ~= "table" then error("tokenflow.Job:rerun: options must be a table", 2) end
  for k in pairs(opts) do
    if k ~= "changed" and k ~= "tokens" and k ~= "source" and k ~= "run" then
      error("tokenflow.Job:rerun: unknown option '" .. tostring(k) .. "'", 2)
    end
  end
  if self._closed then error("attempt to use a closed tokenflow.Job", 2) end
  if self._state == "running" then error("tokenflow.Job:rerun: the job is still running", 2) end
  local old = self._tokens
  if opts.tokens ~= nil then
    if not is_resolved(opts.tokens) then error("tokenflow.Job:rerun: tokens must be a Resolved", 2) end
    self._tokens = opts.tokens
    self._memo = {}
  end
  if self._source_kind == "function" and opts.source == nil then
    local s = self._core:stats()
    if not (s.indexed and s.node_refs and s.finished and not s.cancelled) then
      error("tokenflow.Job:rerun: source is needed again (a fresh iterator over the same nodes; "
        .. "the job kept no references to them)", 2)
    end
  end
  if opts.changed ~= nil then
    check_changed(opts.changed, 3)
    self:_mark(true, opts.changed, self._tokens, old ~= self._tokens and old or nil)
  else
    self._core:mark(nil)
    if opts.tokens ~= nil then self._cache:flush() end
  end
  self._indexed = self._core:rerun(opts.source)
  self._state, self._stats, self._rate, self._eta, self._eta_rate = "pending", nil, nil, nil, nil
  self._t0, self._elapsed, self._last_emit, self._cancelled = nil, 0, nil, false
  self._not_written_tasks = nil
  self._visible = nil -- a rerun goes in document order
  if opts.run == false then return self end
  return self:run()
end

--- The job's report: `{state, mode, nodes, total, written, skipped, failed,
-- failures, not_written, chunks, elapsed_s, cache = {hits, misses,
-- hit_rate, entries}, memory = {lua_kb_peak, engine_bytes, rss_peak_kb},
-- combinations, indexed}`.
function Job:report()
  check(self, "report")
  if self._final then return self._final end
  local s = self._core:stats()
  local lookups = s.hits + s.misses
  local not_written
  if self._state == "cancelled" or self._state == "stopped" then
    not_written = (self._not_written_tasks or 0)
    if self._total then not_written = not_written + math.max(0, self._total - s.pos) end
  end
  local kb = collectgarbage("count")
  if kb > self._lua_kb_peak then self._lua_kb_peak = kb end
  local failures = {}
  local kept = self._core.failures and self._core:failures() or nil
  for i, f in ipairs(kept or {}) do failures[i] = f end
  return {
    state = self._state, mode = self.mode, nodes = s.pos, total = self._total,
    written = s.written, skipped = s.skipped, failed = s.failed, failures = failures,
    not_written = not_written, chunks = s.chunks,
    elapsed_s = self._elapsed + (self._visible and self._visible.scan_s or 0),
    visible = self._visible and { count = self._visible.count, first_visible_s = self._visible.first_visible_s,
      scan_s = self._visible.scan_s } or nil,
    cache = { hits = s.hits, misses = s.misses, hit_rate = lookups > 0 and s.hits / lookups or 0,
      entries = #self._cache },
    memory = { lua_kb_peak = self._lua_kb_peak, engine_bytes = s.engine_bytes or 0, rss_peak_kb = rss_peak_kb() },
    combinations = s.combinations or 0,
  }
end

--- Releases the job now: writes still pending in its pool are cancelled,
-- its C index is freed, and the pool and cache it made itself are closed.
-- The report stays readable; `step`, `run` and `rerun` then raise
-- "attempt to use a closed tokenflow.Job". Idempotent; also `__close`.
function Job:close()
  check(self, "close")
  if self._closed then return end
  if self._state ~= "done" then self:cancel() end
  self._final = self:report()
  self._closed = true
  self._core:close()
  if self._own_pool then self._pool:close() end
  if self._own_cache then self._cache:close() end
end

Job.__close = Job.close

function Job:__tostring()
  local s = self._stats or self._core:stats()
  local count = self._total and (s.pos .. "/" .. self._total) or tostring(s.pos)
  return string.format("tokenflow.Job (%s, %s nodes, %d failed)", self._state, count, s.failed)
end

return { update = update, plain_map = plain_map, Job = Job }

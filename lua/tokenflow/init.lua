--- tokenflow: apply design tokens to very large design documents.
-- The facade: the C engines come from `tokenflow.core`, the domain rules
-- from the Lua modules beside this file.
-- @module tokenflow

local core = require "tokenflow.core"
local plan = require "tokenflow.plan"
local metrics = require "tokenflow.metrics.registry"
local bench = require "tokenflow.metrics.bench"

local tokenflow = {
  --- Version of the module (also `tokenflow.core.version`).
  version = core.version,
  --- The module's default string interner, shared by the token engine and jobs.
  names = core.names,
  --- A new, empty string interner. @function interner
  interner = core.interner,
  --- A new token cache: LRU by entry count and by bytes, per-entry TTL,
  -- invalidation by tag (token name), on_evict notifications.
  -- `tf.cache{capacity=, max_bytes=, ttl=, on_evict=, clock=, names=}`.
  -- Keys are strings, integers or arrays of them (token-name combinations,
  -- kept as interned id tuples). Methods: `set(key, value[, {ttl=, tags=, cost=}])`,
  -- `get(key)` (an expired entry is dropped and returns `nil, stale`),
  -- `fetch(key, loader[, opts])`, `delete(key)`, `invalidate(tag, ...)`,
  -- `flush()`, `keys()`, `stats()`, `capacity()`, `close()`, `#cache`.
  -- on_evict(key, value, reason) runs after each operation is complete;
  -- if it raises, the remaining notifications still run and the first
  -- error is raised afterwards. close() and collection notify nothing.
  -- @function cache
  cache = core.cache,
  --- Monotonic clock in seconds (float), the one every engine uses. @function now
  now = core.now,
  --- Bytes held right now by tokenflow's C engines. @function engine_bytes
  engine_bytes = core.engine_bytes,

  --- Iterates a source a chunk at a time:
  -- `for chunk, info in tf.chunks(source, opts) do ... end`.
  -- `source` is an array, an iterator function (returns the next node or nil;
  -- it may yield) or a `tf.walk`. `chunk` is an array of at most `size` nodes;
  -- the chunk table and the `info` table are reused from chunk to chunk, so
  -- copy what must outlive an iteration. `info = {index, first, count, done,
  -- total, elapsed}` (`total` only for arrays; `elapsed` in seconds since the
  -- first chunk). Inside a coroutine it yields `{tokenflow = "progress",
  -- chunks, done, total, chunk_size}` between chunks and runs a GC step;
  -- resuming with `"cancel"` or `false` ends the loop. Outside a coroutine it
  -- never yields.
  -- @tparam table|function|userdata source
  -- @tparam[opt] table opts `size` (positive integer, default 1000, or
  -- `"auto"`), `budget_ms` (auto: target loop-body time per chunk, default 8),
  -- `min_size`/`max_size` (auto: bounds, default 16/65536), `from`/`to`
  -- (array range), `mode` (`"streaming"`, default, or `"batched"`: no yields,
  -- no GC steps), `yield` (default true), `gc_step` (default: as `yield`)
  -- @return iterator, state, nil, closing value (the state: `:stats()`, `:close()`)
  -- @function chunks
  chunks = core.chunks,

  --- A depth-first (pre-order) walk over a tree with an explicit stack:
  -- memory grows with the depth, never with the number of nodes. Use it as
  -- `for node in tf.walk(root, children) do` or as a source of `tf.chunks`.
  -- `children(node)` returns an array, an iterator function or nil (a leaf);
  -- a string instead names the field that holds them (`"children"` reads
  -- `node.children` without a Lua call). `children` and `filter` must not
  -- yield.
  -- @param root the first node
  -- @tparam function|string children
  -- @tparam[opt] table opts `filter(node)` (falsy: the node is skipped, its
  -- children are still walked), `unique` (true: raise on a node met twice, a
  -- cycle or a shared subtree; keeps a set of every node seen), `max_depth`
  -- (default 100000: deeper raises, which is how a cycle shows without `unique`)
  -- @function walk
  walk = core.walk,

  --- A bounded pool of coroutine tasks.
  -- @tparam[opt] table opts `concurrency` (tasks holding a worker at once,
  -- default 30), `capacity` (tasks in the pool, queued to parked, default
  -- 1000, at least `concurrency`), `on_park(task, ...)` (default for tasks),
  -- `seed` (jitter PRNG seed)
  -- @function pool
  pool = core.pool,

  --- The processing mode and display profile for a node count.
  -- @see tokenflow.plan
  -- @function plan
  plan = plan.plan,

  --- The Figma node model: `map` (token map -> plan of Figma values),
  -- `writer` (applies a plan to a node table), `read` (a node's token map).
  -- See `tokenflow.apply.figma`.
  figma = require "tokenflow.apply.figma",
  --- A new metrics registry (counters, gauges, histograms, timers, spans,
  -- thresholds; Prometheus, JSON and SVG output): see tokenflow.Metrics.
  -- `opts`: `max_series`, `max_samples`, `max_alerts`. @function metrics
  metrics = metrics.new,
  --- Times `fn` (`bench(name, fn, {iterations, warmup, target_s,
  -- target_bytes})` -> `{median_s, min_s, max_s, bytes, met}`): the
  -- framework of the bench/ scripts. @function bench
  bench = bench,
  core = core,
  --- Opens or creates a persistent cache file (SQLite): `tf.store(path[,
  -- {ttl=, max_bytes=, max_entries=, clock=}])` -> Store, or nil and a
  -- message (not SQLite, corrupt, another application's database, a newer
  -- schema: such files are never written). Methods: `get(key)`, `set(key,
  -- value[, {ttl=, tags=}])`, `delete(key)`, `invalidate(tag, ...)`,
  -- `clear([prefix])`, `stats()`, `vacuum()`, `close()`. Used by
  -- `set:resolve{store = st}` and `tf.cache{store = st}`. @function store
  store = core.store,
  --- The binary value format of the store: `tf.pack(value)` -> string
  -- (strings, integers and floats exact, booleans, nested and shared tables;
  -- raises on functions, userdata and cycles, naming where they sit).
  -- @function pack
  pack = core.pack,
  --- `tf.unpack(string)` -> value, or nil and a message for malformed data.
  -- @function unpack
  unpack = core.unpack,
}

--- The token engine: load, resolve and query design tokens.
tokenflow.tokens = require "tokenflow.tokens"

--- Viewport-first work: a spatial index over node bounds (`index`), level
-- of detail by on-screen size (`lod`). See `tokenflow.viewport`.
tokenflow.viewport = require "tokenflow.viewport"

--- The update job: `tf.update{tokens =, source =, write =, ...}` -> a Job
-- (`run`, `step`, `steps`, `cancel`, `rerun`, `report`, `metrics`).
-- See `tokenflow.job`. @function update
tokenflow.update = require("tokenflow.job").update

--- Lists the API, one line each (`tf.help("store")`: the lines about
-- stores). Prints the list; `tf.help(word, false)` returns it instead. @function help
tokenflow.help = function(word, print_it) return require("tokenflow.help").text(word, print_it) end

return tokenflow

--- tokenflow: apply design tokens to very large design documents.
-- The facade: the C engines come from `tokenflow.core`, the domain rules
-- from the Lua modules beside this file.
-- @module tokenflow

local core = require "tokenflow.core"

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
  core = core,
}

return tokenflow

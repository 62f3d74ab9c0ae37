--- tokenflow: apply design tokens to very large design documents.
-- The facade: the C engines come from `tokenflow.core`, the domain rules
-- from the Lua modules beside this file.
-- @module tokenflow

local core = require "tokenflow.core"
local metrics = require "tokenflow.metrics.registry"
local bench = require "tokenflow.metrics.bench"

local tokenflow = {
  --- Version of the module (also `tokenflow.core.version`).
  version = core.version,
  --- The module's default string interner, shared by the token engine and jobs.
  names = core.names,
  --- A new, empty string interner. @function interner
  interner = core.interner,
  --- Monotonic clock in seconds (float), the one every engine uses. @function now
  now = core.now,
  --- Bytes held right now by tokenflow's C engines. @function engine_bytes
  engine_bytes = core.engine_bytes,
  --- A new metrics registry (counters, gauges, histograms, timers, spans,
  -- thresholds; Prometheus, JSON and SVG output): see tokenflow.Metrics.
  -- `opts`: `max_series`, `max_samples`, `max_alerts`. @function metrics
  metrics = metrics.new,
  --- Times `fn` (`bench(name, fn, {iterations, warmup, target_s,
  -- target_bytes})` -> `{median_s, min_s, max_s, bytes, met}`): the
  -- framework of the bench/ scripts. @function bench
  bench = bench,
  core = core,
}

return tokenflow

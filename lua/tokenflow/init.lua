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
  --- Monotonic clock in seconds (float), the one every engine uses. @function now
  now = core.now,
  --- Bytes held right now by tokenflow's C engines. @function engine_bytes
  engine_bytes = core.engine_bytes,
  --- The Figma node model: `map` (token map -> plan of Figma values),
  -- `writer` (applies a plan to a node table), `read` (a node's token map).
  -- See `tokenflow.apply.figma`.
  figma = require "tokenflow.apply.figma",
  core = core,
}

return tokenflow

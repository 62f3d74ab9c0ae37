--- Snapshots of resolved sets in a persistent store (`tf.store`), keyed by
-- a content fingerprint of the exact inputs: the tokenflow version, the
-- snapshot layout, the format, the math option, and for each set taking
-- part (in order) its name, its status and the SHA-256 of the text it is
-- read from. The theme and `$themes.json` reach the key through the sets
-- and statuses they select. A changed file gives another key, so a stale
-- snapshot can never be served; an unchanged one hits, whatever its mtime.
-- @module tokenflow.tokens.snapshot

local load = require "tokenflow.tokens.load"

local snapshot = {}

-- Bumped whenever what a snapshot holds changes shape.
local LAYOUT = "resolved/1"
local PREFIX = "tokenflow.resolved\0"

local function core()
  local ok, c = pcall(require, "tokenflow.core")
  return ok and c or nil
end

-- The digest of one set: frozen when its text was parsed; for a set not read
-- yet, the file is hashed now (not kept: `pending` notes the digest, and a
-- resolution that parses the file afterwards checks the text it parses
-- against it).
local function set_digest(source, name, pending, c)
  local set = source.sets[name]
  if set.digest then return set.digest end
  if source.lazy and not set.loaded then
    local d = load.digest_unread(source, name)
    if not d then return load.text(source, name) end -- nil and the usual message
    pending[name] = d
    return d
  end
  -- a set built from a Lua table: the digest of its definitions, packed
  -- (table order may differ between processes: at worst a miss)
  local ok, packed = pcall(c.pack, set.tokens)
  if not ok then return false end
  set.digest = c.digest(packed)
  return set.digest
end

--- The store key for a selection, and the digests of the set files hashed
-- on the way (set name -> digest, for sets not parsed yet). Returns nil,
-- message when a set file cannot be read; false when a set cannot be
-- fingerprinted (a table-built set holding values the format refuses).
function snapshot.key(source, selection, math_on)
  local c = core()
  local parts = { "tokenflow", c.version, LAYOUT, source.format, math_on and "math" or "no math" }
  local pending = {}
  for _, s in ipairs(selection) do
    local d, err = set_digest(source, s.name, pending, c)
    if not d then return d, err end
    parts[#parts + 1] = s.name
    parts[#parts + 1] = s.status
    parts[#parts + 1] = d
  end
  return PREFIX .. c.digest(table.unpack(parts)), pending
end

--- True when every set hashed for a key was parsed from the same text
-- (a file changed in between gives a resolution of the newer text, which
-- must not be stored under the older key).
function snapshot.same_inputs(source, pending)
  for name, d in pairs(pending) do
    if source.sets[name].digest ~= d then return false end
  end
  return true
end

--- The state a Resolved needs, as one table for the store.
function snapshot.capture(r, single)
  local e = r._engine
  local snap = {
    tokens = r._tokens, values = e.values, failed = e.failed, found = e.found, types = e.types,
    sets = r._sets,
  }
  if single then snap.where = r._origin[""] else snap.origin = r._origin end
  return snap
end

--- Checks a stored snapshot's shape (a damaged or foreign entry is a miss).
function snapshot.valid(snap)
  if type(snap) ~= "table" then return false end
  for _, k in ipairs { "tokens", "values", "failed", "found", "types", "sets" } do
    if type(snap[k]) ~= "table" then return false end
  end
  return type(snap.where) == "table" or type(snap.origin) == "table"
end

return snapshot

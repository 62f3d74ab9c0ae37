--- The command line's persistent cache: the option
-- `--store FILE`, or the environment variable TOKENFLOW_STORE. A cache never
-- fails a run: a file that cannot be used is reported on standard error and
-- passed over.
-- @module tokenflow.cli.store

local store = {}

--- The store named by the options (`opts.store`, an array of values, the
-- last wins) or by TOKENFLOW_STORE; nil when none is named or it cannot be
-- opened (then a line "PREFIX: store not used: message" goes to err).
-- @tparam table opts parsed options
-- @tparam file err standard error
-- @tparam string prefix the command's name in messages
function store.open(opts, err, prefix)
  local path = opts.store and opts.store[#opts.store] or os.getenv("TOKENFLOW_STORE")
  if path == nil or path == "" then return nil end
  local core = require "tokenflow.core"
  local st, serr = core.store(path)
  if not st then err:write(prefix, ": store not used: ", serr, "\n") end
  return st
end

--- Declares `--store FILE` on an argparse command.
-- @param cmd an argparse command
function store.option(cmd)
  require("tokenflow.cli.args").option(cmd, "--store", "FILE", "A cache file (SQLite) keeping resolved sets between "
    .. "runs, keyed by the content of the inputs (default: $TOKENFLOW_STORE; a file that cannot be used is "
    .. "reported and passed over).")
end

-- A printed output kept under the inputs' key: {out, err, code}.
local function valid_output(done)
  return type(done) == "table" and type(done.out) == "string" and type(done.err) == "string"
    and math.type(done.code) == "integer"
end

-- A file changed less than this many seconds ago is hashed every time: its
-- times may not have ticked since (a file system keeps them to a second on
-- some systems), so a later change could leave them as they are.
local SETTLED_S = 2

-- The SHA-256 of the file's bytes (core.digest_file), or nil. With a store,
-- a file whose identity (device, inode, size, modification and change
-- times) the store has seen with its digest is not read again, as git
-- trusts its index; a file is recorded once it has stood unchanged for
-- SETTLED_S seconds.
local function file_digest(st, path)
  local core = require "tokenflow.core"
  local id, age = core.file_identity(path)
  local id_key = id and core.digest("tokenflow file identity", id)
  if id_key then
    local known = st:get(id_key)
    if type(known) == "string" and #known == 64 then return known end
  end
  local digest = core.digest_file(path)
  -- the identity after hashing is the one before: the bytes hashed are the file's
  if digest and id_key and age >= SETTLED_S and core.file_identity(path) == id then st:set(id_key, digest) end
  return digest
end

--- The key of a command's printed output from its input file alone: the
-- tokenflow version, the options that change the output (`parts`) and the
-- SHA-256 of the file's bytes, so a warm run hashes the file, or not even
-- that when the store has seen the file as it is, and reads nothing else.
-- nil for a folder or a file that cannot be read (such input takes the
-- ordinary way, keyed by the fingerprint of the parsed sets).
-- @param st the store
-- @tparam string path the input file
-- @tparam table parts strings naming the command and its options
function store.output_key(st, path, parts)
  local core = require "tokenflow.core"
  local digest = file_digest(st, path)
  if not digest then return nil end
  return core.digest("tokenflow output", core.version, digest, table.unpack(parts)), digest
end

--- Writes the output kept under `key` to out and err: its exit code, or nil
-- when there is none.
function store.replay(st, key, out, err)
  local done = st:get(key)
  if not valid_output(done) then return nil end
  out:write(done.out)
  err:write(done.err)
  return done.code
end

--- Keeps a run's output under `key` (from output_key) when the file still
-- has the bytes `digest` says (a file changed during the run is not kept).
function store.keep(st, key, path, digest, record)
  if key and file_digest(st, path) == digest then st:set(key, record) end
end


return store

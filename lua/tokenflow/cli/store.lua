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

--- The key of a command's printed output from its input file alone: the
-- tokenflow version, the options that change the output (`parts`) and the
-- SHA-256 of the file's bytes, so a warm run reads and hashes the file and
-- nothing else. nil for a folder or a file that cannot be read (such input
-- takes the ordinary way, keyed by the fingerprint of the parsed sets).
-- @tparam string path the input file
-- @tparam table parts strings naming the command and its options
function store.output_key(path, parts)
  local core = require "tokenflow.core"
  local digest = core.digest_file(path)
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
  if key and require("tokenflow.core").digest_file(path) == digest then st:set(key, record) end
end


return store

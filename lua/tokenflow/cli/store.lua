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

return store

-- Helpers shared by the token engine specs.
local tf = require "tokenflow"

local helper = {}

--- Resolves a Tokens Studio document with one set "core" and returns the
-- Resolved.
function helper.resolve(core, sel)
  local set = assert(tf.tokens.new({ core = core }))
  return assert(set:resolve(sel))
end

--- The value of token "x" in a set where x has `value` (and `type`), next
-- to the tokens in `others`.
function helper.value_of(value, ttype, others)
  local core = {}
  for k, v in pairs(others or {}) do core[k] = v end
  core.x = { value = value, type = ttype or "number" }
  local r = helper.resolve(core)
  return r:get("x")
end

--- A fresh temporary directory (removed by helper.rmdir).
function helper.tmpdir()
  local path = os.tmpname()
  os.remove(path)
  assert(os.execute("mkdir -p '" .. path .. "'"))
  return path
end

function helper.rmdir(path)
  os.execute("rm -rf '" .. path .. "'")
end

--- Runs bin/tokenflow with `args` (and an optional environment prefix such
-- as "TOKENFLOW_STORE=x"); returns the exit code, stdout and stderr.
function helper.run_cli(args, env)
  local dir = helper.tmpdir()
  local cmd = string.format("%s bin/tokenflow %s > '%s/out' 2> '%s/err'", env or "", args, dir, dir)
  local _, _, code = os.execute(cmd)
  local function slurp(name)
    local f = assert(io.open(dir .. "/" .. name, "rb"))
    local s = f:read("a")
    f:close()
    return s
  end
  local out, err = slurp("out"), slurp("err")
  helper.rmdir(dir)
  return code, out, err
end

--- Writes text to dir/rel (creating folders).
function helper.write(dir, rel, text)
  local sub = (dir .. "/" .. rel):match("^(.*)/[^/]*$")
  os.execute("mkdir -p '" .. sub .. "'")
  local f = assert(io.open(dir .. "/" .. rel, "wb"))
  f:write(text)
  f:close()
end

return helper

--- Options of the command line's commands, declared with argparse (Debian:
-- lua-argparse) and read back in one shape: `opts[name]` is the array of
-- the values given for a value option (in order; absent when not given),
-- `true` for a flag given, and `pos` the positional arguments.
-- @module tokenflow.cli.args

local args = {}

--- Declares the value option `name` ("--theme") on an argparse command:
-- it may be repeated, and each command decides what a repetition means.
-- @param cmd an argparse command
-- @tparam string name the option, with its dashes
-- @tparam string argname what the value is, in the help ("PATH")
-- @tparam string description one line or more of help
-- @return the argparse option, for more properties (`choices`...)
function args.option(cmd, name, argname, description)
  return cmd:option(name, description):argname(argname):target(name:match("^%-*(.*)$")):count("*")
end

--- Declares the flag `name` ("--quiet") on an argparse command.
-- @param cmd an argparse command
-- @tparam string name the flag, with its dashes
-- @tparam string description
-- @return the argparse flag
function args.flag(cmd, name, description)
  return cmd:flag(name, description):target(name:match("^%-*(.*)$")):count("*")
end

--- Declares the command's positional argument (at most one per command):
-- `pos[1]`. A command without one gets an empty `pos`.
-- @param cmd an argparse command
-- @tparam string argname what it is, in the help ("PATH")
-- @tparam string description
-- @return the argparse argument
function args.argument(cmd, argname, description)
  return cmd:argument(argname, description):target("pos")
end

--- What an argparse parse gave, in the shape the commands read.
-- @tparam table result argparse's result table
-- @treturn table pos the positional arguments
-- @treturn table opts option name -> array of values, or true for a flag
-- @treturn table the arguments no declaration took (for "unexpected argument")
function args.shape(result)
  local pos, opts = {}, {}
  for k, v in pairs(result) do
    if k == "pos" then
      pos = type(v) == "table" and v or { v }
    elseif k ~= "unexpected" and type(v) == "table" and #v > 0 then
      opts[k] = v
    elseif math.type(v) == "integer" and v > 0 then
      opts[k] = true
    end
  end
  return pos, opts, result.unexpected or {}
end

return args

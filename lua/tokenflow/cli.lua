--- The `tokenflow` command line, on lua-argparse. Each command has a
-- function declaring its options (its argparse parser) and a run function
-- taking what was parsed (`pos`, `opts`: see `tokenflow.cli.args`) and the
-- output streams, returning the exit code: 0 done, 1 some items failed,
-- 2 bad usage or unreadable input.
-- @module tokenflow.cli

local argparse = require "argparse"
local cli_args = require "tokenflow.cli.args"
local cli_store = require "tokenflow.cli.store"
local cli_options = require "tokenflow.cli.options"

-- the token engine loads only when a run has to resolve (a warm run with a
-- store prints what it kept without it)
local function engine() return require "tokenflow.tokens", require "tokenflow.tokens.jsonout" end

local cli = {}

local commands = {}

--- `resolve PATH`: prints the resolved set; failures go to stderr.
function commands.resolve(pos, opts, out, err, usage)
  local doc = opts.doc and opts.doc[#opts.doc]
  if (#pos == 0) == (doc == nil) then
    err:write("tokenflow resolve: ", doc and "PATH and --doc name two inputs" or "a PATH or --doc FILE is required",
      "\n", usage)
    return 2
  end
  local format = opts.format and opts.format[#opts.format] or "json"
  local input = opts["input-format"] and opts["input-format"][1]
  local math_opt = opts.math and opts.math[#opts.math]
  local st <close> = cli_store.open(opts, err, "tokenflow")
  -- with a store, the printed output of a file is kept under the file's
  -- bytes and the options: a warm run hashes the file and prints it
  local out_key, out_digest
  if st then
    out_key, out_digest = cli_store.output_key(st, doc or pos[1], { "resolve", format, input or "", math_opt or "",
      opts.strict and "strict" or "", doc and "doc" or "", table.concat(opts.theme or {}, "\0") })
    local code = out_key and cli_store.replay(st, out_key, out, err)
    if code then return code end
  end
  local tokens, jsonout = engine()
  local math_on -- nil: the format's default
  if math_opt then math_on = math_opt == "on" end
  local load_opts = { format = input, math = math_on, strict = opts.strict }
  local set, lerr, sel
  if doc then
    set, lerr = require("tokenflow.cli.figma_tokens").load(doc, opts.theme, load_opts)
    sel = lerr
  else
    set, lerr = tokens.load(pos[1], load_opts)
    sel = opts.theme and { themes = opts.theme } or {}
  end
  if not set then err:write("tokenflow: ", lerr, "\n") return 2 end
  -- with a store, the printed output is kept too, under the inputs'
  -- fingerprint and the output format: a warm run only prints it
  if st then
    local key = set:fingerprint(sel)
    local code = key and cli_store.replay(st, key .. "\0cli resolve " .. format, out, err)
    if code then return code end
  end
  sel.store = st
  local r, rerr = set:resolve(sel)
  if not r then err:write("tokenflow: ", rerr, "\n") return 2 end
  local text = jsonout.encode(format == "flat" and r:flat() or r:tree()) .. "\n"
  local failures, lines = r:failures(), {}
  for i, f in ipairs(failures) do lines[i] = "tokenflow: failed: " .. f.name .. ": " .. f.reason .. "\n" end
  local code = #failures > 0 and 1 or 0
  out:write(text)
  err:write(table.concat(lines))
  -- under the key of the inputs actually resolved (a file may have changed
  -- since the lookup above)
  local key = r:fingerprint()
  local record = { out = text, err = table.concat(lines), code = code }
  if key and st then st:set(key .. "\0cli resolve " .. format, record) end
  if st then cli_store.keep(st, out_key, doc or pos[1], out_digest, record) end
  return code
end

-- Each command: its one-line summary, the function declaring its options,
-- and the function running it.
local COMMANDS = {
  { name = "resolve", summary = "Print a resolved token set as JSON.", options = cli_options.resolve,
    run = commands.resolve },
  { name = "apply", summary = "Apply a token set to a Figma file (the JSON of GET /v1/files/:key).",
    options = cli_options.apply,
    -- loaded when it runs: the document engine and the job are not needed otherwise
    run = function(...) return require("tokenflow.cli.apply").run(...) end },
}

-- The whole command line's parser. A help or version request is noted in
-- `asked` (argparse's own help and version actions would end the process).
-- Returns the parser and every command's parser by name ("tokenflow": the
-- root).
local function parser(asked)
  local root = argparse("tokenflow", "Apply design tokens to very large design documents.")
    :command_target("command"):help_max_width(100)
    :add_help { action = function() asked.help = asked.help or "tokenflow" end }
  root:flag("--version", "Print the version and exit."):action(function() asked.version = true end)
  local by_name, names = { tokenflow = root }, {}
  local function command(name, summary)
    local cmd = root:command(name, summary)
    cmd:add_help { action = function() asked.help = asked.help or name end }
    by_name[name] = cmd
    return cmd
  end
  for _, c in ipairs(COMMANDS) do
    local cmd = command(c.name, c.summary)
    c.options(cmd)
    -- what no declaration takes is reported by name ("unexpected argument")
    cmd:argument("unexpected"):args("*"):hidden(true)
    names[#names + 1] = c.name
  end
  command("help", "Print the help of a command (or of tokenflow)."):argument("COMMAND", "A command.")
    :argname("COMMAND"):target("name"):args("?"):choices(names)
  command("completion", "Print a completion script for bash, zsh or fish."):argument("SHELL", "bash, zsh or fish.")
    :argname("SHELL"):target("shell"):choices { "bash", "zsh", "fish" }
  return root, by_name
end

-- argparse's messages, with option names written as the commands write
-- them (--theme, not '--theme').
local function message(text)
  return (text:gsub("'(%-%-?[%w-]+)'", "%1"):gsub("\nDid you mean (.*)%?$", " (did you mean %1?)"))
end

-- The command a command line names: its first word that is not an option.
local function command_of(args)
  for _, a in ipairs(args) do
    if a:sub(1, 1) ~= "-" then return a end
  end
end

local function usage_error(cmd, name, why, err)
  err:write(name == "tokenflow" and "tokenflow" or "tokenflow " .. name, ": ", why, "\n", cmd:get_usage(), "\n")
  return 2
end

--- Runs the command line `args` (as in `arg`). Returns the exit code.
-- @tparam table args arguments, subcommand first
-- @tparam[opt] file out standard output (default io.stdout)
-- @tparam[opt] file err standard error (default io.stderr)
function cli.main(args, out, err)
  out, err = out or io.stdout, err or io.stderr
  local asked = {}
  local root, cmds = parser(asked)
  local ok, result = root:pparse(args)
  if asked.help then
    out:write(cmds[asked.help]:get_help(), "\n")
    return 0
  end
  if asked.version then
    out:write("tokenflow ", require("tokenflow").version, "\n")
    return 0
  end
  if not ok then
    local name = command_of(args)
    name = cmds[name] and name or "tokenflow"
    return usage_error(cmds[name], name, message(result), err)
  end
  local name = result.command
  if name == "help" then
    out:write(cmds[result.name or "tokenflow"]:get_help(), "\n")
    return 0
  elseif name == "completion" then
    out:write(root["get_" .. result.shell .. "_complete"](root))
    return 0
  end
  local pos, opts, unexpected = cli_args.shape(result)
  if #unexpected > 0 then
    return usage_error(cmds[name], name, "unexpected argument '" .. unexpected[1] .. "'", err)
  end
  for _, c in ipairs(COMMANDS) do
    if c.name == name then return c.run(pos, opts, out, err, cmds[name]:get_usage() .. "\n") end
  end
end

return cli

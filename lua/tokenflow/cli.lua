--- The `tokenflow` command line. Subcommands live in one table; each takes
-- its arguments and the output streams and returns an exit code.
-- @module tokenflow.cli

local cli_store = require "tokenflow.cli.store"
-- the token engine loads only when a run has to resolve (a warm run with a
-- store prints what it kept without it)
local function engine() return require "tokenflow.tokens", require "tokenflow.tokens.jsonout" end
local figma_help = [[
  --doc    a Figma file (GET /v1/files/:key?plugin_data=shared) whose document node
           carries a Tokens Studio token set (local storage): resolved with the
           file's active theme unless --theme says otherwise
]]

local cli = {}

local USAGE = [[
usage: tokenflow resolve PATH|--doc FILE [--theme NAME]... [--format json|flat]
                              [--input-format tokens-studio|dtcg] [--math on|off]
                              [--store FILE] [--strict]
  PATH    a token file or folder (Tokens Studio or DTCG)
]] .. figma_help .. [[
  --math  math, colour functions and numeric strings (default: on for
          Tokens Studio, off for DTCG, as Style Dictionary reads DTCG)
  --store a cache file (SQLite) keeping resolved sets between runs, keyed
          by the content of the inputs (default: $TOKENFLOW_STORE; a file
          that cannot be used is reported and passed over)
  --strict a token that is not well formed (a value of the wrong shape for
          its type, no value) fails the whole file (exit 2) instead of
          failing alone
exit codes: 0 all tokens resolved, 1 some failed, 2 bad usage or unreadable input
       tokenflow apply [--tokens PATH] [--theme NAME] --doc FILE.json [--out FILE.json]
                       [--chunk N|auto] [--quiet] [--json] [--metrics FILE] [--chart FILE.svg]
                       [--store FILE]
  applies the tokens (without --tokens: the set the file carries) to a Figma file's
  nodes (tokenflow apply --help for more)
]]

-- Parses "--name value" and "--name=value" options; repeated options
-- collect into arrays. Returns positional args, options; or nil, message.
local function parse_args(args, known)
  local pos, opts, i = {}, {}, 1
  while i <= #args do
    local a = args[i]
    local name, value = a:match("^%-%-([%w-]+)=(.*)$")
    if not name then name = a:match("^%-%-([%w-]+)$") end
    if name then
      if not known[name] then return nil, "unknown option --" .. name end
      if known[name] == "flag" then
        opts[name] = true
      else
        if value == nil then
          i = i + 1
          value = args[i]
          if value == nil then return nil, "option --" .. name .. " needs a value" end
        end
        opts[name] = opts[name] or {}
        table.insert(opts[name], value)
      end
    else
      pos[#pos + 1] = a
    end
    i = i + 1
  end
  return pos, opts
end

local commands = {}


--- `resolve PATH`: prints the resolved set; failures go to stderr.
function commands.resolve(args, out, err)
  local pos, opts = parse_args(args, { theme = "value", format = "value", ["input-format"] = "value", math = "value",
    store = "value", help = "flag", strict = "flag", doc = "value" })
  if not pos then err:write("tokenflow: ", opts, "\n", USAGE) return 2 end
  if opts.help then out:write(USAGE) return 0 end
  local doc = opts.doc and opts.doc[#opts.doc]
  if #pos ~= (doc and 0 or 1) then err:write(USAGE) return 2 end
  local format = opts.format and opts.format[#opts.format] or "json"
  if format ~= "json" and format ~= "flat" then
    err:write("tokenflow: --format must be json or flat\n") return 2
  end
  local input = opts["input-format"] and opts["input-format"][1]
  if input and input ~= "tokens-studio" and input ~= "dtcg" then
    err:write("tokenflow: --input-format must be tokens-studio or dtcg\n") return 2
  end
  local math_opt = opts.math and opts.math[#opts.math]
  if math_opt and math_opt ~= "on" and math_opt ~= "off" then
    err:write("tokenflow: --math must be on or off\n") return 2
  end
  local st <close> = cli_store.open(opts, err, "tokenflow")
  -- with a store, the printed output of a file is kept under the file's
  -- bytes and the options: a warm run hashes the file and prints it
  local out_key, out_digest
  if st then
    out_key, out_digest = cli_store.output_key(doc or pos[1], { "resolve", format, input or "", math_opt or "",
      opts.strict and "strict" or "", doc and "doc" or "", table.concat(opts.theme or {}, "\0") })
    local code = out_key and cli_store.replay(st, out_key, out, err)
    if code then return code end
  end
  local tokens, jsonout = engine()
  local figma_tokens = require "tokenflow.cli.figma_tokens"
  local math_on -- nil: the format's default
  if math_opt then math_on = math_opt == "on" end
  local load_opts = { format = input, math = math_on, strict = opts.strict }
  local set, lerr, sel
  if doc then
    set, lerr = figma_tokens.load(doc, opts.theme, load_opts)
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
  local text
  if format == "flat" then
    text = jsonout.encode(r:flat()) .. "\n"
  else
    local tree = {}
    for name, value, info in r:each() do
      local node = tree
      local segs = {}
      for s in name:gmatch("[^.]+") do segs[#segs + 1] = s end
      for i = 1, #segs - 1 do
        node[segs[i]] = node[segs[i]] or {}
        node = node[segs[i]]
      end
      node[segs[#segs]] = { value = value, type = info.type }
    end
    text = jsonout.encode(tree) .. "\n"
  end
  local failures, lines = r:failures(), {}
  for i, f in ipairs(failures) do lines[i] = "tokenflow: failed: " .. f.name .. ": " .. f.reason .. "\n" end
  local code = #failures > 0 and 1 or 0
  out:write(text)
  err:write(table.concat(lines))
  -- under the key of the inputs actually resolved (a file may have changed
  -- since the lookup above)
  local key = r:fingerprint()
  local record = { out = text, err = table.concat(lines), code = code }
  if key then st:set(key .. "\0cli resolve " .. format, record) end
  if st then cli_store.keep(st, out_key, doc or pos[1], out_digest, record) end
  return code
end

--- `apply --tokens PATH --doc FILE.json ...`: applies tokens to a Figma file.
function commands.apply(args, out, err)
  return require("tokenflow.cli.apply").run(args, out, err, parse_args)
end

--- Runs the command line `args` (as in `arg`). Returns the exit code.
-- @tparam table args arguments, subcommand first
-- @tparam[opt] file out standard output (default io.stdout)
-- @tparam[opt] file err standard error (default io.stderr)
function cli.main(args, out, err)
  out, err = out or io.stdout, err or io.stderr
  local name = args[1]
  if name == nil or name == "-h" or name == "--help" or name == "help" then
    (name and out or err):write(USAGE)
    return name and 0 or 2
  end
  local command = commands[name]
  if not command then
    err:write("tokenflow: unknown command '", tostring(name), "'\n", USAGE)
    return 2
  end
  local rest = {}
  for i = 2, #args do rest[#rest + 1] = args[i] end
  return command(rest, out, err)
end

return cli

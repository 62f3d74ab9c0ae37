--- The Lua half of tokenflow's JavaScript API (the WebAssembly build; see
-- docs/wasm.md): the functions JavaScript calls by name. Each takes strings
-- and returns one JSON text, so the JavaScript side only moves bytes. An
-- expected failure of the Lua API (`nil, message`) is raised with that
-- message, so JavaScript throws an Error saying the same.
--
-- Token sets stay loaded under integer handles until released, each with
-- the selections resolved so far: a set is parsed once, and a theme
-- resolved once, across calls. An apply is a job over a document, kept
-- under its own handle between the calls that step it, so that JavaScript
-- can give the event loop a turn between chunks.
-- @module tokenflow.jsapi

local core = require "tokenflow.core"
local tokens = require "tokenflow.tokens"
local json = require "tokenflow.tokens.json"
local jsonout = require "tokenflow.tokens.jsonout"
local document = require "tokenflow.apply.document"
local summary = require "tokenflow.cli.summary"

local jsapi = {}

-- Resolved selections kept per set; past this many they start again.
local MAX_RESOLVED = 16

local loaded = {} -- handle -> {set =, resolved = {[selection text] = Resolved}, count =}
local last_handle = 0

local EMPTY_ARRAYS = { empty_array = true }

local function fail(message) error(message, 0) end

local function decode(text, what)
  local value, err = json.decode(text, what)
  if err then fail(err) end
  return value
end

local function array(list, encode)
  local parts = {}
  for i, v in ipairs(list) do parts[i] = encode(v) end
  return "[" .. table.concat(parts, ",") .. "]"
end

local function entry(handle)
  local e = loaded[math.tointeger(tonumber(handle))]
  if not e then fail("attempt to use a released token set") end
  return e
end

-- The Resolved of a selection (JSON text of `{theme=}`, `{themes=}` or
-- `{sets=}`), resolved on first use.
local function resolved(e, selection)
  local r = e.resolved[selection]
  if r then return r end
  local err
  r, err = e.set:resolve(decode(selection, "selection"))
  if not r then fail(err) end
  if e.count >= MAX_RESOLVED then e.resolved, e.count = {}, 0 end
  e.resolved[selection] = r
  e.count = e.count + 1
  return r
end

--- Loads token files: `load(options, path, text, path, text, ...)`. One
-- file is read as a token file, several as a folder (paths relative to
-- it). `options`: JSON `{inputFormat =, math =}`. Returns `{handle, format,
-- sets, themes}`.
function jsapi.load(options, ...)
  local opts = decode(options, "options")
  local files, first, n = {}, nil, select("#", ...)
  if n == 0 then fail("no token files given") end
  for i = 1, n, 2 do
    local path, text = select(i, ...)
    files[path] = text
    first = first or path
  end
  local set, err = tokens.load(n == 2 and first or "", { files = files, format = opts.inputFormat, math = opts.math })
  if not set then fail(err) end
  last_handle = last_handle + 1
  loaded[last_handle] = { set = set, resolved = {}, count = 0 }
  return string.format('{"handle":%d,"format":%s,"sets":%s,"themes":%s}', last_handle, jsonout.encode(set:format()),
    array(set:sets(), jsonout.encode), array(set:themes(), jsonout.encode))
end

--- Releases a set loaded by `load`.
function jsapi.release(handle)
  loaded[math.tointeger(tonumber(handle))] = nil
  return "null"
end

--- Resolves a selection of a loaded set: `{tokens, failures}`, tokens as
-- `format` says: "flat" (name -> value, as `tokenflow resolve --format
-- flat`) or "json" (nested, as `--format json`).
function jsapi.resolve(handle, selection, format)
  local r = resolved(entry(handle), selection)
  local values = format == "json" and r:tree() or r:flat()
  return '{"tokens":' .. jsonout.encode(values) .. ',"failures":' .. array(r:failures(), jsonout.encode) .. "}"
end

--- The Figma writes of token maps (a JSON array of property -> token name
-- objects) under a selection: an array with, for each map, `{ops}` (the
-- plan of `tf.figma.map`) or `{errors}`. `options`: JSON `{baseFontSize =}`.
function jsapi.plans(handle, selection, maps, options)
  local r = resolved(entry(handle), selection)
  local list = decode(maps, "token maps")
  local opts = { base_font_size = decode(options, "options").baseFontSize }
  local map = require("tokenflow.apply.figma").map
  local out = {}
  for i, m in ipairs(list) do
    local plan, errors = map(m, r, opts)
    out[i] = plan and { ops = plan } or { errors = errors }
  end
  return jsonout.encode(out, EMPTY_ARRAYS)
end

local applies = {} -- job handle -> {doc, job, steps (its iterator), last (progress), name, themes, t0, time}
local last_job = 0

local function running(handle)
  local a = applies[math.tointeger(tonumber(handle))]
  if not a then fail("attempt to use a released apply") end
  return a
end

--- Starts applying a selection of a loaded set to a Figma file:
-- `apply_start(handle, selection, figma_text, options)`. The file is read
-- into a document (`tf.figma.parse`; a file that cannot be read raises the
-- message naming it, its line, column and byte), and a streaming update
-- job over its nodes writes with `tf.figma.writer`, a chunk per
-- `apply_step`. `options`: JSON `{name =, viewport = {x, y, w, h[, zoom]},
-- baseFontSize =, chunkMs =}` (name: the file's name in messages, default
-- "(string)"; chunkMs: the time budget of a chunk, default 8). Returns
-- `{job, total}`.
function jsapi.apply_start(handle, selection, figma_text, options)
  local t0 = core.now()
  local opts = decode(options, "options")
  local r = resolved(entry(handle), selection)
  local t1 = core.now()
  local doc, err = document.parse(figma_text, opts.name)
  if not doc then fail(err) end
  local t2 = core.now()
  local figma = require("tokenflow.apply.figma")
  local ok, job = pcall(require("tokenflow.job").update, {
    tokens = r, source = doc:nodes(), write = figma.writer { base_font_size = opts.baseFontSize },
    mode = "streaming", chunk = { size = "auto", budget_ms = opts.chunkMs or 8 }, viewport = opts.viewport,
  })
  if not ok then
    doc:close()
    error(job, 0)
  end
  last_job = last_job + 1
  local sel = decode(selection, "selection")
  applies[last_job] = {
    doc = doc, job = job, steps = job:steps(), name = opts.name, themes = sel.themes, t0 = t0,
    time = { load_tokens_s = t1 - t0, read_doc_s = t2 - t1 },
  }
  return string.format('{"job":%d,"total":%d}', last_job, doc:count())
end

--- Runs one chunk of an apply: `{done, total, rate, eta_s, more}` (more:
-- work remains).
function jsapi.apply_step(handle)
  local a = running(handle)
  local p = a.steps() or a.last -- finished before: its last progress again
  a.last = p
  return jsonout.encode { done = p.done, total = p.total, rate = p.rate, eta_s = p.eta_s, more = not p.final }
end

--- Stops an apply: nothing more is written.
function jsapi.apply_cancel(handle)
  running(handle).job:cancel()
  return "null"
end

--- The Figma file with the apply's writes, as text (not JSON-encoded: the
-- file's own bytes with the written values replaced).
function jsapi.apply_text(handle)
  local a = running(handle)
  local t = core.now()
  local text = a.doc:text()
  a.time.write_s = core.now() - t
  return text
end

--- The apply's report as JSON: the figures of `tokenflow apply --json`.
function jsapi.apply_report(handle)
  local a = running(handle)
  local report = a.job:report()
  report.memory.document_bytes = a.doc:stats().index_bytes
  a.time.total_s = core.now() - a.t0
  return summary.json(summary.from_report(report, { theme = a.themes, doc = a.name, time = a.time }))
end

--- Releases an apply: its job and its document.
function jsapi.apply_release(handle)
  local id = math.tointeger(tonumber(handle))
  local a = applies[id]
  if a then
    applies[id] = nil
    a.job:close()
    a.doc:close()
  end
  return "null"
end

-- What `lua` chunks see: the globals, and `tf` (require "tokenflow", loaded
-- on first use). Globals a chunk sets stay here for later chunks.
local env = setmetatable({}, {
  __index = function(_, key)
    if key == "tf" then return require "tokenflow" end
    return _G[key]
  end,
})

local RESULT_OPTS = { other = tostring }

--- Runs Lua code: `lua(code, arguments)` (arguments: a JSON array, passed as
-- `...`; JSON null is nil). Returns the chunk's results as a JSON array;
-- functions, userdata and threads become their `tostring`.
function jsapi.lua(code, arguments)
  local chunk, err = load(code, "=tf.lua", "t", env)
  if not chunk then fail(err) end
  local args = decode(arguments, "arguments")
  local n = #args
  for i = 1, n do
    if args[i] == json.null then args[i] = nil end
  end
  local results = table.pack(chunk(table.unpack(args, 1, n)))
  local parts = {}
  for i = 1, results.n do parts[i] = jsonout.encode(results[i], RESULT_OPTS) end
  return "[" .. table.concat(parts, ",") .. "]"
end

return jsapi

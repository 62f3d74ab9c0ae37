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

local applies = {} -- job handle -> an apply (see apply_start)
local last_job = 0

-- Bytes of output the first write step writes; the next ones are sized to
-- the time budget by the speed so far, within these bounds.
local PIECE_BYTES, PIECE_MIN, PIECE_MAX = 1 << 20, 256 * 1024, 64 << 20

local function running(handle)
  local a = applies[math.tointeger(tonumber(handle))]
  if not a then fail("attempt to use a released apply") end
  return a
end

local function progress(phase, done, total, rate, eta_s)
  return { phase = phase, done = done, total = total, rate = rate, eta_s = eta_s }
end

-- Reads the next 8 MB of the Figma file (tf.figma.parse, driven from its
-- progress callback); once it is read, the job over its nodes starts.
local function read_step(a)
  local t = core.now()
  local ok, p, err = coroutine.resume(a.reading)
  if ok and type(p) == "table" and p.final then ok, p, err = coroutine.resume(a.reading) end -- then the document
  a.time.read_doc_s = a.time.read_doc_s + (core.now() - t)
  if not ok then
    a.reading = nil
    error(p, 0)
  end
  if coroutine.status(a.reading) ~= "dead" then return progress("read", p.done, p.total, p.rate, p.eta_s) end
  a.reading = nil
  if not p then fail(err) end
  local doc, opts = p, a.opts
  local figma = require "tokenflow.apply.figma"
  local started, job = pcall(require("tokenflow.job").update, {
    tokens = a.resolved, source = doc:nodes(), write = figma.writer { base_font_size = opts.baseFontSize },
    mode = "streaming", chunk = { size = "auto", budget_ms = a.budget_s * 1000 }, viewport = opts.viewport,
  })
  if not started then
    doc:close()
    error(job, 0)
  end
  a.doc, a.job, a.steps = doc, job, job:steps()
  local size = doc:stats().bytes
  return progress("read", size, size, nil, 0)
end

-- The next chunk of the job; once it is done, the writing starts.
local function apply_chunk(a)
  local p = a.steps()
  if p.final then
    a.steps = nil
    if a.job:report().state == "done" then a.pieces, a.written, a.piece_bytes = a.doc:pieces(), 0, PIECE_BYTES end
  end
  return progress("apply", p.done, p.total, p.rate, p.eta_s)
end

-- The next piece of the output text, of about the time budget of a chunk.
-- The piece before it is garbage by now, as large as this one: collected
-- at once, so the garbage of a write never piles up to the file's size.
local function write_step(a)
  local t0 = core.now()
  local piece, at, last = a.pieces(a.piece_bytes)
  local total = a.doc:stats().bytes
  if last or not piece then a.pieces = nil end
  piece, at = piece or "", at or a.written
  local dt = core.now() - t0
  if dt > 0 then
    a.piece_bytes = math.max(PIECE_MIN, math.min(PIECE_MAX, math.floor(#piece * a.budget_s / dt)))
  end
  a.text, a.written = piece, at
  collectgarbage()
  a.time.write_s = a.time.write_s + (core.now() - t0)
  local rate = a.time.write_s > 0 and at / a.time.write_s or nil
  return progress("write", at, total, rate, rate and (total - at) / rate or nil)
end

--- Starts applying a selection of a loaded set to a Figma file:
-- `apply_start(handle, selection, figma_text, options)`. Each `apply_step`
-- then does about a chunk's time of work, in three phases: reading the
-- file into a document (`tf.figma.parse`), a streaming update job over its
-- nodes writing with `tf.figma.writer`, and writing the result, which
-- `apply_text` hands on piece by piece. A file that cannot be read raises
-- the message naming it, its line, column and byte (here, for a fault in
-- its first 8 MB). `options`: JSON `{name =, viewport = {x, y, w, h[,
-- zoom]}, baseFontSize =, chunkMs =}` (name: the file's name in messages,
-- default "(string)"; chunkMs: the time of a chunk, default 8). Returns
-- `{job}`.
function jsapi.apply_start(handle, selection, figma_text, options)
  local t0 = core.now()
  local opts = decode(options, "options")
  local r = resolved(entry(handle), selection)
  local a = {
    resolved = r, opts = opts, name = opts.name, themes = decode(selection, "selection").themes, t0 = t0,
    budget_s = (opts.chunkMs or 8) / 1000, time = { load_tokens_s = core.now() - t0, read_doc_s = 0, write_s = 0 },
    reading = coroutine.create(function()
      return document.parse(figma_text, opts.name, { on_progress = coroutine.yield })
    end),
  }
  a.at = read_step(a)
  a.fresh = true -- the first apply_step gives this step's progress
  last_job = last_job + 1
  applies[last_job] = a
  return string.format('{"job":%d}', last_job)
end

--- Does the next step of an apply: `{phase, done, total, rate, eta_s,
-- more}`: phase "read" (done and total in bytes of the file), "apply"
-- (nodes) or "write" (bytes of the file written through); more: work
-- remains. After a "write" step, `apply_text` gives what it wrote.
function jsapi.apply_step(handle)
  local a = running(handle)
  if a.fresh then
    a.fresh = nil
  elseif a.reading then
    a.at = read_step(a)
  elseif a.steps then
    a.at = apply_chunk(a)
  elseif a.pieces then
    a.at = write_step(a)
  end
  a.at.more = a.reading ~= nil or a.steps ~= nil or a.pieces ~= nil
  return jsonout.encode(a.at)
end

--- Stops an apply: nothing more is read, written to the document or
-- output.
function jsapi.apply_cancel(handle)
  local a = running(handle)
  if a.job then a.job:cancel() end
  a.reading, a.steps, a.pieces = nil, nil, nil
  return "null"
end

--- The text the last "write" step wrote (a piece of the Figma file with
-- the apply's writes, as it is: not JSON-encoded), once.
function jsapi.apply_text(handle)
  local a = running(handle)
  local text = a.text or ""
  a.text = nil
  return text
end

--- The apply's report as JSON: the figures of `tokenflow apply --json`.
function jsapi.apply_report(handle)
  local a = running(handle)
  if not a.job then fail("the apply was cancelled before its job started") end
  local report = a.job:report()
  report.memory.document_bytes = a.doc:stats().index_bytes
  a.time.total_s = core.now() - a.t0
  return summary.json(summary.from_report(report, { theme = a.themes, doc = a.name, time = a.time }))
end

--- Releases an apply: its job, its document and the file's text, now
-- (a full collection: the text is as large as the file, and the next
-- apply's would otherwise come before the collector got to it).
function jsapi.apply_release(handle)
  local id = math.tointeger(tonumber(handle))
  local a = applies[id]
  if a then
    applies[id] = nil
    if a.reading then coroutine.close(a.reading) end
    if a.job then a.job:close() end
    if a.doc then a.doc:close() end
    collectgarbage()
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

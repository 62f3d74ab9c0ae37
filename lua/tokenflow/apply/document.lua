--- Figma files in and out without loss: `tf.figma.open(path)` reads a
-- Figma REST API file (`GET /v1/files/:key`, or `GET /v1/files/:key/nodes`)
-- with the document engine in C into an index of its nodes, never into a
-- tree of Lua tables; `doc:nodes()` is a source for `tf.update`, whose
-- writes become patches; `doc:save(path)` writes the file's own bytes with
-- only the patched values replaced, atomically.
--
-- What is kept: a file nothing was written to comes back byte for byte; a
-- node that was not written keeps its exact bytes; a written node keeps
-- every field the writer did not set, in its place, and an object field of
-- which the writer set a few members (`style.fontSize`,
-- `absoluteBoundingBox.width`) keeps its other members' bytes. New values
-- are written in the file's layout (compact, or pretty with its
-- indentation), numbers as the shortest text that reads back as the same
-- double, strings with minimal escaping, arrays as arrays (empty or not).
-- @module tokenflow.apply.document

local core = require "tokenflow.core"
local guard = require "tokenflow.guard"

local document = {}

local Document = {}
Document.__index = Document
Document.__name = "tokenflow.Document"

-- Bytes read or written between two progress reports.
local STEP_BYTES = 8 * 1024 * 1024

local function check_opts(opts, fname, known)
  if opts == nil then return {} end
  if type(opts) ~= "table" then
    error(string.format("bad argument #2 to '%s' (table expected, got %s)", fname, type(opts)), 3)
  end
  for k in pairs(opts) do
    if not known[k] then
      error(string.format("bad argument #2 to '%s' (unknown option '%s')", fname, tostring(k)), 3)
    end
  end
  if opts.on_progress ~= nil and type(opts.on_progress) ~= "function" then
    error(string.format("bad argument #2 to '%s' (on_progress must be a function)", fname), 3)
  end
  return opts
end

-- Progress of a phase over bytes: `{phase, done, total, rate, eta_s, unit = "bytes"}`.
local function reporter(phase, total, on_progress)
  if not on_progress then return nil end
  local t0 = core.now()
  return function(done, final)
    local dt = core.now() - t0
    local rate = dt > 0 and done / dt or nil
    on_progress {
      tokenflow = "progress", phase = phase, done = done, total = total, unit = "bytes", rate = rate,
      eta_s = rate and rate > 0 and total and math.max(0, (total - done) / rate) or nil, final = final or nil,
    }
  end
end

local function read_all(c, opts)
  local report = reporter("read", c:size(), opts.on_progress)
  while true do
    local st, done = c:read(STEP_BYTES)
    if st == "done" then break end
    if st == nil then
      c:close()
      return nil, done
    end
    if report then report(done) end
  end
  if report then report(c:size(), true) end
  return setmetatable({ _core = c }, Document)
end

--- Reads a Figma file. Returns a `tokenflow.Document`, or nil and a
-- message naming the file, with the line, column and byte offset of what
-- is wrong for a file that is not strict JSON (truncated, NaN, invalid
-- UTF-8, nesting deeper than 1000 levels...) or not a Figma file (no
-- `document`, no `nodes`, a node whose `children` is not an array).
-- @tparam string path
-- @tparam[opt] table opts `on_progress(p)`: called while reading with
-- `{phase = "read", done, total, rate, eta_s, unit = "bytes"}`
-- @treturn[1] Document
-- @treturn[2] nil
-- @treturn[2] string
-- @usage local doc = assert(tf.figma.open("file.json"))
-- for node in doc:nodes() do print(node.id, node.type) end
function document.open(path, opts)
  if type(path) ~= "string" then
    error("bad argument #1 to 'open' (string expected, got " .. type(path) .. ")", 2)
  end
  opts = check_opts(opts, "open", { on_progress = true })
  local c, err = core.doc_open(path)
  if not c then return nil, err end
  return read_all(c, opts)
end

--- Reads a Figma file from a string (for hosts without files). As
-- `open`; `name` names it in messages (default "(string)").
-- @tparam string text
-- @tparam[opt] string name
-- @tparam[opt] table opts as for `open`
function document.parse(text, name, opts)
  if type(text) ~= "string" then
    error("bad argument #1 to 'parse' (string expected, got " .. type(text) .. ")", 2)
  end
  if name ~= nil and type(name) ~= "string" then
    error("bad argument #2 to 'parse' (string expected, got " .. type(name) .. ")", 2)
  end
  opts = check_opts(opts, "parse", { on_progress = true })
  return read_all(core.doc_from_string(text, name or "(string)"), opts)
end

-- Steps writer w to its end, reporting progress over size bytes, then
-- renames its file over the target: true, or nil and a message.
local function write_out(w, size, on_progress)
  local report = reporter("write", size, on_progress)
  while true do
    local st, done = w:step(STEP_BYTES)
    if st == nil then return nil, done end
    if report then report(done, st == "done") end
    if st == "done" then break end
  end
  return w:commit()
end

local function check(self, fname)
  guard.receiver(self, Document, fname)
  if self._closed then error("attempt to use a closed tokenflow.Document", 3) end
  return self._core
end

--- Every node, depth first in document order: a source for `tf.update`
-- (its writes become the document's patches) and an iterator (`for node
-- in doc:nodes() do ... end`). A node is a `tokenflow.Node`: read its
-- fields as from a table (objects and arrays come as `tokenflow.NodeValue`s
-- read the same way), assign a field to patch it.
function Document:nodes() return check(self, "nodes"):nodes() end

--- Node `i` (1-based, document order) as a `tokenflow.Node`.
-- @tparam integer i
function Document:node(i) return check(self, "node"):node(i) end

--- The JSON text of a field of node `i` (or of a member or element inside
-- it, `doc:json(i, "style", "fontSize")`, `doc:json(i, "fills", 1)`) as
-- it is now: the file's own bytes where nothing changed it; nil when
-- absent.
-- @tparam integer i
-- @tparam string field
-- @param ... members (strings) or array positions (from 1)
function Document:json(i, field, ...) return check(self, "json"):json(i, field, ...) end

--- The number of nodes.
function Document:count() return check(self, "count"):count() end

--- Counts and sizes: `{nodes, roots, bytes, index_bytes, patched,
-- edit_sets, edits, edit_bytes, duplicates, layout, mapped}`.
function Document:stats() return check(self, "stats"):stats() end

--- The keys a node holds twice (the last one counts, as JSON.parse
-- reads them): `{{node = id, key =, line =, column =, offset =}, ...}`.
function Document:duplicates() return check(self, "duplicates"):duplicates() end

--- The path (or name) the document was read from.
function Document:name() return check(self, "name"):name() end

--- Writes the document with its patches to `path`, atomically: into a
-- temporary file in the same directory, flushed to disk, then renamed
-- over `path` (which may be the file the document was read from). On any
-- failure the target is left as it was and the temporary file removed.
-- @tparam string path
-- @tparam[opt] table opts `on_progress(p)`: called while writing with
-- `{phase = "write", done, total, rate, eta_s, unit = "bytes"}`
-- @treturn[1] true
-- @treturn[2] nil
-- @treturn[2] string a message naming the path and what failed
function Document:save(path, opts)
  local c = check(self, "save")
  if type(path) ~= "string" then
    error("bad argument #1 to 'save' (string expected, got " .. type(path) .. ")", 2)
  end
  opts = check_opts(opts, "save", { on_progress = true })
  local w <close>, err = c:writer(path)
  if not w then return nil, err end
  return write_out(w, c:size(), opts.on_progress)
end

local Saving = {}
Saving.__index = Saving
Saving.__name = "tokenflow.DocumentSaving"

-- The saving's writer; raises when self is not a saving, or (unless
-- `ended_ok`) when the saving has finished or been aborted.
local function check_saving(self, fname, ended_ok)
  guard.receiver(self, Saving, fname)
  if not self._w and not ended_ok then error("tokenflow.DocumentSaving: already finished or aborted", 3) end
  return self._w
end

--- Saves the document to `path` while an update over its nodes runs: a
-- thread writes the nodes the update is done with while it patches the
-- next ones, so little is left to write when it ends. The update must
-- patch the nodes in document order (`tf.update{source = doc:nodes()}`
-- without a viewport); call `saving:advance(job:position())` after each
-- `job:step()`, then `saving:finish()`. Nodes handed over this way take no
-- more patches until the saving ends (writing one raises). The file is the
-- one `doc:save(path)` would write after the update, written atomically
-- the same way. Where there are no threads (or no memory for one), the
-- whole file is written by `finish`.
-- @tparam string path
-- @treturn[1] tokenflow.DocumentSaving
-- @treturn[2] nil
-- @treturn[2] string a message naming the path (its directory takes no new file)
-- @usage
-- local saving <close> = assert(doc:saving(out))
-- local job = tf.update { tokens = resolved, source = doc:nodes(), write = tf.figma.writer {} }
-- while job:step() do saving:advance(job:position()) end
-- assert(saving:finish())
function Document:saving(path)
  local c = check(self, "saving")
  if type(path) ~= "string" then
    error("bad argument #1 to 'saving' (string expected, got " .. type(path) .. ")", 2)
  end
  local w, err = c:writer(path)
  if not w then return nil, err end
  w:follow()
  return setmetatable({ _w = w, _size = c:size() }, Saving)
end

--- The update is done with the document's first `n` nodes (document
-- order, as `job:position()` counts them): they may be written now.
-- @tparam integer n
function Saving:advance(n)
  local w = check_saving(self, "advance")
  if math.type(n) ~= "integer" then
    error("bad argument #1 to 'advance' (integer expected, got " .. type(n) .. ")", 2)
  end
  w:advance(n)
end

--- After the update: writes what is left, flushes and renames the file
-- over the target.
-- @tparam[opt] table opts `on_progress(p)` as `doc:save` calls it
-- @treturn[1] true
-- @treturn[2] nil
-- @treturn[2] string a message naming the path and what failed (the target is unchanged)
function Saving:finish(opts)
  check_saving(self, "finish")
  opts = check_opts(opts, "finish", { on_progress = true })
  local w <close> = self._w -- removes the temporary file whatever fails below
  self._w = nil
  return write_out(w, self._size, opts.on_progress)
end

--- Stops saving: the temporary file goes, the target is unchanged (also
-- `__close` and `__gc`). Idempotent.
function Saving:abort()
  local w = check_saving(self, "abort", true)
  self._w = nil
  if w then w:abort() end
end

Saving.__close = Saving.abort
Saving.__gc = function(self) if self._w then self._w:abort() end end

--- The document with its patches, as a string (what `save` writes).
-- @treturn string
function Document:text()
  local w <close> = check(self, "text"):writer()
  repeat
    local st = w:step(STEP_BYTES)
  until st == "done"
  return w:commit()
end

local function check_bytes(bytes, fname)
  if bytes ~= nil and (math.type(bytes) ~= "integer" or bytes < 1) then
    error(string.format("bad argument #1 to '%s' (a positive integer expected)", fname), 3)
  end
end

--- The same text as `text`, in pieces, for a host that hands it on as it
-- comes (the whole text is never held): an iterator giving each piece
-- (never empty), how many of the file's own bytes it has got through
-- (`doc:stats().bytes` at the end) and whether it is the last. Called
-- directly, the iterator takes the size of the next piece (a host that fits
-- pieces to a time budget).
-- @tparam[opt] integer bytes about how many bytes a piece holds (default 8
-- MB; the writer hands on at least 256 KB at a time)
-- @usage for piece in doc:pieces(1 << 20) do out:write(piece) end
function Document:pieces(bytes)
  local c = check(self, "pieces")
  check_bytes(bytes, "pieces")
  local w = c:writer()
  return function(next_bytes)
    check_bytes(next_bytes, "pieces iterator")
    while w do
      local st = w:step(next_bytes or bytes or STEP_BYTES)
      local piece, at = w:take()
      if st == "done" then
        w:commit()
        w = nil
      end
      if #piece > 0 then return piece, at, w == nil end
    end
    return nil
  end
end

--- Releases the index and the file now (also `__close` and `__gc`).
-- Idempotent; other methods then raise.
function Document:close()
  if getmetatable(self) ~= Document then check(self, "close") end
  if not self._closed then
    self._closed = true
    self._core:close()
  end
end

Document.__close = Document.close
Document.__gc = Document.close

function Document:__tostring()
  if self._closed then return "tokenflow.Document (closed)" end
  return tostring(self._core)
end

--- True when `v` is a Document.
function document.is(v) return getmetatable(v) == Document end

document.Document = Document

return document

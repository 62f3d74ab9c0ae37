--- Two ways to read token documents behind one interface, for load.lua.
--
-- `tables`: lua-cjson decodes the whole text into Lua tables and
-- flatten.lua walks them. It reads everything and words every error.
--
-- `tape`: the C reader (`tokenflow.core.json_read_file`) parses the text
-- into a compact tape and flattens a set straight into token definitions,
-- building only the Lua values the definitions hold. It answers
-- `reader.UNDECIDED` for anything only the table walk can settle (text that
-- is not plain JSON, a token with an error, two paths giving one name, a
-- format guess that depends on table order); the loader then reads
-- everything again with `tables`, so results and messages are the same
-- whichever reader ran.
--
-- Each reader: `read(path)` -> doc, text | nil, message; `decode(text,
-- file)` -> doc, text | nil, message (the same from text already read);
-- `is_document(doc)`;
-- `has(doc, key)`, `get(doc, key)`, `is_table(doc, key)` and `keys(doc)` on
-- the top level; `text(doc, text)`; `digest(doc, text)` (the SHA-256 of
-- that text, as `tokenflow.core.digest` gives it); `detect(doc)` and `detect_files(docs)`
-- -> format | nil, message; `flatten(doc, key, opts)` -> definitions,
-- count | nil, message (key nil: the whole document; opts as flatten.walk:
-- a token that is not well formed gets `invalid`, or with `opts.strict`
-- the first such token by name is the error);
-- `close(doc)`. The tape reader's flatten also gives the names in the order
-- written (the resolver takes tokens in that order).
-- @module tokenflow.tokens.reader

local json = require "tokenflow.tokens.json"
local detect = require "tokenflow.tokens.detect"
local flatten = require "tokenflow.tokens.flatten"

local ok, core = pcall(require, "tokenflow.core")
if not (ok and type(core) == "table") then core = nil end
local digest = core and core.digest
if not (core and core.json_read_file) then core = nil end

local reader = {}

--- What the tape reader answers when the table reader must decide.
reader.UNDECIDED = setmetatable({}, {
  __name = "tokenflow.tokens.UNDECIDED",
  __tostring = function() return "undecided by the fast reader" end,
})
local UNDECIDED = reader.UNDECIDED

local tables = {}
reader.tables = tables

function tables.read(path) return json.read(path) end
function tables.decode(text, file)
  local doc, err = json.decode(text, file)
  if doc == nil then return nil, err end
  return doc, text
end
function tables.is_document(doc) return type(doc) == "table" end
function tables.has(doc, key) return doc[key] ~= nil end
function tables.get(doc, key) return doc[key] end
function tables.is_table(doc, key) return type(doc[key]) == "table" end
function tables.keys(doc)
  local out = {}
  for k in pairs(doc) do
    if type(k) == "string" then out[#out + 1] = k end
  end
  return out
end
function tables.text(_, text) return text end
function tables.digest(_, text) return digest(text) end
function tables.detect(doc) return detect.format(doc) end
function tables.detect_files(docs) return detect.format_of_files(docs) end
function tables.flatten(doc, key, opts)
  if key ~= nil then doc = doc[key] end
  return flatten.walk(doc, opts)
end
function tables.close() end

local tape = {}

-- A parsed document whose root is an object; anything else is undecided.
local function object_doc(doc)
  if not doc then return nil, UNDECIDED end
  if doc:kind() ~= "object" then
    doc:close()
    return nil, UNDECIDED
  end
  return doc
end
function tape.read(path) return object_doc(core.json_read_file(path, json.null)) end
function tape.decode(text) return object_doc(core.json_read(text, json.null)) end
function tape.is_document() return true end
function tape.has(doc, key) return type(key) == "string" and doc:kind(key) ~= nil end
function tape.get(doc, key)
  if type(key) ~= "string" then return nil end
  return doc:get(key)
end
function tape.is_table(doc, key)
  local kind = type(key) == "string" and doc:kind(key)
  return kind == "object" or kind == "array"
end
function tape.keys(doc) return doc:keys() end
function tape.text(doc) return doc:text() end
function tape.digest(doc) return doc:digest() end
function tape.detect(doc)
  local format = doc:detect()
  if format == false then return nil, UNDECIDED end
  return format or "tokens-studio"
end
function tape.detect_files(docs)
  for _, doc in ipairs(docs) do
    local format = doc:detect()
    if format == false then return nil, UNDECIDED end
    if format then return format end
  end
  return "tokens-studio"
end
function tape.flatten(doc, key, opts)
  local defs, count, names, suspects = doc:flatten(key, opts.format == "tokens-studio",
    flatten.shape_kinds(core.json_shapes))
  if not defs then return nil, UNDECIDED end
  -- the few values the C checks could not settle, with the Lua ones
  local checked, err = flatten.check(defs, suspects[1] and suspects, opts.file, opts.strict)
  if not checked then return nil, err end
  return defs, count, names
end
function tape.close(doc) doc:close() end

--- The tape reader, or nil when the C module is not available.
reader.tape = core and tape or nil

return reader

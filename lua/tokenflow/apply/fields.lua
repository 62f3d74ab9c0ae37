--- Copying and defaulting object fields of a node, for the writer. A
-- plain table is copied shallowly. An object inside a document node (a
-- `tokenflow.NodeValue`) is copied as an overlay over it
-- (`tokenflow.NodeCopy`): the writer sets members on the copy and assigns
-- it back, and only the members it set are patched, so the rest of the
-- object keeps its bytes and nothing else of it is read.
-- @module tokenflow.apply.fields

local core = require "tokenflow.core"

local fields = {}

local ARRAY = core.json_array_mt

--- Marks `t` as a JSON array: written to a document, it stays an array
-- when empty (an empty Lua table is otherwise written as it was in the
-- file, or as an object). Returns `t`.
-- @tparam table t
-- @treturn table
function fields.array(t) return setmetatable(t, ARRAY) end

--- A copy of `t` to change and assign back.
-- @tparam table t
-- @treturn table
function fields.copy(t)
  local mt = getmetatable(t)
  local copy = type(mt) == "table" and rawget(mt, "__copy")
  if copy then return copy(t) end
  local out = {}
  for k, v in pairs(t) do out[k] = v end
  return out
end

--- Sets `t[k] = v` when `t` has no `k`; on a copy of a document value,
-- without reading the member's value (only whether it is there).
-- @tparam table t
-- @param k
-- @param v
function fields.default(t, k, v)
  local mt = getmetatable(t)
  local default = type(mt) == "table" and rawget(mt, "__default")
  if default then return default(t, k, v) end
  if t[k] == nil then t[k] = v end
end

return fields

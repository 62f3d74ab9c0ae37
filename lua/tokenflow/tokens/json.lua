--- JSON input for the token engine: decoding with lua-cjson, error messages
-- with line and column, and the order of an object's top-level keys (cjson
-- decodes objects into Lua tables, which forget the order; set order needs it).
-- @module tokenflow.tokens.json

local cjson = require "cjson.safe"
local lpeg = require "lpeg"

local P, S, R, C, V, Ct = lpeg.P, lpeg.S, lpeg.R, lpeg.C, lpeg.V, lpeg.Ct

local json = {}

local decoder = cjson.new()
decoder.decode_max_depth(1000)

-- A skipping JSON grammar that captures only the keys of the outermost object.
local ws = S" \t\r\n"^0
local str = P'"' * ((P"\\" * 1) + (1 - S'"\\'))^0 * P'"'
local keycap = P'"' * C(((P"\\" * 1) + (1 - S'"\\'))^0) * P'"'
local scalar = str + (R"09" + S"+-.eE")^1 + P"true" + P"false" + P"null"
local skip = P{
  "value",
  value = ws * (V"object" + V"array" + scalar) * ws,
  object = P"{" * ws * (str * ws * P":" * V"value" * (P"," * ws * str * ws * P":" * V"value")^0)^-1 * ws * P"}",
  array = P"[" * ws * (V"value" * (P"," * V"value")^0)^-1 * ws * P"]",
}
local toplevel = ws * P"{" * ws * Ct((keycap * ws * P":" * skip * (P"," * ws)^-1)^0) * ws * P"}"
-- LPeg compiles a pattern on its first match; one cut short by an
-- allocation failure is left unusable, so compile it now, while the module
-- loads (a failed require leaves nothing behind).
lpeg.match(toplevel, "")


--- Line and column of a byte offset in text.
local function position(text, offset)
  local line, last = 1, 0
  for nl in text:sub(1, offset - 1):gmatch("()\n") do line = line + 1; last = nl end
  return line, offset - last
end

-- lua-cjson's safe mode raises running out of memory as an error of its
-- own ("Memory allocation error in CJSON protected call"); hosts know it as
-- "not enough memory", as every other allocation failure in tokenflow.
local function decode_raw(text)
  local ok, value, err = pcall(decoder.decode, text)
  if ok then return value, err end
  if type(value) == "string" and value:find("Memory allocation error", 1, true) then error("not enough memory", 0) end
  error(value, 0)
end

--- Decodes JSON text. Returns the value, or nil and "name: message".
-- Raises "not enough memory" when memory runs out.
-- @tparam string text JSON text
-- @tparam string name what to call the input in messages (file name)
function json.decode(text, name)
  local value, err = decode_raw(text)
  if value == nil and err then
    local at = tonumber(err:match("at character (%d+)"))
    if at then
      local line, col = position(text, at)
      err = string.format("%s (line %d, column %d)", err, line, col)
    end
    return nil, string.format("%s: invalid JSON: %s", name, err)
  end
  return value
end

--- Names of the top-level keys of a JSON object, in the order written
-- (unescaped only for plain keys; keys with escapes are returned as written).
function json.key_order(text)
  -- very deep nesting can exhaust LPeg's backtrack stack; the order is then
  -- unknown and callers fall back to sorting names
  local ok, keys = pcall(lpeg.match, toplevel, text)
  return ok and keys or {}
end

--- Reads a whole file. Returns its text, or nil and a message naming it.
function json.read_file(path)
  local f, err = io.open(path, "rb")
  if not f then return nil, string.format("%s: cannot read: %s", path, err) end
  local text, rerr = f:read("a")
  f:close()
  if not text then return nil, string.format("%s: cannot read: %s", path, rerr) end
  return text
end

--- Reads and decodes a JSON file: value, text; or nil, message.
function json.read(path)
  local text, err = json.read_file(path)
  if not text then return nil, err end
  local value, derr = json.decode(text, path)
  if value == nil then return nil, derr end
  return value, text
end

--- True when t is a non-empty sequence (lua-cjson 2.1 decodes `[]` and `{}`
-- alike, so an empty table counts as an object).
function json.is_array(t)
  return type(t) == "table" and t[1] ~= nil
end

--- JSON null as decoded.
json.null = cjson.null

--- Encodes a value as JSON text.
function json.encode(value)
  return cjson.encode(value)
end

return json

--- JSON output with keys in sorted order and numbers printed as the
-- reference tools print them, so results diff cleanly.
-- @module tokenflow.tokens.jsonout

local cjson = require "cjson"
local number = require "tokenflow.tokens.number"

local jsonout = {}

-- lua-cjson 2.1 escapes "/" as "\/"; both are valid JSON, the plain one
-- reads better. An escaped slash never follows a lone backslash, so this
-- cannot touch other escapes.
local function encode_string(s)
  return (cjson.encode(s):gsub("\\/", "/"))
end

local function is_array(t)
  local n = #t
  if n == 0 then return false end
  local count = 0
  for _ in pairs(t) do count = count + 1 end
  return count == n
end

local function encode(v, out, opts, open)
  local t = type(v)
  if t == "string" then out[#out + 1] = encode_string(v)
  elseif t == "number" then
    out[#out + 1] = (v ~= v or v == math.huge or v == -math.huge) and "null" or number.text(v)
  elseif t == "boolean" then out[#out + 1] = tostring(v)
  elseif t == "table" then
    if open[v] then error("cannot encode a table that contains itself", 0) end
    open[v] = true
    if is_array(v) or (opts.empty_array and next(v) == nil) then
      out[#out + 1] = "["
      for i, x in ipairs(v) do
        if i > 1 then out[#out + 1] = "," end
        encode(x, out, opts, open)
      end
      out[#out + 1] = "]"
    else
      local keys = {}
      for k in pairs(v) do keys[#keys + 1] = tostring(k) end
      table.sort(keys)
      out[#out + 1] = "{"
      for i, k in ipairs(keys) do
        if i > 1 then out[#out + 1] = "," end
        out[#out + 1] = encode_string(k)
        out[#out + 1] = ":"
        local x = v[k]
        if x == nil then x = v[tonumber(k)] end
        encode(x, out, opts, open)
      end
      out[#out + 1] = "}"
    end
    open[v] = nil
  elseif opts.other and v ~= nil and v ~= cjson.null then
    out[#out + 1] = encode_string(opts.other(v))
  else
    out[#out + 1] = "null"
  end
end

local NO_OPTS = {}

--- Encodes a value as JSON text (objects with sorted keys). Raises on a
-- table that contains itself.
-- @param v the value
-- @tparam[opt] table opts `empty_array` (true: an empty table is `[]`, not
-- `{}`), `other(v)` (the text for a function, userdata or thread; default
-- `null`)
function jsonout.encode(v, opts)
  local out = {}
  encode(v, out, opts or NO_OPTS, {})
  return table.concat(out)
end

return jsonout

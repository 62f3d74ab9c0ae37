--- JSON output with keys in sorted order and numbers printed as the
-- reference tools print them, so results diff cleanly.
-- @module tokenflow.tokens.jsonout

local cjson = require "cjson"
local number = require "tokenflow.tokens.number"

local jsonout = {}

local find, sort, concat, tostring, type, pairs = string.find, table.sort, table.concat, tostring, type, pairs
local text_of = number.text
local null = cjson.null

-- lua-cjson 2.1 escapes "/" as "\/"; both are valid JSON, the plain one
-- reads better. An escaped slash never follows a lone backslash, so this
-- cannot touch other escapes. Text with nothing to escape (most of it) is
-- only quoted.
local function encode_string(s)
  -- (a class of the common bytes fails fast on each of them; the exact
  -- class of bytes to escape only runs on text holding others)
  if not find(s, "[^%w%.%-_#]") or not find(s, '[%c"\\/]') then return '"' .. s .. '"' end
  return (cjson.encode(s):gsub("\\/", "/"))
end

-- The text of string s, memoised in `quoted`.
local function quote(s, quoted)
  local q = quoted[s]
  if not q then
    q = encode_string(s)
    quoted[s] = q
  end
  return q
end

local function is_array(t)
  local n = #t
  if n == 0 then return false end
  local count = 0
  for _ in pairs(t) do count = count + 1 end
  return count == n
end

-- Appends the text of v to out (n items so far); returns the new count.
-- `quoted` memoises the text of strings, numbers and tables (sets repeat
-- values a lot; 1 and 1.0 share a key and a text; tables are not changed
-- while they are written); `open` holds the tables being written (a table
-- inside itself cannot be written).
local function encode(v, out, n, quoted, opts, open)
  local t = type(v)
  if t == "string" then
    n = n + 1
    out[n] = quote(v, quoted)
  elseif t == "number" then
    local q = v == v and quoted[v] -- (NaN cannot be a key)
    if not q then
      q = (v ~= v or v == math.huge or v == -math.huge) and "null" or text_of(v)
      if v == v then quoted[v] = q end
    end
    n = n + 1
    out[n] = q
  elseif t == "boolean" then
    n = n + 1
    out[n] = tostring(v)
  elseif t == "table" then
    if v == null then
      n = n + 1
      out[n] = "null"
      return n
    end
    -- a table met again (aliases share their target's value) is written
    -- from its text, kept when it is met the second time (false: met once;
    -- keeping every table's text would copy each byte once per enclosing table)
    local q = quoted[v]
    if q then
      n = n + 1
      out[n] = q
      return n
    end
    if open[v] then error("cannot encode a table that contains itself", 0) end
    open[v] = true
    local n0 = n
    if is_array(v) or (opts.empty_array and next(v) == nil) then
      n = n + 1
      out[n] = "["
      for i = 1, #v do
        if i > 1 then
          n = n + 1
          out[n] = ","
        end
        n = encode(v[i], out, n, quoted, opts, open)
      end
      n = n + 1
      out[n] = "]"
    else
      local keys, nk = {}, 0
      for k in pairs(v) do
        nk = nk + 1
        keys[nk] = tostring(k)
      end
      sort(keys)
      n = n + 1
      out[n] = "{"
      for i = 1, nk do
        local k = keys[i]
        if i > 1 then
          n = n + 1
          out[n] = ","
        end
        n = n + 1
        -- (short keys repeat from object to object; long ones are names)
        out[n] = #k <= 40 and quote(k, quoted) or encode_string(k)
        n = n + 1
        out[n] = ":"
        local x = v[k]
        if x == nil then x = v[tonumber(k)] end
        n = encode(x, out, n, quoted, opts, open)
      end
      n = n + 1
      out[n] = "}"
    end
    open[v] = nil
    if quoted[v] == false then
      quoted[v] = concat(out, "", n0 + 1, n)
    else
      quoted[v] = false
    end
  elseif opts.other and v ~= nil and v ~= null then
    n = n + 1
    out[n] = encode_string(opts.other(v))
  else
    n = n + 1
    out[n] = "null"
  end
  return n
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
  local n = encode(v, out, 0, {}, opts or NO_OPTS, {})
  return concat(out, "", 1, n)
end

return jsonout

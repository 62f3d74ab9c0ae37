--- Walks a decoded token document into a flat list of token definitions,
-- checking each one: names must be UTF-8, a token needs `value`/`$value`, and
-- a value must have the shape its type asks for. `$type` on groups is
-- inherited; Tokens Studio infers a missing type from the first path segment.
-- @module tokenflow.tokens.flatten

local refs = require "tokenflow.tokens.refs"

local flatten = {}

local function is_ref(v)
  return type(v) == "string" and refs.parse(v) ~= nil
end

local function is_array(t) return type(t) == "table" and t[1] ~= nil end
local function is_object(t) return type(t) == "table" and t[1] == nil end
local function scalar(v) return type(v) == "string" or type(v) == "number" end

local function dtcg_measure(v)
  return scalar(v) or (is_object(v) and type(v.value) == "number" and type(v.unit) == "string")
end

-- Each checker says whether a (non-reference) value fits its type; the
-- third field names the same check in the C reader (core.json_shapes),
-- which leaves every value that does not fit to these checkers.
local shapes = {
  color = { "a colour string or a colour object {colorSpace, components}", function(v)
    return type(v) == "string"
      or (is_object(v) and ((v.colorSpace ~= nil and type(v.components) == "table") or type(v.hex) == "string"))
  end, "color" },
  dimension = { "a dimension string, a number or {value, unit}", dtcg_measure, "measure" },
  duration = { "a duration string, a number or {value, unit}", dtcg_measure, "measure" },
  typography = { "an object of typography properties", function(v) return is_object(v) or type(v) == "string" end,
    "object_or_string" },
  composition = { "an object of properties", function(v) return is_object(v) end, "object" },
  border = { "an object {color, width, style}", function(v) return is_object(v) or type(v) == "string" end,
    "object_or_string" },
  boxShadow = { "a shadow object or an array of them", function(v)
    if type(v) == "string" then return true end
    if is_object(v) then return true end
    if is_array(v) then
      for _, s in ipairs(v) do if type(s) ~= "table" and not is_ref(s) then return false end end
      return true
    end
    return false
  end, "shadow" },
  cubicBezier = { "an array of 4 numbers or a string", function(v)
    return type(v) == "string" or (is_array(v) and #v == 4)
  end, "bezier" },
  fontFamily = { "a font name or an array of names", function(v) return type(v) == "string" or is_array(v) end,
    "font" },
}
shapes.shadow = shapes.boxShadow
for _, t in ipairs { "number", "opacity", "sizing", "spacing", "borderRadius", "borderWidth",
  "fontSizes", "fontWeights", "lineHeights", "letterSpacing", "paragraphSpacing",
  "paragraphIndent", "fontWeight", "fontSize", "lineHeight" } do
  shapes[t] = { "a string or a number", scalar, "scalar" }
end

local kinds_memo = setmetatable({}, { __mode = "k" })

--- Type name -> the code of its shape check in `codes` (the C reader's
-- `core.json_shapes`, kind name -> code), for the C flatten.
function flatten.shape_kinds(codes)
  local out = kinds_memo[codes]
  if not out then
    out = {}
    for t, shape in pairs(shapes) do out[t] = assert(codes[shape[3]], shape[3]) end
    kinds_memo[codes] = out
  end
  return out
end

local token_keys = { type = true, description = true }

-- A table that is all token metadata but no value: a token missing its value.
local function valueless_token(t)
  local meta = false
  for k, v in pairs(t) do
    if type(k) ~= "string" then return false end
    if type(v) == "table" and k:sub(1, 1) ~= "$" then return false end
    if token_keys[k] or k == "$type" or k == "$description" then meta = true end
  end
  return meta
end

local function fail(file, name, fmt, ...)
  return nil, string.format("%s: %s: " .. fmt, file, name ~= "" and name or "(root)", ...)
end

local function kind(v)
  return type(v) == "table" and (is_array(v) and "an array" or "an object") or type(v)
end

--- Why a value does not fit its type, or nil when it does. A value that is
-- an array where the type asks for one value is taken element by element
-- (as Style Dictionary resolves it): each element must fit.
-- @tparam string ttype the token's type
-- @param value the value as written
function flatten.misfit(ttype, value)
  local shape = shapes[ttype]
  if not shape or shape[2](value) or is_ref(value) then return nil end
  if is_array(value) then
    for i, e in ipairs(value) do
      if not shape[2](e) and not is_ref(e) then
        return string.format("value of type '%s' must be %s, got %s at [%d]", ttype, shape[1], kind(e), i)
      end
    end
    return nil
  end
  return string.format("value of type '%s' must be %s, got %s", ttype, shape[1], kind(value))
end

--- The reason a token without a value fails.
flatten.VALUELESS = "token has neither value nor $value"

-- A token name with its bytes that are not UTF-8 escaped (for messages).
local function shown_name(name)
  if utf8.len(name) then return name end
  return (name:gsub("[\128-\255]", function(c) return string.format("\\x%02X", c:byte()) end))
end

--- Checks the definitions a reader built: a definition whose value does
-- not fit its type gets `invalid` (the reason; the resolver marks the token
-- failed and keeps its value as written). `names` lists the definitions to
-- check (nil: none; a definition without a value is a token without one).
-- With `strict`, returns nil and "file: name: reason" for
-- the first bad token by name (whatever the reader's order), else `defs`.
function flatten.check(defs, names, file, strict)
  local bad
  if names then
    for _, name in ipairs(names) do
      local d = defs[name]
      if d and not d.invalid then
        if d.value == nil then d.invalid = flatten.VALUELESS else d.invalid = flatten.misfit(d.type, d.value) end
      end
    end
  end
  if not strict then return defs end
  for name, d in pairs(defs) do
    if d.invalid and (bad == nil or name < bad) then bad = name end
  end
  if bad then return fail(file, shown_name(bad), "%s", defs[bad].invalid) end
  return defs
end

--- Flattens one set (Tokens Studio) or one DTCG document into `out`, a map
-- name -> definition `{value, type, description, modify}`
-- (a later definition of a name replaces an earlier one). A token that is
-- not well formed (a value of the wrong shape for its type, no value, a
-- name that is not UTF-8) gets `invalid`, the reason (it fails alone when
-- resolved). Returns out and the number of tokens read, or nil and a
-- message naming the file and token path (`opts.strict`: the first bad
-- token by name).
function flatten.walk(doc, opts)
  local file, ts, out = opts.file, opts.format == "tokens-studio", opts.out or {}
  local n, any_bad = 0, false
  if type(doc) ~= "table" then return fail(file, "", "expected an object of tokens, got %s", type(doc)) end
  -- explicit stack: {table, dotted path, first segment, inherited type}
  local stack = { { doc, "", nil, nil } }
  while #stack > 0 do
    local frame = stack[#stack]
    stack[#stack] = nil
    local node, path, first, inherited = frame[1], frame[2], frame[3], frame[4]
    local gtype = node["$type"] or inherited
    for k, v in pairs(node) do
      if type(k) == "string" and type(v) == "table" and k:byte(1) ~= 36 then -- 36: "$"
        local name = path == "" and k or path .. "." .. k
        local head = first or k
        local bad_name = k:find("[\128-\255]") and not utf8.len(k)
        local value = v["$value"]
        if value == nil and ts then value = v.value end
        if value ~= nil or bad_name then
          local ttype = v["$type"] or (ts and type(v.type) == "string" and v.type) or gtype
          if ttype == nil and ts then ttype = head end
          if type(ttype) ~= "string" then ttype = nil end
          -- small tables: only the fields a token has (a constructor with
          -- every field would reserve room for all of them)
          local def = { value = value, type = ttype }
          if bad_name then
            def.invalid = "token name is not valid UTF-8"
          elseif value ~= nil then
            def.invalid = flatten.misfit(ttype, value)
          end
          if def.invalid then any_bad = true end
          -- of the extensions, only the Tokens Studio modifier is kept (the
          -- rest is the publisher's metadata, which no token rule reads)
          local ext = v["$extensions"]
          local studio = type(ext) == "table" and ext["studio.tokens"]
          if type(studio) == "table" and type(studio.modify) == "table" then def.modify = studio.modify end
          local description = v["$description"] or (ts and v.description) or nil
          if description ~= nil then def.description = description end
          n = n + 1
          out[name] = def
        elseif valueless_token(v) then
          local ttype = v["$type"] or (ts and type(v.type) == "string" and v.type) or gtype
          if ttype == nil and ts then ttype = head end
          n = n + 1
          out[name] = { type = type(ttype) == "string" and ttype or nil, invalid = flatten.VALUELESS }
          any_bad = true
        else
          stack[#stack + 1] = { v, name, head, gtype }
        end
      end
    end
  end
  if any_bad and opts.strict then
    local ok, err = flatten.check(out, nil, file, true)
    if not ok then return nil, err end
  end
  return out, n
end

return flatten

--- The naive resolver of the update benchmark: resolves one token from the
-- raw definitions every time it is asked (alias chains, references inside
-- text, math, colour functions, colour modifiers), keeping nothing between
-- calls, the way a per-node design re-resolves each property of each node.
-- It uses the token engine's Lua pieces (reference parser, math, colour
-- functions, modifiers) but none of its memoisation or its resolved values.
local refs = require "tokenflow.tokens.refs"
local tmath = require "tokenflow.tokens.math"
local colorfn = require "tokenflow.tokens.colorfn"
local color = require "tokenflow.tokens.color"
local modify = require "tokenflow.tokens.modify"
local number = require "tokenflow.tokens.number"

local naive = {}

local PLAIN = { text = true, asset = true, fontFamilies = true, fontFamily = true, string = true }

local function to_text(v)
  local t = type(v)
  if t == "string" then return v end
  if t == "number" then return number.text(v) end
  if t == "boolean" then return tostring(v) end
  return nil
end

--- A resolver over `defs` (name -> {value, type, modify}) with the
-- `get(name) -> value, info` of a Resolved, without any cache.
-- @tparam table defs merged raw definitions of the selected sets
function naive.resolver(defs)
  local value_of

  local function resolve_value(v, ttype, depth)
    local tv = type(v)
    if tv == "table" then
      local out = {}
      for k, x in pairs(v) do
        local r, err = resolve_value(x, ttype, depth)
        if err then return nil, err end
        out[k] = r
      end
      return out
    end
    if tv ~= "string" then return v end
    local t = refs.parse(v) -- parsed again on every call: nothing is kept
    if t then
      if #t == 1 and type(t[1]) == "table" then -- the whole value is one reference: follow the alias
        return value_of(t[1].parts[1], depth + 1)
      end
      local out = {}
      for i = 1, #t do
        local p = t[i]
        if type(p) == "string" then
          out[i] = p
        else
          local r, err = value_of(p.parts[1], depth + 1)
          if err then return nil, err end
          out[i] = to_text(r) or color.hex(color.parse(r))
        end
      end
      v = table.concat(out)
    end
    if PLAIN[ttype] then return v end
    local m, reason = tmath.apply(colorfn.apply(v))
    if reason then return nil, reason end
    return m
  end

  function value_of(name, depth)
    if depth > 64 then return nil, "reference chain too deep at " .. name end
    local def = defs[name]
    if not def then return nil, "token not found: " .. name end
    local v, err = resolve_value(def.value, def.type, depth)
    if err then return nil, err end
    local mod = def.modify
    if mod then
      local amount = resolve_value(mod.value, "number", depth)
      local other = mod.color and color.parse((resolve_value(mod.color, "color", depth)))
      local hex, merr = modify.apply(color.parse(v), { type = mod.type, space = mod.space,
        value = tonumber(amount), color = other })
      if not hex then return nil, merr end
      v = hex
    end
    return v
  end

  local r = {}
  function r.get(_, name)
    local def = defs[name]
    if not def then return nil end
    local v, err = value_of(name, 0)
    if err then return "{" .. name .. "}", { type = def.type, failed = true, error = err } end
    return v, { type = def.type }
  end
  return r
end

return naive

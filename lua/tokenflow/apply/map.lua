--- `figma.map`: a node's token map plus resolved tokens -> a plan, the list of
-- property writes already converted to Figma values. The plan depends only on
-- the token map, the resolved tokens and the options, never on a node, so a
-- job can cache it per token combination and write it to many nodes.
-- @module tokenflow.apply.map

local units = require "tokenflow.apply.units"
local rules = require "tokenflow.apply.rules"
local resets = require "tokenflow.apply.resets"
local read = require "tokenflow.apply.read"
local Resolved = require "tokenflow.tokens.resolved"
local SHARED = require "tokenflow.apply.shared"

local RULES, ALIAS = rules.by_key, rules.alias
local IS_TEXT_KEY = rules.is_text_key
local token_name = read.token_name
local byte = string.byte

-- Write position of each property key.
local RANK = {}
for i, key in ipairs(rules.order) do RANK[key] = i end

-- The keys of `set`, in write order (sorting the few present keys is cheaper
-- than walking the whole order list; an insertion sort, as they are few).
local function in_write_order(set)
  local keys, n = {}, 0
  for key in pairs(set) do
    local r = RANK[key]
    local i = n
    while i > 0 and RANK[keys[i]] > r do
      keys[i + 1] = keys[i]
      i = i - 1
    end
    keys[i + 1] = key
    n = n + 1
  end
  return keys
end

local function failure(errors, key, token, message)
  errors[#errors + 1] = { property = key, token = token, message = message }
end

-- Resolves one token: value and info, or nil and a message.
local function lookup(resolved, name)
  local value, info = resolved:get(name)
  if value == nil then
    return nil, nil, "token not found"
  end
  if type(info) == "table" and info.failed then
    local why = info.error or info.message
    return nil, nil, "token failed to resolve" .. (why and (": " .. tostring(why)) or "")
  end
  return value, info
end

-- Property key -> token name, decoded; every unreadable entry is an error.
local function names_of(tokens_of_node, errors)
  local names = {}
  for key, stored in pairs(tokens_of_node) do
    if type(key) == "string" then
      key = ALIAS[key] or key
      -- a plain name (not JSON-encoded, not empty) is the name itself
      if type(stored) == "string" and stored ~= "" and byte(stored, 1) ~= 34 then
        names[key] = stored
      else
        local name, err = token_name(stored)
        if err then
          failure(errors, key, tostring(stored), err)
        elseif name then
          names[key] = name
        end
      end
    end
  end
  return names
end

-- No property set by the node: what a rule converted once is reused by
-- every node, so no rule may see the node's other properties (only the
-- typography rule does; its fields are filtered when a plan is built).
local NO_NAMES = setmetatable({}, { __newindex = function() error("read-only", 2) end })

-- The context rules see (see tokenflow.apply.rules), one per map call,
-- made on its first conversion (`call.cx`) and refilled for each.
local function context(call)
  local cx = call.cx
  if cx then return cx end
  cx = { base = call.base, explicit = NO_NAMES }
  call.cx = cx
  function cx.add(op)
    op.key, op.token = cx.key, cx.token
    local ops = cx.ops
    ops[#ops + 1] = op
  end
  return cx
end

-- A converted property: what one rule made of one value, reusable by every
-- plan of the same resolved set and options. `{value=, token=}` plus
-- `error=` (the rule failed), or `typography=` (a rules.typography_fields
-- list), or `ops=` (operations with key and token set) and `text=` (text
-- style fields). When the call has a memo the record is kept for other
-- plans (its operations go into tokenflow.apply.shared).
local function convert(call, key, token, value, info)
  local cx = context(call)
  local rec = { value = value, token = token }
  if key == "typography" then
    local list, err = rules.typography_fields(value, cx)
    if list then rec.typography = list else rec.error = err end
    return rec
  end
  local ops, text = {}, cx.text
  if not text or next(text) then
    text = {}
    cx.text = text
  end
  cx.key, cx.token, cx.info, cx.ops = key, token, info, ops
  local ok, err = RULES[key](value, cx)
  cx.info, cx.ops = nil, nil
  if not ok then
    rec.error = err
  else
    rec.ops = ops
    if call.memo then
      for i = 1, #ops do SHARED[ops[i]] = true end
    end
    if next(text) then rec.text = text end
  end
  return rec
end

-- Converted properties per resolved set and base font size:
-- memos[resolved][base] = { props = { [key] = { [name] = rec } }, composition = { [name] = rec },
-- reset = { [key] = ops } }.
-- Only for tokenflow.Resolved objects, whose answers never change; weak keys,
-- so a set's conversions go with it. Each holds at most one entry per
-- (property key, token name of the set): names the set does not know are
-- not kept.
local memos = setmetatable({}, { __mode = "k" })

local function memo_of(resolved, base)
  if getmetatable(resolved) ~= Resolved then return nil end
  local by_base = memos[resolved]
  if not by_base then
    by_base = {}
    memos[resolved] = by_base
  end
  local memo = by_base[base]
  if not memo then
    memo = { props = {}, composition = {}, reset = {} }
    by_base[base] = memo
  end
  return memo
end

-- The converted property key <- token name; `{lookup_error=}` when the token
-- does not resolve.
local function property(call, resolved, key, name)
  local memo = call.memo
  local by_name = memo and memo.props[key]
  local rec = by_name and by_name[name]
  if rec then return rec end
  local value, info, err = lookup(resolved, name)
  if err then
    rec = { lookup_error = err }
    if err == "token not found" then return rec end -- not kept
  else
    rec = convert(call, key, name, value, info)
  end
  if memo then
    if not by_name then
      by_name = {}
      memo.props[key] = by_name
    end
    by_name[name] = rec
  end
  return rec
end

-- A composition token: `{lookup_error=}`, `{error=}`, or `{props=}` (an
-- array of property key, converted property).
local function composition(call, resolved, name)
  local memo = call.memo
  local rec = memo and memo.composition[name]
  if rec then return rec end
  local value, _, err = lookup(resolved, name)
  if err then
    rec = { lookup_error = err }
    if err == "token not found" then return rec end -- not kept
  elseif type(value) ~= "table" or value[1] ~= nil then
    rec = { error = "a composition value must be an object, got " .. type(value) }
  else
    local props = {}
    for prop, v in pairs(value) do
      prop = ALIAS[prop] or prop
      if RULES[prop] then
        props[#props + 1] = prop
        props[#props + 1] = convert(call, prop, name, v, nil)
      end
    end
    rec = { props = props }
  end
  if memo then memo.composition[name] = rec end
  return rec
end

-- A composition token supplies values for the properties it holds; the
-- node's own properties win over it.
local function expand_composition(name, resolved, names, values, errors, call)
  local rec = composition(call, resolved, name)
  local err = rec.lookup_error or rec.error
  if err then return failure(errors, "composition", name, err) end
  local props = rec.props
  for i = 1, #props, 2 do
    local prop = props[i]
    if names[prop] == nil then values[prop] = props[i + 1] end
  end
end

-- Figma has one stroke paint for all sides: a border (or border side) token
-- supplies the colour when no borderColor is set. The converted colour is
-- kept with the border's converted property.
local function default_border_color(names, values, call)
  if names.borderColor ~= nil or values.borderColor ~= nil then return end
  for _, key in ipairs(rules.border_keys) do
    local entry = values[key]
    if entry and type(entry.value) == "table" and type(entry.value.color) == "string" then
      local rec = entry.border_color
      if not rec then
        rec = convert(call, "borderColor", entry.token, entry.value.color, nil)
        entry.border_color = rec
      end
      values.borderColor = rec
      return
    end
  end
end

local function copy_op(template, key, token)
  local op = {}
  for k, v in pairs(template) do op[k] = v end
  op.key, op.token = key, token
  return op
end

-- The reset operations of one property key.
local function reset_ops(memo, key)
  local ops = memo and memo.reset[key]
  if ops then return ops end
  ops = {}
  for i, template in ipairs(resets.by_key[key] or {}) do ops[i] = copy_op(template, key, "none") end
  if memo then
    memo.reset[key] = ops
    for i = 1, #ops do SHARED[ops[i]] = true end
  end
  return ops
end

--- Builds the plan for one token map.
--
-- With a tokenflow.Resolved, each property's conversion is done once per
-- (resolved set, base font size, property key, token name) and reused: plans
-- built from the same set share their operation tables (the plan array
-- itself, and its `text_style` operation, are new on every call). Plans and
-- their operations are read-only: the writer, `figma.diff` and the update
-- job never change them, and nodes written from a plan share its paint and
-- effect tables (see `figma.writer`'s `copy`).
-- @tparam table tokens_of_node property key -> token name (plain or JSON-encoded; `none` resets; `""` is unset)
-- @param resolved an object with `resolved:get(name) -> value, info` (`info.failed` marks a failed resolution)
-- @tparam[opt] table opts `base_font_size` (number or text such as `"14px"`; default 16)
-- @treturn[1] table the plan: an array of operations `{op=, key=, token=, ...}`
-- @treturn[2] nil
-- @treturn[2] table errors: `{property=, token=, message=}` for every property that failed
local function map(tokens_of_node, resolved, opts)
  if type(tokens_of_node) ~= "table" then
    error("tokenflow.figma.map: token map must be a table, got a " .. type(tokens_of_node), 2)
  end
  local rt = type(resolved)
  if (rt ~= "table" and rt ~= "userdata") or resolved.get == nil then
    error("tokenflow.figma.map: resolved must be an object with a get method", 2)
  end
  if opts ~= nil and type(opts) ~= "table" then
    error("tokenflow.figma.map: opts must be a table", 2)
  end
  local base = units.base_size(opts and opts.base_font_size)
  local memo = memo_of(resolved, base)
  local call = { memo = memo, base = base }

  local errors, values, reset = {}, {}, nil
  local names = names_of(tokens_of_node, errors)
  if names.composition and names.composition ~= "none" then
    expand_composition(names.composition, resolved, names, values, errors, call)
  end
  for key, name in pairs(names) do
    if RULES[key] then
      if name == "none" then
        reset = reset or {}
        reset[key] = true
      else
        local rec = property(call, resolved, key, name)
        if rec.lookup_error then
          failure(errors, key, name, rec.lookup_error)
        else
          values[key] = rec
        end
      end
    end
  end
  default_border_color(names, values, call)

  local plan, n, text_fields, text_token = {}, 0, nil, nil
  -- resets first, as the reference does, then every property in write order
  if reset then
    for _, key in ipairs(in_write_order(reset)) do
      local ops = reset_ops(memo, key)
      for i = 1, #ops do
        n = n + 1
        plan[n] = ops[i]
      end
    end
  end
  local keys = in_write_order(values)
  for k = 1, #keys do
    local key = keys[k]
    local rec = values[key]
    local err = rec.error
    if not err and rec.typography then
      text_fields = text_fields or {}
      local _
      _, err = rules.typography_into(rec.typography, names, text_fields)
    elseif not err then
      local ops = rec.ops
      for i = 1, #ops do
        n = n + 1
        plan[n] = ops[i]
      end
      local text = rec.text
      if text then
        text_fields = text_fields or {}
        for field, v in pairs(text) do text_fields[field] = v end
      end
    end
    if err then
      failure(errors, key, rec.token, err)
    elseif IS_TEXT_KEY[key] then
      text_token = text_token or rec.token
    end
  end
  if text_fields and next(text_fields) then
    plan[n + 1] = { op = "text_style", fields = text_fields, key = "typography", token = text_token }
  end

  if #errors > 0 then
    table.sort(errors, function(a, b) return a.property < b.property end)
    return nil, errors
  end
  return plan
end

return map

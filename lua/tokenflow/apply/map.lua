--- `figma.map`: a node's token map plus resolved tokens -> a plan, the list of
-- property writes already converted to Figma values. The plan depends only on
-- the token map, the resolved tokens and the options, never on a node, so a
-- job can cache it per token combination and write it to many nodes.
-- @module tokenflow.apply.map

local units = require "tokenflow.apply.units"
local rules = require "tokenflow.apply.rules"
local resets = require "tokenflow.apply.resets"
local read = require "tokenflow.apply.read"

local RULES, ALIAS = rules.by_key, rules.alias
local IS_TEXT_KEY = rules.is_text_key

-- Write position of each property key.
local RANK = {}
for i, key in ipairs(rules.order) do RANK[key] = i end

-- The keys of `set`, in write order (sorting the few present keys is cheaper
-- than walking the whole order list).
local function in_write_order(set)
  local keys = {}
  for key in pairs(set) do keys[#keys + 1] = key end
  table.sort(keys, function(a, b) return RANK[a] < RANK[b] end)
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
      local name, err = read.token_name(stored)
      key = ALIAS[key] or key
      if err then
        failure(errors, key, tostring(stored), err)
      elseif name then
        names[key] = name
      end
    end
  end
  return names
end

-- A composition token supplies values for the properties it holds; the
-- node's own properties win over it.
local function expand_composition(name, resolved, names, values, errors)
  local value, _, err = lookup(resolved, name)
  if err then return failure(errors, "composition", name, err) end
  if type(value) ~= "table" or value[1] ~= nil then
    return failure(errors, "composition", name, "a composition value must be an object, got " .. type(value))
  end
  for prop, v in pairs(value) do
    prop = ALIAS[prop] or prop
    if names[prop] == nil and RULES[prop] then
      values[prop] = { value = v, token = name }
    end
  end
end

-- Figma has one stroke paint for all sides: a border (or border side) token
-- supplies the colour when no borderColor is set.
local function default_border_color(names, values)
  if names.borderColor ~= nil or values.borderColor ~= nil then return end
  for _, key in ipairs(rules.border_keys) do
    local entry = values[key]
    if entry and type(entry.value) == "table" and type(entry.value.color) == "string" then
      values.borderColor = { value = entry.value.color, token = entry.token }
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

--- Builds the plan for one token map.
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

  local errors, values, reset = {}, {}, {}
  local names = names_of(tokens_of_node, errors)
  if names.composition and names.composition ~= "none" then
    expand_composition(names.composition, resolved, names, values, errors)
  end
  for key, name in pairs(names) do
    if RULES[key] then
      if name == "none" then
        reset[key] = true
      else
        local value, info, err = lookup(resolved, name)
        if err then
          failure(errors, key, name, err)
        else
          values[key] = { value = value, token = name, info = info }
        end
      end
    end
  end
  default_border_color(names, values)

  local plan, text_fields, text_token = {}, {}, nil
  local cx = { base = base, text = text_fields, explicit = names }
  function cx.add(op)
    op.key, op.token = cx.key, cx.token
    plan[#plan + 1] = op
  end
  -- resets first, as the reference does, then every property in write order
  if next(reset) then
    for _, key in ipairs(in_write_order(reset)) do
      for _, template in ipairs(resets.by_key[key] or {}) do
        plan[#plan + 1] = copy_op(template, key, "none")
      end
    end
  end
  for _, key in ipairs(in_write_order(values)) do
    local entry = values[key]
    cx.key, cx.token, cx.info = key, entry.token, entry.info
    local ok, err = RULES[key](entry.value, cx)
    if not ok then
      failure(errors, key, entry.token, err)
    elseif IS_TEXT_KEY[key] then
      text_token = text_token or entry.token
    end
  end
  if next(text_fields) then
    plan[#plan + 1] = { op = "text_style", fields = text_fields, key = "typography", token = text_token }
  end

  if #errors > 0 then
    table.sort(errors, function(a, b) return a.property < b.property end)
    return nil, errors
  end
  return plan
end

return map

-- Test helpers for the tf.figma specs: a fake Resolved (the token engine's
-- `resolved:get(name) -> value, info`) and a one-call map + write.
local figma = require "tokenflow.apply.figma"

local fake = {}

--- A fake Resolved over `values` (name -> value); names in `failed` resolve
-- with info.failed set.
function fake.resolved(values, failed)
  local r = { calls = 0 }
  function r:get(name)
    self.calls = self.calls + 1
    if failed and failed[name] then return values[name] or "{broken}", { failed = true, error = failed[name] } end
    local v = values[name]
    if v == nil then return nil end
    return v, { type = "any", raw = "raw:" .. name, description = "about " .. name }
  end
  return r
end

--- Maps property -> value (each property uses the token named `t.<property>`),
-- writes the plan to `node` and returns node, plan (or nil, errors).
function fake.apply(values_by_property, node, opts, where)
  local tokens, values = {}, {}
  for prop, value in pairs(values_by_property) do
    if value == "none" then
      tokens[prop] = "none"
    else
      tokens[prop] = "t." .. prop
      values["t." .. prop] = value
    end
  end
  local plan, errors = figma.map(tokens, fake.resolved(values), opts)
  if not plan then return nil, errors end
  node = node or { type = "FRAME", id = "1:1" }
  local n, why = figma.writer(opts)(node, plan, where)
  assert(n, why)
  return node, plan
end

return fake

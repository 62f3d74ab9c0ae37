-- Fuzz target: the expression evaluator (references, math, colour
-- functions) through Resolved:eval against a small token set. eval must
-- return a value and `{failed, reason}` for any text, never raise.
local tf = require "tokenflow"

local set = assert(tf.tokens.new {
  core = {
    space = { base = { value = "4", type = "spacing" }, lg = { value = "{core.space.base} * 4", type = "spacing" } },
    size = { rem = { value = "1.5rem", type = "sizing" }, px = { value = "12px", type = "sizing" } },
    ratio = { value = "1.25", type = "number" },
    color = { brand = { value = "#3366ff", type = "color" }, ink = { value = "rgba(0, 0, 0, 0.5)", type = "color" } },
    name = { value = "Inter", type = "fontFamilies" },
    flag = { value = true, type = "boolean" },
    shadow = { value = { x = "0", y = "{core.space.base}", blur = "8", color = "{core.color.ink}" }, type = "boxShadow" },
  },
})
local r = assert(set:resolve())

return function(bytes, fail)
  local ok, v, info = pcall(r.eval, r, bytes)
  if not ok then fail("eval raised: " .. tostring(v)) end
  if type(info) ~= "table" or type(info.failed) ~= "boolean" then fail("eval: no info table") end
  if info.failed and type(info.reason) ~= "string" then fail("eval: failed without a reason") end
  if not info.failed and v == nil then fail("eval: nil value without failing") end
  if type(v) == "number" and v ~= v and not info.failed then
    -- NaN is a value like any other only if the expression made it; note it, do not fail
    return
  end
end

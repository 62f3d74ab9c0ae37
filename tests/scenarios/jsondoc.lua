-- JSON tape reader scenario for the embedding host's out-of-memory sweep:
-- parse, decode members, detect, flatten a token set, read a file.
local tf = require "tokenflow.core"
local null = setmetatable({}, { __name = "null" })
-- (text built with .. only: after a memory error inside string.format or
-- table.concat, which build in a luaL_Buffer, Lua 5.4.4 could not run the
-- scenario again in the same state: "got a non-closable value")
local text = '{"$metadata": {"tokenSetOrder": ["core"]}, "core": {"g": {'
for i = 1, 40 do
  text = text .. (i > 1 and "," or "") .. '"t' .. i .. '": {"value": "{t' .. i // 2 .. '} * 2", "type": "spacing",'
    .. ' "description": "d\\u00e9", "$extensions": {"studio.tokens": {"modify": {"type": "alpha", "value": "0.'
    .. i % 10 .. '"}}}}'
end
text = text .. '}}}'
local doc = assert(tf.json_read(text, null))
assert(doc:detect() == "tokens-studio")
assert(doc:get("$metadata").tokenSetOrder[1] == "core")
assert(#doc:keys() == 2 and doc:kind("core") == "object")
local defs, count, names = doc:flatten("core", true, { spacing = tf.json_shapes.scalar })
assert(count == 40 and #names == 40 and defs["g.t7"].modify.value == "0.7")
assert(defs["g.t1"].description == "d\u{e9}")
doc:close()
assert(tf.json_read("[1,]", null) == nil)
local missing = tf.json_read_file("/nonexistent/tokens.json", null)
assert(missing == nil)
return "ok"

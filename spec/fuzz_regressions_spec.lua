-- Inputs the fuzzers in fuzz/ found to crash or break an invariant, kept
-- as regression tests once fixed.
local tf = require "tokenflow"

describe("fuzz regressions", function()
  it("cache: replacing the only entry carrying a tag with one carrying the same tag", function()
    -- fuzz_cache: the tag's node was freed while the new entry linked to it
    local c = tf.cache { capacity = 4 }
    c:set("k", 1, { tags = { "a" } })
    c:set("k", 2, { tags = { "a", "b" } })
    assert.are.equal(2, c:get("k"))
    assert.are.equal(1, c:invalidate("a"))
    assert.is_nil(c:get("k"))
    assert.are.equal(0, c:invalidate("b"))
    c:close()
  end)
end)

describe("fuzz regressions: deep nesting in token text", function()
  local deep_parens = string.rep("(", 120) .. "5 % +2" .. string.rep(")", 120)
  local deep_braces = string.rep("{", 300) .. "a" .. string.rep("}", 300)

  it("eval of an expression nested deeper than the parser's stack fails with a reason", function()
    -- fuzz_math: LPeg's "backtrack stack overflow" escaped from Resolved:eval
    local r = assert(assert(tf.tokens.new { core = { a = { value = "4", type = "spacing" } } }):resolve())
    local v, info = r:eval(deep_parens)
    assert.are.equal(deep_parens, v)
    assert.is_true(info.failed)
    assert.matches("nested too deeply", info.reason)
  end)

  it("a token value with deeply nested braces loads and resolves as text", function()
    local set = assert(tf.tokens.new { core = { a = { value = deep_braces, type = "other" }, b = { value = deep_parens, type = "spacing" } } })
    local r = assert(set:resolve())
    assert.are.equal(deep_braces, (r:get("a")))
    local v, info = r:get("b")
    assert.are.equal(deep_parens, v)
    assert.is_true(info.failed)
  end)
end)

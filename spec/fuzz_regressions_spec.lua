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

describe("fuzz regressions: a reference whose whole name is a reference", function()
  it("'{{a}}' resolves the inner name, in eval and in token values", function()
    -- fuzz_math: "{{...}}" sent a reference part, not a name, to the lookup
    local set = assert(tf.tokens.new { core = {
      a = { value = "b", type = "other" }, b = { value = "4", type = "spacing" },
      c = { value = "{{a}}", type = "spacing" }, d = { value = "{{b}}", type = "spacing" },
    } })
    local r = assert(set:resolve())
    assert.are.equal(4, (r:eval("{{a}}")))
    assert.are.equal(4, (r:get("c")))
    local v, info = r:eval("{{missing}}")
    assert.is_true(info.failed)
    assert.are.equal("string", type(v))
    local _, dinfo = r:get("d") -- "{b}" is 4, and no token is named "4"
    assert.is_true(dinfo.failed)
  end)
end)

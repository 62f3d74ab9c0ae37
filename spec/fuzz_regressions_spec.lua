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

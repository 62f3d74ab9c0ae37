local tf = require "tokenflow"
local h = require "tokens_helper"

describe("tf.cache with a store (second tier)", function()
  local dir, st
  before_each(function()
    dir = h.tmpdir()
    st = assert(tf.store(dir .. "/l2.db"))
  end)
  after_each(function()
    st:close()
    h.rmdir(dir)
  end)

  local function counting_loader()
    local calls = { n = 0 }
    return function(key)
      calls.n = calls.n + 1
      return { combo = type(key) == "table" and table.concat(key, "+") or key }
    end, calls
  end

  it("writes through to the store and serves a new cache from it", function()
    local loader, calls = counting_loader()
    local a = tf.cache { capacity = 10, store = st }
    assert.are.same({ combo = "colors.red+radius.md" }, a:fetch({ "colors.red", "radius.md" }, loader))
    a:set(7, "seven")
    assert.are.equal(1, calls.n)
    assert.are.equal(2, st:stats().entries)
    -- a new cache (a restart) over the same store: no loader call
    local b = tf.cache { capacity = 10, store = st }
    assert.are.same({ combo = "colors.red+radius.md" }, b:fetch({ "colors.red", "radius.md" }, loader))
    assert.are.equal(1, calls.n)
    assert.are.equal("seven", b:get(7))
    -- now in memory: the next lookup does not reach the store
    local before = st:stats().hits
    assert.are.equal("seven", b:get(7))
    assert.are.equal(before, st:stats().hits)
    local s = b:stats()
    assert.are.same({ 2, 0 }, { s.l2_hits, s.l2_misses })
    assert.is_nil(b:get("never"))
    assert.are.equal(1, b:stats().l2_misses)
  end)

  it("calls the loader when neither tier has the key", function()
    local loader, calls = counting_loader()
    local c = tf.cache { capacity = 10, store = st }
    c:fetch("a", loader)
    c:fetch("b", loader)
    assert.are.equal(2, calls.n)
  end)

  it("invalidate removes from both tiers, with tags kept across the store", function()
    local a = tf.cache { capacity = 10, store = st }
    a:set("k1", 1, { tags = { "colors.red" } })
    a:set("k2", 2, { tags = { "size.md" } })
    -- b gets k1 back from the store, with its tag
    local b = tf.cache { capacity = 10, store = st }
    assert.are.equal(1, b:get("k1"))
    assert.are.equal(1, b:invalidate("colors.red"))
    assert.is_nil(b:get("k1"))
    assert.is_nil(st:get("tokenflow.cache\0" .. tf.pack("k1")))
    assert.is_nil(tf.cache { capacity = 10, store = st }:get("k1"))
    -- a tag only the store knows: still dropped there
    assert.are.equal(0, b:invalidate("size.md"))
    assert.is_nil(tf.cache { capacity = 10, store = st }:get("k2"))
  end)

  it("delete removes from both tiers; flush empties memory only", function()
    local a = tf.cache { capacity = 10, store = st }
    a:set("k", "v")
    a:set("j", "w")
    assert.is_true(a:delete("k"))
    assert.is_nil(a:get("k"))
    assert.is_nil(tf.cache { capacity = 10, store = st }:get("k"))
    -- delete of a key only in the store
    local b = tf.cache { capacity = 10, store = st }
    a:flush()
    assert.are.equal(0, #a)
    assert.are.equal("w", a:get("j"))
    assert.is_true(b:delete("j"))
    assert.is_nil(tf.cache { capacity = 10, store = st }:get("j"))
  end)

  it("refuses values the format cannot hold before changing anything", function()
    local c = tf.cache { capacity = 10, store = st }
    assert.has_error(function() c:set("f", { fn = print }) end, "cannot serialise a function at value.fn")
    assert.is_nil(c:get("f"))
    assert.are.equal(0, st:stats().entries)
  end)

  it("rejects a store that is not one, and a closed store", function()
    assert.has_error(function() tf.cache { capacity = 1, store = {} } end,
      "bad argument #1 to 'cache' (store must be a tokenflow.Store)")
    local closed = assert(tf.store(dir .. "/x.db"))
    closed:close()
    assert.has_error(function() tf.cache { capacity = 1, store = closed } end, "attempt to use a closed tokenflow.Store")
    local c = tf.cache { capacity = 1, store = st }
    st:close()
    assert.has_error(function() c:get("x") end, "attempt to use a closed tokenflow.Store")
  end)

  it("leaves a cache without a store as it was", function()
    local c = tf.cache { capacity = 2 }
    c:set("a", 1)
    assert.is_nil(c:stats().l2_hits)
    assert.are.equal(0, st:stats().entries)
  end)

  it("keys numbers as the memory tier does (1.0 is 1)", function()
    local a = tf.cache { capacity = 4, store = st }
    a:set(1.0, "one")
    a:set({ "colors.red", 2.0 }, "pair")
    local b = tf.cache { capacity = 4, store = st }
    assert.are.equal("one", b:get(1))
    assert.are.equal("pair", b:get({ "colors.red", 2 }))
    -- a key the memory tier refuses never reaches the store
    local entries = st:stats().entries
    assert.has_error(function() a:set(1.5, "x") end)
    assert.has_error(function() a:set({ "a", {} }, "x") end)
    assert.are.equal(entries, st:stats().entries)
  end)
end)

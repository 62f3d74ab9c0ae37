local tf = require "tokenflow"

-- A cache whose clock is `now[1]` and which logs every notification as
-- "key=value:reason" (tuples joined with ",").
local function logged_cache(opts)
  local log, now = {}, { 0 }
  opts.clock = opts.clock or function() return now[1] end
  opts.on_evict = opts.on_evict or function(key, value, reason)
    if type(key) == "table" then key = "{" .. table.concat(key, ",") .. "}" end
    log[#log + 1] = tostring(key) .. "=" .. tostring(value) .. ":" .. reason
  end
  return tf.cache(opts), log, now
end

local function collect_keys(cache)
  local out = {}
  for k in cache:keys() do
    if type(k) == "table" then k = "{" .. table.concat(k, ",") .. "}" end
    out[#out + 1] = k
  end
  return out
end

describe("tf.cache", function()
  it("is exposed by the facade and the core", function()
    assert.are.equal(require("tokenflow.core").cache, tf.cache)
  end)

  describe("keys", function()
    local cache
    before_each(function() cache = tf.cache { capacity = 100, names = tf.interner() } end)
    after_each(function() cache:close() end)

    it("stores and finds strings, integers and tuples", function()
      cache:set("colors.primary", "#f00")
      cache:set(42, "answer")
      cache:set({ "colors.primary", "radius.md" }, "combo")
      cache:set({ "colors.primary", 7, -3 }, "mixed")
      assert.are.equal("#f00", cache:get("colors.primary"))
      assert.are.equal("answer", cache:get(42))
      assert.are.equal("combo", cache:get({ "colors.primary", "radius.md" }))
      assert.are.equal("mixed", cache:get({ "colors.primary", 7, -3 }))
    end)

    it("treats equal tuples as one key, order and kind matter", function()
      cache:set({ "a", "b" }, 1)
      assert.are.equal(1, cache:get({ "a", "b" }))
      assert.is_nil(cache:get({ "b", "a" }))
      assert.is_nil(cache:get("a,b"))
      cache:set({ "a", "b" }, 2)
      assert.are.equal(2, cache:get({ "a", "b" }))
      assert.are.equal(1, #cache)
    end)

    it("finds short tuples of strings by the strings themselves, and every other tuple by its names", function()
      local long = string.rep("x", 60) -- longer than Lua interns
      cache:set({ "a", "b", "c" }, "three")
      cache:set({ "a", long }, "long")
      cache:set({ "a", "b", "c", "d" }, "four")
      cache:set({ "a" }, "one")
      assert.are.equal("three", cache:get({ "a", "b", "c" }))
      assert.are.equal("long", cache:get({ "a", string.rep("x", 60) }))
      assert.are.equal("four", cache:get({ "a", "b", "c", "d" }))
      assert.are.equal("one", cache:get({ "a" }))
      assert.is_nil(cache:get("a"))
      assert.is_nil(cache:get({ "a", "b" }))
      assert.is_nil(cache:get({ "a", "c", "b" }))
      assert.is_nil(cache:get({ "never", "seen" }))
      cache:delete({ "a", "b", "c" })
      assert.is_nil(cache:get({ "a", "b", "c" }))
      cache:set({ "a", "b", "c" }, "again")
      assert.are.equal("again", cache:get({ "a", "b", "c" }))
      local s = cache:stats()
      assert.are.equal(5, s.hits)
      assert.are.equal(5, s.misses)
    end)

    it("finds tuples the update job stored, and keeps finding its own beside them", function()
      local shared = tf.cache { capacity = 100 }
      local r = assert(assert(tf.tokens.new { core = { colors = { red = { value = "#f00", type = "color" } } } }):resolve {})
      tf.update { tokens = r, source = { { tokens = { fill = "colors.red" } } }, write = function() end,
        cache = shared }:run()
      shared:set({ "mine", "too" }, "lua")
      local keys, plans = {}, 0
      for key in shared:keys() do keys[#keys + 1] = key end
      assert.are.equal(2, #keys)
      for _, key in ipairs(keys) do
        local value = shared:get({ table.unpack(key) }) -- equal strings, a new table
        assert.is_not_nil(value)
        if value ~= "lua" then plans = plans + 1 end
      end
      assert.are.equal(1, plans)
      assert.are.equal("lua", shared:get({ "mine", "too" }))
      assert.is_nil(shared:get({ "fill", "colors.blue" }))
      shared:close()
    end)

    it("keeps '1' apart from 1, and a scalar apart from its 1-tuple", function()
      cache:set("1", "string")
      cache:set(1, "integer")
      cache:set({ 1 }, "tuple of integer")
      cache:set({ "1" }, "tuple of string")
      assert.are.equal("string", cache:get("1"))
      assert.are.equal("integer", cache:get(1))
      assert.are.equal("tuple of integer", cache:get({ 1 }))
      assert.are.equal("tuple of string", cache:get({ "1" }))
      assert.are.equal(4, #cache)
    end)

    it("accepts floats with an integer value as that integer", function()
      cache:set(3.0, "three")
      assert.are.equal("three", cache:get(3))
      cache:set({ "a", 2.0 }, "pair")
      assert.are.equal("pair", cache:get({ "a", 2 }))
      local newest = cache:keys()()
      assert.are.equal("integer", math.type(newest[2]))
    end)

    it("handles extreme integers, byte strings and long tuples", function()
      local long = {}
      for i = 1, 200 do long[i] = (i % 2 == 0) and ("n" .. i) or i end
      cache:set(math.mininteger, "min")
      cache:set(math.maxinteger, "max")
      cache:set("a\0b", "zero")
      cache:set("", "empty")
      cache:set(long, "long")
      local long_string = string.rep("token.name.", 1000)
      cache:set(long_string, "long string")
      assert.are.equal("long string", cache:get(long_string))
      assert.is_nil(cache:get(long_string .. "x"))
      assert.are.equal("min", cache:get(math.mininteger))
      assert.are.equal("max", cache:get(math.maxinteger))
      assert.are.equal("zero", cache:get("a\0b"))
      assert.is_nil(cache:get("a"))
      assert.are.equal("empty", cache:get(""))
      assert.are.equal("long", cache:get(long))
      long[200] = "other"
      assert.is_nil(cache:get(long))
    end)

    -- Strings longer than 40 bytes are not interned by Lua: each
    -- concatenation below makes a new object with the same content.
    local function long_key(i) return string.rep("token.combination.", 3) .. i end

    it("finds string keys of every length around Lua's short-string limit, built apart", function()
      local c = tf.cache { capacity = 200 }
      for n = 1, 80 do c:set(string.rep("k", n - 1) .. "!", n) end
      for n = 1, 80 do
        local built = table.concat { string.rep("k", n - 1), "!" }
        assert.are.equal(n, c:get(built))
        assert.is_nil(c:get(built .. "?"))
      end
      local s = c:stats()
      assert.are.equal(80, s.hits)
      assert.are.equal(80, s.misses)
    end)

    it("finds a long string key through an equal string in another object", function()
      local c = tf.cache { capacity = 10 }
      local a, b = long_key(1), long_key(1)
      c:set(a, "v1")
      assert.are.equal("v1", c:get(a))
      assert.are.equal("v1", c:get(b))
      c:set(b, "v2") -- replaces the entry, now keyed by the other object
      assert.are.equal("v2", c:get(a))
      assert.are.equal("v2", c:get(b))
      assert.are.equal("v2", c:get(long_key(1)))
      assert.are.equal(1, #c)
      assert.are.same({ long_key(1) }, collect_keys(c))
      local s = c:stats()
      assert.are.equal(5, s.hits)
      assert.are.equal(0, s.misses)
      c:close()
    end)

    it("never answers for a key string that left the cache and was collected", function()
      local c, log, now = logged_cache { capacity = 4 }
      local ways = {
        function(keys) for i = 5, 8 do c:set(keys[i], i) end end, -- capacity
        function(keys) for i = 1, 4 do c:delete(keys[i]) end end,
        function() c:flush() end,
        function() c:invalidate("t") end,
        function() for i = 1, 4 do c:set(long_key(i), "replaced by another object") end end,
        function() now[1] = now[1] + 20 ; for i = 1, 4 do c:get(long_key(i)) end end, -- expired
      }
      for _ = 1, 20 do
        for _, leave in ipairs(ways) do
          local keys = {}
          for i = 1, 8 do keys[i] = long_key(i) end
          c:flush()
          for i = 1, 4 do c:set(keys[i], i, { tags = { "t" }, ttl = 10 }) end
          leave(keys)
          keys = nil -- luacheck: ignore 311 (the keys may be collected)
          collectgarbage("collect")
          collectgarbage("collect")
          -- new objects with other contents, some perhaps at the addresses
          -- just freed (the allocator decides); looked up with no store in
          -- between. A stale identity would also be a use after free, which
          -- the sanitized run reports.
          local hits = c:stats().hits
          for i = 1, 64 do
            local k = i % 2 == 0 and string.rep("token.combinatioN.", 3) .. (i % 10) -- as long as the keys
              or string.rep("x", 40 + i)
            assert.is_nil(c:get(k))
          end
          assert.are.equal(hits, c:stats().hits)
        end
      end
      assert.is_true(#log > 0)
      c:close()
    end)

    it("expires and reorders entries found by identity like any other", function()
      local c, log, now = logged_cache { capacity = 3, ttl = 10 }
      local a, b, x = "short.a", long_key(1), long_key(2)
      c:set(a, 1)
      c:set(b, 2)
      c:set(x, 3)
      assert.are.equal(1, c:get(a)) -- a is now the most recent
      assert.are.same({ "short.a", long_key(2), long_key(1) }, collect_keys(c))
      c:set("d", 4) -- evicts b
      assert.are.same({ long_key(1) .. "=2:capacity" }, log)
      assert.is_nil(c:get(b))
      now[1] = 10
      local v, stale = c:get(x)
      assert.is_nil(v)
      assert.are.equal(3, stale)
      assert.are.equal(long_key(2) .. "=3:expired", log[2])
      assert.is_nil(c:get(x))
      c:close()
    end)

    it("interns tuple names on set only, and single strings never", function()
      local names = tf.interner()
      local c = tf.cache { capacity = 10, names = names }
      c:set({ "known" }, 1)
      c:set("single.string.key", 2)
      assert.are.equal(1, #names)
      assert.are.equal("known", names:name(1))
      assert.is_nil(c:get("never.seen"))
      assert.is_nil(c:get({ "known", "never.seen" }))
      assert.is_false(c:delete({ "never.seen" }))
      assert.are.equal(0, c:invalidate("never.seen"))
      assert.are.equal(1, #names)
      assert.are.equal(2, c:stats().misses)
      c:close()
    end)

    it("uses tf.names by default", function()
      local c = tf.cache { capacity = 10 }
      c:set({ "cache.spec.default.interner" }, 1)
      assert.is_number(tf.names:lookup("cache.spec.default.interner"))
      c:close()
    end)
  end)

  describe("set, get, fetch, delete, flush", function()
    it("returns nil on a miss, true from set", function()
      local c = tf.cache { capacity = 2 }
      assert.is_nil(c:get("missing"))
      assert.is_true(c:set("k", false))
      assert.are.equal(false, c:get("k"))
    end)

    it("fetches: loader on a miss only, stores its result", function()
      local c = tf.cache { capacity = 10 }
      local calls = 0
      local function loader(key)
        calls = calls + 1
        return "loaded " .. key
      end
      assert.are.equal("loaded a", c:fetch("a", loader))
      assert.are.equal("loaded a", c:fetch("a", loader))
      assert.are.equal(1, calls)
      assert.are.equal("loaded a", c:get("a"))
    end)

    it("passes tuple keys to the loader and applies opts", function()
      local c, _, now = logged_cache { capacity = 10 }
      local seen
      local v = c:fetch({ "x", 2 }, function(k) seen = k return "v" end, { ttl = 5, tags = { "t" } })
      assert.are.equal("v", v)
      assert.are.same({ "x", 2 }, seen)
      assert.are.equal(1, c:invalidate("t"))
      c:fetch("y", function() return "w" end, { ttl = 5 })
      now[1] = 5
      assert.are.same({ nil, "w" }, { c:get("y") })
    end)

    it("stores nothing when the loader errors or returns nil", function()
      local c = tf.cache { capacity = 10 }
      assert.has_error(function() c:fetch("a", function() error("loader failed", 0) end) end, "loader failed")
      assert.is_nil(c:fetch("b", function() return nil end))
      assert.are.equal(0, #c)
      assert.is_nil(c:get("a"))
    end)

    it("survives a loader that closes the cache", function()
      local c = tf.cache { capacity = 10 }
      assert.has_error(function() c:fetch("a", function() c:close() return 1 end) end,
        "attempt to use a closed tokenflow.Cache")
    end)

    it("deletes one entry and flushes all", function()
      local c, log = logged_cache { capacity = 10 }
      c:set("a", 1)
      c:set("b", 2)
      c:set("c", 3)
      assert.is_true(c:delete("a"))
      assert.is_false(c:delete("a"))
      assert.is_nil(c:get("a"))
      assert.are.equal(2, c:flush())
      assert.are.equal(0, #c)
      assert.are.same({ "a=1:deleted", "b=2:deleted", "c=3:deleted" }, log)
    end)

    it("reports its capacity and byte budget", function()
      assert.are.same({ 5 }, { tf.cache { capacity = 5 }:capacity() })
      assert.are.same({ 5, 100 }, { tf.cache { capacity = 5, max_bytes = 100 }:capacity() })
    end)
  end)

  describe("eviction", function()
    it("drops the least recently used beyond capacity", function()
      local c, log = logged_cache { capacity = 3 }
      c:set("a", 1)
      c:set("b", 2)
      c:set("c", 3)
      c:get("a") -- b is now the least recent
      c:set("d", 4)
      assert.are.same({ "b=2:capacity" }, log)
      assert.are.same({ "d", "a", "c" }, collect_keys(c))
      c:set("c", 33) -- replacing makes it most recent, reports nothing
      c:set("e", 5)
      assert.are.same({ "b=2:capacity", "a=1:capacity" }, log)
      assert.are.same({ "e", "c", "d" }, collect_keys(c))
      assert.are.equal(2, c:stats().evictions)
    end)

    it("keeps the byte budget, by given cost or by estimate", function()
      local c, log = logged_cache { capacity = 100, max_bytes = 10 }
      c:set("a", "xxxx") -- 4 bytes
      c:set("b", "yyyy") -- 8
      c:set("c", "zzzz") -- 12: a goes
      assert.are.same({ "a=xxxx:bytes" }, log)
      assert.are.equal(8, c:stats().bytes)
      c:set("d", {}, { cost = 10 })
      assert.are.same({ "a=xxxx:bytes", "b=yyyy:bytes", "c=zzzz:bytes" }, log)
      assert.are.equal(10, c:stats().bytes)
    end)

    it("refuses a value bigger than the whole budget", function()
      local c, log = logged_cache { capacity = 10, max_bytes = 10 }
      c:set("k", "old")
      assert.is_false(c:set("k", string.rep("x", 11)))
      assert.is_nil(c:get("k"))
      assert.are.same({ "k=old:bytes" }, log)
    end)

    it("estimates table cost by a bounded shallow walk", function()
      local c = tf.cache { capacity = 10 }
      c:set("t", { a = "xy", [1] = 5 })
      -- 40 + (16 + 1 + 2) + 16
      assert.are.equal(75, c:stats().bytes)
      local big = {}
      for i = 1, 1000 do big["k" .. i] = { nested = string.rep("x", 100) } end
      c:set("big", big)
      assert.is_true(c:stats().bytes - 75 <= 40 + 64 * (16 + 5))
      local other = tf.cache { capacity = 10 }
      other:set("n", 1.5)
      other:set("f", print)
      other:set("s", "four")
      assert.are.equal(8 + 8 + 4, other:stats().bytes)
    end)
  end)

  describe("ttl", function()
    it("expires entries by the clock, returning the stale value once", function()
      local c, log, now = logged_cache { capacity = 10, ttl = 10 }
      c:set("a", "A")
      c:set("b", "B", { ttl = 100 })
      now[1] = 9.9
      assert.are.equal("A", c:get("a"))
      now[1] = 10
      assert.are.same({ nil, "A" }, { c:get("a") })
      assert.is_nil(select(2, c:get("a")))
      assert.are.equal("B", c:get("b"))
      assert.are.same({ "a=A:expired" }, log)
      local s = c:stats()
      assert.are.equal(1, s.stale)
      assert.are.equal(1, s.expirations)
    end)

    it("reports expired entries pushed out by capacity as expired", function()
      local c, log, now = logged_cache { capacity = 2 }
      c:set("a", 1, { ttl = 1 })
      c:set("b", 2)
      now[1] = 2
      c:set("c", 3)
      assert.are.same({ "a=1:expired" }, log)
    end)

    it("skips expired entries in keys()", function()
      local c, _, now = logged_cache { capacity = 10 }
      c:set("a", 1, { ttl = 1 })
      c:set("b", 2)
      now[1] = 1
      assert.are.same({ "b" }, collect_keys(c))
    end)

    it("calls fetch's loader again once expired", function()
      local c, _, now = logged_cache { capacity = 10 }
      local n = 0
      local function loader() n = n + 1 return n end
      assert.are.equal(1, c:fetch("k", loader, { ttl = 1 }))
      assert.are.equal(1, c:fetch("k", loader))
      now[1] = 1
      assert.are.equal(2, c:fetch("k", loader))
    end)

    it("uses tf.now without an injected clock", function()
      local c = tf.cache { capacity = 10, ttl = 1000 }
      c:set("a", 1)
      assert.are.equal(1, c:get("a"))
    end)
  end)

  describe("tags", function()
    it("invalidates every entry carrying any of the tags", function()
      local names = tf.interner()
      local c, log = logged_cache { capacity = 100, names = names }
      c:set("a", 1, { tags = { "colors.primary", "spacing.base" } })
      c:set("b", 2, { tags = { "colors.primary" } })
      c:set("c", 3, { tags = { "radius.md" } })
      c:set("d", 4)
      assert.are.equal(2, c:invalidate("colors.primary"))
      assert.are.equal(0, c:invalidate("colors.primary", "spacing.base"))
      assert.are.same({ "d", "c" }, collect_keys(c))
      -- integer ids name the same tags as the strings
      assert.are.equal(1, c:invalidate(names:lookup("radius.md"), "nope"))
      -- within a tag, the most recently tagged entry goes first
      assert.are.same({ "b=2:invalidated", "a=1:invalidated", "c=3:invalidated" }, log)
      assert.are.equal(3, c:stats().invalidations)
      c:set("e", 5, { tags = { 12345 } })
      assert.are.equal(1, c:invalidate(12345))
    end)

    it("takes long tag lists, ignoring duplicates", function()
      local c = tf.cache { capacity = 10 }
      local tags = {}
      for i = 1, 40 do tags[i] = (i % 2 == 0) and ("tag." .. i) or i end
      tags[41] = "tag.2"
      c:set("a", 1, { tags = tags })
      c:fetch("b", function() return 2 end, { tags = tags })
      assert.are.equal(2, c:invalidate("tag.40"))
      assert.are.equal(0, c:invalidate(1, "tag.2"))
    end)

    it("replaces the tags of a replaced entry", function()
      local c = tf.cache { capacity = 10 }
      c:set("a", 1, { tags = { "t1" } })
      c:set("a", 2, { tags = { "t2" } })
      assert.are.equal(0, c:invalidate("t1"))
      assert.are.equal(1, c:invalidate("t2"))
    end)
  end)

  describe("on_evict", function()
    it("hears all five reasons", function()
      local c, log, now = logged_cache { capacity = 2, max_bytes = 100 }
      c:set("a", 1) -- capacity, below
      c:set("b", 2, { tags = { "t" } })
      c:set("c", 3, { ttl = 1 })
      c:invalidate("t")
      now[1] = 1
      c:get("c")
      c:set("d", "x", { cost = 60 })
      c:set("e", "y", { cost = 60 })
      c:delete("e")
      assert.are.same({ "a=1:capacity", "b=2:invalidated", "c=3:expired", "d=x:bytes", "e=y:deleted" }, log)
    end)

    it("gets tuple keys as new tables", function()
      local c, log = logged_cache { capacity = 1 }
      c:set({ "a", 1 }, "v")
      c:set("b", "w")
      assert.are.same({ "{a,1}=v:capacity" }, log)
    end)

    it("delivers every notification when one raises, then raises the first error", function()
      local seen = {}
      local c = tf.cache {
        capacity = 10,
        on_evict = function(key)
          seen[#seen + 1] = key
          error("callback failed on " .. key, 0)
        end,
      }
      c:set("a", 1)
      c:set("b", 2)
      c:set("c", 3)
      assert.has_error(function() c:flush() end, "callback failed on a")
      assert.are.same({ "a", "b", "c" }, seen)
      assert.are.equal(0, #c)
      -- still consistent and usable
      assert.is_true(c:set("d", 4))
      assert.are.equal(4, c:get("d"))
    end)

    it("runs after the operation is complete, and may use the cache", function()
      local c
      local seen = {}
      c = tf.cache {
        capacity = 2,
        on_evict = function(key)
          seen[#seen + 1] = { key, #c, c:get("c"), c:get(key) }
          c:set("from.callback", true)
        end,
      }
      c:set("a", 1)
      c:set("b", 2)
      c:set("c", 3)
      -- the callback's own set pushed out b, reported in turn
      assert.are.same({ { "a", 2, 3 }, { "b", 2, 3 } }, seen)
      assert.are.same({ "from.callback", "c" }, collect_keys(c))
    end)

    it("is not called by close", function()
      local c, log = logged_cache { capacity = 10 }
      c:set("a", 1)
      c:close()
      assert.are.same({}, log)
    end)
  end)

  describe("value lifetime", function()
    local function tracked()
      return setmetatable({}, { __mode = "v" })
    end

    it("keeps values alive while cached", function()
      local c = tf.cache { capacity = 10 }
      local weak = tracked()
      weak[1] = {}
      c:set("a", weak[1])
      collectgarbage("collect")
      assert.is_table(weak[1])
      assert.are.equal(weak[1], c:get("a"))
    end)

    it("releases values on eviction, delete, replace, flush and invalidate", function()
      local c = tf.cache { capacity = 1 }
      local weak = tracked()
      weak[1], weak[2], weak[3], weak[4], weak[5], weak[6] = {}, {}, {}, {}, {}, {}
      c:set("a", weak[1])
      c:set("b", weak[2]) -- evicts a
      c:set("b", weak[3]) -- replaces
      c:delete("b")
      c:set("c", weak[4])
      c:flush()
      c:set("d", weak[5], { tags = { "t" } })
      c:invalidate("t")
      c:set("e", weak[6])
      collectgarbage("collect")
      collectgarbage("collect")
      assert.is_nil(weak[1])
      assert.is_nil(weak[2])
      assert.is_nil(weak[3])
      assert.is_nil(weak[4])
      assert.is_nil(weak[5])
      assert.is_table(weak[6])
    end)

    it("releases values when closed", function()
      local c = tf.cache { capacity = 10 }
      local weak = tracked()
      weak[1] = {}
      c:set("a", weak[1])
      c:close()
      collectgarbage("collect")
      assert.is_nil(weak[1])
    end)

    it("releases values and engine memory when collected", function()
      local weak = tracked()
      local names = tf.interner()
      names:intern("a")
      local before = tf.engine_bytes()
      do
        local c = tf.cache { capacity = 10, names = names }
        weak[1] = {}
        c:set("a", weak[1])
        weak[2] = c
        assert.is_true(tf.engine_bytes() > before)
      end
      collectgarbage("collect")
      collectgarbage("collect")
      assert.is_nil(weak[1])
      assert.is_nil(weak[2])
      assert.are.equal(before, tf.engine_bytes())
    end)

    it("closes as a to-be-closed variable", function()
      local outer
      do
        local c <close> = tf.cache { capacity = 1 }
        outer = c
      end
      assert.has_error(function() outer:get("a") end, "attempt to use a closed tokenflow.Cache")
    end)
  end)

  describe("introspection", function()
    it("counts hits, misses and stale lookups", function()
      local c, _, now = logged_cache { capacity = 10 }
      c:set("a", 1)
      c:set("b", 2, { ttl = 1 })
      c:get("a")
      c:get("a")
      c:get("zzz")
      now[1] = 2
      c:get("b")
      local s = c:stats()
      assert.are.same({
        entries = 1, bytes = 8, hits = 2, misses = 2, stale = 1, evictions = 0,
        expirations = 1, invalidations = 0, hit_rate = 0.5,
      }, s)
    end)

    it("lists keys most recent first, as given", function()
      local c = tf.cache { capacity = 10 }
      c:set("a", 1)
      c:set(2, 2)
      c:set({ "x", 3 }, 3)
      c:get("a")
      local keys = {}
      for k in c:keys() do keys[#keys + 1] = k end
      assert.are.same({ "a", { "x", 3 }, 2 }, keys)
      assert.are.equal("integer", math.type(keys[3]))
    end)

    it("lets the keys() loop change the cache", function()
      local c = tf.cache { capacity = 10 }
      for i = 1, 5 do c:set(i, i) end
      local n = 0
      for k in c:keys() do
        n = n + 1
        c:delete(k)
        c:get(1)
      end
      assert.are.equal(5, n)
      assert.are.equal(0, #c)
    end)

    it("says what it holds in tostring", function()
      local c = tf.cache { capacity = 1000 }
      assert.are.equal("tokenflow.Cache (0/1000 entries, 0.0% hits)", tostring(c))
      c:set("a", 1)
      c:set("b", 2)
      c:get("a")
      c:get("a")
      c:get("nope")
      assert.are.equal("tokenflow.Cache (2/1000 entries, 66.7% hits)", tostring(c))
      c:close()
      assert.are.equal("tokenflow.Cache (closed)", tostring(c))
    end)

    it("has a __name", function()
      assert.are.equal("tokenflow.Cache", getmetatable(tf.cache { capacity = 1 }).__name)
    end)
  end)

  describe("closed caches", function()
    it("raise on every method and close idempotently", function()
      local c = tf.cache { capacity = 1 }
      c:close()
      c:close()
      local msg = "attempt to use a closed tokenflow.Cache"
      assert.has_error(function() c:get("a") end, msg)
      assert.has_error(function() c:set("a", 1) end, msg)
      assert.has_error(function() c:fetch("a", print) end, msg)
      assert.has_error(function() c:delete("a") end, msg)
      assert.has_error(function() c:invalidate("a") end, msg)
      assert.has_error(function() c:flush() end, msg)
      assert.has_error(function() c:keys() end, msg)
      assert.has_error(function() c:stats() end, msg)
      assert.has_error(function() c:capacity() end, msg)
      assert.has_error(function() return #c end, msg)
    end)

    it("raise when their interner was closed", function()
      local names = tf.interner()
      local c = tf.cache { capacity = 1, names = names }
      names:close()
      assert.has_error(function() c:get("a") end, "attempt to use a closed tokenflow.Interner")
    end)
  end)

  describe("bad arguments", function()
    local c
    before_each(function() c = tf.cache { capacity = 10 } end)

    it("in keys name the position", function()
      assert.has_error(function() c:get(1.5) end, "bad argument #1 to 'get' (key has no integer representation)")
      assert.has_error(function() c:get(nil) end,
        "bad argument #1 to 'get' (key must be a string, an integer or an array of them, got nil)")
      assert.has_error(function() c:set(true, 1) end,
        "bad argument #1 to 'set' (key must be a string, an integer or an array of them, got boolean)")
      assert.has_error(function() c:get({}) end, "bad argument #1 to 'get' (key tuple is empty)")
      assert.has_error(function() c:get({ "a", {} }) end,
        "bad argument #1 to 'get' (key element 2 must be a string or an integer, got table)")
      assert.has_error(function() c:delete({ "a", 0.5 }) end,
        "bad argument #1 to 'delete' (key element 2 has no integer representation)")
      assert.has_error(function() c:set({ "a", false }, 1) end,
        "bad argument #1 to 'set' (key element 2 must be a string or an integer, got boolean)")
    end)

    it("in set, fetch and invalidate", function()
      assert.has_error(function() c:set("a") end, "bad argument #2 to 'set' (value must not be nil)")
      assert.has_error(function() c:set("a", 1, 5) end, "bad argument #3 to 'set' (table expected, got number)")
      assert.has_error(function() c:set("a", 1, { ttl = 0 }) end, "bad argument #3 to 'set' (ttl must be a positive number)")
      assert.has_error(function() c:set("a", 1, { ttl = "1" }) end, "bad argument #3 to 'set' (ttl must be a positive number)")
      assert.has_error(function() c:set("a", 1, { cost = -1 }) end,
        "bad argument #3 to 'set' (cost must be a non-negative integer)")
      assert.has_error(function() c:set("a", 1, { tags = "t" }) end,
        "bad argument #3 to 'set' (tags must be an array of strings or integer ids)")
      assert.has_error(function() c:set("a", 1, { tags = { "t", 0 } }) end,
        "bad argument #3 to 'set' (tags[2] must be a string or an integer id)")
      assert.has_error(function() c:set("a", 1, { tag = { "t" } }) end, "bad argument #3 to 'set' (unknown option 'tag')")
      assert.has_error(function() c:fetch("a") end, "bad argument #2 to 'fetch' (function expected, got no value)")
      assert.has_error(function() c:invalidate("a", 1.5) end,
        "bad argument #2 to 'invalidate' (tag must be a string or an integer id)")
      assert.has_error(function() c.get(42, "a") end)
      assert.are.equal(0, #c)
    end)

    it("in the constructor", function()
      assert.has_error(function() tf.cache() end, "bad argument #1 to 'cache' (table expected, got no value)")
      assert.has_error(function() tf.cache {} end, "bad argument #1 to 'cache' (capacity must be a positive integer)")
      assert.has_error(function() tf.cache { capacity = 0 } end,
        "bad argument #1 to 'cache' (capacity must be a positive integer)")
      assert.has_error(function() tf.cache { capacity = 1.5 } end,
        "bad argument #1 to 'cache' (capacity must be a positive integer)")
      assert.has_error(function() tf.cache { capacity = 1, max_bytes = 0 } end,
        "bad argument #1 to 'cache' (max_bytes must be a positive integer)")
      assert.has_error(function() tf.cache { capacity = 1, ttl = -1 } end,
        "bad argument #1 to 'cache' (ttl must be a positive number)")
      assert.has_error(function() tf.cache { capacity = 1, on_evict = 1 } end,
        "bad argument #1 to 'cache' (on_evict must be a function)")
      assert.has_error(function() tf.cache { capacity = 1, clock = {} } end,
        "bad argument #1 to 'cache' (clock must be a function)")
      assert.has_error(function() tf.cache { capacity = 1, names = {} } end,
        "bad argument #1 to 'cache' (names must be a tokenflow.Interner)")
      assert.has_error(function() tf.cache { capacity = 1, size = 1 } end,
        "bad argument #1 to 'cache' (unknown option 'size')")
    end)

    it("from a clock that returns no number", function()
      local cc = tf.cache { capacity = 1, ttl = 1, clock = function() return "soon" end }
      assert.has_error(function() cc:set("a", 1) end, "the cache's clock returned string, not a number")
    end)
  end)

  it("allocates nothing per hit", function()
    local c = tf.cache { capacity = 100 }
    local key = { "colors.primary", "radius.md", 3 }
    c:set(key, "v")
    c:set("s", "w")
    local get = c.get
    for _ = 1, 1000 do get(c, key) end
    collectgarbage("collect")
    collectgarbage("stop")
    local before = collectgarbage("count")
    for _ = 1, 100000 do
      get(c, key)
      get(c, "s")
    end
    local growth = collectgarbage("count") - before
    collectgarbage("restart")
    assert.are.equal(0, growth)
  end)
end)

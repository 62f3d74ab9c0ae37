local tf = require "tokenflow"
local h = require "tokens_helper"

local function read_all(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

describe("tf.store", function()
  local dir, path
  before_each(function()
    dir = h.tmpdir()
    path = dir .. "/cache.db"
  end)
  after_each(function() h.rmdir(dir) end)

  describe("opening", function()
    it("creates a file and keeps entries across opens", function()
      local st = assert(tf.store(path))
      assert.are.equal("tokenflow.Store", getmetatable(st).__name)
      assert.is_true(st:set("k", { a = 1 }))
      st:close()
      local again = assert(tf.store(path))
      assert.are.same({ a = 1 }, again:get("k"))
      assert.are.equal(1, again:stats().entries)
      again:close()
    end)

    it("uses WAL mode and schema version 1", function()
      local st = assert(tf.store(path))
      st:set("k", 1)
      assert.are.equal(1, st:stats().schema)
      st:close() -- the last connection moves the WAL into the file
      -- the header of the file says WAL (bytes 19 and 20 are 2) and user_version 1 (bytes 61-64)
      local head = read_all(path):sub(1, 100)
      assert.are.equal("SQLite format 3\0", head:sub(1, 16))
      assert.are.equal(2, head:byte(19))
      assert.are.equal(2, head:byte(20))
      assert.are.equal(1, string.unpack(">I4", head, 61))
    end)

    it("refuses a file that is not SQLite and leaves it untouched", function()
      local text = "design tokens, not a database\n"
      h.write(dir, "notes.txt", text)
      local st, err = tf.store(dir .. "/notes.txt")
      assert.is_nil(st)
      assert.are.equal(dir .. "/notes.txt: not a tokenflow store (file is not a database); the file was left as it is", err)
      assert.are.equal(text, read_all(dir .. "/notes.txt"))
    end)

    it("refuses a corrupt database and leaves it untouched", function()
      local st = assert(tf.store(path))
      for i = 1, 50 do st:set("k" .. i, string.rep("x", 200)) end
      st:vacuum()
      st:close()
      local bytes = read_all(path)
      -- keep the header, overwrite the page data with garbage
      local damaged = bytes:sub(1, 100) .. string.rep("\255", #bytes - 100)
      local f = assert(io.open(path, "wb"))
      f:write(damaged)
      f:close()
      local bad, err = tf.store(path)
      assert.is_nil(bad)
      assert.matches("^" .. path:gsub("%p", "%%%0") .. ": not a tokenflow store %(", err)
      assert.are.equal(damaged, read_all(path))
    end)

    it("refuses a newer schema version with a clear message", function()
      local st = assert(tf.store(path))
      st:close()
      -- user_version lives at bytes 61-64 of the header
      local bytes = read_all(path)
      local f = assert(io.open(path, "wb"))
      f:write(bytes:sub(1, 60) .. string.pack(">I4", 9) .. bytes:sub(65))
      f:close()
      local newer, err = tf.store(path)
      assert.is_nil(newer)
      assert.are.equal(path .. ": store schema version 9 is newer than this tokenflow supports (1); use a newer tokenflow or another file", err)
    end)

    it("reports a path that cannot be opened", function()
      local st, err = tf.store(dir .. "/missing/dir/x.db")
      assert.is_nil(st)
      assert.matches("missing/dir/x%.db: cannot open: ", err)
    end)

    it("raises on bad arguments", function()
      assert.has_error(function() tf.store({}) end)
      assert.has_error(function() tf.store(path, { ttl = -1 }) end, "bad argument #2 to 'store' (ttl must be a non-negative number)")
      assert.has_error(function() tf.store(path, { max_bytes = 0 }) end, "bad argument #2 to 'store' (max_bytes must be a positive integer)")
      assert.has_error(function() tf.store(path, { size = 1 }) end, "bad argument #2 to 'store' (unknown option 'size')")
    end)
  end)

  describe("entries", function()
    it("expires entries after their ttl", function()
      local now = { 1000 }
      local st = assert(tf.store(path, { ttl = 10, clock = function() return now[1] end }))
      st:set("a", "default ttl")
      st:set("b", "own ttl", { ttl = 100 })
      now[1] = 1009.9
      assert.are.equal("default ttl", st:get("a"))
      now[1] = 1010
      assert.is_nil(st:get("a"))
      assert.are.equal("own ttl", st:get("b"))
      assert.are.equal(1, st:stats().expired)
      now[1] = 2000
      assert.are.equal(1, st:vacuum())
      assert.are.equal(0, st:stats().entries)
      st:close()
    end)

    it("evicts the oldest entries first to stay under max_entries", function()
      local st = assert(tf.store(path, { max_entries = 3 }))
      for i = 1, 5 do st:set("k" .. i, i) end
      assert.is_nil(st:get("k1"))
      assert.is_nil(st:get("k2"))
      assert.are.same({ 3, 4, 5 }, { st:get("k3"), st:get("k4"), st:get("k5") })
      st:set("k3", 33) -- rewritten: now the newest
      st:set("k6", 6)
      assert.is_nil(st:get("k4"))
      assert.are.equal(33, st:get("k3"))
      assert.are.equal(3, st:stats().evicted)
      st:close()
    end)

    it("evicts the oldest entries first to stay under max_bytes", function()
      local st = assert(tf.store(path, { max_bytes = 1000 }))
      for i = 1, 10 do st:set("k" .. i, string.rep("v", 200)) end
      local s = st:stats()
      assert.is_true(s.bytes <= 1000)
      assert.is_true(s.entries >= 4)
      assert.is_nil(st:get("k1"))
      assert.is_not_nil(st:get("k10"))
      -- an entry larger than the cap is not kept
      assert.is_false(st:set("huge", string.rep("x", 2000)))
      assert.is_nil(st:get("huge"))
      st:close()
    end)

    it("deletes, invalidates by tag and clears", function()
      local st = assert(tf.store(path))
      st:set("a", 1, { tags = { "colors.red", "size.md" } })
      st:set("b", 2, { tags = { "size.md" } })
      st:set("c", 3)
      assert.is_true(st:delete("c"))
      assert.is_false(st:delete("c"))
      assert.are.equal(1, st:invalidate("colors.red"))
      assert.is_nil(st:get("a"))
      assert.are.equal(2, st:get("b"))
      assert.are.equal(1, st:invalidate("nothing", "size.md"))
      st:set("p:1", 1)
      st:set("q:1", 1)
      assert.are.equal(1, st:clear("p:"))
      assert.are.equal(1, st:clear())
      assert.are.equal(0, st:stats().entries)
      st:close()
    end)

    it("counts hits, misses and writes in stats and tostring", function()
      local st = assert(tf.store(path))
      st:set("a", 1)
      st:get("a")
      st:get("zz")
      local s = st:stats()
      assert.are.same({ 1, 1, 1, 1 }, { s.entries, s.hits, s.misses, s.writes })
      assert.are.equal(path, s.path)
      assert.is_true(s.file_bytes > 0)
      assert.are.equal(string.format("tokenflow.Store (%s, 1 entries, %d bytes, 1 hits, 1 misses)", path, s.bytes), tostring(st))
      st:close()
    end)

    it("shares one file between two stores", function()
      local a = assert(tf.store(path))
      local b = assert(tf.store(path))
      a:set("k", "from a")
      assert.are.equal("from a", b:get("k"))
      b:delete("k")
      assert.is_nil(a:get("k"))
      a:close()
      b:close()
    end)
  end)

  describe("closing", function()
    it("is idempotent, works with <close>, and later use raises", function()
      local st = assert(tf.store(path))
      st:close()
      st:close()
      assert.are.equal("tokenflow.Store (closed)", tostring(st))
      assert.has_error(function() st:get("k") end, "attempt to use a closed tokenflow.Store")
      assert.has_error(function() st:set("k", 1) end, "attempt to use a closed tokenflow.Store")
      assert.has_error(function() st:stats() end, "attempt to use a closed tokenflow.Store")
      local kept
      do
        local s2 <close> = assert(tf.store(path))
        kept = s2
        s2:set("k", 1)
      end
      assert.are.equal("tokenflow.Store (closed)", tostring(kept))
    end)

    it("is closed by the garbage collector", function()
      local weak = setmetatable({}, { __mode = "v" })
      weak[1] = assert(tf.store(path))
      collectgarbage()
      collectgarbage()
      assert.is_nil(weak[1])
      -- the file is usable again at once
      local st = assert(tf.store(path))
      st:close()
    end)
  end)
end)

describe("tf.pack / tf.unpack", function()
  it("round-trips strings, integers and floats exactly, booleans and nested tables", function()
    local v = {
      s = "text", empty = "", bin = "a\0b\255", i = 42, neg = -7, max = math.maxinteger, min = math.mininteger,
      f = 0.1, third = 1 / 3, big = 1e300, tiny = 5e-324, inf = math.huge, ninf = -math.huge, t = true, no = false,
      list = { 1, 2.0, "three", { four = 4 } }, [1] = "one", [2.5] = "float key", [true] = "bool key",
      deep = { a = { b = { c = { d = "bottom" } } } },
    }
    local back = assert(tf.unpack(tf.pack(v)))
    assert.are.same(v, back)
    assert.are.equal("integer", math.type(back.i))
    assert.are.equal("float", math.type(back.list[2]))
    assert.are.equal(0.1, back.f)
    assert.are.equal(1 / 3, back.third)
    assert.are.equal(math.mininteger, back.min)
    local nan = tf.unpack(tf.pack(0 / 0))
    assert.is_true(nan ~= nan)
    assert.are.equal(-math.huge, 1 / tf.unpack(tf.pack(-0.0)))
    for _, x in ipairs { 0, "", false, 3.5, "x" } do assert.are.equal(x, tf.unpack(tf.pack(x))) end
    assert.is_nil(tf.unpack(tf.pack(nil)))
  end)

  it("keeps shared tables shared and repeated strings once", function()
    local shared = { x = 1 }
    local back = tf.unpack(tf.pack({ a = shared, b = shared, c = { shared } }))
    assert.are.equal(back.a, back.b)
    assert.are.equal(back.a, back.c[1])
    local name = string.rep("colors.primary.", 4)
    local one = #tf.pack({ name })
    local many = #tf.pack({ name, name, name, name, name })
    assert.is_true(many < one + 4 * 4)
  end)

  it("keeps JSON null", function()
    local null = require("cjson").null
    assert.are.equal(null, tf.unpack(tf.pack({ v = null })).v)
  end)

  it("rejects functions, userdata, threads and cycles, naming the path", function()
    assert.has_error(function() tf.pack({ colors = { red = { value = print } } }) end,
      "cannot serialise a function at value.colors.red.value")
    assert.has_error(function() tf.pack({ list = { 1, 2, io.stdout } }) end, "cannot serialise a userdata at value.list[3]")
    assert.has_error(function() tf.pack({ ["a b"] = coroutine.create(print) }) end, 'cannot serialise a thread at value["a b"]')
    local t = { inner = {} }
    t.inner.back = t
    assert.has_error(function() tf.pack(t) end, "cannot serialise a cycle (a table containing itself) at value.inner.back")
    local deep = {}
    local node = deep
    for _ = 1, 300 do node.next = {} node = node.next end
    assert.has_error(function() tf.pack(deep) end)
  end)

  it("returns nil and a message for malformed data, never reading past it", function()
    local good = tf.pack({ a = { 1, 2, 3 }, s = "hello world" })
    for i = 0, #good - 1 do
      local v, err = tf.unpack(good:sub(1, i))
      assert.is_nil(v)
      assert.is_string(err)
    end
    local v, err = tf.unpack("not packed")
    assert.is_nil(v)
    assert.are.equal("not tokenflow packed data (bad header)", err)
    v, err = tf.unpack(good .. "x")
    assert.is_nil(v)
    assert.are.equal("malformed packed data (bytes after the value)", err)
    v, err = tf.unpack("TF\1\6\200")
    assert.is_nil(v)
    assert.matches("bad string reference", err)
  end)

  it("documents its bytes: integers as zigzag varints, floats as 8 bytes", function()
    assert.are.equal("TF\1\3\0", tf.pack(0))
    assert.are.equal("TF\1\3\1", tf.pack(-1))
    assert.are.equal("TF\1\3\172\2", tf.pack(150))
    assert.are.equal("TF\1\4" .. string.pack("<d", 1.5), tf.pack(1.5))
    assert.are.equal("TF\1\5\3abc", tf.pack("abc"))
    assert.are.equal("TF\1\7\2\0\2\1", tf.pack({ true, false }):sub(1, -1))
    assert.are.equal(8, #tf.pack({ true, false }))
  end)
end)

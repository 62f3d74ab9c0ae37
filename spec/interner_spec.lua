local tf = require "tokenflow"

describe("tf.interner()", function()
  local names
  before_each(function() names = tf.interner() end)
  after_each(function() names:close() end)

  it("gives dense ids from 1, stable for the same name", function()
    assert.are.equal(1, names:intern("colors.primary"))
    assert.are.equal(2, names:intern("radius.md"))
    assert.are.equal(1, names:intern("colors.primary"))
    assert.are.equal(2, #names)
  end)

  it("looks up without adding", function()
    names:intern("a")
    assert.are.equal(1, names:lookup("a"))
    assert.is_nil(names:lookup("b"))
    assert.are.equal(1, #names)
  end)

  it("maps ids back to names, nil outside the range", function()
    local id = names:intern("spacing.base")
    assert.are.equal("spacing.base", names:name(id))
    assert.is_nil(names:name(0))
    assert.is_nil(names:name(id + 1))
    assert.is_nil(names:name(-5))
    assert.is_nil(names:name(math.maxinteger))
  end)

  it("round-trips any byte string", function()
    local samples = {
      "", "a\0b\0", "\0", "\255\254\192", "colors.the one with spaces",
      string.rep("x", 1024 * 1024), string.rep("\0", 17),
    }
    local ids = {}
    for i, s in ipairs(samples) do ids[i] = names:intern(s) end
    for i, s in ipairs(samples) do
      assert.are.equal(i, ids[i])
      assert.are.equal(s, names:name(ids[i]))
      assert.are.equal(ids[i], names:lookup(s))
    end
    assert.is_nil(names:lookup("a\0b"))
  end)

  it("keeps ids stable while growing to 100k names", function()
    for i = 1, 100000 do assert(names:intern("token." .. i) == i) end
    for i = 1, 100000, 991 do assert.are.equal(i, names:lookup("token." .. i)) end
    assert.are.equal("token.1", names:name(1))
  end)

  it("reports stats", function()
    names:intern("abc")
    names:intern("de")
    local s = names:stats()
    assert.are.equal(2, s.count)
    assert.are.equal(5, s.bytes)
    assert.is_true(s.held > s.bytes)
  end)

  it("says what it holds in tostring", function()
    names:intern("abc")
    assert.are.equal("tokenflow.Interner (1 names, 3 bytes)", tostring(names))
  end)

  it("rejects non-string arguments, naming the position", function()
    assert.has_error(function() names:intern(42) end, "bad argument #1 to 'intern' (string expected, got number)")
    assert.has_error(function() names:intern() end, "bad argument #1 to 'intern' (string expected, got no value)")
    assert.has_error(function() names:lookup({}) end, "bad argument #1 to 'lookup' (string expected, got table)")
    assert.has_error(function() names:name("x") end, "bad argument #1 to 'name' (number expected, got string)")
    assert.has_error(function() names.intern(nil, "a") end)
  end)

  it("raises on use after close, and closes idempotently", function()
    local n = tf.interner()
    n:intern("a")
    n:close()
    n:close()
    assert.are.equal("tokenflow.Interner (closed)", tostring(n))
    assert.has_error(function() n:intern("a") end, "attempt to use a closed tokenflow.Interner")
    assert.has_error(function() return #n end, "attempt to use a closed tokenflow.Interner")
  end)

  it("closes as a to-be-closed variable", function()
    local outer
    do
      local n <close> = tf.interner()
      outer = n
      n:intern("x")
    end
    assert.has_error(function() outer:lookup("x") end, "attempt to use a closed tokenflow.Interner")
  end)

  it("has a __name for error messages", function()
    assert.are.equal("tokenflow.Interner", getmetatable(names).__name)
  end)
end)

describe("tf.names (the default interner)", function()
  it("is an interner shared by the module", function()
    assert.are.equal(tf.names, require("tokenflow.core").names)
    local id = tf.names:intern("shared.name")
    assert.are.equal(id, tf.names:lookup("shared.name"))
    assert.matches("default$", tostring(tf.names))
  end)

  it("cannot be closed", function()
    assert.has_error(function() tf.names:close() end, "the default interner (tokenflow.names) cannot be closed")
    assert.is_number(tf.names:intern("still.open"))
  end)
end)

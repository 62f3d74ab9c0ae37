local tf = require "tokenflow"
local h = require "tokens_helper"

describe("the REPL", function()
  it("prints every object as 'tokenflow.Type (what it holds)'", function()
    local dir = h.tmpdir()
    local set = assert(tf.tokens.load("examples/tokens/studio"))
    local pool = tf.pool {}
    local _, chunks = tf.chunks({ 1, 2, 3 })
    local m = tf.metrics()
    local objects = {
      Interner = tf.interner(), Cache = tf.cache { capacity = 4 }, Pool = pool,
      Task = pool:submit(function() end), Walk = tf.walk({}, function() end), Chunks = chunks,
      Metrics = m, Counter = m:counter("c_total", "c"), Gauge = m:gauge("g", "g"), Histogram = m:histogram("h", "h"),
      TokenSet = set, Resolved = set:resolve { theme = "dark" }, Store = assert(tf.store(dir .. "/s.db")),
      Job = tf.update { tokens = set:resolve { theme = "dark" }, source = {}, write = function() end },
    }
    for name, obj in pairs(objects) do
      local text = tostring(obj)
      assert.are.equal("tokenflow." .. name, (text:match("^(tokenflow%.%a+)")), name)
      assert.matches("^tokenflow%.%a+ %S", text) -- and then what it holds
    end
    objects.Store:close()
    h.rmdir(dir)
  end)

  it("lists the whole API in tf.help(), one line each", function()
    local text = tf.help(nil, false)
    local lines = {}
    for line in text:gmatch("[^\n]+") do lines[#lines + 1] = line end
    assert.is_true(#lines >= 20)
    for _, line in ipairs(lines) do assert.matches("^%S.-  +%S", line) end
    for name, v in pairs(tf) do
      if type(v) == "function" or name == "tokens" or name == "figma" or name == "names" or name == "version" then
        assert.is_truthy(text:find("tf." .. name, 1, true), "tf." .. name .. " missing from tf.help()")
      end
    end
    for name, v in pairs(tf.tokens) do
      if type(v) == "function" then assert.is_truthy(text:find("tf.tokens." .. name, 1, true), name) end
    end
  end)

  it("prints the list once in the REPL: tf.help prints and returns nothing", function()
    local path = os.tmpname()
    local saved = io.output()
    io.output(path)
    local n = select("#", tf.help("store"))
    io.output():close()
    io.output(saved)
    local f = assert(io.open(path))
    local printed = f:read("a")
    f:close()
    os.remove(path)
    assert.are.equal(0, n)
    assert.are.equal(tf.help("store", false), printed)
    assert.is_truthy(printed:find("tf.store(path", 1, true))
  end)

  it("filters tf.help by a word", function()
    local text = tf.help("STORE", false)
    assert.is_truthy(text:find("tf.store(path", 1, true))
    assert.is_nil(text:find("tf.walk", 1, true))
    assert.are.equal("", tf.help("no such word at all", false))
    assert.has_error(function() tf.help(42) end, "bad argument #1 to 'help' (string expected, got number)")
  end)
end)

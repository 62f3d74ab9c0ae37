local tf = require "tokenflow"
local h = require "tokens_helper"

describe("bad token input", function()
  local dir
  before_each(function() dir = h.tmpdir() end)
  after_each(function() h.rmdir(dir) end)

  it("reports malformed JSON with file, line and column", function()
    h.write(dir, "bad.json", '{\n  "core": {\n    "a": { "value": , "type": "number" }\n  }\n}\n')
    local set, err = tf.tokens.load(dir .. "/bad.json")
    assert.is_nil(set)
    assert.are.equal(dir .. "/bad.json: invalid JSON: Expected value but found T_COMMA at character 35 (line 3, column 21)", err)
  end)

  it("reports malformed JSON inside a folder, naming the file", function()
    h.write(dir, "$metadata.json", '{"tokenSetOrder": ["core"]}')
    h.write(dir, "core.json", '{"a": ')
    local set, err = tf.tokens.load(dir)
    assert.is_nil(set)
    assert.matches("^" .. dir:gsub("%p", "%%%0") .. "/core%.json: invalid JSON: ", err)
  end)

  it("reports an unreadable path", function()
    local set, err = tf.tokens.load(dir .. "/nope.json")
    assert.is_nil(set)
    assert.are.equal(dir .. "/nope.json: cannot read: " .. dir .. "/nope.json: No such file or directory", err)
  end)

  it("reports a set listed in $metadata.json but missing", function()
    h.write(dir, "$metadata.json", '{"tokenSetOrder": ["core", "theme/dark"]}')
    h.write(dir, "core.json", '{"a": {"value": "1", "type": "number"}}')
    local set, err = tf.tokens.load(dir)
    assert.is_nil(set)
    assert.are.equal(string.format("%s/$metadata.json: set 'theme/dark' is listed in $metadata.json but %s/theme/dark.json is missing", dir, dir), err)
  end)

  it("rejects set paths escaping the folder", function()
    for _, bad in ipairs { "../x", "/etc/passwd", "a/../../x", "./a" } do
      h.write(dir, "$metadata.json", string.format('{"tokenSetOrder": ["%s"]}', bad))
      local set, err = tf.tokens.load(dir)
      assert.is_nil(set)
      assert.are.equal(string.format("%s/$metadata.json: set path '%s' is outside the token folder", dir, bad), err)
    end
  end)

  it("reports a set missing from a single file's $metadata", function()
    local set, err = tf.tokens.new { ["$metadata"] = { tokenSetOrder = { "core", "gone" } }, core = {} }
    assert.is_nil(set)
    assert.are.equal("(table): set 'gone' is listed in $metadata but missing", err)
  end)

  it("reports a token with neither value nor $value (strict)", function()
    h.write(dir, "t.json", '{"core": {"colors": {"red": {"type": "color", "description": "no value"}}}}')
    local set, err = tf.tokens.load(dir .. "/t.json", { strict = true })
    assert.is_nil(set)
    assert.are.equal(dir .. "/t.json: colors.red: token has neither value nor $value", err)
    local dset, derr = tf.tokens.new({ g = { ["$type"] = "color", t = { ["$type"] = "color" } } }, { format = "dtcg", strict = true })
    assert.is_nil(dset)
    assert.are.equal("(table): g.t: token has neither value nor $value", derr)
    -- without strict the token fails alone
    local r = assert(assert(tf.tokens.load(dir .. "/t.json")):resolve())
    assert.are.same({ { name = "colors.red", reason = "token has neither value nor $value" } }, r:failures())
  end)

  it("reports a value of the wrong shape for its type (strict), or fails the token alone", function()
    local cases = {
      { { value = 12, type = "typography" }, "value of type 'typography' must be an object of typography properties, got number" },
      { { value = { 1, 2 }, type = "color" }, "value of type 'color' must be a colour string or a colour object {colorSpace, components}, got number at [1]" },
      { { value = { a = 1 }, type = "spacing" }, "value of type 'spacing' must be a string or a number, got an object" },
      { { value = true, type = "boxShadow" }, "value of type 'boxShadow' must be a shadow object or an array of them, got boolean" },
    }
    for _, c in ipairs(cases) do
      local set, err = tf.tokens.new({ core = { t = c[1] } }, { strict = true })
      assert.is_nil(set)
      assert.are.equal("(table): t: " .. c[2], err)
      local r = assert(assert(tf.tokens.new { core = { t = c[1] } }):resolve())
      assert.are.same({ { name = "t", reason = c[2] } }, r:failures())
      assert.are.same(c[1].value, (r:get("t")))
    end
    local set, err = tf.tokens.new({ size = { ["$type"] = "dimension", md = { ["$value"] = { value = 4 } } } }, { strict = true })
    assert.is_nil(set)
    assert.are.equal("(table): size.md: value of type 'dimension' must be a dimension string, a number or {value, unit}, got an object", err)
  end)

  it("accepts a reference where a composite is expected", function()
    assert.is_not_nil(tf.tokens.new { core = { a = { value = { fontSize = "1" }, type = "typography" },
      t = { value = "{a}", type = "typography" } } })
  end)

  it("marks expression syntax errors failed with a reason", function()
    local r = h.resolve { a = { value = "2", type = "number" }, t = { value = "{a} * * 2", type = "number" } }
    local v, info = r:get("t")
    assert.are.equal("2 * * 2", v)
    assert.is_true(info.failed)
    assert.are.equal("syntax error in expression '2 * * 2'", info.reason)
  end)

  it("marks division by zero failed with a reason", function()
    local r = h.resolve { a = { value = "0", type = "number" }, t = { value = "10 / {a}", type = "number" } }
    local v, info = r:get("t")
    assert.are.equal("10 / 0", v)
    assert.are.equal("division by zero in '10 / 0'", info.reason)
  end)

  it("reports non-UTF-8 names with the bytes escaped (strict), or fails the token alone", function()
    local doc = { core = { colors = { ["bad\255name"] = { value = "#fff", type = "color" } } } }
    local set, err = tf.tokens.new(doc, { strict = true })
    assert.is_nil(set)
    assert.are.equal("(table): colors.bad\\xFFname: token name is not valid UTF-8", err)
    local r = assert(assert(tf.tokens.new(doc)):resolve())
    assert.are.same({ { name = "colors.bad\255name", reason = "token name is not valid UTF-8" } }, r:failures())
  end)

  it("loads a 1 MB token value intact", function()
    local big = string.rep("abcdefgh", 128 * 1024)
    h.write(dir, "big.json", '{"core": {"blob": {"value": "' .. big .. '", "type": "text"}}}')
    local r = assert(assert(tf.tokens.load(dir .. "/big.json")):resolve())
    assert.are.equal(big, (r:get("blob")))
  end)

  it("loads and resolves 100k tokens", function()
    local core = {}
    for i = 1, 100000 do core["t" .. i] = { value = i == 1 and "1" or "{t" .. (i - 1) .. "}", type = "number" } end
    local r = h.resolve(core)
    assert.are.equal(100000, r:stats().tokens)
    assert.are.equal(0, r:stats().failed)
    assert.are.equal(1, (r:get("t100000")))
  end)

  it("raises on programming errors", function()
    assert.has_error(function() tf.tokens.load(42) end, "bad argument #1 to 'load' (string expected, got number)")
    assert.has_error(function() tf.tokens.new("x") end, "bad argument #1 to 'new' (table expected, got string)")
    assert.has_error(function() tf.tokens.new({}, { math = "yes" }) end,
      "bad argument #2 to 'new' (math must be a boolean, got string)")
    local set = assert(tf.tokens.new { core = {} })
    assert.has_error(function() set:resolve("dark") end, "bad argument #1 to 'resolve' (table expected, got string)")
    assert.has_error(function() set:resolve():eval(5) end, "bad argument #1 to 'eval' (string expected, got number)")
  end)
end)

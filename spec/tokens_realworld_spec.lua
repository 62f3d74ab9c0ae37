-- Token sets as published design systems write them: arrays where one value
-- is expected (resolved element by element, as Style Dictionary does), one
-- bad token failing alone (and the whole file only when asked, naming the
-- same token whatever the table order), and failed references keeping the
-- referenced token's text (Tokens Studio).
local tf = require "tokenflow"
local load = require "tokenflow.tokens.load"
local reader = require "tokenflow.tokens.reader"
local h = require "tokens_helper"

-- Resolves a DTCG document given as a table, and the same document written
-- to a file and loaded (the C reader's path); both must agree.
local function both_ways(doc, dir, sel)
  local from_table = assert(assert(tf.tokens.new(doc, { format = "dtcg" })):resolve(sel))
  h.write(dir, "doc.json", require("cjson").encode(doc))
  local from_file = assert(assert(tf.tokens.load(dir .. "/doc.json", { format = "dtcg" })):resolve(sel))
  assert.are.same(from_table:flat(), from_file:flat())
  assert.are.same(from_table:failures(), from_file:failures())
  return from_file
end

describe("arrays where one value is expected", function()
  local dir
  before_each(function() dir = h.tmpdir() end)
  after_each(function() h.rmdir(dir) end)

  it("resolves a colour given as a light/dark pair of references element by element", function()
    local doc = { color = {
      border = { strong = {
        ["on-light"] = { ["$type"] = "color", ["$value"] = "#151515" },
        ["on-dark"] = { ["$type"] = "color", ["$value"] = "#ffffff" },
      } },
      responsive = { ["$type"] = "color",
        ["$value"] = { "{color.border.strong.on-light}", "{color.border.strong.on-dark}" } },
    } }
    local r = both_ways(doc, dir)
    local v, info = r:get("color.responsive")
    assert.are.same({ "#151515", "#ffffff" }, v)
    assert.is_false(info.failed)
    assert.are.same({}, r:failures())
  end)

  it("resolves arrays element by element for every type", function()
    local doc = {
      base = {
        c = { ["$type"] = "color", ["$value"] = "#ff0000" },
        d = { ["$type"] = "dimension", ["$value"] = { value = 4, unit = "px" } },
        n = { ["$type"] = "number", ["$value"] = 2 },
        du = { ["$type"] = "duration", ["$value"] = "100ms" },
        t = { ["$type"] = "typography", ["$value"] = { fontSize = "16px" } },
        b = { ["$type"] = "border", ["$value"] = { color = "#000", width = "1px", style = "solid" } },
      },
      pair = {
        color = { ["$type"] = "color", ["$value"] = { "{base.c}", "#00ff00" } },
        dimension = { ["$type"] = "dimension", ["$value"] = { "{base.d}", { value = 8, unit = "px" } } },
        number = { ["$type"] = "number", ["$value"] = { "{base.n}", 3 } },
        duration = { ["$type"] = "duration", ["$value"] = { "{base.du}", "200ms" } },
        fontWeight = { ["$type"] = "fontWeight", ["$value"] = { 400, "{base.n}" } },
        typography = { ["$type"] = "typography", ["$value"] = { "{base.t}", { fontSize = "{base.d}" } } },
        composition = { ["$type"] = "composition", ["$value"] = { { fill = "{base.c}" }, { width = "{base.n}" } } },
        border = { ["$type"] = "border", ["$value"] = { "{base.b}", { color = "{base.c}", width = "2px", style = "dashed" } } },
      },
    }
    local r = both_ways(doc, dir)
    local want = {
      color = { "#ff0000", "#00ff00" },
      dimension = { { value = 4, unit = "px" }, { value = 8, unit = "px" } },
      number = { 2, 3 },
      duration = { "100ms", "200ms" },
      fontWeight = { 400, 2 },
      typography = { { fontSize = "16px" }, { fontSize = { value = 4, unit = "px" } } },
      composition = { { fill = "#ff0000" }, { width = 2 } },
      border = { { color = "#000", width = "1px", style = "solid" }, { color = "#ff0000", width = "2px", style = "dashed" } },
    }
    for ttype, value in pairs(want) do
      local v, info = r:get("pair." .. ttype)
      assert.are.same(value, v, ttype)
      assert.is_false(info.failed, ttype)
    end
  end)

  it("applies math element by element in a Tokens Studio set", function()
    local r = h.resolve {
      base = { value = "4", type = "spacing" },
      pair = { value = { "{base} * 2", "{base} + 1" }, type = "spacing" },
    }
    assert.are.same({ 8, 5 }, (r:get("pair")))
  end)

  it("applies a colour modifier to each colour of an array", function()
    local r = h.resolve {
      red = { value = "#ff0033", type = "color" },
      pair = { value = { "{red}", "#00a2ba" }, type = "color",
        ["$extensions"] = { ["studio.tokens"] = { modify = { type = "alpha", value = "0.3", space = "srgb" } } } },
    }
    local v, info = r:get("pair")
    assert.are.same({ "#ff00334d", "#00a2ba4d" }, v)
    assert.is_false(info.failed)
  end)

  it("fails only the element that does not fit, with its position", function()
    local doc = { pair = { ["$type"] = "color", ["$value"] = { "#fff", true } }, ok = { ["$type"] = "color", ["$value"] = "#000" } }
    local r = both_ways(doc, dir)
    local v, info = r:get("pair")
    assert.are.same({ "#fff", true }, v)
    assert.is_true(info.failed)
    assert.are.equal("value of type 'color' must be a colour string or a colour object {colorSpace, components}"
      .. ", got boolean at [2]", info.reason)
    assert.are.equal("#000", (r:get("ok")))
  end)

  it("is read by the C reader without falling back to the Lua walk", function()
    h.write(dir, "d.json", [[{"c": {"$type": "color", "a": {"$value": "#111"},
      "pair": {"$value": ["{c.a}", "#222"]}}}]])
    local source = assert(load.read_with(dir .. "/d.json", {}, reader.tape))
    assert.are.same({ "{c.a}", "#222" }, source.sets.default.tokens["c.pair"].value)
  end)
end)

describe("one bad token fails alone", function()
  local dir
  before_each(function() dir = h.tmpdir() end)
  after_each(function() h.rmdir(dir) end)

  -- a set with 40 tokens of the wrong shape and good tokens around them;
  -- the first bad one by name is "bad.b01"
  local function many_bad()
    local core = { good = { value = "4", type = "spacing" }, alias = { value = "{good} * 2", type = "spacing" }, bad = {} }
    for i = 40, 1, -1 do
      core.bad[string.format("b%02d", i)] = { value = { x = i }, type = "spacing" }
    end
    return { core = core }
  end

  it("loads the set, marks the token failed with its reason and resolves the rest", function()
    local set = assert(tf.tokens.new(many_bad()))
    local r = assert(set:resolve())
    assert.are.equal(8, (r:get("alias")))
    local v, info = r:get("bad.b07")
    assert.are.same({ x = 7 }, v)
    assert.is_true(info.failed)
    assert.are.equal("value of type 'spacing' must be a string or a number, got an object", info.reason)
    local failures = r:failures()
    assert.are.equal(40, #failures)
    assert.are.same({ name = "bad.b01", reason = "value of type 'spacing' must be a string or a number, got an object" },
      failures[1])
  end)

  it("does the same from a file, with either reader", function()
    h.write(dir, "t.json", require("cjson").encode(many_bad()))
    for _, rd in ipairs { reader.tape, reader.tables } do
      local source = assert(load.read_with(dir .. "/t.json", {}, rd))
      assert.are.equal("value of type 'spacing' must be a string or a number, got an object",
        source.sets.core.tokens["bad.b13"].invalid)
    end
    local r = assert(assert(tf.tokens.load(dir .. "/t.json")):resolve())
    assert.are.equal(40, #r:failures())
    assert.are.equal(8, (r:get("alias")))
  end)

  it("marks a token without a value failed", function()
    local r = assert(assert(tf.tokens.new { core = { colors = {
      red = { type = "color", description = "no value" }, blue = { value = "#00f", type = "color" } } } }):resolve())
    local v, info = r:get("colors.red")
    assert.is_nil(v)
    assert.is_true(info.failed)
    assert.are.equal("token has neither value nor $value", info.reason)
    assert.are.equal("#00f", (r:get("colors.blue")))
  end)

  it("keeps a reference to a bad token as written, failed", function()
    local r = assert(assert(tf.tokens.new { core = { bad = { value = { 1 }, type = "typography" },
      user = { value = "{bad}", type = "typography" } } }):resolve())
    local _, info = r:get("user")
    assert.is_true(info.failed)
    assert.are.equal("reference {bad} failed", info.reason)
  end)

  it("with strict = true fails the whole file, naming the first bad token by name", function()
    local set, err = tf.tokens.new(many_bad(), { strict = true })
    assert.is_nil(set)
    assert.are.equal("(table): bad.b01: value of type 'spacing' must be a string or a number, got an object", err)
    h.write(dir, "t.json", require("cjson").encode(many_bad()))
    set, err = tf.tokens.load(dir .. "/t.json", { strict = true })
    assert.is_nil(set)
    assert.are.equal(dir .. "/t.json: bad.b01: value of type 'spacing' must be a string or a number, got an object", err)
  end)

  it("names the same token in every process, whatever the table order", function()
    h.write(dir, "t.json", require("cjson").encode(many_bad()))
    local seen = {}
    for _ = 1, 4 do
      local code, _, err = h.run_cli("resolve --strict '" .. dir .. "/t.json'")
      assert.are.equal(2, code)
      seen[err] = true
    end
    local messages = {}
    for m in pairs(seen) do messages[#messages + 1] = m end
    assert.are.same({ "tokenflow: " .. dir .. "/t.json: bad.b01: value of type 'spacing' must be a string or a number, got an object\n" },
      messages)
  end)

  it("tokenflow resolve lists the bad tokens on stderr and exits 1", function()
    h.write(dir, "t.json", require("cjson").encode(many_bad()))
    local code, out, err = h.run_cli("resolve --format flat '" .. dir .. "/t.json'")
    assert.are.equal(1, code)
    assert.matches('"alias":8', out, 1, true)
    assert.matches("tokenflow: failed: bad.b01: value of type 'spacing' must be a string or a number, got an object\n",
      err, 1, true)
    local n = 0
    for _ in err:gmatch("tokenflow: failed: ") do n = n + 1 end
    assert.are.equal(40, n)
  end)

  it("keeps exit 2 for malformed JSON and missing set files", function()
    h.write(dir, "bad.json", '{"core": {"a": ')
    local code = h.run_cli("resolve '" .. dir .. "/bad.json'")
    assert.are.equal(2, code)
    h.write(dir, "f/$metadata.json", '{"tokenSetOrder": ["core", "gone"]}')
    h.write(dir, "f/core.json", '{"a": {"value": "1", "type": "number"}}')
    code = h.run_cli("resolve '" .. dir .. "/f'")
    assert.are.equal(2, code)
  end)
end)

describe("failed references", function()
  it("keep the referenced token's text (Tokens Studio: foo * boo with boo missing its reference)", function()
    local r = h.resolve {
      foo = { value = "3", type = "number" },
      boo = { value = "{baz}", type = "number" },
      mathWrong = { value = "{foo} * {boo}", type = "number" },
      alias = { value = "{boo}", type = "number" },
    }
    local v, info = r:get("mathWrong")
    assert.are.equal("3 * {baz}", v)
    assert.is_true(info.failed)
    assert.are.equal("{baz}", (r:get("alias")))
    assert.is_true(select(2, r:get("alias")).failed)
  end)

  it("keep the text through a chain of failed tokens", function()
    local r = h.resolve {
      a = { value = "{missing} + 1", type = "number" },
      b = { value = "{a} * 2", type = "number" },
      c = { value = "rgba({b}, 1)", type = "color" },
    }
    assert.are.equal("{missing} + 1 * 2", (r:get("b")))
    assert.are.equal("rgba({missing} + 1 * 2, 1)", (r:get("c")))
  end)
end)

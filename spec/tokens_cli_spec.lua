local cjson = require "cjson"
local h = require "tokens_helper"

local run = h.run_cli

describe("bin/tokenflow resolve", function()
  it("prints the flat resolved set of a theme and exits 0", function()
    local code, out, err = run("resolve examples/tokens/studio --theme dark --format flat")
    assert.are.equal(0, code)
    assert.are.equal("", err)
    local flat = cjson.decode(out)
    assert.are.equal("#ff756b", flat["color.danger"])
    assert.are.equal("#1b2430", flat["color.bg"])
    assert.is_nil(flat["palette.ink"])
  end)

  it("prints a nested JSON tree with values and types by default", function()
    local code, out = run("resolve examples/tokens/studio --theme light")
    assert.are.equal(0, code)
    local tree = cjson.decode(out)
    assert.are.same({ value = "#ad1b26", type = "color" }, tree.color.danger)
  end)

  it("prints as the nested form Resolved:tree gives, and the flat form Resolved:flat gives", function()
    local tf = require "tokenflow"
    local jsonout = require "tokenflow.tokens.jsonout"
    local r = assert(assert(tf.tokens.load("examples/tokens/demo")):resolve { theme = "dark" })
    local code, out = run("resolve examples/tokens/demo --theme dark")
    assert.are.equal(0, code)
    assert.are.equal(jsonout.encode(r:tree()) .. "\n", out)
    assert.are.same({ value = r:get("card.bg"), type = "color" }, r:tree().card.bg)
    code, out = run("resolve examples/tokens/demo --theme dark --format flat")
    assert.are.equal(0, code)
    assert.are.equal(jsonout.encode(r:flat()) .. "\n", out)
  end)

  it("keeps DTCG value objects as objects", function()
    local code, out = run("resolve examples/tokens/dtcg --format flat")
    assert.are.equal(0, code)
    local flat = cjson.decode(out)
    assert.are.same({ value = 0.5, unit = "rem" }, flat["card.radius"])
    assert.are.equal("#1a66e6", flat["action.primary"].hex)
  end)

  it("turns math on and off with --math", function()
    local dir = h.tmpdir()
    h.write(dir, "t.json", '{"size": {"$type": "number", "a": {"$value": 4}, "b": {"$value": "{size.a} * 2"}}}')
    local code, out = run("resolve " .. dir .. "/t.json --format flat")
    assert.are.equal(0, code)
    assert.are.equal("4 * 2", cjson.decode(out)["size.b"])
    code, out = run("resolve " .. dir .. "/t.json --format flat --math on")
    assert.are.equal(0, code)
    assert.are.equal(8, cjson.decode(out)["size.b"])
    code = run("resolve " .. dir .. "/t.json --math maybe")
    assert.are.equal(2, code)
    h.rmdir(dir)
  end)

  it("honours --input-format", function()
    local code, out = run("resolve examples/tokens/dtcg --input-format dtcg --format flat")
    assert.are.equal(0, code)
    assert.is_not_nil(cjson.decode(out)["color.grey.900"])
  end)

  it("lists failed tokens on stderr and exits 1", function()
    local dir = h.tmpdir()
    h.write(dir, "t.json", '{"core": {"a": {"value": "{missing}", "type": "number"}, "b": {"value": "1", "type": "number"}}}')
    local code, out, err = run("resolve " .. dir .. "/t.json --format flat")
    h.rmdir(dir)
    assert.are.equal(1, code)
    assert.are.same({ a = "{missing}", b = 1 }, cjson.decode(out))
    assert.are.equal("tokenflow: failed: a: reference {missing} not found\n", err)
  end)

  it("exits 2 on unreadable input, unknown themes and bad usage", function()
    local code, out, err = run("resolve /nonexistent/tokens.json")
    assert.are.equal(2, code)
    assert.are.equal("", out)
    assert.matches("^tokenflow: /nonexistent/tokens.json: cannot read", err)
    code, out, err = run("resolve examples/tokens/studio --theme sepia")
    assert.are.equal("", out)
    assert.are.equal(2, code)
    assert.are.equal("tokenflow: unknown theme 'sepia' (themes: mode/light, mode/dark)\n", err)
    code = run("resolve")
    assert.are.equal(2, code)
    code, out, err = run("resolve examples/tokens/studio --format yaml")
    assert.are.equal("", out)
    assert.are.equal(2, code)
    assert.matches("^tokenflow resolve: argument for option %-%-format must be one of 'json', 'flat'\nUsage: tokenflow resolve ",
      err)
    code, out, err = run("frobnicate")
    assert.are.equal("", out)
    assert.are.equal(2, code)
    assert.matches("unknown command 'frobnicate'", err)
  end)

  it("combines several --theme options", function()
    local code, out = run("resolve examples/tokens/studio --theme light --theme dark --format flat")
    assert.are.equal(0, code)
    -- both themes enable their own set; the later set in tokenSetOrder (dark) wins
    assert.are.equal("#1b2430", cjson.decode(out)["color.bg"])
  end)

  it("writes JSON with sorted keys and unescaped slashes", function()
    local jsonout = require "tokenflow.tokens.jsonout"
    assert.are.equal('{"a":"x/y","b":[1,2.5,"\\\\/"]}', jsonout.encode { b = { 1, 2.5, "\\/" }, a = "x/y" })
  end)

  it("runs from another directory", function()
    local code, out = run("resolve examples/tokens/studio --format flat")
    assert.are.equal(0, code)
    local here = io.popen("pwd"):read("l")
    local _, _, c2 = os.execute("cd / && '" .. here .. "/bin/tokenflow' resolve '" .. here .. "/examples/tokens/dtcg' > /dev/null")
    assert.are.equal(0, c2)
    assert.is_not_nil(cjson.decode(out))
  end)
end)

describe("tokenflow.tokens.jsonout", function()
  local jsonout = require "tokenflow.tokens.jsonout"

  it("sorts keys, prints an empty table as an object unless asked for arrays", function()
    assert.are.equal('{"a":[1,2],"b":{},"c":"x/y"}', jsonout.encode { b = {}, a = { 1, 2 }, c = "x/y" })
    assert.are.equal('{"a":[],"b":[1]}', jsonout.encode({ a = {}, b = { 1 } }, { empty_array = true }))
  end)

  it("prints other values through opts.other, or as null", function()
    local f = function() end
    assert.are.equal("[null,true]", jsonout.encode { f, true })
    assert.are.equal('["fn",true]', jsonout.encode({ f, true }, { other = function() return "fn" end }))
  end)

  it("raises on a table that contains itself, not on one shared twice", function()
    local shared = { 1 }
    assert.are.equal('{"a":[1],"b":[1]}', jsonout.encode { a = shared, b = shared })
    local t = {}
    t.self = t
    assert.has_error(function() jsonout.encode(t) end, "cannot encode a table that contains itself")
  end)
end)

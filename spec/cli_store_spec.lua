local cjson = require "cjson"
local tf = require "tokenflow"
local h = require "tokens_helper"

local function run(env, args) return h.run_cli(args, env) end

describe("bin/tokenflow resolve --store", function()
  local dir, db
  before_each(function()
    dir = h.tmpdir()
    db = dir .. "/cache.db"
  end)
  after_each(function() h.rmdir(dir) end)

  it("stores the resolved set and its output, and serves the next runs from them", function()
    local tokens = dir .. "/tokens"
    assert(os.execute("cp -r examples/tokens/studio '" .. tokens .. "'"))
    local args = "resolve " .. tokens .. " --theme dark --store " .. db
    local code, out, err = run("", args .. " --format flat")
    assert.are.equal(0, code)
    assert.are.equal("", err)
    local st = assert(tf.store(db))
    assert.are.equal(2, st:stats().entries) -- the snapshot and the printed output
    local set = assert(tf.tokens.load(tokens))
    local key = assert(set:fingerprint { themes = { "dark" } })
    -- plant markers: the printed output, and a value in the snapshot
    local printed = assert(st:get(key .. "\0cli resolve flat"))
    assert.are.equal(out, printed.out)
    printed.out = '{"marker": "output from the store"}\n'
    st:set(key .. "\0cli resolve flat", printed)
    local snap = assert(st:get(key))
    snap.values["color.bg"] = "#from-the-snapshot"
    st:set(key, snap)
    st:close()
    local code2, out2 = run("", args .. " --format flat")
    assert.are.equal(0, code2)
    assert.are.equal('{"marker": "output from the store"}\n', out2)
    -- another format: no output kept yet, the snapshot serves the values
    local code3, out3 = run("", args .. " --format json")
    assert.are.equal(0, code3)
    assert.are.equal("#from-the-snapshot", cjson.decode(out3).color.bg.value)
    -- a changed file: new inputs, nothing planted applies
    h.write(tokens, "core.json", (io.open(tokens .. "/core.json"):read("a"):gsub("}%s*$", ', "added": {"value": "1", "type": "number"}}')))
    local code4, out4 = run("", args .. " --format flat")
    assert.are.equal(0, code4)
    local flat = cjson.decode(out4)
    assert.are.equal("#1b2430", flat["color.bg"])
    assert.is_nil(flat.marker)
  end)

  it("keeps the output of a single file under the file's bytes: a warm run reads and hashes it, nothing else", function()
    local file = dir .. "/tokens.json"
    h.write(file:match("^(.*)/"), "tokens.json", '{"core": {"a": {"value": "4", "type": "spacing"}, "b": {"value": "{a} * 2", "type": "spacing"}}}')
    local args = "resolve " .. file .. " --format flat --store " .. db
    local code, out = run("", args)
    assert.are.equal(0, code)
    assert.are.same({ a = 4, b = 8 }, cjson.decode(out))
    -- the kept output is printed as it is: plant a marker under every key
    -- that holds an output
    local st = assert(tf.store(db))
    local planted = 0
    for _, key in ipairs { (require("tokenflow.cli.store").output_key(file, { "resolve", "flat", "", "", "", "", "" })) } do
      local kept = assert(st:get(key))
      assert.are.equal(out, kept.out)
      kept.out = "marker\n"
      st:set(key, kept)
      planted = planted + 1
    end
    st:close()
    assert.are.equal(1, planted)
    local code2, out2 = run("", args)
    assert.are.equal(0, code2)
    assert.are.equal("marker\n", out2)
    -- other options, or other bytes: another key
    local _, out3 = run("", args .. " --math off")
    assert.are.same({ a = "4", b = "4 * 2" }, cjson.decode(out3))
    h.write(dir, "tokens.json", '{"core": {"a": {"value": "5", "type": "spacing"}, "b": {"value": "{a} * 2", "type": "spacing"}}}')
    local _, out4 = run("", args)
    assert.are.same({ a = 5, b = 10 }, cjson.decode(out4))
  end)

  it("takes the store from TOKENFLOW_STORE", function()
    local code = run("TOKENFLOW_STORE='" .. db .. "'", "resolve examples/tokens/studio --theme light --format flat")
    assert.are.equal(0, code)
    local st = assert(tf.store(db))
    assert.are.equal(2, st:stats().entries)
    st:close()
  end)

  it("reports a file it cannot use and resolves anyway", function()
    h.write(dir, "notes.txt", "not a database")
    local code, out, err = run("", "resolve examples/tokens/studio --theme dark --format flat --store " .. dir .. "/notes.txt")
    assert.are.equal(0, code)
    assert.are.equal("#1b2430", cjson.decode(out)["color.bg"])
    assert.are.equal("tokenflow: store not used: " .. dir .. "/notes.txt: not a tokenflow store (file is not a database); the file was left as it is\n", err)
  end)

  it("lists --store in the usage", function()
    local code, out = run("", "resolve --help")
    assert.are.equal(0, code)
    assert.matches("%-%-store FILE", out)
  end)

  it("keeps the resolved set for tokenflow apply too", function()
    h.write(dir, "doc.json", cjson.encode { document = { id = "0:0", type = "DOCUMENT", children = {
      { id = "1:1", type = "RECTANGLE", sharedPluginData = { tokens = { opacity = '"opacity.muted"' } } } } } })
    local args = string.format("apply --tokens examples/tokens/demo --theme light --doc %s/doc.json --quiet --store %s", dir, db)
    local code, _, err = run("", args)
    assert.are.equal(0, code)
    assert.are.equal("", err)
    local st = assert(tf.store(db))
    assert.are.equal(1, st:stats().entries)
    local set = assert(tf.tokens.load("examples/tokens/demo"))
    local snap = st:get(assert(set:fingerprint { themes = { "light" } }))
    assert.are.equal("64%", snap.values["opacity.muted"])
    st:close()
    code = run("", args)
    assert.are.equal(0, code)
    local _, usage = run("", "apply --help")
    assert.matches("%-%-store FILE", usage)
  end)
end)

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
    for _, key in ipairs { (require("tokenflow.cli.store").output_key(st, file, { "resolve", "flat", "", "", "", "", "" })) } do
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

  it("does not read a settled file again while its identity stands, and sees a rewrite that keeps size and times", function()
    local lfs = require "lfs"
    local core = require "tokenflow.core"
    local cli_store = require "tokenflow.cli.store"
    local text_a = '{"core": {"a": {"value": "4", "type": "spacing"}}}'
    local text_b = '{"core": {"a": {"value": "7", "type": "spacing"}}}' -- the same size
    h.write(dir, "tokens.json", text_a)
    local file = dir .. "/tokens.json"
    local mtime = os.time() - 10 -- whole seconds, so that it can be set back exactly
    assert(lfs.touch(file, mtime, mtime))
    local id, age = core.file_identity(file)
    assert.is_string(id)
    assert.is_true(age >= 0 and age < 2)
    assert(os.execute("sleep 2.1")) -- settled: the next run records the file's identity with its digest
    local args = "resolve " .. file .. " --format flat --store " .. db
    local _, out = run("", args)
    assert.are.same({ a = 4 }, cjson.decode(out))
    local st = assert(tf.store(db))
    local id_key = core.digest("tokenflow file identity", (core.file_identity(file)))
    assert.are.equal(core.digest_file(file), st:get(id_key))
    -- a digest planted under the identity is taken as it is: the file is not read
    local parts = { "resolve", "flat", "", "", "", "", "" }
    st:set(id_key, ("0"):rep(64))
    local planted_key, planted_digest = cli_store.output_key(st, file, parts)
    assert.are.equal(("0"):rep(64), planted_digest)
    st:set(planted_key, { out = "from the identity\n", err = "", code = 0 })
    st:close()
    local _, out2 = run("", args)
    assert.are.equal("from the identity\n", out2)
    -- other bytes of the same size with the old modification time: the change time tells
    h.write(dir, "tokens.json", text_b)
    assert(lfs.touch(file, mtime, mtime))
    local id2 = core.file_identity(file)
    assert.are.equal(id:match("^(.*):"), id2:match("^(.*):")) -- device, inode, size and modification time alike
    assert.are_not.equal(id, id2)
    local _, out3 = run("", args)
    assert.are.same({ a = 7 }, cjson.decode(out3))
    -- a file that cannot be read: nil and a message naming it
    local none, why = core.file_identity(dir .. "/missing.json")
    assert.is_nil(none)
    assert.truthy(why:find(dir .. "/missing.json", 1, true))
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

local cjson = require "cjson"
local tf = require "tokenflow"
local h = require "tokens_helper"

-- Runs bin/tokenflow with an environment prefix; returns exit code, stdout, stderr.
local function run(env, args)
  local dir = h.tmpdir()
  local cmd = string.format("%s bin/tokenflow %s > '%s/out' 2> '%s/err'", env, args, dir, dir)
  local _, _, code = os.execute(cmd)
  local function slurp(name)
    local f = io.open(dir .. "/" .. name, "rb")
    local s = f:read("a")
    f:close()
    return s
  end
  local out, err = slurp("out"), slurp("err")
  h.rmdir(dir)
  return code, out, err
end

describe("bin/tokenflow resolve --store", function()
  local dir, db
  before_each(function()
    dir = h.tmpdir()
    db = dir .. "/cache.db"
  end)
  after_each(function() h.rmdir(dir) end)

  it("stores the resolved set and serves the next run from the store", function()
    local code, out, err = run("", "resolve examples/tokens/studio --theme dark --format flat --store " .. db)
    assert.are.equal(0, code)
    assert.are.equal("", err)
    local st = assert(tf.store(db))
    assert.are.equal(1, st:stats().entries)
    -- plant a marker in the stored snapshot: the next run must print it
    local snapshot = require "tokenflow.tokens.snapshot"
    local themes = require "tokenflow.tokens.themes"
    local set = assert(tf.tokens.load("examples/tokens/studio"))
    local key = snapshot.key(set._source, themes.select(set._source, { themes = { "dark" } }), true)
    local snap = assert(st:get(key))
    snap.values["color.bg"] = "#from-the-store"
    st:set(key, snap)
    st:close()
    local code2, out2 = run("", "resolve examples/tokens/studio --theme dark --format flat --store " .. db)
    assert.are.equal(0, code2)
    assert.are.equal("#from-the-store", cjson.decode(out2)["color.bg"])
    local expected = cjson.decode(out)
    expected["color.bg"] = "#from-the-store"
    assert.are.same(expected, cjson.decode(out2))
  end)

  it("takes the store from TOKENFLOW_STORE", function()
    local code = run("TOKENFLOW_STORE='" .. db .. "'", "resolve examples/tokens/studio --theme light --format flat")
    assert.are.equal(0, code)
    local st = assert(tf.store(db))
    assert.are.equal(1, st:stats().entries)
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
end)

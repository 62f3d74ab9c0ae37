local tf = require "tokenflow"
local h = require "tokens_helper"

-- A Tokens Studio folder: core (source), light/dark (one enabled per theme),
-- extra (disabled in both themes), and $themes.json.
local function write_set(dir)
  h.write(dir, "$metadata.json", '{"tokenSetOrder": ["core", "light", "dark", "extra"]}')
  h.write(dir, "$themes.json", [[[
    {"name": "light", "selectedTokenSets": {"core": "source", "light": "enabled", "dark": "disabled", "extra": "disabled"}},
    {"name": "dark", "selectedTokenSets": {"core": "source", "light": "disabled", "dark": "enabled", "extra": "disabled"}}
  ] ]])
  h.write(dir, "core.json", [[{
    "blue": {"value": "#0000ff", "type": "color"},
    "space": {"value": "4", "type": "spacing"},
    "shadow": {"value": {"x": "0", "y": "{space}", "blur": "8", "color": "{blue}"}, "type": "boxShadow"},
    "ext": {"value": "#ff0033", "type": "color", "description": null,
      "$extensions": {"studio.tokens": {"modify": {"type": "alpha", "value": "0.5", "space": "srgb"}}, "other": null}}
  }]])
  h.write(dir, "light.json", [[{
    "bg": {"value": "{blue}", "type": "color"},
    "gap": {"value": "{space} * 2", "type": "spacing"},
    "big": {"value": 1.5, "type": "number"},
    "count": {"value": 3, "type": "number"},
    "broken": {"value": "{nope}", "type": "color"},
    "card": {"value": "{shadow}", "type": "boxShadow"},
    "faded": {"value": "{ext}", "type": "color"}
  }]])
  h.write(dir, "dark.json", '{"bg": {"value": "#111111", "type": "color"}}')
  h.write(dir, "extra.json", '{"x": {"value": "1", "type": "number"}}')
end

local function equal(a, b)
  if a == b then return true end
  if type(a) ~= "table" or type(b) ~= "table" then return false end
  for k, v in pairs(a) do if not equal(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

describe("set:resolve with a store", function()
  local dir, tokens, st
  before_each(function()
    dir = h.tmpdir()
    tokens = dir .. "/tokens"
    write_set(tokens)
    st = assert(tf.store(dir .. "/cache.db"))
  end)
  after_each(function()
    st:close()
    h.rmdir(dir)
  end)

  it("misses, stores, then hits with a fresh load", function()
    local r1 = assert(assert(tf.tokens.load(tokens)):resolve { theme = "light", store = st })
    assert.are.equal("miss", r1:stats().store)
    assert.are.equal(1, st:stats().entries)
    local set2 = assert(tf.tokens.load(tokens))
    local r2 = assert(set2:resolve { theme = "light", store = st })
    assert.are.equal("hit", r2:stats().store)
    assert.matches(", store hit%)$", tostring(r2))
    -- a hit parses nothing: no set was read into definitions
    assert.are.equal(0, set2:stats().sets_read)
  end)

  it("gives a Resolved that answers exactly like a fresh one", function()
    local fresh = assert(assert(tf.tokens.load(tokens)):resolve { theme = "light" })
    assert(assert(tf.tokens.load(tokens)):resolve { theme = "light", store = st })
    local hit = assert(assert(tf.tokens.load(tokens)):resolve { theme = "light", store = st })
    assert.are.equal("hit", hit:stats().store)
    local names = {}
    for name, value, info in fresh:each() do
      names[#names + 1] = name
      local v2, i2 = hit:get(name)
      assert.is_true(equal(value, v2), name)
      assert.is_true(equal(info, i2), name)
    end
    local names2 = {}
    for name in hit:each() do names2[#names2 + 1] = name end
    assert.are.same(names, names2)
    -- non-exported tokens too
    assert.is_true(equal({ fresh:get("shadow") }, { hit:get("shadow") }))
    assert.are.equal(math.type((fresh:get("count"))), math.type((hit:get("count"))))
    assert.are.equal(1.5, (hit:get("big")))
    assert.are.same(fresh:flat(), hit:flat())
    assert.are.same(fresh:failures(), hit:failures())
    assert.are.same({}, fresh:diff(hit))
    assert.are.same({}, hit:diff(fresh))
    assert.are.same(fresh:dependents("blue"), hit:dependents("blue"))
    assert.are.same({ "bg", "card", "shadow" }, hit:dependents("blue"))
    assert.are.same({ fresh:eval("{space} * 3 + {gap}") }, { hit:eval("{space} * 3 + {gap}") })
    assert.are.equal(20, (hit:eval("{space} * 3 + {gap}")))
    local fs, hs = fresh:stats(), hit:stats()
    assert.are.same({ fs.tokens, fs.exported, fs.failed, fs.sets }, { hs.tokens, hs.exported, hs.failed, hs.sets })
    -- a JSON null description survives
    assert.are.equal(require("cjson").null, hit._tokens.ext.description)
    assert.are.same(select(2, fresh:get("ext")).modify, select(2, hit:get("ext")).modify)
    assert.are.equal("#ff003380", (hit:get("faded")))
    -- a diff against another theme is the same from either
    local dark = assert(assert(tf.tokens.load(tokens)):resolve { theme = "dark" })
    assert.are.same(fresh:diff(dark), hit:diff(dark))
  end)

  it("misses after a file changes, and never serves the old values", function()
    local set = assert(tf.tokens.load(tokens))
    assert.are.equal("#0000ff", (assert(set:resolve { theme = "light", store = st }):get("bg")))
    h.write(tokens, "core.json", (io.open(tokens .. "/core.json"):read("a"):gsub("#0000ff", "#00ff00")))
    local r = assert(assert(tf.tokens.load(tokens)):resolve { theme = "light", store = st })
    assert.are.equal("miss", r:stats().store)
    assert.are.equal("#00ff00", (r:get("bg")))
    assert.are.equal(2, st:stats().entries)
    -- the same content again is the first entry again: a hit
    h.write(tokens, "core.json", (io.open(tokens .. "/core.json"):read("a"):gsub("#00ff00", "#0000ff")))
    local back = assert(assert(tf.tokens.load(tokens)):resolve { theme = "light", store = st })
    assert.are.equal("hit", back:stats().store)
    assert.are.equal("#0000ff", (back:get("bg")))
  end)

  it("keys on the theme, the themes file, the math option and the version", function()
    local function resolve(sel, opts)
      sel.store = st
      return assert(assert(tf.tokens.load(tokens, opts)):resolve(sel)):stats().store
    end
    assert.are.equal("miss", resolve { theme = "light" })
    assert.are.equal("miss", resolve { theme = "dark" })
    assert.are.equal("hit", resolve { theme = "dark" })
    assert.are.equal("miss", resolve({ theme = "dark" }, { math = false }))
    assert.are.equal("miss", resolve { sets = { "core", "dark" } })
    -- a set moving from disabled to source in $themes.json changes the inputs
    h.write(tokens, "$themes.json", [[[
      {"name": "dark", "selectedTokenSets": {"core": "source", "dark": "enabled", "extra": "source"}}
    ] ]])
    assert.are.equal("miss", resolve { theme = "dark" })
    -- an unchanged file whose time changed is the same input
    os.execute("touch '" .. tokens .. "/core.json'")
    assert.are.equal("hit", resolve { theme = "dark" })
  end)

  it("works for single files, DTCG folders and tables", function()
    local single = assert(tf.tokens.load("examples/tokens/studio"))
    assert.are.equal("miss", assert(single:resolve { theme = "dark", store = st }):stats().store)
    local dtcg = function() return assert(tf.tokens.load("examples/tokens/dtcg")) end
    assert.are.equal("miss", assert(dtcg():resolve { store = st }):stats().store)
    local r = assert(dtcg():resolve { store = st })
    assert.are.equal("hit", r:stats().store)
    assert.are.same({ value = 0.5, unit = "rem" }, r:get("size.radius"))
    local tbl = function() return assert(tf.tokens.new { core = { a = { value = "2", type = "number" }, b = { value = "{a} * 2", type = "number" } } }) end
    assert.are.equal("miss", assert(tbl():resolve { store = st }):stats().store)
    local t2 = assert(tbl():resolve { store = st })
    assert.are.equal("hit", t2:stats().store)
    assert.are.equal(4, (t2:get("b")))
  end)

  it("passes over a store that was closed by raising, and rejects non-stores", function()
    local set = assert(tf.tokens.load(tokens))
    assert.has_error(function() set:resolve { theme = "light", store = {} } end,
      "bad argument #1 to 'resolve' (store must be a tokenflow.Store, got table)")
    local other = assert(tf.store(dir .. "/other.db"))
    other:close()
    assert.has_error(function() set:resolve { theme = "light", store = other } end, "attempt to use a closed tokenflow.Store")
  end)

  it("treats a damaged snapshot as a miss", function()
    local set = assert(tf.tokens.load(tokens))
    assert(set:resolve { theme = "light", store = st })
    -- overwrite every entry with something that is not a snapshot
    local db = assert(tf.store(dir .. "/cache.db"))
    db:close()
    local snap = require "tokenflow.tokens.snapshot"
    local key = snap.key(set._source, require("tokenflow.tokens.themes").select(set._source, { theme = "light" }), true)
    st:set(key, { not_a = "snapshot" })
    local r = assert(assert(tf.tokens.load(tokens)):resolve { theme = "light", store = st })
    assert.are.equal("miss", r:stats().store)
    assert.are.equal("#0000ff", (r:get("bg")))
  end)
end)

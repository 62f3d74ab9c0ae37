local tf = require "tokenflow"
local h = require "tokens_helper"

-- Writes dir/rel; the folders exist (h.write runs mkdir for every file).
local function put(dir, rel, text)
  local f = assert(io.open(dir .. "/" .. rel, "wb"))
  f:write(text)
  f:close()
end

-- Ten sets; theme "one" enables s1 and s2 (s1 as source) and disables the rest.
local function write_set(dir)
  local order, themes = {}, {}
  h.write(dir, "sets/s1.json", "")
  for i = 1, 10 do
    order[#order + 1] = string.format('"sets/s%d"', i)
    put(dir, "sets/s" .. i .. ".json",
      string.format('{"t%d": {"value": "%d", "type": "number"}, "ref%d": {"value": "{t1} + %d", "type": "number"}}',
        i, i, i, i))
  end
  put(dir, "$metadata.json", '{"tokenSetOrder": [' .. table.concat(order, ", ") .. ']}')
  local sel = {}
  for i = 1, 10 do sel[#sel + 1] = string.format('"sets/s%d": "%s"', i, i == 1 and "source" or i == 2 and "enabled" or "disabled") end
  themes[1] = '{"name": "one", "selectedTokenSets": {' .. table.concat(sel, ", ") .. '}}'
  themes[2] = '{"name": "all", "selectedTokenSets": {}}'
  put(dir, "$themes.json", "[" .. table.concat(themes, ", ") .. "]")
end

describe("lazy loading of a Tokens Studio folder", function()
  local dir
  before_each(function()
    dir = h.tmpdir()
    write_set(dir)
  end)
  after_each(function() h.rmdir(dir) end)

  it("reads only $themes.json and $metadata.json when loading", function()
    local set = assert(tf.tokens.load(dir))
    assert.are.same({ dir .. "/$themes.json", dir .. "/$metadata.json" }, set:files_read())
    local s = set:stats()
    assert.are.same({ 10, 0, 2, true }, { s.sets, s.sets_read, s.themes, s.lazy })
    assert.are.equal(10, #set:sets())
  end)

  it("reads exactly the set files a theme needs, once", function()
    local set = assert(tf.tokens.load(dir))
    local r = assert(set:resolve { theme = "one" })
    assert.are.same({ dir .. "/$themes.json", dir .. "/$metadata.json", dir .. "/sets/s1.json", dir .. "/sets/s2.json" },
      set:files_read())
    assert.are.equal(3, (r:get("ref2")))
    assert.are.equal(2, set:stats().sets_read)
    assert(set:resolve { theme = "one" })
    assert.are.equal(4, #set:files_read())
    -- a theme that does not mention the other sets uses all of them (as unused)
    assert(set:resolve { theme = "all" })
    assert.are.equal(12, #set:files_read())
    assert.are.equal(10, set:stats().sets_read)
  end)

  it("gives the same result as reading everything up front", function()
    local lazy = assert(assert(tf.tokens.load(dir)):resolve { theme = "one" })
    local eager_set = assert(tf.tokens.load(dir, { lazy = false }))
    assert.are.equal(12, #eager_set:files_read())
    assert.is_false(eager_set:stats().lazy)
    local eager = assert(eager_set:resolve { theme = "one" })
    assert.are.same(eager:flat(), lazy:flat())
    assert.are.same({}, eager:diff(lazy))
  end)

  it("reads ahead with prefetch", function()
    local set = assert(tf.tokens.load(dir))
    assert.is_true(set:prefetch { theme = "one" })
    assert.are.equal(4, #set:files_read())
    assert(set:resolve { sets = { "sets/s1", "sets/s2" } })
    assert.are.equal(4, #set:files_read())
    assert.is_true(set:prefetch())
    assert.are.equal(12, #set:files_read())
    local none, err = set:prefetch { theme = "nope" }
    assert.is_nil(none)
    assert.matches("^unknown theme 'nope'", err)
  end)

  it("reports a broken set file when a resolution needs it, not before", function()
    h.write(dir, "sets/s7.json", '{"x": ')
    local set = assert(tf.tokens.load(dir))
    assert(set:resolve { theme = "one" })
    local r, err = set:resolve { theme = "all" }
    assert.is_nil(r)
    assert.matches("^" .. (dir .. "/sets/s7.json"):gsub("%p", "%%%0") .. ": invalid JSON: ", err)
    local ok, perr = set:prefetch()
    assert.is_nil(ok)
    assert.are.equal(err, perr)
    -- fixed on disk: the next attempt reads it again
    h.write(dir, "sets/s7.json", '{"t7": {"value": "7", "type": "number"}}')
    assert(set:resolve { theme = "all" })
  end)

  it("still checks the listing when loading", function()
    os.remove(dir .. "/sets/s3.json")
    local set, err = tf.tokens.load(dir)
    assert.is_nil(set)
    assert.are.equal(string.format("%s/$metadata.json: set 'sets/s3' is listed in $metadata.json but %s/sets/s3.json is missing", dir, dir), err)
  end)

  it("can be turned on for a folder without themes, and rejects a non-boolean", function()
    os.remove(dir .. "/$themes.json")
    local eager = assert(tf.tokens.load(dir))
    assert.are.equal(11, #eager:files_read())
    local lazy = assert(tf.tokens.load(dir, { lazy = true }))
    assert.are.same({ dir .. "/$metadata.json" }, lazy:files_read())
    assert(lazy:resolve { sets = { "sets/s4" } })
    assert.are.equal(2, #lazy:files_read())
    assert.has_error(function() tf.tokens.load(dir, { lazy = "yes" }) end,
      "bad argument #2 to 'load' (lazy must be a boolean, got string)")
  end)

  it("reads set files only for the fingerprint on a store hit", function()
    local st <close> = assert(tf.store(dir .. "/c.db"))
    assert(assert(tf.tokens.load(dir)):resolve { theme = "one", store = st })
    local set = assert(tf.tokens.load(dir))
    local r = assert(set:resolve { theme = "one", store = st })
    assert.are.equal("hit", r:stats().store)
    assert.are.equal(4, #set:files_read())
    assert.are.equal(0, set:stats().sets_read)
    assert.are.equal(3, (r:get("ref2")))
  end)
end)

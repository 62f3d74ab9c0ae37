local tf = require "tokenflow"

-- Sets: base (palette), light, dark, brand; themes in two groups.
local function doc()
  return {
    ["$metadata"] = { tokenSetOrder = { "base", "light", "dark", "brand", "extra" } },
    ["$themes"] = {
      { id = "t-light", name = "light", group = "mode", selectedTokenSets = { base = "source", light = "enabled" } },
      { id = "t-dark", name = "dark", group = "mode", selectedTokenSets = { base = "source", dark = "enabled", light = "disabled" } },
      { id = "t-brand", name = "brand", group = "brand", selectedTokenSets = { base = "enabled", brand = "enabled" } },
    },
    base = {
      blue = { value = "#0000ff", type = "color" },
      bg = { value = "#ffffff", type = "color" },
      typo = { value = { fontFamily = "Inter", fontSize = "16" }, type = "typography" },
      list = { value = { "a", "b" }, type = "other" },
    },
    light = { bg = { value = "{blue}", type = "color" } },
    dark = { bg = { value = "#000000", type = "color" }, typo = { value = { fontSize = "18" }, type = "typography" } },
    brand = { accent = { value = "{blue}", type = "color" }, list = { value = { "c" }, type = "other" } },
    extra = { bg = { value = "#123456", type = "color" }, only = { value = "1", type = "number" } },
  }
end

describe("themes and set order", function()
  local set
  before_each(function() set = assert(tf.tokens.new(doc())) end)

  it("with no selection uses every set, enabled, later wins", function()
    local r = assert(set:resolve())
    assert.are.equal("#123456", r:get("bg"))
    assert.are.same({ "c" }, r:get("list"))
    assert.is_true(select(2, r:get("blue")).exported)
  end)

  it("source sets resolve references but are not exported", function()
    local r = assert(set:resolve { theme = "light" })
    assert.are.equal("#0000ff", r:get("bg"))
    local v, info = r:get("blue")
    assert.are.equal("#0000ff", v)
    assert.is_false(info.exported)
    assert.is_nil(r:flat().blue)
    assert.are.equal("#0000ff", r:flat().bg)
  end)

  it("puts sets the theme does not mention first (lowest priority) and does not export them", function()
    -- "extra" is not mentioned by "light": its bg loses to light's bg
    local r = assert(set:resolve { theme = "light" })
    assert.are.equal("#0000ff", r:get("bg"))
    local v, info = r:get("only")
    assert.are.equal(1, v)
    assert.is_false(info.exported)
  end)

  it("leaves disabled sets out entirely", function()
    local r = assert(set:resolve { theme = "dark" })
    assert.are.equal("#000000", r:get("bg"))
    assert.are.equal("dark", select(2, r:get("bg")).set)
  end)

  it("finds themes by name, id or group/name", function()
    assert.are.equal("#000000", (assert(set:resolve { theme = "t-dark" }):get("bg")))
    assert.are.equal("#000000", (assert(set:resolve { theme = "mode/dark" }):get("bg")))
  end)

  it("combines several themes; enabled beats source", function()
    local r = assert(set:resolve { themes = { "light", "brand" } })
    -- base is source in light, enabled in brand: enabled wins, base is exported
    local _, info = r:get("blue")
    assert.is_true(info.exported)
    assert.are.equal("#0000ff", r:get("accent"))
    assert.are.equal("#0000ff", r:get("bg"))
  end)

  it("merges object values shallowly between sets in use", function()
    local r = assert(set:resolve { themes = { "dark", "brand" } })
    assert.are.same({ fontFamily = "Inter", fontSize = 18 }, r:get("typo"))
  end)

  it("replaces arrays whole", function()
    local r = assert(set:resolve { theme = "brand" })
    assert.are.same({ "c" }, r:get("list"))
  end)

  it("does not merge objects with a set that is not in use", function()
    local s2 = assert(tf.tokens.new {
      ["$themes"] = { { name = "t", selectedTokenSets = { b = "enabled" } } },
      a = { typo = { value = { fontFamily = "Inter" }, type = "typography" } },
      b = { typo = { value = { fontSize = "12" }, type = "typography" } },
    })
    assert.are.same({ fontSize = 12 }, (assert(s2:resolve { theme = "t" }):get("typo")))
    assert.are.same({ fontFamily = "Inter", fontSize = 12 }, (assert(s2:resolve()):get("typo")))
  end)

  it("selects sets explicitly", function()
    local r = assert(set:resolve { sets = { "base", "dark" } })
    assert.are.equal("#000000", r:get("bg"))
    assert.is_nil(r:get("only"))
    local r2 = assert(set:resolve { sets = { base = "source", light = "enabled" } })
    assert.is_false(select(2, r2:get("blue")).exported)
  end)

  it("returns nil and a message for an unknown theme or set", function()
    local r, err = set:resolve { theme = "sepia" }
    assert.is_nil(r)
    assert.are.equal("unknown theme 'sepia' (themes: mode/light, mode/dark, brand/brand)", err)
    local r2, err2 = set:resolve { sets = { "nope" } }
    assert.is_nil(r2)
    assert.are.equal("unknown set 'nope'", err2)
  end)

  it("lists sets and themes", function()
    assert.are.same({ "base", "light", "dark", "brand", "extra" }, set:sets())
    local names = {}
    for _, t in ipairs(set:themes()) do names[#names + 1] = t.name end
    assert.are.same({ "light", "dark", "brand" }, names)
  end)
end)

local tf = require "tokenflow"
local h = require "tokens_helper"

describe("Resolved", function()
  local set, light, dark
  setup(function()
    set = assert(tf.tokens.load("examples/tokens/studio"))
    light = assert(set:resolve { theme = "light" })
    dark = assert(set:resolve { theme = "dark" })
  end)

  it("get returns the value and info", function()
    local v, info = light:get("space.lg")
    assert.are.equal(24, v)
    assert.are.equal("spacing", info.type)
    assert.is_false(info.failed)
    assert.are.equal("{space.md} * 1.5", info.raw)
    assert.are.same({ "space.md" }, info.refs)
    assert.are.equal("core", info.set)
    assert.is_nil(light:get("no.such.token"))
  end)

  it("each iterates exported tokens in name order", function()
    local names = {}
    for name, value, info in light:each() do
      names[#names + 1] = name
      assert.is_true(info.exported)
      assert.is_not_nil(value)
    end
    assert.are.same({ "button.border", "button.label", "button.padding", "button.radius", "button.shadow",
      "color.accent", "color.accent-muted", "color.bg", "color.danger", "color.fg" }, names)
  end)

  it("eval evaluates any expression against the set", function()
    assert.are.equal(12, (light:eval("{space.base} * 3")))
    assert.are.equal("#00a2ba99", (light:eval("rgba({palette.teal.500}, {opacity.muted})")))
    local v, info = light:eval("{nope} + 1")
    assert.are.equal("{nope} + 1", v)
    assert.is_true(info.failed)
    assert.are.equal("reference {nope} not found", info.reason)
  end)

  it("dependents lists every token that uses a token, through aliases", function()
    assert.are.same({ "button.padding", "button.shadow", "space.lg", "space.md", "space.sm" },
      light:dependents("space.base"))
    assert.are.same({ "button.border", "color.accent" }, light:dependents("palette.teal.700"))
    assert.are.same({}, light:dependents("color.fg"))
  end)

  it("diff names the tokens whose values differ", function()
    assert.are.same({ "button.border", "color.accent", "color.accent-muted", "color.bg", "color.danger", "color.fg" },
      light:diff(dark))
    assert.are.same({}, light:diff(light))
  end)

  it("flat maps exported names to values", function()
    local flat = dark:flat()
    assert.are.equal("#1b2430", flat["color.bg"])
    assert.is_nil(flat["palette.ink"])
    assert.are.same({ fontFamily = "Inter", fontSize = "20px", fontWeight = 600, lineHeight = "150%" }, flat["button.label"])
  end)

  it("stats counts tokens", function()
    local s = light:stats()
    assert.are.equal(10, s.exported)
    assert.are.equal(0, s.failed)
    assert.are.equal(4, s.sets) -- theme/dark takes part unused, at lowest priority
    assert.is_true(s.tokens > s.exported)
    assert.is_number(s.seconds)
  end)

  it("lists failures", function()
    local r = h.resolve { a = { value = "{b}", type = "number" }, c = { value = "1", type = "number" } }
    assert.are.same({ { name = "a", reason = "reference {b} not found" } }, r:failures())
  end)

  it("interns token names in the module's interner", function()
    local _, info = light:get("space.md")
    assert.are.equal("space.md", tf.names:name(info.id))
    assert.are.equal("space.base", tf.names:name(info.deps[1]))
  end)
end)

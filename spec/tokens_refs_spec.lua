local h = require "tokens_helper"
local tf = require "tokenflow"

describe("references", function()
  local base = {
    colors = {
      red = { value = "#ff0000", type = "color" },
      primary = { value = "red", type = "color" },
      red2 = { value = "{colors.red}", type = "color" },
      ["the one with spaces"] = { value = "#010203", type = "color" },
      ["red.500"] = { value = "#aa0000", type = "color" },
    },
    size = { base = { value = "4", type = "spacing" }, unit = { value = "px", type = "other" } },
    base = { scale = { value = "2", type = "number" }, ratio = { value = "2", type = "number" }, index = { value = "400", type = "number" } },
    typography = { all = { value = { fontFamily = "Inter", fontSize = "16px" }, type = "typography" } },
    shadow = { value = { { x = "0", y = "2", color = "#000" }, { x = "1", y = "3", color = "#111" } }, type = "boxShadow" },
  }

  it("substitutes the brace form", function()
    assert.are.equal("#ff0000", (h.value_of("{colors.red}", "color", base)))
  end)

  it("allows spaces inside braced names", function()
    assert.are.equal("#010203", (h.value_of("{colors.the one with spaces}", "color", base)))
  end)

  it("substitutes the dollar form up to whitespace or comma, ending on a word character", function()
    assert.are.equal("#ff0000", (h.value_of("$colors.red", "color", base)))
    assert.are.equal("#ff000080", (h.value_of("rgba($colors.red, 0.5)", "color", base)))
  end)

  it("evaluates the worked example with dollar references", function()
    assert.are.equal(8, (h.value_of("$base.scale * $base.ratio ^ round((200 + 400 - $base.index) / 100)", "number", base)))
  end)

  it("resolves nested references inner first, also through an alias", function()
    local core = {}
    for k, v in pairs(base) do core[k] = v end
    core.which = { value = "{colors.primary}", type = "other" }
    assert.are.equal("#ff0000", (h.value_of("{colors.{colors.primary}}", "color", core)))
    assert.are.equal("#ff0000", (h.value_of("{colors.{which}}", "color", core)))
    assert.are.equal("#aa0000", (h.value_of("{colors.{colors.primary}.500}", "color", core)))
  end)

  it("reads a property of a composite token (deep reference)", function()
    assert.are.equal("Inter", (h.value_of("{typography.all.fontFamily}", "fontFamilies", base)))
    assert.are.equal("#111", (h.value_of("{shadow.1.color}", "color", base)))
  end)

  it("substitutes primitive results into surrounding text", function()
    assert.are.equal("4px solid", (h.value_of("{size.base}{size.unit} solid", "border", base)))
  end)

  it("lets a composite result replace the whole value", function()
    local v = h.value_of("{typography.all}", "typography", base)
    assert.are.same({ fontFamily = "Inter", fontSize = "16px" }, v)
  end)

  it("keeps a missing reference as written and marks the token failed", function()
    local v, info = h.value_of("{baz}", "color", base)
    assert.are.equal("{baz}", v)
    assert.is_true(info.failed)
    assert.are.equal("reference {baz} not found", info.reason)
  end)

  it("does not apply math to a string that still holds a reference", function()
    local v, info = h.value_of("{baz} * 2 + 1", "number", base)
    assert.are.equal("{baz} * 2 + 1", v)
    assert.is_true(info.failed)
    local d, dinfo = h.value_of("$foobar * 4.5", "number", base)
    assert.are.equal("$foobar * 4.5", d)
    assert.is_true(dinfo.failed)
  end)

  it("marks self references and cycles failed without hanging", function()
    local r = h.resolve {
      me = { value = "{me}", type = "number" },
      a = { value = "{b}", type = "number" }, b = { value = "{c}", type = "number" }, c = { value = "{a}", type = "number" },
      user = { value = "{a} + 1", type = "number" },
    }
    for _, n in ipairs { "me", "a", "b", "c", "user" } do
      local _, info = r:get(n)
      assert.is_true(info.failed, n)
    end
    assert.are.equal("{me}", (r:get("me")))
    assert.matches("circular reference", select(2, r:get("me")).reason)
  end)

  it("resolves a 10k-deep alias chain without overflowing the stack", function()
    local core = { a1 = { value = "8px", type = "spacing" } }
    for i = 2, 10000 do core["a" .. i] = { value = "{a" .. (i - 1) .. "}", type = "spacing" } end
    local r = h.resolve(core)
    assert.are.equal("8px", (r:get("a10000")))
    assert.is_false(select(2, r:get("a10000")).failed)
  end)

  it("resolves a 1000-alias chain ending in math", function()
    local core = { a1 = { value = "2", type = "number" } }
    for i = 2, 1000 do core["a" .. i] = { value = "{a" .. (i - 1) .. "}", type = "number" } end
    core.top = { value = "{a1000} * 3", type = "number" }
    assert.are.equal(6, (h.resolve(core):get("top")))
  end)

  it("resolves composite values field by field; a failed field keeps its text", function()
    local v, info = h.value_of({ fontFamily = "{typography.all.fontFamily}", fontSize = "{nope}", lineHeight = "50" },
      "typography", base)
    assert.are.same({ fontFamily = "Inter", fontSize = "{nope}", lineHeight = 50 }, v)
    assert.is_true(info.failed)
  end)

  it("resolves arrays of shadows and turns numeric strings into numbers", function()
    local v = h.value_of({ { x = "{size.base}", y = "50", blur = "{size.base} * 2", color = "rgba({colors.red}, 0.5)" } },
      "boxShadow", base)
    assert.are.same({ { x = 4, y = 50, blur = 8, color = "#ff000080" } }, v)
  end)

  it("resolves composition and border tokens", function()
    local comp = h.value_of({ fill = "{colors.red}", sizing = "{size.base} * 4" }, "composition", base)
    assert.are.same({ fill = "#ff0000", sizing = 16 }, comp)
    local border = h.value_of({ color = "{colors.red}", width = "{size.base}{size.unit}", style = "solid" }, "border", base)
    assert.are.same({ color = "#ff0000", width = "4px", style = "solid" }, border)
  end)

  it("records direct references and their interned ids", function()
    local _, info = h.value_of("{size.base} * {base.scale}", "number", base)
    assert.are.same({ "size.base", "base.scale" }, info.refs)
    assert.are.equal(tf.names:lookup("size.base"), info.deps[1])
    assert.are.equal(tf.names:lookup("base.scale"), info.deps[2])
    assert.are.equal(tf.names:lookup("x"), info.id)
  end)
end)

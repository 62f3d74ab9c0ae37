local h = require "tokens_helper"

local function color_of(text, others)
  return (h.value_of(text, "color", others))
end

local function modified(base, modify, others)
  local core = {}
  for k, v in pairs(others or {}) do core[k] = v end
  core.x = { value = base, type = "color", ["$extensions"] = { ["studio.tokens"] = { modify = modify } } }
  return h.resolve(core):get("x")
end

describe("colours", function()
  local palette = { colors = { red = { value = "#ff0000", type = "color" } },
    opacity = { ["40"] = { value = "0.4", type = "opacity" } } }

  it("rewrites rgba/rgb with a hex colour and an alpha", function()
    assert.are.equal("#ff000080", color_of("rgba(#ff0000, 0.5)"))
    assert.are.equal("#ff000080", color_of("rgb(#ff0000, 0.5)"))
    assert.are.equal("#ff000066", color_of("rgba({colors.red}, {opacity.40})", palette))
    assert.are.equal("#ff0000", color_of("rgba(#ff0000, 1)"))
    assert.are.equal("#00000000", color_of("rgba(#000000, 0)"))
  end)

  it("rewrites rgba/rgb with channels", function()
    assert.are.equal("#00ff0080", color_of("rgba(0, 255, 0, 0.5)"))
    assert.are.equal("#ff000040", color_of("rgb(255, 0, 0, 0.25)"))
  end)

  it("rewrites hsl and hsla", function()
    assert.are.equal("#206057", color_of("hsl(172,50%,25%)"))
    assert.are.equal("#d0efeb80", color_of("hsla(172,50%,87.675%,0.5)"))
    assert.are.equal("#ffffff", color_of("hsla(210, 50%, 100%, 1)"))
  end)

  it("evaluates math in colour arguments", function()
    local base = { colors = { lightness_base = { value = "25", type = "number" } } }
    assert.are.equal("#d0efeb80", color_of("hsla(172,50%,$colors.lightness_base * 3.5 + 0.175%,0.5)", base))
  end)

  it("rewrites colours inside gradients and keeps the gradient text", function()
    assert.are.equal("linear-gradient(90deg, #ff000080 0%, #206057 100%)",
      color_of("linear-gradient(90deg, rgba({colors.red}, 0.5) 0%, hsl(172,50%,25%) 100%)", palette))
  end)

  it("leaves the text unchanged when a reference inside fails", function()
    local v, info = h.value_of("rgba({notexisting}, 1)", "color")
    assert.are.equal("rgba({notexisting}, 1)", v)
    assert.is_true(info.failed)
  end)

  describe("modifiers", function()
    it("lighten and darken in lch", function()
      assert.are.equal("#ff756b", modified("#ff0033", { type = "lighten", value = "0.3", space = "lch" }))
      assert.are.equal("#ad1b26", modified("#ff0033", { type = "darken", value = "0.3", space = "lch" }))
    end)

    it("alpha", function()
      assert.are.equal("#ff00334d", modified("#ff0033", { type = "alpha", value = "0.3", space = "lch" }))
    end)

    it("mix in srgb", function()
      assert.are.equal("#c2143d", modified("#ff0033", { type = "mix", value = "0.3", space = "srgb", color = "#334455" }))
      assert.are.equal("#ff113b", modified("#ff2277", { type = "mix", value = "0.5", space = "srgb", color = "#ff0000" }))
    end)

    it("darken in srgb", function()
      assert.are.equal("#007182", modified("#00a2ba", { type = "darken", value = "0.3", space = "srgb" }))
    end)

    -- values computed with colour.js 0.5 (the library sd-transforms uses)
    it("p3 and hsl spaces, and mixing hues", function()
      assert.are.equal("#ff6674", modified("#ff0033", { type = "lighten", value = "0.3", space = "p3" }))
      assert.are.equal("#ff4d70", modified("#ff0033", { type = "lighten", value = "0.3", space = "hsl" }))
      assert.are.equal("#cc1b84", modified("#ff0033", { type = "mix", value = "0.3", space = "lch", color = "#334455" }))
      assert.are.equal("#c58034", modified("#ff0033", { type = "mix", value = "0.4", space = "p3", color = "#00ff00" }))
      assert.are.equal("#ffad00", modified("#ff0033", { type = "mix", value = "0.4", space = "hsl", color = "#00ff00" }))
      assert.are.equal("#23771a", modified("#00ff00", { type = "darken", value = "0.5", space = "lch" }))
      assert.are.equal("#af89ff", modified("#0000ff", { type = "lighten", value = "0.5", space = "lch" }))
    end)

    it("takes the value and the mix colour from references", function()
      local others = { amount = { value = "0.3", type = "number" }, other = { value = "#334455", type = "color" },
        base = { value = "#ff0033", type = "color" } }
      assert.are.equal("#c2143d", modified("{base}", { type = "mix", value = "{amount}", space = "srgb", color = "{other}" }, others))
      assert.are.equal("#ff756b", modified("{base}", { type = "lighten", value = "{amount}", space = "lch" }, others))
    end)

    it("mixes one base with two colours in one set into two results", function()
      local function mix(color)
        return { value = "#ff0033", type = "color",
          ["$extensions"] = { ["studio.tokens"] = { modify = { type = "mix", value = "0.3", space = "srgb", color = color } } } }
      end
      local r = h.resolve { a = mix("#334455"), b = mix("#00ff00") }
      assert.are.equal("#c2143d", (r:get("a")))
      assert.are.equal(modified("#ff0033", { type = "mix", value = "0.3", space = "srgb", color = "#00ff00" }), (r:get("b")))
      assert.are_not.equal(r:get("a"), r:get("b"))
    end)

    it("modifies DTCG colour objects", function()
      local obj = { colorSpace = "srgb", components = { 1, 0, 0.2 } }
      assert.are.equal("#ff756b", modified(obj, { type = "lighten", value = "0.3", space = "lch" }))
    end)

    it("marks a token failed for an unknown modifier or space", function()
      local core = { x = { value = "#ff0033", type = "color",
        ["$extensions"] = { ["studio.tokens"] = { modify = { type = "blur", value = "0.3", space = "lch" } } } } }
      local v, info = h.resolve(core):get("x")
      assert.are.equal("#ff0033", v)
      assert.are.equal("unknown modifier type 'blur'", info.reason)
      core.x["$extensions"]["studio.tokens"].modify = { type = "lighten", value = "0.3", space = "cmyk" }
      assert.are.equal("unknown colour space 'cmyk'", select(2, h.resolve(core):get("x")).reason)
    end)
  end)
end)

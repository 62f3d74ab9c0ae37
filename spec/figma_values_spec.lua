-- tf.figma value conversions (SEMANTICS.md section 6): numbers and units,
-- colours, gradients, typography values, shadows.
local units = require "tokenflow.apply.units"
local color_parse = require "tokenflow.apply.color_parse"
local paint = require "tokenflow.apply.paint"
local text = require "tokenflow.apply.text"
local effects = require "tokenflow.apply.effects"
local rules = require "tokenflow.apply.rules"

describe("tf.figma numbers and units", function()
  it("13px is 13, bare numbers and numbers stay", function()
    assert.equal(13, units.to_px("13px", 16))
    assert.equal(12.5, units.to_px("12.5", 16))
    assert.equal(-4, units.to_px("-4px", 16))
    assert.equal(7, units.to_px(7, 16))
  end)

  it("rem and em multiply by the base font size", function()
    assert.equal(32, units.to_px("2rem", 16))
    assert.equal(24, units.to_px("1.5em", 16))
    assert.equal(28, units.to_px("2rem", units.base_size("14px")))
  end)

  it("base font size: number, px text, unparsable falls back to 16", function()
    assert.equal(14, units.base_size("14px"))
    assert.equal(18, units.base_size(18))
    assert.equal(16, units.base_size("large"))
    assert.equal(16, units.base_size(nil))
    assert.equal(16, units.base_size(-3))
    assert.equal(16, units.base_size({}))
  end)

  it("rejects text that is not a number, and unknown units, with the value in the message", function()
    local n, err = units.to_px("wide", 16)
    assert.is_nil(n)
    assert.matches('"wide" is not a number', err, 1, true)
    n, err = units.to_px("3vh", 16)
    assert.is_nil(n)
    assert.matches("unsupported unit", err, 1, true)
    n, err = units.to_px({}, 16)
    assert.is_nil(n)
    assert.matches("got a table", err, 1, true)
  end)

  it("sizes of 0 become 0.001", function()
    assert.equal(0.001, units.nonzero(0))
    assert.equal(5, units.nonzero(5))
  end)

  it("1-4 value shorthands expand in CSS order", function()
    assert.same({ 1, 1, 1, 1 }, { units.four { 1 } })
    assert.same({ 1, 2, 1, 2 }, { units.four { 1, 2 } })
    assert.same({ 1, 2, 3, 2 }, { units.four { 1, 2, 3 } })
    assert.same({ 1, 2, 3, 4 }, { units.four { 1, 2, 3, 4 } })
    local p, err = units.parts("1 2 3 4 5")
    assert.is_nil(p)
    assert.matches("1 to 4 values, has 5", err, 1, true)
  end)
end)

describe("tf.figma colours", function()
  local function rgb(text_)
    local c, a = color_parse.parse(text_)
    assert(c, a)
    return c.r, c.g, c.b, a
  end

  it("rgba(51,51,51,0.5) is 0.2 each with opacity 0.5", function()
    assert.same({ 0.2, 0.2, 0.2, 0.5 }, { rgb("rgba(51,51,51,0.5)") })
  end)

  it("hex with alpha: #ff0000cc has opacity 0.8", function()
    assert.same({ 1, 0, 0, 0.8 }, { rgb("#ff0000cc") })
  end)

  it("hex with 3, 4 and 6 digits", function()
    assert.same({ 1, 0, 0, 1 }, { rgb("#f00") })
    assert.same({ 1, 0, 0, 0 }, { rgb("#f000") })
    assert.same({ 0, 1, 0, 1 }, { rgb("#00FF00") })
  end)

  it("named colours: red is (1,0,0); transparent has opacity 0", function()
    assert.same({ 1, 0, 0, 1 }, { rgb("red") })
    assert.same({ 0x66 / 255, 0x33 / 255, 0x99 / 255, 1 }, { rgb("RebeccaPurple") })
    assert.same({ 0, 0, 0, 0 }, { rgb("transparent") })
  end)

  it("rgb with percentages and the space syntax", function()
    assert.same({ 1, 0.5, 0, 1 }, { rgb("rgb(100%, 50%, 0%)") })
    assert.same({ 0.2, 0.2, 0.2, 0.5 }, { rgb("rgb(51 51 51 / 50%)") })
  end)

  it("hsl and hsla", function()
    -- hsl(172,50%,25%) is #206057 (SEMANTICS.md section 5)
    assert.same({ 0x20 / 255, 0x60 / 255, 0x57 / 255, 1 }, { rgb("hsl(172, 50%, 25%)") })
    assert.same({ 1, 1, 1, 0.5 }, { rgb("hsla(210, 50%, 100%, 0.5)") })
  end)

  it("rejects what is not a colour", function()
    for _, bad in ipairs { "#12", "#ggg", "rgb(1,2)", "blurple", "rgba(a,b,c,1)", "" } do
      local c, err = color_parse.parse(bad)
      assert.is_nil(c, bad)
      assert.matches("is not a colour", err, 1, true)
    end
    local c, err = color_parse.parse(5)
    assert.is_nil(c)
    assert.matches("got a number", err, 1, true)
  end)

  it("a colour value becomes a SOLID paint", function()
    local p = assert(paint.from_value("#336699"))
    assert.equal("SOLID", p.type)
    assert.equal(0.2, p.color.r)
    assert.equal(1, p.opacity)
  end)
end)

describe("tf.figma gradients", function()
  it("linear-gradient becomes a GRADIENT_LINEAR paint with stops and handles", function()
    local g = assert(paint.from_value("linear-gradient(90deg, #ff0000 0%, rgba(0, 0, 255, 0.5) 100%)"))
    assert.equal("GRADIENT_LINEAR", g.type)
    assert.equal(2, #g.gradientStops)
    assert.same({ r = 1, g = 0, b = 0, a = 1 }, g.gradientStops[1].color)
    assert.same({ r = 0, g = 0, b = 1, a = 0.5 }, g.gradientStops[2].color)
    assert.equal(0, g.gradientStops[1].position)
    assert.equal(1, g.gradientStops[2].position)
    -- 90deg runs left to right across the middle
    assert.same({ { x = 0, y = 0.5 }, { x = 1, y = 0.5 }, { x = 0, y = 1 } }, g.gradientHandlePositions)
    assert.same({ { 1, 0, 0 }, { 0, 1, 0 } }, g.gradientTransform)
  end)

  it("the default direction is to bottom; stops without positions spread evenly", function()
    local g = assert(paint.gradient("linear-gradient(#000, #fff, #f00)"))
    assert.equal(0.5, g.gradientStops[2].position)
    local h = g.gradientHandlePositions
    assert.equal(0.5, h[1].x) ; assert.equal(0, h[1].y)
    assert.equal(0.5, h[2].x) ; assert.equal(1, h[2].y)
    assert.same(assert(paint.gradient("linear-gradient(to bottom, #000, #fff, #f00)")), g)
    assert.same(assert(paint.gradient("linear-gradient(90deg, #000, #fff)")),
      assert(paint.gradient("linear-gradient(to right, #000, #fff)")))
    assert.same(assert(paint.gradient("linear-gradient(0.25turn, #000, #fff)")),
      assert(paint.gradient("linear-gradient(to right, #000, #fff)")))
  end)

  it("radial-gradient becomes GRADIENT_RADIAL, conic-gradient GRADIENT_ANGULAR", function()
    local r = assert(paint.gradient("radial-gradient(circle at center, #fff 10%, #000 90%)"))
    assert.equal("GRADIENT_RADIAL", r.type)
    assert.equal(0.1, r.gradientStops[1].position)
    assert.equal(0.9, r.gradientStops[2].position)
    local c = assert(paint.gradient("conic-gradient(from 90deg, red, blue)"))
    assert.equal("GRADIENT_ANGULAR", c.type)
    assert.same({ r = 0, g = 0, b = 1, a = 1 }, c.gradientStops[2].color)
  end)

  it("a bad stop colour fails with the gradient in the message", function()
    local g, err = paint.from_value("linear-gradient(90deg, notacolour 0%, #fff 100%)")
    assert.is_nil(g)
    assert.matches('"notacolour" is not a colour', err, 1, true)
    assert.matches("linear-gradient", err, 1, true)
  end)
end)

describe("tf.figma typography values", function()
  it("line height: px/rem/bare -> PIXELS, n% -> PERCENT, else AUTO", function()
    assert.same({ unit = "PIXELS", value = 24 }, text.line_height("24px", 16))
    assert.same({ unit = "PIXELS", value = 24 }, text.line_height("1.5rem", 16))
    assert.same({ unit = "PIXELS", value = 20 }, text.line_height("20", 16))
    assert.same({ unit = "PIXELS", value = 20 }, text.line_height(20, 16))
    assert.same({ unit = "PERCENT", value = 150 }, text.line_height("150%", 16))
    assert.same({ unit = "AUTO" }, text.line_height("AUTO", 16))
    assert.same({ unit = "AUTO" }, text.line_height("normal", 16))
  end)

  it("letter spacing: n% -> PERCENT, number/px/em/rem -> PIXELS", function()
    assert.same({ unit = "PERCENT", value = 5 }, text.letter_spacing("5%", 16))
    assert.same({ unit = "PIXELS", value = 2 }, text.letter_spacing("2px", 16))
    assert.same({ unit = "PIXELS", value = 2 }, text.letter_spacing(2, 16))
    assert.same({ unit = "PIXELS", value = 8 }, text.letter_spacing("0.5em", 16))
    assert.same({ unit = "PIXELS", value = 4 }, text.letter_spacing("0.25rem", 16))
    assert.is_nil((text.letter_spacing("wide", 16)))
  end)

  it("font weight names, with every variant", function()
    assert.same({ "Regular", "Normal" }, text.font_weight("400").styles)
    assert.same({ "SemiBold", "Semibold", "Semi Bold", "DemiBold", "Demi Bold" }, text.font_weight("600").styles)
    assert.equal(600, text.font_weight(600).weight)
    assert.same({ "Thin", "Hairline" }, text.font_weight("100").styles)
    assert.same({ "Black", "Heavy" }, text.font_weight("900").styles)
    local named = text.font_weight("Semi Bold")
    assert.same({ "Semi Bold" }, named.styles)
    assert.equal(600, named.weight)
    assert.equal(700, text.font_weight("Bold Italic").weight)
  end)

  it("text case", function()
    assert.equal("ORIGINAL", text.text_case("none"))
    assert.equal("ORIGINAL", text.text_case("original"))
    assert.equal("TITLE", text.text_case("capitalize"))
    assert.equal("TITLE", text.text_case("title"))
    assert.equal("UPPER", text.text_case("upper"))
    assert.equal("UPPER", text.text_case("uppercase"))
    assert.equal("SMALL_CAPS", text.text_case("small-caps"))
    assert.equal("LOWER", text.text_case("lowercase"))
  end)

  it("text decoration", function()
    assert.equal("STRIKETHROUGH", text.text_decoration("line-through"))
    assert.equal("STRIKETHROUGH", text.text_decoration("strikethrough"))
    assert.equal("UNDERLINE", text.text_decoration("underline"))
    assert.equal("NONE", text.text_decoration("blink"))
  end)
end)

describe("tf.figma shadows and dashes", function()
  it("{x:2,y:4,blur:10,spread:4,color:#000} is one DROP_SHADOW with exact fields", function()
    local list = assert(effects.shadows({ x = 2, y = 4, blur = 10, spread = 4, color = "#000" }, 16))
    assert.same({ {
      type = "DROP_SHADOW", radius = 10, spread = 4, offset = { x = 2, y = 4 },
      color = { r = 0, g = 0, b = 0, a = 1 }, blendMode = "NORMAL", visible = true,
      showShadowBehindNode = false,
    } }, list)
  end)

  it("an array applies in reverse order; innerShadow is INNER_SHADOW", function()
    local list = assert(effects.shadows({
      { x = 0, y = 1, blur = "2px", spread = 0, color = "#000000", type = "dropShadow" },
      { x = "1rem", y = 0, blur = 3, spread = 1, color = "rgba(0,0,0,0.5)", type = "innerShadow" },
    }, 16))
    assert.equal(2, #list)
    assert.equal("INNER_SHADOW", list[1].type)
    assert.equal(16, list[1].offset.x)
    assert.equal(0.5, list[1].color.a)
    assert.equal("DROP_SHADOW", list[2].type)
    assert.equal(2, list[2].radius)
  end)

  it("a bad shadow field names the layer and the field", function()
    local list, err = effects.shadows({ { x = 1 }, { x = "far", color = "#000" } }, 16)
    assert.is_nil(list)
    assert.matches("shadow 2: x:", err, 1, true)
  end)

  it("dash pattern of a dashed border by width", function()
    assert.same({ 3, 2 }, rules.dash_pattern(1))
    assert.same({ 6, 3 }, rules.dash_pattern(2))
    assert.same({ 6, 3 }, rules.dash_pattern(3))
    assert.same({ 8, 4 }, rules.dash_pattern(4))
    assert.same({ 10, 5 }, rules.dash_pattern(5))
    assert.same({ 10, 10 }, rules.dash_pattern(6))
    assert.same({ 10, 10 }, rules.dash_pattern(0.5))
  end)
end)

-- tf.figma map + write: the node rules of SEMANTICS.md section 6, each a case.
local figma = require "tokenflow.apply.figma"
local fake = require "figma_fake"
local apply = fake.apply

local function frame(extra)
  local n = { type = "FRAME", id = "1:1" }
  for k, v in pairs(extra or {}) do n[k] = v end
  return n
end
local function auto_frame(extra)
  local n = frame(extra)
  n.layoutMode = n.layoutMode or "HORIZONTAL"
  return n
end

describe("tf.figma numbers on nodes", function()
  it("13px is 13; rem/em use the base font size; an unparsable base is 16", function()
    assert.equal(13, apply({ borderWidth = "13px" }).strokeWeight)
    assert.equal(32, apply({ borderWidth = "2rem" }).strokeWeight)
    assert.equal(24, apply({ borderWidth = "1.5em" }).strokeWeight)
    assert.equal(28, apply({ borderWidth = "2rem" }, nil, { base_font_size = "14px" }).strokeWeight)
    assert.equal(32, apply({ borderWidth = "2rem" }, nil, { base_font_size = "huge" }).strokeWeight)
  end)
end)

describe("tf.figma sizing", function()
  it("sizing 0 becomes 0.001", function()
    local box = apply({ sizing = "0" }).absoluteBoundingBox
    assert.equal(0.001, box.width)
    assert.equal(0.001, box.height)
  end)

  it("sizing sets width and height, width/height one of them", function()
    local n = apply({ sizing = "40px" }, frame { absoluteBoundingBox = { x = 5, y = 6, width = 1, height = 2 } })
    assert.same({ x = 5, y = 6, width = 40, height = 40 }, n.absoluteBoundingBox)
    n = apply({ width = "1rem" }, frame { absoluteBoundingBox = { x = 0, y = 0, width = 1, height = 2 } })
    assert.same({ x = 0, y = 0, width = 16, height = 2 }, n.absoluteBoundingBox)
    n = apply({ height = 30 }, frame { absoluteBoundingBox = { x = 0, y = 0, width = 1, height = 2 } })
    assert.same({ x = 0, y = 0, width = 1, height = 30 }, n.absoluteBoundingBox)
  end)

  it("100% stretches in an auto-layout parent: grow along its axis, stretch across", function()
    local row = auto_frame { layoutMode = "HORIZONTAL" }
    local n = apply({ width = "100%" }, frame(), nil, { parent = row })
    assert.equal(1, n.layoutGrow)
    assert.is_nil(n.layoutAlign)
    n = apply({ height = "100%" }, frame(), nil, { parent = row })
    assert.equal("STRETCH", n.layoutAlign)
    assert.is_nil(n.layoutGrow)
    assert.is_nil(n.absoluteBoundingBox)
    local column = auto_frame { layoutMode = "VERTICAL" }
    n = apply({ sizing = "100%" }, frame(), nil, { parent = column })
    assert.equal(1, n.layoutGrow)
    assert.equal("STRETCH", n.layoutAlign)
  end)

  it("100% outside auto layout takes the parent's size, else 100", function()
    local parent = frame { absoluteBoundingBox = { x = 0, y = 0, width = 300, height = 200 } }
    local n = apply({ width = "100%" }, frame(), nil, { parent = parent })
    assert.equal(300, n.absoluteBoundingBox.width)
    assert.is_nil(n.layoutAlign)
    n = apply({ height = "100%" }, frame())
    assert.equal(100, n.absoluteBoundingBox.height)
  end)

  it("min/max sizes apply on auto-layout frames and their children only", function()
    assert.equal(50, apply({ minWidth = "50" }, auto_frame()).minWidth)
    assert.equal(60, apply({ maxHeight = "60" }, frame(), nil, { parent = auto_frame() }).maxHeight)
    assert.is_nil(apply({ minWidth = "50" }, frame()).minWidth)
  end)
end)

describe("tf.figma border radius", function()
  it("1 value sets cornerRadius", function()
    local n = apply({ borderRadius = "8px" }, frame { rectangleCornerRadii = { 1, 2, 3, 4 } })
    assert.equal(8, n.cornerRadius)
    assert.is_nil(n.rectangleCornerRadii)
  end)

  it("2 values: top-left = bottom-right = a, top-right = bottom-left = b", function()
    assert.same({ 4, 8, 4, 8 }, apply({ borderRadius = "4 8" }).rectangleCornerRadii)
  end)

  it("3 values: top-left a, top-right = bottom-left b, bottom-right c", function()
    assert.same({ 4, 8, 12, 8 }, apply({ borderRadius = "4px 8px 12px" }).rectangleCornerRadii)
  end)

  it("4 values in CSS order", function()
    local n = apply({ borderRadius = "1 2 3 4" })
    assert.same({ 1, 2, 3, 4 }, n.rectangleCornerRadii)
    assert.is_nil(n.cornerRadius)
  end)

  it("one corner keeps the others", function()
    local n = apply({ borderRadiusTopRight = "6" }, frame { cornerRadius = 2 })
    assert.same({ 2, 6, 2, 2 }, n.rectangleCornerRadii)
    n = apply({ borderRadiusBottomLeft = 9 }, frame { rectangleCornerRadii = { 1, 2, 3, 4 } })
    assert.same({ 1, 2, 3, 9 }, n.rectangleCornerRadii)
  end)
end)

describe("tf.figma spacing", function()
  local function pads(n) return { n.paddingTop, n.paddingRight, n.paddingBottom, n.paddingLeft } end

  it("spacing 20 sets all four paddings", function()
    assert.same({ 20, 20, 20, 20 }, pads(apply({ spacing = "20" })))
  end)

  it("spacing with 2, 3 and 4 values (top right bottom left)", function()
    assert.same({ 8, 16, 8, 16 }, pads(apply({ spacing = "8px 16px" })))
    assert.same({ 1, 2, 3, 2 }, pads(apply({ spacing = "1 2 3" })))
    assert.same({ 1, 2, 3, 4 }, pads(apply({ spacing = "1 2 3 4" })))
  end)

  it("horizontal, vertical and single paddings", function()
    local n = apply({ horizontalPadding = "4", verticalPadding = "1rem", paddingLeft = "2" })
    assert.same({ 16, 4, 16, 2 }, pads(n))
  end)

  it("itemSpacing AUTO means space-between; a number resets it", function()
    local n = apply({ itemSpacing = "AUTO" }, auto_frame { itemSpacing = 10 })
    assert.equal("SPACE_BETWEEN", n.primaryAxisAlignItems)
    assert.equal(10, n.itemSpacing)
    n = apply({ itemSpacing = "12" }, auto_frame { primaryAxisAlignItems = "SPACE_BETWEEN" })
    assert.equal("MIN", n.primaryAxisAlignItems)
    assert.equal(12, n.itemSpacing)
  end)

  it("itemSpacing and counterAxisSpacing only on auto-layout frames", function()
    assert.is_nil(apply({ itemSpacing = "12" }, frame()).itemSpacing)
    assert.equal(6, apply({ counterAxisSpacing = "6" }, auto_frame { layoutWrap = "WRAP" }).counterAxisSpacing)
  end)

  it("paddings are not written to non-frames", function()
    assert.is_nil(apply({ spacing = "20" }, { type = "RECTANGLE" }).paddingTop)
  end)
end)

describe("tf.figma borders", function()
  it("border {color, width, style}: strokeWeight, strokes from borderColor, solid -> [0,0]", function()
    local n = apply({ border = { color = "#ff0000", width = "3px", style = "solid" } })
    assert.equal(3, n.strokeWeight)
    assert.same({ 0, 0 }, n.strokeDashes)
    assert.equal(1, #n.strokes)
    assert.same({ r = 1, g = 0, b = 0 }, n.strokes[1].color)
  end)

  it("dashed borders by width", function()
    local expected = { [1] = { 3, 2 }, [2] = { 6, 3 }, [3] = { 6, 3 }, [4] = { 8, 4 }, [5] = { 10, 5 }, [7] = { 10, 10 } }
    for width, dashes in pairs(expected) do
      local n = apply({ border = { color = "#000", width = width, style = "dashed" } })
      assert.same(dashes, n.strokeDashes, "width " .. width)
    end
  end)

  it("border sides set one side weight and supply the default borderColor", function()
    local n = apply({ borderTop = { color = "#00ff00", width = "2" } }, frame { strokeWeight = 1 })
    assert.same({ top = 2, right = 1, bottom = 1, left = 1 }, n.individualStrokeWeights)
    assert.same({ r = 0, g = 1, b = 0 }, n.strokes[1].color)
  end)

  it("an explicit borderColor wins over the border's colour", function()
    local n = apply({ border = { color = "#00ff00", width = 1 }, borderColor = "#0000ff" })
    assert.same({ r = 0, g = 0, b = 1 }, n.strokes[1].color)
  end)

  it("borderWidth and its sides", function()
    local n = apply({ borderWidth = "2", borderWidthLeft = "5" })
    assert.equal(2, n.strokeWeight)
    assert.same({ top = 2, right = 2, bottom = 2, left = 5 }, n.individualStrokeWeights)
  end)

  it("an old-style border that is only a colour sets the strokes", function()
    assert.same({ r = 1, g = 0, b = 0 }, apply({ border = "red" }).strokes[1].color)
  end)
end)

describe("tf.figma effects, opacity and colour", function()
  it("boxShadow replaces the effect list; backgroundBlur keeps the shadows", function()
    local n = apply({ boxShadow = { x = 2, y = 4, blur = 10, spread = 4, color = "#000" }, backgroundBlur = "8" },
      frame { effects = { { type = "LAYER_BLUR", radius = 3, visible = true } } })
    assert.equal(2, #n.effects)
    local s = n.effects[1]
    assert.equal("DROP_SHADOW", s.type)
    assert.equal(10, s.radius)
    assert.equal(4, s.spread)
    assert.same({ x = 2, y = 4 }, s.offset)
    assert.equal(1, s.color.a)
    assert.equal("NORMAL", s.blendMode)
    assert.same({ type = "BACKGROUND_BLUR", visible = true, radius = 8 }, n.effects[2])
  end)

  it("an array of shadows is written in reverse order", function()
    local n = apply({ boxShadow = {
      { x = 0, y = 1, blur = 1, spread = 0, color = "#000", type = "dropShadow" },
      { x = 0, y = 2, blur = 2, spread = 0, color = "#fff", type = "innerShadow" },
    } })
    assert.equal("INNER_SHADOW", n.effects[1].type)
    assert.equal("DROP_SHADOW", n.effects[2].type)
  end)

  it("opacity 50% is 0.5, 0.3 is 0.3", function()
    assert.equal(0.5, apply({ opacity = "50%" }).opacity)
    assert.equal(0.3, apply({ opacity = "0.3" }).opacity)
    assert.equal(0.3, apply({ opacity = 0.3 }).opacity)
    for _, bad in ipairs { "30", "150%", "half" } do
      local n, errors = apply({ opacity = bad })
      assert.is_nil(n)
      assert.matches("is not an opacity", errors[1].message, 1, true)
    end
  end)

  it("fill colours: rgba, hex with alpha, named", function()
    local p = apply({ fill = "rgba(51,51,51,0.5)" }).fills[1]
    assert.same({ type = "SOLID", color = { r = 0.2, g = 0.2, b = 0.2 }, opacity = 0.5, visible = true }, p)
    assert.equal(0.8, apply({ fill = "#ff0000cc" }).fills[1].opacity)
    assert.same({ r = 1, g = 0, b = 0 }, apply({ fill = "red" }).fills[1].color)
  end)

  it("gradients (linear, radial, conic) become gradient fills", function()
    assert.equal("GRADIENT_LINEAR", apply({ fill = "linear-gradient(45deg, #000 0%, #fff 100%)" }).fills[1].type)
    assert.equal("GRADIENT_RADIAL", apply({ fill = "radial-gradient(#000, #fff)" }).fills[1].type)
    assert.equal("GRADIENT_ANGULAR", apply({ fill = "conic-gradient(#000, #fff)" }).fills[1].type)
  end)
end)

describe("tf.figma none resets", function()
  local function full()
    return auto_frame {
      fills = { { type = "SOLID" } }, strokes = { { type = "SOLID" } }, cornerRadius = 9,
      opacity = 0.2, paddingTop = 1, paddingRight = 2, paddingBottom = 3, paddingLeft = 4,
      effects = { { type = "DROP_SHADOW" }, { type = "INNER_SHADOW" }, { type = "BACKGROUND_BLUR", radius = 2 } },
    }
  end

  it("fill -> no fills", function() assert.same({}, apply({ fill = "none" }, full()).fills) end)
  it("borderRadius -> 0", function() assert.equal(0, apply({ borderRadius = "none" }, full()).cornerRadius) end)
  it("opacity -> 1", function() assert.equal(1, apply({ opacity = "none" }, full()).opacity) end)
  it("spacing -> all paddings 0", function()
    local n = apply({ spacing = "none" }, full())
    assert.same({ 0, 0, 0, 0 }, { n.paddingTop, n.paddingRight, n.paddingBottom, n.paddingLeft })
  end)
  it("boxShadow -> shadows removed, other effects kept", function()
    assert.same({ { type = "BACKGROUND_BLUR", radius = 2 } }, apply({ boxShadow = "none" }, full()).effects)
  end)
  it("borderColor -> no strokes", function() assert.same({}, apply({ borderColor = "none" }, full()).strokes) end)
  it("a JSON-encoded none resets too", function()
    local plan = assert(figma.map({ fill = '"none"' }, fake.resolved {}))
    local n = full()
    figma.writer()(n, plan)
    assert.same({}, n.fills)
  end)
end)

describe("tf.figma visibility, text, dimension", function()
  it("visibility false hides, true shows", function()
    assert.is_false(apply({ visibility = "false" }).visible)
    assert.is_true(apply({ visibility = true }, frame { visible = false }).visible)
  end)

  it("text sets characters; 0 becomes \"0\"", function()
    assert.equal("Hello", apply({ text = "Hello" }, { type = "TEXT" }).characters)
    assert.equal("0", apply({ text = 0 }, { type = "TEXT" }).characters)
    assert.equal("2.5", apply({ text = 2.5 }, { type = "TEXT" }).characters)
  end)

  it("tokenName, description and value write documentation into text", function()
    assert.equal("t.tokenName", apply({ tokenName = "x" }, { type = "TEXT" }).characters)
    assert.equal("about t.description", apply({ description = "x" }, { type = "TEXT" }).characters)
    assert.equal("a: 1\nb: x", apply({ value = { a = 1, b = "x" } }, { type = "TEXT" }).characters)
    assert.equal("raw:t.tokenValue", apply({ tokenValue = "#fff" }, { type = "TEXT" }).characters)
  end)

  it("dimension and number set itemSpacing on auto-layout frames, else resize", function()
    assert.equal(24, apply({ dimension = "1.5rem" }, auto_frame()).itemSpacing)
    local n = apply({ number = "10" }, frame())
    assert.is_nil(n.itemSpacing)
    assert.equal(10, n.absoluteBoundingBox.width)
    assert.equal(10, n.absoluteBoundingBox.height)
    assert.equal(0.001, apply({ dimension = "0" }, frame()).absoluteBoundingBox.width)
  end)

  it("asset becomes an image fill", function()
    local fill = apply({ asset = "https://example.com/a.png" }).fills[1]
    assert.equal("IMAGE", fill.type)
    assert.equal("https://example.com/a.png", fill.imageRef)
  end)
end)

describe("tf.figma typography", function()
  it("typography applies to TEXT nodes only", function()
    local typo = { fontFamily = "Inter", fontWeight = "600", fontSize = "1rem", lineHeight = "24px" }
    local t = apply({ typography = typo }, { type = "TEXT", style = { fontFamily = "Roboto", italic = true } })
    assert.equal("Inter", t.style.fontFamily)
    assert.equal("SemiBold", t.style.fontStyle)
    assert.equal(600, t.style.fontWeight)
    assert.equal(16, t.style.fontSize)
    assert.equal("PIXELS", t.style.lineHeightUnit)
    assert.equal(24, t.style.lineHeightPx)
    assert.is_true(t.style.italic)
    local r = apply({ typography = typo }, frame())
    assert.is_nil(r.style)
  end)

  it("single properties override the typography token", function()
    local t = apply({ typography = { fontFamily = "Inter", fontSize = "12" }, fontSizes = "20" }, { type = "TEXT" })
    assert.equal(20, t.style.fontSize)
    assert.equal("Inter", t.style.fontFamily)
  end)

  it("line height % and AUTO, letter spacing % and px, case, decoration, paragraphs", function()
    local t = apply({ fontSizes = "20", lineHeights = "150%", letterSpacing = "10%", textCase = "uppercase",
      textDecoration = "line-through", paragraphSpacing = "8", paragraphIndent = "1rem" }, { type = "TEXT" })
    assert.equal("FONT_SIZE_%", t.style.lineHeightUnit)
    assert.equal(150, t.style.lineHeightPercentFontSize)
    assert.equal(30, t.style.lineHeightPx)
    assert.equal(2, t.style.letterSpacing)
    assert.equal("UPPER", t.style.textCase)
    assert.equal("STRIKETHROUGH", t.style.textDecoration)
    assert.equal(8, t.style.paragraphSpacing)
    assert.equal(16, t.style.paragraphIndent)
    t = apply({ lineHeights = "AUTO", letterSpacing = "0.1em" }, { type = "TEXT", style = { lineHeightPx = 3 } })
    assert.equal("INTRINSIC_%", t.style.lineHeightUnit)
    assert.is_nil(t.style.lineHeightPx)
    assert.equal(1.6, t.style.letterSpacing)
  end)

  it("the writer's font_style picks among the weight's names", function()
    local plan = assert(figma.map({ fontWeights = "w" }, fake.resolved { w = "600" }))
    local t = { type = "TEXT", style = { fontFamily = "Lato" } }
    figma.writer { font_style = function(family, names)
      assert.equal("Lato", family)
      return names[3]
    end }(t, plan)
    assert.equal("Semi Bold", t.style.fontStyle)
  end)
end)

describe("tf.figma node kinds", function()
  -- the four the reference skips, and the document and pages, which have no geometry
  for _, kind in ipairs { "CONNECTOR", "SHAPE_WITH_TEXT", "STICKY", "CODE_BLOCK", "DOCUMENT", "CANVAS" } do
    it(kind .. " nodes are skipped", function()
      local plan = assert(figma.map({ fill = "c", opacity = "o" }, fake.resolved { c = "#fff", o = "0.5" }))
      local node = { type = kind, fills = {} }
      local n, why = figma.writer()(node, plan)
      assert.equal(0, n)
      assert.equal("skipped node type " .. kind, why)
      assert.same({ type = kind, fills = {} }, node)
    end)
  end

  it("rotation and x/y are skipped inside instances", function()
    local values = { rotation = "45", x = "10", y = "20" }
    local outside = apply(values, frame())
    assert.equal(45, outside.rotation)
    assert.equal(10, outside.x)
    assert.equal(20, outside.y)
    local inside = apply(values, frame(), nil, { inside_instance = true })
    assert.is_nil(inside.rotation)
    assert.is_nil(inside.x)
    -- Figma gives layers inside instances ids starting with "I"
    local by_id = apply(values, frame { id = "I5:6;7:8" })
    assert.is_nil(by_id.rotation)
    assert.is_nil(by_id.y)
    assert.equal(45, apply(values, frame { id = "I5:6" }, nil, { inside_instance = false }).rotation)
  end)

  it("the writer counts the operations it applied", function()
    local plan = assert(figma.map({ fill = "c", typography = "t" },
      fake.resolved { c = "#fff", t = { fontSize = 12 } }))
    assert.equal(1, (figma.writer()({ type = "RECTANGLE" }, plan)))
    assert.equal(2, (figma.writer()({ type = "TEXT" }, plan)))
  end)
end)

describe("tf.figma composition", function()
  it("expands into its properties, a border in it supplies borderColor", function()
    local resolved = fake.resolved {
      comp = { fill = "#ff0000", borderRadius = "4", opacity = "50%", border = { color = "#0000ff", width = 2, style = "solid" } },
    }
    local plan = assert(figma.map({ composition = "comp" }, resolved))
    local n = frame()
    figma.writer()(n, plan)
    assert.same({ r = 1, g = 0, b = 0 }, n.fills[1].color)
    assert.equal(4, n.cornerRadius)
    assert.equal(0.5, n.opacity)
    assert.equal(2, n.strokeWeight)
    assert.same({ r = 0, g = 0, b = 1 }, n.strokes[1].color)
    for _, op in ipairs(plan) do assert.equal("comp", op.token) end
  end)

  it("the node's own properties win over the composition's", function()
    local resolved = fake.resolved { comp = { fill = "#ff0000", fontSize = "30" }, mine = "#00ff00" }
    local plan = assert(figma.map({ composition = "comp", fill = "mine" }, resolved))
    local n = { type = "TEXT" }
    figma.writer()(n, plan)
    assert.same({ r = 0, g = 1, b = 0 }, n.fills[1].color)
    assert.equal(30, n.style.fontSize)
  end)
end)

describe("tf.figma map", function()
  it("accepts JSON-encoded and plain names; empty values are unset", function()
    local resolved = fake.resolved { ["colors.primary"] = "#000000" }
    local plan = assert(figma.map({ fill = '"colors.primary"', opacity = "", borderColor = '""' }, resolved))
    assert.equal(1, #plan)
    assert.same({ "fills", "fill", "colors.primary" }, { plan[1].op, plan[1].key, plan[1].token })
    local plan2 = assert(figma.map({ fill = "colors.primary" }, resolved))
    assert.same(plan, plan2)
  end)

  it("ignores keys it does not know (plugin data also holds e.g. a hash)", function()
    local plan = assert(figma.map({ hash = "abc", fill = "c" }, fake.resolved { c = "#fff" }))
    assert.equal(1, #plan)
  end)

  it("lists every failing property: missing token, failed resolution, unparsable value", function()
    local resolved = fake.resolved({ bad = "wide", ok = "#fff", broken = "{x}" }, { broken = "missing reference {x}" })
    local plan, errors = figma.map({ fill = "ok", sizing = "bad", opacity = "nope", borderRadius = "broken" }, resolved)
    assert.is_nil(plan)
    assert.same({
      { property = "borderRadius", token = "broken", message = "token failed to resolve: missing reference {x}" },
      { property = "opacity", token = "nope", message = "token not found" },
      { property = "sizing", token = "bad", message = '"wide" is not a number' },
    }, errors)
    assert.equal("node 7:1: borderRadius (broken): token failed to resolve: missing reference {x}\n"
      .. "node 7:1: opacity (nope): token not found\nnode 7:1: sizing (bad): \"wide\" is not a number",
      figma.describe_errors(errors, "7:1"))
  end)

  it("malformed JSON in a token map value is an error naming the property", function()
    local plan, errors = figma.map({ fill = '"colors.primary' }, fake.resolved {})
    assert.is_nil(plan)
    assert.equal("fill", errors[1].property)
    assert.matches("invalid JSON", errors[1].message, 1, true)
  end)

  it("the plan does not depend on a node: one plan writes the same values to many nodes", function()
    local plan = assert(figma.map({ fill = "c", spacing = "s" }, fake.resolved { c = "#123456", s = "4 8" }))
    local a, b = frame(), frame { id = "2:2", paddingTop = 99 }
    local write = figma.writer()
    write(a, plan)
    write(b, plan)
    assert.same(a.fills, b.fills)
    assert.same({ a.paddingTop, a.paddingLeft }, { b.paddingTop, b.paddingLeft })
  end)

  it("with copy = true written paints are not shared between nodes", function()
    local plan = assert(figma.map({ fill = "c" }, fake.resolved { c = "#123456" }))
    local write = figma.writer { copy = true }
    local a, b = frame(), frame()
    write(a, plan)
    write(b, plan)
    assert.same(a.fills, b.fills)
    assert.are_not.equal(a.fills[1], b.fills[1])
  end)

  it("rejects bad arguments with clear messages", function()
    assert.has_error(function() figma.map("fill", fake.resolved {}) end,
      "tokenflow.figma.map: token map must be a table, got a string")
    assert.has_error(function() figma.map({}, {}) end,
      "tokenflow.figma.map: resolved must be an object with a get method")
  end)
end)

describe("tf.figma no half writes", function()
  it("a node with one failing property gets nothing written; the error names property and token", function()
    local tokens = { fill = "c", opacity = "o", borderRadius = "r" }
    local resolved = fake.resolved { c = "#ff0000", r = "4" } -- "o" is missing
    local node = frame { opacity = 0.7 }
    local before = { type = node.type, id = node.id, opacity = node.opacity }
    local plan, errors = figma.map(tokens, resolved)
    assert.is_nil(plan)
    assert.same({ { property = "opacity", token = "o", message = "token not found" } }, errors)
    assert.same(before, node)
  end)

  it("a node whose fields have wrong types is refused before any write", function()
    local plan = assert(figma.map({ fill = "c", typography = "t" }, fake.resolved { c = "#fff", t = { fontSize = 1 } }))
    local node = { type = "TEXT", id = "3:3", style = "bold" }
    local n, err = figma.writer()(node, plan)
    assert.is_nil(n)
    assert.equal("node 3:3: style must be a table, got a string", err)
    assert.is_nil(node.fills)
    local frame_node = { type = "FRAME", id = "3:4", effects = { { type = "DROP_SHADOW" }, 5 } }
    plan = assert(figma.map({ fill = "c", boxShadow = "none" }, fake.resolved { c = "#fff" }))
    n, err = figma.writer()(frame_node, plan)
    assert.is_nil(n)
    assert.equal("node 3:4: effects[2] must be a table, got a number", err)
    assert.is_nil(frame_node.fills)
  end)

  it("the writer raises on a node that is not a table, or a plan that is not a plan", function()
    local write = figma.writer()
    assert.has_error(function() write(42, {}) end, "tokenflow.figma.writer: node must be a table, got a number")
    assert.has_error(function() write({}, nil) end,
      "tokenflow.figma.writer: plan must be a table (from figma.map), got a nil")
    assert.has_error(function() write({}, { { op = "explode" } }) end,
      "tokenflow.figma.writer: plan entry 1 is not an operation from figma.map")
    assert.has_error(function() figma.writer { font_style = "Bold" } end,
      "tokenflow.figma.writer: font_style must be a function")
  end)
end)

describe("tf.figma.read", function()
  it("decodes the JSON strings of sharedPluginData.tokens", function()
    local node = { id = "1:2", sharedPluginData = { tokens = {
      fill = '"colors.primary"', spacing = '"spacing.md"', opacity = '""', borderColor = "plain.name",
    } } }
    assert.same({ fill = "colors.primary", spacing = "spacing.md", borderColor = "plain.name" }, figma.read(node))
  end)

  it("decodes escapes in JSON names", function()
    local node = { id = "1:2", sharedPluginData = { tokens = { fill = '"colors.\\u0041 \\"q\\""' } } }
    assert.same({ fill = 'colors.A "q"' }, figma.read(node))
  end)

  it("a node without plugin data has an empty token map", function()
    assert.same({}, figma.read { id = "1:3" })
    assert.same({}, figma.read { id = "1:3", sharedPluginData = { other = {} } })
  end)

  it("malformed JSON is an error naming the node and the property", function()
    local map, err = figma.read { id = "9:9", sharedPluginData = { tokens = { fill = '"colors.primary' } } }
    assert.is_nil(map)
    assert.matches("^node 9:9: sharedPluginData.tokens.fill: invalid JSON", err)
    map, err = figma.read { id = "9:9", sharedPluginData = { tokens = { fill = "[1]" , x = 3 } } }
    assert.is_nil(map)
    assert.matches("node 9:9: sharedPluginData.tokens.x: expected a token name (string), got a number", err, 1, true)
    map, err = figma.read { id = "9:9", sharedPluginData = { tokens = { fill = "\"\\u00\"" } } }
    assert.is_nil(map)
    assert.matches("invalid JSON", err, 1, true)
    map, err = figma.read { id = "9:9", sharedPluginData = { tokens = "x" } }
    assert.is_nil(map)
    assert.equal("node 9:9: sharedPluginData.tokens must be an object, got a string", err)
  end)

  it("a JSON value that is not a string is an error", function()
    local map, err = figma.read { id = "4:4", sharedPluginData = { tokens = { fill = '"a" ' } } }
    assert.same({ fill = "a" }, map, err)
    map, err = figma.read { id = "4:4", sharedPluginData = { tokens = { fill = '"a"x' } } }
    assert.is_nil(map)
    assert.matches("invalid JSON", err, 1, true)
  end)

  it("raises on a node that is not a table", function()
    assert.has_error(function() figma.read("node") end, "tokenflow.figma.read: node must be a table, got a string")
  end)

  it("read, map and write together, through require \"tokenflow\"", function()
    local tf = require "tokenflow"
    local node = { type = "RECTANGLE", id = "5:5", sharedPluginData = { tokens = { fill = '"brand"', borderRadius = '"r"' } } }
    local plan = assert(tf.figma.map(assert(tf.figma.read(node)), fake.resolved { brand = "#0000ff", r = "2 4" }))
    assert.equal(2, tf.figma.writer { base_font_size = 16 }(node, plan))
    assert.same({ r = 0, g = 0, b = 1 }, node.fills[1].color)
    assert.same({ 2, 4, 2, 4 }, node.rectangleCornerRadii)
  end)
end)

-- What figma.map reuses between calls (conversions per resolved set), what
-- the writer checks once per plan and what figma.diff remembers: none of it
-- may change a result.
local tf = require "tokenflow"

local figma = tf.figma

local function resolve(core)
  local set = assert(tf.tokens.new({ core = core }))
  return assert(set:resolve())
end

local function tokens(overrides)
  local core = {
    bg = { value = "#ff0000", type = "color" },
    gap = { value = "1rem", type = "spacing" },
    radius = { value = "4", type = "borderRadius" },
    body = { value = { fontFamily = "Inter", fontSize = "14", fontWeight = "Bold", lineHeight = "150%" },
      type = "typography" },
    broken = { value = { fontFamily = "Inter", fontSize = "huge" }, type = "typography" },
    big = { value = "20", type = "fontSizes" },
    edge = { value = { color = "#00ff00", width = "2", style = "dashed" }, type = "border" },
  }
  for k, v in pairs(overrides or {}) do core[k] = v end
  return resolve(core)
end

local function op_of(plan, name)
  for _, op in ipairs(plan) do
    if op.op == name then return op end
  end
end

describe("figma.map reuse", function()
  local m = { fill = "bg", itemSpacing = "gap", borderRadius = "radius", border = "edge" }

  it("gives every call a new plan; plans of one resolved set share their operations", function()
    local r = tokens()
    local a = assert(figma.map(m, r))
    local b = assert(figma.map(m, r))
    assert.are_not.equal(a, b)
    assert.are.same(a, b)
    assert.are.equal(op_of(a, "fills"), op_of(b, "fills"))
    -- the caller may change its plan array without touching the next one
    a[#a + 1] = { op = "opacity", value = 0.5 }
    assert.are.same(b, assert(figma.map(m, r)))
  end)

  it("never answers one resolved set with another's conversions", function()
    local r1 = tokens()
    local r2 = tokens { bg = { value = "#0000ff", type = "color" }, gap = { value = "2rem", type = "spacing" } }
    local a = assert(figma.map(m, r1))
    local b = assert(figma.map(m, r2))
    assert.are.equal(1, op_of(a, "fills").paints[1].color.r)
    assert.are.equal(0, op_of(b, "fills").paints[1].color.r)
    assert.are.equal(1, op_of(b, "fills").paints[1].color.b)
    assert.are.equal(16, op_of(a, "item_spacing").value)
    assert.are.equal(32, op_of(b, "item_spacing").value)
    assert.are_not.equal(op_of(a, "fills"), op_of(b, "fills"))
    -- and r1 still answers as before
    assert.are.same(a, assert(figma.map(m, r1)))
  end)

  it("keeps conversions apart per base font size", function()
    local r = tokens()
    assert.are.equal(16, op_of(assert(figma.map(m, r)), "item_spacing").value)
    assert.are.equal(10, op_of(assert(figma.map(m, r, { base_font_size = 10 })), "item_spacing").value)
    assert.are.equal(16, op_of(assert(figma.map(m, r, { base_font_size = "16px" })), "item_spacing").value)
    local w = figma.writer { base_font_size = 12 }
    assert.are.equal(12, op_of(assert(w.map(m, r)), "item_spacing").value)
  end)

  it("filters a reused typography by each node's own text properties", function()
    local r = tokens()
    local plain = assert(figma.map({ typography = "body" }, r))
    local own = assert(figma.map({ typography = "body", fontSizes = "big" }, r))
    assert.are.equal(14, op_of(plain, "text_style").fields.fontSize)
    assert.are.equal(20, op_of(own, "text_style").fields.fontSize)
    assert.are.equal(14, op_of(assert(figma.map({ typography = "body" }, r)), "text_style").fields.fontSize)
    -- a field that fails is an error unless the node sets that property itself
    local p, errs = figma.map({ typography = "broken" }, r)
    assert.is_nil(p)
    assert.are.equal("typography", errs[1].property)
    assert.matches("^fontSize: ", errs[1].message)
    local ok = assert(figma.map({ typography = "broken", fontSizes = "big" }, r))
    assert.are.equal(20, op_of(ok, "text_style").fields.fontSize)
    assert.are.equal("Inter", op_of(ok, "text_style").fields.fontFamily)
    assert.is_nil(figma.map({ typography = "broken" }, r))
  end)

  it("takes a border's colour as borderColor only without one of the node's own", function()
    local r = tokens()
    local a = assert(figma.map({ border = "edge" }, r))
    assert.are.equal(1, op_of(a, "strokes").paints[1].color.g)
    local b = assert(figma.map({ border = "edge", borderColor = "bg" }, r))
    assert.are.equal(1, op_of(b, "strokes").paints[1].color.r)
    assert.are.same(a, assert(figma.map({ border = "edge" }, r)))
  end)

  it("reuses nothing for an object that is not a tokenflow.Resolved", function()
    local values = { bg = "#ff0000" }
    local r = { get = function(_, name) return values[name], { type = "color" } end }
    local a = assert(figma.map({ fill = "bg" }, r))
    values.bg = "#0000ff"
    local b = assert(figma.map({ fill = "bg" }, r))
    assert.are.equal(1, a[1].paints[1].color.r)
    assert.are.equal(1, b[1].paints[1].color.b)
    assert.are_not.equal(a[1], b[1])
  end)

  it("does not keep a resolved set alive", function()
    local r = tokens()
    assert(figma.map(m, r))
    local weak = setmetatable({ r }, { __mode = "v" })
    r = nil -- luacheck: ignore 311 (drops the only reference)
    collectgarbage()
    collectgarbage()
    assert.is_nil(weak[1])
  end)

  it("reports a token the set does not know every time", function()
    local r = tokens()
    for _ = 1, 2 do
      local p, errs = figma.map({ fill = "nope" }, r)
      assert.is_nil(p)
      assert.are.same({ { property = "fill", token = "nope", message = "token not found" } }, errs)
    end
  end)
end)

describe("figma.writer plan check", function()
  local write = figma.writer {}

  it("checks a plan written to many nodes, and a plan that grew again", function()
    local plan = { { op = "opacity", value = 0.5 } }
    local a, b = { type = "RECTANGLE" }, { type = "RECTANGLE" }
    assert.are.equal(1, write(a, plan))
    assert.are.equal(1, write(b, plan))
    plan[2] = { op = "no_such_op" }
    local c = { type = "RECTANGLE" }
    assert.has_error(function() write(c, plan) end,
      "tokenflow.figma.writer: plan entry 2 is not an operation from figma.map")
    assert.is_nil(c.opacity) -- refused before anything was written
  end)

  it("still refuses an entry replaced in a plan it checked", function()
    local plan = { { op = "opacity", value = 0.5 }, { op = "visible", value = true } }
    assert.are.equal(2, write({ type = "RECTANGLE" }, plan))
    plan[2] = 42
    assert.has_error(function() write({ type = "RECTANGLE" }, plan) end,
      "tokenflow.figma.writer: plan entry 2 is not an operation from figma.map")
    plan[2] = { op = "fills" }
    plan[1] = { value = 1 }
    assert.has_error(function() write({ type = "RECTANGLE" }, plan) end,
      "tokenflow.figma.writer: plan entry 1 is not an operation from figma.map")
  end)

  it("works out inside-instance for each node, not once per plan", function()
    local plan = { { op = "rotation", value = 45 } }
    local inner, outer = { type = "RECTANGLE", id = "I1:2" }, { type = "RECTANGLE", id = "1:2" }
    assert.are.equal(0, write(inner, plan))
    assert.are.equal(1, write(outer, plan))
    assert.are.equal(1, write(inner, plan, { inside_instance = false }))
    assert.are.equal(0, write({ type = "RECTANGLE", id = "1:3" }, plan, { inside_instance = true }))
    assert.is_nil(({ type = "RECTANGLE" }).rotation)
  end)
end)

describe("figma.diff fast paths", function()
  local diff = figma.diff
  local m = { fill = "bg", itemSpacing = "gap", borderRadius = "radius", border = "edge" }

  it("answers the same for plans of the same token map from two sets as group by group", function()
    local r1 = tokens()
    local r2 = tokens { bg = { value = "#0000ff", type = "color" } }
    local a, b = assert(figma.map(m, r1)), assert(figma.map(m, r2))
    local d = diff(a, b)
    assert.are.same({ op_of(b, "fills") }, d)
    assert.are.equal(op_of(b, "fills"), d[1])
    assert.are.same({}, diff(a, assert(figma.map(m, r1))))
    assert.are.same({}, diff(a, a))
    -- the same operations in another order: compared by group
    local reversed = {}
    for i = #a, 1, -1 do reversed[#reversed + 1] = a[i] end
    assert.are.same({}, diff(reversed, a))
    assert.are.same({ op_of(b, "fills") }, diff(reversed, b))
  end)

  it("sees a change to operations it did not get from figma.map", function()
    local old = { { op = "opacity", value = 0.5 } }
    local new = { { op = "opacity", value = 0.5 } }
    assert.are.same({}, diff(old, new))
    new[1].value = 0.25
    assert.are.same({ new[1] }, diff(old, new))
  end)

  it("still gives the whole new plan when either holds an unknown operation", function()
    local new = { { op = "opacity", value = 0.5 } }
    assert.are.equal(new, diff({ { op = "mystery" } }, new))
    assert.are.equal(new, diff({ "x" }, new))
    local odd = { { op = "mystery" } }
    assert.are.equal(odd, diff({ { op = "mystery" } }, odd))
  end)
end)

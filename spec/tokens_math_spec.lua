local h = require "tokens_helper"

local function math_of(text, others)
  return (h.value_of(text, "number", others))
end

describe("math", function()
  it("carries one shared unit through", function()
    assert.are.equal("70px", math_of("10px + 20px * 3"))
    assert.are.equal("7rem", math_of("1rem + 2rem * 3"))
    assert.are.equal("30px", math_of("60px / 2"))
    assert.are.equal("25px", math_of("5px * (2 + 3)"))
    assert.are.equal("12.5rem", math_of("(5rem + 10rem * 2) / 2"))
    assert.are.equal("1%", math_of("5% - 2% * 2"))
    assert.are.equal("100%", math_of("50% * 2"))
  end)

  it("leaves mixed units and illegal unit combinations as text", function()
    for _, text in ipairs { "1rem + 1px", "2px + 10%", "2px * 2px", "8px - 2" } do
      local v, info = h.value_of(text, "number")
      assert.are.equal(text, v)
      assert.is_false(info.failed)
    end
  end)

  it("rounds unitless results to 3 decimals", function()
    assert.are.equal(3.333, math_of("10 / 3"))
    assert.are.equal(112.675, math_of("25 * 4.5 + 0.175"))
    assert.are.equal(70, math_of("10 + 20 * 3"))
    assert.are.equal(0.4, math_of("0.2 + 0.2"))
  end)

  it("does not round results with a unit", function()
    assert.are.equal("5.333333333333333px", math_of("16px / 3"))
  end)

  it("has ^, roundTo, clamped, norm, lerp, sample(cubicBezier1D)", function()
    assert.are.equal(8, math_of("2 ^ 3"))
    assert.are.equal(1.23, math_of("roundTo(1.2345, 2)"))
    assert.are.equal(4, math_of("clamped(5,2,4)"))
    assert.are.equal(2, math_of("clamped(0,2,4)"))
    assert.are.equal(0.5, math_of("norm(10,5,15)"))
    assert.are.equal(10, math_of("lerp(0.5,5,15)"))
    assert.are.equal(94, math_of("lerp(1,47,94)"))
    assert.are.equal(0.5, math_of("sample(cubicBezier1D(1,0),0.5)"))
    assert.are.equal(0.797, math_of("sample(cubicBezier1D(0.33,0.66),0.8)"))
    assert.are.equal(0.213, math_of("sample(cubicBezier1D(0.45,0.34),0.2)"))
  end)

  it("has round floor ceil abs sqrt min max, % and unary minus", function()
    assert.are.equal(3, math_of("round(2.5)"))
    assert.are.equal(2, math_of("floor(2.9)"))
    assert.are.equal(3, math_of("ceil(2.1)"))
    assert.are.equal(4, math_of("abs(-4)"))
    assert.are.equal(3, math_of("sqrt(9)"))
    assert.are.equal(1, math_of("min(3, 1, 2)"))
    assert.are.equal(3, math_of("max(3, 1, 2)"))
    assert.are.equal(1, math_of("10 % 3"))
    assert.are.equal(-6, math_of("-(2 + 4)"))
    assert.are.equal("16px", math_of("max(8px, 16px)"))
  end)

  it("keeps CSS functions, plain dimensions and exponent-looking strings as text", function()
    assert.are.equal("clamp(5,2,4)", math_of("clamp(5,2,4)"))
    assert.are.equal("40%", math_of("40%"))
    assert.are.equal("24px", math_of("24px"))
    assert.are.equal("1e3", math_of("1e3"))
  end)

  it("turns '0' into a number but keeps hex-like strings with leading zeros", function()
    assert.are.equal(0, math_of("0"))
    assert.are.equal("003e78", math_of("003e78"))
    assert.are.equal("000001", math_of("000001"))
    assert.are.equal("06e455", math_of("06e455"))
  end)

  it("leaves $foobar * 4.5 unchanged when $foobar is missing", function()
    assert.are.equal("$foobar * 4.5", math_of("$foobar * 4.5"))
  end)

  it("evaluates the worked example (scale=2, ratio=2, index=400)", function()
    local base = { base = {
      scale = { value = "2", type = "number" }, ratio = { value = "2", type = "number" },
      index = { value = "400", type = "number" } } }
    assert.are.equal(8, math_of("$base.scale * $base.ratio ^ round((200 + 400 - $base.index) / 100)", base))
  end)

  it("does math after references are substituted, with units from the references", function()
    local base = { space = { value = "4px", type = "spacing" }, n = { value = "3", type = "number" } }
    assert.are.equal("12px", math_of("{space} * {n}", base))
  end)

  it("applies to text tokens never", function()
    assert.are.equal("1 + 1", (h.value_of("1 + 1", "text")))
  end)
end)

-- Inputs the fuzzers in fuzz/ found to crash or break an invariant, kept
-- as regression tests once fixed.
local tf = require "tokenflow"

describe("fuzz regressions", function()
  it("cache: replacing the only entry carrying a tag with one carrying the same tag", function()
    -- fuzz_cache: the tag's node was freed while the new entry linked to it
    local c = tf.cache { capacity = 4 }
    c:set("k", 1, { tags = { "a" } })
    c:set("k", 2, { tags = { "a", "b" } })
    assert.are.equal(2, c:get("k"))
    assert.are.equal(1, c:invalidate("a"))
    assert.is_nil(c:get("k"))
    assert.are.equal(0, c:invalidate("b"))
    c:close()
  end)
end)

describe("fuzz regressions: deep nesting in token text", function()
  local deep_parens = string.rep("(", 120) .. "5 % +2" .. string.rep(")", 120)
  local deep_braces = string.rep("{", 300) .. "a" .. string.rep("}", 300)

  it("eval of an expression nested deeper than the parser's stack fails with a reason", function()
    -- fuzz_math: LPeg's "backtrack stack overflow" escaped from Resolved:eval
    local r = assert(assert(tf.tokens.new { core = { a = { value = "4", type = "spacing" } } }):resolve())
    local v, info = r:eval(deep_parens)
    assert.are.equal(deep_parens, v)
    assert.is_true(info.failed)
    assert.matches("nested too deeply", info.reason)
  end)

  it("a token value with deeply nested braces loads and resolves as text", function()
    local set = assert(tf.tokens.new { core = { a = { value = deep_braces, type = "other" }, b = { value = deep_parens, type = "spacing" } } })
    local r = assert(set:resolve())
    assert.are.equal(deep_braces, (r:get("a")))
    local v, info = r:get("b")
    assert.are.equal(deep_parens, v)
    assert.is_true(info.failed)
  end)
end)

describe("fuzz regressions: a reference whose whole name is a reference", function()
  it("'{{a}}' resolves the inner name, in eval and in token values", function()
    -- fuzz_math: "{{...}}" sent a reference part, not a name, to the lookup
    local set = assert(tf.tokens.new { core = {
      a = { value = "b", type = "other" }, b = { value = "4", type = "spacing" },
      c = { value = "{{a}}", type = "spacing" }, d = { value = "{{b}}", type = "spacing" },
    } })
    local r = assert(set:resolve())
    assert.are.equal(4, (r:eval("{{a}}")))
    assert.are.equal(4, (r:get("c")))
    local v, info = r:eval("{{missing}}")
    assert.is_true(info.failed)
    assert.are.equal("string", type(v))
    local _, dinfo = r:get("d") -- "{b}" is 4, and no token is named "4"
    assert.is_true(dinfo.failed)
  end)
end)

describe("fuzz regressions: colour channels too large to convert", function()
  local color = require "tokenflow.tokens.color"
  local modify = require "tokenflow.tokens.modify"
  -- fuzz color: hsl with a 93-digit saturation overflows to inf, then NaN, in
  -- lch; color.hex raised "number has no integer representation"
  local huge = color.parse("hsla(210, 5" .. string.rep("4", 90) .. "0%, 4%, 0.5)")

  it("color.hex gives hex, NaN channels counting as 0", function()
    assert.are.equal("#00000080", color.hex(huge))
    assert.are.equal("#00ff0080", color.hex(color.new("srgb", 0 / 0, 1, -(0 / 0), 0.5)))
    assert.are.equal("#000000", color.hex(color.new("lch", 0 / 0, 0 / 0, 0 / 0)))
  end)

  it("a modifier whose result overflows fails with a reason", function()
    for _, kind in ipairs { "mix", "alpha", "darken" } do
      local out, why = modify.apply(huge, { type = kind, space = "lch", value = -0.25, color = huge })
      assert.is_nil(out, kind)
      assert.are.equal("the " .. kind .. " result is out of range (the colour's channels are too large to convert)", why)
    end
  end)

  it("no modifier raises on it, in any space, and alpha is kept", function()
    for _, kind in ipairs { "lighten", "darken", "mix", "alpha" } do
      for _, space in ipairs { "lch", "srgb", "p3", "hsl" } do
        for _, value in ipairs { -0.25, 0, 0.25, 1 } do
          local ok, out, why = pcall(modify.apply, huge, { type = kind, space = space, value = value, color = huge })
          assert.is_true(ok, out)
          if out then
            assert.matches(kind == "alpha" and "^#%x%x%x%x%x%x" or "^#%x%x%x%x%x%x80$", out)
          else
            assert.matches("out of range", why)
          end
        end
      end
    end
    assert.are.equal("#00000040", modify.apply(huge, { type = "alpha", space = "srgb", value = 0.25 }))
  end)
end)

describe("fuzz regressions: eval of ever new texts", function()
  -- fuzz math: every text given to Resolved:eval stayed in the resolver's
  -- memos, about 440 bytes each, until the 512 MB heap of the fuzzer ran out
  local resolve = require "tokenflow.tokens.resolve"
  local limit = resolve.EVAL_MEMO_TEXTS

  after_each(function() resolve.EVAL_MEMO_TEXTS = limit end)

  local function resolved()
    return assert(assert(tf.tokens.new { core = {
      base = { value = "4", type = "spacing" }, brand = { value = "#3366ff", type = "color" },
    } }):resolve())
  end

  local function grows_by_kb(r, n)
    collectgarbage() collectgarbage()
    local before = collectgarbage("count")
    for i = 1, n do
      local v = r:eval("{base} * " .. i .. " + " .. (i % 7))
      assert(v == 4 * i + i % 7, "eval " .. i)
    end
    collectgarbage() collectgarbage()
    return collectgarbage("count") - before
  end

  it("keeps the memos bounded and the results right", function()
    resolve.EVAL_MEMO_TEXTS = 100
    local r = resolved()
    local kb = grows_by_kb(r, 20000)
    assert.is_true(kb < 512, ("grew by %.0f KB"):format(kb))
    -- after forgetting, references, colour functions and math still work
    assert.are.equal("#3366ff80", (r:eval("rgba({brand}, 0.5)")))
    assert.are.equal(10, (r:eval("{base} * 2 + 2")))
  end)

  it("would grow without the bound (the measure can fail)", function()
    resolve.EVAL_MEMO_TEXTS = math.huge
    local kb = grows_by_kb(resolved(), 20000)
    assert.is_true(kb > 2048, ("grew by %.0f KB"):format(kb))
  end)

  it("forgets by bytes too", function()
    local bytes = resolve.EVAL_MEMO_BYTES
    resolve.EVAL_MEMO_BYTES = 16 << 10
    local r = resolved()
    local ok, kb = pcall(grows_by_kb, r, 5000)
    resolve.EVAL_MEMO_BYTES = bytes
    assert(ok, kb)
    assert.is_true(kb < 256, ("grew by %.0f KB"):format(kb))
  end)
end)

local tf = require "tokenflow"
local h = require "tokens_helper"

describe("tf.tokens formats", function()
  it("is reachable from the facade", function()
    assert.are.equal(require "tokenflow.tokens", tf.tokens)
  end)

  describe("Tokens Studio single file", function()
    it("uses top-level keys as set names, not as part of token names", function()
      local set = assert(tf.tokens.new {
        core = { colors = { red = { value = "#ff0000", type = "color" } } },
        light = { bg = { value = "{colors.red}", type = "color" } },
      })
      assert.are.equal("tokens-studio", set:format())
      local r = set:resolve()
      assert.are.equal("#ff0000", r:get("colors.red"))
      assert.are.equal("#ff0000", r:get("bg"))
      assert.is_nil(r:get("core.colors.red"))
    end)

    it("orders sets by $metadata.tokenSetOrder", function()
      local set = assert(tf.tokens.new {
        ["$metadata"] = { tokenSetOrder = { "b", "a" } },
        a = { x = { value = "1", type = "number" } },
        b = { x = { value = "2", type = "number" } },
      })
      assert.are.same({ "b", "a" }, set:sets())
      assert.are.equal(1, (set:resolve():get("x")))
    end)

    it("keeps the written order of sets in a file without $metadata", function()
      local dir = h.tmpdir()
      h.write(dir, "t.json", [[{"zeta": {"x": {"value": "1", "type": "number"}},
        "alpha": {"x": {"value": "2", "type": "number"}}}]])
      local set = assert(tf.tokens.load(dir .. "/t.json"))
      assert.are.same({ "zeta", "alpha" }, set:sets())
      assert.are.equal(2, (set:resolve():get("x")))
      h.rmdir(dir)
    end)

    it("loads a deeply nested file (set order then falls back to names)", function()
      local dir = h.tmpdir()
      local deep = string.rep('{"g": ', 600) .. '{"value": "1", "type": "number"}' .. string.rep("}", 600)
      h.write(dir, "deep.json", '{"core": ' .. deep .. "}")
      local set = assert(tf.tokens.load(dir .. "/deep.json"))
      local r = assert(set:resolve())
      assert.are.equal(1, r:stats().tokens)
      h.rmdir(dir)
    end)

    it("accepts $value and $type in Tokens Studio files", function()
      local set = assert(tf.tokens.new {
        ["$metadata"] = { tokenSetOrder = { "core" } },
        core = { size = { ["$value"] = "4 * 2", ["$type"] = "spacing" } },
      })
      assert.are.equal("tokens-studio", set:format())
      local v, info = set:resolve():get("size")
      assert.are.equal(8, v)
      assert.are.equal("spacing", info.type)
    end)

    it("keeps description and infers a missing type from the first path segment", function()
      local r = h.resolve { spacing = { sm = { value = "4", description = "small" } } }
      local _, info = r:get("spacing.sm")
      assert.are.equal("spacing", info.type)
      assert.are.equal("small", info.description)
    end)
  end)

  describe("Tokens Studio multi-file folder", function()
    local set
    setup(function() set = assert(tf.tokens.load("examples/tokens/studio")) end)

    it("reads sets in tokenSetOrder, names may contain /", function()
      assert.are.same({ "core", "theme/light", "theme/dark", "components/button" }, set:sets())
    end)

    it("reads $themes.json", function()
      local themes = set:themes()
      assert.are.equal(2, #themes)
      assert.are.equal("light", themes[1].name)
      assert.are.equal("mode", themes[1].group)
      assert.are.equal("source", themes[1].selectedTokenSets.core)
    end)

    it("resolves a theme", function()
      local r = assert(set:resolve { theme = "light" })
      assert.are.equal("#fbfaf7", r:get("color.bg"))
      assert.are.equal("#007182", r:get("color.accent"))
      assert.are.equal("#ad1b26", r:get("color.danger"))
      local d = assert(set:resolve { theme = "dark" })
      assert.are.equal("#1b2430", d:get("color.bg"))
      assert.are.equal("#ff756b", d:get("color.danger"))
    end)
  end)

  describe("DTCG", function()
    it("keeps top-level groups in names and inherits $type", function()
      local set = assert(tf.tokens.new {
        color = { ["$type"] = "color", red = { ["$value"] = "#ff0000" }, alias = { ["$value"] = "{color.red}" } },
      })
      assert.are.equal("dtcg", set:format())
      local v, info = set:resolve():get("color.red")
      assert.are.equal("#ff0000", v)
      assert.are.equal("color", info.type)
      local a, ainfo = set:resolve():get("color.alias")
      assert.are.equal("#ff0000", a)
      assert.are.equal("color", ainfo.type)
    end)

    it("keeps $description and ignores $deprecated and $extensions", function()
      local set = assert(tf.tokens.new {
        old = { ["$type"] = "number", ["$deprecated"] = "use new", ["$extensions"] = { ["com.example"] = { x = 1 } },
          n = { ["$value"] = 3, ["$description"] = "three", ["$deprecated"] = true } },
      })
      local v, info = set:resolve():get("old.n")
      assert.are.equal(3, v)
      assert.are.equal("three", info.description)
      assert.are.equal("number", info.type)
    end)

    it("keeps 2025.10 value objects as objects", function()
      local r = assert(tf.tokens.load("examples/tokens/dtcg")):resolve()
      local c = r:get("color.blue.500")
      assert.are.same({ colorSpace = "srgb", components = { 0.1, 0.4, 0.9 }, alpha = 1, hex = "#1a66e6" }, c)
      assert.are.same({ value = 0.5, unit = "rem" }, r:get("size.radius"))
      assert.are.same({ value = 120, unit = "ms" }, r:get("card.transition"))
      local _, info = r:get("card.transition")
      assert.are.equal("duration", info.type)
    end)

    it("accepts arrays as values (font families, shadow layers)", function()
      local r = assert(tf.tokens.load("examples/tokens/dtcg")):resolve()
      assert.are.same({ "Inter", "system-ui", "sans-serif" }, r:get("font.body"))
      local shadow = r:get("card.shadow")
      assert.are.equal("#161a20", shadow[1].color)
      assert.are.same({ value = 4, unit = "px" }, shadow[1].offsetY)
    end)

    it("merges a folder of DTCG files in name order", function()
      local dir = h.tmpdir()
      h.write(dir, "b.json", [[{"x": {"$value": 2, "$type": "number"}}]])
      h.write(dir, "a.json", [[{"x": {"$value": 1, "$type": "number"}, "y": {"$value": "{x}"}}]])
      local r = assert(tf.tokens.load(dir)):resolve()
      assert.are.equal(2, (r:get("x")))
      assert.are.equal(2, (r:get("y")))
      h.rmdir(dir)
    end)

    local function dtcg_doc()
      return {
        size = { base = { ["$type"] = "dimension", ["$value"] = { value = 4, unit = "px" } },
          double = { ["$type"] = "dimension", ["$value"] = "{size.base} * 2" },
          n = { ["$type"] = "number", ["$value"] = "8" } },
        c = { ["$type"] = "color",
          base = { ["$value"] = { colorSpace = "srgb", components = { 1, 0, 0 } } },
          faded = { ["$value"] = "rgba({c.base}, 0.5)" },
          dark = { ["$value"] = "{c.base}",
            ["$extensions"] = { ["studio.tokens"] = { modify = { type = "darken", value = "0.3", space = "srgb" } } } } },
      }
    end

    it("substitutes references only, as Style Dictionary does (objects as their text)", function()
      local r = assert(tf.tokens.new(dtcg_doc())):resolve()
      assert.are.equal("4px * 2", r:get("size.double"))
      assert.are.equal("8", r:get("size.n"))
      assert.are.equal("rgba(#ff0000, 0.5)", r:get("c.faded"))
    end)

    it("applies Tokens Studio colour modifiers written in $extensions", function()
      local r = assert(tf.tokens.new(dtcg_doc())):resolve()
      assert.are.equal("#b30000", r:get("c.dark"))
    end)

    it("evaluates math and colour functions when asked to", function()
      local r = assert(tf.tokens.new(dtcg_doc(), { math = true })):resolve()
      assert.are.equal("8px", r:get("size.double"))
      assert.are.equal(8, r:get("size.n"))
      assert.are.equal("#ff000080", r:get("c.faded"))
      local off = assert(tf.tokens.new({ core = { x = { value = "1 + 1", type = "number" } } }, { math = false })):resolve()
      assert.are.equal("1 + 1", off:get("x"))
    end)
  end)

  describe("detection", function()
    it("$themes or $metadata mean Tokens Studio", function()
      assert.are.equal("tokens-studio", tf.tokens.new({ ["$themes"] = {}, a = { x = { ["$value"] = 1 } } }):format())
      assert.are.equal("tokens-studio", tf.tokens.new({ ["$metadata"] = {}, a = { x = { ["$value"] = 1 } } }):format())
    end)

    it("value/type tokens mean Tokens Studio, $value tokens DTCG", function()
      assert.are.equal("tokens-studio", tf.tokens.new({ a = { x = { value = 1, type = "number" } } }):format())
      assert.are.equal("dtcg", tf.tokens.new({ a = { x = { ["$value"] = 1 } } }):format())
    end)

    it("can be overridden", function()
      local set = assert(tf.tokens.new({ a = { x = { ["$value"] = 1, ["$type"] = "number" } } }, { format = "tokens-studio" }))
      assert.are.equal("tokens-studio", set:format())
      assert.are.equal(1, (set:resolve():get("x")))
      local dset = assert(tf.tokens.load("examples/tokens/dtcg", { format = "dtcg" }))
      assert.are.equal("dtcg", dset:format())
    end)

    it("rejects an unknown format name as a programming error", function()
      assert.has_error(function() tf.tokens.new({}, { format = "yaml" }) end,
        "bad argument #2 to 'new' (format must be 'tokens-studio' or 'dtcg', got 'yaml')")
    end)
  end)

  it("names its types", function()
    local set = assert(tf.tokens.load("examples/tokens/studio"))
    assert.matches("^tokenflow.TokenSet %(tokens%-studio, 4 sets, 2 themes, %d+ definitions%)$", tostring(set))
    local r = set:resolve { theme = "light" }
    assert.matches("^tokenflow.Resolved %(%d+ tokens, %d+ exported, 0 failed%)$", tostring(r))
    assert.are.equal("tokenflow.TokenSet", getmetatable(set).__name)
    assert.are.equal("tokenflow.Resolved", getmetatable(r).__name)
  end)
end)

-- The two token readers (lua/tokenflow/tokens/reader.lua): the C tape
-- reader must give exactly the source lua-cjson and the Lua walk give, or
-- leave the input to them; and tf.tokens.load must not depend on which ran.
local tf = require "tokenflow"
local core = require "tokenflow.core"
local load = require "tokenflow.tokens.load"
local reader = require "tokenflow.tokens.reader"
local resolve = require "tokenflow.tokens.resolve"
local json = require "tokenflow.tokens.json"
local h = require "tokens_helper"

-- The source without the tape reader's `names`, and a check that those
-- names list every token of their set.
local function without_names(source)
  for _, set in pairs(source.sets) do
    if set.names then
      local seen = {}
      for _, n in ipairs(set.names) do seen[n] = true end
      for n in pairs(set.tokens) do assert(seen[n], "names miss " .. n) end
      for n in pairs(seen) do assert(set.tokens[n], "names list unknown " .. n) end
      set.names = nil
    end
  end
  return source
end

-- Reads path with both readers: the tape one must decide, and agree.
local function same_source(path, opts)
  local fast, ferr = load.read_with(path, opts, reader.tape)
  local slow, serr = load.read_with(path, opts, reader.tables)
  assert(slow, serr)
  assert(fast, tostring(ferr))
  local names = {}
  for name, set in pairs(fast.sets) do names[name] = set.names end
  assert.are.same(without_names(slow), without_names(fast))
  for name, set in pairs(fast.sets) do set.names = names[name] end
  return fast
end

-- The tape reader leaves path to the table reader, and load gives what
-- the table reader gives.
local function undecided(path, opts)
  local fast, ferr = load.read_with(path, opts, reader.tape)
  assert.is_nil(fast)
  assert.are.equal(reader.UNDECIDED, ferr)
  local slow, serr = load.read_with(path, opts, reader.tables)
  local via, verr = load.path(path, opts)
  assert.are.equal(serr, verr)
  if slow then assert.are.same(slow, via) end
  return slow, serr
end

describe("token readers", function()
  local dir
  before_each(function() dir = h.tmpdir() end)
  after_each(function() h.rmdir(dir) end)

  it("uses the tape reader when the C module is loaded", function()
    assert.is_table(reader.tape)
    h.write(dir, "t.json", '{"core": {"a": {"value": "1", "type": "number"}}}')
    local source = assert(load.read_with(dir .. "/t.json", {}, reader.tape))
    assert.are.same({ "a" }, source.sets.core.names)
  end)

  it("agree on a Tokens Studio file with themes, order, escapes and every kind of value", function()
    h.write(dir, "ts.json", [[{
      "zeta": {"z": {"value": "{a.b}", "type": "spacing"}},
      "$themes": [{"name": "Dark", "group": "mode", "selectedTokenSets": {"core": "enabled", "zeta": "source"}}],
      "core": {
        "a": {"b": {"value": "4", "type": "spacing", "description": "four"}},
        "colors": {
          "red": {"value": "#ff0000", "type": "color", "$extensions": {"studio.tokens": {"modify":
            {"type": "lighten", "value": "0.2", "space": "lch"}}, "other": [1, 2.5, -0, 1e3, true, false, null]}},
          "d\u00e9j\u00e0 \"vu\"\n": {"value": "a\/b\u0041\u20ac", "type": "text"}
        },
        "typo": {"value": {"fontSize": "16", "fontWeight": 400, "list": []}, "type": "typography"},
        "shadow": {"value": [{"x": 1, "y": 2, "color": "#000"}, {"x": 0, "y": 0, "color": "#fff"}], "type": "boxShadow"},
        "fonts": {"value": ["Inter", "Arial"], "type": "fontFamilies"},
        "nums": {"value": 12.5, "type": "number"},
        "flag": {"value": false, "type": "boolean"},
        "nothing": {"value": null},
        "untyped": {"value": "x"},
        "falsy": {"value": "y", "type": "color", "$type": false, "$description": false, "description": "kept"},
        "nulled": {"$value": "z", "$type": null, "description": null},
        "": {"inner": {"value": "1", "type": "number"}},
        "empty": {},
        "arr": [1, {"value": "no"}],
        "$skipped": {"value": "1"}
      },
      "mid": {"m": {"value": "{colors.red}", "type": "color"}}
    }]])
    local source = same_source(dir .. "/ts.json")
    assert.are.equal("tokens-studio", source.format)
    assert.are.same({ "zeta", "core", "mid" }, source.order) -- as written
    local t = source.sets.core.tokens
    assert.is_nil(t.colors)
    assert.are.equal("a/bA\u{20ac}", t["colors.d\u{e9}j\u{e0} \"vu\"\n"].value)
    assert.are.equal("lighten", t["colors.red"].modify.type)
    assert.is_nil(t["colors.red"].extensions) -- other extensions are not kept
    assert.are.equal(json.null, t.nothing.value)
    assert.is_nil(t.nulled.type) -- null is not a type name
    assert.are.equal(json.null, t.nulled.description)
    assert.are.equal("kept", t.falsy.description)
    assert.is_table(t.inner)
  end)

  it("agree on DTCG files with group types written after the tokens", function()
    h.write(dir, "d.json", [[{
      "color": {
        "brand": {"$value": {"colorSpace": "srgb", "components": [1, 0, 0.5], "alpha": 0.5, "hex": "#ff0080"}},
        "alias": {"$value": "{color.brand}", "$description": "an alias"},
        "nested": {"deep": {"$value": "#000"}, "$type": "color"},
        "$type": "color"
      },
      "size": {"$type": 7, "sm": {"$value": {"value": 4, "unit": "px"}}, "md": {"$value": "8px", "$type": "dimension"}},
      "dur": {"fast": {"$value": {"value": 100, "unit": "ms"}, "$type": "duration", "$deprecated": true}},
      "shadow": {"$value": [{"color": "#000", "offsetX": "1px"}], "$type": "shadow"},
      "bezier": {"$value": [0.5, 0, 1, 1], "$type": "cubicBezier"}
    }]])
    local source = same_source(dir .. "/d.json")
    assert.are.equal("dtcg", source.format)
    local t = source.sets.default.tokens
    assert.are.equal("color", t["color.nested.deep"].type)
    assert.are.equal("color", t["color.alias"].type)
    assert.is_nil(t["size.sm"].type)
  end)

  it("agree on names with dots that do not collide, modifiers of every shape and many member names", function()
    local members = {}
    for i = 1, 150 do members[#members + 1] = string.format('"k%d": %d, "%dk": "v"', i, i, i) end
    h.write(dir, "m.json", [[{"core": {
      "a.b": {"value": "1", "type": "number"}, "a": {"c": {"value": "2", "type": "number"}},
      "arr": {"value": "#fff", "type": "color", "$extensions": {"studio.tokens": {"modify": ["lighten", 0.2]}}},
      "none": {"value": "#fff", "type": "color", "$extensions": {"studio.tokens": {"modify": []}}},
      "str": {"value": "#fff", "type": "color", "$extensions": {"studio.tokens": {"modify": "lighten"}}},
      "many": {"value": {]] .. table.concat(members, ", ") .. [[}, "type": "composition"},
      "again": {"value": {"k1": {"k2": "x", "2k": ["y", {"k3": 3}]}}, "type": "composition"}
    }}]])
    local t = same_source(dir .. "/m.json").sets.core.tokens
    assert.are.equal("1", t["a.b"].value)
    assert.are.equal("lighten", t.arr.modify[1])
    assert.are.equal(150, t.many.value.k150)
    assert.are.equal(3, t.again.value.k1["2k"][2].k3)
    h.write(dir, "e.json", '{"core": {"": {"a": {"value": "1"}}, "a": {"value": "2"}}}')
    undecided(dir .. "/e.json")
  end)

  it("agree on folders: Tokens Studio multi-file and DTCG files merged in name order", function()
    h.write(dir, "ts/$metadata.json", '{"tokenSetOrder": ["core", "theme/dark"]}')
    h.write(dir, "ts/$themes.json", '[{"name": "dark", "selectedTokenSets": {"core": "source", "theme/dark": "enabled"}}]')
    h.write(dir, "ts/core.json", '{"colors": {"bg": {"value": "#fff", "type": "color"}}}')
    h.write(dir, "ts/theme/dark.json", '{"bg": {"value": "{colors.bg}", "type": "color"}}')
    h.write(dir, "ts/extra.json", '{"x": {"value": "1"}}')
    local source = same_source(dir .. "/ts")
    assert.are.same({ "core", "theme/dark", "extra" }, source.order)
    h.write(dir, "dtcg/a.json", '{"c": {"$type": "color", "one": {"$value": "#111"}, "two": {"$value": "#222"}}}')
    h.write(dir, "dtcg/b.json", '{"c": {"two": {"$value": "#999", "$type": "color"}, "three": {"$value": "{c.two}"}}}')
    source = same_source(dir .. "/dtcg")
    assert.are.equal("#999", source.sets.default.tokens["c.two"].value)
    assert.are.equal(4, source.sets.default.count)
    same_source(dir .. "/dtcg", { format = "tokens-studio" })
  end)

  describe("agree on tokens that are not well formed", function()
    local cases = {
      { "a reference where the type wants an object", '{"core": {"c": {"value": "{x}", "type": "composition"}, "x": {"value": {"a": 1}}}}' },
      { "a value of the wrong shape", '{"core": {"c": {"value": 5, "type": "composition"}, "d": {"value": [1, "{c}"], "type": "spacing"}}}' },
      { "an array with an element of the wrong shape", '{"core": {"c": {"value": ["#fff", [1]], "type": "color"}}}' },
      { "a token without a value", '{"core": {"colors": {"red": {"type": "color", "description": "no value"}, "$type": "x"}}}' },
    }
    for _, c in ipairs(cases) do
      it(c[1], function()
        h.write(dir, "t.json", c[2])
        same_source(dir .. "/t.json")
        -- strict: the same message from either reader
        local _, ferr = load.read_with(dir .. "/t.json", { strict = true }, reader.tape)
        local _, serr = load.read_with(dir .. "/t.json", { strict = true }, reader.tables)
        if c[1]:find("^a reference") then assert.is_nil(serr) else assert.is_string(serr) end
        assert.are.equal(serr, ferr)
      end)
    end
  end)

  describe("leave to lua-cjson and the Lua walk", function()
    local cases = {
      { "duplicate keys", '{"core": {"a": {"value": "1"}, "b": {"value": "2"}, "a": {"x": {"value": "3"}}}}' },
      { "a surrogate escape", '{"core": {"\\ud83d\\ude00": {"value": "1", "type": "number"}}}' },
      { "a raw tab in a string", '{"core": {"a": {"value": "1\t2", "type": "text"}}}' },
      { "two paths for one name", '{"core": {"a.b": {"value": "1"}, "a": {"b": {"value": "2"}}}}' },
      { "a non-UTF-8 name", '{"core": {"bad\255name": {"value": "1", "type": "number"}}}' },
      { "malformed JSON", '{\n  "core": {\n    "a": { "value": , "type": "number" }\n  }\n}\n' },
      { "JSON lua-cjson accepts and the strict reader does not", '{"core": {"a": {"value": [0x10, Infinity]}}}' },
      { "a root that is not an object", '[{"value": "1"}]' },
      { "a format guess that depends on table order", '{"g": {"a": {"value": "1", "type": "number"}, "b": {"$value": "2"}}}' },
    }
    for _, c in ipairs(cases) do
      it(c[1], function()
        h.write(dir, "t.json", c[2])
        undecided(dir .. "/t.json")
      end)
    end

    it("a folder where one file needs it", function()
      h.write(dir, "f/$metadata.json", '{"tokenSetOrder": ["a", "b"]}')
      h.write(dir, "f/a.json", '{"x": {"value": "1", "type": "number"}}')
      h.write(dir, "f/b.json", '{"y": {"value": "1", "type": "number"}, "y": {"value": "2", "type": "number"}}')
      local source = undecided(dir .. "/f")
      assert.are.equal("2", source.sets.b.tokens.y.value)
    end)

    it("and report the same errors through tf.tokens.load", function()
      h.write(dir, "bad.json", '{\n  "core": {\n    "a": { "value": , "type": "number" }\n  }\n}\n')
      local set, err = tf.tokens.load(dir .. "/bad.json")
      assert.is_nil(set)
      assert.are.equal(dir .. "/bad.json: invalid JSON: Expected value but found T_COMMA at character 35 (line 3, column 21)", err)
    end)
  end)

  it("resolves to the same values with and without the written order", function()
    h.write(dir, "o.json", [[{"core": {
      "base": {"value": "4", "type": "spacing"},
      "a": {"value": "{base}", "type": "spacing"},
      "b": {"value": "{a} * 2", "type": "spacing"},
      "c": {"value": "{b}", "type": "spacing"},
      "red": {"value": "#ff0033", "type": "color"},
      "dark": {"value": "{red}", "type": "color", "$extensions": {"studio.tokens": {"modify": {"type": "darken", "value": "0.3", "space": "lch"}}}},
      "later": {"value": "{latest}", "type": "color"},
      "latest": {"value": "{dark}", "type": "color"},
      "missing": {"value": "{nope}", "type": "color"}
    }}]])
    local source = same_source(dir .. "/o.json")
    local set = source.sets.core
    local e1 = resolve.engine(set.tokens, { size = #set.names })
    e1.run(set.names)
    local e2 = resolve.engine(set.tokens)
    e2.run()
    assert.are.same(e2.values, e1.values)
    assert.are.same(e2.failed, e1.failed)
    assert.are.equal("#ad1b26", e1.values.latest)
    assert.are.equal(8, e1.values.c)
  end)
end)

describe("tokenflow.JsonDoc", function()
  it("decodes members as lua-cjson does and closes once", function()
    local doc = assert(core.json_read('{"a": [1, {"b": null}], "s": "x", "$themes": []}', json.null))
    assert.matches("^tokenflow.JsonDoc %(%d+ nodes, %d+ bytes%)$", tostring(doc))
    assert.are.same(json.decode('[1, {"b": null}]', "x"), doc:get("a"))
    assert.are.equal("array", doc:kind("a"))
    assert.are.equal("string", doc:kind("s"))
    assert.is_nil(doc:kind("nope"))
    assert.is_nil(doc:get("nope"))
    assert.are.same({ "a", "s", "$themes" }, doc:keys())
    assert.are.equal("tokens-studio", doc:detect())
    assert.are.equal('{"a": [1, {"b": null}], "s": "x", "$themes": []}', doc:text())
    assert.are.equal(core.digest('{"a": [1, {"b": null}], "s": "x", "$themes": []}'), doc:digest())
    doc:close()
    doc:close()
    assert.are.equal("tokenflow.JsonDoc (closed)", tostring(doc))
    assert.has_error(function() doc:get("a") end, "attempt to use a closed tokenflow.JsonDoc")
    assert.has_error(function() doc:digest() end, "attempt to use a closed tokenflow.JsonDoc")
  end)

  it("answers nil and a reason for text it does not read, and for unreadable files", function()
    local doc, why = core.json_read('{"a": 1,}', json.null)
    assert.is_nil(doc)
    assert.are.equal("not read by the fast path (byte 9)", why)
    doc, why = core.json_read_file("/nonexistent/t.json", json.null)
    assert.is_nil(doc)
    assert.are.equal("/nonexistent/t.json: cannot read", why)
    assert.has_error(function() core.json_read(42) end)
  end)

  it("detects formats as detect.lua does, and says when it cannot", function()
    local function d(text) return assert(core.json_read(text, json.null)):detect() end
    assert.are.equal("dtcg", d('{"g": {"t": {"$value": 1}}}'))
    assert.are.equal("tokens-studio", d('{"s": {"t": {"value": 1}}}'))
    assert.are.equal("tokens-studio", d('{"$metadata": {}, "g": {"t": {"$value": 1}}}'))
    assert.is_nil(d('{"g": {"h": {}}}'))
    assert.is_false(d('{"s": {"t": {"value": 1}, "u": {"$value": 1}}}'))
    -- a shallower token decides
    assert.are.equal("dtcg", d('{"u": {"$value": 1}, "s": {"t": {"value": 1}}}'))
  end)
end)

describe("token readers with content digests and lazy sets", function()
  local dir
  before_each(function() dir = h.tmpdir() end)
  after_each(function() h.rmdir(dir) end)

  do
    local function text_of(path)
      local f = assert(io.open(path, "rb"))
      local t = f:read("a")
      f:close()
      return t
    end

    it("give each set the digest of the text it was read from, whichever reader ran", function()
      h.write(dir, "f/$metadata.json", '{"tokenSetOrder": ["b", "a"]}')
      h.write(dir, "f/a.json", '{"x": {"value": "1", "type": "number"}}')
      h.write(dir, "f/b.json", '{"y": {"value": "{x}", "type": "number"}}')
      h.write(dir, "one.json", '{"core": {"a": {"value": "1", "type": "number"}}, "more": {"b": {"value": "2"}}}')
      for _, rd in ipairs { reader.tape, reader.tables } do
        local source = assert(load.read_with(dir .. "/f", { lazy = false }, rd))
        assert.are.equal(core.digest(text_of(dir .. "/f/a.json")), source.sets.a.digest)
        assert.are.equal(core.digest(text_of(dir .. "/f/b.json")), source.sets.b.digest)
        assert.are.same({ dir .. "/f/a.json", dir .. "/f/b.json", dir .. "/f/$metadata.json" }, source.files_read)
        local file = assert(load.read_with(dir .. "/one.json", {}, rd))
        local d = core.digest(text_of(dir .. "/one.json"))
        assert.are.equal(core.digest(d, "core"), file.sets.core.digest)
        assert.are.equal(core.digest(d, "more"), file.sets.more.digest)
        assert.are_not.equal(file.sets.core.digest, file.sets.more.digest)
        assert.are.same({ dir .. "/one.json" }, file.files_read)
      end
    end)

    it("parse a lazy set with the tape reader, and with the table reader what it leaves undecided", function()
      h.write(dir, "f/$themes.json", '[{"name": "t", "selectedTokenSets": {"a": "enabled", "b": "enabled"}}]')
      h.write(dir, "f/a.json", '{"x": {"value": "1", "type": "number"}, "z": {"value": "{x}", "type": "number"}}')
      -- one name twice: only the table reader can decide which wins
      h.write(dir, "f/b.json", '{"y": {"value": "1", "type": "number"}, "y": {"value": "{x}", "type": "number"}}')
      local source = assert(load.path(dir .. "/f"))
      assert.is_true(source.lazy)
      assert.is_false(source.sets.a.loaded)
      assert(load.ensure(source, { "a", "b" }))
      local a, b = source.sets.a, source.sets.b
      assert.are.same({ "x", "z" }, a.names) -- only the tape reader gives the written order
      assert.is_nil(b.names)
      assert.are.equal("{x}", b.tokens.y.value)
      assert.are.equal(2, a.count)
      assert.are.equal(core.digest(text_of(dir .. "/f/a.json")), a.digest)
      assert.are.equal(core.digest(text_of(dir .. "/f/b.json")), b.digest)
      -- the same values as reading everything up front with the table reader
      local eager = assert(load.read_with(dir .. "/f", { lazy = false }, reader.tables))
      assert.are.same(eager.sets.a.tokens, a.tokens)
      assert.are.same(eager.sets.b.tokens, b.tokens)
      local r = assert(tf.tokens.load(dir .. "/f")):resolve { theme = "t" }
      assert.are.equal(1, r:get("y"))
      assert.are.equal(1, r:get("z"))
    end)

    it("report a broken lazy set file with the table reader's message", function()
      h.write(dir, "f/$themes.json", '[{"name": "t", "selectedTokenSets": {"a": "enabled"}}]')
      h.write(dir, "f/a.json", '{\n  "x": { "value": , "type": "number" }\n}\n')
      local set = assert(tf.tokens.load(dir .. "/f"))
      local r, err = set:resolve { theme = "t" }
      assert.is_nil(r)
      assert.are.equal(dir .. "/f/a.json: invalid JSON: Expected value but found T_COMMA at character 21 (line 2, column 19)", err)
    end)
  end
end)

-- The token set a Figma file carries: Tokens Studio with local storage keeps
-- it in the document node's sharedPluginData.tokens (values, themes,
-- activeTheme, usedTokenSet, version, updatedAt, storageType, each a
-- string). tf.tokens.from_figma reads it; `tokenflow resolve --doc` and
-- `tokenflow apply --doc` without --tokens use it.
local cjson = require "cjson"
local tf = require "tokenflow"
local h = require "tokens_helper"

local DEMO = "examples/tokens/demo"
local DARK_ID, LIGHT_ID = "d3e7a90b12c44f6e8b0d5a17", "a6b1f0c2e94d7e3b5c8a1d2f"
local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

-- A real Figma file (the shared fixtures, read in place, beside the
-- checkout or where the machine keeps them); without them, a generated one.
local FIXTURE
for _, dir in ipairs { os.getenv("TOKENFLOW_FIGMA_FIXTURES") or false, "../shared/figma-fixtures",
  "/work/shared/figma-fixtures" } do
  local path = dir and dir .. "/kpozdnikin__from-firma-gtp-to-react__figma.json"
  local f = path and io.open(path, "rb")
  if f then
    f:close()
    FIXTURE = path
    break
  end
end
if not FIXTURE then
  FIXTURE = os.tmpname()
  local f = assert(io.open(FIXTURE, "wb"))
  f:write(cjson.encode(dofile("examples/gen-doc.lua").document { nodes = 300, seed = 3 }))
  f:close()
end

-- The demo folder as Tokens Studio stores it in a file: the sets in
-- tokenSetOrder, as one JSON text written in that order.
local function stored_demo(fields)
  local order = cjson.decode(slurp(DEMO .. "/$metadata.json")).tokenSetOrder
  local parts = {}
  for _, name in ipairs(order) do
    parts[#parts + 1] = cjson.encode(name) .. ":" .. slurp(DEMO .. "/" .. name .. ".json")
  end
  local data = {
    values = "{" .. table.concat(parts, ",") .. "}",
    themes = slurp(DEMO .. "/$themes.json"),
    activeTheme = cjson.encode { ["color-scheme"] = DARK_ID },
    usedTokenSet = cjson.encode { ["core/color"] = "enabled" },
    version = "138",
    updatedAt = "2024-05-02T09:30:00.000Z",
    storageType = '{"provider":"local"}',
  }
  for k, v in pairs(fields or {}) do data[k] = v ~= false and v or nil end
  return data
end

local function figma_file(data)
  return { name = "demo", document = { id = "0:0", name = "Document", type = "DOCUMENT",
    sharedPluginData = data and { tokens = data } or nil } }
end

describe("tf.tokens.from_figma", function()
  it("reads the sets, themes and active theme a file carries, in the stored order", function()
    local set, info = assert(tf.tokens.from_figma(figma_file(stored_demo())))
    assert.are.same(cjson.decode(slurp(DEMO .. "/$metadata.json")).tokenSetOrder, set:sets())
    assert.are.equal(2, #set:themes())
    assert.are.same({ DARK_ID }, info.themes)
    assert.are.same({ themes = { DARK_ID } }, info.selection)
    assert.are.equal("138", info.version)
    assert.are.equal("2024-05-02T09:30:00.000Z", info.updated_at)
    assert.are.same({ provider = "local" }, info.storage)
    -- the same values as the folder with the dark theme
    local from_file = assert(set:resolve(info.selection))
    local from_folder = assert(assert(tf.tokens.load(DEMO)):resolve { theme = "dark" })
    assert.are.same(from_folder:flat(), from_file:flat())
  end)

  it("takes a document node, a decoded file or a path", function()
    local dir = h.tmpdir()
    local file = figma_file(stored_demo())
    h.write(dir, "f.json", cjson.encode(file))
    for _, src in ipairs { file, file.document, dir .. "/f.json" } do
      local set, info = assert(tf.tokens.from_figma(src))
      assert.are.equal(7, #set:sets())
      assert.are.same({ DARK_ID }, info.themes)
    end
    h.rmdir(dir)
  end)

  it("uses the used sets when no theme is active, and every set when neither is stored", function()
    local _, info = assert(tf.tokens.from_figma(figma_file(stored_demo { activeTheme = "{}" })))
    assert.are.same({ sets = { ["core/color"] = "enabled" } }, info.selection)
    _, info = assert(tf.tokens.from_figma(figma_file(stored_demo { activeTheme = false, usedTokenSet = false })))
    assert.is_nil(info.selection)
  end)

  it("reads older stored forms: an active theme stored as a bare id, used sets as an array, a set as a list", function()
    local data = stored_demo { activeTheme = LIGHT_ID, usedTokenSet = '["core/color"]' }
    local set, info = assert(tf.tokens.from_figma(figma_file(data)))
    assert.are.same({ LIGHT_ID }, info.themes)
    local light = assert(set:resolve(info.selection))
    assert.are.same(assert(assert(tf.tokens.load(DEMO)):resolve { theme = "light" }):flat(), light:flat())
    local list = cjson.encode { core = { { name = "space.sm", value = "4", type = "spacing" },
      { name = "space.md", value = "{space.sm} * 2", type = "spacing" } } }
    set = assert(tf.tokens.from_figma(figma_file { values = list }))
    assert.are.equal(8, (assert(set:resolve()):get("space.md")))
    -- each set may itself be stored as JSON text
    set = assert(tf.tokens.from_figma(figma_file { values = cjson.encode { core = '{"a": {"value": "1", "type": "number"}}' } }))
    assert.are.equal(1, (assert(set:resolve()):get("a")))
  end)

  describe("says which key is wrong", function()
    local W = "document.sharedPluginData.tokens"
    local cases = {
      { "no shared plugin data", figma_file(nil), W .. ".values: no token set stored in this file" },
      { "no values", figma_file { themes = "[]" }, W .. ".values: no token set stored in this file" },
      { "compressed values", figma_file(stored_demo { values = "N4IgLgngDgpiBcIBmBDAxgFwJYHsB2..." }),
        W .. ".values: a stored form this version of tokenflow does not read (not a JSON object: compressed, or written by a newer plugin, version 138)" },
      { "values not an object", figma_file { values = "[1, 2]" },
        W .. ".values: a stored form this version of tokenflow does not read" },
      { "malformed values", figma_file { values = '{"core": ' }, W .. ".values: invalid JSON" },
      { "a set that is not an object", figma_file { values = '{"core": 5}' },
        W .. '.values["core"]: a set must be an object of tokens, got number' },
      { "malformed themes", figma_file(stored_demo { themes = "[{" }), W .. ".themes: invalid JSON" },
      { "an unknown active theme", figma_file(stored_demo { activeTheme = '{"mode": "nope"}' }),
        W .. ".activeTheme: theme 'nope' is not among the stored themes" },
      { "a bad used set status", figma_file(stored_demo { usedTokenSet = '{"core/color": "on"}' }),
        W .. ".usedTokenSet: set 'core/color' has status 'on'" },
      { "a token of the wrong shape, strict", figma_file { values = '{"core": {"a": {"value": {"x": 1}, "type": "spacing"}}}' },
        W .. ".values: a: value of type 'spacing' must be a string or a number, got an object", { strict = true } },
    }
    for _, c in ipairs(cases) do
      it(c[1], function()
        local set, err = tf.tokens.from_figma(c[2], c[4])
        assert.is_nil(set)
        assert.truthy(err:find(c[3], 1, true), err)
      end)
    end

    it("a file on disk, named", function()
      local set, err = tf.tokens.from_figma(FIXTURE)
      assert.is_nil(set)
      assert.are.equal(FIXTURE .. ": " .. W .. ".values: no token set stored in this file (Tokens Studio keeps it there"
        .. " with local storage; the REST API returns it with plugin_data=shared)", err)
    end)

    it("programming errors raise", function()
      assert.has_error(function() tf.tokens.from_figma(42) end,
        "bad argument #1 to 'from_figma' (file path or table expected, got number)")
      local data = { values = {} }
      data.values.core = { a = data.values }
      assert.has_error(function() tf.tokens.from_figma(figma_file(data)) end,
        "bad argument #1 to 'from_figma' (document.sharedPluginData.tokens.values.core.a.core: a table that contains itself)")
    end)
  end)
end)

describe("the command line with a Figma file's own token set", function()
  local dir
  setup(function()
    dir = h.tmpdir()
    -- a real file (read in place) with Tokens Studio's data added, as the
    -- plugin leaves it: the set on the document node, token maps on nodes
    -- (written through the document engine, so the rest of the file keeps its bytes)
    local doc = assert(tf.figma.open(FIXTURE))
    doc:node(1).sharedPluginData = { tokens = stored_demo() }
    local n = 0
    for node in doc:nodes() do
      if node.type == "RECTANGLE" or node.type == "FRAME" then
        node.sharedPluginData = { tokens = { fill = '"color.bg.canvas"' } }
        n = n + 1
      end
    end
    assert(n > 0)
    assert(doc:save(dir .. "/doc.json"))
    doc:close()
    h.write(dir, "plain.json", slurp(FIXTURE))
  end)
  teardown(function() h.rmdir(dir) end)

  it("tokenflow resolve --doc prints the set with the file's active theme, or --theme's", function()
    local code, out, err = h.run_cli("resolve --doc '" .. dir .. "/doc.json' --format flat")
    assert.are.equal(0, code, err)
    local dark = assert(assert(tf.tokens.load(DEMO)):resolve { theme = "dark" })
    assert.are.same(dark:flat(), cjson.decode(out))
    code, out = h.run_cli("resolve --doc '" .. dir .. "/doc.json' --theme light --format flat")
    assert.are.equal(0, code)
    local light = assert(assert(tf.tokens.load(DEMO)):resolve { theme = "light" })
    assert.are.same(light:flat(), cjson.decode(out))
  end)

  it("tokenflow apply --doc without --tokens applies that set with the file's active theme", function()
    local code, out, err = h.run_cli("apply --doc '" .. dir .. "/doc.json' --out '" .. dir .. "/out.json' --quiet")
    assert.are.equal(0, code, err .. out)
    local result = cjson.decode(slurp(dir .. "/out.json"))
    local dark = assert(assert(tf.tokens.load(DEMO)):resolve { theme = "dark" })
    local want = assert(tf.figma.map({ fill = "color.bg.canvas" }, dark))
    local expect = { id = "x", type = "RECTANGLE" }
    tf.figma.writer {}(expect, want)
    local seen = 0
    for node in tf.walk(result.document, "children") do
      if node.sharedPluginData and (node.type == "RECTANGLE" or node.type == "FRAME") then
        local got, want_fill = node.fills[1], expect.fills[1]
        assert.are.equal(want_fill.type, got.type)
        for _, c in ipairs { "r", "g", "b" } do
          assert.is_true(math.abs(want_fill.color[c] - got.color[c]) < 1e-9, c)
        end
        seen = seen + 1
      end
    end
    assert.is_true(seen > 0)
  end)

  it("a file without a token set: exit 2, naming the key", function()
    for _, args in ipairs { "resolve --doc '" .. dir .. "/plain.json'", "apply --doc '" .. dir .. "/plain.json'" } do
      local code, out, err = h.run_cli(args)
      assert.are.equal(2, code)
      assert.are.equal("", out)
      assert.truthy(err:find(dir .. "/plain.json: document.sharedPluginData.tokens.values: no token set stored", 1, true), err)
    end
  end)
end)

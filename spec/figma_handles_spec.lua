-- Node handles of tf.figma.open / tf.figma.parse: reading a node's fields
-- as Lua values, writing them as patches, what is refused, and the file's
-- other shapes (a /nodes response, branches).
local tf = require "tokenflow"
local fx = require "figma_fixtures_helper"
local h = require "tokens_helper"

local FILE = [[{"name":"t","document":{"id":"0:0","type":"DOCUMENT","children":[{"id":"0:1","type":"CANVAS","children":[
{"id":"1:2","type":"FRAME","name":"caf\u00e9 \"x\"","layoutMode":"VERTICAL","opacity":1.0,"visible":true,"transitionNodeID":null,
"absoluteBoundingBox":{"x":1.5,"y":-2,"width":300,"height":1e2},"fills":[{"type":"SOLID","color":{"r":1,"g":0.5,"b":0,"a":1}}],
"effects":[],"children":[{"id":"I1:3;4:5","type":"TEXT","characters":"a\/b\n\ud83c\udfa8","style":{"fontSize":12,"fontFamily":"Inter"}}]}]}]},
"schemaVersion":0}]]

local function parse(text) return assert(tf.figma.parse(text or FILE, "t.json")) end

describe("tf.figma document nodes", function()
  it("read as Lua values: strings decoded, numbers, booleans, null, objects and arrays as values", function()
    local doc = parse()
    assert.are.equal(4, doc:count())
    local frame = doc:node(3)
    assert.are.equal("1:2", frame.id)
    assert.are.equal('café "x"', frame.name)
    assert.are.equal(1.0, frame.opacity)
    assert.are.equal(true, frame.visible)
    assert.are.equal(require("cjson").null, frame.transitionNodeID) -- JSON null, as lua-cjson reads it
    assert.is_nil(frame.nothing)
    local box = frame.absoluteBoundingBox
    assert.are.equal("table", type(box))
    assert.are.equal(1.5, box.x)
    assert.are.equal(-2, box.y)
    assert.are.equal(math.type(-2), math.type(box.y))
    assert.are.equal(100.0, box.height)
    assert.are.equal(1, #frame.fills)
    assert.are.equal(0.5, frame.fills[1].color.g)
    assert.are.equal(0, #frame.effects)
    local keys = {}
    for k in pairs(box) do keys[#keys + 1] = k end
    assert.are.same({ "x", "y", "width", "height" }, keys)
    local text = doc:node(4)
    assert.are.equal("a/b\n🎨", text.characters)
    local fields = {}
    for k in pairs(text) do fields[#fields + 1] = k end
    assert.are.same({ "id", "type", "characters", "style" }, fields)
    assert.truthy(tostring(frame):find("tokenflow.Node (1:2)", 1, true))
    assert.truthy(tostring(box):find('{"x":1.5', 1, true))
    assert.are.equal(doc:node(3), frame) -- two handles of one node are equal
  end)

  it("write patches: new fields at the end, member edits in place, removals, and the rest as it was", function()
    local doc = parse()
    local frame = doc:node(3)
    frame.opacity = 0.5
    frame.absoluteBoundingBox.width = 320
    frame.strokeWeight = 2
    frame.visible = nil
    frame.fills = { { type = "SOLID", color = { r = 0.2, g = 0.4, b = 0.6, a = 1 } } }
    assert.are.equal(0.5, frame.opacity)
    assert.are.equal(320, frame.absoluteBoundingBox.width)
    assert.is_nil(frame.visible)
    local text = doc:text()
    assert.truthy(text:find('"opacity":0.5,"transitionNodeID":null,', 1, true))
    assert.truthy(text:find('"absoluteBoundingBox":{"x":1.5,"y":-2,"width":320,"height":1e2}', 1, true))
    assert.truthy(text:find('"fills":[{"color":{"a":1,"b":0.6,"g":0.4,"r":0.2},"type":"SOLID"}]', 1, true))
    assert.is_nil(text:find('"visible"', 1, true))
    assert.truthy(text:find(',"strokeWeight":2}', 1, true))
    -- the text node, not written, keeps its bytes, escapes included
    assert.truthy(text:find('"characters":"a\\/b\\n\\ud83c\\udfa8"', 1, true))
    assert.are.equal(1, doc:stats().patched)
  end)

  it("pieces: the text of text() in pieces, with how far into the file's bytes each got", function()
    local frames = {}
    for i = 1, 20000 do frames[i] = string.format('{"id":"1:%d","type":"FRAME","opacity":1}', i) end
    local doc = parse('{"document":{"id":"0:0","type":"DOCUMENT","children":[' .. table.concat(frames, ",") .. "]}}")
    doc:node(3).opacity = 0.25
    doc:node(15000).name = "changed"
    local parts, last, ended = {}, 0, 0
    local next_piece = doc:pieces(4096)
    while true do
      local piece, at, is_last = next_piece()
      if not piece then break end
      assert.is_true(#piece > 0)
      assert.is_true(at >= last and at <= doc:stats().bytes)
      if is_last then ended = ended + 1 end
      parts[#parts + 1], last = piece, at
    end
    assert.are.equal(1, ended) -- the last piece says so
    assert.is_true(#parts >= 3) -- handed on 256 KB at a time
    assert.are.equal(doc:stats().bytes, last)
    assert.are.equal(doc:text(), table.concat(parts))
    local pieces = doc:pieces()
    assert.are.equal(doc:text(), pieces())
    assert.is_nil(pieces())
    -- called directly, the iterator takes the size of the next piece
    local sized = doc:pieces(1)
    local first, second = sized(300 * 1024), sized(1 << 30)
    assert.is_true(#first >= 256 * 1024 and #first < #doc:text())
    assert.are.equal(doc:text(), first .. second)
    assert.has_error(function() doc:pieces()(-1) end, "bad argument #1 to 'pieces iterator' (a positive integer expected)")
    assert.has_error(function() doc:pieces(0) end, "bad argument #1 to 'pieces' (a positive integer expected)")
    local unfinished = doc:pieces(16)
    unfinished()
    doc:close()
    assert.has_error(function() unfinished() end, "attempt to use a closed tokenflow.Document")
  end)

  it("copy(value): an overlay whose changed members alone are patched", function()
    local fields = require "tokenflow.apply.fields"
    local doc = parse()
    local text = doc:node(4)
    local style = fields.copy(text.style)
    style.fontSize = 16
    style.fontFamily = nil
    style.letterSpacing = 0
    fields.default(style, "fontSize", 99) -- has one: unchanged
    fields.default(style, "lineHeightPx", 20)
    assert.are.equal(16, style.fontSize)
    assert.is_nil(style.fontFamily)
    text.style = style
    assert.truthy(doc:text():find('"style":{"fontSize":16,"letterSpacing":0,"lineHeightPx":20}', 1, true))
    -- a plain table is copied shallowly
    local plain = fields.copy({ a = 1 })
    assert.are.same({ a = 1 }, plain)
  end)

  it("keeps empty arrays arrays: what the field was, or marked", function()
    local fields = require "tokenflow.apply.fields"
    local doc = parse()
    local frame = doc:node(3)
    frame.fills = {}               -- was an array
    frame.strokes = fields.array {} -- new, marked
    frame.exportSettings = {}      -- new, unmarked: an object
    local text = doc:text()
    assert.truthy(text:find('"fills":[]', 1, true))
    assert.truthy(text:find('"strokes":[]', 1, true))
    assert.truthy(text:find('"exportSettings":{}', 1, true))
  end)

  it("refuses what has no JSON text, naming the field, and leaves the node as it was", function()
    local doc = parse()
    local frame = doc:node(3)
    local cyclic = {}
    cyclic.self = cyclic
    local cases = {
      { function() frame.opacity = 0 / 0 end, "cannot write opacity: .*no JSON text" },
      { function() frame.opacity = math.huge end, "cannot write opacity" },
      { function() frame.name = "\xff" end, "cannot write name: a string that is not UTF%-8" },
      { function() frame.fills = { print } end, "cannot write fills: a function has no JSON text" },
      { function() frame.fills = { 1, nil, 3 } end, "cannot write fills" },
      { function() frame.style = { [true] = 1 } end, "neither a JSON array nor an object" },
      { function() frame.fills = cyclic end, "contains itself" },
      { function() frame.children = {} end, "children cannot be written" },
      { function() frame[1] = 2 end, "field names are strings" },
    }
    local function refused()
      for _, c in ipairs(cases) do
        local ok, err = pcall(c[1])
        assert.is_false(ok)
        assert.truthy(tostring(err):find(c[2]), tostring(err))
      end
      collectgarbage()
      collectgarbage()
      return require("tokenflow.core").engine_bytes()
    end
    -- the second time round nothing is held any more: what a refused write encoded is freed
    assert.are.equal(refused(), refused())
    assert.are.equal(0, doc:stats().patched)
    assert.are.equal(FILE, doc:text())
  end)

  it("a closed document refuses its nodes", function()
    local doc = parse()
    local frame = doc:node(3)
    doc:close()
    assert.has_error(function() return frame.id end, "attempt to use a closed tokenflow.Document")
    assert.has_error(function() doc:count() end, "attempt to use a closed tokenflow.Document")
    assert.truthy(tostring(frame):find("closed", 1, true))
    doc:close() -- idempotent
  end)

  it("an update whose document is closed, between steps or by its own write, stops with a clear error", function()
    local text = require("cjson").encode((dofile("examples/gen-doc.lua").document { nodes = 1200, seed = 3 }))
    local light = assert(assert(tf.tokens.load("examples/tokens/demo")):resolve { theme = "light" })
    local doc = assert(tf.figma.parse(text, "d.json"))
    local job = tf.update { tokens = light, source = doc:nodes(), write = tf.figma.writer {}, chunk = { size = 100 } }
    assert.is_true(job:step())
    doc:close()
    assert.has_error(function() job:step() end, "attempt to use a closed tokenflow.Document")
    -- a write that closes it: a writer of its own, and the Figma writer (whose patches the job records)
    for _, figma in ipairs { false, true } do
      local doc2 = assert(tf.figma.parse(text, "d.json"))
      local writer, n = tf.figma.writer {}, 0
      local function closing(node, plan, ctx)
        n = n + 1
        if n == 50 then doc2:close() end
        return writer.write(node, plan, ctx)
      end
      local write = closing
      if figma then
        local mt = getmetatable(writer)
        write = setmetatable({ write = closing, map = writer.map, diff = writer.diff },
          { __name = mt.__name, __call = function(_, ...) return closing(...) end })
      end
      local job2 = tf.update { tokens = light, source = doc2:nodes(), write = write, chunk = { size = 100 } }
      assert.has_error(function() job2:run() end, "attempt to use a closed tokenflow.Document")
      assert.are.equal(50, n)
    end
  end)

  it("tf.update over doc:nodes() with a custom write: all of a node's patches or none", function()
    local doc = parse()
    local set = assert(tf.tokens.new { core = { a = { value = "#ff0000", type = "color" } } })
    doc:node(3).sharedPluginData = { tokens = { fill = '"a"' } }
    doc:node(4).sharedPluginData = { tokens = { fill = '"a"' } }
    local job = tf.update {
      tokens = assert(set:resolve()), source = doc:nodes(),
      write = function(node, plan)
        node.tokenflowMark = #plan
        if node.type == "TEXT" then error("refused " .. node.id) end
        return 1
      end,
    }
    local report = job:run()
    assert.are.equal(1, report.written)
    assert.are.equal(1, report.failed)
    assert.are.equal("I1:3;4:5", report.failures[1].node)
    assert.truthy(report.failures[1].message:find("refused", 1, true))
    local text = doc:text()
    local _, marks = text:gsub('"tokenflowMark"', "")
    assert.are.equal(1, marks) -- the failed node kept nothing of its write
  end)

  it("reruns over a document: light, then dark by changed tokens, is the dark theme", function()
    local cjson = require "cjson"
    local gen = dofile("examples/gen-doc.lua")
    local text = cjson.encode((gen.document { nodes = 1500, seed = 5 }))
    local set = assert(tf.tokens.load("examples/tokens/demo"))
    local light, dark = assert(set:resolve { theme = "light" }), assert(set:resolve { theme = "dark" })
    local doc = parse(text)
    local job = tf.update { tokens = light, source = doc:nodes(), write = tf.figma.writer {} }
    local first = job:run()
    assert.is_true(first.written > 1000)
    local again = job:rerun { changed = light:diff(dark), tokens = dark }
    assert.is_true(again.written > 0 and again.written <= first.written)
    local direct = parse(text)
    tf.update { tokens = dark, source = direct:nodes(), write = tf.figma.writer {} }:run()
    -- the same values (fields a rerun added may sit in another order than a direct run's)
    local function canon(v)
      if type(v) ~= "table" then return cjson.encode(v) end
      local keys, parts = {}, {}
      for k in pairs(v) do keys[#keys + 1] = k end
      table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
      for i, k in ipairs(keys) do parts[i] = tostring(k) .. "=" .. canon(v[k]) end
      return "{" .. table.concat(parts, ",") .. "}"
    end
    assert.are.equal(canon(cjson.decode(direct:text())), canon(cjson.decode(doc:text())))
  end)

  it("writes the nodes of a viewport first", function()
    local cjson = require "cjson"
    local gen = dofile("examples/gen-doc.lua")
    local doc = parse(cjson.encode((gen.document { nodes = 600, seed = 2 })))
    local nodes = doc:nodes()
    local visible = nodes:visible(0, 0, 400, 300)
    assert.is_true(#visible > 0 and #visible < 600)
    -- the same rectangle test in Lua, over every node's bounds
    local expect = 0
    for node in doc:nodes() do
      local b = node.absoluteBoundingBox
      if b and b.x <= 400 and 0 <= b.x + b.width and b.y <= 300 and 0 <= b.y + b.height then expect = expect + 1 end
    end
    assert.are.equal(expect, #visible)
    local order = {}
    local set = assert(tf.tokens.load("examples/tokens/demo"))
    local report = tf.update {
      tokens = assert(set:resolve { theme = "light" }), source = doc:nodes(), viewport = { 0, 0, 400, 300 },
      read = function(node) order[#order + 1] = node.id return tf.figma.read(node) end,
      write = tf.figma.writer {},
    }:run()
    assert.are.equal(#visible, report.visible.count)
    local first = {}
    for i = 1, #visible do first[doc:node(visible[i]).id] = true end
    for i = 1, #visible do assert.is_true(first[order[i]], "a node outside the viewport came first") end
  end)

  it("reads a GET /v1/files/:key/nodes response: every subtree, null entries skipped", function()
    local nodes = [[{"name":"x","nodes":{"1:2":{"document":{"id":"1:2","type":"FRAME","children":[{"id":"1:3","type":"RECTANGLE",
"sharedPluginData":{"tokens":{"fill":"\"a\""}}}]},"components":{},"schemaVersion":0},"9:9":null,
"4:5":{"document":{"id":"4:5","type":"RECTANGLE","sharedPluginData":{"tokens":{"opacity":"\"o\""}}}}}}]]
    local doc = parse(nodes)
    assert.are.equal(3, doc:count())
    assert.are.equal(2, doc:stats().roots)
    local set = assert(tf.tokens.new { core = { a = { value = "#00ff00", type = "color" }, o = { value = "0.25", type = "opacity" } } })
    local report = tf.update { tokens = assert(set:resolve()), source = doc:nodes(), write = tf.figma.writer {} }:run()
    assert.are.equal(2, report.written)
    local text = doc:text()
    assert.truthy(text:find('"opacity":0.25', 1, true))
    assert.truthy(text:find('"fills":[{', 1, true))
    assert.truthy(text:find('"9:9":null', 1, true))
  end)

  it("a /nodes response naming an entry twice, once through escapes: the last entry counts", function()
    local doc = parse([[{"nodes":{"A":{"document":{"id":"1","type":"FRAME"}},"B":{"document":{"id":"3","type":"FRAME"}},
"\u0041":{"document":{"id":"2","type":"FRAME","children":[{"id":"2:1","type":"TEXT"}]}}}}]])
    assert.are.equal(3, doc:count())
    assert.are.same({ "3", "2", "2:1" }, { doc:node(1).id, doc:node(2).id, doc:node(3).id })
    assert.are.equal(1, #doc:duplicates())
  end)

  it("a field written with the value it had, then a member of it: the member's edit is in the file", function()
    for _, file in ipairs {
      '{"document":{"id":"1:3","type":"TEXT","style":{"fontSize":12,"fontFamily":"Inter"}}}',
      '{\n  "document": {\n    "id": "1:3",\n    "type": "TEXT",\n    "style": {\n      "fontSize": 12,\n      "fontFamily": "Inter"\n    }\n  }\n}',
    } do
      local doc = parse(file)
      local node = doc:node(1)
      node.style = { fontSize = 12, fontFamily = "Inter" }
      assert.are.equal(file, doc:text()) -- the same value: the same bytes
      node.style.fontSize = 99
      assert.are.equal((file:gsub('"fontSize": ?12', function(m) return (m:gsub("12", "99")) end)), doc:text())
    end
  end)

  it("keeps a file's branches and reports keys a node holds twice (the last one counts)", function()
    local text = [[{"document":{"id":"0:0","type":"DOCUMENT","children":[{"id":"1:1","type":"RECTANGLE","opacity":1,"opacity":0.5}]},
"branches":[{"key":"abc","name":"feature","thumbnail_url":"https://x/y","last_modified":"2024-01-01T00:00:00Z"}]}]]
    local doc = parse(text)
    assert.are.equal(0.5, doc:node(2).opacity)
    local dups = doc:duplicates()
    assert.are.equal(1, #dups)
    assert.are.equal("1:1", dups[1].node)
    assert.are.equal("opacity", dups[1].key)
    assert.are.equal(1, dups[1].line)
    assert.are.equal(text, doc:text())
  end)

  it("saves atomically: in place, into a missing directory (refused, nothing left), after a failure (unchanged)", function()
    local dir = h.tmpdir()
    local path = dir .. "/f.json"
    h.write(dir, "f.json", FILE)
    local doc = assert(tf.figma.open(path))
    doc:node(3).opacity = 0.25
    local progress = {}
    assert.is_true(doc:save(path, { on_progress = function(p) progress[#progress + 1] = p end }))
    assert.truthy(fx.slurp(path):find('"opacity":0.25', 1, true))
    assert.are.equal("write", progress[#progress].phase)
    assert.are.equal(#doc:text(), progress[#progress].done)
    local ok, err = doc:save(dir .. "/missing/out.json")
    assert.is_nil(ok)
    assert.truthy(err:find(dir .. "/missing/out.json", 1, true), err)
    -- a directory where the file should go: the rename fails, nothing is left behind
    require("lfs").mkdir(dir .. "/taken")
    h.write(dir .. "/taken", "x", "")
    ok, err = doc:save(dir .. "/taken")
    assert.is_nil(ok)
    assert.truthy(err:find("rename failed", 1, true), err)
    local left = {}
    for f in require("lfs").dir(dir) do
      if f ~= "." and f ~= ".." then left[#left + 1] = f end
    end
    table.sort(left)
    assert.are.same({ "f.json", "taken" }, left)
    doc:close()
    h.rmdir(dir)
  end)
end)

describe("tf.figma.open bad input", function()
  local dir
  setup(function() dir = h.tmpdir() end)
  teardown(function() h.rmdir(dir) end)

  -- each: the file's text, then what the message says (file:line:column: what (byte N))
  local cases = {
    { "truncated", '{"document": {"id": "0:0", "children": [', "t.json:1:41: unexpected end of file (truncated?) inside an array opened at 1:40 (byte 40)" },
    { "invalid JSON", '{"document": {"id": "0:0",}}', "t.json:1:27: a trailing comma before '}' (byte 26)" },
    { "invalid UTF-8", '{"document": {"id": "0:0", "name": "a\xc3("}}', "t.json:1:38: invalid UTF-8 inside a string (byte 37)" },
    { "NaN", '{"document": {"id": "0:0", "opacity": NaN}}', "t.json:1:39: NaN is not a JSON value (byte 38)" },
    { "Infinity", '{"document": {"x": Infinity}}', "Infinity is not a JSON value" },
    { "children not an array", '{"document": {"id": "0:0", "children": {}}}', "t.json:1:40: a node's \"children\" must be an array, got an object (byte 39)" },
    { "empty file", "", "t.json:1:1: empty file (no JSON value) (byte 0)" },
    { "not a Figma file", '{"name": "x", "version": "1"}', "t.json:1:1: not a Figma file" },
    { "an array", "[1, 2]", "not a Figma file: the top level is an array" },
    { "too deep", '{"document": {"a": ' .. string.rep("[", 1001), "nesting deeper than 1000 levels" },
    { "text after", '{"document": {}} {}', "unexpected text after the end" },
  }
  for _, c in ipairs(cases) do
    it(c[1] .. ": nil and a message with file, line, column and byte; the CLI exits 2 and writes nothing", function()
      local path = dir .. "/t.json"
      h.write(dir, "t.json", c[2])
      local doc, err = tf.figma.open(path)
      assert.is_nil(doc)
      assert.truthy(err:find(c[3], 1, true), err)
      local out = dir .. "/out.json"
      h.write(dir, "out.json", "unchanged")
      local code, _, stderr = h.run_cli(string.format("apply --tokens examples/tokens/demo --doc %s --out %s", path, out))
      assert.are.equal(2, code)
      assert.truthy(stderr:find(c[3], 1, true), stderr)
      assert.are.equal("unchanged", fx.slurp(out))
    end)
  end

  it("a missing file, a directory", function()
    local doc, err = tf.figma.open(dir .. "/none.json")
    assert.is_nil(doc)
    assert.truthy(err:find("cannot read " .. dir .. "/none.json", 1, true), err)
    doc, err = tf.figma.open(dir)
    assert.is_nil(doc)
    assert.truthy(err:find("Is a directory", 1, true), err)
  end)
end)

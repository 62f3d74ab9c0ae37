local cjson = require "cjson"
local h = require "tokens_helper"
local tf = require "tokenflow"
local gen = dofile("examples/gen-doc.lua")

local TOKENS = "examples/tokens/demo"

local function slurp(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

local run = h.run_cli

-- Every node of a tree by id.
local function by_id(root)
  local out = {}
  for node in tf.walk(root, gen.children) do out[node.id] = node end
  return out
end

-- Every node's parent.
local function parents(root)
  local out, stack = {}, { root }
  while #stack > 0 do
    local node = table.remove(stack)
    for _, c in ipairs(node.children or {}) do
      out[c] = node
      stack[#stack + 1] = c
    end
  end
  return out
end

describe("bin/tokenflow apply", function()
  local dir, doc_path, file, nodes
  setup(function()
    dir = h.tmpdir()
    file = gen.document { nodes = 3000, seed = 7 }
    nodes = gen.count(file.document)
    doc_path = dir .. "/doc.json"
    h.write(dir, "doc.json", cjson.encode(file))
  end)
  teardown(function() h.rmdir(dir) end)

  it("applies a theme, writes every node's values and prints the summary", function()
    local out_path = dir .. "/light.json"
    local code, out, err = run(string.format("apply --tokens %s --theme light --doc %s --out %s", TOKENS, doc_path, out_path))
    assert.are.equal(0, code)
    assert.are.equal("", err) -- no progress bar when stderr is not a terminal
    assert.truthy(out:find("tokenflow apply: " .. nodes .. " nodes", 1, true))
    for _, word in ipairs { "written", "skipped", "failed", "cache", "hits", "peak RSS", "time" } do
      assert.truthy(out:find(word, 1, true), word)
    end
    assert.truthy(out:find("failed +0\n"))

    -- every node with tokens holds what map + write of its own tokens give
    local result = assert(cjson.decode(slurp(out_path)))
    local light = assert(assert(tf.tokens.load(TOKENS)):resolve { theme = "light" })
    local write = tf.figma.writer {}
    local written, checked = by_id(result.document), 0
    -- the same writes on a copy of the tree, in document order (a parent
    -- is written before its children, which may read its new size), each
    -- node told its parent as the document engine tells it
    local copy = cjson.decode(cjson.encode(file))
    local parent = parents(copy.document)
    for node in tf.walk(copy.document, gen.children) do
      local tokens = assert(tf.figma.read(node))
      if next(tokens) then
        write(node, assert(tf.figma.map(tokens, light)), { parent = parent[node] })
        local got = written[node.id]
        for _, field in ipairs { "fills", "strokes", "effects", "opacity", "style", "cornerRadius", "paddingLeft",
          "itemSpacing", "strokeWeight", "absoluteBoundingBox", "visible" } do
          assert.are.same(cjson.decode(cjson.encode({ node[field] })), cjson.decode(cjson.encode({ got[field] })),
            node.id .. " " .. field)
        end
        checked = checked + 1
      end
    end
    assert.is_true(checked > nodes * 0.9)
  end)

  it("writes another theme's values for another --theme", function()
    local light_path, dark_path = dir .. "/l.json", dir .. "/d.json"
    assert.are.equal(0, (run(string.format("apply --tokens %s --theme light --doc %s --out %s --quiet", TOKENS, doc_path, light_path))))
    assert.are.equal(0, (run(string.format("apply --tokens %s --theme dark --doc %s --out %s --quiet", TOKENS, doc_path, dark_path))))
    local l, d = by_id(cjson.decode(slurp(light_path)).document), by_id(cjson.decode(slurp(dark_path)).document)
    local differ = 0
    for id, node in pairs(l) do
      if node.fills and node.fills[1] and node.fills[1].color and d[id].fills[1].color.r ~= node.fills[1].color.r then
        differ = differ + 1
      end
    end
    assert.is_true(differ > 100)
  end)

  it("prints the summary as JSON with --json, counts adding up", function()
    local code, out = run(string.format("apply --tokens %s --theme dark --doc %s --json --chunk 100", TOKENS, doc_path))
    assert.are.equal(0, code)
    local s = cjson.decode(out)
    assert.are.equal(nodes, s.nodes)
    assert.are.equal(s.nodes, s.written + s.skipped + s.failed)
    assert.are.equal(0, s.failed)
    assert.are.same({}, s.failures)
    assert.is_true(s.written > nodes * 0.9)
    assert.is_true(s.cache.hit_rate > 0.5 and s.cache.hit_rate < 1)
    assert.are.equal(s.cache.misses, s.combinations)
    assert.is_true(s.chunks >= nodes / 100)
    assert.is_true(s.memory.rss_peak_kb > 0)
    assert.are.same({ "dark" }, s.theme)
    assert.are.equal(doc_path, s.doc)
  end)

  it("prints nothing with --quiet and writes the document to stdout with --out -", function()
    local code, out, err = run(string.format("apply --tokens %s --theme light --doc %s --quiet", TOKENS, doc_path))
    assert.are.equal(0, code)
    assert.are.equal("", out)
    assert.are.equal("", err)
    code, out, err = run(string.format("apply --tokens %s --theme light --doc %s --out -", TOKENS, doc_path))
    assert.are.equal(0, code)
    local result = cjson.decode(out)
    assert.are.equal("DOCUMENT", result.document.type)
    assert.truthy(err:find("tokenflow apply: " .. nodes .. " nodes", 1, true))
  end)

  it("writes metrics as Prometheus text or JSON by extension, and an SVG chart", function()
    local prom, json, svg = dir .. "/m.prom", dir .. "/m.json", dir .. "/c.svg"
    assert.are.equal(0, (run(string.format("apply --tokens %s --theme light --doc %s --quiet --metrics %s --chart %s",
      TOKENS, doc_path, prom, svg))))
    local text = slurp(prom)
    assert.truthy(text:find("# TYPE ", 1, true))
    assert.truthy(slurp(svg):find("^<svg") or slurp(svg):find("^<%?xml"))
    assert.are.equal(0, (run(string.format("apply --tokens %s --theme light --doc %s --quiet --metrics %s", TOKENS, doc_path, json))))
    assert.are.equal("table", type(cjson.decode(slurp(json)).metrics))
  end)

  it("exits 1 and names node, property and token when nodes fail; the others are written", function()
    local small = gen.document { nodes = 50, seed = 3 }
    local victims = {}
    for node in tf.walk(small.document, gen.children) do
      if node.sharedPluginData and #victims < 2 then
        node.sharedPluginData.tokens.fill = '"color.does-not-exist"'
        victims[#victims + 1] = node.id
      end
    end
    h.write(dir, "bad-tokens.json", cjson.encode(small))
    local out_path = dir .. "/partial.json"
    local code, out, err = run(string.format("apply --tokens %s --theme light --doc %s/bad-tokens.json --out %s",
      TOKENS, dir, out_path))
    assert.are.equal(1, code)
    assert.truthy(out:find("failed +2\n"))
    for _, id in ipairs(victims) do
      assert.truthy(err:find("node " .. id .. ": fill (color.does-not-exist)", 1, true), err)
    end
    -- failed nodes are left as they were, the others are written
    local result = by_id(cjson.decode(slurp(out_path)).document)
    local original = by_id(small.document)
    for _, id in ipairs(victims) do assert.are.same(original[id].fills, result[id].fills) end
    code, out = run(string.format("apply --tokens %s --theme light --doc %s/bad-tokens.json --json", TOKENS, dir))
    assert.are.equal(1, code)
    local s = cjson.decode(out)
    assert.are.equal(2, #s.failures)
    assert.are.equal("color.does-not-exist", s.failures[1].token)
  end)

  it("writes empty paint lists as JSON arrays", function()
    local small = { document = { id = "0:0", type = "DOCUMENT", children = { { id = "1:1", type = "RECTANGLE",
      fills = { { type = "SOLID", color = { r = 1, g = 0, b = 0, a = 1 } } },
      sharedPluginData = { tokens = { fill = '"none"', opacity = '"opacity.muted"' } } } } } }
    h.write(dir, "none.json", cjson.encode(small))
    local code = run(string.format("apply --tokens %s --theme light --doc %s/none.json --out %s/none-out.json --quiet",
      TOKENS, dir, dir))
    assert.are.equal(0, code)
    local text = slurp(dir .. "/none-out.json")
    assert.truthy(text:find('"fills":[]', 1, true), text)
    assert.are.equal(0.64, cjson.decode(text).document.children[1].opacity)
  end)

  describe("bad input exits 2 with a message naming it", function()
    local cases = {
      { "no --doc", "apply --tokens " .. TOKENS, "--doc FILE.json is required" },
      { "no --tokens, a document that is not there", "apply --doc x.json", "x.json" },
      { "unknown option", "apply --tokens " .. TOKENS .. " --doc x.json --colour", "unknown option --colour" },
      { "a positional argument", "apply --tokens " .. TOKENS .. " --doc x.json extra", "unexpected argument 'extra'" },
      { "bad chunk", "apply --tokens " .. TOKENS .. " --doc x.json --chunk lots", "--chunk must be a positive integer or auto, got 'lots'" },
      { "zero chunk", "apply --tokens " .. TOKENS .. " --doc x.json --chunk 0", "got '0'" },
      { "bad metrics name", "apply --tokens " .. TOKENS .. " --doc x.json --metrics m.xml", "--metrics m.xml" },
      { "missing token folder", "apply --tokens no/such/tokens --doc x.json", "no/such/tokens" },
    }
    for _, c in ipairs(cases) do
      it(c[1], function()
        local code, out, err = run(c[2])
        assert.are.equal(2, code)
        assert.are.equal("", out)
        assert.truthy(err:find(c[3], 1, true), err)
      end)
    end

    it("a missing document, unreadable JSON, a file without a document node, an unknown theme, an unwritable output", function()
      local code, _, err = run("apply --tokens " .. TOKENS .. " --doc " .. dir .. "/missing.json")
      assert.are.equal(2, code)
      assert.truthy(err:find(dir .. "/missing.json", 1, true))
      h.write(dir, "broken.json", '{"document": {"id": "0:0", ')
      code, _, err = run("apply --tokens " .. TOKENS .. " --doc " .. dir .. "/broken.json")
      assert.are.equal(2, code)
      assert.truthy(err:find(dir .. "/broken.json:1:28: unexpected end of file", 1, true), err)
      h.write(dir, "nodoc.json", '{"name": "x"}')
      code, _, err = run("apply --tokens " .. TOKENS .. " --doc " .. dir .. "/nodoc.json")
      assert.are.equal(2, code)
      assert.truthy(err:find('nodoc.json:1:1: not a Figma file', 1, true), err)
      code, _, err = run("apply --tokens " .. TOKENS .. " --theme sepia --doc " .. doc_path)
      assert.are.equal(2, code)
      assert.truthy(err:find("sepia", 1, true), err)
      code, _, err = run("apply --tokens " .. TOKENS .. " --doc " .. doc_path .. " --out " .. dir .. "/no/such/dir/out.json")
      assert.are.equal(2, code)
      assert.truthy(err:find("--out", 1, true) and err:find("no/such/dir/out.json", 1, true), err)
    end)
  end)

  it("prints its usage with --help", function()
    local code, out = run("apply --help")
    assert.are.equal(0, code)
    assert.truthy(out:find("Usage: tokenflow apply", 1, true))
  end)
end)

describe("tokenflow.cli.progress", function()
  local progress = require "tokenflow.cli.progress"
  it("draws done/total, rate, ETA and memory", function()
    local line = progress.line({ done = 25000, total = 100000, rate = 50000, eta_s = 1.5, mode = "streaming" },
      200 * 1048576, 20)
    assert.are.equal("[#####...............]  25% 25k/100k  50k nodes/s  ETA 1.5s  mem 200 MB  streaming", line)
    assert.truthy(progress.line({ done = 10, eta_s = 90 }):find("10 nodes  ETA 1m30s", 1, true))
  end)

  it("redraws in place and ends with one newline", function()
    local path = os.tmpname()
    local f = io.open(path, "w")
    local bar = progress.bar(f, { label = "x" })
    bar { done = 1, total = 2, eta_s = 1 }
    bar { done = 2, total = 2, eta_s = 0 }
    bar.finish()
    f:close()
    local text = slurp(path)
    os.remove(path)
    local _, returns = text:gsub("\r", "")
    local _, newlines = text:gsub("\n", "")
    assert.are.equal(2, returns)
    assert.are.equal(1, newlines)
    assert.truthy(text:find("100%", 1, true))
  end)
end)

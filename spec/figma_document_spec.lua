-- tf.figma.open on the real Figma files of ../shared/figma-fixtures: a
-- file nothing writes to comes back byte for byte; with token maps added to
-- a copy, applying them changes only what the writer writes (the same
-- values as the writer gives on the file's nodes as Lua tables), every
-- unchanged field and member keeps its bytes, and the result parses with
-- lua-cjson and with Node's JSON.parse.
local cjson = require "cjson"
local tf = require "tokenflow"
local fx = require "figma_fixtures_helper"
local h = require "tokens_helper"

local TOKENS = "examples/tokens/demo"

-- Every node of a decoded file in document order, with its parent.
local function nodes_of(file)
  local out, parents = {}, {}
  local function walk(node, parent)
    out[#out + 1] = node
    parents[node] = parent
    for _, c in ipairs(node.children or {}) do walk(c, node) end
  end
  walk(file.document, nil)
  return out, parents
end

-- A decoded value as text with object keys sorted, for comparing values
-- whatever the order lua-cjson made their tables in.
local function canon(v)
  if v == nil then return "(absent)" end -- not null
  if type(v) ~= "table" then return cjson.encode(v) end
  if next(v) == nil then return "{}" end
  if v[1] ~= nil then
    local parts = {}
    for i, x in ipairs(v) do parts[i] = canon(x) end
    return "[" .. table.concat(parts, ",") .. "]"
  end
  local keys, parts = {}, {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys)
  for i, k in ipairs(keys) do parts[i] = cjson.encode(k) .. ":" .. canon(v[k]) end
  return "{" .. table.concat(parts, ",") .. "}"
end

local function same(a, b) return canon(a) == canon(b) end

local function sorted_keys(t)
  local out = {}
  for k in pairs(t) do out[#out + 1] = k end
  table.sort(out)
  return out
end

describe("tf.figma.open on real Figma files", function()
  local dir, light
  setup(function()
    dir = h.tmpdir()
    light = assert(assert(tf.tokens.load(TOKENS)):resolve { theme = "light" })
  end)
  teardown(function() h.rmdir(dir) end)

  for _, path in ipairs(fx.files()) do
    local name = path:match("[^/]+$")

    it(name .. ": indexes its nodes and, with nothing written, saves it byte for byte", function()
      local doc = assert(tf.figma.open(path))
      -- the fixtures' README counts objects under document with string id, type and name
      local file = cjson.decode(fx.slurp(path))
      local nodes = nodes_of(file)
      assert.are.equal(#nodes, doc:count())
      local i = 0
      for node in doc:nodes() do
        i = i + 1
        assert.are.equal(nodes[i].id, node.id)
        assert.are.equal(nodes[i].type, node.type)
      end
      -- an update job over it: no node carries tokens, nothing is written
      local job = tf.update { tokens = light, source = doc:nodes(), write = tf.figma.writer {} }
      local report = job:run()
      assert.are.equal(0, report.written)
      assert.are.equal(0, report.failed)
      local out = dir .. "/same.json"
      assert(doc:save(out))
      assert.is_true(fx.slurp(out) == fx.slurp(path), "the saved file differs")
      assert.is_true(doc:text() == fx.slurp(path))
      doc:close()
    end)

    it(name .. ": with token maps added, changes only what the tokens write", function()
      local copy, out = dir .. "/copy-" .. name, dir .. "/out-" .. name
      local given = fx.with_tokens(path, copy, 42)
      assert.is_true(given > 0)
      local doc = assert(tf.figma.open(copy))
      local job = tf.update { tokens = light, source = doc:nodes(), write = tf.figma.writer {} }
      local report = job:run()
      assert.are.equal(0, report.failed, report.failures[1] and report.failures[1].message)
      assert.is_true(report.written > 0)
      assert(doc:save(out))
      doc:close()

      -- the same writes on the copy's nodes as Lua tables, in document order
      local expect = cjson.decode(fx.slurp(copy))
      local got = cjson.decode(fx.slurp(out))
      local enodes, parents = nodes_of(expect)
      local gnodes = nodes_of(got)
      assert.are.equal(#enodes, #gnodes)
      local write = tf.figma.writer {}
      for _, node in ipairs(enodes) do
        local tokens = assert(tf.figma.read(node))
        if next(tokens) then
          local plan = assert(tf.figma.map(tokens, light))
          write(node, plan, { parent = parents[node], inside_instance = type(node.id) == "string" and node.id:sub(1, 1) == "I" })
        end
      end
      local before = cjson.decode(fx.slurp(copy))
      local bnodes = nodes_of(before)
      local changed_nodes = 0
      for k, e in ipairs(enodes) do
        local g, b = gnodes[k], bnodes[k]
        local changed = false
        for _, field in ipairs(sorted_keys(e)) do
          if field ~= "children" then
            assert.is_true(same(e[field], g[field]), string.format("node %s: %s is %s, the writer gives %s", tostring(e.id),
              field, canon(g[field]), canon(e[field])))
            if not same(e[field], b[field]) then changed = true end
          end
        end
        for field in pairs(g) do
          assert.is_not_nil(e[field], string.format("node %s: %s was added", tostring(e.id), field))
        end
        if changed then changed_nodes = changed_nodes + 1 end
      end
      assert.is_true(changed_nodes > 0)

      -- every field (and member of an object field) that did not change keeps its bytes
      local a, b = assert(tf.figma.open(copy)), assert(tf.figma.open(out))
      local checked = 0
      for k, bnode in ipairs(bnodes) do
        for field, v in pairs(bnode) do
          if field ~= "children" then
            local new = gnodes[k][field]
            if same(v, new) then
              assert.are.equal(a:json(k, field), b:json(k, field))
              checked = checked + 1
            elseif type(v) == "table" and type(new) == "table" and next(v) and not v[1] then
              for member, mv in pairs(v) do
                if same(mv, new[member]) then
                  assert.are.equal(a:json(k, field, member), b:json(k, field, member))
                  checked = checked + 1
                end
              end
            end
          end
        end
      end
      assert.is_true(checked > 0)
      a:close()
      b:close()

      -- Node reads it too
      local ok, msg = fx.node([[
        const fs = require("fs");
        const f = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
        if (!f.document) throw new Error("no document");
        console.log("ok");
      ]], out)
      assert.is_true(ok, msg)
    end)
  end

  it("keeps a pretty file's layout: new text as JSON.stringify(v, null, 2) lays it out", function()
    -- this fixture is exactly JSON.stringify(file, null, 2), so its result must be too
    local path = fx.DIR .. "/kpozdnikin__from-firma-gtp-to-react__figma.json"
    local copy, out = dir .. "/pretty-copy.json", dir .. "/pretty-out.json"
    fx.with_tokens(path, copy, 7, 1)
    local doc = assert(tf.figma.open(copy))
    assert.are.equal("pretty", doc:stats().layout)
    local report = tf.update { tokens = light, source = doc:nodes(), write = tf.figma.writer {} }:run()
    assert.is_true(report.written > 10)
    assert(doc:save(out))
    local script = [[
      const fs = require("fs");
      for (const p of process.argv.slice(2)) {
        const t = fs.readFileSync(p, "utf8");
        if (JSON.stringify(JSON.parse(t), null, 2) !== t) { console.log("layout differs: " + p); process.exit(1); }
      }
      console.log("ok");
    ]]
    local ok, msg = fx.node(script, path, copy, out)
    assert.is_true(ok, msg)
  end)
end)

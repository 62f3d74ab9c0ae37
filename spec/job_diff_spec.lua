local tf = require "tokenflow"
local read = require "tokenflow.apply.read"

local gen = dofile("examples/gen-doc.lua")

-- Every field of every node of a tree, children apart, compared by value.
local function same(a, b, path, diffs)
  if type(a) == "number" and type(b) == "number" then
    if a ~= b then diffs[#diffs + 1] = path end
    return
  end
  if type(a) ~= "table" or type(b) ~= "table" then
    if a ~= b then diffs[#diffs + 1] = path end
    return
  end
  for k, v in pairs(a) do
    if k ~= "children" then same(v, b[k], path .. "." .. tostring(k), diffs) end
  end
  for k in pairs(b) do
    if k ~= "children" and a[k] == nil then diffs[#diffs + 1] = path .. "." .. tostring(k) end
  end
end

local function compare_trees(a, b)
  local diffs, sa, sb, count = {}, { a }, { b }, 0
  while #sa > 0 do
    local x, y = table.remove(sa), table.remove(sb)
    count = count + 1
    same(x, y, tostring(x.id), diffs)
    local cx, cy = x.children or {}, y.children or {}
    assert.are.equal(#cx, #cy)
    for i = 1, #cx do
      sa[#sa + 1] = cx[i]
      sb[#sb + 1] = cy[i]
    end
  end
  return diffs, count
end

describe("tf.figma.diff", function()
  local diff = tf.figma.diff

  it("keeps only the operation groups whose operations changed, in plan order", function()
    local old = {
      { op = "fills", paints = { { type = "SOLID", color = { r = 1, g = 0, b = 0, a = 1 } } } },
      { op = "stroke_weight", value = 1 },
      { op = "opacity", value = 0.5 },
    }
    local new = {
      { op = "fills", paints = { { type = "SOLID", color = { r = 0, g = 0, b = 1, a = 1 } } } },
      { op = "stroke_weight", value = 1 },
      { op = "opacity", value = 0.5 },
    }
    local d = diff(old, new)
    assert.are.equal(1, #d)
    assert.are.equal(new[1], d[1])
    assert.are.same({}, diff(old, old))
  end)

  it("rewrites every later operation on the same fields when one of them changed", function()
    -- a border sets the weight, then a side changes one side: both write
    -- strokeWeight / individualStrokeWeights
    local old = { { op = "stroke_weight", value = 1 }, { op = "stroke_side", side = "top", value = 4 }, { op = "visible", value = true } }
    local new = { { op = "stroke_weight", value = 2 }, { op = "stroke_side", side = "top", value = 4 }, { op = "visible", value = true } }
    local d = diff(old, new)
    assert.are.same({ new[1], new[2] }, d)
  end)

  it("gives the whole new plan when the old one is unknown or holds an unknown operation", function()
    local new = { { op = "opacity", value = 1 } }
    assert.are.equal(new, diff(nil, new))
    assert.are.equal(new, diff({ { op = "mystery" } }, new))
    assert.has_error(function() diff({}, nil) end, "tokenflow.figma.diff: new plan must be a table, got a nil")
  end)

  it("is the writer's diff", function()
    assert.are.equal(diff, tf.figma.writer{}.diff)
  end)
end)

describe("job:rerun with changed tokens and a diffing writer", function()
  local set = assert(tf.tokens.load("examples/tokens/demo"))
  local light = assert(set:resolve { theme = "light" })
  local dark = assert(set:resolve { theme = "dark" })
  local N = 3000

  local function applied(tokens)
    local root = gen.document { nodes = N, seed = 7 }.document
    local job = tf.update {
      tokens = tokens, source = tf.walk(root, gen.children), total = N, read = read.stored,
      write = tf.figma.writer {}, mode = "streaming",
    }
    job:run()
    return root, job
  end

  it("leaves every node as a full apply of the new theme over the old one does", function()
    local changed = light:diff(dark)
    assert.is_true(#changed > 0)
    -- rerun: only what changed
    local a, job = applied(light)
    local r = job:rerun { changed = changed, tokens = dark, source = tf.walk(a, gen.children) }
    assert.are.equal("done", r.state)
    assert.are.equal(0, r.failed)
    assert.is_true(r.written > 0)
    -- full: every node again with the new theme, over the same light document
    local b = applied(light)
    local full = tf.update {
      tokens = dark, source = tf.walk(b, gen.children), total = N, read = read.stored,
      write = tf.figma.writer {}, mode = "streaming",
    }
    local fr = full:run()
    assert.is_true(r.written <= fr.written)
    local diffs, count = compare_trees(a, b)
    assert.is_true(count >= N)
    assert.are.same({}, diffs)
    -- and the document differs from the light one (the rerun did write)
    local c = applied(light)
    local d2 = compare_trees(a, c)
    assert.is_true(#d2 > 0)
  end)

  it("writes nothing again for a second rerun with the same tokens", function()
    local a, job = applied(light)
    local changed = light:diff(dark)
    job:rerun { changed = changed, tokens = dark, source = tf.walk(a, gen.children) }
    local r = job:rerun { changed = changed, tokens = dark, source = tf.walk(a, gen.children) }
    assert.are.equal(0, r.written)
    assert.are.equal(0, r.failed)
  end)

  it("writes whole plans when the writer has no diff", function()
    local root = gen.document { nodes = 500, seed = 3 }.document
    local writer = tf.figma.writer {}
    local plans = {}
    local job = tf.update {
      tokens = light, source = tf.walk(root, gen.children), total = 500, read = read.stored, map = writer.map,
      write = function(node, plan) plans[node] = #plan; return writer.write(node, plan) end,
    }
    job:run()
    local first = {}
    for k, v in pairs(plans) do first[k] = v end
    plans = {}
    job:rerun { changed = light:diff(dark), tokens = dark, source = tf.walk(root, gen.children) }
    local n = 0
    for node, len in pairs(plans) do
      n = n + 1
      assert.is_true(len >= 1)
      assert.is_truthy(first[node])
    end
    assert.is_true(n > 0)
  end)
end)

-- doc:saving(path): a Figma document saved beside the update that patches
-- it. The file is the one doc:save writes after the update; nodes handed
-- over take no more patches; closing, aborting and failing leave the
-- target as it was and nothing behind; a writer's thread without room
-- enough for its work leaves it to the steps, with the same result.
local tf = require "tokenflow"
local cjson = require "cjson"
local fx = require "figma_fixtures_helper"
local h = require "tokens_helper"

local gen = dofile("examples/gen-doc.lua")

local function entries(dir)
  local left = {}
  for f in require("lfs").dir(dir) do
    if f ~= "." and f ~= ".." then left[#left + 1] = f end
  end
  table.sort(left)
  return left
end

describe("tf.figma document saving beside an update", function()
  local dir, text, light

  setup(function()
    dir = h.tmpdir()
    text = cjson.encode((gen.document { nodes = 4000, seed = 11 }))
    light = assert(assert(tf.tokens.load("examples/tokens/demo")):resolve { theme = "light" })
  end)
  teardown(function() h.rmdir(dir) end)

  -- the update with small chunks (many handings over), saving beside it or not
  local function update(doc, saving)
    local job = tf.update { tokens = light, source = doc:nodes(), write = tf.figma.writer {}, chunk = { size = 97 } }
    while job:step() do
      if saving then saving:advance(job:position()) end
    end
    return job:report()
  end

  local function saved_after(name)
    local doc = assert(tf.figma.parse(text, "doc.json"))
    update(doc)
    assert(doc:save(dir .. "/" .. name))
    doc:close()
    return fx.slurp(dir .. "/" .. name)
  end

  it("writes the file doc:save writes after the update, atomically, with progress to the end", function()
    local want = saved_after("after.json")
    local doc = assert(tf.figma.parse(text, "doc.json"))
    local saving = assert(doc:saving(dir .. "/beside.json"))
    local report = update(doc, saving)
    assert.is_true(report.written > 3000)
    local last
    assert.is_true(saving:finish { on_progress = function(p) last = p end })
    assert.are.equal(#want, last.done)
    assert.are.equal("write", last.phase)
    assert.is_true(fx.slurp(dir .. "/beside.json") == want, "the file saved beside the update differs")
    assert.is_true(doc:text() == want)
    doc:close()
    assert.are.same({ "after.json", "beside.json" }, entries(dir))
    os.remove(dir .. "/after.json")
    os.remove(dir .. "/beside.json")
  end)

  it("refuses patches to nodes handed over, takes them on later nodes, and again once finished", function()
    local doc = assert(tf.figma.parse(text, "doc.json"))
    local saving = assert(doc:saving(dir .. "/s.json"))
    saving:advance(10)
    local ok, err = pcall(function() doc:node(3).opacity = 0.5 end)
    assert.is_false(ok)
    assert.truthy(tostring(err):find("node 3 is already being written out", 1, true), tostring(err))
    doc:node(11).opacity = 0.5
    saving:advance(doc:count())
    assert.is_true(saving:finish())
    doc:node(3).opacity = 0.25 -- the saving is over
    local saved = cjson.decode(fx.slurp(dir .. "/s.json"))
    assert.is_not_nil(saved.document)
    assert.has_error(function() saving:advance(1) end)
    doc:close()
    os.remove(dir .. "/s.json")
  end)

  it("leaves the target as it was and nothing behind when aborted, closed, failing or its document closed", function()
    h.write(dir, "t.json", "original")
    local doc = assert(tf.figma.parse(text, "doc.json"))
    do
      local saving <close> = assert(doc:saving(dir .. "/t.json"))
      update(doc, saving)
    end -- not finished: closed
    assert.are.equal("original", fx.slurp(dir .. "/t.json"))
    assert.are.same({ "t.json" }, entries(dir))
    local saving = assert(doc:saving(dir .. "/t.json"))
    saving:advance(100)
    doc:close() -- stops its writer's thread
    assert.has_error(function() saving:finish() end)
    saving:abort()
    collectgarbage()
    assert.are.equal("original", fx.slurp(dir .. "/t.json"))
    assert.are.same({ "t.json" }, entries(dir))
    local doc2 = assert(tf.figma.parse(text, "doc.json"))
    saving = assert(doc2:saving(dir .. "/t.json")) -- a progress callback that fails, while finishing
    update(doc2, saving)
    local ok, err = pcall(saving.finish, saving, { on_progress = function() error("host gave up") end })
    assert.is_false(ok)
    assert.truthy(tostring(err):find("host gave up", 1, true))
    assert.has_error(function() saving:finish() end, "tokenflow.DocumentSaving: already finished or aborted")
    assert.are.equal("original", fx.slurp(dir .. "/t.json"))
    assert.are.same({ "t.json" }, entries(dir))
    local none, why = doc2:saving(dir .. "/missing/t.json")
    assert.is_nil(none)
    assert.truthy(why:find(dir .. "/missing/t.json", 1, true), why)
    doc2:close()
    os.remove(dir .. "/t.json")
  end)

  it("a thread without room enough for its work leaves it to the steps: the same file", function()
    local want = saved_after("want.json")
    local doc = assert(tf.figma.parse(text, "doc.json"))
    local w = assert(doc._core:writer(dir .. "/small.json"))
    w:follow(4096)
    local job = tf.update { tokens = light, source = doc:nodes(), write = tf.figma.writer {}, chunk = { size = 97 } }
    while job:step() do w:advance(job:position()) end
    repeat
      local st = assert(w:step())
    until st == "done"
    assert.is_true(w:commit())
    assert.is_true(fx.slurp(dir .. "/small.json") == want)
    assert.are.same({ "small.json", "want.json" }, entries(dir))
    doc:close()
    os.remove(dir .. "/small.json")
    os.remove(dir .. "/want.json")
  end)

  it("with every real Figma file given token maps: the file doc:save writes after the update", function()
    for _, path in ipairs(fx.files()) do
      local copy = dir .. "/with-tokens.json"
      fx.with_tokens(path, copy, 3)
      local doc = assert(tf.figma.open(copy))
      update(doc)
      assert(doc:save(dir .. "/after.json"))
      doc:close()
      doc = assert(tf.figma.open(copy))
      local saving = assert(doc:saving(dir .. "/beside.json"))
      update(doc, saving)
      assert.is_true(saving:finish())
      doc:close()
      assert.is_true(fx.slurp(dir .. "/beside.json") == fx.slurp(dir .. "/after.json"), path)
    end
    for _, f in ipairs { "with-tokens.json", "after.json", "beside.json" } do os.remove(dir .. "/" .. f) end
  end)

  it("with every real Figma file: unchanged bytes where nothing is written", function()
    for _, path in ipairs(fx.files()) do
      local doc = assert(tf.figma.open(path))
      local saving = assert(doc:saving(dir .. "/same.json"))
      update(doc, saving)
      assert.is_true(saving:finish())
      assert.is_true(fx.slurp(dir .. "/same.json") == fx.slurp(path), path)
      doc:close()
    end
    os.remove(dir .. "/same.json")
  end)
end)

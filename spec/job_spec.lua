-- tf.update: the update job.
local tf = require "tokenflow"

local function resolved(extra)
  local core = {
    colors = {
      red = { value = "#ff0000", type = "color" },
      blue = { value = "#0000ff", type = "color" },
      primary = { value = "{colors.red}", type = "color" },
      accent = { value = "{colors.blue}", type = "color" },
    },
    spacing = {
      base = { value = "4", type = "spacing" },
      lg = { value = "{spacing.base} * 4", type = "spacing" },
      sm = { value = "2", type = "spacing" },
    },
    card = { value = { fill = "{colors.accent}", itemSpacing = "{spacing.sm}" }, type = "composition" },
  }
  for k, v in pairs(extra or {}) do core[k] = v end
  return assert(assert(tf.tokens.new { core = core }):resolve {})
end

local FILLS = { '"colors.primary"', "colors.accent", "colors.red", '"colors.blue"' }
local SPACES = { "spacing.lg", '"spacing.sm"', "spacing.base" }

-- n nodes with 12 distinct combinations (plus every 10th without tokens).
local function doc(n)
  local nodes = {}
  for i = 1, n do
    local tokens = nil
    if i % 10 ~= 0 then
      tokens = { fill = FILLS[i % 4 + 1], itemSpacing = SPACES[i % 3 + 1] }
    end
    nodes[i] = { id = "n" .. i, tokens = tokens }
  end
  return nodes
end

-- A write that records what each node got and how often it was written.
local function recorder()
  local rec = { count = {}, total = 0 }
  function rec.write(node, plan)
    rec.count[node.id] = (rec.count[node.id] or 0) + 1
    rec.total = rec.total + 1
    node.out = plan
  end
  return rec
end

local function outputs(nodes)
  local out = {}
  for i, node in ipairs(nodes) do
    out[i] = node.out and { fill = node.out.fill, itemSpacing = node.out.itemSpacing } or false
  end
  return out
end

local function comparable(report)
  return {
    state = report.state, nodes = report.nodes, written = report.written, skipped = report.skipped,
    failed = report.failed, combinations = report.combinations, misses = report.cache.misses,
  }
end

describe("tf.update", function()
  local r = resolved()

  it("writes every node with tokens once, with resolved values", function()
    local nodes, rec = doc(50), recorder()
    local job = tf.update { tokens = r, source = nodes, write = rec.write }
    local report = job:run()
    assert.equal("done", report.state)
    assert.equal(50, report.nodes)
    assert.equal(45, report.written)
    assert.equal(5, report.skipped)
    assert.equal(0, report.failed)
    assert.equal(45, rec.total)
    for id, n in pairs(rec.count) do assert.equal(1, n, id) end
    -- node 1: fill = FILLS[2] = colors.accent -> blue; itemSpacing = SPACES[2] = spacing.sm
    assert.equal("#0000ff", nodes[1].out.fill)
    assert.equal(2, tonumber(nodes[1].out.itemSpacing))
    assert.equal(16, tonumber(nodes[3].out.itemSpacing)) -- spacing.lg = base * 4
    assert.is_nil(nodes[10].out)
  end)

  it("maps each distinct combination once and serves the rest from the cache", function()
    local nodes, calls = doc(200), 0
    local job = tf.update {
      tokens = r, source = nodes, write = function() end,
      map = function(m, res) calls = calls + 1; return tf.update and require("tokenflow.job").plain_map(m, res) end,
    }
    local report = job:run()
    assert.equal(12, calls)
    assert.equal(12, report.combinations)
    assert.equal(12, report.cache.misses)
    assert.equal(180 - 12, report.cache.hits)
  end)

  it("gives the same writes and report in all three drive modes", function()
    local results = {}
    for _, drive in ipairs { "plain", "coroutine", "step", "steps" } do
      local nodes, rec = doc(123), recorder()
      local job = tf.update { tokens = r, source = nodes, write = rec.write, mode = "streaming", chunk = { size = 10 } }
      local yields = 0
      if drive == "plain" then
        job:run()
      elseif drive == "coroutine" then
        local co = coroutine.wrap(function() job:run(); return "end" end)
        while true do
          local v = co()
          if v == "end" then break end
          assert.equal("progress", v.tokenflow)
          yields = yields + 1
        end
        assert.equal(12, yields) -- between 13 chunks
      elseif drive == "step" then
        local n = 0
        while job:step() do n = n + 1 end
        assert.equal(12, n)
      else
        local last
        for p in job:steps() do last = p end
        assert.equal(123, last.done)
      end
      results[drive] = { out = outputs(nodes), report = comparable(job:report()) }
    end
    assert.same(results.plain, results.coroutine)
    assert.same(results.plain, results.step)
    assert.same(results.plain, results.steps)
  end)

  it("reads iterator functions and tf.walk sources", function()
    local nodes = doc(30)
    local i = 0
    local rec = recorder()
    tf.update { tokens = r, source = function() i = i + 1; return nodes[i] end, write = rec.write }:run()
    assert.equal(27, rec.total)
    local root = { id = "root", tokens = { fill = "colors.red" }, children = { nodes[1], { id = "x", children = { nodes[2] } } } }
    local rec2 = recorder()
    local job = tf.update { tokens = r, source = tf.walk(root, function(n) return n.children end), write = rec2.write }
    local report = job:run()
    assert.equal(4, report.nodes)
    assert.equal(3, rec2.total)
    assert.equal("#ff0000", root.out.fill)
    assert.is_nil(report.total)
  end)

  it("decodes token names as Tokens Studio stores them; empty is unset, none resets", function()
    local nodes = {
      { id = "a", tokens = { fill = '"colors.red"', itemSpacing = '""', opacity = "" } },
      { id = "b", tokens = { fill = '"colors\\u002ered"' } }, -- JSON with an escape
      { id = "c", tokens = { fill = "none" } },
      { id = "d", tokens = { fill = '"colors.red' } },        -- broken JSON
      { id = "e", tokens = { fill = 12 } },
      { id = "f", tokens = { opacity = '""' } },               -- nothing set
    }
    local rec = recorder()
    local report = tf.update { tokens = r, source = nodes, write = rec.write }:run()
    assert.same({ fill = "#ff0000" }, nodes[1].out)
    assert.same({ fill = "#ff0000" }, nodes[2].out)
    assert.same({ fill = false }, nodes[3].out)
    assert.is_nil(nodes[4].out)
    assert.is_nil(nodes[5].out)
    assert.equal(2, report.failed)
    assert.equal(1, report.skipped)
    assert.equal("d", report.failures[1].node)
    assert.equal("fill", report.failures[1].property)
    assert.matches("invalid JSON", report.failures[1].message)
    assert.equal("e", report.failures[2].node)
    assert.matches("expected a token name", report.failures[2].message)
    -- "a" and "b" are one combination
    assert.equal(2, report.combinations)
  end)

  it("expands compositions with the default mapping", function()
    local nodes = { { id = "a", tokens = { composition = "card", itemSpacing = "spacing.lg" } } }
    tf.update { tokens = r, source = nodes, write = recorder().write }:run()
    assert.equal("#0000ff", nodes[1].out.fill)
    assert.equal(16, tonumber(nodes[1].out.itemSpacing)) -- the node's own property wins
  end)

  it("never writes a node with a failing property", function()
    local nodes = { { id = "a", tokens = { fill = "colors.red", itemSpacing = "spacing.none" } },
                    { id = "b", tokens = { fill = "colors.red" } } }
    local rec = recorder()
    local report = tf.update { tokens = r, source = nodes, write = rec.write }:run()
    assert.is_nil(rec.count.a)
    assert.equal(1, rec.count.b)
    assert.same({ node = "a", property = "itemSpacing", token = "spacing.none", message = "token not found" }, report.failures[1])
  end)

  it("on_error = skip records failures of read, mapping and write and goes on", function()
    local nodes = doc(20)
    local report = tf.update {
      tokens = r, source = nodes,
      read = function(node)
        if node.id == "n3" then error("cannot read n3") end
        if node.id == "n4" then return nil, "n4 has no plugin data" end
        return node.tokens
      end,
      write = function(node) if node.id == "n5" then error("host refused n5") end; node.out = true end,
    }:run()
    assert.equal(3, report.failed)
    assert.equal("done", report.state)
    local by = {}
    for _, f in ipairs(report.failures) do by[f.node] = f.message end
    assert.matches("cannot read n3", by.n3)
    assert.equal("n4 has no plugin data", by.n4)
    assert.matches("host refused n5", by.n5)
    assert.equal(15, report.written)
  end)

  it("on_error = stop stops at the failed node and resumes after it, writing no node twice", function()
    local nodes, rec = doc(40), recorder()
    local bad = { n7 = true, n23 = true }
    local job = tf.update {
      tokens = r, source = nodes, on_error = "stop", mode = "batched", chunk = { size = 5 },
      write = function(node, plan)
        if bad[node.id] then bad[node.id] = nil; error("once: " .. node.id) end
        rec.write(node, plan)
      end,
    }
    local report = job:run()
    assert.equal("stopped", report.state)
    assert.equal(7, report.nodes)
    assert.equal(33, report.not_written)
    assert.equal("n7", report.failures[1].node)
    report = job:run()
    assert.equal("stopped", report.state)
    assert.equal(23, report.nodes)
    report = job:run()
    assert.equal("done", report.state)
    assert.equal(40, report.nodes)
    assert.equal(2, report.failed)
    assert.is_nil(rec.count.n7)
    for id, n in pairs(rec.count) do assert.equal(1, n, id) end
    assert.equal(34, rec.total) -- 36 with tokens, 2 failed
  end)

  it("cancel from inside a write stops mid-chunk: nothing is written after it returns", function()
    local nodes = doc(100)
    local job
    local written = 0
    job = tf.update {
      tokens = r, source = nodes, mode = "streaming", chunk = { size = 50 },
      write = function()
        written = written + 1
        if written == 12 then job:cancel() end
      end,
    }
    local report = job:run()
    assert.equal(12, written)
    assert.equal("cancelled", report.state)
    assert.equal(12, report.written)
    assert.is_true(report.not_written > 0)
    assert.equal(100 - report.nodes, report.not_written)
    assert.is_false(job:step())
    assert.equal(12, written)
  end)

  it("cancel from on_progress and between steps", function()
    local nodes = doc(100)
    local written, job, now = 0, nil, 0
    job = tf.update {
      tokens = r, source = nodes, mode = "batched", chunk = { size = 10 }, clock = function() return now end,
      write = function() written = written + 1; now = now + 0.02 end,
      on_progress = function(p) if p.done >= 30 then job:cancel() end end,
    }
    job:run()
    assert.equal("cancelled", job:report().state)
    assert.equal(27, written) -- 30 nodes, 3 without tokens
    local job2 = tf.update { tokens = r, source = doc(100), write = function() written = written + 1 end, chunk = { size = 10 }, mode = "streaming" }
    job2:step()
    job2:cancel()
    assert.is_false(job2:step())
    assert.equal(27 + 9, written)
    assert.matches("^tokenflow.Job %(cancelled, 10/100 nodes, 0 failed%)$", tostring(job2))
  end)

  it("a write that yields inside a coroutine makes the host wait, then goes on", function()
    local nodes, order = doc(12), {}
    local job = tf.update {
      tokens = r, source = nodes, mode = "batched",
      write = function(node)
        local got = coroutine.yield("need-font", node.id)
        order[#order + 1] = node.id .. ":" .. got
      end,
    }
    local co = coroutine.create(function() return job:run() end)
    local ok, what, id = coroutine.resume(co)
    local waits = 0
    while coroutine.status(co) ~= "dead" do
      assert.is_true(ok)
      assert.equal("need-font", what)
      waits = waits + 1
      ok, what, id = coroutine.resume(co, "font-for-" .. id)
    end
    assert.is_true(ok)
    assert.equal("done", what.state)
    assert.equal(11, waits)
    assert.equal(11, what.written)
    assert.equal("n1:font-for-n1", order[1])
  end)

  it("yielding writes run as pool tasks with back-pressure", function()
    local nodes, parked, done = doc(60), {}, 0
    local job
    job = tf.update {
      tokens = r, source = nodes, mode = "streaming", chunk = { size = 8 },
      pool = { concurrency = 4, capacity = 5, on_park = function(task) parked[#parked + 1] = task end },
      write = function(node)
        coroutine.yield("wait")
        node.out = true
        done = done + 1
      end,
    }
    local co = coroutine.create(function() return job:run() end)
    local max_waiting = 0
    while true do
      local ok, v = coroutine.resume(co)
      assert.is_true(ok, v)
      if coroutine.status(co) == "dead" then
        assert.equal("done", v.state)
        assert.equal(54, v.written)
        break
      end
      if v.waiting then max_waiting = math.max(max_waiting, v.waiting) end
      -- the host wakes what is parked
      for _, t in ipairs(parked) do job.pool:wake(t) end
      parked = {}
    end
    assert.equal(54, done)
    assert.is_true(max_waiting <= 5)
  end)

  it("pool writes woken from on_park run to completion without a coroutine", function()
    local nodes, pool = doc(30), nil
    pool = tf.pool { concurrency = 2, capacity = 3, on_park = function(task) pool:wake(task) end }
    local failed = 0
    local report = tf.update {
      tokens = r, source = nodes, pool = pool,
      write = function(node)
        coroutine.yield()
        if node.id == "n2" then failed = failed + 1; error("no font") end
        node.out = true
      end,
    }:run()
    assert.equal(26, report.written)
    assert.equal(1, report.failed)
    assert.equal("n2", report.failures[1].node)
    assert.equal(1, failed)
  end)

  it("with a pool, only writes that yield become tasks", function()
    local nodes, pool = doc(40), nil
    pool = tf.pool { concurrency = 3, capacity = 4, on_park = function(task, why) assert(why == "font"); pool:wake(task, "Inter") end }
    local fonts = {}
    local report = tf.update {
      tokens = r, source = nodes, pool = pool,
      write = function(node)
        if node.id == "n3" or node.id == "n17" then fonts[node.id] = coroutine.yield("font") end
        node.out = true
      end,
    }:run()
    assert.equal(36, report.written)
    assert.equal(2, pool:stats().done) -- two tasks, the other 34 writes ran directly
    assert.same({ n3 = "Inter", n17 = "Inter" }, fonts)
  end)

  it("cancel closes parked pool writes: they never finish", function()
    local nodes, parked = doc(20), {}
    local closed, finished = 0, 0
    local job = tf.update {
      tokens = r, source = nodes, mode = "batched",
      pool = { concurrency = 5, capacity = 50, on_park = function(task) parked[#parked + 1] = task end },
      write = function()
        local _ <close> = setmetatable({}, { __close = function() closed = closed + 1 end })
        coroutine.yield()
        finished = finished + 1
      end,
    }
    assert.is_true(job:step()) -- every write is parked now
    job:cancel()
    assert.equal(18, closed)
    for _, t in ipairs(parked) do job.pool:wake(t) end
    job.pool:run()
    assert.equal(0, finished)
    local report = job:report()
    assert.equal("cancelled", report.state)
    assert.equal(0, report.written)
    assert.equal(18, report.not_written)
  end)

  it("changed: writes only nodes whose combination depends on a changed token (through aliases)", function()
    local nodes, rec = doc(60), recorder()
    local report = tf.update { tokens = r, source = nodes, write = rec.write, changed = { "colors.red" } }:run()
    -- fills colors.primary (-> red) and colors.red: FILLS[1] and FILLS[3], i % 4 in {0, 2}
    local expect = 0
    for i = 1, 60 do if i % 10 ~= 0 and (i % 4 == 0 or i % 4 == 2) then expect = expect + 1 end end
    assert.equal(expect, report.written)
    assert.equal(60 - expect, report.skipped)
    for i, node in ipairs(nodes) do
      assert.equal(i % 10 ~= 0 and (i % 4 == 0 or i % 4 == 2), node.out ~= nil, "node " .. i)
    end
  end)

  it("rerun re-writes affected nodes from the index without reading again", function()
    local nodes, rec, reads = doc(90), recorder(), 0
    local job = tf.update {
      tokens = r, source = nodes, write = rec.write,
      read = function(node) reads = reads + 1; return node.tokens end,
    }
    job:run()
    assert.equal(90, reads)
    assert.equal(81, rec.total)
    rec.count = {}
    -- a new theme: spacing.base changes, which spacing.lg uses
    local r2 = resolved { spacing = { base = { value = "5", type = "spacing" },
      lg = { value = "{spacing.base} * 4", type = "spacing" }, sm = { value = "2", type = "spacing" } } }
    local report = job:rerun { changed = { "spacing.base" }, tokens = r2 }
    assert.equal(90, reads)
    local expect = 0
    for i = 1, 90 do if i % 10 ~= 0 and (i % 3 == 0 or i % 3 == 2) then expect = expect + 1 end end
    assert.equal(expect, report.written)
    for id, n in pairs(rec.count) do assert.equal(1, n, id) end
    assert.equal(20, tonumber(nodes[3].out.itemSpacing))
    assert.equal(5, tonumber(nodes[2].out.itemSpacing)) -- spacing.base itself
    assert.equal(2, tonumber(nodes[1].out.itemSpacing)) -- untouched
  end)

  it("a theme switch by rerun with diff gives what a fresh job gives", function()
    local dark = resolved {
      colors = {
        red = { value = "#aa0000", type = "color" }, blue = { value = "#0000ff", type = "color" },
        primary = { value = "{colors.blue}", type = "color" }, accent = { value = "{colors.blue}", type = "color" },
      },
    }
    local nodes, calls = doc(120), 0
    local job = tf.update { tokens = r, source = nodes, write = function(node, plan) calls = calls + 1; node.out = plan end }
    job:run()
    calls = 0
    local changed = r:diff(dark)
    local report = job:rerun { tokens = dark, changed = changed }
    local fresh = doc(120)
    tf.update { tokens = dark, source = fresh, write = recorder().write }:run()
    assert.same(outputs(fresh), outputs(nodes))
    assert.equal(report.written, calls)
    assert.is_true(calls < 108) -- fills using colors.blue/accent only did not change
  end)

  -- A walk over doc(n) under a root that counts the calls of children.
  local function counted_walk(n)
    local nodes = doc(n)
    local root = { id = "root", children = nodes }
    local calls = { n = 0 }
    local function children(node) calls.n = calls.n + 1; return node.children end
    return root, children, calls
  end
  local function blue_nodes(n)
    local expect = 0
    for i = 1, n do if i % 10 ~= 0 and (i % 4 == 1 or i % 4 == 3) then expect = expect + 1 end end
    return expect
  end

  it("rerun over a walk takes the affected nodes from the kept references, without walking or reading", function()
    local root, children, calls = counted_walk(20)
    local reads, rec = 0, recorder()
    local job = tf.update { tokens = r, source = tf.walk(root, children), write = rec.write,
      read = function(n) reads = reads + 1; return n.tokens end }
    job:run()
    assert.equal(21, reads)
    assert.equal(21, calls.n)
    rec.total = 0
    local report = job:rerun { changed = { "colors.blue" } }
    assert.equal(21, reads)
    assert.equal(21, calls.n) -- the tree was not walked again
    assert.equal(blue_nodes(20), report.written)
    assert.equal(blue_nodes(20), rec.total)
    -- a fresh source may still be given; the kept nodes serve the rerun
    rec.total = 0
    report = job:rerun { changed = { "colors.blue" }, source = tf.walk(root, children) }
    assert.equal(21, reads)
    assert.equal(21, calls.n)
    assert.equal(blue_nodes(20), report.written)
    assert.equal(blue_nodes(20), rec.total)
  end)

  it("rerun over an iterator source needs no source while the job keeps its nodes", function()
    local nodes, rec, reads = doc(30), recorder(), 0
    local i = 0
    local job = tf.update { tokens = r, source = function() i = i + 1; return nodes[i] end, write = rec.write,
      read = function(n) reads = reads + 1; return n.tokens end }
    job:run()
    rec.total = 0
    local report = job:rerun { changed = { "colors.blue" } }
    assert.equal(30, reads)
    assert.equal(blue_nodes(30), report.written)
    assert.equal(blue_nodes(30), rec.total)
  end)

  it("with index_nodes = 0, rerun walks the job's own walk again from its root, still without reading", function()
    local root, children, calls = counted_walk(20)
    local reads, rec = 0, recorder()
    local job = tf.update { tokens = r, source = tf.walk(root, children), write = rec.write, index_nodes = 0,
      read = function(n) reads = reads + 1; return n.tokens end }
    job:run()
    rec.total = 0
    local report = job:rerun { changed = { "colors.blue" } }
    assert.equal(21, reads)
    assert.equal(42, calls.n) -- walked once more
    assert.equal(blue_nodes(20), report.written)
    assert.equal(blue_nodes(20), rec.total)
    report = job:rerun { changed = { "colors.blue" } } -- and again: the walk is rewound each time
    assert.equal(63, calls.n)
    assert.equal(blue_nodes(20), report.written)
  end)

  it("drops its node references past index_nodes, so its memory stays bounded", function()
    local root, children, calls = counted_walk(40)
    local rec = recorder()
    local job = tf.update { tokens = r, source = tf.walk(root, children), write = rec.write, index_nodes = 10,
      read = function(n) return n.tokens end }
    job:run()
    rec.total = 0
    local report = job:rerun { changed = { "colors.blue" } }
    assert.equal(82, calls.n) -- no references: walked again
    assert.equal(blue_nodes(40), report.written)
    assert.equal(blue_nodes(40), rec.total)
    -- within the limit (the total known up front) the references serve it
    local root2, children2, calls2 = counted_walk(40)
    local job2 = tf.update { tokens = r, source = tf.walk(root2, children2), write = rec.write, index_nodes = 41,
      total = 41, read = function(n) return n.tokens end }
    job2:run()
    job2:rerun { changed = { "colors.blue" } }
    assert.equal(41, calls2.n)
  end)

  it("with index_nodes = 0, an iterator source must be given again", function()
    local nodes, i = doc(10), 0
    local job = tf.update { tokens = r, source = function() i = i + 1; return nodes[i] end, write = function() end,
      index_nodes = 0 }
    job:run()
    assert.has_error(function() job:rerun { changed = { "colors.blue" } } end,
      "tokenflow.Job:rerun: source is needed again (a fresh iterator over the same nodes; the job kept no references to them)")
    local j2 = 0
    local report = job:rerun { changed = { "colors.blue" }, source = function() j2 = j2 + 1; return nodes[j2] end }
    assert.equal(blue_nodes(10), report.written)
  end)

  it("a cancelled job's rerun reads every node again from its rewound walk", function()
    local root, children, calls = counted_walk(30)
    local reads = 0
    local job
    job = tf.update { tokens = r, source = tf.walk(root, children), mode = "streaming", chunk = { size = 5 },
      write = function() end, read = function(n) reads = reads + 1; return n.tokens end }
    job:step()
    job:cancel()
    local report = job:rerun { changed = { "colors.blue" } }
    assert.equal(31, report.nodes)
    assert.is_true(reads >= 31 + 5)
    assert.is_true(calls.n >= 31)
    assert.equal(blue_nodes(30), report.written)
    -- and now it is indexed: the next rerun reads nothing and walks nothing
    local reads0, calls0 = reads, calls.n
    report = job:rerun { changed = { "colors.blue" } }
    assert.equal(reads0, reads)
    assert.equal(calls0, calls.n)
    assert.equal(blue_nodes(30), report.written)
  end)

  it("rejects a bad index_nodes", function()
    for _, bad in ipairs { -1, 1.5, "10", true } do
      assert.has_error(function() tf.update { tokens = r, source = {}, write = function() end, index_nodes = bad } end,
        "tokenflow.update: index_nodes must be a non-negative integer")
    end
  end)

  it("with index = false, rerun reads the nodes again", function()
    local nodes, reads = doc(20), 0
    local job = tf.update { tokens = r, source = nodes, index = false, write = function() end,
      read = function(n) reads = reads + 1; return n.tokens end }
    job:run()
    local report = job:rerun { changed = { "spacing.sm" } }
    assert.equal(40, reads)
    local expect = 0
    for i = 1, 20 do if i % 10 ~= 0 and i % 3 == 1 then expect = expect + 1 end end
    assert.equal(expect, report.written)
  end)

  it("gives each node its own combination's plan when the cache holds fewer plans than there are combinations", function()
    local small = tf.cache { capacity = 3 }
    local nodes, calls = doc(240), 0
    local job = tf.update { tokens = r, source = nodes, write = function(node, plan) node.out = plan end, cache = small,
      map = function(m, res) calls = calls + 1; return require("tokenflow.job").plain_map(m, res) end }
    local report = job:run()
    local reference = doc(240)
    tf.update { tokens = r, source = reference, write = function(node, plan) node.out = plan end }:run()
    assert.are.same(outputs(reference), outputs(nodes))
    assert.is_true(calls > 12) -- plans evicted by others were mapped again
    assert.equal(calls, report.cache.misses)
    -- a rerun through the node index, the host replacing and dropping plans in between
    small:flush()
    for _, node in ipairs(nodes) do node.out = nil end
    job:rerun()
    assert.are.same(outputs(reference), outputs(nodes))
    job:close()
    small:close()
  end)

  it("invalidates cached combinations that use changed tokens in a shared cache", function()
    local cache = tf.cache { capacity = 100 }
    tf.update { tokens = r, source = doc(30), write = function() end, cache = cache }:run()
    local before = #cache
    assert.equal(12, before)
    local calls = 0
    local report = tf.update { tokens = r, source = doc(30), write = function() end, cache = cache,
      map = function(m, res) calls = calls + 1; return require("tokenflow.job").plain_map(m, res) end }:run()
    assert.equal(0, calls) -- all from the shared cache
    assert.equal(27, report.cache.hits)
    tf.update { tokens = r, source = {}, write = function() end, cache = cache, changed = { "colors.red" } }
    assert.equal(6, #cache) -- the 6 combinations using colors.red (directly or via colors.primary) are gone
  end)

  it("reports progress at most ~10 times a second with a smoothed rate and a falling ETA", function()
    local now = 0
    local seen = {}
    local job = tf.update {
      tokens = r, source = doc(1000), mode = "streaming", chunk = { size = 10 }, clock = function() return now end,
      write = function() now = now + 0.001 end,
      on_progress = function(p) seen[#seen + 1] = p end,
    }
    job:run()
    -- ~0.9 s of fake time: at most one report per 0.1 s, plus the final one
    assert.is_true(#seen <= 11, #seen)
    assert.is_true(#seen >= 5)
    local last = seen[#seen]
    assert.equal(1000, last.done)
    assert.equal(1000, last.total)
    assert.is_true(last.final)
    assert.equal("streaming", last.mode)
    for i = 2, #seen do
      assert.is_true(seen[i].done >= seen[i - 1].done)
      assert.is_true(seen[i].eta_s <= seen[i - 1].eta_s, "eta went up at report " .. i)
    end
    assert.is_true(seen[2].rate > 500 and seen[2].rate < 2000, seen[2].rate)
  end)

  it("records per-chunk metrics", function()
    local job = tf.update { tokens = r, source = doc(100), write = function() end, mode = "batched", chunk = { size = 25 } }
    job:run()
    assert.equal(100, job.metrics:get("job_nodes_total"):value())
    assert.equal(90, job.metrics:get("job_written_total"):value())
    assert.equal(12, job.metrics:get("job_cache_misses_total"):value())
    assert.equal(4, job.metrics:get("job_chunk_seconds"):stats().count)
  end)

  it("report fields and tostring", function()
    local job = tf.update { tokens = r, source = doc(10), write = function() end }
    assert.equal("tokenflow.Job (pending, 0/10 nodes, 0 failed)", tostring(job))
    local report = job:run()
    assert.equal("direct", report.mode)
    assert.equal(10, report.total)
    assert.equal(1, report.chunks)
    assert.is_number(report.elapsed_s)
    assert.is_number(report.memory.lua_kb_peak)
    assert.is_true(report.memory.engine_bytes > 0)
    assert.is_number(report.cache.hit_rate)
    assert.is_nil(report.not_written)
    assert.equal("tokenflow.Job (done, 10/10 nodes, 0 failed)", tostring(job))
  end)

  it("applies Figma rules with tf.figma.map and the writer", function()
    local nodes = {
      { id = "1:1", type = "RECTANGLE", tokens = { fill = '"colors.primary"', borderRadius = "spacing.base" } },
      { id = "1:2", type = "STICKY", tokens = { fill = '"colors.primary"' } },
    }
    local report = tf.update { tokens = r, source = nodes, write = tf.figma.writer {} }:run()
    assert.equal(1, report.written)
    assert.equal(1, report.skipped) -- STICKY is a skipped node type
    assert.equal(1, nodes[1].fills[1].color.r)
    assert.equal(4, nodes[1].cornerRadius)
  end)

  it("an iterator source may yield (the host waits) and total drives progress and not_written", function()
    local nodes, i = doc(25), 0
    local rec = recorder()
    local job = tf.update {
      tokens = r, total = 25, mode = "batched", chunk = { size = 4 }, write = rec.write,
      source = function()
        i = i + 1
        if i % 5 == 0 then coroutine.yield("more") end
        return nodes[i]
      end,
    }
    local co = coroutine.create(function() return job:run() end)
    local pauses, ok, v = 0
    repeat
      ok, v = coroutine.resume(co)
      assert.is_true(ok, v)
      if v == "more" then pauses = pauses + 1 end
    until coroutine.status(co) == "dead"
    assert.equal(5, pauses) -- i = 5, 10, 15, 20, 25
    assert.equal("done", v.state)
    assert.equal(25, v.nodes)
    assert.equal(23, rec.total)
    -- cancelled part-way: the known remainder is reported
    local j2, k = nil, 0
    j2 = tf.update { tokens = r, total = 25, source = function() k = k + 1; return nodes[k] end,
      write = function() if k == 6 then j2:cancel() end end }
    local report = j2:run()
    assert.equal(19, report.not_written)
  end)

  it("reads Figma shared plugin data and writes with tf.figma.writer", function()
    local nodes = {
      { id = "1:1", type = "FRAME", layoutMode = "HORIZONTAL",
        sharedPluginData = { tokens = { fill = '"colors.accent"', itemSpacing = '"spacing.lg"', opacity = '""' } } },
      { id = "1:2", type = "TEXT", sharedPluginData = { tokens = { fill = '"colors.red"' } } },
      { id = "1:3", type = "RECTANGLE" },
    }
    local report = tf.update { tokens = r, source = nodes, write = tf.figma.writer {},
      read = function(n) return n.sharedPluginData and n.sharedPluginData.tokens end }:run()
    assert.equal(2, report.written)
    assert.equal(1, report.skipped)
    assert.equal(1, nodes[1].fills[1].color.b)
    assert.equal(16, nodes[1].itemSpacing)
    assert.equal(1, nodes[2].fills[1].color.r)
  end)

  it("refuses bad options, naming them", function()
    local ok = { tokens = r, source = {}, write = function() end }
    local function with(k, v)
      local o = {}
      for key, val in pairs(ok) do o[key] = val end
      o[k] = v
      return o
    end
    assert.has_error(function() tf.update(nil) end, "tokenflow.update: options must be a table, got a nil")
    assert.error_matches(function() tf.update(with("tokens", {})) end, "tokens must be a Resolved")
    assert.error_matches(function() tf.update(with("source", 5)) end, "source must be an array, an iterator function, a tf.walk or doc:nodes()")
    assert.error_matches(function() tf.update(with("write", 5)) end, "write must be a function or a callable table")
    assert.error_matches(function() tf.update(with("mode", "fast")) end, "mode must be")
    assert.error_matches(function() tf.update(with("on_error", "ignore")) end, "on_error must be \"skip\" or \"stop\"")
    assert.error_matches(function() tf.update(with("chunk", { size = 0 })) end, "chunk.size must be")
    assert.error_matches(function() tf.update(with("chunk", { budget_ms = -1 })) end, "chunk.budget_ms must be")
    assert.error_matches(function() tf.update(with("changed", { 1 })) end, "changed%[1%] must be a token name")
    assert.error_matches(function() tf.update(with("cache", {})) end, "cache must be a tf.cache")
    assert.error_matches(function() tf.update(with("pool", 3)) end, "pool must be")
    assert.error_matches(function() tf.update(with("colour", 3)) end, "unknown option 'colour'")
    assert.error_matches(function() tf.update(with("read", 3)) end, "read must be a function")
    assert.error_matches(function() tf.update(with("total", -1)) end, "total must be")
  end)
end)

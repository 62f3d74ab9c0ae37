local tf = require "tokenflow"

-- The ids a query yields, sorted (integers first, then strings), and how
-- many times the most repeated one came.
local function hits(idx, x, y, w, h)
  local out, seen, most = {}, {}, 0
  for id in idx:query(x, y, w, h) do
    seen[id] = (seen[id] or 0) + 1
    if seen[id] > most then most = seen[id] end
    if seen[id] == 1 then out[#out + 1] = id end
  end
  table.sort(out, function(a, b)
    if type(a) ~= type(b) then return type(a) == "number" end
    return a < b
  end)
  return out, most
end

local nan, inf = 0 / 0, math.huge

describe("tf.viewport.index", function()
  local idx
  before_each(function() idx = tf.viewport.index { cell = 100 } end)
  after_each(function() idx:close() end)

  it("is exposed by the facade and the core", function()
    assert.are.equal(require("tokenflow.core").viewport_index, tf.viewport.index)
    assert.are.equal("tokenflow.ViewportIndex", getmetatable(idx).__name)
  end)

  it("finds what overlaps a rectangle, with integer and string ids", function()
    idx:insert(1, 0, 0, 50, 50)
    idx:insert("card", 40, 40, 30, 30)
    idx:insert(3, 500, 500, 10, 10)
    assert.are.same({ 1, "card" }, (hits(idx, 45, 45, 1, 1)))
    assert.are.same({ 1 }, (hits(idx, 0, 0, 10, 10)))
    assert.are.same({ 3 }, (hits(idx, 490, 490, 100, 100)))
    assert.are.same({}, (hits(idx, 200, 200, 100, 100)))
    assert.are.equal(3, idx:count())
    assert.are.equal(3, #idx)
  end)

  it("treats rectangles as closed: touching edges and zero-size rects count", function()
    idx:insert(1, 0, 0, 10, 10)
    idx:insert(2, 20, 20, 0, 0) -- a point
    assert.are.same({ 1 }, (hits(idx, 10, 10, 5, 5)))
    assert.are.same({ 2 }, (hits(idx, 20, 20, 0, 0)))
    assert.are.same({ 2 }, (hits(idx, 15, 15, 5, 5)))
    assert.are.same({}, (hits(idx, 20.001, 20, 1, 1)))
    assert.are.same({ 1, 2 }, (hits(idx, 5, 5, 15, 15)))
  end)

  it("works at negative coordinates", function()
    idx:insert(1, -250, -250, 20, 20)
    idx:insert(2, -5, -5, 10, 10) -- across the origin: four cells
    assert.are.same({ 1 }, (hits(idx, -240, -240, 1, 1)))
    assert.are.same({ 2 }, (hits(idx, -1, -1, 2, 2)))
    assert.are.same({}, (hits(idx, -229, -229, 1, 1)))
    assert.are.equal(4 + 1, idx:stats().refs)
  end)

  it("yields each id once, whatever cells it spans", function()
    idx:insert(1, 0, 0, 1000, 1000) -- 11 x 11 cells
    idx:insert(2, 50, 50, 400, 10)
    local ids, most = hits(idx, 0, 0, 2000, 2000)
    assert.are.same({ 1, 2 }, ids)
    assert.are.equal(1, most)
    ids, most = hits(idx, 199, 55, 300, 1)
    assert.are.same({ 1, 2 }, ids)
    assert.are.equal(1, most)
  end)

  it("puts rectangles spanning too many cells in the overflow list", function()
    local small = tf.viewport.index { cell = 1, max_cells = 100 }
    small:insert("page", -1e6, -1e6, 2e6, 2e6) -- 4e12 cells: one overflow entry
    small:insert("tile", 0, 0, 5, 5)
    local st = small:stats()
    assert.are.equal(1, st.overflow)
    assert.are.equal(36, st.refs)
    assert.are.same({ "page" }, (hits(small, 900, 900, 1, 1)))
    assert.are.same({ "page", "tile" }, (hits(small, 2, 2, 1, 1)))
    -- a move takes a rectangle in and out of the overflow list
    small:update("tile", 0, 0, 50, 50)
    small:update("page", 10, 10, 1, 1)
    st = small:stats()
    assert.are.equal(1, st.overflow)
    assert.are.equal(4, st.refs)
    assert.are.same({ "page", "tile" }, (hits(small, 10, 10, 0, 0)))
    small:close()
  end)

  it("keeps huge coordinates exact", function()
    idx:insert(1, 1e300, 1e300, 1, 1)
    idx:insert(2, 1e300 + 1e285, 1e300, 0, 0)
    idx:insert(3, -1e307, 0, 2e307, 1)
    assert.are.same({ 1 }, (hits(idx, 1e300, 1e300, 0, 0)))
    assert.are.same({ 2 }, (hits(idx, 1e300 + 1e285, 1e300, 0, 0)))
    assert.are.same({ 3 }, (hits(idx, 0, 0, 0, 0)))
    assert.are.same({ 1, 2, 3 }, (hits(idx, -1e308, -1e308, 1.7e308, 1.7e308)))
  end)

  it("updates, removes and reports", function()
    idx:insert(1, 0, 0, 10, 10)
    idx:update(1, 300, 300, 10, 10)
    assert.are.same({}, (hits(idx, 0, 0, 10, 10)))
    assert.are.same({ 1 }, (hits(idx, 305, 305, 0, 0)))
    assert.are.same({ 300, 300, 10, 10 }, { idx:get(1) })
    assert.is_nil(idx:get(2))
    assert.is_nil(idx:get("never-seen"))
    assert.is_true(idx:remove(1))
    assert.is_false(idx:remove(1))
    assert.is_false(idx:remove("never-seen-either"))
    assert.is_nil(tf.names:lookup("never-seen-either")) -- lookups do not intern
    assert.are.equal(0, idx:count())
    local st = idx:stats()
    assert.are.same({ 0, 0, 0, 100, 256 }, { st.count, st.cells, st.refs, st.cell, st.max_cells })
    assert.is_true(st.bytes > 0)
  end)

  it("tells what it holds", function()
    idx:insert(1, 0, 0, 150, 10)
    assert.are.equal("tokenflow.ViewportIndex (1 ids, 2 cells of 100, 0 in overflow)", tostring(idx))
    idx:close()
    idx:close() -- idempotent
    assert.are.equal("tokenflow.ViewportIndex (closed)", tostring(idx))
    assert.has_error(function() idx:count() end, "attempt to use a closed tokenflow.ViewportIndex")
    assert.has_error(function() idx:query(0, 0, 1, 1) end, "attempt to use a closed tokenflow.ViewportIndex")
  end)

  it("may be changed while a query is iterated", function()
    for i = 1, 20 do idx:insert(i, i * 10, 0, 5, 5) end
    local n = 0
    for id in idx:query(0, 0, 1000, 10) do
      idx:remove(id)
      idx:insert(id + 100, 5000, 5000, 1, 1)
      n = n + 1
    end
    assert.are.equal(20, n)
    assert.are.equal(20, #(hits(idx, 5000, 5000, 1, 1)))
  end)

  it("frees query results when the loop breaks", function()
    for i = 1, 10 do idx:insert(i, 0, 0, 1, 1) end
    local iter, results, ctl, closing = idx:query(0, 0, 1, 1)
    assert.are.equal(results, closing)
    assert.are.equal(10, #results)
    for _ in iter, results, ctl, closing do break end -- luacheck: ignore 512
    assert.are.equal("tokenflow.ViewportHits (0 ids, 0 left)", tostring(results))
  end)

  it("uses the interner it is given for string ids", function()
    local names = tf.interner()
    local own = tf.viewport.index { names = names }
    own:insert("frame-1", 0, 0, 1, 1)
    assert.are.equal(1, names:lookup("frame-1"))
    assert.are.same({ "frame-1" }, (hits(own, 0, 0, 1, 1)))
    names:close()
    assert.has_error(function() own:insert("frame-2", 0, 0, 1, 1) end, "attempt to use a closed tokenflow.Interner")
    own:insert(7, 0, 0, 1, 1) -- integer ids need no interner
    own:close()
  end)

  it("agrees with a linear scan under random changes", function()
    local rects, live = {}, {}
    math.randomseed(7)
    local function rect()
      local big = math.random() < 0.05
      return { math.random() * 4000 - 2000, math.random() * 4000 - 2000,
        big and math.random() * 5000 or math.random() * 120, big and math.random() * 5000 or math.random() * 120 }
    end
    local idx2 = tf.viewport.index { cell = 64, max_cells = 64 }
    for step = 1, 3000 do
      local id = math.random(300)
      local r = rect()
      local op = math.random()
      if op < 0.4 then
        if live[id] then
          assert.has_error(function() idx2:insert(id, r[1], r[2], r[3], r[4]) end)
        else
          idx2:insert(id, r[1], r[2], r[3], r[4])
          live[id], rects[id] = true, r
        end
      elseif op < 0.7 then
        if live[id] then
          idx2:update(id, r[1], r[2], r[3], r[4])
          rects[id] = r
        end
      elseif op < 0.85 then
        assert.are.equal(live[id] == true, idx2:remove(id))
        live[id] = nil
      else
        local q = rect()
        local want = {}
        for i = 1, 300 do
          local e = rects[i]
          if live[i] and e[1] <= q[1] + q[3] and e[1] + e[3] >= q[1] and e[2] <= q[2] + q[4] and e[2] + e[4] >= q[2] then
            want[#want + 1] = i
          end
        end
        local got, most = hits(idx2, q[1], q[2], q[3], q[4])
        assert.are.same(want, got)
        assert.is_true(most <= 1, "step " .. step)
      end
    end
    idx2:close()
  end)

  describe("bad input", function()
    it("rejects NaN, infinities, negative sizes and overflowing extents", function()
      assert.has_error(function() idx:insert(1, nan, 0, 1, 1) end,
        "bad argument #2 to 'insert' (x must be a finite number, got nan)")
      assert.has_error(function() idx:insert(1, 0, inf, 1, 1) end,
        "bad argument #3 to 'insert' (y must be a finite number, got inf)")
      assert.has_error(function() idx:insert(1, 0, 0, -1, 1) end,
        "bad argument #4 to 'insert' (w must be >= 0, got -1)")
      assert.has_error(function() idx:insert(1, 0, 0, 1, "2") end,
        "bad argument #5 to 'insert' (h must be a number, got string)")
      assert.has_error(function() idx:insert(1, 1.5e308, 0, 1.5e308, 1) end,
        "bad argument #2 to 'insert' (x + w is not a finite number)")
      assert.has_error(function() idx:query(0, 0, nan, 1) end,
        "bad argument #3 to 'query' (w must be a finite number, got nan)")
      assert.are.equal(0, idx:count())
    end)

    it("rejects bad ids, duplicates and updates of unknown ids", function()
      assert.has_error(function() idx:insert(1.5, 0, 0, 1, 1) end,
        "bad argument #1 to 'insert' (id must be an integer or a string, got 1.5)")
      assert.has_error(function() idx:insert({}, 0, 0, 1, 1) end,
        "bad argument #1 to 'insert' (id must be an integer or a string, got table)")
      idx:insert("a", 0, 0, 1, 1)
      idx:insert(2.0, 0, 0, 1, 1) -- an integral float is the integer
      assert.has_error(function() idx:insert("a", 5, 5, 1, 1) end,
        'id "a" is already in the index (use update to move it)')
      assert.has_error(function() idx:insert(2, 5, 5, 1, 1) end, "id 2 is already in the index (use update to move it)")
      assert.has_error(function() idx:update("b", 0, 0, 1, 1) end, 'id "b" is not in the index (use insert)')
      assert.has_error(function() idx:update(3, 0, 0, 1, 1) end, "id 3 is not in the index (use insert)")
      assert.are.same({ 0, 0, 1, 1 }, { idx:get("a") })
    end)

    it("rejects bad options", function()
      assert.has_error(function() tf.viewport.index { cell = 0 } end,
        "bad argument #1 to 'index' (cell must be a positive number, got 0)")
      assert.has_error(function() tf.viewport.index { cell = nan } end)
      assert.has_error(function() tf.viewport.index { max_cells = 1.5 } end,
        "bad argument #1 to 'index' (max_cells must be a positive integer, got 1.5)")
      assert.has_error(function() tf.viewport.index { size = 10 } end,
        "bad argument #1 to 'index' (unknown option 'size')")
      assert.has_error(function() tf.viewport.index { names = {} } end)
      assert.are.equal(256, tf.viewport.index():stats().cell)
    end)
  end)
end)

describe("tf.viewport.lod", function()
  it("grades by on-screen size, the larger side times zoom", function()
    local t = { low = 4, medium = 24 }
    assert.are.equal("hidden", tf.viewport.lod(1, 1, 0.5, t))
    assert.are.equal("low", tf.viewport.lod(1, 1, 1, t))
    assert.are.equal("low", tf.viewport.lod(3.9, 0, 1, t))
    assert.are.equal("medium", tf.viewport.lod(4, 0, 1, t))
    assert.are.equal("medium", tf.viewport.lod(2, 47, 0.5, t))
    assert.are.equal("high", tf.viewport.lod(2, 48, 0.5, t))
    assert.are.equal("high", tf.viewport.lod(24, 1, 1))
    assert.are.equal("hidden", tf.viewport.lod(0, 0, 100))
  end)

  it("takes its thresholds from the caller or the defaults", function()
    assert.are.same({ hidden = 1, low = 4, medium = 24 }, tf.viewport.thresholds)
    assert.are.equal("medium", tf.viewport.lod(30, 30, 1, { medium = 100 }))
    assert.are.equal("hidden", tf.viewport.lod(3, 3, 1, { hidden = 5, low = 10 }))
    assert.are.equal("low", tf.viewport.lod(10, 10, 1, { low = 11, medium = 11 }))
    assert.are.equal("high", tf.viewport.lod(11, 10, 1, { low = 11, medium = 11 }))
    assert.are.equal("high", tf.viewport.lod(50, 50)) -- zoom 1
  end)

  it("rejects bad input", function()
    assert.has_error(function() tf.viewport.lod(nan, 1, 1) end,
      "bad argument #1 to 'lod' (w must be a finite number >= 0, got nan)")
    assert.has_error(function() tf.viewport.lod(1, -1, 1) end,
      "bad argument #2 to 'lod' (h must be a finite number >= 0, got -1)")
    assert.has_error(function() tf.viewport.lod(1, 1, 0) end,
      "bad argument #3 to 'lod' (zoom must be a finite number > 0, got 0)")
    assert.has_error(function() tf.viewport.lod(1, 1, 1, { low = 30, medium = 24 }) end,
      "bad argument #4 to 'lod' (thresholds must be hidden <= low <= medium, got 1, 30, 24)")
    assert.has_error(function() tf.viewport.lod(1, 1, 1, { high = 30 }) end,
      "bad argument #4 to 'lod' (unknown threshold 'high')")
    assert.has_error(function() tf.viewport.lod(1, 1, 1, { low = inf }) end,
      "bad argument #4 to 'lod' (low must be a finite number >= 0, got inf)")
    assert.has_error(function() tf.viewport.lod(1, 1, 1, 5) end,
      "bad argument #4 to 'lod' (thresholds must be a table, got number)")
  end)
end)

describe("tf.viewport.parse", function()
  it("reads x,y,w,h[,zoom]", function()
    assert.are.same({ 0, -10, 1920, 1080 }, tf.viewport.parse("0,-10,1920,1080"))
    assert.are.same({ 1, 2, 3, 4, 0.5 }, tf.viewport.parse("1,2,3,4,0.5"))
  end)

  it("says what is wrong", function()
    assert.are.same({ nil, 'viewport must be x,y,w,h[,zoom], got "1,2,3"' }, { tf.viewport.parse("1,2,3") })
    assert.are.same({ nil, 'viewport field 2 is not a finite number: "b"' }, { tf.viewport.parse("1,b,3,4") })
    assert.are.same({ nil, 'viewport field 1 is not a finite number: "nan"' }, { tf.viewport.parse("nan,1,3,4") })
    assert.are.same({ nil, "viewport size must be >= 0, got -3 x 4" }, { tf.viewport.parse("1,2,-3,4") })
    assert.are.same({ nil, "viewport.zoom must be > 0, got 0" }, { tf.viewport.parse("1,2,3,4,0") })
  end)
end)

describe("tf.update with a viewport", function()
  local resolved
  setup(function()
    resolved = assert(tf.tokens.new { core = { color = { red = { value = "#ff0000", type = "color" } } } }:resolve {})
  end)

  -- 60 nodes in a row, 10 units apart; those at x in [200, 300] are in view
  -- (ids 20..30); every 7th has no bounds, node 13 has no tokens.
  local VIEW = { 200, 0, 100, 5 }
  local function make_nodes()
    local nodes = {}
    for i = 1, 60 do
      nodes[i] = { id = i, tokens = i ~= 13 and { fill = "color.red" } or nil, box = i % 7 ~= 0 and { i * 10, 0, 5, 5 } or nil }
    end
    return nodes
  end
  local function bounds(node)
    if node.box then return table.unpack(node.box) end
  end
  local function in_view(id) return id >= 20 and id <= 30 and id % 7 ~= 0 end

  local sources = {
    array = function(nodes) return nodes end,
    walk = function(nodes) return tf.walk({ id = 0, children = nodes }, function(n) return n.children end) end,
    iterator = function(nodes)
      local i = 0
      return function()
        i = i + 1
        return nodes[i]
      end
    end,
  }

  -- Drives the job and returns the report and the number of writes done
  -- when the host first got control back.
  local drives = {
    run = function(job) return job:run(), nil end,
    coroutine = function(job, log)
      local co = coroutine.wrap(function() return job:run() end)
      local r = co()
      local first = #log
      while type(r) == "table" and r.tokenflow == "progress" do r = co() end
      return r, first
    end,
    step = function(job, log)
      local first
      while job:step() do first = first or #log end
      return job:report(), first
    end,
  }

  for _, kind in ipairs { "array", "walk", "iterator" } do
    for _, drive in ipairs { "run", "coroutine", "step" } do
      it(string.format("writes the visible nodes first, each node once (%s source, %s)", kind, drive), function()
        local nodes, log = make_nodes(), {}
        local job = tf.update {
          tokens = resolved, source = sources[kind](nodes), chunk = { size = 4 },
          mode = drive == "run" and "direct" or "streaming",
          write = function(node) log[#log + 1] = node.id end,
          viewport = VIEW, bounds = bounds,
        }
        local r, first = drives[drive](job, log)
        local want_visible, want_rest = {}, {}
        for i = 1, 60 do
          if i ~= 13 then
            if in_view(i) then want_visible[#want_visible + 1] = i else want_rest[#want_rest + 1] = i end
          end
        end
        local want = {}
        table.move(want_visible, 1, #want_visible, 1, want)
        table.move(want_rest, 1, #want_rest, #want + 1, want)
        assert.are.same(want, log)
        assert.are.equal(#want_visible, r.visible.count)
        assert.are.equal(59, r.written)
        assert.are.equal(kind == "walk" and 2 or 1, r.skipped) -- node 13, and the walk's root
        assert.are.equal(kind == "walk" and 61 or 60, r.nodes)
        assert.is_true(r.visible.first_visible_s > 0 and r.visible.first_visible_s <= r.elapsed_s)
        if first then
          -- the host gets control back once the visible nodes are written
          -- (chunks of 4: after 4 and 8 of them, then exactly at the end)
          assert.are.equal(4, first)
        end
      end)
    end
  end

  it("writes each node once, visible ones first, on random documents and chunk sizes", function()
    math.randomseed(99)
    for round = 1, 60 do
      local n = math.random(0, 40)
      local nodes = {}
      for i = 1, n do
        nodes[i] = { id = i, tokens = math.random() < 0.9 and { fill = "color.red" } or nil,
          box = math.random() < 0.9 and { math.random(0, 100), math.random(0, 100), math.random(0, 20), math.random(0, 20) } or nil }
      end
      local vp = { math.random(0, 100), math.random(0, 100), math.random(0, 60), math.random(0, 60) }
      local kind = ({ "array", "walk", "iterator" })[round % 3 + 1]
      local drive = ({ "run", "coroutine", "step" })[(round // 3) % 3 + 1]
      local log = {}
      local job = tf.update {
        tokens = resolved, source = sources[kind](nodes), chunk = { size = math.random(1, 6) },
        mode = drive == "run" and "batched" or "streaming",
        write = function(node) log[#log + 1] = node.id end, viewport = vp, bounds = bounds,
      }
      local r = drives[drive](job, log)
      local function inside(node)
        local b = node.box
        return b ~= nil and b[1] <= vp[1] + vp[3] and b[1] + b[3] >= vp[1] and b[2] <= vp[2] + vp[4] and b[2] + b[4] >= vp[2]
      end
      local want, rest = {}, {}
      for i = 1, n do
        if nodes[i].tokens then
          if inside(nodes[i]) then want[#want + 1] = i else rest[#rest + 1] = i end
        end
      end
      local count = #want
      table.move(rest, 1, #rest, #want + 1, want)
      assert.are.same(want, log, "round " .. round)
      assert.are.equal(count, r.visible.count - (function()
        local no_tokens = 0
        for i = 1, n do if not nodes[i].tokens and inside(nodes[i]) then no_tokens = no_tokens + 1 end end
        return no_tokens
      end)())
      assert.are.equal("done", r.state)
      assert.are.equal(n + (kind == "walk" and 1 or 0), r.nodes)
    end
  end)

  it("yields once the visible part is written, even in direct mode", function()
    local nodes, log = make_nodes(), {}
    local job = tf.update {
      tokens = resolved, source = nodes, mode = "direct",
      write = function(node) log[#log + 1] = node.id end, viewport = VIEW, bounds = bounds,
    }
    local co = coroutine.wrap(function() return job:run() end)
    local p = co()
    assert.are.equal("progress", p.tokenflow)
    assert.are.equal(9, #log)
    assert.are.equal(9, p.done)
    local r = co()
    assert.are.equal("done", r.state)
    assert.are.equal(59, #log)
  end)

  it("counts visible nodes as done in the progress, and ends at the total", function()
    local nodes, seen = make_nodes(), {}
    local job = tf.update {
      tokens = resolved, source = nodes, chunk = { size = 5 }, mode = "batched",
      write = function() end, viewport = VIEW, bounds = bounds,
      on_progress = function(p) seen[#seen + 1] = p.done end,
    }
    while job:step() do seen[#seen + 1] = job:report().nodes end
    for i = 2, #seen do assert.is_true(seen[i] >= seen[i - 1], "progress went back") end
    assert.are.equal(60, seen[#seen])
    assert.are.equal(60, job:report().nodes)
  end)

  it("takes the visible set from a spatial index over array positions", function()
    local nodes, log = make_nodes(), {}
    local idx = tf.viewport.index { cell = 50 }
    for i, n in ipairs(nodes) do
      if n.box then idx:insert(i, table.unpack(n.box)) end
    end
    idx:insert(1000, 200, 0, 1, 1) -- not a position of the array: ignored
    local bounds_calls = 0
    local r = tf.update {
      tokens = resolved, source = nodes, write = function(node) log[#log + 1] = node.id end,
      viewport = { x = 200, y = 0, w = 100, h = 5, index = idx },
    }:run()
    assert.are.same({ 20, 22, 23, 24, 25, 26, 27, 29, 30, 1 }, { table.unpack(log, 1, 10) })
    assert.are.equal(9, r.visible.count)
    assert.are.equal(59, #log)
    assert.are.equal(0, bounds_calls)
    idx:close()
  end)

  it("reads Figma bounds from absoluteBoundingBox", function()
    local node = { id = "1:2", absoluteBoundingBox = { x = -5, y = 10, width = 30, height = 0 } }
    assert.are.same({ -5, 10, 30, 0 }, { tf.figma.bounds(node) })
    assert.is_nil(tf.figma.bounds { id = "0:1" })
    assert.is_nil(tf.figma.bounds(42))
    assert.has_error(function() tf.figma.bounds { id = "1:3", absoluteBoundingBox = 7 } end,
      "node 1:3: absoluteBoundingBox must be a table, got number")
    local nodes, log = {}, {}
    for i = 1, 10 do
      nodes[i] = { id = "n" .. i, sharedPluginData = { tokens = { fill = '"color.red"' } },
        absoluteBoundingBox = { x = (10 - i) * 100, y = 0, width = 50, height = 50 } }
    end
    nodes[11] = { id = "page", sharedPluginData = { tokens = { fill = '"color.red"' } } } -- no bounds
    local r = tf.update {
      tokens = resolved, source = nodes, read = tf.figma.read,
      write = function(n) log[#log + 1] = n.id end,
      viewport = { 0, 0, 250, 10, 2 }, bounds = tf.figma.bounds,
    }:run()
    assert.are.same({ "n8", "n9", "n10", "n1", "n2", "n3", "n4", "n5", "n6", "n7", "page" }, log)
    assert.are.equal(3, r.visible.count)
  end)

  it("writes in document order when nothing is in view", function()
    local nodes, log = make_nodes(), {}
    local r = tf.update {
      tokens = resolved, source = nodes, write = function(node) log[#log + 1] = node.id end,
      viewport = { -1000, -1000, 10, 10 }, bounds = bounds,
    }:run()
    assert.are.equal(59, #log)
    for i = 2, #log do assert.is_true(log[i] > log[i - 1]) end
    assert.are.equal(0, r.visible.count)
    assert.is_true(r.visible.first_visible_s >= 0)
  end)

  it("writes nothing more after cancel, and leaves a rerun in document order", function()
    local nodes, log = make_nodes(), {}
    local job = tf.update {
      tokens = resolved, source = nodes, chunk = { size = 100 }, mode = "batched",
      write = function(node) log[#log + 1] = node.id end, viewport = VIEW, bounds = bounds,
    }
    assert.is_true(job:step())
    assert.are.equal(9, #log)
    job:cancel()
    assert.is_false(job:step())
    local r = job:report()
    assert.are.equal("cancelled", r.state)
    assert.are.equal(9, #log)
    assert.are.equal(51, r.not_written)
    log = {}
    r = job:rerun {}
    assert.are.equal(59, #log)
    for i = 2, #log do assert.is_true(log[i] > log[i - 1]) end
    assert.is_nil(r.visible)
  end)

  it("names the node of a failure in the visible part by its position", function()
    local nodes, log = make_nodes(), {}
    for _, n in ipairs(nodes) do n.id = nil end
    local r = tf.update {
      tokens = resolved, source = nodes, on_error = "skip",
      write = function(node)
        log[#log + 1] = node
        if node == nodes[25] or node == nodes[40] then error("boom", 0) end
      end,
      viewport = VIEW, bounds = bounds,
    }:run()
    assert.are.equal(2, r.failed)
    assert.are.same({ 25, 40 }, { r.failures[1].node, r.failures[2].node })
  end)

  it("continues after a stop in the visible part", function()
    local nodes, log, failed = make_nodes(), {}, false
    local job = tf.update {
      tokens = resolved, source = nodes, on_error = "stop",
      write = function(node)
        if node.id == 24 and not failed then
          failed = true
          error("once", 0)
        end
        log[#log + 1] = node.id
      end,
      viewport = VIEW, bounds = bounds,
    }
    local r = job:run()
    assert.are.equal("stopped", r.state)
    assert.are.same({ 20, 22, 23 }, log)
    r = job:run()
    assert.are.equal("done", r.state)
    assert.are.equal(58, #log) -- 24 failed once and is not written again
    assert.are.same({ 20, 22, 23, 25, 26, 27, 29, 30, 1, 2 }, { table.unpack(log, 1, 10) })
  end)

  describe("bad input", function()
    local function update(extra)
      local opts = { tokens = resolved, source = make_nodes(), write = function() end, bounds = bounds, viewport = VIEW }
      for k, v in pairs(extra) do opts[k] = v end
      return tf.update(opts)
    end
    it("rejects bad viewports and bounds", function()
      assert.has_error(function() update { viewport = 5 } end,
        "tokenflow.update: viewport must be a table {x, y, w, h[, zoom]}, got number")
      assert.has_error(function() update { viewport = { 0, nan, 1, 1 } } end,
        "tokenflow.update: viewport.y must be a finite number, got nan")
      assert.has_error(function() update { viewport = { 0, 0, -1, 1 } } end,
        "tokenflow.update: viewport size must be >= 0, got -1 x 1")
      assert.has_error(function() update { viewport = { 0, 0, 1, 1, 0 } } end,
        "tokenflow.update: viewport.zoom must be > 0, got 0")
      assert.has_error(function()
        tf.update { tokens = resolved, source = make_nodes(), write = function() end, viewport = VIEW }
      end, "tokenflow.update: bounds is required with viewport (function(node) -> x, y, w, h)")
      assert.has_error(function() update { bounds = 5 } end,
        "tokenflow.update: bounds must be a function or a field name, got a number")
      assert.has_error(function()
        tf.update { tokens = resolved, source = make_nodes(), write = function() end, bounds = bounds }
      end, "tokenflow.update: bounds is only used with viewport")
      assert.has_error(function() update { viewport = { 0, 0, 1, 1, index = {} } } end,
        "tokenflow.update: viewport.index must be a tf.viewport.index, got a table")
      local idx = tf.viewport.index()
      assert.has_error(function() update { source = function() end, viewport = { 0, 0, 1, 1, index = idx } } end,
        "tokenflow.update: viewport.index needs an array source (its ids are the array positions)")
      idx:close()
    end)

    it("raises naming the node whose bounds are wrong", function()
      local nodes = make_nodes()
      nodes[5].box = { 0, nan, 1, 1 }
      assert.has_error(function() update { source = nodes } end,
        "viewport: bounds of node 5: y must be a finite number, got nan")
      nodes[5].box = { 0, 0, -1, 1 }
      assert.has_error(function() update { source = nodes } end, "viewport: bounds of node 5: size must be >= 0, got -1.0 x 1.0")
      nodes[5].box = { 0, 0, "wide", 1 }
      assert.has_error(function() update { source = nodes } end, "viewport: bounds of node 5: w must be a number, got string")
      assert.has_error(function()
        update { source = { { id = "a", frame = 1 } }, bounds = "frame" }
      end, "viewport: bounds of node a: frame must be a table, got number")
    end)

    it("needs a walk that has not started", function()
      local walk = tf.walk({ children = make_nodes() }, function(n) return n.children end)
      walk()
      assert.has_error(function() update { source = walk } end)
    end)
  end)
end)

describe("tokenflow apply --viewport", function()
  local h = require "tokens_helper"
  local cjson = require "cjson"
  local gen = dofile("examples/gen-doc.lua")
  local dir
  setup(function()
    dir = h.tmpdir()
    h.write(dir, "doc.json", cjson.encode((gen.document { nodes = 800, seed = 3 })))
  end)
  teardown(function() h.rmdir(dir) end)

  local function run(args)
    return h.run_cli("apply --tokens examples/tokens/demo --theme light --doc " .. dir .. "/doc.json " .. args)
  end

  it("writes the nodes in the viewport first and says how many and when", function()
    local code, out = run("--viewport 0,0,400,300 --json")
    assert.are.equal(0, code)
    local s = cjson.decode(out)
    assert.is_true(s.visible.count > 0 and s.visible.count < 800)
    assert.is_true(s.visible.first_visible_s <= s.time.apply_s)
    code, out = run("--viewport 0,0,400,300,2")
    assert.are.equal(0, code)
    assert.truthy(out:find("visible +%d+ nodes in the viewport, written first: after [%d.]+ ms"))
  end)

  it("rejects a bad viewport", function()
    local code, _, err = run("--viewport 0,0,400")
    assert.are.equal(2, code)
    assert.truthy(err:find('tokenflow apply: --viewport must be x,y,w,h[,zoom], got "0,0,400"', 1, true))
    code, _, err = run("--viewport 0,0,4,4,-1")
    assert.are.equal(2, code)
    assert.truthy(err:find("tokenflow apply: --viewport.zoom must be > 0, got -1", 1, true))
  end)
end)

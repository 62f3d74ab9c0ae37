local tf = require "tokenflow"

local function range(n)
  local t = {}
  for i = 1, n do t[i] = i end
  return t
end

-- Runs fn inside a coroutine to the end; returns the progress values it yielded.
local function drive(fn, ...)
  local co = coroutine.create(fn)
  local yields = {}
  local ok, v = coroutine.resume(co, ...)
  while true do
    assert(ok, v)
    if coroutine.status(co) == "dead" then return yields, v end
    yields[#yields + 1] = v
    ok, v = coroutine.resume(co)
  end
end

-- Collects what a loop body sees: the chunk sizes and every node.
local function collect(source, opts)
  local sizes, nodes = {}, {}
  for chunk, info in tf.chunks(source, opts) do
    sizes[#sizes + 1] = #chunk
    assert.are.equal(#chunk, info.count)
    for i = 1, #chunk do nodes[#nodes + 1] = chunk[i] end
  end
  return sizes, nodes
end

local function tree(depth, fanout)
  local id = 0
  local function make(d)
    id = id + 1
    local n = { id = id }
    if d < depth then
      n.children = {}
      for i = 1, fanout do n.children[i] = make(d + 1) end
    end
    return n
  end
  return make(1)
end

local function kids(n) return n.children end

describe("tf.chunks", function()
  describe("over an array", function()
    it("hands out chunks of at most size nodes, in order", function()
      local sizes, nodes = collect(range(25), { size = 10 })
      assert.are.same({ 10, 10, 5 }, sizes)
      assert.are.same(range(25), nodes)
    end)

    it("fills info: index, first, count, done, total, elapsed", function()
      local seen = {}
      for _, info in tf.chunks(range(25), { size = 10 }) do
        seen[#seen + 1] = { info.index, info.first, info.count, info.done, info.total }
        assert.is_number(info.elapsed)
      end
      assert.are.same({ { 1, 1, 10, 10, 25 }, { 2, 11, 10, 20, 25 }, { 3, 21, 5, 25, 25 } }, seen)
    end)

    it("reuses the chunk and info tables, clearing what the last chunk left", function()
      local first_chunk, first_info, last
      for chunk, info in tf.chunks(range(25), { size = 10 }) do
        first_chunk = first_chunk or chunk
        first_info = first_info or info
        assert.are.equal(first_chunk, chunk)
        assert.are.equal(first_info, info)
        last = chunk
      end
      assert.are.equal(5, #last)
      assert.is_nil(last[6])
    end)

    it("walks a range", function()
      local _, nodes = collect(range(100), { size = 7, from = 11, to = 20 })
      assert.are.same({ 11, 12, 13, 14, 15, 16, 17, 18, 19, 20 }, nodes)
      local _, none = collect(range(100), { from = 50, to = 10 })
      assert.are.same({}, none)
      local _, clipped = collect(range(5), { from = 4, to = 99 })
      assert.are.same({ 4, 5 }, clipped)
    end)

    it("gives nothing for an empty array", function()
      local sizes = collect({}, { size = 3 })
      assert.are.same({}, sizes)
    end)

    it("honours __index on proxies", function()
      local proxy = setmetatable({}, { __index = function(_, i) return i * 2 end, __len = function() return 4 end })
      local _, nodes = collect(proxy, { size = 3 })
      assert.are.same({ 2, 4, 6, 8 }, nodes)
    end)
  end)

  describe("over an iterator function", function()
    it("calls it until nil", function()
      local i = 0
      local sizes, nodes = collect(function()
        i = i + 1
        if i <= 7 then return i end
      end, { size = 3 })
      assert.are.same({ 3, 3, 1 }, sizes)
      assert.are.same(range(7), nodes)
    end)

    it("lets the iterator yield to the host (continuation)", function()
      local i = 0
      local function source()
        i = i + 1
        coroutine.yield("waiting for node " .. i)
        if i <= 4 then return i end
      end
      local nodes = {}
      local yields = drive(function()
        for chunk in tf.chunks(source, { size = 2 }) do
          for j = 1, #chunk do nodes[#nodes + 1] = chunk[j] end
        end
      end)
      assert.are.same(range(4), nodes)
      local waits = 0
      for _, y in ipairs(yields) do
        if type(y) == "string" then waits = waits + 1 end
      end
      assert.are.equal(5, waits)
    end)
  end)

  describe("over tf.walk", function()
    it("walks depth first, root first", function()
      local root = { id = 1, children = { { id = 2, children = { { id = 3 } } }, { id = 4 } } }
      local _, nodes = collect(tf.walk(root, kids), { size = 3 })
      local ids = {}
      for i, n in ipairs(nodes) do ids[i] = n.id end
      assert.are.same({ 1, 2, 3, 4 }, ids)
    end)

    it("is an iterator on its own, and accepts iterator children", function()
      local root = { id = 1, children = { { id = 2 }, { id = 3 } } }
      local function iter_kids(n)
        if not n.children then return nil end
        local i = 0
        return function()
          i = i + 1
          return n.children[i]
        end
      end
      local ids = {}
      for n in tf.walk(root, iter_kids) do ids[#ids + 1] = n.id end
      assert.are.same({ 1, 2, 3 }, ids)
    end)

    it("visits every node of a larger tree once", function()
      local root = tree(6, 4) -- 1365 nodes
      local count, seen = 0, {}
      for chunk in tf.chunks(tf.walk(root, kids), { size = 100 }) do
        for i = 1, #chunk do
          assert.is_nil(seen[chunk[i]])
          seen[chunk[i]] = true
          count = count + 1
        end
      end
      assert.are.equal(1365, count)
    end)

    it("keeps a stack as deep as the tree, not as large", function()
      local w = tf.walk(tree(6, 4), kids)
      for _ in w do end
      local s = w:stats()
      assert.are.equal(1365, s.visited)
      assert.are.equal(6, s.peak_depth)
      assert.are.equal(0, s.depth)
      assert.matches("finished", tostring(w))
    end)

    it("skips nodes the filter rejects but walks their children", function()
      local root = tree(3, 2) -- ids 1..7
      local ids = {}
      for n in tf.walk(root, kids, { filter = function(n) return n.id % 2 == 1 end }) do ids[#ids + 1] = n.id end
      assert.are.same({ 1, 3, 5, 7 }, ids)
    end)

    it("detects a cycle with unique = true", function()
      local a = { id = 1 }
      local b = { id = 2, children = { a } }
      a.children = { b }
      assert.has_error(function()
        for _ in tf.walk(a, kids, { unique = true }) do end
      end, "tf.walk: node visited twice (a cycle or a shared subtree)")
    end)

    it("detects a shared subtree with unique = true", function()
      local shared = { id = 9 }
      local root = { children = { { children = { shared } }, { children = { shared } } } }
      assert.has_error(function()
        for _ in tf.walk(root, kids, { unique = true }) do end
      end, "tf.walk: node visited twice (a cycle or a shared subtree)")
      local n = 0
      for _ in tf.walk(root, kids) do n = n + 1 end
      assert.are.equal(5, n)
    end)

    it("stops a cycle at max_depth without unique, naming the node that contains itself", function()
      local a = { id = "1:2" }
      local b = { id = "1:3", children = { a } }
      a.children = { { id = "leaf" }, b }
      assert.has_error(function()
        for _ in tf.walk(a, kids, { max_depth = 50 }) do end
      end, "tf.walk: a node that contains itself at node 1:3 (it is its own descendant, 2 levels down;"
        .. " unique = true reports the second visit at once)")
      local c = {}
      c.children = { c }
      assert.has_error(function()
        for _ in tf.walk(c, "children") do end
      end, "tf.walk: a node that contains itself (it is its own descendant, 1 level down;"
        .. " unique = true reports the second visit at once)")
    end)

    it("stops a tree nested deeper than max_depth (default 100,000), naming the node", function()
      local root = { id = "0" }
      local t = root
      for i = 1, 100001 do
        local c = { id = tostring(i) }
        t.children = { c }
        t = c
      end
      assert.has_error(function()
        for _ in tf.walk(root, "children") do end
      end, "tf.walk: nodes nested deeper than max_depth (100000) at node 99999")
      local n = 0
      for _ in tf.walk(root, "children", { max_depth = 200000 }) do n = n + 1 end
      assert.are.equal(100002, n)
    end)

    it("reads children from a field when given its name, with the same order and checks", function()
      local root = tree(5, 3)
      local by_fn, by_field = {}, {}
      for n in tf.walk(root, kids) do by_fn[#by_fn + 1] = n.id end
      for n in tf.walk(root, "children") do by_field[#by_field + 1] = n.id end
      assert.are.same(by_fn, by_field)
      assert.are.equal(121, #by_field)
      -- any field name, read through metatables as `node[field]` does
      local proxy = setmetatable({ id = 0 }, { __index = function(_, k) if k == "kids" then return { { id = 1 } } end end })
      local ids = {}
      for n in tf.walk(proxy, "kids") do ids[#ids + 1] = n.id end
      assert.are.same({ 0, 1 }, ids)
      local _, nodes = collect(tf.walk(root, "children"), { size = 7 })
      assert.are.equal(121, #nodes)
      assert.has_error(function()
        for _ in tf.walk({ children = { 5 } }, "children") do end
      end, "tf.walk: a node is a number, expected a table with a 'children' field")
      assert.has_error(function()
        for _ in tf.walk({ children = "x" }, "children") do end
      end, "tf.walk: a node's 'children' field is a string (table, function or nil expected)")
      local a = {}
      a.children = { a }
      assert.has_error(function()
        for _ in tf.walk(a, "children", { unique = true }) do end
      end, "tf.walk: node visited twice (a cycle or a shared subtree)")
    end)

    it("rejects children results that are not a table, function or nil", function()
      assert.has_error(function()
        for _ in tf.walk({}, function() return 42 end) do end
      end, "tf.walk: children(node) returned a number (table, function or nil expected)")
    end)

    it("rejects bad arguments", function()
      assert.has_error(function() tf.walk(nil, kids) end, "bad argument #1 to 'walk' (root must not be nil)")
      assert.has_error(function() tf.walk({}, 5) end, "bad argument #2 to 'walk' (function or field name expected, got number)")
      assert.has_error(function() tf.walk({}, kids, { filter = 1 }) end, "bad argument #3 to 'walk' (filter must be a function)")
      assert.has_error(function() tf.walk({}, kids, { max_depth = 0 }) end,
        "bad argument #3 to 'walk' (max_depth must be a positive integer)")
    end)

    it("closes idempotently", function()
      local w = tf.walk({}, kids)
      w:close()
      w:close()
      assert.are.equal("tokenflow.Walk (closed)", tostring(w))
      assert.has_error(function() w() end, "attempt to use a closed tokenflow.Walk")
      assert.are.equal("tokenflow.Walk", getmetatable(w).__name)
    end)
  end)

  describe("in a coroutine", function()
    it("yields a progress value between chunks, not after the last", function()
      local bodies = 0
      local yields = drive(function()
        for _ in tf.chunks(range(25), { size = 10 }) do bodies = bodies + 1 end
      end)
      assert.are.equal(3, bodies)
      assert.are.equal(2, #yields)
      assert.are.same({ tokenflow = "progress", chunks = 1, done = 10, total = 25, chunk_size = 10 }, yields[1])
      assert.are.same({ tokenflow = "progress", chunks = 2, done = 20, total = 25, chunk_size = 10 }, yields[2])
    end)

    it("never yields with yield = false or mode = batched", function()
      for _, opts in ipairs { { size = 5, yield = false }, { size = 5, mode = "batched" } } do
        local bodies = 0
        local yields = drive(function()
          for _ in tf.chunks(range(20), opts) do bodies = bodies + 1 end
        end)
        assert.are.equal(4, bodies)
        assert.are.equal(0, #yields)
      end
    end)

    it("stops cleanly when resumed with \"cancel\" or false", function()
      for _, signal in ipairs { "cancel", false } do
        local bodies, after = 0, false
        local it_state
        local co = coroutine.create(function()
          local f, s, c, closing = tf.chunks(range(100), { size = 10 })
          it_state = s
          for _ in f, s, c, closing do bodies = bodies + 1 end
          after = true
          return "finished"
        end)
        assert.is_true((coroutine.resume(co)))
        assert.is_true((coroutine.resume(co)))
        local ok, ret = coroutine.resume(co, signal)
        assert.is_true(ok)
        assert.are.equal("finished", ret)
        assert.are.equal(2, bodies)
        assert.is_true(after)
        assert.is_true(it_state:stats().cancelled)
      end
    end)

    it("releases its source on break (closing value)", function()
      local state
      for _, _ in (function() -- luacheck: ignore 512 (breaks at once)
        local f, s, c, closing = tf.chunks(range(30), { size = 10 })
        state = s
        return f, s, c, closing
      end)() do
        break
      end
      assert.are.equal("tokenflow.Chunks (closed)", tostring(state))
    end)
  end)

  describe("driven by a host loop", function()
    it("runs one chunk per resume, with the same nodes as the other modes", function()
      local nodes = {}
      local co = coroutine.create(function()
        for chunk in tf.chunks(tf.walk(tree(4, 3), kids), { size = 8 }) do
          for i = 1, #chunk do nodes[#nodes + 1] = chunk[i].id end
        end
      end)
      local frames = 0
      while coroutine.status(co) ~= "dead" do
        assert(coroutine.resume(co))
        frames = frames + 1
      end
      local direct = {}
      for n in tf.walk(tree(4, 3), kids) do direct[#direct + 1] = n.id end
      assert.are.same(direct, nodes)
      assert.are.equal(40, #nodes)
      assert.are.equal(6, frames) -- 5 chunks, then the empty check after the last
    end)
  end)

  describe("size = \"auto\"", function()
    it("stays within min_size and max_size and covers every node", function()
      local sizes, nodes = collect(range(5000), { size = "auto", budget_ms = 1, min_size = 20, max_size = 300 })
      assert.are.equal(5000, #nodes)
      for i = 1, #sizes - 1 do
        assert.is_true(sizes[i] >= 20 and sizes[i] <= 300)
      end
    end)

    it("shrinks chunks whose body is slow", function()
      local sizes = {}
      for chunk in tf.chunks(range(3000), { size = "auto", budget_ms = 1, min_size = 1, max_size = 1000 }) do
        sizes[#sizes + 1] = #chunk
        local t = tf.now() + #chunk * 0.0002 -- 0.2 ms per node: 5 nodes fit the budget
        while tf.now() < t do end
        if #sizes == 6 then break end
      end
      assert.is_true(sizes[6] < sizes[1])
      assert.is_true(sizes[6] <= 20)
    end)
  end)

  describe("bad input", function()
    it("raises with a message naming the argument", function()
      assert.has_error(function() tf.chunks(42) end,
        "bad argument #1 to 'chunks' (array, iterator function or tf.walk expected, got number)")
      assert.has_error(function() tf.chunks({}, 5) end, "bad argument #2 to 'chunks' (table expected, got number)")
      assert.has_error(function() tf.chunks({}, { size = 0 }) end,
        "bad argument #2 to 'chunks' (size must be a positive integer or \"auto\", got 0)")
      assert.has_error(function() tf.chunks({}, { size = -3 }) end,
        "bad argument #2 to 'chunks' (size must be a positive integer or \"auto\", got -3)")
      assert.has_error(function() tf.chunks({}, { size = 1.5 }) end,
        "bad argument #2 to 'chunks' (size must be a positive integer or \"auto\", got 1.5)")
      assert.has_error(function() tf.chunks({}, { size = "auto", budget_ms = 0 }) end,
        "bad argument #2 to 'chunks' (budget_ms must be a positive number)")
      assert.has_error(function() tf.chunks({}, { size = "auto", min_size = 10, max_size = 5 }) end,
        "bad argument #2 to 'chunks' (max_size must be at least min_size)")
      assert.has_error(function() tf.chunks({}, { from = 0 }) end,
        "bad argument #2 to 'chunks' (from must be a positive integer)")
      assert.has_error(function() tf.chunks({}, { mode = "fast" }) end,
        "bad argument #2 to 'chunks' (mode must be \"batched\" or \"streaming\")")
    end)

    it("says what it holds", function()
      local f, s = tf.chunks(range(10), { size = 4 })
      f(s)
      assert.are.equal("tokenflow.Chunks (array source, 1 chunks, 4 nodes, next size 4)", tostring(s))
      assert.are.equal("tokenflow.Chunks", getmetatable(s).__name)
    end)
  end)
end)

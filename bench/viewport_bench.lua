--- Viewport benchmark.
-- 1. The spatial index: build over 1M rectangles (4-100 units on a
--    64k x 64k canvas), then 10k viewport queries of 1920 x 1080 (~500 ids
--    each, every id read through the iterator), against a linear scan of
--    the same rectangles in Lua arrays (the baseline, a few queries).
-- 2. Visible-first updates on the 100k-node demo document
--    (examples/gen-doc.lua, tokens of examples/tokens/demo, tf.figma writer):
--    time until the nodes in the viewport are written against the time to
--    finish the whole update, in the same job. The host shows one page; the
--    viewport is one screen of it. Once with the host's spatial index over
--    that page (ids = positions in the node array, no bounds pass), once
--    with a bounds pass over every node (bounds: the page's nodes only).
-- One line per result: `bench <name> <ratio> <details>`.
local tf = require "tokenflow"
local benchlib = require "benchlib"

local N = tonumber(os.getenv("VIEWPORT_BENCH_N")) or 1000000
local QUERIES = 10000
local SCANS = 10
local CANVAS = 65536
local VW, VH = 1920, 1080

local function index_bench()
  math.randomseed(11)
  local xs, ys, ws, hs = {}, {}, {}, {}
  for i = 1, N do
    xs[i] = math.random() * CANVAS
    ys[i] = math.random() * CANVAS
    ws[i] = math.random(4, 100)
    hs[i] = math.random(4, 100)
  end
  local qx, qy = {}, {}
  for i = 1, QUERIES do
    qx[i] = math.random() * (CANVAS - VW)
    qy[i] = math.random() * (CANVAS - VH)
  end

  local idx = tf.viewport.index { cell = 256 }
  local t0 = tf.now()
  for i = 1, N do idx:insert(i, xs[i], ys[i], ws[i], hs[i]) end
  local build_s = tf.now() - t0

  t0 = tf.now()
  local found, check = 0, 0
  for q = 1, QUERIES do
    for id in idx:query(qx[q], qy[q], VW, VH) do
      found = found + 1
      check = check + id
    end
  end
  local query_s = (tf.now() - t0) / QUERIES

  -- the baseline: every rectangle tested, the same closed overlap rule
  t0 = tf.now()
  local scanned = 0
  for q = 1, SCANS do
    local x0, y0 = qx[q], qy[q]
    local x1, y1 = x0 + VW, y0 + VH
    for i = 1, N do
      local x, y = xs[i], ys[i]
      if x <= x1 and x + ws[i] >= x0 and y <= y1 and y + hs[i] >= y0 then scanned = scanned + 1 end
    end
  end
  local scan_s = (tf.now() - t0) / SCANS

  -- the first SCANS queries must agree with the scan
  local agree = 0
  for q = 1, SCANS do
    for _ in idx:query(qx[q], qy[q], VW, VH) do agree = agree + 1 end
  end
  assert(agree == scanned, "index and scan disagree")
  local st = idx:stats()
  benchlib.line("viewport_query", scan_s / query_s, string.format(
    "index query %.1fus (%.0f ids) vs linear scan %.1fms at %d rects; build %.2fs (%.0f ns/insert), %d cells, %.1f MB",
    query_s * 1e6, found / QUERIES, scan_s * 1e3, N, build_s, build_s / N * 1e9, st.cells, st.bytes / 2 ^ 20))
  idx:close()
  return check
end

-- Runs the job as a host does, from a coroutine; returns the report.
local function drive(job)
  local co = coroutine.wrap(function() return job:run() end)
  local r = co()
  while type(r) == "table" and r.tokenflow == "progress" do r = co() end
  return r
end

local function first_visible_bench()
  local here = debug.getinfo(1, "S").source:match("^@(.*)/bench/[^/]*$") or "."
  local gen = dofile(here .. "/examples/gen-doc.lua")
  local DOC = tonumber(os.getenv("VIEWPORT_BENCH_DOC")) or 100000
  local file = gen.document { nodes = DOC, seed = 1 }
  local root = file.document
  local set = assert(tf.tokens.load(here .. "/examples/tokens/demo"))
  local light = assert(set:resolve { theme = "light" })
  -- the host's node list (document order) and the page it shows
  local nodes = {}
  for node in tf.walk(root, gen.children) do nodes[#nodes + 1] = node end
  local page = root.children[3]
  local on_page = {}
  for node in tf.walk(page, gen.children) do on_page[node] = true end
  local screen = { 0, 0, 1440, 1024, 1 }
  -- warm-up, not measured: a Resolved computes values on first use
  drive(tf.update { tokens = light, source = nodes, read = tf.figma.read,
    write = tf.figma.writer { base_font_size = 16 }, mode = "streaming" })

  local t0 = tf.now()
  local idx = tf.viewport.index { cell = 256 }
  for pos, node in ipairs(nodes) do
    local b = on_page[node] and node.absoluteBoundingBox
    if b then idx:insert(pos, b.x, b.y, b.width, b.height) end
  end
  local build_s = tf.now() - t0
  screen.index = idx
  local r = drive(tf.update { tokens = light, source = nodes, read = tf.figma.read,
    write = tf.figma.writer { base_font_size = 16 }, mode = "streaming", viewport = screen })
  assert(r.written + r.skipped + r.failed == DOC and r.visible.count > 0)
  benchlib.line("viewport_first_visible", r.elapsed_s / r.visible.first_visible_s, string.format(
    "first visible update %.1fms (%d nodes in view) vs whole update %.2fs at %d nodes; host index over the page: %d ids built in %.0fms",
    r.visible.first_visible_s * 1e3, r.visible.count, r.elapsed_s, DOC, idx:count(), build_s * 1e3))
  idx:close()

  screen.index = nil
  local function bounds(node)
    if on_page[node] then return tf.figma.bounds(node) end
  end
  r = drive(tf.update { tokens = light, source = nodes, read = tf.figma.read,
    write = tf.figma.writer { base_font_size = 16 }, mode = "streaming", viewport = screen, bounds = bounds })
  benchlib.line("viewport_first_visible_scan", r.elapsed_s / r.visible.first_visible_s, string.format(
    "first visible update %.1fms (%d nodes in view, bounds pass %.1fms) vs whole update %.2fs at %d nodes",
    r.visible.first_visible_s * 1e3, r.visible.count, r.visible.scan_s * 1e3, r.elapsed_s, DOC))
end


index_bench()
first_visible_bench()

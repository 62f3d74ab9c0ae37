--- Viewport benchmark.
-- 1. The spatial index: build over 1M rectangles (4-100 units on a
--    64k x 64k canvas), then 10k viewport queries of 1920 x 1080 (~500 ids
--    each, every id read through the iterator), against a linear scan of
--    the same rectangles in Lua arrays (the baseline, a few queries).
-- 2. Visible-first updates (see the second part below).
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

index_bench()

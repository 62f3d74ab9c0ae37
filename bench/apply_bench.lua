-- `tokenflow apply` end to end (read, apply, write) against the Node.js
-- round trip a script without tokenflow does (bench/figma-roundtrip.mjs:
-- JSON.parse, walk, set fills, JSON.stringify), each as a whole process on
-- the same generated Figma file (examples/gen-doc.lua, every node with a
-- token map): wall time and peak RSS (GNU time), medians of
-- APPLY_BENCH_RUNS runs (default 3), for 100k and 1M nodes
-- (APPLY_BENCH_SIZES="100000 1000000").
--
-- Lines:
--   apply_<n>_time  node seconds / tokenflow seconds (target >= 3 at 100k)
--   apply_<n>_rss   the target / tokenflow's peak RSS (targets: 95 MB at
--                   100k; the file's size + 100 MB at 1M), >= 1 met
-- A Node run that fails (a 620 MB file is longer than V8's longest string)
-- is reported as such, with how long it ran before failing (ratio: inf).
local benchlib = require "benchlib"

local SIZES = {}
for n in (os.getenv("APPLY_BENCH_SIZES") or "100000 1000000"):gmatch("%d+") do SIZES[#SIZES + 1] = tonumber(n) end
local RUNS = tonumber(os.getenv("APPLY_BENCH_RUNS") or "3")
local DIR = (os.getenv("BUILD") or "build") .. "/bench"
local MB = 1024 * 1024

local function sh(cmd)
  local ok = os.execute(cmd)
  return ok == true
end

local function size_of(path)
  local f = assert(io.open(path, "rb"))
  local n = f:seek("end")
  f:close()
  return n
end

-- Runs cmd under GNU time: ok, seconds, peak RSS in bytes, its output.
local function measure(cmd)
  local out = os.tmpname()
  local ok = sh(string.format("/usr/bin/time -f 'TIME %%e %%M' %s > %s 2>&1", cmd, out))
  local f = assert(io.open(out, "rb"))
  local text = f:read("a")
  f:close()
  os.remove(out)
  local s, kb = text:match("TIME ([%d.]+) (%d+)")
  return ok, tonumber(s), kb and tonumber(kb) * 1024, (text:gsub("TIME [%d.]+ %d+%s*$", ""))
end

local function median(xs)
  table.sort(xs)
  return xs[(#xs + 1) // 2]
end

assert(sh("mkdir -p " .. DIR))
for _, n in ipairs(SIZES) do
  local doc = string.format("%s/doc-%d.json", DIR, n)
  if not io.open(doc, "rb") then
    assert(sh(string.format("lua5.4 examples/gen-doc.lua --nodes %d --seed 1 --out %s > /dev/null", n, doc)))
  end
  local bytes = size_of(doc)
  local out_tf, out_node = DIR .. "/out-tokenflow.json", DIR .. "/out-node.json"
  local tf_s, tf_rss, node_s, node_rss = {}, {}, {}, {}
  local node_failed
  for _ = 1, RUNS do
    -- alternated, so both meet the same moments of a shared machine
    local ok, s, rss, tail = measure(string.format(
      "lua5.4 bin/tokenflow apply --quiet --tokens examples/tokens/demo --theme light --doc %s --out %s", doc, out_tf))
    assert(ok, "tokenflow apply failed: " .. tail:sub(-300))
    tf_s[#tf_s + 1], tf_rss[#tf_rss + 1] = s, rss
    ok, s, rss, tail = measure(string.format("node bench/figma-roundtrip.mjs %s %s", doc, out_node))
    if ok then
      node_s[#node_s + 1], node_rss[#node_rss + 1] = s, rss
    else
      node_failed = { s = s, rss = rss, why = (tail:match("Error: ([^\n]*)") or tail:match("([^\n]+)\n*$") or "?") }
    end
  end
  -- the file written is the input with the values written: it reads back, with every node
  local written <close> = assert(require("tokenflow").figma.open(out_tf))
  assert(written:count() == n, "the written file does not read back with its nodes")
  written:close()
  os.remove(out_tf)
  os.remove(out_node)

  local label = n >= 1000000 and string.format("%dm", n // 1000000) or string.format("%dk", n // 1000)
  local ts, trss = median(tf_s), median(tf_rss)
  local rss_target = n >= 1000000 and bytes + 100 * MB or 95 * MB
  if #node_s > 0 then
    local ns, nrss = median(node_s), median(node_rss)
    benchlib.line("apply_" .. label .. "_time", ns / ts, string.format(
      "tokenflow apply %.2f s vs Node round trip %.2f s (%d nodes, %.1f MB, medians of %d; target >= 3x)",
      ts, ns, n, bytes / 1e6, RUNS))
    benchlib.line("apply_" .. label .. "_rss", rss_target / trss, string.format(
      "peak RSS tokenflow %.1f MB vs Node %.1f MB (target <= %.0f MB)", trss / MB, nrss / MB, rss_target / MB))
  else
    -- (no Node time to compare with: Node never finishes, the ratio is infinite)
    benchlib.line("apply_" .. label .. "_time", math.huge, string.format(
      "tokenflow apply %.2f s; the Node round trip fails after %.2f s (%s) (%d nodes, %.1f MB, medians of %d)",
      ts, node_failed.s or 0, node_failed.why, n, bytes / 1e6, RUNS))
    benchlib.line("apply_" .. label .. "_rss", rss_target / trss, string.format(
      "peak RSS tokenflow %.1f MB, the file %.1f MB (target <= the file + 100 MB = %.0f MB); Node %.1f MB when it failed",
      trss / MB, bytes / MB, rss_target / MB, (node_failed.rss or 0) / MB))
  end
end

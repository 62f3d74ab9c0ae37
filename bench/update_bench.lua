-- The update job against a plain floor loop and the naive per-node design, on
-- the same generated document (examples/gen-doc.lua, seed 1, tokens of
-- examples/tokens/demo, light theme). Each run is its own process
-- (bench/update_run.lua), so peak RSS is the whole process's; "overhead" is
-- a run's peak RSS minus the floor run's at the same size (the floor's
-- document holds the same written values). Times are CPU seconds of the
-- measured phase (the apply itself, after the document is built; each
-- process's total CPU is in the details). One line per comparison:
--
--   update_vs_floor       tf.update streaming time / floor time        (target <= 1.5)
--   update_vs_naive       naive time / tf.update time                 (target >= 4; overhead <= 10 MB)
--   update_scale_1m       time per node at 1M / at 100k               (target <= 1.2; overhead within 2 MB)
--   update_scale_1m_vs_floor  (tf.update / floor) at 1M over the same at 100k, and what the job keeps at each size
--   update_scale_1m_hugepages (and _vs_floor) the same with glibc's heap on transparent huge pages
--
-- Floor and job run under the same collector (the interpreter's mode, or
-- UPDATE_BENCH_GC; the job forces no full collection, only steps of at
-- most 64 KB between chunks), so peak RSS differences compare the same
-- pacing; they still move with when collections happen to land, so what
-- the job keeps is printed next to them.
--   update_theme_switch   full reapply time / rerun with `changed`    (target >= 10; 5% of tokens edited;
--                         medians of three rounds each)
--   update_responsiveness 12 ms / p99 of the time between yields      (target >= 1, budget_ms = 8)
--
-- UPDATE_BENCH_NODES (default 100000) and UPDATE_BENCH_SCALE (default
-- 1000000, 0 skips the scale runs) set the sizes; the scale comparison
-- takes the median of UPDATE_BENCH_ROUNDS (default 3) runs of each.
local here = debug.getinfo(1, "S").source:match("^@(.*)/bench/[^/]*$") or "."
package.path = here .. "/bench/?.lua;" .. here .. "/lua/?.lua;" .. here .. "/lua/?/init.lua;" .. package.path
package.cpath = here .. "/" .. (os.getenv("BUILD") or "build") .. "/?.so;" .. package.cpath
local cjson = require "cjson"
local benchlib = require "benchlib"

local N = math.tointeger(tonumber(os.getenv("UPDATE_BENCH_NODES") or "100000"))
local BIG = math.tointeger(tonumber(os.getenv("UPDATE_BENCH_SCALE") or "1000000"))

-- env: an environment prefix for the process (the scale runs go once as
-- they are and once with glibc's heap on transparent huge pages).
local function run(variant, nodes, env)
  local cmd = string.format("%slua5.4 %s/bench/update_run.lua %s %d", env or "", here, variant, nodes)
  local p = assert(io.popen(cmd, "r"))
  local out = p:read("a")
  local ok, _, code = p:close()
  local line = out:match("(%b{})%s*$")
  if not ok or not line then
    io.stderr:write(string.format("update_bench: %s %d failed (exit %s):\n%s\n", variant, nodes, tostring(code), out))
    os.exit(1)
  end
  local r = cjson.decode(line)
  if r.verified ~= r.sampled then
    io.stderr:write(string.format("update_bench: %s %d: %d of %d sampled nodes hold other values than map + write\n",
      variant, nodes, r.sampled - r.verified, r.sampled))
  end
  return r
end

-- The run with the median apply time of `rounds` runs (one process each):
-- at 100k the apply takes well under a second, where one collection that
-- happens to land in it moves the figure by a fifth.
local ROUNDS = math.tointeger(tonumber(os.getenv("UPDATE_BENCH_ROUNDS") or "3"))
local function run_median(variant, nodes, env)
  local list = {}
  for i = 1, ROUNDS do list[i] = run(variant, nodes, env) end
  table.sort(list, function(a, b) return a.phase_cpu_s < b.phase_cpu_s end)
  local mid = list[(#list + 1) // 2]
  mid.rounds = {}
  for i, r in ipairs(list) do mid.rounds[i] = r.phase_cpu_s end
  return mid
end

local function mb(kb) return kb / 1024 end
local function met(ok) return ok and "met" or "MISSED" end
local function k(n) return n >= 1e6 and string.format("%gM", n / 1e6) or string.format("%gk", n / 1e3) end

local floor = run("floor", N)
local update = run("update", N)
local naive = run("naive", N)

local overhead = mb(update.peak_rss_kb - floor.peak_rss_kb)
local r_floor = update.phase_cpu_s / floor.phase_cpu_s
benchlib.line("update_vs_floor", r_floor, string.format(
  "%s nodes: tf.update streaming %.3f s CPU (%.2f us/node, %d chunks, %d combinations, hit rate %.1f%%) vs floor %.3f s (%.2f us/node); "
    .. "target <= 1.5x %s; processes %.2f s vs %.2f s CPU",
  k(N), update.phase_cpu_s, update.phase_cpu_s / N * 1e6, update.chunks or -1, update.combinations or -1,
  100 * (update.hit_rate or 0), floor.phase_cpu_s, floor.phase_cpu_s / N * 1e6, met(r_floor <= 1.5),
  update.cpu_total_s, floor.cpu_total_s))

local r_naive = naive.phase_cpu_s / update.phase_cpu_s
benchlib.line("update_vs_naive", r_naive, string.format(
  "%s nodes: naive %.2f s CPU, peak RSS %+.1f MB over the floor; "
    .. "tf.update %.3f s, peak RSS %+.1f MB over the floor (floor %.1f MB; "
    .. "live heap after the run %+.1f MB, C engines %.1f MB); target >= 4x %s, overhead <= 10 MB %s",
  k(N), naive.phase_cpu_s, mb(naive.peak_rss_kb - floor.peak_rss_kb), update.phase_cpu_s, overhead,
  mb(floor.peak_rss_kb), mb((update.live_kb or 0) - (floor.live_kb or 0)), (update.job_engine_bytes or 0) / 1048576,
  met(r_naive >= 4), met(overhead <= 10)))

-- On this machine (a virtual one) a walk over a 2 GB heap of small tables
-- costs more per node than over a 200 MB one in page-table walks alone:
-- glibc's heap on transparent huge pages (GLIBC_TUNABLES=glibc.malloc.hugetlb=1,
-- with /sys/kernel/mm/transparent_hugepage/enabled at madvise or always)
-- takes most of that away, so the scale runs go both ways.
local HUGE = "GLIBC_TUNABLES=glibc.malloc.hugetlb=1 "

local function scale(label, env)
  local floor_big = run_median("floor", BIG, env)
  local update_big = run_median("update", BIG, env)
  local small = run_median("update", N, env)
  local small_floor = run_median("floor", N, env)
  local small_overhead = mb(small.peak_rss_kb - small_floor.peak_rss_kb)
  local overhead_big = mb(update_big.peak_rss_kb - floor_big.peak_rss_kb)
  local per_node, per_node_big = small.phase_cpu_s / N, update_big.phase_cpu_s / BIG
  local r_scale = per_node_big / per_node
  local vs_floor, vs_floor_big = small.phase_cpu_s / small_floor.phase_cpu_s, update_big.phase_cpu_s / floor_big.phase_cpu_s
  local kept = mb((small.live_kb or 0) - (small_floor.live_kb or 0)) + (small.job_engine_bytes or 0) / 1048576
  local kept_big = mb((update_big.live_kb or 0) - (floor_big.live_kb or 0)) + (update_big.job_engine_bytes or 0) / 1048576
  benchlib.line(label .. "_vs_floor", vs_floor_big / vs_floor, string.format(
    "%s nodes: tf.update / floor time %.2fx vs %.2fx at %s (the job's own cost per node, the machine's growth with the heap divided out); "
      .. "what the job keeps (live heap after a full collection over the floor's, plus C engines) %+.1f MB vs %+.1f MB at %s (within 2 MB %s)",
    k(BIG), vs_floor_big, vs_floor, k(N), kept_big, kept, k(N), met(math.abs(kept_big - kept) <= 2)))
  benchlib.line(label, r_scale, string.format(
    "%s nodes: %.2f us/node vs %.2f at %s (medians of %d runs; target <= 1.2x %s; floor %.2f vs %.2f us/node); "
      .. "overhead %+.1f MB vs %+.1f MB at %s (no more than 2 MB above it %s; "
      .. "below it when the floor's garbage grows more than the job's); floor peak RSS %.0f MB; "
      .. "live heap after the run over the floor's %+.1f MB vs %+.1f MB, C engines %.1f MB vs %.1f MB",
    k(BIG), per_node_big * 1e6, per_node * 1e6, k(N), ROUNDS, met(r_scale <= 1.2), floor_big.phase_cpu_s / BIG * 1e6,
    small_floor.phase_cpu_s / N * 1e6, overhead_big, small_overhead, k(N),
    met(overhead_big - small_overhead <= 2), mb(floor_big.peak_rss_kb),
    mb((update_big.live_kb or 0) - (floor_big.live_kb or 0)), mb((small.live_kb or 0) - (small_floor.live_kb or 0)),
    (update_big.job_engine_bytes or 0) / 1048576, (small.job_engine_bytes or 0) / 1048576))
end

if BIG and BIG > 0 then
  scale("update_scale_1m")
  scale("update_scale_1m_hugepages", HUGE)
end

local function rounds(list)
  local out = {}
  for i, v in ipairs(list or {}) do out[i] = string.format("%.3f", v) end
  return table.concat(out, ", ")
end

local switch = run("switch", N)
local r_switch = switch.full_cpu_s / switch.changed_cpu_s
benchlib.line("update_theme_switch", r_switch, string.format(
  "%s nodes: %d of %d tokens edited (%d names changed): rerun with changed %.3f s CPU (median of %s), %d nodes written; "
    .. "full reapply %.3f s (median of %s), %d written; target >= 10x %s",
  k(N), switch.edited, switch.tokens, switch.changed, switch.changed_cpu_s, rounds(switch.changed_rounds_s),
  switch.changed_written or -1, switch.full_cpu_s, rounds(switch.full_rounds_s), switch.full_written or -1,
  met(r_switch >= 10)))

local resp = run("responsive", N)
benchlib.line("update_responsiveness", 12 / resp.p99_ms, string.format(
  "%s nodes, budget_ms = 8: %d yields, time between yields p50 %.2f ms, p99 %.2f ms, max %.2f ms; "
    .. "target p99 < 12 ms %s",
  k(N), resp.yields, resp.p50_ms, resp.p99_ms, resp.max_ms, met(resp.p99_ms < 12))
  .. string.format(" (the process's own CPU between yields: p99 %.2f ms, max %.2f ms; the rest is time other processes took)",
    resp.cpu_p99_ms or -1, resp.cpu_max_ms or -1))

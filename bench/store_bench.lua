-- Persistent tier and lazy loading benchmarks, on a synthetic Tokens
-- Studio folder of 50 set files x 1000 tokens (50k tokens; generated here,
-- deterministic): five blocks of ten files, references stay inside a block;
-- theme "all" enables every set, theme "block1" the first ten (20%).
--
-- 1. `tokenflow resolve DIR --theme all` as a whole process: cold (no
--    store), then warm (a store holding the snapshot). Ratio: cold / warm
--    (target >= 10).
--    The command keeps its printed output with the snapshot, so a warm run
--    prints without rebuilding the JSON. store_resolve_hit: the snapshot
--    alone, set:resolve in process (fresh / from the store).
-- 2. Lazy loading: resolving theme "block1" (in process, fresh load each
--    time) against theme "all". Ratio: (time share) / (file share); 1.0 is
--    proportional, below 1 is better than proportional.
local tf = require "tokenflow"
local benchlib = require "benchlib"

local FILES, PER_FILE, BLOCK = 50, 1000, 10

local work = os.tmpname()
os.remove(work)
assert(os.execute("mkdir -p '" .. work .. "/tokens/sets'"))
local dir = work .. "/tokens"

local function write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

-- Deterministic generator (xorshift), independent of math.random.
local seed = 88172645463325252
local function rand(n)
  seed = seed ~ (seed << 13)
  seed = seed ~ (seed >> 7)
  seed = seed ~ (seed << 17)
  return 1 + (seed >> 1) % n
end

local order = {}
for f = 1, FILES do
  local name = string.format("sets/f%02d", f)
  order[#order + 1] = name
  local block0 = ((f - 1) // BLOCK) * BLOCK -- files of this block: block0+1 .. f
  local parts = {}
  for i = 1, PER_FILE do
    local tname = string.format("f%02d.t%d", f, i)
    local value, ttype
    if i <= PER_FILE // 5 then
      if i % 2 == 0 then
        value, ttype = string.format("#%02x%02x%02x", rand(255), rand(255), rand(255)), "color"
      else
        value, ttype = tostring(rand(64)), "spacing"
      end
    else
      -- a token of an earlier file of the block, or an earlier one of this file
      local tf_ = block0 + rand(f - block0)
      local ti = tf_ == f and rand(i - 1) or rand(PER_FILE)
      local target = string.format("f%02d.t%d", tf_, ti)
      local r = rand(20)
      if r == 1 then
        value, ttype = "{" .. target .. "} * 2", "spacing"
      else
        value, ttype = "{" .. target .. "}", "other"
      end
    end
    parts[#parts + 1] = string.format('  %q: {"value": %q, "type": %q}', tname:match("^f%d+%.(.*)$"), value, ttype)
  end
  write(dir .. "/" .. name .. ".json", string.format('{"f%02d": {\n%s\n}}\n', f, table.concat(parts, ",\n")))
end
local quoted, all, block1 = {}, {}, {}
for i, n in ipairs(order) do
  quoted[i] = '"' .. n .. '"'
  all[i] = string.format('"%s": "enabled"', n)
  block1[i] = string.format('"%s": "%s"', n, i <= BLOCK and "enabled" or "disabled")
end
write(dir .. "/$metadata.json", '{"tokenSetOrder": [' .. table.concat(quoted, ", ") .. "]}\n")
write(dir .. "/$themes.json", string.format('[{"name": "all", "selectedTokenSets": {%s}}, {"name": "block1", "selectedTokenSets": {%s}}]\n',
  table.concat(all, ", "), table.concat(block1, ", ")))

-- 1. cold vs warm `tokenflow resolve`
local db = work .. "/cache.db"
local function run(args)
  local t0 = tf.now()
  local ok = os.execute("bin/tokenflow resolve '" .. dir .. "' --theme all --format flat " .. args .. " > /dev/null")
  assert(ok, "tokenflow resolve failed")
  return tf.now() - t0
end
local function median(list)
  table.sort(list)
  return list[(#list + 1) // 2]
end
local cold, warm = {}, {}
local miss = run("--store '" .. db .. "'") -- resolves and stores
-- alternated, so load from other processes weighs on both alike
for i = 1, 5 do
  cold[i] = run("")
  warm[i] = run("--store '" .. db .. "'")
end
local st = assert(tf.store(db))
local stats = st:stats()
st:close()
local c, w = median(cold), median(warm)
benchlib.line("store_warm_start", c / w, string.format(
  "tokens=%d files=%d cold_s=%.3f first_with_store_s=%.3f warm_s=%.3f snapshot_bytes=%d target=10",
  FILES * PER_FILE, FILES, c, miss, w, stats.bytes))

-- 1b. the snapshot alone, in process: load + resolve of theme "all" fresh,
-- against load + resolve answered by the store (fingerprint, read, unpack)
local fresh, hit = {}, {}
local st2 = assert(tf.store(db))
for i = 1, 3 do
  local t0 = tf.now()
  assert(assert(tf.tokens.load(dir)):resolve { theme = "all" })
  fresh[i] = tf.now() - t0
  t0 = tf.now()
  local r = assert(assert(tf.tokens.load(dir)):resolve { theme = "all", store = st2 })
  hit[i] = tf.now() - t0
  assert(r:stats().store == "hit")
  collectgarbage()
end
st2:close()
benchlib.line("store_resolve_hit", median(fresh) / median(hit), string.format(
  "load+resolve fresh_s=%.3f from_store_s=%.3f (in process, no output)", median(fresh), median(hit)))

-- 1c. cold vs warm on one large file: a published DTCG set x10 (as in
-- tokens_bench), whole processes. A warm run prints the output the store
-- keeps under the file's bytes; it hashes the file unless the store has
-- seen it as it is (its identity: device, inode, size and times), which it
-- records once the file has stood unchanged for 2 seconds. Both are timed:
-- the settled file, and a fresh copy of it before each run (hashed).
local sets_dir = os.getenv("TOKENSETS_DIR") or "/tmp/tokenflow-tokensets"
local primer = sets_dir .. "/npm/node_modules/dtcg-examples/github-primer.resolver.json"
if io.open(primer, "rb") then
  local file, copy, db2 = work .. "/primer10.json", work .. "/primer10-copy.json", work .. "/primer.db"
  assert(os.execute("node bench/replicate-dtcg.mjs '" .. primer .. "' '" .. file .. "' --copies 10"))
  local function run_file(path, args)
    local t0 = tf.now()
    assert(os.execute("bin/tokenflow resolve '" .. path .. "' --format flat " .. args .. " > /dev/null"))
    return tf.now() - t0
  end
  local first = run_file(file, "--store '" .. db2 .. "'")
  assert(os.execute("sleep 2.1")) -- the file settles: the next run records its identity
  run_file(file, "--store '" .. db2 .. "'")
  local cold2, warm2, hashed = {}, {}, {}
  for i = 1, 5 do
    cold2[i] = run_file(file, "")
    warm2[i] = run_file(file, "--store '" .. db2 .. "'")
    assert(os.execute("cp '" .. file .. "' '" .. copy .. "'"))
    hashed[i] = run_file(copy, "--store '" .. db2 .. "'")
  end
  local c2, w2, h2 = median(cold2), median(warm2), median(hashed)
  benchlib.line("store_warm_start_file", c2 / w2, string.format(
    "one 4.7 MB DTCG file (GitHub Primer x10, 14.7k tokens) cold_s=%.3f first_with_store_s=%.3f warm_s=%.3f target=10",
    c2, first, w2))
  benchlib.line("store_warm_start_file_hashed", c2 / h2, string.format(
    "the same, a fresh copy of the file each run (read and hashed) cold_s=%.3f warm_s=%.3f", c2, h2))
else
  print("skip store_warm_start_file: dtcg-examples not fetched (run bench/fetch-tokensets.sh)")
end

-- 2. lazy loading: one theme's share of files and time
local function resolve_theme(theme)
  local set = assert(tf.tokens.load(dir))
  local t0 = tf.now()
  local r = assert(set:resolve { theme = theme })
  local dt = tf.now() - t0
  assert(r:stats().failed == 0, theme .. ": failures")
  return dt, #set:files_read(), r:stats().tokens
end
local t_all, t_part = {}, {}
local files_all, files_part, tokens_all, tokens_part
for i = 1, 3 do
  t_all[i], files_all, tokens_all = resolve_theme("all")
  t_part[i], files_part, tokens_part = resolve_theme("block1")
  collectgarbage()
end
local ta, tp = median(t_all), median(t_part)
local file_share, time_share = files_part / files_all, tp / ta
benchlib.line("store_lazy_theme", time_share / file_share, string.format(
  "files_read=%d/%d (%.0f%%) tokens=%d/%d time_s=%.3f/%.3f (%.0f%%) target<=1.2",
  files_part, files_all, 100 * file_share, tokens_part, tokens_all, tp, ta, 100 * time_share))

os.execute("rm -rf '" .. work .. "'")

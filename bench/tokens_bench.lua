-- Token engine benchmarks: a synthetic 50k-token set (bench/gen-tokens.lua)
-- and, when fetched (bench/fetch-tokensets.sh), the Designsystemet set; each
-- end to end (load + resolve) against Style Dictionary 5 + sd-transforms on
-- the same input in the same run (node); and a 1000-alias chain.
-- A real published DTCG set at scale (GitHub Primer from dtcg-examples,
-- its light theme merged into one file and replicated 10 times under
-- distinct top-level groups by bench/replicate-dtcg.mjs: ~14.7k tokens,
-- 4.7 MB): `tokenflow resolve FILE --format flat` against Style
-- Dictionary as whole processes (interpreter start-up and output
-- included), and loading alone in MB/s.
-- Ratios: Style Dictionary time / ours (higher is better), or target / ours
-- for the absolute targets. Both sides run cold, each in a fresh process,
-- timed inside the process (interpreter start-up excluded); medians.
local tf = require "tokenflow"
local benchlib = require "benchlib"

local sets_dir = os.getenv("TOKENSETS_DIR") or "/tmp/tokenflow-tokensets"
local npm_dir = sets_dir .. "/npm"
-- this tree's Style Dictionary script, beside the packages it imports
os.execute("cp bench/sd-resolve.mjs '" .. npm_dir .. "/' 2>/dev/null")
local work = os.tmpname()
os.remove(work)
assert(os.execute("mkdir -p '" .. work .. "'"))

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end

-- One cold load + resolve in a fresh process: seconds, tokens, failed,
-- seconds of the load alone.
local function ours_once(path, themes)
  local p = io.popen("lua5.4 bench/tokens_once.lua '" .. path .. "' " .. table.concat(themes or {}, " "))
  local out = p:read("a")
  p:close()
  local s, c, f, l = out:match("^([%d.]+) (%d+) (%d+) ([%d.]+)")
  assert(s, "tokens_once.lua failed: " .. out)
  return tonumber(s), tonumber(c), tonumber(f), tonumber(l)
end

-- One Style Dictionary run, its own timing of load + resolve (node start-up
-- excluded); nil and a reason when it is not installed or fails.
local function peer_once(path, args)
  if not exists(npm_dir .. "/node_modules/style-dictionary/package.json") then
    return nil, "Style Dictionary not installed (run bench/fetch-tokensets.sh)"
  end
  local p = io.popen("cd '" .. npm_dir .. "' && node sd-resolve.mjs '" .. path .. "' " .. (args or "") .. " --time-only 2>/dev/null")
  local out = p:read("a")
  p:close()
  local s = tonumber(out:match('"seconds":([%d.eE+-]+)'))
  if not s then return nil, "Style Dictionary run failed" end
  return s
end

local function median(list)
  table.sort(list)
  return list[(#list + 1) // 2]
end

-- Runs ours and the peer alternately (so machine load hits both alike) and
-- prints medians.
local function compare(name, path, themes, peer_args)
  local mine, loads, theirs, count, failed, why = {}, {}, {}, 0, 0, nil
  for i = 1, 5 do
    mine[i], count, failed, loads[i] = ours_once(path, themes)
    if not why then
      local s, err = peer_once(path, peer_args)
      if s then theirs[#theirs + 1] = s else why = err end
    end
  end
  local t, tl = median(mine), median(loads)
  local details = string.format("ours=%.1fms (load=%.1fms) per_token=%.2fus tokens=%d failed=%d",
    t * 1000, tl * 1000, t / count * 1e6, count, failed)
  if why then
    print(string.format("skip %s_vs_sd: %s; %s", name, why, details))
  else
    local sd = median(theirs)
    benchlib.line(name .. "_vs_sd", sd / t, string.format("%s sd=%.1fms (target >= 20x)", details, sd * 1000))
  end
  return t
end

-- 1. synthetic 50k
local syn = work .. "/synthetic"
assert(os.execute("lua5.4 bench/gen-tokens.lua '" .. syn .. "' 50000"))
local t50 = compare("tokens_50k", syn, nil, "")
benchlib.line("tokens_50k_time", 1.0 / t50, string.format("ours=%.1fms (target < 1000ms)", t50 * 1000))

-- 2. Designsystemet (fetched)
local ds = sets_dir .. "/designsystemet"
if exists(ds .. "/$metadata.json") then
  local themes = { "medium", "brand", "Primary", "Light", "Semantic", "accent", "brand2" }
  local args = {}
  for _, th in ipairs(themes) do args[#args + 1] = "--theme " .. th end
  compare("tokens_designsystemet", ds, themes, table.concat(args, " "))
else
  print("skip tokens_designsystemet: not fetched (run bench/fetch-tokensets.sh)")
end

-- 3. a published DTCG set x10, whole processes, and loading alone
local primer_resolver = npm_dir .. "/node_modules/dtcg-examples/github-primer.resolver.json"
if exists(primer_resolver) then
  local file = work .. "/primer10.json"
  assert(os.execute("node bench/replicate-dtcg.mjs '" .. primer_resolver .. "' '" .. file .. "' --copies 10"))
  local f = assert(io.open(file, "rb"))
  local mb = #f:read("a") / 1e6
  f:close()
  local function whole(cmd)
    local t0 = tf.now()
    assert(os.execute(cmd .. " > /dev/null 2>&1"), cmd)
    return tf.now() - t0
  end
  local mine, theirs, loads, count = {}, {}, {}, 0
  for i = 1, 5 do
    mine[i] = whole("lua5.4 bin/tokenflow resolve '" .. file .. "' --format flat")
    theirs[i] = whole("cd '" .. npm_dir .. "' && node sd-resolve.mjs '" .. file .. "' --dtcg --time-only")
    local _, c, _, l = ours_once(file)
    loads[i], count = l, c
  end
  local t, sd, tl = median(mine), median(theirs), median(loads)
  benchlib.line("tokens_primer10_vs_sd", sd / t, string.format(
    "ours=%.0fms sd=%.0fms (whole processes, tokenflow resolve --format flat) tokens=%d size=%.1fMB (target >= 20x)",
    t * 1000, sd * 1000, count, mb))
  benchlib.line("tokens_primer10_load", mb / tl / 150, string.format(
    "load=%.1fms %.0f MB/s in a fresh process, median of 5 (target >= 150 MB/s)", tl * 1000, mb / tl))
else
  print("skip tokens_primer10: dtcg-examples not fetched (run bench/fetch-tokensets.sh)")
end

-- 4. a 1000-alias chain, resolve only
local chain = { core = { a1 = { value = "4px", type = "spacing" } } }
for i = 2, 1000 do chain.core["a" .. i] = { value = "{a" .. (i - 1) .. "}", type = "spacing" } end
local chain_set = assert(tf.tokens.new(chain))
local tc = benchlib.time(function() assert(chain_set:resolve():get("a1000") == "4px") end, 1, 9)
benchlib.line("tokens_chain_1000", 0.005 / tc, string.format("ours=%.2fms (target < 5ms)", tc * 1000))

os.execute("rm -rf '" .. work .. "'")

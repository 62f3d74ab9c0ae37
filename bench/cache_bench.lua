--- Token cache benchmark: get-or-set with ~90% hits against a tight
-- pure-Lua LRU (bench/lru_baseline.lua, the design of lua-resty-lrucache)
-- and a plain Lua table (no eviction), with single string keys and with
-- 3-name tuple keys (the baselines join the names into one string key with
-- "|", as Lua code would). The hot keys are half the capacity (50,000 at
-- capacity 100,000); tuples draw their names from 15,000 token names of a
-- real set's length, so neither the cache's nor the interner's tables fit
-- in the processor's caches at the large capacity. Then the Lua heap over
-- 10M hits. One line per result: `bench <name> <ratio> <details>`.
local tf = require "tokenflow"
local benchlib = require "benchlib"
local lru = require "lru_baseline"

local OPS = 1000000
local HIT_SHARE = 0.9
local NAMES = 15000 -- token names the tuples draw from
local VALUE = "resolved"

-- names shaped like a real set's ("copy3.functional.color.fg.muted-1234")
local GROUPS = { "base.color", "functional.color.fg", "functional.color.bg", "component.button", "base.size" }
local names = {}
for i = 1, NAMES do
  names[i] = string.format("copy%d.%s.token-%d", i % 10 + 1, GROUPS[i % #GROUPS + 1], i)
end

-- The key population: 90% of the ops draw from `hot` keys (half the
-- capacity, so they stay cached), the others use a fresh key each.
local function make_ops(capacity)
  local hot = capacity // 2
  local ops, cold = {}, hot
  math.randomseed(42)
  for i = 1, OPS do
    if math.random() < HIT_SHARE then
      ops[i] = math.random(hot)
    else
      cold = cold + 1
      ops[i] = cold
    end
  end
  return ops, cold
end

local function string_keys(count)
  local keys = {}
  for i = 1, count do keys[i] = "token.combination." .. i end
  return keys
end

-- Distinct tuples of three names each, drawn deterministically.
local function tuple_keys(count)
  local keys, seen = {}, {}
  local x = 12345
  local function draw()
    x = (x * 1103515245 + 12345) % 2147483648
    return names[x % NAMES + 1]
  end
  local i = 0
  while i < count do
    local t = { draw(), draw(), draw() }
    local joined = t[1] .. "|" .. t[2] .. "|" .. t[3]
    if not seen[joined] then
      seen[joined] = true
      i = i + 1
      keys[i] = t
    end
  end
  return keys
end

-- Each loop runs n ops over the sequence: get, and set on a miss. The
-- loops are generated from one template so every implementation runs the
-- same code apart from its key expression and its get/set, with no extra
-- closure call per op.
local LOOP = [==[
local ops, keys, impl, VALUE = ...
local get, set = impl.get, impl.set
return function(n)
  local nops = #ops
  for i = 1, n do
    local key = keys[ops[(i - 1) %% nops + 1]]
    local k = %s
    %s
  end
end
]==]
local KEY_AS_IS = "key"
local KEY_CONCAT = 'key[1] .. "|" .. key[2] .. "|" .. key[3]'
local METHOD_GET_SET = "if get(impl, k) == nil then set(impl, k, VALUE) end"
local INDEX_GET_SET = "if impl[k] == nil then impl[k] = VALUE end"

local function make_loop(key_expr, get_set, ops, keys, impl)
  local chunk = assert(load(string.format(LOOP, key_expr, get_set), "=loop", "t", {}))
  return chunk(ops, keys, impl, VALUE)
end

-- Ops per second of each loop (median of ROUNDS). The rounds of the
-- implementations are interleaved, so a slow spell of the machine hits
-- them all alike.
local ROUNDS = 5
local function rates(loops)
  local samples = {}
  for i = 1, #loops do samples[i] = {} end
  for r = 1, ROUNDS do
    for i, loop in ipairs(loops) do samples[i][r] = benchlib.time(loop, OPS, 1) end
  end
  local out = {}
  for i, s in ipairs(samples) do
    table.sort(s)
    out[i] = OPS / s[(ROUNDS + 1) // 2]
  end
  return table.unpack(out)
end

local function bench_case(kind, capacity)
  local ops, nkeys = make_ops(capacity)
  local keys = kind == "tuple" and tuple_keys(nkeys) or string_keys(nkeys)
  local string_key = kind == "tuple" and KEY_CONCAT or KEY_AS_IS

  local cache = tf.cache { capacity = capacity, names = tf.interner() }
  local cache_rate, lru_rate, table_rate = rates {
    make_loop(KEY_AS_IS, METHOD_GET_SET, ops, keys, cache),
    make_loop(string_key, METHOD_GET_SET, ops, keys, lru.new(capacity)),
    make_loop(string_key, INDEX_GET_SET, ops, keys, {}),
  }
  local stats = cache:stats()

  local suffix = kind .. "_" .. capacity
  local details = string.format("cache=%.0f ops/s hit_rate=%.3f", cache_rate, stats.hit_rate)
  benchlib.line("cache_vs_lru_" .. suffix, cache_rate / lru_rate,
    string.format("%s lru=%.0f ops/s (target >= 2)", details, lru_rate))
  benchlib.line("cache_vs_table_" .. suffix, cache_rate / table_rate,
    string.format("%s table=%.0f ops/s (target >= 0.5)", details, table_rate))
  cache:close()
end

-- The Lua heap across 10M hits, with the collector stopped so any garbage
-- a hit made would show.
local function bench_heap()
  local HITS = 10000000
  local cache = tf.cache { capacity = 1000, names = tf.interner() }
  local tuple, str = { names[1], names[2], names[3] }, "colors.primary"
  cache:set(tuple, VALUE)
  cache:set(str, VALUE)
  local get = cache.get
  for _ = 1, 1000 do get(cache, tuple) end
  local before = benchlib.heap()
  collectgarbage("stop")
  local t0 = tf.now()
  for _ = 1, HITS // 2 do
    get(cache, tuple)
    get(cache, str)
  end
  local seconds = tf.now() - t0
  local growth = math.floor(collectgarbage("count") * 1024) - before
  collectgarbage("restart")
  benchlib.line("cache_heap_10M_hits", growth / HITS,
    string.format("growth=%d bytes over %d hits (%.0f hits/s, 3-name tuple and string keys)", growth, HITS, HITS / seconds))
  cache:close()
end

for _, kind in ipairs { "string", "tuple" } do
  for _, capacity in ipairs { 1000, 100000 } do bench_case(kind, capacity) end
end
bench_heap()

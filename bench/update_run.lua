-- One run of the update benchmark, in its own process (bench/update_bench.lua
-- starts one per variant): generates the same document (examples/gen-doc.lua,
-- seed 1), resolves examples/tokens/demo (light), runs one variant and prints
-- one JSON line with its figures. Every variant writes the same values with
-- the same writer (tf.figma.writer); sampled nodes are checked against map +
-- write of their own token map.
--
--   lua5.4 bench/update_run.lua floor|naive|update|switch|responsive NODES
--
-- floor       a plain loop over the tree (explicit stack): for each node, the
--             plan pieces pre-resolved per (property, token name) before the
--             loop are gathered into one plan (composition, typography and
--             border first, as map orders them) and written. No resolution,
--             no chunks.
-- naive       the per-node design: collect every node into a list, decode each
--             node's token names (JSON), resolve each property's token again
--             from the raw definitions (alias chains, math, colours; no cache),
--             convert, keep the plan of every node, then write them all.
-- update      tf.update, streaming, auto chunk size, from the main thread.
-- switch      tf.update on light, then 5% of the tokens edited: job:rerun with
--             the changed names against a full reapply of the edited set
--             (a new job); three rounds of each back to back, medians.
-- responsive  tf.update inside a coroutine with budget_ms = 8; the time of
--             every resume (the work between two yields) is recorded.
local here = debug.getinfo(1, "S").source:match("^@(.*)/bench/[^/]*$") or "."
package.path = here .. "/lua/?.lua;" .. here .. "/lua/?/init.lua;" .. here .. "/bench/?.lua;" .. package.path
package.cpath = here .. "/build/?.so;" .. package.cpath

local tf = require "tokenflow"
local cjson = require "cjson"
local gen = dofile(here .. "/examples/gen-doc.lua")
local figma = tf.figma
local read = require "tokenflow.apply.read"

local variant, N = arg[1], math.tointeger(tonumber(arg[2] or "100000"))
-- The collector mode every variant runs in: the standalone interpreter
-- starts in generational mode, a host embedding Lua (luaL_newstate) in
-- incremental mode. UPDATE_BENCH_GC=incremental|generational (default:
-- the interpreter's own mode) sets it before anything is built.
local EDIT = os.getenv("UPDATE_BENCH_EDIT") or "semantic"
assert(EDIT == "semantic" or EDIT == "core", "UPDATE_BENCH_EDIT: semantic or core")
local GC_MODE = os.getenv("UPDATE_BENCH_GC")
if GC_MODE and GC_MODE ~= "" then
  assert(GC_MODE == "incremental" or GC_MODE == "generational", "UPDATE_BENCH_GC: incremental or generational")
  collectgarbage(GC_MODE)
end
assert(variant and N, "usage: update_run.lua VARIANT NODES")
local TOKENS = here .. "/examples/tokens/demo"

local function cpu() return os.clock() end
local function peak_kb() local _, _, _, peak = tf.core.sys_usage() return peak // 1024 end
local function rss_kb() local _, _, rss = tf.core.sys_usage() return rss // 1024 end

local file = gen.document { nodes = N, seed = 1 }
local root = file.document
local set = assert(tf.tokens.load(TOKENS))
local light = assert(set:resolve { theme = "light" })
local write = figma.writer { base_font_size = 16 }

-- Sampled nodes, copied before the run, for checking what was written.
local function copy(v)
  if type(v) ~= "table" then return v end
  local out = {}
  for k, x in pairs(v) do if k ~= "children" then out[k] = copy(x) end end
  return out
end
local samples = {}
do
  local every, i, stack = math.max(1, N // 200), 0, { root }
  while #stack > 0 do
    local node = table.remove(stack)
    i = i + 1
    if i % every == 0 then samples[#samples + 1] = { node = node, before = copy(node) } end
    local c = node.children
    if c then for k = #c, 1, -1 do stack[#stack + 1] = c[k] end end
  end
end

local function same(a, b)
  if type(a) == "number" and type(b) == "number" then return math.abs(a - b) < 1e-9 end
  if type(a) ~= "table" or type(b) ~= "table" then return a == b end
  for k, v in pairs(a) do if k ~= "children" and not same(v, b[k]) then return false end end
  for k in pairs(b) do if k ~= "children" and a[k] == nil then return false end end
  return true
end

-- Sampled nodes whose fields equal map + write of their own token map.
local function verify(resolved)
  local ok = 0
  for _, s in ipairs(samples) do
    local expect = copy(s.before)
    local tokens = figma.read(expect)
    local plan = tokens and next(tokens) and figma.map(tokens, resolved)
    if plan then write(expect, plan) end
    if same(expect, s.node) then ok = ok + 1 end
  end
  return ok
end

local result = { variant = variant, nodes = N }

-- Each phase starts after a full collection. The first allocations after
-- one pay for what it freed (35 to 110 ms here at 100k nodes, in the
-- allocator and the collector, before anything of the phase runs): a few
-- allocations before the clock starts keep that cost with the collection,
-- the same for every variant.
local function phase(fn)
  collectgarbage("collect")
  do
    local warm = {} -- luacheck: ignore 241 (allocates, and that is all)
    for i = 1, 256 do warm[i] = { i } end
  end
  local c0, w0 = cpu(), tf.now()
  fn()
  return cpu() - c0, tf.now() - w0
end

local runs = {}
local alive -- the job, kept reachable until the live heap is measured

function runs.floor()
  -- pre-resolved before the loop: one plan piece per (property, stored name)
  local pre = {}
  for _, list in pairs(gen.catalog(1)) do
    for _, map in ipairs(list) do
      for prop, stored in pairs(map) do
        pre[prop] = pre[prop] or {}
        if not pre[prop][stored] then
          pre[prop][stored] = assert(figma.map({ [prop] = stored }, light))
        end
      end
    end
  end
  local FIRST = { "composition", "typography", "border" }
  local IS_FIRST = { composition = true, typography = true, border = true }
  local written = 0
  result.phase_cpu_s, result.phase_wall_s = phase(function()
    local plan, stack, top = {}, { root }, 1
    while top > 0 do
      local node = stack[top]
      stack[top] = nil
      top = top - 1
      local data = node.sharedPluginData
      local tokens = data and data.tokens
      if tokens then
        local n = 0
        -- properties other properties override go first (map orders them so)
        for k = 1, #FIRST do
          local stored = tokens[FIRST[k]]
          if stored then
            local piece = pre[FIRST[k]][stored]
            for i = 1, #piece do n = n + 1; plan[n] = piece[i] end
          end
        end
        for prop, stored in pairs(tokens) do
          if not IS_FIRST[prop] then
            local piece = pre[prop][stored]
            for i = 1, #piece do n = n + 1; plan[n] = piece[i] end
          end
        end
        for i = n + 1, #plan do plan[i] = nil end
        if n > 0 and write(node, plan) > 0 then written = written + 1 end
      end
      local c = node.children
      if c then for i = #c, 1, -1 do top = top + 1; stack[top] = c[i] end end
    end
  end)
  result.written = written
end

function runs.naive()
  local naive = require "update_naive"
  local resolver = naive.resolver(light._tokens)
  local decode = cjson.decode
  local written = 0
  result.phase_cpu_s, result.phase_wall_s = phase(function()
    local nodes, stack = {}, { root }
    while #stack > 0 do -- collect every node first
      local node = table.remove(stack)
      nodes[#nodes + 1] = node
      local c = node.children
      if c then for i = #c, 1, -1 do stack[#stack + 1] = c[i] end end
    end
    local plans = {}
    for i, node in ipairs(nodes) do
      local data = node.sharedPluginData
      local stored = data and data.tokens
      if stored and next(stored) then
        local names = {}
        for prop, text in pairs(stored) do names[prop] = decode(text) end
        plans[i] = assert(figma.map(names, resolver))
      end
    end
    for i, node in ipairs(nodes) do
      local plan = plans[i]
      if plan and write(node, plan) > 0 then written = written + 1 end
    end
    result.held_rss_kb = rss_kb()
  end)
  result.written = written
end

local function new_job(opts)
  local o = {
    tokens = light, source = tf.walk(root, gen.children), total = N,
    read = read.stored, write = write, mode = "streaming", chunk = { size = "auto", budget_ms = 8 },
  }
  for k, v in pairs(opts or {}) do o[k] = v end
  return tf.update(o)
end

function runs.update()
  local job
  result.phase_cpu_s, result.phase_wall_s = phase(function()
    job = new_job()
    job:run()
  end)
  alive = job
  local r = job:report()
  result.written, result.failed, result.chunks = r.written, r.failed, r.chunks
  result.combinations, result.hit_rate = r.combinations, r.cache and r.cache.hit_rate
  result.lua_kb_peak = r.memory and r.memory.lua_kb_peak
end

-- The light set with 5% of its tokens (15 of 295) edited.
-- UPDATE_BENCH_EDIT=semantic (default), a theme edit: among the light
-- theme's own tokens (set semantic/light) that name a palette colour
-- ({color.blue.50}; 45 of its 59 tokens), every third by name is pointed at
-- the next step of its palette (50 -> 100, ..., 950 -> 900).
-- UPDATE_BENCH_EDIT=core: every 20th token by name whose raw value is a hex
-- colour or a plain number gets a new value (mostly core palette and scale
-- tokens, which fan out through every alias that names them).
local function edited_set()
  local function read_json(path)
    local f = assert(io.open(path, "rb"))
    local t = cjson.decode(f:read("a"))
    f:close()
    return t
  end
  local meta = read_json(TOKENS .. "/$metadata.json")
  local single = { ["$metadata"] = meta, ["$themes"] = read_json(TOKENS .. "/$themes.json") }
  for _, name in ipairs(meta.tokenSetOrder) do single[name] = read_json(TOKENS .. "/" .. name .. ".json") end
  local names = {}
  for name in pairs(light._tokens) do names[#names + 1] = name end
  table.sort(names)
  local target = math.max(1, math.floor(#names * 0.05 + 0.5))
  local edited = {}
  local function find(tree, segs)
    for _, s in ipairs(segs) do
      if type(tree) ~= "table" then return nil end
      tree = tree[s]
    end
    return tree
  end
  local STEPS = { "50", "100", "200", "300", "400", "500", "600", "700", "800", "900", "950" }
  local NEXT = {}
  for i, st in ipairs(STEPS) do NEXT[st] = STEPS[i + 1] or STEPS[i - 1] end
  if EDIT == "semantic" then
    -- a theme edit: the light theme's own tokens that name a palette colour
    -- ({color.blue.50}) are pointed at the next step of the same palette
    local theme, candidates = single["semantic/light"], {}
    local function walk(t, path)
      if type(t) ~= "table" then return end
      if t.value ~= nil then
        local v = t.value
        if type(v) == "string" and v:match("^{color%.[%w-]+%.%d+}$") then candidates[#candidates + 1] = { path, t } end
        return
      end
      for k, x in pairs(t) do walk(x, path == "" and k or path .. "." .. k) end
    end
    walk(theme, "")
    table.sort(candidates, function(a, b) return a[1] < b[1] end)
    local every = math.max(1, #candidates // target)
    for i = 1, #candidates do
      if #edited >= target then break end
      if i % every == 0 then
        local tok = candidates[i][2]
        local pal, step = tok.value:match("^{(color%.[%w-]+)%.(%d+)}$")
        tok.value = "{" .. pal .. "." .. NEXT[step] .. "}"
        edited[#edited + 1] = candidates[i][1]
      end
    end
  end
  for i = 1, #names do
    if EDIT == "semantic" or #edited >= target then break end
    if i % 20 == 0 or (#names - i) < (target - #edited) * 20 then
      local segs = {}
      for s in names[i]:gmatch("[^.]+") do segs[#segs + 1] = s end
      for _, setname in ipairs(meta.tokenSetOrder) do
        local tok = find(single[setname], segs)
        if type(tok) == "table" and type(tok.value) == "string" then
          local v = tok.value
          if v:match("^#%x%x%x%x%x%x$") then
            tok.value = string.format("#%06x", (tonumber(v:sub(2), 16) + 0x101010) % 0x1000000)
            edited[#edited + 1] = names[i]
            break
          elseif tonumber(v) then
            tok.value = tostring(tonumber(v) + 1)
            edited[#edited + 1] = names[i]
            break
          end
        end
      end
    end
  end
  local s2 = assert(tf.tokens.new(single, { format = "tokens-studio", name = "demo (edited)" }))
  return assert(s2:resolve { theme = "light" }), edited, #names
end

-- Three rounds of each, the median reported: a rerun takes about a tenth
-- of a full reapply, so one slow moment of a shared machine moves it most.
-- The rounds run back to back with no full collection between them, after
-- one unmeasured round: each pays for the garbage of the one before, as a
-- host switching themes again and again does. (Right after a full
-- collection the allocator first reuses what it freed, 10-50 ms here at
-- 100k nodes, which would land on whichever phase allocates first.)
local ROUNDS = 3
local function median(list)
  local t = table.move(list, 1, #list, 1, {})
  table.sort(t)
  return t[(#t + 1) // 2]
end

local function timed(fn)
  local c0 = cpu()
  fn()
  return cpu() - c0
end

function runs.switch()
  local job = new_job()
  job:run()
  local edited_resolved, edited, ntokens = edited_set()
  local changed = light:diff(edited_resolved)
  local back = edited_resolved:diff(light)
  result.tokens, result.edited, result.changed = ntokens, #edited, #changed
  local reruns, fulls = {}, {}
  collectgarbage("collect")
  for round = 0, ROUNDS do
    -- the document holds the light values again before each rerun
    if round > 0 then job:rerun { changed = back, tokens = light } end
    local report
    local t = timed(function()
      job:rerun { changed = changed, tokens = edited_resolved }
      report = job:report()
    end)
    if round > 0 then reruns[round] = t end
    result.changed_written = report.written
  end
  for round = 0, ROUNDS do
    local full
    local t = timed(function()
      full = new_job { tokens = edited_resolved }
      full:run()
    end)
    if round > 0 then fulls[round] = t end
    result.full_written = full:report().written
    full:close()
  end
  result.changed_cpu_s, result.full_cpu_s = median(reruns), median(fulls)
  result.changed_rounds_s, result.full_rounds_s = reruns, fulls
  result.phase_cpu_s = result.changed_cpu_s
  light = edited_resolved -- verify against the edited set
end

function runs.responsive()
  local gaps, cpu_gaps = {}, {}
  result.phase_cpu_s, result.phase_wall_s = phase(function()
    local job = new_job { chunk = { size = "auto", budget_ms = 8 } }
    local co = coroutine.create(function() job:run() end)
    while coroutine.status(co) ~= "dead" do
      local c0, t0 = cpu(), tf.now()
      assert(coroutine.resume(co))
      gaps[#gaps + 1] = tf.now() - t0
      cpu_gaps[#cpu_gaps + 1] = cpu() - c0 -- the process's own CPU: without the time other processes took
    end
    result.written = job:report().written
  end)
  table.sort(gaps)
  local function q(p) return gaps[math.max(1, math.ceil(#gaps * p))] end
  result.yields = #gaps - 1
  result.p50_ms, result.p99_ms, result.max_ms = q(0.5) * 1000, q(0.99) * 1000, gaps[#gaps] * 1000
  table.sort(cpu_gaps)
  result.cpu_p99_ms = cpu_gaps[math.max(1, math.ceil(#cpu_gaps * 0.99))] * 1000
  result.cpu_max_ms = cpu_gaps[#cpu_gaps] * 1000
end

assert(runs[variant], "unknown variant " .. tostring(variant))
runs[variant]()
collectgarbage("collect")
result.live_kb = math.floor(collectgarbage("count")) -- what stays reachable: document, written values, job
result.job_engine_bytes = alive and alive:report().memory.engine_bytes or nil
result.verified, result.sampled = verify(light), #samples
result.cpu_total_s = cpu()
result.peak_rss_kb = peak_kb()
print(cjson.encode(result))

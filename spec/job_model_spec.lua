-- tf.update against a plain Lua model of the same rules, on random
-- documents: decoding as tokenflow.apply.read does, all-or-nothing nodes,
-- one mapping per combination, and reruns from the index.
local tf = require "tokenflow"
local read = require "tokenflow.apply.read"
local plain_map = require("tokenflow.job").plain_map

local resolved = assert(assert(tf.tokens.new { core = {
  c = { a = { value = "#111111", type = "color" }, b = { value = "{c.a}", type = "color" }, d = { value = "#222222", type = "color" } },
  s = { x = { value = "2", type = "spacing" }, y = { value = "{s.x} * 3", type = "spacing" } },
  bad = { value = "{nowhere}", type = "color" },
} }):resolve {})

local NAMES = { "c.a", "c.b", "c.d", "s.x", "s.y", "bad", "missing", "none" }
local PROPS = { "fill", "itemSpacing", "opacity", "borderColor" }

-- A seeded generator (the same documents every run).
local function lcg(seed)
  return function(n)
    seed = (seed * 1103515245 + 12345) % 2147483648
    return seed % n + 1
  end
end

-- A stored value: plain, JSON-quoted, JSON with an escape, empty, broken, or not a string.
local function stored(rand)
  local name = NAMES[rand(#NAMES)]
  local form = rand(12)
  if form <= 5 then return name end
  if form <= 9 then return '"' .. name .. '"' end
  if form == 10 then return '"' .. name:gsub("%.", "\\u002e") .. '"' end
  if form == 11 then return rand(2) == 1 and "" or '""' end
  return rand(2) == 1 and '"' .. name or 7
end

local function document(seed, n)
  local rand, nodes = lcg(seed), {}
  for i = 1, n do
    local tokens
    if rand(8) > 1 then
      tokens = {}
      for _, p in ipairs(PROPS) do
        if rand(3) == 1 then tokens[p] = stored(rand) end
      end
    end
    nodes[i] = { id = i, tokens = tokens }
  end
  return nodes
end

-- The model: what each node should get, or false (failed) / nil (nothing to write).
local function model(nodes)
  local out = {}
  for i, node in ipairs(nodes) do
    local map, bad, any = {}, false, false
    for k, v in pairs(node.tokens or {}) do
      local name, err = read.token_name(v)
      if err then bad = true elseif name then map[k] = name; any = true end
    end
    if bad then
      out[i] = false
    elseif any then
      local plan = plain_map(map, resolved)
      out[i] = plan or false
    end
  end
  return out
end

describe("tf.update model check", function()
  for seed = 1, 6 do
    it("matches the model on random document " .. seed, function()
      local nodes = document(seed, 400)
      local expect = model(nodes)
      local drives = { "plain", "step", "coroutine" }
      local drive = drives[seed % 3 + 1]
      local got, writes, maps = {}, 0, 0
      local job = tf.update {
        tokens = resolved, source = nodes, mode = "streaming", chunk = { size = seed * 7 },
        write = function(node, plan) writes = writes + 1; assert(got[node.id] == nil, "written twice"); got[node.id] = plan end,
        map = function(m, r) maps = maps + 1; return plain_map(m, r) end,
      }
      if drive == "plain" then
        job:run()
      elseif drive == "step" then
        while job:step() do end
      else
        local co = coroutine.wrap(function() job:run(); return "end" end)
        repeat until co() == "end"
      end
      local report = job:report()
      local want_written, want_failed = 0, 0
      for i = 1, #nodes do
        if expect[i] then
          want_written = want_written + 1
          assert.same(expect[i], got[i], "node " .. i)
        else
          assert.is_nil(got[i], "node " .. i)
          if expect[i] == false then want_failed = want_failed + 1 end
        end
      end
      assert.equal(want_written, report.written)
      assert.equal(want_failed, report.failed)
      assert.equal(#nodes - want_written - want_failed, report.skipped)
      assert.equal(report.combinations, maps)
      assert.equal(maps, report.cache.misses)

      -- rerun: exactly the written nodes whose map uses c.a (directly or through c.b)
      got, writes = {}, 0
      local rerun = job:rerun { changed = { "c.a" } }
      local uses = 0
      for i, node in ipairs(nodes) do
        if expect[i] then
          local hit = false
          for _, v in pairs(node.tokens) do
            local name = read.token_name(v)
            if name == "c.a" or name == "c.b" then hit = true end
          end
          if hit then
            uses = uses + 1
            assert.same(expect[i], got[i], "rerun node " .. i)
          else
            assert.is_nil(got[i], "rerun node " .. i)
          end
        end
      end
      assert.equal(uses, writes)
      assert.equal(uses, rerun.written)
      assert.is_true(want_failed > 0 and want_written > 0 and uses > 0)
    end)
  end
end)

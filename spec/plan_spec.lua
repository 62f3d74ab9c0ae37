local tf = require "tokenflow"
local plan = require "tokenflow.plan"

describe("tf.plan", function()
  it("picks the mode by node count", function()
    assert.are.equal("direct", tf.plan(0).mode)
    assert.are.equal("direct", tf.plan(999).mode)
    assert.are.equal("batched", tf.plan(1000).mode)
    assert.are.equal("batched", tf.plan(10000).mode)
    assert.are.equal("streaming", tf.plan(10001).mode)
    assert.are.equal("streaming", tf.plan(nil).mode)
  end)

  it("says whether to chunk, yield and step the GC", function()
    local d, b, s = tf.plan(10), tf.plan(5000), tf.plan(50000)
    assert.are.same({ false, false, false }, { d.chunked, d.yields, d.gc_step })
    assert.are.same({ true, false, false }, { b.chunked, b.yields, b.gc_step })
    assert.are.same({ true, true, true }, { s.chunked, s.yields, s.gc_step })
  end)

  it("picks the display profile by node count", function()
    local function name(n) return tf.plan(n).profile.name end
    assert.are.equal("beauty", name(999))
    assert.are.equal("balanced", name(1000))
    assert.are.equal("balanced", name(4999))
    assert.are.equal("high-performance", name(5000))
    assert.are.equal("high-performance", name(9999))
    assert.are.equal("enterprise", name(10000))
    assert.are.equal("enterprise", name(nil))
  end)

  it("gives each profile's settings as fields", function()
    local beauty = tf.plan(10).profile
    assert.are.same({ true, false, 60 }, { beauty.animate, beauty.virtualize, beauty.target_fps })
    local hp = tf.plan(6000).profile
    assert.are.same({ false, true, 30, 2000 }, { hp.animate, hp.virtualize, hp.target_fps, hp.max_viewport_nodes })
    local ent = tf.plan(1e6 // 1).profile
    assert.are.same({ false, true, true, true }, { ent.animate, ent.virtualize, ent.batch_updates, ent.monitor })
    assert.is_number(ent.chunk_budget_ms)
    assert.is_nil(ent.below)
  end)

  it("returns a copy: changing it leaves the defaults alone", function()
    tf.plan(10).profile.target_fps = 1
    assert.are.equal(60, tf.plan(10).profile.target_fps)
  end)

  it("takes thresholds and profiles from opts", function()
    assert.are.equal("batched", tf.plan(50, { direct_max = 10, stream_min = 100 }).mode)
    assert.are.equal("streaming", tf.plan(101, { direct_max = 10, stream_min = 100 }).mode)
    local p = tf.plan(3, { profiles = { { name = "tiny", below = 5, target_fps = 120 }, { name = "big" } } })
    assert.are.equal("tiny", p.profile.name)
    assert.are.equal(120, p.profile.target_fps)
    assert.are.equal("big", tf.plan(5, { profiles = { { name = "tiny", below = 5 }, { name = "big" } } }).profile.name)
  end)

  it("takes thresholds from the environment when opts leave them out", function()
    local getenv = os.getenv
    local env = { TOKENFLOW_DIRECT_MAX = "5", TOKENFLOW_STREAM_MIN = "20" }
    os.getenv = function(k) return env[k] end -- luacheck: ignore 122 (restored below)
    local ok, err = pcall(function()
      assert.are.equal("batched", plan.plan(6).mode)
      assert.are.equal("streaming", plan.plan(21).mode)
      assert.are.equal("direct", plan.plan(6, { direct_max = 7 }).mode)
      env.TOKENFLOW_DIRECT_MAX = "lots"
      assert.has_error(function() plan.plan(6) end, 'TOKENFLOW_DIRECT_MAX must be a non-negative integer, got "lots"')
    end)
    os.getenv = getenv -- luacheck: ignore 122
    assert(ok, err)
  end)

  it("rejects bad input", function()
    assert.has_error(function() tf.plan(-1) end, "bad argument #1 to 'plan' (node count must be a non-negative integer or nil)")
    assert.has_error(function() tf.plan(1.5) end, "bad argument #1 to 'plan' (node count must be a non-negative integer or nil)")
    assert.has_error(function() tf.plan("10") end, "bad argument #1 to 'plan' (node count must be a non-negative integer or nil)")
    assert.has_error(function() tf.plan(10, 3) end, "bad argument #2 to 'plan' (table expected, got number)")
    assert.has_error(function() tf.plan(10, { direct_max = -2 }) end,
      "bad argument #2 to 'plan' (direct_max must be a non-negative integer)")
    assert.has_error(function() tf.plan(10, { direct_max = 100, stream_min = 10 }) end,
      "bad argument #2 to 'plan' (stream_min (10) must be at least direct_max (100))")
  end)

  it("drives tf.chunks the same way in all three host modes", function()
    local nodes = {}
    for i = 1, 25 do nodes[i] = i end
    local function process(count_yields)
      local p = tf.plan(#nodes, { direct_max = 5, stream_min = 10 })
      local seen = 0
      for chunk in tf.chunks(nodes, { size = 10, mode = p.yields and "streaming" or "batched" }) do
        seen = seen + #chunk
      end
      return seen, count_yields
    end
    assert.are.equal(25, (process()))
    local co = coroutine.create(process)
    local yields = 0
    local ok, seen = coroutine.resume(co)
    while coroutine.status(co) ~= "dead" do
      yields = yields + 1
      ok, seen = coroutine.resume(co)
    end
    assert.is_true(ok)
    assert.are.equal(25, seen)
    assert.are.equal(2, yields)
  end)
end)

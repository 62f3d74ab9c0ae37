local tf = require "tokenflow"

-- The three ways a host drives a pool: straight through, from inside a
-- coroutine, and a frame loop calling step.
local drivers = {
  main = function(pool) return pool:run() end,
  coroutine = function(pool)
    local co = coroutine.create(function() return pool:run() end)
    local ok, parked = coroutine.resume(co)
    assert(ok, parked)
    assert.are.equal("dead", coroutine.status(co))
    return parked
  end,
  step = function(pool)
    while not pool:stats().closed and pool:step(0.001) > 0 do end
    return pool:stats().parked
  end,
}

for name, drive in pairs(drivers) do
  describe("tf.pool (" .. name .. ")", function()
    it("runs tasks with their args and records results", function()
      local pool = tf.pool { concurrency = 3, capacity = 10 }
      local t1 = pool:submit(function(a, b) return a + b end, { args = { 2, 3 } })
      local t2 = pool:submit(function() return 1, nil, 3 end)
      local t3 = pool:submit(function() end)
      assert.are.equal("queued", t1:status())
      assert.are.equal(0, drive(pool))
      assert.are.equal("done", t1:status())
      assert.are.same({ true, 5 }, { t1:result() })
      assert.are.same({ true, 1, nil, 3 }, table.pack(t2:result()) and { t2:result() })
      assert.are.equal(4, select("#", t2:result()))
      assert.are.same({ true }, { t3:result() })
      local s = pool:stats()
      assert.are.equal(3, s.done)
      assert.are.equal(0, s.queued)
      assert.are.equal(3, s.max_queued)
    end)

    it("runs high before normal before low, FIFO within a priority", function()
      local pool = tf.pool { concurrency = 1, capacity = 10 }
      local order = {}
      for i, p in ipairs { "low", "normal", "high", "low", "high", "normal" } do
        pool:submit(function() order[#order + 1] = p .. i end, { priority = p })
      end
      drive(pool)
      assert.are.same({ "high3", "high5", "normal2", "normal6", "low1", "low4" }, order)
    end)

    it("never has more than concurrency tasks holding a worker", function()
      local pool = tf.pool { concurrency = 3, capacity = 20 }
      local active, peak = 0, 0
      for _ = 1, 10 do
        pool:submit(function()
          active = active + 1
          peak = math.max(peak, active)
          coroutine.yield()
          active = active - 1
        end)
      end
      local rounds = 0
      while drive(pool) > 0 do
        rounds = rounds + 1
        for _, task in ipairs(pool:parked()) do pool:wake(task) end
      end
      assert.are.equal(3, peak)
      assert.are.equal(4, rounds)
      assert.are.equal(10, pool:stats().done)
      assert.are.equal(3, pool:stats().workers)
    end)

    it("parks a yielding task and resumes it with wake's values", function()
      local pool = tf.pool { concurrency = 2, capacity = 4 }
      local parked_with
      local t = pool:submit(function(x)
        local font = coroutine.yield("load font", x)
        return font .. "!"
      end, { args = { "Inter" }, on_park = function(task, ...) parked_with = { task, ... } end })
      assert.are.equal(1, drive(pool))
      assert.are.equal("parked", t:status())
      assert.are.same({ t, "load font", "Inter" }, parked_with)
      assert.are.same({ "load font", "Inter" }, { t:yielded() })
      assert.are.same({ t }, pool:parked())
      assert.is_true(pool:wake(t, "Inter-Bold"))
      assert.are.same({ nil, "task already woken" }, { pool:wake(t, "again") })
      assert.are.equal(0, drive(pool))
      assert.are.same({ true, "Inter-Bold!" }, { t:result() })
      assert.are.same({ nil, "task is done, not parked" }, { pool:wake(t) })
    end)

    it("retries a failing task with backoff, then records the failure", function()
      local pool = tf.pool { concurrency = 2, capacity = 4, seed = 7 }
      local calls = 0
      local t = pool:submit(function()
        calls = calls + 1
        error("flaky " .. calls, 0)
      end, { retries = 2, backoff = 0.001 })
      local ok_calls = 0
      local t2 = pool:submit(function()
        ok_calls = ok_calls + 1
        if ok_calls < 2 then error("once") end
        return "ok"
      end, { retries = 3, backoff = 0.001 })
      if name == "step" then
        while t:status() ~= "failed" or t2:status() ~= "done" do pool:step() end
      else
        drive(pool)
      end
      assert.are.equal(3, calls)
      assert.are.equal("failed", t:status())
      local res, msg, trace = t:result()
      assert.is_nil(res)
      assert.are.equal("flaky 3", msg)
      assert.matches("stack traceback", trace)
      assert.are.same({ true, "ok" }, { t2:result() })
      local s = pool:stats()
      assert.are.equal(3, s.retried)
      assert.are.equal(1, s.failed)
      assert.are.equal(1, s.done)
      assert.matches("failed after 3 attempts: flaky 3", tostring(t))
    end)

    it("ends a parked task with \"timeout\" and runs its to-be-closed variables", function()
      local pool = tf.pool { concurrency = 1, capacity = 4 }
      local closed = false
      local t = pool:submit(function()
        local guard <close> = setmetatable({}, { __close = function() closed = true end })
        coroutine.yield("waiting")
        error("never resumed")
      end, { timeout = 0.005 })
      local after = pool:submit(function() return "next" end)
      if name == "step" then
        while t:status() ~= "timeout" or after:status() ~= "done" do pool:step() end
      else
        assert.are.equal(0, drive(pool))
      end
      assert.are.equal("timeout", t:status())
      assert.are.same({ nil, "timeout" }, { t:result() })
      assert.is_true(closed)
      assert.are.equal("done", after:status())
      assert.are.equal(1, pool:stats().timed_out)
      assert.are.same({ nil, "task is timeout, not parked" }, { pool:wake(t) })
    end)

    it("cancels: queued tasks never start, parked ones close", function()
      local pool = tf.pool { concurrency = 1, capacity = 4 }
      local ran, closed = {}, false
      local parked = pool:submit(function()
        local guard <close> = setmetatable({}, { __close = function() closed = true end })
        ran[#ran + 1] = "parked"
        coroutine.yield()
        ran[#ran + 1] = "resumed"
      end)
      local queued = pool:submit(function() ran[#ran + 1] = "queued" end)
      drive(pool)
      assert.are.equal("parked", parked:status())
      assert.are.equal("queued", queued:status()) -- the only worker is parked
      assert.is_true(queued:cancel())
      assert.is_true(parked:cancel())
      assert.is_false(parked:cancel())
      assert.is_true(closed)
      drive(pool)
      assert.are.same({ "parked" }, ran)
      assert.are.equal("cancelled", queued:status())
      assert.are.same({ nil, "cancelled" }, { queued:result() })
      assert.are.equal(2, pool:stats().cancelled)
    end)

    it("survives cancel, wake and close called from a closing task's handlers", function()
      local pool = tf.pool { concurrency = 2, capacity = 4 }
      local t
      local seen
      t = pool:submit(function()
        local guard <close> = setmetatable({}, { __close = function()
          seen = { t:status(), t:cancel(), pool:wake(t) }
          pool:close()
        end })
        coroutine.yield()
      end)
      drive(pool)
      assert.is_true(t:cancel())
      assert.are.same({ "cancelled", false, nil, "task is cancelled, not parked" }, { seen[1], seen[2], seen[3], seen[4] })
      assert.are.equal("cancelled", t:status())
      assert.is_true(pool:stats().closed)
      assert.are.equal(0, pool:stats().parked)
    end)

    it("runs nothing after close returns", function()
      local pool = tf.pool { concurrency = 2, capacity = 10 }
      local ran, closed = 0, 0
      local tasks = {}
      for i = 1, 6 do
        tasks[i] = pool:submit(function()
          local guard <close> = setmetatable({}, { __close = function() closed = closed + 1 end })
          ran = ran + 1
          coroutine.yield()
          ran = ran + 100
        end)
      end
      drive(pool)
      assert.are.equal(2, ran)
      pool:close()
      assert.are.equal(2, closed)
      for i = 1, 6 do assert.are.equal("cancelled", tasks[i]:status()) end
      assert.are.equal(2, ran)
      assert.are.equal(6, pool:stats().cancelled)
      pool:close()
      assert.has_error(function() pool:submit(print) end, "attempt to use a closed tokenflow.Pool")
      assert.has_error(function() pool:run() end, "attempt to use a closed tokenflow.Pool")
      assert.matches("^tokenflow.Pool %(closed", tostring(pool))
    end)

    it("lets a task close its own pool: the rest never starts", function()
      local pool = tf.pool { concurrency = 1, capacity = 10 }
      local ran = {}
      local closer = pool:submit(function()
        ran[#ran + 1] = "closer"
        pool:close()
        ran[#ran + 1] = "after close"
        coroutine.yield()
        ran[#ran + 1] = "resumed"
      end)
      local other = pool:submit(function() ran[#ran + 1] = "other" end)
      drive(pool)
      assert.are.same({ "closer", "after close" }, ran)
      assert.are.equal("cancelled", closer:status())
      assert.are.equal("cancelled", other:status())
    end)

    it("lets finished tasks be collected", function()
      local pool = tf.pool { concurrency = 2, capacity = 10 }
      local weak = setmetatable({}, { __mode = "v" })
      for i = 1, 5 do weak[i] = pool:submit(function() return {} end) end
      drive(pool)
      collectgarbage("collect")
      collectgarbage("collect")
      assert.is_nil(next(weak))
      assert.are.equal(5, pool:stats().done)
    end)
  end)
end

describe("tf.pool back-pressure", function()
  it("returns nil, \"pool full\" when the caller cannot yield", function()
    local pool = tf.pool { concurrency = 1, capacity = 2 }
    assert.is_truthy(pool:submit(print))
    assert.is_truthy(pool:submit(print))
    assert.are.same({ nil, "pool full" }, { pool:submit(print) })
    pool:run()
    assert.is_truthy(pool:submit(print))
  end)

  it("yields a producer coroutine until there is room", function()
    local pool = tf.pool { concurrency = 2, capacity = 3 }
    local done = 0
    local producer = coroutine.create(function()
      for _ = 1, 10 do assert(pool:submit(function() done = done + 1 end)) end
      return "produced"
    end)
    local waits = 0
    local ok, v = coroutine.resume(producer)
    while coroutine.status(producer) ~= "dead" do
      assert(ok, v)
      assert.are.equal("backpressure", v.tokenflow)
      assert.are.equal(pool, v.pool)
      assert.are.equal(3, pool:stats().queued)
      waits = waits + 1
      pool:step()
      ok, v = coroutine.resume(producer)
    end
    assert.are.equal("produced", v)
    pool:run()
    assert.are.equal(10, done)
    assert.are.equal(3, waits)
    assert.are.equal(3, pool:stats().max_queued)
  end)

  it("ends the wait when the producer is resumed with \"cancel\"", function()
    local pool = tf.pool { concurrency = 1, capacity = 1 }
    local co = coroutine.create(function()
      pool:submit(print)
      return pool:submit(print)
    end)
    coroutine.resume(co)
    assert.are.same({ true, nil, "cancelled" }, { coroutine.resume(co, "cancel") })
  end)

  it("does not yield a task submitting to its own full pool", function()
    local pool = tf.pool { concurrency = 1, capacity = 1 }
    local got
    pool:submit(function() got = { pool:submit(print) } end)
    pool:run()
    assert.are.same({ nil, "pool full" }, got)
  end)
end)

describe("tf.pool run", function()
  it("returns the tasks still parked without a timeout", function()
    local pool = tf.pool { concurrency = 3, capacity = 5 }
    local forever = pool:submit(function() coroutine.yield() end)
    local limited = pool:submit(function() coroutine.yield() end, { timeout = 0.002 })
    assert.are.equal(1, pool:run())
    assert.are.equal("parked", forever:status())
    assert.are.equal("timeout", limited:status())
    pool:close()
    assert.are.equal("cancelled", forever:status())
  end)
end)

describe("tf.pool bad input", function()
  local pool
  before_each(function() pool = tf.pool { concurrency = 2, capacity = 4 } end)
  after_each(function() pool:close() end)

  it("rejects bad pool options", function()
    assert.has_error(function() tf.pool { concurrency = 30, capacity = 10 } end,
      "bad argument #1 to 'pool' (capacity (10) must be at least concurrency (30))")
    assert.has_error(function() tf.pool { concurrency = 0 } end,
      "bad argument #1 to 'pool' (concurrency must be a positive integer)")
    assert.has_error(function() tf.pool { capacity = -1 } end,
      "bad argument #1 to 'pool' (capacity must be a positive integer)")
    assert.has_error(function() tf.pool { on_park = 1 } end, "bad argument #1 to 'pool' (on_park must be a function)")
    assert.has_error(function() tf.pool(5) end, "bad argument #1 to 'pool' (table expected, got number)")
  end)

  it("rejects a non-function task and bad task options", function()
    assert.has_error(function() pool:submit(nil) end, "bad argument #1 to 'submit' (function expected, got nil)")
    assert.has_error(function() pool:submit("f") end, "bad argument #1 to 'submit' (function expected, got string)")
    assert.has_error(function() pool:submit(print, { priority = "urgent" }) end,
      "bad argument #2 to 'submit' (priority must be \"high\", \"normal\" or \"low\")")
    assert.has_error(function() pool:submit(print, { timeout = 0 }) end,
      "bad argument #2 to 'submit' (timeout must be a positive number of seconds)")
    assert.has_error(function() pool:submit(print, { backoff = -1 }) end,
      "bad argument #2 to 'submit' (backoff must be a non-negative number of seconds)")
    assert.has_error(function() pool:submit(print, { retries = 1.5 }) end,
      "bad argument #2 to 'submit' (retries must be a non-negative integer)")
    assert.has_error(function() pool:submit(print, { args = 3 }) end, "bad argument #2 to 'submit' (args must be a table)")
    assert.are.equal(0, pool:stats().queued)
  end)

  it("rejects waking another pool's task or a non-task", function()
    local other = tf.pool { concurrency = 1, capacity = 1 }
    local t = other:submit(function() coroutine.yield() end)
    other:run()
    assert.has_error(function() pool:wake(t) end, "bad argument #1 to 'wake' (task belongs to another pool)")
    assert.has_error(function() pool:wake({}) end, "bad argument #1 to 'wake' (tokenflow.Task expected, got table)")
    other:close()
  end)

  it("reports waking a task that is not parked", function()
    local t = pool:submit(print)
    assert.are.same({ nil, "task is queued, not parked" }, { pool:wake(t) })
  end)

  it("rejects a negative step budget", function()
    assert.has_error(function() pool:step(-1) end,
      "bad argument #1 to 'step' (budget must be a non-negative number of seconds)")
  end)
end)

describe("tf.pool objects", function()
  it("have names and say what they hold", function()
    local pool = tf.pool { concurrency = 2, capacity = 4 }
    local t = pool:submit(print, { priority = "high" })
    assert.are.equal("tokenflow.Pool", getmetatable(pool).__name)
    assert.are.equal("tokenflow.Task", getmetatable(t).__name)
    assert.are.equal("tokenflow.Task (queued, high priority)", tostring(t))
    assert.are.equal("tokenflow.Pool (1 queued, 0 running, 0 parked, 0 done, 0 failed; concurrency 2, capacity 4)",
      tostring(pool))
    pool:run()
    assert.are.equal("tokenflow.Task (done, 1 attempt)", tostring(t))
  end)

  it("closes as a to-be-closed variable, cancelling what is left", function()
    local t
    do
      local pool <close> = tf.pool { concurrency = 1, capacity = 2 }
      t = pool:submit(print)
    end
    assert.are.equal("cancelled", t:status())
  end)

  it("cancels what is left when collected, running to-be-closed variables", function()
    local closed = 0
    do
      local pool = tf.pool { concurrency = 2, capacity = 4 }
      for _ = 1, 3 do
        pool:submit(function()
          local guard <close> = setmetatable({}, { __close = function() closed = closed + 1 end })
          coroutine.yield()
        end)
      end
      pool:run()
    end
    collectgarbage("collect")
    collectgarbage("collect")
    assert.are.equal(2, closed) -- two were parked, the third never started
  end)

  it("accounts its C bookkeeping in tf.engine_bytes until closed", function()
    local before = tf.engine_bytes()
    local pool = tf.pool { concurrency = 4, capacity = 500 }
    assert.is_true(tf.engine_bytes() > before)
    pool:close()
    assert.are.equal(before, tf.engine_bytes())
  end)

  it("parks a task running a chunked loop between its chunks", function()
    local pool = tf.pool { concurrency = 1, capacity = 2 }
    local nodes = {}
    for i = 1, 30 do nodes[i] = i end
    local progress = {}
    local sum = 0
    local t = pool:submit(function()
      for chunk in tf.chunks(nodes, { size = 10 }) do
        for i = 1, #chunk do sum = sum + chunk[i] end
      end
      return sum
    end, { on_park = function(task, p)
      progress[#progress + 1] = p.done
      pool:wake(task)
    end })
    pool:run()
    assert.are.same({ true, 465 }, { t:result() })
    assert.are.same({ 10, 20 }, progress)
  end)

  it("keeps the Lua heap flat over many tasks", function()
    local pool = tf.pool { concurrency = 30, capacity = 1000 }
    local fn = function() end
    local function batch(n)
      for _ = 1, n do
        if not pool:submit(fn) then
          pool:step()
          pool:submit(fn)
        end
      end
      pool:run()
    end
    batch(20000)
    collectgarbage("collect")
    local before = collectgarbage("count")
    batch(100000)
    collectgarbage("collect")
    assert.is_true(collectgarbage("count") - before < 64)
  end)
end)

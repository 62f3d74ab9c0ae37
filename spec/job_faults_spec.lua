-- Host faults during an update job: what a design tool's callbacks can do
-- to the job while it runs. For each fault the test knows exactly which
-- nodes were written (a write counts once it returns), checks that none was
-- written twice, that the report agrees, that the job can be resumed or
-- closed, and that the memory it held is released afterwards.
local tf = require "tokenflow"

local N = 60

local resolved = assert(assert(tf.tokens.new {
  core = {
    color = { a = { value = "#102030", type = "color" }, b = { value = "#ffffff", type = "color" },
              c = { value = "{color.a}", type = "color" } },
    space = { s = { value = "4", type = "spacing" }, m = { value = "{space.s} * 2", type = "spacing" } },
  },
}):resolve())

local COLORS, SPACES = { "color.a", "color.b", "color.c" }, { "space.s", "space.m" }

local function make_nodes(n)
  local nodes = {}
  for i = 1, n do nodes[i] = { id = i, tokens = { fill = COLORS[i % 3 + 1], padding = SPACES[i % 2 + 1] } } end
  return nodes
end

-- A job over N nodes whose write runs fault(node, log, job) first and then
-- records the node in log.count (so a write that raises or never returns
-- is not counted). Extra options go to tf.update.
local function faulty_job(fault, opts)
  local log = { count = {}, order = {}, job = nil }
  opts = opts or {}
  opts.tokens = resolved
  opts.source = opts.source or make_nodes(N)
  opts.write = function(node, plan)
    if fault then fault(node, log, plan) end
    assert(plan.fill == resolved:get(node.tokens.fill), "wrong plan for node " .. node.id)
    log.count[node.id] = (log.count[node.id] or 0) + 1
    log.order[#log.order + 1] = node.id
  end
  if opts.mode == nil then opts.mode = "batched" end
  if opts.chunk == nil then opts.chunk = { size = 10 } end
  log.job = tf.update(opts)
  return log.job, log
end

-- The ids written, sorted; fails when one was written twice.
local function written_ids(log)
  local ids = {}
  for id, n in pairs(log.count) do
    assert(n == 1, "node " .. id .. " written " .. n .. " times")
    ids[#ids + 1] = id
  end
  table.sort(ids)
  return ids
end

local function range(a, b, skip)
  local out = {}
  for i = a, b do if i ~= skip then out[#out + 1] = i end end
  return out
end

-- Runs body(), drops what it made, and checks the engines hold what they
-- held before and the Lua heap is back within a small margin.
local function releases_memory(body)
  collectgarbage()
  collectgarbage()
  local engine0, heap0 = tf.engine_bytes(), collectgarbage("count")
  body()
  collectgarbage()
  collectgarbage()
  assert.are.equal(engine0, tf.engine_bytes())
  assert.is_true(collectgarbage("count") - heap0 < 256, "Lua heap grew by " .. (collectgarbage("count") - heap0) .. " KB")
end

local survived = 0
local function fault_case(name, body)
  it(name, function()
    releases_memory(body)
    survived = survived + 1
  end)
end

describe("host faults during a job", function()
  -- a first job interns the token names in the module's shared interner
  -- (kept for the module's life), so later jobs start from a steady state
  faulty_job():run()

  fault_case("a write that raises on node k: skipped, recorded, every other node written once", function()
    local job, log = faulty_job(function(node) if node.id == 17 then error("host error on 17") end end)
    local report = job:run()
    assert.are.equal("done", report.state)
    assert.are.same(range(1, N, 17), written_ids(log))
    assert.are.equal(N - 1, report.written)
    assert.are.equal(1, report.failed)
    assert.are.equal(17, report.failures[1].node)
    assert.matches("host error on 17", report.failures[1].message)
    job:close()
  end)

  fault_case("a write that raises on node k with on_error = stop: stops there, resumes after it", function()
    local job, log = faulty_job(function(node) if node.id == 17 then error("host error on 17") end end,
      { on_error = "stop" })
    local report = job:run()
    assert.are.equal("stopped", report.state)
    assert.are.same(range(1, 16), written_ids(log))
    assert.are.equal(16, report.written)
    assert.are.equal(N - 17, report.not_written)
    report = job:run() -- resumes after the failed node
    assert.are.equal("done", report.state)
    assert.are.same(range(1, N, 17), written_ids(log))
    job:close()
  end)

  fault_case("a write that raises 'not enough memory': recorded like any failure, the job goes on", function()
    local job, log = faulty_job(function(node) if node.id == 30 then error("not enough memory") end end)
    local report = job:run()
    assert.are.equal("done", report.state)
    assert.are.same(range(1, N, 30), written_ids(log))
    assert.are.equal(30, report.failures[1].node)
    assert.matches("not enough memory", report.failures[1].message)
    job:close()
  end)

  fault_case("a write that runs a full garbage collection every time", function()
    local job, log = faulty_job(function() collectgarbage() end, { mode = "streaming" })
    local report = job:run()
    assert.are.equal("done", report.state)
    assert.are.same(range(1, N), written_ids(log))
    job:close()
  end)

  fault_case("a write that calls the same job again: refused with a clear error, the job goes on", function()
    local errors = {}
    local job, log = faulty_job(function(node, log)
      if node.id % 20 == 5 then
        for _, m in ipairs { "step", "run" } do
          local ok, err = pcall(log.job[m], log.job)
          assert(not ok)
          errors[#errors + 1] = err
        end
        local ok, err = pcall(log.job.rerun, log.job, {})
        assert(not ok)
        errors[#errors + 1] = err
      end
    end)
    local report = job:run()
    assert.are.equal("done", report.state)
    assert.are.same(range(1, N), written_ids(log))
    assert.are.equal(9, #errors)
    for _, e in ipairs(errors) do assert.matches("running", e) end
    job:close()
  end)

  fault_case("a write that raises out of a call back into the job: that node fails, the rest are written", function()
    local job, log = faulty_job(function(node, log) if node.id == 8 then log.job:step() end end)
    local report = job:run()
    assert.are.equal("done", report.state)
    assert.are.same(range(1, N, 8), written_ids(log))
    assert.are.equal(8, report.failures[1].node)
    job:close()
  end)

  fault_case("a write that uses the job's cache: flush, invalidate, set and get under the running job", function()
    local cache = tf.cache { capacity = 4 }
    local job, log = faulty_job(function(node)
      if node.id % 7 == 0 then cache:flush() end
      if node.id % 11 == 0 then cache:invalidate("color.a") end
      cache:set("host." .. node.id % 5, node.id)
      cache:get({ "color.a", "space.s" })
    end, { cache = cache })
    local report = job:run()
    assert.are.equal("done", report.state)
    assert.are.same(range(1, N), written_ids(log))
    job:close()
    cache:close()
  end)

  fault_case("cancel from inside a write: nothing is written after it", function()
    local job, log = faulty_job(function(node, log) if node.id == 23 then log.job:cancel() end end)
    local report = job:run()
    assert.are.equal("cancelled", report.state)
    assert.are.same(range(1, 23), written_ids(log)) -- the write that cancelled finishes
    assert.are.equal(23, report.written)
    assert.are.equal(N - 23, report.not_written)
    assert.is_false(job:step())
    assert.are.same(range(1, 23), written_ids(log))
    job:close()
  end)

  fault_case("cancel from inside a progress callback", function()
    local job, log
    job, log = faulty_job(nil, {
      chunk = { size = 10 },
      on_progress = function(p) if p.done >= 20 then job:cancel() end end,
      clock = (function() local t = 0 return function() t = t + 1 return t end end)(),
    })
    local report = job:run()
    assert.are.equal("cancelled", report.state)
    local ids = written_ids(log)
    assert.are.equal(report.written, #ids)
    assert.are.same(range(1, #ids), ids)
    assert.is_true(#ids >= 20 and #ids < N)
    job:close()
  end)

  fault_case("a source iterator that raises midway: the error reaches the host, the job resumes after it", function()
    local nodes, i = make_nodes(N), 0
    local job, log = faulty_job(nil, {
      source = function()
        i = i + 1
        if i == 31 then error("source broke at 31") end
        return nodes[i]
      end,
    })
    local ok, err = pcall(job.run, job)
    assert.is_false(ok)
    assert.matches("source broke at 31", err)
    assert.are.equal("stopped", job:report().state)
    assert.are.same(range(1, 30), written_ids(log))
    local report = job:run() -- the iterator goes on after its error
    assert.are.equal("done", report.state)
    assert.are.same(range(1, N, 31), written_ids(log))
    job:close()
  end)

  fault_case("a write that yields forever: the host keeps waking it, keeps control, then cancels", function()
    local pool = tf.pool { concurrency = 3, capacity = 6 }
    local job, log = faulty_job(function() while true do coroutine.yield() end end, { pool = pool, mode = "streaming" })
    local co = coroutine.wrap(function() return job:run() end)
    for _ = 1, 20 do
      local p = co() -- the job hands control back to the host
      assert.are.equal("progress", p.tokenflow)
      for _, t in ipairs(pool:parked()) do pool:wake(t) end
    end
    assert.are.same({}, written_ids(log))
    job:cancel()
    assert.are.equal(0, #pool:parked())
    local report = co() -- resumed once more, the job ends
    assert.are.equal("cancelled", report.state)
    assert.are.equal(0, report.written)
    assert.are.equal(N, report.not_written)
    assert.is_false(job:step())
    assert.are.same({}, written_ids(log))
    job:close()
    pool:close()
  end)

  fault_case("a write that yields and is never woken: run() says why, a host timeout cancels", function()
    local job, log = faulty_job(function() coroutine.yield() end, { pool = { concurrency = 2, capacity = 4 } })
    local ok, err = pcall(job.run, job)
    assert.is_false(ok)
    assert.matches("nothing wakes them", err)
    job:close() -- cancels the parked writes and closes the pool the job made
    assert.are.same({}, written_ids(log))
    assert.are.equal("cancelled", job:report().state)

    -- driven from a coroutine with a deadline, as a host frame loop would
    local job2, log2 = faulty_job(function() coroutine.yield() end, { pool = { concurrency = 2, capacity = 4 } })
    local co = coroutine.wrap(function() return job2:run() end)
    local deadline, waiting = tf.now() + 0.05
    repeat
      local p = co()
      waiting = p.waiting
    until tf.now() > deadline
    assert.is_true(waiting > 0)
    job2:cancel()
    assert.are.same({}, written_ids(log2))
    assert.are.equal(N, job2:report().not_written)
    job2:close()
  end)

  it("counts the faults survived", function()
    print(string.format("host faults survived: %d", survived))
    assert.are.equal(12, survived)
  end)
end)

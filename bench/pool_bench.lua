--- Pool benchmark: 1M trivial tasks through tf.pool{concurrency = 30,
-- capacity = 1000}, fed from the main thread (submit, step when full),
-- against creating and resuming one coroutine per task in the same run.
-- ratio = pool time / coroutine-per-task time. Heap: Lua heap after 100k
-- tasks and after 1M (after a full collection each time).
local tf = require "tokenflow"
local benchlib = require "benchlib"

local N = 1000000
local fn = function() end

-- Feeds n tasks from the main thread: submit, and step when the pool is full.
local function feed(pool, n)
  for _ = 1, n do
    if not pool:submit(fn) then
      pool:step()
      pool:submit(fn)
    end
  end
  pool:run()
end

local function through_pool(n)
  local pool = tf.pool { concurrency = 30, capacity = 1000 }
  feed(pool, n)
  assert(pool:stats().done == n)
  pool:close()
end

local function coroutine_per_task(n)
  for _ = 1, n do
    local co = coroutine.create(fn)
    coroutine.resume(co)
  end
end

local pool_s = benchlib.time(through_pool, N, 3)
local co_s = benchlib.time(coroutine_per_task, N, 3)

-- heap flatness: one pool, 100k tasks, then 900k more
local pool = tf.pool { concurrency = 30, capacity = 1000 }
feed(pool, 100000)
local heap_100k = benchlib.heap()
feed(pool, 900000)
local heap_1m = benchlib.heap()
pool:close()

benchlib.line("pool_tasks", pool_s / co_s,
  string.format("pool=%.2fM tasks/s coroutine_per_task=%.2fM tasks/s heap_100k=%.0fKB heap_1M=%.0fKB growth=%dB",
    N / pool_s / 1e6, N / co_s / 1e6, heap_100k / 1024, heap_1m / 1024, heap_1m - heap_100k))

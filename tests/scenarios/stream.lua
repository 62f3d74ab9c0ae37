-- Streaming engines scenario for the embedding host's out-of-memory sweep:
-- pool with parked, woken, retried and failing tasks; chunks over an array
-- and over a tree walk inside a coroutine.
local tf = require "tokenflow.core"
local pool = tf.pool { concurrency = 2, capacity = 4 }
for i = 1, 3 do
  pool:submit(function(x) local v = coroutine.yield(x) return v + x end, { args = { i }, retries = 1 })
end
pool:run()
for _, t in ipairs(pool:parked()) do pool:wake(t, 10) end
pool:run()
pool:submit(function() error("boom") end)
pool:run()
local arr = {}
for i = 1, 50 do arr[i] = { id = i, children = { {}, {} } } end
local seen = 0
local co = coroutine.wrap(function()
  for c in tf.chunks(arr, { size = 7 }) do seen = seen + #c end
  for c in tf.chunks(tf.walk({ children = arr }, function(n) return n.children end, { unique = true }), { size = "auto" }) do
    seen = seen + #c
  end
  return "end"
end)
while co() ~= "end" do end
assert(seen == 50 + 151, seen)
pool:close()
return "ok"

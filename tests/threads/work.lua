-- Work one thread of tests/host_threads.c runs in its own lua_State while
-- the other thread runs the same: every engine and the token engine.
-- Returns a summary string; both threads must return the same one.
local tf = require "tokenflow"

local out = {}

-- token engine: load from a table, resolve, evaluate
local set = assert(tf.tokens.new {
  core = {
    space = { base = { value = "4", type = "spacing" }, lg = { value = "{space.base} * 4", type = "spacing" } },
    color = { brand = { value = "#3366ff", type = "color" } },
  },
})
local r = assert(set:resolve())
out[#out + 1] = tostring(r:get("space.lg"))
out[#out + 1] = tostring((r:eval("{space.base} * 3")))

-- interner, cache with tags and eviction
local names = tf.interner()
for i = 1, 500 do names:intern("token." .. i) end
local evicted = 0
local cache = tf.cache { capacity = 100, on_evict = function() evicted = evicted + 1 end }
for i = 1, 1000 do cache:set({ "colors.c" .. (i % 150), "space.s" .. (i % 3) }, i, { tags = { "colors.c" .. (i % 150) } }) end
local hits = 0
for i = 1, 1000 do if cache:get({ "colors.c" .. (i % 150), "space.s" .. (i % 3) }) then hits = hits + 1 end end
out[#out + 1] = #cache .. "/" .. hits .. "/" .. evicted

-- pool with yielding tasks, chunks over an array and a walk in a coroutine
local pool = tf.pool { concurrency = 4, capacity = 64 }
local sum = 0
for i = 1, 50 do pool:submit(function(x) coroutine.yield() sum = sum + x end, { args = { i } }) end
pool:run()
for _ = 1, 100 do
  local parked = pool:parked()
  if #parked == 0 then break end
  for _, t in ipairs(parked) do pool:wake(t) end
  pool:run()
end
local arr = {}
for i = 1, 2000 do arr[i] = { id = i, children = { {} } } end
local seen = 0
local co = coroutine.wrap(function()
  for c in tf.chunks(arr, { size = "auto" }) do seen = seen + #c end
  for c in tf.chunks(tf.walk({ children = arr }, function(n) return n.children end), { size = 128 }) do seen = seen + #c end
  return "end"
end)
while co() ~= "end" do end
out[#out + 1] = sum .. "/" .. seen

-- metrics
local reg = tf.metrics()
local n = reg:counter("nodes", "Nodes")
local h = reg:histogram("chunk_seconds", "Chunk time")
for i = 1, 1000 do n:inc() h:observe(i / 1000) end
out[#out + 1] = n:value() .. "/" .. #reg:prometheus():gsub("[^\n]", "")

pool:close()
cache:close()
names:close()
return table.concat(out, " ")

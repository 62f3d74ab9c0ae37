-- Token cache scenario for the embedding host's out-of-memory sweep:
-- string, integer and tuple keys, tags, eviction, fetch and invalidation.
local tf = require "tokenflow.core"
local evicted = 0
local cache = tf.cache { capacity = 64, max_bytes = 4096, on_evict = function() evicted = evicted + 1 end }
for i = 1, 80 do
  cache:set({ "colors.c" .. (i % 90), "radius.r" .. (i % 7) }, { fill = i }, { tags = { "colors.c" .. (i % 90) } })
  cache:set("s" .. i, i)
  cache:set(i, "v" .. i)
end
local v = cache:fetch({ "colors.new", "radius.r1" }, function() return { fill = "new" } end, { tags = { "colors.new" } })
assert(v.fill == "new")
assert(cache:invalidate("colors.new") == 1)
assert(cache:get(80) == "v80")
assert(#cache <= 64 and evicted > 0)
cache:close()
return "ok"

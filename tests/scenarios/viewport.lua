-- Spatial index scenario for the embedding host's out-of-memory sweep:
-- integer and string ids, moves in and out of the overflow list, queries
-- (results collected in C), removal, and the bounds pass of visible-first
-- updates.
local tf = require "tokenflow.core"
local idx = tf.viewport_index { cell = 16, max_cells = 8 }
for i = 1, 40 do
  idx:insert(i, (i % 8) * 10, (i // 8) * 10, 12, 6)
  idx:insert("n" .. i, -i * 5, 3, 2, 2)
end
idx:insert("page", -1000, -1000, 2000, 2000)
idx:update(3, 500, 500, 100, 100)
idx:update("page", 0, 0, 1, 1)
local seen = 0
for _ in idx:query(0, 0, 80, 50) do seen = seen + 1 end
assert(seen == 40)
for i = 1, 40, 2 do assert(idx:remove(i)) end
assert(idx:count() == 61)
local nodes = {}
for i = 1, 30 do nodes[i] = { frame = { x = i * 4, y = 0, width = 3, height = 3 } } end
local positions, n = tf.viewport_scan(nodes, "frame", 10, 0, 20, 3)
assert(n == #positions and n > 0)
idx:close()
return "ok"

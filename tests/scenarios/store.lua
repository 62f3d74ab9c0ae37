-- Persistent tier scenario for the embedding host's out-of-memory sweep:
-- the value format, a store's writes and reads, and a cache over it.
local tf = require "tokenflow.core"
-- on tmpfs when there is one: hundreds of runs, each creating a database
local shm = io.open("/dev/shm/.tokenflow-probe", "w")
if shm then shm:close() os.remove("/dev/shm/.tokenflow-probe") end
-- one name per source tree (package.path names it): a run that failed half
-- way leaves its file to the next run, which removes it first
local path = (shm and "/dev/shm" or os.getenv("TMPDIR") or "/tmp") .. "/tokenflow-oom-scenario-"
  .. tf.digest(package.path):sub(1, 12) .. ".db"
for _, suffix in ipairs { "", "-wal", "-shm" } do os.remove(path .. suffix) end
local value = { name = "colors.primary", rgba = { 0.1, 0.2, 0.3, 1 }, n = 42, ok = true, nested = { deep = { "x" } } }
local back = assert(tf.unpack(tf.pack(value)))
assert(back.rgba[2] == 0.2 and back.nested.deep[1] == "x")
local st = assert(tf.store(path, { max_entries = 8 }))
for i = 1, 10 do assert(st:set("k" .. i, { i = i, s = string.rep("v", i) }, { tags = { "t" .. (i % 3) } })) end
assert(st:get("k10").i == 10 and st:get("k1") == nil)
assert(st:invalidate("t1") >= 1)
local cache = tf.cache { capacity = 4, store = st }
local v = cache:fetch({ "colors.a", "size.b" }, function() return { fill = "#fff" } end)
assert(v.fill == "#fff")
local again = tf.cache { capacity = 4, store = st }
assert(again:get({ "colors.a", "size.b" }).fill == "#fff")
cache:close()
again:close()
assert(st:stats().entries >= 1)
st:close()
for _, suffix in ipairs { "", "-wal", "-shm" } do os.remove(path .. suffix) end
return "ok"

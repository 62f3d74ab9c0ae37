-- Update job core scenario for the embedding host's out-of-memory sweep:
-- keys from JSON-encoded and plain names, mapping on misses, chunks, the
-- node index, marks and a rerun that reads nothing; over a walk, a rerun
-- from the nodes the job kept, and one that walks again from the root
-- after the job dropped them (index_nodes).
local tf = require "tokenflow.core"
local cache = tf.cache { capacity = 8 }
local nodes = {}
for i = 1, 40 do
  nodes[i] = { id = i, tokens = { fill = '"c' .. (i % 5) .. '"', gap = "s" .. (i % 3), pad = '"a\\u0062"' } }
end
local written, maps, reads = 0, 0, 0
local function deps(m)
  local out = {}
  for _, n in pairs(m) do out[#out + 1] = n end
  return out
end
local function map(m) maps = maps + 1; return { fill = m.fill, pad = m.pad } end
local function decode(s) return (s:sub(2, -2):gsub("\\u0062", "b")) end
local job = tf.job {
  cache = cache, source = nodes, size = 7,
  read = function(node) reads = reads + 1; return node.tokens end,
  write = function(node, plan) written = written + 1; node.out = plan end,
  deps = deps, map = map, decode = decode,
}
-- Runs a job core's chunks to the end: its last status.
local function finish(j)
  local st
  repeat st = j:chunk() until st ~= "more"
  return st
end
assert(finish(job) == "done" and written == 40 and reads == 40, "first pass")
assert(nodes[1].out.pad == "ab" and nodes[1].out.fill == "c1")
job:mark { "c1" }
assert(job:rerun() == true)
written = 0
assert(finish(job) == "done" and written == 8 and reads == 40, "rerun")
job:close()

-- over a walk: node references kept (limit 100), then dropped (limit 10)
local root = { id = 0, children = nodes }
for _, limit in ipairs { 100, 10 } do
  written, reads = 0, 0
  local walked = tf.job {
    cache = cache, source = tf.walk(root, "children"), size = 7, index_nodes = limit,
    read = function(node) reads = reads + 1; return node.tokens end,
    write = function(node, plan) written = written + 1; node.out = plan end,
    deps = deps, map = map, decode = decode,
  }
  assert(finish(walked) == "done" and written == 40 and reads == 41, "walk, first pass")
  assert(walked:stats().node_refs == (limit == 100), "node references")
  walked:mark { "c2" }
  assert(walked:rerun() == true)
  written = 0
  assert(finish(walked) == "done" and written == 8 and reads == 41, "walk, rerun")
  walked:close()
end
cache:close()
return "ok"

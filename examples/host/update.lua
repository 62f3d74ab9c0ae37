-- The update script of the embedding host (examples/host/host.c): returns
-- the function the host runs as a coroutine, resuming it once per frame.
-- It generates a document, resolves the demo tokens and runs an update job
-- in streaming mode: inside the coroutine, job:run() yields between chunks
-- (about 4 ms of work each), so each resume is one frame's worth.
local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
local root = here .. "/../.."

return function(nodes)
  local tf = require "tokenflow"
  local gen = dofile(root .. "/examples/gen-doc.lua")
  local file = gen.document { nodes = nodes, seed = 7 }
  local set = assert(tf.tokens.load(root .. "/examples/tokens/demo"))
  local resolved = assert(set:resolve { theme = "light" })
  local job = tf.update {
    tokens = resolved,
    source = tf.walk(file.document, gen.children),
    read = tf.figma.read,
    write = tf.figma.writer { base_font_size = 16 },
    mode = "streaming",
    chunk = { size = "auto", budget_ms = 4 },
  }
  coroutine.yield("ready") -- the set-up is the host's frame 0
  job:run()
  local r = job:report()
  assert(r.state == "done", "job ended " .. tostring(r.state))
  assert(r.nodes == gen.count(file.document), "not every node was visited")
  return string.format("%d nodes, %d written, %d skipped, %d failed in %d chunks", r.nodes, r.written, r.skipped,
    r.failed, r.chunks)
end

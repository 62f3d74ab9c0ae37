-- The update script of the embedding host (examples/host/host.c): returns
-- the function the host runs as a coroutine, resuming it once per frame.
-- It generates a document, resolves the demo tokens and runs an update job
-- in streaming mode: inside the coroutine, job:run() yields between chunks
-- (about 4 ms of work each), so each resume is one frame's worth.
local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
local root = here .. "/../.."

return function(nodes)
  local tf = require "tokenflow"
  local read = require "tokenflow.apply.read"
  local gen = dofile(root .. "/examples/gen-doc.lua")
  local file = gen.document { nodes = nodes, seed = 7 }
  local set = assert(tf.tokens.load(root .. "/examples/tokens/demo"))
  local resolved = assert(set:resolve { theme = "light" })
  local job = tf.update {
    tokens = resolved,
    source = tf.walk(file.document, read.children),
    read = read.stored,                       -- sharedPluginData.tokens as stored
    write = tf.figma.writer { base_font_size = 16 }, -- carries its map (tf.figma.map)
    mode = "streaming",
    chunk = { size = "auto", budget_ms = 4 },
  }
  -- take the fills off nodes that have a fill token, to see the job put them back
  for node in tf.walk(file.document, read.children) do
    local map = tf.figma.read(node)
    if map and map.fill and map.fill ~= "none" and node.type == "RECTANGLE" then node.fills = nil end
  end
  coroutine.yield("ready") -- the set-up is the host's frame 0
  job:run()
  local r = job:report()
  assert(r.state == "done", "job ended " .. tostring(r.state))
  assert(r.nodes == gen.count(file.document), "not every node was visited")
  assert(r.written > 0 and r.failed == 0, "nothing written")
  -- the values really are on the nodes: the fills taken off are back
  local checked = 0
  for node in tf.walk(file.document, read.children) do
    local map = tf.figma.read(node)
    if map and map.fill and map.fill ~= "none" and node.type == "RECTANGLE" then
      assert(type(node.fills) == "table" and node.fills[1] ~= nil, "node " .. node.id .. " has no fills")
      checked = checked + 1
      if checked == 50 then break end
    end
  end
  assert(checked > 0, "no node with a fill token")
  -- switch to dark: the job rewrites the affected nodes from the ones it
  -- kept, without walking or reading the document again
  local dark = assert(set:resolve { theme = "dark" })
  local writer = tf.figma.writer { base_font_size = 16 }
  local switched = job:rerun { changed = resolved:diff(dark), tokens = dark }
  assert(switched.state == "done" and switched.failed == 0 and switched.written > 0, "the theme switch failed")
  for node in tf.walk(file.document, read.children) do
    local map = tf.figma.read(node)
    if map and map.fill and map.fill ~= "none" and node.type == "RECTANGLE" then
      local expect = { type = node.type, id = node.id }
      writer(expect, assert(writer.map(map, dark)))
      local got, want = node.fills[1].color, expect.fills[1].color
      assert(got.r == want.r and got.g == want.g and got.b == want.b, "node " .. node.id .. " does not hold its dark fill")
      break
    end
  end
  return string.format("%d nodes, %d written, %d skipped, %d failed in %d chunks; dark: %d written", r.nodes, r.written,
    r.skipped, r.failed, r.chunks, switched.written)
end

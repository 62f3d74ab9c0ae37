-- A Figma document large enough (over 16 MB) to be written in two halves
-- by two threads: patched through node handles, saved, and compared with
-- its text made in one piece. Returns a summary string.
local tf = require "tokenflow"

local parts, n = { '{"name":"threads","document":{"id":"0:0","type":"DOCUMENT","children":[' }, 0
for page = 1, 4 do
  parts[#parts + 1] = (page > 1 and "," or "") .. '{"id":"' .. page .. ':0","type":"CANVAS","children":['
  for i = 1, 24000 do
    n = n + 1
    parts[#parts + 1] = (i > 1 and "," or "") .. '{"id":"' .. page .. ":" .. i .. '","type":"RECTANGLE","name":"r'
      .. i .. '","fills":[{"type":"SOLID","color":{"r":0.5,"g":0.25,"b":' .. (i % 7) / 8 .. ',"a":1}}],'
      .. '"absoluteBoundingBox":{"x":' .. i .. ',"y":' .. page .. ',"width":10,"height":20},"opacity":1}'
  end
  -- the page's own field after its children: its edit is in the half that holds it
  parts[#parts + 1] = '],"backgroundColor":{"r":1,"g":1,"b":1,"a":1}}'
end
parts[#parts + 1] = "]}}"
local text = table.concat(parts)
assert(#text > 16 * 1024 * 1024, "the document must be large enough to be written in halves")

local doc = assert(tf.figma.parse(text, "threads.json"))
local count = 0
for node in doc:nodes() do
  local id = node.id
  if node.type == "CANVAS" then
    node.backgroundColor = { r = 0, g = 0, b = 0, a = 1 }
  elseif id:sub(-1) == "3" then
    node.opacity = 0.5
    node.absoluteBoundingBox.width = 12
    node.cornerRadius = 4
    count = count + 1
  end
end
local whole = doc:text()
local path = os.tmpname()
assert(doc:save(path))
local f = assert(io.open(path, "rb"))
local saved = f:read("a")
f:close()
os.remove(path)
doc:close()
assert(saved == whole, "the file written in halves differs from the text made in one piece")
return string.format("%d nodes, %d patched, %d bytes", n, count, #saved)

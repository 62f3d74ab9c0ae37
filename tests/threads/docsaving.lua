-- A Figma document saved beside the update that patches it (doc:saving):
-- a writer's thread writes the nodes handed over while the update patches
-- the next ones and grows the patches' arrays. The file must be the text
-- written after the update. Returns a summary string.
local tf = require "tokenflow"

local set = assert(tf.tokens.new {
  core = {
    color = { a = { value = "#3366ff", type = "color" }, b = { value = "#ff6633", type = "color" } },
    radius = { s = { value = "4", type = "borderRadius" }, m = { value = "8", type = "borderRadius" } },
    opacity = { half = { value = "0.5", type = "opacity" } },
  },
})
local resolved = assert(set:resolve())

local colors, radii = { "color.a", "color.b" }, { "radius.s", "radius.m" }
local parts, n = { '{"name":"threads","document":{"id":"0:0","type":"DOCUMENT","children":[' }, 0
for page = 1, 3 do
  parts[#parts + 1] = (page > 1 and "," or "") .. '{"id":"' .. page .. ':0","type":"CANVAS","children":['
  for i = 1, 3000 do
    n = n + 1
    -- distinct names on some nodes: the writer's memo learns new shapes all along (its arrays grow)
    parts[#parts + 1] = (i > 1 and "," or "") .. '{"id":"' .. page .. ":" .. i .. '","type":"RECTANGLE","name":"r'
      .. (i % 50) .. '","fills":[],"absoluteBoundingBox":{"x":' .. i .. ',"y":' .. page
      .. ',"width":10,"height":20},"sharedPluginData":{"tokens":{"fill":"\\"' .. colors[i % 2 + 1]
      .. '\\"","borderRadius":"\\"' .. radii[(i // 7) % 2 + 1] .. '\\""' .. (i % 3 == 0 and ',"opacity":"\\"opacity.half\\""' or "")
      .. '}}}'
  end
  parts[#parts + 1] = '],"backgroundColor":{"r":1,"g":1,"b":1,"a":1}}'
end
parts[#parts + 1] = "]}}"
local text = table.concat(parts)

local function update(doc, saving)
  local job = tf.update { tokens = resolved, source = doc:nodes(), write = tf.figma.writer {}, chunk = { size = 64 } }
  while job:step() do
    if saving then saving:advance(job:position()) end
  end
  return job:report()
end

local doc = assert(tf.figma.parse(text, "threads.json"))
update(doc)
local want = doc:text()
doc:close()

doc = assert(tf.figma.parse(text, "threads.json"))
local path = os.tmpname()
local saving = assert(doc:saving(path))
local report = update(doc, saving)
assert(saving:finish())
doc:close()
local f = assert(io.open(path, "rb"))
local saved = f:read("a")
f:close()
os.remove(path)
assert(saved == want, "the file saved beside the update differs from the text written after it")
return string.format("%d nodes, %d written, %d bytes", n, report.written, #saved)

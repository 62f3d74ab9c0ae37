--- Figma REST API files on disk: the JSON of `GET /v1/files/:key`, whose
-- `document` node holds the pages and their node trees. Loads and saves
-- them with lua-cjson, and walks their nodes.
-- @module tokenflow.apply.document

local cjson = require "cjson.safe"

local document = {}

-- Figma node fields that are arrays. lua-cjson 2.1 writes every empty table
-- as `{}`; these are written as `[]` so the file keeps Figma's shape.
local ARRAY_FIELD = {}
for _, f in ipairs { "children", "fills", "strokes", "effects", "dashPattern", "strokeDashes",
  "rectangleCornerRadii", "layoutGrids", "exportSettings", "characterStyleOverrides" } do ARRAY_FIELD[f] = true end

--- The children of a node (for `tf.walk`): its `children` array or nil.
-- @tparam table node
function document.children(node) return node.children end

--- A node's stored token map for `tf.update`'s `read`: the table at
-- `sharedPluginData.tokens` as it is (property -> JSON-encoded token name),
-- without copying or decoding it; the job decodes the names itself. A node
-- without one has none (nil); a value that is not a table is a failure
-- naming the node.
-- @tparam table node
-- @treturn[1] table|nil
-- @treturn[2] nil
-- @treturn[2] string
function document.read(node)
  local data = node.sharedPluginData
  if data == nil then return nil end
  local stored = type(data) == "table" and data.tokens or nil
  if type(stored) == "table" or stored == nil then return stored end
  return nil, string.format("node %s: sharedPluginData.tokens must be an object, got a %s",
    tostring(node.id or "?"), type(stored))
end

--- Reads a Figma REST API file. Returns the decoded file and its
-- `document` node, or nil and a message naming the file.
-- @tparam string path
-- @treturn[1] table the file
-- @treturn[1] table its `document` node
-- @treturn[2] nil
-- @treturn[2] string
function document.load(path)
  if type(path) ~= "string" then
    error("bad argument #1 to 'load' (string expected, got " .. type(path) .. ")", 2)
  end
  local f, oerr = io.open(path, "rb")
  if not f then return nil, "cannot read document " .. tostring(oerr) end
  local text, rerr = f:read("a")
  f:close()
  if not text then return nil, "cannot read document " .. path .. ": " .. tostring(rerr) end
  local file, jerr = cjson.decode(text)
  text = nil -- luacheck: ignore 311 (let the collector take the text before the tree grows)
  if file == nil then return nil, path .. ": invalid JSON: " .. tostring(jerr) end
  if type(file) ~= "table" then
    return nil, path .. ": expected a Figma file (a JSON object with a \"document\" node), got a " .. type(file)
  end
  local root = file.document
  if type(root) ~= "table" then
    return nil, path .. ": no \"document\" node (expected the JSON of a Figma file, as GET /v1/files/:key returns)"
  end
  return file, root
end

-- Rewrites `"field":{}` as `"field":[]` for the array fields, in one pass
-- over the empty objects (a plain search; gsub is far slower on tens of MB).
local function empty_arrays(text)
  local parts, n, pos, from = {}, 0, 1, 1
  while true do
    local i = text:find("{}", from, true)
    if not i then break end
    local key = text:sub(math.max(1, i - 32), i - 1):match('"(%w+)":$')
    if key and ARRAY_FIELD[key] then
      n = n + 1; parts[n] = text:sub(pos, i - 1)
      n = n + 1; parts[n] = "[]"
      pos = i + 2
    end
    from = i + 2
  end
  if n == 0 then return text end
  parts[n + 1] = text:sub(pos)
  return table.concat(parts)
end

--- Encodes a file as JSON text (array fields that became empty stay arrays).
-- @tparam table file
-- @treturn string
function document.encode(file)
  local text, err = cjson.encode(file)
  if not text then return nil, err end
  return empty_arrays(text)
end

--- Writes a file as JSON to `path` ("-": standard output). Returns true,
-- or nil and a message naming the path.
-- @tparam table file
-- @tparam string path
function document.save(file, path)
  local text, err = document.encode(file)
  if not text then return nil, "cannot encode the document as JSON: " .. tostring(err) end
  if path == "-" then
    io.stdout:write(text, "\n")
    io.stdout:flush()
    return true
  end
  local f, oerr = io.open(path, "wb")
  if not f then return nil, "cannot write " .. tostring(oerr) end
  local ok, werr = f:write(text, "\n")
  local closed, cerr = f:close()
  if not ok or not closed then return nil, "cannot write " .. path .. ": " .. tostring(werr or cerr) end
  return true
end

--- Counts the nodes of a tree (the root included) with an explicit stack.
-- @tparam table root
-- @treturn integer
function document.count(root)
  local n, stack, top = 0, { root }, 1
  while top > 0 do
    local node = stack[top]
    stack[top] = nil
    top = top - 1
    n = n + 1
    local children = node.children
    if type(children) == "table" then
      for i = #children, 1, -1 do top = top + 1; stack[top] = children[i] end
    end
  end
  return n
end

return document

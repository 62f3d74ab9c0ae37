--- A node's token map as Tokens Studio stores it: shared plugin data,
-- namespace `tokens`, one entry per property key whose value is the token
-- name as a JSON string (`"\"colors.primary\""`). Plain names are accepted too.
-- @module tokenflow.apply.read

local cjson = require "cjson.safe"

local read = {}

--- The token name in one stored value: a JSON string is decoded, anything
-- else is taken as written; `""` (and `"\"\""`) mean unset.
-- @tparam string stored
-- @treturn[1] string|nil the name, nil when unset
-- @treturn[2] nil
-- @treturn[2] string why the value cannot be read
function read.token_name(stored)
  if type(stored) ~= "string" then
    return nil, "expected a token name (string), got a " .. type(stored)
  end
  if stored:byte(1) == 34 then -- '"': JSON-encoded, as the plugin stores it
    -- most names have no escapes: their JSON text is the name in quotes
    local plain = stored:match('^"([^"\\%c]*)"$')
    if plain then return plain ~= "" and plain or nil end
    local name, err = cjson.decode(stored)
    if name == nil then return nil, "invalid JSON " .. string.format("%q", stored) .. ": " .. tostring(err) end
    if type(name) ~= "string" then
      return nil, "expected a JSON string, got " .. string.format("%q", stored)
    end
    stored = name
  end
  if stored == "" then return nil end
  return stored
end

--- The node's token map, property key -> token name, from
-- `node.sharedPluginData.tokens`. A node without plugin data has an empty map.
-- @tparam table node a Figma REST-API node
-- @treturn[1] table property key -> token name
-- @treturn[2] nil
-- @treturn[2] string what is wrong, naming the node and the property
function read.tokens(node)
  if type(node) ~= "table" then
    error("tokenflow.figma.read: node must be a table, got a " .. type(node), 2)
  end
  local data = node.sharedPluginData
  local stored = type(data) == "table" and data.tokens or nil
  local out = {}
  if stored == nil then return out end
  if type(stored) ~= "table" then
    return nil, string.format("node %s: sharedPluginData.tokens must be an object, got a %s",
      tostring(node.id or "?"), type(stored))
  end
  for key, value in pairs(stored) do
    local name, err = read.token_name(value)
    if err then
      return nil, string.format("node %s: sharedPluginData.tokens.%s: %s", tostring(node.id or "?"), tostring(key), err)
    end
    out[key] = name
  end
  return out
end

--- A node table's stored token map for `tf.update`'s `read`: the table at
-- `sharedPluginData.tokens` as it is (property -> JSON-encoded token name),
-- without copying or decoding it; the job decodes the names itself. A node
-- without one has none (nil); a value that is not a table is a failure
-- naming the node.
-- @tparam table node
-- @treturn[1] table|nil
-- @treturn[2] nil
-- @treturn[2] string
function read.stored(node)
  local data = node.sharedPluginData
  if data == nil then return nil end
  local stored = type(data) == "table" and data.tokens or nil
  if type(stored) == "table" or stored == nil then return stored end
  return nil, string.format("node %s: sharedPluginData.tokens must be an object, got a %s",
    tostring(node.id or "?"), type(stored))
end

--- The children of a node table (for `tf.walk`): its `children` array or nil.
-- @tparam table node
function read.children(node) return node.children end

return read

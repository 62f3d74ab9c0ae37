--- The token set a Figma file carries: Tokens Studio with local storage
-- keeps it in the document node's shared plugin data, namespace `tokens`
-- (the REST API returns it with `plugin_data=shared`): `values` (the sets,
-- a JSON string of set name -> tokens, each possibly a JSON string
-- itself), `themes` (a JSON array), `activeTheme` (a JSON object of theme
-- group -> theme id, or one id), `usedTokenSet` (a JSON object of set name
-- -> status, or an array of enabled sets), `version`, `updatedAt` and
-- `storageType` (a JSON object, `{"provider": "local"}`).
-- This module turns that data into the structure of a Tokens Studio
-- single file, for `tf.tokens.new`.
-- @module tokenflow.tokens.figma

local json = require "tokenflow.tokens.json"

local figma = {}

local STATUS = { enabled = true, source = true, disabled = true }

-- A stored field: JSON text decoded, or a table as is (a host may hand over
-- data it decoded). Returns the value, or nil and a message naming the key.
local function decoded(data, key, where)
  local v = data[key]
  if type(v) == "table" then return v end
  if type(v) ~= "string" then
    return nil, string.format("%s.%s: expected JSON text, got a %s", where, key, type(v))
  end
  local value, err = json.decode(v, where .. "." .. key)
  if value == nil then return nil, err end
  return value
end

local function present(data, key)
  local v = data[key]
  return v ~= nil and v ~= "" and v ~= json.null
end

-- The sets in the order they were written in the stored text (Tokens
-- Studio's set order), then any others by name.
local function set_order(values_text, sets)
  local order, seen = {}, {}
  if type(values_text) == "string" then
    for _, name in ipairs(json.key_order(values_text)) do
      if name:find("\\", 1, true) then -- written with escapes
        name = json.decode('"' .. name .. '"', "") or name
      end
      if sets[name] ~= nil and not seen[name] then
        order[#order + 1] = name
        seen[name] = true
      end
    end
  end
  local rest = {}
  for name in pairs(sets) do
    if type(name) == "string" and not seen[name] then rest[#rest + 1] = name end
  end
  table.sort(rest)
  for _, name in ipairs(rest) do order[#order + 1] = name end
  return order
end

-- A set stored in the legacy list form (an array of {name, value, type,
-- ...}) as a token object keyed by the dotted names.
local function from_list(list, where)
  local out = {}
  for i, t in ipairs(list) do
    if type(t) ~= "table" or type(t.name) ~= "string" then
      return nil, string.format("%s[%d]: a token in a list needs a name", where, i)
    end
    local token = {}
    for k, v in pairs(t) do
      if k ~= "name" then token[k] = v end
    end
    out[t.name] = token
  end
  return out
end

-- The active theme ids: from an object (group -> id) or one id.
local function active_themes(data, where)
  if not present(data, "activeTheme") then return {} end
  local raw = data.activeTheme
  local value = raw
  if type(raw) == "string" then
    -- written as JSON by the plugin; older versions stored the bare id
    local ok, v = pcall(require("cjson").decode, raw)
    value = ok and v or raw
  end
  if type(value) == "string" then return value ~= "" and { value } or {} end
  if type(value) ~= "table" then
    return nil, string.format("%s.activeTheme: expected a theme id or an object of theme group -> theme id, got %s",
      where, type(value))
  end
  local groups = {}
  for group, id in pairs(value) do
    if type(id) ~= "string" then
      return nil, string.format("%s.activeTheme: theme group '%s' names a %s, not a theme id", where,
        tostring(group), type(id))
    end
    groups[#groups + 1] = tostring(group)
  end
  table.sort(groups) -- a stable order (the themes' order does not change the result)
  local ids = {}
  for _, g in ipairs(groups) do ids[#ids + 1] = value[g] end
  return ids
end

-- The used sets as set name -> status (arrays: enabled sets).
local function used_sets(data, where)
  if not present(data, "usedTokenSet") then return nil end
  local value, err = decoded(data, "usedTokenSet", where)
  if value == nil then return nil, err end
  if type(value) ~= "table" then
    return nil, string.format("%s.usedTokenSet: expected an object of set name -> status, got %s", where, type(value))
  end
  local out = {}
  if value[1] ~= nil then
    for _, name in ipairs(value) do
      if type(name) ~= "string" then
        return nil, string.format("%s.usedTokenSet: expected set names, got a %s", where, type(name))
      end
      out[name] = "enabled"
    end
    return out
  end
  for name, st in pairs(value) do
    if not STATUS[st] then
      return nil, string.format("%s.usedTokenSet: set '%s' has status '%s' (expected enabled, source or disabled)",
        where, tostring(name), tostring(st))
    end
    out[name] = st
  end
  return out
end

--- The token data of a document node (a table with `sharedPluginData`).
-- Returns a Tokens Studio document (set name -> tokens, `$themes`,
-- `$metadata.tokenSetOrder`) and `info = {themes = {active theme ids},
-- sets = {set -> status} | nil, version, updated_at, storage, where}`;
-- or nil and a message naming the key (no token data, a stored form this
-- version does not read, malformed JSON).
-- @tparam table node the document node
-- @tparam[opt] string where what to call the node in messages
function figma.from_node(node, where)
  where = (where or "document") .. ".sharedPluginData.tokens"
  local shared = type(node) == "table" and node.sharedPluginData
  local data = type(shared) == "table" and shared.tokens
  if type(data) ~= "table" or not present(data, "values") then
    return nil, string.format("%s.values: no token set stored in this file (Tokens Studio keeps it there with "
      .. "local storage; the REST API returns it with plugin_data=shared)", where)
  end
  local version = data.version
  local storage
  if present(data, "storageType") then
    storage = decoded(data, "storageType", where)
    if type(storage) ~= "table" then storage = nil end
  end
  local values = data.values
  if type(values) == "string" and not values:match("^%s*{") then
    return nil, string.format("%s.values: a stored form this version of tokenflow does not read (not a JSON object: "
      .. "compressed, or written by a newer plugin%s)", where,
      type(version) == "string" and version ~= "" and (", version " .. version) or "")
  end
  local sets, err = decoded(data, "values", where)
  if sets == nil then return nil, err end
  if type(sets) ~= "table" or (sets[1] ~= nil) then
    return nil, string.format("%s.values: a stored form this version of tokenflow does not read (expected an "
      .. "object of set name -> tokens, got %s)", where, sets[1] ~= nil and "an array" or type(sets))
  end
  local doc, names = {}, {}
  for name, set in pairs(sets) do
    if type(name) ~= "string" then
      return nil, string.format("%s.values: set names must be strings", where)
    end
    if type(set) == "string" then
      local serr
      set, serr = json.decode(set, string.format("%s.values[%q]", where, name))
      if set == nil then return nil, serr end
    end
    if type(set) ~= "table" then
      return nil, string.format("%s.values[%q]: a set must be an object of tokens, got %s", where, name, type(set))
    end
    if set[1] ~= nil then
      local lerr
      set, lerr = from_list(set, string.format("%s.values[%q]", where, name))
      if not set then return nil, lerr end
    end
    doc[name] = set
    names[name] = true
  end
  doc["$metadata"] = { tokenSetOrder = set_order(data.values, names) }
  if present(data, "themes") then
    local themes, terr = decoded(data, "themes", where)
    if themes == nil then return nil, terr end
    if type(themes) ~= "table" then
      return nil, string.format("%s.themes: expected an array of themes, got %s", where, type(themes))
    end
    doc["$themes"] = themes
  end
  local active, aerr = active_themes(data, where)
  if not active then return nil, aerr end
  for _, id in ipairs(active) do
    local found = false
    for _, t in ipairs(type(doc["$themes"]) == "table" and doc["$themes"] or {}) do
      if type(t) == "table" and (t.id == id or t.name == id) then found = true break end
    end
    if not found then
      return nil, string.format("%s.activeTheme: theme '%s' is not among the stored themes", where, id)
    end
  end
  local used, uerr = used_sets(data, where)
  if uerr then return nil, uerr end
  if used then -- sets the plugin still lists after they were deleted take no part
    for name in pairs(used) do
      if not names[name] then used[name] = nil end
    end
  end
  return doc, { themes = active, sets = used, version = version, updated_at = data.updatedAt, storage = storage,
    where = where }
end

--- The token data of a Figma file: a `tokenflow.Document`
-- (`tf.figma.open`), a decoded file (a table whose `document` is the
-- document node), or a document node itself. As `from_node`.
-- @tparam table file
-- @tparam[opt] string name what to call the file in messages
function figma.from_file(file, name)
  if type(file) ~= "table" then
    return nil, string.format("%s: expected a Figma file or its document node, got %s", name or "(table)", type(file))
  end
  local prefix = name and (name .. ": ") or ""
  if require("tokenflow.apply.document").is(file) then -- tf.figma.open's: its document node
    local root = file:count() > 0 and file:node(1)
    if not root or root.type ~= "DOCUMENT" then
      return nil, prefix .. "document.sharedPluginData.tokens.values: the file has no document node (a /nodes "
        .. "response carries no token set)"
    end
    return figma.from_node(root, prefix .. "document")
  end
  if type(file.document) == "table" then return figma.from_node(file.document, prefix .. "document") end
  return figma.from_node(file, prefix .. (file.type == "DOCUMENT" and "document" or "node"))
end

--- The token data of a Figma file on disk (the JSON of `GET
-- /v1/files/:key?plugin_data=shared`), read by the document engine (only
-- the document node's data becomes Lua values), as `from_node`; messages
-- name the file.
-- @tparam string path
function figma.read_file(path)
  local doc, err = require("tokenflow.apply.document").open(path)
  if doc == nil then return nil, err end
  local set, info = figma.from_file(doc, path)
  doc:close()
  return set, info
end

--- The selection the file itself uses: its active themes, else its used
-- sets, else nil (every set).
function figma.selection(info)
  if #info.themes > 0 then return { themes = info.themes } end
  if info.sets and next(info.sets) then return { sets = info.sets } end
  return nil
end

return figma

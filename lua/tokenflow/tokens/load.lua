--- Reading token sources: a Tokens Studio single file, a Tokens Studio
-- multi-file folder (`$metadata.json`, `$themes.json`, one file per set), a
-- DTCG file, or a folder of DTCG files merged in name order; or the same
-- structures as Lua tables. The result is a source: `{format, sets = {name ->
-- {name, file, tokens = {token name -> definition}, count, names}}, order =
-- {set names}, themes = {...}}` (`names`, when known: the token names in
-- the order written).
-- Nothing is half-loaded: any error returns nil and a message.
-- Files are read by the C tape reader when it can decide everything, else
-- (and for every error) by lua-cjson and the Lua walk; see reader.lua.
-- @module tokenflow.tokens.load

local json = require "tokenflow.tokens.json"
local reader = require "tokenflow.tokens.reader"

local load = {}

local has_lfs, lfs = pcall(require, "lfs")

local function is_dir(path)
  if has_lfs then return lfs.attributes(path, "mode") == "directory" end
  local ok = os.rename(path .. "/", path .. "/")
  return ok and true or false
end

local function exists(path)
  if has_lfs then return lfs.attributes(path, "mode") ~= nil end
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end

-- Every *.json file under dir (relative paths, sorted), skipping `$` files.
local function json_files(dir)
  local out = {}
  if has_lfs then
    local stack = { "" }
    while #stack > 0 do
      local rel = table.remove(stack)
      for entry in lfs.dir(dir .. (rel == "" and "" or "/" .. rel)) do
        if entry ~= "." and entry ~= ".." and entry:sub(1, 1) ~= "." then
          local r = rel == "" and entry or rel .. "/" .. entry
          local mode = lfs.attributes(dir .. "/" .. r, "mode")
          if mode == "directory" then stack[#stack + 1] = r
          elseif entry:match("%.json$") and entry:sub(1, 1) ~= "$" then out[#out + 1] = r end
        end
      end
    end
  else
    local p = io.popen("cd '" .. dir:gsub("'", "'\\''") .. "' && find . -name '*.json' -type f")
    for line in p:lines() do
      local r = line:gsub("^%./", "")
      if not r:match("^%$") and not r:match("/%$") then out[#out + 1] = r end
    end
    p:close()
  end
  table.sort(out)
  return out
end

-- A set name from tokenSetOrder must name a file inside the folder.
local function safe_set_path(name)
  if type(name) ~= "string" or name == "" then return false end
  if name:sub(1, 1) == "/" or name:match("^%a:[/\\]") or name:find("\\", 1, true) then return false end
  for seg in (name .. "/"):gmatch("([^/]*)/") do
    if seg == ".." or seg == "." or seg == "" then return false end
  end
  return true
end

local function status_of(v)
  if v == "enabled" or v == "source" or v == "disabled" then return v end
  return nil
end

-- Checks `$themes` and copies what we use.
local function read_themes(list, file)
  if list == nil then return {} end
  if type(list) ~= "table" then
    return nil, string.format("%s: $themes must be an array", file)
  end
  local themes = {}
  for i, t in ipairs(list) do
    if type(t) ~= "table" or type(t.name) ~= "string" then
      return nil, string.format("%s: $themes[%d]: a theme needs a name", file, i)
    end
    local selected = {}
    for set, st in pairs(type(t.selectedTokenSets) == "table" and t.selectedTokenSets or {}) do
      local status = status_of(st)
      if not status then
        return nil, string.format("%s: theme '%s': set '%s' has status '%s' (expected enabled, source or disabled)",
          file, t.name, tostring(set), tostring(st))
      end
      selected[set] = status
    end
    themes[#themes + 1] = { id = t.id, name = t.name, group = t.group, selectedTokenSets = selected }
  end
  return themes
end

local function read_order(meta, file)
  if meta == nil then return nil end
  if type(meta) ~= "table" or (meta.tokenSetOrder ~= nil and type(meta.tokenSetOrder) ~= "table") then
    return nil, string.format("%s: tokenSetOrder must be an array of set names", file)
  end
  return meta.tokenSetOrder
end

-- Adds the tokens of a document (or of its top-level member `key`) to set
-- `name` (created on first use); `rd` is the reader that read the document.
-- On error the caller drops the whole source, so a partly filled set never
-- escapes.
local function add_set(source, name, file, rd, doc, key)
  local set = source.sets[name]
  if not set then
    set = { name = name, file = file, tokens = {}, count = 0 }
    source.sets[name] = set
    source.order[#source.order + 1] = name
  end
  local defs, count, names = rd.flatten(doc, key, { file = file, format = source.format, out = set.tokens })
  if not defs then return nil, count end
  if defs ~= set.tokens then
    -- a reader that built a new map (names in it are distinct)
    if next(set.tokens) == nil then
      set.tokens = defs
    else
      local tokens = set.tokens
      for k, v in pairs(defs) do tokens[k] = v end
    end
  end
  -- names in the order written, when the reader gives them for every
  -- document of the set (only a hint for the resolver)
  if names and (set.count == 0 or set.names) then
    local list = set.names
    if not list then
      set.names = names
    else
      table.move(names, 1, #names, #list + 1, list)
    end
  else
    set.names = nil
  end
  set.count = set.count + count
  return true
end

local function from_document(doc, opts, rd)
  local file = opts.file or "(table)"
  if not rd.is_document(doc) then return nil, string.format("%s: expected a JSON object of tokens", file) end
  local format = opts.format
  if not format then
    local why
    format, why = rd.detect(doc)
    if not format then return nil, why end
  end
  local source = { format = format, sets = {}, order = {}, themes = {} }
  if format == "dtcg" then
    local ok, err = add_set(source, "default", file, rd, doc)
    if not ok then return nil, err end
    return source
  end
  local themes, terr = read_themes(rd.get(doc, "$themes"), file)
  if not themes then return nil, terr end
  source.themes = themes
  local order, oerr = read_order(rd.get(doc, "$metadata"), file)
  if oerr then return nil, oerr end
  local names = {}
  if order then
    for _, n in ipairs(order) do
      if not rd.has(doc, n) then return nil, string.format("%s: set '%s' is listed in $metadata but missing", file, tostring(n)) end
      names[#names + 1] = n
    end
  end
  local listed = {}
  for _, n in ipairs(names) do listed[n] = true end
  local rest = {}
  for _, k in ipairs(rd.keys(doc)) do
    if k:sub(1, 1) ~= "$" and not listed[k] then rest[#rest + 1] = k end
  end
  local written = opts.key_order or {}
  if type(written) == "function" then written = #rest > 1 and written() or {} end
  local pos = {}
  for i, k in ipairs(written) do pos[k] = i end
  table.sort(rest, function(a, b)
    local pa, pb = pos[a] or math.huge, pos[b] or math.huge
    if pa ~= pb then return pa < pb end
    return a < b
  end)
  for _, n in ipairs(rest) do names[#names + 1] = n end
  for _, n in ipairs(names) do
    if not rd.is_table(doc, n) then
      return nil, string.format("%s: %s: a set must be an object of tokens", file, n)
    end
    local ok, err = add_set(source, n, file, rd, doc, n)
    if not ok then return nil, err end
  end
  return source
end

--- A source from one decoded document (Lua tables). `key_order` lists its
-- top-level keys in written order (JSON files), or is a function returning
-- that list (it scans the whole text, so it runs only when sets are not all
-- listed in `$metadata`); `file` names the document in messages.
function load.from_document(doc, opts)
  return from_document(doc, opts or {}, reader.tables)
end

local function read_dir(dir, opts, rd)
  local meta_file, themes_file = dir .. "/$metadata.json", dir .. "/$themes.json"
  local has_meta, has_themes = exists(meta_file), exists(themes_file)
  local format = opts.format
  local files = json_files(dir)
  local docs = {}
  for i, rel in ipairs(files) do
    local doc, err = rd.read(dir .. "/" .. rel)
    if doc == nil then return nil, err end
    docs[i] = doc
  end
  if not format then
    if has_meta or has_themes then
      format = "tokens-studio"
    else
      local why
      format, why = rd.detect_files(docs)
      if not format then return nil, why end
    end
  end
  local source = { format = format, sets = {}, order = {}, themes = {} }
  if format == "dtcg" then
    for i, rel in ipairs(files) do
      local ok, err = add_set(source, "default", dir .. "/" .. rel, rd, docs[i])
      if not ok then return nil, err end
      rd.close(docs[i])
    end
    return source
  end
  if has_themes then
    local list, err = json.read(themes_file)
    if list == nil then return nil, err end
    local themes, terr = read_themes(list, themes_file)
    if not themes then return nil, terr end
    source.themes = themes
  end
  local by_name = {}
  for i, rel in ipairs(files) do by_name[rel:gsub("%.json$", "")] = docs[i] end
  local names = {}
  if has_meta then
    local meta, err = json.read(meta_file)
    if meta == nil then return nil, err end
    local order, oerr = read_order(meta, meta_file)
    if oerr then return nil, oerr end
    for _, n in ipairs(order or {}) do
      if not safe_set_path(n) then
        return nil, string.format("%s: set path '%s' is outside the token folder", meta_file, tostring(n))
      end
      if by_name[n] == nil then
        return nil, string.format("%s: set '%s' is listed in $metadata.json but %s/%s.json is missing", meta_file, n, dir, n)
      end
      names[#names + 1] = n
    end
  end
  local listed = {}
  for _, n in ipairs(names) do listed[n] = true end
  for _, rel in ipairs(files) do
    local n = rel:gsub("%.json$", "")
    if not listed[n] then names[#names + 1] = n end
  end
  for _, n in ipairs(names) do
    local ok, err = add_set(source, n, dir .. "/" .. n .. ".json", rd, by_name[n])
    if not ok then return nil, err end
  end
  for _, doc in ipairs(docs) do rd.close(doc) end
  return source
end

local function read_file(path, opts, rd)
  local doc, text = rd.read(path)
  if doc == nil then return nil, text end
  local source, err = from_document(doc, { file = path, format = opts.format,
    key_order = function() return json.key_order(rd.text(doc, text)) end }, rd)
  rd.close(doc)
  return source, err
end

--- Reads a file or folder with one reader (`reader.tables` or
-- `reader.tape`), with no second attempt: the source, or nil and a message
-- (`reader.UNDECIDED` when the tape reader leaves it to the table reader).
-- For comparing the readers; `load.path` is what callers want.
function load.read_with(path, opts, rd)
  return (is_dir(path) and read_dir or read_file)(path, opts or {}, rd)
end

--- Reads a file or folder into a source. Returns the source or nil, message.
-- @tparam string path file or folder
-- @tparam[opt] table opts `{format = "tokens-studio" | "dtcg"}`
function load.path(path, opts)
  opts = opts or {}
  if reader.tape then
    -- the fast reader gives a source or nothing; every failure, and every
    -- case it cannot decide, is read again the ordinary way
    local source = load.read_with(path, opts, reader.tape)
    if source then return source end
  end
  return load.read_with(path, opts, reader.tables)
end

return load

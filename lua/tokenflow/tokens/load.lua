--- Reading token sources: a Tokens Studio single file, a Tokens Studio
-- multi-file folder (`$metadata.json`, `$themes.json`, one file per set), a
-- DTCG file, or a folder of DTCG files merged in name order; or the same
-- structures as Lua tables. The result is a source: `{format, sets = {name ->
-- {name, file, tokens = {token name -> definition}, count, names}}, order =
-- {set names}, themes = {...}, files_read = {paths}}` (`names`, when known:
-- the token names in the order written); each set may carry `digest`, the
-- SHA-256 of the text it was read from (see tokens.snapshot).
-- Nothing is half-loaded: any error returns nil and a message.
-- Files are read by the C tape reader when it can decide everything, else
-- (and for every error) by lua-cjson and the Lua walk; see reader.lua. The
-- sets of a lazily read folder are parsed the same way when first needed.
-- Files come from the disk or, with `opts.files`, from texts in memory (see
-- tokenflow.tokens.files); a lazily read source keeps its file source as
-- `source.fs`.
-- @module tokenflow.tokens.load

local json = require "tokenflow.tokens.json"
local reader = require "tokenflow.tokens.reader"
local files = require "tokenflow.tokens.files"

local load = {}

local join = files.join

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
  local defs, count, names = rd.flatten(doc, key, { file = file, format = source.format, out = set.tokens,
    strict = source.strict })
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
  local source = { format = format, sets = {}, order = {}, themes = {}, strict = opts.strict }
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
      if not rd.has(doc, n) then
        return nil, string.format("%s: set '%s' is listed in $metadata but missing", file, tostring(n))
      end
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
-- `strict`: a token that is not well formed fails the whole document
-- (else it is kept with `invalid`, its reason, and fails alone).
function load.from_document(doc, opts)
  return from_document(doc, opts or {}, reader.tables)
end

-- The fingerprint of one input text (SHA-256, hex); nil without the C module.
local digest do
  local ok, core = pcall(require, "tokenflow.core")
  digest = ok and type(core) == "table" and core.digest or nil
end
load.digest = digest

local function note_read(source, file)
  local list = source.files_read
  list[#list + 1] = file
end
--- Adds a file to `source.files_read`.
load.note_read = note_read

-- Reads the names of a Tokens Studio folder's sets in order: those of
-- tokenSetOrder, then the other files by name. `list` is the folder
-- listing; `meta` the decoded $metadata.json or nil.
local function set_names(dir, list, meta, meta_file)
  local present = {}
  for _, rel in ipairs(list) do present[(rel:gsub("%.json$", ""))] = true end
  local names = {}
  if meta ~= nil then
    local order, oerr = read_order(meta, meta_file)
    if oerr then return nil, oerr end
    for _, n in ipairs(order or {}) do
      if not safe_set_path(n) then
        return nil, string.format("%s: set path '%s' is outside the token folder", meta_file, tostring(n))
      end
      if not present[n] then
        return nil, string.format("%s: set '%s' is listed in $metadata.json but %s is missing",
          meta_file, n, join(dir, n .. ".json"))
      end
      names[#names + 1] = n
    end
  end
  local listed = {}
  for _, n in ipairs(names) do listed[n] = true end
  for _, rel in ipairs(list) do
    local n = rel:gsub("%.json$", "")
    if not listed[n] then names[#names + 1] = n end
  end
  return names
end

-- Reads a Tokens Studio folder's $themes.json into source.themes and
-- decodes its $metadata.json, each when present, noting them as read.
-- Returns true and the metadata (nil without one), or nil and a message.
local function read_folder_meta(fs, source, themes_file, meta_file, has_themes, has_meta)
  if has_themes then
    local list, err = fs.parse(reader.tables, themes_file)
    note_read(source, themes_file)
    if list == nil then return nil, err end
    local themes, terr = read_themes(list, themes_file)
    if not themes then return nil, terr end
    source.themes = themes
  end
  if not has_meta then return true, nil end
  local meta, err = fs.parse(reader.tables, meta_file)
  note_read(source, meta_file)
  if meta == nil then return nil, err end
  return true, meta
end

-- A Tokens Studio folder read lazily: only $metadata.json and $themes.json
-- now; each set file when a resolution first needs it (load.ensure).
local function read_dir_lazy(fs, dir, list, has_meta, has_themes, strict)
  local meta_file, themes_file = join(dir, "$metadata.json"), join(dir, "$themes.json")
  local source = { format = "tokens-studio", sets = {}, order = {}, themes = {}, lazy = true, files_read = {},
    strict = strict }
  if fs ~= files.disk then source.fs = fs end
  local ok, meta = read_folder_meta(fs, source, themes_file, meta_file, has_themes, has_meta)
  if not ok then return nil, meta end
  local names, nerr = set_names(dir, list, meta, meta_file)
  if not names then return nil, nerr end
  for i, n in ipairs(names) do
    source.sets[n] = { name = n, file = join(dir, n .. ".json"), count = 0, loaded = false }
    source.order[i] = n
  end
  return source
end

local function close_all(rd, docs)
  for _, doc in ipairs(docs) do rd.close(doc) end
end

local function read_dir(fs, dir, opts, rd)
  local meta_file, themes_file = join(dir, "$metadata.json"), join(dir, "$themes.json")
  local has_meta, has_themes = fs.exists(meta_file), fs.exists(themes_file)
  local format = opts.format
  local list = fs.json_files(dir)
  local lazy = opts.lazy
  if lazy == nil then lazy = has_themes end
  if lazy and format ~= "dtcg" and (has_meta or has_themes or format == "tokens-studio") then
    return read_dir_lazy(fs, dir, list, has_meta, has_themes, opts.strict)
  end
  local docs, digests, read = {}, {}, {}
  for i, rel in ipairs(list) do
    read[#read + 1] = join(dir, rel)
    local doc, text = fs.parse(rd, join(dir, rel))
    if doc == nil then
      close_all(rd, docs)
      return nil, text
    end
    docs[i] = doc
    -- the exact text the reader parsed (the tape reader keeps it)
    digests[i] = digest and rd.digest(doc, text) or nil
  end
  if not format then
    if has_meta or has_themes then
      format = "tokens-studio"
    else
      local why
      format, why = rd.detect_files(docs)
      if not format then
        close_all(rd, docs)
        return nil, why
      end
    end
  end
  local source = { format = format, sets = {}, order = {}, themes = {}, files_read = read, strict = opts.strict }
  if format == "dtcg" then
    local parts = {}
    for i, rel in ipairs(list) do
      local ok, err = add_set(source, "default", join(dir, rel), rd, docs[i])
      if not ok then
        close_all(rd, docs)
        return nil, err
      end
      parts[#parts + 1] = rel
      parts[#parts + 1] = digests[i] or ""
    end
    close_all(rd, docs)
    if source.sets.default and digest then source.sets.default.digest = digest(table.unpack(parts)) end
    return source
  end
  -- the set list are parsed: their text is no longer needed here
  local by_name, digest_of = {}, {}
  for i, rel in ipairs(list) do
    local n = rel:gsub("%.json$", "")
    by_name[n] = docs[i]
    digest_of[n] = digests[i]
  end
  local function fail(...)
    close_all(rd, docs)
    return ...
  end
  local ok, meta = read_folder_meta(fs, source, themes_file, meta_file, has_themes, has_meta)
  if not ok then return fail(nil, meta) end
  local names, nerr = set_names(dir, list, meta, meta_file)
  if not names then return fail(nil, nerr) end
  for _, n in ipairs(names) do
    local added, err = add_set(source, n, join(dir, n .. ".json"), rd, by_name[n])
    if not added then return fail(nil, err) end
    source.sets[n].digest = digest_of[n]
  end
  close_all(rd, docs)
  return source
end

local function read_file(fs, path, opts, rd)
  local doc, text = fs.parse(rd, path)
  if doc == nil then return nil, text end
  local source, err = from_document(doc, { file = path, format = opts.format, strict = opts.strict,
    key_order = function() return json.key_order(rd.text(doc, text)) end }, rd)
  if source and digest then
    -- the exact text the reader parsed, one digest per set
    local d = rd.digest(doc, text)
    for name, set in pairs(source.sets) do set.digest = digest(d, name) end
  end
  rd.close(doc)
  if not source then return nil, err end
  source.files_read = { path }
  return source
end

-- Parses text into set `name` with one reader: true, or nil and a message
-- (`reader.UNDECIDED` from the tape reader); the set is left empty on error.
local function fill_with(source, set, text, rd)
  local doc, err = rd.decode(text, set.file)
  if doc == nil then return nil, err end
  set.tokens, set.count, set.names = {}, 0, nil
  local ok, ferr = add_set(source, set.name, set.file, rd, doc)
  rd.close(doc)
  if not ok then
    set.tokens, set.count, set.names = nil, 0, nil
    return nil, ferr
  end
  return true
end

--- Parses the text of a lazily loaded set (the tape reader first, then the
-- table reader for what it leaves undecided, as `load.path`). Returns true,
-- or nil and a message naming the file and token path (the set stays
-- unread).
function load.fill(source, name, text)
  local set = source.sets[name]
  local ok, err
  if reader.tape then ok = fill_with(source, set, text, reader.tape) end
  if not ok then
    ok, err = fill_with(source, set, text, reader.tables)
    if not ok then return nil, err end
  end
  set.loaded = true
  set.digest = digest and digest(text) or nil
  return true
end

--- The text of a set file not yet read (the file is read now, and counted
-- as read). Returns the text, or nil and a message.
function load.text(source, name)
  local set = source.sets[name]
  note_read(source, set.file)
  return (source.fs or files.disk).read(set.file)
end

--- The SHA-256 (hex) of a set file not read yet, without parsing it (the
-- file is counted as read); nil when it cannot be read.
function load.digest_unread(source, name)
  local set = source.sets[name]
  note_read(source, set.file)
  return (source.fs or files.disk).digest(set.file)
end

--- Makes sure the sets named in `names` are read (lazy sources). Returns
-- true, or nil and a message naming the file.
function load.ensure(source, names)
  if not source.lazy then return true end
  for _, n in ipairs(names) do
    local set = source.sets[n]
    if set and not set.loaded then
      local text, err = load.text(source, n)
      if not text then return nil, err end
      local ok, ferr = load.fill(source, n, text)
      if not ok then return nil, ferr end
    end
  end
  return true
end

--- Reads a file or folder with one reader (`reader.tables` or
-- `reader.tape`), with no second attempt: the source, or nil and a message
-- (`reader.UNDECIDED` when the tape reader leaves it to the table reader).
-- For comparing the readers; `load.path` is what callers want.
function load.read_with(path, opts, rd)
  opts = opts or {}
  local fs = files.source(opts)
  return (fs.is_dir(path) and read_dir or read_file)(fs, path, opts, rd)
end

--- Reads a file or folder into a source. Returns the source or nil, message.
-- A Tokens Studio folder with `$themes.json` is read lazily (`lazy = true`
-- forces it for any Tokens Studio folder, `lazy = false` reads everything
-- now): only `$metadata.json` and `$themes.json` are read here, and each
-- set file when a resolution first needs it (`load.ensure`); a set file's
-- errors then surface from that resolution. `source.files_read` lists the
-- files read so far, in order.
-- @tparam string path file or folder (`""`: the root of `opts.files`)
-- @tparam[opt] table opts `{format = "tokens-studio" | "dtcg", lazy = boolean,
-- strict = boolean, files = {path -> text}}` (strict: a token that is not
-- well formed fails the whole load, naming the first such token by name;
-- files: read these texts, not the disk)
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

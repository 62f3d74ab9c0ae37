--- The token engine: loads Tokens Studio and DTCG token files and resolves
-- them (references, math, colours, themes) the way Tokens Studio and Style
-- Dictionary do.
--
--    local set = tf.tokens.load("examples/tokens/studio")
--    local r = set:resolve{ theme = "dark" }
--    print(r:get("color.bg"))   --> #1b2430, {type = "color", ...}
-- @module tokenflow.tokens

local load = require "tokenflow.tokens.load"
local themes = require "tokenflow.tokens.themes"
local detect = require "tokenflow.tokens.detect"
local Resolved = require "tokenflow.tokens.resolved"
local snapshot = require "tokenflow.tokens.snapshot"
local guard = require "tokenflow.guard"
local figma = require "tokenflow.tokens.figma"

local tokens = {}

local TokenSet = {}
TokenSet.__index = TokenSet
TokenSet.__name = "tokenflow.TokenSet"

local function interner()
  local ok, tf = pcall(require, "tokenflow")
  return ok and tf.names or nil, ok and tf.now or os.clock
end

-- Raises the usual argument error unless self is a TokenSet.
local function check(self, fname)
  guard.receiver(self, TokenSet, fname)
end

local function is_object(v) return type(v) == "table" and v[1] == nil end

-- Math, colour functions and numeric strings are Tokens Studio semantics;
-- DTCG files follow Style Dictionary, which substitutes references only,
-- unless the caller asks for math.
local function new_set(source, opts)
  local math_on = opts.math
  if math_on == nil then math_on = source.format == "tokens-studio" end
  return setmetatable({ _source = source, _math = math_on }, TokenSet)
end

local function check_opts(opts, fname)
  if opts ~= nil and type(opts) ~= "table" then
    error(string.format("bad argument #2 to '%s' (table expected, got %s)", fname, type(opts)), 3)
  end
  opts = opts or {}
  if opts.math ~= nil and type(opts.math) ~= "boolean" then
    error(string.format("bad argument #2 to '%s' (math must be a boolean, got %s)", fname, type(opts.math)), 3)
  end
  for _, flag in ipairs { "lazy", "strict" } do
    if opts[flag] ~= nil and type(opts[flag]) ~= "boolean" then
      error(string.format("bad argument #2 to '%s' (%s must be a boolean, got %s)", fname, flag, type(opts[flag])), 3)
    end
  end
  if opts.files ~= nil then
    if type(opts.files) ~= "table" then
      error(string.format("bad argument #2 to '%s' (files must be a table, got %s)", fname, type(opts.files)), 3)
    end
    for path, text in pairs(opts.files) do
      if type(path) ~= "string" or type(text) ~= "string" then
        error(string.format("bad argument #2 to '%s' (files must map paths to texts, got %s -> %s)",
          fname, type(path), type(text)), 3)
      end
    end
  end
  if opts.format ~= nil and not detect.valid(opts.format) then
    error(string.format("bad argument #2 to '%s' (format must be 'tokens-studio' or 'dtcg', got '%s')",
      fname, tostring(opts.format)), 3)
  end
  return opts
end

--- Loads a token file or folder. Returns a TokenSet, or nil and a message
-- naming the file and token path.
-- @tparam string path a JSON file or a folder
-- @tparam[opt] table opts `{format = "tokens-studio" | "dtcg"}` overrides
-- detection; `{math = true | false}` turns math, colour functions and
-- numeric strings on or off (default: on for Tokens Studio, off for DTCG,
-- as Style Dictionary reads DTCG files). A Tokens Studio folder with
-- `$themes.json` loads lazily: only `$metadata.json` and `$themes.json` are
-- read now, each set file when a resolution first needs it (errors in a set
-- file then come from `resolve` or `prefetch`); `{lazy = false}` reads every
-- file now, `{lazy = true}` makes any Tokens Studio folder lazy.
-- A token that is not well formed (a value of the wrong shape for its
-- type, no value) fails alone: it is listed by `Resolved:failures()` with
-- its reason and keeps its value as written; `{strict = true}` makes it
-- fail the whole load instead (the message names the first such token by
-- name).
-- `{files = {[path] = text}}` reads these JSON texts instead of the disk
-- (paths relative, "/"-separated; `path` is then one of them, or a folder
-- among them, `""` for all): for hosts without a file system. The table
-- must not change while the set is in use.
function tokens.load(path, opts)
  if type(path) ~= "string" then
    error("bad argument #1 to 'load' (string expected, got " .. type(path) .. ")", 2)
  end
  opts = check_opts(opts, "load")
  -- what a load builds stays alive: the collector would only walk it again
  -- and again while it grows (about a tenth of the time of a large set)
  local collecting = collectgarbage("isrunning")
  if collecting then collectgarbage("stop") end
  local ok, source, err = pcall(load.path, path, opts)
  if collecting then collectgarbage("restart") end
  if not ok then error(source, 0) end
  if not source then return nil, err end
  return new_set(source, opts)
end

--- A TokenSet from a Lua table holding the same structures as a file.
-- Returns the TokenSet, or nil and a message. `opts` as for `load`, plus
-- `name` (what to call the table in messages). A table that contains
-- itself, or nests deeper than 1000 levels (the JSON reader's limit),
-- raises an error naming where.
function tokens.new(tbl, opts)
  if type(tbl) ~= "table" then
    error("bad argument #1 to 'new' (table expected, got " .. type(tbl) .. ")", 2)
  end
  opts = check_opts(opts, "new")
  local ok, why = guard.check(tbl, type(opts.name) == "string" and opts.name or "(table)")
  if not ok then error("bad argument #1 to 'new' (" .. why .. ")", 2) end
  local source, err = load.from_document(tbl, { file = opts.name or "(table)", format = opts.format,
    strict = opts.strict })
  if not source then return nil, err end
  return new_set(source, opts)
end

--- The token set a Figma file carries (Tokens Studio with local storage
-- keeps it in the document node's `sharedPluginData.tokens`: the sets in
-- `values`, `themes`, `activeTheme`, `usedTokenSet`, `version`,
-- `updatedAt`, `storageType`). Returns the TokenSet and what the file says
-- about it: `{themes = {active theme ids}, sets = {set -> status} | nil,
-- selection = the selection the file uses (its active themes, else its
-- used sets, else nil: every set), version, updated_at, storage}`; or nil
-- and a message naming the key (a file without token data, a stored form
-- this version does not read, malformed JSON in a stored field).
--
--    local set, file = assert(tf.tokens.from_figma("file.json"))
--    local r = set:resolve(file.selection)
-- @param src a file path, a decoded Figma file (with `document`) or a
-- document node
-- @tparam[opt] table opts as for `load` (`strict`, `math`), plus `name`
-- (what to call a table in messages)
function tokens.from_figma(src, opts)
  if type(src) ~= "string" and type(src) ~= "table" then
    error("bad argument #1 to 'from_figma' (file path or table expected, got " .. type(src) .. ")", 2)
  end
  opts = check_opts(opts, "from_figma")
  local doc, info
  if type(src) == "string" then
    doc, info = figma.read_file(src)
  else
    doc, info = figma.from_file(src, type(opts.name) == "string" and opts.name or nil)
  end
  if not doc then return nil, info end
  -- a host may hand over token data it decoded itself: walked below
  local ok, why = guard.check(doc, info.where .. ".values")
  if not ok then error("bad argument #1 to 'from_figma' (" .. why .. ")", 2) end
  local source, err = load.from_document(doc, { file = info.where .. ".values", format = "tokens-studio",
    strict = opts.strict })
  if not source then return nil, err end
  info.selection = figma.selection(info)
  info.where = nil
  return new_set(source, opts), info
end

--- The format the set was read as: "tokens-studio" or "dtcg".
function TokenSet:format()
  check(self, "format")
  return self._source.format
end

--- Set names in `tokenSetOrder` (or file order).
function TokenSet:sets()
  check(self, "sets")
  local out = {}
  for i, n in ipairs(self._source.order) do out[i] = n end
  return out
end

--- Themes: array of `{name, id, group, selectedTokenSets}` (copies).
function TokenSet:themes()
  check(self, "themes")
  local out = {}
  for i, t in ipairs(self._source.themes) do
    local sel = {}
    for k, v in pairs(t.selectedTokenSets) do sel[k] = v end
    out[i] = { name = t.name, id = t.id, group = t.group, selectedTokenSets = sel }
  end
  return out
end

-- Merges the selected sets: later wins; objects merge shallowly between
-- sets in use, arrays and everything else replace. Returns name -> definition
-- (shared with the source unless merged; read-only), name -> {set, status},
-- and (when known) the names in the order written.
local function merge(source, selection)
  if #selection == 1 then
    -- one set: its own map serves as is
    local s = selection[1]
    local where = { set = s.name, status = s.status, in_use = s.status ~= "unused" }
    local set = source.sets[s.name]
    return set.tokens, setmetatable({}, { __index = function() return where end }), set.names
  end
  -- the names in the order written, set after set, when every set knows it
  local order = {}
  for _, s in ipairs(selection) do
    local names = source.sets[s.name].names
    if not names then
      order = nil
      break
    end
    table.move(names, 1, #names, #order + 1, order)
  end
  local merged, origin = {}, {}
  for _, s in ipairs(selection) do
    local in_use = s.status ~= "unused"
    local where = { set = s.name, status = s.status, in_use = in_use }
    for name, d in pairs(source.sets[s.name].tokens) do
      local prev = merged[name]
      if prev then
        local value = d.value
        local object_merge = in_use and origin[name].in_use and is_object(prev.value) and is_object(value)
        if object_merge or (d.type == nil and prev.type ~= nil) then
          local m = {}
          for k, v in pairs(d) do m[k] = v end
          if object_merge then
            local mv = {}
            for k, v in pairs(prev.value) do mv[k] = v end
            for k, v in pairs(value) do mv[k] = v end
            m.value = mv
          end
          m.type = d.type or prev.type
          d = m
        end
      end
      merged[name] = d
      origin[name] = where
    end
  end
  return merged, origin, order
end

-- Raises unless sel is nil or a selection table whose themes and sets are tables.
local function check_sel(sel, fname)
  if sel ~= nil and type(sel) ~= "table" then
    error(string.format("bad argument #1 to '%s' (table expected, got %s)", fname, type(sel)), 3)
  end
  for _, field in ipairs { "themes", "sets" } do
    local v = sel and sel[field]
    if v ~= nil and type(v) ~= "table" then
      error(string.format("bad argument #1 to '%s' (%s must be a table, got %s)", fname, field, type(v)), 3)
    end
  end
end

local function is_store(v)
  local mt = getmetatable(v)
  return type(mt) == "table" and mt.__name == "tokenflow.Store"
end

--- Resolves the set for a selection. With no selection every set takes
-- part, enabled, in order. Returns a Resolved, or nil and a message (unknown
-- theme or set, or a set file that cannot be read).
-- With `store = st` (a `tf.store`), the result is looked up first under a
-- fingerprint of the exact inputs (see tokenflow.tokens.snapshot): a hit
-- loads the resolved values without parsing or resolving; a miss resolves
-- and stores them. `stats().store` says "hit" or "miss". A store that
-- cannot be read or written is passed over (the set is resolved as usual).
-- @tparam[opt] table sel `{theme = name}`, `{themes = {names}}` or `{sets =
-- {names} | {name = status}}`, plus `store`
function TokenSet:resolve(sel)
  check(self, "resolve")
  check_sel(sel, "resolve")
  local store = sel and sel.store
  if store ~= nil and not is_store(store) then
    error("bad argument #1 to 'resolve' (store must be a tokenflow.Store, got " .. type(store) .. ")", 2)
  end
  local source = self._source
  local selection, err = themes.select(source, sel)
  if not selection then return nil, err end
  local names, clock = interner()
  local t0 = clock()
  local set_names = {}
  for i, s in ipairs(selection) do set_names[i] = s.name end
  local key, pending
  if store then
    key, pending = snapshot.key(source, selection, self._math)
    if key == nil then return nil, pending end
    if key == false then store = nil end -- sets that cannot be fingerprinted
  end
  if store then
    local snap = store:get(key)
    if snapshot.valid(snap) then
      local r = Resolved.restore(snap, { names = names, clock = clock, started = t0, math = self._math, store = "hit" })
      r._key = key
      return r
    end
  end
  local ok, lerr = load.ensure(source, set_names)
  if not ok then return nil, lerr end
  local merged, origin, order = merge(source, selection)
  local r = Resolved.new(merged, origin, { names = names, clock = clock, sets = set_names, started = t0,
    math = self._math, store = store and "miss" or nil, order = order })
  -- stored only when the files parsed are the ones fingerprinted; a value
  -- the format cannot hold (a function in a table-built set) only means
  -- nothing is stored
  if store and snapshot.same_inputs(source, pending) then
    r._key = key
    pcall(store.set, store, key, snapshot.capture(r, #selection == 1))
  end
  return r
end

--- The content fingerprint of a selection's inputs: the key its snapshot
-- has in a store (see tokenflow.tokens.snapshot). Reads the set files not
-- read yet (without parsing them). Returns a string; nil and a message for
-- an unknown theme or set or a file that cannot be read; false when the
-- set cannot be fingerprinted (a table-built set holding values the store's
-- format refuses).
-- @tparam[opt] table sel as for `resolve`
function TokenSet:fingerprint(sel)
  check(self, "fingerprint")
  check_sel(sel, "fingerprint")
  local selection, err = themes.select(self._source, sel)
  if not selection then return nil, err end
  local key, kerr = snapshot.key(self._source, selection, self._math)
  if key == nil then return nil, kerr end
  return key
end

--- Reads ahead the set files a selection needs (lazy sets), so a later
-- `resolve` does no file reading. With no selection, every set. Returns
-- true, or nil and a message.
-- @tparam[opt] table sel as for `resolve`
function TokenSet:prefetch(sel)
  check(self, "prefetch")
  check_sel(sel, "prefetch")
  local selection, err = themes.select(self._source, sel)
  if not selection then return nil, err end
  local set_names = {}
  for i, s in ipairs(selection) do set_names[i] = s.name end
  return load.ensure(self._source, set_names)
end

--- The files read so far, in the order they were read (a lazy folder:
-- `$themes.json`, `$metadata.json`, then each set file when first needed).
function TokenSet:files_read()
  check(self, "files_read")
  local out = {}
  for i, f in ipairs(self._source.files_read or {}) do out[i] = f end
  return out
end

--- Counts: `{format, sets, sets_read, themes, definitions, files_read,
-- lazy}` (`definitions`: in the sets read so far).
function TokenSet:stats()
  check(self, "stats")
  local src = self._source
  local defs, read = 0, 0
  for _, s in pairs(src.sets) do
    if s.tokens then
      defs = defs + s.count
      read = read + 1
    end
  end
  return { format = src.format, sets = #src.order, sets_read = read, themes = #src.themes, definitions = defs,
    files_read = #(src.files_read or {}), lazy = src.lazy or false }
end

-- Definitions: of the sets read so far (all of them unless the set is lazy).
function TokenSet:__tostring()
  local n = 0
  for _, s in pairs(self._source.sets) do n = n + s.count end
  return string.format("tokenflow.TokenSet (%s, %d sets, %d themes, %d definitions)",
    self._source.format, #self._source.order, #self._source.themes, n)
end

return tokens

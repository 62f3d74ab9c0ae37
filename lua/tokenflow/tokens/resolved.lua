--- A Resolved: the tokens of one selection (theme, themes or sets) with
-- their values resolved. Values are shared, not copied: treat them as
-- read-only.
-- @module tokenflow.tokens.resolved

local guard = require "tokenflow.guard"
local resolve = require "tokenflow.tokens.resolve"

local Resolved = {}
Resolved.__index = Resolved
Resolved.__name = "tokenflow.Resolved"

-- Raises the usual argument error unless self is a Resolved.
local function check(self, fname, arg)
  guard.receiver(self, Resolved, fname, arg)
end

local function deep_equal(a, b)
  if a == b then return true end
  if type(a) ~= "table" or type(b) ~= "table" then return false end
  for k, v in pairs(a) do if not deep_equal(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

--- Builds a Resolved from merged definitions (name -> def with `value`,
-- `type`, `modify`) and their origin (name -> `{set, status}`). `opts.names`
-- is the interner token names go into; `opts.order` (optional) the token
-- names in the order written, which the resolver takes first.
function Resolved.new(tokens, origin, opts)
  local order = opts.order
  local engine = resolve.engine(tokens, { math = opts.math ~= false, size = order and #order or nil })
  engine.run(order)
  local self = setmetatable({
    _tokens = tokens, _origin = origin, _engine = engine, _sorted = false,
    _names = opts.names, _info = {}, _sets = opts.sets or {},
    _seconds = opts.clock and opts.started and (opts.clock() - opts.started) or nil,
    _store = opts.store,
  }, Resolved)
  return self
end

--- Builds a Resolved from a snapshot (see tokenflow.tokens.snapshot)
-- without resolving anything: it answers exactly as the Resolved the
-- snapshot was taken from. `opts` as for `new`.
function Resolved.restore(snap, opts)
  local origin = snap.origin
  if not origin then
    local where = snap.where
    origin = setmetatable({}, { __index = function() return where end })
  end
  local engine = resolve.engine(snap.tokens, { math = opts.math ~= false, restore = snap })
  return setmetatable({
    _tokens = snap.tokens, _origin = origin, _engine = engine, _sorted = false,
    _names = opts.names, _info = {}, _sets = snap.sets,
    _seconds = opts.clock and opts.started and (opts.clock() - opts.started) or nil,
    _store = opts.store,
  }, Resolved)
end

-- All names sorted, and the exported ones (from enabled sets), built on
-- first use.
local function sorted(self)
  if not self._sorted then
    local all = {}
    for name in pairs(self._tokens) do all[#all + 1] = name end
    table.sort(all)
    self._all = all
    local exported, origin = {}, self._origin
    for _, name in ipairs(self._all) do
      if origin[name].status == "enabled" then exported[#exported + 1] = name end
    end
    self._exported = exported
    self._sorted = true
  end
  return self._all, self._exported
end

local function is_exported(self, name)
  return self._tokens[name] ~= nil and self._origin[name].status == "enabled"
end

-- The info table of a token, built on first request.
local function info_of(self, name)
  local info = self._info[name]
  if info then return info end
  local def = self._tokens[name]
  if not def then return nil end
  local e = self._engine
  local refs = e.refs_of(name)
  local deps, id = {}, nil
  local interner = self._names
  if interner then
    id = interner:intern(name)
    for i, r in ipairs(refs) do deps[i] = interner:intern(r) end
  end
  local origin = self._origin[name]
  info = {
    type = e.type_of(name), failed = e.failed[name] and true or false, reason = e.failed[name] or nil,
    raw = def.value, refs = refs, deps = deps, id = id, set = origin.set,
    exported = origin.status == "enabled", description = def.description, modify = def.modify,
  }
  self._info[name] = info
  return info
end

--- The resolved value of a token and its info `{type, failed, reason, raw,
-- refs, deps, id, set, exported}` (`deps` and `id` are interner ids).
-- Returns nil for a name no set defines.
function Resolved:get(name)
  check(self, "get")
  local info = info_of(self, name)
  if not info then return nil end
  return self._engine.values[name], info
end

--- Iterates the exported tokens (from enabled sets) in name order:
-- `for name, value, info in r:each() do ... end`.
function Resolved:each()
  check(self, "each")
  local _, names = sorted(self)
  local i = 0
  return function()
    i = i + 1
    local name = names[i]
    if name == nil then return nil end
    return name, self._engine.values[name], info_of(self, name)
  end
end

--- Evaluates any expression (references, math, colour functions) against
-- the resolved tokens. Returns the value and `{failed, reason, refs}`.
-- Parsed texts are memoised, up to 8,192 new texts or 4 MB of them; then
-- the memos start again, so a host may ask about any number of texts.
function Resolved:eval(text)
  check(self, "eval")
  if type(text) ~= "string" then error("bad argument #1 to 'eval' (string expected, got " .. type(text) .. ")", 2) end
  local v, reason, refs = self._engine.eval(text)
  return v, { failed = reason and true or false, reason = reason or nil, refs = refs }
end

--- Names of every token that uses `name`, directly or through aliases
-- (sorted).
function Resolved:dependents(name)
  check(self, "dependents")
  if type(name) ~= "string" then
    error("bad argument #1 to 'dependents' (string expected, got " .. type(name) .. ")", 2)
  end
  local users = self._users
  if not users then
    users = {}
    for n in pairs(self._tokens) do
      for _, r in ipairs(self._engine.refs_of(n)) do
        local list = users[r]
        if not list then list = {}; users[r] = list end
        list[#list + 1] = n
      end
    end
    self._users = users
  end
  local out, seen, queue, head = {}, { [name] = true }, { name }, 1
  while queue[head] do
    local n = queue[head]
    head = head + 1
    for _, u in ipairs(users[n] or {}) do
      if not seen[u] then
        seen[u] = true
        out[#out + 1] = u
        queue[#queue + 1] = u
      end
    end
  end
  table.sort(out)
  return out
end

--- Names of exported tokens whose values differ between this and `other`
-- (including tokens present in only one of them), sorted.
function Resolved:diff(other)
  check(self, "diff")
  check(other, "diff", 2)
  local out, seen = {}, {}
  local a, b = self._engine.values, other._engine.values
  local _, mine = sorted(self)
  local _, theirs = sorted(other)
  for _, list in ipairs { mine, theirs } do
    for _, name in ipairs(list) do
      if not seen[name] then
        seen[name] = true
        if is_exported(self, name) ~= is_exported(other, name) or not deep_equal(a[name], b[name]) then
          out[#out + 1] = name
        end
      end
    end
  end
  table.sort(out)
  return out
end

--- The exported tokens as one table, name -> value.
function Resolved:flat()
  check(self, "flat")
  local out, values, origin = {}, self._engine.values, self._origin
  for name in pairs(self._tokens) do
    if origin[name].status == "enabled" then out[name] = values[name] end
  end
  return out
end

--- The exported tokens as nested tables, one level per segment of the
-- name, each token a leaf `{value =, type =}` (the shape of `tokenflow
-- resolve --format json`).
function Resolved:tree()
  check(self, "tree")
  local tree = {}
  for name, value, info in self:each() do
    local node, segs = tree, {}
    for s in name:gmatch("[^.]+") do segs[#segs + 1] = s end
    for i = 1, #segs - 1 do
      node[segs[i]] = node[segs[i]] or {}
      node = node[segs[i]]
    end
    node[segs[#segs]] = { value = value, type = info.type }
  end
  return tree
end

--- Failed tokens (exported or not) as an array of `{name, reason}`, by name.
function Resolved:failures()
  check(self, "failures")
  local names, failed = {}, self._engine.failed
  for name in pairs(failed) do
    if self._tokens[name] then names[#names + 1] = name end
  end
  table.sort(names)
  local out = {}
  for i, name in ipairs(names) do out[i] = { name = name, reason = failed[name] } end
  return out
end

--- Counts: `{tokens, exported, failed, sets, seconds}`, and `store`
-- ("hit" or "miss") when it was resolved with a store.
function Resolved:stats()
  check(self, "stats")
  local ntokens, nfailed, nexported = 0, 0, 0
  local failed, origin = self._engine.failed, self._origin
  for name in pairs(self._tokens) do
    ntokens = ntokens + 1
    if failed[name] then nfailed = nfailed + 1 end
    if origin[name].status == "enabled" then nexported = nexported + 1 end
  end
  return { tokens = ntokens, exported = nexported, failed = nfailed, sets = #self._sets, seconds = self._seconds,
    store = self._store }
end

--- The fingerprint of the inputs this was resolved from (its key in the
-- store) when it was resolved with a store, else nil.
function Resolved:fingerprint()
  check(self, "fingerprint")
  return self._key
end

function Resolved:__tostring()
  local s = self:stats()
  return string.format("tokenflow.Resolved (%d tokens, %d exported, %d failed%s)", s.tokens, s.exported, s.failed,
    s.store and ", store " .. s.store or "")
end

return Resolved

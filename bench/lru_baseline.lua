--- A tight pure-Lua LRU cache, the baseline the token cache is measured
-- against in bench/cache_bench.lua. It is the design of lua-resty-lrucache,
-- the cache Lua users know: one table from key to node and a doubly linked
-- list of nodes, most recent first; a full cache reuses its least recent
-- node for the new key, so a steady stream of misses allocates nothing but
-- the map's own entries. Written as tightly as Lua allows: closures over
-- upvalues (no `self` lookups), nodes as small arrays (prev, next, key,
-- value) in their array part. Tuple keys are joined into one string
-- (`a .. "|" .. b .. "|" .. c`) by the caller, as Lua code does.
local lru = {}

local PREV, NEXT, KEY, VALUE = 1, 2, 3, 4

--- A new LRU holding at most `capacity` entries: `{get = fn, set = fn}`,
-- each called as `get(lru, key)` / `set(lru, key, value)` like methods.
function lru.new(capacity)
  local map = {}
  local head = {} -- sentinel: head[NEXT] is the most recent, head[PREV] the least
  head[PREV], head[NEXT] = head, head
  local size = 0

  local function get(_, key)
    local node = map[key]
    if node == nil then return nil end
    if head[NEXT] ~= node then
      local p, n = node[PREV], node[NEXT]
      p[NEXT], n[PREV] = n, p
      local first = head[NEXT]
      node[PREV], node[NEXT] = head, first
      first[PREV], head[NEXT] = node, node
    end
    return node[VALUE]
  end

  local function set(_, key, value)
    local node = map[key]
    if node ~= nil then
      node[VALUE] = value
      get(nil, key)
      return
    end
    if size >= capacity then
      node = head[PREV] -- the least recent: unlinked and reused
      local p = node[PREV]
      p[NEXT], head[PREV] = head, p
      map[node[KEY]] = nil
    else
      size = size + 1
      node = { false, false, false, false }
    end
    node[KEY], node[VALUE] = key, value
    map[key] = node
    local first = head[NEXT]
    node[PREV], node[NEXT] = head, first
    first[PREV], head[NEXT] = node, node
  end

  return { get = get, set = set }
end

return lru

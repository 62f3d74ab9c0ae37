--- The usual pure-Lua LRU cache (a table from key to node plus a doubly
-- linked list of nodes, most recent at the head), the baseline the token
-- cache is measured against in bench/cache_bench.lua.
local lru = {}
lru.__index = lru

--- A new LRU holding at most `capacity` entries.
function lru.new(capacity)
  local head = {} -- sentinel: head.next is the most recent, head.prev the least
  head.next, head.prev = head, head
  return setmetatable({ map = {}, head = head, size = 0, capacity = capacity }, lru)
end

local function unlink(node)
  node.prev.next = node.next
  node.next.prev = node.prev
end

local function push_front(head, node)
  node.next = head.next
  node.prev = head
  head.next.prev = node
  head.next = node
end

--- The value under key (now the most recent), or nil.
function lru:get(key)
  local node = self.map[key]
  if node == nil then return nil end
  unlink(node)
  push_front(self.head, node)
  return node.value
end

--- Stores value under key, dropping the least recent entry when full.
function lru:set(key, value)
  local map, node = self.map, self.map[key]
  if node then
    node.value = value
    unlink(node)
  else
    if self.size >= self.capacity then
      local last = self.head.prev
      unlink(last)
      map[last.key] = nil
    else
      self.size = self.size + 1
    end
    node = { key = key, value = value }
    map[key] = node
  end
  push_front(self.head, node)
end

return lru

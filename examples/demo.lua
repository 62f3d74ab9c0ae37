-- Demonstration of the engines on a synthetic 100k-node document.
--
-- Each node carries a token map (property -> token name) drawn from about
-- a thousand distinct combinations, as a themed design document does. For
-- every node the demo builds the combination key from the token names (a
-- tuple, no string concatenation), looks it up in the token cache, and only
-- on a miss "resolves" the combination (follows the aliases of a small
-- synthetic token set). Nodes are generated one at a time, never all held.
--
-- Run: make demo   (or: lua5.4 examples/demo.lua [nodes])
local here = debug.getinfo(1, "S").source:match("^@(.*)/examples/[^/]*$") or "."
package.path = here .. "/lua/?.lua;" .. here .. "/lua/?/init.lua;" .. package.path
package.cpath = here .. "/build/?.so;" .. package.cpath

local tf = require "tokenflow"

local NODES = tonumber(arg and arg[1]) or 100000
local PROPERTIES = { "fill", "borderRadius", "spacing", "fontSizes", "opacity" }
local CHOICES = { 10, 6, 5, 4, 1 } -- 10*6*5*4*1 = 1200 possible combinations

-- A small token set: each property's tokens alias a palette entry.
local tokens, token_names = {}, {}
for p, prop in ipairs(PROPERTIES) do
  token_names[p] = {}
  for c = 1, CHOICES[p] do
    token_names[p][c] = prop .. "." .. c
    tokens[prop .. "." .. c] = { alias = "base." .. prop .. "." .. c }
    tokens["base." .. prop .. "." .. c] = { value = (p * 100 + c) .. "px" }
  end
end

local resolutions = 0
local function resolve_combination(key)
  resolutions = resolutions + 1
  local props = {}
  for i, name in ipairs(key) do
    local t = tokens[name]
    while t.alias do t = tokens[t.alias] end
    props[PROPERTIES[i]] = t.value
  end
  return props
end

-- Deterministic node generator (xorshift), skewed so some combinations are
-- far more common than others, as in real documents.
local state = 2463534242
local function rand(n)
  state = state ~ ((state << 13) & 0xffffffff)
  state = state ~ (state >> 17)
  state = state ~ ((state << 5) & 0xffffffff)
  local r = (state % 1000003) / 1000003
  return 1 + math.floor(r * r * n)
end

local cache = tf.cache { capacity = 2000 }
local key = {}
local heap_peak = collectgarbage("count")
local t0 = tf.now()
for node = 1, NODES do
  for p = 1, #PROPERTIES do key[p] = token_names[p][rand(CHOICES[p])] end
  local props = cache:fetch(key, resolve_combination)
  assert(props.fill, "node " .. node .. " has no fill")
  if node % 10000 == 0 then heap_peak = math.max(heap_peak, collectgarbage("count")) end
end
local elapsed = tf.now() - t0

local s = cache:stats()
print(string.format("tokenflow %s demo: %d nodes, %d properties each", tf.version, NODES, #PROPERTIES))
print(string.format("  resolutions     %d (one per distinct combination seen, plus re-resolutions after eviction)", resolutions))
print(string.format("  cache           %d hits, %d misses, hit rate %.2f%%, %d entries, %d evictions",
  s.hits, s.misses, 100 * s.hit_rate, s.entries, s.evictions))
print(string.format("  interner        %d names", #tf.names))
print(string.format("  time            %.3f s (%.0f ns per node)", elapsed, elapsed / NODES * 1e9))
print(string.format("  Lua heap peak   %.0f KB; C engines hold %d KB", heap_peak, tf.engine_bytes() // 1024))
print("  " .. tostring(cache))

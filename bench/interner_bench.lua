-- Interner: `names:intern(s)` of a name already present, against a plain
-- Lua table lookup `ids[s]` and against a bare Lua->C method call (a C
-- function that does nothing), all over the same 10k names in one run.
local tf = require "tokenflow"
local benchlib = require "benchlib"

local N = 2000000
local names = tf.interner()
local ids = {}
local list = {}
for i = 1, 10000 do
  local s = "colors.palette." .. i .. ".value"
  list[i] = s
  ids[s] = names:intern(s)
end

local function lua_lookup(n)
  local t, l, sum = ids, list, 0
  for i = 1, n do sum = sum + t[l[i % 10000 + 1]] end
  return sum
end

local function c_intern(n)
  local nm, l, sum = names, list, 0
  for i = 1, n do sum = sum + nm:intern(l[i % 10000 + 1]) end
  return sum
end

local function c_lookup(n)
  local nm, l, sum = names, list, 0
  for i = 1, n do sum = sum + nm:lookup(l[i % 10000 + 1]) end
  return sum
end

-- the floor: a method call into C that returns its argument's length
local bare = setmetatable({}, { __index = { len = rawlen } })
local function c_call(n)
  local b, l, sum = bare, list, 0
  for i = 1, n do sum = sum + b.len(l[i % 10000 + 1]) end
  return sum
end

assert(lua_lookup(10000) == c_intern(10000))
local t_table = benchlib.time(lua_lookup, N)
local t_intern = benchlib.time(c_intern, N)
local t_lookup = benchlib.time(c_lookup, N)
local t_call = benchlib.time(c_call, N)

local heap0 = benchlib.heap()
c_intern(N)
local growth = benchlib.heap() - heap0

benchlib.line("interner_intern_vs_table", t_intern / t_table, string.format(
  "intern %.1f ns, lookup %.1f ns, table ids[s] %.1f ns, bare C call %.1f ns (%.2fx table); heap growth over %d interns %d bytes; target <= 4x",
  t_intern / N * 1e9, t_lookup / N * 1e9, t_table / N * 1e9, t_call / N * 1e9, t_call / t_table, N, growth))

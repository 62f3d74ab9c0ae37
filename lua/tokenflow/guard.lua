--- Checks a table a caller hands over before anything walks it: a table
-- that contains itself (through any path) or nesting deeper than a limit
-- would make a walk loop forever or overflow the stack.
-- @module tokenflow.guard

local guard = {}

local next, type = next, type

--- The deepest nesting accepted by default (the JSON reader's limit too).
guard.MAX_DEPTH = 1000

local function key_text(k)
  if type(k) == "string" then
    if k:match("^[%a_][%w_%-]*$") then return "." .. k end
    return string.format("[%q]", k)
  end
  return "[" .. tostring(k) .. "]"
end

-- "where.a.b[3]" from the keys of the path; long paths keep their first
-- and last few steps.
local function path_text(where, keys, n)
  local parts = { where }
  for i = 1, n do
    if n > 12 and i == 6 then
      parts[#parts + 1] = string.format("...(%d more)...", n - 10)
    elseif n <= 12 or i < 6 or i > n - 5 then
      parts[#parts + 1] = key_text(keys[i])
    end
  end
  return table.concat(parts)
end

--- Walks the values of `t` (raw, without metatables; keys are not walked)
-- without recursion.
-- Returns true, or nil and a message naming where the problem sits:
-- "WHERE.a.b: a table that contains itself" or "WHERE.a.b...: tables
-- nested deeper than N levels". A table met again through another path is
-- fine (it is looked at once).
-- @tparam table t
-- @tparam string where what to call `t` in messages
-- @tparam[opt] integer max_depth default `guard.MAX_DEPTH`
function guard.check(t, where, max_depth)
  max_depth = max_depth or guard.MAX_DEPTH
  -- per level: the table, the key being visited in it, the height below it
  local tables, keys, heights = { t }, {}, { 0 }
  local open = { [t] = true } -- tables on the current path
  local height = {}           -- tables looked at: their height
  local depth, key = 1, nil
  while depth > 0 do
    local cur = tables[depth]
    local k, v = next(cur, key)
    if k == nil then
      -- done with cur: its height goes to its parent
      open[cur] = nil
      local h = heights[depth]
      height[cur] = h
      tables[depth], heights[depth] = nil, nil
      depth = depth - 1
      if depth > 0 then
        key = keys[depth]
        if h + 1 > heights[depth] then heights[depth] = h + 1 end
      end
    else
      key = k
      if type(v) == "table" then
        keys[depth] = k
        if open[v] then
          return nil, path_text(where, keys, depth) .. ": a table that contains itself"
        end
        local h = height[v]
        if (h and depth + h + 1 > max_depth) or (not h and depth + 1 > max_depth) then
          return nil, string.format("%s: tables nested deeper than %d levels", path_text(where, keys, depth), max_depth)
        end
        if h then
          if h + 1 > heights[depth] then heights[depth] = h + 1 end
        else
          depth = depth + 1
          tables[depth], heights[depth] = v, 0
          open[v] = true
          key = nil
        end
      end
    end
  end
  return true
end

--- Raises the usual argument error unless `self` has the metatable `mt`:
-- "bad argument #1 to 'fname' (tokenflow.X expected, got Y)". For a
-- module's `check(self, fname)`, which its methods call first: the error
-- is blamed on the method's caller.
-- @tparam any self the receiver
-- @tparam table mt the class's metatable (its `__name` is X)
-- @tparam string fname the method's name
-- @tparam[opt=1] integer arg the argument's position
function guard.receiver(self, mt, fname, arg)
  local got_mt = getmetatable(self)
  if got_mt ~= mt then
    local got = type(got_mt) == "table" and type(got_mt.__name) == "string" and got_mt.__name or type(self)
    error(string.format("bad argument #%d to '%s' (%s expected, got %s)", arg or 1, fname, mt.__name, got), 4)
  end
end

return guard

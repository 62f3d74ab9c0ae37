-- Fuzz target: token file loading and resolution. The input is JSON text;
-- whatever it decodes to, tf.tokens.new and every query on the result must
-- return normally (a bad token file is `nil, message`, never an error).
local tf = require "tokenflow"
local cjson = require "cjson"

local function check(fail, what, ok, ...)
  if not ok then fail(what .. " raised: " .. tostring((...))) end
  return ...
end

local function query(fail, r)
  local n = 0
  for name, _, info in r:each() do
    n = n + 1
    if n > 64 then break end
    check(fail, "get", pcall(r.get, r, name))
    if type(info) ~= "table" then fail("each: no info for " .. name) end
    check(fail, "dependents", pcall(r.dependents, r, name))
  end
  local diff = check(fail, "diff", pcall(r.diff, r, r))
  if #diff ~= 0 then fail("a Resolved differs from itself: " .. tostring(diff[1])) end
  check(fail, "failures", pcall(r.failures, r))
  check(fail, "flat", pcall(r.flat, r))
  check(fail, "stats", pcall(r.stats, r))
  check(fail, "tostring", pcall(tostring, r))
  check(fail, "eval", pcall(r.eval, r, "{a} * 2"))
end

return function(bytes, fail)
  local ok, doc = pcall(cjson.decode, bytes)
  if not ok or type(doc) ~= "table" then return end
  for _, format in ipairs { false, "tokens-studio", "dtcg" } do
    local set, err = check(fail, "tokens.new", pcall(tf.tokens.new, doc, { format = format or nil }))
    if set == nil then
      if type(err) ~= "string" then fail("tokens.new: nil without a message") end
    else
      check(fail, "format", pcall(set.format, set))
      check(fail, "sets", pcall(set.sets, set))
      local themes = check(fail, "themes", pcall(set.themes, set))
      check(fail, "tostring", pcall(tostring, set))
      local r, rerr = check(fail, "resolve", pcall(set.resolve, set))
      if r then query(fail, r) elseif type(rerr) ~= "string" then fail("resolve: nil without a message") end
      for i = 1, math.min(#themes, 2) do
        local t = check(fail, "resolve theme", pcall(set.resolve, set, { theme = themes[i].name }))
        if t then query(fail, t) end
      end
    end
  end
end

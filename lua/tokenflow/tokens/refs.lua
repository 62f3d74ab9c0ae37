--- The reference grammar: `{a.b.c}` (spaces allowed inside, nested
-- `{colors.{primary}.500}`) and `$a.b` (runs to whitespace, a comma, a
-- bracket or an operator, and ends on a word character). A string parses into
-- a template: an array of literal strings and reference parts
-- `{src = text as written, parts = template of the name}`.
-- @module tokenflow.tokens.refs

local lpeg = require "lpeg"
local P, S, C, Ct, V = lpeg.P, lpeg.S, lpeg.C, lpeg.Ct, lpeg.V

local refs = {}

local function brace_ref(src, parts)
  return { src = src, parts = parts }
end

local function dollar_ref(src, name)
  local head, tail = name:match("^(.-[%w_])([^%w_]*)$")
  if not head then return src end
  local ref = { src = "$" .. head, parts = { head } }
  if tail == "" then return ref end
  return ref, tail
end

local brace = P{
  "ref",
  ref = C(P"{" * Ct((V"ref" + C((1 - S"{}")^1))^1) * P"}") / brace_ref,
}
local dollar_char = 1 - (S" \t\r\n,(){}*/+^%" + P"$")
local dollar = C(P"$" * C(dollar_char^1)) / dollar_ref
local template = Ct((brace + dollar + C((1 - S"{$")^1) + C(1))^0)
-- LPeg compiles a pattern on its first match; one cut short by an
-- allocation failure is left unusable, so compile it now, while the module
-- loads (a failed require leaves nothing behind).
lpeg.match(template, "")


-- Joins adjacent literals; returns nil when there is no reference at all.
local function normalise(parts)
  local out, has_ref = {}, false
  for _, p in ipairs(parts) do
    if type(p) == "string" then
      if type(out[#out]) == "string" then out[#out] = out[#out] .. p else out[#out + 1] = p end
    else
      has_ref = true
      p.parts = normalise(p.parts) or { (table.concat(p.parts)) }
      out[#out + 1] = p
    end
  end
  return has_ref and out or nil
end

local NONE = {}

--- Parses s into a template, or returns nil when s holds no reference.
-- `cache` (optional) is a table the caller owns that memoises templates per
-- string (the resolver keeps one per resolution).
function refs.parse(s, cache)
  local t = cache and cache[s]
  if t then return t ~= NONE and t or nil end
  if not s:find("[{$]") then
    if cache then cache[s] = NONE end
    return nil
  end
  local plain = s:match("^{([^{}$]+)}$")
  if plain then
    -- the common case, a lone reference: no need for the grammar
    t = { { src = s, parts = { plain } } }
  else
    -- nesting deeper than the parser's backtrack stack is not a reference
    local ok, parts = pcall(lpeg.match, template, s)
    t = ok and normalise(parts) or NONE
  end
  if cache then cache[s] = t end
  return t ~= NONE and t or nil
end

--- True when s contains something that reads as a reference.
function refs.has(s)
  return refs.parse(s) ~= nil
end

--- The names referenced by a template when they need no resolution
-- themselves (nested names are left out). Used by tools that list aliases.
function refs.static_names(t, out)
  out = out or {}
  for _, p in ipairs(t) do
    if type(p) == "table" and #p.parts == 1 and type(p.parts[1]) == "string" then
      out[#out + 1] = p.parts[1]
    end
  end
  return out
end

return refs

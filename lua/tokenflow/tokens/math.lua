--- Math in token values (after references are substituted): + - * / ^ and
-- % (modulo), parentheses, unary minus, the Tokens Studio functions, and
-- units. Every operand must share one unit or be unitless where that is
-- legal; otherwise the text stays as written. Unitless results round to 3
-- decimals, results with a unit are not rounded.
-- @module tokenflow.tokens.math

local lpeg = require "lpeg"
local number = require "tokenflow.tokens.number"

local P, S, R, C, Ct, V, Cc = lpeg.P, lpeg.S, lpeg.R, lpeg.C, lpeg.Ct, lpeg.V, lpeg.Cc

local tmath = {}

local sp = S" \t\r\n"^0
local digit = R"09"
-- No leading zeros ("003", "2024-01-01" are not arithmetic), no exponents.
local int = (P"0" + R"19" * digit^0) * -digit
local numtext = (int * (P"." * digit^1)^-1) + (P"." * digit^1)
local unit = C(R("az", "AZ")^1 + P"%") + Cc("")
local literal = Ct(Cc("num") * (C(numtext) / tonumber) * unit)
local ident = C(R("az", "AZ") * R("az", "AZ", "09")^0)

local function fold_left(first, ...)
  local acc, n = first, select("#", ...)
  local args = { ... }
  for i = 1, n, 2 do acc = { "bin", args[i], acc, args[i + 1] } end
  return acc
end

local function fold_pow(base, exp)
  if exp == nil then return base end
  return { "bin", "^", base, exp }
end

local grammar = P{
  "expr",
  expr = sp * V"sum" * sp * -1,
  sum = (V"product" * (sp * C(S"+-") * sp * V"product")^0) / fold_left,
  product = (V"unary" * (sp * C(S"*/%") * sp * V"unary")^0) / fold_left,
  unary = (P"-" * sp * V"unary") / function(x) return { "neg", x } end
        + (P"+" * sp * V"unary")
        + V"power",
  power = (V"atom" * (sp * P"^" * sp * V"unary")^-1) / fold_pow,
  atom = literal
       + Ct(Cc("call") * ident * sp * P"(" * sp * Ct((V"sum" * (sp * P"," * sp * V"sum")^0)^-1) * sp * P")")
       + P"(" * sp * V"sum" * sp * P")",
}
-- LPeg compiles a pattern on its first match; one cut short by an
-- allocation failure is left unusable, so compile it now, while the module
-- loads (a failed require leaves nothing behind).
lpeg.match(grammar, "")

-- The functions: each takes the evaluated arguments as {n, unit} pairs.
local function unitless(args, count)
  if count and #args ~= count then return false end
  for _, a in ipairs(args) do if a[2] ~= "" then return false end end
  return true
end

local function same_unit(args)
  local u = args[1] and args[1][2]
  for _, a in ipairs(args) do if a[2] ~= u then return nil end end
  return u
end

local function bezier1d(x1, x2, t)
  local u = 1 - t
  return 3 * u * u * t * x1 + 3 * u * t * t * x2 + t * t * t
end

local one_arg = {
  round = function(x) return math.floor(x + 0.5) end,
  floor = math.floor, ceil = math.ceil, abs = math.abs, sqrt = math.sqrt,
}

local functions = {}
for name, f in pairs(one_arg) do
  functions[name] = function(args)
    if #args ~= 1 then return nil end
    return f(args[1][1]) + 0.0, args[1][2]
  end
end
function functions.min(args)
  local u = #args > 0 and same_unit(args)
  if not u then return nil end
  local m = args[1][1]
  for _, a in ipairs(args) do if a[1] < m then m = a[1] end end
  return m, u
end
function functions.max(args)
  local u = #args > 0 and same_unit(args)
  if not u then return nil end
  local m = args[1][1]
  for _, a in ipairs(args) do if a[1] > m then m = a[1] end end
  return m, u
end
function functions.roundTo(args)
  if #args ~= 2 or args[2][2] ~= "" then return nil end
  local scale = 10 ^ args[2][1]
  return math.floor(args[1][1] * scale + 0.5) / scale, args[1][2]
end
function functions.clamped(args)
  local u = #args == 3 and same_unit(args)
  if not u then return nil end
  return math.min(math.max(args[1][1], args[2][1]), args[3][1]), u
end
function functions.lerp(args)
  if #args ~= 3 or args[1][2] ~= "" or args[2][2] ~= args[3][2] then return nil end
  local t, a, b = args[1][1], args[2][1], args[3][1]
  return a + (b - a) * t, args[2][2]
end
function functions.norm(args)
  local u = #args == 3 and same_unit(args)
  if not u then return nil end
  local x, lo, hi = args[1][1], args[2][1], args[3][1]
  if hi == lo then return nil, "division by zero" end
  return (x - lo) / (hi - lo), ""
end
function functions.cubicBezier1D(args)
  if not unitless(args, 2) then return nil end
  return { bezier = { args[1][1], args[2][1] } }, "curve"
end
function functions.sample(args)
  if #args ~= 2 or args[1][2] ~= "curve" or args[2][2] ~= "" then return nil end
  local c = args[1][1].bezier
  return bezier1d(c[1], c[2], args[2][1]), ""
end

-- Evaluates a tree: value, unit; or nil, reason ("units" or a message).
local function eval(node)
  local kind = node[1]
  if kind == "num" then return node[2], node[3] end
  if kind == "neg" then
    local x, u = eval(node[2])
    if x == nil or type(x) ~= "number" then return nil, u end
    return -x, u
  end
  if kind == "call" then
    local f = functions[node[2]]
    if not f then return nil, "units" end
    local args = {}
    for i, a in ipairs(node[3]) do
      local x, u = eval(a)
      if x == nil then return nil, u end
      args[i] = { x, u }
    end
    local x, u = f(args)
    if x == nil then return nil, u or "units" end
    return x, u
  end
  -- binary operator
  local op = node[2]
  local a, ua = eval(node[3])
  if a == nil then return nil, ua end
  local b, ub = eval(node[4])
  if b == nil then return nil, ub end
  if type(a) ~= "number" or type(b) ~= "number" then return nil, "units" end
  if op == "+" or op == "-" then
    if ua ~= ub then return nil, "units" end
    return op == "+" and a + b or a - b, ua
  elseif op == "*" then
    if ua ~= "" and ub ~= "" then return nil, "units" end
    return a * b, ua ~= "" and ua or ub
  elseif op == "/" then
    if ub ~= "" and ub ~= ua then return nil, "units" end
    if b == 0 then return nil, "division by zero" end
    return a / b, ub == "" and ua or ""
  elseif op == "%" then
    if ua ~= ub and ub ~= "" then return nil, "units" end
    if b == 0 then return nil, "division by zero" end
    return math.fmod(a, b), ua
  else -- "^"
    if ua ~= "" or ub ~= "" then return nil, "units" end
    return a ^ b, ""
  end
end

--- Parses an expression into a tree; nil when the text is not an
-- expression, and a reason when it nests too deeply for the parser's
-- stack. (Callers memoise results per text; see resolve.lua.)
function tmath.parse(text)
  local ok, tree = pcall(lpeg.match, grammar, text)
  if not ok then return nil, "expression nested too deeply" end
  return tree
end

-- Text that is made only of numbers, units, operators and brackets, with a
-- digit and an operator in it: if it does not parse, it is a broken
-- expression rather than ordinary text.
local function looks_like_math(text)
  return text:find("%d") and text:find("[%+%*/%^]") and not text:find("[^%w%s%.%+%-%*/%^%%%(%),]")
end

--- Evaluates text as math. Returns the value (a number when unitless, rounded
-- to 3 decimals; "70px" text with a unit; the text itself when it is not math
-- or mixes units), and a failure reason when the text is a broken expression
-- or divides by zero.
function tmath.apply(text)
  local n = number.parse(text)
  if n then return n end
  if not text:find("[%+%-%*/%^%%%(]") then return text end
  local tree, why = tmath.parse(text)
  if not tree then
    if why then return text, why .. " in '" .. text .. "'" end
    if looks_like_math(text) then return text, "syntax error in expression '" .. text .. "'" end
    return text
  end
  if tree[1] == "num" then return text end -- "40%", "24px", "-2px" stay strings
  local x, u = eval(tree) -- u: the unit, or why not when x is nil
  if x == nil then
    if u == "units" then return text end
    return text, u .. " in '" .. text .. "'"
  end
  if type(x) ~= "number" or x ~= x or x == math.huge or x == -math.huge then return text end
  if u == "" then return number.round(x, 3) end
  return number.text(x) .. u
end

--- Evaluates text to a number and unit without rounding (used for colour
-- function arguments); nil when it is not a number.
function tmath.value(text)
  local tree = tmath.parse(text)
  if not tree then return nil end
  local x, u = eval(tree)
  if type(x) ~= "number" then return nil end
  return x, u
end

return tmath

-- Fuzz target: colour parsing, conversion and the Tokens Studio modifiers.
-- The first byte picks the operation and its parameters; the rest is colour
-- text. Parsers return a colour or nil, conversions and hex output never
-- raise, and modifiers return a hex colour or nil and a reason.
local color = require "tokenflow.tokens.color"
local colorfn = require "tokenflow.tokens.colorfn"
local modify = require "tokenflow.tokens.modify"
local color_parse = require "tokenflow.apply.color_parse"

local SPACES = { "srgb", "p3", "hsl", "lab", "lch", "oklab", "oklch", "xyz-d65", "xyz-d50", "srgb-linear" }
local MOD_TYPES = { "lighten", "darken", "mix", "alpha", "bogus" }
local MOD_SPACES = { "lch", "srgb", "p3", "hsl", "none" }

local function is_hex(s)
  return type(s) == "string" and (s:match("^#%x%x%x%x%x%x$") or s:match("^#%x%x%x%x%x%x%x%x$")) ~= nil
end

local function check(fail, what, ok, ...)
  if not ok then fail(what .. " raised: " .. tostring((...))) end
  return ...
end

return function(bytes, fail)
  if #bytes < 1 then return end
  local op, text = bytes:byte(1), bytes:sub(2)
  -- text split at the first "|": a colour, then a second colour or a number
  local first, second = text:match("^(.-)|(.*)$")
  first = first or text
  local c = check(fail, "color.parse", pcall(color.parse, first))
  local figma = check(fail, "color_parse.parse", pcall(color_parse.parse, first))
  if figma ~= nil and type(figma) ~= "table" then fail("color_parse.parse: not a table") end
  local rewritten = check(fail, "colorfn.apply", pcall(colorfn.apply, text))
  if type(rewritten) ~= "string" then fail("colorfn.apply: not a string") end
  if c == nil then return end
  local space = SPACES[op % #SPACES + 1]
  local conv = check(fail, "color.to " .. space, pcall(color.to, c, space))
  check(fail, "color.to_srgb_gamut", pcall(color.to_srgb_gamut, conv))
  local hex = check(fail, "color.hex", pcall(color.hex, c))
  if not is_hex(hex) then fail("color.hex of '" .. first .. "' gave " .. tostring(hex)) end
  local amount = tonumber(second) or (op % 7) / 4 - 0.25
  local other = second and check(fail, "color.parse", pcall(color.parse, second)) or c
  local mod = {
    type = MOD_TYPES[(op >> 3) % #MOD_TYPES + 1], space = MOD_SPACES[(op >> 5) % #MOD_SPACES + 1],
    value = amount, color = other,
  }
  local out, why = check(fail, "modify.apply", pcall(modify.apply, c, mod))
  if out == nil then
    if type(why) ~= "string" then fail("modify.apply: nil without a reason") end
  elseif not is_hex(out) then
    fail(("modify.apply %s %s %s of '%s' gave %s"):format(mod.type, mod.space, tostring(amount), first, tostring(out)))
  end
end

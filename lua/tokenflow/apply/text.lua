--- Typography token values to Figma text settings: line height, letter
-- spacing, font weight names, text case and text decoration.
-- @module tokenflow.apply.text

local units = require "tokenflow.apply.units"

local text = {}

local function as_text(value)
  if type(value) == "number" then return string.format("%.14g", value) end
  if type(value) == "string" then return value:match("^%s*(.-)%s*$") end
  return nil
end

--- Line height: px, rem, em or a bare number -> PIXELS; `n%` -> PERCENT;
-- anything else (`normal`, `AUTO`) -> AUTO.
-- @param value number|string
-- @tparam number base base font size
-- @treturn table `{unit="PIXELS"|"PERCENT"|"AUTO", value=number|nil}`
function text.line_height(value, base)
  local s = as_text(value)
  if s then
    local pct = units.percent(s)
    if pct then return { unit = "PERCENT", value = pct } end
    local n = s:match("^[%+%-]?%d*%.?%d+$") and tonumber(s)
    if not n then
      local unit = s:match("^[%+%-]?%d*%.?%d+%s*(%a+)$")
      if unit == "px" or unit == "rem" or unit == "em" then n = units.to_px(s, base) end
    end
    if n then return { unit = "PIXELS", value = n } end
  end
  return { unit = "AUTO" }
end

--- Letter spacing: `n%` -> PERCENT; a number, px, em or rem -> PIXELS;
-- `normal` -> 0 PIXELS.
-- @param value number|string
-- @tparam number base base font size
-- @treturn[1] table `{unit=, value=}`
-- @treturn[2] nil
-- @treturn[2] string why not
function text.letter_spacing(value, base)
  local s = as_text(value)
  if not s then return nil, "expected a number or text, got a " .. type(value) end
  local pct = units.percent(s)
  if pct then return { unit = "PERCENT", value = pct } end
  if s:lower() == "normal" then return { unit = "PIXELS", value = 0 } end
  local n, err = units.to_px(s, base)
  if not n then return nil, err end
  return { unit = "PIXELS", value = n }
end

-- Style names a font may use for each CSS weight, most common first.
local WEIGHT_NAMES = {
  ["100"] = { "Thin", "Hairline" },
  ["200"] = { "ExtraLight", "Extra Light", "UltraLight", "Ultra Light" },
  ["300"] = { "Light" },
  ["400"] = { "Regular", "Normal" },
  ["500"] = { "Medium" },
  ["600"] = { "SemiBold", "Semibold", "Semi Bold", "DemiBold", "Demi Bold" },
  ["700"] = { "Bold" },
  ["800"] = { "ExtraBold", "Extra Bold", "UltraBold", "Ultra Bold" },
  ["900"] = { "Black", "Heavy" },
}

-- The numeric weight of a style name ("semi bold" -> 600), spaces and case ignored.
local WEIGHT_OF_NAME = {}
for weight, names in pairs(WEIGHT_NAMES) do
  for _, name in ipairs(names) do
    WEIGHT_OF_NAME[name:lower():gsub("%s+", "")] = tonumber(weight)
  end
end

--- Font weight: a CSS weight (`600`) gives the style names a font may use
-- for it (`SemiBold`, `Semibold`, `Semi Bold`, `DemiBold`, `Demi Bold`);
-- a name is kept as the only candidate.
-- @param value number|string
-- @treturn[1] table `{weight=number|nil, styles={names...}}`
-- @treturn[2] nil
-- @treturn[2] string why not
function text.font_weight(value)
  local s = as_text(value)
  if not s or s == "" then return nil, "expected a font weight, got " .. tostring(value) end
  local names = WEIGHT_NAMES[s]
  if names then
    return { weight = tonumber(s), styles = { table.unpack(names) } }
  end
  -- "Bold Italic": the weight comes from the part before a style word
  local key = s:lower():gsub("%s*italic$", ""):gsub("%s*oblique$", ""):gsub("%s+", "")
  local weight = WEIGHT_OF_NAME[key] or (key == "" and 400 or nil)
  return { weight = weight, styles = { s } }
end

local TEXT_CASE = {
  none = "ORIGINAL", original = "ORIGINAL",
  uppercase = "UPPER", upper = "UPPER",
  lowercase = "LOWER", lower = "LOWER",
  capitalize = "TITLE", title = "TITLE",
  ["small-caps"] = "SMALL_CAPS", small_caps = "SMALL_CAPS",
  ["all-small-caps"] = "SMALL_CAPS_FORCED", small_caps_forced = "SMALL_CAPS_FORCED",
}

--- Text case: none/original -> ORIGINAL, capitalize/title -> TITLE,
-- upper/uppercase -> UPPER, lower/lowercase -> LOWER, small-caps -> SMALL_CAPS,
-- all-small-caps -> SMALL_CAPS_FORCED; anything else -> ORIGINAL.
-- @param value string
-- @treturn string
function text.text_case(value)
  local s = as_text(value)
  return s and TEXT_CASE[s:lower()] or "ORIGINAL"
end

local TEXT_DECORATION = {
  underline = "UNDERLINE",
  ["line-through"] = "STRIKETHROUGH",
  strikethrough = "STRIKETHROUGH",
}

--- Text decoration: underline -> UNDERLINE, line-through/strikethrough ->
-- STRIKETHROUGH, anything else -> NONE.
-- @param value string
-- @treturn string
function text.text_decoration(value)
  local s = as_text(value)
  return s and TEXT_DECORATION[s:lower()] or "NONE"
end

return text

--- Colour spaces and conversions, with the constants colour.js (0.5) uses,
-- so modified colours come out with the same hex digits: sRGB and Display P3
-- through linear light and XYZ D65; CIE Lab/LCH relative to D50 (Bradford
-- adaptation); OKLab/OKLCh; HSL. A colour is `{space, c1, c2, c3, alpha}`.
-- Hex output maps out-of-gamut colours into sRGB with the CSS Color 4
-- algorithm (OKLCh chroma reduction), as colour.js does for `inGamut`.
-- @module tokenflow.tokens.color

local color = {}

local abs, floor, max, min, sqrt, atan, cos, sin, pi =
  math.abs, math.floor, math.max, math.min, math.sqrt, math.atan, math.cos, math.sin, math.pi

local function mul(m, v)
  return {
    m[1][1] * v[1] + m[1][2] * v[2] + m[1][3] * v[3],
    m[2][1] * v[1] + m[2][2] * v[2] + m[2][3] * v[3],
    m[3][1] * v[1] + m[3][2] * v[2] + m[3][3] * v[3],
  }
end

local SRGB_TO_XYZ = {
  { 0.41239079926595934, 0.357584339383878, 0.1804807884018343 },
  { 0.21263900587151027, 0.715168678767756, 0.07219231536073371 },
  { 0.01933081871559182, 0.11919477979462598, 0.9505321522496607 },
}
local XYZ_TO_SRGB = {
  { 3.2409699419045226, -1.537383177570094, -0.4986107602930034 },
  { -0.9692436362808796, 1.8759675015077202, 0.04155505740717559 },
  { 0.05563007969699366, -0.20397695888897652, 1.0569715142428786 },
}
local P3_TO_XYZ = {
  { 0.4865709486482162, 0.26566769316909306, 0.1982172852343625 },
  { 0.2289745640697488, 0.6917385218365064, 0.079286914093745 },
  { 0.0000000000000000, 0.04511338185890264, 1.043944368900976 },
}
local XYZ_TO_P3 = {
  { 2.493496911941425, -0.9313836179191239, -0.40271078445071684 },
  { -0.8294889695615747, 1.7626640603183463, 0.023624685841943577 },
  { 0.03584583024378447, -0.07617238926804182, 0.9568845240076872 },
}
local D65_TO_D50 = {
  { 1.0479297925449969, 0.022946870601609652, -0.05019226628920524 },
  { 0.02962780877005599, 0.9904344267538799, -0.017073799063418826 },
  { -0.009243040646204504, 0.015055191490298152, 0.7518742814281371 },
}
local D50_TO_D65 = {
  { 0.955473421488075, -0.02309845494876471, 0.06325924320057072 },
  { -0.0283697093338637, 1.0099953980813041, 0.021041441191917323 },
  { 0.012314014864481998, -0.020507649298898964, 1.330365926242124 },
}
local XYZ_TO_LMS = {
  { 0.8190224379967030, 0.3619062600528904, -0.1288737815209879 },
  { 0.0329836539323885, 0.9292868615863434, 0.0361446663506424 },
  { 0.0481771893596242, 0.2642395317527308, 0.6335478284694309 },
}
local LMS_TO_XYZ = {
  { 1.2268798758459243, -0.5578149944602171, 0.2813910456659647 },
  { -0.0405757452148008, 1.1122868032803170, -0.0717110580655164 },
  { -0.0763729366746601, -0.4214933324022432, 1.5869240198367816 },
}
local LMS_TO_OKLAB = {
  { 0.2104542683093140, 0.7936177747023054, -0.0040720430116193 },
  { 1.9779985324311684, -2.4285922420485799, 0.4505937096174110 },
  { 0.0259040424655478, 0.7827717124575296, -0.8086757549230774 },
}
local OKLAB_TO_LMS = {
  { 1.0000000000000000, 0.3963377773761749, 0.2158037573099136 },
  { 1.0000000000000000, -0.1055613458156586, -0.0638541728258133 },
  { 1.0000000000000000, -0.0894841775298119, -1.2914855480194092 },
}
local D50 = { 0.3457 / 0.3585, 1.0, (1.0 - 0.3457 - 0.3585) / 0.3585 }
local EPS = 216 / 24389
local EPS3 = 24 / 116
local KAPPA = 24389 / 27

local function cbrt(x) return x < 0 and -((-x) ^ (1 / 3)) or x ^ (1 / 3) end

local function to_linear(c)
  local a = abs(c)
  if a <= 0.04045 then return c / 12.92 end
  local s = c < 0 and -1 or 1
  return s * ((a + 0.055) / 1.055) ^ 2.4
end

local function to_gamma(c)
  local a = abs(c)
  if a > 0.0031308 then
    local s = c < 0 and -1 or 1
    return s * (1.055 * a ^ (1 / 2.4) - 0.055)
  end
  return 12.92 * c
end

local function hsl_to_srgb(h, s, l)
  if h ~= h then h = 0 end
  h = h % 360
  s, l = s / 100, l / 100
  local function f(n)
    local k = (n + h / 30) % 12
    local a = s * min(l, 1 - l)
    return l - a * max(-1, min(k - 3, 9 - k, 1))
  end
  return f(0), f(8), f(4)
end

local function srgb_to_hsl(r, g, b)
  local hi, lo = max(r, g, b), min(r, g, b)
  local h, s, l = 0 / 0, 0, (lo + hi) / 2
  local d = hi - lo
  if d ~= 0 then
    s = (l == 0 or l == 1) and 0 or (hi - l) / min(l, 1 - l)
    if hi == r then h = (g - b) / d + (g < b and 6 or 0)
    elseif hi == g then h = (b - r) / d + 2
    else h = (r - g) / d + 4 end
    h = h * 60
  end
  if s < 0 then h = h + 180; s = abs(s) end
  if h >= 360 then h = h - 360 end
  return h, s * 100, l * 100
end

local function polar(a, b, threshold)
  local h = 0 / 0
  if abs(a) >= threshold or abs(b) >= threshold then
    h = atan(b, a) * 180 / pi
    if h < 0 then h = h + 360 end
  end
  return sqrt(a * a + b * b), h
end

local function cartesian(c, h)
  if c < 0 then c = 0 end
  if h ~= h then h = 0 end
  local r = h * pi / 180
  return c * cos(r), c * sin(r)
end

-- Every space converts to and from XYZ D65.
local to_xyz, from_xyz = {}, {}

function to_xyz.srgb(c) return mul(SRGB_TO_XYZ, { to_linear(c[1]), to_linear(c[2]), to_linear(c[3]) }) end
function from_xyz.srgb(x)
  local l = mul(XYZ_TO_SRGB, x)
  return { to_gamma(l[1]), to_gamma(l[2]), to_gamma(l[3]) }
end
function to_xyz.p3(c) return mul(P3_TO_XYZ, { to_linear(c[1]), to_linear(c[2]), to_linear(c[3]) }) end
function from_xyz.p3(x)
  local l = mul(XYZ_TO_P3, x)
  return { to_gamma(l[1]), to_gamma(l[2]), to_gamma(l[3]) }
end
function to_xyz.hsl(c) return to_xyz.srgb({ hsl_to_srgb(c[1], c[2], c[3]) }) end
function from_xyz.hsl(x)
  local s = from_xyz.srgb(x)
  return { srgb_to_hsl(s[1], s[2], s[3]) }
end
function to_xyz.lab(c)
  local f1 = (c[1] + 16) / 116
  local f0 = c[2] / 500 + f1
  local f2 = f1 - c[3] / 200
  local xyz = {
    f0 > EPS3 and f0 ^ 3 or (116 * f0 - 16) / KAPPA,
    c[1] > 8 and ((c[1] + 16) / 116) ^ 3 or c[1] / KAPPA,
    f2 > EPS3 and f2 ^ 3 or (116 * f2 - 16) / KAPPA,
  }
  return mul(D50_TO_D65, { xyz[1] * D50[1], xyz[2] * D50[2], xyz[3] * D50[3] })
end
function from_xyz.lab(x)
  local d50 = mul(D65_TO_D50, x)
  local f = {}
  for i = 1, 3 do
    local v = d50[i] / D50[i]
    f[i] = v > EPS and cbrt(v) or (KAPPA * v + 16) / 116
  end
  return { 116 * f[2] - 16, 500 * (f[1] - f[2]), 200 * (f[2] - f[3]) }
end
function to_xyz.lch(c)
  local a, b = cartesian(c[2], c[3])
  return to_xyz.lab({ c[1], a, b })
end
function from_xyz.lch(x)
  local lab = from_xyz.lab(x)
  local c, h = polar(lab[2], lab[3], 0.02)
  return { lab[1], c, h }
end
function to_xyz.oklab(c)
  local lms = mul(OKLAB_TO_LMS, c)
  return mul(LMS_TO_XYZ, { lms[1] ^ 3, lms[2] ^ 3, lms[3] ^ 3 })
end
function from_xyz.oklab(x)
  local lms = mul(XYZ_TO_LMS, x)
  return mul(LMS_TO_OKLAB, { cbrt(lms[1]), cbrt(lms[2]), cbrt(lms[3]) })
end
function to_xyz.oklch(c)
  local a, b = cartesian(c[2], c[3])
  return to_xyz.oklab({ c[1], a, b })
end
function from_xyz.oklch(x)
  local lab = from_xyz.oklab(x)
  local c, h = polar(lab[2], lab[3], 0.0002)
  return { lab[1], c, h }
end
to_xyz["xyz-d65"] = function(c) return { c[1], c[2], c[3] } end
from_xyz["xyz-d65"] = to_xyz["xyz-d65"]
to_xyz["xyz-d50"] = function(c) return mul(D50_TO_D65, c) end
from_xyz["xyz-d50"] = function(x) return mul(D65_TO_D50, x) end
to_xyz["srgb-linear"] = function(c) return mul(SRGB_TO_XYZ, c) end
from_xyz["srgb-linear"] = function(x) return mul(XYZ_TO_SRGB, x) end

--- True when `space` is a colour space this module converts.
function color.has_space(space) return to_xyz[space] ~= nil end

--- A new colour.
function color.new(space, c1, c2, c3, alpha)
  return { space = space, c1, c2, c3, alpha = alpha or 1 }
end

--- The colour converted to another space (a new colour).
function color.to(c, space)
  if c.space == space then return color.new(space, c[1], c[2], c[3], c.alpha) end
  if (c.space == "srgb" and space == "hsl") then
    local h, sat, l = srgb_to_hsl(c[1], c[2], c[3])
    return color.new(space, h, sat, l, c.alpha)
  elseif (c.space == "hsl" and space == "srgb") then
    local r, g, b = hsl_to_srgb(c[1], c[2], c[3])
    return color.new(space, r, g, b, c.alpha)
  end
  if (c.space == "oklch" and space == "oklab") or (c.space == "lch" and space == "lab") then
    local a, b = cartesian(c[2], c[3])
    return color.new(space, c[1], a, b, c.alpha)
  end
  local out = from_xyz[space](to_xyz[c.space]({ c[1], c[2], c[3] }))
  return color.new(space, out[1], out[2], out[3], c.alpha)
end

local function in_srgb(c, epsilon)
  for i = 1, 3 do
    if c[i] < -epsilon or c[i] > 1 + epsilon then return false end
  end
  return true
end

local function clip(c)
  return color.new("srgb", max(0, min(1, c[1])), max(0, min(1, c[2])), max(0, min(1, c[3])), c.alpha)
end

local function delta_eok(a, b)
  local x, y = color.to(a, "oklab"), color.to(b, "oklab")
  local d1, d2, d3 = x[1] - y[1], x[2] - y[2], x[3] - y[3]
  return sqrt(d1 * d1 + d2 * d2 + d3 * d3)
end

--- The colour mapped into the sRGB gamut (CSS Color 4 algorithm), in sRGB.
function color.to_srgb_gamut(c)
  local s = color.to(c, "srgb")
  if in_srgb(s, 0) then return s end
  local JND, E = 0.02, 0.0001
  local origin = color.to(c, "oklch")
  if origin[1] >= 1 then return color.new("srgb", 1, 1, 1, c.alpha) end
  if origin[1] <= 0 then return color.new("srgb", 0, 0, 0, c.alpha) end
  local lo, hi, lo_in_gamut = 0, origin[2], true
  local current = color.new("oklch", origin[1], origin[2], origin[3], c.alpha)
  local clipped = clip(color.to(current, "srgb"))
  local e = delta_eok(clipped, current)
  if e < JND then return clipped end
  while hi - lo > E do
    local chroma = (lo + hi) / 2
    current[2] = chroma
    local cur_srgb = color.to(current, "srgb")
    if lo_in_gamut and in_srgb(cur_srgb, 0) then
      lo = chroma
    else
      clipped = clip(cur_srgb)
      e = delta_eok(clipped, current)
      if e < JND then
        if JND - e < E then break end
        lo_in_gamut = false
        lo = chroma
      else
        hi = chroma
      end
    end
  end
  return clipped
end

-- A channel in 0-255. NaN (from channels too large to convert, such as
-- hsl(0, 1e90%, 50%)) counts as 0, as CSS censors NaN in colour channels.
local function byte(x)
  if x ~= x then return 0 end
  local b = floor(x * 255 + 0.5)
  if b < 0 then return 0 elseif b > 255 then return 255 end
  return b
end

-- "%02x" of every byte (string.format costs more than the colour maths here)
local HEX = {}
for i = 0, 255 do HEX[i] = string.format("%02x", i) end
local function hex2(x)
  local b = byte(x)
  return HEX[b]
end

--- The colour as lower-case hex: 6 digits, 8 when alpha is below 1.
function color.hex(c)
  local s = color.to(c, "srgb")
  if not in_srgb(s, 0.000075) then s = color.to_srgb_gamut(s) end
  local alpha = c.alpha or 1
  if alpha < 1 then
    return "#" .. hex2(s[1]) .. hex2(s[2]) .. hex2(s[3]) .. hex2(max(0, alpha))
  end
  return "#" .. hex2(s[1]) .. hex2(s[2]) .. hex2(s[3])
end

local named = {
  black = { 0, 0, 0 }, white = { 255, 255, 255 }, red = { 255, 0, 0 }, lime = { 0, 255, 0 },
  green = { 0, 128, 0 }, blue = { 0, 0, 255 }, yellow = { 255, 255, 0 }, cyan = { 0, 255, 255 },
  aqua = { 0, 255, 255 }, magenta = { 255, 0, 255 }, fuchsia = { 255, 0, 255 },
  gray = { 128, 128, 128 }, grey = { 128, 128, 128 }, silver = { 192, 192, 192 },
  maroon = { 128, 0, 0 }, olive = { 128, 128, 0 }, purple = { 128, 0, 128 }, teal = { 0, 128, 128 },
  navy = { 0, 0, 128 }, orange = { 255, 165, 0 },
}

local function css_number(text, scale)
  text = text:match("^%s*(.-)%s*$")
  local pct = text:match("^([%d%.%-]+)%%$")
  if pct then return tonumber(pct) and tonumber(pct) / 100 * scale end
  return tonumber(text)
end

local dtcg_spaces = {
  srgb = "srgb", ["display-p3"] = "p3", hsl = "hsl", lab = "lab", lch = "lch",
  oklab = "oklab", oklch = "oklch", ["xyz-d65"] = "xyz-d65", ["xyz-d50"] = "xyz-d50",
  xyz = "xyz-d65", ["srgb-linear"] = "srgb-linear",
}

--- Parses a colour: hex, rgb()/rgba(), hsl()/hsla(), a basic CSS name, or a
-- DTCG colour object `{colorSpace, components, alpha}`. nil when it is not one.
function color.parse(v)
  if type(v) == "table" then
    local space = dtcg_spaces[v.colorSpace]
    local comps = v.components
    if space and type(comps) == "table" and #comps == 3 then
      local c = {}
      for i = 1, 3 do
        local x = comps[i]
        if x == "none" then x = (space == "hsl" or space == "lch" or space == "oklch") and i == 1 and 0 / 0 or 0 end
        if type(x) ~= "number" then return nil end
        c[i] = x
      end
      local alpha = v.alpha
      if alpha ~= nil and type(alpha) ~= "number" then return nil end
      return color.new(space, c[1], c[2], c[3], alpha or 1)
    end
    if type(v.hex) == "string" then return color.parse(v.hex) end
    return nil
  end
  if type(v) ~= "string" then return nil end
  local s = v:match("^%s*(.-)%s*$")
  local hex = s:match("^#(%x+)$")
  if hex then
    if #hex == 3 or #hex == 4 then hex = hex:gsub("%x", "%0%0") end
    if #hex ~= 6 and #hex ~= 8 then return nil end
    local b = {}
    for i = 1, #hex, 2 do b[#b + 1] = tonumber(hex:sub(i, i + 1), 16) / 255 end
    return color.new("srgb", b[1], b[2], b[3], b[4] or 1)
  end
  local fn, args = s:match("^(%a+)%((.*)%)$")
  if fn then
    fn = fn:lower()
    local parts = {}
    for p in (args:gsub("/", ","):gsub("%s+", " ") .. ","):gmatch("%s*([^,]-)%s*,") do parts[#parts + 1] = p end
    if #parts == 1 then -- space-separated syntax
      parts = {}
      for p in args:gsub("/", " "):gmatch("%S+") do parts[#parts + 1] = p end
    end
    if (fn == "rgb" or fn == "rgba") and (#parts == 3 or #parts == 4) then
      local r, g, b = css_number(parts[1], 255), css_number(parts[2], 255), css_number(parts[3], 255)
      local a = parts[4] and css_number(parts[4], 1) or 1
      if not (r and g and b and a) then return nil end
      return color.new("srgb", r / 255, g / 255, b / 255, a)
    elseif (fn == "hsl" or fn == "hsla") and (#parts == 3 or #parts == 4) then
      local h = tonumber((parts[1]:gsub("deg$", "")))
      local sat, l = css_number(parts[2], 100), css_number(parts[3], 100)
      local a = parts[4] and css_number(parts[4], 1) or 1
      if not (h and sat and l and a) then return nil end
      return color.new("hsl", h, sat, l, a)
    end
    return nil
  end
  local n = named[s:lower()]
  if n then return color.new("srgb", n[1] / 255, n[2] / 255, n[3] / 255, 1) end
  if s:lower() == "transparent" then return color.new("srgb", 0, 0, 0, 0) end
  return nil
end

return color

--- A self-contained SVG line chart of sampled rows (per-chunk time and
-- memory over a run): axes with ticks and units, one or two y axes (left:
-- the first unit, right: the second), a legend. No scripts, no external
-- fonts (generic sans-serif), readable at 800x400.
-- @module tokenflow.metrics.svg

local fmt, concat = string.format, table.concat

local svg = {}

local palette = { "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b" }

-- Unit of a field, from its suffix, and the factor to that unit.
local units = {
  { suffix = "_ms", unit = "ms", scale = 1 },
  { suffix = "_s", unit = "ms", scale = 1000 },
  { suffix = "_kb", unit = "MB", scale = 1 / 1024 },
  { suffix = "_bytes", unit = "MB", scale = 1 / (1024 * 1024) },
}

-- Legend text of the fields sample() records.
local known_labels = {
  chunk_s = "chunk time", chunk_ms = "chunk time", lua_heap_kb = "Lua heap", engine_bytes = "C engines",
  rss_bytes = "RSS", peak_rss_bytes = "peak RSS", cpu_user_s = "CPU user", cpu_system_s = "CPU system",
}

-- Axis titles per unit.
local axis_titles = { ms = "time (ms)", MB = "memory (MB)", count = "count" }

local function unit_of(field)
  for _, u in ipairs(units) do
    if field:sub(-#u.suffix) == u.suffix then return u.unit, u.scale end
  end
  return "count", 1
end

local function escape(s)
  return (tostring(s):gsub("[<>&\"]", { ["<"] = "&lt;", [">"] = "&gt;", ["&"] = "&amp;", ['"'] = "&quot;" }))
end

-- A step of 1, 2 or 5 times a power of ten giving about `n` ticks up to max.
local function nice_step(max, n)
  if max <= 0 then return 1 end
  local raw = max / n
  local p = 10 ^ math.floor(math.log(raw, 10))
  for _, m in ipairs({ 1, 2, 5, 10 }) do
    if m * p >= raw then return m * p end
  end
  return 10 * p
end

local function tick_text(v)
  if v == math.floor(v) and math.abs(v) < 1e15 then return fmt("%d", v) end
  return fmt("%.3g", v)
end

local known_options = { series = true, title = true, width = true, height = true, x = true }

-- The series to draw and the units of their axes, or nil and a message.
local function series_specs(opts)
  local specs, axis_of_unit, axes = {}, {}, {}
  for k in pairs(opts) do
    if not known_options[k] then return nil, "unknown option '" .. tostring(k) .. "'" end
  end
  if type(opts.series) ~= "table" then return nil, "series must be a list of field names, got " .. type(opts.series) end
  for _, k in ipairs({ "width", "height" }) do
    local v = opts[k]
    if v ~= nil and (math.type(v) ~= "integer" or v < 200) then
      return nil, k .. " must be an integer >= 200, got " .. tostring(v)
    end
  end
  if opts.title ~= nil and type(opts.title) ~= "string" then
    return nil, "title must be a string, got " .. type(opts.title)
  end
  if opts.x ~= nil and opts.x ~= "chunk" and opts.x ~= "t" then
    return nil, "x must be \"chunk\" or \"t\", got " .. tostring(opts.x)
  end
  for i, s in ipairs(opts.series) do
    local field = type(s) == "table" and s.field or s
    if type(field) ~= "string" then return nil, "series " .. i .. " must be a field name or {field = name}" end
    local unit, scale = unit_of(field)
    if not axis_of_unit[unit] then
      axes[#axes + 1] = unit
      axis_of_unit[unit] = #axes
    end
    specs[i] = {
      field = field, unit = unit, scale = scale, axis = axis_of_unit[unit],
      label = type(s) == "table" and s.label or known_labels[field] or field, color = palette[(i - 1) % #palette + 1],
    }
  end
  if #specs == 0 then return nil, "no series (give series = {field, ...})" end
  if #axes > 2 then return nil, "at most two units per chart, got " .. concat(axes, ", ") end
  return specs, axes
end

--- The SVG text for `rows` (sampled tables) with `opts`: `series` (field
-- names, or `{field =, label =}`; unit from the suffix: _s and _ms are
-- drawn in ms, _kb and _bytes in MB), `title`, `width` (800), `height`
-- (400), `x` ("chunk": sample number, or "t": seconds since start).
-- Returns nil and a message when opts are wrong.
function svg.chart(rows, opts)
  local specs, axes = series_specs(opts)
  if specs == nil then return nil, axes end
  local W, H = opts.width or 800, opts.height or 400
  local left, right, top, bottom = 70, (#axes == 2 and 70 or 30), 44, 52
  local pw, ph = W - left - right, H - top - bottom
  local use_t = opts.x == "t"
  local n = #rows

  local xmax = use_t and (n > 0 and rows[n].t or 1) or math.max(n, 1)
  if xmax <= 0 then xmax = 1 end
  local ymax = { 0, 0 }
  for _, spec in ipairs(specs) do
    for _, row in ipairs(rows) do
      local v = tonumber(row[spec.field])
      if v and v == v and v ~= math.huge then
        v = v * spec.scale
        if v > ymax[spec.axis] then ymax[spec.axis] = v end
      end
    end
  end

  local out = {}
  local function add(...) out[#out + 1] = fmt(...) end
  add('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
    .. 'font-family="sans-serif" font-size="12">', W, H, W, H)
  add('<rect x="0" y="0" width="%d" height="%d" fill="#ffffff"/>', W, H)
  add('<text x="%d" y="24" font-size="16" font-weight="bold" fill="#222">%s</text>', left,
    escape(opts.title or "tokenflow run"))

  -- y axes: grid from the left one, tick labels on both
  local steps, tops = {}, {}
  for a = 1, #axes do
    -- headroom above the highest point, so the legend (top right) stays clear of the lines
    local want = ymax[a] * (1 + 0.1 * (#specs + 1))
    steps[a] = nice_step(want, 5)
    tops[a] = math.max(steps[a], math.ceil(want / steps[a]) * steps[a])
  end
  local function ypix(a, v) return top + ph - v / tops[a] * ph end
  for a = 1, #axes do
    local x = a == 1 and left or left + pw
    local anchor, dx = a == 1 and "end" or "start", a == 1 and -6 or 6
    for v = 0, tops[a] + steps[a] / 2, steps[a] do
      local y = ypix(a, v)
      if a == 1 then add('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e4e4e4"/>', left, y, left + pw, y) end
      add('<text x="%d" y="%.1f" text-anchor="%s" fill="#444">%s</text>', x + dx, y + 4, anchor, tick_text(v))
    end
    local ux = a == 1 and 18 or W - 14
    add('<text x="%d" y="%.1f" text-anchor="middle" fill="#222" transform="rotate(-90 %d %.1f)">%s</text>',
      ux, top + ph / 2, ux, top + ph / 2, escape(axis_titles[axes[a]]))
  end

  -- x axis
  local xstep = nice_step(xmax, 8)
  local function xpix(v) return left + v / xmax * pw end
  for v = 0, xmax + xstep / 2, xstep do
    if v <= xmax then
      local x = xpix(v)
      add('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#444"/>', x, top + ph, x, top + ph + 5)
      add('<text x="%.1f" y="%d" text-anchor="middle" fill="#444">%s</text>', x, top + ph + 18, tick_text(v))
    end
  end
  add('<text x="%.1f" y="%d" text-anchor="middle" fill="#222">%s</text>', left + pw / 2, H - 10,
    use_t and "time since start (s)" or "chunk")
  add('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#444"/>', left, top, pw, ph)

  -- lines
  for _, spec in ipairs(specs) do
    local pts = {}
    for i, row in ipairs(rows) do
      local v = tonumber(row[spec.field])
      if v and v == v and v ~= math.huge then
        local xv = use_t and row.t or i
        pts[#pts + 1] = fmt("%.1f,%.1f", xpix(xv), ypix(spec.axis, v * spec.scale))
      end
    end
    if #pts > 0 then
      add('<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>', spec.color, concat(pts, " "))
    end
  end
  if n == 0 then
    add('<text x="%.1f" y="%.1f" text-anchor="middle" fill="#888">no samples</text>', left + pw / 2, top + ph / 2)
  end

  -- legend, top right inside the plot
  local lw, lh = 200, 18 * #specs + 8
  local lx, ly = left + pw - lw - 8, top + 8
  add('<rect x="%d" y="%d" width="%d" height="%d" fill="#ffffff" fill-opacity="0.85" stroke="#bbb"/>', lx, ly, lw, lh)
  for i, spec in ipairs(specs) do
    local y = ly + 4 + 18 * (i - 1) + 9
    add('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="3"/>', lx + 8, y, lx + 30, y, spec.color)
    add('<text x="%d" y="%d" fill="#222">%s (%s)</text>', lx + 36, y + 4, escape(spec.label), escape(spec.unit))
  end
  add("</svg>")
  return concat(out, "\n") .. "\n"
end

return svg

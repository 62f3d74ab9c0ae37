--- A synthetic Figma document: the JSON shape of the Figma REST API's
-- `GET /v1/files/:key` (`{name, document = {type = "DOCUMENT", children =
-- pages}}`), with pages of app screens made of auto-layout frames, plain
-- frames, groups, component instances (their layers have `I...` ids),
-- text nodes with `characters` and `style`, and rectangles, each with an
-- `absoluteBoundingBox`. Nodes carry Tokens Studio's shared plugin data
-- (`sharedPluginData.tokens`, property -> JSON-encoded token name) naming
-- tokens of examples/tokens/demo, 5 to 10 properties per node; pages and
-- groups carry none. Token maps come from a fixed catalog of about a
-- thousand combinations drawn with a skew, so a 100k-node document uses
-- nearly all of them and some far more often than others, as real files do.
-- The same seed and size always give the same document.
--
-- As a module:
--   local gen = dofile("examples/gen-doc.lua")
--   local file = gen.document{ nodes = 100000, seed = 1 }
--   for node in tf.walk(file.document, gen.children) do ... end
-- As a script (writes JSON):
--   lua5.4 examples/gen-doc.lua --nodes 100000 [--seed 1] [--out doc.json]

local gen = {}

-- xorshift64* on Lua's 64-bit integers: the same numbers for the same seed
-- on every machine, and it does not touch math.random's state.
local function rng(seed)
  local s = (seed * 0x9E3779B97F4A7C15 + 0x2545F4914F6CDD1D) | 1
  local self = {}
  function self.next()
    s = s ~ (s >> 12)
    s = s ~ (s << 25)
    s = s ~ (s >> 27)
    return ((s * 0x2545F4914F6CDD1D) >> 11) / 9007199254740992.0 -- [0, 1)
  end
  function self.int(n) return 1 + math.floor(self.next() * n) end           -- 1..n, uniform
  function self.skewed(n) local r = self.next() return 1 + math.floor(r * r * n) end -- 1..n, low ones common
  function self.pick(list) return list[self.int(#list)] end
  return self
end

-- Token choices per property, by kind of node: names of examples/tokens/demo.
local FILLS_BG = { "color.bg.default", "color.bg.subtle", "color.bg.muted", "color.bg.canvas", "color.surface.raised",
  "color.surface.sunken", "card.bg", "nav.bg", "dialog.bg", "table.header-bg", "table.row-bg", "table.row-stripe",
  "color.accent.bg", "color.success.bg", "color.warning.bg", "color.danger.bg", "color.info.bg", "color.bg.hover" }
local FILLS_FG = { "color.fg.default", "color.fg.muted", "color.fg.subtle", "color.fg.disabled", "color.fg.link",
  "color.fg.on-emphasis", "color.accent.fg", "color.success.fg", "color.warning.fg", "color.danger.fg", "color.info.fg",
  "color.discovery.fg", "input.placeholder" }
local FILLS_SHAPE = { "color.accent.emphasis", "color.success.emphasis", "color.warning.emphasis", "color.danger.emphasis",
  "color.info.emphasis", "color.discovery.emphasis", "color.bg.muted", "color.bg.emphasis", "color.border.default",
  "color.accent.bg-hover", "color.bg.overlay", "dialog.scrim" }
local SPACING = { "space.2", "space.3", "space.4", "space.6", "space.8", "card.padding", "card.padding-compact",
  "table.cell-padding", "dialog.padding" }
local GAPS = { "space.1", "space.2", "space.3", "space.4", "space.6", "space.8", "card.gap", "nav.item-gap", "button.gap" }
local RADII = { "radius.none", "radius.sm", "radius.md", "radius.lg", "radius.xl", "radius.2xl", "card.radius",
  "radius.top", "input.radius", "nav.item-radius" }
local BORDERS = { "stroke.default", "stroke.muted", "stroke.emphasis", "card.border", "table.divider", "stroke.dashed",
  "stroke.accent", "input.border" }
local SHADOWS = { "elevation.xs", "elevation.sm", "elevation.md", "elevation.lg", "card.shadow", "card.shadow-hover",
  "elevation.inset", "none" }
local OPACITY = { "opacity.full", "opacity.overlay", "opacity.muted", "opacity.disabled" }
local WIDTHS = { "size.container.sm", "size.container.md", "size.container.lg", "size.full", "size.avatar.lg" }
local HEIGHTS = { "size.control.sm", "size.control.md", "size.control.lg", "size.avatar.md", "size.icon.lg" }
local ICONS = { "size.icon.sm", "size.icon.md", "size.icon.lg", "size.avatar.sm", "size.avatar.md" }
local TYPE = { "type.display", "type.heading.xl", "type.heading.lg", "type.heading.md", "type.heading.sm",
  "type.body.lg", "type.body.md", "type.body.sm", "type.label.md", "type.label.sm", "type.label.caps", "type.code" }
local CASES = { "font.case.none", "font.case.upper", "font.case.title" }
local DECORATIONS = { "font.decoration.none", "font.decoration.underline", "font.decoration.strike" }
local TRACKING = { "font.letter-spacing.tight", "font.letter-spacing.normal", "font.letter-spacing.wide" }
local PARAGRAPH = { "font.paragraph-spacing.none", "font.paragraph-spacing.body" }
local BUTTON = { "primary", "secondary", "danger", "ghost" }

-- Per kind: properties every entry has, optional ones (some are added to
-- reach 5-10 properties), and how many distinct combinations the catalog holds.
local KINDS = {
  stack = { size = 330, always = { fill = FILLS_BG, itemSpacing = GAPS, spacing = SPACING },
    optional = { borderRadius = RADII, border = BORDERS, boxShadow = SHADOWS, opacity = OPACITY, width = WIDTHS,
      minHeight = HEIGHTS } },
  canvas = { size = 70, always = { fill = FILLS_BG, width = WIDTHS, borderRadius = RADII },
    optional = { opacity = OPACITY, boxShadow = SHADOWS, border = BORDERS, height = HEIGHTS,
      visibility = { "visibility.shown", "visibility.shown", "visibility.hidden" } } },
  text = { size = 300, always = { fill = FILLS_FG, typography = TYPE },
    optional = { opacity = OPACITY, textCase = CASES, textDecoration = DECORATIONS, letterSpacing = TRACKING,
      paragraphSpacing = PARAGRAPH, width = WIDTHS } },
  shape = { size = 160, always = { fill = FILLS_SHAPE, borderRadius = RADII, sizing = ICONS },
    optional = { border = BORDERS, boxShadow = SHADOWS, opacity = OPACITY, borderColor = { "color.border.emphasis",
      "color.border.focus", "none" } } },
  button = { size = 120, always = { horizontalPadding = { "button.padding-x", "badge.padding-x", "input.padding-x" },
    verticalPadding = { "button.padding-y", "badge.padding-y" }, borderRadius = { "button.radius", "badge.radius",
    "input.radius", "radius.pill" } },
    optional = { itemSpacing = { "button.gap", "space.1", "space.2" }, height = { "button.height", "input.height",
      "size.control.sm", "size.control.lg" }, opacity = OPACITY, boxShadow = { "elevation.xs", "none" } } },
}

-- Sorted keys, so the catalog does not depend on pairs() order.
local function keys_of(t)
  local out = {}
  for k in pairs(t) do out[#out + 1] = k end
  table.sort(out)
  return out
end

local function encode(name) return '"' .. name .. '"' end

-- One token map: the kind's fixed properties plus optional ones, 5-10 in all.
local function draw(r, kind, variant)
  local map, n = {}, 0
  for _, prop in ipairs(keys_of(kind.always)) do
    map[prop] = encode(r.pick(kind.always[prop])); n = n + 1
  end
  if kind == KINDS.button then -- a button variant keeps its fill, text colour and border together
    map.fill = encode("button." .. variant .. "." .. (r.next() < 0.8 and "bg" or "bg-hover"))
    map.border = encode("button." .. variant .. ".border")
    n = n + 2
  end
  local optional = keys_of(kind.optional)
  local want = math.min(5 + r.int(6) - 1, n + #optional) -- 5..10
  while n < want do
    local prop = optional[r.int(#optional)]
    if not map[prop] then map[prop] = encode(r.pick(kind.optional[prop])); n = n + 1 end
  end
  return map
end

local function map_key(map)
  local parts = {}
  for _, k in ipairs(keys_of(map)) do parts[#parts + 1] = k .. "=" .. map[k] end
  return table.concat(parts, ";")
end

--- The catalog of token maps by kind (`stack`, `canvas`, `text`, `shape`,
-- `button`): arrays of distinct maps (property -> JSON-encoded token name).
-- @tparam[opt=1] integer seed
function gen.catalog(seed)
  local r = rng((seed or 1) + 7919)
  local catalog = {}
  for _, kname in ipairs(keys_of(KINDS)) do
    local kind, list, seen = KINDS[kname], {}, {}
    local tries = 0
    while #list < kind.size and tries < kind.size * 50 do
      tries = tries + 1
      local map = draw(r, kind, BUTTON[(#list % #BUTTON) + 1])
      local key = map_key(map)
      if not seen[key] then seen[key] = true; list[#list + 1] = map end
    end
    catalog[kname] = list
  end
  return catalog
end

local WORDS = { "Overview", "Revenue", "Active users", "Settings", "Billing", "Invite", "Team", "Projects", "Export",
  "Last 30 days", "Save changes", "Cancel", "Delete", "Upgrade", "Notifications", "Search", "Status", "Owner",
  "Updated 2 hours ago", "Archive", "Share", "Details", "Add member", "Usage", "Reports", "Filters", "Q3 planning",
  "Conversion", "Sessions", "Retention", "Help", "Profile", "Security", "API keys", "Integrations", "Changelog" }
local FONTS = { { "Inter", "Regular", 400, 14 }, { "Inter", "Medium", 500, 14 }, { "Inter", "SemiBold", 600, 20 },
  { "Inter Display", "Bold", 700, 31 }, { "JetBrains Mono", "Regular", 400, 13 } }
local SCREENS = { "Dashboard", "Settings", "Billing", "Team", "Reports", "Onboarding", "Inbox", "Project", "Checkout" }
local PAGES = { "Cover", "Components", "Web - Dashboard", "Web - Settings", "Web - Billing", "Mobile", "Flows",
  "Handoff", "Archive" }

local function solid(r, g, b, a)
  return { blendMode = "NORMAL", type = "SOLID", color = { r = r, g = g, b = b, a = a or 1 } }
end

-- Builds the tree; `budget` counts the nodes still to create.
local function builder(opts)
  local r = rng(opts.seed or 1)
  local catalog = gen.catalog(opts.seed)
  local ctx = { budget = opts.nodes, seq = 0, page = 0, combos = {} }

  local function tokens_of(kind)
    local list = catalog[kind]
    local i = r.skewed(#list)
    local src = list[i]
    ctx.combos[src] = true
    local copy = {}
    for k, v in pairs(src) do copy[k] = v end
    return { tokens = copy }
  end

  local function node(type_, name, box, kind, id)
    ctx.budget = ctx.budget - 1
    ctx.seq = ctx.seq + 1
    local n = {
      id = id or string.format("%d:%d", ctx.page, ctx.seq),
      name = name, type = type_,
      absoluteBoundingBox = { x = box[1], y = box[2], width = box[3], height = box[4] },
    }
    if kind then n.sharedPluginData = tokens_of(kind) end
    return n
  end

  local function add(parent, child)
    local c = parent.children
    if not c then c = {}; parent.children = c end
    c[#c + 1] = child
    return child
  end

  local function text(parent, x, y, w, id)
    local f = FONTS[r.int(#FONTS)]
    local t = node("TEXT", "Label", { x, y, w, f[4] * 1.5 }, "text", id)
    t.characters = WORDS[r.int(#WORDS)]
    t.style = { fontFamily = f[1], fontPostScriptName = (f[1]:gsub(" ", "")) .. "-" .. f[2], fontWeight = f[3],
      fontSize = f[4], textAlignHorizontal = "LEFT", textAlignVertical = "TOP", letterSpacing = 0,
      lineHeightPx = f[4] * 1.5, lineHeightPercent = 100, lineHeightUnit = "INTRINSIC_%" }
    t.fills = { solid(0.1, 0.12, 0.15) }
    return add(parent, t)
  end

  local function rect(parent, x, y, w, h, id)
    local n = node("RECTANGLE", "Shape", { x, y, w, h }, "shape", id)
    n.fills = { solid(0.9, 0.91, 0.93) }
    n.cornerRadius = 4
    return add(parent, n)
  end

  -- a component instance: its own layers have Figma's "I<instance>;<layer>" ids
  local function instance(parent, x, y)
    local b = node("INSTANCE", "Button", { x, y, 120, 40 }, "button")
    b.componentId = "42:" .. r.int(12)
    b.layoutMode = "HORIZONTAL"
    b.fills = { solid(0.2, 0.4, 0.9) }
    add(parent, b)
    local layers = r.int(3)
    for k = 1, layers do
      if ctx.budget <= 0 then break end
      local id = string.format("I%s;42:%d", b.id, k)
      if k == 2 then rect(b, x + 12, y + 12, 16, 16, id) else text(b, x + 16, y + 10, 88, id) end
    end
    return b
  end

  local function group(parent, x, y)
    local g = node("GROUP", "Icon", { x, y, 24, 24 })
    add(parent, g)
    for _ = 1, 2 do
      if ctx.budget <= 0 then break end
      rect(g, x, y, 24, 24)
    end
    return g
  end

  -- an auto-layout stack (card, list, toolbar, table row) with mixed content
  local function stack(parent, x, y, w, depth)
    local f = node("FRAME", depth == 1 and "Section" or "Card", { x, y, w, 200 }, "stack")
    f.layoutMode = r.next() < 0.6 and "VERTICAL" or "HORIZONTAL"
    f.itemSpacing, f.paddingLeft, f.paddingRight, f.paddingTop, f.paddingBottom = 8, 16, 16, 16, 16
    f.fills = { solid(1, 1, 1) }
    add(parent, f)
    local count = 2 + r.int(depth == 1 and 8 or 6)
    local cy = y + 16
    for _ = 1, count do
      if ctx.budget <= 0 then break end
      local roll = r.next()
      if depth < 3 and roll < 0.22 then
        stack(f, x + 16, cy, w - 32, depth + 1)
      elseif roll < 0.62 then
        text(f, x + 16, cy, w - 32)
      elseif roll < 0.78 then
        instance(f, x + 16, cy)
      elseif roll < 0.93 then
        rect(f, x + 16, cy, w - 32, 120)
      else
        group(f, x + 16, cy)
      end
      cy = cy + 40
    end
    return f
  end

  -- a screen: a plain frame (no auto layout) holding a header, a sidebar and content
  local function screen(page, index)
    local x, y = (index % 6) * 1600, (index // 6) * 1100
    local s = node("FRAME", SCREENS[r.int(#SCREENS)] .. " " .. index, { x, y, 1440, 1024 }, "canvas")
    s.fills = { solid(0.98, 0.98, 0.97) }
    s.clipsContent = true
    add(page, s)
    while ctx.budget > 0 and #(s.children or {}) < 12 do
      stack(s, x + 24, y + 24, 1392, 1)
    end
  end

  local doc = { id = "0:0", name = "Document", type = "DOCUMENT" }
  ctx.budget = ctx.budget - 1
  local pages = math.max(1, math.min(#PAGES, opts.pages or (opts.nodes // 15000 + 1)))
  local per_page = math.ceil((opts.nodes - 1) / pages)
  for p = 1, pages do
    if ctx.budget <= 0 then break end
    ctx.page, ctx.seq = p, 0
    local page = { id = p .. ":0", name = PAGES[p] or ("Page " .. p), type = "CANVAS",
      backgroundColor = { r = 0.96, g = 0.96, b = 0.96, a = 1 } }
    ctx.budget = ctx.budget - 1
    add(doc, page)
    local stop = math.max(0, ctx.budget - per_page + 1)
    local index = 0
    while ctx.budget > stop do
      local saved = ctx.budget
      ctx.budget = ctx.budget - stop -- screens of this page use its share only
      screen(page, index)
      ctx.budget = ctx.budget + stop
      index = index + 1
      assert(ctx.budget < saved)
    end
  end
  local used = 0
  for _ in pairs(ctx.combos) do used = used + 1 end
  return doc, used
end

--- A Figma REST API file table with `opts.nodes` nodes in `document`
-- (counting the document and its pages).
-- @tparam table opts `nodes` (default 1000), `seed` (default 1), `pages`
-- (default one per 15k nodes, at most 9)
-- @treturn table `{name, lastModified, version, schemaVersion, document, components, styles}`
-- @treturn integer distinct token combinations used
function gen.document(opts)
  opts = opts or {}
  local n = math.tointeger(opts.nodes or 1000)
  assert(n and n >= 2, "gen.document: nodes must be an integer >= 2")
  local doc, combinations = builder { nodes = n, seed = opts.seed or 1, pages = opts.pages }
  return {
    name = "Acme app (synthetic)", lastModified = "2026-01-01T00:00:00Z", version = tostring(opts.seed or 1),
    schemaVersion = 0, role = "owner", editorType = "figma",
    document = doc, components = {}, styles = {},
  }, combinations
end

--- The children of a node (for tf.walk).
function gen.children(node) return node.children end

--- Counts the nodes under `root` (itself included).
function gen.count(root)
  local n, stack = 0, { root }
  while #stack > 0 do
    local node = table.remove(stack)
    n = n + 1
    for _, c in ipairs(node.children or {}) do stack[#stack + 1] = c end
  end
  return n
end

-- Run as a script: lua5.4 examples/gen-doc.lua --nodes N [--seed S] [--out FILE]
if arg and arg[0] and arg[0]:match("gen%-doc%.lua$") then
  local opts, out = { nodes = 100000, seed = 1 }, nil
  local i = 1
  while arg[i] do
    local a, v = arg[i], arg[i + 1]
    if a == "--nodes" then opts.nodes = math.tointeger(tonumber(v)); i = i + 2
    elseif a == "--seed" then opts.seed = math.tointeger(tonumber(v)); i = i + 2
    elseif a == "--pages" then opts.pages = math.tointeger(tonumber(v)); i = i + 2
    elseif a == "--out" then out = v; i = i + 2
    else
      io.stderr:write("usage: lua5.4 examples/gen-doc.lua [--nodes N] [--seed S] [--pages P] [--out FILE.json]\n")
      os.exit(2)
    end
  end
  if not opts.nodes or opts.nodes < 2 or not opts.seed then
    io.stderr:write("gen-doc: --nodes must be an integer >= 2 and --seed an integer\n")
    os.exit(2)
  end
  local cjson = require "cjson"
  local file, combinations = gen.document(opts)
  local text = cjson.encode(file)
  local f = out and assert(io.open(out, "wb")) or io.stdout
  f:write(text, "\n")
  if out then f:close() end
  io.stderr:write(string.format("gen-doc: %d nodes, %d token combinations, %.1f MB%s\n", opts.nodes, combinations,
    #text / 1e6, out and (" -> " .. out) or ""))
end

return gen

--- Which sets take part in a resolution, and in which order (SEMANTICS.md
-- section 2). Sets a theme does not mention come first (lowest priority),
-- then source and enabled sets in `tokenSetOrder`; later wins; disabled sets
-- take no part. Across several active themes, enabled beats source beats
-- disabled.
-- @module tokenflow.tokens.themes

local themes = {}

local rank = { disabled = 1, source = 2, enabled = 3 }

local function find_theme(list, name)
  for _, t in ipairs(list) do
    if t.name == name or t.id == name or (t.group and t.group .. "/" .. t.name == name) then return t end
  end
  return nil
end

local function theme_names(list)
  local out = {}
  for _, t in ipairs(list) do out[#out + 1] = t.group and (t.group .. "/" .. t.name) or t.name end
  return table.concat(out, ", ")
end

-- Appends the enabled and source sets in `order` to out.
local function append_in_use(out, order, status)
  for _, name in ipairs(order) do
    local st = status[name]
    if st == "enabled" or st == "source" then out[#out + 1] = { name = name, status = st } end
  end
  return out
end

--- The sets of `source` for a selection `{theme=} | {themes={...}} | {sets=}`:
-- an array of `{name, status}` (status "enabled", "source" or "unused"),
-- lowest priority first. Returns nil and a message for an unknown theme or set.
function themes.select(source, sel)
  sel = sel or {}
  local order = source.order
  local out = {}
  if sel.theme ~= nil or sel.themes ~= nil then
    local wanted = sel.themes or { sel.theme }
    local status = {}
    for _, name in ipairs(wanted) do
      local t = find_theme(source.themes, name)
      if not t then
        return nil, string.format("unknown theme '%s' (themes: %s)", tostring(name),
          #source.themes > 0 and theme_names(source.themes) or "none")
      end
      for set, st in pairs(t.selectedTokenSets) do
        if not status[set] or rank[st] > rank[status[set]] then status[set] = st end
      end
    end
    for _, name in ipairs(order) do
      if status[name] == nil then out[#out + 1] = { name = name, status = "unused" } end
    end
    return append_in_use(out, order, status)
  end
  if sel.sets ~= nil then
    local status = {}
    if sel.sets[1] ~= nil then
      for _, name in ipairs(sel.sets) do
        if type(name) ~= "string" then return nil, "set names must be strings, got " .. type(name) end
        status[name] = "enabled"
      end
    else
      for name, st in pairs(sel.sets) do status[name] = st end
    end
    for name, st in pairs(status) do
      if not source.sets[name] then return nil, string.format("unknown set '%s'", tostring(name)) end
      if not rank[st] then return nil, string.format("set '%s': status must be enabled, source or disabled", name) end
    end
    return append_in_use(out, order, status)
  end
  for _, name in ipairs(order) do out[#out + 1] = { name = name, status = "enabled" } end
  return out
end

return themes

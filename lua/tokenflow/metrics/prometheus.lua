--- Prometheus text exposition format 0.0.4 of a registry's metrics:
-- HELP and TYPE lines, escaped label values, cumulative `_bucket{le=...}`
-- lines ending with `+Inf`, then `_sum` and `_count`.
-- @module tokenflow.metrics.prometheus

local number = require "tokenflow.metrics.number"

local concat, find, gsub = table.concat, string.find, string.gsub
local num = number.format

local prometheus = {}

local label_escapes = { ["\\"] = "\\\\", ['"'] = '\\"', ["\n"] = "\\n" }

local function escape_label(v)
  if find(v, '[\\"\n]') then v = gsub(v, '[\\"\n]', label_escapes) end
  return v
end

local function escape_help(v)
  if find(v, "[\\\n]") then v = gsub(v, "[\\\n]", label_escapes) end
  return v
end

-- `a="x",b="y"` (no braces) of a series, or "" without labels.
local function label_pairs(names, values)
  local n = #names
  if n == 0 then return "" end
  local parts = {}
  for i = 1, n do parts[i] = names[i] .. '="' .. escape_label(values[i]) .. '"' end
  return concat(parts, ",")
end

local function braces(pairs_)
  return pairs_ == "" and "" or "{" .. pairs_ .. "}"
end

--- The exposition text of `families` (what the core's collect() returns).
function prometheus.format(families)
  local out, n = {}, 0
  for _, f in ipairs(families) do
    local name = f.name
    n = n + 1; out[n] = "# HELP " .. name .. " " .. escape_help(f.help)
    n = n + 1; out[n] = "# TYPE " .. name .. " " .. f.kind
    if f.kind ~= "histogram" then
      for _, s in ipairs(f.series) do
        n = n + 1; out[n] = name .. braces(label_pairs(f.labels, s.values)) .. " " .. num(s.value)
      end
    else
      local les = {}
      for i, b in ipairs(f.buckets) do les[i] = 'le="' .. num(b) .. '"' end
      les[#f.buckets + 1] = 'le="+Inf"'
      local bucket_name, sum_name, count_name = name .. "_bucket{", name .. "_sum", name .. "_count"
      for _, s in ipairs(f.series) do
        local lp = label_pairs(f.labels, s.values)
        local prefix = lp == "" and bucket_name or bucket_name .. lp .. ","
        local cumulative = 0
        for i, c in ipairs(s.buckets) do
          cumulative = cumulative + c
          n = n + 1; out[n] = prefix .. les[i] .. "} " .. num(cumulative)
        end
        local b = braces(lp)
        n = n + 1; out[n] = sum_name .. b .. " " .. num(s.sum)
        n = n + 1; out[n] = count_name .. b .. " " .. num(s.count)
      end
    end
  end
  n = n + 1; out[n] = ""
  return concat(out, "\n")
end

return prometheus

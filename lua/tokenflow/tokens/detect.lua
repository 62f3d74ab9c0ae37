--- Tells a Tokens Studio document from a DTCG one (SEMANTICS.md section 1):
-- `$themes` or `$metadata` present, or tokens written with `value`/`type`,
-- mean Tokens Studio; otherwise tokens with `$value` mean DTCG.
-- @module tokenflow.tokens.detect

local detect = {}

-- Looks for the first token-like object, breadth-first and bounded, so huge
-- documents are not walked twice. Returns "tokens-studio", "dtcg" or nil.
local function first_token_style(doc)
  local queue, head, seen = { doc }, 1, 0
  while queue[head] and seen < 100000 do
    local t = queue[head]
    head = head + 1
    seen = seen + 1
    if t.value ~= nil and type(t.value) ~= "table" or (t.value ~= nil and t.type ~= nil) then
      return "tokens-studio"
    end
    if t["$value"] ~= nil then return "dtcg" end
    for k, v in pairs(t) do
      if type(v) == "table" and type(k) == "string" and k:sub(1, 1) ~= "$" then queue[#queue + 1] = v end
    end
  end
  return nil
end

--- The format of a decoded document: "tokens-studio" or "dtcg".
-- Documents with no token at all count as Tokens Studio (sets of nothing).
function detect.format(doc)
  if type(doc) ~= "table" then return "tokens-studio" end
  if doc["$themes"] ~= nil or doc["$metadata"] ~= nil then return "tokens-studio" end
  return first_token_style(doc) or "tokens-studio"
end

--- The format of a set of decoded files (a folder): the first file that
-- says anything decides.
function detect.format_of_files(docs)
  for _, doc in ipairs(docs) do
    if type(doc) == "table" then
      if doc["$themes"] ~= nil or doc["$metadata"] ~= nil then return "tokens-studio" end
      local style = first_token_style(doc)
      if style then return style end
    end
  end
  return "tokens-studio"
end

--- True when name is one of the accepted format names.
function detect.valid(name)
  return name == "tokens-studio" or name == "dtcg"
end

return detect

-- Real Figma files for the document specs: the fixtures in
-- ../shared/figma-fixtures (read in place), and copies of them with
-- Tokens Studio token maps added to their nodes, by node type, from the
-- token catalog of examples/gen-doc.lua (names of examples/tokens/demo).
local tf = require "tokenflow"
local lfs = require "lfs"

local M = {}

-- next to the project (TOKENFLOW_FIGMA_FIXTURES names another place)
M.DIR = os.getenv("TOKENFLOW_FIGMA_FIXTURES") or "../shared/figma-fixtures"

--- The fixture files, sorted by name.
function M.files()
  local out = {}
  assert(lfs.attributes(M.DIR, "mode") == "directory", "the real Figma files are not at " .. M.DIR
    .. " (they sit next to the project; TOKENFLOW_FIGMA_FIXTURES names another place)")
  for name in lfs.dir(M.DIR) do
    if name:match("%.json$") then out[#out + 1] = M.DIR .. "/" .. name end
  end
  table.sort(out)
  assert(#out > 0, "no Figma fixtures in " .. M.DIR)
  return out
end

function M.slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

-- The catalog's kind of token map for a node type (nil: no tokens).
local KIND = {
  TEXT = "text", INSTANCE = "button", RECTANGLE = "shape", ELLIPSE = "shape", VECTOR = "shape", LINE = "shape",
  STAR = "shape", BOOLEAN_OPERATION = "shape", REGULAR_POLYGON = "shape", FRAME = "canvas", COMPONENT = "canvas",
  COMPONENT_SET = "canvas", GROUP = "canvas",
}

-- xorshift64*: the same choices for the same seed everywhere
local function rng(seed)
  local s = (seed * 0x9E3779B97F4A7C15 + 0x2545F4914F6CDD1D) | 1
  return function(n)
    s = s ~ (s >> 12)
    s = s ~ (s << 25)
    s = s ~ (s >> 27)
    return 1 + math.floor(((s * 0x2545F4914F6CDD1D) >> 11) / 9007199254740992.0 * n)
  end
end

--- Copies the Figma file src to dst with token maps added (as
-- `sharedPluginData.tokens`, property -> JSON-encoded token name) to about
-- `share` (default 0.7) of the nodes whose type takes tokens: frames with
-- auto layout get a stack's map, other frames and groups a canvas's, text a
-- text's, instances a button's, shapes a shape's. Returns the number of
-- nodes given tokens.
function M.with_tokens(src, dst, seed, share)
  local gen = dofile("examples/gen-doc.lua")
  local catalog = gen.catalog(seed)
  local pick = rng(seed)
  share = share or 0.7
  local doc = assert(tf.figma.open(src))
  local n = 0
  for node in doc:nodes() do
    local kind = KIND[node.type]
    if kind == "canvas" and (node.layoutMode == "HORIZONTAL" or node.layoutMode == "VERTICAL") then kind = "stack" end
    if kind and pick(1000) <= share * 1000 then
      local list = catalog[kind]
      local tokens = {}
      for k, v in pairs(list[pick(#list)]) do tokens[k] = v end
      node.sharedPluginData = { tokens = tokens }
      n = n + 1
    end
  end
  assert(doc:save(dst))
  doc:close()
  return n
end

local function shell_quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

--- Runs `node` (Node.js) on a script with arguments (paths); returns ok,
-- its output.
function M.node(script, ...)
  local js = os.tmpname() .. ".js"
  local f = assert(io.open(js, "wb"))
  f:write(script)
  f:close()
  local args = {}
  for i, a in ipairs { ... } do args[i] = shell_quote(a) end
  local p = assert(io.popen("node " .. js .. " " .. table.concat(args, " ") .. " 2>&1"))
  local out = p:read("a")
  local ok = p:close()
  os.remove(js)
  return ok, out
end

return M

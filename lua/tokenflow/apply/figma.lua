--- tf.figma: the Figma node model rules (SEMANTICS.md section 6) in two pure
-- steps a job can cache between: `map` turns a node's token map into a plan
-- of Figma values (cacheable per token combination), `writer` applies a plan
-- to node tables in Figma REST-API style, `read` gets a node's token map from
-- its shared plugin data.
-- @module tokenflow.apply.figma

local figma = {
  --- Builds a plan: `figma.map(tokens_of_node, resolved[, opts])` -> plan, or nil and
  -- a list of `{property=, token=, message=}`. See `tokenflow.apply.map`.
  -- @function map
  map = require "tokenflow.apply.map",
  --- Makes a writer: `figma.writer{ base_font_size = 16 }` -> `write(node, plan[, where])`.
  -- See `tokenflow.apply.writer`.
  -- @function writer
  writer = require "tokenflow.apply.writer",
  --- The operations to write again when a node holding one plan should hold
  -- another: `figma.diff(old_plan, new_plan)` -> plan. See `tokenflow.apply.diff`.
  -- @function diff
  diff = require "tokenflow.apply.diff",
  --- A node's token map from `node.sharedPluginData.tokens`: `figma.read(node)`
  -- -> table, or nil and a message naming the node and property.
  -- @function read
  read = require("tokenflow.apply.read").tokens,
  --- Reads a Figma file into the document engine: `figma.open(path[,
  -- {on_progress =}])` -> a `tokenflow.Document`, or nil and a message
  -- naming the file, line, column and byte. See `tokenflow.apply.document`.
  -- @function open
  open = require("tokenflow.apply.document").open,
  --- `figma.parse(text[, name[, opts]])`: as `open`, from a string.
  -- @function parse
  parse = require("tokenflow.apply.document").parse,
}

--- A node's bounds on the canvas from its `absoluteBoundingBox`:
-- `figma.bounds(node)` -> x, y, w, h, or nil when the node has none (the
-- document and its pages). For visible-first updates (`tf.update{viewport =
-- ..., bounds = tf.figma.bounds}`), where the job reads the same field in C.
-- @param node a Figma node table
function figma.bounds(node)
  if type(node) ~= "table" then return nil end
  local b = node.absoluteBoundingBox
  if b == nil then return nil end
  if type(b) ~= "table" then
    error(string.format("node %s: absoluteBoundingBox must be a table, got %s", tostring(node.id), type(b)), 2)
  end
  return b.x, b.y, b.width, b.height
end

--- One line per error of `figma.map`, for reports: `property (token): message`.
-- @tparam table errors the second result of `figma.map`
-- @tparam[opt] string node_id prefixed as `node <id>: ` when given
-- @treturn string
function figma.describe_errors(errors, node_id)
  if type(errors) ~= "table" then
    error("bad argument #1 to 'describe_errors' (table expected, got " .. type(errors) .. ")", 2)
  end
  local lines = {}
  for i, e in ipairs(errors) do
    if type(e) ~= "table" then
      error(string.format("bad argument #1 to 'describe_errors' (errors[%d] must be a table, got %s)", i, type(e)), 2)
    end
    lines[i] = string.format("%s%s (%s): %s", node_id and ("node " .. node_id .. ": ") or "",
      e.property, tostring(e.token), e.message)
  end
  return table.concat(lines, "\n")
end

return figma

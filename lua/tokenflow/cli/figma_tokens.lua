--- A Figma file as the command line's token source (its doc option): the
-- token set the file carries (see tokenflow.tokens.figma), resolved with
-- the file's own selection (its active themes, else its used sets) unless a
-- theme option says otherwise.
-- @module tokenflow.cli.figma_tokens

local tokens = require "tokenflow.tokens"

local figma_tokens = {}

--- The file's token set and the selection to resolve it with. `file` is a
-- path or an already decoded Figma file; `themes` the `--theme` values (nil:
-- the file's own selection). Returns set, selection (a new table), or nil
-- and a message naming the file and the key.
-- @tparam string|table file a path or a decoded file
-- @tparam[opt] table themes
-- @tparam[opt] table opts as for `tf.tokens.load`
function figma_tokens.load(file, themes, opts)
  local set, info = tokens.from_figma(file, opts)
  if not set then return nil, info end
  if themes then return set, { themes = themes } end
  local sel = {}
  for k, v in pairs(info.selection or {}) do sel[k] = v end
  return set, sel
end

return figma_tokens

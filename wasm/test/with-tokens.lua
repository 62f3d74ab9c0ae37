-- Copies Figma files with Tokens Studio token maps added to their nodes, as
-- the Lua specs do (spec/figma_fixtures_helper.lua), printing how many nodes
-- got one. Run from the project root with spec/ on the path:
--   lua5.4 wasm/test/with-tokens.lua SEED SRC DST [SRC DST]...
local fx = require "figma_fixtures_helper"

local seed = math.tointeger(tonumber(arg[1]))
for i = 2, #arg, 2 do print(fx.with_tokens(arg[i], arg[i + 1], seed)) end

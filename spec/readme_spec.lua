-- Every ```lua block in README.md runs without error, so the examples there
-- stay true as the code changes.
local function lua_blocks(path)
  local f = assert(io.open(path, "rb"))
  local text = f:read("a")
  f:close()
  local blocks, n = {}, 0
  for body in text:gmatch("\n```lua\n(.-)\n```") do
    n = n + 1
    blocks[#blocks + 1] = { index = n, code = body }
  end
  return blocks
end

describe("README.md examples", function()
  local blocks = lua_blocks("README.md")

  it("has examples", function()
    assert.is_true(#blocks > 0)
  end)

  for _, block in ipairs(blocks) do
    it("block " .. block.index .. " runs", function()
      local printed = {}
      local env = setmetatable({
        print = function(...) printed[#printed + 1] = select("#", ...) end,
      }, { __index = _G })
      local chunk, err = load(block.code, "=README block " .. block.index, "t", env)
      assert(chunk, err)
      chunk()
      collectgarbage()
    end)
  end
end)

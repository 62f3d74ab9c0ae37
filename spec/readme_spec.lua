-- Every ```lua block in README.md and in the manuals (docs/*.md) runs
-- without error, so the examples there stay true as the code changes.
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

local function documents()
  local paths = { "README.md" }
  local p = assert(io.popen("ls docs/*.md | LC_ALL=C sort"))
  for path in p:lines() do paths[#paths + 1] = path end
  p:close()
  return paths
end

describe("examples in the documentation", function()
  local all = 0
  for _, path in ipairs(documents()) do
    for _, block in ipairs(lua_blocks(path)) do
      all = all + 1
      it(path .. " block " .. block.index .. " runs", function()
        local printed = {}
        local env = setmetatable({
          print = function(...) printed[#printed + 1] = select("#", ...) end,
        }, { __index = _G })
        local chunk, err = load(block.code, "=" .. path .. " block " .. block.index, "t", env)
        assert(chunk, err)
        chunk()
        collectgarbage()
      end)
    end
  end

  it("has examples in the README and in the manuals", function()
    assert.is_true(#lua_blocks("README.md") > 0)
    assert.is_true(all > #lua_blocks("README.md"))
    -- the manuals that hold the examples of each part
    for _, path in ipairs { "docs/tokens.md", "docs/update-job.md", "docs/engines.md", "docs/metrics.md",
      "docs/viewport.md", "docs/store.md", "docs/figma.md", "docs/documents.md" } do
      assert.is_true(#lua_blocks(path) > 0, path)
    end
  end)
end)

local tf = require "tokenflow"

describe("tokenflow module", function()
  it("loads the core built in this tree", function()
    local build = os.getenv("TOKENFLOW_BUILD_DIR") or "build"
    local path = package.searchpath("tokenflow.core", package.cpath)
    assert.is_truthy(path)
    assert.are.equal("./" .. build .. "/tokenflow/core.so", path)
  end)

  it("exposes the same version from the facade and the core", function()
    assert.are.equal(require("tokenflow.core").version, tf.version)
    assert.matches("^%d+%.%d+%.%d+$", tf.version)
  end)

  it("has a monotonic clock in seconds", function()
    local a = tf.now()
    local b = tf.now()
    assert.is_number(a)
    assert.is_true(b >= a)
  end)

  it("sets no globals", function()
    local before = {}
    for k in pairs(_G) do before[k] = true end
    package.loaded["tokenflow"] = nil
    require "tokenflow"
    for k in pairs(_G) do assert.is_true(before[k], "global set: " .. tostring(k)) end
  end)

  it("accounts the bytes its C engines hold", function()
    local before = tf.engine_bytes()
    local names = tf.interner()
    for i = 1, 1000 do names:intern("n" .. i) end
    assert.is_true(tf.engine_bytes() > before)
    names:close()
    assert.are.equal(before, tf.engine_bytes())
  end)
end)

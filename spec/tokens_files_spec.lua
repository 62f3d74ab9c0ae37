-- Token files held in memory: tf.tokens.load(path, {files = {[path] = text}})
-- reads a folder or a file exactly as it reads the same files on disk, and
-- never reads the disk.
local tf = require "tokenflow"
local jsonout = require "tokenflow.tokens.jsonout"
local lfs = require "lfs"

-- Every file under dir: relative path -> text.
local function texts_of(dir, rel, out)
  out = out or {}
  rel = rel or ""
  for entry in lfs.dir(dir .. (rel ~= "" and "/" .. rel or "")) do
    if entry ~= "." and entry ~= ".." then
      local r = rel == "" and entry or rel .. "/" .. entry
      if lfs.attributes(dir .. "/" .. r, "mode") == "directory" then
        texts_of(dir, r, out)
      else
        local f = assert(io.open(dir .. "/" .. r, "rb"))
        out[r] = f:read("a")
        f:close()
      end
    end
  end
  return out
end

local function flat(set, sel)
  local r = assert(set:resolve(sel))
  return jsonout.encode(r:flat()), r:failures()
end

describe("tf.tokens.load with files", function()
  for _, dir in ipairs { "examples/tokens/studio", "examples/tokens/demo", "examples/tokens/dtcg" } do
    it("resolves " .. dir .. " as the same folder on disk does, theme by theme", function()
      local disk = assert(tf.tokens.load(dir))
      local mem = assert(tf.tokens.load("", { files = texts_of(dir) }))
      assert.are.equal(disk:format(), mem:format())
      assert.are.same(disk:sets(), mem:sets())
      assert.are.same(disk:themes(), mem:themes())
      local themes = disk:themes()
      if #themes == 0 then themes = { {} } end
      for _, t in ipairs(themes) do
        local sel = t.name and { theme = t.name } or nil
        local a, af = flat(disk, sel)
        local b, bf = flat(mem, sel)
        assert.are.equal(a, b)
        assert.are.same(af, bf)
      end
    end)
  end

  it("reads a folder among the files, naming files by their paths", function()
    local files = {}
    for rel, text in pairs(texts_of("examples/tokens/studio")) do files["tokens/" .. rel] = text end
    local set = assert(tf.tokens.load("tokens", { files = files }))
    assert.are.same({ "tokens/$themes.json", "tokens/$metadata.json" }, set:files_read())
    assert(set:resolve { theme = "dark" })
    local read = table.concat(set:files_read(), " ")
    assert.matches("tokens/core%.json", read)
    assert.matches("tokens/theme/dark%.json", read)
  end)

  it("reads one file as a token file", function()
    local text = '{"core": {"a": {"value": "4px", "type": "spacing"}, "b": {"value": "{a} * 2", "type": "spacing"}}}'
    local set = assert(tf.tokens.load("all.json", { files = { ["all.json"] = text } }))
    assert.are.equal("8px", assert(set:resolve()):get("b"))
  end)

  it("lists only JSON files, leaving out $ files and hidden entries, and drops a leading ./", function()
    local set = assert(tf.tokens.load("", { files = {
      ["./a.json"] = '{"x": {"$value": 1, "$type": "number"}}',
      ["notes.txt"] = "not JSON",
      [".hidden/b.json"] = "not JSON either",
      ["$extra.json"] = "[",
    } }))
    assert.are.same({ "a.json" }, set:files_read())
    assert.are.equal(1, assert(set:resolve()):get("x"))
  end)

  it("never reads the disk: a set missing from the files is missing even if the file exists on disk", function()
    local files = texts_of("examples/tokens/studio")
    files["core.json"] = nil
    local set, err = tf.tokens.load("", { files = files, lazy = false })
    assert.is_nil(set)
    assert.are.equal("$metadata.json: set 'core' is listed in $metadata.json but core.json is missing", err)
  end)

  it("names the file in errors of a set read lazily", function()
    local files = texts_of("examples/tokens/studio")
    files["theme/dark.json"] = '{"bg": {"value": '
    local set = assert(tf.tokens.load("", { files = files }))
    local r, err = set:resolve { theme = "dark" }
    assert.is_nil(r)
    assert.matches("^theme/dark%.json: invalid JSON", err)
  end)

  it("fingerprints the texts as it fingerprints the same files on disk", function()
    local disk = assert(tf.tokens.load("examples/tokens/studio"))
    local mem = assert(tf.tokens.load("", { files = texts_of("examples/tokens/studio") }))
    assert.are.equal(disk:fingerprint { theme = "dark" }, mem:fingerprint { theme = "dark" })
  end)

  it("raises on files that are not paths mapped to texts", function()
    assert.has_error(function() tf.tokens.load("", { files = "a.json" }) end,
      "bad argument #2 to 'load' (files must be a table, got string)")
    assert.has_error(function() tf.tokens.load("", { files = { ["a.json"] = 4 } }) end,
      "bad argument #2 to 'load' (files must map paths to texts, got string -> number)")
  end)
end)

--- Where token files come from, for load.lua: the disk, or texts held in
-- memory (`tf.tokens.load(path, {files = {[path] = text}})`, which is how a
-- host without a file system, such as the WebAssembly build, passes a
-- folder). Both answer the same questions, so a folder reads the same
-- whichever it comes from: `is_dir(path)`, `exists(path)`, `json_files(dir)`
-- (the `*.json` files under dir, relative, sorted, without `$` files and
-- hidden entries), `read(path)` -> text | nil, message; `parse(rd, path)`
-- -> doc, text | nil, message (with a reader of tokenflow.tokens.reader);
-- `digest(path)` -> SHA-256 of the text (hex) | nil.
-- @module tokenflow.tokens.files

local json = require "tokenflow.tokens.json"

local files = {}

local ok_core, core = pcall(require, "tokenflow.core")
if not (ok_core and type(core) == "table") then core = nil end

local has_lfs, lfs = pcall(require, "lfs")

--- A path inside a folder: `rel` alone when the folder is the root `""`.
function files.join(dir, rel)
  if dir == "" then return rel end
  return dir .. "/" .. rel
end

--- The disk.
local disk = {}
files.disk = disk

function disk.is_dir(path)
  if has_lfs then return lfs.attributes(path, "mode") == "directory" end
  local ok = os.rename(path .. "/", path .. "/")
  return ok and true or false
end

function disk.exists(path)
  if has_lfs then return lfs.attributes(path, "mode") ~= nil end
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end

function disk.json_files(dir)
  local out = {}
  if has_lfs then
    local stack = { "" }
    while #stack > 0 do
      local rel = table.remove(stack)
      for entry in lfs.dir(dir .. (rel == "" and "" or "/" .. rel)) do
        if entry ~= "." and entry ~= ".." and entry:sub(1, 1) ~= "." then
          local r = rel == "" and entry or rel .. "/" .. entry
          local mode = lfs.attributes(dir .. "/" .. r, "mode")
          if mode == "directory" then stack[#stack + 1] = r
          elseif entry:match("%.json$") and entry:sub(1, 1) ~= "$" then out[#out + 1] = r end
        end
      end
    end
  else
    local p = io.popen("cd '" .. dir:gsub("'", "'\\''") .. "' && find . -name '*.json' -type f")
    for line in p:lines() do
      local r = line:gsub("^%./", "")
      if not r:match("^%$") and not r:match("/%$") then out[#out + 1] = r end
    end
    p:close()
  end
  table.sort(out)
  return out
end

function disk.read(path) return json.read_file(path) end
function disk.parse(rd, path) return rd.read(path) end
function disk.digest(path) return core and core.digest_file(path) or nil end

--- Texts held in memory as a file tree: the same functions as `disk`.
-- Paths use "/" and are relative ("a/b.json"; a leading "./" is dropped).
-- `texts` is not copied, so it must not change while a set loaded from it
-- is in use; tokens.load checks that keys and values are strings.
-- @tparam table texts path -> JSON text
function files.memory(texts)
  local by_path, dirs = {}, { [""] = true }
  for path, text in pairs(texts) do
    local p = path:gsub("^%./", "")
    by_path[p] = text
    for d in p:gmatch("()/") do dirs[p:sub(1, d - 1)] = true end
  end
  local fs = {}
  function fs.is_dir(path) return dirs[path] == true end
  function fs.exists(path) return by_path[path] ~= nil or dirs[path] == true end
  function fs.json_files(dir)
    local out, prefix = {}, dir == "" and "" or dir .. "/"
    for path in pairs(by_path) do
      if path:sub(1, #prefix) == prefix then
        local rel = path:sub(#prefix + 1)
        local name = rel:match("[^/]*$")
        local hidden = ("/" .. rel):find("/%.")
        if not hidden and name:match("%.json$") and name:sub(1, 1) ~= "$" then out[#out + 1] = rel end
      end
    end
    table.sort(out)
    return out
  end
  function fs.read(path)
    local text = by_path[path]
    if text == nil then return nil, string.format("%s: cannot read: no such file", path) end
    return text
  end
  function fs.parse(rd, path)
    local text, err = fs.read(path)
    if text == nil then return nil, err end
    return rd.decode(text, path)
  end
  function fs.digest(path)
    local text = by_path[path]
    return text and core and core.digest(text) or nil
  end
  return fs
end

--- The file source for load options: the disk, or `opts.files` in memory.
-- @tparam table opts load options (`files`: path -> text)
function files.source(opts)
  if opts.files == nil then return disk end
  return files.memory(opts.files)
end

return files

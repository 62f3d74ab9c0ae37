-- Runs the REPL session README.md shows (the fenced block whose first line
-- is "$ lua5.4 -i ...") with that command line, feeding it the "> " lines,
-- and compares what lua5.4 prints with the README: line by line, where
-- "0x..." stands for any address and a line "..." for any lines. Prints the
-- differences and exits 1 when there are any.
-- usage: lua5.4 scripts/checks/readme-repl.lua README.md
local path = arg[1] or "README.md"
local f = assert(io.open(path, "rb"))
local text = f:read("a")
f:close()

local session
for block in text:gmatch("\n```[%w]*\n(.-)\n```") do
  if block:match("^%$ lua5%.4 %-i ") then session = block break end
end
if not session then
  io.stderr:write(path, ": no REPL session (a fenced block starting with '$ lua5.4 -i ')\n")
  os.exit(1)
end

local command, expected, inputs = nil, {}, {}
for line in (session .. "\n"):gmatch("(.-)\n") do
  if not command then
    command = line:match("^%$ (.*)$")
  else
    expected[#expected + 1] = line
    local input = line:match("^> (.*)$")
    if input then inputs[#inputs + 1] = input end
  end
end

local input_path, output_path = os.tmpname(), os.tmpname()
local inf = assert(io.open(input_path, "wb"))
inf:write(table.concat(inputs, "\n"), "\n")
inf:close()
local ok = os.execute(command .. " < '" .. input_path .. "' > '" .. output_path .. "' 2>&1")
local outf = assert(io.open(output_path, "rb"))
local actual = {}
for line in outf:read("a"):gmatch("([^\n]*)\n?") do actual[#actual + 1] = line end
outf:close()
os.remove(input_path)
os.remove(output_path)
-- the interpreter's banner, and the prompt left when the input ends
if actual[1] and actual[1]:match("^Lua 5%.4") then table.remove(actual, 1) end
while #actual > 0 and actual[#actual]:match("^>? ?$") do table.remove(actual) end

local function matches(want, got)
  local pattern = "^" .. want:gsub("[%^%$%(%)%%%.%[%]%*%+%-%?]", "%%%0"):gsub("0x%%%.%%%.%%%.", "0x%%x+") .. "$"
  return got:match(pattern) ~= nil
end

-- expected[i..] against actual[j..], "..." taking any number of lines
local function agree(i, j)
  if i > #expected then return j > #actual end
  if expected[i] == "..." then
    for k = j, #actual + 1 do
      if agree(i + 1, k) then return true end
    end
    return false
  end
  return j <= #actual and matches(expected[i], actual[j]) and agree(i + 1, j + 1)
end

if ok and agree(1, 1) then
  print("README REPL session: " .. #inputs .. " inputs, output as shown")
  os.exit(0)
end
print("README REPL session differs (" .. command .. ")\n-- README:")
print(table.concat(expected, "\n"))
print("-- lua5.4 printed:")
print(table.concat(actual, "\n"))
os.exit(1)

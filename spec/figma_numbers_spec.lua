-- Numbers written into a document: the shortest text that reads back as
-- the same double, laid out as JavaScript writes it (String(x), which
-- JSON.stringify uses), checked against Node on random doubles of every
-- kind: random bit patterns, subnormals, extremes, 1/255 multiples.
local tf = require "tokenflow"
local fx = require "figma_fixtures_helper"
local h = require "tokens_helper"

-- xorshift64*, seeded: the same doubles on every run
local function rng(seed)
  local s = (seed * 0x9E3779B97F4A7C15) | 1
  return function()
    s = s ~ (s >> 12)
    s = s ~ (s << 25)
    s = s ~ (s >> 27)
    return s * 0x2545F4914F6CDD1D
  end
end

local function doubles()
  local next_bits, out = rng(3), {}
  local function add(x) if x == x and x ~= math.huge and x ~= -math.huge and x ~= 0 then out[#out + 1] = x end end
  for _ = 1, 4000 do add((string.unpack("<d", string.pack("<i8", next_bits())))) end
  for _ = 1, 500 do add((string.unpack("<d", string.pack("<i8", next_bits() & 0x000fffffffffffff)))) end
  for i = 1, 255 * 2 do add(i / 255) end
  for _, x in ipairs { 1e308, -1e308, 5e-324, 2.2250738585072014e-308, 1e21, 1e-7, 123456789.125, 0.1 + 0.2 } do add(x) end
  for _ = 1, 500 do add((next_bits() % 2000000) / 1000) end
  return out
end

describe("numbers written to a document", function()
  it("are the shortest round-trip text in JavaScript's layout", function()
    local xs = doubles()
    local doc = assert(tf.figma.parse('{"document":{"id":"0:0","type":"DOCUMENT"}}'))
    doc:node(1).values = xs
    doc:node(1).negativeZero = -0.0
    local text = doc:text()
    local list = text:match('"values":%[(.-)%]')
    local ours = {}
    for t in list:gmatch("[^,]+") do ours[#ours + 1] = t end
    assert.are.equal(#xs, #ours)
    for i, t in ipairs(ours) do
      assert.are.equal(string.pack("<d", xs[i]), string.pack("<d", tonumber(t)), t) -- the same bits back
    end
    assert.truthy(text:find('"negativeZero":-0', 1, true)) -- the sign survives

    -- Node's String(x) of the same doubles, given as their bits
    local dir = h.tmpdir()
    local bits = {}
    for i, x in ipairs(xs) do bits[i] = string.format("%016x", string.unpack("<i8", string.pack("<d", x))) end
    h.write(dir, "bits.txt", table.concat(bits, "\n"))
    local ok, out = fx.node([[
      const fs = require("fs");
      const dv = new DataView(new ArrayBuffer(8));
      const lines = fs.readFileSync(process.argv[2], "utf8").split("\n");
      console.log(lines.map(b => { dv.setBigUint64(0, BigInt("0x" + b)); return String(dv.getFloat64(0)); }).join(","));
    ]], dir .. "/bits.txt")
    h.rmdir(dir)
    assert.is_true(ok, out)
    local js = {}
    for t in out:gsub("%s+$", ""):gmatch("[^,]+") do js[#js + 1] = t end
    assert.are.equal(#ours, #js)
    for i = 1, #ours do assert.are.equal(js[i], ours[i]) end
  end)
end)

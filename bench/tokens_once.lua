-- One cold end-to-end run for bench/tokens_bench.lua, in a fresh process
-- like the Style Dictionary peer: load + resolve PATH (with the given
-- themes) and print "seconds tokens failed load_seconds".
local tf = require "tokenflow"
local path = assert(arg[1], "usage: tokens_once.lua PATH [THEME...]")
local themes = { table.unpack(arg, 2) }
local t0 = tf.now()
local set = assert(tf.tokens.load(path))
local t1 = tf.now()
local r = assert(set:resolve(#themes > 0 and { themes = themes } or nil))
local seconds = tf.now() - t0
local s = r:stats()
print(string.format("%.6f %d %d %.6f", seconds, s.tokens, s.failed, t1 - t0))

-- Interner scenario for the embedding host's out-of-memory sweep.
local tf = require "tokenflow"
local names = tf.interner()
for i = 1, 2000 do assert(names:intern("token." .. i) == i) end
assert(names:name(1500) == "token.1500")
assert(tf.names:intern("colors.primary") >= 1)
names:close()
return "ok"

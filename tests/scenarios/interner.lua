-- Interner scenario for the embedding host's out-of-memory sweep.
local tf = require "tokenflow.core"
local names = tf.interner()
for i = 1, 300 do assert(names:intern("token." .. i) == i) end
assert(names:name(150) == "token.150")
assert(tf.names:intern("colors.primary") >= 1)
names:close()
return "ok"

-- luacheck configuration (Debian: lua-check); `make lint` runs it over every
-- Lua file of the project, and `make test` fails on any warning.
std = "lua54"
max_line_length = 120
include_files = { "lua/**/*.lua", "bin/tokenflow", "spec/**/*.lua", "bench/**/*.lua", "examples/**/*.lua",
  "scripts/**/*.lua", ".busted", ".luacheckrc", "config.ld" }

-- specs run under busted (describe, it, assert...)
files["spec"] = { std = "+busted" }
-- Tests, benchmarks, examples and checks spell out long tables and expected lines.
for _, dir in ipairs { "spec", "bench", "examples", "scripts" } do
  files[dir] = files[dir] or {}
  files[dir].max_line_length = 160
end
-- to-be-closed variables: luacheck 1.1 does not count `<close>` as a use
files["spec/pool_spec.lua"] = { ignore = { "211/guard" } }
-- the project's configuration files are Lua too
files[".busted"] = { std = "lua54" }
files["config.ld"] = { std = "lua54", allow_defined_top = true, ignore = { "131" } }

rockspec_format = "3.0"
package = "tokenflow"
version = "scm-1"
source = {
  url = "git+file:///dev/null", -- built from the source tree with `luarocks make`
}
description = {
  summary = "Apply design tokens to very large design documents with bounded memory",
  detailed = [[
tokenflow resolves design tokens (Tokens Studio and W3C DTCG formats) and
applies them to documents of 100k to millions of nodes in chunks, with a
token cache, a string interner, a bounded coroutine pool and metrics; its
engines are written in C.
]],
  license = "MIT",
}
-- Where the system's packages provide them (Debian: lua-lpeg, lua-cjson,
-- lua-filesystem, lua-argparse), install with `luarocks make
-- --deps-mode=none`, as `make rock` does offline.
dependencies = {
  "lua >= 5.4, < 5.5",
  "lpeg",
  "lua-cjson",
  "luafilesystem",
  "argparse", -- the command line
}
external_dependencies = {
  SQLITE = { header = "sqlite3.h" },
}
build = {
  type = "cmake",
  variables = {
    CMAKE_INSTALL_PREFIX = "$(PREFIX)",
    CMAKE_BUILD_TYPE = "Release",
    CMAKE_C_FLAGS = "$(CFLAGS)",
    LUADIR = "$(LUADIR)",
    LIBDIR = "$(LIBDIR)",
    LUA_INCLUDE_DIR = "$(LUA_INCDIR)",
    SQLite3_INCLUDE_DIR = "$(SQLITE_INCDIR)",
    TOKENFLOW_TESTS = "OFF",
    TOKENFLOW_WERROR = "OFF",
  },
  install = {
    bin = { tokenflow = "bin/tokenflow" },
  },
}

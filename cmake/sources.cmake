# The C sources of tokenflow, in one place for every build of it: the
# native module and static library (CMakeLists.txt), the fuzzers (fuzz/)
# and the WebAssembly build (wasm/). TF_ROOT: the project root.

# The pure C engines: no Lua headers here.
file(GLOB TF_CORE_SOURCES CONFIGURE_DEPENDS ${TF_ROOT}/src/core/*.c)
# The Lua binding: one file per Lua type plus module.c.
file(GLOB TF_LUA_SOURCES CONFIGURE_DEPENDS ${TF_ROOT}/src/lua/*.c)
# What needs SQLite: the persistent tier. A build without it compiles
# src/lua/store.c with TOKENFLOW_NO_STORE (tf.store then reports that it is
# not available) and leaves tf_store.c out.
set(TF_SQLITE_SOURCES ${TF_ROOT}/src/core/tf_store.c)

/* tokenflow: public C API for hosts that embed Lua 5.4.
 *
 *   lua_State *L = lua_newstate(my_alloc, my_ud);   (or luaL_newstate())
 *   luaL_openlibs(L);
 *   tokenflow_set_allocator(L, engine_alloc, engine_ud);  (optional)
 *   luaL_requiref(L, "tokenflow.core", luaopen_tokenflow_core, 0);
 *   lua_pop(L, 1);
 *   ... set package.path so that require "tokenflow" finds lua/tokenflow/ ...
 *
 * Linking: the static library libtokenflow.a (CMake target tokenflow_static,
 * built by `make build` as build/libtokenflow.a) holds the C engines and the
 * binding; link it with Lua 5.4 (-llua5.4), SQLite 3 (-lsqlite3, used by
 * the persistent tier tf.store) and -lm. The loadable module
 * build/tokenflow/core.so is the same code for `require` from a Lua
 * interpreter. examples/host/ is a complete host.
 *
 * The Lua side (require "tokenflow") lives in lua/tokenflow/ and loads this
 * module. Everything tokenflow allocates in C goes through the lua_State's
 * allocator, or through the one set with tokenflow_set_allocator (SQLite,
 * under tf.store, allocates its own memory). Nothing is global: any number
 * of lua_States, in any threads, each one used by one thread at a time. */
#ifndef TOKENFLOW_H
#define TOKENFLOW_H

#include <stddef.h>

#include <lua.h>

#define TOKENFLOW_VERSION "0.1.0"

#if defined(__GNUC__)
#define TOKENFLOW_API __attribute__((visibility("default")))
#else
#define TOKENFLOW_API
#endif

/* Opens the C module: pushes its table (version, interner, cache, pool,
 * chunks, walk, metrics, job, store, pack...). Per-state settings live in
 * L's registry. Use with luaL_requiref or package.preload; returns 1. */
TOKENFLOW_API int luaopen_tokenflow_core(lua_State *L);

/* Sets the allocator tokenflow's C engines in L use from now on (engines
 * created before keep the one they were created with). NULL f restores the
 * lua_State's own allocator. f has lua_Alloc's contract (free on nsize 0,
 * NULL on failure: the engine then raises "not enough memory" in L). Call
 * it before or after luaopen_tokenflow_core. */
TOKENFLOW_API void tokenflow_set_allocator(lua_State *L, lua_Alloc f, void *ud);

/* Bytes held right now by all of tokenflow's C engines in L. */
TOKENFLOW_API size_t tokenflow_engine_bytes(lua_State *L);

#endif

/* tokenflow: public C API for hosts that embed Lua 5.4.
 *
 *   luaL_requiref(L, "tokenflow.core", luaopen_tokenflow_core, 0);
 *
 * The Lua side (require "tokenflow") lives in lua/tokenflow/ and loads this
 * module. Everything tokenflow allocates in C goes through the lua_State's
 * allocator, or through the one set with tokenflow_set_allocator. */
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

TOKENFLOW_API int luaopen_tokenflow_core(lua_State *L);

/* Sets the allocator tokenflow's C engines in L use from now on (engines
 * created before keep the one they were created with). NULL f restores the
 * lua_State's own allocator. */
TOKENFLOW_API void tokenflow_set_allocator(lua_State *L, lua_Alloc f, void *ud);

/* Bytes held right now by all of tokenflow's C engines in L. */
TOKENFLOW_API size_t tokenflow_engine_bytes(lua_State *L);

#endif

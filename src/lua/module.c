/* luaopen_tokenflow_core: the C half of require "tokenflow". Opens each
 * binding (one file per Lua type) into the module table; what they share
 * is in tf_lua.c. */
#include "tokenflow.h"

#include <lauxlib.h>

#include "tf_lua.h"

static int l_engine_bytes(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)tokenflow_engine_bytes(L));
  return 1;
}

int luaopen_tokenflow_core(lua_State *L) {
  tf_lua_initstate(L);
  {
    /* Lua 5.4.4's lauxlib registers the metatable of its buffer boxes
     * before filling it in, so an allocation failure the first time a
     * luaL_Buffer grows leaves every later one in the state failing. Make
     * the box now, while opening the module, not in the middle of a job. */
    luaL_Buffer b;
    luaL_buffinitsize(L, &b, 4 * LUAL_BUFFERSIZE);
    luaL_pushresultsize(&b, 0);
    lua_pop(L, 1);
  }
  lua_newtable(L);
  lua_pushliteral(L, TOKENFLOW_VERSION);
  lua_setfield(L, -2, "version");
  lua_pushcfunction(L, l_engine_bytes);
  lua_setfield(L, -2, "engine_bytes");
  tf_open_clock(L);
  tf_open_interner(L);
  tf_open_walk(L);
  tf_open_chunks(L);
  tf_open_pool(L);
  tf_open_cache(L);
  tf_open_metrics(L);
  tf_open_viewport(L);
  tf_open_job(L);
  tf_open_pack(L);
  tf_open_store(L);
  tf_open_jsondoc(L);
  tf_open_document(L);
  tf_open_docnode(L);
  return 1;
}

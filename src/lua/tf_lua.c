/* The helpers every binding file shares (declared in tf_lua.h): the
 * per-state settings (allocator hook, engine bytes), errors, metatables. */
#include "tokenflow.h"

#include <lauxlib.h>

#include "tf_buf.h"
#include "tf_lua.h"

/* Per-lua_State settings live in the registry, never in C globals, so two
 * states in two threads stay independent. */
#define TF_STATE "tokenflow.state"

typedef struct tf_state {
  lua_Alloc alloc; /* NULL: use the lua_State's own */
  void *alloc_ud;
  size_t engine_bytes;
} tf_state;

static tf_state *get_state(lua_State *L) {
  tf_state *st;
  if (lua_getfield(L, LUA_REGISTRYINDEX, TF_STATE) == LUA_TUSERDATA) {
    st = (tf_state *)lua_touserdata(L, -1);
  } else {
    lua_pop(L, 1);
    st = (tf_state *)lua_newuserdatauv(L, sizeof *st, 0);
    st->alloc = NULL;
    st->alloc_ud = NULL;
    st->engine_bytes = 0;
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, TF_STATE);
  }
  lua_pop(L, 1); /* anchored in the registry for the state's life */
  return st;
}

void tf_lua_initstate(lua_State *L) { get_state(L); }

void *tf_lua_grow(lua_State *L, tf_mem *m, void *p, size_t *cap, size_t need, size_t elem) {
  size_t n = *cap ? *cap : 16, bytes;
  void *q;
  if (need <= *cap) return p;
  while (n < need) {
    if (n > ((size_t)-1) / 2) tf_lua_oom(L);
    n *= 2;
  }
  bytes = tf_mem_mul(n, elem);
  q = bytes ? tf_mem_realloc(m, p, *cap * elem, bytes) : NULL;
  if (q == NULL) tf_lua_oom(L);
  *cap = n;
  return q;
}

tf_mem tf_lua_mem(lua_State *L) {
  tf_state *st = get_state(L);
  void *ud = st->alloc_ud;
  tf_alloc_fn fn = st->alloc != NULL ? st->alloc : lua_getallocf(L, &ud);
  tf_mem m = tf_mem_over(fn, ud);
  m.shared = &st->engine_bytes;
  return m;
}

void tokenflow_set_allocator(lua_State *L, lua_Alloc f, void *ud) {
  tf_state *st = get_state(L);
  st->alloc = f;
  st->alloc_ud = f ? ud : NULL;
}

size_t tokenflow_engine_bytes(lua_State *L) { return get_state(L)->engine_bytes; }

int tf_lua_oom(lua_State *L) {
  lua_pushliteral(L, "not enough memory");
  return lua_error(L);
}

int tf_lua_closed_error(lua_State *L, const char *what) {
  return luaL_error(L, "attempt to use a closed %s", what);
}

void tf_lua_setint(lua_State *L, const char *key, lua_Integer v) {
  lua_pushinteger(L, v);
  lua_setfield(L, -2, key);
}

#define TF_BUFFER "tokenflow.Buffer"

static int buffer_gc(lua_State *L) {
  tf_buf_free((tf_buf *)lua_touserdata(L, 1));
  return 0;
}

tf_buf *tf_lua_newbuf(lua_State *L, tf_mem mem) {
  tf_buf *t = (tf_buf *)lua_newuserdatauv(L, sizeof *t, 0);
  tf_buf_init(t, mem);
  if (luaL_newmetatable(L, TF_BUFFER)) {
    lua_pushcfunction(L, buffer_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  return t;
}

void tf_lua_newclass(lua_State *L, const char *tname, const luaL_Reg *meta, const luaL_Reg *methods) {
  luaL_newmetatable(L, tname);
  lua_pushvalue(L, -1);
  luaL_setfuncs(L, meta, 1);
  lua_newtable(L);
  lua_pushvalue(L, -2);
  luaL_setfuncs(L, methods, 1);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
}

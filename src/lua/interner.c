/* tokenflow.Interner: tf.interner() and the module's default tf.names. */
#include "tf_lua.h"

#define TF_NAMES "tokenflow.names" /* registry key of the default interner */

/* Methods and metamethods: the metatable is upvalue 1. */
static tf_intern_box *to_box(lua_State *L, int idx) {
  return (tf_intern_box *)tf_lua_self(L, idx, TF_INTERNER);
}

static tf_intern_box *check_open(lua_State *L) {
  tf_intern_box *box = to_box(L, 1);
  if (box->in == NULL) tf_lua_closed_error(L, TF_INTERNER);
  return box;
}

tf_intern_box *tf_lua_checkinterner(lua_State *L, int idx) {
  tf_intern_box *box = (tf_intern_box *)luaL_checkudata(L, idx, TF_INTERNER);
  if (box->in == NULL) tf_lua_closed_error(L, TF_INTERNER);
  return box;
}

static tf_intern_box *new_interner(lua_State *L) {
  /* created closed, armed once the engine exists (a failure in between
   * leaves an object __gc can handle) */
  tf_intern_box *box = (tf_intern_box *)lua_newuserdatauv(L, sizeof *box, 1);
  box->in = NULL;
  box->is_default = 0;
  luaL_setmetatable(L, TF_INTERNER);
  lua_newtable(L);
  lua_setiuservalue(L, -2, TF_INTERN_UV_IDS);
  box->in = tf_intern_new(tf_lua_mem(L));
  if (box->in == NULL) tf_lua_oom(L);
  return box;
}

void tf_lua_pushnames(lua_State *L) {
  if (lua_getfield(L, LUA_REGISTRYINDEX, TF_NAMES) != LUA_TUSERDATA) {
    lua_pop(L, 1);
    new_interner(L)->is_default = 1;
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, TF_NAMES);
  }
}

void tf_lua_interner_ids(lua_State *L, int idx) {
  lua_getiuservalue(L, idx, TF_INTERN_UV_IDS);
}

uint32_t tf_lua_intern_at(lua_State *L, tf_intern_box *box, int ids, int sidx, int add) {
  size_t len;
  const char *s;
  uint32_t id;
  int isint;
  lua_Integer known;
  ids = lua_absindex(L, ids);
  sidx = lua_absindex(L, sidx);
  /* the string's own hash finds it, without reading its bytes again */
  lua_pushvalue(L, sidx);
  lua_rawget(L, ids);
  known = lua_tointegerx(L, -1, &isint);
  lua_pop(L, 1);
  if (isint) return (uint32_t)known;
  s = lua_tolstring(L, sidx, &len);
  id = add ? tf_intern_add(box->in, s, len) : tf_intern_find(box->in, s, len);
  if (id != 0) { /* remembered: the next lookup of this string is a table hit */
    lua_pushvalue(L, sidx);
    lua_pushinteger(L, (lua_Integer)id);
    lua_rawset(L, ids);
  }
  return id;
}

/** names:intern(s) -> id: the id of s, added when new. */
static int l_intern(lua_State *L) {
  tf_intern_box *box = check_open(L);
  size_t len;
  const char *s;
  uint32_t id;
  if (lua_type(L, 2) != LUA_TSTRING) luaL_typeerror(L, 2, "string");
  s = lua_tolstring(L, 2, &len);
  id = tf_intern_add(box->in, s, len);
  if (id == 0) {
    if (tf_intern_count(box->in) >= UINT32_MAX - 1) return luaL_error(L, "interner full (%d names)", (int)tf_intern_count(box->in));
    return tf_lua_oom(L);
  }
  lua_pushinteger(L, (lua_Integer)id);
  return 1;
}

/** names:lookup(s) -> id or nil: never adds. */
static int l_lookup(lua_State *L) {
  tf_intern_box *box = check_open(L);
  size_t len;
  const char *s;
  uint32_t id;
  if (lua_type(L, 2) != LUA_TSTRING) luaL_typeerror(L, 2, "string");
  s = lua_tolstring(L, 2, &len);
  id = tf_intern_find(box->in, s, len);
  if (id == 0)
    lua_pushnil(L);
  else
    lua_pushinteger(L, (lua_Integer)id);
  return 1;
}

/** names:name(id) -> string or nil. */
static int l_name(lua_State *L) {
  tf_intern_box *box = check_open(L);
  lua_Integer id = luaL_checkinteger(L, 2);
  size_t len;
  const char *s = (id >= 1 && id <= (lua_Integer)UINT32_MAX) ? tf_intern_name(box->in, (uint32_t)id, &len) : NULL;
  if (s == NULL)
    lua_pushnil(L);
  else
    lua_pushlstring(L, s, len);
  return 1;
}

/** names:stats() -> {count=, bytes=, held=}: names, bytes of the names, bytes held in all. */
static int l_stats(lua_State *L) {
  tf_intern_box *box = check_open(L);
  lua_createtable(L, 0, 3);
  lua_pushinteger(L, (lua_Integer)tf_intern_count(box->in));
  lua_setfield(L, -2, "count");
  lua_pushinteger(L, (lua_Integer)tf_intern_name_bytes(box->in));
  lua_setfield(L, -2, "bytes");
  lua_pushinteger(L, (lua_Integer)tf_intern_held_bytes(box->in));
  lua_setfield(L, -2, "held");
  return 1;
}

static int l_len(lua_State *L) {
  tf_intern_box *box = check_open(L);
  lua_pushinteger(L, (lua_Integer)tf_intern_count(box->in));
  return 1;
}

static int l_tostring(lua_State *L) {
  tf_intern_box *box = to_box(L, 1);
  if (box->in == NULL)
    lua_pushliteral(L, TF_INTERNER " (closed)");
  else
    lua_pushfstring(L, TF_INTERNER " (%I names, %I bytes)%s", (lua_Integer)tf_intern_count(box->in),
                    (lua_Integer)tf_intern_name_bytes(box->in), box->is_default ? " default" : "");
  return 1;
}

/* __gc and __close: idempotent. */
static int l_gc(lua_State *L) {
  tf_intern_box *box = to_box(L, 1);
  if (box->in != NULL) {
    tf_intern_free(box->in);
    box->in = NULL;
  }
  return 0;
}

/** names:close(): frees the names now; the default interner cannot be closed. */
static int l_close(lua_State *L) {
  tf_intern_box *box = to_box(L, 1);
  if (box->is_default) return luaL_error(L, "the default interner (tokenflow.names) cannot be closed");
  return l_gc(L);
}

/** tf.interner() -> a new, empty interner. */
static int l_new(lua_State *L) {
  new_interner(L);
  return 1;
}

void tf_open_interner(lua_State *L) {
  static const luaL_Reg meta[] = {{"__len", l_len}, {"__tostring", l_tostring}, {"__gc", l_gc}, {"__close", l_close}, {NULL, NULL}};
  static const luaL_Reg methods[] = {{"intern", l_intern}, {"lookup", l_lookup}, {"name", l_name},
                                     {"stats", l_stats},   {"close", l_close},   {NULL, NULL}};
  tf_lua_newclass(L, TF_INTERNER, meta, methods);
  lua_pushcfunction(L, l_new);
  lua_setfield(L, -2, "interner");
  tf_lua_pushnames(L);
  lua_setfield(L, -2, "names");
}

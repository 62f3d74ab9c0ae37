/* tokenflow.Store: tf.store(path[, opts]), the binding of the persistent
 * tier (src/core/tf_store.c). Keys are strings; values go through the
 * binary format of src/lua/pack.c. SQLite failures while the store is open
 * (disk full, a file damaged later, a lock held too long) are expected
 * failures: methods return nil and a message naming the file.
 *
 * Built with TOKENFLOW_NO_STORE (no SQLite, as in the WebAssembly build),
 * tf.store(path) returns nil and a message saying so, like any store that
 * cannot be opened, and no Store can exist: a cache given one as its second
 * tier raises the usual argument error. */
#ifdef TOKENFLOW_NO_STORE

#include "tf_lua.h"

tf_store_box *tf_lua_checkstore(lua_State *L, int idx) {
  luaL_checkudata(L, idx, TF_STORE_T); /* raises: no Store exists */
  return NULL;
}

/* Unreachable without a Store: each reports a failure. */
int tf_lua_store_get(lua_State *L, int idx, const void *key, size_t klen) {
  (void)L, (void)idx, (void)key, (void)klen;
  return -1;
}

int tf_lua_store_put(lua_State *L, int idx, const void *key, size_t klen, const void *value, size_t vlen, double ttl,
                     const char *const *tags, const size_t *taglens, size_t ntags) {
  (void)L, (void)idx, (void)key, (void)klen, (void)value, (void)vlen, (void)ttl, (void)tags, (void)taglens, (void)ntags;
  return -1;
}

int tf_lua_store_delete(lua_State *L, int idx, const void *key, size_t klen) {
  (void)L, (void)idx, (void)key, (void)klen;
  return -1;
}

lua_Integer tf_lua_store_invalidate(lua_State *L, int idx, const char *tag, size_t len) {
  (void)L, (void)idx, (void)tag, (void)len;
  return -1;
}

/** tf.store(path[, opts]) -> nil and a message: this build has no SQLite. */
static int l_open(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  lua_pushnil(L);
  lua_pushfstring(L, "%s: tf.store is not available in this build of tokenflow (built without SQLite)", path);
  return 2;
}

void tf_open_store(lua_State *L) {
  lua_pushcfunction(L, l_open);
  lua_setfield(L, -2, "store");
}

#else /* the SQLite-backed store */
#include <stdio.h>
#include <string.h>

#include "tf_lua.h"
#include "tf_pack.h"
#include "tf_store.h"

/* user values of the box */
enum { UV_CLOCK = 1, UV_COUNT = UV_CLOCK };

#define TAG_MAX 64

struct tf_store_box {
  tf_store *s; /* NULL once closed */
  tf_buf buf;  /* scratch for packed keys and values, owned by the box */
  int has_clock;
};

static tf_store_box *to_box(lua_State *L) { return (tf_store_box *)tf_lua_self(L, 1, TF_STORE_T); }

static tf_store_box *check_open(lua_State *L) {
  tf_store_box *b = to_box(L);
  if (b->s == NULL) tf_lua_closed_error(L, TF_STORE_T);
  return b;
}

tf_store_box *tf_lua_checkstore(lua_State *L, int idx) {
  tf_store_box *b = (tf_store_box *)luaL_checkudata(L, idx, TF_STORE_T);
  if (b->s == NULL) tf_lua_closed_error(L, TF_STORE_T);
  return b;
}

/* Wall-clock seconds: the injected clock when there is one. Leaves nothing
 * on the stack. idx: the box. */
static double store_now(lua_State *L, int idx, tf_store_box *b) {
  double now;
  if (!b->has_clock) return tf_store_wall_now();
  lua_getiuservalue(L, idx, UV_CLOCK);
  lua_call(L, 0, 1);
  if (lua_type(L, -1) != LUA_TNUMBER) luaL_error(L, "the store's clock returned %s, not a number", luaL_typename(L, -1));
  now = (double)lua_tonumber(L, -1);
  lua_pop(L, 1);
  if (b->s == NULL) tf_lua_closed_error(L, TF_STORE_T); /* the clock may have closed it */
  return now;
}

/* nil, message (the store's last error): 2 results. */
static int failure(lua_State *L, tf_store_box *b, int rc) {
  if (rc == TF_STORE_NOMEM) tf_lua_oom(L);
  lua_pushnil(L);
  lua_pushstring(L, tf_store_errmsg(b->s));
  return 2;
}

int tf_lua_store_get(lua_State *L, int idx, const void *key, size_t klen) {
  tf_store_box *b;
  const void *p;
  size_t n;
  int rc;
  double now;
  idx = lua_absindex(L, idx);
  b = tf_lua_checkstore(L, idx);
  now = store_now(L, idx, b);
  rc = tf_store_get(b->s, key, klen, now, &p, &n);
  if (rc == TF_STORE_NOMEM) tf_lua_oom(L);
  if (rc != TF_STORE_OK) return rc == TF_STORE_MISS ? 0 : -1;
  /* unpack may raise (memory): the statement is reset by the next call */
  rc = tf_lua_unpack(L, p, n);
  tf_store_release(b->s);
  if (!rc) {
    lua_pop(L, 1);
    tf_store_delete(b->s, key, klen); /* a damaged entry is a miss from now on */
    return -1;
  }
  return 1;
}

int tf_lua_store_put(lua_State *L, int idx, const void *key, size_t klen, const void *value, size_t vlen, double ttl,
                     const char *const *tags, const size_t *taglens, size_t ntags) {
  tf_store_box *b;
  double expires = 0;
  int rc;
  idx = lua_absindex(L, idx);
  b = tf_lua_checkstore(L, idx);
  if (ttl <= 0) ttl = tf_store_get_limits(b->s)->ttl;
  if (ttl > 0) expires = store_now(L, idx, b) + ttl;
  rc = tf_store_put(b->s, key, klen, value, vlen, expires, tags, taglens, ntags);
  if (rc == TF_STORE_NOMEM) tf_lua_oom(L);
  return rc == TF_STORE_OK ? 1 : rc == TF_STORE_MISS ? 0 : -1;
}

int tf_lua_store_delete(lua_State *L, int idx, const void *key, size_t klen) {
  tf_store_box *b = tf_lua_checkstore(L, idx);
  int rc = tf_store_delete(b->s, key, klen);
  if (rc == TF_STORE_NOMEM) tf_lua_oom(L);
  return rc == TF_STORE_OK ? 1 : rc == TF_STORE_MISS ? 0 : -1;
}

lua_Integer tf_lua_store_invalidate(lua_State *L, int idx, const char *tag, size_t len) {
  tf_store_box *b = tf_lua_checkstore(L, idx);
  uint64_t n = 0;
  int rc = tf_store_invalidate(b->s, tag, len, &n);
  if (rc == TF_STORE_NOMEM) tf_lua_oom(L);
  return rc == TF_STORE_OK ? (lua_Integer)n : -1;
}

/** st:get(key) -> value, or nil (no entry, or it expired), or nil and a
 * message when the file cannot be read. */
static int l_get(lua_State *L) {
  size_t klen;
  const char *key;
  int rc;
  check_open(L);
  key = luaL_checklstring(L, 2, &klen);
  rc = tf_lua_store_get(L, 1, key, klen);
  if (rc == 1) return 1;
  lua_pushnil(L);
  if (rc == 0) return 1;
  lua_pushfstring(L, "%s (entry '%s')", tf_store_errmsg(to_box(L)->s), key);
  return 2;
}

/* Collects the tags of an options table at idx (field "tags": array of strings). */
static size_t read_tags(lua_State *L, int idx, const char **tags, size_t *lens) {
  size_t n = 0;
  if (lua_getfield(L, idx, "tags") != LUA_TNIL) {
    lua_Integer i, len;
    if (!lua_istable(L, -1)) luaL_argerror(L, 3, "tags must be an array of strings");
    len = (lua_Integer)lua_rawlen(L, -1);
    if (len > TAG_MAX) luaL_argerror(L, 3, "at most 64 tags");
    for (i = 1; i <= len; i++) {
      lua_rawgeti(L, -1, i);
      if (lua_type(L, -1) != LUA_TSTRING) luaL_argerror(L, 3, "tags must be an array of strings");
      tags[n] = lua_tolstring(L, -1, &lens[n]);
      n++;
      lua_pop(L, 1); /* still referenced by the tags table */
    }
  }
  return n; /* the tags table stays on the stack */
}

/* A ttl field: nil or a non-negative number. */
static double read_ttl(lua_State *L, int idx, int arg) {
  double ttl = 0;
  if (lua_getfield(L, idx, "ttl") != LUA_TNIL) {
    if (lua_type(L, -1) != LUA_TNUMBER || !(lua_tonumber(L, -1) >= 0)) luaL_argerror(L, arg, "ttl must be a non-negative number");
    ttl = (double)lua_tonumber(L, -1);
  }
  lua_pop(L, 1);
  return ttl;
}

/** st:set(key, value[, {ttl=, tags=}]) -> true; false when the entry alone
 * is larger than max_bytes (not kept); nil and a message when the file
 * cannot be written. Raises for a value that cannot be serialised. */
static int l_set(lua_State *L) {
  size_t klen, vlen, ntags = 0, tlens[TAG_MAX];
  const char *key, *tags[TAG_MAX];
  double ttl = 0;
  tf_buf *buf;
  int rc;
  check_open(L);
  key = luaL_checklstring(L, 2, &klen);
  luaL_checkany(L, 3);
  if (lua_isnil(L, 3)) luaL_argerror(L, 3, "value must not be nil");
  lua_settop(L, 4);
  if (!lua_isnil(L, 4)) {
    luaL_checktype(L, 4, LUA_TTABLE);
    ttl = read_ttl(L, 4, 4);
    ntags = read_tags(L, 4, tags, tlens);
  }
  buf = &to_box(L)->buf;
  buf->len = 0;
  tf_lua_pack(L, 3, buf, "value");
  vlen = buf->len;
  rc = tf_lua_store_put(L, 1, key, klen, buf->data, vlen, ttl, tags, tlens, ntags);
  if (rc < 0) return failure(L, to_box(L), TF_STORE_ERROR);
  lua_pushboolean(L, rc);
  return 1;
}

/** st:delete(key) -> true when there was an entry. */
static int l_delete(lua_State *L) {
  tf_store_box *b = check_open(L);
  size_t klen;
  const char *key = luaL_checklstring(L, 2, &klen);
  int rc = tf_store_delete(b->s, key, klen);
  if (rc != TF_STORE_OK && rc != TF_STORE_MISS) return failure(L, b, rc);
  lua_pushboolean(L, rc == TF_STORE_OK);
  return 1;
}

/** st:invalidate(tag, ...) -> count of entries dropped that carried any tag. */
static int l_invalidate(lua_State *L) {
  tf_store_box *b = check_open(L);
  int i, top = lua_gettop(L);
  uint64_t total = 0;
  for (i = 2; i <= top; i++) luaL_checktype(L, i, LUA_TSTRING);
  for (i = 2; i <= top; i++) {
    size_t len;
    const char *tag = lua_tolstring(L, i, &len);
    uint64_t n;
    int rc = tf_store_invalidate(b->s, tag, len, &n);
    if (rc != TF_STORE_OK) return failure(L, b, rc);
    total += n;
  }
  lua_pushinteger(L, (lua_Integer)total);
  return 1;
}

/** st:clear([prefix]) -> count: drops every entry (whose key starts with prefix). */
static int l_clear(lua_State *L) {
  tf_store_box *b = check_open(L);
  size_t plen = 0;
  const char *prefix = luaL_optlstring(L, 2, "", &plen);
  uint64_t n;
  int rc = tf_store_clear(b->s, prefix, plen, &n);
  if (rc != TF_STORE_OK) return failure(L, b, rc);
  lua_pushinteger(L, (lua_Integer)n);
  return 1;
}

/** st:vacuum() -> count: drops expired entries and compacts the file. */
static int l_vacuum(lua_State *L) {
  tf_store_box *b = check_open(L);
  uint64_t n;
  int rc = tf_store_vacuum(b->s, store_now(L, 1, b), &n);
  if (rc != TF_STORE_OK) return failure(L, b, rc);
  lua_pushinteger(L, (lua_Integer)n);
  return 1;
}

/** st:stats() -> {path, entries, bytes, file_bytes, hits, misses, expired,
 * evicted, writes, errors, ttl, max_bytes, max_entries, schema}; counts
 * other than entries/bytes/file_bytes are this store object's own. */
static int l_stats(lua_State *L) {
  tf_store_box *b = check_open(L);
  tf_store_stats s;
  const tf_store_limits *lim = tf_store_get_limits(b->s);
  int rc = tf_store_get_stats(b->s, &s);
  if (rc != TF_STORE_OK) return failure(L, b, rc);
  lua_createtable(L, 0, 14);
  lua_pushstring(L, tf_store_path(b->s));
  lua_setfield(L, -2, "path");
  tf_lua_setint(L, "entries", s.entries);
  tf_lua_setint(L, "bytes", s.bytes);
  tf_lua_setint(L, "file_bytes", s.file_bytes);
  tf_lua_setint(L, "hits", s.hits);
  tf_lua_setint(L, "misses", s.misses);
  tf_lua_setint(L, "expired", s.expired);
  tf_lua_setint(L, "evicted", s.evicted);
  tf_lua_setint(L, "writes", s.writes);
  tf_lua_setint(L, "errors", s.errors);
  tf_lua_setint(L, "schema", TF_STORE_SCHEMA);
  if (lim->ttl > 0) {
    lua_pushnumber(L, (lua_Number)lim->ttl);
    lua_setfield(L, -2, "ttl");
  }
  if (lim->max_bytes) tf_lua_setint(L, "max_bytes", lim->max_bytes);
  if (lim->max_entries) tf_lua_setint(L, "max_entries", lim->max_entries);
  return 1;
}

static int l_tostring(lua_State *L) {
  tf_store_box *b = to_box(L);
  tf_store_stats s;
  if (b->s == NULL) {
    lua_pushliteral(L, TF_STORE_T " (closed)");
    return 1;
  }
  if (tf_store_get_stats(b->s, &s) != TF_STORE_OK) {
    lua_pushfstring(L, TF_STORE_T " (%s, unreadable)", tf_store_path(b->s));
    return 1;
  }
  lua_pushfstring(L, TF_STORE_T " (%s, %I entries, %I bytes, %I hits, %I misses)", tf_store_path(b->s),
                  (lua_Integer)s.entries, (lua_Integer)s.bytes, (lua_Integer)s.hits, (lua_Integer)s.misses);
  return 1;
}

/** st:close(): closes the file; also run by __gc and __close. Idempotent. */
static int l_close(lua_State *L) {
  tf_store_box *b = to_box(L);
  if (b->s != NULL) {
    tf_store_close(b->s);
    b->s = NULL;
  }
  tf_buf_free(&b->buf);
  lua_pushnil(L);
  lua_setiuservalue(L, 1, UV_CLOCK);
  return 0;
}

static uint64_t opt_limit(lua_State *L, const char *name) {
  uint64_t v = 0;
  if (lua_getfield(L, 2, name) != LUA_TNIL) {
    int isint;
    lua_Integer n = lua_tointegerx(L, -1, &isint);
    if (!isint || n < 1) luaL_argerror(L, 2, lua_pushfstring(L, "%s must be a positive integer", name));
    v = (uint64_t)n;
  }
  lua_pop(L, 1);
  return v;
}

/** tf.store(path[, {ttl=, max_bytes=, max_entries=, clock=}]) -> Store, or
 * nil and a message (cannot open, not SQLite, corrupt, another
 * application's database, a newer schema: such files are never written).
 * ttl: default lifetime of entries in seconds (default: none); max_bytes
 * (default 256 MiB) and max_entries (default: none) cap the file's entries,
 * oldest written first out; clock() returns wall-clock seconds (tests). */
static int l_open(lua_State *L) {
  static const char *const known[] = {"ttl", "max_bytes", "max_entries", "clock", NULL};
  size_t path_len;
  const char *path = luaL_checklstring(L, 1, &path_len);
  tf_store_limits lim;
  tf_store_box *b;
  char err[600];
  int rc;
  if (strlen(path) != path_len) luaL_argerror(L, 1, "path must not contain a zero byte");
  lim.ttl = 0;
  lim.max_bytes = (uint64_t)256 << 20;
  lim.max_entries = 0;
  lua_settop(L, 2);
  if (!lua_isnil(L, 2)) {
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_pushnil(L);
    while (lua_next(L, 2)) {
      int i, ok = 0;
      lua_pop(L, 1);
      for (i = 0; known[i] && lua_type(L, -1) == LUA_TSTRING; i++) ok |= strcmp(lua_tostring(L, -1), known[i]) == 0;
      if (!ok) luaL_argerror(L, 2, lua_pushfstring(L, "unknown option '%s'", luaL_tolstring(L, -1, NULL)));
    }
    lim.ttl = read_ttl(L, 2, 2);
    if (opt_limit(L, "max_bytes")) lim.max_bytes = opt_limit(L, "max_bytes");
    lim.max_entries = opt_limit(L, "max_entries");
    if (lua_getfield(L, 2, "clock") != LUA_TNIL && !lua_isfunction(L, -1)) luaL_argerror(L, 2, "clock must be a function");
  } else {
    lua_pushnil(L);
  }
  /* 3: clock. Created closed, armed once the file is open. */
  b = (tf_store_box *)lua_newuserdatauv(L, sizeof *b, UV_COUNT);
  b->s = NULL;
  tf_buf_init(&b->buf, tf_lua_mem(L));
  b->has_clock = !lua_isnil(L, 3);
  luaL_setmetatable(L, TF_STORE_T);
  lua_pushvalue(L, 3);
  lua_setiuservalue(L, 4, UV_CLOCK);
  rc = tf_store_open(tf_lua_mem(L), path, &lim, &b->s, err, sizeof err);
  if (rc == TF_STORE_NOMEM) tf_lua_oom(L);
  if (rc != TF_STORE_OK) {
    lua_pushnil(L);
    lua_pushstring(L, err);
    return 2;
  }
  return 1;
}

void tf_open_store(lua_State *L) {
  static const luaL_Reg meta[] = {{"__tostring", l_tostring}, {"__gc", l_close}, {"__close", l_close}, {NULL, NULL}};
  static const luaL_Reg methods[] = {{"get", l_get},       {"set", l_set},     {"delete", l_delete},
                                     {"invalidate", l_invalidate}, {"clear", l_clear}, {"vacuum", l_vacuum},
                                     {"stats", l_stats},   {"close", l_close}, {NULL, NULL}};
  tf_lua_newclass(L, TF_STORE_T, meta, methods);
  lua_pushcfunction(L, l_open);
  lua_setfield(L, -2, "store");
}

#endif

/* tokenflow.Cache: tf.cache{...}, the binding of the token cache core.
 *
 * The core (src/core/tf_cache.c) maps encoded keys to value slots; the
 * values themselves live in a Lua table (user value 1) indexed by slot, so
 * the cache keeps them alive and drops them when an entry leaves.
 *
 * Single string keys are also found by identity: the key string an entry
 * was stored with is kept alive in the keys table (user value 5, indexed by
 * slot, cleared with the value), so its address names the entry while it is
 * live, and the core indexes that address (tf_cache_set_ident). A get with
 * the very same string object (every short string with equal content, since
 * Lua interns them) then needs neither the string's bytes nor a hash of
 * them; any other string falls back to the lookup by bytes. A tuple of up
 * to three short strings is found the same way, by the addresses of its
 * strings (the interner's ids table keeps the strings of stored keys
 * alive), without interning its names again.
 *
 * Notifications: the core queues the entries that leave; once an operation
 * is complete, drain() reports each one to on_evict. Every callback runs
 * under pcall, so one that raises cannot stop the others; the first error is
 * raised again after the queue is empty, from the method that caused it. */
#include <stdio.h>
#include <string.h>

#include "tf_cache.h"
#include "tf_clock.h"
#include "tf_lua.h"
#include "tf_pack.h"

#define TF_CACHE_T "tokenflow.Cache"

/* user values of the box */
enum { UV_VALUES = 1, UV_NAMES, UV_ON_EVICT, UV_CLOCK, UV_KEYS, UV_STORE, UV_IDS, UV_COUNT = UV_IDS };

/* Second tier: keys in the store are this prefix and the packed key. */
#define L2_PREFIX "tokenflow.cache"
#define L2_PREFIX_LEN (sizeof L2_PREFIX) /* with its NUL */

/* Keys up to this many words are built on the C stack (31 tuple elements). */
#define KEY_STACK_WORDS 64
/* Tags up to this many are collected on the C stack. */
#define TAG_STACK 16

typedef struct cache_box {
  const struct cache_box *self; /* its own address: see check_cache */
  tf_cache *c;           /* NULL once closed */
  tf_intern_box *names;  /* the interner keys and tags are interned in (user value 2) */
  double ttl;            /* default ttl in seconds, 0: none */
  size_t short_len;      /* strings up to this length are interned by Lua */
  int has_on_evict, has_clock;
  int has_store;         /* a tokenflow.Store as second tier (user value 6) */
  tf_buf l2buf;          /* packed key and record for the store */
  uint64_t l2_hits, l2_misses;
} cache_box;

static const char *const reason_names[] = {"capacity", "bytes", "expired", "invalidated", "deleted"};

/* Methods and metamethods get the metatable as upvalue 1 (tf_lua_newclass).
 * The hot path recognises a cache by a full userdata of its size that holds
 * its own address, which Lua code cannot forge; anything else takes the
 * metatable check, which raises the usual argument error. */
static cache_box *check_cache(lua_State *L) {
  cache_box *b = (cache_box *)lua_touserdata(L, 1);
  if (b == NULL || lua_type(L, 1) != LUA_TUSERDATA || lua_rawlen(L, 1) != sizeof *b || b->self != b)
    b = (cache_box *)tf_lua_self(L, 1, TF_CACHE_T);
  if (b->c == NULL) tf_lua_closed_error(L, TF_CACHE_T);
  if (b->names->in == NULL) tf_lua_closed_error(L, TF_INTERNER);
  return b;
}

/* Seconds now: the injected clock when there is one, else tf.now(). */
static double cache_now_at(lua_State *L, cache_box *b, int ci) {
  double now;
  if (!b->has_clock) return tf_clock_now();
  lua_getiuservalue(L, ci, UV_CLOCK);
  lua_call(L, 0, 1);
  now = (double)lua_tonumber(L, -1);
  if (lua_type(L, -1) != LUA_TNUMBER) luaL_error(L, "the cache's clock returned %s, not a number", luaL_typename(L, -1));
  lua_pop(L, 1);
  /* the clock is user code: it may have closed the cache */
  if (b->c == NULL) tf_lua_closed_error(L, TF_CACHE_T);
  return now;
}

static double cache_now(lua_State *L, cache_box *b) { return cache_now_at(L, b, 1); }

/* ---- keys ---- */

/* One element at idx into words: returns the words used, 0 when it is a
 * string never interned (lookup only). Raises on a bad element. `ids` is
 * the stack index of the interner's ids table (0: the C table alone). */
static size_t encode_element(lua_State *L, cache_box *b, int arg, int idx, int add, lua_Integer pos, uint64_t *w,
                             int ids) {
  int t = lua_type(L, idx);
  if (t == LUA_TSTRING) {
    size_t len;
    const char *s;
    uint32_t id;
    if (ids != 0) {
      id = tf_lua_intern_at(L, b->names, ids, idx, add);
    } else {
      s = lua_tolstring(L, idx, &len);
      id = add ? tf_intern_add(b->names->in, s, len) : tf_intern_find(b->names->in, s, len);
    }
    if (id == 0) {
      if (add) tf_lua_oom(L);
      return 0;
    }
    w[0] = TF_CACHE_KEY_STRING(id);
    return 1;
  }
  if (t == LUA_TNUMBER) {
    int isint;
    lua_Integer i = lua_tointegerx(L, idx, &isint);
    if (isint) {
      w[0] = TF_CACHE_KEY_INTEGER_TAG;
      w[1] = (uint64_t)i;
      return 2;
    }
    if (pos == 0) luaL_argerror(L, arg, "key has no integer representation");
    luaL_argerror(L, arg, lua_pushfstring(L, "key element %I has no integer representation", pos));
  }
  if (pos == 0) {
    const char *msg = t == LUA_TTABLE ? "key tuple is empty"
                                      : lua_pushfstring(L, "key must be a string, an integer or an array of them, got %s",
                                                        luaL_typename(L, idx));
    luaL_argerror(L, arg, msg);
  }
  luaL_argerror(L, arg, lua_pushfstring(L, "key element %I must be a string or an integer, got %s", pos, luaL_typename(L, idx)));
  return 0;
}

/* Encodes the key at arg into words (buf when it fits, else the cache's
 * scratch buffer). Returns the word count; *absent is set when a tuple
 * element is a string never interned, so the key cannot be in the cache
 * (only with add == 0; the whole key is still checked). */
static size_t encode_key(lua_State *L, cache_box *b, int arg, int add, uint64_t *buf, const uint64_t **out, int *absent) {
  uint64_t *w = buf;
  size_t n = 1;
  *absent = 0;
  if (lua_type(L, arg) == LUA_TTABLE) {
    lua_Integer len = (lua_Integer)lua_rawlen(L, arg), i;
    int ids;
    arg = lua_absindex(L, arg);
    if (len == 0) encode_element(L, b, arg, arg, add, 0, w, 0); /* raises "empty" */
    lua_getiuservalue(L, 1, UV_IDS);
    ids = lua_gettop(L);
    if ((size_t)TF_CACHE_KEY_MAXWORDS(len) > KEY_STACK_WORDS) {
      w = tf_cache_scratch(b->c, TF_CACHE_KEY_MAXWORDS(len));
      if (w == NULL) tf_lua_oom(L);
    }
    w[0] = TF_CACHE_KEY_HEADER(len, 1);
    for (i = 1; i <= len; i++) {
      size_t k;
      if (lua_rawgeti(L, arg, i) == LUA_TSTRING) {
        /* the common case inline: a name the ids table knows */
        lua_pushvalue(L, -1);
        if (lua_rawget(L, ids) == LUA_TNUMBER) {
          w[n++] = TF_CACHE_KEY_STRING((uint32_t)lua_tointeger(L, -1));
          lua_pop(L, 2);
          continue;
        }
        lua_pop(L, 1);
      }
      k = encode_element(L, b, arg, -1, add, i, w + n, ids);
      lua_pop(L, 1);
      if (k == 0) *absent = 1;
      else n += k;
    }
    lua_pop(L, 1); /* ids */
  } else if (lua_type(L, arg) == LUA_TSTRING) {
    /* a single string is keyed by its bytes, not interned: a stream of
     * distinct string keys then never grows the interner */
    size_t len;
    const char *s = lua_tolstring(L, arg, &len);
    n = TF_CACHE_KEY_BYTES_WORDS(len);
    if (n > KEY_STACK_WORDS) {
      w = tf_cache_scratch(b->c, n);
      if (w == NULL) tf_lua_oom(L);
    }
    w[0] = TF_CACHE_KEY_BYTES_HEADER(len);
    w[n - 1] = 0; /* zero padding, so equal strings give equal words */
    if (len > 0) memcpy(w + 1, s, len);
  } else {
    n += encode_element(L, b, arg, arg, add, 0, w + 1, 0);
    w[0] = TF_CACHE_KEY_HEADER(1, 0);
  }
  *out = w;
  return n;
}

/* The addresses of the strings of the tuple key at arg when it is 1 to
 * TF_CACHE_IDENT_MAX strings (0 otherwise). They are its identity when
 * every string is short enough for Lua to intern (tuple_is_short): a
 * string of a stored key then stays alive in the interner's ids table, so
 * its address names its bytes while the entry lives. A lookup needs no
 * such check before a hit (an address of a live stored string is never
 * another string's), which spares reading the strings. */
static int tuple_ident(lua_State *L, int arg, tf_cache_ident *id) {
  lua_Unsigned len = lua_rawlen(L, arg), i;
  if (len == 0 || len > TF_CACHE_IDENT_MAX) return 0;
  id->n = (unsigned)len;
  id->tuple = 1;
  for (i = 0; i < len; i++) {
    int t = lua_rawgeti(L, arg, (lua_Integer)i + 1);
    id->p[i] = lua_topointer(L, -1);
    lua_pop(L, 1);
    if (t != LUA_TSTRING) return 0;
  }
  return 1;
}

/* 1 when every string of the tuple key at arg (see tuple_ident) is short. */
static int tuple_is_short(lua_State *L, cache_box *b, int arg, const tf_cache_ident *id) {
  unsigned i;
  int ok = 1;
  for (i = 0; i < id->n && ok; i++) {
    lua_rawgeti(L, arg, (lua_Integer)i + 1);
    ok = lua_rawlen(L, -1) <= b->short_len;
    lua_pop(L, 1);
  }
  return ok;
}

static void push_element(lua_State *L, cache_box *b, const uint64_t *w, size_t *at) {
  if (w[*at] == TF_CACHE_KEY_INTEGER_TAG) {
    lua_pushinteger(L, (lua_Integer)w[*at + 1]);
    *at += 2;
  } else {
    size_t len = 0;
    const char *s = b->names->in ? tf_intern_name(b->names->in, (uint32_t)(w[*at] >> 2), &len) : NULL;
    if (s == NULL) tf_lua_closed_error(L, TF_INTERNER);
    lua_pushlstring(L, s, len);
    *at += 1;
  }
}

/* Pushes the key of e as the caller gave it: string, integer or a new table. */
static void push_key(lua_State *L, cache_box *b, const tf_cache_entry *e) {
  size_t nwords, at = 1;
  const uint64_t *w = tf_cache_entry_key(e, &nwords);
  lua_Integer n = (lua_Integer)TF_CACHE_KEY_COUNT(w[0]), i;
  switch (TF_CACHE_KEY_KIND(w[0])) {
  case 2: lua_pushlstring(L, (const char *)(w + 1), (size_t)n); return;
  case 0: push_element(L, b, w, &at); return;
  default: break;
  }
  lua_createtable(L, (int)n, 0);
  for (i = 1; i <= n; i++) {
    push_element(L, b, w, &at);
    lua_rawseti(L, -2, i);
  }
}

/* ---- notifications ---- */

/* Reports every queued entry to on_evict and releases its value. Leaves
 * the stack as it found it, or raises the first error a callback raised. */
static void drain_at(lua_State *L, cache_box *b, int ci) {
  int top = lua_gettop(L), failed = 0;
  if (b->c == NULL || tf_cache_evicted(b->c) == NULL) return;
  ci = lua_absindex(L, ci);
  lua_getiuservalue(L, ci, UV_VALUES);   /* top + 1 */
  lua_getiuservalue(L, ci, UV_ON_EVICT); /* top + 2 */
  lua_pushnil(L);                        /* top + 3: the first error */
  lua_getiuservalue(L, ci, UV_KEYS);     /* top + 4 */
  while (b->c != NULL) { /* a callback may close the cache */
    tf_cache_entry *e = tf_cache_evicted(b->c);
    uint32_t slot;
    if (e == NULL) break;
    slot = tf_cache_entry_slot(e);
    if (b->has_on_evict) {
      /* the entry stays queued (owned by the cache) while these may raise */
      lua_pushvalue(L, top + 2);
      push_key(L, b, e);
      lua_rawgeti(L, top + 1, slot);
      lua_pushstring(L, reason_names[tf_cache_evicted_reason(e)]);
    }
    lua_pushnil(L);
    lua_rawseti(L, top + 1, (lua_Integer)slot);
    lua_pushnil(L);
    lua_rawseti(L, top + 4, (lua_Integer)slot);
    tf_cache_pop_evicted(b->c);
    if (b->has_on_evict && lua_pcall(L, 3, 0, 0) != LUA_OK) {
      if (!failed) lua_replace(L, top + 3);
      else lua_pop(L, 1);
      failed = 1;
    }
  }
  if (failed) {
    lua_pushvalue(L, top + 3);
    lua_error(L);
  }
  lua_settop(L, top);
}

static void drain(lua_State *L, cache_box *b) { drain_at(L, b, 1); }

/* ---- options of set and fetch ---- */

typedef struct store_opts {
  double ttl; /* 0: the cache's default */
  int has_cost;
  size_t cost;
  uint32_t *tags;
  size_t ntags;
  uint32_t tag_stack[TAG_STACK];
} store_opts;

static void check_known(lua_State *L, int arg, const char *const *known) {
  lua_pushnil(L);
  while (lua_next(L, arg)) {
    int i, ok = 0;
    lua_pop(L, 1);
    if (lua_type(L, -1) == LUA_TSTRING)
      for (i = 0; known[i] && !ok; i++) ok = strcmp(lua_tostring(L, -1), known[i]) == 0;
    if (!ok) luaL_argerror(L, arg, lua_pushfstring(L, "unknown option '%s'", luaL_tolstring(L, -1, NULL)));
  }
}

/* The field ttl of the table at arg: a positive number, or 0 when absent. */
static double opt_ttl(lua_State *L, int arg) {
  double ttl = 0;
  if (lua_getfield(L, arg, "ttl") != LUA_TNIL) {
    ttl = (double)lua_tonumber(L, -1);
    if (lua_type(L, -1) != LUA_TNUMBER || !(ttl > 0)) luaL_argerror(L, arg, "ttl must be a positive number");
  }
  lua_pop(L, 1);
  return ttl;
}

/* An integer >= min in field name, or 0 when absent (*present tells). */
static lua_Integer opt_integer(lua_State *L, int arg, const char *name, lua_Integer min, const char *msg, int *present) {
  lua_Integer v = 0;
  int isint = 0;
  *present = lua_getfield(L, arg, name) != LUA_TNIL;
  if (*present) {
    v = lua_tointegerx(L, -1, &isint);
    if (lua_type(L, -1) != LUA_TNUMBER || !isint || v < min) luaL_argerror(L, arg, msg);
  }
  lua_pop(L, 1);
  return v;
}

/* Reads opts at arg (nil: none). Big tag lists go in a userdata left on the stack. */
static void read_opts(lua_State *L, cache_box *b, int arg, store_opts *o) {
  static const char *const known[] = {"ttl", "tags", "cost", NULL};
  lua_Integer cost;
  o->ttl = 0;
  o->has_cost = 0;
  o->cost = 0;
  o->tags = o->tag_stack;
  o->ntags = 0;
  if (lua_isnoneornil(L, arg)) return;
  luaL_checktype(L, arg, LUA_TTABLE);
  check_known(L, arg, known);
  o->ttl = opt_ttl(L, arg);
  cost = opt_integer(L, arg, "cost", 0, "cost must be a non-negative integer", &o->has_cost);
  o->cost = (size_t)cost;
  if (lua_getfield(L, arg, "tags") != LUA_TNIL) {
    int tags = lua_gettop(L);
    lua_Integer n, i;
    if (!lua_istable(L, tags)) luaL_argerror(L, arg, "tags must be an array of strings or integer ids");
    n = (lua_Integer)lua_rawlen(L, tags);
    if (n > TAG_STACK) o->tags = (uint32_t *)lua_newuserdatauv(L, (size_t)n * sizeof(uint32_t), 0);
    for (i = 1; i <= n; i++) {
      int t = lua_rawgeti(L, tags, i), isint;
      lua_Integer id = lua_tointegerx(L, -1, &isint);
      if (t == LUA_TSTRING) {
        size_t len;
        const char *s = lua_tolstring(L, -1, &len);
        id = tf_intern_add(b->names->in, s, len);
        if (id == 0) tf_lua_oom(L);
      } else if (t != LUA_TNUMBER || !isint || id < 1 || id > (lua_Integer)UINT32_MAX) {
        luaL_argerror(L, arg, lua_pushfstring(L, "tags[%I] must be a string or an integer id", i));
      }
      o->tags[o->ntags++] = (uint32_t)id;
      lua_pop(L, 1);
    }
    lua_remove(L, tags); /* a tag userdata above it stays */
  } else {
    lua_pop(L, 1);
  }
}

/* The default cost of a value: strings by length; tables 40 bytes plus, for
 * each of their first 64 fields, 16 bytes and the length of string keys and
 * string values (nested tables are not walked); anything else 8. */
#define COST_TABLE_BASE 40
#define COST_FIELD 16
#define COST_FIELDS_WALKED 64
#define COST_OTHER 8

static size_t estimate_cost(lua_State *L, int idx) {
  size_t cost;
  int fields = 0;
  switch (lua_type(L, idx)) {
  case LUA_TSTRING: return lua_rawlen(L, idx);
  case LUA_TTABLE: break;
  default: return COST_OTHER;
  }
  cost = COST_TABLE_BASE;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    cost += COST_FIELD;
    if (lua_type(L, -2) == LUA_TSTRING) cost += lua_rawlen(L, -2);
    if (lua_type(L, -1) == LUA_TSTRING) cost += lua_rawlen(L, -1);
    lua_pop(L, 1);
    if (++fields == COST_FIELDS_WALKED) {
      lua_pop(L, 1);
      break;
    }
  }
  return cost;
}

/* Stores the value at val under the key at key. Returns 1 when stored, 0
 * when its cost alone exceeds max_bytes. Drains the queue. */
static void l2_put(lua_State *L, cache_box *b, int key, int val, const store_opts *o, double ttl);

static int store(lua_State *L, cache_box *b, int key, int val, const store_opts *o, int to_l2) {
  uint64_t buf[KEY_STACK_WORDS];
  const uint64_t *w;
  size_t nwords, cost;
  double ttl = o->ttl > 0 ? o->ttl : b->ttl, now = 0, expires = TF_CACHE_NEVER;
  uint32_t slot, released;
  tf_cache_ident id, *ident = NULL;
  int absent, rc;
  /* the second tier first: a value the format refuses raises before anything changed */
  if (to_l2 && b->has_store) {
    encode_key(L, b, key, 0, buf, &w, &absent); /* raises on a bad key before the store sees it */
    l2_put(L, b, key, val, o, ttl);
    b = check_cache(L);
  }
  /* the clock is user code: call it before building the key in the scratch buffer */
  if (ttl > 0 || tf_cache_expiring(b->c) > 0) now = cache_now(L, b);
  if (ttl > 0 && now + ttl < TF_CACHE_NEVER) expires = now + ttl;
  cost = o->has_cost ? o->cost : estimate_cost(L, val);
  nwords = encode_key(L, b, key, 1, buf, &w, &absent);
  slot = tf_cache_next_slot(b->c);
  if (slot == 0) tf_lua_oom(L);
  /* put the key string and the value in place first: this may raise, and
   * the cache is unchanged (a key left in an unused slot is only kept
   * alive until the slot is used) */
  lua_getiuservalue(L, 1, UV_KEYS);
  if (lua_type(L, key) == LUA_TSTRING) {
    id.n = 1;
    id.tuple = 0;
    id.p[0] = lua_topointer(L, key);
    ident = &id;
    lua_pushvalue(L, key);
    lua_rawseti(L, -2, (lua_Integer)slot);
  } else if (lua_type(L, key) == LUA_TTABLE && tuple_ident(L, key, &id) && tuple_is_short(L, b, key, &id)) {
    ident = &id; /* its strings were just interned: the ids table holds them */
  }
  lua_getiuservalue(L, 1, UV_VALUES);
  lua_pushvalue(L, val);
  lua_rawseti(L, -2, (lua_Integer)slot);
  rc = tf_cache_set_idents(b->c, w, nwords, ident, slot, now, expires, cost, o->tags, o->ntags, &released);
  if (rc != TF_CACHE_OK) {
    lua_pushnil(L);
    lua_rawseti(L, -2, (lua_Integer)slot);
    lua_pushnil(L);
    lua_rawseti(L, -3, (lua_Integer)slot);
    if (rc == TF_CACHE_NOMEM) tf_lua_oom(L);
  } else if (released != 0) {
    lua_pushnil(L);
    lua_rawseti(L, -2, (lua_Integer)released);
    lua_pushnil(L);
    lua_rawseti(L, -3, (lua_Integer)released);
  }
  lua_pop(L, 2);
  drain(L, b);
  return rc == TF_CACHE_OK;
}

/* ---- second tier (a tokenflow.Store) ---- */

/* Packs the L2 key of the key at `key` into l2buf: its length. Numbers
 * are keyed as the integers the memory tier makes of them (1.0 is 1). */
static size_t l2_key(lua_State *L, cache_box *b, int key) {
  int top = lua_gettop(L);
  key = lua_absindex(L, key);
  if (lua_type(L, key) == LUA_TNUMBER && !lua_isinteger(L, key)) {
    lua_pushinteger(L, lua_tointeger(L, key));
    key = lua_gettop(L);
  } else if (lua_type(L, key) == LUA_TTABLE) {
    lua_Integer i, n = (lua_Integer)lua_rawlen(L, key);
    int floats = 0;
    for (i = 1; i <= n && !floats; i++) {
      lua_rawgeti(L, key, i);
      floats = lua_type(L, -1) == LUA_TNUMBER && !lua_isinteger(L, -1);
      lua_pop(L, 1);
    }
    if (floats) {
      lua_createtable(L, (int)n, 0);
      for (i = 1; i <= n; i++) {
        lua_rawgeti(L, key, i);
        if (lua_type(L, -1) == LUA_TNUMBER && !lua_isinteger(L, -1)) {
          lua_Integer v = lua_tointeger(L, -1);
          lua_pop(L, 1);
          lua_pushinteger(L, v);
        }
        lua_rawseti(L, -2, i);
      }
      key = lua_gettop(L);
    }
  }
  b->l2buf.len = 0;
  if (tf_buf_put(&b->l2buf, L2_PREFIX, L2_PREFIX_LEN) != 0) tf_lua_oom(L);
  tf_lua_pack(L, key, &b->l2buf, "key");
  lua_settop(L, top);
  return b->l2buf.len;
}

/* Writes {value, tag names...} under the key to the store. A value the
 * format refuses raises; a store that cannot be written is passed over. */
static void l2_put(lua_State *L, cache_box *b, int key, int val, const store_opts *o, double ttl) {
  const char *stack_tags[TAG_STACK], **tags = stack_tags;
  size_t stack_lens[TAG_STACK], *lens = stack_lens, klen, i;
  int top = lua_gettop(L);
  key = lua_absindex(L, key);
  val = lua_absindex(L, val);
  if (o->ntags > TAG_STACK) {
    tags = (const char **)lua_newuserdatauv(L, o->ntags * sizeof *tags, 0);
    lens = (size_t *)lua_newuserdatauv(L, o->ntags * sizeof *lens, 0);
  }
  lua_createtable(L, (int)o->ntags + 1, 0);
  lua_pushvalue(L, val);
  lua_rawseti(L, -2, 1);
  for (i = 0; i < o->ntags; i++) {
    tags[i] = tf_intern_name(b->names->in, o->tags[i], &lens[i]);
    if (tags[i] == NULL) luaL_error(L, "tag id %d is not in the cache's interner", (int)o->tags[i]);
    lua_pushlstring(L, tags[i], lens[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 2);
  }
  klen = l2_key(L, b, key);
  tf_lua_pack_inner(L, -1, &b->l2buf, "value", 1); /* messages name the value, not the record */
  lua_getiuservalue(L, 1, UV_STORE);
  tf_lua_store_put(L, -1, b->l2buf.data, klen, b->l2buf.data + klen, b->l2buf.len - klen, ttl, tags, lens, o->ntags);
  lua_settop(L, top);
}

/* After a miss in memory: looks the key at 2 up in the store; on a hit the
 * entry comes back into memory (with its tags) and its value is pushed: 1. */
static int l2_lookup(lua_State *L, cache_box *b) {
  int top = lua_gettop(L), rc;
  size_t klen = l2_key(L, b, 2);
  lua_getiuservalue(L, 1, UV_STORE); /* top + 1 */
  rc = tf_lua_store_get(L, top + 1, b->l2buf.data, klen); /* top + 2: {value, tags...} */
  b = check_cache(L);
  if (rc == 1 && lua_type(L, top + 2) == LUA_TTABLE && lua_rawgeti(L, top + 2, 1) != LUA_TNIL) {
    store_opts o;
    lua_Integer n = (lua_Integer)lua_rawlen(L, top + 2), i; /* top + 3: the value */
    o.ttl = 0;
    o.has_cost = 0;
    o.cost = 0;
    o.tags = o.tag_stack;
    o.ntags = 0;
    if (n - 1 > TAG_STACK) o.tags = (uint32_t *)lua_newuserdatauv(L, (size_t)(n - 1) * sizeof(uint32_t), 0);
    for (i = 2; i <= n; i++) {
      size_t len;
      const char *tag;
      uint32_t id;
      if (lua_rawgeti(L, top + 2, i) != LUA_TSTRING) break;
      tag = lua_tolstring(L, -1, &len);
      id = tf_intern_add(b->names->in, tag, len);
      if (id == 0) tf_lua_oom(L);
      o.tags[o.ntags++] = id;
      lua_pop(L, 1);
    }
    store(L, b, 2, top + 3, &o, 0);
    b = check_cache(L);
    b->l2_hits++;
    lua_pushvalue(L, top + 3);
    return 1;
  }
  b->l2_misses++;
  lua_settop(L, top);
  return 0;
}

/* ---- methods ---- */

/* Looks the key at arg 2 up; pushes the value on a hit (returns 1), the
 * stale value on an expired entry (returns 2), nothing on a miss (0). */
static int lookup(lua_State *L, cache_box *b) {
  uint64_t buf[KEY_STACK_WORDS];
  const uint64_t *w;
  size_t nwords;
  double now = tf_cache_expiring(b->c) > 0 ? cache_now(L, b) : 0;
  uint32_t slot;
  int absent, rc = TF_CACHE_MISS;
  tf_cache_ident id;
  if (lua_type(L, 2) == LUA_TTABLE && tuple_ident(L, 2, &id)) {
    rc = tf_cache_get_idents(b->c, &id, now, &slot);
    /* every short tuple of short strings stored from Lua has its identity:
     * a miss is final unless some such key was stored without one */
    if (rc == TF_CACHE_MISS && tf_cache_plain_tuples(b->c) == 0 && tuple_is_short(L, b, 2, &id)) {
      tf_cache_count_miss(b->c);
      return 0;
    }
  } else if (lua_type(L, 2) == LUA_TSTRING) {
    rc = tf_cache_get_ident(b->c, lua_topointer(L, 2), now, &slot);
    /* Lua keeps one object per short string content, and every cached key
     * string is held by the cache: a short key not found by identity is not
     * cached under equal bytes either. */
    if (rc == TF_CACHE_MISS && lua_rawlen(L, 2) <= b->short_len) {
      tf_cache_count_miss(b->c);
      return 0;
    }
  }
  if (rc == TF_CACHE_MISS) {
    nwords = encode_key(L, b, 2, 0, buf, &w, &absent);
    if (absent) {
      tf_cache_count_miss(b->c);
      return 0;
    }
    rc = tf_cache_get(b->c, w, nwords, now, &slot);
    if (rc == TF_CACHE_MISS) return 0;
  }
  /* the values table stays below the value: callers return only the top */
  lua_getiuservalue(L, 1, UV_VALUES);
  lua_rawgeti(L, -1, (lua_Integer)slot);
  if (rc == TF_CACHE_OK) return 1;
  drain(L, b); /* reports the expired entry */
  return 2;
}

/** cache:get(key) -> value | nil, stale | nil: a hit returns the value; an
 * expired entry is dropped (reported as "expired") and returns nil and its
 * stale value; a miss returns nil. */
static int l_get(lua_State *L) {
  cache_box *b = check_cache(L);
  switch (lookup(L, b)) {
  case 1: return 1;
  case 2:
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
  default:
    if (b->has_store) {
      lua_settop(L, 2);
      if (l2_lookup(L, b)) return 1;
    }
    lua_pushnil(L);
    return 1;
  }
}

/** cache:set(key, value[, opts]) -> true, or false when the value's cost
 * alone exceeds max_bytes (nothing stored; an entry under the key is dropped
 * as "bytes"). opts: ttl (seconds), tags (token names or ids), cost. */
static int l_set(lua_State *L) {
  cache_box *b = check_cache(L);
  store_opts o;
  if (lua_isnoneornil(L, 3)) luaL_argerror(L, 3, "value must not be nil");
  read_opts(L, b, 4, &o);
  lua_pushboolean(L, store(L, b, 2, 3, &o, 1));
  return 1;
}

/** cache:fetch(key, loader[, opts]) -> value: the cached value, or
 * loader(key)'s result, stored with opts unless nil. Errors from the loader
 * propagate and store nothing. */
static int l_fetch(lua_State *L) {
  cache_box *b = check_cache(L);
  store_opts o;
  int val;
  luaL_checktype(L, 3, LUA_TFUNCTION);
  read_opts(L, b, 4, &o);
  lua_settop(L, 5); /* 5: the tag userdata, if any */
  if (lookup(L, b) == 1) return 1;
  lua_settop(L, 5);
  if (b->has_store && l2_lookup(L, b)) return 1;
  lua_settop(L, 5);
  lua_pushvalue(L, 3);
  lua_pushvalue(L, 2);
  lua_call(L, 1, 1);
  val = lua_gettop(L);
  if (lua_isnil(L, val)) return 1;
  b = check_cache(L); /* the loader may have closed the cache */
  store(L, b, 2, val, &o, 1);
  lua_settop(L, val);
  return 1;
}

/** cache:delete(key) -> true if there was an entry (reported as "deleted"). */
static int l_delete(lua_State *L) {
  cache_box *b = check_cache(L);
  uint64_t buf[KEY_STACK_WORDS];
  const uint64_t *w;
  int absent, found = 0;
  size_t nwords = encode_key(L, b, 2, 0, buf, &w, &absent);
  if (!absent) found = tf_cache_delete(b->c, w, nwords);
  drain(L, b);
  if (b->has_store) {
    size_t klen;
    b = check_cache(L);
    klen = l2_key(L, b, 2);
    lua_getiuservalue(L, 1, UV_STORE);
    if (tf_lua_store_delete(L, -1, b->l2buf.data, klen) == 1) found = 1;
    lua_pop(L, 1);
  }
  lua_pushboolean(L, found);
  return 1;
}

/** cache:invalidate(tag, ...) -> count: drops every entry carrying any of
 * the tags (token names or integer ids), reported as "invalidated". */
static int l_invalidate(lua_State *L) {
  cache_box *b = check_cache(L);
  int top = lua_gettop(L), i;
  size_t n = 0;
  for (i = 2; i <= top; i++) {
    int isint;
    lua_Integer id = lua_tointegerx(L, i, &isint);
    if (lua_type(L, i) != LUA_TSTRING && (lua_type(L, i) != LUA_TNUMBER || !isint || id < 1 || id > (lua_Integer)UINT32_MAX))
      luaL_argerror(L, i, "tag must be a string or an integer id");
  }
  for (i = 2; i <= top; i++) {
    uint32_t tag;
    if (lua_type(L, i) == LUA_TSTRING) {
      size_t len;
      const char *s = lua_tolstring(L, i, &len);
      tag = tf_intern_find(b->names->in, s, len);
    } else {
      tag = (uint32_t)lua_tointeger(L, i);
    }
    if (tag != 0) n += tf_cache_invalidate(b->c, tag);
  }
  drain(L, b);
  if (b->has_store) {
    b = check_cache(L);
    lua_getiuservalue(L, 1, UV_STORE); /* top + 1 */
    for (i = 2; i <= top; i++) {
      size_t len;
      const char *s;
      if (lua_type(L, i) == LUA_TSTRING) s = lua_tolstring(L, i, &len);
      else s = tf_intern_name(b->names->in, (uint32_t)lua_tointeger(L, i), &len);
      if (s != NULL) tf_lua_store_invalidate(L, top + 1, s, len);
    }
    lua_settop(L, top);
  }
  lua_pushinteger(L, (lua_Integer)n);
  return 1;
}

/** cache:flush() -> count: drops every entry, each reported as "deleted". */
static int l_flush(lua_State *L) {
  cache_box *b = check_cache(L);
  size_t n = tf_cache_flush(b->c);
  drain(L, b);
  lua_pushinteger(L, (lua_Integer)n);
  return 1;
}

/** cache:capacity() -> capacity, max_bytes (nil without a byte budget). */
static int l_capacity(lua_State *L) {
  cache_box *b = check_cache(L);
  lua_pushinteger(L, (lua_Integer)tf_cache_capacity(b->c));
  if (tf_cache_max_bytes(b->c) > 0) lua_pushinteger(L, (lua_Integer)tf_cache_max_bytes(b->c));
  else lua_pushnil(L);
  return 2;
}

static int keys_step(lua_State *L) {
  lua_Integer i = lua_tointeger(L, lua_upvalueindex(2)) + 1;
  if (lua_rawgeti(L, lua_upvalueindex(1), i) == LUA_TNIL) return 1;
  lua_pushinteger(L, i);
  lua_replace(L, lua_upvalueindex(2));
  return 1;
}

/** cache:keys() -> iterator over the keys of the live entries, most recent
 * first (strings, integers, or new tables for tuples). It walks a snapshot
 * taken by this call, so the loop may use and change the cache freely. */
static int l_keys(lua_State *L) {
  cache_box *b = check_cache(L);
  double now = tf_cache_expiring(b->c) > 0 ? cache_now(L, b) : 0;
  const tf_cache_entry *e;
  lua_Integer n = 0;
  lua_createtable(L, (int)tf_cache_count(b->c), 0);
  for (e = tf_cache_first(b->c); e != NULL; e = tf_cache_next(b->c, e)) {
    if (tf_cache_entry_expires(e) <= now) continue;
    push_key(L, b, e);
    lua_rawseti(L, -2, ++n);
  }
  lua_pushinteger(L, 0);
  lua_pushcclosure(L, keys_step, 2);
  return 1;
}

static double hit_rate(const tf_cache_stats *s) {
  uint64_t lookups = s->hits + s->misses;
  return lookups ? (double)s->hits / (double)lookups : 0.0;
}

/** cache:stats() -> {entries, bytes, hits, misses, stale, evictions,
 * expirations, invalidations, hit_rate}: stale lookups count as misses too;
 * evictions are those for capacity and bytes; hit_rate = hits / lookups. */
static int l_stats(lua_State *L) {
  cache_box *b = check_cache(L);
  tf_cache_stats s;
  tf_cache_get_stats(b->c, &s);
  lua_createtable(L, 0, 9);
  tf_lua_setint(L, "entries", s.entries);
  tf_lua_setint(L, "bytes", s.bytes);
  tf_lua_setint(L, "hits", s.hits);
  tf_lua_setint(L, "misses", s.misses);
  tf_lua_setint(L, "stale", s.stale);
  tf_lua_setint(L, "evictions", s.evictions);
  tf_lua_setint(L, "expirations", s.expirations);
  tf_lua_setint(L, "invalidations", s.invalidations);
  lua_pushnumber(L, (lua_Number)hit_rate(&s));
  lua_setfield(L, -2, "hit_rate");
  if (b->has_store) {
    tf_lua_setint(L, "l2_hits", b->l2_hits);
    tf_lua_setint(L, "l2_misses", b->l2_misses);
  }
  return 1;
}

static int l_len(lua_State *L) {
  cache_box *b = check_cache(L);
  lua_pushinteger(L, (lua_Integer)tf_cache_count(b->c));
  return 1;
}

static cache_box *to_box(lua_State *L) { return (cache_box *)tf_lua_self(L, 1, TF_CACHE_T); }

static int l_tostring(lua_State *L) {
  cache_box *b = to_box(L);
  char text[128];
  tf_cache_stats s;
  if (b->c == NULL) {
    lua_pushliteral(L, TF_CACHE_T " (closed)");
    return 1;
  }
  tf_cache_get_stats(b->c, &s);
  snprintf(text, sizeof text, TF_CACHE_T " (%lu/%lu entries, %.1f%% hits)", (unsigned long)s.entries,
           (unsigned long)tf_cache_capacity(b->c), 100.0 * hit_rate(&s));
  lua_pushstring(L, text);
  return 1;
}

/** cache:close(): frees the entries and releases the values now, without
 * reporting them; also run by __gc and __close. Idempotent. */
static int l_close(lua_State *L) {
  cache_box *b = to_box(L);
  int uv;
  if (b->c != NULL) {
    tf_cache_free(b->c);
    b->c = NULL;
    /* drop the values, callbacks and interner (setting nil never allocates) */
    for (uv = UV_VALUES; uv <= UV_COUNT; uv++) {
      lua_pushnil(L);
      lua_setiuservalue(L, 1, uv);
    }
  }
  tf_buf_free(&b->l2buf);
  return 0;
}

/* A field of the options table at 1 that is nil or of type t. */
static int opt_field(lua_State *L, const char *name, int t, const char *msg) {
  int got = lua_getfield(L, 1, name);
  if (got != LUA_TNIL && got != t) luaL_argerror(L, 1, msg);
  return got != LUA_TNIL;
}

/* The longest strings Lua interns (LUAI_MAXSHORTLEN, 40 in a default
 * build), found by experiment: two strings of n equal bytes made apart are
 * one object only when Lua interns that length. 0 when none up to 64 is. */
static size_t interned_length(lua_State *L) {
  char a[64], b[64];
  size_t n;
  memset(a, 'x', sizeof a);
  memset(b, 'x', sizeof b);
  for (n = sizeof a; n > 0; n--) {
    int same;
    lua_pushlstring(L, a, n);
    lua_pushlstring(L, b, n);
    same = lua_topointer(L, -1) == lua_topointer(L, -2);
    lua_pop(L, 2);
    if (same) return n;
  }
  return 0;
}

/** tf.cache{capacity=, max_bytes=, ttl=, on_evict=, clock=, names=} -> a new
 * cache. capacity (entries) is required; max_bytes bounds the summed costs;
 * ttl (seconds) is the default lifetime; on_evict(key, value, reason) hears
 * of entries that leave ("capacity", "bytes", "expired", "invalidated",
 * "deleted"); clock() returns seconds (default tf.now); names is the
 * interner keys and tags are interned in (default tf.names). */
static int l_new(lua_State *L) {
  static const char *const known[] = {"capacity", "max_bytes", "ttl", "on_evict", "clock", "names", "store", NULL};
  lua_Integer capacity, max_bytes;
  int present;
  double ttl;
  cache_box *b;
  tf_intern_box *names;
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  check_known(L, 1, known);
  capacity = opt_integer(L, 1, "capacity", 1, "capacity must be a positive integer", &present);
  if (!present) luaL_argerror(L, 1, "capacity must be a positive integer");
  max_bytes = opt_integer(L, 1, "max_bytes", 1, "max_bytes must be a positive integer", &present);
  /* 2: names, 3: on_evict, 4: clock */
  if (lua_getfield(L, 1, "names") == LUA_TNIL) {
    lua_pop(L, 1);
    tf_lua_pushnames(L);
  } else if (luaL_testudata(L, 2, TF_INTERNER) == NULL) {
    luaL_argerror(L, 1, "names must be a " TF_INTERNER);
  }
  names = tf_lua_checkinterner(L, 2);
  ttl = opt_ttl(L, 1);
  opt_field(L, "on_evict", LUA_TFUNCTION, "on_evict must be a function");
  opt_field(L, "clock", LUA_TFUNCTION, "clock must be a function");
  lua_getfield(L, 1, "store");
  if (!lua_isnil(L, 5)) {
    if (luaL_testudata(L, 5, TF_STORE_T) == NULL) luaL_argerror(L, 1, "store must be a " TF_STORE_T);
    tf_lua_checkstore(L, 5);
  }
  /* created closed (c == NULL), armed once the core exists */
  b = (cache_box *)lua_newuserdatauv(L, sizeof *b, UV_COUNT);
  b->self = NULL; /* set once the metatable is on */
  b->c = NULL;
  b->names = names;
  b->ttl = ttl;
  b->has_on_evict = !lua_isnil(L, 3);
  b->has_clock = !lua_isnil(L, 4);
  b->short_len = 0;
  b->has_store = !lua_isnil(L, 5);
  b->l2_hits = b->l2_misses = 0;
  tf_buf_init(&b->l2buf, tf_lua_mem(L));
  luaL_setmetatable(L, TF_CACHE_T);
  b->self = b;
  lua_newtable(L);
  lua_setiuservalue(L, 6, UV_VALUES);
  lua_pushvalue(L, 2);
  lua_setiuservalue(L, 6, UV_NAMES);
  lua_pushvalue(L, 3);
  lua_setiuservalue(L, 6, UV_ON_EVICT);
  lua_pushvalue(L, 4);
  lua_setiuservalue(L, 6, UV_CLOCK);
  lua_newtable(L);
  lua_setiuservalue(L, 6, UV_KEYS);
  lua_pushvalue(L, 5);
  lua_setiuservalue(L, 6, UV_STORE);
  tf_lua_interner_ids(L, 2);
  lua_setiuservalue(L, 6, UV_IDS);
  b->short_len = interned_length(L);
  b->c = tf_cache_new(tf_lua_mem(L), (size_t)capacity, (size_t)max_bytes);
  if (b->c == NULL) tf_lua_oom(L);
  return 1;
}

/* ---- word keys, for the update job (src/lua/job.c) ---- */

tf_cache *tf_lua_cache_core(lua_State *L, int ci, tf_intern_box **names) {
  cache_box *b = (cache_box *)luaL_testudata(L, ci, TF_CACHE_T);
  if (b == NULL) return NULL;
  if (b->c == NULL) tf_lua_closed_error(L, TF_CACHE_T);
  if (b->names->in == NULL) tf_lua_closed_error(L, TF_INTERNER);
  *names = b->names;
  return b->c;
}

/* After a lookup with result rc for slot: pushes the value and returns 1
 * on a hit; reports an expired entry and returns 0 otherwise. */
static int push_found(lua_State *L, cache_box *b, int ci, int rc, uint32_t slot) {
  if (rc == TF_CACHE_MISS) return 0;
  if (rc == TF_CACHE_STALE) {
    drain_at(L, b, ci);
    return 0;
  }
  lua_getiuservalue(L, ci, UV_VALUES);
  lua_rawgeti(L, -1, (lua_Integer)slot);
  lua_remove(L, -2);
  return 1;
}

int tf_lua_cache_getw(lua_State *L, int ci, const uint64_t *w, size_t nwords, tf_lua_cache_ref *ref) {
  cache_box *b = (cache_box *)lua_touserdata(L, ci);
  double now;
  uint32_t slot;
  int rc;
  if (b->c == NULL) tf_lua_closed_error(L, TF_CACHE_T);
  now = tf_cache_expiring(b->c) > 0 ? cache_now_at(L, b, ci) : 0;
  rc = tf_cache_get(b->c, w, nwords, now, &slot);
  if (rc == TF_CACHE_OK && ref != NULL) {
    ref->slot = slot;
    ref->gen = tf_cache_slot_gen(b->c, slot);
  }
  return push_found(L, b, ci, rc, slot);
}

int tf_lua_cache_getref(lua_State *L, int ci, const tf_lua_cache_ref *ref) {
  cache_box *b = (cache_box *)lua_touserdata(L, ci);
  double now;
  if (b->c == NULL) tf_lua_closed_error(L, TF_CACHE_T);
  if (ref->gen == 0) return 0;
  now = tf_cache_expiring(b->c) > 0 ? cache_now_at(L, b, ci) : 0;
  return push_found(L, b, ci, tf_cache_get_slot(b->c, ref->slot, ref->gen, now), ref->slot);
}

int tf_lua_cache_setw(lua_State *L, int ci, const uint64_t *w, size_t nwords, int val, const uint32_t *tags, size_t ntags,
                      tf_lua_cache_ref *ref) {
  cache_box *b = (cache_box *)lua_touserdata(L, ci);
  double now = 0, expires = TF_CACHE_NEVER;
  uint32_t slot, released;
  size_t cost;
  int rc;
  ci = lua_absindex(L, ci);
  val = lua_absindex(L, val);
  if (b->c == NULL) tf_lua_closed_error(L, TF_CACHE_T);
  if (b->ttl > 0 || tf_cache_expiring(b->c) > 0) now = cache_now_at(L, b, ci);
  if (b->ttl > 0 && now + b->ttl < TF_CACHE_NEVER) expires = now + b->ttl;
  cost = estimate_cost(L, val);
  slot = tf_cache_next_slot(b->c);
  if (slot == 0) tf_lua_oom(L);
  lua_getiuservalue(L, ci, UV_VALUES);
  lua_pushvalue(L, val);
  lua_rawseti(L, -2, (lua_Integer)slot);
  rc = tf_cache_set(b->c, w, nwords, slot, now, expires, cost, tags, ntags, &released);
  if (ref != NULL) { /* before on_evict runs: it may change the cache */
    ref->slot = slot;
    ref->gen = rc == TF_CACHE_OK ? tf_cache_slot_gen(b->c, slot) : 0;
  }
  if (rc != TF_CACHE_OK) {
    lua_pushnil(L);
    lua_rawseti(L, -2, (lua_Integer)slot);
    if (rc == TF_CACHE_NOMEM) tf_lua_oom(L);
  } else if (released != 0) {
    lua_pushnil(L);
    lua_rawseti(L, -2, (lua_Integer)released);
    lua_getiuservalue(L, ci, UV_KEYS);
    lua_pushnil(L);
    lua_rawseti(L, -2, (lua_Integer)released);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  drain_at(L, b, ci);
  return rc == TF_CACHE_OK;
}

size_t tf_lua_cache_invalidate(lua_State *L, int ci, uint32_t tag) {
  cache_box *b = (cache_box *)lua_touserdata(L, ci);
  size_t n;
  if (b->c == NULL) tf_lua_closed_error(L, TF_CACHE_T);
  n = tf_cache_invalidate(b->c, tag);
  drain_at(L, b, ci);
  return n;
}

void tf_open_cache(lua_State *L) {
  static const luaL_Reg meta[] = {{"__len", l_len}, {"__tostring", l_tostring}, {"__gc", l_close}, {"__close", l_close}, {NULL, NULL}};
  static const luaL_Reg methods[] = {{"get", l_get},       {"set", l_set},           {"fetch", l_fetch},
                                     {"delete", l_delete}, {"invalidate", l_invalidate}, {"flush", l_flush},
                                     {"capacity", l_capacity}, {"keys", l_keys},     {"stats", l_stats},
                                     {"close", l_close},   {NULL, NULL}};
  tf_lua_newclass(L, TF_CACHE_T, meta, methods);
  lua_pushcfunction(L, l_new);
  lua_setfield(L, -2, "cache");
}

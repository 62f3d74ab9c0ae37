/* Helpers shared by the binding files (one file per Lua type), defined in
 * tf_lua.c; then what one binding offers another (interner, walk, cache,
 * store, pack), and each binding's opener, which only module.c calls. */
#ifndef TF_LUA_H
#define TF_LUA_H

#include <lauxlib.h>
#include <lua.h>

#include "tf_intern.h"
#include "tf_mem.h"

/* Creates L's per-state settings (the allocator hook of
 * tokenflow_set_allocator, the engines' byte count) if not there yet. */
void tf_lua_initstate(lua_State *L);

/* A tf_mem for a new engine: the host's allocator if set, else L's own;
 * its bytes are added to the state's total (tokenflow_engine_bytes). */
tf_mem tf_lua_mem(lua_State *L);

/* Raises the literal "not enough memory" (no position prefix). */
int tf_lua_oom(lua_State *L);
/* p (an array of *cap elements of elem bytes, from m) with room for need
 * elements: p itself, or a larger block (*cap doubled until it fits, from
 * 16). Raises "not enough memory" (p stays valid and owned). */
void *tf_lua_grow(lua_State *L, tf_mem *m, void *p, size_t *cap, size_t need, size_t elem);

/* Pushes a new empty byte buffer allocating through mem, as a userdata
 * whose __gc frees it: what it holds is freed even when a call raises
 * while it is filled (freeing it earlier with tf_buf_free is fine). */
struct tf_buf;
struct tf_buf *tf_lua_newbuf(lua_State *L, tf_mem mem);

/* Creates the metatable tname with __name, __index = methods table (the
 * metamethods are in meta, the methods in methods), and pops it. Every
 * function gets the metatable as upvalue 1, so tf_lua_self can check its
 * receiver without a registry lookup by name. */
void tf_lua_newclass(lua_State *L, const char *tname, const luaL_Reg *meta, const luaL_Reg *methods);

/* The userdata at idx when its metatable is upvalue 1 of the running
 * function (see tf_lua_newclass); else raises the usual argument error. */
static inline void *tf_lua_self(lua_State *L, int idx, const char *tname) {
  void *p = lua_touserdata(L, idx);
  if (p != NULL && lua_getmetatable(L, idx)) {
    int same = lua_rawequal(L, -1, lua_upvalueindex(1));
    lua_pop(L, 1);
    if (same) return p;
  }
  return luaL_checkudata(L, idx, tname); /* raises with the standard message */
}

/* Raises "attempt to use a closed <what>". */
int tf_lua_closed_error(lua_State *L, const char *what);

/* t[key] = v for the table on top of the stack (stats tables). */
void tf_lua_setint(lua_State *L, const char *key, lua_Integer v);

/* Interner userdata (src/lua/interner.c). */
#define TF_INTERNER "tokenflow.Interner"
typedef struct tf_intern_box {
  tf_intern *in;    /* NULL once closed */
  int is_default;   /* the module's tf.names: cannot be closed */
} tf_intern_box;

/* The open interner at idx, or raises. */
tf_intern_box *tf_lua_checkinterner(lua_State *L, int idx);
/* An interner keeps a Lua table string -> id (its user value) in front of
 * its C table: a string's id is then found by the hash Lua already keeps
 * in the string, without hashing or comparing its bytes again (the C table
 * stays the reference; names added only there are remembered in the Lua
 * one the first time they are looked up here). */
#define TF_INTERN_UV_IDS 1
/* Pushes the ids table of the interner at idx. */
void tf_lua_interner_ids(lua_State *L, int idx);
/* The id of the string at sidx (added when `add`; 0 when absent and not
 * added, or out of memory when adding), through the ids table at `ids`. */
uint32_t tf_lua_intern_at(lua_State *L, tf_intern_box *box, int ids, int sidx, int add);
/* Pushes the module's default interner (tf.names). */
void tf_lua_pushnames(lua_State *L);

/* Walk userdata (src/lua/walk.c): a source for tf.chunks. */
#define TF_WALK "tokenflow.Walk"
/* 1 when idx holds a walk. */
int tf_lua_iswalk(lua_State *L, int idx);
/* Stores up to n next nodes of the walk at idx into the table at dest
 * (indices 1..), returning how many: fewer than n when the walk finished.
 * Raises on bad children results and cycles. */
lua_Integer tf_lua_walk_take(lua_State *L, int idx, int dest, lua_Integer n);
/* Pushes a new walk over the same tree, children, filter and options as the
 * walk at idx and returns 1, when that walk has not produced a node yet;
 * else pushes nothing and returns 0. */
int tf_lua_walk_restart(lua_State *L, int idx);
/* Puts the walk at idx back at its root, to walk the same tree again. */
void tf_lua_walk_rewind(lua_State *L, int idx);

/* Chunked iterator state (src/lua/chunks.c). */
#define TF_CHUNKS "tokenflow.Chunks"
/* Pool and its tasks (src/lua/pool.c). */
#define TF_POOL "tokenflow.Pool"
#define TF_TASK "tokenflow.Task"

/* Token cache (src/lua/cache.c), word-key access for the update job: the
 * core of the tokenflow.Cache at ci (and its interner in *names), NULL when
 * ci holds no cache; raises when it is closed. */
#define TF_CACHE "tokenflow.Cache"
struct tf_cache;
struct tf_cache *tf_lua_cache_core(lua_State *L, int ci, tf_intern_box **names);
/* Names one entry of the cache until it leaves (its slot and generation,
 * see tf_cache_get_slot): found again without its key. gen 0: none. */
typedef struct tf_lua_cache_ref {
  uint32_t slot;
  uint64_t gen;
} tf_lua_cache_ref;
/* Looks up the encoded key: pushes the value and returns 1 on a hit, else
 * 0. On a hit, *ref (unless NULL) names the entry. */
int tf_lua_cache_getw(lua_State *L, int ci, const uint64_t *w, size_t nwords, tf_lua_cache_ref *ref);
/* Looks up the entry ref names: pushes its value and returns 1 (a hit),
 * else 0 (it left the cache; not counted as a miss). */
int tf_lua_cache_getref(lua_State *L, int ci, const tf_lua_cache_ref *ref);
/* Stores the value at val under the encoded key with the tags (ids);
 * on_evict runs for what leaves. 0 when the value alone is too big. When
 * stored, *ref (unless NULL) names the new entry. */
int tf_lua_cache_setw(lua_State *L, int ci, const uint64_t *w, size_t nwords, int val, const uint32_t *tags, size_t ntags,
                      tf_lua_cache_ref *ref);
/* Drops the entries carrying tag; returns how many. */
size_t tf_lua_cache_invalidate(lua_State *L, int ci, uint32_t tag);

/* Registration of each type: called by luaopen_tokenflow_core with the
 * module table on top of the stack; each sets its fields in it. */
void tf_open_interner(lua_State *L);
void tf_open_clock(lua_State *L);
void tf_open_walk(lua_State *L);
void tf_open_chunks(lua_State *L);
void tf_open_pool(lua_State *L);
void tf_open_cache(lua_State *L);
void tf_open_metrics(lua_State *L);
void tf_open_viewport(lua_State *L);
void tf_open_job(lua_State *L);
void tf_open_pack(lua_State *L);
void tf_open_store(lua_State *L);
void tf_open_jsondoc(lua_State *L);
void tf_open_document(lua_State *L);
void tf_open_docnode(lua_State *L);

/* The value format (src/lua/pack.c). */
struct tf_buf;
/* Appends the packed value at idx to buf; raises for what cannot be
 * serialised ("cannot serialise a function at <root>.a.b") and on OOM.
 * buf must be owned by a userdata (a raise must not leak it). */
void tf_lua_pack(lua_State *L, int idx, struct tf_buf *buf, const char *root);
/* tf_lua_pack, with the first `skip` keys of a path left out of messages
 * (for a wrapper table around the caller's value). */
void tf_lua_pack_inner(lua_State *L, int idx, struct tf_buf *buf, const char *root, int skip);
/* Pushes the value packed in data: 1; or pushes a message: 0. */
int tf_lua_unpack(lua_State *L, const void *data, size_t len);
/* Pushes the hex SHA-256 digest tf.core.digest gives for the one string s. */
void tf_lua_push_digest(lua_State *L, const void *s, size_t len);

/* Persistent tier (src/lua/store.c). */
#define TF_STORE_T "tokenflow.Store"
typedef struct tf_store_box tf_store_box;
/* The open store at idx, or raises. */
tf_store_box *tf_lua_checkstore(lua_State *L, int idx);
/* Looks up key in the store at idx: 1 and the value pushed; 0 on a miss;
 * -1 when the file cannot be read or the entry is damaged (then dropped). */
int tf_lua_store_get(lua_State *L, int idx, const void *key, size_t klen);
/* Stores key -> value (packed bytes) with ttl (0: the store's default) and
 * tags: 1 stored, 0 too large for the store, -1 write failed. */
int tf_lua_store_put(lua_State *L, int idx, const void *key, size_t klen, const void *value, size_t vlen, double ttl,
                     const char *const *tags, const size_t *taglens, size_t ntags);
/* Deletes key: 1 deleted, 0 absent, -1 failed. */
int tf_lua_store_delete(lua_State *L, int idx, const void *key, size_t klen);
/* Deletes the entries tagged tag: their count, or -1 when it failed. */
lua_Integer tf_lua_store_invalidate(lua_State *L, int idx, const char *tag, size_t len);

#endif

/* tokenflow.JobCore: the hot loop of the update job (tf.update, see
 * lua/tokenflow/job.lua, which checks the options, drives chunks, reports
 * progress and shapes the report).
 *
 * One call of core:chunk() processes up to one chunk of nodes. Per node:
 * take it from the source (array, iterator function or tf.walk), call
 * read(node), build the combination key from the interned ids of its
 * (property, token name) pairs (sorted by property id, names decoded as
 * Tokens Studio stores them), look the key up in the token cache (on a miss
 * the Lua mapper runs once and the result is stored, tagged with every
 * token the combination depends on), then call write(node, plan).
 *
 * write and the source function may yield: they are called with
 * lua_pcallk/lua_callk, and each continuation finishes the node it was
 * processing and goes on with the same loop (all loop state is in the box
 * and in fixed stack slots, never in C locals across a call that can
 * yield). read, the mapper and the dependency hook must not yield.
 *
 * With the node index, the key is looked up once, in the combination
 * table; the table's number names the cache entry of the combination's plan
 * (its slot and generation, which the cache checks), so the cache needs no
 * second lookup by key until that entry leaves it.
 *
 * The node index (tf_combos.c) keeps the combination number of every node
 * position while the job lives, so a rerun with changed tokens re-writes
 * the affected nodes without calling read again. For iterator and walk
 * sources the job also keeps references to the nodes (UV_NODES, 16 bytes a
 * node) up to a limit (index_nodes): a rerun then takes the affected nodes
 * straight from them instead of walking the whole source again. Past the
 * limit the references are dropped, so the job's memory stays bounded, and a
 * rerun walks the source again (a walk is rewound to its root). */
#include <stdio.h>
#include <string.h>

#include "tf_chunks.h"
#include "tf_clock.h"
#include "tf_combos.h"
#include "tf_cache.h"
#include "tf_hash.h"
#include "tf_lua.h"
#include "tf_lua_doc.h"

#define TF_JOB "tokenflow.JobCore"
#define TF_JOB_FAILURE "tokenflow.JobFailure"

/* user values */
enum { UV_READ = 1, UV_WRITE, UV_SOURCE, UV_CACHE, UV_DEPS, UV_MAP, UV_DECODE, UV_SUBMIT, UV_FAILURES, UV_ANCHORS,
       UV_VISIBLE, UV_DIFF, UV_OLD, UV_DIFFS, UV_NODES, UV_NUV = UV_NODES };

/* Recently interned strings by address: a hit needs no hashing. The
 * strings are anchored (user value UV_ANCHORS, same slot), so an address
 * seen here names the same string object, and its bytes, while cached. */
#define ICACHE_SIZE 1024
/* Marks a cached id as the name inside a JSON-quoted string. */
#define ICACHE_INNER 0x80000000u
/* fixed stack slots while a chunk runs: 1 is the box, then the user values,
 * then the node being processed, its plan and its token-map table */
enum { S_NODE = UV_NUV + 2, S_PLAN, S_MAP, S_TOKENS, S_TOP = S_TOKENS };

/* SRC_DOC: a document's nodes (doc:nodes()), taken by position like an
 * array's; UV_SOURCE holds the document itself. */
enum { SRC_ARRAY, SRC_FUNCTION, SRC_WALK, SRC_DOC };
enum { CTX_SOURCE = 1, CTX_WRITE, CTX_SUBMIT };
enum { ST_MORE, ST_DONE, ST_STOPPED, ST_CANCELLED };
static const char *const status_names[] = {"more", "done", "stopped", "cancelled"};

typedef struct job_box {
  tf_combos *combos; /* NULL once closed */
  tf_intern_box *names; /* the cache's interner (kept alive by the cache, a user value) */
  tf_intern *in;        /* names->in, checked at each chunk */
  tf_mem mem;        /* for the buffers below */
  int kind, raw;
  int default_read;        /* no read function: node.tokens (a document: its token map, read in C) */
  int doc_memo;            /* a document source written by the Figma writer: writes remembered by shape */
  tf_doc_span *spans;      /* scratch: the members of a document node's token map */
  size_t spans_cap;
  /* a document's token maps by their bytes: most nodes repeat one of a few
   * thousand texts, read once (open addressing; len 0: empty) */
  struct tokmap { uint64_t hash, off; uint32_t len, words, nwords, copy; } *tm;
  size_t tm_cap, tm_n;
  uint64_t *tm_keys;       /* the key words of every entry */
  size_t tm_keys_len, tm_keys_cap;
  tf_buf text;             /* scratch: a name decoded from a document */
  tf_buf tm_bytes;         /* copies of the token maps' bytes (tokmap.copy - 1), up to TOKMAP_BYTES */
  int use_index, index_ok; /* index wanted; index complete for the nodes seen */
  int keep_refs;           /* UV_NODES holds every indexed node by position */
  lua_Integer max_refs;    /* most node references kept (index_nodes) */
  int pool_mode, stop_on_error;
  int filter;              /* only nodes whose combination is affected by the marks */
  int rerun;               /* positions come from the index, read is not called */
  int has_diff;            /* a diff hook (UV_DIFF): old plan, new plan -> what to write again */
  int diffing;             /* this rerun writes, per affected combination, only what changed
                            * from its old plan (UV_OLD, kept by mark) to its new one (UV_DIFFS) */
  int cancelled, finished, stopped, busy;
  lua_Integer pos;         /* nodes taken from the source so far */
  lua_Integer total;       /* -1: unknown */
  lua_Integer chunk_left;  /* nodes still allowed in this chunk */
  lua_Integer chunk_count; /* nodes taken in this chunk */
  lua_Integer nodes, written, skipped, failed, hits, misses, chunks, max_failures, nfailures;
  lua_Integer in_flight;   /* pool mode: writes submitted and not yet reported */
  uint32_t combo;          /* combination of the node being processed */
  double chunk_t0, last_chunk_s;
  tf_chunk_ctl ctl;
  uint64_t *pairs;         /* scratch: (property id << 32 | token id) of one node */
  size_t pairs_cap;
  uint64_t *key;           /* scratch: the key words of one node */
  size_t key_cap;
  uint8_t *marked;         /* marks by token id */
  size_t nmarked;
  uint8_t *affected;       /* per combination: 0 unknown, 1 affected, 2 not */
  size_t naffected;
  tf_lua_cache_ref *plans; /* per combination: the cache entry of its plan (gen 0: not known) */
  size_t nplans;
  /* visible-first (user value UV_VISIBLE: positions ascending, and for a
   * walk `nodes` and the set `set`): the visible nodes are processed first,
   * ahead of the cursor, then the main pass skips them */
  lua_Integer vis_n;       /* visible nodes; 0: no visible-first */
  lua_Integer vis_i;       /* visible nodes taken */
  lua_Integer vis_skip;    /* visible positions the main pass has passed */
  lua_Integer vis_next;    /* array source: the next position to skip (0: none) */
  lua_Integer main_pos;    /* the cursor, while pos names a visible node */
  int in_visible, vis_ended;
  const char *icache_p[ICACHE_SIZE];
  uint32_t icache_id[ICACHE_SIZE];
} job_box;

static job_box *to_job(lua_State *L) { return (job_box *)tf_lua_self(L, 1, TF_JOB); }

static job_box *check_job(lua_State *L) {
  job_box *j = to_job(L);
  if (j->combos == NULL) tf_lua_closed_error(L, "tokenflow.Job");
  return j;
}

/* A callback's status: out of memory is never a node's failure, it
 * propagates (as "not enough memory"); anything else is returned. */
static int checked(lua_State *L, int status) {
  if (status == LUA_ERRMEM) lua_error(L);
  return status;
}

/* ---- failures ---- */

/* Pushes the id of the node at S_NODE: node.id for a table with one, else its position. */
static void push_node_id(lua_State *L, job_box *j) {
  if (j->kind == SRC_DOC) {
    tf_lua_doc_push_id(L, UV_SOURCE + 1, (uint32_t)(j->pos - 1));
    return;
  }
  if (lua_type(L, S_NODE) == LUA_TTABLE) {
    if (lua_getfield(L, S_NODE, "id") != LUA_TNIL) return;
    lua_pop(L, 1);
  }
  lua_pushinteger(L, j->pos);
}

/* Appends {node, property, token, message} to the failures (up to
 * max_failures entries; every failed node is counted). The values are at
 * prop, tok, msg (0: absent). */
static void add_failure(lua_State *L, job_box *j, int prop, int tok, int msg) {
  if (j->nfailures >= j->max_failures) return;
  lua_getiuservalue(L, 1, UV_FAILURES);
  lua_createtable(L, 0, 4);
  push_node_id(L, j);
  lua_setfield(L, -2, "node");
  if (prop) {
    lua_pushvalue(L, prop);
    lua_setfield(L, -2, "property");
  }
  if (tok) {
    lua_pushvalue(L, tok);
    lua_setfield(L, -2, "token");
  }
  if (msg) {
    if (lua_type(L, msg) == LUA_TSTRING) lua_pushvalue(L, msg);
    else luaL_tolstring(L, msg, NULL);
    lua_setfield(L, -2, "message");
  }
  lua_rawseti(L, -2, ++j->nfailures);
  lua_pop(L, 1);
}

/* A node failed: count it, stop when on_error is "stop". */
static void node_failed(job_box *j) {
  j->failed++;
  if (j->stop_on_error) j->stopped = 1;
}

/* Records the failure values of a cached failed combination (the errors
 * list {property, token, message} in the failure box at idx). */
static void record_combo_failure(lua_State *L, job_box *j, int idx) {
  lua_Integer i, n;
  int errs;
  lua_getiuservalue(L, idx, 1);
  errs = lua_gettop(L);
  n = (lua_Integer)lua_rawlen(L, errs);
  for (i = 1; i <= n; i++) {
    int e;
    lua_rawgeti(L, errs, i);
    e = lua_gettop(L);
    lua_getfield(L, e, "property");
    lua_getfield(L, e, "token");
    lua_getfield(L, e, "message");
    add_failure(L, j, e + 1, e + 2, e + 3);
    lua_settop(L, errs);
  }
  lua_settop(L, errs - 1);
  node_failed(j);
}

/* ---- the token map of one node ---- */

/* The id of the Lua string at idx (s, len its bytes), through the address
 * cache. Raises on out of memory. */
static uint32_t intern_at(lua_State *L, job_box *j, int idx, const char *s, size_t len) {
  size_t h = ((size_t)(uintptr_t)s >> 4) & (ICACHE_SIZE - 1);
  uint32_t id;
  if (j->icache_p[h] == s && !(j->icache_id[h] & ICACHE_INNER)) return j->icache_id[h];
  id = tf_intern_add(j->in, s, len);
  if (id == 0 || (id & ICACHE_INNER)) tf_lua_oom(L);
  lua_pushvalue(L, idx);
  lua_rawseti(L, UV_ANCHORS + 1, (lua_Integer)h + 1);
  j->icache_p[h] = s;
  j->icache_id[h] = id;
  return id;
}

static int is_plain_json_name(const char *s, size_t len) {
  size_t i;
  if (len < 2 || s[len - 1] != '"') return 0;
  for (i = 1; i + 1 < len; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch == '"' || ch == '\\' || ch < 32 || ch == 127) return 0;
  }
  return 1;
}

static void sort_pairs(uint64_t *p, size_t n) {
  size_t i, k;
  for (i = 1; i < n; i++) {
    uint64_t v = p[i];
    for (k = i; k > 0 && p[k - 1] > v; k--) p[k] = p[k - 1];
    p[k] = v;
  }
}

/* Decodes one stored value (the pair's key at -2, value at -1): returns the
 * token id, 0 when unset; -1 after recording a failure. */
static long decode_value(lua_State *L, job_box *j) {
  int t = lua_type(L, -1);
  size_t len;
  const char *s;
  uint32_t id;
  if (t != LUA_TSTRING) {
    int top = lua_gettop(L);
    lua_pushfstring(L, "expected a token name (string), got a %s", lua_typename(L, t));
    add_failure(L, j, top - 1, top, top + 1);
    lua_settop(L, top);
    return -1;
  }
  s = lua_tolstring(L, -1, &len);
  if (len > 0 && s[0] == '"') {
    if (is_plain_json_name(s, len)) {
      /* the stored string (quotes included) stands for the name inside */
      size_t h = ((size_t)(uintptr_t)s >> 4) & (ICACHE_SIZE - 1);
      if (len == 2) return 0;
      if (j->icache_p[h] == s && (j->icache_id[h] & ICACHE_INNER)) return (long)(j->icache_id[h] & ~ICACHE_INNER);
      id = tf_intern_add(j->in, s + 1, len - 2);
      if (id == 0 || (id & ICACHE_INNER)) tf_lua_oom(L);
      lua_pushvalue(L, -1);
      lua_rawseti(L, UV_ANCHORS + 1, (lua_Integer)h + 1);
      j->icache_p[h] = s;
      j->icache_id[h] = id | ICACHE_INNER;
      return (long)id;
    } else { /* escapes or invalid JSON: the Lua decoder */
      int top = lua_gettop(L);
      lua_getiuservalue(L, 1, UV_DECODE);
      lua_pushvalue(L, top);
      if (checked(L, lua_pcall(L, 1, 2, 0)) != LUA_OK) {
        add_failure(L, j, top - 1, top, top + 1);
        lua_settop(L, top);
        return -1;
      }
      if (lua_type(L, top + 1) != LUA_TSTRING) {
        if (!lua_isnil(L, top + 2)) {
          add_failure(L, j, top - 1, top, top + 2);
          lua_settop(L, top);
          return -1;
        }
        lua_settop(L, top);
        return 0;
      }
      s = lua_tolstring(L, top + 1, &len);
      id = len ? tf_intern_add(j->in, s, len) : 0;
      lua_settop(L, top);
      if (len && id == 0) tf_lua_oom(L);
      return (long)id;
    }
  }
  if (len == 0) return 0;
  return (long)intern_at(L, j, lua_gettop(L), s, len);
}

/* Builds j->key from the n pairs in j->pairs: the word count. */
static long key_of_pairs(lua_State *L, job_box *j, size_t n) {
  size_t i;
  sort_pairs(j->pairs, n);
  j->key = (uint64_t *)tf_lua_grow(L, &j->mem, j->key, &j->key_cap, 1 + 2 * n, sizeof *j->key);
  j->key[0] = TF_CACHE_KEY_HEADER(2 * n, 1);
  for (i = 0; i < n; i++) {
    j->key[1 + 2 * i] = TF_CACHE_KEY_STRING(j->pairs[i] >> 32);
    j->key[2 + 2 * i] = TF_CACHE_KEY_STRING(j->pairs[i] & 0xffffffffu);
  }
  return (long)(1 + 2 * n);
}

/* A document node's token map, read from the file's bytes: appends the
 * (property, token) pairs of node i's sharedPluginData.tokens to j->pairs
 * and returns how many, or -1 after recording a failure. */
static long doc_pairs(lua_State *L, job_box *j, uint32_t i) {
  tf_doc_box *b = (tf_doc_box *)lua_touserdata(L, UV_SOURCE + 1);
  tf_doc *d = &b->doc;
  const char *text = d->text;
  uint64_t tok = d->nodes[i].tokens;
  long n, k, count = 0;
  int top = lua_gettop(L), bad = 0;
  if (tf_doc_patched(d, i) && tf_doc_name_find(d, "sharedPluginData", 16) != 0) {
    /* written since the file was read: the map as it is now */
    tf_doc_value v, m;
    if (tf_doc_field(d, i, "sharedPluginData", 16, &v) != 0 || tf_doc_member(d, &v, "tokens", 6, 0, &m) != 0) tf_lua_oom(L);
    if (m.kind == TF_DOC_ABSENT) return 0;
    if (m.kind == TF_DOC_EDITED) { /* an edit's text: copied, as decoding may add edits */
      lua_pushlstring(L, m.text + m.off, (size_t)(m.end - m.off));
      text = lua_tostring(L, -1); /* anchored on the stack while the map is read (and ends in a NUL) */
      top = lua_gettop(L);
      tok = 0;
    } else {
      tok = m.off;
    }
  } else if (tok == 0) {
    return 0;
  }
  if (text[tok] != '{') {
    char c = text[tok];
    lua_pushfstring(L, "sharedPluginData.tokens must be an object, got %s",
                    c == '[' ? "an array" : c == '"' ? "a string" : "a scalar");
    add_failure(L, j, 0, 0, top + 1);
    lua_settop(L, top);
    return -1;
  }
  n = tf_doc_members(&j->mem, text, 0, tok, 0, 0, &j->spans, &j->spans_cap, NULL);
  if (n < 0) tf_lua_oom(L);
  for (k = 0; k < n; k++) {
    const tf_doc_span *s = &j->spans[k];
    const char *name;
    size_t len, plen;
    uint32_t pid, id;
    char c = text[s->val];
    j->text.len = 0;
    if (tf_doc_unescape(&j->text, text, s->key, s->key_end) != 0) tf_lua_oom(L);
    plen = j->text.len;
    if (c != '"') {
      lua_pushlstring(L, (const char *)j->text.data, plen);
      lua_pushlstring(L, text + s->val, (size_t)(s->val_end - s->val));
      lua_pushfstring(L, "expected a token name (string), got %s", c == '{' ? "an object" : c == '[' ? "an array" : c == 'n' ? "null" : (c == 't' || c == 'f') ? "a boolean" : "a number");
      add_failure(L, j, top + 1, top + 2, top + 3);
      lua_settop(L, top);
      bad = 1;
      continue;
    }
    if (tf_doc_unescape(&j->text, text, s->val, s->val_end) != 0) tf_lua_oom(L);
    name = (const char *)j->text.data + plen;
    len = j->text.len - plen;
    if (len > 0 && name[0] == '"') {
      if (is_plain_json_name(name, len)) {
        name++;
        len -= 2;
      } else { /* escapes or invalid JSON inside: decoded as a stored value is */
        long got;
        lua_pushlstring(L, (const char *)j->text.data, plen);
        lua_pushlstring(L, name, len);
        got = decode_value(L, j);
        lua_settop(L, top);
        if (got < 0) bad = 1;
        if (got <= 0) continue;
        id = (uint32_t)got;
        goto have_id;
      }
    }
    if (len == 0) continue;
    id = tf_intern_add(j->in, name, len);
  have_id:
    if (id == 0) tf_lua_oom(L);
    pid = tf_intern_add(j->in, (const char *)j->text.data, plen);
    if (pid == 0) tf_lua_oom(L);
    j->pairs = (uint64_t *)tf_lua_grow(L, &j->mem, j->pairs, &j->pairs_cap, (size_t)count + 1, sizeof *j->pairs);
    j->pairs[count++] = ((uint64_t)pid << 32) | id;
  }
  return bad ? -1 : count;
}

/* Most token maps a document holds per distinct text. */
#define TOKMAP_MAX 65536
/* Bytes of token maps kept as copies: a node's map is compared with a copy
 * near at hand, not with the file where the map was first met. */
#define TOKMAP_BYTES (4u << 20)

/* The key of document node i's token map into j->key, as build_key: a map
 * the file holds in the same bytes as an earlier node's gets that node's
 * key without being read again. */
static long doc_key(lua_State *L, job_box *j, uint32_t i) {
  tf_doc_box *b = (tf_doc_box *)lua_touserdata(L, UV_SOURCE + 1);
  const tf_doc *d = &b->doc;
  uint64_t tok = d->nodes[i].tokens, end, h;
  size_t mask, k;
  long got;
  if (tok == 0 || d->text[tok] != '{' || tf_doc_patched(d, i)) {
    got = doc_pairs(L, j, i);
    return got > 0 ? key_of_pairs(L, j, (size_t)got) : got;
  }
  /* the bytes of the node's plugin data, which the reader measured, hold
   * its token map: the same bytes, the same map */
  tok = d->nodes[i].spd;
  end = d->nodes[i].spd_end;
  h = tf_hash_bytes(d->text + tok, (size_t)(end - tok), 0x746f6b);
  if (j->tm_cap > 0) {
    mask = j->tm_cap - 1;
    for (k = (size_t)h & mask; j->tm[k].len != 0; k = (k + 1) & mask) {
      const struct tokmap *e = &j->tm[k];
      if (e->hash == h && e->len == end - tok &&
          memcmp(e->copy ? (const char *)j->tm_bytes.data + e->copy - 1 : d->text + e->off, d->text + tok, e->len) == 0) {
        if (e->nwords == 0) return 0;
        j->key = (uint64_t *)tf_lua_grow(L, &j->mem, j->key, &j->key_cap, e->nwords, sizeof *j->key);
        memcpy(j->key, j->tm_keys + e->words, e->nwords * sizeof *j->key);
        return (long)e->nwords;
      }
    }
  }
  got = doc_pairs(L, j, i);
  if (got > 0) got = key_of_pairs(L, j, (size_t)got);
  if (got < 0 || j->tm_n >= TOKMAP_MAX || end - tok >= UINT32_MAX) return got; /* failures are read each time */
  if ((j->tm_n + 1) * 2 > j->tm_cap) { /* grow to keep the table at most half full */
    size_t cap = j->tm_cap ? j->tm_cap * 2 : 1024, n;
    struct tokmap *t = (struct tokmap *)tf_mem_alloc(&j->mem, tf_mem_mul(cap, sizeof *t));
    if (t == NULL) tf_lua_oom(L);
    memset(t, 0, cap * sizeof *t);
    for (n = 0; n < j->tm_cap; n++) {
      if (j->tm[n].len == 0) continue;
      for (k = (size_t)j->tm[n].hash & (cap - 1); t[k].len != 0; k = (k + 1) & (cap - 1)) {
      }
      t[k] = j->tm[n];
    }
    tf_mem_free(&j->mem, j->tm, j->tm_cap * sizeof *j->tm);
    j->tm = t;
    j->tm_cap = cap;
  }
  j->tm_keys = (uint64_t *)tf_lua_grow(L, &j->mem, j->tm_keys, &j->tm_keys_cap, j->tm_keys_len + (size_t)(got > 0 ? got : 0),
                                sizeof *j->tm_keys);
  mask = j->tm_cap - 1;
  for (k = (size_t)h & mask; j->tm[k].len != 0; k = (k + 1) & mask) {
  }
  j->tm[k].hash = h;
  j->tm[k].off = tok;
  j->tm[k].copy = 0;
  if (j->tm_bytes.len + (end - tok) <= TOKMAP_BYTES && tf_buf_put(&j->tm_bytes, d->text + tok, (size_t)(end - tok)) == 0)
    j->tm[k].copy = (uint32_t)(j->tm_bytes.len - (end - tok)) + 1;
  j->tm[k].len = (uint32_t)(end - tok);
  j->tm[k].words = (uint32_t)j->tm_keys_len;
  j->tm[k].nwords = (uint32_t)(got > 0 ? got : 0);
  if (got > 0) {
    memcpy(j->tm_keys + j->tm_keys_len, j->key, (size_t)got * sizeof *j->key);
    j->tm_keys_len += (size_t)got;
  }
  j->tm_n++;
  return got;
}

/* Builds the key of the token map at idx into j->key. Returns the word
 * count, 0 for a map without tokens, -1 when a value could not be read
 * (failures recorded). */
static long build_key(lua_State *L, job_box *j, int idx) {
  size_t n = 0;
  int bad = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    if (lua_type(L, -2) == LUA_TSTRING) {
      long tok = decode_value(L, j);
      if (tok < 0) {
        bad = 1;
      } else if (tok > 0) {
        size_t plen;
        const char *p = lua_tolstring(L, -2, &plen);
        uint32_t pid = intern_at(L, j, lua_gettop(L) - 1, p, plen);
        j->pairs = (uint64_t *)tf_lua_grow(L, &j->mem, j->pairs, &j->pairs_cap, n + 1, sizeof *j->pairs);
        j->pairs[n++] = ((uint64_t)pid << 32) | (uint64_t)(uint32_t)tok;
      }
    }
    lua_pop(L, 1);
  }
  if (bad) return -1;
  if (n == 0) return 0;
  return key_of_pairs(L, j, n);
}

/* Pushes the decoded token map {property = token name} of key words w. */
static void push_map(lua_State *L, job_box *j, const uint64_t *w, size_t nwords) {
  size_t i;
  lua_createtable(L, 0, (int)((nwords - 1) / 2));
  for (i = 1; i + 1 < nwords; i += 2) {
    size_t len;
    const char *s = tf_intern_name(j->in, (uint32_t)(w[i] >> 2), &len);
    if (s == NULL) tf_lua_closed_error(L, TF_INTERNER);
    lua_pushlstring(L, s, len);
    s = tf_intern_name(j->in, (uint32_t)(w[i + 1] >> 2), &len);
    if (s == NULL) tf_lua_closed_error(L, TF_INTERNER);
    lua_pushlstring(L, s, len);
    lua_rawset(L, -3);
  }
}

/* ---- combinations ---- */

/* The combination number of key w, adding it (with its tags from the deps
 * hook) when new. The decoded map is left in S_MAP when it was built. */
static uint32_t combo_of(lua_State *L, job_box *j, const uint64_t *w, size_t nwords) {
  uint32_t n = tf_combos_find(j->combos, w, nwords), *tags;
  lua_Integer i, count;
  int top;
  if (n != 0) return n;
  push_map(L, j, w, nwords);
  lua_replace(L, S_MAP);
  top = lua_gettop(L);
  lua_getiuservalue(L, 1, UV_DEPS);
  lua_pushvalue(L, S_MAP);
  lua_call(L, 1, 1); /* token names the combination depends on */
  if (!lua_istable(L, -1)) luaL_error(L, "tokenflow.update: dependency hook returned a %s", luaL_typename(L, -1));
  count = (lua_Integer)lua_rawlen(L, -1);
  tags = (uint32_t *)lua_newuserdatauv(L, (size_t)(count + 1) * sizeof *tags, 0);
  for (i = 1; i <= count; i++) {
    size_t len;
    const char *s;
    lua_rawgeti(L, top + 1, i);
    s = lua_tolstring(L, -1, &len);
    if (s == NULL) luaL_error(L, "tokenflow.update: dependency hook returned a non-string name");
    tags[i - 1] = tf_intern_add(j->in, s, len);
    if (tags[i - 1] == 0) tf_lua_oom(L);
    lua_pop(L, 1);
  }
  /* the key words may have moved with the scratch buffer: they did not,
   * nothing above touches j->key */
  n = tf_combos_add(j->combos, w, nwords, tags, (size_t)count);
  if (n == 0) tf_lua_oom(L);
  lua_settop(L, top);
  return n;
}

/* 1 when combination n depends on a marked token. */
static int is_affected(lua_State *L, job_box *j, uint32_t n) {
  if (n >= j->naffected) {
    size_t old = j->naffected, cap = j->naffected;
    j->affected = (uint8_t *)tf_lua_grow(L, &j->mem, j->affected, &cap, (size_t)n + 1, 1);
    memset(j->affected + old, 0, cap - old);
    j->naffected = cap;
  }
  if (j->affected[n] == 0) j->affected[n] = tf_combos_depends(j->combos, n, j->marked, j->nmarked) ? 1 : 2;
  return j->affected[n] == 1;
}

/* Pushes the plan of key w (combination j->combo): from the cache, else
 * from the mapper (then stored). A failed combination is a failure box. */
static void push_plan(lua_State *L, job_box *j, const uint64_t *w, size_t nwords) {
  int top = lua_gettop(L), plan;
  size_t ntags;
  const uint32_t *tags;
  tf_lua_cache_ref *ref = NULL;
  if (j->combo != 0) {
    /* the combination table found the key: its plan's entry, remembered,
     * needs no second lookup by key while it stays in the cache */
    if (j->combo >= j->nplans) {
      size_t old = j->nplans, cap = j->nplans;
      j->plans = (tf_lua_cache_ref *)tf_lua_grow(L, &j->mem, j->plans, &cap, (size_t)j->combo + 1, sizeof *j->plans);
      memset(j->plans + old, 0, (cap - old) * sizeof *j->plans);
      j->nplans = cap;
    }
    ref = &j->plans[j->combo];
    if (tf_lua_cache_getref(L, UV_CACHE + 1, ref)) {
      j->hits++;
      return;
    }
  }
  if (tf_lua_cache_getw(L, UV_CACHE + 1, w, nwords, ref)) {
    j->hits++;
    return;
  }
  j->misses++;
  if (lua_isnil(L, S_MAP)) {
    push_map(L, j, w, nwords);
    lua_replace(L, S_MAP);
  }
  lua_getiuservalue(L, 1, UV_MAP);
  lua_pushvalue(L, S_MAP);
  if (checked(L, lua_pcall(L, 1, 2, 0)) != LUA_OK) {
    /* a raising mapper: the combination fails with its message */
    lua_createtable(L, 1, 0); /* top + 2 */
    lua_createtable(L, 0, 1);
    lua_pushvalue(L, top + 1);
    lua_setfield(L, -2, "message");
    lua_rawseti(L, -2, 1);
    lua_pushnil(L);
    lua_replace(L, top + 1);
  }
  if (lua_isnil(L, top + 1) || (lua_type(L, top + 1) == LUA_TBOOLEAN && !lua_toboolean(L, top + 1))) {
    lua_newuserdatauv(L, 0, 1);
    luaL_setmetatable(L, TF_JOB_FAILURE);
    if (!lua_istable(L, top + 2)) {
      lua_createtable(L, 1, 0);
      lua_createtable(L, 0, 1);
      if (lua_isnil(L, top + 2)) lua_pushliteral(L, "the mapper returned nil");
      else lua_pushvalue(L, top + 2);
      lua_setfield(L, -2, "message");
      lua_rawseti(L, -2, 1);
    } else {
      lua_pushvalue(L, top + 2);
    }
    lua_setiuservalue(L, -2, 1);
    lua_replace(L, top + 1);
  }
  lua_settop(L, top + 1);
  plan = top + 1;
  if (j->combo == 0) j->combo = combo_of(L, j, w, nwords);
  tags = tf_combos_tags(j->combos, j->combo, &ntags);
  /* found again: the mapper ran Lua code */
  ref = j->combo < j->nplans ? &j->plans[j->combo] : NULL;
  tf_lua_cache_setw(L, UV_CACHE + 1, w, nwords, plan, tags, ntags, ref);
}

/* Diffing rerun: pushes what to write on the nodes of affected combination
 * n (key w): the diff hook's answer for its old plan (kept by mark) and its
 * new one, computed once per combination and kept in UV_DIFFS. Returns 0
 * (nothing pushed) when nothing changed for its nodes. */
static int push_diff(lua_State *L, job_box *j, uint32_t n, const uint64_t *w, size_t nwords) {
  int t = lua_rawgeti(L, UV_DIFFS + 1, (lua_Integer)n), plan;
  if (t == LUA_TNIL) {
    lua_pop(L, 1);
    j->combo = n;
    push_plan(L, j, w, nwords);
    plan = lua_gettop(L);
    if (lua_istable(L, plan) && lua_rawgeti(L, UV_OLD + 1, (lua_Integer)n) == LUA_TTABLE) {
      lua_pushvalue(L, UV_DIFF + 1);
      lua_insert(L, -2);
      lua_pushvalue(L, plan);
      lua_call(L, 2, 1);
      if (!lua_istable(L, -1)) luaL_error(L, "tokenflow.update: the diff hook returned a %s, expected a plan", luaL_typename(L, -1));
      lua_replace(L, plan);
    }
    lua_settop(L, plan);
    if (lua_istable(L, plan) && lua_rawlen(L, plan) == 0) {
      lua_pushboolean(L, 0);
      lua_replace(L, plan);
    }
    lua_pushvalue(L, plan);
    lua_rawseti(L, UV_DIFFS + 1, (lua_Integer)n);
  } else if (t == LUA_TBOOLEAN) {
    lua_pop(L, 1);
    return 0;
  }
  if (lua_type(L, -1) == LUA_TBOOLEAN) {
    lua_pop(L, 1);
    return 0;
  }
  return 1;
}

/* ---- writes ---- */

/* What write returned (status of the pcall, results at base + 1...). */
static void after_write(lua_State *L, job_box *j, int status, int base) {
  if (status != LUA_OK && status != LUA_YIELD) {
    add_failure(L, j, 0, 0, base + 1);
    node_failed(j);
  } else if ((lua_isnil(L, base + 1) && !lua_isnil(L, base + 2)) ||
             (lua_type(L, base + 1) == LUA_TBOOLEAN && !lua_toboolean(L, base + 1))) {
    /* nil, message (or false): the write refused the node */
    if (lua_isnil(L, base + 2)) lua_pushliteral(L, "write returned false");
    else lua_pushvalue(L, base + 2);
    add_failure(L, j, 0, 0, lua_gettop(L));
    node_failed(j);
  } else if (lua_type(L, base + 1) == LUA_TNUMBER && lua_tonumber(L, base + 1) == 0 && lua_type(L, base + 2) == LUA_TSTRING) {
    j->skipped++; /* 0, reason: the writer skipped the node (e.g. its type) */
  } else {
    j->written++;
  }
  lua_settop(L, S_TOP);
}

static int loop(lua_State *L, job_box *j);

static int write_k(lua_State *L, int status, lua_KContext ctx) {
  job_box *j = (job_box *)lua_touserdata(L, 1);
  (void)ctx;
  if (j->combos == NULL) return 0; /* closed while the write was suspended */
  after_write(L, j, checked(L, status), S_TOP);
  return loop(L, j);
}

static int submit_k(lua_State *L, int status, lua_KContext ctx) {
  job_box *j = (job_box *)lua_touserdata(L, 1);
  (void)status;
  (void)ctx;
  if (j->combos == NULL) return 0;
  lua_settop(L, S_TOP);
  return loop(L, j);
}

/* Writes the node at S_NODE with the plan at S_PLAN. Returns only when the
 * write did not yield. */
static void do_write(lua_State *L, job_box *j) {
  if (j->kind == SRC_DOC) { /* a document's writes never wait: one call, patches all or none */
    int hit, status = tf_lua_doc_write(L, UV_SOURCE + 1, (uint32_t)(j->pos - 1), UV_WRITE + 1, S_PLAN, j->doc_memo, &hit);
    if (status == LUA_ERRMEM) lua_pop(L, 1); /* the nil after the error: the error is raised */
    after_write(L, j, checked(L, status), S_TOP);
    return;
  }
  if (j->pool_mode) {
    lua_getiuservalue(L, 1, UV_SUBMIT);
    lua_pushvalue(L, S_NODE);
    lua_pushvalue(L, S_PLAN);
    lua_pushinteger(L, j->pos);
    j->in_flight++;
    lua_callk(L, 3, 0, CTX_SUBMIT, submit_k);
    lua_settop(L, S_TOP);
    return;
  }
  lua_pushvalue(L, UV_WRITE + 1);
  lua_pushvalue(L, S_NODE);
  lua_pushvalue(L, S_PLAN);
  after_write(L, j, checked(L, lua_pcallk(L, 2, 2, 0, CTX_WRITE, write_k)), S_TOP);
}

/* ---- one node ---- */

/* Drops the node references (the box at index box): positions only from
 * now on. */
static void drop_refs(lua_State *L, job_box *j, int box, int in_chunk) {
  j->keep_refs = 0;
  lua_pushnil(L);
  lua_setiuservalue(L, box, UV_NODES);
  if (in_chunk) {
    lua_pushnil(L);
    lua_replace(L, UV_NODES + 1);
  }
}

/* (Re)starts the node references for a pass that reads the source: when
 * the index is on, the source is not an array (an array already gives its
 * nodes by position) and the nodes fit in the limit, as far as known. */
static void start_refs(lua_State *L, job_box *j, int box) {
  if (j->use_index && j->kind != SRC_ARRAY && j->kind != SRC_DOC && j->max_refs > 0 && j->total <= j->max_refs) {
    lua_createtable(L, j->total > 0 ? (int)j->total : 0, 0);
    lua_setiuservalue(L, box, UV_NODES);
    j->keep_refs = 1;
  } else {
    drop_refs(L, j, box, 0);
  }
}

/* Keeps the node at S_NODE under its position, or drops every reference
 * once there are more nodes than the limit. */
static void keep_ref(lua_State *L, job_box *j) {
  if (j->pos > j->max_refs) {
    drop_refs(L, j, 1, 1);
    return;
  }
  lua_pushvalue(L, S_NODE);
  lua_rawseti(L, UV_NODES + 1, j->pos);
}

/* Processes the node at S_NODE (position j->pos). Returns when done with it. */
static void process(lua_State *L, job_box *j) {
  const uint64_t *w;
  size_t nwords;
  uint32_t n;
  lua_settop(L, S_TOP);
  lua_pushnil(L);
  lua_replace(L, S_MAP);
  /* a callback may have closed the cache's interner, or the document */
  if (j->names->in == NULL) tf_lua_closed_error(L, TF_INTERNER);
  if (j->kind == SRC_DOC && !((tf_doc_box *)lua_touserdata(L, UV_SOURCE + 1))->open)
    tf_lua_closed_error(L, "tokenflow.Document");
  j->nodes++;
  if (j->rerun) {
    n = tf_combos_index_get(j->combos, (uint64_t)j->pos);
    if (n == 0 || (j->filter && !is_affected(L, j, n))) {
      j->skipped++;
      return;
    }
    w = tf_combos_key(j->combos, n, &nwords);
    if (j->diffing) {
      if (push_diff(L, j, n, w, nwords) == 0) {
        j->skipped++; /* the node already holds what the new plan writes */
        return;
      }
      goto have_plan;
    }
  } else {
    long got;
    int map;
    if (j->kind == SRC_DOC && j->default_read) { /* the token map, from the file's bytes */
      got = doc_key(L, j, (uint32_t)(j->pos - 1));
      lua_settop(L, S_TOP);
      goto have_key;
    }
    if (j->kind == SRC_DOC) { /* a read function: it gets the node's handle */
      tf_lua_doc_push_node(L, UV_SOURCE + 1, (uint32_t)(j->pos - 1));
      lua_replace(L, S_NODE);
    }
    if (j->default_read) { /* node.tokens, without a Lua call */
      if (lua_type(L, S_NODE) == LUA_TTABLE) {
        lua_pushvalue(L, S_TOKENS);
        lua_gettable(L, S_NODE);
      } else {
        lua_pushnil(L);
      }
      lua_pushnil(L);
    } else {
      lua_pushvalue(L, UV_READ + 1);
      lua_pushvalue(L, S_NODE);
      if (checked(L, lua_pcall(L, 1, 2, 0)) != LUA_OK) {
        add_failure(L, j, 0, 0, S_TOP + 1);
        node_failed(j);
        lua_settop(L, S_TOP);
        return;
      }
    }
    map = S_TOP + 1;
    if (lua_isnil(L, map)) {
      if (!lua_isnil(L, map + 1)) {
        add_failure(L, j, 0, 0, map + 1);
        node_failed(j);
      } else {
        j->skipped++;
      }
      lua_settop(L, S_TOP);
      return;
    }
    if (!lua_istable(L, map)) {
      lua_pushfstring(L, "read returned a %s, expected a table of property -> token name", luaL_typename(L, map));
      add_failure(L, j, 0, 0, lua_gettop(L));
      node_failed(j);
      lua_settop(L, S_TOP);
      return;
    }
    got = build_key(L, j, map);
    lua_settop(L, S_TOP);
  have_key:
    if (got <= 0) {
      if (got < 0) node_failed(j);
      else j->skipped++;
      return;
    }
    w = j->key;
    nwords = (size_t)got;
    if (!j->use_index && !j->filter) {
      /* the combination number only matters on a miss (for its tags) */
      j->combo = 0;
      push_plan(L, j, w, nwords);
      goto have_plan;
    }
    n = combo_of(L, j, w, nwords);
    if (j->use_index && !tf_combos_index_set(j->combos, (uint64_t)j->pos, n, j->total > 0 ? (uint64_t)j->total : 0))
      tf_lua_oom(L);
    if (j->keep_refs) keep_ref(L, j);
    if (j->filter && !is_affected(L, j, n)) {
      j->skipped++;
      return;
    }
  }
  j->combo = n;
  push_plan(L, j, w, nwords);
have_plan:
  lua_replace(L, S_PLAN);
  if (lua_type(L, S_PLAN) == LUA_TUSERDATA && luaL_testudata(L, S_PLAN, TF_JOB_FAILURE)) {
    record_combo_failure(L, j, S_PLAN);
    return;
  }
  if (j->cancelled) return; /* the mapper may have cancelled */
  do_write(L, j);
}

/* ---- the source ---- */

/* Visible-first: back to the cursor after a visible node (see take_visible). */
static void leave_visible(job_box *j) {
  j->pos = j->main_pos;
  j->in_visible = 0;
}


static int source_k(lua_State *L, int status, lua_KContext ctx);

/* The source's next node into S_NODE: 1, or 0 when it is exhausted. Only
 * returns for a function source when it did not yield. */
static int next_node(lua_State *L, job_box *j) {
  switch (j->kind) {
    case SRC_ARRAY:
      if (j->pos >= j->total) return 0;
      if (j->raw) lua_rawgeti(L, UV_SOURCE + 1, j->pos + 1);
      else lua_geti(L, UV_SOURCE + 1, j->pos + 1);
      break;
    case SRC_WALK:
      if (tf_lua_walk_take(L, UV_SOURCE + 1, 0, 1) == 0) return 0;
      break;
    case SRC_DOC: /* by position: a handle is made only when Lua needs one */
      if (j->pos >= j->total) return 0;
      lua_pushboolean(L, 1);
      break;
    default:
      lua_pushvalue(L, UV_SOURCE + 1);
      lua_callk(L, 0, 1, CTX_SOURCE, source_k);
      break;
  }
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return 0;
  }
  lua_replace(L, S_NODE);
  return 1;
}

/* The chunk is over (or the job stopped): returns the status. */
static int end_chunk(lua_State *L, job_box *j) {
  int st;
  double dt = tf_clock_now() - j->chunk_t0;
  if (j->in_visible) leave_visible(j);
  j->busy = 0;
  if (j->chunk_count > 0) j->chunks++;
  j->last_chunk_s = dt;
  if (j->chunk_count > 0) tf_chunk_observe(&j->ctl, (size_t)j->chunk_count, dt);
  lua_settop(L, S_TOP);
  lua_pushnil(L);
  lua_replace(L, S_NODE);
  lua_pushnil(L);
  lua_replace(L, S_PLAN);
  lua_pushnil(L);
  lua_replace(L, S_MAP);
  if (j->cancelled) st = ST_CANCELLED;
  else if (j->stopped) st = ST_STOPPED;
  else if (j->finished) st = ST_DONE;
  else st = ST_MORE;
  lua_pushstring(L, status_names[st]);
  return 1;
}

/* ---- visible-first ---- */

/* Array source: the next visible position the main pass must skip. */
static void next_visible_skip(lua_State *L, job_box *j) {
  j->vis_skip++;
  j->vis_next = 0;
  if (j->vis_skip < j->vis_n) {
    lua_rawgeti(L, UV_VISIBLE + 1, j->vis_skip + 1);
    j->vis_next = lua_tointeger(L, -1);
    lua_pop(L, 1);
  }
}

/* Walk source: 1 when the node just taken (in S_NODE) is a visible one. */
static int is_visible_node(lua_State *L) {
  int hit;
  lua_getfield(L, UV_VISIBLE + 1, "set");
  lua_pushvalue(L, S_NODE);
  hit = lua_rawget(L, -2) != LUA_TNIL;
  lua_pop(L, 2);
  return hit;
}

/* Takes the next visible node and processes it under its own position. */
static void take_visible(lua_State *L, job_box *j) {
  lua_Integer i = ++j->vis_i, p;
  lua_rawgeti(L, UV_VISIBLE + 1, i);
  p = lua_tointeger(L, -1);
  lua_pop(L, 1);
  if (j->kind == SRC_DOC) {
    lua_pushboolean(L, 1);
  } else if (j->kind == SRC_ARRAY) {
    if (j->raw) lua_rawgeti(L, UV_SOURCE + 1, p);
    else lua_geti(L, UV_SOURCE + 1, p);
  } else {
    lua_getfield(L, UV_VISIBLE + 1, "nodes");
    lua_rawgeti(L, -1, i);
    lua_remove(L, -2);
  }
  lua_replace(L, S_NODE);
  j->main_pos = j->pos;
  j->pos = p;
  j->in_visible = 1;
  j->chunk_count++;
  j->chunk_left--;
  process(L, j);
}

/* Takes one node (1) or finds the source exhausted (0), then processes it. */
static int take_and_process(lua_State *L, job_box *j) {
  int positional = j->kind == SRC_ARRAY || j->kind == SRC_DOC;
  int by_position = j->rerun && (positional || j->keep_refs);
  if (by_position) {
    /* positions with a combination, straight from the index */
    lua_Integer last = (lua_Integer)tf_combos_index_len(j->combos);
    while (j->pos < last) {
      uint32_t n = tf_combos_index_get(j->combos, (uint64_t)j->pos + 1);
      if (n != 0 && (!j->filter || is_affected(L, j, n))) break;
      j->pos++;
      j->nodes++;
      j->skipped++;
    }
    if (j->pos >= last) {
      j->skipped += (j->total > last ? j->total - last : 0);
      j->nodes += (j->total > last ? j->total - last : 0);
      j->pos = j->total > last ? j->total : last;
      return 0;
    }
  }
  if (j->vis_n > 0 && positional) {
    while (j->vis_next != 0 && j->vis_next == j->pos + 1) {
      j->pos++; /* written in the visible part */
      next_visible_skip(L, j);
    }
  }
  if (by_position && !positional) {
    lua_rawgeti(L, UV_NODES + 1, j->pos + 1); /* a kept reference */
    lua_replace(L, S_NODE);
  } else if (!next_node(L, j)) {
    return 0;
  }
  if (j->vis_n > 0 && j->kind == SRC_WALK) {
    while (j->vis_skip < j->vis_n && is_visible_node(L)) {
      j->pos++;
      j->vis_skip++;
      if (!next_node(L, j)) return 0;
    }
  }
  j->pos++;
  j->chunk_count++;
  j->chunk_left--;
  process(L, j);
  return 1;
}

static int source_k(lua_State *L, int status, lua_KContext ctx) {
  job_box *j = (job_box *)lua_touserdata(L, 1);
  (void)status;
  (void)ctx;
  if (j->combos == NULL) return 0;
  if (lua_isnil(L, -1)) {
    j->finished = 1;
    return end_chunk(L, j);
  }
  lua_replace(L, S_NODE);
  j->pos++;
  j->chunk_count++;
  j->chunk_left--;
  process(L, j);
  return loop(L, j);
}

/* 1 when an adaptive chunk has used up its time budget. The clock is read
 * after every node (a few tens of nanoseconds against microseconds a node),
 * so a chunk that meets cache misses (the mapper runs) or slower nodes ends
 * on time instead of at the size planned from earlier chunks. */
static int over_budget(const job_box *j) {
  return j->ctl.budget_s > 0 && j->chunk_count > 0 && tf_clock_now() - j->chunk_t0 >= j->ctl.budget_s;
}

static int loop(lua_State *L, job_box *j) {
  while (j->chunk_left > 0 && !j->cancelled && !j->stopped && !over_budget(j)) {
    if (j->in_visible) leave_visible(j); /* also after a write that yielded */
    if (j->vis_i < j->vis_n) {
      take_visible(L, j);
      continue;
    }
    if (j->vis_n > 0 && !j->vis_ended) {
      /* the visible part is written: end the chunk, the host can repaint */
      j->vis_ended = 1;
      if (j->chunk_count > 0) break;
    }
    if (!take_and_process(L, j)) {
      j->finished = 1;
      break;
    }
  }
  if (j->in_visible) leave_visible(j);
  if ((j->kind == SRC_ARRAY || j->kind == SRC_DOC) && j->pos >= j->total) j->finished = 1; /* no empty chunk at the end */
  return end_chunk(L, j);
}

/* Pushes the user values into their fixed slots 2..UV_NUV+1 and clears the node slots. */
static void setup_stack(lua_State *L) {
  int i;
  lua_settop(L, 1);
  for (i = 1; i <= UV_NUV; i++) lua_getiuservalue(L, 1, i);
  lua_settop(L, S_TOP);
  lua_pushliteral(L, "tokens"); /* the default read's key, made once per chunk */
  lua_replace(L, S_TOKENS);
}

/** core:chunk() -> "more" | "done" | "stopped" | "cancelled": processes
 * up to one chunk of nodes. */
static int l_chunk(lua_State *L) {
  job_box *j = check_job(L);
  if (j->busy) luaL_error(L, "tokenflow.Job: the job is already running (a write or the source is suspended)");
  setup_stack(L);
  if (j->cancelled || j->finished) {
    j->chunk_t0 = tf_clock_now();
    j->chunk_count = 0;
    j->chunk_left = 0;
    j->busy = 1;
    return end_chunk(L, j);
  }
  if (tf_lua_cache_core(L, UV_CACHE + 1, &j->names) == NULL) luaL_error(L, "tokenflow.Job: no cache");
  j->in = j->names->in;
  j->stopped = 0;
  j->busy = 1;
  j->chunk_t0 = tf_clock_now();
  j->chunk_count = 0;
  j->chunk_left = (lua_Integer)j->ctl.size;
  return loop(L, j);
}

/** core:cancel(): no write starts after it returns. */
static int l_cancel(lua_State *L) {
  job_box *j = to_job(L);
  j->cancelled = 1;
  return 0;
}

/** core:stats() -> counters of the current pass. */
static int l_stats(lua_State *L) {
  job_box *j = to_job(L);
  lua_createtable(L, 0, 20);
  /* visible nodes written ahead of the cursor count as done */
  tf_lua_setint(L, "pos", (j->in_visible ? j->main_pos : j->pos) + j->vis_i - j->vis_skip);
  tf_lua_setint(L, "visible", j->vis_n);
  tf_lua_setint(L, "visible_done", j->vis_i);
  lua_pushboolean(L, j->vis_ended);
  lua_setfield(L, -2, "visible_ended");
  tf_lua_setint(L, "nodes", j->nodes);
  tf_lua_setint(L, "written", j->written);
  tf_lua_setint(L, "skipped", j->skipped);
  tf_lua_setint(L, "failed", j->failed);
  tf_lua_setint(L, "hits", j->hits);
  tf_lua_setint(L, "misses", j->misses);
  tf_lua_setint(L, "chunks", j->chunks);
  tf_lua_setint(L, "chunk_count", j->chunk_count);
  tf_lua_setint(L, "in_flight", j->in_flight);
  tf_lua_setint(L, "chunk_size", (lua_Integer)j->ctl.size);
  tf_lua_setint(L, "failures_kept", j->nfailures);
  if (j->total >= 0) tf_lua_setint(L, "total", j->total);
  if (j->combos) {
    tf_lua_setint(L, "combinations", (lua_Integer)tf_combos_count(j->combos));
    tf_lua_setint(L, "index_width", (lua_Integer)(j->use_index ? tf_combos_index_width(j->combos) : 0));
    tf_lua_setint(L, "engine_bytes", (lua_Integer)(tf_combos_held_bytes(j->combos) + j->mem.bytes));
  }
  lua_pushnumber(L, j->last_chunk_s);
  lua_setfield(L, -2, "last_chunk_s");
  lua_pushboolean(L, j->finished);
  lua_setfield(L, -2, "finished");
  lua_pushboolean(L, j->cancelled);
  lua_setfield(L, -2, "cancelled");
  lua_pushboolean(L, j->stopped);
  lua_setfield(L, -2, "stopped");
  lua_pushboolean(L, j->use_index && j->index_ok);
  lua_setfield(L, -2, "indexed");
  lua_pushboolean(L, j->keep_refs);
  lua_setfield(L, -2, "node_refs");
  return 1;
}

/** core:record(node, pos, ok, result, message): the outcome of a write
 * that ran as a pool task (ok false: it raised `result`). */
static int l_record(lua_State *L) {
  job_box *j = check_job(L);
  lua_Integer pos = luaL_checkinteger(L, 3), saved = j->pos;
  int ok = lua_toboolean(L, 4), i;
  lua_settop(L, 6);
  for (i = 7; i <= S_TOP; i++) lua_pushnil(L);
  lua_pushvalue(L, 2);
  lua_replace(L, S_NODE);
  lua_pushvalue(L, 5);
  if (ok) lua_pushvalue(L, 6);
  j->pos = pos; /* the node's position names it in a failure */
  after_write(L, j, ok ? LUA_OK : LUA_ERRRUN, S_TOP);
  j->pos = saved;
  if (j->in_flight > 0) j->in_flight--;
  return 0;
}

/** core:abort(): after an error raised out of chunk(), the job is stopped
 * and can run again. */
static int l_abort(lua_State *L) {
  job_box *j = to_job(L);
  j->busy = 0;
  j->stopped = 1;
  return 0;
}

/* Keeps the cached plan of every combination that depends on a marked
 * token (before the caller invalidates them) in a new UV_OLD table, and
 * starts an empty UV_DIFFS. */
static void keep_old_plans(lua_State *L, job_box *j) {
  uint32_t n, count = tf_combos_count(j->combos);
  int old, cache;
  lua_settop(L, 3);
  lua_getiuservalue(L, 1, UV_CACHE);
  cache = lua_gettop(L);
  lua_createtable(L, 0, 0);
  old = lua_gettop(L);
  for (n = 1; n <= count; n++) {
    size_t nwords;
    const uint64_t *w;
    if (!tf_combos_depends(j->combos, n, j->marked, j->nmarked)) continue;
    w = tf_combos_key(j->combos, n, &nwords);
    if (tf_lua_cache_getw(L, cache, w, nwords, NULL)) {
      if (lua_istable(L, -1)) lua_rawseti(L, old, (lua_Integer)n);
      else lua_pop(L, 1);
    }
  }
  lua_setiuservalue(L, 1, UV_OLD);
  lua_createtable(L, 0, 0);
  lua_setiuservalue(L, 1, UV_DIFFS);
  lua_settop(L, 3);
}

static void drop_old_plans(lua_State *L) {
  lua_pushnil(L);
  lua_setiuservalue(L, 1, UV_OLD);
  lua_pushnil(L);
  lua_setiuservalue(L, 1, UV_DIFFS);
}

/** core:mark(names[, keep]) marks the changed tokens (names) and from then on
 * processes only nodes whose combination depends on one; core:mark(nil)
 * processes every node. With keep (and a diff hook), the cached plans of
 * the affected combinations are kept first, so an indexed rerun writes only
 * what changed (call it before invalidating the cache). */
static int l_mark(lua_State *L) {
  job_box *j = check_job(L);
  lua_Integer i, n;
  int keep = lua_toboolean(L, 3);
  drop_old_plans(L);
  if (lua_isnoneornil(L, 2)) {
    j->filter = 0;
    return 0;
  }
  luaL_checktype(L, 2, LUA_TTABLE);
  if (j->names->in == NULL) tf_lua_closed_error(L, TF_INTERNER);
  j->in = j->names->in;
  if (j->marked) memset(j->marked, 0, j->nmarked);
  n = (lua_Integer)lua_rawlen(L, 2);
  for (i = 1; i <= n; i++) {
    size_t len;
    const char *s;
    uint32_t id;
    lua_rawgeti(L, 2, i);
    s = lua_tolstring(L, -1, &len);
    if (s == NULL) luaL_argerror(L, 2, "token names must be strings");
    id = tf_intern_add(j->in, s, len);
    if (id == 0) tf_lua_oom(L);
    lua_pop(L, 1);
    if ((size_t)id >= j->nmarked) {
      size_t cap = j->nmarked;
      j->marked = (uint8_t *)tf_lua_grow(L, &j->mem, j->marked, &cap, (size_t)id + 1, 1);
      memset(j->marked + j->nmarked, 0, cap - j->nmarked);
      j->nmarked = cap;
    }
    j->marked[id] = 1;
  }
  if (j->affected) memset(j->affected, 0, j->naffected);
  j->filter = 1;
  if (keep && j->has_diff) keep_old_plans(L, j);
  return 0;
}

/** core:failures() -> the failures recorded in this pass (the job's own table). */
static int l_failures(lua_State *L) {
  check_job(L);
  lua_getiuservalue(L, 1, UV_FAILURES);
  return 1;
}

/** core:rerun([source]) -> true when the index serves the rerun (read is
 * not called), false when nodes are read again. Resets the pass counters
 * and the cursor; source (optional) replaces the source. */
static int l_rerun(lua_State *L) {
  job_box *j = check_job(L);
  int new_source = !lua_isnoneornil(L, 2);
  if (j->busy) luaL_error(L, "tokenflow.Job: the job is running");
  if (new_source) {
    /* the loop reads the source by the kind it was made with */
    int same = j->kind == SRC_ARRAY ? lua_istable(L, 2) : j->kind == SRC_FUNCTION ? lua_isfunction(L, 2)
             : j->kind == SRC_WALK ? tf_lua_iswalk(L, 2) : 0;
    luaL_argcheck(L, same, 2, "source must be of the job's kind of source (array, iterator function or tf.walk; "
                              "a document's nodes cannot be replaced)");
    lua_pushvalue(L, 2);
    lua_setiuservalue(L, 1, UV_SOURCE);
  }
  j->rerun = j->use_index && j->index_ok && j->finished && !j->cancelled;
  if (!j->rerun) {
    tf_combos_index_clear(j->combos);
    start_refs(L, j, 1);
  }
  /* without kept references, the job's own walk goes over the tree again */
  if ((!j->rerun || !j->keep_refs) && j->kind == SRC_WALK && !new_source) {
    lua_getiuservalue(L, 1, UV_SOURCE);
    tf_lua_walk_rewind(L, -1);
    lua_pop(L, 1);
  }
  j->diffing = 0;
  if (j->rerun && j->filter && j->has_diff) {
    j->diffing = lua_getiuservalue(L, 1, UV_OLD) == LUA_TTABLE;
    lua_pop(L, 1);
  }
  if (!j->diffing) drop_old_plans(L);
  j->pos = 0;
  j->vis_n = j->vis_i = j->vis_skip = j->vis_next = 0; /* reruns go in document order */
  j->nodes = j->written = j->skipped = j->failed = j->hits = j->misses = 0;
  j->finished = j->stopped = j->cancelled = 0;
  j->in_flight = 0;
  j->nfailures = 0;
  lua_createtable(L, 0, 0);
  lua_setiuservalue(L, 1, UV_FAILURES);
  lua_pushboolean(L, j->rerun);
  return 1;
}

static int l_tostring(lua_State *L) {
  job_box *j = to_job(L);
  lua_pushfstring(L, TF_JOB " (%I nodes, %I written, %I failed%s)", j->nodes, j->written, j->failed,
                  j->combos == NULL ? ", closed" : "");
  return 1;
}

static int l_close(lua_State *L) {
  job_box *j = to_job(L);
  int i;
  if (j->combos != NULL) {
    tf_combos_free(j->combos);
    j->combos = NULL;
    tf_mem_free(&j->mem, j->pairs, j->pairs_cap * sizeof *j->pairs);
    tf_mem_free(&j->mem, j->key, j->key_cap * sizeof *j->key);
    tf_mem_free(&j->mem, j->marked, j->nmarked);
    tf_mem_free(&j->mem, j->affected, j->naffected);
    tf_mem_free(&j->mem, j->plans, j->nplans * sizeof *j->plans);
    j->plans = NULL;
    j->nplans = 0;
    tf_mem_free(&j->mem, j->spans, j->spans_cap * sizeof *j->spans);
    tf_mem_free(&j->mem, j->tm, j->tm_cap * sizeof *j->tm);
    tf_mem_free(&j->mem, j->tm_keys, j->tm_keys_cap * sizeof *j->tm_keys);
    j->tm = NULL;
    j->tm_keys = NULL;
    j->tm_cap = j->tm_n = j->tm_keys_cap = j->tm_keys_len = 0;
    tf_buf_free(&j->text);
    tf_buf_free(&j->tm_bytes);
    j->spans = NULL;
    j->spans_cap = 0;
    j->pairs = j->key = NULL;
    j->marked = j->affected = NULL;
    j->pairs_cap = j->key_cap = j->nmarked = j->naffected = 0;
    for (i = 1; i <= UV_NUV; i++) {
      lua_pushnil(L);
      lua_setiuservalue(L, 1, i);
    }
  }
  return 0;
}

static int opt_fn(lua_State *L, const char *name, int uv, int required) {
  int t = lua_getfield(L, 1, name);
  if (t == LUA_TNIL && !required) {
    lua_pop(L, 1);
    return 0;
  }
  if (t != LUA_TFUNCTION) luaL_argerror(L, 1, lua_pushfstring(L, "%s must be a function", name));
  lua_setiuservalue(L, -2, uv);
  return 1;
}

/** core.job{read=, write=, source=, cache=, deps=, map=, decode=, submit=,
 * total=, index=, stop=, size=, budget_ms=, max_failures=} -> a job core.
 * Options are checked by job.lua; this only guards its own invariants. */
static int l_new(lua_State *L) {
  job_box *j;
  tf_intern_box *names = NULL;
  int kind;
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  lua_getfield(L, 1, "cache"); /* 2 */
  if (tf_lua_cache_core(L, 2, &names) == NULL) luaL_argerror(L, 1, "cache must be a " TF_CACHE);
  lua_getfield(L, 1, "source"); /* 3 */
  switch (lua_type(L, 3)) {
    case LUA_TTABLE: kind = SRC_ARRAY; break;
    case LUA_TFUNCTION: kind = SRC_FUNCTION; break;
    default:
      if (tf_lua_doc_source(L, 3) != NULL) { /* the document itself replaces doc:nodes() */
        lua_replace(L, 3);
        kind = SRC_DOC;
        break;
      }
      if (!tf_lua_iswalk(L, 3)) luaL_argerror(L, 1, "source must be an array, an iterator function, a tf.walk or doc:nodes()");
      kind = SRC_WALK;
  }
  j = (job_box *)lua_newuserdatauv(L, sizeof *j, UV_NUV); /* 4 */
  memset(j, 0, sizeof *j);
  luaL_setmetatable(L, TF_JOB);
  j->mem = tf_lua_mem(L);
  tf_buf_init(&j->text, j->mem);
  tf_buf_init(&j->tm_bytes, j->mem);
  j->names = names;
  j->in = names->in;
  j->kind = kind;
  j->total = -1;
  lua_pushvalue(L, 2);
  lua_setiuservalue(L, 4, UV_CACHE);
  lua_pushvalue(L, 3);
  lua_setiuservalue(L, 4, UV_SOURCE);
  j->default_read = !opt_fn(L, "read", UV_READ, 0);
  opt_fn(L, "deps", UV_DEPS, 1);
  opt_fn(L, "map", UV_MAP, 1);
  opt_fn(L, "decode", UV_DECODE, 1);
  j->pool_mode = opt_fn(L, "submit", UV_SUBMIT, 0);
  j->has_diff = opt_fn(L, "diff", UV_DIFF, 0);
  if (lua_getfield(L, 1, "write") == LUA_TNIL && !j->pool_mode) luaL_argerror(L, 1, "write must be callable");
  lua_setiuservalue(L, 4, UV_WRITE);
  lua_createtable(L, 0, 0);
  lua_setiuservalue(L, 4, UV_FAILURES);
  lua_createtable(L, ICACHE_SIZE, 0);
  lua_setiuservalue(L, 4, UV_ANCHORS);
  if (kind == SRC_ARRAY) {
    j->raw = !lua_getmetatable(L, 3);
    if (!j->raw) lua_pop(L, 1);
    j->total = (lua_Integer)luaL_len(L, 3);
  } else if (kind == SRC_DOC) {
    j->total = (lua_Integer)((tf_doc_box *)lua_touserdata(L, 3))->doc.count;
    lua_getfield(L, 1, "memo");
    j->doc_memo = lua_toboolean(L, -1);
    lua_pop(L, 1);
  } else if (lua_getfield(L, 1, "total") == LUA_TNUMBER) {
    j->total = lua_tointeger(L, -1);
  }
  lua_settop(L, 4);
  lua_getfield(L, 1, "index");
  j->use_index = lua_isnil(L, -1) || lua_toboolean(L, -1);
  j->index_ok = 1;
  lua_getfield(L, 1, "index_nodes");
  j->max_refs = lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 0 ? lua_tointeger(L, -1) : 262144;
  lua_getfield(L, 1, "stop");
  j->stop_on_error = lua_toboolean(L, -1);
  lua_getfield(L, 1, "max_failures");
  j->max_failures = lua_isinteger(L, -1) ? lua_tointeger(L, -1) : 1000;
  lua_getfield(L, 1, "size");
  if (lua_isinteger(L, -1) && lua_tointeger(L, -1) > 0) {
    tf_chunk_fixed(&j->ctl, (size_t)lua_tointeger(L, -1));
  } else {
    double budget_ms = 8;
    lua_getfield(L, 1, "budget_ms");
    if (lua_isnumber(L, -1) && lua_tonumber(L, -1) > 0) budget_ms = lua_tonumber(L, -1);
    /* start small: the first chunk runs before any measurement */
    tf_chunk_adaptive(&j->ctl, 64, 16, 65536, budget_ms / 1000.0);
  }
  lua_settop(L, 4);
  if (lua_getfield(L, 1, "visible") == LUA_TTABLE) {
    /* positions ascending; for a walk also `nodes` and `set` (job.lua) */
    j->vis_n = (lua_Integer)lua_rawlen(L, 5);
    lua_rawgeti(L, 5, 1);
    j->vis_next = j->vis_n > 0 && (kind == SRC_ARRAY || kind == SRC_DOC) ? lua_tointeger(L, -1) : 0;
    lua_pop(L, 1);
    lua_setiuservalue(L, 4, UV_VISIBLE);
  }
  lua_settop(L, 4);
  j->combos = tf_combos_new(tf_lua_mem(L));
  if (j->combos == NULL) tf_lua_oom(L);
  start_refs(L, j, 4);
  return 1;
}

static int f_tostring(lua_State *L) {
  lua_pushliteral(L, TF_JOB_FAILURE);
  return 1;
}

void tf_open_job(lua_State *L) {
  static const luaL_Reg meta[] = {{"__tostring", l_tostring}, {"__gc", l_close}, {"__close", l_close}, {NULL, NULL}};
  static const luaL_Reg methods[] = {{"chunk", l_chunk},   {"cancel", l_cancel}, {"stats", l_stats},
                                     {"record", l_record}, {"mark", l_mark},     {"rerun", l_rerun}, {"abort", l_abort}, {"failures", l_failures},
                                     {"close", l_close},   {NULL, NULL}};
  static const luaL_Reg fmeta[] = {{"__tostring", f_tostring}, {NULL, NULL}};
  static const luaL_Reg none[] = {{NULL, NULL}};
  tf_lua_newclass(L, TF_JOB, meta, methods);
  tf_lua_newclass(L, TF_JOB_FAILURE, fmeta, none);
  lua_pushcfunction(L, l_new);
  lua_setfield(L, -2, "job");
}

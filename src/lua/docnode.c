/* Node handles of a document (tf.figma.open): light Lua tables through
 * which a writer reads a node's fields and sets new ones, without the node
 * ever becoming a tree of Lua values.
 *
 *   tokenflow.Node       a node: node.type, node.style... read the file's
 *                        bytes through the node's patches; node.fills = v
 *                        becomes a patch (the value written as JSON)
 *   tokenflow.NodeValue  an object or array inside a node (node.style):
 *                        its members read the same way; value.k = v
 *                        patches that member only
 *   tokenflow.NodeCopy   what copy(value) gives (tokenflow.apply.fields):
 *                        an overlay over a NodeValue; assigned back to the
 *                        same field, only the members it changed are
 *                        patched, so the rest of the object keeps its bytes
 *
 * Scalars come back as Lua values (JSON null as lua-cjson's null, the NULL
 * light userdata). While the Figma writer runs on a node under
 * tf_lua_doc_write, every read is recorded with what it saw (see
 * tf_doc_memo.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tf_jsonw.h"
#include "tf_lua_doc.h"

#define TF_NODE "tokenflow.Node"
#define TF_NODE_VALUE "tokenflow.NodeValue"
#define TF_NODE_COPY "tokenflow.NodeCopy"
#define TF_JSON_ARRAY "tokenflow.JsonArray"

/* Nesting of a value written to a node, at most (deeper: a table holding itself?). */
#define MAX_WRITE_DEPTH 100

/* keys of the hidden fields of handles (their addresses) */
static const char KEY_NODE = 'n'; /* node number */
static const char KEY_PATH = 'p'; /* NodeValue: {field, member, ...} */
static const char KEY_COPY = 'c'; /* NodeCopy: {base = NodeValue, set = {}, removed = {}} */

static tf_doc_box *doc_of(lua_State *L) { return (tf_doc_box *)lua_touserdata(L, lua_upvalueindex(1)); }

static tf_doc_box *live_doc(lua_State *L) {
  tf_doc_box *b = doc_of(L);
  if (!b->open || !b->ready) tf_lua_closed_error(L, "tokenflow.Document");
  return b;
}

static uint32_t node_of(lua_State *L, int idx) {
  lua_Integer i;
  idx = lua_absindex(L, idx);
  lua_pushlightuserdata(L, (void *)&KEY_NODE);
  lua_rawget(L, idx);
  i = lua_tointeger(L, -1);
  lua_pop(L, 1);
  return (uint32_t)i;
}

static uint32_t name_id(lua_State *L, tf_doc *d, const char *s, size_t len) {
  uint32_t id = tf_doc_name(d, s, len);
  if (id == 0) tf_lua_oom(L);
  return id;
}

/* ---- handles ---- */

static void new_handle(lua_State *L, int doc, int mt_uv, uint32_t i) {
  lua_createtable(L, 0, 2);
  lua_pushlightuserdata(L, (void *)&KEY_NODE);
  lua_pushinteger(L, (lua_Integer)i);
  lua_rawset(L, -3);
  lua_getiuservalue(L, doc, mt_uv);
  lua_setmetatable(L, -2);
}

void tf_lua_doc_push_node(lua_State *L, int idx, uint32_t i) { new_handle(L, idx, DUV_NODE_MT, i); }

/* A NodeValue over path (the table at path) of node i, for the document
 * that is upvalue 1. */
static void push_value_handle(lua_State *L, uint32_t i, int path) {
  new_handle(L, lua_upvalueindex(1), DUV_VALUE_MT, i);
  lua_pushlightuserdata(L, (void *)&KEY_PATH);
  lua_pushvalue(L, path);
  lua_rawset(L, -3);
}

/* Pushes the path table of the NodeValue at idx. */
static void push_path(lua_State *L, int idx) {
  idx = lua_absindex(L, idx);
  lua_pushlightuserdata(L, (void *)&KEY_PATH);
  lua_rawget(L, idx);
}

/* A new path: the one at path (0: none) extended by the key at key. */
static void push_longer_path(lua_State *L, int path, int key) {
  lua_Integer n = path ? (lua_Integer)lua_rawlen(L, path) : 0, k;
  lua_createtable(L, (int)n + 1, 0);
  for (k = 1; k <= n; k++) {
    lua_rawgeti(L, path, k);
    lua_rawseti(L, -2, k);
  }
  lua_pushvalue(L, key);
  lua_rawseti(L, -2, n + 1);
}

/* The value at path of node i as it is now; its depth. */
static int resolve(lua_State *L, tf_doc *d, uint32_t i, int path, tf_doc_value *v) {
  lua_Integer n = (lua_Integer)lua_rawlen(L, path), k;
  size_t len;
  const char *s;
  lua_rawgeti(L, path, 1);
  s = lua_tolstring(L, -1, &len);
  if (tf_doc_field(d, i, s, len, v) != 0) tf_lua_oom(L);
  lua_pop(L, 1);
  for (k = 2; k <= n && v->kind != TF_DOC_ABSENT; k++) {
    tf_doc_value m;
    if (lua_rawgeti(L, path, k) == LUA_TSTRING) {
      s = lua_tolstring(L, -1, &len);
      if (tf_doc_member(d, v, s, len, 0, &m) != 0) tf_lua_oom(L);
    } else {
      if (tf_doc_member(d, v, NULL, 0, (size_t)(lua_tointeger(L, -1) - 1), &m) != 0) tf_lua_oom(L);
    }
    lua_pop(L, 1);
    *v = m;
  }
  if (v->kind == TF_DOC_ABSENT && v->nover == 0) {
    tf_doc_value none;
    memset(&none, 0, sizeof none);
    *v = none;
  }
  return (int)n;
}

/* ---- recording the Figma writer's reads ---- */

static int was_written(const tf_doc_box *b, uint32_t field, uint32_t member) {
  size_t k;
  for (k = 0; k < b->nwrote; k++) {
    uint64_t w = b->wrote[k];
    if ((uint32_t)(w >> 32) != field) continue;
    if ((uint32_t)w == 0 || (uint32_t)w == member) return 1;
  }
  return 0;
}

static int member_written(const tf_doc_box *b, uint32_t field) {
  size_t k;
  for (k = 0; k < b->nwrote; k++)
    if ((uint32_t)(b->wrote[k] >> 32) == field) return 1;
  return 0;
}


/* Records read a (its who set from node i) as the writer's, with what it
 * sees now, unless the run wrote what it reads itself. */
static void record_access(lua_State *L, tf_doc_box *b, uint32_t i, tf_doc_access a) {
  tf_doc *d = &b->doc;
  if (i == b->rec_node) {
    a.who = 0;
  } else if (d->nodes[b->rec_node].parent == i + 1) {
    a.who = 1;
  } else {
    b->rec_keep = 0; /* another node: not a function of this one */
    return;
  }
  if (a.who == 0) {
    /* what this run wrote itself follows from its earlier reads */
    if (was_written(b, a.field, a.member)) return;
    if (a.mode == TF_DOC_SEE_WHOLE && a.member == 0 && member_written(b, a.field)) {
      b->rec_keep = 0;
      return;
    }
  }
  b->reads = (tf_doc_access *)tf_lua_grow(L, &b->doc.mem, b->reads, &b->reads_cap, b->nreads + 1, sizeof *b->reads);
  b->at = (size_t *)tf_lua_grow(L, &b->doc.mem, b->at, &b->at_cap, b->nreads + 2, sizeof *b->at);
  b->reads[b->nreads] = a;
  if (tf_doc_observe(d, b->rec_node, &a, &b->obs) != 0) tf_lua_oom(L);
  b->at[++b->nreads] = b->obs.len;
}

/* Records a read of node i's field `name` (as a Lua access). */
static void record_field(lua_State *L, tf_doc_box *b, uint32_t i, const char *name, size_t len) {
  tf_doc_access a;
  if (!b->rec || !b->rec_keep) return;
  a.who = 0;
  a.mode = TF_DOC_SEE_GET;
  a.field = name_id(L, &b->doc, name, len);
  a.member = 0;
  record_access(L, b, i, a);
}

/* Records a read of node i at path (depth levels deep) as the writer's,
 * when a run is being recorded. */
static void record(lua_State *L, tf_doc_box *b, uint32_t i, int path, int mode) {
  tf_doc *d = &b->doc;
  tf_doc_access a;
  lua_Integer depth;
  size_t len;
  const char *s;
  if (!b->rec || !b->rec_keep) return;
  depth = (lua_Integer)lua_rawlen(L, path);
  lua_rawgeti(L, path, 1);
  s = lua_tolstring(L, -1, &len);
  a.field = name_id(L, d, s, len);
  lua_pop(L, 1);
  a.who = 0;
  a.member = 0;
  a.mode = (uint8_t)mode;
  if (depth >= 2) {
    if (lua_rawgeti(L, path, 2) == LUA_TSTRING) {
      s = lua_tolstring(L, -1, &len);
      a.member = name_id(L, d, s, len);
    } else {
      a.member = (uint32_t)(lua_tointeger(L, -1) - 1) | TF_DOC_INDEX;
    }
    lua_pop(L, 1);
    if (depth > 2) a.mode = TF_DOC_SEE_WHOLE; /* deeper: the whole member it is in */
  }
  record_access(L, b, i, a);
}

/* ---- reading values ---- */

void tf_lua_doc_push_number(lua_State *L, const char *t, size_t n) {
  char buf[64];
  if (n < sizeof buf) {
    memcpy(buf, t, n);
    buf[n] = '\0';
    if (lua_stringtonumber(L, buf) != 0) return;
  }
  lua_pushlstring(L, t, n); /* a number too long for a buffer: Lua converts it */
  lua_pushnumber(L, lua_tonumber(L, -1));
  lua_remove(L, -2);
}

static void push_scalar(lua_State *L, tf_doc *d, const tf_doc_value *v, int type) {
  const char *t = v->text + v->off;
  size_t n = (size_t)(v->end - v->off);
  switch (type) {
    case 's':
      d->work.scratch.len = 0;
      if (tf_doc_unescape(&d->work.scratch, v->text, v->off, v->end) != 0) tf_lua_oom(L);
      lua_pushlstring(L, (const char *)d->work.scratch.data, d->work.scratch.len);
      return;
    case 'b':
      lua_pushboolean(L, t[0] == 't');
      return;
    case 'z':
      lua_pushlightuserdata(L, NULL);
      return;
    default:
      tf_lua_doc_push_number(L, t, n);
  }
}

/* Pushes what reading path (at path) of node i gives, recording it. */
static void push_at(lua_State *L, tf_doc_box *b, uint32_t i, int path) {
  tf_doc_value v;
  int type;
  resolve(L, &b->doc, i, path, &v);
  type = tf_doc_value_type(&v);
  record(L, b, i, path, TF_DOC_SEE_GET);
  if (type == 0) {
    lua_pushnil(L);
  } else if (type == 'o' || type == 'a') {
    push_value_handle(L, i, path);
  } else {
    resolve(L, &b->doc, i, path, &v); /* recording may have moved edit texts */
    push_scalar(L, &b->doc, &v, type);
  }
}

/* ---- JSON into Lua values (a value made plain, to change it deep inside) ---- */

static void push_array_mt(lua_State *L) { luaL_getmetatable(L, TF_JSON_ARRAY); }

static uint64_t decode(lua_State *L, tf_doc *d, const char *text, uint64_t off, int depth) {
  char c = text[off];
  while (c == ' ' || c == '\n' || c == '\r' || c == '\t') c = text[++off];
  if (depth > TF_DOC_MAX_DEPTH) luaL_error(L, "tokenflow.Node: value nested too deep");
  luaL_checkstack(L, 4, "value nested too deep");
  if (c == '{' || c == '[') {
    uint64_t p = off + 1;
    lua_Integer n = 0;
    lua_createtable(L, 0, 0);
    if (c == '[') {
      push_array_mt(L);
      lua_setmetatable(L, -2);
    }
    for (;;) {
      while (text[p] == ' ' || text[p] == '\n' || text[p] == '\r' || text[p] == '\t' || text[p] == ',') p++;
      if (text[p] == '}' || text[p] == ']') return p + 1;
      if (c == '{') {
        uint64_t kend = tf_doc_skip(text, p);
        d->work.scratch.len = 0;
        if (tf_doc_unescape(&d->work.scratch, text, p, kend) != 0) tf_lua_oom(L);
        lua_pushlstring(L, (const char *)d->work.scratch.data, d->work.scratch.len);
        p = kend;
        while (text[p] != ':') p++;
        p = decode(L, d, text, p + 1, depth + 1);
        lua_rawset(L, -3);
      } else {
        p = decode(L, d, text, p, depth + 1);
        lua_rawseti(L, -2, ++n);
      }
    }
  }
  {
    tf_doc_value v;
    memset(&v, 0, sizeof v);
    v.kind = TF_DOC_ORIGINAL;
    v.text = text;
    v.off = off;
    v.end = tf_doc_skip(text, off);
    push_scalar(L, d, &v, tf_doc_value_type(&v));
    return v.end;
  }
}

/* Pushes the value at path of node i as plain Lua values. */
static void push_plain(lua_State *L, tf_doc_box *b, uint32_t i, int path) {
  tf_doc_value v;
  tf_buf *t;
  resolve(L, &b->doc, i, path, &v);
  if (tf_doc_value_type(&v) == 0) {
    lua_pushnil(L);
    return;
  }
  /* the text, owned by a userdata while Lua values are made from it */
  t = tf_lua_newbuf(L, b->doc.mem);
  if (tf_doc_value_json(&b->doc, &v, t) != 0 || tf_buf_byte(t, 0) != 0) tf_lua_oom(L);
  decode(L, &b->doc, (const char *)t->data, 0, 0);
  tf_buf_free(t);
  lua_remove(L, -2);
}

/* ---- Lua values into JSON ---- */

/* The JSON text of the value at idx, appended to out. hint: the type the
 * value had ('a': an empty table stays an array). */
static void encode(lua_State *L, int idx, tf_buf *out, int hint, int depth, const char *field);

static int is_array_mt(lua_State *L, int idx) {
  int same;
  if (!lua_getmetatable(L, idx)) return 0;
  push_array_mt(L);
  same = lua_rawequal(L, -1, -2);
  lua_pop(L, 2);
  return same;
}

/* The document box behind the handle metatable of the table at idx (pushed
 * nothing), and which kind: 'v' NodeValue, 'c' NodeCopy, 0 neither. */
static tf_doc_box *handle_doc(lua_State *L, int idx, int *kind) {
  tf_doc_box *b = NULL;
  *kind = 0;
  if (!lua_getmetatable(L, idx)) return NULL;
  if (lua_getfield(L, -1, "__name") == LUA_TSTRING) {
    const char *name = lua_tostring(L, -1);
    if (strcmp(name, TF_NODE_VALUE) == 0) *kind = 'v';
    else if (strcmp(name, TF_NODE_COPY) == 0) *kind = 'c';
  }
  lua_pop(L, 1);
  if (*kind) {
    lua_getfield(L, -1, "__index");
    if (lua_getupvalue(L, -1, 1) != NULL) {
      b = (tf_doc_box *)luaL_testudata(L, -1, TF_DOCUMENT);
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  if (b == NULL || !b->open || !b->ready) *kind = 0;
  return *kind ? b : NULL;
}

static int cmp_keys(const void *a, const void *b) {
  const char *const *x = (const char *const *)a, *const *y = (const char *const *)b;
  return strcmp(*x, *y);
}

/* Pushes the string keys of the table at idx, sorted, as an array; raises
 * for a key of another type. */
static void push_sorted_keys(lua_State *L, int idx, const char *field) {
  lua_Integer n = 0, k;
  const char **names;
  lua_createtable(L, 0, 0);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TSTRING) {
      luaL_error(L, "cannot write %s: a table with %s keys is neither a JSON array nor an object", field,
                 luaL_typename(L, -1));
    }
    lua_pushvalue(L, -1);
    lua_rawseti(L, -3, ++n);
  }
  names = (const char **)lua_newuserdatauv(L, (size_t)(n ? n : 1) * sizeof *names, 0);
  for (k = 0; k < n; k++) {
    lua_rawgeti(L, -2, k + 1);
    names[k] = lua_tostring(L, -1);
    lua_pop(L, 1); /* still anchored by the array */
  }
  qsort(names, (size_t)n, sizeof *names, cmp_keys);
  for (k = 0; k < n; k++) {
    lua_pushstring(L, names[k]);
    lua_rawseti(L, -3, k + 1);
  }
  lua_pop(L, 1);
}

static void put_string(lua_State *L, tf_buf *out, const char *s, size_t len, const char *field) {
  size_t bad = 0;
  int st = tf_jsonw_string(out, s, len, &bad);
  if (st == -1) tf_lua_oom(L);
  if (st == -2) luaL_error(L, "cannot write %s: a string that is not UTF-8 (byte %d)", field, (int)bad + 1);
}

/* A NodeCopy: its base's JSON with the copy's changes spliced in. The
 * changed members are encoded first (a nested copy may use the scratch
 * edits too), then become scratch edits past the document's own. */
static void encode_copy(lua_State *L, int idx, tf_buf *out, int depth, const char *field) {
  tf_doc_box *b;
  tf_doc *d;
  int kind, state, base, path, top = lua_gettop(L), keys;
  lua_Integer n, k, nremoved = 0;
  size_t mark, first;
  tf_doc_value v, merged;
  tf_buf *tmp;
  tf_doc_edit *e;
  b = handle_doc(L, idx, &kind);
  d = &b->doc;
  lua_pushlightuserdata(L, (void *)&KEY_COPY);
  lua_rawget(L, idx);
  state = lua_gettop(L);
  lua_getfield(L, state, "base");
  base = lua_gettop(L);
  push_path(L, base);
  path = lua_gettop(L);
  lua_getfield(L, state, "set");
  push_sorted_keys(L, lua_gettop(L), field);
  keys = lua_gettop(L);
  n = (lua_Integer)lua_rawlen(L, keys);
  lua_getfield(L, state, "removed");
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    lua_pop(L, 1);
    nremoved++;
  }
  lua_pop(L, 1);
  /* (offset, length) of each changed member's text, in d->texts */
  tmp = tf_lua_newbuf(L, d->mem);
  e = (tf_doc_edit *)lua_newuserdatauv(L, (size_t)(n + nremoved + 1) * sizeof *e, 0);
  mark = d->texts.len;
  for (k = 1; k <= n; k++) {
    size_t klen;
    const char *key;
    lua_rawgeti(L, keys, k);
    key = lua_tolstring(L, -1, &klen);
    e[k - 1].field = 0;
    e[k - 1].member = name_id(L, d, key, klen);
    lua_gettable(L, keys - 1); /* set[key] */
    tmp->len = 0;
    encode(L, lua_gettop(L), tmp, 0, depth + 1, field);
    lua_pop(L, 1);
    e[k - 1].text = (uint32_t)d->texts.len;
    e[k - 1].len = (uint32_t)tmp->len;
    if (d->texts.len + tmp->len >= UINT32_MAX || tf_doc_text_put(d, tmp->data, tmp->len) != 0) tf_lua_oom(L);
  }
  tf_buf_free(tmp);
  lua_getfield(L, state, "removed");
  lua_pushnil(L);
  k = n;
  while (lua_next(L, -2)) {
    size_t klen;
    const char *key;
    lua_pop(L, 1);
    key = lua_tolstring(L, -1, &klen);
    e[k].field = 0;
    e[k].member = name_id(L, d, key, klen);
    e[k].text = 0;
    e[k].len = TF_DOC_REMOVED;
    k++;
  }
  n += nremoved;
  /* the scratch edits, just past the document's edits */
  first = d->nedits;
  if (tf_doc_reserve_edits(d, (size_t)n + 1) != 0) tf_lua_oom(L);
  memcpy(d->edits + first, e, (size_t)n * sizeof *e);
  /* the base as it is now, with the copy's changes as its newest members */
  resolve(L, d, node_of(L, base), path, &v);
  merged = v;
  merged.nover = 0;
  for (k = 0; k < n && merged.nover < TF_DOC_MAX_OVER; k++) merged.over[merged.nover++] = (uint32_t)(first + (size_t)k);
  for (k = 0; k < (lua_Integer)v.nover && merged.nover < TF_DOC_MAX_OVER; k++) {
    size_t j;
    for (j = 0; j < (size_t)n; j++)
      if (d->edits[first + j].member == d->edits[v.over[k]].member) break;
    if (j == (size_t)n) merged.over[merged.nover++] = v.over[k];
  }
  if (merged.kind == TF_DOC_ABSENT && merged.nover == 0) {
    if (tf_buf_put(out, "{}", 2) != 0) tf_lua_oom(L);
  } else if (tf_doc_value_json(d, &merged, out) != 0) {
    tf_lua_oom(L);
  }
  d->texts.len = mark;
  if (b->rec) record(L, b, node_of(L, base), path, TF_DOC_SEE_WHOLE);
  lua_settop(L, top);
}

static void encode(lua_State *L, int idx, tf_buf *out, int hint, int depth, const char *field) {
  char num[TF_JSONW_NUMBER_MAX];
  size_t len;
  int st = 0;
  idx = lua_absindex(L, idx);
  if (depth > MAX_WRITE_DEPTH) {
    luaL_error(L, "cannot write %s: tables nested deeper than %d levels (a table that contains itself?)", field,
               MAX_WRITE_DEPTH);
  }
  switch (lua_type(L, idx)) {
    case LUA_TBOOLEAN:
      st = lua_toboolean(L, idx) ? tf_buf_put(out, "true", 4) : tf_buf_put(out, "false", 5);
      break;
    case LUA_TNUMBER:
      if (lua_isinteger(L, idx)) {
        len = (size_t)snprintf(num, sizeof num, LUA_INTEGER_FMT, (LUAI_UACINT)lua_tointeger(L, idx));
      } else {
        len = tf_jsonw_number(lua_tonumber(L, idx), num);
        if (len == 0) luaL_error(L, "cannot write %s: %s has no JSON text", field, lua_tostring(L, idx));
      }
      st = tf_buf_put(out, num, len);
      break;
    case LUA_TSTRING: {
      const char *s = lua_tolstring(L, idx, &len);
      put_string(L, out, s, len, field);
      break;
    }
    case LUA_TLIGHTUSERDATA:
      if (lua_touserdata(L, idx) == NULL) {
        st = tf_buf_put(out, "null", 4);
        break;
      }
      /* fall through */
    default:
      luaL_error(L, "cannot write %s: a %s has no JSON text", field, luaL_typename(L, idx));
      break;
    case LUA_TTABLE: {
      int kind;
      tf_doc_box *b = handle_doc(L, idx, &kind);
      lua_Integer n, k;
      luaL_checkstack(L, 8, "value nested too deep");
      if (kind) b->handles_seen = 1;
      if (kind == 'v') { /* a value of a node: its JSON as it is */
        tf_doc_value v;
        push_path(L, idx);
        resolve(L, &b->doc, node_of(L, idx), lua_gettop(L), &v);
        if (tf_doc_value_type(&v) == 0) st = tf_buf_put(out, "null", 4);
        else st = tf_doc_value_json(&b->doc, &v, out);
        if (b->rec) record(L, b, node_of(L, idx), lua_gettop(L), TF_DOC_SEE_WHOLE);
        lua_pop(L, 1);
        break;
      }
      if (kind == 'c') {
        encode_copy(L, idx, out, depth, field);
        break;
      }
      n = (lua_Integer)lua_rawlen(L, idx);
      if (is_array_mt(L, idx) || n > 0) {
        /* an array: 1..n, and nothing else */
        lua_Integer count = 0;
        lua_pushnil(L);
        while (lua_next(L, idx)) {
          lua_pop(L, 1);
          if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 || lua_tointeger(L, -1) > n) {
            luaL_error(L, "cannot write %s: a table with both array items and other keys", field);
          }
          count++;
        }
        if (count != n) luaL_error(L, "cannot write %s: an array with holes", field);
        if (tf_buf_byte(out, '[') != 0) tf_lua_oom(L);
        for (k = 1; k <= n; k++) {
          if (k > 1 && tf_buf_byte(out, ',') != 0) tf_lua_oom(L);
          lua_rawgeti(L, idx, k);
          encode(L, -1, out, 0, depth + 1, field);
          lua_pop(L, 1);
        }
        st = tf_buf_byte(out, ']');
        break;
      }
      lua_pushnil(L);
      if (!lua_next(L, idx)) { /* empty: what it was, else an object */
        st = tf_buf_put(out, hint == 'a' ? "[]" : "{}", 2);
        break;
      }
      lua_pop(L, 2);
      push_sorted_keys(L, idx, field);
      n = (lua_Integer)lua_rawlen(L, -1);
      if (tf_buf_byte(out, '{') != 0) tf_lua_oom(L);
      for (k = 1; k <= n; k++) {
        const char *key;
        lua_rawgeti(L, -1, k);
        key = lua_tolstring(L, -1, &len);
        if (k > 1 && tf_buf_byte(out, ',') != 0) tf_lua_oom(L);
        put_string(L, out, key, len, field);
        if (tf_buf_byte(out, ':') != 0) tf_lua_oom(L);
        lua_rawget(L, idx);
        encode(L, -1, out, 0, depth + 1, field);
        lua_pop(L, 1);
      }
      lua_pop(L, 1);
      st = tf_buf_byte(out, '}');
      break;
    }
  }
  if (st != 0) tf_lua_oom(L);
}

/* ---- writing fields ---- */

/* Adds an edit to node i: to the set open on it (the Figma writer's run),
 * else as a set of its own. */
static void add_edit(lua_State *L, tf_doc_box *b, uint32_t i, uint32_t field, uint32_t member, const char *text,
                     size_t len) {
  tf_doc *d = &b->doc;
  if (b->rec && i != b->rec_node) b->rec_keep = 0;
  if (d->open_set != 0 && d->open_node == i) {
    if (tf_doc_edit_add(d, field, member, text, len) != 0) tf_lua_oom(L);
  } else {
    if (d->open_set != 0) luaL_error(L, "tokenflow.Node: another node is being written");
    if (tf_doc_begin(d, i) == 0) tf_lua_oom(L);
    if (tf_doc_edit_add(d, field, member, text, len) != 0) {
      tf_doc_rollback(d);
      tf_lua_oom(L);
    }
    tf_doc_commit(d);
  }
  if (b->rec && i == b->rec_node) {
    b->wrote = (uint64_t *)tf_lua_grow(L, &b->doc.mem, b->wrote, &b->wrote_cap, b->nwrote + 1, sizeof *b->wrote);
    b->wrote[b->nwrote++] = ((uint64_t)field << 32) | member;
  }
}

/* The encoder's scratch: a buffer owned by a userdata on the stack. */
static tf_buf *push_scratch(lua_State *L, tf_doc_box *b) { return tf_lua_newbuf(L, b->doc.mem); }

/* 1 when the table at idx is a NodeCopy over exactly path (at path) of node i. */
static int is_copy_of(lua_State *L, int idx, uint32_t i, int path) {
  int kind, same = 1;
  lua_Integer n, k;
  if (lua_type(L, idx) != LUA_TTABLE || handle_doc(L, idx, &kind) != doc_of(L) || kind != 'c') return 0;
  lua_pushlightuserdata(L, (void *)&KEY_COPY);
  lua_rawget(L, idx);
  lua_getfield(L, -1, "base");
  if (node_of(L, lua_gettop(L)) != i) {
    lua_pop(L, 2);
    return 0;
  }
  push_path(L, -1);
  n = (lua_Integer)lua_rawlen(L, -1);
  if (n != (lua_Integer)lua_rawlen(L, path)) same = 0;
  for (k = 1; same && k <= n; k++) {
    lua_rawgeti(L, -1, k);
    lua_rawgeti(L, path, k);
    same = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
  }
  lua_pop(L, 3);
  return same;
}

/* Sets path (a field, or a field and one member: at path) of node i to
 * the value at val (nil removes it). */
static void write_at(lua_State *L, tf_doc_box *b, uint32_t i, int path, int val) {
  tf_doc *d = &b->doc;
  lua_Integer depth = (lua_Integer)lua_rawlen(L, path);
  uint32_t field, member = 0;
  size_t len;
  const char *s, *fname;
  tf_doc_value cur;
  tf_buf *t;
  int hint;
  tf_lua_doc_check_writable(L, b, i);
  lua_rawgeti(L, path, 1);
  fname = lua_tolstring(L, -1, &len);
  field = name_id(L, d, fname, len);
  lua_pop(L, 1); /* fname stays valid: the path table holds it */
  if (depth >= 2) {
    lua_rawgeti(L, path, 2);
    s = lua_tolstring(L, -1, &len);
    member = name_id(L, d, s, len);
    lua_pop(L, 1);
  }
  resolve(L, d, i, path, &cur);
  hint = tf_doc_value_type(&cur);
  if (depth == 1 && is_copy_of(L, val, i, path)) {
    /* the members the copy changed, and only those */
    lua_Integer n, k;
    lua_pushlightuserdata(L, (void *)&KEY_COPY);
    lua_rawget(L, val);
    lua_getfield(L, -1, "set");
    push_sorted_keys(L, lua_gettop(L), fname);
    t = push_scratch(L, b); /* owned by the stack: freed by its collector if the encoder raises */
    n = (lua_Integer)lua_rawlen(L, -2);
    for (k = 1; k <= n; k++) {
      tf_doc_value mv;
      lua_rawgeti(L, -2, k);
      s = lua_tolstring(L, -1, &len);
      if (tf_doc_member(d, &cur, s, len, 0, &mv) != 0) tf_lua_oom(L);
      lua_pushvalue(L, -1);
      lua_gettable(L, -5);
      t->len = 0;
      encode(L, -1, t, tf_doc_value_type(&mv), 1, fname);
      add_edit(L, b, i, field, name_id(L, d, s, len), (const char *)t->data, t->len);
      resolve(L, d, i, path, &cur); /* the edit may have moved texts */
      lua_pop(L, 2);
    }
    tf_buf_free(t);
    lua_pop(L, 3);
    lua_getfield(L, -1, "removed");
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      lua_pop(L, 1);
      s = lua_tolstring(L, -1, &len);
      add_edit(L, b, i, field, name_id(L, d, s, len), NULL, 0);
    }
    lua_pop(L, 2);
    return;
  }
  if (lua_isnil(L, val)) {
    add_edit(L, b, i, field, member, NULL, 0);
    return;
  }
  if (b->rec && lua_type(L, val) == LUA_TTABLE && lua_rawlen(L, val) > 0) {
    /* an array written to many nodes (a plan's paints): its text once */
    size_t len;
    const char *text;
    lua_getiuservalue(L, lua_upvalueindex(1), DUV_ENCODED);
    lua_pushvalue(L, val);
    if (lua_rawget(L, -2) == LUA_TSTRING) {
      text = lua_tolstring(L, -1, &len);
      add_edit(L, b, i, field, member, text, len);
      lua_pop(L, 2);
      return;
    }
    lua_pop(L, 1);
    t = push_scratch(L, b);
    b->handles_seen = 0;
    encode(L, val, t, hint, 1, fname);
    add_edit(L, b, i, field, member, (const char *)t->data, t->len);
    if (!b->handles_seen) { /* its text cannot change: kept (until the table goes) */
      lua_pushvalue(L, val);
      lua_pushlstring(L, (const char *)t->data, t->len);
      lua_rawset(L, -4);
    }
    tf_buf_free(t);
    lua_pop(L, 2);
    return;
  }
  t = push_scratch(L, b);
  encode(L, val, t, hint, 1, fname);
  add_edit(L, b, i, field, member, (const char *)t->data, t->len);
  tf_buf_free(t);
  lua_pop(L, 1);
}

/* node.k = v / value.k = v: where k lands, at path (pushed), when deeper
 * than a member is rewritten as that member made plain. */
static void assign(lua_State *L, tf_doc_box *b, uint32_t i, int path, int key, int val) {
  lua_Integer depth = path ? (lua_Integer)lua_rawlen(L, path) : 0;
  int kt = lua_type(L, key);
  if (depth == 0) {
    size_t len;
    const char *k;
    if (kt != LUA_TSTRING) luaL_error(L, "tokenflow.Node: field names are strings, got a %s", lua_typename(L, kt));
    k = lua_tolstring(L, key, &len);
    if (len == 8 && memcmp(k, "children", 8) == 0) luaL_error(L, "tokenflow.Node: children cannot be written");
    push_longer_path(L, 0, key);
    write_at(L, b, i, lua_gettop(L), val);
    lua_pop(L, 1);
    return;
  }
  if (kt != LUA_TSTRING && !(kt == LUA_TNUMBER && lua_isinteger(L, key))) {
    luaL_error(L, "tokenflow.NodeValue: keys are strings or integers, got a %s", lua_typename(L, kt));
  }
  if (depth == 1 && kt == LUA_TSTRING) {
    push_longer_path(L, path, key);
    write_at(L, b, i, lua_gettop(L), val);
    lua_pop(L, 1);
    return;
  }
  /* deeper, or an array element: the enclosing field or member made plain,
   * changed, and written whole */
  {
    int top = lua_gettop(L), outer, plain;
    lua_Integer k, keep = depth >= 2 ? 2 : 1;
    lua_createtable(L, (int)keep, 0);
    outer = lua_gettop(L);
    for (k = 1; k <= keep; k++) {
      lua_rawgeti(L, path, k);
      lua_rawseti(L, outer, k);
    }
    if (keep == 2) {
      lua_rawgeti(L, outer, 2);
      if (lua_type(L, -1) != LUA_TSTRING) { /* an element of an array field: the field whole */
        lua_pushnil(L);
        lua_rawseti(L, outer, 2);
        keep = 1;
      }
      lua_pop(L, 1);
    }
    push_plain(L, b, i, outer);
    plain = lua_gettop(L);
    if (!lua_istable(L, plain)) luaL_error(L, "tokenflow.NodeValue: the value is no longer a table");
    lua_pushvalue(L, plain);
    for (k = keep + 1; k <= depth; k++) { /* down to the table that holds key */
      lua_rawgeti(L, path, k);
      lua_gettable(L, -2);
      lua_remove(L, -2);
      if (!lua_istable(L, -1)) luaL_error(L, "tokenflow.NodeValue: the value is no longer a table");
    }
    lua_pushvalue(L, key);
    lua_pushvalue(L, val);
    lua_settable(L, -3);
    lua_pop(L, 1);
    write_at(L, b, i, outer, plain);
    lua_settop(L, top);
  }
}

/* ---- tokenflow.Node ---- */

static int node_index(lua_State *L) {
  tf_doc_box *b = live_doc(L);
  uint32_t i = node_of(L, 1);
  size_t len;
  const char *k;
  tf_doc_value v;
  int type;
  if (lua_type(L, 2) != LUA_TSTRING) return 0;
  k = lua_tolstring(L, 2, &len);
  if (tf_doc_field(&b->doc, i, k, len, &v) != 0) tf_lua_oom(L);
  type = tf_doc_value_type(&v);
  if (type == 'o' || type == 'a') { /* a value handle, which keeps its path */
    push_longer_path(L, 0, 2);
    push_at(L, b, i, lua_gettop(L));
    return 1;
  }
  if (b->rec) {
    record_field(L, b, i, k, len);
    if (type != 0 && tf_doc_field(&b->doc, i, k, len, &v) != 0) tf_lua_oom(L); /* texts may have moved */
  }
  if (type == 0) lua_pushnil(L);
  else push_scalar(L, &b->doc, &v, type);
  return 1;
}

static int node_newindex(lua_State *L) {
  tf_doc_box *b = live_doc(L);
  assign(L, b, node_of(L, 1), 0, 2, 3);
  return 0;
}

/* The names of the fields node i has now (its own, then those its edits
 * added) as an array, and a table name -> position. */
static void push_field_names(lua_State *L, tf_doc_box *b, uint32_t i) {
  tf_doc *d = &b->doc;
  const tf_doc_span *spans;
  long n = tf_doc_node_members(d, i, &spans), k;
  lua_Integer count = 0;
  int names, seen;
  if (n < 0) tf_lua_oom(L);
  lua_createtable(L, (int)n, 0);
  names = lua_gettop(L);
  lua_createtable(L, 0, (int)n);
  seen = lua_gettop(L);
  for (k = 0; k < n; k++) {
    d->work.scratch.len = 0;
    if (tf_doc_unescape(&d->work.scratch, d->text, spans[k].key, spans[k].key_end) != 0) tf_lua_oom(L);
    lua_pushlstring(L, (const char *)d->work.scratch.data, d->work.scratch.len);
    if (lua_rawget(L, seen) == LUA_TNIL) {
      lua_pushlstring(L, (const char *)d->work.scratch.data, d->work.scratch.len);
      lua_pushinteger(L, ++count);
      lua_rawset(L, seen);
      lua_pushlstring(L, (const char *)d->work.scratch.data, d->work.scratch.len);
      lua_rawseti(L, names, count);
    }
    lua_pop(L, 1);
  }
  if (tf_doc_patched(d, i)) {
    uint32_t l;
    for (l = d->heads[i]; l != 0; l = d->links[2 * l + 1]) {
      size_t ne, e;
      const tf_doc_edit *ed = tf_doc_set_edits(d, d->links[2 * l], &ne);
      for (e = 0; e < ne; e++) {
        size_t len;
        const char *s = tf_intern_name(d->names, ed[e].field, &len);
        lua_pushlstring(L, s, len);
        if (lua_rawget(L, seen) == LUA_TNIL) {
          lua_pushlstring(L, s, len);
          lua_pushinteger(L, ++count);
          lua_rawset(L, seen);
          lua_pushlstring(L, s, len);
          lua_rawseti(L, names, count);
        }
        lua_pop(L, 1);
      }
    }
  }
}

/* The iterator of pairs(node): upvalues: the document, the names, their
 * positions, the handle; the control value is the last name. */
static int fields_next(lua_State *L) {
  tf_doc_box *b = live_doc(L);
  uint32_t i = node_of(L, lua_upvalueindex(4));
  lua_Integer k = 0;
  if (!lua_isnil(L, 2)) {
    lua_pushvalue(L, 2);
    lua_rawget(L, lua_upvalueindex(3));
    k = lua_tointeger(L, -1);
    lua_pop(L, 1);
  }
  for (;;) {
    int name;
    if (lua_rawgeti(L, lua_upvalueindex(2), ++k) == LUA_TNIL) return 0;
    name = lua_gettop(L);
    push_longer_path(L, 0, name);
    push_at(L, b, i, lua_gettop(L));
    if (!lua_isnil(L, -1)) {
      lua_pushvalue(L, name);
      lua_insert(L, -2);
      return 2;
    }
    lua_settop(L, name - 1);
  }
}

static int node_pairs(lua_State *L) {
  tf_doc_box *b = live_doc(L);
  uint32_t i = node_of(L, 1);
  if (b->rec) b->rec_keep = 0; /* every field: no shape to remember */
  lua_pushvalue(L, lua_upvalueindex(1));
  push_field_names(L, b, i);
  lua_pushvalue(L, 1);
  lua_pushcclosure(L, fields_next, 4);
  lua_pushnil(L);
  lua_pushnil(L);
  return 3;
}

static int node_eq(lua_State *L) {
  lua_pushboolean(L, lua_getmetatable(L, 1) && lua_getmetatable(L, 2) && lua_rawequal(L, -1, -2) &&
                         node_of(L, 1) == node_of(L, 2));
  return 1;
}

void tf_lua_doc_push_id(lua_State *L, int idx, uint32_t i) {
  tf_doc_box *b = (tf_doc_box *)lua_touserdata(L, idx);
  tf_doc_value v;
  if (tf_doc_field(&b->doc, i, "id", 2, &v) != 0) tf_lua_oom(L);
  if (tf_doc_value_type(&v) == 's') push_scalar(L, &b->doc, &v, 's');
  else lua_pushinteger(L, (lua_Integer)i + 1);
}

static int node_tostring(lua_State *L) {
  tf_doc_box *b = doc_of(L);
  uint32_t i = node_of(L, 1);
  if (!b->open || !b->ready) {
    lua_pushliteral(L, TF_NODE " (of a closed document)");
    return 1;
  }
  tf_lua_doc_push_id(L, lua_upvalueindex(1), i);
  lua_pushfstring(L, TF_NODE " (%s)", lua_tostring(L, -1));
  return 1;
}

/* ---- tokenflow.NodeValue ---- */

static int value_index(lua_State *L) {
  tf_doc_box *b = live_doc(L);
  uint32_t i = node_of(L, 1);
  int kt = lua_type(L, 2);
  if (kt != LUA_TSTRING && !(kt == LUA_TNUMBER && lua_isinteger(L, 2) && lua_tointeger(L, 2) >= 1)) return 0;
  push_path(L, 1);
  push_longer_path(L, lua_gettop(L), 2);
  push_at(L, b, i, lua_gettop(L));
  return 1;
}

static int value_newindex(lua_State *L) {
  tf_doc_box *b = live_doc(L);
  push_path(L, 1);
  assign(L, b, node_of(L, 1), lua_gettop(L), 2, 3);
  return 0;
}

/* Counts the members or elements of the value at path of node i (recorded
 * as a whole read). */
static lua_Integer count_items(lua_State *L, tf_doc_box *b, uint32_t i, int path, int *type) {
  tf_doc_value v;
  lua_Integer n = 0;
  resolve(L, &b->doc, i, path, &v);
  *type = tf_doc_value_type(&v);
  record(L, b, i, path, TF_DOC_SEE_WHOLE);
  if (*type == 'a') {
    tf_doc_value m;
    for (;;) {
      resolve(L, &b->doc, i, path, &v);
      if (tf_doc_member(&b->doc, &v, NULL, 0, (size_t)n, &m) != 0) tf_lua_oom(L);
      if (m.kind == TF_DOC_ABSENT) break;
      n++;
    }
  }
  return n;
}

static int value_len(lua_State *L) {
  tf_doc_box *b = live_doc(L);
  int type;
  push_path(L, 1);
  lua_pushinteger(L, count_items(L, b, node_of(L, 1), lua_gettop(L), &type));
  return 1;
}

/* The member names of the object at path of node i, in order (original
 * members, then those edits added), as an array. */
static void push_member_names(lua_State *L, tf_doc_box *b, uint32_t i, int path) {
  tf_doc *d = &b->doc;
  tf_doc_value v;
  lua_Integer count = 0;
  size_t k;
  resolve(L, d, i, path, &v);
  lua_createtable(L, 0, 0);
  if (v.kind != TF_DOC_ABSENT && v.text[v.off] == '{') {
    /* the document's scratch: nothing to free when a push below raises */
    long n = tf_doc_members(d->work.mem, v.text, v.end, v.off, 0, 0, &d->work.spans3, &d->work.spans3_cap, NULL), j;
    if (n < 0) tf_lua_oom(L);
    for (j = 0; j < n; j++) {
      const tf_doc_span *sp = &d->work.spans3[j];
      d->work.scratch.len = 0;
      if (tf_doc_unescape(&d->work.scratch, v.text, sp->key, sp->key_end) != 0) tf_lua_oom(L);
      lua_pushlstring(L, (const char *)d->work.scratch.data, d->work.scratch.len);
      lua_rawseti(L, -2, ++count);
    }
  }
  for (k = v.nover; k > 0; k--) { /* added members, oldest first */
    size_t len;
    const char *s = tf_intern_name(d->names, d->edits[v.over[k - 1]].member, &len);
    lua_pushlstring(L, s, len);
    lua_rawseti(L, -2, ++count);
  }
}

/* In a pairs iteration over the names list at `names` (n of them), the
 * position after the name last returned (argument 2; nil: the start). */
static lua_Integer next_position(lua_State *L, int names, lua_Integer n) {
  lua_Integer k;
  if (lua_isnil(L, 2)) return 1;
  for (k = 1; k <= n; k++) {
    int same;
    lua_rawgeti(L, names, k);
    same = lua_rawequal(L, -1, 2);
    lua_pop(L, 1);
    if (same) break;
  }
  return k + 1;
}

/* pairs over a NodeValue: upvalues: document, names (objects; nil for an
 * array), the value handle. Control: the name or index last returned. */
static int items_next(lua_State *L) {
  tf_doc_box *b = live_doc(L);
  int value = lua_upvalueindex(3);
  uint32_t i = node_of(L, value);
  int path;
  push_path(L, value);
  path = lua_gettop(L);
  if (lua_isnil(L, lua_upvalueindex(2))) {
    lua_Integer k = lua_isinteger(L, 2) ? lua_tointeger(L, 2) + 1 : 1;
    lua_pushinteger(L, k);
    push_longer_path(L, path, lua_gettop(L));
    push_at(L, b, i, lua_gettop(L));
    if (lua_isnil(L, -1)) return 0;
    lua_pushinteger(L, k);
    lua_insert(L, -2);
    return 2;
  }
  {
    lua_Integer n = (lua_Integer)lua_rawlen(L, lua_upvalueindex(2)), k = next_position(L, lua_upvalueindex(2), n);
    for (; k <= n; k++) {
      lua_rawgeti(L, lua_upvalueindex(2), k);
      push_longer_path(L, path, lua_gettop(L));
      push_at(L, b, i, lua_gettop(L));
      if (!lua_isnil(L, -1)) {
        lua_pushvalue(L, -3);
        lua_insert(L, -2);
        return 2;
      }
      lua_pop(L, 3);
    }
    return 0;
  }
}

static int value_pairs(lua_State *L) {
  tf_doc_box *b = live_doc(L);
  uint32_t i = node_of(L, 1);
  int type, path;
  push_path(L, 1);
  path = lua_gettop(L);
  count_items(L, b, i, path, &type);
  lua_pushvalue(L, lua_upvalueindex(1));
  if (type == 'o') push_member_names(L, b, i, path);
  else lua_pushnil(L);
  lua_pushvalue(L, 1);
  lua_pushcclosure(L, items_next, 3);
  lua_pushnil(L);
  lua_pushnil(L);
  return 3;
}

static int value_tostring(lua_State *L) {
  tf_doc_box *b = doc_of(L);
  tf_doc_value v;
  tf_buf *t;
  if (!b->open || !b->ready) {
    lua_pushliteral(L, TF_NODE_VALUE " (of a closed document)");
    return 1;
  }
  push_path(L, 1);
  resolve(L, &b->doc, node_of(L, 1), lua_gettop(L), &v);
  t = push_scratch(L, b);
  if (tf_doc_value_type(&v) != 0 && tf_doc_value_json(&b->doc, &v, t) != 0) tf_lua_oom(L);
  /* the JSON text, its start when long */
  lua_pushliteral(L, TF_NODE_VALUE " ");
  lua_pushlstring(L, (const char *)t->data, t->len > 120 ? 120 : t->len);
  lua_pushstring(L, t->len > 120 ? "..." : "");
  lua_concat(L, 3);
  tf_buf_free(t);
  return 1;
}

/* copy(value): a NodeCopy over it. */
static int value_copy(lua_State *L) {
  live_doc(L);
  lua_createtable(L, 0, 1);
  lua_pushlightuserdata(L, (void *)&KEY_COPY);
  lua_createtable(L, 0, 3);
  lua_pushvalue(L, 1);
  lua_setfield(L, -2, "base");
  lua_createtable(L, 0, 0);
  lua_setfield(L, -2, "set");
  lua_createtable(L, 0, 0);
  lua_setfield(L, -2, "removed");
  lua_rawset(L, -3);
  lua_getiuservalue(L, lua_upvalueindex(1), DUV_COPY_MT);
  lua_setmetatable(L, -2);
  return 1;
}

/* ---- tokenflow.NodeCopy ---- */

static void push_copy_state(lua_State *L, int idx) {
  idx = lua_absindex(L, idx);
  lua_pushlightuserdata(L, (void *)&KEY_COPY);
  lua_rawget(L, idx);
}

static int copy_index(lua_State *L) {
  live_doc(L);
  push_copy_state(L, 1);
  lua_getfield(L, -1, "set");
  lua_pushvalue(L, 2);
  if (lua_rawget(L, -2) != LUA_TNIL) return 1;
  lua_getfield(L, -3, "removed");
  lua_pushvalue(L, 2);
  if (lua_rawget(L, -2) != LUA_TNIL) return 0;
  lua_getfield(L, -5, "base");
  lua_pushvalue(L, 2);
  lua_gettable(L, -2); /* the base's member, read (and recorded) as usual */
  return 1;
}

static int copy_newindex(lua_State *L) {
  live_doc(L);
  if (lua_type(L, 2) != LUA_TSTRING) luaL_error(L, "tokenflow.NodeCopy: keys are strings, got a %s", luaL_typename(L, 2));
  push_copy_state(L, 1);
  lua_getfield(L, -1, "set");
  lua_getfield(L, -2, "removed");
  lua_pushvalue(L, 2);
  if (lua_isnil(L, 3)) lua_pushboolean(L, 1);
  else lua_pushnil(L);
  lua_rawset(L, -3);
  lua_pushvalue(L, 2);
  lua_pushvalue(L, 3);
  lua_rawset(L, -4);
  return 0;
}

/* default(copy, k, v): sets k when the copy has no k (its base's member
 * is looked at for presence only). */
static int copy_default(lua_State *L) {
  tf_doc_box *b = live_doc(L);
  lua_settop(L, 3);
  push_copy_state(L, 1);
  lua_getfield(L, 4, "set");
  lua_pushvalue(L, 2);
  if (lua_rawget(L, -2) != LUA_TNIL) return 0;
  lua_getfield(L, 4, "removed");
  lua_pushvalue(L, 2);
  if (lua_rawget(L, -2) == LUA_TNIL && lua_type(L, 2) == LUA_TSTRING) {
    tf_doc_value v;
    int base, path;
    uint32_t i;
    lua_getfield(L, 4, "base");
    base = lua_gettop(L);
    i = node_of(L, base);
    push_path(L, base);
    push_longer_path(L, lua_gettop(L), 2);
    path = lua_gettop(L);
    resolve(L, &b->doc, i, path, &v);
    record(L, b, i, path, TF_DOC_SEE_PRESENCE);
    if (tf_doc_value_type(&v) != 0) return 0;
  }
  lua_settop(L, 4);
  lua_getfield(L, 4, "set");
  lua_pushvalue(L, 2);
  lua_pushvalue(L, 3);
  lua_rawset(L, -3);
  lua_getfield(L, 4, "removed");
  lua_pushvalue(L, 2);
  lua_pushnil(L);
  lua_rawset(L, -3);
  return 0;
}

static int copy_copy(lua_State *L) {
  live_doc(L);
  push_copy_state(L, 1);
  lua_createtable(L, 0, 1);
  lua_pushlightuserdata(L, (void *)&KEY_COPY);
  lua_createtable(L, 0, 3);
  lua_getfield(L, 2, "base");
  lua_setfield(L, -2, "base");
  {
    static const char *const parts[] = {"set", "removed"};
    int k;
    for (k = 0; k < 2; k++) {
      lua_createtable(L, 0, 0);
      lua_getfield(L, 2, parts[k]);
      lua_pushnil(L);
      while (lua_next(L, -2)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, -5);
      }
      lua_pop(L, 1);
      lua_setfield(L, -2, parts[k]);
    }
  }
  lua_rawset(L, -3);
  lua_getiuservalue(L, lua_upvalueindex(1), DUV_COPY_MT);
  lua_setmetatable(L, -2);
  return 1;
}

/* pairs over a copy: the base's members with the copy's changes, then the
 * members it added. */
static int copy_next(lua_State *L) {
  /* upvalue 1: document, 2: the copy, 3: the names */
  lua_Integer n = (lua_Integer)lua_rawlen(L, lua_upvalueindex(3)), k = next_position(L, lua_upvalueindex(3), n);
  for (; k <= n; k++) {
    lua_rawgeti(L, lua_upvalueindex(3), k);
    lua_pushvalue(L, -1);
    lua_gettable(L, lua_upvalueindex(2));
    if (!lua_isnil(L, -1)) return 2;
    lua_pop(L, 2);
  }
  return 0;
}

static int copy_pairs(lua_State *L) {
  tf_doc_box *b = live_doc(L);
  int base, names;
  lua_Integer count;
  push_copy_state(L, 1);
  lua_getfield(L, -1, "base");
  base = lua_gettop(L);
  push_path(L, base);
  count_items(L, b, node_of(L, base), lua_gettop(L), &names);
  push_member_names(L, b, node_of(L, base), lua_gettop(L));
  names = lua_gettop(L);
  count = (lua_Integer)lua_rawlen(L, names);
  lua_getfield(L, base - 1, "set");
  push_sorted_keys(L, lua_gettop(L), "a copy");
  {
    lua_Integer n = (lua_Integer)lua_rawlen(L, -1), k;
    for (k = 1; k <= n; k++) {
      lua_rawgeti(L, -1, k);
      lua_rawseti(L, names, ++count);
    }
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushvalue(L, 1);
  lua_pushvalue(L, names);
  lua_pushcclosure(L, copy_next, 3);
  lua_pushnil(L);
  lua_pushnil(L);
  return 3;
}

static int copy_tostring(lua_State *L) {
  lua_pushliteral(L, TF_NODE_COPY);
  return 1;
}

/* ---- the writer's run ---- */

int tf_lua_doc_write(lua_State *L, int idx, uint32_t i, int wi, int pi, int memo, int *hit) {
  tf_doc_box *b = (tf_doc_box *)lua_touserdata(L, idx);
  tf_doc *d = &b->doc;
  uint32_t root = 0, parent, head;
  int inside, status;
  tf_doc_result res;
  if (!b->open) tf_lua_closed_error(L, "tokenflow.Document"); /* a callback closed it */
  parent = d->nodes[i].parent;
  inside = (d->nodes[i].flags & TF_DOC_INSIDE_INSTANCE) != 0;
  tf_lua_doc_check_writable(L, b, i);
  idx = lua_absindex(L, idx);
  wi = lua_absindex(L, wi);
  pi = lua_absindex(L, pi);
  *hit = 0;
  if (memo) {
    int found;
    root = tf_doc_memo_root(d, (uint64_t)(uintptr_t)lua_topointer(L, wi), (uint64_t)(uintptr_t)lua_topointer(L, pi), inside);
    if (root == 0) tf_lua_oom(L);
    found = tf_doc_memo_lookup(d, root, i, &res);
    if (found < 0) tf_lua_oom(L);
    if (found) {
      const char *why = tf_doc_memo_reason(d, &res);
      if (res.set != 0 && tf_doc_link(d, i, res.set) != 0) tf_lua_oom(L);
      *hit = 1;
      lua_pushinteger(L, res.applied);
      if (why) lua_pushlstring(L, why, res.reason_len);
      else lua_pushnil(L);
      return LUA_OK;
    }
    /* room first: running out of memory must not leave a set open */
    b->at = (size_t *)tf_lua_grow(L, &b->doc.mem, b->at, &b->at_cap, 1, sizeof *b->at);
    b->at[0] = 0;
    if (tf_doc_begin(d, i) == 0) tf_lua_oom(L);
    b->rec = 1;
    b->rec_node = i;
    b->rec_keep = 1;
    b->nreads = 0;
    b->nwrote = 0;
    b->obs.len = 0;
  }
  head = tf_doc_patched(d, i) ? d->heads[i] : 0;
  lua_pushvalue(L, wi);
  tf_lua_doc_push_node(L, idx, i);
  lua_pushvalue(L, pi);
  lua_createtable(L, 0, 2);
  if (parent != 0) {
    tf_lua_doc_push_node(L, idx, parent - 1);
    lua_setfield(L, -2, "parent");
  }
  lua_pushboolean(L, inside);
  lua_setfield(L, -2, "inside_instance");
  status = lua_pcall(L, 3, 2, 0);
  if (memo) b->rec = 0;
  if (!b->open) tf_lua_closed_error(L, "tokenflow.Document"); /* the write closed it: nothing is left to patch */
  if (status != LUA_OK || (lua_isnil(L, -2) && !lua_isnil(L, -1)) ||
      (lua_type(L, -2) == LUA_TBOOLEAN && !lua_toboolean(L, -2))) {
    /* the node stays as it was */
    if (memo && d->open_set != 0) tf_doc_rollback(d);
    else tf_doc_unlink_to(d, i, head);
    if (status != LUA_OK) lua_pushnil(L); /* the error and a nil: the shape of a call's two results */
    return status;
  }
  if (memo) {
    uint32_t set = tf_doc_commit(d);
    if (b->rec_keep) {
      size_t rlen = 0;
      const char *reason = NULL;
      lua_getiuservalue(L, idx, DUV_ANCHORS); /* the plan and writer stay, so their addresses name them */
      lua_pushvalue(L, pi);
      lua_pushboolean(L, 1);
      lua_rawset(L, -3);
      lua_pushvalue(L, wi);
      lua_pushboolean(L, 1);
      lua_rawset(L, -3);
      lua_pop(L, 1);
      res.set = set;
      res.applied = lua_isinteger(L, -2) ? (int32_t)lua_tointeger(L, -2) : 0;
      if (lua_type(L, -1) == LUA_TSTRING && res.applied == 0) reason = lua_tolstring(L, -1, &rlen);
      if (lua_isinteger(L, -2) &&
          tf_doc_memo_insert(d, root, b->reads, b->nreads, b->obs.data, b->at, &res, reason, rlen) != 0)
        tf_lua_oom(L);
    }
  }
  return status;
}

/* ---- metatables ---- */

void tf_lua_doc_open_handles(lua_State *L, int idx) {
  static const luaL_Reg node_meta[] = {{"__index", node_index}, {"__newindex", node_newindex}, {"__pairs", node_pairs},
                                       {"__eq", node_eq},       {"__tostring", node_tostring}, {NULL, NULL}};
  static const luaL_Reg value_meta[] = {{"__index", value_index}, {"__newindex", value_newindex}, {"__len", value_len},
                                        {"__pairs", value_pairs}, {"__tostring", value_tostring}, {"__copy", value_copy},
                                        {NULL, NULL}};
  static const luaL_Reg copy_meta[] = {{"__index", copy_index}, {"__newindex", copy_newindex}, {"__pairs", copy_pairs},
                                       {"__copy", copy_copy},   {"__default", copy_default},   {"__tostring", copy_tostring},
                                       {NULL, NULL}};
  static const struct {
    const luaL_Reg *fns;
    const char *name;
    int uv;
  } kinds[] = {{node_meta, TF_NODE, DUV_NODE_MT}, {value_meta, TF_NODE_VALUE, DUV_VALUE_MT}, {copy_meta, TF_NODE_COPY, DUV_COPY_MT}};
  size_t k;
  idx = lua_absindex(L, idx);
  for (k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
    lua_createtable(L, 0, 8);
    lua_pushvalue(L, idx);
    luaL_setfuncs(L, kinds[k].fns, 1);
    lua_pushstring(L, kinds[k].name);
    lua_setfield(L, -2, "__name");
    lua_setiuservalue(L, idx, kinds[k].uv);
  }
}

void tf_open_docnode(lua_State *L) {
  luaL_newmetatable(L, TF_JSON_ARRAY); /* (it sets __name) */
  lua_setfield(L, -2, "json_array_mt");
}

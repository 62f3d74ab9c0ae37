/* tokenflow.DocumentCore: a Figma file read by the document engine
 * (src/core/tf_doc*.c), the C side of tf.figma.open (the Lua side,
 * lua/tokenflow/apply/document.lua, drives reading and writing in steps
 * and reports progress). Also its source for tf.update
 * (tokenflow.DocumentNodes); its writer is in docwriter.c. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tf_doc_emit.h"
#include "tf_lua_doc.h"

static tf_doc_box *to_box(lua_State *L, int idx) { return (tf_doc_box *)tf_lua_self(L, idx, TF_DOCUMENT); }

static tf_doc_box *check_open(lua_State *L, int idx) {
  tf_doc_box *b = to_box(L, idx);
  if (!b->open) tf_lua_closed_error(L, "tokenflow.Document");
  return b;
}

tf_doc_box *tf_lua_doc_check(lua_State *L, int idx) {
  tf_doc_box *b = (tf_doc_box *)luaL_checkudata(L, idx, TF_DOCUMENT);
  if (!b->open) tf_lua_closed_error(L, "tokenflow.Document");
  if (!b->ready) luaL_error(L, "tokenflow.Document: the document is not read (yet)");
  return b;
}

static void release(tf_doc_box *b) {
  if (!b->open) return;
  tf_lua_doc_stop_writing(b);
  tf_doc_free(&b->doc);
  tf_file_release(&b->file);
  tf_mem_free(&b->doc.mem, b->reads, b->reads_cap * sizeof *b->reads);
  tf_mem_free(&b->doc.mem, b->at, b->at_cap * sizeof *b->at);
  tf_mem_free(&b->doc.mem, b->wrote, b->wrote_cap * sizeof *b->wrote);
  tf_buf_free(&b->obs);
  b->reads = NULL;
  b->at = NULL;
  b->wrote = NULL;
  b->reads_cap = b->at_cap = b->wrote_cap = 0;
  b->open = 0;
  b->ready = 0;
}

/* A new, closed document box on the stack, named name. */
static tf_doc_box *new_box(lua_State *L, const char *name) {
  tf_doc_box *b = (tf_doc_box *)lua_newuserdatauv(L, sizeof *b, DUV_N);
  memset(b, 0, sizeof *b);
  b->file.data = "";
  luaL_setmetatable(L, TF_DOCUMENT);
  lua_pushstring(L, name);
  lua_setiuservalue(L, -2, DUV_NAME);
  lua_createtable(L, 0, 0);
  lua_setiuservalue(L, -2, DUV_ANCHORS);
  /* table -> its JSON text, for plan values written to many nodes (weak keys) */
  lua_createtable(L, 0, 0);
  lua_createtable(L, 0, 1);
  lua_pushliteral(L, "k");
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  lua_setiuservalue(L, -2, DUV_ENCODED);
  return b;
}

static void start(lua_State *L, tf_doc_box *b, const char *text, size_t len) {
  tf_mem mem = tf_lua_mem(L);
  tf_doc_init(&b->doc, mem, text, len);
  tf_buf_init(&b->obs, mem);
  b->open = 1;
  tf_lua_doc_open_handles(L, lua_gettop(L));
}

/** core.doc_open(path) -> a document to read, or nil, message. */
static int l_open(lua_State *L) {
  size_t len;
  const char *path = luaL_checklstring(L, 1, &len);
  tf_doc_box *b;
  luaL_argcheck(L, strlen(path) == len, 1, "a path cannot hold a zero byte");
  b = new_box(L, path);
  if (tf_file_read(&b->file, tf_lua_mem(L), path) != 0) {
    if (errno == ENOMEM) tf_lua_oom(L);
    lua_pushnil(L);
    lua_pushfstring(L, "cannot read %s: %s", path, strerror(errno));
    return 2;
  }
  start(L, b, b->file.data, b->file.len);
  return 1;
}

/** core.doc_from_string(text, name) -> a document to read over text. */
static int l_from_string(lua_State *L) {
  size_t len;
  const char *text = luaL_checklstring(L, 1, &len);
  const char *name = luaL_optstring(L, 2, "(string)");
  tf_doc_box *b = new_box(L, name);
  lua_pushvalue(L, 1);
  lua_setiuservalue(L, -2, DUV_TEXT); /* keeps the bytes alive (b->file stays empty: nothing to release) */
  start(L, b, text, len);
  return 1;
}

/* Pushes "NAME:LINE:COLUMN: what (byte OFFSET)". */
static void push_error(lua_State *L, int idx, tf_doc_box *b) {
  size_t line, col;
  tf_doc_position(&b->doc, b->doc.error_at, &line, &col);
  lua_getiuservalue(L, idx, DUV_NAME);
  lua_pushfstring(L, "%s:%I:%I: %s (byte %I)", lua_tostring(L, -1), (lua_Integer)line, (lua_Integer)col, b->doc.error,
                  (lua_Integer)b->doc.error_at);
  lua_remove(L, -2);
}

/** doc:read([budget]) -> "more", bytes read | "done" | nil, message. */
static int l_read(lua_State *L) {
  tf_doc_box *b = check_open(L, 1);
  lua_Integer budget = luaL_optinteger(L, 2, 8 << 20);
  int st;
  if (b->ready) {
    lua_pushliteral(L, "done");
    return 1;
  }
  st = tf_doc_read(&b->doc, budget > 0 ? (size_t)budget : 1);
  switch (st) {
    case TF_DOC_MORE:
      lua_pushliteral(L, "more");
      lua_pushinteger(L, (lua_Integer)b->doc.pos);
      return 2;
    case TF_DOC_OK:
      b->ready = 1;
      lua_pushliteral(L, "done");
      return 1;
    case TF_DOC_NOMEM:
      return tf_lua_oom(L);
    default:
      lua_pushnil(L);
      push_error(L, 1, b);
      return 2;
  }
}

/** doc:size() -> bytes of the file. */
static int l_size(lua_State *L) {
  tf_doc_box *b = check_open(L, 1);
  lua_pushinteger(L, (lua_Integer)b->doc.len);
  return 1;
}

/** doc:count() -> nodes. */
static int l_count(lua_State *L) {
  tf_doc_box *b = tf_lua_doc_check(L, 1);
  lua_pushinteger(L, (lua_Integer)b->doc.count);
  return 1;
}

/** doc:stats() -> a table of counts and sizes. */
static int l_stats(lua_State *L) {
  tf_doc_box *b = tf_lua_doc_check(L, 1);
  tf_doc *d = &b->doc;
  lua_createtable(L, 0, 12);
  tf_lua_setint(L, "nodes", d->count);
  tf_lua_setint(L, "roots", d->roots);
  tf_lua_setint(L, "bytes", (lua_Integer)d->len);
  tf_lua_setint(L, "index_bytes", (lua_Integer)tf_doc_bytes(d));
  tf_lua_setint(L, "patched", d->patched);
  tf_lua_setint(L, "edit_sets", d->nsets);
  tf_lua_setint(L, "edits", d->nedits);
  tf_lua_setint(L, "edit_bytes", (lua_Integer)d->texts.len);
  tf_lua_setint(L, "duplicates", (lua_Integer)d->dup_count);
  lua_pushstring(L, d->pretty ? "pretty" : "compact");
  lua_setfield(L, -2, "layout");
  lua_pushboolean(L, b->file.mapped);
  lua_setfield(L, -2, "mapped");
  return 1;
}

/** doc:duplicates() -> {{node =, key =, line =, column =, offset =}, ...}
 * for the keys a node (or the top level) holds twice (up to 1000). */
static int l_duplicates(lua_State *L) {
  tf_doc_box *b = tf_lua_doc_check(L, 1);
  tf_doc *d = &b->doc;
  size_t k;
  lua_createtable(L, (int)d->ndups, 0);
  for (k = 0; k < d->ndups; k++) {
    const tf_doc_dup *x = &d->dups[k];
    size_t line, col;
    tf_buf *s = &d->work.scratch;
    lua_createtable(L, 0, 5);
    if (x->node != UINT32_MAX && x->node < d->count) {
      tf_lua_doc_push_id(L, 1, x->node);
      lua_setfield(L, -2, "node");
    }
    s->len = 0;
    if (tf_doc_unescape(s, d->text, x->key, x->key + x->key_len) != 0) tf_lua_oom(L);
    lua_pushlstring(L, (const char *)s->data, s->len);
    lua_setfield(L, -2, "key");
    tf_doc_position(d, x->key, &line, &col);
    tf_lua_setint(L, "line", (lua_Integer)line);
    tf_lua_setint(L, "column", (lua_Integer)col);
    tf_lua_setint(L, "offset", (lua_Integer)x->key);
    lua_rawseti(L, -2, (lua_Integer)k + 1);
  }
  return 1;
}

/** doc:node(i) -> the handle of node i (1-based, document order). */
static int l_node(lua_State *L) {
  tf_doc_box *b = tf_lua_doc_check(L, 1);
  lua_Integer i = luaL_checkinteger(L, 2);
  luaL_argcheck(L, i >= 1 && i <= (lua_Integer)b->doc.count, 2, "no such node");
  tf_lua_doc_push_node(L, 1, (uint32_t)(i - 1));
  return 1;
}

/** doc:json(i, field[, member...]) -> the JSON text of a field of node i (or
 * of a member inside it) as it is now: the file's own bytes where nothing
 * changed it; nil when absent. */
static int l_json(lua_State *L) {
  tf_doc_box *b = tf_lua_doc_check(L, 1);
  lua_Integer i = luaL_checkinteger(L, 2), k, n = lua_gettop(L);
  size_t len;
  const char *s = luaL_checklstring(L, 3, &len);
  tf_doc_value v;
  tf_buf *t;
  luaL_argcheck(L, i >= 1 && i <= (lua_Integer)b->doc.count, 2, "no such node");
  if (tf_doc_field(&b->doc, (uint32_t)(i - 1), s, len, &v) != 0) tf_lua_oom(L);
  for (k = 4; k <= n && tf_doc_value_type(&v) != 0; k++) {
    tf_doc_value m;
    if (lua_type(L, (int)k) == LUA_TNUMBER) {
      lua_Integer at = luaL_checkinteger(L, (int)k);
      luaL_argcheck(L, at >= 1, (int)k, "array positions start at 1");
      if (tf_doc_member(&b->doc, &v, NULL, 0, (size_t)(at - 1), &m) != 0) tf_lua_oom(L);
    } else {
      s = luaL_checklstring(L, (int)k, &len);
      if (tf_doc_member(&b->doc, &v, s, len, 0, &m) != 0) tf_lua_oom(L);
    }
    v = m;
  }
  if (tf_doc_value_type(&v) == 0) return 0;
  t = tf_lua_newbuf(L, b->doc.mem);
  if (tf_doc_value_json(&b->doc, &v, t) != 0) tf_lua_oom(L);
  lua_pushlstring(L, (const char *)t->data, t->len);
  tf_buf_free(t);
  return 1;
}

/* ---- the source for tf.update ---- */

typedef struct nodes_box {
  uint32_t next; /* for iteration with a generic for */
} nodes_box;

/** doc:nodes() -> a source for tf.update over every node, in document
 * order; also an iterator (for node in doc:nodes() do ... end). */
static int l_nodes(lua_State *L) {
  nodes_box *n;
  tf_lua_doc_check(L, 1);
  n = (nodes_box *)lua_newuserdatauv(L, sizeof *n, 1);
  n->next = 0;
  luaL_setmetatable(L, TF_DOC_NODES);
  lua_pushvalue(L, 1);
  lua_setiuservalue(L, -2, 1);
  return 1;
}

tf_doc_box *tf_lua_doc_source(lua_State *L, int idx) {
  tf_doc_box *b;
  if (luaL_testudata(L, idx, TF_DOC_NODES) == NULL) return NULL;
  lua_getiuservalue(L, idx, 1);
  b = tf_lua_doc_check(L, -1);
  return b;
}

/* The document of the doc:nodes() source at 1, pushed, and its box (open). */
static tf_doc_box *nodes_doc(lua_State *L) {
  luaL_checkudata(L, 1, TF_DOC_NODES);
  lua_getiuservalue(L, 1, 1);
  return tf_lua_doc_check(L, -1);
}

static int nodes_call(lua_State *L) {
  nodes_box *n = (nodes_box *)luaL_checkudata(L, 1, TF_DOC_NODES);
  tf_doc_box *b = nodes_doc(L);
  if (n->next >= b->doc.count) {
    lua_pushnil(L);
    return 1;
  }
  tf_lua_doc_push_node(L, lua_gettop(L), n->next++);
  return 1;
}

static int nodes_len(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)nodes_doc(L)->doc.count);
  return 1;
}

static int nodes_tostring(lua_State *L) {
  tf_doc_box *b;
  luaL_checkudata(L, 1, TF_DOC_NODES);
  lua_getiuservalue(L, 1, 1);
  b = to_box(L, -1);
  lua_pushfstring(L, TF_DOC_NODES " (%I nodes)", (lua_Integer)(b->open ? b->doc.count : 0));
  return 1;
}

/* ---- visible-first ---- */

/* The number member `name` of the object box: 1 and *out, else 0 (-1:
 * out of memory). */
static int number_at(lua_State *L, tf_doc *d, const tf_doc_value *box, const char *name, double *out) {
  tf_doc_value v;
  if (tf_doc_member(d, box, name, strlen(name), 0, &v) != 0) return -1;
  if (tf_doc_value_type(&v) != 'n') return 0;
  tf_lua_doc_push_number(L, v.text + v.off, (size_t)(v.end - v.off));
  *out = lua_tonumber(L, -1);
  lua_pop(L, 1);
  return 1;
}

/** nodes:visible(x, y, w, h) -> positions (1-based, ascending) of the
 * nodes of a doc:nodes() source whose absoluteBoundingBox overlaps the
 * rectangle (closed: touching edges overlap). */
static int nodes_visible(lua_State *L) {
  tf_doc_box *b = nodes_doc(L);
  double x = luaL_checknumber(L, 2), y = luaL_checknumber(L, 3), w = luaL_checknumber(L, 4),
         h = luaL_checknumber(L, 5);
  tf_doc *d = &b->doc;
  uint32_t i;
  lua_Integer n = 0;
  lua_pop(L, 1); /* the document: b stays valid, the source holds it */
  lua_createtable(L, 0, 0);
  for (i = 0; i < d->count; i++) {
    tf_doc_value box;
    double bx, by, bw, bh;
    if (tf_doc_field(d, i, "absoluteBoundingBox", 19, &box) != 0) tf_lua_oom(L);
    if (tf_doc_value_type(&box) != 'o') continue;
    if (number_at(L, d, &box, "x", &bx) != 1 || number_at(L, d, &box, "y", &by) != 1 || number_at(L, d, &box, "width", &bw) != 1 ||
        number_at(L, d, &box, "height", &bh) != 1)
      continue;
    if (bx <= x + w && x <= bx + bw && by <= y + h && y <= by + bh) {
      lua_pushinteger(L, (lua_Integer)i + 1);
      lua_rawseti(L, -2, ++n);
    }
  }
  return 1;
}


/* ---- the rest ---- */

/** doc:close(): releases the index, the patches and the file. Idempotent. */
static int l_close(lua_State *L) {
  release(to_box(L, 1));
  return 0;
}

static int l_tostring(lua_State *L) {
  tf_doc_box *b = to_box(L, 1);
  lua_getiuservalue(L, 1, DUV_NAME);
  if (!b->open) lua_pushfstring(L, "tokenflow.Document (%s, closed)", lua_tostring(L, -1));
  else if (!b->ready) lua_pushfstring(L, "tokenflow.Document (%s, not read)", lua_tostring(L, -1));
  else
    lua_pushfstring(L, "tokenflow.Document (%s, %I nodes, %I patched)", lua_tostring(L, -1), (lua_Integer)b->doc.count,
                    (lua_Integer)b->doc.patched);
  return 1;
}

/** doc:name() -> the path (or name) the document was read from. */
static int l_name(lua_State *L) {
  to_box(L, 1);
  lua_getiuservalue(L, 1, DUV_NAME);
  return 1;
}

void tf_lua_doc_check_writable(lua_State *L, tf_doc_box *b, uint32_t i) {
  if (b->writing != NULL && i < tf_lua_doc_handed(b))
    luaL_error(L, "tokenflow.Document: node %d is already being written out (an update handed it to the writer)",
               (int)i + 1);
}

void tf_open_document(lua_State *L) {
  static const luaL_Reg meta[] = {{"__gc", l_close}, {"__close", l_close}, {"__tostring", l_tostring}, {NULL, NULL}};
  static const luaL_Reg methods[] = {{"read", l_read},   {"size", l_size},     {"count", l_count},
                                     {"stats", l_stats}, {"duplicates", l_duplicates}, {"node", l_node}, {"json", l_json},
                                     {"nodes", l_nodes}, {"writer", tf_lua_doc_writer},
                                     {"name", l_name},   {"close", l_close},   {NULL, NULL}};
  static const luaL_Reg nmeta[] = {{"__call", nodes_call}, {"__len", nodes_len}, {"__tostring", nodes_tostring}, {NULL, NULL}};
  static const luaL_Reg nmethods[] = {{"visible", nodes_visible}, {NULL, NULL}};
  tf_lua_newclass(L, TF_DOCUMENT, meta, methods);
  tf_lua_newclass(L, TF_DOC_NODES, nmeta, nmethods);
  tf_lua_doc_open_writer(L);
  lua_pushcfunction(L, l_open);
  lua_setfield(L, -2, "doc_open");
  lua_pushcfunction(L, l_from_string);
  lua_setfield(L, -2, "doc_from_string");
}

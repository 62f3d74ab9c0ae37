/* tokenflow.ViewportIndex: tf.viewport.index{...}, the binding of the
 * spatial index core (src/core/tf_spatial.c).
 *
 * Ids are integers or strings; strings are interned in the index's
 * interner (user value 1, tf.names unless `names` is given) and stored as
 * their interned id, so the core only sees 64-bit values with a kind.
 *
 * A query runs to completion in C, collecting the ids into a results
 * userdata (tokenflow.ViewportHits) that the iterator then walks: the index
 * may be changed inside the loop without disturbing it. The results are
 * also the loop's to-be-closed value, so `break` frees them at once. */
#include <math.h>
#include <string.h>

#include "tf_lua.h"
#include "tf_spatial.h"

#define TF_VINDEX "tokenflow.ViewportIndex"
#define TF_VHITS "tokenflow.ViewportHits"
#define HITS_NEXT "tokenflow.ViewportHits.next" /* field of the index metatable */

enum { KIND_INTEGER = 0, KIND_STRING = 1 };

typedef struct vindex_box {
  tf_spatial *s;        /* NULL once closed */
  tf_intern_box *names; /* user value 1 */
} vindex_box;

typedef struct hits_box {
  tf_spatial_id *ids; /* NULL once closed */
  size_t n, cap, pos;
  tf_mem mem;
  int nomem;
} hits_box;

static vindex_box *to_index(lua_State *L) { return (vindex_box *)tf_lua_self(L, 1, TF_VINDEX); }

static vindex_box *check_index(lua_State *L) {
  vindex_box *b = to_index(L);
  if (b->s == NULL) tf_lua_closed_error(L, TF_VINDEX);
  return b;
}

/* The id at arg. With add == 0 a string never interned gives 0 (it cannot
 * be in the index); otherwise 1. Raises on a bad id. */
static int check_id(lua_State *L, vindex_box *b, int arg, int add, tf_spatial_id *id) {
  int t = lua_type(L, arg);
  if (t == LUA_TNUMBER) {
    int isint;
    lua_Integer v = lua_tointegerx(L, arg, &isint);
    if (!isint) luaL_argerror(L, arg, lua_pushfstring(L, "id must be an integer or a string, got %s", lua_tostring(L, arg)));
    id->value = (int64_t)v;
    id->kind = KIND_INTEGER;
    return 1;
  }
  if (t == LUA_TSTRING) {
    size_t len;
    const char *s = lua_tolstring(L, arg, &len);
    uint32_t v;
    if (b->names->in == NULL) tf_lua_closed_error(L, TF_INTERNER);
    v = add ? tf_intern_add(b->names->in, s, len) : tf_intern_find(b->names->in, s, len);
    if (v == 0) {
      if (add) tf_lua_oom(L);
      return 0;
    }
    id->value = (int64_t)v;
    id->kind = KIND_STRING;
    return 1;
  }
  return luaL_argerror(L, arg, lua_pushfstring(L, "id must be an integer or a string, got %s", luaL_typename(L, arg)));
}

static void push_id(lua_State *L, tf_intern_box *names, tf_spatial_id id) {
  if (id.kind == KIND_INTEGER) {
    lua_pushinteger(L, (lua_Integer)id.value);
  } else {
    size_t len = 0;
    const char *s = names->in ? tf_intern_name(names->in, (uint32_t)id.value, &len) : NULL;
    if (s == NULL) tf_lua_closed_error(L, TF_INTERNER);
    lua_pushlstring(L, s, len);
  }
}

/* A description of id at arg for messages: `5` or `"card"`. */
static const char *id_text(lua_State *L, int arg) {
  if (lua_type(L, arg) == LUA_TSTRING) return lua_pushfstring(L, "\"%s\"", lua_tostring(L, arg));
  return luaL_tolstring(L, arg, NULL);
}

/* Reads x, y, w, h at arg..arg+3; raises naming the bad one. */
static const char *number_text(lua_State *L, int arg) {
  if (isnan((double)lua_tonumber(L, arg))) return "nan";
  return luaL_tolstring(L, arg, NULL);
}

static void check_rect(lua_State *L, int arg, double *r) {
  static const char *const names[] = {"x", "y", "w", "h"};
  int i;
  for (i = 0; i < 4; i++) {
    int a = arg + i;
    if (lua_type(L, a) != LUA_TNUMBER)
      luaL_argerror(L, a, lua_pushfstring(L, "%s must be a number, got %s", names[i], luaL_typename(L, a)));
    r[i] = (double)lua_tonumber(L, a);
    if (!isfinite(r[i]))
      luaL_argerror(L, a, lua_pushfstring(L, "%s must be a finite number, got %s", names[i], number_text(L, a)));
    if (i >= 2 && r[i] < 0)
      luaL_argerror(L, a, lua_pushfstring(L, "%s must be >= 0, got %s", names[i], luaL_tolstring(L, a, NULL)));
  }
  if (!isfinite(r[0] + r[2])) luaL_argerror(L, arg, "x + w is not a finite number");
  if (!isfinite(r[1] + r[3])) luaL_argerror(L, arg + 1, "y + h is not a finite number");
}

/** idx:insert(id, x, y, w, h): adds id with its rectangle; raises when id
 * is already in the index (use update) or a coordinate is not finite. */
static int l_insert(lua_State *L) {
  vindex_box *b = check_index(L);
  tf_spatial_id id;
  double r[4];
  int rc;
  check_rect(L, 3, r);
  check_id(L, b, 2, 1, &id);
  rc = tf_spatial_insert(b->s, id, r[0], r[1], r[2], r[3]);
  if (rc == TF_SPATIAL_EXISTS)
    return luaL_error(L, "id %s is already in the index (use update to move it)", id_text(L, 2));
  if (rc != TF_SPATIAL_OK) return tf_lua_oom(L);
  return 0;
}

/** idx:update(id, x, y, w, h): moves or resizes id; raises when id is not
 * in the index. */
static int l_update(lua_State *L) {
  vindex_box *b = check_index(L);
  tf_spatial_id id;
  double r[4];
  int rc = TF_SPATIAL_MISSING;
  check_rect(L, 3, r);
  if (check_id(L, b, 2, 0, &id)) rc = tf_spatial_update(b->s, id, r[0], r[1], r[2], r[3]);
  if (rc == TF_SPATIAL_MISSING) return luaL_error(L, "id %s is not in the index (use insert)", id_text(L, 2));
  if (rc != TF_SPATIAL_OK) return tf_lua_oom(L);
  return 0;
}

/** idx:remove(id) -> true when id was in the index, else false. */
static int l_remove(lua_State *L) {
  vindex_box *b = check_index(L);
  tf_spatial_id id;
  lua_pushboolean(L, check_id(L, b, 2, 0, &id) && tf_spatial_remove(b->s, id) == TF_SPATIAL_OK);
  return 1;
}

/** idx:get(id) -> x, y, w, h, or nil when id is not in the index. */
static int l_get(lua_State *L) {
  vindex_box *b = check_index(L);
  tf_spatial_id id;
  double x, y, w, h;
  if (!check_id(L, b, 2, 0, &id) || !tf_spatial_get(b->s, id, &x, &y, &w, &h)) {
    lua_pushnil(L);
    return 1;
  }
  lua_pushnumber(L, (lua_Number)x);
  lua_pushnumber(L, (lua_Number)y);
  lua_pushnumber(L, (lua_Number)w);
  lua_pushnumber(L, (lua_Number)h);
  return 4;
}

/* ---- query results ---- */

static int collect(void *ud, tf_spatial_id id) {
  hits_box *h = (hits_box *)ud;
  if (h->n == h->cap) {
    size_t cap = h->cap ? h->cap * 2 : 64;
    size_t bytes = tf_mem_mul(cap, sizeof *h->ids);
    tf_spatial_id *ids = bytes ? (tf_spatial_id *)tf_mem_realloc(&h->mem, h->ids, h->cap * sizeof *h->ids, bytes) : NULL;
    if (ids == NULL) {
      h->nomem = 1;
      return 1;
    }
    h->ids = ids;
    h->cap = cap;
  }
  h->ids[h->n++] = id;
  return 0;
}

static int hits_gc(lua_State *L) {
  hits_box *h = (hits_box *)tf_lua_self(L, 1, TF_VHITS);
  if (h->ids != NULL) {
    tf_mem_free(&h->mem, h->ids, h->cap * sizeof *h->ids);
    h->ids = NULL;
  }
  h->n = h->pos = h->cap = 0;
  return 0;
}

/* The iterator: hits_next(results) -> the next id, or nil. */
static int hits_next(lua_State *L) {
  hits_box *h = (hits_box *)tf_lua_self(L, 1, TF_VHITS);
  if (h->pos >= h->n) return 0;
  if (h->ids[h->pos].kind == KIND_INTEGER) {
    lua_pushinteger(L, (lua_Integer)h->ids[h->pos++].value);
  } else {
    lua_getiuservalue(L, 1, 1);
    push_id(L, (tf_intern_box *)lua_touserdata(L, -1), h->ids[h->pos++]);
  }
  return 1;
}

static int hits_len(lua_State *L) {
  hits_box *h = (hits_box *)tf_lua_self(L, 1, TF_VHITS);
  lua_pushinteger(L, (lua_Integer)h->n);
  return 1;
}

static int hits_tostring(lua_State *L) {
  hits_box *h = (hits_box *)tf_lua_self(L, 1, TF_VHITS);
  lua_pushfstring(L, TF_VHITS " (%I ids, %I left)", (lua_Integer)h->n, (lua_Integer)(h->n - h->pos));
  return 1;
}

/** idx:query(x, y, w, h) -> iterator over the ids whose rectangle overlaps
 * (x, y, w, h), each once, in no particular order: `for id in idx:query(...)`.
 * Rectangles are closed (touching edges overlap). The results are collected
 * when query is called; changing the index inside the loop is allowed. */
static int l_query(lua_State *L) {
  vindex_box *b = check_index(L);
  double r[4];
  hits_box *h;
  check_rect(L, 2, r);
  lua_getfield(L, lua_upvalueindex(1), HITS_NEXT);
  h = (hits_box *)lua_newuserdatauv(L, sizeof *h, 1);
  h->ids = NULL;
  h->n = h->cap = h->pos = 0;
  h->mem = tf_lua_mem(L);
  h->nomem = 0;
  luaL_setmetatable(L, TF_VHITS);
  lua_getiuservalue(L, 1, 1);
  lua_setiuservalue(L, -2, 1);
  tf_spatial_query(b->s, r[0], r[1], r[2], r[3], collect, h);
  if (h->nomem) return tf_lua_oom(L);
  lua_pushnil(L);
  lua_pushvalue(L, -2);
  return 4;
}

/** idx:count() -> ids in the index (also #idx). */
static int l_count(lua_State *L) {
  vindex_box *b = check_index(L);
  lua_pushinteger(L, (lua_Integer)tf_spatial_count(b->s));
  return 1;
}

/** idx:stats() -> {count, cells, refs, max_per_cell, overflow, bytes, cell, max_cells}:
 * ids, occupied cells, cell references, most ids in one cell, ids in the
 * overflow list, bytes held, cell side, cells per rectangle before overflow. */
static int l_stats(lua_State *L) {
  vindex_box *b = check_index(L);
  tf_spatial_stats st;
  tf_spatial_get_stats(b->s, &st);
  lua_createtable(L, 0, 8);
  tf_lua_setint(L, "count", st.count);
  tf_lua_setint(L, "cells", st.cells);
  tf_lua_setint(L, "refs", st.refs);
  tf_lua_setint(L, "max_per_cell", st.max_per_cell);
  tf_lua_setint(L, "overflow", st.overflow);
  tf_lua_setint(L, "bytes", st.bytes);
  tf_lua_setint(L, "max_cells", st.max_cells);
  lua_pushnumber(L, (lua_Number)st.cell);
  lua_setfield(L, -2, "cell");
  return 1;
}

static int l_tostring(lua_State *L) {
  vindex_box *b = to_index(L);
  tf_spatial_stats st;
  if (b->s == NULL) {
    lua_pushliteral(L, TF_VINDEX " (closed)");
    return 1;
  }
  tf_spatial_get_stats(b->s, &st);
  if (st.cell == floor(st.cell) && st.cell < 1e15)
    lua_pushfstring(L, "%I", (lua_Integer)st.cell);
  else
    lua_pushfstring(L, "%f", (lua_Number)st.cell);
  lua_pushfstring(L, TF_VINDEX " (%I ids, %I cells of %s, %I in overflow)", (lua_Integer)st.count,
                  (lua_Integer)st.cells, lua_tostring(L, -1), (lua_Integer)st.overflow);
  return 1;
}

/** idx:close(): frees the index now; idempotent (also __gc, __close). */
static int l_close(lua_State *L) {
  vindex_box *b = to_index(L);
  if (b->s != NULL) {
    tf_spatial_free(b->s);
    b->s = NULL;
  }
  return 0;
}

/* A number option: nil gives def; else finite and > 0 (integer when want_int). */
static double opt_number(lua_State *L, const char *name, double def, int want_int) {
  double v = def;
  if (lua_getfield(L, 1, name) != LUA_TNIL) {
    int isint = 0;
    v = (double)lua_tonumber(L, -1);
    if (want_int) (void)lua_tointegerx(L, -1, &isint);
    if (lua_type(L, -1) != LUA_TNUMBER || !isfinite(v) || !(v > 0) || (want_int && !isint))
      luaL_argerror(L, 1, lua_pushfstring(L, "%s must be a positive %s, got %s", name, want_int ? "integer" : "number",
                                          luaL_tolstring(L, -1, NULL)));
  }
  lua_pop(L, 1);
  return v;
}

/** tf.viewport.index{cell = 256, max_cells = 256, names = tf.names} -> a new
 * spatial index: square cells of side `cell` in document units; a rectangle
 * spanning more than `max_cells` cells goes to the overflow list, which
 * every query checks; string ids are interned in `names`. */
static int l_new(lua_State *L) {
  static const char *const known[] = {"cell", "max_cells", "names", NULL};
  double cell, max_cells;
  vindex_box *b;
  if (lua_isnoneornil(L, 1)) {
    lua_settop(L, 0);
    lua_newtable(L);
  }
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_pushnil(L);
  while (lua_next(L, 1)) {
    int i, ok = 0;
    lua_pop(L, 1);
    if (lua_type(L, -1) == LUA_TSTRING)
      for (i = 0; known[i] && !ok; i++) ok = strcmp(lua_tostring(L, -1), known[i]) == 0;
    if (!ok) luaL_argerror(L, 1, lua_pushfstring(L, "unknown option '%s'", luaL_tolstring(L, -1, NULL)));
  }
  cell = opt_number(L, "cell", 256, 0);
  if (!isfinite(1.0 / cell)) luaL_argerror(L, 1, "cell is too small");
  max_cells = opt_number(L, "max_cells", TF_SPATIAL_MAX_CELLS, 1);
  if (max_cells > 1e9) luaL_argerror(L, 1, "max_cells must be at most 1e9");
  lua_getfield(L, 1, "names");
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    tf_lua_pushnames(L);
  } else {
    tf_lua_checkinterner(L, -1);
  }
  /* created closed, armed once the core exists */
  b = (vindex_box *)lua_newuserdatauv(L, sizeof *b, 1);
  b->s = NULL;
  b->names = (tf_intern_box *)lua_touserdata(L, -2);
  luaL_setmetatable(L, TF_VINDEX);
  lua_pushvalue(L, -2);
  lua_setiuservalue(L, -2, 1);
  b->s = tf_spatial_new(tf_lua_mem(L), cell, (size_t)max_cells);
  if (b->s == NULL) return tf_lua_oom(L);
  return 1;
}

/* ---- the bounds pass of visible-first updates ---- */

typedef struct scan_rect {
  double x, y, x1, y1;
} scan_rect;

/* Raises about the bounds of the node at node_idx (position pos). */
static int bounds_error(lua_State *L, int node_idx, lua_Integer pos, const char *what) {
  if (lua_type(L, node_idx) == LUA_TTABLE && lua_getfield(L, node_idx, "id") != LUA_TNIL)
    return luaL_error(L, "viewport: bounds of node %s: %s", luaL_tolstring(L, -1, NULL), what);
  return luaL_error(L, "viewport: bounds of node %I: %s", pos, what);
}

/* The number at idx for field name of the node's bounds, or raises. */
static double bound_number(lua_State *L, int idx, int node_idx, lua_Integer pos, const char *name) {
  double v;
  if (lua_type(L, idx) != LUA_TNUMBER)
    bounds_error(L, node_idx, pos, lua_pushfstring(L, "%s must be a number, got %s", name, luaL_typename(L, idx)));
  v = (double)lua_tonumber(L, idx);
  if (!isfinite(v))
    bounds_error(L, node_idx, pos, lua_pushfstring(L, "%s must be a finite number, got %s", name, number_text(L, idx)));
  return v;
}

/* 1 when the node at node_idx overlaps q. bounds_idx holds bounds(node)
 * -> x, y, w, h (or nil: no bounds, not visible) or the name of a field
 * holding {x=, y=, width=, height=} (Figma's absoluteBoundingBox). */
static int node_visible(lua_State *L, int node_idx, int bounds_idx, lua_Integer pos, const scan_rect *q) {
  static const char *const fn_names[] = {"x", "y", "w", "h"};
  static const char *const field_names[] = {"x", "y", "width", "height"};
  int top = lua_gettop(L), i, visible;
  double r[4];
  if (lua_type(L, bounds_idx) == LUA_TSTRING) {
    if (lua_type(L, node_idx) != LUA_TTABLE) return 0;
    lua_pushvalue(L, bounds_idx);
    if (lua_gettable(L, node_idx) == LUA_TNIL) {
      lua_settop(L, top);
      return 0;
    }
    if (lua_type(L, -1) != LUA_TTABLE)
      bounds_error(L, node_idx, pos,
                   lua_pushfstring(L, "%s must be a table, got %s", lua_tostring(L, bounds_idx), luaL_typename(L, -1)));
    for (i = 0; i < 4; i++) {
      lua_getfield(L, top + 1, field_names[i]);
      r[i] = bound_number(L, -1, node_idx, pos, field_names[i]);
      lua_pop(L, 1);
    }
  } else {
    lua_pushvalue(L, bounds_idx);
    lua_pushvalue(L, node_idx);
    lua_call(L, 1, 4);
    if (lua_isnil(L, top + 1)) {
      lua_settop(L, top);
      return 0;
    }
    for (i = 0; i < 4; i++) r[i] = bound_number(L, top + 1 + i, node_idx, pos, fn_names[i]);
  }
  lua_settop(L, top);
  if (r[2] < 0 || r[3] < 0)
    bounds_error(L, node_idx, pos, lua_pushfstring(L, "size must be >= 0, got %f x %f", (lua_Number)r[2], (lua_Number)r[3]));
  visible = r[0] <= q->x1 && r[0] + r[2] >= q->x && r[1] <= q->y1 && r[1] + r[3] >= q->y;
  return visible;
}

#define SCAN_BATCH 256

/** core.viewport_scan(source, bounds, x, y, w, h) -> the nodes of source
 * that overlap the rectangle, in document order:
 * - array source: `positions, n` (the positions, ascending);
 * - tf.walk source: `nodes, n, positions`, walking a fresh copy of the
 *   walk, which must not have started (the walk itself is left as it was);
 * - iterator function: `all, positions, n`: the function is read to its
 *   end (it must not yield), `all` holds every node in order.
 * `bounds` is a function(node) -> x, y, w, h (nil: no bounds, not visible)
 * or the name of a field holding {x, y, width, height}. */
static int l_scan(lua_State *L) {
  double r[4];
  scan_rect q;
  lua_Integer n = 0, pos = 0;
  int src = 1, bounds = 2, out;
  if (lua_type(L, bounds) != LUA_TFUNCTION && lua_type(L, bounds) != LUA_TSTRING)
    luaL_argerror(L, bounds, "bounds must be a function or a field name");
  check_rect(L, 3, r);
  q.x = r[0];
  q.y = r[1];
  q.x1 = r[0] + r[2];
  q.y1 = r[1] + r[3];
  lua_settop(L, 2);
  lua_newtable(L);
  out = 3;
  if (lua_type(L, src) == LUA_TTABLE) {
    lua_Integer len = luaL_len(L, src);
    for (pos = 1; pos <= len; pos++) {
      lua_geti(L, src, pos);
      if (node_visible(L, 4, bounds, pos, &q)) {
        lua_pushinteger(L, pos);
        lua_rawseti(L, out, ++n);
      }
      lua_pop(L, 1);
    }
    lua_pushinteger(L, n);
    return 2;
  }
  if (lua_type(L, src) == LUA_TFUNCTION) {
    lua_newtable(L); /* 4: every node */
    for (;;) {
      lua_pushvalue(L, src);
      lua_call(L, 0, 1);
      if (lua_isnil(L, -1)) break;
      pos++;
      if (node_visible(L, 5, bounds, pos, &q)) {
        lua_pushinteger(L, pos);
        lua_rawseti(L, out, ++n);
      }
      lua_rawseti(L, 4, pos);
    }
    lua_settop(L, 4);
    lua_insert(L, 3);
    lua_pushinteger(L, n);
    return 3;
  }
  if (!tf_lua_iswalk(L, src)) luaL_argerror(L, src, "source must be an array, an iterator function or a tf.walk");
  if (!tf_lua_walk_restart(L, src)) luaL_argerror(L, src, "the walk has already produced nodes (give a fresh tf.walk)");
  lua_createtable(L, SCAN_BATCH, 0); /* 5: a batch of nodes */
  lua_newtable(L);                   /* 6: positions */
  for (;;) {
    lua_Integer got = tf_lua_walk_take(L, 4, 5, SCAN_BATCH), i;
    for (i = 1; i <= got; i++) {
      lua_rawgeti(L, 5, i);
      pos++;
      if (node_visible(L, 7, bounds, pos, &q)) {
        lua_rawseti(L, out, ++n);
        lua_pushinteger(L, pos);
        lua_rawseti(L, 6, n);
      } else {
        lua_pop(L, 1);
      }
    }
    if (got < SCAN_BATCH) break;
  }
  lua_pushvalue(L, 3);
  lua_pushinteger(L, n);
  lua_pushvalue(L, 6);
  return 3;
}

void tf_open_viewport(lua_State *L) {
  static const luaL_Reg meta[] = {{"__len", l_count}, {"__tostring", l_tostring}, {"__gc", l_close}, {"__close", l_close},
                                  {NULL, NULL}};
  static const luaL_Reg methods[] = {{"insert", l_insert}, {"update", l_update}, {"remove", l_remove},
                                     {"get", l_get},       {"query", l_query},   {"count", l_count},
                                     {"stats", l_stats},   {"close", l_close},   {NULL, NULL}};
  static const luaL_Reg hits_meta[] = {{"__len", hits_len}, {"__tostring", hits_tostring}, {"__gc", hits_gc},
                                       {"__close", hits_gc}, {NULL, NULL}};
  static const luaL_Reg hits_methods[] = {{"close", hits_gc}, {NULL, NULL}};
  tf_lua_newclass(L, TF_VHITS, hits_meta, hits_methods);
  tf_lua_newclass(L, TF_VINDEX, meta, methods);
  /* the iterator, with the results' metatable as upvalue 1, kept in the index's metatable */
  luaL_getmetatable(L, TF_VINDEX);
  luaL_getmetatable(L, TF_VHITS);
  lua_pushcclosure(L, hits_next, 1);
  lua_setfield(L, -2, HITS_NEXT);
  lua_pop(L, 1);
  lua_pushcfunction(L, l_new);
  lua_setfield(L, -2, "viewport_index");
  lua_pushcfunction(L, l_scan);
  lua_setfield(L, -2, "viewport_scan");
}

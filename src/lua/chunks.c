/* tokenflow.Chunks: tf.chunks(source[, opts]), the chunked iterator.
 *
 *   for chunk, info in tf.chunks(source, {size = 1000}) do ... end
 *
 * The iterator is a C function; the generic for calls it through OP_TFORCALL,
 * which uses luaD_call (not the non-yieldable variant), so it may yield with
 * lua_yieldk: between two chunks, inside a coroutine, it yields a progress
 * value and its continuation resumes the iteration (or ends it when resumed
 * with "cancel" or false). Outside a coroutine (lua_isyieldable false) it
 * runs straight through. The time between handing out a chunk and the next
 * call is the loop body's: it feeds the chunk-size controller (tf_chunks.c).
 *
 * All loop state is in the userdata (cursor, counters) and its user values
 * (source, reused chunk and info tables), never in C locals across a yield
 * or a callk. */
#include <math.h>
#include <string.h>

#include "tf_chunks.h"
#include "tf_clock.h"
#include "tf_lua.h"

#define CH_SOURCE 1 /* user value: array, iterator function or tokenflow.Walk */
#define CH_CHUNK 2  /* the chunk table, reused */
#define CH_INFO 3   /* the info table, reused */
#define CH_NUV 3

enum { SRC_ARRAY, SRC_FUNCTION, SRC_WALK };

typedef struct chunks_box {
  int kind;
  int raw;        /* array without metatable: rawgeti */
  int closed;     /* references dropped */
  int finished;   /* source exhausted, cancelled or closed */
  int cancelled;
  int yield;      /* yield between chunks when yieldable */
  int gc_step;    /* incremental GC step between chunks */
  lua_Integer pos, to;      /* array cursor: next index, last index */
  lua_Integer index;        /* chunks handed out */
  lua_Integer delivered;    /* nodes handed out */
  lua_Integer total;        /* known node count, -1 when unknown */
  lua_Integer filled;       /* nodes in the chunk table being filled */
  lua_Integer in_table;     /* nodes left in the chunk table by the last chunk */
  lua_Integer target;       /* size of the chunk being filled */
  tf_chunk_ctl ctl;
  double started, handed_out; /* clock at the first call, at the last chunk's return */
} chunks_box;

static chunks_box *to_chunks(lua_State *L, int idx) { return (chunks_box *)luaL_checkudata(L, idx, TF_CHUNKS); }

/* Ends the chunk: clears what the previous chunk left beyond this one,
 * fills info and returns chunk, info. Stack: 1 = box. */
static int hand_out(lua_State *L, chunks_box *c) {
  lua_Integer i, count = c->filled;
  double now;
  if (count == 0) {
    c->finished = 1;
    return 0;
  }
  lua_getiuservalue(L, 1, CH_CHUNK);
  for (i = count + 1; i <= c->in_table; i++) {
    lua_pushnil(L);
    lua_rawseti(L, -2, i);
  }
  c->in_table = count;
  c->index++;
  c->delivered += count;
  now = tf_clock_now();
  lua_getiuservalue(L, 1, CH_INFO);
  lua_pushinteger(L, c->index);
  lua_setfield(L, -2, "index");
  lua_pushinteger(L, c->delivered - count + 1);
  lua_setfield(L, -2, "first");
  lua_pushinteger(L, count);
  lua_setfield(L, -2, "count");
  lua_pushinteger(L, c->delivered);
  lua_setfield(L, -2, "done");
  lua_pushnumber(L, now - c->started);
  lua_setfield(L, -2, "elapsed");
  if (c->total >= 0) lua_pushinteger(L, c->total);
  else lua_pushnil(L);
  lua_setfield(L, -2, "total");
  c->filled = 0;
  c->handed_out = tf_clock_now();
  return 2;
}

static int fill_function_k(lua_State *L, int status, lua_KContext ctx);

/* One node from a function source is on top: stores it or ends the source.
 * Returns 1 to go on. Serves the direct call and the continuation. */
static int take_from_function(lua_State *L, chunks_box *c) {
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    c->finished = 1;
    return 0;
  }
  c->filled++;
  lua_rawseti(L, 2, c->filled);
  return 1;
}

/* Stack on entry: 1 = box, 2 = chunk table, 3 = source function. */
static int fill_function(lua_State *L, chunks_box *c) {
  while (c->filled < c->target) {
    lua_pushvalue(L, 3);
    lua_callk(L, 0, 1, 0, fill_function_k); /* the source may yield (e.g. to wait for the host) */
    if (!take_from_function(L, c)) break;
  }
  lua_settop(L, 1);
  return hand_out(L, c);
}

static int fill_function_k(lua_State *L, int status, lua_KContext ctx) {
  chunks_box *c = (chunks_box *)lua_touserdata(L, 1);
  (void)status;
  (void)ctx;
  if (c->closed) return 0; /* closed while the source was suspended */
  if (!take_from_function(L, c)) {
    lua_settop(L, 1);
    return hand_out(L, c);
  }
  return fill_function(L, c);
}

/* Fills the next chunk from the source. Stack: 1 = box (anything above is dropped). */
static int fill(lua_State *L, chunks_box *c) {
  lua_Integer n = (lua_Integer)c->ctl.size;
  lua_settop(L, 1);
  c->target = n;
  c->filled = 0;
  lua_getiuservalue(L, 1, CH_CHUNK); /* 2 */
  lua_getiuservalue(L, 1, CH_SOURCE); /* 3 */
  switch (c->kind) {
    case SRC_ARRAY: {
      lua_Integer i, last = c->pos + n - 1;
      if (last > c->to || last < c->pos) last = c->to; /* second test: overflow */
      if (c->raw) {
        for (i = c->pos; i <= last; i++) {
          lua_rawgeti(L, 3, i);
          lua_rawseti(L, 2, ++c->filled);
        }
      } else {
        for (i = c->pos; i <= last; i++) {
          lua_geti(L, 3, i);
          lua_rawseti(L, 2, ++c->filled);
        }
      }
      c->pos = last + 1;
      if (c->pos > c->to) c->finished = 1;
      break;
    }
    case SRC_FUNCTION:
      return fill_function(L, c);
    default: /* SRC_WALK */
      c->filled = tf_lua_walk_take(L, 3, 2, n);
      if (c->filled < n) c->finished = 1;
      break;
  }
  lua_settop(L, 1);
  return hand_out(L, c);
}

/* Continuation after the yield between chunks: the resume values are on
 * the stack above the iterator's two arguments. */
static int resumed(lua_State *L, int status, lua_KContext ctx) {
  chunks_box *c = (chunks_box *)lua_touserdata(L, 1);
  (void)status;
  (void)ctx;
  if (c->closed) return 0;
  if (lua_gettop(L) >= 3 &&
      ((lua_type(L, 3) == LUA_TBOOLEAN && !lua_toboolean(L, 3)) ||
       (lua_type(L, 3) == LUA_TSTRING && strcmp(lua_tostring(L, 3), "cancel") == 0))) {
    c->finished = 1;
    c->cancelled = 1;
    return 0;
  }
  return fill(L, c);
}

/* Pushes a new table {chunks =, done =, total =, chunk_size =} with room
 * for `extra` more fields: the progress value and the stats share it. */
static void push_counts(lua_State *L, const chunks_box *c, int extra) {
  lua_createtable(L, 0, 4 + extra);
  lua_pushinteger(L, c->index);
  lua_setfield(L, -2, "chunks");
  lua_pushinteger(L, c->delivered);
  lua_setfield(L, -2, "done");
  if (c->total >= 0) {
    lua_pushinteger(L, c->total);
    lua_setfield(L, -2, "total");
  }
  lua_pushinteger(L, (lua_Integer)c->ctl.size);
  lua_setfield(L, -2, "chunk_size");
}

/* The iterator: (box, control) -> chunk, info | nil. */
static int l_next(lua_State *L) {
  chunks_box *c = to_chunks(L, 1);
  if (c->closed || c->finished) return 0;
  if (c->index == 0) {
    c->started = tf_clock_now();
  } else {
    double body = tf_clock_now() - c->handed_out;
    tf_chunk_observe(&c->ctl, (size_t)c->in_table, body);
    if (c->gc_step) lua_gc(L, LUA_GCSTEP, 0);
    if (c->yield && lua_isyieldable(L)) {
      push_counts(L, c, 1);
      lua_pushliteral(L, "progress");
      lua_setfield(L, -2, "tokenflow");
      return lua_yieldk(L, 1, 0, resumed);
    }
  }
  return fill(L, c);
}

/** it:stats() -> {chunks=, done=, total=, chunk_size=, cancelled=, finished=}. */
static int l_stats(lua_State *L) {
  chunks_box *c = to_chunks(L, 1);
  push_counts(L, c, 2);
  lua_pushboolean(L, c->cancelled);
  lua_setfield(L, -2, "cancelled");
  lua_pushboolean(L, c->finished);
  lua_setfield(L, -2, "finished");
  return 1;
}

static int l_tostring(lua_State *L) {
  chunks_box *c = to_chunks(L, 1);
  const char *src = c->kind == SRC_ARRAY ? "array" : c->kind == SRC_FUNCTION ? "function" : "walk";
  if (c->closed)
    lua_pushliteral(L, TF_CHUNKS " (closed)");
  else
    lua_pushfstring(L, TF_CHUNKS " (%s source, %I chunks, %I nodes, next size %I%s)", src, c->index, c->delivered,
                    (lua_Integer)c->ctl.size, c->cancelled ? ", cancelled" : c->finished ? ", finished" : "");
  return 1;
}

/** it:close(): drops the references to the source and the tables;
 * idempotent. Also the generic for's closing value (__close). */
static int l_close(lua_State *L) {
  chunks_box *c = to_chunks(L, 1);
  int i;
  if (!c->closed) {
    c->closed = 1;
    c->finished = 1;
    for (i = 1; i <= CH_NUV; i++) {
      lua_pushnil(L);
      lua_setiuservalue(L, 1, i);
    }
  }
  return 0;
}

static lua_Integer opt_posint(lua_State *L, int opts, const char *field, lua_Integer def) {
  lua_Integer v = def;
  if (lua_getfield(L, opts, field) != LUA_TNIL) {
    int isint;
    v = lua_tointegerx(L, -1, &isint);
    if (!isint || v < 1) luaL_argerror(L, opts, lua_pushfstring(L, "%s must be a positive integer", field));
  }
  lua_pop(L, 1);
  return v;
}

static int opt_bool(lua_State *L, int opts, const char *field, int def) {
  int v = def;
  if (lua_getfield(L, opts, field) != LUA_TNIL) v = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return v;
}

#define CHUNK_DEFAULT_SIZE 1000
#define CHUNK_AUTO_START 256
#define CHUNK_AUTO_MIN 16
#define CHUNK_AUTO_MAX 65536
#define CHUNK_BUDGET_MS 8.0

/** tf.chunks(source[, opts]) -> iterator, state, nil, state (closing value). */
static int l_chunks(lua_State *L) {
  chunks_box *c;
  int kind, raw = 0, opts = 2, yield, gc_step, batched = 0;
  lua_Integer from = 1, to = -1, total = -1, size = CHUNK_DEFAULT_SIZE;
  lua_Integer min_size = CHUNK_AUTO_MIN, max_size = CHUNK_AUTO_MAX;
  double budget_ms = CHUNK_BUDGET_MS;
  int adaptive = 0;
  switch (lua_type(L, 1)) {
    case LUA_TTABLE: kind = SRC_ARRAY; raw = lua_getmetatable(L, 1) == 0; if (!raw) lua_pop(L, 1); break;
    case LUA_TFUNCTION: kind = SRC_FUNCTION; break;
    default:
      if (tf_lua_iswalk(L, 1)) { kind = SRC_WALK; break; }
      return luaL_typeerror(L, 1, "array, iterator function or tf.walk");
  }
  if (lua_isnoneornil(L, 2)) {
    lua_settop(L, 1);
    lua_newtable(L);
  } else {
    luaL_checktype(L, 2, LUA_TTABLE);
  }
  if (lua_getfield(L, opts, "size") == LUA_TSTRING && strcmp(lua_tostring(L, -1), "auto") == 0) {
    adaptive = 1;
  } else if (!lua_isnil(L, -1)) {
    int isint;
    size = lua_tointegerx(L, -1, &isint);
    if (!isint || size < 1)
      return luaL_argerror(L, opts, lua_pushfstring(L, "size must be a positive integer or \"auto\", got %s", luaL_tolstring(L, -1, NULL)));
  }
  lua_pop(L, 1);
  if (lua_getfield(L, opts, "mode") != LUA_TNIL) {
    const char *mode = lua_tostring(L, -1);
    if (mode != NULL && strcmp(mode, "batched") == 0) batched = 1;
    else if (mode == NULL || strcmp(mode, "streaming") != 0)
      return luaL_argerror(L, opts, "mode must be \"batched\" or \"streaming\"");
  }
  lua_pop(L, 1);
  yield = opt_bool(L, opts, "yield", !batched);
  gc_step = opt_bool(L, opts, "gc_step", yield);
  if (adaptive) {
    if (lua_getfield(L, opts, "budget_ms") != LUA_TNIL) {
      budget_ms = lua_tonumber(L, -1);
      if (!lua_isnumber(L, -1) || !(budget_ms > 0) || budget_ms == HUGE_VAL) return luaL_argerror(L, opts, "budget_ms must be a positive number");
    }
    lua_pop(L, 1);
    min_size = opt_posint(L, opts, "min_size", CHUNK_AUTO_MIN);
    max_size = opt_posint(L, opts, "max_size", CHUNK_AUTO_MAX);
    if (max_size < min_size) return luaL_argerror(L, opts, "max_size must be at least min_size");
  }
  if (kind == SRC_ARRAY) {
    to = (lua_Integer)luaL_len(L, 1);
    from = opt_posint(L, opts, "from", 1);
    if (lua_getfield(L, opts, "to") != LUA_TNIL) {
      int isint;
      lua_Integer t = lua_tointegerx(L, -1, &isint);
      if (!isint || t < 0) return luaL_argerror(L, opts, "to must be a non-negative integer");
      if (t < to) to = t;
    }
    lua_pop(L, 1);
    total = to >= from ? to - from + 1 : 0;
  }

  lua_pushcfunction(L, l_next);
  c = (chunks_box *)lua_newuserdatauv(L, sizeof *c, CH_NUV);
  memset(c, 0, sizeof *c);
  c->closed = c->finished = 1; /* armed once the user values are set */
  luaL_setmetatable(L, TF_CHUNKS);
  lua_pushvalue(L, 1);
  lua_setiuservalue(L, -2, CH_SOURCE);
  {
    lua_Integer prealloc = adaptive ? CHUNK_AUTO_START : size;
    if (total >= 0 && total < prealloc) prealloc = total;
    lua_createtable(L, prealloc > 65536 ? 65536 : (int)prealloc, 0);
  }
  lua_setiuservalue(L, -2, CH_CHUNK);
  lua_createtable(L, 0, 6);
  lua_setiuservalue(L, -2, CH_INFO);
  c->kind = kind;
  c->raw = raw;
  c->yield = yield;
  c->gc_step = gc_step;
  c->pos = from;
  c->to = to;
  c->total = total;
  if (adaptive)
    tf_chunk_adaptive(&c->ctl, CHUNK_AUTO_START, (size_t)min_size, (size_t)max_size, budget_ms / 1000.0);
  else
    tf_chunk_fixed(&c->ctl, (size_t)size);
  c->closed = 0;
  c->finished = kind == SRC_ARRAY && total == 0;
  lua_pushnil(L);
  lua_pushvalue(L, -2);
  return 4;
}

void tf_open_chunks(lua_State *L) {
  static const luaL_Reg meta[] = {{"__tostring", l_tostring}, {"__close", l_close}, {NULL, NULL}};
  static const luaL_Reg methods[] = {{"stats", l_stats}, {"close", l_close}, {NULL, NULL}};
  tf_lua_newclass(L, TF_CHUNKS, meta, methods);
  lua_pushcfunction(L, l_chunks);
  lua_setfield(L, -2, "chunks");
}

/* tokenflow.Walk: tf.walk(root, children[, opts]), a depth-first pre-order
 * walk over a tree with an explicit stack.
 *
 * children is a function (children(node)) or a field name ("children":
 * node.children, read without a Lua call, the fast path for trees whose
 * nodes hold their children, as Figma's and most JSON documents do).
 *
 * The stack is a Lua table of frames (container, position): memory grows
 * with the depth of the tree, never with its node count. A container is what
 * children(node) returned: an array (walked by position) or an iterator
 * function (called until nil). The walk is its own iterator
 * (`for node in tf.walk(...)`) and a source for tf.chunks, which calls
 * tf_lua_walk_take directly. children and filter are called with lua_call:
 * they must not yield. */
#include "tf_lua.h"

#define WALK_FRAMES 1   /* user value: frames[2d-1] = container, frames[2d] = position */
#define WALK_CHILDREN 2 /* children(node), or the name of the children field */
#define WALK_FILTER 3   /* filter(node) or nil */
#define WALK_SEEN 4     /* set of visited nodes when unique = true */
#define WALK_ROOT 5     /* the root, for a rewind */
#define WALK_NUV 5

#define WALK_DEFAULT_MAX_DEPTH 100000

typedef struct walk_box {
  lua_Integer depth;     /* frames on the stack; 0 when finished */
  lua_Integer max_depth; /* deepest allowed before the walk reports a likely cycle */
  lua_Integer peak;      /* deepest reached */
  lua_Integer visited;   /* nodes produced (after filter) */
  int unique;
  int field;             /* children is a field name */
  int closed;
} walk_box;

static walk_box *to_walk(lua_State *L, int idx) { return (walk_box *)luaL_checkudata(L, idx, TF_WALK); }

static walk_box *check_walk(lua_State *L, int idx) {
  walk_box *w = to_walk(L, idx);
  if (w->closed) tf_lua_closed_error(L, TF_WALK);
  return w;
}

static void new_walk(lua_State *L, int root_idx, int children_idx, int filter_idx, int unique, lua_Integer max_depth);

/* Puts the walk at wi back at its root: fresh frames (the root sits in a
 * one-node array) and, with unique, an empty set of visited nodes. */
static void rewind_walk(lua_State *L, walk_box *w, int wi) {
  lua_createtable(L, 32, 0);
  lua_createtable(L, 1, 0);
  lua_getiuservalue(L, wi, WALK_ROOT);
  lua_rawseti(L, -2, 1);
  lua_rawseti(L, -2, 1);
  lua_pushinteger(L, 0);
  lua_rawseti(L, -2, 2);
  lua_setiuservalue(L, wi, WALK_FRAMES);
  if (w->unique) {
    lua_newtable(L);
    lua_setiuservalue(L, wi, WALK_SEEN);
  }
  w->depth = 1;
  w->peak = 1;
  w->visited = 0;
}

int tf_lua_iswalk(lua_State *L, int idx) { return luaL_testudata(L, idx, TF_WALK) != NULL; }

/* Takes up to n nodes. With dest != 0 they are stored at dest[1..];
 * with dest == 0 (n must be 1) the node is left on the stack. Returns how
 * many were taken: fewer than n means the walk is finished.
 *
 * The frames, callbacks and the top frame's container are fetched once per
 * call into stack slots; the top frame's position is cached in a C local and
 * written back to frames on every step, so an error raised by a callback
 * leaves the walk consistent. */
/* Pushes " at node ID" when the node at idx is a table with a string or
 * number id, else "". */
static void push_node_name(lua_State *L, int idx) {
  int t;
  if (lua_type(L, idx) != LUA_TTABLE) {
    lua_pushliteral(L, "");
    return;
  }
  lua_pushliteral(L, "id");
  t = lua_rawget(L, idx);
  if (t == LUA_TSTRING || t == LUA_TNUMBER) {
    lua_pushfstring(L, " at node %s", lua_tostring(L, -1));
  } else {
    lua_pushliteral(L, "");
  }
  lua_remove(L, -2);
}

/* Raises the error for a node whose children would go past max_depth: a
 * cycle when the node is one of its own ancestors (the nodes on the stack
 * are container[position] for array containers), else nesting too deep.
 * Runs only once the limit is reached, so the walk itself pays nothing. */
static void depth_error(lua_State *L, walk_box *w, int fi, int node) {
  lua_Integer d, level = 0;
  luaL_checkstack(L, 4, "tf.walk");
  /* frame w->depth holds the node itself; its ancestors are below */
  for (d = w->depth - 1; d >= 1; d--) {
    lua_Integer pos;
    lua_rawgeti(L, fi, 2 * d);
    pos = lua_tointeger(L, -1);
    lua_pop(L, 1);
    if (lua_rawgeti(L, fi, 2 * d - 1) == LUA_TTABLE && pos > 0) {
      lua_rawgeti(L, -1, pos);
      if (lua_rawequal(L, -1, node)) {
        level = w->depth - d;
        lua_pop(L, 2);
        break;
      }
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  push_node_name(L, node);
  if (level > 0)
    luaL_error(L, "tf.walk: a node that contains itself%s (it is its own descendant, %I level%s down; unique = true "
               "reports the second visit at once)", lua_tostring(L, -1), level, level == 1 ? "" : "s");
  luaL_error(L, "tf.walk: nodes nested deeper than max_depth (%I)%s", w->max_depth, lua_tostring(L, -1));
}

static lua_Integer take(lua_State *L, walk_box *w, int wi, int dest, lua_Integer n) {
  int fi, ci, li, si, ki, has_filter, has_seen, is_table = 0;
  lua_Integer count = 0, cached = 0, pos = 0; /* cached: depth whose container is in ki */
  lua_getiuservalue(L, wi, WALK_FRAMES);
  fi = lua_gettop(L);
  lua_getiuservalue(L, wi, WALK_CHILDREN);
  ci = fi + 1;
  has_filter = lua_getiuservalue(L, wi, WALK_FILTER) != LUA_TNIL;
  li = fi + 2;
  has_seen = lua_getiuservalue(L, wi, WALK_SEEN) != LUA_TNIL;
  si = fi + 3;
  lua_pushnil(L);
  ki = fi + 4; /* the top frame's container */
  while (count < n && w->depth > 0) {
    lua_Integer d = w->depth;
    int t;
    if (cached != d) {
      lua_rawgeti(L, fi, 2 * d - 1);
      lua_replace(L, ki);
      is_table = lua_type(L, ki) == LUA_TTABLE;
      if (is_table) {
        lua_rawgeti(L, fi, 2 * d);
        pos = lua_tointeger(L, -1);
        lua_pop(L, 1);
      }
      cached = d;
    }
    if (is_table) {
      if (lua_rawgeti(L, ki, pos + 1) != LUA_TNIL) {
        pos++;
        lua_pushinteger(L, pos);
        lua_rawseti(L, fi, 2 * d);
      }
    } else {
      lua_pushvalue(L, ki);
      lua_call(L, 0, 1); /* iterator frame */
    }
    if (lua_isnil(L, -1)) { /* frame exhausted */
      lua_pop(L, 1);
      lua_pushnil(L);
      lua_rawseti(L, fi, 2 * d - 1);
      lua_pushnil(L);
      lua_rawseti(L, fi, 2 * d);
      w->depth--;
      continue;
    }
    /* the node is on top */
    if (has_seen) {
      lua_pushvalue(L, -1);
      if (lua_rawget(L, si) != LUA_TNIL) luaL_error(L, "tf.walk: node visited twice (a cycle or a shared subtree)");
      lua_pop(L, 1);
      lua_pushvalue(L, -1);
      lua_pushboolean(L, 1);
      lua_rawset(L, si);
    }
    if (w->field) {
      t = lua_type(L, -1);
      if (t != LUA_TTABLE && t != LUA_TUSERDATA)
        luaL_error(L, "tf.walk: a node is a %s, expected a table with a '%s' field", lua_typename(L, t), lua_tostring(L, ci));
      lua_pushvalue(L, ci);
      lua_gettable(L, -2);
    } else {
      lua_pushvalue(L, ci);
      lua_pushvalue(L, -2);
      lua_call(L, 1, 1);
    }
    t = lua_type(L, -1);
    if (t == LUA_TNIL) {
      lua_pop(L, 1);
    } else {
      if (t != LUA_TTABLE && t != LUA_TFUNCTION) {
        if (w->field) luaL_error(L, "tf.walk: a node's '%s' field is a %s (table, function or nil expected)", lua_tostring(L, ci), luaL_typename(L, -1));
        luaL_error(L, "tf.walk: children(node) returned a %s (table, function or nil expected)", luaL_typename(L, -1));
      }
      if (w->depth >= w->max_depth) depth_error(L, w, fi, lua_absindex(L, -2));
      w->depth++;
      if (w->depth > w->peak) w->peak = w->depth;
      lua_pushinteger(L, 0);
      lua_rawseti(L, fi, 2 * w->depth);
      lua_rawseti(L, fi, 2 * w->depth - 1);
    }
    if (has_filter) {
      int keep;
      lua_pushvalue(L, li);
      lua_pushvalue(L, -2);
      lua_call(L, 1, 1);
      keep = lua_toboolean(L, -1);
      lua_pop(L, 1);
      if (!keep) {
        lua_pop(L, 1);
        continue;
      }
    }
    w->visited++;
    count++;
    if (dest == 0) {
      lua_replace(L, fi);
      lua_settop(L, fi);
      return 1;
    }
    lua_rawseti(L, dest, count);
  }
  lua_settop(L, fi - 1);
  return count;
}

lua_Integer tf_lua_walk_take(lua_State *L, int wi, int dest, lua_Integer n) {
  walk_box *w = check_walk(L, wi);
  return take(L, w, lua_absindex(L, wi), dest ? lua_absindex(L, dest) : 0, n);
}

/* __call: the walk as a generic-for iterator. */
static int l_call(lua_State *L) { return (int)take(L, check_walk(L, 1), 1, 0, 1); }

/** walk:stats() -> {visited=, depth=, peak_depth=}. */
static int l_stats(lua_State *L) {
  walk_box *w = to_walk(L, 1);
  lua_createtable(L, 0, 3);
  lua_pushinteger(L, w->visited);
  lua_setfield(L, -2, "visited");
  lua_pushinteger(L, w->depth);
  lua_setfield(L, -2, "depth");
  lua_pushinteger(L, w->peak);
  lua_setfield(L, -2, "peak_depth");
  return 1;
}

static int l_tostring(lua_State *L) {
  walk_box *w = to_walk(L, 1);
  if (w->closed)
    lua_pushliteral(L, TF_WALK " (closed)");
  else
    lua_pushfstring(L, TF_WALK " (%I visited, depth %I, peak %I%s)", w->visited, w->depth, w->peak,
                    w->depth == 0 ? ", finished" : "");
  return 1;
}

/** walk:close(): drops the references to the tree (also __close, __gc). */
static int l_close(lua_State *L) {
  walk_box *w = to_walk(L, 1);
  int i;
  if (!w->closed) {
    w->closed = 1;
    w->depth = 0;
    for (i = 1; i <= WALK_NUV; i++) {
      lua_pushnil(L);
      lua_setiuservalue(L, 1, i);
    }
  }
  return 0;
}

/** tf.walk(root, children[, opts]) -> a walk; opts: filter, unique, max_depth. */
static int l_walk(lua_State *L) {
  lua_Integer max_depth = WALK_DEFAULT_MAX_DEPTH;
  int unique = 0, filter = 0;
  luaL_checkany(L, 1);
  if (lua_isnil(L, 1)) luaL_argerror(L, 1, "root must not be nil");
  if (lua_type(L, 2) != LUA_TSTRING && lua_type(L, 2) != LUA_TFUNCTION) luaL_typeerror(L, 2, "function or field name");
  if (!lua_isnoneornil(L, 3)) {
    luaL_checktype(L, 3, LUA_TTABLE);
    if (lua_getfield(L, 3, "filter") != LUA_TNIL && lua_type(L, -1) != LUA_TFUNCTION)
      luaL_argerror(L, 3, "filter must be a function");
    lua_pop(L, 1);
    lua_getfield(L, 3, "unique");
    unique = lua_toboolean(L, -1);
    lua_pop(L, 1);
    if (lua_getfield(L, 3, "max_depth") != LUA_TNIL) {
      int isint;
      max_depth = lua_tointegerx(L, -1, &isint);
      if (!isint || max_depth < 1) luaL_argerror(L, 3, "max_depth must be a positive integer");
    }
    lua_pop(L, 1);
  }
  if (lua_istable(L, 3)) {
    lua_getfield(L, 3, "filter");
    filter = lua_gettop(L);
  }
  new_walk(L, 1, 2, filter, unique, max_depth);
  return 1;
}

/* Pushes a new walk from the root at root_idx with children at
 * children_idx, filter at filter_idx (0: none). */
static void new_walk(lua_State *L, int root_idx, int children_idx, int filter_idx, int unique, lua_Integer max_depth) {
  walk_box *w;
  root_idx = lua_absindex(L, root_idx);
  children_idx = lua_absindex(L, children_idx);
  if (filter_idx) filter_idx = lua_absindex(L, filter_idx);
  w = (walk_box *)lua_newuserdatauv(L, sizeof *w, WALK_NUV);
  w->depth = 0;
  w->peak = 0;
  w->visited = 0;
  w->max_depth = max_depth;
  w->unique = unique;
  w->field = lua_type(L, children_idx) == LUA_TSTRING;
  w->closed = 1; /* armed below */
  luaL_setmetatable(L, TF_WALK);
  lua_pushvalue(L, root_idx);
  lua_setiuservalue(L, -2, WALK_ROOT);
  lua_pushvalue(L, children_idx);
  lua_setiuservalue(L, -2, WALK_CHILDREN);
  if (filter_idx) {
    lua_pushvalue(L, filter_idx);
    lua_setiuservalue(L, -2, WALK_FILTER);
  }
  w->closed = 0;
  rewind_walk(L, w, lua_gettop(L));
}

void tf_lua_walk_rewind(lua_State *L, int idx) {
  walk_box *w = check_walk(L, idx);
  rewind_walk(L, w, lua_absindex(L, idx));
}

int tf_lua_walk_restart(lua_State *L, int idx) {
  walk_box *w = check_walk(L, idx);
  int top = lua_gettop(L);
  idx = lua_absindex(L, idx);
  if (w->visited != 0 || w->depth != 1) return 0;
  lua_getiuservalue(L, idx, WALK_ROOT);
  lua_getiuservalue(L, idx, WALK_CHILDREN);
  lua_getiuservalue(L, idx, WALK_FILTER);
  new_walk(L, top + 1, top + 2, lua_isnil(L, top + 3) ? 0 : top + 3, w->unique, w->max_depth);
  lua_replace(L, top + 1);
  lua_settop(L, top + 1);
  return 1;
}

void tf_open_walk(lua_State *L) {
  static const luaL_Reg meta[] = {{"__call", l_call}, {"__tostring", l_tostring}, {"__close", l_close}, {NULL, NULL}};
  static const luaL_Reg methods[] = {{"stats", l_stats}, {"close", l_close}, {NULL, NULL}};
  tf_lua_newclass(L, TF_WALK, meta, methods);
  lua_pushcfunction(L, l_walk);
  lua_setfield(L, -2, "walk");
}

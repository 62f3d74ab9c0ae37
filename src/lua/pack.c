/* The value format of the persistent tier (documented in src/core/tf_pack.h):
 * tf.pack(value) -> string, tf.unpack(string) -> value, and the same for
 * the Store and the cache's second tier.
 *
 * Strings, numbers (integers and floats kept apart, both exact), booleans,
 * the JSON null light userdata and tables nest to any depth up to
 * PACK_MAX_DEPTH; a table met twice is written once and shared again when
 * read back. Functions, threads, userdata and cycles are refused with an
 * error naming where the value sits ("value.colors[3]"). */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tf_file.h"
#include "tf_lua.h"
#include "tf_pack.h"
#include "tf_sha256.h"

#define PACK_MAX_DEPTH 200
/* strings shorter than this are written again rather than referenced */
#define PACK_MIN_SHARED 3

typedef struct pack_state {
  tf_buf *buf;
  int seen;  /* stack index: table -> its index + 1 (negated while being written) */
  int strs;  /* stack index: string -> its index + 1 */
  int path;  /* stack index: keys from the root to the value being written */
  lua_Integer ntables, nstrings;
  int depth;
  int skip; /* path segments not shown in messages (a wrapper's own) */
  const char *root;
} pack_state;

static void put(lua_State *L, int rc) {
  if (rc != 0) tf_lua_oom(L);
}

/* Raises "cannot serialise <what> at <path>". The pieces are pushed and
 * concatenated at the end (at most PACK_MAX_DEPTH keys). */
static int pack_error(lua_State *L, pack_state *ps, const char *what) {
  lua_Integer i, n = (lua_Integer)lua_rawlen(L, ps->path);
  int pieces = 4;
  luaL_checkstack(L, (int)n + 8, "path too long");
  lua_pushliteral(L, "cannot serialise ");
  lua_pushstring(L, what);
  lua_pushliteral(L, " at ");
  lua_pushstring(L, ps->root);
  for (i = ps->skip + 1; i <= n; i++) {
    lua_rawgeti(L, ps->path, i);
    if (lua_type(L, -1) == LUA_TSTRING) {
      size_t len, j;
      const char *s = lua_tolstring(L, -1, &len);
      int ident = len > 0 && !(s[0] >= '0' && s[0] <= '9');
      for (j = 0; j < len && ident; j++) {
        char c = s[j];
        ident = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
      }
      lua_pushfstring(L, ident ? ".%s" : "[\"%s\"]", s);
    } else if (lua_type(L, -1) == LUA_TNUMBER) {
      lua_pushfstring(L, "[%s]", lua_tostring(L, -1));
    } else {
      lua_pushfstring(L, "[%s key]", luaL_typename(L, -1));
    }
    lua_remove(L, -2); /* the key */
    pieces++;
  }
  lua_concat(L, pieces);
  return lua_error(L);
}

static void pack_value(lua_State *L, pack_state *ps, int idx);

static void pack_string(lua_State *L, pack_state *ps, int idx) {
  size_t len;
  const char *s = lua_tolstring(L, idx, &len);
  if (len >= PACK_MIN_SHARED) {
    lua_pushvalue(L, idx);
    if (lua_rawget(L, ps->strs) == LUA_TNUMBER) {
      lua_Integer at = lua_tointeger(L, -1) - 1;
      lua_pop(L, 1);
      put(L, tf_buf_byte(ps->buf, TF_PACK_STRREF));
      put(L, tf_buf_varint(ps->buf, (uint64_t)at));
      return;
    }
    lua_pop(L, 1);
    lua_pushvalue(L, idx);
    lua_pushinteger(L, ps->nstrings + 1);
    lua_rawset(L, ps->strs);
  }
  ps->nstrings++;
  put(L, tf_buf_byte(ps->buf, TF_PACK_STR));
  put(L, tf_buf_varint(ps->buf, (uint64_t)len));
  put(L, tf_buf_put(ps->buf, s, len));
}

/* Writes the table at idx (absolute). */
static void pack_table(lua_State *L, pack_state *ps, int idx) {
  lua_Integer narray = 0, nhash = 0, i, mark;
  lua_pushvalue(L, idx);
  if (lua_rawget(L, ps->seen) == LUA_TNUMBER) {
    lua_Integer at = lua_tointeger(L, -1);
    lua_pop(L, 1);
    if (at < 0) pack_error(L, ps, "a cycle (a table containing itself)");
    put(L, tf_buf_byte(ps->buf, TF_PACK_TABLEREF));
    put(L, tf_buf_varint(ps->buf, (uint64_t)(at - 1)));
    return;
  }
  lua_pop(L, 1);
  if (ps->depth >= PACK_MAX_DEPTH) pack_error(L, ps, "tables nested deeper than 200 levels");
  luaL_checkstack(L, 8, "value nested too deeply");
  mark = ++ps->ntables;
  lua_pushvalue(L, idx);
  lua_pushinteger(L, -mark);
  lua_rawset(L, ps->seen);
  while (lua_rawgeti(L, idx, narray + 1) != LUA_TNIL) {
    narray++;
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    int isint;
    lua_Integer k = lua_tointegerx(L, -2, &isint);
    lua_pop(L, 1);
    if (!(isint && lua_type(L, -1) == LUA_TNUMBER && k >= 1 && k <= narray)) nhash++;
  }
  put(L, tf_buf_byte(ps->buf, TF_PACK_TABLE));
  put(L, tf_buf_varint(ps->buf, (uint64_t)narray));
  put(L, tf_buf_varint(ps->buf, (uint64_t)nhash));
  ps->depth++;
  for (i = 1; i <= narray; i++) {
    lua_pushinteger(L, i);
    lua_rawseti(L, ps->path, ps->depth);
    lua_rawgeti(L, idx, i);
    pack_value(L, ps, lua_gettop(L));
    lua_pop(L, 1);
  }
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    int isint, top = lua_gettop(L);
    lua_Integer k = lua_tointegerx(L, top - 1, &isint);
    if (!(isint && lua_type(L, top - 1) == LUA_TNUMBER && k >= 1 && k <= narray)) {
      lua_pushvalue(L, top - 1);
      lua_rawseti(L, ps->path, ps->depth);
      pack_value(L, ps, top - 1);
      pack_value(L, ps, top);
    }
    lua_pop(L, 1);
  }
  lua_pushnil(L);
  lua_rawseti(L, ps->path, ps->depth);
  ps->depth--;
  lua_pushvalue(L, idx);
  lua_pushinteger(L, mark);
  lua_rawset(L, ps->seen);
}

static void pack_value(lua_State *L, pack_state *ps, int idx) {
  switch (lua_type(L, idx)) {
  case LUA_TNIL: put(L, tf_buf_byte(ps->buf, TF_PACK_NIL)); break;
  case LUA_TBOOLEAN: put(L, tf_buf_byte(ps->buf, lua_toboolean(L, idx) ? TF_PACK_TRUE : TF_PACK_FALSE)); break;
  case LUA_TNUMBER:
    if (lua_isinteger(L, idx)) put(L, tf_buf_integer(ps->buf, (int64_t)lua_tointeger(L, idx)));
    else put(L, tf_buf_float(ps->buf, (double)lua_tonumber(L, idx)));
    break;
  case LUA_TSTRING: pack_string(L, ps, idx); break;
  case LUA_TTABLE: pack_table(L, ps, idx); break;
  case LUA_TLIGHTUSERDATA:
    if (lua_touserdata(L, idx) == NULL) {
      put(L, tf_buf_byte(ps->buf, TF_PACK_NULL));
      break;
    }
    pack_error(L, ps, "a light userdata");
    break;
  default: {
    const char *what = lua_pushfstring(L, "a %s", luaL_typename(L, idx));
    pack_error(L, ps, what);
  }
  }
}

void tf_lua_pack_inner(lua_State *L, int idx, tf_buf *buf, const char *root, int skip) {
  pack_state ps;
  idx = lua_absindex(L, idx);
  luaL_checkstack(L, 8, NULL);
  lua_newtable(L);
  ps.seen = lua_gettop(L);
  lua_newtable(L);
  ps.strs = lua_gettop(L);
  lua_newtable(L);
  ps.path = lua_gettop(L);
  ps.buf = buf;
  ps.ntables = ps.nstrings = 0;
  ps.depth = 0;
  ps.skip = skip;
  ps.root = root;
  put(L, tf_buf_put(buf, TF_PACK_MAGIC, TF_PACK_MAGIC_LEN));
  pack_value(L, &ps, idx);
  lua_pop(L, 3);
}

void tf_lua_pack(lua_State *L, int idx, tf_buf *buf, const char *root) { tf_lua_pack_inner(L, idx, buf, root, 0); }

/* ---- reading ---- */

typedef struct unpack_state {
  tf_reader r;
  int strs, tables; /* stack indices: arrays of the strings and tables read so far */
  lua_Integer nstrings, ntables;
  int depth;
  const char *err;
} unpack_state;

static int unpack_value(lua_State *L, unpack_state *us);

static int bad(unpack_state *us, const char *why) {
  if (us->err == NULL) us->err = why;
  return 0;
}

static int unpack_table(lua_State *L, unpack_state *us) {
  uint64_t narray, nhash, i;
  int t;
  if (tf_read_varint(&us->r, &narray) != 0 || tf_read_varint(&us->r, &nhash) != 0) return bad(us, "truncated table");
  /* every element takes at least one byte: a count larger than what is left is malformed */
  if (narray > (uint64_t)(us->r.end - us->r.p) || nhash > (uint64_t)(us->r.end - us->r.p) / 2)
    return bad(us, "table size beyond the data");
  if (us->depth >= PACK_MAX_DEPTH) return bad(us, "tables nested too deeply");
  luaL_checkstack(L, 6, "value nested too deeply");
  lua_createtable(L, (int)narray, (int)nhash);
  t = lua_gettop(L);
  lua_pushvalue(L, t);
  lua_rawseti(L, us->tables, ++us->ntables);
  us->depth++;
  for (i = 1; i <= narray; i++) {
    if (!unpack_value(L, us)) return 0;
    if (lua_isnil(L, -1)) return bad(us, "nil in a table");
    lua_rawseti(L, t, (lua_Integer)i);
  }
  for (i = 0; i < nhash; i++) {
    if (!unpack_value(L, us)) return 0;
    if (lua_isnil(L, -1) || (lua_type(L, -1) == LUA_TNUMBER && lua_tonumber(L, -1) != lua_tonumber(L, -1)))
      return bad(us, "nil or NaN key");
    if (!unpack_value(L, us)) return 0;
    if (lua_isnil(L, -1)) return bad(us, "nil in a table");
    lua_rawset(L, t);
  }
  us->depth--;
  return 1;
}

/* Pushes the next value: 1; or 0 with us->err set (the stack may hold extra values). */
static int unpack_value(lua_State *L, unpack_state *us) {
  unsigned char tag;
  uint64_t u;
  if (tf_read_byte(&us->r, &tag) != 0) return bad(us, "truncated");
  switch (tag) {
  case TF_PACK_NIL: lua_pushnil(L); return 1;
  case TF_PACK_FALSE: lua_pushboolean(L, 0); return 1;
  case TF_PACK_TRUE: lua_pushboolean(L, 1); return 1;
  case TF_PACK_NULL: lua_pushlightuserdata(L, NULL); return 1;
  case TF_PACK_INT: {
    int64_t v;
    if (tf_read_zigzag(&us->r, &v) != 0) return bad(us, "truncated integer");
    lua_pushinteger(L, (lua_Integer)v);
    return 1;
  }
  case TF_PACK_FLOAT: {
    double d;
    if (tf_read_double(&us->r, &d) != 0) return bad(us, "truncated float");
    lua_pushnumber(L, (lua_Number)d);
    return 1;
  }
  case TF_PACK_STR: {
    const unsigned char *p;
    if (tf_read_varint(&us->r, &u) != 0 || u > (uint64_t)(us->r.end - us->r.p) || tf_read_bytes(&us->r, (size_t)u, &p) != 0)
      return bad(us, "truncated string");
    lua_pushlstring(L, (const char *)p, (size_t)u);
    us->nstrings++;
    if (u >= PACK_MIN_SHARED) {
      lua_pushvalue(L, -1);
      lua_rawseti(L, us->strs, us->nstrings);
    }
    return 1;
  }
  case TF_PACK_STRREF:
    if (tf_read_varint(&us->r, &u) != 0 || u >= (uint64_t)us->nstrings) return bad(us, "bad string reference");
    if (lua_rawgeti(L, us->strs, (lua_Integer)u + 1) != LUA_TSTRING) return bad(us, "bad string reference");
    return 1;
  case TF_PACK_TABLE: return unpack_table(L, us);
  case TF_PACK_TABLEREF:
    if (tf_read_varint(&us->r, &u) != 0 || u >= (uint64_t)us->ntables) return bad(us, "bad table reference");
    lua_rawgeti(L, us->tables, (lua_Integer)u + 1);
    return 1;
  default: return bad(us, "unknown tag");
  }
}

int tf_lua_unpack(lua_State *L, const void *data, size_t len) {
  unpack_state us;
  int base = lua_gettop(L);
  luaL_checkstack(L, 8, NULL);
  us.r.p = (const unsigned char *)data;
  us.r.end = us.r.p + len;
  us.nstrings = us.ntables = 0;
  us.depth = 0;
  us.err = NULL;
  if (len < TF_PACK_MAGIC_LEN || memcmp(data, TF_PACK_MAGIC, TF_PACK_MAGIC_LEN) != 0) {
    lua_pushliteral(L, "not tokenflow packed data (bad header)");
    return 0;
  }
  us.r.p += TF_PACK_MAGIC_LEN;
  lua_newtable(L);
  us.strs = lua_gettop(L);
  lua_newtable(L);
  us.tables = lua_gettop(L);
  if (unpack_value(L, &us) && us.r.p != us.r.end) bad(&us, "bytes after the value");
  if (us.err != NULL) {
    lua_settop(L, base);
    lua_pushfstring(L, "malformed packed data (%s)", us.err);
    return 0;
  }
  lua_replace(L, base + 1);
  lua_settop(L, base + 1);
  return 1;
}

/* ---- Lua functions ---- */

/** tf.pack(value) -> string: the value in the binary format; raises for
 * what cannot be serialised, naming where it sits. */
static int l_pack(lua_State *L) {
  tf_buf *b;
  luaL_checkany(L, 1);
  lua_settop(L, 1);
  b = tf_lua_newbuf(L, tf_lua_mem(L));
  tf_lua_pack(L, 1, b, "value");
  lua_pushlstring(L, (const char *)b->data, b->len);
  tf_buf_free(b);
  return 1;
}

/** tf.unpack(string) -> value, or nil and a message for malformed data. */
static int l_unpack(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  if (tf_lua_unpack(L, s, len)) return 1;
  lua_pushnil(L);
  lua_insert(L, -2);
  return 2;
}

/** tf.core.digest(s1, s2, ...) -> hex SHA-256 of the strings, each
 * preceded by its length (so the split between them counts). */
static int l_digest(lua_State *L) {
  tf_sha256 h;
  unsigned char d[32];
  char hex[65];
  int i, n = lua_gettop(L);
  static const char digits[] = "0123456789abcdef";
  tf_sha256_init(&h);
  for (i = 1; i <= n; i++) {
    size_t len;
    const char *s = luaL_checklstring(L, i, &len);
    unsigned char lenb[8];
    int j;
    for (j = 0; j < 8; j++) lenb[j] = (unsigned char)((uint64_t)len >> (8 * j));
    tf_sha256_update(&h, lenb, 8);
    tf_sha256_update(&h, s, len);
  }
  tf_sha256_final(&h, d);
  for (i = 0; i < 32; i++) {
    hex[2 * i] = digits[d[i] >> 4];
    hex[2 * i + 1] = digits[d[i] & 15];
  }
  lua_pushlstring(L, hex, 64);
  return 1;
}

static void push_hex(lua_State *L, const unsigned char d[32]) {
  static const char digits[] = "0123456789abcdef";
  char hex[64];
  int i;
  for (i = 0; i < 32; i++) {
    hex[2 * i] = digits[d[i] >> 4];
    hex[2 * i + 1] = digits[d[i] & 15];
  }
  lua_pushlstring(L, hex, 64);
}

void tf_lua_push_digest(lua_State *L, const void *s, size_t len) {
  tf_sha256 h;
  unsigned char d[32], lenb[8];
  int j;
  tf_sha256_init(&h);
  for (j = 0; j < 8; j++) lenb[j] = (unsigned char)((uint64_t)len >> (8 * j));
  tf_sha256_update(&h, lenb, 8);
  tf_sha256_update(&h, s, len);
  tf_sha256_final(&h, d);
  push_hex(L, d);
}

/** tf.core.digest_file(path) -> the same digest as digest(contents of the
 * file), read in pieces without making a Lua string; or nil and a message. */
static int l_digest_file(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  unsigned char buf[16384], d[32], lenb[8];
  tf_sha256 h;
  long size;
  size_t got = 0, n;
  int j;
  FILE *f = fopen(path, "rb");
  if (f == NULL) return luaL_fileresult(L, 0, path);
  if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
    int en = errno;
    fclose(f);
    errno = en;
    return luaL_fileresult(L, 0, path);
  }
  tf_sha256_init(&h);
  for (j = 0; j < 8; j++) lenb[j] = (unsigned char)((uint64_t)size >> (8 * j));
  tf_sha256_update(&h, lenb, 8);
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
    tf_sha256_update(&h, buf, n);
    got += n;
  }
  if (ferror(f)) {
    fclose(f);
    return luaL_fileresult(L, 0, path);
  }
  fclose(f);
  if (got != (size_t)size) {
    lua_pushnil(L);
    lua_pushfstring(L, "%s: changed while being read", path);
    return 2;
  }
  tf_sha256_final(&h, d);
  push_hex(L, d);
  return 1;
}

/** tf.core.file_identity(path) -> what tells the file's content apart
 * without reading it (device, inode, size, modification and change times,
 * as one string), and the seconds since the later of those times (a file
 * changed less than a clock tick ago may change again under the same
 * times); or nil and a message. */
static int l_file_identity(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  tf_file_identity id;
  struct timespec now;
  int64_t last;
  if (tf_file_identify(&id, path) != 0) return luaL_fileresult(L, 0, path);
  lua_pushfstring(L, "%I:%I:%I:%I:%I", (lua_Integer)id.dev, (lua_Integer)id.ino, (lua_Integer)id.size,
                  (lua_Integer)id.mtime_ns, (lua_Integer)id.ctime_ns);
  last = id.mtime_ns > id.ctime_ns ? id.mtime_ns : id.ctime_ns;
  clock_gettime(CLOCK_REALTIME, &now);
  lua_pushnumber(L, ((double)now.tv_sec * 1e9 + (double)now.tv_nsec - (double)last) / 1e9);
  return 2;
}

void tf_open_pack(lua_State *L) {
  lua_pushcfunction(L, l_digest_file);
  lua_setfield(L, -2, "digest_file");
  lua_pushcfunction(L, l_file_identity);
  lua_setfield(L, -2, "file_identity");
  lua_pushcfunction(L, l_pack);
  lua_setfield(L, -2, "pack");
  lua_pushcfunction(L, l_unpack);
  lua_setfield(L, -2, "unpack");
  lua_pushcfunction(L, l_digest);
  lua_setfield(L, -2, "digest");
}

/* tokenflow.JsonDoc: a JSON text parsed by the strict tape reader
 * (src/core/tf_json.c), for the token loader's fast path. The Lua side
 * (lua/tokenflow/tokens/load.lua) owns the token rules; this file walks the
 * tape and builds exactly the Lua values lua-cjson would, and answers false
 * ("undecided") whenever the ordinary path must decide: the loader then
 * decodes with lua-cjson and walks the tables in Lua, which also produces
 * every error message. */
#include <stdio.h>

#include "tf_hash.h"
#include "tf_json.h"
#include "tf_lua.h"

#define TF_JSONDOC "tokenflow.JsonDoc"
#define STR_CACHE 8192 /* strings of values flatten remembers, at most (a power of 2) */

typedef struct jsondoc {
  tf_json j;
  int open;
  char *path; /* token name being built by flatten */
  size_t path_cap;
  struct str_slot {        /* flatten's cache of strings: bytes; their Lua strings are in a table */
    const char *s;
    size_t len;
  } *strs;                 /* STR_CACHE slots, of which a set uses a power of 2 */
  char *buf; /* the text, when read from a file by json_read_file */
  size_t buf_len;
} jsondoc;

/* shape kinds a token type can ask for (names exported as core.json_shapes) */
enum { SHAPE_COLOR = 1, SHAPE_MEASURE, SHAPE_OBJECT_OR_STRING, SHAPE_OBJECT, SHAPE_SHADOW, SHAPE_BEZIER, SHAPE_FONT, SHAPE_SCALAR };
static const char *const shape_names[] = {"color", "measure", "object_or_string", "object", "shadow", "bezier", "font", "scalar", NULL};

/* user values of the userdata: 1 the text (keeps it alive), 2 the null value */
enum { UV_TEXT = 1, UV_NULL = 2 };

static jsondoc *to_doc(lua_State *L, int idx) { return (jsondoc *)tf_lua_self(L, idx, TF_JSONDOC); }

static jsondoc *check_open(lua_State *L) {
  jsondoc *d = to_doc(L, 1);
  if (!d->open) tf_lua_closed_error(L, TF_JSONDOC);
  return d;
}

static void release(jsondoc *d) {
  if (d->open) {
    tf_json_clear(&d->j);
    tf_mem_free(&d->j.mem, d->path, d->path_cap);
    tf_mem_free(&d->j.mem, d->strs, d->strs ? STR_CACHE * sizeof *d->strs : 0);
    d->strs = NULL;
    tf_mem_free(&d->j.mem, d->buf, d->buf_len);
    d->path = NULL;
    d->path_cap = 0;
    d->buf = NULL;
    d->buf_len = 0;
    d->open = 0;
  }
}

static int l_close(lua_State *L) {
  release(to_doc(L, 1));
  return 0;
}

static int l_tostring(lua_State *L) {
  jsondoc *d = to_doc(L, 1);
  if (!d->open) lua_pushstring(L, TF_JSONDOC " (closed)");
  else lua_pushfstring(L, TF_JSONDOC " (%d nodes, %d bytes)", (int)d->j.count, (int)d->j.text_len);
  return 1;
}

static int is_table_node(const tf_json *j, uint32_t i) {
  unsigned k = tf_json_kind(j, i);
  return k == TF_JSON_OBJECT || k == TF_JSON_ARRAY;
}
/* Lua truthiness of a value as decoded (null decodes to a light userdata). */
static int truthy(const tf_json *j, uint32_t i) { return i != 0 && tf_json_kind(j, i) != TF_JSON_FALSE; }
/* flatten.lua's is_object: an object, or an empty array (both decode to {}). */
static int is_object(const tf_json *j, uint32_t i) {
  unsigned k = tf_json_kind(j, i);
  return k == TF_JSON_OBJECT || (k == TF_JSON_ARRAY && tf_json_len(j, i) == 0);
}
static int is_array(const tf_json *j, uint32_t i) {
  return tf_json_kind(j, i) == TF_JSON_ARRAY && tf_json_len(j, i) > 0;
}
static uint32_t member(const tf_json *j, uint32_t obj, const char *key) {
  return tf_json_member(j, obj, key, strlen(key));
}

/* flatten's cache of the strings of values: a set repeats the same
 * member names, references and units, found again by a word-at-a-time hash
 * instead of Lua's own byte-at-a-time one, with no new string. */
typedef struct str_cache {
  struct str_slot *slots; /* bytes of the strings remembered */
  size_t mask;            /* slots in use, less 1 (a power of 2, less 1) */
  int table;              /* stack index of their Lua strings, at slot + 1 */
} str_cache;

#define CACHED_STR_MAX 40 /* longest string it remembers: Lua's short strings */

/* Pushes the string at i, through the cache when there is one. */
static void push_str(lua_State *L, const tf_json *j, uint32_t i, const str_cache *sc) {
  size_t len, slot;
  const char *s = tf_json_str(j, i, &len);
  struct str_slot *e;
  if (sc == NULL || len > CACHED_STR_MAX) { /* Lua neither hashes nor interns longer ones */
    lua_pushlstring(L, s, len);
    return;
  }
  slot = (size_t)tf_hash_bytes(s, len, 0) & sc->mask;
  e = &sc->slots[slot];
  if (e->s != NULL && e->len == len && memcmp(e->s, s, len) == 0) {
    lua_rawgeti(L, sc->table, (lua_Integer)slot + 1);
    return;
  }
  lua_pushlstring(L, s, len);
  lua_pushvalue(L, -1);
  lua_rawseti(L, sc->table, (lua_Integer)slot + 1);
  e->s = s;
  e->len = len;
}

/* Pushes the value at i as lua-cjson decodes it; `null` is the stack index
 * of the null value; strings through sc unless NULL. Returns the index
 * after the subtree. */
static uint32_t push_value(lua_State *L, const tf_json *j, uint32_t i, int null, const str_cache *sc) {
  uint32_t n, m, c;
  switch (tf_json_kind(j, i)) {
    case TF_JSON_NULL: lua_pushvalue(L, null); return i + 1;
    case TF_JSON_FALSE: lua_pushboolean(L, 0); return i + 1;
    case TF_JSON_TRUE: lua_pushboolean(L, 1); return i + 1;
    case TF_JSON_NUMBER: lua_pushnumber(L, (lua_Number)tf_json_num(j, i)); return i + 1;
    case TF_JSON_STRING: push_str(L, j, i, sc); return i + 1;
    case TF_JSON_ARRAY:
      luaL_checkstack(L, 3, "JSON nesting");
      n = tf_json_len(j, i);
      lua_createtable(L, (int)n, 0);
      for (m = 0, c = i + 1; m < n; m++) {
        c = push_value(L, j, c, null, sc);
        lua_rawseti(L, -2, (lua_Integer)m + 1);
      }
      return c;
    default: /* object */
      luaL_checkstack(L, 3, "JSON nesting");
      n = tf_json_len(j, i);
      lua_createtable(L, 0, (int)n);
      for (m = 0, c = i + 1; m < n; m++) {
        push_str(L, j, c, sc);
        c = push_value(L, j, c + 1, null, sc);
        lua_rawset(L, -3);
      }
      return c;
  }
}

/* A new open doc (user values: text or nil, null) on the stack. */
static jsondoc *new_doc(lua_State *L, int text, int null) {
  jsondoc *d = (jsondoc *)lua_newuserdatauv(L, sizeof *d, 2);
  memset(d, 0, sizeof *d);
  lua_pushvalue(L, text);
  lua_setiuservalue(L, -2, UV_TEXT);
  lua_pushvalue(L, null);
  lua_setiuservalue(L, -2, UV_NULL);
  tf_json_init(&d->j, tf_lua_mem(L));
  d->open = 1;
  luaL_setmetatable(L, TF_JSONDOC);
  return d;
}

/* Parses text into the doc on top of the stack: returns 1 (the doc), or
 * nil, reason. */
static int parse_doc(lua_State *L, jsondoc *d, const char *text, size_t len) {
  int status = tf_json_parse(&d->j, text, len);
  if (status == TF_JSON_NOMEM) {
    release(d);
    return tf_lua_oom(L);
  }
  if (status != TF_JSON_OK) {
    size_t at = d->j.error_at;
    release(d);
    lua_pushnil(L);
    lua_pushfstring(L, "not read by the fast path (byte %d)", (int)at + 1);
    return 2;
  }
  return 1;
}

/** core.json_read(text, null) -> JsonDoc, or nil, reason when the text is
 * not plain JSON the fast path can take (the caller then decodes with
 * lua-cjson). `null` is what JSON null decodes to (cjson.null). */
static int l_json_read(lua_State *L) {
  size_t len;
  const char *text = luaL_checklstring(L, 1, &len);
  luaL_checkany(L, 2);
  return parse_doc(L, new_doc(L, 1, 2), text, len);
}

/** core.json_read_file(path, null) -> JsonDoc, or nil, reason when the
 * file cannot be read or is not plain JSON the fast path can take. The
 * text is read into one block of its exact size (doc:text() gives it as a
 * string when needed). */
static int l_json_read_file(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  jsondoc *d;
  FILE *f;
  long size;
  size_t got;
  luaL_checkany(L, 2);
  lua_pushnil(L);
  d = new_doc(L, 3, 2);
  f = fopen(path, "rb");
  if (f == NULL) goto unreadable;
  if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
    fclose(f);
    goto unreadable;
  }
  d->buf = (char *)tf_mem_alloc(&d->j.mem, (size_t)size + 1);
  if (d->buf == NULL) {
    fclose(f);
    release(d);
    return tf_lua_oom(L);
  }
  d->buf_len = (size_t)size + 1;
  got = fread(d->buf, 1, (size_t)size, f);
  if (ferror(f) || getc(f) != EOF) { /* an error, or the file grew */
    fclose(f);
    goto unreadable;
  }
  fclose(f);
  d->buf[got] = '\0';
  return parse_doc(L, d, d->buf, got);
unreadable:
  release(d);
  lua_pushnil(L);
  lua_pushfstring(L, "%s: cannot read", path);
  return 2;
}

/** doc:digest() -> core.digest(doc:text()), without copying the text. */
static int l_digest(lua_State *L) {
  jsondoc *d = check_open(L);
  tf_lua_push_digest(L, d->j.text, d->j.text_len);
  return 1;
}

/** doc:text() -> the JSON text as a string. */
static int l_text(lua_State *L) {
  jsondoc *d = check_open(L);
  if (lua_getiuservalue(L, 1, UV_TEXT) == LUA_TSTRING) return 1;
  lua_pushlstring(L, d->j.text, d->j.text_len);
  return 1;
}

static const char *kind_name(unsigned k) {
  switch (k) {
    case TF_JSON_NULL: return "null";
    case TF_JSON_FALSE:
    case TF_JSON_TRUE: return "boolean";
    case TF_JSON_NUMBER: return "number";
    case TF_JSON_STRING: return "string";
    case TF_JSON_ARRAY: return "array";
    default: return "object";
  }
}

/* The node named by argument `arg` (nil or absent: the root), or 0. */
static uint32_t node_arg(lua_State *L, jsondoc *d, int arg) {
  size_t len;
  const char *key;
  if (lua_isnoneornil(L, arg)) return 0;
  key = luaL_checklstring(L, arg, &len);
  return tf_json_member(&d->j, 0, key, len);
}

/** doc:kind([key]) -> "object" | "array" | "string" | "number" |
 * "boolean" | "null" for the root or a top-level member; nil when absent. */
static int l_kind(lua_State *L) {
  jsondoc *d = check_open(L);
  uint32_t i = node_arg(L, d, 2);
  if (i == 0 && !lua_isnoneornil(L, 2)) return 0;
  lua_pushstring(L, kind_name(tf_json_kind(&d->j, i)));
  return 1;
}

/** doc:get([key]) -> the root or a top-level member decoded as lua-cjson
 * decodes it; nil when absent. */
static int l_get(lua_State *L) {
  jsondoc *d = check_open(L);
  uint32_t i = node_arg(L, d, 2);
  if (i == 0 && !lua_isnoneornil(L, 2)) return 0;
  lua_settop(L, 2);
  lua_getiuservalue(L, 1, UV_NULL);
  push_value(L, &d->j, i, 3, NULL);
  return 1;
}

/** doc:keys() -> the root object's keys in written order (no duplicates:
 * the reader refuses those). */
static int l_keys(lua_State *L) {
  jsondoc *d = check_open(L);
  const tf_json *j = &d->j;
  uint32_t n, m, c;
  if (tf_json_kind(j, 0) != TF_JSON_OBJECT) return luaL_error(L, "JSON root is not an object");
  n = tf_json_len(j, 0);
  lua_createtable(L, (int)n, 0);
  for (m = 0, c = 1; m < n; m++) {
    push_str(L, j, c, NULL);
    lua_rawseti(L, -2, (lua_Integer)m + 1);
    c = tf_json_next(j, c + 1);
  }
  return 1;
}

/* ---- format detection (detect.lua's first_token_style) ---- */

#define DETECT_LIMIT 100000 /* tables detect.lua looks at, at most */

/* 1 Tokens Studio, 2 DTCG, 0 neither, for one table. */
static int token_style(const tf_json *j, uint32_t t) {
  uint32_t n, m, c, value = 0, dvalue = 0;
  int type = 0;
  if (tf_json_kind(j, t) != TF_JSON_OBJECT) return 0;
  n = tf_json_len(j, t);
  for (m = 0, c = t + 1; m < n; m++, c = tf_json_next(j, c + 1)) {
    size_t len = tf_json_len(j, c);
    const char *k;
    if (len < 4 || len > 6) continue; /* only the lengths of the keys asked for */
    k = tf_json_str(j, c, &len);
    if (len == 5 && memcmp(k, "value", 5) == 0) value = c + 1;
    else if (len == 4 && memcmp(k, "type", 4) == 0) type = 1;
    else if (len == 6 && memcmp(k, "$value", 6) == 0) dvalue = c + 1;
  }
  if (value != 0 && (!is_table_node(j, value) || type)) return 1;
  return dvalue != 0 ? 2 : 0;
}

/** doc:detect() -> "tokens-studio" | "dtcg" as detect.lua decides for the
 * document; nil when it holds no token; false when the answer would depend
 * on table iteration order (the caller decodes and asks detect.lua). */
static int l_detect(lua_State *L) {
  jsondoc *d = check_open(L);
  const tf_json *j = &d->j;
  tf_mem *mem = &d->j.mem;
  uint32_t *cur = NULL, *next = NULL;
  size_t ncur = 0, nnext = 0, cap = 0, seen = 0;
  int result = -1; /* -1 go on, 0 nil, 1 TS, 2 DTCG, 3 undecided */
  if (tf_json_kind(j, 0) != TF_JSON_OBJECT) {
    lua_pushboolean(L, 0);
    return 1;
  }
  if (member(j, 0, "$themes") != 0 || member(j, 0, "$metadata") != 0) {
    lua_pushliteral(L, "tokens-studio");
    return 1;
  }
  /* breadth first, a level at a time: detect.lua stops at the first token
   * table of the shallowest level holding one, in an order we cannot know,
   * so the level must agree */
  cap = 64;
  cur = (uint32_t *)tf_mem_alloc(mem, cap * sizeof *cur);
  next = (uint32_t *)tf_mem_alloc(mem, cap * sizeof *next);
  if (cur == NULL || next == NULL) goto oom;
  cur[ncur++] = 0;
  while (result < 0) {
    size_t k;
    int ts = 0, dtcg = 0;
    if (ncur == 0) {
      result = 0;
      break;
    }
    for (k = 0; k < ncur; k++) {
      int s = token_style(j, cur[k]);
      if (s == 1) ts = 1;
      if (s == 2) dtcg = 1;
    }
    if (ts || dtcg) {
      if (seen + ncur > DETECT_LIMIT || (ts && dtcg)) result = 3;
      else result = ts ? 1 : 2;
      break;
    }
    seen += ncur;
    if (seen >= DETECT_LIMIT) {
      result = 0;
      break;
    }
    nnext = 0;
    for (k = 0; k < ncur; k++) {
      uint32_t t = cur[k], n, m, c;
      if (tf_json_kind(j, t) != TF_JSON_OBJECT) continue;
      n = tf_json_len(j, t);
      for (m = 0, c = t + 1; m < n; m++) {
        size_t klen;
        const char *key = tf_json_str(j, c, &klen);
        if (is_table_node(j, c + 1) && !(klen > 0 && key[0] == '$')) {
          if (nnext == cap) {
            size_t ncap = cap * 2;
            uint32_t *a = (uint32_t *)tf_mem_realloc(mem, cur, cap * sizeof *a, ncap * sizeof *a);
            uint32_t *b;
            if (a == NULL) goto oom;
            cur = a;
            b = (uint32_t *)tf_mem_realloc(mem, next, cap * sizeof *b, ncap * sizeof *b);
            if (b == NULL) {
              /* cur is already the larger block */
              tf_mem_free(mem, cur, ncap * sizeof *cur);
              tf_mem_free(mem, next, cap * sizeof *next);
              return tf_lua_oom(L);
            }
            next = b;
            cap = ncap;
          }
          next[nnext++] = c + 1;
        }
        c = tf_json_next(j, c + 1);
      }
    }
    {
      uint32_t *tmp = cur;
      cur = next;
      next = tmp;
      ncur = nnext;
    }
  }
  tf_mem_free(mem, cur, cap * sizeof *cur);
  tf_mem_free(mem, next, cap * sizeof *next);
  switch (result) {
    case 0: lua_pushnil(L); break;
    case 1: lua_pushliteral(L, "tokens-studio"); break;
    case 2: lua_pushliteral(L, "dtcg"); break;
    default: lua_pushboolean(L, 0);
  }
  return 1;
oom:
  tf_mem_free(mem, cur, cur ? cap * sizeof *cur : 0);
  tf_mem_free(mem, next, next ? cap * sizeof *next : 0);
  return tf_lua_oom(L);
}

/* ---- flatten (flatten.lua's walk) ---- */

#define TYPE_CACHE 16 /* type names remembered by flatten (sets use a dozen or so) */

/* stack slots of flatten's working values */
enum { SLOT_NULL = 5, SLOT_TYPES, SLOT_KEYS, SLOT_SUSPECTS, SLOT_STRS, SLOT_OUT, SLOT_NAMES };
/* the field names of a definition, in the table at SLOT_KEYS */
enum { KEY_VALUE = 1, KEY_TYPE, KEY_MODIFY, KEY_DESCRIPTION };
static const char *const def_keys[] = {"value", "type", "modify", "description"};

typedef struct flat {
  lua_State *L;
  jsondoc *d;
  int ts;         /* Tokens Studio rules */
  int shapes;     /* stack index of type name -> shape code */
  int ambiguous;  /* a key that is empty or holds '.': two paths may give one name */
  lua_Integer count;    /* tokens so far */
  str_cache strs;       /* of the strings of values */
  lua_Integer suspects; /* tokens whose value flatten.check must look at */
  struct {        /* type names met so far: bytes, shape code (0: none) */
    const char *s;
    size_t len;
    int shape;
  } types[TYPE_CACHE];
  int ntypes;     /* their Lua strings are SLOT_TYPES[1..ntypes] */
} flat;

/* Strict UTF-8 as utf8.len checks it (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF); *dot is set when s holds a '.'. */
static int valid_utf8(const unsigned char *s, size_t len, int *dot) {
  size_t i = 0;
  while (i < len) {
    unsigned c = s[i];
    size_t n, k;
    unsigned cp, min;
    if (c < 0x80) {
      if (c == '.') *dot = 1; /* noted on the way: a name with a dot */
      i++;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF) { n = 1; cp = c & 0x1F; min = 0x80; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 2; cp = c & 0x0F; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 3; cp = c & 0x07; min = 0x10000; }
    else return 0;
    if (len - i <= n) return 0;
    for (k = 1; k <= n; k++) {
      unsigned cc = s[i + k];
      if ((cc & 0xC0) != 0x80) return 0;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    i += n + 1;
  }
  return 1;
}

/* 1 when the value at v surely fits the shape (flatten.lua's checkers,
 * without is_ref: a value that does not fit is left to flatten.check). */
static int fits_one(const tf_json *j, int shape, uint32_t v) {
  unsigned k = tf_json_kind(j, v);
  switch (shape) {
    case SHAPE_COLOR: {
      uint32_t comp, hex;
      if (k == TF_JSON_STRING) return 1;
      if (!is_object(j, v)) return 0;
      comp = member(j, v, "components");
      if (member(j, v, "colorSpace") != 0 && comp != 0 && is_table_node(j, comp)) return 1;
      hex = member(j, v, "hex");
      return hex != 0 && tf_json_kind(j, hex) == TF_JSON_STRING;
    }
    case SHAPE_MEASURE: {
      uint32_t val, unit;
      if (k == TF_JSON_STRING || k == TF_JSON_NUMBER) return 1;
      if (!is_object(j, v)) return 0;
      val = member(j, v, "value");
      unit = member(j, v, "unit");
      return val != 0 && tf_json_kind(j, val) == TF_JSON_NUMBER && unit != 0 && tf_json_kind(j, unit) == TF_JSON_STRING;
    }
    case SHAPE_OBJECT_OR_STRING: return k == TF_JSON_STRING || is_object(j, v);
    case SHAPE_OBJECT: return is_object(j, v);
    case SHAPE_SHADOW:
      if (k == TF_JSON_STRING || is_object(j, v)) return 1;
      if (is_array(j, v)) {
        uint32_t n = tf_json_len(j, v), m, c;
        for (m = 0, c = v + 1; m < n; m++) {
          if (!is_table_node(j, c)) return 0;
          c = tf_json_next(j, c);
        }
        return 1;
      }
      return 0;
    case SHAPE_BEZIER: return k == TF_JSON_STRING || (is_array(j, v) && tf_json_len(j, v) == 4);
    case SHAPE_FONT: return k == TF_JSON_STRING || is_array(j, v);
    case SHAPE_SCALAR: return k == TF_JSON_STRING || k == TF_JSON_NUMBER;
    default: return 1;
  }
}

/* fits_one, or an array whose every element fits (flatten.misfit takes an
 * array where the type asks for one value element by element). */
static int fits(const tf_json *j, int shape, uint32_t v) {
  uint32_t n, m, c;
  if (fits_one(j, shape, v)) return 1;
  if (!is_array(j, v)) return 0;
  n = tf_json_len(j, v);
  for (m = 0, c = v + 1; m < n; m++, c = tf_json_next(j, c))
    if (!fits_one(j, shape, c)) return 0;
  return 1;
}

/* The members of an object that flatten.lua reads, found in one pass
 * (keys are unique: the reader refuses duplicates). */
typedef struct members {
  uint32_t dvalue, value, dtype, type, ext, ddesc, desc;
  int meta;  /* type, description, $type or $description is there */
  int group; /* a member that is a table, under a key not starting with '$' */
} members;

static void scan_members(const tf_json *j, uint32_t obj, members *mb) {
  uint32_t n, m, c;
  memset(mb, 0, sizeof *mb);
  if (tf_json_kind(j, obj) != TF_JSON_OBJECT) return;
  n = tf_json_len(j, obj);
  for (m = 0, c = obj + 1; m < n; m++, c = tf_json_next(j, c + 1)) {
    size_t len;
    const char *k = tf_json_str(j, c, &len);
    if (len > 0 && k[0] == '$') {
      switch (len) {
        case 5: if (memcmp(k, "$type", 5) == 0) mb->dtype = c + 1, mb->meta = 1; break;
        case 6: if (memcmp(k, "$value", 6) == 0) mb->dvalue = c + 1; break;
        case 11: if (memcmp(k, "$extensions", 11) == 0) mb->ext = c + 1; break;
        case 12: if (memcmp(k, "$description", 12) == 0) mb->ddesc = c + 1, mb->meta = 1; break;
        default: break;
      }
      continue;
    }
    if (is_table_node(j, c + 1)) mb->group = 1;
    switch (len) {
      case 4: if (memcmp(k, "type", 4) == 0) mb->type = c + 1, mb->meta = 1; break;
      case 5: if (memcmp(k, "value", 5) == 0) mb->value = c + 1; break;
      case 11: if (memcmp(k, "description", 11) == 0) mb->desc = c + 1, mb->meta = 1; break;
      default: break;
    }
  }
}

/* The block p of *cap bytes, grown to hold `need` more bytes after `used`
 * (on failure p stays as it was, still owned by the doc). */

/* The shape code of the type name at node t (a string); *slot is where
 * SLOT_TYPES keeps its Lua string, 0 when it does not (more type names
 * than TYPE_CACHE). */
static int type_of(flat *f, uint32_t t, int *slot) {
  lua_State *L = f->L;
  const tf_json *j = &f->d->j;
  size_t len;
  const char *s = tf_json_str(j, t, &len);
  int k, shape;
  for (k = 0; k < f->ntypes; k++) {
    if (f->types[k].len == len && memcmp(f->types[k].s, s, len) == 0) {
      *slot = k + 1;
      return f->types[k].shape;
    }
  }
  lua_pushlstring(L, s, len);
  lua_pushvalue(L, -1);
  shape = lua_rawget(L, f->shapes) == LUA_TNUMBER ? (int)lua_tointeger(L, -1) : 0;
  lua_pop(L, 1);
  *slot = 0;
  if (f->ntypes < TYPE_CACHE) {
    f->types[f->ntypes].s = s;
    f->types[f->ntypes].len = len;
    f->types[f->ntypes].shape = shape;
    lua_rawseti(L, SLOT_TYPES, ++f->ntypes);
    *slot = f->ntypes;
  } else {
    lua_pop(L, 1);
  }
  return shape;
}

/* Notes the token named below its definition (on top) for flatten.check. */
static void add_suspect(flat *f) {
  lua_pushvalue(f->L, -2);
  lua_rawseti(f->L, SLOT_SUSPECTS, ++f->suspects);
}

/* One token: out[name] = def, names[count] = name, with the fields
 * flatten.lua picks (mb: the token object's members; value 0: a token
 * without one); the name is d->path[0, plen). A value that may not fit its
 * type (or none) is noted for flatten.check. */
static void add_token(flat *f, uint32_t value, const members *mb, size_t plen, uint32_t head, uint32_t gtype) {
  lua_State *L = f->L;
  const tf_json *j = &f->d->j;
  uint32_t ttype = mb->dtype, desc = 0, modify = 0;
  int shape = 0, slot = 0;
  if (!truthy(j, ttype)) {
    uint32_t t2 = f->ts ? mb->type : 0;
    ttype = (t2 != 0 && tf_json_kind(j, t2) == TF_JSON_STRING) ? t2 : gtype;
  }
  if (ttype == 0 && f->ts) ttype = head;
  if (ttype != 0 && tf_json_kind(j, ttype) != TF_JSON_STRING) ttype = 0;
  if (ttype) shape = type_of(f, ttype, &slot);
  if (value != 0) {
    desc = mb->ddesc;
    if (!truthy(j, desc)) desc = f->ts ? mb->desc : 0;
    if (!truthy(j, desc)) desc = 0;
    if (mb->ext && tf_json_kind(j, mb->ext) == TF_JSON_OBJECT) {
      /* only the Tokens Studio modifier is kept (other extensions are the
       * publisher's metadata, which no token rule reads) */
      uint32_t studio = member(j, mb->ext, "studio.tokens"), mod;
      if (studio != 0 && tf_json_kind(j, studio) == TF_JSON_OBJECT && (mod = member(j, studio, "modify")) != 0 &&
          is_table_node(j, mod))
        modify = mod;
    }
  }
  lua_pushlstring(L, f->d->path, plen); /* name */
  lua_createtable(L, 0, (value != 0) + (ttype != 0) + (modify != 0) + (desc != 0)); /* def */
  if (value == 0 || (shape != 0 && !fits(j, shape, value))) add_suspect(f);
  if (ttype) {
    lua_rawgeti(L, SLOT_KEYS, KEY_TYPE);
    if (slot) lua_rawgeti(L, SLOT_TYPES, slot);
    else push_value(L, j, ttype, SLOT_NULL, NULL);
    lua_rawset(L, -3);
  }
  if (value) {
    lua_rawgeti(L, SLOT_KEYS, KEY_VALUE);
    push_value(L, j, value, SLOT_NULL, &f->strs);
    lua_rawset(L, -3);
  }
  if (modify) {
    lua_rawgeti(L, SLOT_KEYS, KEY_MODIFY);
    push_value(L, j, modify, SLOT_NULL, &f->strs);
    lua_rawset(L, -3);
  }
  if (desc) {
    lua_rawgeti(L, SLOT_KEYS, KEY_DESCRIPTION);
    push_value(L, j, desc, SLOT_NULL, &f->strs);
    lua_rawset(L, -3);
  }
  lua_pushvalue(L, -2);
  lua_rawseti(L, SLOT_NAMES, ++f->count);
  lua_rawset(L, SLOT_OUT);
}

/* How many tokens the set at node may hold, to size its tables once: the
 * members named like a value in the document, for a part of it in
 * proportion to its share of the document (a guess either way: a table
 * sized too small only grows). */
static size_t estimate_tokens(const tf_json *j, uint32_t node, int ts) {
  double keys = (double)j->value_keys[0] + (ts ? (double)j->value_keys[1] : 0.0);
  if (node != 0 && j->count > 0) keys = keys * (double)(tf_json_next(j, node) - node) / (double)j->count + 16.0;
  return keys < (double)(1 << 26) ? (size_t)keys : (size_t)1 << 26;
}

/* Walks the group at node (whose own `$type`, when truthy, is gtype) named
 * d->path[0, plen), noting its tokens. Returns 0, or 1 when the Lua walk
 * must decide. */
static int walk(flat *f, uint32_t node, size_t plen, uint32_t head, uint32_t gtype) {
  const tf_json *j = &f->d->j;
  uint32_t n, m, c;
  if (tf_json_kind(j, node) != TF_JSON_OBJECT) return 0; /* arrays hold no string keys */
  n = tf_json_len(j, node);
  for (m = 0, c = node + 1; m < n; m++, c = tf_json_next(j, c + 1)) {
    uint32_t v = c + 1, value;
    size_t klen, nlen;
    members mb;
    const char *key = tf_json_str(j, c, &klen);
    if (!is_table_node(j, v) || (klen > 0 && key[0] == '$')) continue;
    if (!valid_utf8((const unsigned char *)key, klen, &f->ambiguous)) return 1;
    if (klen == 0) f->ambiguous = 1;
    nlen = plen == 0 ? klen : plen + 1 + klen;
    f->d->path = (char *)tf_lua_grow(f->L, &f->d->j.mem, f->d->path, &f->d->path_cap, nlen, 1);
    if (plen > 0) f->d->path[plen] = '.';
    if (klen > 0) memcpy(f->d->path + (plen == 0 ? 0 : plen + 1), key, klen);
    scan_members(j, v, &mb);
    value = mb.dvalue;
    if (value == 0 && f->ts) value = mb.value;
    if (value != 0 || (mb.meta && !mb.group)) {
      add_token(f, value, &mb, nlen, head ? head : c, gtype);
    } else if (walk(f, v, nlen, head ? head : c, truthy(j, mb.dtype) ? mb.dtype : gtype)) {
      return 1;
    }
  }
  return 0;
}

/** doc:flatten(key, tokens_studio, shapes) -> tokens, count, names,
 * suspects: the tokens of the top-level member `key` (nil: the whole
 * document) as flatten.walk builds them (name -> {value, type, modify,
 * description}), their names in the order written, and the names
 * of the tokens flatten.check must look at (a value that may not fit its
 * type: it needs the reference grammar, or it does not fit; a token
 * without a value); false when flatten.walk must decide (a name that is not
 * UTF-8, two paths giving one name). `shapes` maps a type name to a shape
 * kind of core.json_shapes. */
static int l_flatten(lua_State *L) {
  jsondoc *d = check_open(L);
  flat f;
  uint32_t node = node_arg(L, d, 2), gtype;
  lua_Integer entries = 0;
  size_t n, k;
  if (node == 0 && !lua_isnoneornil(L, 2)) return luaL_argerror(L, 2, "no such member");
  luaL_checktype(L, 4, LUA_TTABLE);
  lua_settop(L, 4);
  memset(&f, 0, sizeof f);
  f.L = L;
  f.d = d;
  f.ts = lua_toboolean(L, 3);
  f.shapes = 4;
  if (d->strs == NULL) {
    d->strs = (struct str_slot *)tf_mem_alloc(&d->j.mem, STR_CACHE * sizeof *d->strs);
    if (d->strs == NULL) return tf_lua_oom(L);
  }
  /* sized to the set: a small set pays for no large cache */
  n = estimate_tokens(&d->j, node, f.ts);
  for (k = 64; k < STR_CACHE && k < 2 * n; k *= 2) continue;
  f.strs.slots = d->strs;
  f.strs.mask = k - 1;
  f.strs.table = SLOT_STRS;
  memset(d->strs, 0, k * sizeof *d->strs);
  lua_getiuservalue(L, 1, UV_NULL); /* SLOT_NULL */
  lua_createtable(L, TYPE_CACHE, 0); /* SLOT_TYPES */
  lua_createtable(L, 4, 0); /* SLOT_KEYS */
  for (k = 0; k < 4; k++) {
    lua_pushstring(L, def_keys[k]);
    lua_rawseti(L, SLOT_KEYS, (lua_Integer)k + 1);
  }
  lua_newtable(L); /* SLOT_SUSPECTS */
  lua_createtable(L, (int)f.strs.mask + 1, 0); /* SLOT_STRS */
  /* sized once from the parser's count, so neither table rehashes while it fills */
  lua_createtable(L, 0, (int)n); /* SLOT_OUT */
  lua_createtable(L, (int)n, 0); /* SLOT_NAMES */
  gtype = member(&d->j, node, "$type");
  if (walk(&f, node, 0, 0, truthy(&d->j, gtype) ? gtype : 0)) {
    lua_pushboolean(L, 0);
    return 1;
  }
  n = (size_t)f.count;
  /* two paths giving one name (flatten.lua keeps whichever pairs() meets
   * last): fewer entries than tokens */
  if (f.ambiguous) {
    lua_pushnil(L);
    while (lua_next(L, SLOT_OUT) != 0) {
      lua_pop(L, 1);
      entries++;
    }
    if (entries != (lua_Integer)n) {
      lua_pushboolean(L, 0);
      return 1;
    }
  }
  lua_pushvalue(L, SLOT_OUT);
  lua_pushinteger(L, (lua_Integer)n);
  lua_pushvalue(L, SLOT_NAMES);
  lua_pushvalue(L, SLOT_SUSPECTS);
  return 4;
}

/** core.json_shapes: shape kind name -> code, for doc:flatten. */
static void push_shapes(lua_State *L) {
  int i;
  lua_newtable(L);
  for (i = 0; shape_names[i]; i++) {
    lua_pushinteger(L, i + 1);
    lua_setfield(L, -2, shape_names[i]);
  }
}

/** core.new_table(narray, nhash) -> a table with room for narray array
 * items and nhash keyed ones (the token engine sizes its per-token maps
 * once instead of rehashing them 16 times on the way to 50k entries). */
static int l_new_table(lua_State *L) {
  lua_Integer na = luaL_checkinteger(L, 1), nh = luaL_checkinteger(L, 2);
  luaL_argcheck(L, na >= 0 && na <= (1 << 26), 1, "out of range");
  luaL_argcheck(L, nh >= 0 && nh <= (1 << 26), 2, "out of range");
  lua_createtable(L, (int)na, (int)nh);
  return 1;
}

void tf_open_jsondoc(lua_State *L) {
  static const luaL_Reg meta[] = {{"__gc", l_close}, {"__close", l_close}, {"__tostring", l_tostring}, {NULL, NULL}};
  static const luaL_Reg methods[] = {{"kind", l_kind}, {"get", l_get}, {"keys", l_keys}, {"detect", l_detect},
                                     {"flatten", l_flatten}, {"text", l_text}, {"digest", l_digest},
                                     {"close", l_close}, {NULL, NULL}};
  tf_lua_newclass(L, TF_JSONDOC, meta, methods);
  lua_pushcfunction(L, l_json_read);
  lua_setfield(L, -2, "json_read");
  lua_pushcfunction(L, l_new_table);
  lua_setfield(L, -2, "new_table");
  lua_pushcfunction(L, l_json_read_file);
  lua_setfield(L, -2, "json_read_file");
  push_shapes(L);
  lua_setfield(L, -2, "json_shapes");
}

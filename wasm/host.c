/* The C side of tokenflow's JavaScript API (wasm/api.js), compiled to
 * WebAssembly with Lua 5.4, LPeg, lua-cjson and tokenflow's engines.
 *
 * One host per createTokenflow(): a lua_State whose allocator counts its
 * bytes (and fails past an optional limit, so a page can cap the work),
 * whose `require` finds only what is built in: the C modules through
 * package.preload and the Lua modules bundled at build time (wasm/bundle.lua);
 * no file system is searched. JavaScript calls the functions of
 * tokenflow.jsapi by name with string arguments, each call protected, and
 * reads back one string: the result (a JSON text) or the error message. */
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "bundle.h"
#include "host.h"
#include "tokenflow.h"

#ifdef __EMSCRIPTEN__
#include <emscripten/emscripten.h>
#else
#define EMSCRIPTEN_KEEPALIVE /* the native build of the test */
#endif

int luaopen_lpeg(lua_State *L);
int luaopen_cjson(lua_State *L);
int luaopen_cjson_safe(lua_State *L);

#define JSAPI_KEY "tokenflow.jsapi.host"

struct tfw_host {
  lua_State *L;
  size_t bytes; /* held through the allocator below */
  size_t limit; /* 0: no limit */
  const char *result;
  size_t result_len;
};

static void *host_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  tfw_host *h = (tfw_host *)ud;
  void *p;
  if (ptr == NULL) osize = 0; /* osize then tells the kind of object */
  if (nsize == 0) {
    free(ptr);
    h->bytes -= osize;
    return NULL;
  }
  if (h->limit != 0 && nsize > osize && h->bytes - osize + nsize > h->limit) return NULL;
  p = realloc(ptr, nsize);
  if (p == NULL) return NULL;
  h->bytes = h->bytes - osize + nsize;
  return p;
}

/* package.searchers[2]: the bundled Lua modules. */
static int search_bundle(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  const unsigned char *data;
  size_t len;
  if (!tfw_bundle_find(name, &data, &len)) {
    lua_pushfstring(L, "no module '%s' built into tokenflow's WebAssembly module", name);
    return 1;
  }
  lua_pushfstring(L, "=%s", name);
  if (luaL_loadbufferx(L, (const char *)data, len, lua_tostring(L, -1), tfw_bundle_binary ? "b" : "t") != LUA_OK)
    return lua_error(L);
  lua_pushfstring(L, "(built in)");
  return 2;
}

/* os.exit would end the WebAssembly runtime, not a process. */
static int no_exit(lua_State *L) { return luaL_error(L, "os.exit is not available in tokenflow's WebAssembly build"); }

/* Opens the libraries, makes require find only what is built in and loads
 * tokenflow.jsapi into the registry. Runs protected. */
static int open_host(lua_State *L) {
  static const luaL_Reg preload[] = {{"tokenflow.core", luaopen_tokenflow_core},
                                     {"lpeg", luaopen_lpeg},
                                     {"cjson", luaopen_cjson},
                                     {"cjson.safe", luaopen_cjson_safe},
                                     {NULL, NULL}};
  const luaL_Reg *r;
  int i;
  luaL_openlibs(L);
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  for (r = preload; r->name != NULL; r++) {
    lua_pushcfunction(L, r->func);
    lua_setfield(L, -2, r->name);
  }
  lua_pop(L, 1);
  lua_getglobal(L, "package");
  lua_pushliteral(L, "");
  lua_setfield(L, -2, "path");
  lua_pushliteral(L, "");
  lua_setfield(L, -2, "cpath");
  lua_getfield(L, -1, "searchers"); /* [1] package.preload stays */
  lua_pushcfunction(L, search_bundle);
  lua_rawseti(L, -2, 2);
  for (i = (int)luaL_len(L, -1); i > 2; i--) {
    lua_pushnil(L);
    lua_rawseti(L, -2, i);
  }
  lua_pop(L, 2);
  lua_getglobal(L, "os");
  lua_pushcfunction(L, no_exit);
  lua_setfield(L, -2, "exit");
  lua_pop(L, 1);
  lua_getglobal(L, "require");
  lua_pushliteral(L, "tokenflow.jsapi");
  lua_call(L, 1, 1);
  lua_setfield(L, LUA_REGISTRYINDEX, JSAPI_KEY);
  return 0;
}

/* Copies a message into err (errlen bytes, NUL-terminated). */
static void set_error(char *err, size_t errlen, const char *msg) {
  size_t n;
  if (err == NULL || errlen == 0) return;
  n = strlen(msg);
  if (n >= errlen) n = errlen - 1;
  memcpy(err, msg, n);
  err[n] = '\0';
}

/* The host struct holds the allocator's count, so it cannot come from that
 * allocator: it is the one block taken with malloc directly. */
EMSCRIPTEN_KEEPALIVE tfw_host *tfw_open(size_t limit, char *err, size_t errlen) {
  tfw_host *h = (tfw_host *)malloc(sizeof *h);
  set_error(err, errlen, "not enough memory");
  if (h == NULL) return NULL;
  h->bytes = 0;
  h->limit = limit;
  h->result = NULL;
  h->result_len = 0;
  h->L = lua_newstate(host_alloc, h);
  if (h->L == NULL) {
    free(h);
    return NULL;
  }
  lua_pushcfunction(h->L, open_host);
  if (lua_pcall(h->L, 0, 0, 0) != LUA_OK) {
    const char *msg = lua_tostring(h->L, -1);
    set_error(err, errlen, msg != NULL ? msg : "(error object is not a string)");
    lua_close(h->L);
    free(h);
    return NULL;
  }
  set_error(err, errlen, "");
  return h;
}

EMSCRIPTEN_KEEPALIVE size_t tfw_close(tfw_host *h) {
  size_t left;
  if (h == NULL) return 0;
  lua_close(h->L);
  left = h->bytes;
  free(h);
  return left;
}

/* Message handler: any error value becomes a string. */
static int message(lua_State *L) {
  if (lua_type(L, 1) != LUA_TSTRING) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
    lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  }
  return 1;
}

/* jsapi[args[0]](args[1], ..., args[argc - 1]) -> string. Runs protected:
 * the arguments are pushed inside. */
static int call_jsapi(lua_State *L) {
  const char *args = (const char *)lua_touserdata(L, 1);
  const size_t *lens = (const size_t *)lua_touserdata(L, 2);
  int argc = (int)lua_tointeger(L, 3), i;
  luaL_checkstack(L, argc + 2, "too many arguments");
  lua_getfield(L, LUA_REGISTRYINDEX, JSAPI_KEY);
  lua_pushlstring(L, args, lens[0]);
  lua_pushvalue(L, -1);
  if (lua_gettable(L, -3) != LUA_TFUNCTION) return luaL_error(L, "tokenflow.jsapi has no function '%s'", lua_tostring(L, -2));
  args += lens[0];
  for (i = 1; i < argc; i++) {
    lua_pushlstring(L, args, lens[i]);
    args += lens[i];
  }
  lua_call(L, argc - 1, 1);
  if (lua_type(L, -1) != LUA_TSTRING) return luaL_error(L, "tokenflow.jsapi returned %s, not a string", luaL_typename(L, -1));
  return 1;
}

/* The result (or message) stays on the stack until the next call. */
EMSCRIPTEN_KEEPALIVE int tfw_call(tfw_host *h, const char *args, const size_t *lens, int argc) {
  lua_State *L = h->L;
  int status;
  lua_settop(L, 0); /* releases the previous result */
  lua_pushcfunction(L, message);
  lua_pushcfunction(L, call_jsapi);
  lua_pushlightuserdata(L, (void *)args);
  lua_pushlightuserdata(L, (void *)lens);
  lua_pushinteger(L, argc);
  status = lua_pcall(L, 3, 1, 1);
  h->result = lua_tolstring(L, -1, &h->result_len);
  if (h->result == NULL) { /* an error the message handler did not see (memory) */
    h->result = "not enough memory";
    h->result_len = strlen(h->result);
  }
  return status;
}

EMSCRIPTEN_KEEPALIVE const char *tfw_result(tfw_host *h) { return h->result; }
EMSCRIPTEN_KEEPALIVE size_t tfw_result_len(tfw_host *h) { return h->result_len; }

/* The C engines allocate through the state's allocator: one count for both.
 * Two collections: an object with a finalizer (a document, a job) is only
 * freed by the one after the one that finalized it. */
EMSCRIPTEN_KEEPALIVE size_t tfw_bytes(tfw_host *h) {
  lua_gc(h->L, LUA_GCCOLLECT);
  lua_gc(h->L, LUA_GCCOLLECT);
  return h->bytes;
}

EMSCRIPTEN_KEEPALIVE size_t tfw_engine_bytes(tfw_host *h) { return tokenflow_engine_bytes(h->L); }

/* Embedding host: a C program that runs Lua 5.4 and loads tokenflow from the
 * static library with luaL_requiref, as a design tool embedding Lua would.
 *
 * 1. The host's own allocator hook (tokenflow_set_allocator) receives every
 *    engine allocation, and everything is returned at lua_close.
 * 2. Two lua_States in two threads work at the same time (no shared state).
 * 3. Out-of-memory sweep through the Lua API: for every N, fail the N-th and
 *    later allocations of the whole state; each failure must surface as the
 *    clean error "not enough memory", nothing leaks, and the scenario passes
 *    once memory suffices.
 *
 * argv[1]: the lua/ folder of the source tree (for require "tokenflow"). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "tokenflow.h"

typedef struct counting {
  long limit; /* allocations allowed before failing; < 0: unlimited */
  long calls;
  long live;
} counting;

static void *counting_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  counting *c = (counting *)ud;
  if (nsize == 0) {
    if (ptr != NULL) {
      c->live--;
      free(ptr);
    }
    (void)osize;
    return NULL;
  }
  if (ptr == NULL || nsize > osize) {
    if (c->limit >= 0 && c->calls >= c->limit) return NULL;
    c->calls++;
  }
  {
    void *q = realloc(ptr, nsize);
    if (q != NULL && ptr == NULL) c->live++;
    return q;
  }
}

static const char *lua_dir;

static lua_State *new_state(counting *c) {
  lua_State *L = lua_newstate(counting_alloc, c);
  if (L == NULL) return NULL;
  luaL_openlibs(L);
  return L;
}

/* Opens tokenflow into L and points package.path at the Lua sources. */
static int open_tokenflow(lua_State *L) {
  luaL_requiref(L, "tokenflow.core", luaopen_tokenflow_core, 0);
  lua_pop(L, 1);
  lua_getglobal(L, "package");
  lua_pushfstring(L, "%s/?.lua;%s/?/init.lua", lua_dir, lua_dir);
  lua_setfield(L, -2, "path");
  lua_pop(L, 1);
  return 0;
}

static const char *SCENARIO =
    "local tf = require 'tokenflow'\n"
    "local names = tf.interner()\n"
    "for i = 1, 2000 do assert(names:intern('token.' .. i) == i) end\n"
    "assert(names:name(1500) == 'token.1500')\n"
    "assert(tf.names:intern('colors.primary') >= 1)\n"
    "return #names\n";

static int run_scenario(lua_State *L, const char **err) {
  int rc;
  lua_pushcfunction(L, open_tokenflow);
  rc = lua_pcall(L, 0, 0, 0);
  if (rc == LUA_OK) rc = luaL_loadstring(L, SCENARIO);
  if (rc == LUA_OK) rc = lua_pcall(L, 0, 1, 0);
  if (rc == LUA_OK) {
    rc = lua_tointeger(L, -1) == 2000 ? LUA_OK : LUA_ERRRUN;
    *err = rc == LUA_OK ? NULL : "wrong result";
  } else {
    *err = lua_tostring(L, -1);
  }
  return rc;
}

static int failures;
#define EXPECT(cond, ...)                       \
  do {                                          \
    if (!(cond)) {                              \
      failures++;                               \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
      fprintf(stderr, __VA_ARGS__);             \
      fputc('\n', stderr);                      \
    }                                           \
  } while (0)

static void test_host_allocator(void) {
  counting lua_mem = {-1, 0, 0}, engine_mem = {-1, 0, 0};
  lua_State *L = new_state(&lua_mem);
  const char *err;
  tokenflow_set_allocator(L, counting_alloc, &engine_mem);
  EXPECT(run_scenario(L, &err) == LUA_OK, "scenario failed: %s", err ? err : "?");
  EXPECT(engine_mem.calls > 0, "the host allocator saw no engine allocation");
  EXPECT(tokenflow_engine_bytes(L) > 0, "engine bytes not accounted");
  lua_close(L);
  EXPECT(engine_mem.live == 0, "%ld engine blocks leaked", engine_mem.live);
  EXPECT(lua_mem.live == 0, "%ld Lua blocks leaked", lua_mem.live);
}

static void *thread_main(void *arg) {
  counting c = {-1, 0, 0};
  lua_State *L = new_state(&c);
  const char *err;
  int i, *ok = (int *)arg;
  *ok = L != NULL;
  for (i = 0; *ok && i < 20; i++) *ok = run_scenario(L, &err) == LUA_OK;
  if (L) lua_close(L);
  if (c.live != 0) *ok = 0;
  return NULL;
}

static void test_two_threads(void) {
  pthread_t a, b;
  int ok_a = 0, ok_b = 0;
  EXPECT(pthread_create(&a, NULL, thread_main, &ok_a) == 0, "pthread_create");
  EXPECT(pthread_create(&b, NULL, thread_main, &ok_b) == 0, "pthread_create");
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  EXPECT(ok_a && ok_b, "a state failed in a thread (a=%d b=%d)", ok_a, ok_b);
}

static void test_oom_sweep(void) {
  long n;
  int points = 0, passed = 0;
  for (n = 0; n < 200000 && !passed; n++) {
    counting c = {-1, 0, 0};
    lua_State *L = new_state(&c);
    const char *err = NULL;
    int rc;
    if (L == NULL) continue;
    c.limit = c.calls + n; /* the base libraries are loaded; fail from here */
    rc = run_scenario(L, &err);
    if (rc == LUA_OK) {
      passed = 1;
    } else {
      points++;
      EXPECT(rc == LUA_ERRMEM || (err && strstr(err, "not enough memory")),
             "N=%ld: not a memory error: %s", n, err ? err : "?");
      /* the state stays usable: with memory again, the scenario passes */
      c.limit = -1;
      lua_settop(L, 0);
      rc = run_scenario(L, &err);
      EXPECT(rc == LUA_OK, "N=%ld: scenario failed after recovery: %s", n, err ? err : "?");
    }
    lua_close(L);
    EXPECT(c.live == 0, "N=%ld: %ld blocks leaked", n, c.live);
  }
  EXPECT(passed, "the scenario never passed");
  printf("host oom sweep: %d failure points, all clean\n", points);
}

int main(int argc, char **argv) {
  lua_dir = argc > 1 ? argv[1] : "lua";
  test_host_allocator();
  test_two_threads();
  test_oom_sweep();
  printf("host_embed: %s\n", failures ? "FAILED" : "ok");
  return failures ? EXIT_FAILURE : EXIT_SUCCESS;
}

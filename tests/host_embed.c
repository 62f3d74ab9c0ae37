/* Embedding host: a C program that runs Lua 5.4 and loads tokenflow from the
 * static library with luaL_requiref, as a design tool embedding Lua would.
 *
 * 1. The host's own allocator hook (tokenflow_set_allocator) receives every
 *    engine allocation, and everything is returned at lua_close.
 * 2. Two lua_States in two threads work at the same time (no shared state).
 * 3. Out-of-memory sweep through the Lua API, for each scenario script in
 *    tests/scenarios: for every N, fail the N-th and later allocations of
 *    the whole state; each failure must surface as the clean error "not
 *    enough memory", nothing leaks, the same state runs the scenario to the
 *    end once memory suffices again, and the sweep ends with a pass.
 *
 * argv[1]: the lua/ folder of the source tree (for require "tokenflow");
 * argv[2]: the scenarios folder. */
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

static const char *scenario_dir;
static const char *const SCENARIOS[] = {"interner", "cache", "stream", "job", "store", "viewport", "jsondoc", "metrics", NULL};

/* Protected body of a run: opens tokenflow, loads and calls the scenario
 * file (upvalue: its path). Everything that can raise happens in here. */
static int scenario_main(lua_State *L) {
  const char *path = (const char *)lua_touserdata(L, 1);
  open_tokenflow(L);
  if (luaL_loadfile(L, path) != LUA_OK) return lua_error(L);
  lua_call(L, 0, 1);
  return 1;
}

/* Runs scenario `name` in L: LUA_OK when it returned "ok", else the error
 * (or "wrong result") in *err. */
static int run_scenario(lua_State *L, const char *name, const char **err) {
  char path[4096];
  int rc;
  snprintf(path, sizeof path, "%s/%s.lua", scenario_dir, name);
  lua_settop(L, 0);
  lua_pushcfunction(L, scenario_main); /* no allocation: light C function */
  lua_pushlightuserdata(L, path);
  rc = lua_pcall(L, 1, 1, 0);
  if (rc == LUA_OK) {
    const char *got = lua_tostring(L, -1);
    rc = got != NULL && strcmp(got, "ok") == 0 ? LUA_OK : LUA_ERRRUN;
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
  const char *const *name;
  tokenflow_set_allocator(L, counting_alloc, &engine_mem);
  for (name = SCENARIOS; *name; name++)
    EXPECT(run_scenario(L, *name, &err) == LUA_OK, "%s: %s", *name, err ? err : "?");
  /* the Lua facade finds the core that luaL_requiref registered */
  EXPECT(luaL_dostring(L, "return require('tokenflow').version == require('tokenflow.core').version") == LUA_OK &&
             lua_toboolean(L, -1),
         "require 'tokenflow' in the host: %s", lua_tostring(L, -1));
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
  for (i = 0; *ok && i < 20; i++) *ok = run_scenario(L, SCENARIOS[i % 3], &err) == LUA_OK;
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

static void test_oom_sweep(const char *scenario) {
  long n;
  int points = 0, passed = 0;
  for (n = 0; n < 200000 && !passed; n++) {
    counting c = {-1, 0, 0};
    lua_State *L = new_state(&c);
    const char *err = NULL;
    int rc;
    if (L == NULL) continue;
    c.limit = c.calls + n; /* the base libraries are loaded; fail from here */
    rc = run_scenario(L, scenario, &err);
    if (rc == LUA_OK) {
      passed = 1;
    } else {
      points++;
      EXPECT(rc == LUA_ERRMEM || (err && strstr(err, "not enough memory")),
             "N=%ld: not a memory error: %s", n, err ? err : "?");
      /* the state stays usable: with memory again, the scenario passes */
      c.limit = -1;
      rc = run_scenario(L, scenario, &err);
      EXPECT(rc == LUA_OK, "N=%ld: scenario failed after recovery: %s", n, err ? err : "?");
    }
    lua_close(L);
    EXPECT(c.live == 0, "N=%ld: %ld blocks leaked", n, c.live);
  }
  EXPECT(passed, "the scenario never passed");
  printf("host oom sweep (%s): %d failure points\n", scenario, points);
}

int main(int argc, char **argv) {
  const char *const *name;
  lua_dir = argc > 1 ? argv[1] : "lua";
  scenario_dir = argc > 2 ? argv[2] : "tests/scenarios";
  test_host_allocator();
  test_two_threads();
  for (name = SCENARIOS; *name; name++) test_oom_sweep(*name);
  printf("host_embed: %s\n", failures ? "FAILED" : "ok");
  return failures ? EXIT_FAILURE : EXIT_SUCCESS;
}

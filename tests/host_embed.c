/* Embedding host: a C program that runs Lua 5.4 and loads tokenflow from the
 * static library with luaL_requiref, as a design tool embedding Lua would.
 *
 * 1. The host's own allocator hook (tokenflow_set_allocator) receives every
 *    engine allocation, and everything is returned at lua_close.
 * 2. Two lua_States in two threads work at the same time (no shared state).
 * 3. Out-of-memory sweep through the Lua API, for each scenario script in
 *    tests/scenarios, in two modes: fail the N-th and every later
 *    allocation of the whole state, and fail only the N-th. Each failure
 *    must surface as the clean error "not enough memory" (or the scenario
 *    absorbs it and still checks its results), no block is left allocated
 *    after lua_close, and the same state runs the scenario to the end, with
 *    correct results, once memory suffices again. A scenario whose clean
 *    run makes more allocations than its budget of failure points is swept
 *    at a stride (every N up to the budget is too slow for make test;
 *    TF_OOM_STRIDE=1 forces every N, TF_OOM_ONLY=name sweeps one scenario).
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
  long limit;   /* allocations allowed before failing; < 0: unlimited */
  int only_nth; /* fail only the allocation numbered limit, not the later ones */
  long calls;   /* allocations made (and refused, in only_nth mode) */
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
    if (c->limit >= 0 && c->calls >= c->limit) {
      if (!c->only_nth) return NULL;
      if (c->calls++ == c->limit) return NULL;
    } else {
      c->calls++;
    }
  }
  {
    void *q = realloc(ptr, nsize);
    if (q != NULL && ptr == NULL) c->live++;
    return q;
  }
}

static const char *lua_dir;

/* Lua 5.4.4's lauxlib registers the metatable of its buffer boxes before
 * filling it in: an allocation failure in between leaves every later
 * growing luaL_Buffer of that state failing with "got a non-closable
 * value". The module makes the box when it opens (module.c), and so does
 * the host here, before any failure is injected. */
static int warm_buffer_box(lua_State *L) {
  luaL_Buffer b;
  luaL_buffinitsize(L, &b, 4 * LUAL_BUFFERSIZE);
  luaL_pushresultsize(&b, 0);
  return 1;
}

static lua_State *new_state(counting *c) {
  lua_State *L = lua_newstate(counting_alloc, c);
  if (L == NULL) return NULL;
  luaL_openlibs(L);
  lua_pushcfunction(L, warm_buffer_box);
  lua_pcall(L, 0, 0, 0);
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

/* Scenarios of the out-of-memory sweep: `facade` loads require "tokenflow"
 * (every Lua module) before the failures start, so the sweep spends its
 * points on the scenario's work; `budget` is the number of failure points
 * per mode before the sweep goes to a stride. */
typedef struct sweep_scenario {
  const char *name;
  int facade;
  long budget, valgrind_budget; /* under valgrind (TF_UNDER_VALGRIND set), ~50x slower */
} sweep_scenario;

static const sweep_scenario SWEEPS[] = {{"interner", 0, 100000, 50},
                                        {"cache", 0, 100000, 50},
                                        {"stream", 0, 100000, 50},
                                        {"job", 0, 100000, 50},
                                        {"update", 1, 400, 4},
                                        {NULL, 0, 0, 0}};

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
  counting lua_mem = {-1, 0, 0, 0}, engine_mem = {-1, 0, 0, 0};
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
  counting c = {-1, 0, 0, 0};
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

/* Protected: require "tokenflow" (every Lua module of the facade). */
static int load_facade(lua_State *L) {
  open_tokenflow(L);
  lua_getglobal(L, "require");
  lua_pushliteral(L, "tokenflow");
  lua_call(L, 1, 0);
  return 0;
}

/* A fresh state for a sweep run, with the facade loaded when asked. */
static lua_State *sweep_state(counting *c, const sweep_scenario *sc) {
  lua_State *L = new_state(c);
  if (L != NULL && sc->facade) {
    lua_pushcfunction(L, load_facade);
    if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
      EXPECT(0, "%s: require 'tokenflow' failed: %s", sc->name, lua_tostring(L, -1));
      lua_close(L);
      return NULL;
    }
  }
  return L;
}

static long total_points;

/* One sweep of scenario sc. only_nth: fail only the N-th allocation, else
 * the N-th and every later one. */
static void test_oom_sweep(const sweep_scenario *sc, int only_nth) {
  long n, stride = 1, total, points = 0, absorbed = 0;
  const char *env = getenv("TF_OOM_STRIDE");
  int passed = 0;
  /* a clean run counts the scenario's allocations */
  {
    counting c = {-1, 0, 0, 0};
    lua_State *L = sweep_state(&c, sc);
    const char *err = NULL;
    long before;
    if (L == NULL) return;
    before = c.calls;
    EXPECT(run_scenario(L, sc->name, &err) == LUA_OK, "%s: clean run failed: %s", sc->name, err ? err : "?");
    total = c.calls - before;
    lua_close(L);
    EXPECT(c.live == 0, "%s: clean run leaked %ld blocks", sc->name, c.live);
  }
  if (env != NULL && atol(env) > 0) stride = atol(env);
  else if (getenv("TF_UNDER_VALGRIND") != NULL) stride = total / sc->valgrind_budget + 1;
  else if (total > sc->budget) stride = total / sc->budget + 1;
  /* past the clean run's count the sweep must pass (a little slack: the
   * collector's timing can move the count between runs) */
  for (n = 0; !passed && n <= 2 * total + 2 * stride + 16; n += stride) {
    counting c = {-1, 0, 0, 0};
    lua_State *L = sweep_state(&c, sc);
    const char *err = NULL;
    int rc;
    if (L == NULL) continue;
    c.only_nth = only_nth;
    c.limit = c.calls + n; /* the base libraries are loaded; fail from here */
    rc = run_scenario(L, sc->name, &err);
    if (only_nth) {
      /* the N-th allocation was refused: a clean error, or absorbed with
       * the scenario's results still right; past the end nothing failed */
      if (rc != LUA_OK) {
        EXPECT(rc == LUA_ERRMEM || (err && strstr(err, "not enough memory")), "%s N=%ld (only): not a memory error: %s",
               sc->name, n, err ? err : "?");
      } else if (c.calls > c.limit) {
        absorbed++;
      }
      if (n >= total) passed = 1;
      else points++;
    } else if (rc == LUA_OK) {
      passed = 1;
    } else {
      points++;
      EXPECT(rc == LUA_ERRMEM || (err && strstr(err, "not enough memory")), "%s N=%ld: not a memory error: %s", sc->name,
             n, err ? err : "?");
    }
    if (rc != LUA_OK) {
      /* the state stays usable: with memory again, the scenario passes */
      c.limit = -1;
      rc = run_scenario(L, sc->name, &err);
      EXPECT(rc == LUA_OK, "%s N=%ld: scenario failed after recovery: %s", sc->name, n, err ? err : "?");
    }
    lua_close(L);
    EXPECT(c.live == 0, "%s N=%ld: %ld blocks leaked", sc->name, n, c.live);
  }
  EXPECT(passed, "%s: the sweep never ended with a pass", sc->name);
  total_points += points;
  printf("host oom sweep (%s, %s): %ld failure points of %ld allocations (stride %ld)%s", sc->name,
         only_nth ? "only the N-th fails" : "fail from the N-th on", points, total, stride,
         only_nth ? "" : "\n");
  if (only_nth) printf(", %ld absorbed with correct results\n", absorbed);
}

int main(int argc, char **argv) {
  const sweep_scenario *sc;
  lua_dir = argc > 1 ? argv[1] : "lua";
  scenario_dir = argc > 2 ? argv[2] : "tests/scenarios";
  test_host_allocator();
  test_two_threads();
  for (sc = SWEEPS; sc->name; sc++) {
    const char *only = getenv("TF_OOM_ONLY"); /* one scenario, e.g. for a full TF_OOM_STRIDE=1 sweep */
    if (only != NULL && strcmp(only, sc->name) != 0) continue;
    test_oom_sweep(sc, 0);
    test_oom_sweep(sc, 1);
  }
  printf("host oom sweeps: %ld failure points survived\n", total_points);
  printf("host_embed: %s\n", failures ? "FAILED" : "ok");
  return failures ? EXIT_FAILURE : EXIT_SUCCESS;
}

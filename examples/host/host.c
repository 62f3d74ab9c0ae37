/* A C host embedding Lua 5.4 and tokenflow, as a design tool would:
 *
 *  - its own allocator, with a byte limit, for the Lua state; tokenflow's C
 *    engines get a separate counting allocator (tokenflow_set_allocator);
 *  - the module registered from the static library with luaL_requiref;
 *  - an update script run as a coroutine, resumed once per simulated frame:
 *    each resume runs one chunk of the update job and yields, so the host's
 *    own work (here: nothing but a clock) keeps its frame rate;
 *  - frame times printed at the end.
 *
 * usage: tokenflow_host LUA_DIR SCRIPT [NODES]
 *   LUA_DIR  the lua/ folder of tokenflow (for require "tokenflow")
 *   SCRIPT   a Lua file returning the update function (examples/host/update.lua)
 *   NODES    document size (default 20000)
 * Exit status 0 when the script ran to the end. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "tokenflow.h"

typedef struct budget {
  size_t used, peak, limit; /* bytes; limit 0: none */
} budget;

/* The lua_Alloc contract: free on nsize 0, else realloc; refuse past the limit. */
static void *host_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  budget *b = (budget *)ud;
  size_t old = ptr ? osize : 0;
  void *q;
  if (nsize == 0) {
    free(ptr);
    b->used -= old;
    return NULL;
  }
  if (b->limit && nsize > old && b->used - old + nsize > b->limit) return NULL;
  q = realloc(ptr, nsize);
  if (q == NULL) return NULL;
  b->used = b->used - old + nsize;
  if (b->used > b->peak) b->peak = b->used;
  return q;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  budget lua_mem = {0, 0, (size_t)1 << 30}, engine_mem = {0, 0, 0};
  lua_State *L, *co;
  double *frames = NULL, total = 0;
  size_t nframes = 0, cap = 0;
  int status = 1, nres, rc;
  long nodes = argc > 3 ? atol(argv[3]) : 20000;
  if (argc < 3) {
    fprintf(stderr, "usage: %s LUA_DIR SCRIPT [NODES]\n", argv[0]);
    return 2;
  }
  L = lua_newstate(host_alloc, &lua_mem);
  if (L == NULL) return 1;
  luaL_openlibs(L);
  /* tokenflow's engines allocate through the host's hook from now on */
  tokenflow_set_allocator(L, host_alloc, &engine_mem);
  luaL_requiref(L, "tokenflow.core", luaopen_tokenflow_core, 0);
  lua_pop(L, 1);
  lua_getglobal(L, "package");
  lua_pushfstring(L, "%s/?.lua;%s/?/init.lua;%s", argv[1], argv[1], LUA_PATH_DEFAULT);
  lua_setfield(L, -2, "path");
  lua_pop(L, 1);

  /* the script returns the update function; it runs in a coroutine */
  if (luaL_loadfile(L, argv[2]) != LUA_OK || lua_pcall(L, 0, 1, 0) != LUA_OK || !lua_isfunction(L, -1)) {
    fprintf(stderr, "host: %s: %s\n", argv[2], lua_isstring(L, -1) ? lua_tostring(L, -1) : "does not return a function");
    lua_close(L);
    return 1;
  }
  co = lua_newthread(L); /* anchored on L's stack */
  lua_pushvalue(L, -2);
  lua_xmove(L, co, 1);
  lua_pushinteger(co, (lua_Integer)nodes);
  nres = 1; /* the first resume passes the node count */
  for (;;) {
    double t0 = now_ms(), dt;
    rc = lua_resume(co, L, nres, &nres);
    dt = now_ms() - t0;
    if (nframes == cap) {
      double *q = (double *)realloc(frames, (cap ? cap * 2 : 256) * sizeof *frames);
      if (q == NULL) break;
      frames = q;
      cap = cap ? cap * 2 : 256;
    }
    frames[nframes++] = dt;
    total += dt;
    if (rc == LUA_YIELD) {
      lua_pop(co, nres); /* the progress value; a real host would draw it */
      nres = 0;
      /* ... the host's own frame work would run here ... */
      continue;
    }
    if (rc == LUA_OK) {
      printf("host: %s\n", lua_isstring(co, -1) ? lua_tostring(co, -1) : "done");
      status = 0;
    } else {
      fprintf(stderr, "host: update failed: %s\n", lua_tostring(co, -1));
      luaL_traceback(L, co, NULL, 0);
      fprintf(stderr, "%s\n", lua_tostring(L, -1));
    }
    break;
  }
  if (status == 0 && nframes > 1) {
    /* frame 0 is the script's set-up (document, tokens); the update follows */
    double max = 0, median, *f = frames + 1;
    size_t i, n = nframes - 1;
    for (i = 0; i < n; i++)
      if (f[i] > max) max = f[i];
    qsort(f, n, sizeof *f, cmp_double);
    median = f[n / 2];
    printf("host: set-up %.1f ms, then %lu update frames: median %.2f ms, p95 %.2f ms, max %.2f ms, total %.1f ms\n",
           frames[0], (unsigned long)n, median, f[(n * 95) / 100], max, total - frames[0]);
    printf("host: Lua heap peak %.1f MB, engines peak %.1f MB (host allocator)\n", (double)lua_mem.peak / 1048576.0,
           (double)engine_mem.peak / 1048576.0);
    if (n < 2) {
      fprintf(stderr, "host: the update did not yield between chunks\n");
      status = 1;
    }
  }
  free(frames);
  lua_close(L);
  if (status == 0 && engine_mem.used != 0) {
    fprintf(stderr, "host: engines still hold %lu bytes after lua_close\n", (unsigned long)engine_mem.used);
    status = 1;
  }
  return status;
}

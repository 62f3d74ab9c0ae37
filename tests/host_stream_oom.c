/* Out-of-memory sweep over the streaming engines from an embedding host:
 * a lua_State whose allocator fails from the N-th allocation on runs a
 * script using tf.chunks, tf.walk and tf.pool, for every N until the script
 * succeeds. Every failure must surface as the literal "not enough memory"
 * (or be recorded as a task failure), and closing the state must free
 * everything (LeakSanitizer checks in the sanitizer build). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "tokenflow.h"

typedef struct limit_alloc {
  long calls, limit;
  int armed;
} limit_alloc;

static void *limited(void *ud, void *ptr, size_t osize, size_t nsize) {
  limit_alloc *a = (limit_alloc *)ud;
  (void)osize;
  if (nsize == 0) {
    free(ptr);
    return NULL;
  }
  if (a->armed && (ptr == NULL || nsize > osize) && a->calls++ >= a->limit) return NULL;
  return realloc(ptr, nsize);
}

static const char script[] =
    "local core = ...\n"
    "local pool = core.pool{concurrency = 2, capacity = 4}\n"
    "for i = 1, 3 do\n"
    "  pool:submit(function(x) local v = coroutine.yield(x) return v + x end, {args = {i}, retries = 1})\n"
    "end\n"
    "pool:run()\n"
    "for _, t in ipairs(pool:parked()) do pool:wake(t, 10) end\n"
    "pool:run()\n"
    "pool:submit(function() error('boom') end)\n"
    "pool:run()\n"
    "local arr = {}\n"
    "for i = 1, 50 do arr[i] = {id = i, children = {{}, {}}} end\n"
    "local seen = 0\n"
    "local co = coroutine.wrap(function()\n"
    "  for c in core.chunks(arr, {size = 7}) do seen = seen + #c end\n"
    "  for c in core.chunks(core.walk({children = arr}, function(n) return n.children end, {unique = true}), {size = 'auto'}) do\n"
    "    seen = seen + #c\n"
    "  end\n"
    "  return 'end'\n"
    "end)\n"
    "while co() ~= 'end' do end\n"
    "assert(seen == 50 + 151, seen)\n"
    "pool:close()\n"
    "return tostring(pool)\n";

int main(void) {
  long n;
  int failures = 0, points = 0, done = 0;
  for (n = 0; n < 200000 && !done; n++) {
    limit_alloc a = {0, 0, 0};
    lua_State *L = lua_newstate(limited, &a);
    int status;
    if (L == NULL) return EXIT_FAILURE;
    luaL_openlibs(L);
    luaL_requiref(L, "tokenflow.core", luaopen_tokenflow_core, 0);
    if (luaL_loadbuffer(L, script, sizeof script - 1, "=oom") != LUA_OK) {
      fprintf(stderr, "load: %s\n", lua_tostring(L, -1));
      return EXIT_FAILURE;
    }
    lua_pushvalue(L, -2);
    a.limit = n;
    a.armed = 1;
    status = lua_pcall(L, 1, 1, 0);
    a.armed = 0;
    if (status == LUA_OK) {
      done = 1;
    } else {
      const char *msg = lua_tostring(L, -1);
      points++;
      /* "not enough memory", raised by tokenflow or by Lua itself; an
       * assertion failing in the script would mean a wrong result */
      if (msg == NULL || strcmp(msg, "not enough memory") != 0) {
        fprintf(stderr, "limit %ld: unexpected error: %s\n", n, msg ? msg : "(not a string)");
        failures++;
      }
    }
    lua_close(L);
  }
  printf("host_stream_oom: %d failure points, %d unexpected errors, %s\n", points, failures, done ? "completed" : "never completed");
  return failures == 0 && done ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* libFuzzer driver for the Lua-side targets (tokens, math, color).
 *
 * One lua_State lives for the whole run: it loads tokenflow (the core from
 * the instrumented static library, the Lua modules from FUZZ_LUA_DIR) and
 * the target script FUZZ_SCRIPT, which returns function(bytes, fail). Each
 * input is one protected call of that function: a Lua error is an accepted
 * outcome (the script decides which calls must not raise and calls
 * fail(message) for those), a crash, a sanitizer report, a hang or
 * fail(...) is a finding.
 *
 * libFuzzer only sees the C code's coverage by itself. A line hook adds the
 * Lua side: each (source, line) transition bumps a counter in a table
 * registered with __sanitizer_cov_8bit_counters_init, so the fuzzer also
 * keeps inputs that reach new Lua code (the counters are the fuzzer's, hence
 * file-scope state, which the library itself never has). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "tokenflow.h"

#define COV_SIZE 65536 /* power of two */
/* Bytes the Lua heap may hold: larger inputs fail with "not enough memory". */
#define HEAP_LIMIT ((size_t)512 << 20)

static uint8_t cov_counters[COV_SIZE];
static uintptr_t cov_pcs[COV_SIZE * 2];
static unsigned cov_prev;

static lua_State *fuzz_L;
static int fuzz_fn_ref;
static size_t heap_bytes;

void __sanitizer_cov_8bit_counters_init(uint8_t *start, uint8_t *stop);
void __sanitizer_cov_pcs_init(const uintptr_t *pcs_beg, const uintptr_t *pcs_end);
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void *limited_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  size_t *held = (size_t *)ud;
  size_t old = ptr != NULL ? osize : 0;
  void *q;
  if (nsize == 0) {
    *held -= old;
    free(ptr);
    return NULL;
  }
  if (nsize > old && *held - old + nsize > HEAP_LIMIT) return NULL;
  q = realloc(ptr, nsize);
  if (q != NULL) *held = *held - old + nsize;
  return q;
}

static void line_hook(lua_State *L, lua_Debug *ar) {
  unsigned h;
  const unsigned char *s;
  if (!lua_getinfo(L, "S", ar)) return;
  h = 2166136261u;
  for (s = (const unsigned char *)ar->source; *s; s++) h = (h ^ *s) * 16777619u;
  h = (h ^ (unsigned)ar->currentline) * 16777619u;
  h ^= h >> 15;
  cov_counters[(h ^ cov_prev) & (COV_SIZE - 1)]++;
  cov_prev = (h & (COV_SIZE - 1)) >> 1;
}

/* fail(message): an invariant of the target does not hold. */
static int l_fail(lua_State *L) {
  fprintf(stderr, "fuzz target invariant failed: %s\n", luaL_tolstring(L, 1, NULL));
  abort();
  return 0;
}

static void die(lua_State *L, const char *what) {
  fprintf(stderr, "fuzz driver: %s: %s\n", what, lua_tostring(L, -1));
  exit(2);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  lua_State *L;
  size_t i;
  (void)argc;
  (void)argv;
  for (i = 0; i < COV_SIZE; i++) cov_pcs[2 * i] = (uintptr_t)&cov_counters[i];
  __sanitizer_cov_8bit_counters_init(cov_counters, cov_counters + COV_SIZE);
  __sanitizer_cov_pcs_init(cov_pcs, cov_pcs + 2 * COV_SIZE);

  L = fuzz_L = lua_newstate(limited_alloc, &heap_bytes);
  if (L == NULL) {
    fprintf(stderr, "fuzz driver: no lua_State\n");
    exit(2);
  }
  luaL_openlibs(L);
  luaL_requiref(L, "tokenflow.core", luaopen_tokenflow_core, 0);
  lua_pop(L, 1);
  lua_getglobal(L, "package");
  lua_pushstring(L, FUZZ_LUA_DIR "/?.lua;" FUZZ_LUA_DIR "/?/init.lua");
  lua_setfield(L, -2, "path");
  lua_pop(L, 1);
  if (luaL_loadfile(L, FUZZ_SCRIPT) != LUA_OK) die(L, FUZZ_SCRIPT);
  if (lua_pcall(L, 0, 1, 0) != LUA_OK) die(L, FUZZ_SCRIPT);
  if (!lua_isfunction(L, -1)) {
    lua_pushliteral(L, "the script must return function(bytes, fail)");
    die(L, FUZZ_SCRIPT);
  }
  fuzz_fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_sethook(L, line_hook, LUA_MASKLINE, 0);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lua_State *L = fuzz_L;
  cov_prev = 0;
  lua_settop(L, 0);
  lua_rawgeti(L, LUA_REGISTRYINDEX, fuzz_fn_ref);
  lua_pushlstring(L, (const char *)data, size);
  lua_pushcfunction(L, l_fail);
  (void)lua_pcall(L, 2, 0, 0); /* a Lua error is an accepted outcome */
  lua_settop(L, 0);
  return 0;
}

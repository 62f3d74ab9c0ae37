/* Two lua_States in two POSIX threads, each loading tokenflow from the
 * static library and running the same work at the same time
 * (every .lua file in tests/threads, in name order). Built normally it checks
 * that both threads get the result a single state gets; built with
 * -fsanitize=thread (scripts/checks/tsan.sh, TOKENFLOW_TSAN) it also shows
 * that tokenflow has no shared mutable state: ThreadSanitizer reports any
 * data race between the two threads.
 *
 * argv[1]: the lua/ folder of the source tree; argv[2]: the scenarios
 * folder (tests/scenarios; the work files are in ../threads). */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "tokenflow.h"

#define ROUNDS 3
#define MAX_WORK 8

static const char *lua_dir;
static char work_files[MAX_WORK][4096];
static int nwork;

typedef struct thread_run {
  pthread_barrier_t *start;
  char results[MAX_WORK][256];
  char error[512];
} thread_run;

/* Runs work file i in a fresh state; result (or error) copied to out. */
static int run_work(int i, char *out, size_t outsz, char *err, size_t errsz) {
  lua_State *L = luaL_newstate();
  int ok;
  if (L == NULL) {
    snprintf(err, errsz, "no lua_State");
    return 0;
  }
  luaL_openlibs(L);
  luaL_requiref(L, "tokenflow.core", luaopen_tokenflow_core, 0);
  lua_pop(L, 1);
  lua_getglobal(L, "package");
  lua_pushfstring(L, "%s/?.lua;%s/?/init.lua", lua_dir, lua_dir);
  lua_setfield(L, -2, "path");
  lua_pop(L, 1);
  ok = luaL_dofile(L, work_files[i]) == LUA_OK;
  if (ok) snprintf(out, outsz, "%s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "(no result)");
  else snprintf(err, errsz, "%s: %s", work_files[i], lua_tostring(L, -1));
  lua_close(L);
  return ok;
}

static void *thread_main(void *arg) {
  thread_run *run = (thread_run *)arg;
  int r, i, rounds = getenv("TF_UNDER_VALGRIND") != NULL ? 1 : ROUNDS; /* valgrind is ~50x slower */
  pthread_barrier_wait(run->start);
  for (r = 0; r < rounds && run->error[0] == 0; r++)
    for (i = 0; i < nwork && run->error[0] == 0; i++)
      run_work(i, run->results[i], sizeof run->results[i], run->error, sizeof run->error);
  return NULL;
}

static int cmp_str(const void *a, const void *b) { return strcmp((const char *)a, (const char *)b); }

int main(int argc, char **argv) {
  static thread_run a, b;
  char expected[MAX_WORK][256], err[512] = "";
  char dir[4096];
  pthread_barrier_t start;
  pthread_t ta, tb;
  int i, failures = 0;
  FILE *ls;
  lua_dir = argc > 1 ? argv[1] : "lua";
  snprintf(dir, sizeof dir, "%s/../threads", argc > 2 ? argv[2] : "tests/scenarios");
  /* the work files, in name order (no directory API in C99: ask the shell) */
  {
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "ls '%s'/*.lua 2>/dev/null", dir);
    ls = popen(cmd, "r");
    while (ls != NULL && nwork < MAX_WORK && fgets(work_files[nwork], sizeof work_files[nwork], ls) != NULL) {
      work_files[nwork][strcspn(work_files[nwork], "\n")] = 0;
      nwork++;
    }
    if (ls != NULL) pclose(ls);
  }
  qsort(work_files, (size_t)nwork, sizeof work_files[0], cmp_str);
  if (nwork == 0) {
    fprintf(stderr, "FAIL: no work files in %s\n", dir);
    return EXIT_FAILURE;
  }
  /* what one state alone computes */
  for (i = 0; i < nwork; i++)
    if (!run_work(i, expected[i], sizeof expected[i], err, sizeof err)) {
      fprintf(stderr, "FAIL alone: %s\n", err);
      return EXIT_FAILURE;
    }
  pthread_barrier_init(&start, NULL, 2);
  a.start = b.start = &start;
  if (pthread_create(&ta, NULL, thread_main, &a) != 0 || pthread_create(&tb, NULL, thread_main, &b) != 0) {
    fprintf(stderr, "FAIL: pthread_create\n");
    return EXIT_FAILURE;
  }
  pthread_join(ta, NULL);
  pthread_join(tb, NULL);
  pthread_barrier_destroy(&start);
  if (a.error[0] || b.error[0]) {
    fprintf(stderr, "FAIL in a thread: %s%s\n", a.error, b.error);
    failures++;
  }
  for (i = 0; i < nwork && !failures; i++) {
    if (strcmp(a.results[i], expected[i]) != 0 || strcmp(b.results[i], expected[i]) != 0) {
      fprintf(stderr, "FAIL %s: threads got '%s' and '%s', one state alone '%s'\n", work_files[i], a.results[i],
              b.results[i], expected[i]);
      failures++;
    } else {
      printf("%s: %s (both threads)\n", strrchr(work_files[i], '/') + 1, expected[i]);
    }
  }
  printf("host_threads: %s\n", failures ? "FAILED" : "ok");
  return failures ? EXIT_FAILURE : EXIT_SUCCESS;
}

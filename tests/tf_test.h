/* Minimal C test harness: CHECK records failures, test_main prints a
 * summary, and a counting allocator can fail the N-th allocation for
 * out-of-memory sweeps (in the style of Lua's ltests.c and SQLite's
 * test_malloc.c). Header-only (static inline: a file may use any part of
 * it); each test file is one executable, and the fuzz targets use its
 * allocator. */
#ifndef TF_TEST_H
#define TF_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tf_mem.h"

typedef struct tf_test_ctx {
  int checks;
  int failures;
} tf_test_ctx;

#define CHECK(ctx, cond)                                                  \
  do {                                                                    \
    (ctx)->checks++;                                                      \
    if (!(cond)) {                                                        \
      (ctx)->failures++;                                                  \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                     \
  } while (0)

/* Counting allocator: fails once `limit` allocations have been made
 * (limit < 0: never fails), or only the limit-th when `only_nth` is set.
 * Tracks live blocks and bytes so a test can assert nothing leaked. */
typedef struct tf_test_alloc {
  long limit;
  int only_nth;
  long calls;     /* allocations and growths attempted */
  long failures;  /* of which refused */
  long live;      /* blocks currently allocated */
  size_t bytes;   /* bytes currently allocated */
} tf_test_alloc;

static inline void *tf_test_alloc_fn(void *ud, void *ptr, size_t osize, size_t nsize) {
  tf_test_alloc *a = (tf_test_alloc *)ud;
  if (nsize == 0) {
    if (ptr != NULL) {
      a->live--;
      a->bytes -= osize;
      free(ptr);
    }
    return NULL;
  }
  if (ptr == NULL || nsize > osize) {
    long n = a->calls++;
    int fail = a->limit >= 0 && (a->only_nth ? n == a->limit : n >= a->limit);
    if (fail) {
      a->failures++;
      return NULL;
    }
  }
  {
    void *q = realloc(ptr, nsize);
    if (q == NULL) return NULL;
    if (ptr == NULL) {
      a->live++;
      a->bytes += nsize;
    } else {
      a->bytes = a->bytes - osize + nsize;
    }
    return q;
  }
}

static inline tf_mem tf_test_mem(tf_test_alloc *a, long limit, int only_nth) {
  tf_mem m;
  memset(a, 0, sizeof *a);
  a->limit = limit;
  a->only_nth = only_nth;
  m.fn = tf_test_alloc_fn;
  m.ud = a;
  m.bytes = 0;
  m.shared = NULL;
  return m;
}

static inline int tf_test_report(const char *name, const tf_test_ctx *ctx) {
  printf("%s: %d checks, %d failed\n", name, ctx->checks, ctx->failures);
  return ctx->failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif

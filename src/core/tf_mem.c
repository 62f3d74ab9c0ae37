#include "tf_mem.h"

#include <stdint.h>
#include <stdlib.h>

static void *libc_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  (void)ud;
  (void)osize;
  if (nsize == 0) {
    free(ptr);
    return NULL;
  }
  return realloc(ptr, nsize);
}

tf_mem tf_mem_over(tf_alloc_fn fn, void *ud) {
  tf_mem m;
  m.fn = fn;
  m.ud = ud;
  m.bytes = 0;
  m.shared = NULL;
  return m;
}

tf_mem tf_mem_default(void) { return tf_mem_over(libc_alloc, NULL); }

static void account(tf_mem *m, size_t old_n, size_t new_n) {
  m->bytes = m->bytes - old_n + new_n;
  if (m->shared) *m->shared = *m->shared - old_n + new_n;
}

void *tf_mem_alloc(tf_mem *m, size_t n) {
  return tf_mem_realloc(m, NULL, 0, n);
}

void *tf_mem_realloc(tf_mem *m, void *p, size_t old_n, size_t new_n) {
  void *q;
  /* 0 is what tf_mem_mul gives on overflow: a failure, p stays */
  if (new_n == 0) return NULL;
  /* lua_Alloc convention: osize is the old size only when ptr is a block. */
  q = m->fn(m->ud, p, p ? old_n : 0, new_n);
  if (q == NULL) return NULL;
  account(m, p ? old_n : 0, new_n);
  return q;
}

void tf_mem_free(tf_mem *m, void *p, size_t n) {
  if (p == NULL) return;
  m->fn(m->ud, p, n, 0);
  account(m, n, 0);
}

size_t tf_mem_mul(size_t a, size_t b) {
  if (a != 0 && b > SIZE_MAX / a) return 0;
  return a * b;
}

#include "tf_arena.h"

#include <stdint.h>
#include <string.h>

/* Every block starts on this boundary (the strictest the engines need). */
#define ALIGN 16u

static size_t rounded(size_t n) { return (n + (ALIGN - 1)) & ~(size_t)(ALIGN - 1); }

void tf_arena_init(tf_arena *a, void *block, size_t cap) {
  size_t skip = (size_t)(-(uintptr_t)block & (ALIGN - 1));
  a->base = (unsigned char *)block + (skip < cap ? skip : cap);
  a->cap = skip < cap ? cap - skip : 0;
  a->used = 0;
  a->last = NULL;
}

static void *arena_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  tf_arena *a = (tf_arena *)ud;
  unsigned char *p = (unsigned char *)ptr;
  if (nsize == 0) { /* free: only the newest block goes back */
    if (p != NULL && p == a->last) {
      a->used = (size_t)(p - a->base);
      a->last = NULL;
    }
    return NULL;
  }
  if (rounded(nsize) < nsize) return NULL;
  if (p != NULL && p == a->last) { /* the newest block grows or shrinks where it is */
    size_t at = (size_t)(p - a->base);
    if (rounded(nsize) > a->cap - at) return NULL;
    a->used = at + rounded(nsize);
    return p;
  }
  if (rounded(nsize) > a->cap - a->used) return NULL;
  {
    unsigned char *q = a->base + a->used;
    if (p != NULL) memcpy(q, p, osize < nsize ? osize : nsize);
    a->used += rounded(nsize);
    a->last = q;
    return q;
  }
}

tf_mem tf_arena_mem(tf_arena *a) { return tf_mem_over(arena_alloc, a); }

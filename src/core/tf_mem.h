/* Allocation hook shared by every C engine.
 *
 * Engines never call malloc: they allocate through a tf_mem, whose function
 * has the signature of lua_Alloc, so the binding can hand over the
 * lua_State's allocator (a host's memory limit then applies) and C tests can
 * plug in a counting or failing allocator. Each engine keeps its own tf_mem;
 * `bytes` is what that engine holds now, `shared` (optional) is a total that
 * several engines add to, for the metrics collector. */
#ifndef TF_MEM_H
#define TF_MEM_H

#include <stddef.h>

typedef void *(*tf_alloc_fn)(void *ud, void *ptr, size_t osize, size_t nsize);

typedef struct tf_mem {
  tf_alloc_fn fn;
  void *ud;
  size_t bytes;   /* held by the engine owning this tf_mem */
  size_t *shared; /* optional running total across engines, may be NULL */
} tf_mem;

/* A tf_mem over the C library's realloc/free. */
tf_mem tf_mem_default(void);
/* A tf_mem over fn (with ud), nothing held yet and no shared total. */
tf_mem tf_mem_over(tf_alloc_fn fn, void *ud);

/* NULL on failure (nothing changed). n == 0 returns NULL. */
void *tf_mem_alloc(tf_mem *m, size_t n);
/* NULL on failure, and the old block stays valid and owned by the caller.
 * new_n == 0 (an overflowed tf_mem_mul) fails so. */
void *tf_mem_realloc(tf_mem *m, void *p, size_t old_n, size_t new_n);
void tf_mem_free(tf_mem *m, void *p, size_t n);

/* Multiplies a * b, or returns 0 when the product overflows size_t. */
size_t tf_mem_mul(size_t a, size_t b);

#endif

/* A fixed block of memory handed out front to back, as a tf_mem: for a
 * worker thread, which must not call the host's allocator (it may not be
 * thread-safe). The block is taken from the host's allocator beforehand;
 * what does not fit in it fails like any allocation (NULL), and the
 * worker's owner then does the work itself. Freeing gives back only the
 * newest allocation; growing the newest one happens in place. */
#ifndef TF_ARENA_H
#define TF_ARENA_H

#include <stddef.h>

#include "tf_mem.h"

typedef struct tf_arena {
  unsigned char *base;
  size_t cap, used;
  unsigned char *last; /* the newest allocation (NULL: none) */
} tf_arena;

/* Hands out block[0, cap) (not owned). */
void tf_arena_init(tf_arena *a, void *block, size_t cap);
/* A tf_mem allocating from a (which must outlive it). */
tf_mem tf_arena_mem(tf_arena *a);

#endif

/* The arena a worker thread allocates in: blocks aligned and apart, the
 * newest one growing and shrinking in place, a free giving back only the
 * newest, what does not fit failing with the old block intact. */
#include <stdint.h>

#include "tf_arena.h"
#include "tf_test.h"

static void test_arena(tf_test_ctx *t) {
  static unsigned char block[1000];
  tf_arena a;
  tf_mem m;
  unsigned char *p, *q, *r;
  tf_arena_init(&a, block + 1, sizeof block - 1); /* a start off the boundary */
  m = tf_arena_mem(&a);
  p = (unsigned char *)tf_mem_alloc(&m, 10);
  q = (unsigned char *)tf_mem_alloc(&m, 10);
  CHECK(t, p != NULL && q != NULL && ((uintptr_t)p & 15) == 0 && ((uintptr_t)q & 15) == 0 && q >= p + 10);
  memset(p, 'p', 10);
  memset(q, 'q', 10);
  /* the newest grows where it is; an older one moves, keeping its bytes */
  CHECK(t, tf_mem_realloc(&m, q, 10, 100) == q);
  r = (unsigned char *)tf_mem_realloc(&m, p, 10, 20);
  CHECK(t, r != NULL && r != p && memcmp(r, "pppppppppp", 10) == 0);
  /* too large: NULL, the block stays as it was */
  CHECK(t, tf_mem_realloc(&m, r, 20, 5000) == NULL && memcmp(r, "pppppppppp", 10) == 0);
  CHECK(t, tf_mem_alloc(&m, 5000) == NULL);
  /* freeing the newest gives its room back */
  {
    size_t used = a.used;
    tf_mem_free(&m, r, 20);
    CHECK(t, a.used < used);
    CHECK(t, tf_mem_alloc(&m, 20) == r);
  }
  CHECK(t, m.bytes == 100 + 20); /* q, and the block that took r's place */
}

int main(void) {
  tf_test_ctx t = {0, 0};
  test_arena(&t);
  return tf_test_report("test_arena", &t);
}

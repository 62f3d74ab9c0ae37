/* Chunk-size controller: fixed sizes, convergence to the budget, bounds,
 * bounded growth, and degenerate measurements. */
#include "tf_chunks.h"
#include "tf_test.h"

static void test_fixed(tf_test_ctx *t) {
  tf_chunk_ctl c;
  tf_chunk_fixed(&c, 1000);
  CHECK(t, c.size == 1000);
  CHECK(t, tf_chunk_observe(&c, 1000, 5.0) == 1000);
  CHECK(t, tf_chunk_observe(&c, 1000, 0.0) == 1000);
  tf_chunk_fixed(&c, 0);
  CHECK(t, c.size == 1);
}

static void test_converges(tf_test_ctx *t) {
  tf_chunk_ctl c;
  int i;
  size_t n = 0;
  /* 10 us per item, 8 ms budget: 800 items */
  tf_chunk_adaptive(&c, 256, 16, 65536, 0.008);
  for (i = 0; i < 50; i++) n = tf_chunk_observe(&c, c.size, (double)c.size * 10e-6);
  CHECK(t, n >= 790 && n <= 810);
  /* the work gets 10x slower: the size follows down */
  for (i = 0; i < 50; i++) n = tf_chunk_observe(&c, c.size, (double)c.size * 100e-6);
  CHECK(t, n >= 78 && n <= 82);
}

static void test_bounds_and_growth(tf_test_ctx *t) {
  tf_chunk_ctl c;
  tf_chunk_adaptive(&c, 100, 50, 400, 0.008);
  /* very fast items: at most doubling per chunk, never above max */
  CHECK(t, tf_chunk_observe(&c, 100, 1e-9) == 200);
  CHECK(t, tf_chunk_observe(&c, 200, 1e-9) == 400);
  CHECK(t, tf_chunk_observe(&c, 400, 1e-9) == 400);
  /* very slow items: never below min */
  tf_chunk_adaptive(&c, 100, 50, 400, 0.008);
  CHECK(t, tf_chunk_observe(&c, 100, 10.0) == 50);
  /* below the clock's resolution */
  tf_chunk_adaptive(&c, 100, 1, 1000, 0.008);
  CHECK(t, tf_chunk_observe(&c, 100, 0.0) == 200);
  /* nothing measured, or a negative or NaN time: unchanged */
  CHECK(t, tf_chunk_observe(&c, 0, 1.0) == 200);
  CHECK(t, tf_chunk_observe(&c, 10, -1.0) == 200);
  /* inconsistent arguments are clamped */
  tf_chunk_adaptive(&c, 5000, 0, 0, 0.008);
  CHECK(t, c.min_size == 1 && c.max_size == 1 && c.size == 1);
  tf_chunk_adaptive(&c, 1, 10, 20, -1);
  CHECK(t, c.size == 10 && c.budget_s == 0);
  CHECK(t, tf_chunk_observe(&c, 10, 1.0) == 10);
}

int main(void) {
  tf_test_ctx t = {0, 0};
  (void)tf_test_mem; /* the controller never allocates: no out-of-memory sweep */
  test_fixed(&t);
  test_converges(&t);
  test_bounds_and_growth(&t);
  return tf_test_report("test_chunks", &t);
}

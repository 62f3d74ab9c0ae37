/* Pool core: slots, priority lanes, retry delays, deadlines, jitter, and an
 * out-of-memory sweep over tf_pool_new. */
#include <math.h>

#include "tf_pool.h"
#include "tf_test.h"

static void test_slots(tf_test_ctx *t) {
  tf_pool *p = tf_pool_new(tf_mem_default(), 3, 1);
  uint32_t a, b, c;
  CHECK(t, p != NULL);
  a = tf_pool_acquire(p);
  b = tf_pool_acquire(p);
  c = tf_pool_acquire(p);
  CHECK(t, a && b && c && a != b && b != c && a != c);
  CHECK(t, tf_pool_acquire(p) == 0); /* capacity is a hard bound */
  CHECK(t, tf_pool_used(p) == 3);
  tf_pool_release(p, b);
  tf_pool_release(p, b); /* twice: no effect */
  CHECK(t, tf_pool_used(p) == 2);
  CHECK(t, tf_pool_acquire(p) == b);
  tf_pool_free(p);
  CHECK(t, tf_pool_new(tf_mem_default(), 0, 1) == NULL);
}

static void test_lanes(tf_test_ctx *t) {
  tf_pool *p = tf_pool_new(tf_mem_default(), 8, 1);
  uint32_t s[8], i;
  static const int lanes[6] = {TF_LANE_LOW, TF_LANE_NORMAL, TF_LANE_HIGH, TF_LANE_LOW, TF_LANE_HIGH, TF_LANE_NORMAL};
  for (i = 0; i < 6; i++) {
    s[i] = tf_pool_acquire(p);
    tf_pool_push(p, s[i], lanes[i]);
  }
  CHECK(t, tf_pool_ready(p, TF_LANES) == 6);
  CHECK(t, tf_pool_ready(p, TF_LANE_HIGH) == 2);
  /* only the woken lane when no new task may start */
  CHECK(t, tf_pool_pop(p, 0) == 0);
  s[6] = tf_pool_acquire(p);
  tf_pool_push(p, s[6], TF_LANE_WOKEN);
  CHECK(t, tf_pool_pop(p, 0) == s[6]);
  /* high, then normal, then low; FIFO within each */
  CHECK(t, tf_pool_pop(p, 1) == s[2]);
  CHECK(t, tf_pool_pop(p, 1) == s[4]);
  /* removing from the middle of a lane keeps the order of the rest */
  tf_pool_release(p, s[1]);
  CHECK(t, tf_pool_lane_of(p, s[5]) == TF_LANE_NORMAL);
  CHECK(t, tf_pool_pop(p, 1) == s[5]);
  CHECK(t, tf_pool_pop(p, 1) == s[0]);
  CHECK(t, tf_pool_pop(p, 1) == s[3]);
  CHECK(t, tf_pool_pop(p, 1) == 0);
  CHECK(t, tf_pool_lane_of(p, s[3]) == -1);
  tf_pool_free(p);
}

static void test_delays_and_deadlines(tf_test_ctx *t) {
  tf_pool *p = tf_pool_new(tf_mem_default(), 64, 1);
  uint32_t s[64], i, ok = 1, prev;
  double last = -1;
  for (i = 0; i < 64; i++) {
    s[i] = tf_pool_acquire(p);
    tf_pool_delay(p, s[i], (double)((i * 37) % 64)); /* a permutation of 0..63 */
  }
  CHECK(t, tf_pool_delayed(p) == 64);
  CHECK(t, tf_pool_next_event(p, 1) == 0.0);
  tf_pool_release(p, s[5]); /* time (5*37)%64 = 57 leaves the heap */
  CHECK(t, tf_pool_pop_due(p, -1) == 0);
  for (i = 0; i < 63; i++) {
    uint32_t d = tf_pool_pop_due(p, 1000);
    double key = 0;
    uint32_t j;
    for (j = 0; j < 64; j++) if (s[j] == d) key = (double)((j * 37) % 64);
    if (d == 0 || key < last || d == s[5]) ok = 0;
    last = key;
  }
  CHECK(t, ok);
  CHECK(t, tf_pool_pop_due(p, 1000) == 0);
  CHECK(t, tf_pool_next_event(p, 1) == HUGE_VAL);
  /* deadlines are independent of lanes */
  tf_pool_push(p, s[1], TF_LANE_WOKEN);
  tf_pool_set_deadline(p, s[1], 5);
  tf_pool_set_deadline(p, s[2], 3);
  tf_pool_set_deadline(p, s[3], 4);
  tf_pool_set_deadline(p, s[2], 9); /* moved */
  CHECK(t, tf_pool_deadlines(p) == 3);
  CHECK(t, tf_pool_next_event(p, 0) == HUGE_VAL);
  CHECK(t, tf_pool_next_event(p, 1) == 4);
  CHECK(t, tf_pool_pop_expired(p, 3.5) == 0);
  CHECK(t, tf_pool_pop_expired(p, 4.5) == s[3]);
  tf_pool_clear_deadline(p, s[1]);
  CHECK(t, tf_pool_lane_of(p, s[1]) == TF_LANE_WOKEN);
  prev = tf_pool_pop_expired(p, 100);
  CHECK(t, prev == s[2]);
  CHECK(t, tf_pool_pop_expired(p, 100) == 0);
  tf_pool_free(p);
}

static void test_jitter(tf_test_ctx *t) {
  tf_pool *a = tf_pool_new(tf_mem_default(), 1, 42);
  tf_pool *b = tf_pool_new(tf_mem_default(), 1, 42);
  int i, in_range = 1, same = 1, varied = 0;
  double first = tf_pool_jitter(a, 1.0);
  CHECK(t, first == tf_pool_jitter(b, 1.0)); /* per-pool state: same seed, same sequence */
  for (i = 0; i < 1000; i++) {
    double x = tf_pool_jitter(a, 2.0), y = tf_pool_jitter(b, 2.0);
    if (!(x >= 1.0 && x < 2.0)) in_range = 0;
    if (x != y) same = 0;
    if (x != first * 2) varied = 1;
  }
  CHECK(t, in_range && same && varied);
  CHECK(t, tf_pool_jitter(a, 0) == 0);
  tf_pool_free(a);
  tf_pool_free(b);
}

static void test_oom_sweep(tf_test_ctx *t) {
  long n;
  int points = 0, done = 0;
  for (n = 0; !done && n < 100; n++) {
    tf_test_alloc a;
    tf_pool *p = tf_pool_new(tf_test_mem(&a, n, 0), 100, 1);
    if (p == NULL) {
      CHECK(t, a.live == 0 && a.bytes == 0);
      points++;
      continue;
    }
    done = 1;
    CHECK(t, tf_pool_bytes(p) == a.bytes);
    {
      uint32_t i, got = 0;
      for (i = 0; i < 100; i++) got += tf_pool_acquire(p) != 0;
      CHECK(t, got == 100);
    }
    tf_pool_free(p);
    CHECK(t, a.live == 0 && a.bytes == 0);
  }
  CHECK(t, done);
  CHECK(t, points == 4); /* the struct, the slots and two heaps */
  printf("pool oom sweep: %d failure points\n", points);
}

static void test_shared_accounting(tf_test_ctx *t) {
  size_t shared = 0;
  tf_mem m = tf_mem_default();
  tf_pool *p;
  m.shared = &shared;
  p = tf_pool_new(m, 10, 1);
  CHECK(t, shared > 0 && shared == tf_pool_bytes(p));
  tf_pool_free(p);
  CHECK(t, shared == 0);
}

int main(void) {
  tf_test_ctx t = {0, 0};
  test_slots(&t);
  test_lanes(&t);
  test_delays_and_deadlines(&t);
  test_jitter(&t);
  test_oom_sweep(&t);
  test_shared_accounting(&t);
  return tf_test_report("test_pool", &t);
}

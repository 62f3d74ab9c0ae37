/* Token combinations and the node index: numbering, lookup, tags, index
 * widening, and an out-of-memory sweep (every failure leaves the table as
 * it was, nothing leaks). */
#include "tf_combos.h"
#include "tf_test.h"

static void key_of(uint64_t *k, uint32_t i) {
  k[0] = 5; /* any header */
  k[1] = i * 7u + 1u;
  k[2] = i;
}

static void test_numbering(tf_test_ctx *t) {
  tf_test_alloc a;
  tf_combos *c = tf_combos_new(tf_test_mem(&a, -1, 0));
  uint64_t k[3];
  uint32_t tags[2], i;
  size_t n;
  const uint32_t *got;
  uint8_t marked[10] = {0};
  CHECK(t, c != NULL);
  key_of(k, 1);
  CHECK(t, tf_combos_find(c, k, 3) == 0);
  for (i = 1; i <= 1000; i++) {
    key_of(k, i);
    tags[0] = i % 10;
    tags[1] = 3;
    CHECK(t, tf_combos_add(c, k, 3, tags, i % 3 == 0 ? 0 : 2) == i);
  }
  CHECK(t, tf_combos_count(c) == 1000);
  for (i = 1; i <= 1000; i++) {
    const uint64_t *w;
    key_of(k, i);
    CHECK(t, tf_combos_find(c, k, 3) == i);
    w = tf_combos_key(c, i, &n);
    CHECK(t, n == 3 && w[2] == i);
  }
  key_of(k, 1001);
  CHECK(t, tf_combos_find(c, k, 3) == 0);
  CHECK(t, tf_combos_find(c, k, 2) == 0);
  got = tf_combos_tags(c, 7, &n);
  CHECK(t, n == 2 && got[0] == 7 && got[1] == 3);
  tf_combos_tags(c, 9, &n);
  CHECK(t, n == 0);
  marked[7] = 1;
  CHECK(t, tf_combos_depends(c, 7, marked, 10));
  CHECK(t, !tf_combos_depends(c, 8, marked, 10));
  CHECK(t, !tf_combos_depends(c, 9, marked, 10));
  CHECK(t, !tf_combos_depends(c, 7, marked, 5)); /* tag beyond the marks */
  tf_combos_free(c);
  CHECK(t, a.live == 0 && a.bytes == 0);
}

static void test_index(tf_test_ctx *t) {
  tf_test_alloc a;
  tf_combos *c = tf_combos_new(tf_test_mem(&a, -1, 0));
  uint64_t pos;
  CHECK(t, tf_combos_index_get(c, 1) == 0);
  for (pos = 1; pos <= 5000; pos++) CHECK(t, tf_combos_index_set(c, pos, (uint32_t)(pos % 200), 0));
  CHECK(t, tf_combos_index_width(c) == 1);
  CHECK(t, tf_combos_index_len(c) == 5000);
  /* a number over 255 widens to 2 bytes, keeping every entry */
  CHECK(t, tf_combos_index_set(c, 5001, 300, 0));
  CHECK(t, tf_combos_index_width(c) == 2);
  /* over 65535: 4 bytes */
  CHECK(t, tf_combos_index_set(c, 20000, 70000, 0));
  CHECK(t, tf_combos_index_width(c) == 4);
  for (pos = 1; pos <= 5000; pos++)
    if (tf_combos_index_get(c, pos) != pos % 200) break;
  CHECK(t, pos == 5001);
  CHECK(t, tf_combos_index_get(c, 5001) == 300);
  CHECK(t, tf_combos_index_get(c, 6000) == 0); /* never set */
  CHECK(t, tf_combos_index_get(c, 20000) == 70000);
  CHECK(t, tf_combos_index_get(c, 20001) == 0);
  CHECK(t, tf_combos_index_set(c, 0, 1, 0) == 0); /* positions start at 1 */
  tf_combos_index_clear(c);
  CHECK(t, tf_combos_index_len(c) == 0 && tf_combos_index_get(c, 1) == 0);
  /* a hint sizes the first allocation */
  CHECK(t, tf_combos_index_set(c, 1, 1, 100000));
  CHECK(t, tf_combos_held_bytes(c) >= 100000);
  tf_combos_free(c);
  CHECK(t, a.live == 0);
}

/* Fails the n-th allocation for every n until the whole scenario passes. */
static void test_oom(tf_test_ctx *t) {
  long limit;
  int completed = 0;
  for (limit = 0; limit < 200 && !completed; limit++) {
    tf_test_alloc a;
    tf_combos *c = tf_combos_new(tf_test_mem(&a, limit, 0));
    uint64_t k[3];
    uint32_t tag = 1, i, added = 0;
    int ok = 1;
    if (c == NULL) {
      CHECK(t, a.live == 0);
      continue;
    }
    for (i = 1; i <= 300 && ok; i++) {
      uint32_t n;
      key_of(k, i);
      n = tf_combos_add(c, k, 3, &tag, 1);
      if (n == 0) {
        ok = 0;
        CHECK(t, tf_combos_count(c) == added && tf_combos_find(c, k, 3) == 0);
      } else {
        added++;
        CHECK(t, n == added);
      }
    }
    for (i = 1; i <= 3000 && ok; i++) {
      if (!tf_combos_index_set(c, i, i, 0)) {
        ok = 0;
        CHECK(t, tf_combos_index_len(c) == i - 1);
      }
    }
    for (i = 1; i <= added; i++) {
      key_of(k, i);
      CHECK(t, tf_combos_find(c, k, 3) == i);
    }
    completed = ok;
    tf_combos_free(c);
    CHECK(t, a.live == 0 && a.bytes == 0);
  }
  CHECK(t, completed);
}

int main(void) {
  tf_test_ctx t = {0, 0};
  test_numbering(&t);
  test_index(&t);
  test_oom(&t);
  return tf_test_report("test_combos", &t);
}

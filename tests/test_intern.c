/* Interner core: round trips, stable ids, growth, and an out-of-memory sweep. */
#include <stdint.h>

#include "tf_intern.h"
#include "tf_test.h"

static void test_round_trip(tf_test_ctx *t) {
  tf_mem mem = tf_mem_default();
  tf_intern *in = tf_intern_new(mem);
  static const char zeros[] = {'a', '\0', 'b', '\0'};
  static const char bad_utf8[] = {(char)0xff, (char)0xfe, (char)0xc3};
  uint32_t a, b, e, z, u;
  size_t len;
  const char *s;
  CHECK(t, in != NULL);
  a = tf_intern_add(in, "colors.primary", 14);
  b = tf_intern_add(in, "radius.md", 9);
  e = tf_intern_add(in, "", 0);
  z = tf_intern_add(in, zeros, sizeof zeros);
  u = tf_intern_add(in, bad_utf8, sizeof bad_utf8);
  CHECK(t, a == 1 && b == 2 && e == 3 && z == 4 && u == 5);
  CHECK(t, tf_intern_add(in, "colors.primary", 14) == a);
  CHECK(t, tf_intern_find(in, "radius.md", 9) == b);
  CHECK(t, tf_intern_find(in, "radius.m", 8) == 0);
  CHECK(t, tf_intern_find(in, zeros, 2) == 0); /* "a\0" differs from "a\0b\0" */
  CHECK(t, tf_intern_find(in, zeros, sizeof zeros) == z);
  s = tf_intern_name(in, z, &len);
  CHECK(t, s != NULL && len == sizeof zeros && memcmp(s, zeros, len) == 0);
  s = tf_intern_name(in, e, &len);
  CHECK(t, s != NULL && len == 0 && s[0] == '\0');
  CHECK(t, tf_intern_name(in, 0, NULL) == NULL);
  CHECK(t, tf_intern_name(in, 6, NULL) == NULL);
  CHECK(t, tf_intern_count(in) == 5);
  CHECK(t, tf_intern_name_bytes(in) == 14 + 9 + 0 + sizeof zeros + sizeof bad_utf8);
  tf_intern_free(in);
}

static void test_many_and_large(tf_test_ctx *t) {
  tf_intern *in = tf_intern_new(tf_mem_default());
  char name[32];
  const char *first;
  size_t big_len = 1u << 20, len;
  char *big = (char *)malloc(big_len);
  uint32_t i, ok = 1, big_id;
  first = NULL;
  for (i = 0; i < 100000; i++) {
    int n = snprintf(name, sizeof name, "token.%u", (unsigned)i);
    if (tf_intern_add(in, name, (size_t)n) != i + 1) ok = 0;
    if (i == 0) first = tf_intern_name(in, 1, NULL);
  }
  CHECK(t, ok);
  /* names keep their address while the interner grows */
  CHECK(t, first == tf_intern_name(in, 1, NULL) && strcmp(first, "token.0") == 0);
  for (i = 0; i < 100000; i += 997) {
    int n = snprintf(name, sizeof name, "token.%u", (unsigned)i);
    if (tf_intern_find(in, name, (size_t)n) != i + 1) ok = 0;
  }
  CHECK(t, ok);
  memset(big, 'x', big_len);
  big_id = tf_intern_add(in, big, big_len);
  CHECK(t, big_id == 100001);
  CHECK(t, tf_intern_name(in, big_id, &len) != NULL && len == big_len);
  CHECK(t, tf_intern_add(in, "after.big", 9) == 100002);
  CHECK(t, tf_intern_find(in, big, big_len) == big_id);
  free(big);
  tf_intern_free(in);
}

/* Fail allocation N for every N until the scenario succeeds: each failure
 * must leave the interner consistent and usable, and nothing may leak. */
static void test_oom_sweep(tf_test_ctx *t) {
  long n;
  int points = 0, done = 0;
  for (n = 0; !done && n < 100000; n++) {
    tf_test_alloc a;
    tf_intern *in = tf_intern_new(tf_test_mem(&a, n, 0));
    uint32_t i, added = 0;
    char name[32];
    if (in == NULL) {
      CHECK(t, a.live == 0);
      points++;
      continue;
    }
    for (i = 0; i < 3000; i++) {
      int len = snprintf(name, sizeof name, "n%u", (unsigned)i);
      uint32_t id = tf_intern_add(in, name, (size_t)len);
      if (id == 0) break;
      if (id != i + 1) CHECK(t, id == i + 1);
      added++;
    }
    /* whatever was added before the failure is intact */
    for (i = 0; i < added; i++) {
      int len = snprintf(name, sizeof name, "n%u", (unsigned)i);
      if (tf_intern_find(in, name, (size_t)len) != i + 1) CHECK(t, !"lost a name after a failure");
    }
    CHECK(t, tf_intern_count(in) == added);
    if (added == 3000) done = 1;
    else points++;
    /* a failed add never reports a new id, and the interner still answers */
    CHECK(t, tf_intern_find(in, "missing", 7) == 0);
    tf_intern_free(in);
    CHECK(t, a.live == 0 && a.bytes == 0);
  }
  CHECK(t, done);
  printf("intern oom sweep: %d failure points\n", points);
}

int main(void) {
  tf_test_ctx t = {0, 0};
  test_round_trip(&t);
  test_many_and_large(&t);
  test_oom_sweep(&t);
  return tf_test_report("test_intern", &t);
}

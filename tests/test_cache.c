/* Token cache core: lookups, LRU order, limits, expiry, tags, the eviction
 * queue and slot reuse, and out-of-memory sweeps. */
#include <stdint.h>

#include "tf_cache.h"
#include "tf_test.h"

/* key words of a scalar string id, a scalar integer, or a (string, integer) tuple */
static size_t key_string(uint64_t *w, uint32_t id) {
  w[0] = TF_CACHE_KEY_HEADER(1, 0);
  w[1] = TF_CACHE_KEY_STRING(id);
  return 2;
}

static size_t key_integer(uint64_t *w, int64_t v) {
  w[0] = TF_CACHE_KEY_HEADER(1, 0);
  w[1] = TF_CACHE_KEY_INTEGER_TAG;
  w[2] = (uint64_t)v;
  return 3;
}

static size_t key_pair(uint64_t *w, uint32_t id, int64_t v) {
  w[0] = TF_CACHE_KEY_HEADER(2, 1);
  w[1] = TF_CACHE_KEY_STRING(id);
  w[2] = TF_CACHE_KEY_INTEGER_TAG;
  w[3] = (uint64_t)v;
  return 4;
}

/* Sets key with a fresh slot; returns the tf_cache_set code (NOMEM when no slot). */
static int put(tf_cache *c, const uint64_t *w, size_t n, double now, double expires, size_t cost, const uint32_t *tags,
               size_t ntags, uint32_t *slot) {
  uint32_t released;
  *slot = tf_cache_next_slot(c);
  if (*slot == 0) return TF_CACHE_NOMEM;
  return tf_cache_set(c, w, n, *slot, now, expires, cost, tags, ntags, &released);
}

/* put, with an ident for the new entry. */
static int put_ident(tf_cache *c, const uint64_t *w, size_t n, const void *ident, double expires, uint32_t *slot) {
  uint32_t released;
  *slot = tf_cache_next_slot(c);
  if (*slot == 0) return TF_CACHE_NOMEM;
  return tf_cache_set_ident(c, w, n, ident, *slot, 0, expires, 1, NULL, 0, &released);
}

/* Pops the queue; returns how many, and the reasons seen as a bit set. */
static int drain(tf_cache *c, unsigned *reasons) {
  int n = 0;
  tf_cache_entry *e;
  while ((e = tf_cache_evicted(c)) != NULL) {
    if (reasons) *reasons |= 1u << tf_cache_evicted_reason(e);
    tf_cache_pop_evicted(c);
    n++;
  }
  return n;
}

static void test_get_set(tf_test_ctx *t) {
  tf_cache *c = tf_cache_new(tf_mem_default(), 10, 0);
  uint64_t a[4], b[4], x[4], y[4];
  size_t na = key_string(a, 1), nb = key_integer(b, 1), nx = key_pair(x, 1, 2), ny = key_pair(y, 2, 1);
  uint32_t sa, sb, sx, s, released;
  CHECK(t, c != NULL);
  CHECK(t, tf_cache_get(c, a, na, 0, &s) == TF_CACHE_MISS);
  CHECK(t, put(c, a, na, 0, TF_CACHE_NEVER, 1, NULL, 0, &sa) == TF_CACHE_OK);
  CHECK(t, put(c, b, nb, 0, TF_CACHE_NEVER, 1, NULL, 0, &sb) == TF_CACHE_OK);
  CHECK(t, put(c, x, nx, 0, TF_CACHE_NEVER, 1, NULL, 0, &sx) == TF_CACHE_OK);
  CHECK(t, sa != sb && sb != sx && sa != sx);
  /* the string id 1 and the integer 1 are different keys */
  CHECK(t, tf_cache_get(c, a, na, 0, &s) == TF_CACHE_OK && s == sa);
  CHECK(t, tf_cache_get(c, b, nb, 0, &s) == TF_CACHE_OK && s == sb);
  CHECK(t, tf_cache_get(c, x, nx, 0, &s) == TF_CACHE_OK && s == sx);
  CHECK(t, tf_cache_get(c, y, ny, 0, &s) == TF_CACHE_MISS);
  /* replacing hands back the old slot and reports nothing */
  s = tf_cache_next_slot(c);
  CHECK(t, tf_cache_set(c, a, na, s, 0, TF_CACHE_NEVER, 5, NULL, 0, &released) == TF_CACHE_OK);
  CHECK(t, released == sa && tf_cache_evicted(c) == NULL);
  CHECK(t, tf_cache_count(c) == 3);
  CHECK(t, tf_cache_delete(c, b, nb) == 1 && tf_cache_delete(c, b, nb) == 0);
  CHECK(t, tf_cache_evicted(c) != NULL && tf_cache_evicted_reason(tf_cache_evicted(c)) == TF_EVICT_DELETED);
  CHECK(t, drain(c, NULL) == 1);
  /* the freed slots are reused */
  s = tf_cache_next_slot(c);
  CHECK(t, s == sb || s == sa);
  {
    tf_cache_stats st;
    tf_cache_get_stats(c, &st);
    CHECK(t, st.hits == 3 && st.misses == 2 && st.entries == 2 && st.bytes == 6);
  }
  CHECK(t, tf_cache_flush(c) == 2 && tf_cache_count(c) == 0 && drain(c, NULL) == 2);
  CHECK(t, tf_cache_check(c));
  tf_cache_free(c);
}

static void test_lru_and_limits(tf_test_ctx *t) {
  tf_cache *c = tf_cache_new(tf_mem_default(), 3, 100);
  uint64_t w[4];
  uint32_t s;
  unsigned reasons = 0;
  int64_t i;
  for (i = 1; i <= 3; i++) CHECK(t, put(c, w, key_integer(w, i), 0, TF_CACHE_NEVER, 10, NULL, 0, &s) == TF_CACHE_OK);
  /* touch 1: 2 is now the least recent */
  CHECK(t, tf_cache_get(c, w, key_integer(w, 1), 0, &s) == TF_CACHE_OK);
  CHECK(t, put(c, w, key_integer(w, 4), 0, TF_CACHE_NEVER, 10, NULL, 0, &s) == TF_CACHE_OK);
  CHECK(t, drain(c, &reasons) == 1 && reasons == 1u << TF_EVICT_CAPACITY);
  CHECK(t, tf_cache_get(c, w, key_integer(w, 2), 0, &s) == TF_CACHE_MISS);
  {
    /* most recent first: 4, 1, 3 */
    const tf_cache_entry *e = tf_cache_first(c);
    size_t n;
    int64_t order[3];
    int k = 0;
    for (; e != NULL && k < 3; e = tf_cache_next(c, e)) order[k++] = (int64_t)tf_cache_entry_key(e, &n)[2];
    CHECK(t, k == 3 && order[0] == 4 && order[1] == 1 && order[2] == 3);
  }
  /* a fourth, costly entry: 3 goes for the count, then 1 for the bytes (30 + 90 > 100) */
  reasons = 0;
  CHECK(t, put(c, w, key_integer(w, 5), 0, TF_CACHE_NEVER, 90, NULL, 0, &s) == TF_CACHE_OK);
  CHECK(t, drain(c, &reasons) == 2 && reasons == ((1u << TF_EVICT_CAPACITY) | (1u << TF_EVICT_BYTES)));
  CHECK(t, tf_cache_count(c) == 2);
  /* too big alone: not stored, and the old entry under the key goes */
  reasons = 0;
  CHECK(t, put(c, w, key_integer(w, 5), 0, TF_CACHE_NEVER, 101, NULL, 0, &s) == TF_CACHE_TOOBIG);
  CHECK(t, drain(c, &reasons) == 1 && reasons == 1u << TF_EVICT_BYTES);
  CHECK(t, tf_cache_get(c, w, key_integer(w, 5), 0, &s) == TF_CACHE_MISS);
  {
    tf_cache_stats st;
    tf_cache_get_stats(c, &st);
    CHECK(t, st.evictions == 4 && st.entries == 1 && st.bytes == 10);
  }
  CHECK(t, tf_cache_check(c));
  tf_cache_free(c);
}

static void test_expiry(tf_test_ctx *t) {
  tf_cache *c = tf_cache_new(tf_mem_default(), 2, 0);
  uint64_t w[4];
  uint32_t s, stale_slot;
  unsigned reasons = 0;
  CHECK(t, put(c, w, key_integer(w, 1), 0, 10.0, 1, NULL, 0, &stale_slot) == TF_CACHE_OK);
  CHECK(t, tf_cache_expiring(c) == 1);
  CHECK(t, tf_cache_get(c, w, key_integer(w, 1), 9.5, &s) == TF_CACHE_OK);
  CHECK(t, tf_cache_get(c, w, key_integer(w, 1), 10.0, &s) == TF_CACHE_STALE && s == stale_slot);
  CHECK(t, tf_cache_count(c) == 0 && tf_cache_expiring(c) == 0);
  CHECK(t, drain(c, &reasons) == 1 && reasons == 1u << TF_EVICT_EXPIRED);
  CHECK(t, tf_cache_get(c, w, key_integer(w, 1), 10.0, &s) == TF_CACHE_MISS);
  /* an expired least recent entry is reported as expired, not capacity */
  CHECK(t, put(c, w, key_integer(w, 2), 0, 5.0, 1, NULL, 0, &s) == TF_CACHE_OK);
  CHECK(t, put(c, w, key_integer(w, 3), 0, TF_CACHE_NEVER, 1, NULL, 0, &s) == TF_CACHE_OK);
  reasons = 0;
  CHECK(t, put(c, w, key_integer(w, 4), 6.0, TF_CACHE_NEVER, 1, NULL, 0, &s) == TF_CACHE_OK);
  CHECK(t, drain(c, &reasons) == 1 && reasons == 1u << TF_EVICT_EXPIRED);
  {
    tf_cache_stats st;
    tf_cache_get_stats(c, &st);
    CHECK(t, st.stale == 1 && st.expirations == 2 && st.evictions == 0);
  }
  CHECK(t, tf_cache_check(c));
  tf_cache_free(c);
}

static void test_tags(tf_test_ctx *t) {
  tf_cache *c = tf_cache_new(tf_mem_default(), 1000, 0);
  uint64_t w[4];
  uint32_t s, tags[3];
  int64_t i;
  unsigned reasons = 0;
  for (i = 0; i < 100; i++) {
    tags[0] = (uint32_t)(i % 2 + 1); /* 1: even, 2: odd */
    tags[1] = (uint32_t)(i % 10 == 0 ? 7 : 8);
    tags[2] = tags[0]; /* a duplicate is ignored */
    CHECK(t, put(c, w, key_integer(w, i), 0, TF_CACHE_NEVER, 1, tags, 3, &s) == TF_CACHE_OK);
  }
  CHECK(t, tf_cache_check(c));
  CHECK(t, tf_cache_invalidate(c, 7) == 10);
  CHECK(t, tf_cache_invalidate(c, 7) == 0);
  CHECK(t, tf_cache_invalidate(c, 99) == 0);
  CHECK(t, drain(c, &reasons) == 10 && reasons == 1u << TF_EVICT_INVALIDATED);
  CHECK(t, tf_cache_invalidate(c, 1) == 40); /* the even ones left: 50 - 10 */
  CHECK(t, tf_cache_count(c) == 50);
  CHECK(t, tf_cache_get(c, w, key_integer(w, 3), 0, &s) == TF_CACHE_OK);
  CHECK(t, tf_cache_get(c, w, key_integer(w, 4), 0, &s) == TF_CACHE_MISS);
  /* replacing an entry replaces its tags */
  tags[0] = 5;
  CHECK(t, put(c, w, key_integer(w, 3), 0, TF_CACHE_NEVER, 1, tags, 1, &s) == TF_CACHE_OK);
  CHECK(t, tf_cache_invalidate(c, 2) == 49);
  CHECK(t, tf_cache_invalidate(c, 5) == 1);
  CHECK(t, tf_cache_count(c) == 0);
  drain(c, NULL);
  CHECK(t, tf_cache_check(c));
  tf_cache_free(c);
}

/* Found by fuzz/fuzz_cache: replacing the only entry carrying a tag with a
 * new value carrying the same tag freed the tag's node while the new entry
 * was being linked to it (a NULL dereference). */
static void test_replace_keeps_shared_tags(tf_test_ctx *t) {
  tf_cache *c = tf_cache_new(tf_mem_default(), 4, 0);
  uint64_t w[4];
  uint32_t s1, s2, tags[2] = {2, 3};
  CHECK(t, put(c, w, key_string(w, 5), 0, TF_CACHE_NEVER, 3, tags, 1, &s1) == TF_CACHE_OK);
  CHECK(t, put(c, w, key_string(w, 5), 0, TF_CACHE_NEVER, 1, tags, 2, &s2) == TF_CACHE_OK);
  CHECK(t, tf_cache_check(c) && tf_cache_count(c) == 1);
  CHECK(t, tf_cache_invalidate(c, 2) == 1);
  CHECK(t, drain(c, NULL) == 1 && tf_cache_count(c) == 0 && tf_cache_check(c));
  CHECK(t, tf_cache_invalidate(c, 3) == 0);
  tf_cache_free(c);
}

static void test_growth_and_scratch(tf_test_ctx *t) {
  tf_cache *c = tf_cache_new(tf_mem_default(), 100000, 0);
  uint64_t w[4], *big;
  uint32_t s;
  int64_t i;
  int ok = 1;
  for (i = 0; i < 200000; i++)
    if (put(c, w, key_pair(w, (uint32_t)(i % 97 + 1), i), 0, TF_CACHE_NEVER, 1, NULL, 0, &s) != TF_CACHE_OK) ok = 0;
  CHECK(t, ok && tf_cache_count(c) == 100000);
  CHECK(t, drain(c, NULL) == 100000);
  for (i = 100000; i < 200000; i += 331)
    if (tf_cache_get(c, w, key_pair(w, (uint32_t)(i % 97 + 1), i), 0, &s) != TF_CACHE_OK) ok = 0;
  CHECK(t, ok);
  big = tf_cache_scratch(c, 5000);
  CHECK(t, big != NULL && tf_cache_scratch(c, 10) == big);
  CHECK(t, tf_cache_check(c));
  tf_cache_free(c);
}

/* Lookups by ident: found while the entry is live, gone once it is
 * replaced, queued for any reason or expired; the index survives growth
 * and removals in any order. */
static void test_ident(tf_test_ctx *t) {
  tf_cache *c = tf_cache_new(tf_mem_default(), 1000, 0);
  char marks[3000];
  uint64_t w[4];
  uint32_t s, s2, tag = 7, released;
  int i, ok = 1;
  size_t n = key_integer(w, 1);
  CHECK(t, tf_cache_get_ident(c, &marks[0], 0, &s) == TF_CACHE_MISS);
  CHECK(t, put_ident(c, w, n, &marks[0], TF_CACHE_NEVER, &s) == TF_CACHE_OK);
  CHECK(t, tf_cache_get_ident(c, &marks[0], 0, &s2) == TF_CACHE_OK && s2 == s);
  CHECK(t, tf_cache_get_ident(c, &marks[1], 0, &s2) == TF_CACHE_MISS);
  CHECK(t, tf_cache_get_ident(c, NULL, 0, &s2) == TF_CACHE_MISS);
  /* the same key under another ident (an equal string, another object) */
  CHECK(t, put_ident(c, w, n, &marks[1], TF_CACHE_NEVER, &s) == TF_CACHE_OK);
  CHECK(t, tf_cache_get_ident(c, &marks[0], 0, &s2) == TF_CACHE_MISS);
  CHECK(t, tf_cache_get_ident(c, &marks[1], 0, &s2) == TF_CACHE_OK && s2 == s);
  /* replaced without an ident */
  s = tf_cache_next_slot(c);
  CHECK(t, tf_cache_set(c, w, n, s, 0, TF_CACHE_NEVER, 1, NULL, 0, &released) == TF_CACHE_OK);
  CHECK(t, tf_cache_get_ident(c, &marks[1], 0, &s2) == TF_CACHE_MISS);
  CHECK(t, tf_cache_get(c, w, n, 0, &s2) == TF_CACHE_OK && s2 == s);
  drain(c, NULL);
  /* expiry through the ident: stale, queued as expired, then gone */
  n = key_integer(w, 2);
  CHECK(t, put_ident(c, w, n, &marks[2], 10.0, &s) == TF_CACHE_OK);
  CHECK(t, tf_cache_get_ident(c, &marks[2], 5.0, &s2) == TF_CACHE_OK);
  CHECK(t, tf_cache_get_ident(c, &marks[2], 10.0, &s2) == TF_CACHE_STALE && s2 == s);
  CHECK(t, tf_cache_evicted(c) != NULL && tf_cache_evicted_reason(tf_cache_evicted(c)) == TF_EVICT_EXPIRED);
  CHECK(t, tf_cache_get_ident(c, &marks[2], 0, &s2) == TF_CACHE_MISS);
  CHECK(t, tf_cache_get(c, w, n, 0, &s2) == TF_CACHE_MISS);
  drain(c, NULL);
  CHECK(t, tf_cache_check(c));
  /* many: growth, capacity evictions, deletes in scattered order, tags */
  for (i = 0; i < 3000; i++) {
    n = key_integer(w, 100 + i);
    if (put_ident(c, w, n, &marks[i], TF_CACHE_NEVER, &s) != TF_CACHE_OK) ok = 0;
    drain(c, NULL);
  }
  CHECK(t, ok && tf_cache_count(c) == 1000 && tf_cache_check(c));
  for (i = 0; i < 3000; i++) {
    int rc = tf_cache_get_ident(c, &marks[i], 0, &s);
    if (rc != (i >= 2000 ? TF_CACHE_OK : TF_CACHE_MISS)) ok = 0;
  }
  CHECK(t, ok);
  for (i = 2000; i < 3000; i += 3) {
    n = key_integer(w, 100 + i);
    if (!tf_cache_delete(c, w, n)) ok = 0;
    if (tf_cache_get_ident(c, &marks[i], 0, &s) != TF_CACHE_MISS) ok = 0;
  }
  drain(c, NULL);
  CHECK(t, ok && tf_cache_check(c));
  for (i = 2000; i < 3000; i++)
    if (tf_cache_get_ident(c, &marks[i], 0, &s) != ((i - 2000) % 3 ? TF_CACHE_OK : TF_CACHE_MISS)) ok = 0;
  CHECK(t, ok);
  n = key_integer(w, 5000);
  s = tf_cache_next_slot(c);
  CHECK(t, tf_cache_set_ident(c, w, n, &marks[0], s, 0, TF_CACHE_NEVER, 1, &tag, 1, &released) == TF_CACHE_OK);
  CHECK(t, tf_cache_invalidate(c, tag) == 1);
  CHECK(t, tf_cache_get_ident(c, &marks[0], 0, &s) == TF_CACHE_MISS);
  CHECK(t, tf_cache_flush(c) > 0);
  drain(c, NULL);
  CHECK(t, tf_cache_get_ident(c, &marks[2999], 0, &s) == TF_CACHE_MISS && tf_cache_check(c));
  tf_cache_free(c);
}

/* A scenario touching every allocating path. Returns the number of steps
 * done; stops at the first TF_CACHE_NOMEM (after checking that the failed
 * step changed nothing), or, with retry, repeats the failed step. */
static int scenario(tf_test_ctx *t, tf_cache *c, int retry) {
  char marks[60]; /* even steps store an ident: the identity index grows too */
  uint64_t w[4];
  uint32_t s, tags[2];
  int64_t i;
  int steps = 0;
  for (i = 0; i < 60; i++) {
    size_t n = key_pair(w, (uint32_t)(i % 13 + 1), i), before = tf_cache_count(c);
    int rc;
    tags[0] = (uint32_t)(i % 5 + 1);
    tags[1] = (uint32_t)(i % 7 + 100);
    if (i % 2 == 0) {
      uint32_t released;
      s = tf_cache_next_slot(c);
      rc = s == 0 ? TF_CACHE_NOMEM
                  : tf_cache_set_ident(c, w, n, &marks[i], s, 0, i % 3 ? TF_CACHE_NEVER : 1000.0, (size_t)(i % 4), tags,
                                       2, &released);
    } else {
      rc = put(c, w, n, 0, i % 3 ? TF_CACHE_NEVER : 1000.0, (size_t)(i % 4), tags, 2, &s);
    }
    if (rc == TF_CACHE_NOMEM) {
      CHECK(t, tf_cache_check(c));
      CHECK(t, tf_cache_count(c) == before && tf_cache_evicted(c) == NULL);
      CHECK(t, tf_cache_get(c, w, n, 0, &s) == TF_CACHE_MISS);
      CHECK(t, tf_cache_get_ident(c, &marks[i], 0, &s) == TF_CACHE_MISS);
      if (!retry) return steps;
      i--;
      continue;
    }
    CHECK(t, rc == TF_CACHE_OK);
    if (i % 2 == 0) CHECK(t, tf_cache_get_ident(c, &marks[i], 0, &s) == TF_CACHE_OK);
    drain(c, NULL);
    steps++;
    if (i % 10 == 9) {
      if (tf_cache_scratch(c, (size_t)(64 + i * 10)) == NULL) {
        if (!retry) return steps;
        CHECK(t, tf_cache_scratch(c, (size_t)(64 + i * 10)) != NULL);
      }
      tf_cache_invalidate(c, (uint32_t)(i % 7 + 100));
      drain(c, NULL);
    }
  }
  CHECK(t, tf_cache_check(c));
  return steps;
}

static void test_oom_sweep(tf_test_ctx *t) {
  long n;
  int points = 0, done = 0, mode;
  for (mode = 0; mode < 2; mode++) {
    done = 0;
    for (n = 0; !done && n < 100000; n++) {
      tf_test_alloc a;
      tf_cache *c = tf_cache_new(tf_test_mem(&a, n, mode), 16, 40);
      int steps;
      if (c == NULL) {
        CHECK(t, a.live == 0);
        points++;
        continue;
      }
      steps = scenario(t, c, mode);
      CHECK(t, tf_cache_check(c));
      if (a.failures == 0) {
        CHECK(t, steps == 60);
        done = 1;
      } else {
        points++;
      }
      tf_cache_free(c);
      CHECK(t, a.live == 0 && a.bytes == 0);
    }
    CHECK(t, done);
  }
  printf("cache oom sweep: %d failure points\n", points);
}

/* Entries named by (slot, generation): found again without their key
 * while they live; never once they left, even when their slot holds another
 * entry; an expired one is stale. */
static void test_slot_generations(tf_test_ctx *t) {
  tf_cache *c = tf_cache_new(tf_mem_default(), 2, 0);
  uint64_t w[4];
  uint32_t sa, sb, sc, sd, tag = 7;
  uint64_t ga, gb, gc, gd;
  tf_cache_stats st;
  size_t n;
  n = key_string(w, 1);
  CHECK(t, put(c, w, n, 0, TF_CACHE_NEVER, 1, &tag, 1, &sa) == TF_CACHE_OK);
  ga = tf_cache_slot_gen(c, sa);
  n = key_string(w, 2);
  CHECK(t, put(c, w, n, 0, TF_CACHE_NEVER, 1, NULL, 0, &sb) == TF_CACHE_OK);
  gb = tf_cache_slot_gen(c, sb);
  CHECK(t, ga != 0 && gb != 0 && ga != gb && tf_cache_slot_gen(c, 0) == 0 && tf_cache_slot_gen(c, 1000) == 0);
  CHECK(t, tf_cache_get_slot(c, sa, ga, 0) == TF_CACHE_OK);
  CHECK(t, tf_cache_get_slot(c, sa, gb, 0) == TF_CACHE_MISS && tf_cache_get_slot(c, sa, 0, 0) == TF_CACHE_MISS);
  tf_cache_get_stats(c, &st);
  CHECK(t, st.hits == 1 && st.misses == 0); /* a miss by slot is not counted */
  /* the hit made a the most recent: a third key evicts b */
  n = key_string(w, 3);
  CHECK(t, put(c, w, n, 0, TF_CACHE_NEVER, 1, NULL, 0, &sc) == TF_CACHE_OK);
  gc = tf_cache_slot_gen(c, sc);
  CHECK(t, drain(c, NULL) == 1);
  CHECK(t, tf_cache_get_slot(c, sb, gb, 0) == TF_CACHE_MISS && tf_cache_get_slot(c, sa, ga, 0) == TF_CACHE_OK);
  /* b's slot is reused by a new entry: the old pair still misses */
  n = key_string(w, 4);
  CHECK(t, put(c, w, n, 0, TF_CACHE_NEVER, 1, NULL, 0, &sd) == TF_CACHE_OK);
  gd = tf_cache_slot_gen(c, sd);
  drain(c, NULL);
  CHECK(t, sd == sb && gd != gb && tf_cache_get_slot(c, sd, gb, 0) == TF_CACHE_MISS);
  CHECK(t, tf_cache_get_slot(c, sd, gd, 0) == TF_CACHE_OK);
  /* invalidated, replaced and expired entries */
  CHECK(t, tf_cache_invalidate(c, tag) == 1 && tf_cache_get_slot(c, sa, ga, 0) == TF_CACHE_MISS);
  drain(c, NULL);
  n = key_string(w, 3);
  CHECK(t, put(c, w, n, 0, 5.0, 1, NULL, 0, &sa) == TF_CACHE_OK);
  CHECK(t, tf_cache_get_slot(c, sc, gc, 0) == TF_CACHE_MISS);
  ga = tf_cache_slot_gen(c, sa);
  CHECK(t, tf_cache_get_slot(c, sa, ga, 1.0) == TF_CACHE_OK);
  CHECK(t, tf_cache_get_slot(c, sa, ga, 6.0) == TF_CACHE_STALE && tf_cache_slot_gen(c, sa) == 0);
  CHECK(t, tf_cache_get_slot(c, sa, ga, 6.0) == TF_CACHE_MISS);
  drain(c, NULL);
  CHECK(t, tf_cache_check(c));
  tf_cache_free(c);
}

/* Identities of several addresses (short tuples): equal only with the same
 * count, kind and addresses; gone with their entry; a short tuple of
 * strings stored without one is counted (such a key cannot be ruled out by
 * an identity miss then). */
static void test_tuple_idents(tf_test_ctx *t) {
  tf_cache *c = tf_cache_new(tf_mem_default(), 3, 0);
  static const char names[4] = {0};
  tf_cache_ident abc = {3, 1, {&names[0], &names[1], &names[2]}}, acb = {3, 1, {&names[0], &names[2], &names[1]}};
  tf_cache_ident one = {1, 1, {&names[0], NULL, NULL}}, single = {1, 0, {&names[0], NULL, NULL}};
  uint64_t w[4];
  uint32_t s1, s2, s3, released, got;
  w[0] = TF_CACHE_KEY_HEADER(3, 1);
  w[1] = TF_CACHE_KEY_STRING(1);
  w[2] = TF_CACHE_KEY_STRING(2);
  w[3] = TF_CACHE_KEY_STRING(3);
  s1 = tf_cache_next_slot(c);
  CHECK(t, tf_cache_set_idents(c, w, 4, &abc, s1, 0, TF_CACHE_NEVER, 1, NULL, 0, &released) == TF_CACHE_OK);
  CHECK(t, tf_cache_get_idents(c, &abc, 0, &got) == TF_CACHE_OK && got == s1);
  CHECK(t, tf_cache_get_idents(c, &acb, 0, &got) == TF_CACHE_MISS);
  CHECK(t, tf_cache_plain_tuples(c) == 0);
  /* {a} and a: another key each, another identity each */
  w[0] = TF_CACHE_KEY_HEADER(1, 1);
  s2 = tf_cache_next_slot(c);
  CHECK(t, tf_cache_set_idents(c, w, 2, &one, s2, 0, TF_CACHE_NEVER, 1, NULL, 0, &released) == TF_CACHE_OK);
  CHECK(t, tf_cache_get_idents(c, &one, 0, &got) == TF_CACHE_OK && got == s2);
  CHECK(t, tf_cache_get_idents(c, &single, 0, &got) == TF_CACHE_MISS);
  CHECK(t, tf_cache_get_ident(c, &names[0], 0, &got) == TF_CACHE_MISS);
  /* a short tuple of strings stored without identity is counted while it lives */
  w[0] = TF_CACHE_KEY_HEADER(2, 1);
  s3 = tf_cache_next_slot(c);
  CHECK(t, tf_cache_set(c, w, 3, s3, 0, TF_CACHE_NEVER, 1, NULL, 0, &released) == TF_CACHE_OK);
  CHECK(t, tf_cache_plain_tuples(c) == 1 && tf_cache_check(c));
  CHECK(t, tf_cache_delete(c, w, 3) == 1 && tf_cache_plain_tuples(c) == 0);
  drain(c, NULL);
  /* a tuple with an integer is never counted */
  w[2] = TF_CACHE_KEY_INTEGER_TAG;
  w[3] = 5;
  w[0] = TF_CACHE_KEY_HEADER(2, 1);
  s3 = tf_cache_next_slot(c);
  CHECK(t, tf_cache_set(c, w, 4, s3, 0, TF_CACHE_NEVER, 1, NULL, 0, &released) == TF_CACHE_OK);
  CHECK(t, tf_cache_plain_tuples(c) == 0);
  /* evicting the tuple entry removes its identity */
  w[0] = TF_CACHE_KEY_HEADER(1, 0);
  w[1] = TF_CACHE_KEY_STRING(9);
  s3 = tf_cache_next_slot(c);
  CHECK(t, tf_cache_set(c, w, 2, s3, 0, TF_CACHE_NEVER, 1, NULL, 0, &released) == TF_CACHE_OK);
  CHECK(t, drain(c, NULL) == 1 && tf_cache_get_idents(c, &abc, 0, &got) == TF_CACHE_MISS);
  CHECK(t, tf_cache_check(c));
  tf_cache_free(c);
}

int main(void) {
  tf_test_ctx t = {0, 0};
  test_get_set(&t);
  test_lru_and_limits(&t);
  test_expiry(&t);
  test_tags(&t);
  test_replace_keeps_shared_tags(&t);
  test_growth_and_scratch(&t);
  test_ident(&t);
  test_slot_generations(&t);
  test_tuple_idents(&t);
  test_oom_sweep(&t);
  return tf_test_report("test_cache", &t);
}

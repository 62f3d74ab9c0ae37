/* Fuzz target: the token cache core (src/core/tf_cache) driven by a byte
 * program, checked after every operation against a simple model.
 *
 * Input: byte 0 sets the capacity (1..8), byte 1 the byte budget (0: none,
 * else 1..63); then operations, each an opcode byte and its arguments:
 *   set key cost ttl tags   (opcode bit 3: with an identity, a tuple of two addresses for odd keys)
 *   get key | get_ident key | delete key | invalidate tag | flush
 *   clock +d | fail the k-th next allocation
 * Keys are 16 small keys of three shapes (string id, integer, tuple); tags
 * are 8 ids. The model is an array in recency order; every operation's
 * evictions (value and reason), the hit/miss counts, the slot of each hit,
 * the entry count and byte total, tf_cache_check and the allocator's live
 * bytes are compared with it. A failed allocation must leave the cache as
 * it was. At the end every block is returned. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tf_cache.h"
#include "tf_test.h" /* the counting allocator */

#define NKEYS 16
#define NTAGS 8
#define MAXSLOT 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct mentry {
  int key;
  unsigned value;
  double expires;
  size_t cost;
  unsigned tags; /* bit set over tag ids 1..NTAGS */
  int ident;
} mentry;

typedef struct model {
  mentry e[NKEYS + 1]; /* e[0] most recent */
  int n;
  size_t capacity, max_bytes, bytes;
  uint64_t hits, misses;
  /* evictions expected from the current operation: value * 8 + reason */
  unsigned expect[NKEYS + 1];
  int nexpect;
  unsigned slot_value[MAXSLOT]; /* value stored in each live slot, 0: none */
} model;

static const char key_ident[NKEYS];  /* addresses stand for the keys */

#define FAIL(...)                                   \
  do {                                              \
    fprintf(stderr, "fuzz_cache: " __VA_ARGS__);    \
    fputc('\n', stderr);                            \
    abort();                                        \
  } while (0)

static size_t key_words(int k, uint64_t *w) {
  switch (k % 3) {
  case 0:
    w[0] = TF_CACHE_KEY_HEADER(1, 0);
    w[1] = TF_CACHE_KEY_STRING(k + 1);
    return 2;
  case 1:
    w[0] = TF_CACHE_KEY_HEADER(1, 0);
    w[1] = TF_CACHE_KEY_INTEGER_TAG;
    w[2] = (uint64_t)(int64_t)(k - 8); /* negative integers too */
    return 3;
  default:
    w[0] = TF_CACHE_KEY_HEADER(2, 1);
    w[1] = TF_CACHE_KEY_STRING(k + 1);
    w[2] = TF_CACHE_KEY_INTEGER_TAG;
    w[3] = (uint64_t)k;
    return 4;
  }
}

static int find(const model *m, int key) {
  int i;
  for (i = 0; i < m->n; i++)
    if (m->e[i].key == key) return i;
  return -1;
}

static void expect(model *m, unsigned value, tf_cache_reason why) { m->expect[m->nexpect++] = value * 8u + (unsigned)why; }

static void remove_at(model *m, int i, int report, tf_cache_reason why) {
  if (report) expect(m, m->e[i].value, why);
  m->bytes -= m->e[i].cost;
  memmove(&m->e[i], &m->e[i + 1], (size_t)(m->n - i - 1) * sizeof(mentry));
  m->n--;
}

static void touch(model *m, int i) {
  mentry e = m->e[i];
  memmove(&m->e[1], &m->e[0], (size_t)i * sizeof(mentry));
  m->e[0] = e;
}

static int cmp_unsigned(const void *a, const void *b) {
  unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
  return x < y ? -1 : x > y;
}

/* Drains the cache's queue and compares it (as a multiset) with the model's. */
static void drain_and_compare(tf_cache *c, model *m, const char *op) {
  unsigned got[NKEYS + 2];
  int n = 0, i;
  tf_cache_entry *e;
  while ((e = tf_cache_evicted(c)) != NULL) {
    uint32_t s = tf_cache_entry_slot(e);
    if (n > NKEYS) FAIL("%s: more evictions than entries", op);
    if (s == 0 || s >= MAXSLOT || m->slot_value[s] == 0) FAIL("%s: evicted entry has a bad slot %u", op, (unsigned)s);
    got[n++] = m->slot_value[s] * 8u + (unsigned)tf_cache_evicted_reason(e);
    m->slot_value[s] = 0;
    tf_cache_pop_evicted(c);
  }
  if (n != m->nexpect) FAIL("%s: %d evictions, the model expects %d", op, n, m->nexpect);
  qsort(got, (size_t)n, sizeof got[0], cmp_unsigned);
  qsort(m->expect, (size_t)n, sizeof got[0], cmp_unsigned);
  for (i = 0; i < n; i++)
    if (got[i] != m->expect[i])
      FAIL("%s: evicted value %u reason %u, the model expects value %u reason %u", op, got[i] / 8, got[i] % 8,
           m->expect[i] / 8, m->expect[i] % 8);
  m->nexpect = 0;
}

static void compare(tf_cache *c, model *m, const tf_test_alloc *a, const char *op) {
  tf_cache_stats st;
  tf_cache_entry *e;
  int i = 0;
  if (!tf_cache_check(c)) FAIL("%s: tf_cache_check failed", op);
  tf_cache_get_stats(c, &st);
  if (st.entries != (size_t)m->n) FAIL("%s: %zu entries, the model has %d", op, st.entries, m->n);
  if (st.bytes != m->bytes) FAIL("%s: %zu bytes, the model has %zu", op, st.bytes, m->bytes);
  if (st.hits != m->hits || st.misses != m->misses)
    FAIL("%s: hits/misses %llu/%llu, the model %llu/%llu", op, (unsigned long long)st.hits,
         (unsigned long long)st.misses, (unsigned long long)m->hits, (unsigned long long)m->misses);
  if (tf_cache_held_bytes(c) != a->bytes)
    FAIL("%s: cache says it holds %zu bytes, the allocator %zu", op, tf_cache_held_bytes(c), a->bytes);
  /* recency order */
  for (e = tf_cache_first(c); e != NULL; e = tf_cache_next(c, e), i++) {
    uint32_t s = tf_cache_entry_slot(e);
    if (i >= m->n || s >= MAXSLOT || m->slot_value[s] != m->e[i].value)
      FAIL("%s: entry %d of the LRU order differs from the model", op, i);
  }
}

static void enforce(model *m, double now) {
  while (m->n > 0 && ((size_t)m->n > m->capacity || (m->max_bytes && m->bytes > m->max_bytes))) {
    mentry *t = &m->e[m->n - 1];
    tf_cache_reason why = t->expires <= now                 ? TF_EVICT_EXPIRED
                          : (size_t)m->n > m->capacity       ? TF_EVICT_CAPACITY
                                                            : TF_EVICT_BYTES;
    remove_at(m, m->n - 1, 1, why);
  }
}

/* The identity of key: its address, or for odd keys a tuple of two. */
static const tf_cache_ident *ident_of(int key, tf_cache_ident *id) {
  id->n = key % 2 ? 2 : 1;
  id->tuple = key % 2;
  id->p[0] = &key_ident[key];
  id->p[1] = &key_ident[(key + 3) % NKEYS];
  id->p[2] = NULL;
  return id;
}

static void op_set(tf_cache *c, model *m, tf_test_alloc *a, int key, size_t cost, double now, double expires,
                   unsigned tagbits, int with_ident, unsigned value) {
  uint64_t w[4];
  size_t nw = key_words(key, w), ntags = 0;
  uint32_t tags[NTAGS * 2], slot, released = 0;
  tf_cache_ident id;
  int rc, i, at;
  unsigned t;
  for (t = 0; t < NTAGS; t++)
    if (tagbits & (1u << t)) {
      tags[ntags++] = t + 1;
      if (t & 1) tags[ntags++] = t + 1; /* duplicates are ignored */
    }
  slot = tf_cache_next_slot(c);
  if (slot == 0) return; /* out of memory: nothing changed */
  if (slot >= MAXSLOT) FAIL("set: slot %u: slots are not reused", (unsigned)slot);
  if (m->slot_value[slot] != 0) FAIL("set: next slot %u is still in use", (unsigned)slot);
  rc = tf_cache_set_idents(c, w, nw, with_ident ? ident_of(key, &id) : NULL, slot, now, expires, cost, tags, ntags,
                           &released);
  at = find(m, key);
  if (rc == TF_CACHE_NOMEM) {
    if (released != 0) FAIL("set: out of memory but released a slot");
    return;
  }
  if (m->max_bytes && cost > m->max_bytes) {
    if (rc != TF_CACHE_TOOBIG) FAIL("set: cost %zu over the budget %zu stored", cost, m->max_bytes);
    if (at >= 0) remove_at(m, at, 1, TF_EVICT_BYTES);
    return;
  }
  if (rc != TF_CACHE_OK) FAIL("set: code %d", rc);
  if (at >= 0) {
    uint32_t old = 0;
    for (i = 0; i < MAXSLOT; i++)
      if (m->slot_value[i] == m->e[at].value) old = (uint32_t)i;
    if (released != old) FAIL("set: released slot %u, the replaced entry was in %u", (unsigned)released, (unsigned)old);
    m->slot_value[old] = 0;
    remove_at(m, at, 0, TF_EVICT_DELETED);
  } else if (released != 0) {
    FAIL("set: a new key released slot %u", (unsigned)released);
  }
  m->slot_value[slot] = value;
  memmove(&m->e[1], &m->e[0], (size_t)m->n * sizeof(mentry));
  m->e[0].key = key;
  m->e[0].value = value;
  m->e[0].expires = expires;
  m->e[0].cost = cost;
  m->e[0].tags = tagbits;
  m->e[0].ident = with_ident;
  m->n++;
  m->bytes += cost;
  enforce(m, now);
  (void)a;
}

static void op_get(tf_cache *c, model *m, int key, int by_ident, double now) {
  uint64_t w[4];
  size_t nw = key_words(key, w);
  uint32_t slot = 0;
  tf_cache_ident id;
  int at = find(m, key), rc;
  rc = by_ident ? tf_cache_get_idents(c, ident_of(key, &id), now, &slot) : tf_cache_get(c, w, nw, now, &slot);
  if (at < 0 || (by_ident && !m->e[at].ident)) {
    if (rc != TF_CACHE_MISS) FAIL("get %d: code %d for a key the model lacks", key, rc);
    if (!by_ident) m->misses++;
    return;
  }
  if (slot >= MAXSLOT || m->slot_value[slot] != m->e[at].value)
    FAIL("get %d: slot %u holds another value", key, (unsigned)slot);
  if (m->e[at].expires <= now) {
    if (rc != TF_CACHE_STALE) FAIL("get %d: code %d for an expired entry", key, rc);
    m->misses++;
    remove_at(m, at, 1, TF_EVICT_EXPIRED);
    return;
  }
  if (rc != TF_CACHE_OK) FAIL("get %d: code %d for a live entry", key, rc);
  m->hits++;
  touch(m, at);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tf_test_alloc a;
  tf_mem mem = tf_test_mem(&a, -1, 0);
  tf_cache *c;
  model m;
  size_t i = 2;
  double now = 0;
  unsigned next_value = 1;
  if (size < 2) return 0;
  memset(&m, 0, sizeof m);
  m.capacity = 1 + data[0] % 8;
  m.max_bytes = data[1] % 4 == 0 ? 0 : data[1] % 64;
  c = tf_cache_new(mem, m.capacity, m.max_bytes);
  if (c == NULL) FAIL("tf_cache_new failed without an allocation failure");
  while (i < size) {
    uint8_t op = data[i++];
#define ARG() (i < size ? data[i++] : 0)
    switch (op % 8) {
    case 0: {
      int key = ARG() % NKEYS;
      size_t cost = ARG() % 40;
      uint8_t ttl = ARG();
      unsigned tags = ARG();
      double expires = ttl < 128 ? TF_CACHE_NEVER : now + (ttl % 16);
      op_set(c, &m, &a, key, cost, now, expires, tags, (op & 8) != 0, next_value++);
      break;
    }
    case 1:
      op_get(c, &m, ARG() % NKEYS, 0, now);
      break;
    case 2:
      op_get(c, &m, ARG() % NKEYS, 1, now);
      break;
    case 3: {
      uint64_t w[4];
      int key = ARG() % NKEYS, at = find(&m, key);
      size_t nw = key_words(key, w);
      int got = tf_cache_delete(c, w, nw);
      if (got != (at >= 0)) FAIL("delete %d: %d, the model has it: %d", key, got, at >= 0);
      if (at >= 0) remove_at(&m, at, 1, TF_EVICT_DELETED);
      break;
    }
    case 4: {
      unsigned tag = ARG() % NTAGS;
      size_t got = tf_cache_invalidate(c, tag + 1), want = 0;
      int j;
      for (j = m.n - 1; j >= 0; j--)
        if (m.e[j].tags & (1u << tag)) {
          remove_at(&m, j, 1, TF_EVICT_INVALIDATED);
          want++;
        }
      if (got != want) FAIL("invalidate %u: %zu entries, the model %zu", tag + 1, got, want);
      break;
    }
    case 5: {
      size_t got = tf_cache_flush(c), want = (size_t)m.n;
      while (m.n > 0) remove_at(&m, m.n - 1, 1, TF_EVICT_DELETED);
      if (got != want) FAIL("flush: %zu entries, the model %zu", got, want);
      break;
    }
    case 6:
      now += ARG() % 8;
      break;
    default:
      /* fail the k-th next allocation (k = 0: the next one) */
      a.limit = a.calls + ARG() % 4;
      a.only_nth = 1;
      break;
    }
#undef ARG
    drain_and_compare(c, &m, "operation");
    compare(c, &m, &a, "operation");
  }
  tf_cache_free(c);
  if (a.live != 0 || a.bytes != 0)
    FAIL("%ld blocks (%zu bytes) still allocated after tf_cache_free", a.live, a.bytes);
  return 0;
}

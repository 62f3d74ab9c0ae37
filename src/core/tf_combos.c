/* Token combinations and the node index: see tf_combos.h.
 *
 * Keys and tags are appended to two arenas (words, tag ids); per
 * combination an offset into each (offsets[n - 1] .. offsets[n]). Lookup is
 * an open-addressing table of combination numbers, linear probing, at most
 * half full, keyed by a hash of the key words. */
#include "tf_combos.h"

#include <string.h>

#include "tf_hash.h"

struct tf_combos {
  tf_mem mem;
  uint32_t count;            /* combinations */
  uint32_t *key_off;         /* count + 1 offsets into words */
  uint32_t *tag_off;         /* count + 1 offsets into tags */
  size_t key_cap, tag_cap;   /* room in the offset arrays */
  uint64_t *words;
  size_t nwords, words_cap;
  uint32_t *tags;
  size_t ntags, tags_cap;
  uint32_t *table;           /* 0: empty, else a combination number */
  size_t table_size;         /* power of two */
  /* node index */
  unsigned char *index;
  uint64_t index_cap, index_len;
  unsigned width;            /* 1, 2 or 4 bytes a node */
};

static uint64_t hash_key(const uint64_t *key, size_t n) {
  uint64_t h = 0x2545f4914f6cdd1dULL ^ (uint64_t)n;
  size_t i;
  for (i = 0; i < n; i++) h = tf_hash_step(h, key[i]);
  return tf_hash_mix(h);
}

tf_combos *tf_combos_new(tf_mem mem) {
  tf_combos *c = (tf_combos *)tf_mem_alloc(&mem, sizeof *c);
  if (c == NULL) return NULL;
  memset(c, 0, sizeof *c);
  c->mem = mem;
  c->mem.bytes = sizeof *c;
  c->width = 1;
  return c;
}

void tf_combos_free(tf_combos *c) {
  tf_mem m;
  if (c == NULL) return;
  m = c->mem;
  tf_mem_free(&m, c->key_off, c->key_cap * sizeof *c->key_off);
  tf_mem_free(&m, c->tag_off, c->tag_cap * sizeof *c->tag_off);
  tf_mem_free(&m, c->words, c->words_cap * sizeof *c->words);
  tf_mem_free(&m, c->tags, c->tags_cap * sizeof *c->tags);
  tf_mem_free(&m, c->table, c->table_size * sizeof *c->table);
  tf_mem_free(&m, c->index, (size_t)(c->index_cap * c->width));
  tf_mem_free(&m, c, sizeof *c);
}

uint32_t tf_combos_count(const tf_combos *c) { return c->count; }

const uint64_t *tf_combos_key(const tf_combos *c, uint32_t n, size_t *nwords) {
  *nwords = c->key_off[n] - c->key_off[n - 1];
  return c->words + c->key_off[n - 1];
}

const uint32_t *tf_combos_tags(const tf_combos *c, uint32_t n, size_t *ntags) {
  *ntags = c->tag_off[n] - c->tag_off[n - 1];
  return c->tags == NULL ? NULL : c->tags + c->tag_off[n - 1];
}

static int same_key(const tf_combos *c, uint32_t n, const uint64_t *key, size_t nwords) {
  size_t have;
  const uint64_t *w = tf_combos_key(c, n, &have);
  return have == nwords && memcmp(w, key, nwords * sizeof *key) == 0;
}

uint32_t tf_combos_find(const tf_combos *c, const uint64_t *key, size_t nwords) {
  size_t mask, i;
  if (c->table_size == 0) return 0;
  mask = c->table_size - 1;
  for (i = (size_t)hash_key(key, nwords) & mask; c->table[i] != 0; i = (i + 1) & mask)
    if (same_key(c, c->table[i], key, nwords)) return c->table[i];
  return 0;
}

static void place(uint32_t *table, size_t size, uint64_t h, uint32_t n) {
  size_t mask = size - 1, i;
  for (i = (size_t)h & mask; table[i] != 0; i = (i + 1) & mask) {
  }
  table[i] = n;
}

/* Grows the lookup table to hold `want` combinations at most half full. */
static int grow_table(tf_combos *c, size_t want) {
  size_t size = c->table_size ? c->table_size : 64, bytes;
  uint32_t *t, n;
  while (size / 2 < want) size *= 2;
  if (size == c->table_size) return 1;
  bytes = tf_mem_mul(size, sizeof *t);
  if (bytes == 0 || (t = (uint32_t *)tf_mem_alloc(&c->mem, bytes)) == NULL) return 0;
  memset(t, 0, bytes);
  for (n = 1; n <= c->count; n++) {
    size_t nw;
    const uint64_t *k = tf_combos_key(c, n, &nw);
    place(t, size, hash_key(k, nw), n);
  }
  tf_mem_free(&c->mem, c->table, c->table_size * sizeof *c->table);
  c->table = t;
  c->table_size = size;
  return 1;
}

/* Makes room for `more` (>= 1) elements of `elem` bytes in an arena:
 * returns the arena (moved or not), NULL when out of memory. */
static void *reserve(tf_mem *m, void *arena, size_t *cap, size_t used, size_t more, size_t elem) {
  size_t want = used + more, ncap = *cap ? *cap : 64, bytes;
  void *p;
  if (want < used) return NULL;
  if (want <= *cap) return arena;
  while (ncap < want) {
    if (ncap > ((size_t)-1) / 4) return NULL;
    ncap *= 2;
  }
  bytes = tf_mem_mul(ncap, elem);
  if (bytes == 0 || (p = tf_mem_realloc(m, arena, *cap * elem, bytes)) == NULL) return NULL;
  *cap = ncap;
  return p;
}

/* Room for one more combination in both offset arrays (count + 2 entries:
 * offset 0 and one past each combination). */
static int reserve_offsets(tf_combos *c) {
  size_t need = (size_t)c->count + 2;
  void *p = reserve(&c->mem, c->key_off, &c->key_cap, need - 1, 1, sizeof *c->key_off);
  if (p == NULL) return 0;
  c->key_off = (uint32_t *)p;
  p = reserve(&c->mem, c->tag_off, &c->tag_cap, need - 1, 1, sizeof *c->tag_off);
  if (p == NULL) return 0;
  c->tag_off = (uint32_t *)p;
  c->key_off[0] = c->tag_off[0] = 0;
  return 1;
}

uint32_t tf_combos_add(tf_combos *c, const uint64_t *key, size_t nwords, const uint32_t *tags, size_t ntags) {
  uint32_t n;
  void *p;
  if (nwords == 0 || c->count == UINT32_MAX - 1 || c->nwords + nwords > UINT32_MAX || c->ntags + ntags > UINT32_MAX)
    return 0;
  if (!reserve_offsets(c)) return 0;
  if ((p = reserve(&c->mem, c->words, &c->words_cap, c->nwords, nwords, sizeof *c->words)) == NULL) return 0;
  c->words = (uint64_t *)p;
  if (ntags > 0) {
    if ((p = reserve(&c->mem, c->tags, &c->tags_cap, c->ntags, ntags, sizeof *c->tags)) == NULL) return 0;
    c->tags = (uint32_t *)p;
  }
  if (!grow_table(c, (size_t)c->count + 1)) return 0;
  /* nothing below can fail */
  n = ++c->count;
  if (nwords > 0) memcpy(c->words + c->nwords, key, nwords * sizeof *key);
  c->nwords += nwords;
  c->key_off[n] = (uint32_t)c->nwords;
  if (ntags > 0) memcpy(c->tags + c->ntags, tags, ntags * sizeof *tags);
  c->ntags += ntags;
  c->tag_off[n] = (uint32_t)c->ntags;
  place(c->table, c->table_size, hash_key(key, nwords), n);
  return n;
}

int tf_combos_depends(const tf_combos *c, uint32_t n, const uint8_t *marked, size_t nmarked) {
  size_t nt, i;
  const uint32_t *t = tf_combos_tags(c, n, &nt);
  for (i = 0; i < nt; i++)
    if (t[i] < nmarked && marked[t[i]]) return 1;
  return 0;
}

/* ---- node index ---- */

static uint32_t read_at(const unsigned char *p, unsigned width, uint64_t i) {
  switch (width) {
    case 1: return p[i];
    case 2: {
      uint16_t v;
      memcpy(&v, p + i * 2, 2);
      return v;
    }
    default: {
      uint32_t v;
      memcpy(&v, p + i * 4, 4);
      return v;
    }
  }
}

static void write_at(unsigned char *p, unsigned width, uint64_t i, uint32_t v) {
  switch (width) {
    case 1: p[i] = (unsigned char)v; break;
    case 2: {
      uint16_t s = (uint16_t)v;
      memcpy(p + i * 2, &s, 2);
      break;
    }
    default: memcpy(p + i * 4, &v, 4); break;
  }
}

/* Resizes the index to cap entries of width bytes, converting entries. */
static int reshape(tf_combos *c, uint64_t cap, unsigned width) {
  size_t old_bytes = (size_t)(c->index_cap * c->width), new_bytes;
  unsigned char *p;
  uint64_t i;
  if (cap > (uint64_t)((size_t)-1) / width) return 0;
  new_bytes = (size_t)(cap * width);
  p = (unsigned char *)tf_mem_realloc(&c->mem, c->index, old_bytes, new_bytes);
  if (p == NULL) return 0;
  if (width != c->width) /* widen in place from the end */
    for (i = c->index_len; i-- > 0;) write_at(p, width, i, read_at(p, c->width, i));
  /* the room past index_len is left untouched (not resident until used):
   * index_set zeroes any gap it leaves */
  c->index = p;
  c->index_cap = cap;
  c->width = width;
  return 1;
}

int tf_combos_index_set(tf_combos *c, uint64_t pos, uint32_t n, uint64_t hint) {
  unsigned width = c->width;
  uint64_t cap = c->index_cap;
  if (pos == 0) return 0;
  while ((width == 1 && n > 0xff) || (width == 2 && n > 0xffff)) width *= 2;
  if (pos > cap) {
    if (cap == 0 && hint >= pos) cap = hint;
    else {
      if (cap < 1024) cap = 1024;
      while (cap < pos) cap += cap / 2;
    }
  }
  if ((cap != c->index_cap || width != c->width) && !reshape(c, cap, width)) return 0;
  if (pos - 1 > c->index_len) /* positions skipped since the last one read as 0 */
    memset(c->index + c->index_len * c->width, 0, (size_t)((pos - 1 - c->index_len) * c->width));
  write_at(c->index, c->width, pos - 1, n);
  if (pos > c->index_len) c->index_len = pos;
  return 1;
}

uint32_t tf_combos_index_get(const tf_combos *c, uint64_t pos) {
  if (pos == 0 || pos > c->index_len) return 0;
  return read_at(c->index, c->width, pos - 1);
}

uint64_t tf_combos_index_len(const tf_combos *c) { return c->index_len; }

unsigned tf_combos_index_width(const tf_combos *c) { return c->width; }

void tf_combos_index_clear(tf_combos *c) {
  tf_mem_free(&c->mem, c->index, (size_t)(c->index_cap * c->width));
  c->index = NULL;
  c->index_cap = c->index_len = 0;
  c->width = 1;
}

size_t tf_combos_held_bytes(const tf_combos *c) { return c->mem.bytes; }

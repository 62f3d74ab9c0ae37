#include "tf_intern.h"

#include <string.h>

#include "tf_hash.h"

#define TF_INTERN_SEED 0x746f6b656e666c6fULL /* "tokenflo" */
#define ARENA_FIRST 4096u
#define ARENA_MAX (256u * 1024u)

typedef struct entry {
  const char *s;
  size_t len;
  uint64_t hash;
} entry;

/* Names live in arena blocks so their addresses never move. */
typedef struct block {
  struct block *next;
  size_t size; /* bytes in data */
  size_t used;
  char data[];
} block;

struct tf_intern {
  tf_mem mem;
  entry *entries;   /* entries[id - 1] */
  uint32_t count;
  uint32_t cap;     /* entries allocated */
  uint32_t *slots;  /* open addressing, value = id, 0 = empty */
  uint32_t nslots;  /* power of two */
  block *blocks;    /* newest first; only the first has room */
  size_t next_block;
  size_t name_bytes;
};

tf_intern *tf_intern_new(tf_mem mem) {
  tf_intern *in = (tf_intern *)tf_mem_alloc(&mem, sizeof *in);
  if (in == NULL) return NULL;
  memset(in, 0, sizeof *in);
  in->mem = mem;
  in->next_block = ARENA_FIRST;
  return in;
}

void tf_intern_free(tf_intern *in) {
  block *b, *next;
  tf_mem mem;
  if (in == NULL) return;
  mem = in->mem;
  for (b = in->blocks; b != NULL; b = next) {
    next = b->next;
    tf_mem_free(&mem, b, sizeof *b + b->size);
  }
  tf_mem_free(&mem, in->entries, (size_t)in->cap * sizeof(entry));
  tf_mem_free(&mem, in->slots, (size_t)in->nslots * sizeof(uint32_t));
  tf_mem_free(&mem, in, sizeof *in);
}

static uint32_t probe(const tf_intern *in, const char *s, size_t len, uint64_t h, uint32_t *slot) {
  uint32_t mask = in->nslots - 1;
  uint32_t i = (uint32_t)h & mask;
  for (;;) {
    uint32_t id = in->slots[i];
    if (id == 0) {
      *slot = i;
      return 0;
    }
    {
      const entry *e = &in->entries[id - 1];
      if (e->hash == h && e->len == len && (len == 0 || memcmp(e->s, s, len) == 0)) return id;
    }
    i = (i + 1) & mask;
  }
}

uint32_t tf_intern_find(const tf_intern *in, const char *s, size_t len) {
  uint32_t slot;
  if (in->count == 0) return 0;
  return probe(in, s, len, tf_hash_bytes(s, len, TF_INTERN_SEED), &slot);
}

static int grow_slots(tf_intern *in) {
  uint32_t n = in->nslots ? in->nslots * 2 : 16;
  uint32_t *slots, id;
  if (n == 0 || n > (1u << 31)) return 0;
  slots = (uint32_t *)tf_mem_alloc(&in->mem, (size_t)n * sizeof(uint32_t));
  if (slots == NULL) return 0;
  memset(slots, 0, (size_t)n * sizeof(uint32_t));
  for (id = 1; id <= in->count; id++) {
    uint32_t i = (uint32_t)in->entries[id - 1].hash & (n - 1);
    while (slots[i] != 0) i = (i + 1) & (n - 1);
    slots[i] = id;
  }
  tf_mem_free(&in->mem, in->slots, (size_t)in->nslots * sizeof(uint32_t));
  in->slots = slots;
  in->nslots = n;
  return 1;
}

static int grow_entries(tf_intern *in) {
  uint32_t n = in->cap ? in->cap * 2 : 16;
  size_t bytes = tf_mem_mul(n, sizeof(entry));
  entry *e;
  if (bytes == 0 || n < in->cap) return 0;
  e = (entry *)tf_mem_realloc(&in->mem, in->entries, (size_t)in->cap * sizeof(entry), bytes);
  if (e == NULL) return 0;
  in->entries = e;
  in->cap = n;
  return 1;
}

/* Room for len + 1 bytes at a stable address, or NULL. */
static char *arena_reserve(tf_intern *in, size_t len) {
  size_t need = len + 1, size;
  block *b = in->blocks;
  if (need == 0) return NULL; /* len == SIZE_MAX */
  if (b != NULL && b->size - b->used >= need) return b->data + b->used;
  size = in->next_block;
  if (need > size / 4) size = need; /* large names get a block of their own */
  if (size > SIZE_MAX - sizeof *b) return NULL;
  b = (block *)tf_mem_alloc(&in->mem, sizeof *b + size);
  if (b == NULL) return NULL;
  b->size = size;
  b->used = 0;
  if (size == need && in->blocks != NULL) {
    /* keep the partly used block first: it still has room */
    b->next = in->blocks->next;
    in->blocks->next = b;
  } else {
    b->next = in->blocks;
    in->blocks = b;
    if (in->next_block < ARENA_MAX) in->next_block *= 2;
  }
  return b->data;
}

static void arena_commit(tf_intern *in, const char *p, size_t len) {
  block *b = in->blocks;
  if (p == b->data + b->used) {
    b->used += len + 1;
  } else {
    /* a dedicated block, linked second */
    b->next->used = b->next->size;
  }
}

uint32_t tf_intern_add(tf_intern *in, const char *s, size_t len) {
  uint64_t h = tf_hash_bytes(s, len, TF_INTERN_SEED);
  uint32_t slot = 0, id;
  char *copy;
  if (in->count > 0) {
    id = probe(in, s, len, h, &slot);
    if (id != 0) return id;
  }
  if (in->count >= UINT32_MAX - 1) return 0;
  /* Acquire everything first, so a failure leaves the interner unchanged. */
  if (in->count == in->cap && !grow_entries(in)) return 0;
  if ((size_t)(in->count + 1) * 2 > in->nslots && !grow_slots(in)) return 0;
  copy = arena_reserve(in, len);
  if (copy == NULL) return 0;
  if (len > 0) memcpy(copy, s, len);
  copy[len] = '\0';
  arena_commit(in, copy, len);
  probe(in, s, len, h, &slot);
  id = ++in->count;
  in->entries[id - 1].s = copy;
  in->entries[id - 1].len = len;
  in->entries[id - 1].hash = h;
  in->slots[slot] = id;
  in->name_bytes += len;
  return id;
}

const char *tf_intern_name(const tf_intern *in, uint32_t id, size_t *len) {
  if (id == 0 || id > in->count) return NULL;
  if (len) *len = in->entries[id - 1].len;
  return in->entries[id - 1].s;
}

uint32_t tf_intern_count(const tf_intern *in) { return in->count; }

size_t tf_intern_name_bytes(const tf_intern *in) { return in->name_bytes; }

size_t tf_intern_held_bytes(const tf_intern *in) { return in->mem.bytes; }

#include "tf_cache.h"

#include <string.h>

#include "tf_hash.h"

#define TF_CACHE_SEED 0x63616368652e7466ULL /* "cache.tf" */
#define FIRST_BUCKETS 16u

typedef struct tagnode tagnode;

/* One (entry, tag) pair, linked into the tag's list of entries. */
typedef struct taglink {
  struct taglink *prev, *next;
  tagnode *node;
  tf_cache_entry *entry;
} taglink;

/* A tag in use: the entries carrying it. Freed when its last entry leaves. */
struct tagnode {
  tagnode *hnext;
  taglink *head;
  size_t count;
  uint32_t tag;
};

/* An entry is one block: this header, its key words, then its tag links.
 * Its place in the LRU list is kept by slot (struct slotrec), so a hit by
 * identity on a cache without expiring entries never reads the entry. */
struct tf_cache_entry {
  uint64_t hash;
  tf_cache_entry *hnext; /* hash chain; eviction queue once evicted */
  uint32_t nwords;
  uint32_t slot;
  double expires;
  size_t cost;
  uint32_t ntags;
  uint32_t reason;   /* tf_cache_reason, once queued */
  uint64_t ident_hash; /* of its identity, when in an identity index */
  uint32_t has_ident;  /* while live, in the identity index of single addresses (1) or of tuples (2) */
  uint32_t plain_tuple; /* a short tuple of strings stored without identity */
};

/* An identity index (open addressing, linear probing): cells of `width`
 * words, the first the identity's tag (0: empty; else 1 + 2 * n + tuple) in
 * its high half and the slot of the entry stored with it in its low half,
 * then the addresses. Single addresses (string keys) take 16-byte cells,
 * tuples 32-byte ones: a lookup reads one cache line. Load kept <= 1/2;
 * grown before an entry is added, never shrunk. */
typedef struct idtab {
  uint64_t *w;
  size_t ncells; /* 0 or a power of two */
  size_t n;
  unsigned width;
} idtab;

#define CELL(t, i) ((t)->w + (size_t)(i) * (t)->width)
#define CELL_TAG(c) ((uint32_t)((c)[0] >> 32))
#define CELL_SLOT(c) ((uint32_t)(c)[0])

/* Per value slot, the LRU neighbours of the live entry holding it (slots,
 * 0: none), most recent at the head. Eight bytes a slot, so relinking on a
 * hit stays in cache. */
typedef struct slotrec {
  uint32_t prev, next;
} slotrec;

struct tf_cache {
  tf_mem mem;
  size_t capacity, max_bytes;
  tf_cache_entry **buckets;
  size_t nbuckets; /* power of two */
  uint32_t head, tail; /* LRU list (slots, 0: empty) */
  slotrec *slots;      /* indexed by slot, 0 unused */
  tf_cache_entry **held; /* indexed by slot: the live entry holding it, or NULL */
  uint64_t *gens;      /* indexed by slot: the generation of the live entry holding it, 0: none */
  size_t nslots;       /* records allocated in all three (one block): covers every slot handed out */
  uint64_t last_gen;   /* the generation given to the last entry stored */
  tagnode **tag_buckets;
  size_t ntag_buckets; /* power of two */
  size_t ntagnodes;
  size_t expiring; /* entries with an expiry time */
  tf_cache_entry *queue_head, *queue_tail;
  /* Value slots: 1..top handed out so far; freed ones wait in free_slots,
   * whose room always covers every slot handed out, so freeing never
   * allocates. */
  uint32_t *free_slots;
  size_t nfree, free_cap;
  uint32_t top;
  uint64_t *scratch;
  size_t scratch_cap;
  /* Identity indexes: identity -> slot of the live entry stored with it. */
  idtab ids1; /* single addresses */
  idtab ids3; /* tuples */
  size_t plain_tuples; /* live entries whose key is a short tuple of strings, without identity */
  /* The last entry block freed, kept for the next set of the same size:
   * a full cache evicts one entry per insert, so this saves an allocation
   * and a free per miss. */
  tf_cache_entry *spare;
  size_t spare_size;
  tf_cache_stats stats;
};

#define ENTRY_OF(c, slot) ((c)->held[slot])
/* Bytes per slot in the block of slot records, held entries and generations. */
#define SLOT_BYTES (sizeof(slotrec) + sizeof(tf_cache_entry *) + sizeof(uint64_t))
#define ENTRY_WORDS(e) ((uint64_t *)((e) + 1))
#define ENTRY_TAGS(e) ((taglink *)(ENTRY_WORDS(e) + (e)->nwords))

static size_t entry_size(size_t ntags, size_t nwords) {
  size_t t = tf_mem_mul(ntags, sizeof(taglink)), w = tf_mem_mul(nwords, sizeof(uint64_t));
  if ((ntags && t == 0) || (nwords && w == 0)) return 0;
  if (t > SIZE_MAX - sizeof(tf_cache_entry) - w) return 0;
  return sizeof(tf_cache_entry) + t + w;
}

static uint64_t key_hash(const uint64_t *key, size_t n) {
  uint64_t h = TF_CACHE_SEED ^ (uint64_t)n;
  size_t i;
  for (i = 0; i < n; i++) h = tf_hash_step(h, key[i]);
  return tf_hash_mix(h);
}

static uint32_t ident_tag(const tf_cache_ident *id) { return 1u + 2u * id->n + (id->tuple != 0); }

static uint64_t ident_hash(const tf_cache_ident *id) {
  uint64_t h = TF_CACHE_SEED ^ ident_tag(id);
  unsigned i;
  for (i = 0; i < id->n; i++) h = tf_hash_step(h, (uint64_t)(uintptr_t)id->p[i]);
  return tf_hash_mix(h);
}

/* The identity a cell holds. */
static void cell_ident(const uint64_t *cell, tf_cache_ident *id) {
  unsigned i;
  id->n = (CELL_TAG(cell) - 1) / 2;
  id->tuple = (CELL_TAG(cell) - 1) & 1;
  for (i = 0; i < TF_CACHE_IDENT_MAX; i++) id->p[i] = i < id->n ? (const void *)(uintptr_t)cell[1 + i] : NULL;
}

static uint64_t cell_hash(const uint64_t *cell) {
  tf_cache_ident id;
  cell_ident(cell, &id);
  return ident_hash(&id);
}

static int cell_is(const uint64_t *cell, const tf_cache_ident *id, uint32_t tag) {
  unsigned i;
  if (CELL_TAG(cell) != tag) return 0;
  for (i = 0; i < id->n; i++)
    if (cell[1 + i] != (uint64_t)(uintptr_t)id->p[i]) return 0;
  return 1;
}

/* The index an identity lives in (kind 1 or 2, as has_ident). */
static unsigned ident_kind(const tf_cache_ident *id) { return id->n == 1 && !id->tuple ? 1u : 2u; }
static idtab *tab_of(tf_cache *c, unsigned kind) { return kind == 1 ? &c->ids1 : &c->ids3; }
static const idtab *ctab_of(const tf_cache *c, unsigned kind) { return kind == 1 ? &c->ids1 : &c->ids3; }

/* A key that a tuple identity could stand for: a tuple of at most
 * TF_CACHE_IDENT_MAX strings. */
static int short_string_tuple(const uint64_t *key, size_t nwords) {
  size_t i;
  if (nwords < 2 || TF_CACHE_KEY_KIND(key[0]) != 1 || TF_CACHE_KEY_COUNT(key[0]) != nwords - 1 ||
      nwords - 1 > TF_CACHE_IDENT_MAX)
    return 0;
  for (i = 1; i < nwords; i++)
    if ((key[i] & 3u) != 1u) return 0;
  return 1;
}

static uint64_t tag_hash(uint32_t tag) { return tf_hash_mix((uint64_t)tag ^ TF_CACHE_SEED); }

static void *alloc_zeroed(tf_mem *m, size_t n) {
  void *p = tf_mem_alloc(m, n);
  if (p != NULL) memset(p, 0, n);
  return p;
}

tf_cache *tf_cache_new(tf_mem mem, size_t capacity, size_t max_bytes) {
  tf_cache *c;
  if (capacity == 0) return NULL;
  c = (tf_cache *)alloc_zeroed(&mem, sizeof *c);
  if (c == NULL) return NULL;
  c->mem = mem;
  c->capacity = capacity;
  c->max_bytes = max_bytes;
  /* (each count set with its table: a failure frees what was made at its size) */
  c->buckets = (tf_cache_entry **)alloc_zeroed(&c->mem, FIRST_BUCKETS * sizeof(tf_cache_entry *));
  if (c->buckets != NULL) c->nbuckets = FIRST_BUCKETS;
  c->tag_buckets = (tagnode **)alloc_zeroed(&c->mem, FIRST_BUCKETS * sizeof(tagnode *));
  if (c->tag_buckets != NULL) c->ntag_buckets = FIRST_BUCKETS;
  if (c->buckets == NULL || c->tag_buckets == NULL) {
    tf_cache_free(c);
    return NULL;
  }
  c->ids1.width = 2;
  c->ids3.width = 1 + TF_CACHE_IDENT_MAX;
  return c;
}

static void free_entry(tf_cache *c, tf_cache_entry *e) {
  size_t size = entry_size(e->ntags, e->nwords);
  if (c->spare == NULL) {
    c->spare = e;
    c->spare_size = size;
    return;
  }
  tf_mem_free(&c->mem, e, size);
}

/* A block of size bytes for a new entry: the spare when it fits exactly. */
static tf_cache_entry *alloc_entry(tf_cache *c, size_t size) {
  tf_cache_entry *e = c->spare;
  if (e != NULL && c->spare_size == size) {
    c->spare = NULL;
    return e;
  }
  return (tf_cache_entry *)tf_mem_alloc(&c->mem, size);
}

void tf_cache_free(tf_cache *c) {
  tf_cache_entry *e, *next;
  size_t i;
  if (c == NULL) return;
  for (i = c->head; i != 0; i = c->slots[i].next) free_entry(c, ENTRY_OF(c, i));
  for (e = c->queue_head; e != NULL; e = next) {
    next = e->hnext;
    free_entry(c, e);
  }
  if (c->spare != NULL) tf_mem_free(&c->mem, c->spare, c->spare_size);
  for (i = 0; i < c->ntag_buckets && c->tag_buckets; i++) {
    tagnode *t = c->tag_buckets[i], *tn;
    for (; t != NULL; t = tn) {
      tn = t->hnext;
      tf_mem_free(&c->mem, t, sizeof *t);
    }
  }
  tf_mem_free(&c->mem, c->buckets, c->nbuckets * sizeof(tf_cache_entry *));
  tf_mem_free(&c->mem, c->tag_buckets, c->ntag_buckets * sizeof(tagnode *));
  tf_mem_free(&c->mem, c->free_slots, c->free_cap * sizeof(uint32_t));
  tf_mem_free(&c->mem, c->scratch, c->scratch_cap * sizeof(uint64_t));
  tf_mem_free(&c->mem, c->ids1.w, c->ids1.ncells * c->ids1.width * sizeof(uint64_t));
  tf_mem_free(&c->mem, c->ids3.w, c->ids3.ncells * c->ids3.width * sizeof(uint64_t));
  tf_mem_free(&c->mem, c->slots, c->nslots * SLOT_BYTES);
  {
    tf_mem mem = c->mem;
    tf_mem_free(&mem, c, sizeof *c);
  }
}

/* ---- lookup and list surgery (none of these allocate) ---- */

/* Keys are a few words: a plain loop beats a call to memcmp. */
static int same_words(const uint64_t *a, const uint64_t *b, size_t n) {
  size_t i;
  for (i = 0; i < n; i++)
    if (a[i] != b[i]) return 0;
  return 1;
}

static tf_cache_entry **find_link(tf_cache *c, const uint64_t *key, size_t n, uint64_t h) {
  tf_cache_entry **link = &c->buckets[h & (c->nbuckets - 1)];
  for (; *link != NULL; link = &(*link)->hnext) {
    tf_cache_entry *e = *link;
    if (e->hash == h && e->nwords == n && same_words(ENTRY_WORDS(e), key, n)) return link;
  }
  return link;
}

static void lru_unlink(tf_cache *c, uint32_t slot) {
  slotrec *r = &c->slots[slot];
  if (r->prev) c->slots[r->prev].next = r->next;
  else c->head = r->next;
  if (r->next) c->slots[r->next].prev = r->prev;
  else c->tail = r->prev;
}

static void lru_push_front(tf_cache *c, uint32_t slot) {
  slotrec *r = &c->slots[slot];
  r->prev = 0;
  r->next = c->head;
  if (c->head) c->slots[c->head].prev = slot;
  else c->tail = slot;
  c->head = slot;
}

static tagnode **tag_find_link(tf_cache *c, uint32_t tag) {
  tagnode **link = &c->tag_buckets[tag_hash(tag) & (c->ntag_buckets - 1)];
  while (*link != NULL && (*link)->tag != tag) link = &(*link)->hnext;
  return link;
}

static void tags_unlink(tf_cache *c, tf_cache_entry *e) {
  taglink *l = ENTRY_TAGS(e);
  uint32_t i;
  for (i = 0; i < e->ntags; i++) {
    tagnode *t = l[i].node;
    if (l[i].prev) l[i].prev->next = l[i].next;
    else t->head = l[i].next;
    if (l[i].next) l[i].next->prev = l[i].prev;
    if (--t->count == 0) {
      tagnode **link = tag_find_link(c, t->tag);
      *link = t->hnext;
      c->ntagnodes--;
      tf_mem_free(&c->mem, t, sizeof *t);
    }
  }
}

/* The cell holding id (of hash h) in t, or the empty cell ending its probe sequence. */
static uint64_t *ident_find(const idtab *t, const tf_cache_ident *id, uint64_t h) {
  size_t mask = t->ncells - 1, i = (size_t)h & mask;
  uint32_t tag = ident_tag(id);
  while (CELL_TAG(CELL(t, i)) != 0 && !cell_is(CELL(t, i), id, tag)) i = (i + 1) & mask;
  return CELL(t, i);
}

/* The cell of live entry e (which has an identity). */
static uint64_t *ident_cell(const tf_cache *c, const tf_cache_entry *e) {
  const idtab *t = ctab_of(c, e->has_ident);
  size_t mask = t->ncells - 1, i = (size_t)e->ident_hash & mask;
  while (CELL_SLOT(CELL(t, i)) != e->slot) i = (i + 1) & mask;
  return CELL(t, i);
}

/* Room was made by ident_reserve. */
static void ident_insert(tf_cache *c, tf_cache_entry *e, const tf_cache_ident *id) {
  idtab *t = tab_of(c, e->has_ident);
  uint64_t *cell = ident_find(t, id, e->ident_hash);
  unsigned i;
  cell[0] = (uint64_t)ident_tag(id) << 32 | e->slot;
  for (i = 0; i < id->n; i++) cell[1 + i] = (uint64_t)(uintptr_t)id->p[i];
  t->n++;
}

/* Removes e's cell, shifting later cells of the run back (no tombstones). */
static void ident_remove(tf_cache *c, const tf_cache_entry *e) {
  idtab *t = tab_of(c, e->has_ident);
  size_t mask = t->ncells - 1, i = (size_t)(ident_cell(c, e) - t->w) / t->width, j = i;
  for (;;) {
    size_t home;
    j = (j + 1) & mask;
    if (CELL_TAG(CELL(t, j)) == 0) break;
    home = (size_t)cell_hash(CELL(t, j)) & mask;
    /* the cell at j may move to i unless its home lies cyclically in (i, j] */
    if (i <= j ? (i < home && home <= j) : (i < home || home <= j)) continue;
    memcpy(CELL(t, i), CELL(t, j), t->width * sizeof(uint64_t));
    i = j;
  }
  memset(CELL(t, i), 0, t->width * sizeof(uint64_t));
  t->n--;
}

/* Makes room for one more identity in t (load <= 1/2): 0 when out of
 * memory, and then nothing changed. */
static int ident_reserve(tf_cache *c, idtab *t) {
  size_t n, i, bytes;
  uint64_t *cells;
  if ((t->n + 1) * 2 <= t->ncells) return 1;
  n = t->ncells ? t->ncells * 2 : FIRST_BUCKETS;
  bytes = tf_mem_mul(n, t->width * sizeof(uint64_t));
  if (bytes == 0) return 0;
  cells = (uint64_t *)alloc_zeroed(&c->mem, bytes);
  if (cells == NULL) return 0;
  for (i = 0; i < t->ncells; i++) {
    if (CELL_TAG(CELL(t, i)) != 0) {
      size_t j = (size_t)cell_hash(CELL(t, i)) & (n - 1);
      while (CELL_TAG(cells + j * t->width) != 0) j = (j + 1) & (n - 1);
      memcpy(cells + j * t->width, CELL(t, i), t->width * sizeof(uint64_t));
    }
  }
  tf_mem_free(&c->mem, t->w, t->ncells * t->width * sizeof(uint64_t));
  t->w = cells;
  t->ncells = n;
  return 1;
}

/* Takes e (found at *link in its chain) out of every structure. */
static void detach(tf_cache *c, tf_cache_entry **link, tf_cache_entry *e) {
  *link = e->hnext;
  if (e->has_ident) ident_remove(c, e);
  c->plain_tuples -= e->plain_tuple;
  lru_unlink(c, e->slot);
  ENTRY_OF(c, e->slot) = NULL;
  c->gens[e->slot] = 0;
  tags_unlink(c, e);
  c->stats.entries--;
  c->stats.bytes -= e->cost;
  if (e->expires < TF_CACHE_NEVER) c->expiring--;
}

static void detach_entry(tf_cache *c, tf_cache_entry *e) {
  tf_cache_entry **link = &c->buckets[e->hash & (c->nbuckets - 1)];
  while (*link != e) link = &(*link)->hnext;
  detach(c, link, e);
}

static void enqueue(tf_cache *c, tf_cache_entry *e, tf_cache_reason reason) {
  e->reason = (uint32_t)reason;
  e->hnext = NULL;
  if (c->queue_tail) c->queue_tail->hnext = e;
  else c->queue_head = e;
  c->queue_tail = e;
  switch (reason) {
  case TF_EVICT_CAPACITY:
  case TF_EVICT_BYTES: c->stats.evictions++; break;
  case TF_EVICT_EXPIRED: c->stats.expirations++; break;
  case TF_EVICT_INVALIDATED: c->stats.invalidations++; break;
  case TF_EVICT_DELETED: break;
  }
}

static void release_slot(tf_cache *c, uint32_t slot) { c->free_slots[c->nfree++] = slot; }

/* ---- public operations ---- */

/* The entry e (at *link in its chain, or link NULL: not known yet) expired. */
static int stale(tf_cache *c, tf_cache_entry **link, tf_cache_entry *e) {
  if (link != NULL) detach(c, link, e);
  else detach_entry(c, e);
  enqueue(c, e, TF_EVICT_EXPIRED);
  c->stats.misses++;
  c->stats.stale++;
  return TF_CACHE_STALE;
}

/* A live entry in slot was looked up and had not expired. */
static int hit(tf_cache *c, uint32_t slot) {
  if (c->head != slot) {
    lru_unlink(c, slot);
    lru_push_front(c, slot);
  }
  c->stats.hits++;
  return TF_CACHE_OK;
}

int tf_cache_get(tf_cache *c, const uint64_t *key, size_t nwords, double now, uint32_t *slot) {
  uint64_t h = key_hash(key, nwords);
  tf_cache_entry **link = find_link(c, key, nwords, h);
  tf_cache_entry *e = *link;
  if (e == NULL) {
    c->stats.misses++;
    return TF_CACHE_MISS;
  }
  *slot = e->slot;
  if (e->expires <= now) return stale(c, link, e);
  return hit(c, e->slot);
}

int tf_cache_get_ident(tf_cache *c, const void *ident, double now, uint32_t *slot) {
  tf_cache_ident id;
  if (ident == NULL) return TF_CACHE_MISS;
  id.n = 1;
  id.tuple = 0;
  id.p[0] = ident;
  return tf_cache_get_idents(c, &id, now, slot);
}

int tf_cache_get_idents(tf_cache *c, const tf_cache_ident *id, double now, uint32_t *slot) {
  const idtab *t;
  uint32_t s;
  if (id == NULL || id->n == 0 || id->n > TF_CACHE_IDENT_MAX) return TF_CACHE_MISS;
  t = tab_of(c, ident_kind(id));
  if (t->n == 0) return TF_CACHE_MISS;
  s = CELL_SLOT(ident_find(t, id, ident_hash(id)));
  if (s == 0) return TF_CACHE_MISS;
  *slot = s;
  /* without expiring entries the entry itself is not needed */
  if (c->expiring > 0 && ENTRY_OF(c, s)->expires <= now) return stale(c, NULL, ENTRY_OF(c, s));
  return hit(c, s);
}

int tf_cache_get_slot(tf_cache *c, uint32_t slot, uint64_t gen, double now) {
  if (gen == 0 || slot == 0 || slot >= c->nslots || c->gens[slot] != gen) return TF_CACHE_MISS;
  if (c->expiring > 0 && ENTRY_OF(c, slot)->expires <= now) return stale(c, NULL, ENTRY_OF(c, slot));
  return hit(c, slot);
}

uint64_t tf_cache_slot_gen(const tf_cache *c, uint32_t slot) {
  return slot != 0 && slot < c->nslots ? c->gens[slot] : 0;
}

void tf_cache_count_miss(tf_cache *c) { c->stats.misses++; }

size_t tf_cache_plain_tuples(const tf_cache *c) { return c->plain_tuples; }

uint32_t tf_cache_next_slot(tf_cache *c) {
  if (c->nfree > 0) return c->free_slots[c->nfree - 1];
  if (c->top == UINT32_MAX) return 0;
  if (c->nslots < (size_t)c->top + 2) { /* records 0..top+1 */
    size_t n = c->nslots ? c->nslots * 2 : 16, bytes = tf_mem_mul(n, SLOT_BYTES);
    slotrec *p = bytes ? (slotrec *)alloc_zeroed(&c->mem, bytes) : NULL;
    tf_cache_entry **held;
    uint64_t *gens;
    if (p == NULL) return 0;
    held = (tf_cache_entry **)(void *)(p + n); /* n * 8 bytes in: aligned */
    gens = (uint64_t *)(void *)(held + n);
    if (c->nslots > 0) {
      memcpy(p, c->slots, c->nslots * sizeof(slotrec));
      memcpy(held, c->held, c->nslots * sizeof(tf_cache_entry *));
      memcpy(gens, c->gens, c->nslots * sizeof(uint64_t));
      tf_mem_free(&c->mem, c->slots, c->nslots * SLOT_BYTES);
    }
    c->slots = p;
    c->held = held;
    c->gens = gens;
    c->nslots = n;
  }
  if (c->free_cap < (size_t)c->top + 1) {
    size_t n = c->free_cap ? c->free_cap * 2 : 16;
    uint32_t *p = (uint32_t *)tf_mem_realloc(&c->mem, c->free_slots, c->free_cap * sizeof(uint32_t),
                                             tf_mem_mul(n, sizeof(uint32_t)));
    if (p == NULL) return 0;
    c->free_slots = p;
    c->free_cap = n;
  }
  return c->top + 1;
}

static void take_slot(tf_cache *c, uint32_t slot) {
  if (c->nfree > 0 && c->free_slots[c->nfree - 1] == slot) c->nfree--;
  else c->top = slot; /* slot == top + 1, room for it in free_slots checked by next_slot */
}

/* Doubles the hash table; a failure only makes chains longer. */
static void maybe_grow_buckets(tf_cache *c) {
  size_t n = c->nbuckets * 2, i, bytes = tf_mem_mul(n, sizeof(tf_cache_entry *));
  tf_cache_entry **b;
  if (c->stats.entries * 2 <= c->nbuckets || bytes == 0) return; /* load <= 1/2 */
  b = (tf_cache_entry **)alloc_zeroed(&c->mem, bytes);
  if (b == NULL) return;
  for (i = 0; i < c->nbuckets; i++) {
    tf_cache_entry *e = c->buckets[i], *next;
    for (; e != NULL; e = next) {
      next = e->hnext;
      e->hnext = b[e->hash & (n - 1)];
      b[e->hash & (n - 1)] = e;
    }
  }
  tf_mem_free(&c->mem, c->buckets, c->nbuckets * sizeof(tf_cache_entry *));
  c->buckets = b;
  c->nbuckets = n;
}

static void maybe_grow_tag_buckets(tf_cache *c) {
  size_t n = c->ntag_buckets * 2, i, bytes = tf_mem_mul(n, sizeof(tagnode *));
  tagnode **b;
  if (c->ntagnodes <= c->ntag_buckets || bytes == 0) return;
  b = (tagnode **)alloc_zeroed(&c->mem, bytes);
  if (b == NULL) return;
  for (i = 0; i < c->ntag_buckets; i++) {
    tagnode *t = c->tag_buckets[i], *next;
    for (; t != NULL; t = next) {
      size_t j = tag_hash(t->tag) & (n - 1);
      next = t->hnext;
      t->hnext = b[j];
      b[j] = t;
    }
  }
  tf_mem_free(&c->mem, c->tag_buckets, c->ntag_buckets * sizeof(tagnode *));
  c->tag_buckets = b;
  c->ntag_buckets = n;
}

static int seen_before(const uint32_t *tags, size_t i) {
  size_t j;
  for (j = 0; j < i; j++)
    if (tags[j] == tags[i]) return 1;
  return 0;
}

/* Queues least recently used entries until the limits hold. */
static void enforce_limits(tf_cache *c, double now) {
  while (c->tail != 0 && (c->stats.entries > c->capacity || (c->max_bytes && c->stats.bytes > c->max_bytes))) {
    tf_cache_entry *e = ENTRY_OF(c, c->tail);
    tf_cache_reason why = e->expires <= now ? TF_EVICT_EXPIRED
                          : c->stats.entries > c->capacity ? TF_EVICT_CAPACITY
                                                           : TF_EVICT_BYTES;
    detach_entry(c, e);
    enqueue(c, e, why);
  }
}

int tf_cache_set(tf_cache *c, const uint64_t *key, size_t nwords, uint32_t slot, double now, double expires,
                 size_t cost, const uint32_t *tags, size_t ntags, uint32_t *released) {
  return tf_cache_set_idents(c, key, nwords, NULL, slot, now, expires, cost, tags, ntags, released);
}

int tf_cache_set_ident(tf_cache *c, const uint64_t *key, size_t nwords, const void *ident, uint32_t slot, double now,
                       double expires, size_t cost, const uint32_t *tags, size_t ntags, uint32_t *released) {
  tf_cache_ident id;
  id.n = 1;
  id.tuple = 0;
  id.p[0] = ident;
  return tf_cache_set_idents(c, key, nwords, ident ? &id : NULL, slot, now, expires, cost, tags, ntags, released);
}

int tf_cache_set_idents(tf_cache *c, const uint64_t *key, size_t nwords, const tf_cache_ident *ident, uint32_t slot,
                        double now, double expires, size_t cost, const uint32_t *tags, size_t ntags, uint32_t *released) {
  uint64_t h = key_hash(key, nwords);
  tf_cache_entry **link = find_link(c, key, nwords, h), *old = *link, *e;
  tagnode *fresh = NULL; /* tag nodes to add, chained by hnext */
  size_t nunique = 0, i, size;
  taglink *l;
  *released = 0;
  if (c->max_bytes && cost > c->max_bytes) {
    if (old != NULL) {
      detach(c, link, old);
      enqueue(c, old, TF_EVICT_BYTES);
    }
    return TF_CACHE_TOOBIG;
  }
  if (nwords > UINT32_MAX) return TF_CACHE_NOMEM;
  if (ident != NULL && (ident->n == 0 || ident->n > TF_CACHE_IDENT_MAX)) ident = NULL;
  /* Acquire everything first: a failure must leave the cache unchanged
   * (a grown identity index changes no lookup). */
  if (ident != NULL && !ident_reserve(c, tab_of(c, ident_kind(ident)))) return TF_CACHE_NOMEM;
  for (i = 0; i < ntags; i++) {
    if (seen_before(tags, i)) continue;
    nunique++;
    if (*tag_find_link(c, tags[i]) == NULL) {
      tagnode *t = (tagnode *)alloc_zeroed(&c->mem, sizeof *t);
      if (t == NULL) goto nomem;
      t->tag = tags[i];
      t->hnext = fresh;
      fresh = t;
    }
  }
  size = entry_size(nunique, nwords);
  e = size ? alloc_entry(c, size) : NULL;
  if (e == NULL) goto nomem;
  /* From here on nothing fails. */
  take_slot(c, slot);
  while (fresh != NULL) {
    tagnode *t = fresh, **tl;
    fresh = t->hnext;
    tl = tag_find_link(c, t->tag);
    t->hnext = NULL;
    *tl = t;
    c->ntagnodes++;
  }
  e->hash = h;
  e->expires = expires;
  e->cost = cost;
  e->slot = slot;
  e->nwords = (uint32_t)nwords;
  e->ntags = (uint32_t)nunique;
  e->reason = 0;
  e->has_ident = ident != NULL ? ident_kind(ident) : 0;
  e->ident_hash = ident != NULL ? ident_hash(ident) : 0;
  e->plain_tuple = ident == NULL && short_string_tuple(key, nwords);
  memcpy(ENTRY_WORDS(e), key, nwords * sizeof(uint64_t));
  l = ENTRY_TAGS(e);
  for (i = 0; i < ntags; i++) {
    tagnode *t;
    if (seen_before(tags, i)) continue;
    t = *tag_find_link(c, tags[i]);
    l->node = t;
    l->entry = e;
    l->prev = NULL;
    l->next = t->head;
    if (t->head) t->head->prev = l;
    t->head = l;
    t->count++;
    l++;
  }
  /* The replaced entry goes only now: the new one already holds the tags
   * they share, so those tag nodes survive its unlinking. */
  if (old != NULL) {
    *released = old->slot;
    detach(c, link, old);
    release_slot(c, old->slot);
    free_entry(c, old);
  }
  link = &c->buckets[h & (c->nbuckets - 1)];
  e->hnext = *link;
  *link = e;
  if (ident != NULL) ident_insert(c, e, ident);
  c->plain_tuples += e->plain_tuple;
  ENTRY_OF(c, slot) = e;
  c->gens[slot] = ++c->last_gen;
  lru_push_front(c, slot);
  c->stats.entries++;
  c->stats.bytes += cost;
  if (expires < TF_CACHE_NEVER) c->expiring++;
  enforce_limits(c, now);
  maybe_grow_buckets(c);
  maybe_grow_tag_buckets(c);
  return TF_CACHE_OK;
nomem:
  while (fresh != NULL) {
    tagnode *t = fresh;
    fresh = t->hnext;
    tf_mem_free(&c->mem, t, sizeof *t);
  }
  return TF_CACHE_NOMEM;
}

int tf_cache_delete(tf_cache *c, const uint64_t *key, size_t nwords) {
  tf_cache_entry **link = find_link(c, key, nwords, key_hash(key, nwords)), *e = *link;
  if (e == NULL) return 0;
  detach(c, link, e);
  enqueue(c, e, TF_EVICT_DELETED);
  return 1;
}

size_t tf_cache_invalidate(tf_cache *c, uint32_t tag) {
  size_t n = 0;
  tagnode *t;
  /* the node is freed with its last entry: look it up again each time */
  while ((t = *tag_find_link(c, tag)) != NULL) {
    tf_cache_entry *e = t->head->entry;
    detach_entry(c, e);
    enqueue(c, e, TF_EVICT_INVALIDATED);
    n++;
  }
  return n;
}

size_t tf_cache_flush(tf_cache *c) {
  size_t n = 0;
  while (c->tail != 0) {
    tf_cache_entry *e = ENTRY_OF(c, c->tail);
    detach_entry(c, e);
    enqueue(c, e, TF_EVICT_DELETED);
    n++;
  }
  return n;
}

tf_cache_entry *tf_cache_evicted(const tf_cache *c) { return c->queue_head; }

tf_cache_reason tf_cache_evicted_reason(const tf_cache_entry *e) { return (tf_cache_reason)e->reason; }

void tf_cache_pop_evicted(tf_cache *c) {
  tf_cache_entry *e = c->queue_head;
  if (e == NULL) return;
  c->queue_head = e->hnext;
  if (c->queue_head == NULL) c->queue_tail = NULL;
  release_slot(c, e->slot);
  free_entry(c, e);
}

tf_cache_entry *tf_cache_first(const tf_cache *c) { return c->head ? ENTRY_OF(c, c->head) : NULL; }
tf_cache_entry *tf_cache_next(const tf_cache *c, const tf_cache_entry *e) {
  uint32_t next = c->slots[e->slot].next;
  return next ? ENTRY_OF(c, next) : NULL;
}

const uint64_t *tf_cache_entry_key(const tf_cache_entry *e, size_t *nwords) {
  *nwords = e->nwords;
  return ENTRY_WORDS(e);
}

uint32_t tf_cache_entry_slot(const tf_cache_entry *e) { return e->slot; }
double tf_cache_entry_expires(const tf_cache_entry *e) { return e->expires; }

uint64_t *tf_cache_scratch(tf_cache *c, size_t nwords) {
  if (nwords > c->scratch_cap) {
    size_t n = nwords < 64 ? 64 : nwords, bytes = tf_mem_mul(n, sizeof(uint64_t));
    uint64_t *p;
    if (bytes == 0) return NULL;
    /* the old contents are not needed, so no realloc copy; the old buffer
     * is freed only once the new one exists (a failure changes nothing) */
    p = (uint64_t *)tf_mem_alloc(&c->mem, bytes);
    if (p == NULL) return NULL;
    tf_mem_free(&c->mem, c->scratch, c->scratch_cap * sizeof(uint64_t));
    c->scratch = p;
    c->scratch_cap = n;
  }
  return c->scratch;
}

void tf_cache_get_stats(const tf_cache *c, tf_cache_stats *out) { *out = c->stats; }
size_t tf_cache_count(const tf_cache *c) { return c->stats.entries; }
size_t tf_cache_expiring(const tf_cache *c) { return c->expiring; }
size_t tf_cache_capacity(const tf_cache *c) { return c->capacity; }
size_t tf_cache_max_bytes(const tf_cache *c) { return c->max_bytes; }
size_t tf_cache_held_bytes(const tf_cache *c) { return c->mem.bytes; }

static int findable(const tf_cache *c, const tf_cache_entry *e) {
  const tf_cache_entry *x = c->buckets[e->hash & (c->nbuckets - 1)];
  while (x != NULL && x != e) x = x->hnext;
  return x == e && e->hash == key_hash(ENTRY_WORDS(e), e->nwords);
}

static int tags_consistent(const tf_cache *c, size_t *links) {
  size_t i, nodes = 0;
  for (i = 0; i < c->ntag_buckets; i++) {
    const tagnode *t;
    for (t = c->tag_buckets[i]; t != NULL; t = t->hnext) {
      const taglink *l, *prev = NULL;
      size_t n = 0;
      if ((tag_hash(t->tag) & (c->ntag_buckets - 1)) != i || t->count == 0) return 0;
      for (l = t->head; l != NULL; prev = l, l = l->next, n++)
        if (l->prev != prev || l->node != t) return 0;
      if (n != t->count) return 0;
      *links += n;
      nodes++;
    }
  }
  return nodes == c->ntagnodes;
}

/* Every cell of t names a live entry with its identity, reachable from its
 * home without crossing an empty cell. */
static int ids_consistent(const tf_cache *c, const idtab *t, unsigned kind) {
  size_t i, n = 0;
  if (t->n * 2 > t->ncells && t->n > 0) return 0;
  for (i = 0; i < t->ncells; i++) {
    const uint64_t *cell = CELL(t, i);
    const tf_cache_entry *e;
    tf_cache_ident id;
    uint32_t slot = CELL_SLOT(cell);
    if (CELL_TAG(cell) == 0) {
      if (slot != 0) return 0;
      continue;
    }
    cell_ident(cell, &id);
    if (id.n == 0 || id.n > TF_CACHE_IDENT_MAX || ident_kind(&id) != kind || id.n + 1 > t->width) return 0;
    if (slot == 0 || slot > c->top || (e = ENTRY_OF(c, slot)) == NULL || e->has_ident != kind ||
        e->ident_hash != ident_hash(&id) || ident_find(t, &id, ident_hash(&id)) != cell)
      return 0;
    n++;
  }
  return n == t->n;
}

int tf_cache_check(const tf_cache *c) {
  const tf_cache_entry *e;
  uint32_t s, prev = 0;
  size_t n = 0, bytes = 0, expiring = 0, tag_links = 0, entry_tags = 0, queued = 0, idents = 0, held = 0, plain = 0, i;
  if (!ids_consistent(c, &c->ids1, 1) || !ids_consistent(c, &c->ids3, 2)) return 0;
  if (c->top > 0 && c->nslots < (size_t)c->top + 1) return 0;
  for (i = 1; i < c->nslots; i++) {
    held += c->held[i] != NULL;
    /* a generation names a live entry, and no generation was given twice */
    if ((c->held[i] != NULL) != (c->gens[i] != 0) || c->gens[i] > c->last_gen) return 0;
  }
  for (s = c->head; s != 0; prev = s, s = c->slots[s].next) {
    e = ENTRY_OF(c, s);
    if (s > c->top || e == NULL || e->slot != s || c->slots[s].prev != prev || !findable(c, e) || n >= held) return 0;
    if (e->has_ident) {
      if (CELL_SLOT(ident_cell(c, e)) != s) return 0;
      idents++;
    }
    plain += e->plain_tuple;
    n++;
    bytes += e->cost;
    entry_tags += e->ntags;
    if (e->expires < TF_CACHE_NEVER) expiring++;
    for (i = 0; i < e->ntags; i++)
      if (ENTRY_TAGS(e)[i].entry != e) return 0;
  }
  if (c->tail != prev || n != held || n != c->stats.entries || bytes != c->stats.bytes || expiring != c->expiring) return 0;
  if (idents != c->ids1.n + c->ids3.n || plain != c->plain_tuples) return 0;
  if (n > c->capacity || (c->max_bytes && bytes > c->max_bytes)) return 0;
  if (!tags_consistent(c, &tag_links) || tag_links != entry_tags) return 0;
  for (e = c->queue_head; e != NULL; e = e->hnext) queued++;
  /* every slot handed out is live, queued or free */
  return n + queued + c->nfree == c->top && c->free_cap >= c->top;
}

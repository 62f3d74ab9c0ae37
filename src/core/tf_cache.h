/* Token cache core: an LRU map from encoded keys to value slots, bounded by
 * entry count and by cost (bytes), with per-entry expiry and tags.
 *
 * Keys are sequences of 64-bit words (the binding encodes strings as
 * interner ids and integers as themselves, see tf_cache_key_*). Values are
 * not stored here: each entry owns a "slot", a small integer the caller uses
 * to find the value (the Lua binding indexes a table with it).
 *
 * Entries that leave the cache for a reason the caller must hear about
 * (capacity, bytes, expired, invalidated, deleted) are moved to an eviction
 * queue instead of being freed. The caller drains the queue once an
 * operation has completed (tf_cache_evicted / tf_cache_pop_evicted); their
 * slots are only reused after they are popped, so the value is still there
 * while the caller reports it.
 *
 * Every function that can allocate returns TF_CACHE_NOMEM on failure and
 * leaves the cache exactly as it was. */
#ifndef TF_CACHE_H
#define TF_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "tf_mem.h"

typedef struct tf_cache tf_cache;
typedef struct tf_cache_entry tf_cache_entry;

enum {
  TF_CACHE_OK = 0,
  TF_CACHE_MISS,    /* get: no entry */
  TF_CACHE_STALE,   /* get: the entry had expired; it is now queued as "expired" */
  TF_CACHE_TOOBIG,  /* set: cost alone exceeds max_bytes; nothing stored */
  TF_CACHE_NOMEM
};

typedef enum tf_cache_reason {
  TF_EVICT_CAPACITY = 0,
  TF_EVICT_BYTES,
  TF_EVICT_EXPIRED,
  TF_EVICT_INVALIDATED,
  TF_EVICT_DELETED
} tf_cache_reason;

typedef struct tf_cache_stats {
  size_t entries, bytes;
  uint64_t hits, misses, stale, evictions, expirations, invalidations;
} tf_cache_stats;

/* Key words: a header word, its low two bits the kind, then
 *  - scalar (kind 0) or tuple (kind 1) of n elements: each element, a
 *    string id as one word, an integer as a tag word and its value;
 *  - byte string (kind 2) of n bytes: the bytes, zero-padded to words.
 * The encoding is prefix-free, so equal keys are equal word sequences. */
#define TF_CACHE_KEY_HEADER(n, is_tuple) (((uint64_t)(n) << 2) | (uint64_t)((is_tuple) != 0))
#define TF_CACHE_KEY_BYTES_HEADER(len) (((uint64_t)(len) << 2) | 2u)
#define TF_CACHE_KEY_KIND(header) ((unsigned)((header) & 3u))
#define TF_CACHE_KEY_COUNT(header) ((header) >> 2)
#define TF_CACHE_KEY_STRING(id) (((uint64_t)(id) << 2) | 1u)
#define TF_CACHE_KEY_INTEGER_TAG ((uint64_t)2u)
/* Words needed for a key of n elements, at most; for a byte string of len bytes. */
#define TF_CACHE_KEY_MAXWORDS(n) (1u + 2u * (size_t)(n))
#define TF_CACHE_KEY_BYTES_WORDS(len) (1u + ((size_t)(len) + 7u) / 8u)

/* Never-expiring entries use this expiry time. */
#define TF_CACHE_NEVER 1e300

/* capacity >= 1 entries; max_bytes == 0 means no byte budget. NULL when out
 * of memory. The cache allocates through (a copy of) mem. */
tf_cache *tf_cache_new(tf_mem mem, size_t capacity, size_t max_bytes);
/* Frees every entry, queued ones included (nothing is reported). */
void tf_cache_free(tf_cache *c);

/* Looks key up. TF_CACHE_OK: a hit, *slot set, the entry becomes the most
 * recent. TF_CACHE_STALE: the entry's expiry is <= now; it is moved to the
 * eviction queue with reason "expired" and *slot is its slot (its value is
 * the stale value). TF_CACHE_MISS otherwise. Never allocates. */
int tf_cache_get(tf_cache *c, const uint64_t *key, size_t nwords, double now, uint32_t *slot);

/* An identity: a few addresses the caller stands for naming one key while
 * the entry stored with it is live (the binding passes the address of a
 * single key string, or those of the strings of a short tuple). Two
 * identities are equal when n, tuple and the n addresses are. */
#define TF_CACHE_IDENT_MAX 3
typedef struct tf_cache_ident {
  unsigned n; /* 1..TF_CACHE_IDENT_MAX addresses */
  int tuple;  /* tells a tuple of one string from a single string */
  const void *p[TF_CACHE_IDENT_MAX];
} tf_cache_ident;

/* Looks an entry up by its identity (see tf_cache_set_ident): the same
 * results as tf_cache_get, except that TF_CACHE_MISS only says no live entry
 * was stored with this ident (the key may still be there under another
 * one); a miss here is not counted. Never allocates. */
int tf_cache_get_ident(tf_cache *c, const void *ident, double now, uint32_t *slot);
/* tf_cache_get_ident with any identity. */
int tf_cache_get_idents(tf_cache *c, const tf_cache_ident *id, double now, uint32_t *slot);
/* Live entries whose key is a tuple of at most TF_CACHE_IDENT_MAX strings
 * stored without an identity: when 0, such a key not found by identity is
 * not in the cache at all. */
size_t tf_cache_plain_tuples(const tf_cache *c);

/* Each stored entry gets a generation, a number never given before
 * (1, 2, 3...): a (slot, generation) pair names that entry until it leaves,
 * so a caller that keeps the pair finds the entry again without its key.
 * tf_cache_slot_gen: the generation of the live entry holding slot, 0 when
 * none. tf_cache_get_slot: the results of tf_cache_get for the entry named
 * by (slot, gen), except that TF_CACHE_MISS (no such live entry) is not
 * counted. Neither allocates. */
uint64_t tf_cache_slot_gen(const tf_cache *c, uint32_t slot);
int tf_cache_get_slot(tf_cache *c, uint32_t slot, uint64_t gen, double now);

/* The slot the next tf_cache_set will use for a new value, so the caller can
 * put the value in place before the cache changes. May allocate (room to
 * remember the slot once freed): 0 when out of memory. */
uint32_t tf_cache_next_slot(tf_cache *c);

/* Stores key with the value in slot `slot` (from the last
 * tf_cache_next_slot, with no other call on c in between),
 * expiring at `expires` (TF_CACHE_NEVER: never), costing `cost`, carrying
 * `ntags` tag ids (duplicates ignored). An entry already under the key is
 * replaced without being reported: its slot is written to *released (0 if
 * none), and the caller drops the value there. Then least recently used
 * entries are queued until the count and byte limits hold ("expired" when
 * they had expired by `now`, else "capacity" or "bytes").
 * TF_CACHE_TOOBIG: cost > max_bytes; nothing stored, and an entry already
 * under the key is queued with reason "bytes". */
int tf_cache_set(tf_cache *c, const uint64_t *key, size_t nwords, uint32_t slot, double now, double expires,
                 size_t cost, const uint32_t *tags, size_t ntags, uint32_t *released);

/* tf_cache_set, and the new entry can also be found by ident (NULL: no
 * ident) until it leaves the cache (is replaced or queued). The caller
 * keeps ident unique among live entries and stands for it naming this key
 * (the binding passes the address of a key string it keeps alive). */
int tf_cache_set_ident(tf_cache *c, const uint64_t *key, size_t nwords, const void *ident, uint32_t slot, double now,
                       double expires, size_t cost, const uint32_t *tags, size_t ntags, uint32_t *released);
/* tf_cache_set_ident with any identity (NULL: none). */
int tf_cache_set_idents(tf_cache *c, const uint64_t *key, size_t nwords, const tf_cache_ident *ident, uint32_t slot,
                        double now, double expires, size_t cost, const uint32_t *tags, size_t ntags, uint32_t *released);

/* Queues the entry under key with reason "deleted": 1 if there was one. */
int tf_cache_delete(tf_cache *c, const uint64_t *key, size_t nwords);
/* Queues every entry carrying tag with reason "invalidated"; returns how
 * many. Work is proportional to the entries dropped. */
size_t tf_cache_invalidate(tf_cache *c, uint32_t tag);
/* Queues every entry with reason "deleted"; returns how many. */
size_t tf_cache_flush(tf_cache *c);

/* The oldest queued entry, or NULL; it stays owned by the cache (readable
 * with the accessors below) until tf_cache_pop_evicted. */
tf_cache_entry *tf_cache_evicted(const tf_cache *c);
tf_cache_reason tf_cache_evicted_reason(const tf_cache_entry *e);
/* Frees the oldest queued entry; its slot becomes reusable. */
void tf_cache_pop_evicted(tf_cache *c);

/* Live entries, most recent first (NULL at the end). Any change to the
 * cache invalidates the pointers. */
tf_cache_entry *tf_cache_first(const tf_cache *c);
tf_cache_entry *tf_cache_next(const tf_cache *c, const tf_cache_entry *e);
const uint64_t *tf_cache_entry_key(const tf_cache_entry *e, size_t *nwords);
uint32_t tf_cache_entry_slot(const tf_cache_entry *e);
double tf_cache_entry_expires(const tf_cache_entry *e);

/* A scratch buffer of at least n words owned by the cache, for keys too
 * long for the caller's stack buffer. NULL when out of memory. */
uint64_t *tf_cache_scratch(tf_cache *c, size_t nwords);

/* Counts a miss the caller decided without a lookup (a key naming a string
 * never interned cannot be in the cache). */
void tf_cache_count_miss(tf_cache *c);

void tf_cache_get_stats(const tf_cache *c, tf_cache_stats *out);
size_t tf_cache_count(const tf_cache *c);
/* Live entries with an expiry time: when 0, lookups need no clock. */
size_t tf_cache_expiring(const tf_cache *c);
size_t tf_cache_capacity(const tf_cache *c);
size_t tf_cache_max_bytes(const tf_cache *c);
/* Bytes the cache holds from its allocator (entries, tables, itself). */
size_t tf_cache_held_bytes(const tf_cache *c);

/* Walks every structure and checks the invariants (list links, counts,
 * byte total, hash chains, tag lists, slot accounting): 1 when consistent.
 * For tests; O(entries). */
int tf_cache_check(const tf_cache *c);

#endif

/* Token combinations of an update job, and its node index.
 *
 * A combination is the encoded key of one token map (the cache key words,
 * see tf_cache.h) and the ids of every token it depends on (its tags). Each
 * distinct combination gets a dense number (1, 2, 3...) in the order first
 * seen; numbers never change while the table lives.
 *
 * The node index remembers, per node position (1-based), the number of its
 * combination (0: the node has none: no tokens, or unreadable). It stores
 * each number in 1, 2 or 4 bytes, widening when a number no longer fits, so
 * a job with under 65536 combinations keeps 2 bytes a node.
 *
 * Every function that can allocate returns 0 on failure and leaves the
 * structure as it was. No Lua, no global state. */
#ifndef TF_COMBOS_H
#define TF_COMBOS_H

#include <stddef.h>
#include <stdint.h>

#include "tf_mem.h"

typedef struct tf_combos tf_combos;

/* NULL when out of memory. */
tf_combos *tf_combos_new(tf_mem mem);
void tf_combos_free(tf_combos *c);

/* The number of the combination with these key words, or 0. Never allocates. */
uint32_t tf_combos_find(const tf_combos *c, const uint64_t *key, size_t nwords);
/* Adds a combination not yet present with its tags (duplicates kept as
 * given); returns its number, 0 when out of memory. */
uint32_t tf_combos_add(tf_combos *c, const uint64_t *key, size_t nwords, const uint32_t *tags, size_t ntags);
uint32_t tf_combos_count(const tf_combos *c);
/* The key words of combination n (1..count). */
const uint64_t *tf_combos_key(const tf_combos *c, uint32_t n, size_t *nwords);
/* The tags of combination n. */
const uint32_t *tf_combos_tags(const tf_combos *c, uint32_t n, size_t *ntags);
/* 1 when combination n carries a tag t with t < nmarked and marked[t] != 0. */
int tf_combos_depends(const tf_combos *c, uint32_t n, const uint8_t *marked, size_t nmarked);

/* Node index: remembers combination n for node position pos (>= 1).
 * Positions may come in any order; unset ones read as 0. Returns 0 when out
 * of memory. `hint` (0: none) is the expected number of positions, used for
 * the first allocation. */
int tf_combos_index_set(tf_combos *c, uint64_t pos, uint32_t n, uint64_t hint);
/* The combination of node position pos, 0 when none was set. */
uint32_t tf_combos_index_get(const tf_combos *c, uint64_t pos);
/* Highest position set so far (0: none). */
uint64_t tf_combos_index_len(const tf_combos *c);
/* Bytes per node in the index now (1, 2 or 4). */
unsigned tf_combos_index_width(const tf_combos *c);
/* Drops the node index (the combinations stay). */
void tf_combos_index_clear(tf_combos *c);

/* Bytes held from the allocator. */
size_t tf_combos_held_bytes(const tf_combos *c);

#endif

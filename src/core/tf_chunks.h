/* Adaptive chunk-size controller for the chunked iterator.
 *
 * The iterator hands out a chunk, the caller processes it, and the next call
 * reports how long that took. The controller keeps a smoothed cost per item
 * and sizes the next chunk so its processing lands near the time budget,
 * never outside [min_size, max_size] and never more than doubling at once
 * (one fast chunk must not produce a huge one). Fixed-size mode always
 * answers the fixed size. No allocation, no Lua. */
#ifndef TF_CHUNKS_H
#define TF_CHUNKS_H

#include <stddef.h>

typedef struct tf_chunk_ctl {
  size_t size;        /* size of the next chunk */
  size_t min_size, max_size;
  double budget_s;    /* target processing time per chunk; <= 0: fixed size */
  double item_cost_s; /* smoothed seconds per item, 0 until measured */
} tf_chunk_ctl;

/* Fixed chunks of `size` items (size >= 1). */
void tf_chunk_fixed(tf_chunk_ctl *c, size_t size);
/* Adaptive chunks: start at `start`, aim at budget_s seconds per chunk.
 * Arguments are clamped to a consistent state (min >= 1, max >= min). */
void tf_chunk_adaptive(tf_chunk_ctl *c, size_t start, size_t min_size, size_t max_size, double budget_s);
/* Reports that the last chunk of `count` items took `elapsed_s` to
 * process, and returns the size of the next chunk. */
size_t tf_chunk_observe(tf_chunk_ctl *c, size_t count, double elapsed_s);

#endif

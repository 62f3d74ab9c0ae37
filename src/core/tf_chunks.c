#include "tf_chunks.h"

/* Weight of the newest measurement in the smoothed cost: high enough to
 * follow a real change within a few chunks, low enough that one chunk
 * interrupted by the scheduler does not swing the size. */
#define TF_CHUNK_SMOOTHING 0.3

static size_t clamp(size_t v, size_t lo, size_t hi) { return v < lo ? lo : v > hi ? hi : v; }

void tf_chunk_fixed(tf_chunk_ctl *c, size_t size) {
  if (size < 1) size = 1;
  c->size = c->min_size = c->max_size = size;
  c->budget_s = 0;
  c->item_cost_s = 0;
}

void tf_chunk_adaptive(tf_chunk_ctl *c, size_t start, size_t min_size, size_t max_size, double budget_s) {
  if (min_size < 1) min_size = 1;
  if (max_size < min_size) max_size = min_size;
  c->min_size = min_size;
  c->max_size = max_size;
  c->size = clamp(start, min_size, max_size);
  c->budget_s = budget_s > 0 ? budget_s : 0;
  c->item_cost_s = 0;
}

size_t tf_chunk_observe(tf_chunk_ctl *c, size_t count, double elapsed_s) {
  double cost, target;
  if (c->budget_s <= 0 || count == 0 || !(elapsed_s >= 0)) return c->size;
  cost = elapsed_s / (double)count;
  c->item_cost_s = c->item_cost_s > 0 ? c->item_cost_s + TF_CHUNK_SMOOTHING * (cost - c->item_cost_s) : cost;
  if (c->item_cost_s <= 0) {
    /* below the clock's resolution: grow as fast as allowed */
    target = (double)c->size * 2;
  } else {
    target = c->budget_s / c->item_cost_s;
    if (target > (double)c->size * 2) target = (double)c->size * 2;
  }
  if (target < (double)c->min_size) target = (double)c->min_size;
  if (target > (double)c->max_size) target = (double)c->max_size;
  c->size = clamp((size_t)target, c->min_size, c->max_size);
  return c->size;
}

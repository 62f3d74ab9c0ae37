/* Bookkeeping for the bounded task pool: a fixed set of slots (one per
 * queued, delayed, running or parked task), FIFO lanes by priority, a heap of
 * retry delays and a heap of timeout deadlines, and the pool's jitter PRNG.
 *
 * Everything is allocated by tf_pool_new (capacity is a hard bound), so no
 * operation after it can fail. Slots are numbers 1..capacity; the binding
 * maps them to its task objects. No Lua, no global state. */
#ifndef TF_POOL_H
#define TF_POOL_H

#include <stdint.h>

#include "tf_mem.h"

typedef struct tf_pool tf_pool;

/* Lanes, served in this order. TF_LANE_WOKEN holds parked tasks that were
 * woken: they already hold a worker, so they run ahead of new tasks. */
enum { TF_LANE_WOKEN, TF_LANE_HIGH, TF_LANE_NORMAL, TF_LANE_LOW, TF_LANES };

/* NULL when out of memory or capacity is 0 or too large. seed feeds the jitter PRNG. */
tf_pool *tf_pool_new(tf_mem mem, uint32_t capacity, uint64_t seed);
void tf_pool_free(tf_pool *p);

uint32_t tf_pool_capacity(const tf_pool *p);
/* Slots in use. */
uint32_t tf_pool_used(const tf_pool *p);
/* Bytes held from the allocator. */
size_t tf_pool_bytes(const tf_pool *p);

/* A free slot, or 0 when all capacity slots are in use. */
uint32_t tf_pool_acquire(tf_pool *p);
/* Frees a slot, taking it out of its lane and both heaps first. */
void tf_pool_release(tf_pool *p, uint32_t slot);

/* Appends slot to a lane (it must be in no lane and not delayed). */
void tf_pool_push(tf_pool *p, uint32_t slot, int lane);
/* Takes the first slot of the first non-empty lane; with new_tasks == 0
 * only TF_LANE_WOKEN is looked at. 0 when nothing is ready. */
uint32_t tf_pool_pop(tf_pool *p, int new_tasks);
/* Slots waiting in lane (TF_LANES: in all lanes). */
uint32_t tf_pool_ready(const tf_pool *p, int lane);
/* The lane slot is in, or -1. */
int tf_pool_lane_of(const tf_pool *p, uint32_t slot);

/* Retry delays: slot becomes ready at time `at` (it must be in no lane). */
void tf_pool_delay(tf_pool *p, uint32_t slot, double at);
/* A delayed slot whose time has come (removed from the delays), or 0. */
uint32_t tf_pool_pop_due(tf_pool *p, double now);
uint32_t tf_pool_delayed(const tf_pool *p);

/* Timeouts: one deadline per slot, independent of lanes and delays. */
void tf_pool_set_deadline(tf_pool *p, uint32_t slot, double at);
void tf_pool_clear_deadline(tf_pool *p, uint32_t slot);
/* A slot whose deadline is <= now (its deadline is cleared), or 0. */
uint32_t tf_pool_pop_expired(tf_pool *p, double now);
uint32_t tf_pool_deadlines(const tf_pool *p);

/* Earliest pending delay (and, when with_deadlines, deadline); HUGE_VAL when none. */
double tf_pool_next_event(const tf_pool *p, int with_deadlines);

/* delay scaled by a factor drawn uniformly from [0.5, 1) ("equal jitter"),
 * so retries of tasks that failed together spread out. */
double tf_pool_jitter(tf_pool *p, double delay);

#endif

/* Fuzz target: the task pool's bookkeeping (src/core/tf_pool) driven by a
 * byte program, checked after every operation against a simple model.
 *
 * Input: byte 0 sets the capacity (1..16); then operations, each an opcode
 * byte and its arguments: acquire | release slot | push slot lane |
 * pop new_tasks | delay slot at | pop_due | set_deadline slot at |
 * clear_deadline slot | pop_expired | clock +d | jitter d.
 * Operations the API forbids (pushing a slot already in a lane, delaying a
 * slot in a lane, touching a free slot) are skipped, as the binding never
 * makes them. The model keeps each slot's state, the lanes as FIFO arrays
 * and the delay and deadline times; pops must return the lane heads in lane
 * order and the earliest due time (any slot among equal times). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tf_pool.h"
#include "tf_test.h" /* the counting allocator */

#define MAXCAP 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct model {
  uint32_t cap, used;
  int in_use[MAXCAP + 1];
  int lane_of[MAXCAP + 1];
  double delay[MAXCAP + 1];    /* < 0: not delayed */
  double deadline[MAXCAP + 1]; /* < 0: none */
  uint32_t lane[TF_LANES][MAXCAP];
  uint32_t lane_n[TF_LANES];
} model;

#define FAIL(...)                                \
  do {                                           \
    fprintf(stderr, "fuzz_pool: " __VA_ARGS__);  \
    fputc('\n', stderr);                         \
    abort();                                     \
  } while (0)

static void lane_remove(model *m, uint32_t s) {
  int l = m->lane_of[s];
  uint32_t i, j = 0;
  if (l < 0) return;
  for (i = 0; i < m->lane_n[l]; i++)
    if (m->lane[l][i] != s) m->lane[l][j++] = m->lane[l][i];
  m->lane_n[l] = j;
  m->lane_of[s] = -1;
}

/* The earliest time <= now among times[] (< 0: absent), or -1. */
static double earliest(const model *m, const double *times, double now) {
  double best = -1;
  uint32_t s;
  for (s = 1; s <= m->cap; s++)
    if (m->in_use[s] && times[s] >= 0 && times[s] <= now && (best < 0 || times[s] < best)) best = times[s];
  return best;
}

static void compare(const tf_pool *p, const model *m, const tf_test_alloc *a, double now) {
  uint32_t s, nd = 0, ndl = 0, ready = 0;
  int l;
  double next = HUGE_VAL, next_dl = HUGE_VAL;
  if (tf_pool_used(p) != m->used) FAIL("%u slots used, the model %u", tf_pool_used(p), m->used);
  for (s = 1; s <= m->cap; s++) {
    if (!m->in_use[s]) continue;
    if (tf_pool_lane_of(p, s) != m->lane_of[s]) FAIL("slot %u in lane %d, the model %d", s, tf_pool_lane_of(p, s), m->lane_of[s]);
    if (m->delay[s] >= 0) {
      nd++;
      if (m->delay[s] < next) next = m->delay[s];
    }
    if (m->deadline[s] >= 0) {
      ndl++;
      if (m->deadline[s] < next_dl) next_dl = m->deadline[s];
    }
  }
  for (l = 0; l < TF_LANES; l++) {
    if (tf_pool_ready(p, l) != m->lane_n[l]) FAIL("lane %d holds %u, the model %u", l, tf_pool_ready(p, l), m->lane_n[l]);
    ready += m->lane_n[l];
  }
  if (tf_pool_ready(p, TF_LANES) != ready) FAIL("%u ready in all lanes, the model %u", tf_pool_ready(p, TF_LANES), ready);
  if (tf_pool_delayed(p) != nd) FAIL("%u delayed, the model %u", tf_pool_delayed(p), nd);
  if (tf_pool_deadlines(p) != ndl) FAIL("%u deadlines, the model %u", tf_pool_deadlines(p), ndl);
  if (tf_pool_next_event(p, 0) != next) FAIL("next event %g, the model %g", tf_pool_next_event(p, 0), next);
  if (next_dl < next) next = next_dl;
  if (tf_pool_next_event(p, 1) != next) FAIL("next event with deadlines %g, the model %g", tf_pool_next_event(p, 1), next);
  if (tf_pool_bytes(p) != a->bytes) FAIL("pool says %zu bytes, the allocator %zu", tf_pool_bytes(p), a->bytes);
  (void)now;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tf_test_alloc a;
  tf_mem mem = tf_test_mem(&a, -1, 0);
  tf_pool *p;
  model m;
  size_t i = 1;
  double now = 0;
  uint32_t s;
  if (size < 1) return 0;
  memset(&m, 0, sizeof m);
  m.cap = 1 + data[0] % MAXCAP;
  for (s = 0; s <= MAXCAP; s++) {
    m.lane_of[s] = -1;
    m.delay[s] = m.deadline[s] = -1;
  }
  p = tf_pool_new(mem, m.cap, data[0]);
  if (p == NULL) FAIL("tf_pool_new failed");
  if (tf_pool_capacity(p) != m.cap) FAIL("capacity %u, asked %u", tf_pool_capacity(p), m.cap);
  while (i < size) {
    uint8_t op = data[i++];
#define ARG() (i < size ? data[i++] : 0)
#define SLOT() (1 + ARG() % m.cap)
    switch (op % 11) {
    case 0:
      s = tf_pool_acquire(p);
      if (m.used == m.cap) {
        if (s != 0) FAIL("acquire: slot %u from a full pool", s);
      } else {
        if (s == 0 || s > m.cap || m.in_use[s]) FAIL("acquire: bad slot %u", s);
        m.in_use[s] = 1;
        m.used++;
      }
      break;
    case 1:
      s = SLOT();
      tf_pool_release(p, s); /* releasing a free slot does nothing */
      if (m.in_use[s]) {
        lane_remove(&m, s);
        m.in_use[s] = 0;
        m.delay[s] = m.deadline[s] = -1;
        m.used--;
      }
      break;
    case 2: {
      int l = ARG() % TF_LANES;
      s = SLOT();
      if (!m.in_use[s] || m.lane_of[s] >= 0 || m.delay[s] >= 0) break;
      tf_pool_push(p, s, l);
      m.lane[l][m.lane_n[l]++] = s;
      m.lane_of[s] = l;
      break;
    }
    case 3: {
      int new_tasks = ARG() & 1, l, last = new_tasks ? TF_LANES - 1 : TF_LANE_WOKEN;
      uint32_t want = 0;
      for (l = 0; l <= last && want == 0; l++)
        if (m.lane_n[l] > 0) want = m.lane[l][0];
      s = tf_pool_pop(p, new_tasks);
      if (s != want) FAIL("pop(%d): slot %u, the model %u", new_tasks, s, want);
      if (s) lane_remove(&m, s);
      break;
    }
    case 4: {
      double at = now + ARG() % 8;
      s = SLOT();
      if (!m.in_use[s] || m.lane_of[s] >= 0) break;
      tf_pool_delay(p, s, at);
      m.delay[s] = at;
      break;
    }
    case 5: {
      double want = earliest(&m, m.delay, now);
      s = tf_pool_pop_due(p, now);
      if (want < 0) {
        if (s != 0) FAIL("pop_due: slot %u, nothing is due", s);
      } else {
        if (s == 0 || s > m.cap || !m.in_use[s] || m.delay[s] != want)
          FAIL("pop_due: slot %u, the earliest due time is %g", s, want);
        m.delay[s] = -1;
      }
      break;
    }
    case 6: {
      double at = now + ARG() % 8;
      s = SLOT();
      if (!m.in_use[s]) break;
      tf_pool_set_deadline(p, s, at);
      m.deadline[s] = at;
      break;
    }
    case 7:
      s = SLOT();
      if (!m.in_use[s]) break;
      tf_pool_clear_deadline(p, s);
      m.deadline[s] = -1;
      break;
    case 8: {
      double want = earliest(&m, m.deadline, now);
      s = tf_pool_pop_expired(p, now);
      if (want < 0) {
        if (s != 0) FAIL("pop_expired: slot %u, nothing expired", s);
      } else {
        if (s == 0 || s > m.cap || !m.in_use[s] || m.deadline[s] != want)
          FAIL("pop_expired: slot %u, the earliest deadline is %g", s, want);
        m.deadline[s] = -1;
      }
      break;
    }
    case 9:
      now += ARG() % 4;
      break;
    default: {
      double d = (double)(ARG() % 64), j = tf_pool_jitter(p, d);
      if (!(j >= d * 0.5 && (j < d || d == 0))) FAIL("jitter(%g) = %g, outside [d/2, d)", d, j);
      break;
    }
    }
#undef SLOT
#undef ARG
    compare(p, &m, &a, now);
  }
  tf_pool_free(p);
  if (a.live != 0 || a.bytes != 0) FAIL("%ld blocks (%zu bytes) left after tf_pool_free", a.live, a.bytes);
  return 0;
}

#include "tf_pool.h"

#include <math.h>
#include <string.h>

enum { HEAP_DELAY, HEAP_DEADLINE, HEAPS };

typedef struct slot_rec {
  uint32_t prev, next;    /* lane links (next doubles as the free-list link) */
  int8_t lane;            /* -1: in no lane */
  uint8_t used;
  uint32_t pos[HEAPS];    /* 1-based position in each heap, 0: absent */
  double key[HEAPS];
} slot_rec;

typedef struct lane {
  uint32_t head, tail, count;
} lane;

struct tf_pool {
  tf_mem mem;
  uint32_t capacity, used, free_head;
  slot_rec *slots;        /* [1..capacity], 0 unused */
  uint32_t *heap[HEAPS];  /* [1..n] slot numbers, min-heap on key */
  uint32_t heap_n[HEAPS];
  lane lanes[TF_LANES];
  uint64_t rng;
};

/* Keep slot numbers, heap positions and byte counts inside 32 bits. */
#define TF_POOL_MAX_CAPACITY (1u << 26)

tf_pool *tf_pool_new(tf_mem mem, uint32_t capacity, uint64_t seed) {
  tf_pool *p;
  size_t nslots = (size_t)capacity + 1;
  int h;
  uint32_t i;
  if (capacity == 0 || capacity > TF_POOL_MAX_CAPACITY) return NULL;
  p = (tf_pool *)tf_mem_alloc(&mem, sizeof *p);
  if (p == NULL) return NULL;
  memset(p, 0, sizeof *p);
  p->mem = mem;
  p->capacity = capacity;
  p->slots = (slot_rec *)tf_mem_alloc(&p->mem, nslots * sizeof(slot_rec));
  for (h = 0; h < HEAPS && p->slots != NULL; h++) {
    p->heap[h] = (uint32_t *)tf_mem_alloc(&p->mem, nslots * sizeof(uint32_t));
    if (p->heap[h] == NULL) break;
  }
  if (p->slots == NULL || h < HEAPS) {
    tf_pool_free(p);
    return NULL;
  }
  memset(p->slots, 0, nslots * sizeof(slot_rec));
  for (i = 1; i <= capacity; i++) {
    p->slots[i].lane = -1;
    p->slots[i].next = i < capacity ? i + 1 : 0;
  }
  p->free_head = 1;
  /* xorshift64* must not start at 0 */
  p->rng = seed ? seed : 0x9E3779B97F4A7C15u;
  return p;
}

void tf_pool_free(tf_pool *p) {
  tf_mem mem;
  size_t nslots;
  int h;
  if (p == NULL) return;
  nslots = (size_t)p->capacity + 1;
  for (h = 0; h < HEAPS; h++) tf_mem_free(&p->mem, p->heap[h], nslots * sizeof(uint32_t));
  tf_mem_free(&p->mem, p->slots, nslots * sizeof(slot_rec));
  mem = p->mem; /* the struct is accounted in its own tf_mem: free through a copy */
  tf_mem_free(&mem, p, sizeof *p);
}

uint32_t tf_pool_capacity(const tf_pool *p) { return p->capacity; }
uint32_t tf_pool_used(const tf_pool *p) { return p->used; }
size_t tf_pool_bytes(const tf_pool *p) { return p->mem.bytes; }

uint32_t tf_pool_acquire(tf_pool *p) {
  uint32_t s = p->free_head;
  if (s == 0) return 0;
  p->free_head = p->slots[s].next;
  p->slots[s].next = p->slots[s].prev = 0;
  p->slots[s].used = 1;
  p->used++;
  return s;
}

/* --- lanes ------------------------------------------------------------- */

static void lane_unlink(tf_pool *p, uint32_t s) {
  slot_rec *r = &p->slots[s];
  lane *l;
  if (r->lane < 0) return;
  l = &p->lanes[r->lane];
  if (r->prev) p->slots[r->prev].next = r->next;
  else l->head = r->next;
  if (r->next) p->slots[r->next].prev = r->prev;
  else l->tail = r->prev;
  l->count--;
  r->prev = r->next = 0;
  r->lane = -1;
}

void tf_pool_push(tf_pool *p, uint32_t s, int ln) {
  slot_rec *r = &p->slots[s];
  lane *l = &p->lanes[ln];
  r->lane = (int8_t)ln;
  r->next = 0;
  r->prev = l->tail;
  if (l->tail) p->slots[l->tail].next = s;
  else l->head = s;
  l->tail = s;
  l->count++;
}

uint32_t tf_pool_pop(tf_pool *p, int new_tasks) {
  int ln, last = new_tasks ? TF_LANES - 1 : TF_LANE_WOKEN;
  for (ln = 0; ln <= last; ln++) {
    uint32_t s = p->lanes[ln].head;
    if (s) {
      lane_unlink(p, s);
      return s;
    }
  }
  return 0;
}

uint32_t tf_pool_ready(const tf_pool *p, int ln) {
  uint32_t n = 0;
  int i;
  if (ln >= 0 && ln < TF_LANES) return p->lanes[ln].count;
  for (i = 0; i < TF_LANES; i++) n += p->lanes[i].count;
  return n;
}

int tf_pool_lane_of(const tf_pool *p, uint32_t s) { return p->slots[s].lane; }

/* --- heaps ------------------------------------------------------------- */

static int heap_less(const tf_pool *p, int h, uint32_t a, uint32_t b) { return p->slots[a].key[h] < p->slots[b].key[h]; }

static void heap_set(tf_pool *p, int h, uint32_t i, uint32_t s) {
  p->heap[h][i] = s;
  p->slots[s].pos[h] = i;
}

static void heap_up(tf_pool *p, int h, uint32_t i) {
  uint32_t s = p->heap[h][i];
  while (i > 1 && heap_less(p, h, s, p->heap[h][i / 2])) {
    heap_set(p, h, i, p->heap[h][i / 2]);
    i /= 2;
  }
  heap_set(p, h, i, s);
}

static void heap_down(tf_pool *p, int h, uint32_t i) {
  uint32_t s = p->heap[h][i], n = p->heap_n[h];
  for (;;) {
    uint32_t c = 2 * i;
    if (c > n) break;
    if (c < n && heap_less(p, h, p->heap[h][c + 1], p->heap[h][c])) c++;
    if (!heap_less(p, h, p->heap[h][c], s)) break;
    heap_set(p, h, i, p->heap[h][c]);
    i = c;
  }
  heap_set(p, h, i, s);
}

static void heap_remove(tf_pool *p, int h, uint32_t s) {
  uint32_t i = p->slots[s].pos[h], last;
  if (i == 0) return;
  p->slots[s].pos[h] = 0;
  last = p->heap[h][p->heap_n[h]--];
  if (last == s) return;
  heap_set(p, h, i, last);
  heap_up(p, h, i);
  heap_down(p, h, p->slots[last].pos[h]);
}

static void heap_insert(tf_pool *p, int h, uint32_t s, double key) {
  heap_remove(p, h, s);
  p->slots[s].key[h] = key;
  heap_set(p, h, ++p->heap_n[h], s);
  heap_up(p, h, p->heap_n[h]);
}

static uint32_t heap_pop_until(tf_pool *p, int h, double now) {
  uint32_t s;
  if (p->heap_n[h] == 0) return 0;
  s = p->heap[h][1];
  if (p->slots[s].key[h] > now) return 0;
  heap_remove(p, h, s);
  return s;
}

void tf_pool_delay(tf_pool *p, uint32_t s, double at) { heap_insert(p, HEAP_DELAY, s, at); }
uint32_t tf_pool_pop_due(tf_pool *p, double now) { return heap_pop_until(p, HEAP_DELAY, now); }
uint32_t tf_pool_delayed(const tf_pool *p) { return p->heap_n[HEAP_DELAY]; }

void tf_pool_set_deadline(tf_pool *p, uint32_t s, double at) { heap_insert(p, HEAP_DEADLINE, s, at); }
void tf_pool_clear_deadline(tf_pool *p, uint32_t s) { heap_remove(p, HEAP_DEADLINE, s); }
uint32_t tf_pool_pop_expired(tf_pool *p, double now) { return heap_pop_until(p, HEAP_DEADLINE, now); }
uint32_t tf_pool_deadlines(const tf_pool *p) { return p->heap_n[HEAP_DEADLINE]; }

double tf_pool_next_event(const tf_pool *p, int with_deadlines) {
  double t = HUGE_VAL;
  if (p->heap_n[HEAP_DELAY]) t = p->slots[p->heap[HEAP_DELAY][1]].key[HEAP_DELAY];
  if (with_deadlines && p->heap_n[HEAP_DEADLINE]) {
    double d = p->slots[p->heap[HEAP_DEADLINE][1]].key[HEAP_DEADLINE];
    if (d < t) t = d;
  }
  return t;
}

void tf_pool_release(tf_pool *p, uint32_t s) {
  slot_rec *r = &p->slots[s];
  if (!r->used) return;
  lane_unlink(p, s);
  heap_remove(p, HEAP_DELAY, s);
  heap_remove(p, HEAP_DEADLINE, s);
  r->used = 0;
  r->next = p->free_head;
  p->free_head = s;
  p->used--;
}

/* --- jitter ------------------------------------------------------------ */

double tf_pool_jitter(tf_pool *p, double delay) {
  uint64_t x = p->rng;
  double u;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  p->rng = x;
  u = (double)((x * 0x2545F4914F6CDD1Du) >> 11) * (1.0 / 9007199254740992.0); /* [0, 1) */
  return delay * (0.5 + 0.5 * u);
}

/* Spatial index core: edge cases of rectangles and ids, exactly-once query
 * results against a brute-force scan under random inserts, moves and
 * removes, and out-of-memory sweeps. */
#include <math.h>
#include <stdint.h>

#include "tf_spatial.h"
#include "tf_test.h"

#define MAXR 512

/* Query results collected as a count per integer id (ids 0..MAXR-1). */
typedef struct hits {
  int seen[MAXR];
  int total;
  int dup;
  int stop_after; /* 0: never stop */
} hits;

static int collect(void *ud, tf_spatial_id id) {
  hits *h = (hits *)ud;
  h->total++;
  if (id.value >= 0 && id.value < MAXR) {
    if (h->seen[id.value]++) h->dup++;
  }
  return h->stop_after && h->total >= h->stop_after;
}

static tf_spatial_id iid(int64_t v) {
  tf_spatial_id id;
  id.value = v;
  id.kind = 0;
  return id;
}

static void query(const tf_spatial *s, hits *h, double x, double y, double w, double h_) {
  memset(h, 0, sizeof *h);
  tf_spatial_query(s, x, y, w, h_, collect, h);
}

static void test_basics(tf_test_ctx *t) {
  tf_spatial *s = tf_spatial_new(tf_mem_default(), 10, TF_SPATIAL_MAX_CELLS);
  hits h;
  double x, y, w, hh;
  tf_spatial_id sid;
  CHECK(t, s != NULL);
  CHECK(t, tf_spatial_insert(s, iid(1), 0, 0, 5, 5) == TF_SPATIAL_OK);
  CHECK(t, tf_spatial_insert(s, iid(2), 20, 20, 0, 0) == TF_SPATIAL_OK); /* a point */
  CHECK(t, tf_spatial_insert(s, iid(3), -35, -35, 10, 10) == TF_SPATIAL_OK);
  CHECK(t, tf_spatial_insert(s, iid(1), 1, 1, 1, 1) == TF_SPATIAL_EXISTS);
  /* the same value as a string id is another id */
  sid.value = 1;
  sid.kind = 1;
  CHECK(t, tf_spatial_insert(s, sid, 100, 100, 1, 1) == TF_SPATIAL_OK);
  CHECK(t, tf_spatial_count(s) == 4);
  query(s, &h, -1, -1, 7, 7);
  CHECK(t, h.total == 1 && h.seen[1] == 1);
  /* closed rectangles: touching edges overlap, the point is found on an edge */
  query(s, &h, 5, 5, 15, 15);
  CHECK(t, h.total == 2 && h.seen[1] && h.seen[2]);
  query(s, &h, 20, 20, 0, 0);
  CHECK(t, h.total == 1 && h.seen[2]);
  query(s, &h, 20.5, 20, 1, 1);
  CHECK(t, h.total == 0);
  /* negative coordinates */
  query(s, &h, -30, -30, 1, 1);
  CHECK(t, h.total == 1 && h.seen[3]);
  query(s, &h, -24.9, -24.9, 1, 1);
  CHECK(t, h.total == 0);
  /* update moves, remove forgets */
  CHECK(t, tf_spatial_update(s, iid(3), 50, 50, 1, 1) == TF_SPATIAL_OK);
  query(s, &h, -30, -30, 1, 1);
  CHECK(t, h.total == 0);
  CHECK(t, tf_spatial_get(s, iid(3), &x, &y, &w, &hh) && x == 50 && y == 50 && w == 1 && hh == 1);
  CHECK(t, tf_spatial_update(s, iid(9), 0, 0, 1, 1) == TF_SPATIAL_MISSING);
  CHECK(t, tf_spatial_remove(s, iid(9)) == TF_SPATIAL_MISSING);
  CHECK(t, tf_spatial_remove(s, iid(3)) == TF_SPATIAL_OK && tf_spatial_remove(s, iid(3)) == TF_SPATIAL_MISSING);
  CHECK(t, !tf_spatial_get(s, iid(3), NULL, NULL, NULL, NULL));
  CHECK(t, tf_spatial_count(s) == 3);
  /* the freed slot is reused */
  CHECK(t, tf_spatial_insert(s, iid(4), 0, 0, 1, 1) == TF_SPATIAL_OK);
  /* coordinates floats cannot hold are tested on their doubles */
  CHECK(t, tf_spatial_insert(s, iid(5), 0.1, 300, 0.2, 0) == TF_SPATIAL_OK);
  query(s, &h, 0.1 + 0.2, 300, 0, 0);
  CHECK(t, h.total == 1 && h.seen[5]);
  query(s, &h, nextafter(0.1 + 0.2, 1), 300, 0, 0);
  CHECK(t, h.total == 0);
  /* a move inside the same cells updates the box the cells hold */
  CHECK(t, tf_spatial_update(s, iid(5), 0.5, 300, 0, 0) == TF_SPATIAL_OK);
  query(s, &h, 0.1, 300, 0.2, 0);
  CHECK(t, h.total == 0);
  query(s, &h, 0.5, 300, 0, 0);
  CHECK(t, h.total == 1 && h.seen[5]);
  CHECK(t, tf_spatial_remove(s, iid(5)) == TF_SPATIAL_OK);
  /* a visitor can stop the query */
  memset(&h, 0, sizeof h);
  h.stop_after = 1;
  tf_spatial_query(s, -1000, -1000, 2000, 2000, collect, &h);
  CHECK(t, h.total == 1);
  CHECK(t, tf_spatial_check(s));
  tf_spatial_free(s);
}

static void test_bad_input(tf_test_ctx *t) {
  tf_spatial *s = tf_spatial_new(tf_mem_default(), 10, 4);
  hits h;
  double inf = HUGE_VAL, nan = sqrt(-1.0);
  CHECK(t, tf_spatial_new(tf_mem_default(), 0, 4) == NULL);
  CHECK(t, tf_spatial_new(tf_mem_default(), -1, 4) == NULL);
  CHECK(t, tf_spatial_new(tf_mem_default(), nan, 4) == NULL);
  CHECK(t, tf_spatial_new(tf_mem_default(), inf, 4) == NULL);
  CHECK(t, tf_spatial_new(tf_mem_default(), ldexp(1.0, -1030), 4) == NULL); /* 1/cell overflows */
  CHECK(t, tf_spatial_new(tf_mem_default(), 10, 0) == NULL);
  CHECK(t, tf_spatial_insert(s, iid(1), nan, 0, 1, 1) == TF_SPATIAL_BADRECT);
  CHECK(t, tf_spatial_insert(s, iid(1), 0, inf, 1, 1) == TF_SPATIAL_BADRECT);
  CHECK(t, tf_spatial_insert(s, iid(1), 0, 0, -1, 1) == TF_SPATIAL_BADRECT);
  CHECK(t, tf_spatial_insert(s, iid(1), 0, 0, 1, nan) == TF_SPATIAL_BADRECT);
  CHECK(t, tf_spatial_insert(s, iid(1), 1.5e308, 0, 1.5e308, 1) == TF_SPATIAL_BADRECT); /* x + w overflows */
  CHECK(t, tf_spatial_count(s) == 0);
  CHECK(t, tf_spatial_insert(s, iid(1), 0, 0, 1, 1) == TF_SPATIAL_OK);
  CHECK(t, tf_spatial_update(s, iid(1), 0, 0, -inf, 1) == TF_SPATIAL_BADRECT);
  CHECK(t, tf_spatial_get(s, iid(1), NULL, NULL, NULL, NULL));
  memset(&h, 0, sizeof h);
  CHECK(t, tf_spatial_query(s, nan, 0, 1, 1, collect, &h) == TF_SPATIAL_BADRECT && h.total == 0);
  CHECK(t, tf_spatial_check(s));
  tf_spatial_free(s);
}

static void test_big_and_huge(tf_test_ctx *t) {
  tf_spatial *s = tf_spatial_new(tf_mem_default(), 1, 16);
  tf_spatial_stats st;
  hits h;
  /* 3 x 3 cells: in cells; 1000 x 1000 cells: overflow */
  CHECK(t, tf_spatial_insert(s, iid(1), 0.5, 0.5, 2, 2) == TF_SPATIAL_OK);
  CHECK(t, tf_spatial_insert(s, iid(2), -500, -500, 1000, 1000) == TF_SPATIAL_OK);
  /* huge coordinates clamp to the border cells but stay exact */
  CHECK(t, tf_spatial_insert(s, iid(3), 1e300, -1e300, 1, 1) == TF_SPATIAL_OK);
  CHECK(t, tf_spatial_insert(s, iid(4), 1e300, -1e300, 1e299, 0) == TF_SPATIAL_OK);
  CHECK(t, tf_spatial_insert(s, iid(5), -8e307, 0, 1.6e308, 1) == TF_SPATIAL_OK);
  tf_spatial_get_stats(s, &st);
  CHECK(t, st.count == 5 && st.overflow == 2 && st.refs == 9 + 1 + 1 && st.max_cells == 16);
  query(s, &h, 1, 1, 0, 0);
  CHECK(t, h.total == 3 && h.seen[1] == 1 && h.seen[2] == 1 && h.seen[5] == 1 && h.dup == 0);
  query(s, &h, 1e300, -1e300, 0, 0);
  CHECK(t, h.total == 2 && h.seen[3] && h.seen[4]);
  query(s, &h, 1.05e300, -1e300, 0, 0);
  CHECK(t, h.total == 1 && h.seen[4]);
  /* a query far bigger than the occupied cells walks the occupied ones */
  query(s, &h, -1e308, -1e308, 1.7e308, 1.7e308);
  CHECK(t, h.total == 5 && h.dup == 0);
  /* moving between cells and the overflow list, both ways */
  CHECK(t, tf_spatial_update(s, iid(1), 0, 0, 100, 100) == TF_SPATIAL_OK);
  CHECK(t, tf_spatial_update(s, iid(2), 3, 3, 0, 0) == TF_SPATIAL_OK);
  tf_spatial_get_stats(s, &st);
  CHECK(t, st.overflow == 2 && st.refs == 3);
  query(s, &h, 50, 50, 0, 0);
  CHECK(t, h.total == 1 && h.seen[1]);
  query(s, &h, 3, 3, 0, 0);
  CHECK(t, h.total == 2 && h.seen[1] && h.seen[2]);
  CHECK(t, tf_spatial_check(s));
  tf_spatial_free(s);
}

/* Random rectangles, moves and removes; every query must equal a scan. */
static unsigned long rng_state = 12345;
static double rnd(void) {
  rng_state = rng_state * 6364136223846793005UL + 1442695040888963407UL;
  return (double)((rng_state >> 33) & 0xffffff) / (double)0x1000000;
}

typedef struct model {
  int live[MAXR];
  double r[MAXR][4];
} model;

static void random_rect(double *r) {
  double big = rnd() < 0.05;
  r[0] = rnd() * 2000 - 1000;
  r[1] = rnd() * 2000 - 1000;
  r[2] = big ? rnd() * 3000 : (rnd() < 0.1 ? 0 : rnd() * 60);
  r[3] = big ? rnd() * 3000 : (rnd() < 0.1 ? 0 : rnd() * 60);
}

static int model_overlaps(const double *r, double x, double y, double w, double h) {
  return r[0] <= x + w && r[0] + r[2] >= x && r[1] <= y + h && r[1] + r[3] >= y;
}

static void test_against_scan(tf_test_ctx *t) {
  tf_spatial *s = tf_spatial_new(tf_mem_default(), 32, 64);
  static model m;
  int step, bad = 0, i;
  memset(&m, 0, sizeof m);
  for (step = 0; step < 20000; step++) {
    int id = (int)(rnd() * MAXR);
    double r[4], op = rnd();
    random_rect(r);
    if (op < 0.45) {
      int rc = tf_spatial_insert(s, iid(id), r[0], r[1], r[2], r[3]);
      if (rc != (m.live[id] ? TF_SPATIAL_EXISTS : TF_SPATIAL_OK)) bad++;
      if (!m.live[id]) memcpy(m.r[id], r, sizeof r);
      m.live[id] = 1;
    } else if (op < 0.75) {
      int rc = tf_spatial_update(s, iid(id), r[0], r[1], r[2], r[3]);
      if (rc != (m.live[id] ? TF_SPATIAL_OK : TF_SPATIAL_MISSING)) bad++;
      if (m.live[id]) memcpy(m.r[id], r, sizeof r);
    } else if (op < 0.9) {
      int rc = tf_spatial_remove(s, iid(id));
      if (rc != (m.live[id] ? TF_SPATIAL_OK : TF_SPATIAL_MISSING)) bad++;
      m.live[id] = 0;
    } else {
      hits h;
      double q[4];
      q[0] = rnd() * 2400 - 1200;
      q[1] = rnd() * 2400 - 1200;
      q[2] = rnd() < 0.1 ? 0 : rnd() * (rnd() < 0.2 ? 4000 : 300);
      q[3] = rnd() < 0.1 ? 0 : rnd() * (rnd() < 0.2 ? 4000 : 300);
      query(s, &h, q[0], q[1], q[2], q[3]);
      if (h.dup) bad++;
      for (i = 0; i < MAXR; i++)
        if (h.seen[i] != (m.live[i] && model_overlaps(m.r[i], q[0], q[1], q[2], q[3]))) bad++;
    }
    if (step % 1000 == 0 && !tf_spatial_check(s)) bad++;
  }
  CHECK(t, bad == 0);
  CHECK(t, tf_spatial_check(s));
  /* removing everything empties every table */
  for (i = 0; i < MAXR; i++)
    if (m.live[i]) CHECK(t, tf_spatial_remove(s, iid(i)) == TF_SPATIAL_OK);
  {
    tf_spatial_stats st;
    tf_spatial_get_stats(s, &st);
    CHECK(t, st.count == 0 && st.cells == 0 && st.refs == 0 && st.overflow == 0);
  }
  CHECK(t, tf_spatial_check(s));
  tf_spatial_free(s);
}

/* A scenario of 60 steps that needs many allocations (table growth, new
 * cells, item growth, overflow). Returns the steps that succeeded; each
 * failed one must have left the index as it was. */
static int scenario(tf_test_ctx *t, tf_spatial *s) {
  int i, ok = 0;
  for (i = 0; i < 60; i++) {
    size_t before = tf_spatial_count(s);
    int rc, k = i % 40;
    hits h;
    if (i < 40) {
      /* 40 rects in a few shared cells, every 7th spans 6 cells, every 13th overflows */
      double w = k % 13 == 0 ? 500 : (k % 7 == 0 ? 25 : 3);
      rc = tf_spatial_insert(s, iid(k), (k % 5) * 4.0 - 8, (k / 5) * 4.0 - 8, w, 12);
      if (rc == TF_SPATIAL_OK) ok++;
      else {
        CHECK(t, rc == TF_SPATIAL_NOMEM && tf_spatial_count(s) == before);
        CHECK(t, !tf_spatial_get(s, iid(k), NULL, NULL, NULL, NULL));
      }
    } else if (i < 55) {
      /* moves: into new far cells, into and out of the overflow list */
      double x0, y0, x, y, w;
      int had = tf_spatial_get(s, iid(k), &x0, &y0, NULL, NULL);
      x = (i % 3) * 97.0 - 40;
      y = -60.0 + i;
      w = i % 4 == 0 ? 900 : 30;
      rc = tf_spatial_update(s, iid(k), x, y, w, 5);
      if (!had) {
        CHECK(t, rc == TF_SPATIAL_MISSING);
        ok++;
      } else if (rc == TF_SPATIAL_OK) {
        ok++;
      } else {
        double x1, y1;
        CHECK(t, rc == TF_SPATIAL_NOMEM);
        CHECK(t, tf_spatial_get(s, iid(k), &x1, &y1, NULL, NULL) && x1 == x0 && y1 == y0);
      }
    } else {
      rc = tf_spatial_remove(s, iid(k));
      CHECK(t, rc == TF_SPATIAL_OK || rc == TF_SPATIAL_MISSING);
      ok++;
    }
    CHECK(t, tf_spatial_check(s));
    /* queries never allocate and see every id once */
    query(s, &h, -1e6, -1e6, 2e6, 2e6);
    CHECK(t, h.dup == 0 && (size_t)h.total == tf_spatial_count(s));
  }
  return ok;
}

static void test_oom_sweep(tf_test_ctx *t) {
  long n;
  int points = 0, done = 0, mode;
  for (mode = 0; mode < 2; mode++) {
    done = 0;
    for (n = 0; !done && n < 100000; n++) {
      tf_test_alloc a;
      tf_spatial *s = tf_spatial_new(tf_test_mem(&a, n, mode), 8, 16);
      int steps;
      if (s == NULL) {
        CHECK(t, a.live == 0);
        points++;
        continue;
      }
      steps = scenario(t, s);
      if (a.failures == 0) {
        CHECK(t, steps == 60);
        done = 1;
      } else {
        points++;
      }
      tf_spatial_free(s);
      CHECK(t, a.live == 0 && a.bytes == 0);
    }
    CHECK(t, done);
  }
  printf("spatial oom sweep: %d failure points\n", points);
}

static void test_stats_bytes(tf_test_ctx *t) {
  tf_test_alloc a;
  tf_spatial *s = tf_spatial_new(tf_test_mem(&a, -1, 0), 256, TF_SPATIAL_MAX_CELLS);
  tf_spatial_stats st;
  int i;
  for (i = 0; i < 1000; i++) CHECK(t, tf_spatial_insert(s, iid(i), (i % 50) * 100.0, (i / 50) * 100.0, 50, 50) == 0);
  tf_spatial_get_stats(s, &st);
  CHECK(t, st.count == 1000 && st.cells > 0 && st.refs >= 1000 && st.max_per_cell >= 1);
  CHECK(t, st.bytes == a.bytes && st.cell == 256);
  for (i = 0; i < 1000; i += 2) CHECK(t, tf_spatial_remove(s, iid(i)) == 0);
  CHECK(t, tf_spatial_count(s) == 500 && tf_spatial_check(s));
  tf_spatial_free(s);
  CHECK(t, a.live == 0);
}

int main(void) {
  tf_test_ctx t = {0, 0};
  test_basics(&t);
  test_bad_input(&t);
  test_big_and_huge(&t);
  test_against_scan(&t);
  test_stats_bytes(&t);
  test_oom_sweep(&t);
  return tf_test_report("test_spatial", &t);
}

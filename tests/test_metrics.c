/* Metrics core: counters, gauges, histograms (Prometheus buckets, the
 * inline recording path against the general one, quantile error bound),
 * label sets, the cardinality cap, registration errors, thresholds, and
 * out-of-memory sweeps. */
#include <math.h>
#include <stdint.h>

#include "tf_metrics.h"
#include "tf_test.h"

/* xorshift64*: deterministic values without global state */
typedef struct rng {
  uint64_t s;
} rng;

static double rnd(rng *r) { /* [0, 1) */
  r->s ^= r->s >> 12;
  r->s ^= r->s << 25;
  r->s ^= r->s >> 27;
  return (double)((r->s * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static tf_metric *reg_simple(tf_metrics *reg, tf_metric_kind kind, const char *name) {
  tf_metric *m = NULL;
  if (tf_metrics_register(reg, kind, name, "help", NULL, 0, NULL, 0, &m) != TF_METRICS_OK) return NULL;
  return m;
}

static void test_counters_and_gauges(tf_test_ctx *t) {
  tf_metrics *reg = tf_metrics_new(tf_mem_default(), 10);
  tf_metric *c = reg_simple(reg, TF_COUNTER, "nodes"), *c2, *g = reg_simple(reg, TF_GAUGE, "queue");
  CHECK(t, c != NULL && g != NULL);
  /* a counter is named with _total, and found by both names */
  CHECK(t, strcmp(c->name, "nodes_total") == 0);
  CHECK(t, tf_metrics_find(reg, "nodes") == c && tf_metrics_find(reg, "nodes_total") == c);
  CHECK(t, tf_metrics_find(reg, "node") == NULL && tf_metrics_find(reg, "queue_total") == NULL);
  /* registering again returns the same metric, under either name */
  CHECK(t, tf_metrics_register(reg, TF_COUNTER, "nodes_total", "x", NULL, 0, NULL, 0, &c2) == TF_METRICS_OK && c2 == c);
  CHECK(t, reg->nmetrics == 2);
  /* an unlabelled metric has its one series from the start, at 0 */
  CHECK(t, c->nseries == 1 && c->series[0]->value == 0);
  CHECK(t, tf_metrics_add(c, c->series[0], 1) == 0);
  CHECK(t, tf_metrics_add(c, c->series[0], 2.5) == 0);
  CHECK(t, c->series[0]->value == 3.5);
  CHECK(t, tf_metrics_set(g, g->series[0], 7) == 0);
  CHECK(t, tf_metrics_add(g, g->series[0], -10) == 0);
  CHECK(t, g->series[0]->value == -3);
  tf_metrics_set(g, g->series[0], NAN);
  CHECK(t, isnan(g->series[0]->value));
  tf_metrics_set(g, g->series[0], -HUGE_VAL);
  CHECK(t, g->series[0]->value == -HUGE_VAL);
  CHECK(t, strcmp(tf_metrics_kind_name(TF_COUNTER), "counter") == 0 &&
               strcmp(tf_metrics_kind_name(TF_GAUGE), "gauge") == 0 &&
               strcmp(tf_metrics_kind_name(TF_HISTOGRAM), "histogram") == 0);
  CHECK(t, reg->mem.bytes > 0);
  tf_metrics_free(reg);
}

static void test_names(tf_test_ctx *t) {
  static const char *const good[] = {"a", "_", ":", "a:b_c9", "ABC", "x_total", "__x"};
  static const char *const bad[] = {"", "9a", "a-b", "a b", "a.b", "é", "a\n"};
  size_t i;
  for (i = 0; i < sizeof good / sizeof good[0]; i++) CHECK(t, tf_metrics_valid_name(good[i]));
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) CHECK(t, !tf_metrics_valid_name(bad[i]));
  CHECK(t, tf_metrics_valid_label("a_9") && tf_metrics_valid_label("_x"));
  CHECK(t, !tf_metrics_valid_label("a:b") && !tf_metrics_valid_label("") && !tf_metrics_valid_label("1a"));
}

static void test_register_errors(tf_test_ctx *t) {
  tf_metrics *reg = tf_metrics_new(tf_mem_default(), 10);
  tf_metric *m;
  const char *one[] = {"phase"}, *two[] = {"phase", "kind"}, *le[] = {"le"}, *under[] = {"__x"},
             *dup[] = {"a", "a"}, *badl[] = {"a-b"};
  const char *many[TF_METRICS_MAX_LABELS + 1];
  double incr[] = {1, 2, 3}, flat[] = {1, 1}, down[] = {2, 1}, nan_b[] = {1, NAN}, inf_last[] = {1, 2, 3, HUGE_VAL},
         inf_first[] = {-HUGE_VAL, 1};
  double lots[TF_METRICS_MAX_BUCKETS + 1];
  int i;
  for (i = 0; i <= TF_METRICS_MAX_LABELS; i++) many[i] = "l";
  for (i = 0; i <= TF_METRICS_MAX_BUCKETS; i++) lots[i] = i;
  CHECK(t, tf_metrics_register(reg, TF_COUNTER, "a b", "", NULL, 0, NULL, 0, &m) == TF_METRICS_BAD_NAME && m == NULL);
  CHECK(t, tf_metrics_register(reg, TF_COUNTER, "a", "", badl, 1, NULL, 0, &m) == TF_METRICS_BAD_LABEL);
  CHECK(t, tf_metrics_register(reg, TF_HISTOGRAM, "a", "", le, 1, NULL, 0, &m) == TF_METRICS_RESERVED);
  CHECK(t, tf_metrics_register(reg, TF_GAUGE, "a", "", under, 1, NULL, 0, &m) == TF_METRICS_RESERVED);
  CHECK(t, tf_metrics_register(reg, TF_GAUGE, "a", "", dup, 2, NULL, 0, &m) == TF_METRICS_DUP_LABEL);
  CHECK(t, tf_metrics_register(reg, TF_GAUGE, "a", "", many, TF_METRICS_MAX_LABELS + 1, NULL, 0, &m) ==
               TF_METRICS_TOO_MANY_LABELS);
  CHECK(t, tf_metrics_register(reg, TF_HISTOGRAM, "a", "", NULL, 0, flat, 2, &m) == TF_METRICS_BAD_BUCKETS);
  CHECK(t, tf_metrics_register(reg, TF_HISTOGRAM, "a", "", NULL, 0, down, 2, &m) == TF_METRICS_BAD_BUCKETS);
  CHECK(t, tf_metrics_register(reg, TF_HISTOGRAM, "a", "", NULL, 0, nan_b, 2, &m) == TF_METRICS_BAD_BUCKETS);
  CHECK(t, tf_metrics_register(reg, TF_HISTOGRAM, "a", "", NULL, 0, inf_first, 2, &m) == TF_METRICS_BAD_BUCKETS);
  CHECK(t, tf_metrics_register(reg, TF_HISTOGRAM, "a", "", NULL, 0, lots, TF_METRICS_MAX_BUCKETS + 1, &m) ==
               TF_METRICS_TOO_MANY_BUCKETS);
  CHECK(t, reg->nmetrics == 0); /* nothing registered by a refused call */
  /* a last +Inf bound is implicit */
  CHECK(t, tf_metrics_register(reg, TF_HISTOGRAM, "h", "", NULL, 0, inf_last, 4, &m) == TF_METRICS_OK && m->nbuckets == 3);
  CHECK(t, tf_metrics_register(reg, TF_HISTOGRAM, "h", "", NULL, 0, incr, 3, &m) == TF_METRICS_OK);
  CHECK(t, tf_metrics_register(reg, TF_HISTOGRAM, "h", "", NULL, 0, incr, 2, &m) == TF_METRICS_MISMATCH);
  CHECK(t, tf_metrics_register(reg, TF_HISTOGRAM, "h", "", one, 1, incr, 3, &m) == TF_METRICS_MISMATCH);
  /* the same name as two kinds, also through the counter's _total */
  CHECK(t, tf_metrics_register(reg, TF_GAUGE, "h", "", NULL, 0, NULL, 0, &m) == TF_METRICS_KIND);
  CHECK(t, tf_metrics_register(reg, TF_GAUGE, "w_total", "", NULL, 0, NULL, 0, &m) == TF_METRICS_OK);
  CHECK(t, tf_metrics_register(reg, TF_COUNTER, "w", "", NULL, 0, NULL, 0, &m) == TF_METRICS_KIND);
  CHECK(t, tf_metrics_register(reg, TF_COUNTER, "c", "", one, 1, NULL, 0, &m) == TF_METRICS_OK);
  CHECK(t, tf_metrics_register(reg, TF_GAUGE, "c_total", "", NULL, 0, NULL, 0, &m) == TF_METRICS_KIND);
  CHECK(t, tf_metrics_register(reg, TF_COUNTER, "c", "", two, 2, NULL, 0, &m) == TF_METRICS_MISMATCH);
  CHECK(t, tf_metrics_register(reg, TF_COUNTER, "c", "", one, 1, NULL, 0, &m) == TF_METRICS_OK && m->nlabels == 1);
  /* default buckets */
  CHECK(t, tf_metrics_register(reg, TF_HISTOGRAM, "d", "", NULL, 0, NULL, 0, &m) == TF_METRICS_OK);
  CHECK(t, m->nbuckets == 11 && m->buckets[0] == 0.005 && m->buckets[10] == 10);
  CHECK(t, reg->nmetrics == 4);
  tf_metrics_free(reg);
}

static tf_series *series_of(tf_metrics *reg, tf_metric *m, const char *a, const char *b, tf_metrics_status *st) {
  const char *v[2];
  size_t len[2];
  tf_series *s = NULL;
  v[0] = a;
  v[1] = b;
  len[0] = strlen(a);
  len[1] = strlen(b);
  *st = tf_metrics_series(reg, m, v, len, &s);
  return s;
}

static void test_labels_and_cap(tf_test_ctx *t) {
  tf_metrics *reg = tf_metrics_new(tf_mem_default(), 300);
  const char *names[] = {"route", "code"};
  tf_metric *m;
  tf_metrics_status st;
  tf_series *s1, *s2, *s3, *first;
  char ra[16], rb[16];
  size_t len;
  const char *v;
  int i;
  CHECK(t, tf_metrics_register(reg, TF_COUNTER, "req", "", names, 2, NULL, 0, &m) == TF_METRICS_OK);
  CHECK(t, m->nseries == 0); /* labelled: no series until values are given */
  s1 = series_of(reg, m, "/a", "200", &st);
  CHECK(t, st == TF_METRICS_OK && s1 != NULL);
  CHECK(t, series_of(reg, m, "/a", "200", &st) == s1);
  /* the split between values matters: ("/a", "bc") is not ("/ab", "c") */
  s2 = series_of(reg, m, "/a", "bc", &st);
  s3 = series_of(reg, m, "/ab", "c", &st);
  CHECK(t, s2 != s1 && s3 != s2 && s3 != s1 && m->nseries == 3);
  v = tf_series_label(s3, 0, &len);
  CHECK(t, len == 3 && memcmp(v, "/ab", 3) == 0);
  v = tf_series_label(s3, 1, &len);
  CHECK(t, len == 1 && memcmp(v, "c", 1) == 0);
  /* empty values and values with bytes that need escaping are kept as given */
  {
    const char *vals[2] = {"", "a\"b\\c\nd"};
    size_t lens[2] = {0, 8};
    tf_series *s;
    CHECK(t, tf_metrics_series(reg, m, vals, lens, &s) == TF_METRICS_OK);
    v = tf_series_label(s, 1, &len);
    CHECK(t, len == 8 && memcmp(v, vals[1], 8) == 0);
    tf_series_label(s, 0, &len);
    CHECK(t, len == 0);
  }
  tf_metrics_add(m, s1, 2);
  /* fill to the cap: series pointers stay valid while the table grows */
  first = s1;
  for (i = 0; (size_t)m->nseries < reg->max_series; i++) {
    snprintf(ra, sizeof ra, "/r%d", i);
    CHECK(t, series_of(reg, m, ra, "200", &st) != NULL && st == TF_METRICS_OK);
  }
  CHECK(t, m->nseries == 300);
  CHECK(t, series_of(reg, m, "/new", "200", &st) == NULL && st == TF_METRICS_CARDINALITY);
  CHECK(t, m->nseries == 300);
  /* existing series are still found at the cap, with their values */
  CHECK(t, series_of(reg, m, "/a", "200", &st) == first && st == TF_METRICS_OK && first->value == 2);
  for (i = 0; i < 296; i++) {
    snprintf(rb, sizeof rb, "/r%d", i);
    if (series_of(reg, m, rb, "200", &st) != m->series[i + 4]) CHECK(t, !"series not found again");
  }
  tf_metrics_free(reg);
}

/* The bucket a value belongs in, by a plain scan: the first bound >= v. */
static size_t bucket_of(const tf_metric *m, double v) {
  size_t b = 0;
  while (b < m->nbuckets && m->buckets[b] < v) b++;
  return b;
}

static void check_same_series(tf_test_ctx *t, const tf_metric *m, const tf_series *x, const tf_series *y) {
  size_t b;
  int i;
  CHECK(t, x->count == y->count && x->sum == y->sum && x->min == y->min && x->max == y->max && x->zeros == y->zeros);
  for (b = 0; b <= m->nbuckets; b++)
    if (x->bucket_counts[b] != y->bucket_counts[b]) CHECK(t, !"bucket counts differ");
  /* log-linear counts: equal over the union of both ranges */
  for (i = -4096; i < 4096; i++) {
    uint64_t cx = i >= x->pos.lo && i < x->pos.lo + x->pos.n ? x->pos.counts[i - x->pos.lo] : 0;
    uint64_t cy = i >= y->pos.lo && i < y->pos.lo + y->pos.n ? y->pos.counts[i - y->pos.lo] : 0;
    if (cx != cy) CHECK(t, !"log-linear counts differ");
  }
}

static void test_histogram_buckets(tf_test_ctx *t) {
  /* default buckets; dense linear ones (many per binade); ones reaching
   * below zero and past the log-linear range */
  static const double linear[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 30, 40, 50, 100};
  static const double wide[] = {-10, -1, 0, 1e-30, 0.75, 1, 1e20, 1e300};
  const double *layouts[3];
  size_t nlayout[3];
  int l;
  layouts[0] = NULL;
  nlayout[0] = 0;
  layouts[1] = linear;
  nlayout[1] = sizeof linear / sizeof linear[0];
  layouts[2] = wide;
  nlayout[2] = sizeof wide / sizeof wide[0];
  for (l = 0; l < 3; l++) {
    tf_metrics *reg = tf_metrics_new(tf_mem_default(), 10);
    const char *lab[] = {"path"};
    tf_metric *m;
    tf_series *fast, *slow;
    const char *vf[] = {"fast"}, *vs[] = {"slow"};
    size_t lf[] = {4}, ls[] = {4};
    uint64_t *expect;
    rng r = {88172645463325252ull};
    int i;
    size_t b;
    CHECK(t, tf_metrics_register(reg, TF_HISTOGRAM, "h", "", lab, 1, layouts[l], nlayout[l], &m) == TF_METRICS_OK);
    CHECK(t, tf_metrics_series(reg, m, vf, lf, &fast) == TF_METRICS_OK);
    CHECK(t, tf_metrics_series(reg, m, vs, ls, &slow) == TF_METRICS_OK);
    expect = (uint64_t *)calloc(m->nbuckets + 1, sizeof *expect);
    for (i = 0; i < 20000; i++) {
      double v;
      switch (i % 8) {
        case 0: v = rnd(&r) * 120; break;                   /* around the linear bounds */
        case 1: v = floor(rnd(&r) * 25); break;             /* exactly on a bound (le is inclusive) */
        case 2: v = ldexp(rnd(&r) + 0.5, (int)(rnd(&r) * 140) - 70); break; /* any binade, and outside */
        case 3: v = -rnd(&r) * 20; break;                   /* negative */
        case 4: v = 0; break;
        case 5: v = m->nbuckets ? m->buckets[(size_t)(rnd(&r) * (double)m->nbuckets)] : 1; break;
        case 6: v = 1e300 * rnd(&r); break;                 /* past 2^64 */
        default: v = 0.005 * (1 + floor(rnd(&r) * 4)); break; /* the default bounds themselves */
      }
      expect[bucket_of(m, v)]++;
      CHECK(t, tf_metrics_observe(reg, m, fast, v) == 0);
      CHECK(t, tf_metrics_observe_any(reg, m, slow, v) == 0);
    }
    for (b = 0; b <= m->nbuckets; b++)
      if (fast->bucket_counts[b] != expect[b]) CHECK(t, !"bucket count differs from a plain scan");
    check_same_series(t, m, fast, slow);
    CHECK(t, fast->count == 20000);
    free(expect);
    tf_metrics_free(reg);
  }
}

static void test_histogram_exact_and_quantiles(tf_test_ctx *t) {
  enum { N = 20000 };
  static double values[N], sorted[N];
  static const double qs[] = {0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999};
  int dist;
  for (dist = 0; dist < 4; dist++) {
    tf_metrics *reg = tf_metrics_new(tf_mem_default(), 10);
    tf_metric *m = reg_simple(reg, TF_HISTOGRAM, "lat");
    tf_series *s = m->series[0];
    rng r = {0x9E3779B97F4A7C15ull + (uint64_t)dist};
    double sum = 0, worst = 0;
    size_t k;
    int i;
    CHECK(t, isnan(tf_metrics_quantile(s, 0.5)));
    for (i = 0; i < N; i++) {
      double u = rnd(&r), v;
      switch (dist) {
        case 0: v = 0.001 + u; break;                          /* uniform */
        case 1: v = -log(1 - u) * 0.01; break;                 /* exponential: chunk times */
        case 2: v = pow(10, -6 + 12 * u); break;               /* twelve decades */
        default: v = (u - 0.6) * 1000; break;                  /* negative and positive */
      }
      if (v == 0) v = 1e-3;
      values[i] = v;
      sum += v;
      tf_metrics_observe(reg, m, s, v);
    }
    memcpy(sorted, values, sizeof sorted);
    qsort(sorted, N, sizeof sorted[0], cmp_double);
    CHECK(t, s->count == N);
    CHECK(t, fabs(s->sum - sum) <= 1e-9 * fabs(sum) + 1e-12); /* the same additions, in the same order */
    CHECK(t, s->min == sorted[0] && s->max == sorted[N - 1]);
    CHECK(t, tf_metrics_quantile(s, 0) == sorted[0] && tf_metrics_quantile(s, 1) == sorted[N - 1]);
    for (k = 0; k < sizeof qs / sizeof qs[0]; k++) {
      size_t rank = (size_t)ceil(qs[k] * N); /* nearest rank */
      double truth = sorted[rank - 1], est = tf_metrics_quantile(s, qs[k]);
      double err = fabs(est - truth) / fabs(truth);
      if (err > worst) worst = err;
    }
    /* the documented bound: 1 / (2 * TF_HIST_SUB) = 1.5625%, under the 2% promised */
    CHECK(t, worst <= 1.0 / (2 * TF_HIST_SUB) + 1e-12);
    CHECK(t, worst <= 0.02);
    printf("quantile distribution %d: worst relative error %.4f%%\n", dist, worst * 100);
    tf_metrics_free(reg);
  }
}

static void test_thresholds(tf_test_ctx *t) {
  tf_metrics *reg = tf_metrics_new(tf_mem_default(), 10);
  tf_metric *g = reg_simple(reg, TF_GAUGE, "mem"), *h = reg_simple(reg, TF_HISTOGRAM, "lat");
  tf_series *s = g->series[0];
  static const double seq[] = {5, 12, 15, 25, 30, 5, 12, 25};
  static const int expect[] = {0, 1, 0, 2, 0, 0, 1, 2};
  size_t i;
  tf_metrics_threshold(g, 10, 20, 1);
  for (i = 0; i < sizeof seq / sizeof seq[0]; i++) CHECK(t, tf_metrics_set(g, s, seq[i]) == expect[i]);
  /* at or below */
  tf_metrics_threshold(g, 0.5, 0.1, 0);
  CHECK(t, tf_metrics_set(g, s, 1) == 0 && tf_metrics_set(g, s, 0.4) == 1 && tf_metrics_set(g, s, 0.05) == 2);
  /* falling back to warn re-arms critical; staying at a level raises nothing */
  CHECK(t, tf_metrics_set(g, s, 0.3) == 0 && tf_metrics_set(g, s, 0.05) == 2 && tf_metrics_set(g, s, 0.01) == 0);
  CHECK(t, tf_metrics_set(g, s, 0.9) == 0 && tf_metrics_set(g, s, 0.05) == 2);
  /* only a warn level; adds cross too */
  tf_metrics_threshold(g, 3, NAN, 1);
  tf_metrics_set(g, s, 0);
  CHECK(t, tf_metrics_add(g, s, 2) == 0 && tf_metrics_add(g, s, 2) == 1 && tf_metrics_add(g, s, 2) == 0);
  /* histograms: each observation is compared, and the inline path defers to the general one */
  tf_metrics_threshold(h, 1, 2, 1);
  CHECK(t, tf_metrics_observe(reg, h, h->series[0], 0.5) == 0);
  CHECK(t, tf_metrics_observe(reg, h, h->series[0], 1.5) == 1);
  CHECK(t, tf_metrics_observe(reg, h, h->series[0], 1.7) == 0);
  CHECK(t, tf_metrics_observe(reg, h, h->series[0], 3) == 2);
  CHECK(t, h->series[0]->count == 4);
  /* both levels off */
  tf_metrics_threshold(h, NAN, NAN, 1);
  CHECK(t, !h->has_threshold && tf_metrics_observe(reg, h, h->series[0], 0.1) == 0 &&
               tf_metrics_observe(reg, h, h->series[0], 5) == 0);
  tf_metrics_free(reg);
}

/* A scenario through every allocating path: registering each kind (names,
 * help, labels, buckets, the registry's list growing), series (slot table,
 * series list and scratch key growing), observations spreading the
 * log-linear store up and down, for positive and negative values. Returns
 * the steps done; a failed step must change nothing; with retry it is
 * repeated until it succeeds, else the scenario stops. */
static int scenario(tf_test_ctx *t, tf_metrics *reg, int retry) {
  const char *labels[] = {"route", "code"};
  static const double buckets[] = {0.1, 1, 10};
  tf_metric *m;
  tf_series *s;
  int i, steps = 0;
  char name[32], value[64];
  for (i = 0; i < 40; i++) {
    size_t before = reg->nmetrics;
    tf_metrics_status st;
    tf_metric_kind kind = (tf_metric_kind)(i % 3);
    snprintf(name, sizeof name, "metric_%d", i);
    st = tf_metrics_register(reg, kind, name, "some help text", labels, i % 3 == 1 ? 0 : 2,
                             kind == TF_HISTOGRAM && i % 2 ? buckets : NULL, 3, &m);
    if (st == TF_METRICS_NOMEM) {
      CHECK(t, reg->nmetrics == before && tf_metrics_find(reg, name) == NULL && m == NULL);
      if (!retry) return steps;
      i--;
      continue;
    }
    CHECK(t, st == TF_METRICS_OK);
    steps++;
  }
  m = tf_metrics_find(reg, "metric_2"); /* a labelled histogram */
  for (i = 0; i < 200; i++) {
    const char *v[2];
    size_t len[2], before = m->nseries;
    tf_metrics_status st;
    int n = snprintf(value, sizeof value, "/a/rather/long/route/%d/%.*s", i, i % 30, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    v[0] = value;
    v[1] = "200";
    len[0] = (size_t)n;
    len[1] = 3;
    st = tf_metrics_series(reg, m, v, len, &s);
    if (st == TF_METRICS_NOMEM) {
      CHECK(t, m->nseries == before && s == NULL);
      if (!retry) return steps;
      i--;
      continue;
    }
    CHECK(t, st == TF_METRICS_OK);
    steps++;
  }
  s = m->series[0];
  for (i = 0; i < 120; i++) {
    /* binades from 2^-60 to 2^59, alternately from both ends, both signs */
    double v = ldexp(1.3, i % 2 ? 59 - i / 2 : -60 + i / 2) * (i % 3 == 0 ? -1 : 1);
    uint64_t count = s->count;
    double sum = s->sum;
    int rc = tf_metrics_observe(reg, m, s, v);
    if (rc < 0) {
      CHECK(t, s->count == count && s->sum == sum);
      if (!retry) return steps;
      i--;
      continue;
    }
    CHECK(t, rc == 0);
    steps++;
  }
  CHECK(t, s->count == 120);
  return steps;
}

#define SCENARIO_STEPS (40 + 200 + 120)

static void test_oom_sweep(tf_test_ctx *t) {
  long n;
  int mode, points = 0;
  for (mode = 0; mode < 2; mode++) { /* 0: fail from the N-th allocation on; 1: fail the N-th only, then retry */
    int done = 0;
    for (n = 0; !done && n < 100000; n++) {
      tf_test_alloc a;
      tf_metrics *reg = tf_metrics_new(tf_test_mem(&a, n, mode), 10000);
      int steps;
      if (reg == NULL) {
        CHECK(t, a.live == 0 && a.bytes == 0);
        points++;
        continue;
      }
      steps = scenario(t, reg, mode);
      /* what the registry accounts is what it holds */
      CHECK(t, reg->mem.bytes == a.bytes);
      if (a.failures == 0) {
        CHECK(t, steps == SCENARIO_STEPS);
        done = 1;
      } else {
        if (mode == 1) CHECK(t, steps == SCENARIO_STEPS); /* retried past the one failure */
        points++;
      }
      tf_metrics_free(reg);
      CHECK(t, a.live == 0 && a.bytes == 0);
    }
    CHECK(t, done);
  }
  printf("metrics oom sweep: %d failure points\n", points);
}

int main(void) {
  tf_test_ctx t = {0, 0};
  test_counters_and_gauges(&t);
  test_names(&t);
  test_register_errors(&t);
  test_labels_and_cap(&t);
  test_histogram_buckets(&t);
  test_histogram_exact_and_quantiles(&t);
  test_thresholds(&t);
  test_oom_sweep(&t);
  return tf_test_report("test_metrics", &t);
}

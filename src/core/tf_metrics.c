#include "tf_metrics.h"

#include <math.h>
#include <string.h>

/* Prometheus client defaults, for histograms registered without buckets. */
static const double default_buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

/* Magnitudes outside [2^MIN_EXP, 2^MAX_EXP) are clamped, which bounds the
 * log-linear store to (MAX_EXP - MIN_EXP) * TF_HIST_SUB counters. */
#define MIN_EXP (-63)
#define MAX_EXP 64

const char *tf_metrics_kind_name(tf_metric_kind kind) {
  switch (kind) {
    case TF_COUNTER: return "counter";
    case TF_GAUGE: return "gauge";
    default: return "histogram";
  }
}

static int is_alpha_(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static int is_digit(int c) { return c >= '0' && c <= '9'; }

int tf_metrics_valid_name(const char *s) {
  if (!is_alpha_((unsigned char)*s) && *s != ':') return 0;
  for (s++; *s; s++)
    if (!is_alpha_((unsigned char)*s) && !is_digit((unsigned char)*s) && *s != ':') return 0;
  return 1;
}

int tf_metrics_valid_label(const char *s) {
  if (!is_alpha_((unsigned char)*s)) return 0;
  for (s++; *s; s++)
    if (!is_alpha_((unsigned char)*s) && !is_digit((unsigned char)*s)) return 0;
  return 1;
}

static char *dup_string(tf_mem *mem, const char *s, const char *suffix) {
  size_t n = strlen(s), k = suffix ? strlen(suffix) : 0;
  char *p = (char *)tf_mem_alloc(mem, n + k + 1);
  if (p == NULL) return NULL;
  memcpy(p, s, n);
  if (k) memcpy(p + n, suffix, k);
  p[n + k] = '\0';
  return p;
}

static void free_string(tf_mem *mem, char *s) {
  if (s) tf_mem_free(mem, s, strlen(s) + 1);
}

static size_t series_size(size_t key_len) { return offsetof(tf_series, key) + key_len; }

static void free_series(tf_mem *mem, const tf_metric *m, tf_series *s) {
  if (s->bucket_counts) tf_mem_free(mem, s->bucket_counts, (m->nbuckets + 1) * sizeof(uint64_t));
  if (s->pos.counts) tf_mem_free(mem, s->pos.counts, (size_t)s->pos.n * sizeof(uint64_t));
  if (s->neg.counts) tf_mem_free(mem, s->neg.counts, (size_t)s->neg.n * sizeof(uint64_t));
  tf_mem_free(mem, s, series_size(s->key_len));
}

static void free_metric(tf_mem *mem, tf_metric *m) {
  size_t i;
  int j;
  for (i = 0; i < m->nseries; i++) free_series(mem, m, m->series[i]);
  if (m->series) tf_mem_free(mem, m->series, m->series_cap * sizeof *m->series);
  if (m->slots) tf_mem_free(mem, m->slots, m->nslots * sizeof *m->slots);
  if (m->buckets) tf_mem_free(mem, m->buckets, m->nbuckets * sizeof *m->buckets);
  for (j = 0; j < m->nlabels; j++) free_string(mem, m->labels[j]);
  free_string(mem, m->name);
  free_string(mem, m->help);
  tf_mem_free(mem, m, sizeof *m);
}

tf_metrics *tf_metrics_new(tf_mem mem, size_t max_series) {
  tf_metrics *reg = (tf_metrics *)tf_mem_alloc(&mem, sizeof *reg);
  if (reg == NULL) return NULL;
  memset(reg, 0, sizeof *reg);
  reg->mem = mem;
  reg->max_series = max_series ? max_series : 1;
  return reg;
}

void tf_metrics_free(tf_metrics *reg) {
  size_t i;
  tf_mem mem;
  if (reg == NULL) return;
  for (i = 0; i < reg->nmetrics; i++) free_metric(&reg->mem, reg->metrics[i]);
  if (reg->metrics) tf_mem_free(&reg->mem, reg->metrics, reg->metrics_cap * sizeof *reg->metrics);
  if (reg->scratch) tf_mem_free(&reg->mem, reg->scratch, reg->scratch_cap);
  mem = reg->mem; /* the registry's own block is accounted in its tf_mem */
  tf_mem_free(&mem, reg, sizeof *reg);
}

static int ends_with_total(const char *s) {
  size_t n = strlen(s);
  return n >= 6 && strcmp(s + n - 6, "_total") == 0;
}

tf_metric *tf_metrics_find(const tf_metrics *reg, const char *name) {
  size_t i, n = strlen(name);
  for (i = 0; i < reg->nmetrics; i++) {
    const char *have = reg->metrics[i]->name;
    if (strcmp(have, name) == 0) return reg->metrics[i];
    /* a counter answers to its name without _total as well */
    if (reg->metrics[i]->kind == TF_COUNTER && strncmp(have, name, n) == 0 && strcmp(have + n, "_total") == 0)
      return reg->metrics[i];
  }
  return NULL;
}

static int same_shape(const tf_metric *m, const char *const *labels, int nlabels, const double *buckets,
                      size_t nbuckets) {
  int j;
  size_t i;
  if (m->nlabels != nlabels) return 0;
  for (j = 0; j < nlabels; j++)
    if (strcmp(m->labels[j], labels[j]) != 0) return 0;
  if (m->kind != TF_HISTOGRAM) return 1;
  if (m->nbuckets != nbuckets) return 0;
  for (i = 0; i < nbuckets; i++)
    if (m->buckets[i] != buckets[i]) return 0;
  return 1;
}

static tf_metrics_status check_spec(const char *name, const char *const *labels, int nlabels,
                                    const double *buckets, size_t nbuckets) {
  int i, j;
  size_t b;
  if (!tf_metrics_valid_name(name)) return TF_METRICS_BAD_NAME;
  if (nlabels < 0 || nlabels > TF_METRICS_MAX_LABELS) return TF_METRICS_TOO_MANY_LABELS;
  for (i = 0; i < nlabels; i++) {
    if (!tf_metrics_valid_label(labels[i])) return TF_METRICS_BAD_LABEL;
    if (strcmp(labels[i], "le") == 0 || strncmp(labels[i], "__", 2) == 0) return TF_METRICS_RESERVED;
    for (j = 0; j < i; j++)
      if (strcmp(labels[i], labels[j]) == 0) return TF_METRICS_DUP_LABEL;
  }
  if (nbuckets > TF_METRICS_MAX_BUCKETS) return TF_METRICS_TOO_MANY_BUCKETS;
  for (b = 0; b < nbuckets; b++)
    if (!isfinite(buckets[b]) || (b > 0 && !(buckets[b] > buckets[b - 1]))) return TF_METRICS_BAD_BUCKETS;
  return TF_METRICS_OK;
}

tf_metrics_status tf_metrics_register(tf_metrics *reg, tf_metric_kind kind, const char *name, const char *help,
                                      const char *const *labels, int nlabels, const double *buckets,
                                      size_t nbuckets, tf_metric **out) {
  tf_metrics_status st;
  tf_metric *m, *old;
  tf_series *unlabelled;
  int j;
  *out = NULL;
  if (kind == TF_HISTOGRAM) {
    if (buckets == NULL) {
      buckets = default_buckets;
      nbuckets = sizeof default_buckets / sizeof default_buckets[0];
    }
    if (nbuckets > 0 && buckets[nbuckets - 1] == HUGE_VAL) nbuckets--; /* +Inf is implicit */
  } else {
    nbuckets = 0;
  }
  st = check_spec(name, labels, nlabels, buckets, nbuckets);
  if (st != TF_METRICS_OK) return st;
  old = tf_metrics_find(reg, name);
  if (old == NULL && kind == TF_COUNTER && !ends_with_total(name)) {
    /* "x_total" may be registered already under another kind */
    size_t n = strlen(name);
    size_t i;
    for (i = 0; i < reg->nmetrics && old == NULL; i++) {
      const char *have = reg->metrics[i]->name;
      if (strncmp(have, name, n) == 0 && strcmp(have + n, "_total") == 0) old = reg->metrics[i];
    }
  }
  if (old != NULL) {
    if (old->kind != kind) return TF_METRICS_KIND;
    if (!same_shape(old, labels, nlabels, buckets, nbuckets)) return TF_METRICS_MISMATCH;
    *out = old;
    return TF_METRICS_OK;
  }
  if (reg->nmetrics == reg->metrics_cap) {
    size_t cap = reg->metrics_cap ? reg->metrics_cap * 2 : 8;
    tf_metric **p = (tf_metric **)tf_mem_realloc(&reg->mem, reg->metrics, reg->metrics_cap * sizeof *p, cap * sizeof *p);
    if (p == NULL) return TF_METRICS_NOMEM;
    reg->metrics = p;
    reg->metrics_cap = cap;
  }
  m = (tf_metric *)tf_mem_alloc(&reg->mem, sizeof *m);
  if (m == NULL) return TF_METRICS_NOMEM;
  memset(m, 0, sizeof *m);
  m->kind = kind;
  m->warn = m->critical = NAN;
  m->above = 1;
  m->name = dup_string(&reg->mem, name, kind == TF_COUNTER && !ends_with_total(name) ? "_total" : NULL);
  m->help = dup_string(&reg->mem, help ? help : "", NULL);
  if (m->name == NULL || m->help == NULL) goto nomem;
  for (j = 0; j < nlabels; j++) {
    m->labels[j] = dup_string(&reg->mem, labels[j], NULL);
    if (m->labels[j] == NULL) goto nomem;
    m->nlabels = j + 1;
  }
  if (nbuckets > 0) {
    m->buckets = (double *)tf_mem_alloc(&reg->mem, nbuckets * sizeof *m->buckets);
    if (m->buckets == NULL) goto nomem;
    memcpy(m->buckets, buckets, nbuckets * sizeof *buckets);
    m->nbuckets = nbuckets;
  }
  if (kind == TF_HISTOGRAM) {
    int k;
    size_t b = 0;
    for (k = 0; k <= TF_HIST_BINADES; k++) {
      double edge = ldexp(1.0, k + MIN_EXP); /* 2^-63 .. 2^64 */
      while (b < nbuckets && buckets[b] < edge) b++;
      m->bucket_from[k] = (uint16_t)b;
    }
  }
  if (nlabels == 0) {
    /* the one series exists from the start, so it shows as 0 */
    st = tf_metrics_series(reg, m, NULL, NULL, &unlabelled);
    if (st != TF_METRICS_OK) goto nomem;
  }
  reg->metrics[reg->nmetrics++] = m;
  *out = m;
  return TF_METRICS_OK;
nomem:
  free_metric(&reg->mem, m);
  return TF_METRICS_NOMEM;
}

/* FNV-1a */
static uint32_t hash_key(const char *k, size_t n) {
  uint32_t h = 2166136261u;
  size_t i;
  for (i = 0; i < n; i++) h = (h ^ (unsigned char)k[i]) * 16777619u;
  return h;
}

static int key_equal(const tf_series *s, const char *k, size_t n) {
  return s->key_len == n && (n == 0 || memcmp(s->key, k, n) == 0);
}

/* Grows the slot table to hold at least `want` series at load <= 1/2. */
static int rehash(tf_mem *mem, tf_metric *m, size_t want) {
  size_t n = 16, i;
  uint32_t *slots;
  while (n < want * 2) n *= 2;
  if (n <= m->nslots) return 1;
  slots = (uint32_t *)tf_mem_alloc(mem, n * sizeof *slots);
  if (slots == NULL) return 0;
  memset(slots, 0, n * sizeof *slots);
  for (i = 0; i < m->nseries; i++) {
    size_t at = hash_key(m->series[i]->key, m->series[i]->key_len) & (n - 1);
    while (slots[at]) at = (at + 1) & (n - 1);
    slots[at] = (uint32_t)(i + 1);
  }
  if (m->slots) tf_mem_free(mem, m->slots, m->nslots * sizeof *m->slots);
  m->slots = slots;
  m->nslots = n;
  return 1;
}

tf_metrics_status tf_metrics_series(tf_metrics *reg, tf_metric *m, const char *const *values, const size_t *lens,
                                    tf_series **out) {
  size_t key_len = 0, at, pos;
  int j;
  uint32_t h;
  tf_series *s;
  *out = NULL;
  for (j = 0; j < m->nlabels; j++) key_len += 4 + lens[j];
  if (key_len > reg->scratch_cap) {
    char *p = (char *)tf_mem_realloc(&reg->mem, reg->scratch, reg->scratch_cap, key_len);
    if (p == NULL) return TF_METRICS_NOMEM;
    reg->scratch = p;
    reg->scratch_cap = key_len;
  }
  for (pos = 0, j = 0; j < m->nlabels; j++) {
    uint32_t len32 = (uint32_t)lens[j];
    memcpy(reg->scratch + pos, &len32, 4);
    if (lens[j]) memcpy(reg->scratch + pos + 4, values[j], lens[j]);
    pos += 4 + lens[j];
  }
  h = hash_key(reg->scratch, key_len);
  if (m->nslots) {
    for (at = h & (m->nslots - 1); m->slots[at]; at = (at + 1) & (m->nslots - 1)) {
      tf_series *have = m->series[m->slots[at] - 1];
      if (key_equal(have, reg->scratch, key_len)) {
        *out = have;
        return TF_METRICS_OK;
      }
    }
  }
  if (m->nseries >= reg->max_series) return TF_METRICS_CARDINALITY;
  if (!rehash(&reg->mem, m, m->nseries + 1)) return TF_METRICS_NOMEM;
  if (m->nseries == m->series_cap) {
    size_t cap = m->series_cap ? m->series_cap * 2 : 4;
    tf_series **p = (tf_series **)tf_mem_realloc(&reg->mem, m->series, m->series_cap * sizeof *p, cap * sizeof *p);
    if (p == NULL) return TF_METRICS_NOMEM;
    m->series = p;
    m->series_cap = cap;
  }
  s = (tf_series *)tf_mem_alloc(&reg->mem, series_size(key_len));
  if (s == NULL) return TF_METRICS_NOMEM;
  memset(s, 0, series_size(key_len));
  s->min = HUGE_VAL;
  s->max = -HUGE_VAL;
  s->key_len = key_len;
  if (key_len) memcpy(s->key, reg->scratch, key_len);
  if (m->kind == TF_HISTOGRAM) {
    s->bucket_counts = (uint64_t *)tf_mem_alloc(&reg->mem, (m->nbuckets + 1) * sizeof(uint64_t));
    if (s->bucket_counts == NULL) {
      tf_mem_free(&reg->mem, s, series_size(key_len));
      return TF_METRICS_NOMEM;
    }
    memset(s->bucket_counts, 0, (m->nbuckets + 1) * sizeof(uint64_t));
  }
  m->series[m->nseries] = s;
  for (at = h & (m->nslots - 1); m->slots[at]; at = (at + 1) & (m->nslots - 1)) {
  }
  m->slots[at] = (uint32_t)(++m->nseries);
  *out = s;
  return TF_METRICS_OK;
}

const char *tf_series_label(const tf_series *s, int i, size_t *len) {
  size_t pos = 0;
  uint32_t n;
  int j;
  for (j = 0;; j++) {
    memcpy(&n, s->key + pos, 4);
    if (j == i) break;
    pos += 4 + n;
  }
  *len = n;
  return s->key + pos + 4;
}

static int level_of(const tf_metric *m, double v) {
  if (m->above) {
    if (v >= m->critical) return 2;
    if (v >= m->warn) return 1;
  } else {
    if (v <= m->critical) return 2;
    if (v <= m->warn) return 1;
  }
  return 0;
}

/* Once per crossing: report a level only when the series rises to it. */
static int update_level(const tf_metric *m, tf_series *s, double v) {
  int was = s->level, now;
  if (!m->has_threshold) return 0;
  now = level_of(m, v);
  s->level = now;
  return now > was ? now : 0;
}

int tf_metrics_add(tf_metric *m, tf_series *s, double v) {
  s->value += v;
  return update_level(m, s, s->value);
}

int tf_metrics_set(tf_metric *m, tf_series *s, double v) {
  s->value = v;
  return update_level(m, s, s->value);
}

static int floor_div(int a, int b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

/* Log-linear index of a magnitude in [2^MIN_EXP, 2^MAX_EXP): with
 * mag = f * 2^e, f in [0.5, 1) (frexp), it is e * SUB + floor((f - 0.5) *
 * 2 * SUB), read straight from the IEEE-754 bits (a normal double here):
 * e is the biased exponent - 1022, the sub-bucket the mantissa's top bits. */
static int loglin_index(double mag) {
  uint64_t bits;
  int e, sub;
  memcpy(&bits, &mag, sizeof bits);
  e = (int)((bits >> 52) & 0x7ff) - 1022;
  sub = (int)((bits >> (52 - 5)) & (TF_HIST_SUB - 1)); /* TF_HIST_SUB == 2^5 */
  return e * TF_HIST_SUB + sub;
}

/* Midpoint of the bucket with this index. */
static double loglin_mid(int idx) {
  int e = floor_div(idx, TF_HIST_SUB);
  int sub = idx - e * TF_HIST_SUB;
  return ldexp(0.5 + (sub + 0.5) / (2.0 * TF_HIST_SUB), e);
}

/* Makes room for idx; 0 when out of memory (nothing changed). */
static int loglin_reserve(tf_mem *mem, tf_loglin *st, int idx) {
  int lo, hi, n;
  uint64_t *c;
  if (st->counts && idx >= st->lo && idx < st->lo + st->n) return 1;
  /* grow a power of two at a time at least, so growth stays rare */
  lo = st->counts ? (idx < st->lo ? idx : st->lo) : idx;
  hi = st->counts ? (idx >= st->lo + st->n ? idx + 1 : st->lo + st->n) : idx + 1;
  lo = floor_div(lo, TF_HIST_SUB) * TF_HIST_SUB;
  hi = (floor_div(hi - 1, TF_HIST_SUB) + 1) * TF_HIST_SUB;
  n = hi - lo;
  c = (uint64_t *)tf_mem_alloc(mem, (size_t)n * sizeof *c);
  if (c == NULL) return 0;
  memset(c, 0, (size_t)n * sizeof *c);
  if (st->counts) {
    memcpy(c + (st->lo - lo), st->counts, (size_t)st->n * sizeof *c);
    tf_mem_free(mem, st->counts, (size_t)st->n * sizeof *c);
  }
  st->counts = c;
  st->lo = lo;
  st->n = n;
  return 1;
}

int tf_metrics_observe_any(tf_metrics *reg, tf_metric *m, tf_series *s, double v) {
  static const double smallest = 0x1p-63, largest = 0x1p64; /* 2^MIN_EXP, 2^MAX_EXP */
  double mag = fabs(v);
  tf_loglin *st = v < 0 ? &s->neg : &s->pos;
  size_t lo = 0, hi = m->nbuckets;
  int idx;
  if (mag >= smallest) {
    if (mag >= largest) mag = largest * (1 - 1e-12);
    idx = loglin_index(mag);
    if (st->counts == NULL || idx < st->lo || idx >= st->lo + st->n) {
      if (!loglin_reserve(&reg->mem, st, idx)) return -1;
    }
    st->counts[idx - st->lo]++;
  } else {
    s->zeros++;
  }
  /* first Prometheus bucket whose upper bound is >= v (le is inclusive) */
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (m->buckets[mid] < v)
      lo = mid + 1;
    else
      hi = mid;
  }
  s->bucket_counts[lo]++;
  s->count++;
  s->sum += v;
  if (v < s->min) s->min = v;
  if (v > s->max) s->max = v;
  return m->has_threshold ? update_level(m, s, v) : 0;
}

void tf_metrics_threshold(tf_metric *m, double warn, double critical, int above) {
  size_t i;
  m->warn = warn;
  m->critical = critical;
  m->above = above;
  m->has_threshold = !isnan(warn) || !isnan(critical);
  for (i = 0; i < m->nseries; i++) m->series[i]->level = 0;
}

double tf_metrics_quantile(const tf_series *s, double q) {
  uint64_t rank, seen = 0;
  int i;
  double est = NAN;
  if (s->count == 0 || isnan(q)) return NAN;
  if (q <= 0) return s->min;
  if (q >= 1) return s->max;
  /* nearest rank: the smallest value with at least q * count values at or below it */
  rank = (uint64_t)ceil(q * (double)s->count);
  if (rank < 1) rank = 1;
  for (i = s->neg.n - 1; i >= 0 && seen < rank; i--) {
    seen += s->neg.counts[i];
    if (seen >= rank) est = -loglin_mid(s->neg.lo + i);
  }
  if (seen < rank) {
    seen += s->zeros;
    if (seen >= rank) est = 0;
  }
  for (i = 0; i < s->pos.n && seen < rank; i++) {
    seen += s->pos.counts[i];
    if (seen >= rank) est = loglin_mid(s->pos.lo + i);
  }
  if (isnan(est)) est = s->max;
  if (est < s->min) est = s->min;
  if (est > s->max) est = s->max;
  return est;
}

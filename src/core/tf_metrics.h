/* Metrics registry: counters, gauges and histograms, with label sets.
 *
 * The recording path (add, set, observe) does not allocate once a series
 * exists, so it can stay on in production; the one exception is observe()
 * of a value whose magnitude lies outside the binades the series has seen,
 * which grows its log-linear store (at most 127 binades, a few KB). A metric (a "family" in
 * Prometheus terms) owns its series, one per combination of label values,
 * capped by the registry's max_series so a bad label cannot grow memory
 * without bound. Series live in their own blocks: a pointer to one stays
 * valid until the registry is freed, which lets a binding cache it.
 *
 * Histograms keep an exact count, sum, min and max, the counts of the
 * user's Prometheus buckets, and a log-linear store (TF_HIST_SUB linear
 * sub-buckets per power of two) from which quantiles are estimated with a
 * relative error of at most 1 / (2 * TF_HIST_SUB) = 1.5625% for values
 * whose magnitude lies in [2^-63, 2^64) (outside, the estimate is clamped to
 * the exact min and max).
 *
 * The structs are public so a binding can read them; only the functions
 * below change them. */
#ifndef TF_METRICS_H
#define TF_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tf_mem.h"

#define TF_HIST_SUB 32
#define TF_METRICS_MAX_LABELS 16
#define TF_METRICS_MAX_BUCKETS 256
/* Binades [2^k, 2^(k+1)) for k in [-63, 63]: the range the log-linear
 * store keeps exactly. */
#define TF_HIST_BINADES 127

typedef enum tf_metric_kind { TF_COUNTER, TF_GAUGE, TF_HISTOGRAM } tf_metric_kind;

typedef enum tf_metrics_status {
  TF_METRICS_OK = 0,
  TF_METRICS_NOMEM,      /* out of memory; nothing changed */
  TF_METRICS_BAD_NAME,   /* metric name breaks [a-zA-Z_:][a-zA-Z0-9_:]* */
  TF_METRICS_BAD_LABEL,  /* label name breaks [a-zA-Z_][a-zA-Z0-9_]* */
  TF_METRICS_RESERVED,   /* label "le" or starting with "__" */
  TF_METRICS_DUP_LABEL,  /* the same label name twice */
  TF_METRICS_TOO_MANY_LABELS,
  TF_METRICS_BAD_BUCKETS, /* not finite and strictly increasing */
  TF_METRICS_TOO_MANY_BUCKETS, /* more than TF_METRICS_MAX_BUCKETS */
  TF_METRICS_KIND,       /* name already registered as another kind */
  TF_METRICS_MISMATCH,   /* same name and kind, other labels or buckets */
  TF_METRICS_CARDINALITY /* the metric reached max_series */
} tf_metrics_status;

/* Counts per log-linear bucket index, for indexes lo .. lo + n - 1. */
typedef struct tf_loglin {
  int lo;
  int n;
  uint64_t *counts;
} tf_loglin;

typedef struct tf_series {
  double value;              /* counter and gauge */
  uint64_t count;            /* histogram: exact count, sum, min, max */
  double sum, min, max;
  uint64_t *bucket_counts;   /* histogram: nbuckets + 1 (the last is +Inf), not cumulative */
  tf_loglin pos, neg;        /* histogram: magnitudes of positive / negative values */
  uint64_t zeros;            /* histogram: values with magnitude < 2^-64 */
  int level;                 /* threshold level now: 0 none, 1 warn, 2 critical */
  size_t key_len;            /* label values, each as a 4-byte length then its bytes */
  char key[];                /* (flexible: key_len bytes) */
} tf_series;

typedef struct tf_metric {
  tf_metric_kind kind;
  char *name;                /* NUL-terminated; a counter's ends in _total */
  char *help;
  int nlabels;
  char *labels[TF_METRICS_MAX_LABELS];
  size_t nbuckets;
  double *buckets;           /* histogram: finite upper bounds, increasing */
  /* histogram: for binade k (index k + 63), the first bucket whose bound is
   * >= 2^k; a positive value in that binade falls in a bucket from
   * bucket_from[k + 63] to bucket_from[k + 64], so observe() searches only
   * those (none or one with the default buckets) */
  uint16_t bucket_from[TF_HIST_BINADES + 1];
  tf_series **series;        /* in creation order */
  size_t nseries, series_cap;
  uint32_t *slots;           /* hash of label keys: series index + 1, 0 empty */
  size_t nslots;
  int has_threshold;
  int above;                 /* 1: alert at or above a level, 0: at or below */
  double warn, critical;     /* NaN when not set */
} tf_metric;

typedef struct tf_metrics {
  tf_mem mem;
  tf_metric **metrics;       /* in registration order */
  size_t nmetrics, metrics_cap;
  size_t max_series;         /* per metric */
  char *scratch;             /* key being built */
  size_t scratch_cap;
} tf_metrics;

/* NULL when out of memory. */
tf_metrics *tf_metrics_new(tf_mem mem, size_t max_series);
void tf_metrics_free(tf_metrics *reg);

/* Registers a metric or finds the same one registered before. A counter's
 * name gets "_total" appended unless it ends so. buckets (histograms only)
 * may be NULL for the default Prometheus buckets; a last +Inf is dropped. */
tf_metrics_status tf_metrics_register(tf_metrics *reg, tf_metric_kind kind, const char *name, const char *help,
                                      const char *const *labels, int nlabels, const double *buckets,
                                      size_t nbuckets, tf_metric **out);
/* The metric named name (a counter also by its name without _total), or NULL. */
tf_metric *tf_metrics_find(const tf_metrics *reg, const char *name);

/* The series for these label values (nlabels of them), created when new. */
tf_metrics_status tf_metrics_series(tf_metrics *reg, tf_metric *m, const char *const *values, const size_t *lens,
                                    tf_series **out);
/* Label value i of a series (not NUL-terminated). */
const char *tf_series_label(const tf_series *s, int i, size_t *len);

/* Recording. Each returns the threshold level newly crossed (1 warn,
 * 2 critical) when this update raised the series' level, else 0. observe
 * returns -1 when out of memory (nothing recorded). */
int tf_metrics_add(tf_metric *m, tf_series *s, double v);
int tf_metrics_set(tf_metric *m, tf_series *s, double v);
static inline int tf_metrics_observe(tf_metrics *reg, tf_metric *m, tf_series *s, double v);
/* The common case of observe, inline: a positive value in [2^-63, 2^64),
 * its log-linear counter present, no threshold. Returns 1 when it recorded
 * v, 0 when v needs tf_metrics_observe_any (nothing recorded then). */
static inline int tf_metrics_observe_fast(tf_metric *m, tf_series *s, double v);
/* Every case of observe; tf_metrics_observe tries the fast one first. */
int tf_metrics_observe_any(tf_metrics *reg, tf_metric *m, tf_series *s, double v);

/* Sets the levels (NaN: that level is off) and re-arms every series. */
void tf_metrics_threshold(tf_metric *m, double warn, double critical, int above);

/* Estimate of the q-quantile (0 <= q <= 1) of a histogram series; NaN when empty. */
double tf_metrics_quantile(const tf_series *s, double q);

/* Name rules of the Prometheus data model. */
int tf_metrics_valid_name(const char *s);
int tf_metrics_valid_label(const char *s);

const char *tf_metrics_kind_name(tf_metric_kind kind);

/* ---- inline recording path ------------------------------------------ */

static inline int tf_metrics_observe_fast(tf_metric *m, tf_series *s, double v) {
  uint64_t bits;
  unsigned binade;
  memcpy(&bits, &v, sizeof bits);
  /* biased exponent 960 .. 1086 is [2^-63, 2^64); the sign bit is clear */
  binade = (unsigned)(bits >> 52) - 960u;
  if (binade < TF_HIST_BINADES && !m->has_threshold) {
    /* log-linear index: e * TF_HIST_SUB + sub with v = f * 2^e, f in [0.5, 1) */
    int idx = ((int)binade - 62) * TF_HIST_SUB + (int)((bits >> (52 - 5)) & (TF_HIST_SUB - 1));
    unsigned at = (unsigned)(idx - s->pos.lo);
    if (at < (unsigned)s->pos.n) {
      /* first bucket whose bound is >= v (le is inclusive) */
      size_t lo = m->bucket_from[binade], hi = m->bucket_from[binade + 1];
      while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (m->buckets[mid] < v)
          lo = mid + 1;
        else
          hi = mid;
      }
      lo += lo < hi && m->buckets[lo] < v;
      s->pos.counts[at]++;
      s->bucket_counts[lo]++;
      s->count++;
      s->sum += v;
      s->min = v < s->min ? v : s->min;
      s->max = v > s->max ? v : s->max;
      return 1;
    }
  }
  return 0;
}

static inline int tf_metrics_observe(tf_metrics *reg, tf_metric *m, tf_series *s, double v) {
  return tf_metrics_observe_fast(m, s, v) ? 0 : tf_metrics_observe_any(reg, m, s, v);
}

#endif

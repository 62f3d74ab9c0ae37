/* The metrics recording path: tokenflow.MetricsCore (a registry of the C
 * core, wrapped by lua/tokenflow/metrics/registry.lua) and its metric
 * handles.
 *
 * A handle (tokenflow.Counter, .Gauge, .Histogram) is a Lua table whose
 * recording methods (inc, set, dec, observe) are its own fields: C closures
 * bound to the handle's series. `c:inc()` then costs one raw field read and
 * one C call, with no receiver check (the closure knows its series), which
 * is what keeps it under 2x a Lua table field increment; a userdata method
 * pays a metatable lookup and a receiver check on top (about 3x). The other
 * methods live in the class metatable, which is upvalue 1 of each. */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tf_lua.h"
#include "tf_metrics.h"
#include "tf_sys.h"

#define TF_METRICS_CORE "tokenflow.MetricsCore"
#define TF_METRICS_NAME "tokenflow.Metrics" /* what users see: the Lua registry */
#define TF_SERIES_BOX "tokenflow.MetricSeries"
#define TF_COUNTER_CLASS "tokenflow.Counter"
#define TF_GAUGE_CLASS "tokenflow.Gauge"
#define TF_HISTOGRAM_CLASS "tokenflow.Histogram"

typedef struct core_box {
  tf_metrics *reg; /* NULL once closed */
} core_box;

/* What a handle's closures are bound to. User value 1: the core userdata,
 * which keeps the registry alive as long as a handle is reachable. */
typedef struct series_box {
  core_box *owner;
  tf_metric *m;
  tf_series *s; /* NULL: a labelled metric not bound to label values */
} series_box;

static const char *const class_of_kind[] = {TF_COUNTER_CLASS, TF_GAUGE_CLASS, TF_HISTOGRAM_CLASS};

/* ---- errors ----------------------------------------------------------
 * Programming errors name the caller's line: the first Lua function on the
 * stack outside tokenflow's metrics modules. A method of the registry
 * (lua/tokenflow/metrics/registry.lua) that calls in here is skipped, so
 * `reg:counter("bad name")` points at the line that wrote it, as a handle's
 * own method does. */

static int metrics_error(lua_State *L, const char *fmt, ...) {
  lua_Debug ar;
  va_list ap;
  int level;
  lua_pushliteral(L, "");
  for (level = 1; lua_getstack(L, level, &ar); level++) {
    if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0 && strstr(ar.source, "tokenflow/metrics/") == NULL) {
      lua_pop(L, 1);
      lua_pushfstring(L, "%s:%d: ", ar.short_src, ar.currentline);
      break;
    }
  }
  va_start(ap, fmt);
  lua_pushvfstring(L, fmt, ap);
  va_end(ap);
  lua_concat(L, 2);
  return lua_error(L);
}

static int status_error(lua_State *L, tf_metrics_status st, const char *name, const tf_metric *m, size_t max_series) {
  switch (st) {
    case TF_METRICS_NOMEM: return tf_lua_oom(L);
    case TF_METRICS_BAD_NAME:
      return metrics_error(L, "invalid metric name '%s' (must match [a-zA-Z_:][a-zA-Z0-9_:]*)", name);
    case TF_METRICS_BAD_LABEL: return metrics_error(L, "invalid label name for metric '%s' (must match [a-zA-Z_][a-zA-Z0-9_]*)", name);
    case TF_METRICS_RESERVED:
      return metrics_error(L, "reserved label name for metric '%s' ('le' and names starting with '__' are Prometheus's)", name);
    case TF_METRICS_DUP_LABEL: return metrics_error(L, "duplicate label name for metric '%s'", name);
    case TF_METRICS_TOO_MANY_LABELS:
      return metrics_error(L, "metric '%s' has more than %d labels", name, TF_METRICS_MAX_LABELS);
    case TF_METRICS_TOO_MANY_BUCKETS:
      return metrics_error(L, "histogram '%s' has more than %d buckets", name, TF_METRICS_MAX_BUCKETS);
    case TF_METRICS_BAD_BUCKETS: return metrics_error(L, "buckets of histogram '%s' must be finite and strictly increasing", name);
    case TF_METRICS_KIND:
      return metrics_error(L, "metric '%s' is already registered as a %s", name, m ? tf_metrics_kind_name(m->kind) : "?");
    case TF_METRICS_MISMATCH:
      return metrics_error(L, "metric '%s' is already registered with other labels or buckets", name);
    case TF_METRICS_CARDINALITY:
      return metrics_error(L, "metric '%s' reached its cap of %d label combinations (max_series)", name, (int)max_series);
    default: return metrics_error(L, "metrics error %d", (int)st);
  }
}

static int closed_registry(lua_State *L) { return metrics_error(L, "attempt to use a closed %s", TF_METRICS_NAME); }

/* ---- label values ---------------------------------------------------- */

static void push_label_names(lua_State *L, const tf_metric *m) {
  luaL_Buffer b;
  int j;
  luaL_buffinit(L, &b);
  for (j = 0; j < m->nlabels; j++) {
    if (j) luaL_addstring(&b, ", ");
    luaL_addstring(&b, m->labels[j]);
  }
  luaL_pushresult(&b);
}

static int wrong_label_count(lua_State *L, const tf_metric *m, int got) {
  push_label_names(L, m);
  return metrics_error(L, "metric '%s' expects %d label values (%s), got %d", m->name, m->nlabels, lua_tostring(L, -1), got);
}

/* The series for the label table at idx: each label by name or, failing
 * that, by position. */
static tf_series *series_for(lua_State *L, series_box *h, int idx) {
  const char *values[TF_METRICS_MAX_LABELS];
  size_t lens[TF_METRICS_MAX_LABELS];
  tf_metric *m = h->m;
  tf_series *s;
  tf_metrics_status st;
  int j, count = 0, top = lua_gettop(L);
  idx = lua_absindex(L, idx);
  luaL_checkstack(L, m->nlabels + 2, NULL);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    count++;
    lua_pop(L, 1);
  }
  if (count != m->nlabels) wrong_label_count(L, m, count);
  for (j = 0; j < m->nlabels; j++) {
    int t = lua_getfield(L, idx, m->labels[j]);
    if (t == LUA_TNIL) {
      lua_pop(L, 1);
      t = lua_rawgeti(L, idx, j + 1);
    }
    if (t == LUA_TNIL) return (wrong_label_count(L, m, count), NULL);
    if (t != LUA_TSTRING && t != LUA_TNUMBER)
      metrics_error(L, "label '%s' of metric '%s' must be a string or a number, got %s", m->labels[j], m->name, luaL_typename(L, -1));
    values[j] = lua_tolstring(L, -1, &lens[j]);
  }
  st = tf_metrics_series(h->owner->reg, m, values, lens, &s);
  if (st != TF_METRICS_OK) status_error(L, st, m->name, m, h->owner->reg->max_series);
  lua_settop(L, top);
  return s;
}

/* The series to record into: bound, or chosen by the label table at idx
 * (0: none given). */
static tf_series *target(lua_State *L, series_box *h, int idx) {
  if (h->owner->reg == NULL) closed_registry(L);
  if (idx && lua_type(L, idx) == LUA_TTABLE) return series_for(L, h, idx);
  if (idx && !lua_isnoneornil(L, idx))
    metrics_error(L, "labels of metric '%s' must be a table of label values, got %s", h->m->name, luaL_typename(L, idx));
  if (h->s == NULL) wrong_label_count(L, h->m, 0);
  return h->s;
}

/* ---- alerts ---------------------------------------------------------- */

static void push_labels(lua_State *L, const tf_metric *m, const tf_series *s) {
  int j;
  lua_createtable(L, 0, m->nlabels);
  for (j = 0; j < m->nlabels; j++) {
    size_t len;
    const char *v = tf_series_label(s, j, &len);
    lua_pushlstring(L, v, len);
    lua_setfield(L, -2, m->labels[j]);
  }
}

/* Calls the registry's alert handler (user value 1 of the core):
 * handler(metric, level, value, labels). */
static void raise_alert(lua_State *L, series_box *h, tf_series *s, int level, double value) {
  lua_getiuservalue(L, lua_upvalueindex(2), 1); /* the core */
  if (lua_getiuservalue(L, -1, 1) != LUA_TFUNCTION) {
    lua_pop(L, 2);
    return;
  }
  lua_pushstring(L, h->m->name);
  lua_pushstring(L, level == 2 ? "critical" : "warn");
  lua_pushnumber(L, value);
  push_labels(L, h->m, s);
  lua_call(L, 4, 0);
  lua_pop(L, 1);
}

/* ---- recording closures ------------------------------------------------
 * Upvalue 1: the series box's address as a light userdata (the cheapest
 * value lua_touserdata reads); upvalue 2: the box itself, which keeps it
 * alive. */

static series_box *bound(lua_State *L) { return (series_box *)lua_touserdata(L, lua_upvalueindex(1)); }

/* Off the fast paths: raises when the registry is closed (its metrics are
 * freed then, so nothing may read h->m before this). */
static void check_live(lua_State *L, const series_box *h) {
  if (h->owner->reg == NULL) closed_registry(L);
}

/* Optional amount at 2 (default 1) then labels; `x:inc{...}` is labels only. */
static int not_number(lua_State *L, const tf_metric *m, int idx) {
  return metrics_error(L, "metric '%s': value must be a number, got %s", m->name, luaL_typename(L, idx));
}

static double amount(lua_State *L, const tf_metric *m, int *labels_at) {
  int isnum;
  double n;
  if (lua_gettop(L) < 2 || lua_isnil(L, 2)) {
    *labels_at = 3;
    return 1;
  }
  if (lua_type(L, 2) == LUA_TTABLE) {
    *labels_at = 2;
    return 1;
  }
  n = (double)lua_tonumberx(L, 2, &isnum);
  if (!isnum) not_number(L, m, 2);
  *labels_at = 3;
  return n;
}

static int not_finite(lua_State *L, const tf_metric *m, double v) {
  const char *what = isnan(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf"; /* spelled alike on every libc */
  return metrics_error(L, "metric '%s': value must be a finite number, got %s", m->name, what);
}

/** counter:inc([n][, labels]): adds n (default 1, finite, >= 0). */
static int counter_inc(lua_State *L) {
  series_box *h = bound(L);
  int top = lua_gettop(L), labels_at, level;
  double n;
  if (top <= 2 && h->s != NULL && h->owner->reg != NULL && !h->m->has_threshold) { /* m is freed once closed */
    /* the common cases, kept to a few instructions */
    int isnum;
    if (top == 1) {
      h->s->value += 1;
      return 0;
    }
    n = (double)lua_tonumberx(L, 2, &isnum);
    if (isnum && n >= 0 && n <= DBL_MAX) {
      h->s->value += n;
      return 0;
    }
  }
  check_live(L, h);
  n = amount(L, h->m, &labels_at);
  tf_series *s = target(L, h, top >= labels_at ? labels_at : 0);
  if (!isfinite(n)) return not_finite(L, h->m, n);
  if (n < 0) return metrics_error(L, "counter '%s' can only increase (got %f)", h->m->name, n);
  level = tf_metrics_add(h->m, s, n);
  if (level) raise_alert(L, h, s, level, s->value);
  return 0;
}

static int gauge_add(lua_State *L, double sign) {
  series_box *h = bound(L);
  int labels_at, level;
  double n;
  check_live(L, h);
  n = amount(L, h->m, &labels_at);
  tf_series *s = target(L, h, lua_gettop(L) >= labels_at ? labels_at : 0);
  if (!isfinite(n)) return not_finite(L, h->m, n);
  level = tf_metrics_add(h->m, s, sign * n);
  if (level) raise_alert(L, h, s, level, s->value);
  return 0;
}

/** gauge:inc([n][, labels]): adds n (default 1). */
static int gauge_inc(lua_State *L) { return gauge_add(L, 1); }
/** gauge:dec([n][, labels]): subtracts n (default 1). */
static int gauge_dec(lua_State *L) { return gauge_add(L, -1); }

/** gauge:set(v[, labels]): any number, NaN and infinities included. */
static int gauge_set(lua_State *L) {
  series_box *h = bound(L);
  int isnum, level;
  double v = (double)lua_tonumberx(L, 2, &isnum);
  tf_series *s;
  check_live(L, h);
  if (!isnum) not_number(L, h->m, 2);
  s = target(L, h, lua_gettop(L) >= 3 ? 3 : 0);
  level = tf_metrics_set(h->m, s, v);
  if (level) raise_alert(L, h, s, level, v);
  return 0;
}

/* Every case the fast path of observe leaves: not a number, labels given,
 * not bound, closed, not finite, a threshold, a new magnitude. Kept out of
 * histogram_observe so that one stays small. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static int observe_slow(lua_State *L, series_box *h, double v, int isnum, int top) {
  tf_series *s = h->s;
  int level;
  if (!isnum) {
    check_live(L, h);
    not_number(L, h->m, 2);
  }
  if (s == NULL || top != 2 || h->owner->reg == NULL) s = target(L, h, top >= 3 ? 3 : 0);
  if (!isfinite(v)) return not_finite(L, h->m, v);
  level = tf_metrics_observe(h->owner->reg, h->m, s, v);
  if (level == 0) return 0;
  if (level < 0) return tf_lua_oom(L);
  raise_alert(L, h, s, level, v);
  return 0;
}

/** histogram:observe(v[, labels]): records a finite value. */
static int histogram_observe(lua_State *L) {
  series_box *h = bound(L);
  int top = lua_gettop(L), isnum;
  double v = (double)lua_tonumberx(L, 2, &isnum);
  /* the fast path's range test (a positive normal double below 2^64) also
   * rules out NaN and the infinities */
  if (isnum && top == 2 && h->s != NULL && h->owner->reg != NULL && tf_metrics_observe_fast(h->m, h->s, v)) return 0;
  return observe_slow(L, h, v, isnum, top);
}

/* ---- handles ---------------------------------------------------------- */

static void set_closure(lua_State *L, lua_CFunction f, const char *name) {
  lua_pushlightuserdata(L, lua_touserdata(L, -1)); /* the series box */
  lua_pushvalue(L, -2);
  lua_pushcclosure(L, f, 2);
  lua_setfield(L, -3, name);
}

/* Pushes a new handle for m (bound to s when not NULL); core at core_idx. */
static void push_handle(lua_State *L, int core_idx, tf_metric *m, tf_series *s) {
  series_box *h;
  core_idx = lua_absindex(L, core_idx);
  lua_createtable(L, 0, 6);
  h = (series_box *)lua_newuserdatauv(L, sizeof *h, 1);
  h->owner = (core_box *)lua_touserdata(L, core_idx);
  h->m = m;
  h->s = s;
  lua_pushvalue(L, core_idx);
  lua_setiuservalue(L, -2, 1);
  luaL_setmetatable(L, TF_SERIES_BOX);
  switch (m->kind) {
    case TF_COUNTER: set_closure(L, counter_inc, "inc"); break;
    case TF_GAUGE:
      set_closure(L, gauge_set, "set");
      set_closure(L, gauge_inc, "inc");
      set_closure(L, gauge_dec, "dec");
      break;
    case TF_HISTOGRAM: set_closure(L, histogram_observe, "observe"); break;
  }
  lua_setfield(L, -2, "_series");
  lua_pushstring(L, m->name);
  lua_setfield(L, -2, "name");
  lua_pushstring(L, tf_metrics_kind_name(m->kind));
  lua_setfield(L, -2, "kind");
  luaL_setmetatable(L, class_of_kind[m->kind]);
}

/* The series box of the handle at 1, checked against the class (upvalue 1). */
static series_box *check_handle(lua_State *L) {
  series_box *h;
  int same = lua_getmetatable(L, 1) && lua_rawequal(L, -1, lua_upvalueindex(1));
  if (!same) {
    lua_getfield(L, lua_upvalueindex(1), "__name");
    luaL_typeerror(L, 1, lua_tostring(L, -1));
  }
  lua_pop(L, 1);
  lua_getfield(L, 1, "_series");
  h = (series_box *)luaL_checkudata(L, -1, TF_SERIES_BOX);
  lua_pop(L, 1); /* the handle keeps it */
  if (h->owner->reg == NULL) closed_registry(L);
  return h;
}

/** handle:labels(values) -> a handle bound to these label values. */
static int handle_labels(lua_State *L) {
  series_box *h = check_handle(L);
  tf_series *s;
  luaL_checktype(L, 2, LUA_TTABLE);
  s = series_for(L, h, 2);
  lua_getfield(L, 1, "_series");
  lua_getiuservalue(L, -1, 1);
  push_handle(L, -1, h->m, s);
  return 1;
}

/** counter:value([labels]) / gauge:value([labels]) -> number. */
static int handle_value(lua_State *L) {
  series_box *h = check_handle(L);
  tf_series *s = target(L, h, lua_gettop(L) >= 2 ? 2 : 0);
  lua_pushnumber(L, s->value);
  return 1;
}

/** histogram:quantile(q[, labels]) -> estimate (relative error <= 1.6%), nil when empty. */
static int histogram_quantile(lua_State *L) {
  series_box *h = check_handle(L);
  double q = (double)luaL_checknumber(L, 2);
  tf_series *s;
  luaL_argcheck(L, q >= 0 && q <= 1, 2, "quantile must be in [0, 1]");
  s = target(L, h, lua_gettop(L) >= 3 ? 3 : 0);
  if (s->count == 0)
    lua_pushnil(L);
  else
    lua_pushnumber(L, tf_metrics_quantile(s, q));
  return 1;
}

/** histogram:stats([labels]) -> {count, sum, min, max, mean, p50, p90, p99}. */
static int histogram_stats(lua_State *L) {
  series_box *h = check_handle(L);
  tf_series *s = target(L, h, lua_gettop(L) >= 2 ? 2 : 0);
  lua_createtable(L, 0, 8);
  lua_pushinteger(L, (lua_Integer)s->count);
  lua_setfield(L, -2, "count");
  lua_pushnumber(L, s->sum);
  lua_setfield(L, -2, "sum");
  if (s->count > 0) {
    lua_pushnumber(L, s->min);
    lua_setfield(L, -2, "min");
    lua_pushnumber(L, s->max);
    lua_setfield(L, -2, "max");
    lua_pushnumber(L, s->sum / (double)s->count);
    lua_setfield(L, -2, "mean");
    lua_pushnumber(L, tf_metrics_quantile(s, 0.5));
    lua_setfield(L, -2, "p50");
    lua_pushnumber(L, tf_metrics_quantile(s, 0.9));
    lua_setfield(L, -2, "p90");
    lua_pushnumber(L, tf_metrics_quantile(s, 0.99));
    lua_setfield(L, -2, "p99");
  }
  return 1;
}

static int handle_tostring(lua_State *L) {
  series_box *h;
  lua_getfield(L, 1, "_series");
  h = (series_box *)luaL_checkudata(L, -1, TF_SERIES_BOX);
  lua_getfield(L, lua_upvalueindex(1), "__name");
  if (h->owner->reg == NULL) {
    lua_pushfstring(L, "%s (closed registry)", lua_tostring(L, -1));
  } else if (h->s == NULL) {
    lua_pushfstring(L, "%s %s (%I series)", lua_tostring(L, -1), h->m->name, (lua_Integer)h->m->nseries);
  } else if (h->m->kind == TF_HISTOGRAM) {
    lua_pushfstring(L, "%s %s (%I observations, sum %f)", lua_tostring(L, -1), h->m->name, (lua_Integer)h->s->count,
                    h->s->sum);
  } else {
    lua_pushfstring(L, "%s %s = %f", lua_tostring(L, -1), h->m->name, h->s->value);
  }
  return 1;
}

/* ---- the core registry ------------------------------------------------ */

static core_box *to_core(lua_State *L) { return (core_box *)tf_lua_self(L, 1, TF_METRICS_CORE); }

static core_box *check_core(lua_State *L) {
  core_box *c = to_core(L);
  if (c->reg == NULL) closed_registry(L);
  return c;
}

static const char *const kind_names[] = {"counter", "gauge", "histogram", NULL};

/** core:register(kind, name, help[, label_names][, buckets]) -> handle. */
static int core_register(lua_State *L) {
  core_box *c = check_core(L);
  tf_metric_kind kind = (tf_metric_kind)luaL_checkoption(L, 2, NULL, kind_names);
  const char *name = luaL_checkstring(L, 3);
  const char *help;
  const char *labels[TF_METRICS_MAX_LABELS];
  double buckets[TF_METRICS_MAX_BUCKETS];
  size_t nbuckets = 0;
  int nlabels = 0, j, has_buckets = 0;
  tf_metric *m = NULL;
  tf_metrics_status st;
  if (!lua_isnoneornil(L, 4) && lua_type(L, 4) != LUA_TSTRING)
    return metrics_error(L, "help of metric '%s' must be a string, got %s", name, luaL_typename(L, 4));
  help = lua_isnoneornil(L, 4) ? "" : lua_tostring(L, 4);
  if (!lua_isnoneornil(L, 5)) {
    int k;
    if (lua_type(L, 5) != LUA_TTABLE)
      return metrics_error(L, "label names of metric '%s' must be a list of strings, got %s", name, luaL_typename(L, 5));
    nlabels = (int)lua_rawlen(L, 5);
    if (nlabels > TF_METRICS_MAX_LABELS) return status_error(L, TF_METRICS_TOO_MANY_LABELS, name, NULL, 0);
    for (j = 0; j < nlabels; j++) {
      if (lua_rawgeti(L, 5, j + 1) != LUA_TSTRING)
        return metrics_error(L, "label names of metric '%s' must be strings, got %s", name, luaL_typename(L, -1));
      labels[j] = lua_tostring(L, -1); /* anchored by the table */
      lua_pop(L, 1);
      if (!tf_metrics_valid_label(labels[j]))
        return metrics_error(L, "invalid label name '%s' for metric '%s' (must match [a-zA-Z_][a-zA-Z0-9_]*)", labels[j],
                             name);
      if (strcmp(labels[j], "le") == 0 || strncmp(labels[j], "__", 2) == 0)
        return metrics_error(L, "label name '%s' is reserved (metric '%s'; 'le' and names starting with '__' are Prometheus's)",
                             labels[j], name);
      for (k = 0; k < j; k++)
        if (strcmp(labels[k], labels[j]) == 0)
          return metrics_error(L, "label name '%s' given twice (metric '%s')", labels[j], name);
    }
  }
  if (!lua_isnoneornil(L, 6)) {
    size_t i;
    if (lua_type(L, 6) != LUA_TTABLE)
      return metrics_error(L, "buckets of histogram '%s' must be a list of numbers, got %s", name, luaL_typename(L, 6));
    nbuckets = (size_t)lua_rawlen(L, 6);
    if (nbuckets > sizeof buckets / sizeof buckets[0]) return status_error(L, TF_METRICS_TOO_MANY_BUCKETS, name, NULL, 0);
    for (i = 0; i < nbuckets; i++) {
      int isnum;
      lua_rawgeti(L, 6, (lua_Integer)i + 1);
      buckets[i] = (double)lua_tonumberx(L, -1, &isnum);
      lua_pop(L, 1);
      if (!isnum) return status_error(L, TF_METRICS_BAD_BUCKETS, name, NULL, 0);
    }
    has_buckets = 1;
  }
  st = tf_metrics_register(c->reg, kind, name, help, labels, nlabels, has_buckets ? buckets : NULL, nbuckets, &m);
  if (st == TF_METRICS_KIND) {
    /* the metric in the way: the name itself, or the name with _total */
    m = tf_metrics_find(c->reg, name);
    if (m == NULL) m = tf_metrics_find(c->reg, lua_pushfstring(L, "%s_total", name));
  }
  if (st != TF_METRICS_OK) return status_error(L, st, name, m, c->reg->max_series);
  push_handle(L, 1, m, m->nlabels == 0 ? m->series[0] : NULL);
  return 1;
}

static tf_metric *check_metric(lua_State *L, core_box *c, int idx) {
  const char *name = luaL_checkstring(L, idx);
  tf_metric *m = tf_metrics_find(c->reg, name);
  if (m == NULL) metrics_error(L, "no metric named '%s'", name);
  return m;
}

/** core:threshold(name, warn, critical, above): levels (nil: off). */
static int core_threshold(lua_State *L) {
  core_box *c = check_core(L);
  tf_metric *m = check_metric(L, c, 2);
  double warn = (double)luaL_optnumber(L, 3, NAN), critical = (double)luaL_optnumber(L, 4, NAN);
  tf_metrics_threshold(m, warn, critical, lua_isnoneornil(L, 5) ? 1 : lua_toboolean(L, 5));
  return 0;
}

/** core:on_alert(fn): the function the recording path calls on a crossing. */
static int core_on_alert(lua_State *L) {
  check_core(L);
  if (!lua_isnil(L, 2)) luaL_checktype(L, 2, LUA_TFUNCTION);
  lua_settop(L, 2);
  lua_setiuservalue(L, 1, 1);
  return 0;
}

static void push_series(lua_State *L, const tf_metric *m, const tf_series *s) {
  int j;
  size_t i;
  lua_createtable(L, 0, 6);
  lua_createtable(L, m->nlabels, 0);
  for (j = 0; j < m->nlabels; j++) {
    size_t len;
    const char *v = tf_series_label(s, j, &len);
    lua_pushlstring(L, v, len);
    lua_rawseti(L, -2, j + 1);
  }
  lua_setfield(L, -2, "values");
  if (m->kind != TF_HISTOGRAM) {
    lua_pushnumber(L, s->value);
    lua_setfield(L, -2, "value");
    return;
  }
  lua_pushinteger(L, (lua_Integer)s->count);
  lua_setfield(L, -2, "count");
  lua_pushnumber(L, s->sum);
  lua_setfield(L, -2, "sum");
  lua_createtable(L, (int)m->nbuckets + 1, 0);
  for (i = 0; i <= m->nbuckets; i++) {
    lua_pushinteger(L, (lua_Integer)s->bucket_counts[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_setfield(L, -2, "buckets");
  if (s->count > 0) {
    lua_pushnumber(L, s->min);
    lua_setfield(L, -2, "min");
    lua_pushnumber(L, s->max);
    lua_setfield(L, -2, "max");
  }
}

/** core:collect() -> every metric with its series (values, value or count/sum/buckets). */
static int core_collect(lua_State *L) {
  core_box *c = check_core(L);
  size_t i, k;
  int j;
  lua_createtable(L, (int)c->reg->nmetrics, 0);
  for (i = 0; i < c->reg->nmetrics; i++) {
    const tf_metric *m = c->reg->metrics[i];
    lua_createtable(L, 0, 8);
    lua_pushstring(L, m->name);
    lua_setfield(L, -2, "name");
    lua_pushstring(L, m->help);
    lua_setfield(L, -2, "help");
    lua_pushstring(L, tf_metrics_kind_name(m->kind));
    lua_setfield(L, -2, "kind");
    lua_createtable(L, m->nlabels, 0);
    for (j = 0; j < m->nlabels; j++) {
      lua_pushstring(L, m->labels[j]);
      lua_rawseti(L, -2, j + 1);
    }
    lua_setfield(L, -2, "labels");
    if (m->kind == TF_HISTOGRAM) {
      lua_createtable(L, (int)m->nbuckets, 0);
      for (k = 0; k < m->nbuckets; k++) {
        lua_pushnumber(L, m->buckets[k]);
        lua_rawseti(L, -2, (lua_Integer)k + 1);
      }
      lua_setfield(L, -2, "buckets");
    }
    lua_createtable(L, (int)m->nseries, 0);
    for (k = 0; k < m->nseries; k++) {
      push_series(L, m, m->series[k]);
      if (m->kind == TF_HISTOGRAM && m->series[k]->count > 0) {
        lua_pushnumber(L, tf_metrics_quantile(m->series[k], 0.5));
        lua_setfield(L, -2, "p50");
        lua_pushnumber(L, tf_metrics_quantile(m->series[k], 0.9));
        lua_setfield(L, -2, "p90");
        lua_pushnumber(L, tf_metrics_quantile(m->series[k], 0.99));
        lua_setfield(L, -2, "p99");
      }
      lua_rawseti(L, -2, (lua_Integer)k + 1);
    }
    lua_setfield(L, -2, "series");
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

/* ---- Prometheus text exposition format 0.0.4 ----------------------------
 * The text grows in a block owned by a userdata with __gc (tokenflow.Text),
 * allocated through the engines' allocator, rather than in a luaL_Buffer:
 * Lua 5.4.4's buffer box registers its metatable before setting __close,
 * so an allocation failure at that moment breaks every later long buffer
 * of the state. */

#define TF_TEXT "tokenflow.Text"

typedef struct text_box {
  lua_State *L; /* of the running call */
  tf_mem mem;
  char *p;
  size_t len, cap;
} text_box;

static int text_gc(lua_State *L) {
  text_box *t = (text_box *)luaL_checkudata(L, 1, TF_TEXT);
  if (t->p != NULL) tf_mem_free(&t->mem, t->p, t->cap);
  t->p = NULL;
  t->len = t->cap = 0;
  return 0;
}

static void add_lstring(text_box *t, const char *s, size_t n) {
  if (n > t->cap - t->len) {
    size_t cap = t->cap ? t->cap : 4096;
    char *p;
    while (cap - t->len < n) {
      if (cap > ((size_t)-1) / 2) tf_lua_oom(t->L);
      cap *= 2;
    }
    p = (char *)tf_mem_realloc(&t->mem, t->p, t->cap, cap);
    if (p == NULL) tf_lua_oom(t->L); /* the box still owns the old block */
    t->p = p;
    t->cap = cap;
  }
  memcpy(t->p + t->len, s, n);
  t->len += n;
}

#define add_literal(t, s) add_lstring((t), "" s, sizeof(s) - 1)
static void add_string(text_box *t, const char *s) { add_lstring(t, s, strlen(s)); }
static void add_char(text_box *t, char c) { add_lstring(t, &c, 1); }

/* A number as Prometheus reads it (and lua/tokenflow/metrics/number.lua
 * writes it): +Inf, -Inf, NaN; integers without a fraction; else the
 * shorter of %.15g and %.17g that reads back the same. */
static void add_number(text_box *t, double v) {
  char buf[40];
  if (isnan(v)) {
    add_literal(t, "NaN");
  } else if (isinf(v)) {
    add_string(t, v > 0 ? "+Inf" : "-Inf");
  } else if (v == 0) {
    add_char(t, '0'); /* -0 too */
  } else if (v == floor(v) && fabs(v) < 9007199254740992.0) {
    snprintf(buf, sizeof buf, "%.0f", v);
    add_string(t, buf);
  } else {
    snprintf(buf, sizeof buf, "%.15g", v);
    if (strtod(buf, NULL) != v) snprintf(buf, sizeof buf, "%.17g", v);
    add_string(t, buf);
  }
}

static void add_count(text_box *t, uint64_t n) {
  char buf[24];
  snprintf(buf, sizeof buf, "%" PRIu64, n);
  add_string(t, buf);
}

/* Escapes backslash and newline, and with quotes also the double quote. */
static void add_escaped(text_box *t, const char *s, size_t len, int quotes) {
  size_t i, from = 0;
  for (i = 0; i < len; i++) {
    const char *esc = s[i] == '\\' ? "\\\\" : s[i] == '\n' ? "\\n" : (quotes && s[i] == '"') ? "\\\"" : NULL;
    if (esc == NULL) continue;
    add_lstring(t, s + from, i - from);
    add_lstring(t, esc, 2);
    from = i + 1;
  }
  add_lstring(t, s + from, len - from);
}

/* `a="x",b="y"` of a series (nothing without labels). */
static void add_label_pairs(text_box *t, const tf_metric *m, const tf_series *s) {
  int j;
  for (j = 0; j < m->nlabels; j++) {
    size_t len;
    const char *v = tf_series_label(s, j, &len);
    if (j) add_char(t, ',');
    add_string(t, m->labels[j]);
    add_literal(t, "=\"");
    add_escaped(t, v, len, 1);
    add_char(t, '"');
  }
}

/* name[suffix][{labels}] and a space */
static void add_sample(text_box *t, const tf_metric *m, const tf_series *s, const char *suffix) {
  add_string(t, m->name);
  add_string(t, suffix);
  if (m->nlabels) {
    add_char(t, '{');
    add_label_pairs(t, m, s);
    add_char(t, '}');
  }
  add_char(t, ' ');
}

/** core:prometheus() -> the exposition text: HELP and TYPE lines, escaped
 * label values, cumulative `_bucket{le=...}` lines ending with +Inf, then
 * `_sum` and `_count`. */
static int core_prometheus(lua_State *L) {
  core_box *c = check_core(L);
  text_box *t;
  size_t i, k, bk;
  t = (text_box *)lua_newuserdatauv(L, sizeof *t, 0);
  memset(t, 0, sizeof *t);
  t->L = L;
  t->mem = tf_lua_mem(L);
  luaL_setmetatable(L, TF_TEXT);
  for (i = 0; i < c->reg->nmetrics; i++) {
    const tf_metric *m = c->reg->metrics[i];
    add_literal(t, "# HELP ");
    add_string(t, m->name);
    add_char(t, ' ');
    add_escaped(t, m->help, strlen(m->help), 0);
    add_literal(t, "\n# TYPE ");
    add_string(t, m->name);
    add_char(t, ' ');
    add_string(t, tf_metrics_kind_name(m->kind));
    add_char(t, '\n');
    for (k = 0; k < m->nseries; k++) {
      const tf_series *s = m->series[k];
      uint64_t cumulative = 0;
      if (m->kind != TF_HISTOGRAM) {
        add_sample(t, m, s, "");
        add_number(t, s->value);
        add_char(t, '\n');
        continue;
      }
      for (bk = 0; bk <= m->nbuckets; bk++) {
        cumulative += s->bucket_counts[bk];
        add_string(t, m->name);
        add_literal(t, "_bucket{");
        if (m->nlabels) {
          add_label_pairs(t, m, s);
          add_char(t, ',');
        }
        add_literal(t, "le=\"");
        if (bk < m->nbuckets)
          add_number(t, m->buckets[bk]);
        else
          add_literal(t, "+Inf");
        add_literal(t, "\"} ");
        add_count(t, cumulative);
        add_char(t, '\n');
      }
      add_sample(t, m, s, "_sum");
      add_number(t, s->sum);
      add_char(t, '\n');
      add_sample(t, m, s, "_count");
      add_count(t, s->count);
      add_char(t, '\n');
    }
  }
  lua_pushlstring(L, t->p ? t->p : "", t->len);
  if (t->p != NULL) tf_mem_free(&t->mem, t->p, t->cap); /* now, not at the next collection */
  t->p = NULL;
  t->len = t->cap = 0;
  return 1;
}

/** core:get(name) -> handle of a registered metric, or nil. */
static int core_get(lua_State *L) {
  core_box *c = check_core(L);
  tf_metric *m = tf_metrics_find(c->reg, luaL_checkstring(L, 2));
  if (m == NULL) return 0;
  push_handle(L, 1, m, m->nlabels == 0 ? m->series[0] : NULL);
  return 1;
}

static int core_len(lua_State *L) {
  core_box *c = check_core(L);
  lua_pushinteger(L, (lua_Integer)c->reg->nmetrics);
  return 1;
}

/** core:series_count() -> series over all metrics. */
static int core_series_count(lua_State *L) {
  core_box *c = check_core(L);
  size_t i, n = 0;
  for (i = 0; i < c->reg->nmetrics; i++) n += c->reg->metrics[i]->nseries;
  lua_pushinteger(L, (lua_Integer)n);
  return 1;
}

static int core_tostring(lua_State *L) {
  core_box *c = to_core(L);
  if (c->reg == NULL)
    lua_pushliteral(L, TF_METRICS_CORE " (closed)");
  else
    lua_pushfstring(L, TF_METRICS_CORE " (%I metrics)", (lua_Integer)c->reg->nmetrics);
  return 1;
}

/** core:close(): frees the registry now; idempotent (also __gc, __close). */
static int core_close(lua_State *L) {
  core_box *c = to_core(L);
  if (c->reg != NULL) {
    tf_metrics_free(c->reg);
    c->reg = NULL;
  }
  return 0;
}

/** tokenflow.core.metrics_core([max_series]) -> a new, empty core registry. */
static int l_new_core(lua_State *L) {
  lua_Integer max_series = luaL_optinteger(L, 1, 1000);
  core_box *c;
  luaL_argcheck(L, max_series >= 1, 1, "max_series must be at least 1");
  c = (core_box *)lua_newuserdatauv(L, sizeof *c, 1); /* created closed */
  c->reg = NULL;
  luaL_setmetatable(L, TF_METRICS_CORE);
  c->reg = tf_metrics_new(tf_lua_mem(L), (size_t)max_series);
  if (c->reg == NULL) return tf_lua_oom(L);
  return 1;
}

/** tokenflow.core.sys_usage() -> cpu_user_s, cpu_system_s, rss_bytes, peak_rss_bytes. */
static int l_sys_usage(lua_State *L) {
  tf_sys_usage u;
  tf_sys_usage_now(&u);
  lua_pushnumber(L, u.cpu_user_s);
  lua_pushnumber(L, u.cpu_system_s);
  lua_pushinteger(L, (lua_Integer)u.rss_bytes);
  lua_pushinteger(L, (lua_Integer)u.peak_rss_bytes);
  return 4;
}

static void new_handle_class(lua_State *L, const char *tname, const luaL_Reg *methods) {
  static const luaL_Reg meta[] = {{"__tostring", handle_tostring}, {NULL, NULL}};
  tf_lua_newclass(L, tname, meta, methods);
}

void tf_open_metrics(lua_State *L) {
  static const luaL_Reg core_meta[] = {
      {"__len", core_len}, {"__tostring", core_tostring}, {"__gc", core_close}, {"__close", core_close}, {NULL, NULL}};
  static const luaL_Reg core_methods[] = {{"register", core_register},
                                          {"threshold", core_threshold},
                                          {"on_alert", core_on_alert},
                                          {"collect", core_collect},
                                          {"prometheus", core_prometheus},
                                          {"get", core_get},
                                          {"series_count", core_series_count},
                                          {"close", core_close},
                                          {NULL, NULL}};
  static const luaL_Reg counter_methods[] = {{"labels", handle_labels}, {"value", handle_value}, {NULL, NULL}};
  static const luaL_Reg histogram_methods[] = {
      {"labels", handle_labels}, {"quantile", histogram_quantile}, {"stats", histogram_stats}, {NULL, NULL}};
  tf_lua_newclass(L, TF_METRICS_CORE, core_meta, core_methods);
  new_handle_class(L, TF_COUNTER_CLASS, counter_methods);
  new_handle_class(L, TF_GAUGE_CLASS, counter_methods);
  new_handle_class(L, TF_HISTOGRAM_CLASS, histogram_methods);
  luaL_newmetatable(L, TF_SERIES_BOX); /* only a type tag for luaL_checkudata */
  lua_pop(L, 1);
  luaL_newmetatable(L, TF_TEXT);
  lua_pushcfunction(L, text_gc);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);
  lua_pushcfunction(L, l_new_core);
  lua_setfield(L, -2, "metrics_core");
  lua_pushcfunction(L, l_sys_usage);
  lua_setfield(L, -2, "sys_usage");
}

#include "tf_jsonw.h"

#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- numbers ---- */

/* A decimal: digits d[0..n-1] (d[0] != 0), value 0.d1d2...dn x 10^exp. */
typedef struct decimal {
  char d[20];
  int n;
  int exp;
} decimal;

/* The nearest p-digit decimal to |v| (p in 1..17), from printf's
 * correctly rounded %e. */
static void nearest(double v, int p, decimal *out) {
  char buf[40];
  int i, k = 0;
  const char *e;
  snprintf(buf, sizeof buf, "%.*e", p - 1, fabs(v));
  for (i = 0; buf[i] != 'e'; i++) {
    if (buf[i] >= '0' && buf[i] <= '9') out->d[k++] = buf[i];
  }
  e = buf + i + 1;
  out->n = k;
  out->exp = atoi(e) + 1;
}

/* The decimal one unit in the last place away (+1 or -1). */
static void step(decimal *x, int dir) {
  int i = x->n - 1;
  if (dir > 0) {
    while (i >= 0 && x->d[i] == '9') x->d[i--] = '0';
    if (i < 0) { /* 99..9 + 1 = 100..0: one more digit before the point */
      x->d[0] = '1';
      x->exp++;
    } else {
      x->d[i]++;
    }
  } else {
    while (i >= 0 && x->d[i] == '0') x->d[i--] = '9';
    x->d[i]--; /* d[0] != 0, so the borrow stops */
    if (x->d[0] == '0') { /* 100..0 - 1 = 099..9: renormalise */
      memmove(x->d, x->d + 1, (size_t)x->n - 1);
      x->d[x->n - 1] = '9';
      x->exp--;
    }
  }
}

/* Reads a decimal back as a double, whatever the C locale's decimal point. */
static double value_of(const decimal *x, int negative) {
  char buf[48];
  const struct lconv *lc = localeconv();
  const char *point = (lc && lc->decimal_point && lc->decimal_point[0]) ? lc->decimal_point : ".";
  size_t plen = strlen(point), k = 0;
  if (negative) buf[k++] = '-';
  buf[k++] = x->d[0];
  if (plen < 8) {
    memcpy(buf + k, point, plen);
    k += plen;
  }
  memcpy(buf + k, x->d + 1, (size_t)x->n - 1);
  k += (size_t)x->n - 1;
  snprintf(buf + k, sizeof buf - k, "e%d", x->exp - 1);
  return strtod(buf, NULL);
}

/* A p-digit decimal that reads back as v: 1 and *out set, or 0. Checks
 * both decimals around v, as the one nearer to v can fall outside v's
 * rounding interval where that interval is lopsided (at powers of two). */
static int round_trips(double v, int p, decimal *out) {
  decimal a;
  double back;
  nearest(v, p, &a);
  back = value_of(&a, v < 0);
  if (back == v) {
    *out = a;
    return 1;
  }
  step(&a, (fabs(back) > fabs(v)) ? -1 : 1);
  if (value_of(&a, v < 0) == v) {
    *out = a;
    return 1;
  }
  return 0;
}

/* ECMAScript Number::toString layout of digits d (k of them) and exponent n. */
static size_t layout(const decimal *x, int negative, char *out) {
  size_t len = 0;
  int k = x->n, n = x->exp, i;
  while (k > 1 && x->d[k - 1] == '0') k--;
  if (negative) out[len++] = '-';
  if (k <= n && n <= 21) {
    memcpy(out + len, x->d, (size_t)k);
    len += (size_t)k;
    for (i = k; i < n; i++) out[len++] = '0';
  } else if (0 < n && n <= 21) {
    memcpy(out + len, x->d, (size_t)n);
    len += (size_t)n;
    out[len++] = '.';
    memcpy(out + len, x->d + n, (size_t)(k - n));
    len += (size_t)(k - n);
  } else if (-6 < n && n <= 0) {
    out[len++] = '0';
    out[len++] = '.';
    for (i = n; i < 0; i++) out[len++] = '0';
    memcpy(out + len, x->d, (size_t)k);
    len += (size_t)k;
  } else {
    out[len++] = x->d[0];
    if (k > 1) {
      out[len++] = '.';
      memcpy(out + len, x->d + 1, (size_t)(k - 1));
      len += (size_t)(k - 1);
    }
    len += (size_t)snprintf(out + len, 8, "e%c%d", n - 1 < 0 ? '-' : '+', abs(n - 1));
  }
  out[len] = '\0';
  return len;
}

size_t tf_jsonw_number(double v, char out[TF_JSONW_NUMBER_MAX]) {
  decimal best;
  int lo = 1, hi = 17;
  if (isnan(v) || isinf(v)) return 0;
  if (v == 0) {
    memcpy(out, signbit(v) ? "-0" : "0", signbit(v) ? 3 : 2);
    return signbit(v) ? 2 : 1;
  }
  if (fabs(v) < 9007199254740992.0 && v == (double)(int64_t)v) {
    return (size_t)snprintf(out, TF_JSONW_NUMBER_MAX, "%lld", (long long)(int64_t)v);
  }
  /* the digit counts that round-trip are all those from the shortest up
   * (17 always do). Most values written are short decimals: 15 digits
   * round-trip, and so does the nearest decimal with the trailing zeros
   * gone, unless a shorter one on the other side of v does (checked one
   * digit down). Else bisection finds the shortest. */
  nearest(v, 15, &best);
  if (value_of(&best, v < 0) == v) {
    decimal d;
    int k = best.n;
    while (k > 1 && best.d[k - 1] == '0') k--;
    best.n = k;
    if (k == 1 || !round_trips(v, k - 1, &d)) return layout(&best, v < 0, out);
    hi = k - 1;
    best = d;
  } else {
    lo = 16;
    nearest(v, 17, &best);
  }
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    decimal d;
    if (round_trips(v, mid, &d)) {
      best = d;
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  if (lo == 17) round_trips(v, 17, &best);
  return layout(&best, v < 0, out);
}

double tf_jsonw_read_number(const char *s, size_t len) {
  char buf[64];
  const struct lconv *lc = localeconv();
  const char *point = (lc && lc->decimal_point && lc->decimal_point[0]) ? lc->decimal_point : ".";
  size_t plen = strlen(point), i, k = 0;
  if (len + plen >= sizeof buf) return strtod(s, NULL); /* no number of ours is this long */
  for (i = 0; i < len; i++) {
    if (s[i] == '.' && plen < 8) {
      memcpy(buf + k, point, plen);
      k += plen;
    } else {
      buf[k++] = s[i];
    }
  }
  buf[k] = '\0';
  return strtod(buf, NULL);
}

/* ---- strings ---- */

size_t tf_utf8_valid(const unsigned char *s, size_t len) {
  size_t i = 0;
  while (i < len) {
    unsigned c = s[i];
    size_t need;
    unsigned min;
    if (c < 0x80) {
      /* ASCII runs, eight bytes at a time */
      while (i + 8 <= len) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (w & 0x8080808080808080ULL) break;
        i += 8;
      }
      if (i < len && s[i] < 0x80) i++;
      continue;
    }
    if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else {
      return i;
    }
    if (len - i <= need) return i;
    {
      unsigned cp = c & (0x3f >> need);
      size_t k;
      for (k = 1; k <= need; k++) {
        unsigned b = s[i + k];
        if ((b & 0xc0) != 0x80) return i;
        cp = (cp << 6) | (b & 0x3f);
      }
      if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    }
    i += need + 1;
  }
  return len;
}

int tf_jsonw_string(tf_buf *b, const char *str, size_t len, size_t *bad) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *s = (const unsigned char *)str;
  size_t i = 0, run = 0, valid_end = 0; /* s[..valid_end) is known to be valid UTF-8 */
  if (tf_buf_byte(b, '"') != 0) return -1;
  while (i < len) {
    unsigned c = s[i];
    char esc[6];
    size_t elen = 0;
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      i++;
      continue;
    }
    if (c >= 0x80) {
      size_t ok = i < valid_end ? valid_end - i : tf_utf8_valid(s + i, len - i);
      if (ok > 0) {
        valid_end = i + ok;
        /* a valid run: up to the next byte that needs a look */
        size_t k = 0;
        while (k < ok && (s[i + k] >= 0x80 || (s[i + k] >= 0x20 && s[i + k] != '"' && s[i + k] != '\\'))) k++;
        i += k;
        continue;
      }
      if (c == 0xed && len - i >= 3 && (s[i + 1] & 0xe0) == 0xa0 && (s[i + 2] & 0xc0) == 0x80) {
        unsigned cp = 0xd000u | ((unsigned)(s[i + 1] & 0x3f) << 6) | (s[i + 2] & 0x3f);
        if (tf_buf_put(b, s + run, i - run) != 0) return -1;
        esc[0] = '\\';
        esc[1] = 'u';
        if (tf_buf_put(b, esc, 2) != 0) return -1;
        esc[0] = hex[cp >> 12];
        esc[1] = hex[(cp >> 8) & 15];
        esc[2] = hex[(cp >> 4) & 15];
        esc[3] = hex[cp & 15];
        if (tf_buf_put(b, esc, 4) != 0) return -1;
        i += 3;
        run = i;
        continue;
      }
      if (bad) *bad = i;
      return -2;
    }
    esc[elen++] = '\\';
    switch (c) {
      case '"': esc[elen++] = '"'; break;
      case '\\': esc[elen++] = '\\'; break;
      case '\b': esc[elen++] = 'b'; break;
      case '\f': esc[elen++] = 'f'; break;
      case '\n': esc[elen++] = 'n'; break;
      case '\r': esc[elen++] = 'r'; break;
      case '\t': esc[elen++] = 't'; break;
      default:
        esc[elen++] = 'u';
        esc[elen++] = '0';
        esc[elen++] = '0';
        esc[elen++] = hex[c >> 4];
        esc[elen++] = hex[c & 15];
    }
    if (tf_buf_put(b, s + run, i - run) != 0 || tf_buf_put(b, esc, elen) != 0) return -1;
    i++;
    run = i;
  }
  if (tf_buf_put(b, s + run, len - run) != 0) return -1;
  return tf_buf_byte(b, '"');
}

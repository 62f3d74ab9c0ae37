/* JSON value writer: numbers read back bit for bit and are the shortest
 * such text (checked against every shorter digit count, both decimals
 * around the value), laid out as JSON.stringify does; strings escaped as
 * little as JSON allows; UTF-8 checks. */
#include <float.h>
#include <math.h>
#include <stdint.h>

#include "tf_jsonw.h"
#include "tf_test.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t next_u64(void) { /* xorshift64*: the same numbers on every run */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545F4914F6CDD1DULL;
}

static int same_bits(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

/* Significant digits of a number text (leading zeros and the point and
 * exponent left out, trailing zeros of the mantissa too). */
static int digits_of(const char *s) {
  int n = 0, started = 0, zeros = 0;
  for (; *s && *s != 'e'; s++) {
    if (*s < '0' || *s > '9') continue;
    if (*s == '0' && !started) continue;
    started = 1;
    if (*s == '0') {
      zeros++;
    } else {
      n += zeros + 1;
      zeros = 0;
    }
  }
  return n;
}

/* Adds dir (+1 or -1) to the last digit of the mantissa "d.ddd" in m,
 * carrying or borrowing; returns the exponent change (+1 when 9.99 + 1
 * became 10.0, -1 when 1.00 - 1 became 0.99). */
static int bump(char *m, int dir) {
  int i = (int)strlen(m) - 1;
  for (; i >= 0; i--) {
    if (m[i] == '.') continue;
    if (dir > 0 && m[i] == '9') {
      m[i] = '0';
    } else if (dir < 0 && m[i] == '0') {
      m[i] = '9';
    } else {
      m[i] = (char)(m[i] + dir);
      if (m[0] != '0') return 0;
      /* 1.000 - 1 unit: the decimal below is 9.999 (p nines) one decade down */
      for (i = 0; m[i]; i++)
        if (m[i] != '.') m[i] = '9';
      return -1;
    }
  }
  m[0] = '1'; /* 9.999 + 1 unit = 1.000 one decade up */
  return 1;
}

/* 1 when some decimal of p significant digits reads back as v: both
 * p-digit decimals around v are tried (printf's nearest and its neighbour). */
static int some_round_trip(double v, int p) {
  char buf[96], m[64];
  const char *e;
  double back;
  int exp;
  snprintf(buf, sizeof buf, "%.*e", p - 1, fabs(v));
  back = strtod(buf, NULL);
  if (back == fabs(v)) return 1;
  e = strchr(buf, 'e');
  memcpy(m, buf, (size_t)(e - buf));
  m[e - buf] = '\0';
  exp = atoi(e + 1);
  exp += bump(m, back < fabs(v) ? 1 : -1);
  snprintf(buf, sizeof buf, "%se%d", m, exp);
  return strtod(buf, NULL) == fabs(v);
}

static void check_number(tf_test_ctx *t, double v) {
  char out[TF_JSONW_NUMBER_MAX];
  size_t len = tf_jsonw_number(v, out);
  int ok = len > 0 && strlen(out) == len && same_bits(strtod(out, NULL), v);
  CHECK(t, ok);
  if (!ok) {
    fprintf(stderr, "  %.17g -> '%s'\n", v, out);
    return;
  }
  if (v != 0) {
    int d = digits_of(out);
    int shorter = d > 1 && some_round_trip(v, d - 1);
    CHECK(t, !shorter);
    if (shorter) fprintf(stderr, "  %.17g -> '%s' is not the shortest\n", v, out);
  }
}

static void test_layout(tf_test_ctx *t) {
  static const struct {
    double v;
    const char *text;
  } cases[] = {
      {0.7686274647712708, "0.7686274647712708"}, {514.9999389648438, "514.9999389648438"},
      {0.1, "0.1"}, {1.0 / 3, "0.3333333333333333"}, {13, "13"}, {-2.5, "-2.5"}, {1e21, "1e+21"},
      {1e20, "100000000000000000000"}, {123456789012345680000.0, "123456789012345680000"},
      {1e-6, "0.000001"}, {1e-7, "1e-7"}, {1.5e-7, "1.5e-7"}, {5e-324, "5e-324"},
      {1.7976931348623157e308, "1.7976931348623157e+308"}, {2.2250738585072014e-308, "2.2250738585072014e-308"},
      {0.2 + 0.1, "0.30000000000000004"}, {100, "100"}, {9007199254740993.0, "9007199254740992"},
      {1e16, "10000000000000000"}, {-1e-300, "-1e-300"}, {1.0 / 255, "0.00392156862745098"},
      {4.35, "4.35"}, {0.000123, "0.000123"}};
  size_t i;
  char out[TF_JSONW_NUMBER_MAX];
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    tf_jsonw_number(cases[i].v, out);
    CHECK(t, strcmp(out, cases[i].text) == 0);
    if (strcmp(out, cases[i].text) != 0) fprintf(stderr, "  %.17g -> '%s', want '%s'\n", cases[i].v, out, cases[i].text);
  }
  CHECK(t, tf_jsonw_number(0.0, out) == 1 && strcmp(out, "0") == 0);
  CHECK(t, tf_jsonw_number(-0.0, out) == 2 && strcmp(out, "-0") == 0);
  CHECK(t, tf_jsonw_number(NAN, out) == 0);
  CHECK(t, tf_jsonw_number(INFINITY, out) == 0 && tf_jsonw_number(-INFINITY, out) == 0);
}

static void test_random_numbers(tf_test_ctx *t) {
  int i;
  int before = t->failures;
  for (i = 0; i < 200000; i++) {
    uint64_t bits = next_u64();
    double v;
    memcpy(&v, &bits, sizeof v);
    if (isnan(v) || isinf(v)) continue;
    check_number(t, v);
    if (t->failures - before > 10) return;
  }
  /* subnormals, the extremes, powers of two (lopsided rounding intervals),
   * multiples of 1/255 (Figma's colour channels), small decimals */
  for (i = 0; i < 20000; i++) {
    uint64_t bits = next_u64() & 0x000fffffffffffffULL;
    double v;
    memcpy(&v, &bits, sizeof v);
    check_number(t, v);
    check_number(t, -v);
  }
  for (i = -1074; i <= 1023; i++) {
    check_number(t, ldexp(1.0, i));
    check_number(t, nextafter(ldexp(1.0, i), 0));
    check_number(t, nextafter(ldexp(1.0, i), INFINITY));
  }
  for (i = 0; i <= 255 * 4; i++) check_number(t, i / 255.0);
  for (i = 0; i < 20000; i++) check_number(t, (double)(int)(next_u64() % 2000000) / 1000.0);
  check_number(t, DBL_MAX);
  check_number(t, -DBL_MAX);
  check_number(t, DBL_MIN);
  check_number(t, 1e308);
  check_number(t, 4.9406564584124654e-324);
}

static void str_is(tf_test_ctx *t, const char *in, size_t len, const char *want) {
  tf_buf b;
  tf_buf_init(&b, tf_mem_default());
  CHECK(t, tf_jsonw_string(&b, in, len, NULL) == 0);
  CHECK(t, b.len == strlen(want) && memcmp(b.data, want, b.len) == 0);
  if (!(b.len == strlen(want) && memcmp(b.data, want, b.len) == 0))
    fprintf(stderr, "  got %.*s want %s\n", (int)b.len, (const char *)b.data, want);
  tf_buf_free(&b);
}

static void test_strings(tf_test_ctx *t) {
  tf_buf b;
  size_t bad = 0;
  str_is(t, "plain", 5, "\"plain\"");
  str_is(t, "a/b", 3, "\"a/b\"");
  str_is(t, "q\"b\\", 4, "\"q\\\"b\\\\\"");
  str_is(t, "\n\t\r\b\f\x01\x1f", 7, "\"\\n\\t\\r\\b\\f\\u0001\\u001f\"");
  str_is(t, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\xa8", 14, "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\xa8\"");
  str_is(t, "\x7f", 1, "\"\x7f\"");
  str_is(t, "lone \xed\xa0\x80", 8, "\"lone \\ud800\"");
  str_is(t, "", 0, "\"\"");
  tf_buf_init(&b, tf_mem_default());
  CHECK(t, tf_jsonw_string(&b, "ok\xff", 3, &bad) == -2 && bad == 2);
  CHECK(t, tf_jsonw_string(&b, "\xc3", 1, &bad) == -2 && bad == 0);
  CHECK(t, tf_jsonw_string(&b, "\xc0\x80", 2, &bad) == -2); /* overlong */
  CHECK(t, tf_jsonw_string(&b, "\xf4\x90\x80\x80", 4, &bad) == -2); /* past U+10FFFF */
  tf_buf_free(&b);
  CHECK(t, tf_utf8_valid((const unsigned char *)"abcdefghijklmnop\xc3\xa9", 18) == 18);
  CHECK(t, tf_utf8_valid((const unsigned char *)"abcdefghijklmnop\xc3", 17) == 16);
  CHECK(t, tf_utf8_valid((const unsigned char *)"\xed\xa0\x80", 3) == 0);
}

static void test_oom(tf_test_ctx *t) {
  tf_test_alloc a;
  tf_buf b;
  tf_buf_init(&b, tf_test_mem(&a, 0, 0));
  CHECK(t, tf_jsonw_string(&b, "x", 1, NULL) == -1);
  CHECK(t, a.live == 0);
  tf_buf_free(&b);
}

int main(void) {
  tf_test_ctx t = {0, 0};
  test_layout(&t);
  test_random_numbers(&t);
  test_strings(&t);
  test_oom(&t);
  return tf_test_report("test_jsonw", &t);
}

/* JSON tape reader: tape shape, unescaping, numbers, what it refuses
 * (leaving it to lua-cjson), the fuzzing entry, and an out-of-memory sweep. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "tf_json.h"
#include "tf_test.h"

static int parse_str(tf_json *j, const char *s) { return tf_json_parse(j, s, strlen(s)); }

static int str_is(const tf_json *j, uint32_t i, const char *want, size_t want_len) {
  size_t len;
  const char *s;
  if (tf_json_kind(j, i) != TF_JSON_STRING) return 0;
  s = tf_json_str(j, i, &len);
  return len == want_len && memcmp(s, want, len) == 0;
}

static void test_tape(tf_test_ctx *t) {
  tf_json j;
  const char *text = "{\"core\": {\"a\": {\"value\": \"#fff\", \"type\": \"color\"}, \"n\": [1, -2.5e1, true, false, null]},"
                     " \"e\\n\\u00e9\\\"\": \"x\\/y\\u0041\\u20ac\", \"empty\": {}, \"arr\": []}";
  uint32_t core, a, n, k;
  tf_json_init(&j, tf_mem_default());
  CHECK(t, parse_str(&j, text) == TF_JSON_OK);
  CHECK(t, tf_json_kind(&j, 0) == TF_JSON_OBJECT && tf_json_len(&j, 0) == 4);
  CHECK(t, tf_json_next(&j, 0) == j.count);
  core = tf_json_member(&j, 0, "core", 4);
  CHECK(t, core == 2 && tf_json_kind(&j, core) == TF_JSON_OBJECT && tf_json_len(&j, core) == 2);
  a = tf_json_member(&j, core, "a", 1);
  CHECK(t, a != 0 && str_is(&j, tf_json_member(&j, a, "value", 5), "#fff", 4));
  CHECK(t, str_is(&j, tf_json_member(&j, a, "type", 4), "color", 5));
  CHECK(t, tf_json_member(&j, a, "typ", 3) == 0 && tf_json_member(&j, 0, "a", 1) == 0);
  n = tf_json_member(&j, core, "n", 1);
  CHECK(t, n != 0 && tf_json_kind(&j, n) == TF_JSON_ARRAY && tf_json_len(&j, n) == 5);
  CHECK(t, tf_json_kind(&j, n + 1) == TF_JSON_NUMBER && tf_json_num(&j, n + 1) == 1.0);
  CHECK(t, tf_json_num(&j, n + 2) == -25.0);
  CHECK(t, tf_json_kind(&j, n + 3) == TF_JSON_TRUE && tf_json_kind(&j, n + 4) == TF_JSON_FALSE &&
               tf_json_kind(&j, n + 5) == TF_JSON_NULL);
  CHECK(t, tf_json_next(&j, n) == n + 6);
  /* escapes in keys and values: \n, \u00e9 (2 bytes), \" ; \/, \u0041, \u20ac (3 bytes) */
  k = tf_json_next(&j, core);
  CHECK(t, str_is(&j, k, "e\n\xc3\xa9\"", 5));
  CHECK(t, str_is(&j, k + 1, "x/yA\xe2\x82\xac", 7));
  CHECK(t, tf_json_member(&j, 0, "e\n\xc3\xa9\"", 5) == k + 1);
  CHECK(t, tf_json_len(&j, tf_json_member(&j, 0, "empty", 5)) == 0);
  CHECK(t, tf_json_kind(&j, tf_json_member(&j, 0, "arr", 3)) == TF_JSON_ARRAY);
  /* the reader parses again into the same blocks */
  CHECK(t, parse_str(&j, " [ \"\", 0, -0, 1E+2, 123456789012345678901234567890 ] ") == TF_JSON_OK);
  CHECK(t, j.count == 6 && str_is(&j, 1, "", 0) && tf_json_num(&j, 4) == 100.0);
  CHECK(t, tf_json_num(&j, 5) == 123456789012345678901234567890.0);
  CHECK(t, signbit(tf_json_num(&j, 3)));
  CHECK(t, parse_str(&j, "\"only\"") == TF_JSON_OK && j.count == 1 && str_is(&j, 0, "only", 4));
  tf_json_clear(&j);
  tf_json_clear(&j); /* idempotent */
  CHECK(t, j.nodes == NULL && j.arena == NULL && j.nums == NULL);
}

/* Everything lua-cjson reads differently from a walk of the tape, or
 * rejects, is refused. */
static void test_refused(tf_test_ctx *t) {
  static const char *const cases[] = {
      "", " ", "{", "}", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "[01]", "[1.]", "[.5]", "[1e]", "[+1]",
      "[-]", "[0x10]", "[Infinity]", "[NaN]", "[tru]", "[nul]", "[\"a\tb\"]", "[\"\\x\"]", "[\"\\u12\"]",
      "[\"\\ud83d\\ude00\"]", "[\"\\udc00\"]", "\"unterminated", "{} {}", "[1] x", "\xef\xbb\xbf{}",
      "{\"a\": 1, \"a\": 2}", "{\"k\": {\"x\": 1, \"y\": 2, \"x\": 3}}", "{\"a\": 1, \"\\u0061\": 2}",
      "[1e999999999999999999999999999999999999999999999999999999999999999999]", /* too long to convert here */
      NULL};
  const char *const *c;
  tf_json j;
  tf_json_init(&j, tf_mem_default());
  for (c = cases; *c; c++) {
    int st = parse_str(&j, *c);
    CHECK(t, st == TF_JSON_UNSUPPORTED);
    if (st != TF_JSON_UNSUPPORTED) fprintf(stderr, "  accepted: %s\n", *c);
    CHECK(t, j.count == 0);
  }
  /* embedded NUL */
  CHECK(t, tf_json_parse(&j, "[1]\0", 4) == TF_JSON_UNSUPPORTED);
  CHECK(t, tf_json_parse(&j, "[\"a\0b\"]", 7) == TF_JSON_UNSUPPORTED);
  tf_json_clear(&j);
}

/* Duplicate keys in large objects (the hashed check) and in small ones. */
static void test_duplicates(tf_test_ctx *t) {
  size_t cap = 100000, n;
  char *buf = (char *)malloc(cap);
  int i;
  tf_json j;
  tf_json_init(&j, tf_mem_default());
  n = (size_t)snprintf(buf, cap, "{");
  for (i = 0; i < 2000; i++) n += (size_t)snprintf(buf + n, cap - n, "%s\"k%d\": %d", i ? "," : "", i, i);
  snprintf(buf + n, cap - n, "}");
  CHECK(t, parse_str(&j, buf) == TF_JSON_OK && tf_json_len(&j, 0) == 2000);
  CHECK(t, tf_json_num(&j, tf_json_member(&j, 0, "k1999", 5)) == 1999.0);
  snprintf(buf + n, cap - n, ",\"k1234\": 0}");
  CHECK(t, parse_str(&j, buf) == TF_JSON_UNSUPPORTED);
  free(buf);
  tf_json_clear(&j);
}

static void test_depth(tf_test_ctx *t) {
  char buf[2 * (TF_JSON_MAX_DEPTH + 1) + 1];
  int d;
  tf_json j;
  tf_json_init(&j, tf_mem_default());
  for (d = 0; d < TF_JSON_MAX_DEPTH; d++) buf[d] = '[';
  for (d = 0; d < TF_JSON_MAX_DEPTH; d++) buf[TF_JSON_MAX_DEPTH + d] = ']';
  buf[2 * TF_JSON_MAX_DEPTH] = '\0';
  CHECK(t, parse_str(&j, buf) == TF_JSON_OK && j.count == TF_JSON_MAX_DEPTH);
  for (d = 0; d <= TF_JSON_MAX_DEPTH; d++) buf[d] = '[';
  for (d = 0; d <= TF_JSON_MAX_DEPTH; d++) buf[TF_JSON_MAX_DEPTH + 1 + d] = ']';
  buf[2 * (TF_JSON_MAX_DEPTH + 1)] = '\0';
  CHECK(t, parse_str(&j, buf) == TF_JSON_UNSUPPORTED);
  tf_json_clear(&j);
}

/* A random JSON text (valid), from a small generator. */
static uint32_t rnd(uint32_t *x) {
  *x = *x * 1103515245u + 12345u;
  return *x >> 16;
}
static size_t gen_value(char *buf, size_t cap, size_t n, uint32_t *x, int depth) {
  static const char *const scalars[] = {"0", "-1.5e3", "true", "false", "null", "\"a\"", "\"\\u00e9\\n\"", "\"{x.y} * 2\"", "12"};
  uint32_t k = rnd(x) % (depth > 4 ? 9 : 12), m, i;
  if (n + 64 >= cap) return n;
  if (k < 9) return n + (size_t)snprintf(buf + n, cap - n, "%s", scalars[k]);
  m = rnd(x) % 4;
  buf[n++] = k == 9 ? '[' : '{';
  for (i = 0; i < m && n + 64 < cap; i++) {
    if (i) buf[n++] = ',';
    if (k != 9) n += (size_t)snprintf(buf + n, cap - n, "\"k%u\":", (unsigned)i);
    n = gen_value(buf, cap, n, x, depth + 1);
  }
  buf[n++] = k == 9 ? ']' : '}';
  return n;
}

/* The fuzzing entry on valid, broken and random inputs (it aborts on a
 * broken tape). */
static void test_fuzz_entry(tf_test_ctx *t) {
  static const char doc[] = "{\"a\": [1, {\"b\": \"\\u00e9\"}]}";
  char buf[4096];
  uint32_t x = 12345;
  int i, ok = 0;
  CHECK(t, tf_json_fuzz_one((const uint8_t *)doc, strlen(doc)) == TF_JSON_OK);
  CHECK(t, tf_json_fuzz_one((const uint8_t *)doc, strlen(doc) - 1) == TF_JSON_UNSUPPORTED);
  CHECK(t, tf_json_fuzz_one(NULL, 0) == TF_JSON_UNSUPPORTED);
  for (i = 0; i < 20000; i++) {
    size_t n = gen_value(buf, sizeof buf, 0, &x, 0);
    if (i % 2) buf[rnd(&x) % n] = (char)(rnd(&x) & 0xff); /* one broken byte */
    if (tf_json_fuzz_one((const uint8_t *)buf, n) == TF_JSON_OK) ok++;
  }
  CHECK(t, ok >= 10000); /* every unbroken text parses */
  printf("json fuzz entry: 20000 generated inputs, %d parsed\n", ok);
}

/* Fail allocation N for every N until the parse succeeds: each failure is
 * TF_JSON_NOMEM with an empty tape, and nothing leaks. */
static void test_oom_sweep(tf_test_ctx *t) {
  static char text[20000];
  size_t n = 0;
  long limit;
  int i, points = 0, done = 0;
  n += (size_t)snprintf(text + n, sizeof text - n, "{\"core\": {");
  for (i = 0; i < 300; i++)
    n += (size_t)snprintf(text + n, sizeof text - n, "%s\"t%d\": {\"value\": \"{t%d} * 1.5\", \"type\": \"sp\\u00e9\"}",
                          i ? "," : "", i, i / 2);
  snprintf(text + n, sizeof text - n, "}}");
  for (limit = 0; !done && limit < 10000; limit++) {
    tf_test_alloc a;
    tf_json j;
    int st;
    tf_json_init(&j, tf_test_mem(&a, limit, 0));
    st = parse_str(&j, text);
    if (st == TF_JSON_OK) {
      done = 1;
      CHECK(t, tf_json_len(&j, tf_json_member(&j, 0, "core", 4)) == 300);
    } else {
      CHECK(t, st == TF_JSON_NOMEM && j.count == 0);
      points++;
    }
    tf_json_clear(&j);
    CHECK(t, a.live == 0 && a.bytes == 0);
  }
  CHECK(t, done && points > 3);
  printf("json oom sweep: %d failure points\n", points);
}

/* Numbers the reader converts itself must be the doubles strtod gives, to
 * the bit (sign of zero included): random decimal texts of every length,
 * with and without fraction and exponent, around the limits of the exact
 * conversion (2^53, 10^22) and beyond them. */
static void test_numbers_match_strtod(tf_test_ctx *t) {
  static const char *fixed[] = {"0", "-0", "-0.0", "0e5", "9007199254740992", "9007199254740993", "18446744073709551615",
                                "1e22", "1e23", "123456789012345678", "1234567890123456789", "12345678901234567890",
                                "0.1", "0.30000000000000004", "4.35", "213.3", "1.7976931348623157e308", "5e-324",
                                "2.2250738585072014e-308", "1e-22", "1e-23", "0.000000000000000000000001", "100e-2"};
  uint64_t x = UINT64_C(0x9E3779B97F4A7C15);
  char text[128];
  int i, mismatches = 0;
  tf_json j;
  tf_json_init(&j, tf_mem_default());
  for (i = 0; i < 200000 + (int)(sizeof fixed / sizeof *fixed); i++) {
    char num[64];
    double want, got;
    if (i < (int)(sizeof fixed / sizeof *fixed)) {
      snprintf(num, sizeof num, "%s", fixed[i]);
    } else {
      int len = 0, ndig, k;
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      if (x & 1) num[len++] = '-';
      ndig = 1 + (int)((x >> 1) % 21);
      num[len++] = (char)('1' + (x >> 8) % 9);
      for (k = 1; k < ndig; k++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        num[len++] = (char)('0' + x % 10);
      }
      if ((x >> 20) & 1) { /* a fraction */
        int nf = 1 + (int)((x >> 21) % 12);
        num[len++] = '.';
        for (k = 0; k < nf; k++) {
          x ^= x << 13, x ^= x >> 7, x ^= x << 17;
          num[len++] = (char)('0' + x % 10);
        }
      }
      if ((x >> 30) % 3 == 0) /* an exponent */
        len += snprintf(num + len, sizeof num - (size_t)len, "e%s%d", (x >> 33) & 1 ? "-" : "+", (int)((x >> 34) % 40));
      num[len] = '\0';
    }
    snprintf(text, sizeof text, "[%s]", num);
    want = strtod(num, NULL);
    if (parse_str(&j, text) != TF_JSON_OK) {
      mismatches++;
      continue;
    }
    got = tf_json_num(&j, 1);
    if (memcmp(&got, &want, sizeof got) != 0) {
      if (mismatches < 5) printf("number %s: read %.17g, strtod %.17g\n", num, got, want);
      mismatches++;
    }
  }
  CHECK(t, mismatches == 0);
  tf_json_clear(&j);
}

int main(void) {
  tf_test_ctx t = {0, 0};
  test_tape(&t);
  test_refused(&t);
  test_numbers_match_strtod(&t);
  test_duplicates(&t);
  test_depth(&t);
  test_fuzz_entry(&t);
  test_oom_sweep(&t);
  return tf_test_report("test_json", &t);
}

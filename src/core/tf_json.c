#include "tf_json.h"

#include <float.h>
#include <locale.h>
#include <stdlib.h>

#include "tf_hash.h"

void tf_json_init(tf_json *j, tf_mem mem) {
  memset(j, 0, sizeof *j);
  j->mem = mem;
}

void tf_json_clear(tf_json *j) {
  tf_mem_free(&j->mem, j->nodes, j->cap * sizeof *j->nodes);
  tf_mem_free(&j->mem, j->nums, j->nums_cap * sizeof *j->nums);
  tf_mem_free(&j->mem, j->arena, j->arena_cap);
  tf_mem_free(&j->mem, j->scratch, j->scratch_cap * sizeof *j->scratch);
  j->nodes = NULL;
  j->nums = NULL;
  j->nnums = j->nums_cap = 0;
  j->arena = NULL;
  j->scratch = NULL;
  j->count = j->cap = j->arena_len = j->arena_cap = j->scratch_cap = 0;
  j->text = NULL;
  j->text_len = 0;
}

/* Parser state: a cursor over the text and the status to return. */
typedef struct parser {
  tf_json *j;
  const char *p, *end;
  int status;
} parser;

static int fail(parser *ps, int status) {
  if (ps->status == TF_JSON_OK) {
    ps->status = status;
    ps->j->error_at = (size_t)(ps->p - ps->j->text);
  }
  return -1;
}

/* Doubles the tape; 0, or -1 (status set). Kept out of push_node, whose
 * common path is then small enough to inline. */
static int grow_nodes(parser *ps) {
  tf_json *j = ps->j;
  size_t ncap = j->cap ? j->cap * 2 : 64;
  size_t bytes = tf_mem_mul(ncap, sizeof *j->nodes);
  tf_json_node *nn;
  if (bytes == 0 || ncap > UINT32_MAX) return fail(ps, TF_JSON_NOMEM);
  nn = (tf_json_node *)tf_mem_realloc(&j->mem, j->nodes, j->cap * sizeof *j->nodes, bytes);
  if (nn == NULL) return fail(ps, TF_JSON_NOMEM);
  j->nodes = nn;
  j->cap = ncap;
  return 0;
}

/* Appends a node; returns its index, or -1 (status set). */
static inline long push_node(parser *ps, uint32_t kind, uint32_t len, uint32_t u) {
  tf_json *j = ps->j;
  tf_json_node *n;
  if (j->count == j->cap && grow_nodes(ps) != 0) return -1;
  n = &j->nodes[j->count];
  n->head = kind | (len << 4);
  n->u = u;
  return (long)j->count++;
}

static inline void skip_ws(parser *ps) {
  const char *p = ps->p, *end = ps->end;
  if (p < end && (unsigned char)*p > ' ') return; /* minified text: no whitespace at all */
  while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) p++;
  ps->p = p;
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Decodes the escaped string body [s, e) into the arena. */
static int unescape(parser *ps, const char *s, const char *e, uint32_t *off, uint32_t *len) {
  tf_json *j = ps->j;
  size_t need = (size_t)(e - s);
  char *out;
  if (j->arena_cap - j->arena_len < need) {
    size_t ncap = j->arena_cap ? j->arena_cap : 256;
    char *na;
    while (ncap - j->arena_len < need) {
      if (ncap > SIZE_MAX / 2) return fail(ps, TF_JSON_NOMEM);
      ncap *= 2;
    }
    if (ncap > UINT32_MAX) return fail(ps, TF_JSON_UNSUPPORTED); /* offsets are 32-bit */
    na = (char *)tf_mem_realloc(&j->mem, j->arena, j->arena_cap, ncap);
    if (na == NULL) return fail(ps, TF_JSON_NOMEM);
    j->arena = na;
    j->arena_cap = ncap;
  }
  out = j->arena + j->arena_len;
  *off = (uint32_t)j->arena_len;
  while (s < e) {
    char c = *s++;
    if (c != '\\') {
      *out++ = c;
      continue;
    }
    c = *s++;
    switch (c) {
      case '"': *out++ = '"'; break;
      case '\\': *out++ = '\\'; break;
      case '/': *out++ = '/'; break;
      case 'b': *out++ = '\b'; break;
      case 'f': *out++ = '\f'; break;
      case 'n': *out++ = '\n'; break;
      case 'r': *out++ = '\r'; break;
      case 't': *out++ = '\t'; break;
      default: { /* 'u', checked by the scanner */
        unsigned cp = 0;
        int k;
        for (k = 0; k < 4; k++) cp = cp * 16 + (unsigned)hexval((unsigned char)s[k]);
        s += 4;
        if (cp < 0x80) {
          *out++ = (char)cp;
        } else if (cp < 0x800) {
          *out++ = (char)(0xC0 | (cp >> 6));
          *out++ = (char)(0x80 | (cp & 0x3F));
        } else {
          *out++ = (char)(0xE0 | (cp >> 12));
          *out++ = (char)(0x80 | ((cp >> 6) & 0x3F));
          *out++ = (char)(0x80 | (cp & 0x3F));
        }
      }
    }
  }
  *len = (uint32_t)(out - (j->arena + j->arena_len));
  j->arena_len += *len;
  return 0;
}

/* Bytes that end a run of plain string bytes: '"', '\\' and controls. */
static const unsigned char string_stop[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0};

/* Word-at-a-time tests: a byte of w is zero when ((w - ONES) & ~w &
 * HIGHS) has its high bit; a byte is below 0x20 when ((w - ONES * 0x20) &
 * ~w & HIGHS) has it (a set bit may be a false alarm only after a true
 * one, and the byte loop then decides). */
#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* the offset of the first flagged byte (the least significant here) */
#define FIRST_HIT(hits) ((size_t)__builtin_ctzll(hits) >> 3)
#endif

/* A string at ps->p (the opening quote): appends its node. */
static int parse_string(parser *ps) {
  const char *s = ps->p + 1, *p = s, *end = ps->end;
  int escaped = 0;
  uint32_t off;
  uint32_t len;
  for (;;) {
    unsigned char c;
    /* eight bytes at a time while none of them is '"', '\\' or a control */
    while (end - p >= 8) {
      uint64_t w, q, b, hits;
      memcpy(&w, p, 8);
      q = w ^ (ONES * '"');
      b = w ^ (ONES * '\\');
      hits = (((q - ONES) & ~q) | ((b - ONES) & ~b) | ((w - ONES * 0x20) & ~w)) & HIGHS;
      if (hits) {
#ifdef FIRST_HIT
        p += FIRST_HIT(hits); /* the lowest flagged byte is never a false alarm */
#endif
        break;
      }
      p += 8;
    }
    while (p < end && !string_stop[(unsigned char)*p]) p++;
    if (p >= end) return fail(ps, TF_JSON_UNSUPPORTED);
    c = (unsigned char)*p;
    if (c == '"') break;
    if (c < 0x20) {
      ps->p = p;
      return fail(ps, TF_JSON_UNSUPPORTED);
    }
    if (c == '\\') {
      escaped = 1;
      if (p + 1 >= end) return fail(ps, TF_JSON_UNSUPPORTED);
      c = (unsigned char)p[1];
      if (c == 'u') {
        unsigned cp = 0;
        int k;
        if (end - p < 6) return fail(ps, TF_JSON_UNSUPPORTED);
        for (k = 2; k < 6; k++) {
          int h = hexval((unsigned char)p[k]);
          if (h < 0) {
            ps->p = p;
            return fail(ps, TF_JSON_UNSUPPORTED);
          }
          cp = cp * 16 + (unsigned)h;
        }
        /* surrogates: lua-cjson pairs them up; leave those to it */
        if (cp >= 0xD800 && cp <= 0xDFFF) {
          ps->p = p;
          return fail(ps, TF_JSON_UNSUPPORTED);
        }
        p += 6;
        continue;
      }
      if (c != '"' && c != '\\' && c != '/' && c != 'b' && c != 'f' && c != 'n' && c != 'r' && c != 't') {
        ps->p = p;
        return fail(ps, TF_JSON_UNSUPPORTED);
      }
      p += 2;
      continue;
    }
    p++;
  }
  if ((size_t)(p - s) > TF_JSON_MAX_LEN) return fail(ps, TF_JSON_UNSUPPORTED);
  if (escaped) {
    if (unescape(ps, s, p, &off, &len) != 0) return -1;
    if (push_node(ps, TF_JSON_STRING | TF_JSON_IN_ARENA, len, off) < 0) return -1;
  } else {
    if (push_node(ps, TF_JSON_STRING, (uint32_t)(p - s), (uint32_t)(s - ps->j->text)) < 0) return -1;
  }
  ps->p = p + 1;
  return 0;
}

static int is_digit(const char *p, const char *end) { return p < end && *p >= '0' && *p <= '9'; }

#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
#define TF_JSON_EXACT_NUMBERS 1 /* double arithmetic rounds once, as strtod assumes */

/* Powers of ten that doubles hold exactly. */
static const double exact_pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                     1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* The value of the number text [s, p) when one correctly rounded operation
 * gives it (at most 2^53 as an integer mantissa, a power of ten up to 22:
 * Clinger's fast path), so it equals what strtod gives; 0 when strtod must
 * convert it. */
static int exact_number(const char *s, const char *p, double *out) {
  uint64_t m = 0;
  int digits = 0, e10 = 0, neg = 0, exp = 0, eneg = 0, frac = 0;
  double d;
  if (*s == '-') {
    neg = 1;
    s++;
  }
  for (; s < p && *s != 'e' && *s != 'E'; s++) {
    if (*s == '.') {
      frac = 1;
      continue;
    }
    if (m != 0 || *s != '0') {
      if (++digits > 19) return 0;
      m = m * 10 + (uint64_t)(*s - '0');
    }
    e10 -= frac;
  }
  if (s < p) { /* the exponent */
    s++;
    if (*s == '+' || *s == '-') eneg = *s++ == '-';
    for (; s < p; s++) {
      if (exp > 1000) return 0;
      exp = exp * 10 + (*s - '0');
    }
    e10 += eneg ? -exp : exp;
  }
  if (m > (UINT64_C(1) << 53) || e10 < -22 || e10 > 22) return 0;
  d = (double)m;
  d = e10 < 0 ? d / exact_pow10[-e10] : d * exact_pow10[e10];
  *out = neg ? -d : d;
  return 1;
}
#endif

/* A number in strict JSON grammar, converted as lua-cjson does (strtod). */
static int parse_number(parser *ps) {
  const char *s = ps->p, *p = s, *end = ps->end;
  char buf[64];
  double value;
  tf_json *j = ps->j;
  if (p < end && *p == '-') p++;
  if (!is_digit(p, end)) return fail(ps, TF_JSON_UNSUPPORTED);
  if (*p == '0') {
    p++;
  } else {
    while (is_digit(p, end)) p++;
  }
  if (p < end && *p == '.') {
    p++;
    if (!is_digit(p, end)) return fail(ps, TF_JSON_UNSUPPORTED);
    while (is_digit(p, end)) p++;
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    p++;
    if (p < end && (*p == '+' || *p == '-')) p++;
    if (!is_digit(p, end)) return fail(ps, TF_JSON_UNSUPPORTED);
    while (is_digit(p, end)) p++;
  }
  if ((size_t)(p - s) >= sizeof buf) return fail(ps, TF_JSON_UNSUPPORTED);
#ifdef TF_JSON_EXACT_NUMBERS
  if (!exact_number(s, p, &value))
#endif
  {
    memcpy(buf, s, (size_t)(p - s));
    buf[p - s] = '\0';
    value = strtod(buf, NULL);
  }
  if (j->nnums == j->nums_cap) {
    size_t ncap = j->nums_cap ? j->nums_cap * 2 : 64;
    double *nn;
    if (ncap > UINT32_MAX) return fail(ps, TF_JSON_UNSUPPORTED);
    nn = (double *)tf_mem_realloc(&j->mem, j->nums, j->nums_cap * sizeof *nn, tf_mem_mul(ncap, sizeof *nn));
    if (nn == NULL) return fail(ps, TF_JSON_NOMEM);
    j->nums = nn;
    j->nums_cap = ncap;
  }
  j->nums[j->nnums] = value;
  if (push_node(ps, TF_JSON_NUMBER, 0, (uint32_t)j->nnums) < 0) return -1;
  j->nnums++;
  ps->p = p;
  return 0;
}

static int keys_equal(const tf_json *j, uint32_t a, uint32_t b) {
  size_t la, lb;
  const char *sa, *sb;
  if ((j->nodes[a].head ^ j->nodes[b].head) >> 4) return 0; /* lengths differ */
  sa = tf_json_str(j, a, &la);
  sb = tf_json_str(j, b, &lb);
  return memcmp(sa, sb, la) == 0;
}

/* 1 when the object at obj has two members with the same key, -1 on OOM. */
static int has_duplicate_keys(parser *ps, uint32_t obj) {
  tf_json *j = ps->j;
  uint32_t n = tf_json_len(j, obj), i, m, k;
  size_t slots, need;
  uint32_t *keys, *set;
  if (n < 2) return 0;
  /* key indices first, then (for larger objects) a hash set after them */
  slots = 16;
  while (slots < (size_t)n * 2) slots *= 2;
  need = n + (n > 8 ? slots : 0);
  if (j->scratch_cap < need) {
    uint32_t *ns = (uint32_t *)tf_mem_realloc(&j->mem, j->scratch, j->scratch_cap * sizeof *ns, need * sizeof *ns);
    if (ns == NULL) return fail(ps, TF_JSON_NOMEM);
    j->scratch = ns;
    j->scratch_cap = need;
  }
  keys = j->scratch;
  for (m = 0, i = obj + 1; m < n; m++) {
    keys[m] = i;
    i = tf_json_next(j, i + 1);
  }
  if (n <= 8) {
    for (m = 0; m < n; m++)
      for (k = m + 1; k < n; k++)
        if (keys_equal(j, keys[m], keys[k])) return 1;
    return 0;
  }
  set = keys + n;
  memset(set, 0, slots * sizeof *set);
  for (m = 0; m < n; m++) {
    size_t len;
    const char *s = tf_json_str(j, keys[m], &len);
    size_t h = (size_t)tf_hash_bytes(s, len, 0) & (slots - 1);
    while (set[h] != 0) {
      if (keys_equal(j, set[h] - 1, keys[m])) return 1;
      h = (h + 1) & (slots - 1);
    }
    set[h] = keys[m] + 1;
  }
  return 0;
}

static int parse(parser *ps) {
  tf_json *j = ps->j;
  uint32_t stack[TF_JSON_MAX_DEPTH];
  int depth = 0;
  long idx;
  uint32_t top;

value:
  skip_ws(ps);
  if (ps->p >= ps->end) return fail(ps, TF_JSON_UNSUPPORTED);
  switch (*ps->p) {
    case '{':
    case '[': {
      int obj = *ps->p == '{';
      if (depth == TF_JSON_MAX_DEPTH) return fail(ps, TF_JSON_UNSUPPORTED);
      idx = push_node(ps, obj ? TF_JSON_OBJECT : TF_JSON_ARRAY, 0, 0);
      if (idx < 0) return -1;
      stack[depth++] = (uint32_t)idx;
      ps->p++;
      skip_ws(ps);
      if (ps->p < ps->end && *ps->p == (obj ? '}' : ']')) {
        ps->p++;
        goto close;
      }
      if (obj) goto key;
      goto value;
    }
    case '"':
      if (parse_string(ps) != 0) return -1;
      goto after_value;
    case 't':
    case 'f':
    case 'n': {
      const char *lit = *ps->p == 't' ? "true" : *ps->p == 'f' ? "false" : "null";
      size_t n = strlen(lit);
      uint32_t kind = *ps->p == 't' ? TF_JSON_TRUE : *ps->p == 'f' ? TF_JSON_FALSE : TF_JSON_NULL;
      if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, lit, n) != 0) return fail(ps, TF_JSON_UNSUPPORTED);
      if (push_node(ps, kind, 0, 0) < 0) return -1;
      ps->p += n;
      goto after_value;
    }
    default:
      if (parse_number(ps) != 0) return -1;
      goto after_value;
  }

key:
  skip_ws(ps);
  if (ps->p >= ps->end || *ps->p != '"') return fail(ps, TF_JSON_UNSUPPORTED);
  if (parse_string(ps) != 0) return -1;
  {
    /* the closing quote is at ps->p - 1 */
    size_t klen = tf_json_len(j, (uint32_t)j->count - 1);
    if (klen == 6 && memcmp(ps->p - 7, "$value", 6) == 0) j->value_keys[0]++;
    else if (klen == 5 && memcmp(ps->p - 6, "value", 5) == 0) j->value_keys[1]++;
  }
  skip_ws(ps);
  if (ps->p >= ps->end || *ps->p != ':') return fail(ps, TF_JSON_UNSUPPORTED);
  ps->p++;
  goto value;

close:
  top = stack[--depth];
  j->nodes[top].u = (uint32_t)j->count;
  if (tf_json_kind(j, top) == TF_JSON_OBJECT) {
    int dup = has_duplicate_keys(ps, top);
    if (dup < 0) return -1;
    if (dup) return fail(ps, TF_JSON_UNSUPPORTED);
  }
  /* fall through to after_value: the container is a value of its parent */

after_value:
  if (depth == 0) {
    skip_ws(ps);
    if (ps->p != ps->end) return fail(ps, TF_JSON_UNSUPPORTED);
    return 0;
  }
  top = stack[depth - 1];
  if (tf_json_len(j, top) == TF_JSON_MAX_LEN) return fail(ps, TF_JSON_UNSUPPORTED);
  j->nodes[top].head += 1u << 4;
  skip_ws(ps);
  if (ps->p >= ps->end) return fail(ps, TF_JSON_UNSUPPORTED);
  if (*ps->p == ',') {
    ps->p++;
    if (tf_json_kind(j, top) == TF_JSON_OBJECT) goto key;
    goto value;
  }
  if (*ps->p == (tf_json_kind(j, top) == TF_JSON_OBJECT ? '}' : ']')) {
    ps->p++;
    goto close;
  }
  return fail(ps, TF_JSON_UNSUPPORTED);
}

int tf_json_parse(tf_json *j, const char *text, size_t len) {
  parser ps;
  const struct lconv *lc = localeconv();
  if (text == NULL) { /* no bytes (a fuzzer may pass NULL, 0) */
    text = "";
    len = 0;
  }
  j->count = 0;
  j->nnums = 0;
  j->arena_len = 0;
  j->text = text;
  j->text_len = len;
  j->error_at = 0;
  j->value_keys[0] = j->value_keys[1] = 0;
  ps.j = j;
  ps.p = text;
  ps.end = text + len;
  ps.status = TF_JSON_OK;
  /* strtod follows the locale, lua-cjson converts as if it were "C" */
  if (lc == NULL || lc->decimal_point == NULL || strcmp(lc->decimal_point, ".") != 0 || len >= UINT32_MAX) {
    fail(&ps, TF_JSON_UNSUPPORTED);
  } else if (j->cap == 0 && len / 8 > 64) {
    /* a token file has about one node per 8 bytes of text */
    size_t cap = len / 8 + 64;
    tf_json_node *n = (tf_json_node *)tf_mem_alloc(&j->mem, tf_mem_mul(cap, sizeof *n));
    if (n == NULL) {
      fail(&ps, TF_JSON_NOMEM);
    } else {
      j->nodes = n;
      j->cap = cap;
    }
  }
  if (ps.status == TF_JSON_OK) parse(&ps);
  if (ps.status != TF_JSON_OK) {
    j->count = 0;
    j->nnums = 0;
    j->arena_len = 0;
  }
  /* the duplicate-key scratch is only needed while parsing */
  tf_mem_free(&j->mem, j->scratch, j->scratch_cap * sizeof *j->scratch);
  j->scratch = NULL;
  j->scratch_cap = 0;
  return ps.status;
}

uint32_t tf_json_member(const tf_json *j, uint32_t obj, const char *key, size_t klen) {
  uint32_t n, m, i;
  if (tf_json_kind(j, obj) != TF_JSON_OBJECT) return 0;
  n = tf_json_len(j, obj);
  for (m = 0, i = obj + 1; m < n; m++) {
    size_t len;
    const char *s = tf_json_str(j, i, &len);
    if (len == klen && (len == 0 || (s[0] == key[0] && memcmp(s, key, len) == 0))) return i + 1;
    i = tf_json_next(j, i + 1);
  }
  return 0;
}

/* Checks the subtree at i and returns the index after it; aborts when the
 * tape is inconsistent. */
static uint32_t check_subtree(const tf_json *j, uint32_t i, int depth) {
  unsigned k;
  if (i >= j->count || depth > TF_JSON_MAX_DEPTH + 1) abort();
  k = tf_json_kind(j, i);
  if (k == TF_JSON_STRING) {
    size_t len;
    const char *s = tf_json_str(j, i, &len);
    const char *base = (j->nodes[i].head & TF_JSON_IN_ARENA) ? j->arena : j->text;
    size_t limit = (j->nodes[i].head & TF_JSON_IN_ARENA) ? j->arena_len : j->text_len;
    if ((size_t)(s - base) + len > limit) abort();
    return i + 1;
  }
  if (k == TF_JSON_ARRAY || k == TF_JSON_OBJECT) {
    uint32_t n = tf_json_len(j, i), m, c = i + 1;
    for (m = 0; m < n; m++) {
      if (k == TF_JSON_OBJECT) {
        if (c >= j->count || tf_json_kind(j, c) != TF_JSON_STRING) abort();
        c = check_subtree(j, c, depth + 1);
      }
      c = check_subtree(j, c, depth + 1);
    }
    if (c != tf_json_next(j, i)) abort();
    return c;
  }
  if (k < TF_JSON_NULL || k > TF_JSON_OBJECT) abort();
  if (k == TF_JSON_NUMBER && j->nodes[i].u >= j->nnums) abort();
  return i + 1;
}

int tf_json_fuzz_one(const uint8_t *data, size_t size) {
  tf_json j;
  int status;
  tf_json_init(&j, tf_mem_default());
  status = tf_json_parse(&j, (const char *)data, size);
  if (status == TF_JSON_OK) {
    if (j.count == 0 || check_subtree(&j, 0, 0) != j.count) abort();
  } else if (j.count != 0) {
    abort();
  }
  tf_json_clear(&j);
  if (j.nodes != NULL || j.arena != NULL) abort();
  return status;
}

/* Reading a Figma file into the document index (see tf_doc.h): a strict
 * JSON reader with an explicit stack, so it can stop after any value when
 * its byte budget is spent and go on from there, that knows where nodes
 * are: the `document` member of the top level (or of each entry of a
 * `nodes` response) is a root node, every element of a node's `children`
 * array is a node. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tf_doc.h"
#include "tf_doc_memo.h"
#include "tf_doc_patch.h"
#include "tf_hash.h"
#include "tf_jsonw.h"

/* What a value is to the reader. */
enum {
  R_OTHER = 0,
  R_TOP,         /* the top-level object */
  R_NODES_MAP,   /* `nodes` of a GET /v1/files/:key/nodes response */
  R_NODES_ENTRY, /* one entry of that map */
  R_NODE,        /* a node object */
  R_CHILDREN,    /* a node's `children` array */
  R_SPD,         /* a node's `sharedPluginData` */
  /* values that are not containers of interest */
  R_ROOT,        /* must be an object: a root node */
  R_CHILD,       /* must be an object: a child node */
  R_KIDS,        /* must be an array: `children` */
  R_ID,          /* a node's id */
  R_TOKENS       /* sharedPluginData.tokens */
};

/* What comes next. */
enum { E_VALUE, E_VALUE_OR_END, E_KEY, E_KEY_OR_END, E_COLON, E_NEXT_OR_END, E_DONE };

#define SEEN_CHILDREN 1u
#define SEEN_SPD 2u
#define SEEN_DOCUMENT 4u
#define SEEN_NODES 8u

struct tf_doc_frame {
  uint64_t start;
  uint32_t count; /* members or elements so far */
  uint32_t node;  /* R_NODE: the node; R_CHILDREN, R_SPD: the node owning it */
  uint32_t keys;  /* the frame's first entry in the key log */
  uint8_t kind;   /* '{' or '[' */
  uint8_t role;
  uint8_t seen;
};

/* A key of an object whose keys are checked for duplicates. */
struct tf_doc_keylog {
  uint64_t hash;
  uint64_t off; /* opening quote */
  uint32_t len; /* with the quotes */
  uint32_t first, last; /* nodes its value made: [first, last) */
};

static int keeps_keys(int role) {
  return role == R_TOP || role == R_NODES_MAP || role == R_NODES_ENTRY || role == R_NODE || role == R_SPD;
}

/* ---- errors ---- */

static int fail(tf_doc *d, uint64_t at, const char *fmt, const char *arg) {
  d->error_at = at;
  snprintf(d->error, sizeof d->error, fmt, arg ? arg : "");
  d->state = TF_DOC_ERROR;
  return TF_DOC_ERROR;
}

static int nomem(tf_doc *d) {
  d->state = TF_DOC_NOMEM;
  snprintf(d->error, sizeof d->error, "not enough memory");
  return TF_DOC_NOMEM;
}

static const char *what_at(const tf_doc *d, uint64_t at) {
  if (at >= d->len) return "the end of the file";
  switch (d->text[at]) {
    case '{': return "an object";
    case '[': return "an array";
    case '"': return "a string";
    case 't': case 'f': return "a boolean";
    case 'n': return "null";
    default: return "a number";
  }
}

void tf_doc_position(const tf_doc *d, uint64_t offset, size_t *line, size_t *column) {
  size_t l = 1, c = 1;
  uint64_t i;
  if (offset > d->len) offset = d->len;
  for (i = 0; i < offset; i++) {
    unsigned char ch = (unsigned char)d->text[i];
    if (ch == '\n') {
      l++;
      c = 1;
    } else if ((ch & 0xc0) != 0x80) {
      c++; /* a character starts here (UTF-8 continuation bytes do not) */
    }
  }
  *line = l;
  *column = c;
}

/* ---- growing arrays ---- */

static int grow(tf_doc *d, void **p, uint32_t *cap, uint32_t need, size_t elem) {
  uint32_t n = *cap ? *cap : 16;
  void *q;
  if (need <= *cap) return 0;
  while (n < need) {
    if (n > UINT32_MAX / 2) return -1;
    n *= 2;
  }
  q = tf_mem_realloc(&d->mem, *p, (size_t)*cap * elem, tf_mem_mul(n, elem));
  if (q == NULL) return -1;
  *p = q;
  *cap = n;
  return 0;
}

static int grow_size(tf_doc *d, void **p, size_t *cap, size_t need, size_t elem) {
  size_t n = *cap ? *cap : 16;
  void *q;
  if (need <= *cap) return 0;
  while (n < need) n *= 2;
  q = tf_mem_realloc(&d->mem, *p, *cap * elem, tf_mem_mul(n, elem));
  if (q == NULL) return -1;
  *p = q;
  *cap = n;
  return 0;
}

/* ---- init and free ---- */

void tf_doc_init(tf_doc *d, tf_mem mem, const char *text, size_t len) {
  memset(d, 0, sizeof *d);
  if (len > TF_DOC_MAX_LEN) { /* refused by the first read */
    d->mem = mem;
    d->text = text;
    d->len = len;
    d->state = TF_DOC_ERROR;
    snprintf(d->error, sizeof d->error, "the file is larger than 4 GiB, the most a document can be");
    tf_buf_init(&d->texts, mem);
    tf_doc_work_init(&d->work, &d->mem);
    return;
  }
  d->mem = mem;
  d->text = text ? text : "";
  d->len = text ? len : 0;
  d->state = TF_DOC_MORE;
  d->expect = E_VALUE;
  d->pending = R_OTHER;
  memcpy(d->indent, "  ", 2);
  d->indent_len = 2;
  tf_buf_init(&d->texts, mem);
  tf_doc_work_init(&d->work, &d->mem); /* (d must not move from here on) */
}

void tf_doc_work_init(tf_doc_work *w, tf_mem *mem) {
  memset(w, 0, sizeof *w);
  w->mem = mem;
  tf_buf_init(&w->scratch, *mem);
  tf_buf_init(&w->qtext, *mem);
}

void tf_doc_work_free(tf_doc_work *w) {
  int k;
  if (w->mem == NULL) return;
  tf_mem_free(w->mem, w->spans, w->spans_cap * sizeof *w->spans);
  tf_mem_free(w->mem, w->spans3, w->spans3_cap * sizeof *w->spans3);
  for (k = 0; k < 2 * TF_DOC_EQ_LEVELS; k++) tf_mem_free(w->mem, w->eq_spans[k], w->eq_caps[k] * sizeof *w->eq_spans[k]);
  tf_buf_free(&w->scratch);
  tf_mem_free(w->mem, w->qname, w->qname_cap * 2 * sizeof *w->qname);
  tf_buf_free(&w->qtext);
  memset(w, 0, sizeof *w);
}

static void free_reading(tf_doc *d) {
  tf_mem_free(&d->mem, d->frames, (size_t)d->frames_cap * sizeof *d->frames);
  tf_mem_free(&d->mem, d->keys, d->keys_cap * sizeof *d->keys);
  d->frames = NULL;
  d->keys = NULL;
  d->frames_cap = 0;
  d->keys_cap = 0;
  d->depth = 0;
  d->nkeys = 0;
}

void tf_doc_free(tf_doc *d) {
  tf_doc_patch_free(d); /* first: its node chains are as long as d->count */
  free_reading(d);
  tf_mem_free(&d->mem, d->nodes, (size_t)d->cap * sizeof *d->nodes);
  tf_mem_free(&d->mem, d->dups, d->dups_cap * sizeof *d->dups);
  tf_mem_free(&d->mem, d->spans2, d->spans2_cap * sizeof *d->spans2);
  d->spans2 = NULL;
  d->spans2_cap = 0;
  d->nodes = NULL;
  d->dups = NULL;
  d->count = d->cap = 0;
  d->ndups = d->dups_cap = 0;
  {
    tf_mem *m = d->work.mem;
    tf_doc_work_free(&d->work);
    if (m) tf_doc_work_init(&d->work, m); /* usable again, empty */
  }
}

size_t tf_doc_bytes(const tf_doc *d) {
  /* d->mem counts what is allocated through it; buffers keep copies of it
   * and count apart */
  return d->mem.bytes + (d->names ? tf_intern_held_bytes(d->names) : 0) + d->texts.cap + d->work.scratch.cap +
         d->work.qtext.cap + tf_doc_memo_bytes(d);
}

/* ---- nodes ---- */

/* Forgets nodes [first, last): a value that a later duplicate key
 * replaced. Later nodes move down; their parents and the open frames and
 * key log entries that count nodes follow. */
static void drop_nodes(tf_doc *d, uint32_t first, uint32_t last) {
  uint32_t n = last - first, i;
  size_t k;
  if (n == 0) return;
  memmove(d->nodes + first, d->nodes + last, (size_t)(d->count - last) * sizeof *d->nodes);
  d->count -= n;
  for (i = first; i < d->count; i++) {
    if (d->nodes[i].parent > last) d->nodes[i].parent -= n;
  }
  for (i = 0; i < d->depth; i++) {
    if (d->frames[i].node >= last && d->frames[i].node != UINT32_MAX) d->frames[i].node -= n;
  }
  for (k = 0; k < d->nkeys; k++) {
    if (d->keys[k].first >= last) d->keys[k].first -= n;
    if (d->keys[k].last >= last) d->keys[k].last -= n;
  }
}

static int new_node(tf_doc *d, uint64_t start, uint32_t parent) {
  tf_doc_node *nd;
  if (d->count == UINT32_MAX - 1) return -1;
  if (d->count == d->cap) {
    /* a first guess from the size: one node per few hundred bytes */
    uint32_t want = d->cap ? d->cap : (uint32_t)(d->len / 512 < 1u << 20 ? d->len / 512 + 64 : 1u << 20);
    if (grow(d, (void **)&d->nodes, &d->cap, want > d->count ? want : d->count + 1, sizeof *d->nodes) != 0) return -1;
  }
  nd = &d->nodes[d->count++];
  nd->start = (uint32_t)start;
  nd->end = 0;
  nd->kids = nd->kids_end = 0;
  nd->spd = nd->spd_end = 0;
  nd->tokens = 0;
  nd->parent = parent;
  nd->flags = 0;
  return 0;
}

/* ---- keys ---- */

/* Hash of a key's characters (escapes decoded when it has any). */
static int key_hash(tf_doc *d, uint64_t off, uint64_t end, uint64_t *h, int escaped) {
  const char *s = d->text + off + 1;
  size_t n = (size_t)(end - off - 2);
  if (!escaped) {
    *h = tf_hash_bytes(s, n, 0x6b6579);
    return 0;
  }
  d->work.scratch.len = 0;
  if (tf_doc_unescape(&d->work.scratch, d->text, off, end) != 0) return -1;
  *h = tf_hash_bytes(d->work.scratch.data, d->work.scratch.len, 0x6b6579);
  return 0;
}

static int same_key(tf_doc *d, const tf_doc_keylog *a, const tf_doc_keylog *b) {
  tf_doc_span sa;
  size_t mark;
  int same;
  if (a->hash != b->hash) return 0;
  if (a->len == b->len && memcmp(d->text + a->off, d->text + b->off, a->len) == 0) return 1;
  /* same hash, other bytes: escapes may spell the same characters (decoded
   * past what the scratch holds: check_keys keeps its ranges there) */
  sa.key = a->off;
  sa.key_end = a->off + a->len;
  mark = d->work.scratch.len;
  if (tf_doc_unescape(&d->work.scratch, d->text, b->off, b->off + b->len) != 0) return 0;
  same = tf_doc_key_is(d->text, &sa, (const char *)d->work.scratch.data + mark, d->work.scratch.len - mark);
  d->work.scratch.len = mark;
  return same;
}

static int add_dup(tf_doc *d, uint32_t node, const tf_doc_keylog *k) {
  d->dup_count++;
  if (d->ndups >= TF_DOC_MAX_DUPS) return 0;
  if (grow_size(d, (void **)&d->dups, &d->dups_cap, d->ndups + 1, sizeof *d->dups) != 0) return -1;
  d->dups[d->ndups].node = node;
  d->dups[d->ndups].key = k->off;
  d->dups[d->ndups].key_len = k->len;
  d->ndups++;
  return 0;
}

static int cmp_keys(const void *a, const void *b) {
  const tf_doc_keylog *x = (const tf_doc_keylog *)a, *y = (const tf_doc_keylog *)b;
  if (x->hash != y->hash) return x->hash < y->hash ? -1 : 1;
  return x->off < y->off ? -1 : x->off > y->off;
}

/* At the end of an object whose keys are logged: reports the keys it holds
 * twice; in a `nodes` map, the nodes of an entry a later one replaced are
 * forgotten. */
static int check_keys(tf_doc *d, const tf_doc_frame *f) {
  tf_doc_keylog *k;
  size_t n = d->nkeys - f->keys, i, ndrop = 0;
  uint32_t owner = (f->role == R_NODE || f->role == R_SPD) ? f->node : UINT32_MAX;
  uint32_t *drops;
  if (n < 2) return 0;
  k = d->keys + f->keys;
  if (n <= 24) { /* a node's few keys: an insertion sort beats qsort's calls */
    for (i = 1; i < n; i++) {
      tf_doc_keylog v = k[i];
      size_t m = i;
      while (m > 0 && cmp_keys(&k[m - 1], &v) > 0) {
        k[m] = k[m - 1];
        m--;
      }
      k[m] = v;
    }
  } else {
    qsort(k, n, sizeof *k, cmp_keys);
  }
  d->work.scratch.len = 0;
  for (i = 1; i < n; i++) {
    uint32_t range[2];
    if (!same_key(d, &k[i - 1], &k[i])) continue;
    if (add_dup(d, owner, &k[i]) != 0) return -1;
    if (f->role != R_NODES_MAP || k[i - 1].last == k[i - 1].first) continue;
    range[0] = k[i - 1].first;
    range[1] = k[i - 1].last;
    if (tf_buf_put(&d->work.scratch, range, sizeof range) != 0) return -1;
    ndrop++;
  }
  /* the replaced entries' nodes, from the last range back so the earlier
   * ranges stay where they are */
  drops = (uint32_t *)d->work.scratch.data;
  for (i = ndrop; i > 0; i--) {
    size_t a, best = 0;
    for (a = 1; a < i; a++)
      if (drops[2 * a] > drops[2 * best]) best = a;
    drop_nodes(d, drops[2 * best], drops[2 * best + 1]);
    d->roots--;
    drops[2 * best] = drops[2 * (i - 1)];
    drops[2 * best + 1] = drops[2 * (i - 1) + 1];
  }
  return 0;
}

/* ---- tokens of the grammar ---- */

static int is_ws(unsigned char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

static inline uint64_t ws(const char *text, size_t len, uint64_t off) {
  while (off < len && is_ws((unsigned char)text[off])) off++;
  return off;
}


static int hexval(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Checks the string at off (its opening quote); *end gets the offset after
 * the closing quote. */
/* The index (0-7) of the lowest byte whose top bit is set in mask (not 0),
 * bytes read little-endian: the first byte a SWAR test found. */
static inline unsigned first_hit(uint64_t mask) {
#if defined(__GNUC__)
  return (unsigned)__builtin_ctzll(mask) >> 3;
#else
  unsigned k = 0;
  while (!(mask & 0x80u)) {
    mask >>= 8;
    k++;
  }
  return k;
#endif
}

#if defined(__SSE2__)
#include <emmintrin.h>
#define TF_DOC_SIMD 1
/* Bits of the bytes of the 16 at p that are '"' or '\\' (and, with
 * strict, a control character or not ASCII: signed, those are below ' '). */
static inline unsigned string_stops(const unsigned char *p, int strict) {
  __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
  __m128i m = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
  if (strict) m = _mm_or_si128(m, _mm_cmplt_epi8(v, _mm_set1_epi8(' ')));
  return (unsigned)_mm_movemask_epi8(m);
}
static inline unsigned lowest_bit(unsigned m) {
  return (unsigned)__builtin_ctz(m);
}
#endif

/* Eight bytes in w, read little-endian from memory. */
static inline uint64_t load8(const unsigned char *p) {
  return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 |
         (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

/* From i, eight bytes at a time, to the first group of eight holding a
 * '"' or a '\\' (with strict, also a control character or a byte that is
 * not ASCII), at that byte; or to the last bytes before n. */
static inline uint64_t swar_to_stop(const unsigned char *s, uint64_t i, uint64_t n, int strict) {
  while (i + 8 <= n) {
    uint64_t w = load8(s + i), q = w ^ 0x2222222222222222ULL, b = w ^ 0x5c5c5c5c5c5c5c5cULL, c;
    c = ((q - 0x0101010101010101ULL) & ~q) | ((b - 0x0101010101010101ULL) & ~b);
    if (strict) c |= ((w - 0x2020202020202020ULL) & ~w) | w;
    c &= 0x8080808080808080ULL;
    if (c) return i + first_hit(c);
    i += 8;
  }
  return i;
}

static int scan_string(tf_doc *d, uint64_t off, uint64_t *end) {
  const unsigned char *s = (const unsigned char *)d->text;
  uint64_t i = off + 1, n = d->len;
  int high = 0;
  d->escaped = 0;
  for (;;) {
    /* sixteen or eight bytes at a time while none is '"', '\\', a control
     * or non-ASCII; then straight to the first that is */
#ifdef TF_DOC_SIMD
    while (i + 16 <= n) {
      unsigned m = string_stops(s + i, 1);
      if (m) {
        i += lowest_bit(m);
        goto stop;
      }
      i += 16;
    }
#endif
    i = swar_to_stop(s, i, n, 1);
#ifdef TF_DOC_SIMD
  stop:
#endif
    if (i >= n) return fail(d, off, "unterminated string (the file ends inside it)%s", NULL);
    if (s[i] == '"') break;
    if (s[i] == '\\') {
      unsigned char e;
      d->escaped = 1;
      if (i + 1 >= n) return fail(d, off, "unterminated string (the file ends inside it)%s", NULL);
      e = s[i + 1];
      if (e == 'u') {
        int k;
        for (k = 2; k < 6; k++) {
          if (i + (uint64_t)k >= n || hexval(s[i + (uint64_t)k]) < 0)
            return fail(d, i, "invalid \\u escape in a string (four hex digits expected)%s", NULL);
        }
        i += 6;
      } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' || e == 't') {
        i += 2;
      } else {
        return fail(d, i, "invalid escape in a string%s", NULL);
      }
      continue;
    }
    if (s[i] < 0x20) {
      return fail(d, i, s[i] == '\n' ? "a string holds a raw line break (JSON needs \\n)%s"
                                     : "a string holds a raw control character%s", NULL);
    }
    if (s[i] >= 0x80) high = 1;
    i++;
  }
  if (high) {
    size_t ok = tf_utf8_valid(s + off + 1, (size_t)(i - off - 1));
    if (ok < (size_t)(i - off - 1)) return fail(d, off + 1 + ok, "invalid UTF-8 inside a string%s", NULL);
  }
  *end = i + 1;
  return TF_DOC_OK;
}

static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

static int scan_number(tf_doc *d, uint64_t off, uint64_t *end) {
  const unsigned char *s = (const unsigned char *)d->text;
  uint64_t i = off, n = d->len;
  if (s[i] == '-') i++;
  if (i < n && s[i] == 'I') return fail(d, off, "-Infinity is not a JSON value%s", NULL);
  if (i >= n || !is_digit(s[i])) return fail(d, off, "invalid number (a digit must follow '-')%s", NULL);
  if (s[i] == '0') {
    i++;
    if (i < n && is_digit(s[i])) return fail(d, off, "invalid number (no leading zeros in JSON)%s", NULL);
  } else {
    while (i < n && is_digit(s[i])) i++;
  }
  if (i < n && s[i] == '.') {
    i++;
    if (i >= n || !is_digit(s[i])) return fail(d, off, "invalid number (a digit must follow '.')%s", NULL);
    while (i < n && is_digit(s[i])) i++;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    if (i >= n || !is_digit(s[i])) return fail(d, off, "invalid number (a digit must follow the exponent)%s", NULL);
    while (i < n && is_digit(s[i])) i++;
  }
  *end = i;
  return TF_DOC_OK;
}

static int scan_literal(tf_doc *d, uint64_t off, uint64_t *end) {
  static const char *const words[] = {"true", "false", "null"};
  size_t k;
  if (d->text[off] == 'N' && d->len - off >= 3 && memcmp(d->text + off, "NaN", 3) == 0)
    return fail(d, off, "NaN is not a JSON value%s", NULL);
  if (d->text[off] == 'I' && d->len - off >= 8 && memcmp(d->text + off, "Infinity", 8) == 0)
    return fail(d, off, "Infinity is not a JSON value%s", NULL);
  for (k = 0; k < 3; k++) {
    size_t wl = strlen(words[k]);
    if (d->len - off >= wl && memcmp(d->text + off, words[k], wl) == 0) {
      *end = off + wl;
      return TF_DOC_OK;
    }
  }
  if (d->text[off] == '}' || d->text[off] == ']') return fail(d, off, "a value is missing before '%s'", d->text[off] == '}' ? "}" : "]");
  if (d->text[off] == ',') return fail(d, off, "a value is missing before ','%s", NULL);
  if (d->text[off] == '\'') return fail(d, off, "strings take double quotes in JSON%s", NULL);
  return fail(d, off, "unexpected character where a value should start%s", NULL);
}

/* ---- the reader ---- */

static tf_doc_frame *top_frame(tf_doc *d) { return d->depth ? &d->frames[d->depth - 1] : NULL; }

/* A value has ended: its container counts it. */
static void value_done(tf_doc *d) {
  tf_doc_frame *f = top_frame(d);
  if (f == NULL) {
    d->expect = E_DONE;
    return;
  }
  f->count++;
  if (keeps_keys(f->role) && d->nkeys > f->keys) d->keys[d->nkeys - 1].last = d->count;
  d->expect = E_NEXT_OR_END;
}

static int open_container(tf_doc *d, uint64_t off, char kind, int role, uint32_t node) {
  tf_doc_frame *f;
  if (d->depth >= TF_DOC_MAX_DEPTH) {
    char lim[32];
    snprintf(lim, sizeof lim, "%d", TF_DOC_MAX_DEPTH);
    return fail(d, off, "nesting deeper than %s levels", lim);
  }
  if (grow(d, (void **)&d->frames, &d->frames_cap, d->depth + 1, sizeof *d->frames) != 0) return nomem(d);
  f = &d->frames[d->depth++];
  f->start = off;
  f->count = 0;
  f->node = node;
  f->keys = (uint32_t)d->nkeys;
  f->kind = (uint8_t)kind;
  f->role = (uint8_t)role;
  f->seen = 0;
  d->pos = off + 1;
  d->expect = kind == '{' ? E_KEY_OR_END : E_VALUE_OR_END;
  return TF_DOC_OK;
}

/* The start of a value at off, of the role pending for it. */
static int begin_value(tf_doc *d, uint64_t off) {
  int role = d->pending;
  char c = d->text[off];
  tf_doc_frame *f = top_frame(d);
  uint64_t end;
  int st;
  d->pending = R_OTHER;
  if (!d->seen_top) {
    d->seen_top = 1;
    if (c != '{') {
      if (c == '[' || c == '"' || c == '-' || (c >= '0' && c <= '9') || c == 't' || c == 'f' || c == 'n')
        return fail(d, off, "not a Figma file: the top level is %s, not an object", what_at(d, off));
      return scan_literal(d, off, &end);
    }
    return open_container(d, off, '{', R_TOP, UINT32_MAX);
  }
  switch (role) {
    case R_ROOT:
    case R_CHILD:
      if (c != '{') {
        return fail(d, off, role == R_ROOT ? "\"document\" must be an object (the root node), got %s"
                                           : "a node's children must be objects (nodes), got %s", what_at(d, off));
      }
      if (new_node(d, off, role == R_CHILD ? f->node + 1 : 0) != 0) return nomem(d);
      if (role == R_ROOT) d->roots++;
      return open_container(d, off, '{', R_NODE, d->count - 1);
    case R_KIDS:
      if (c != '[') return fail(d, off, "a node's \"children\" must be an array, got %s", what_at(d, off));
      d->nodes[f->node].kids = (uint32_t)off;
      return open_container(d, off, '[', R_CHILDREN, f->node);
    case R_TOKENS:
      d->nodes[f->node].tokens = (uint32_t)off;
      break;
    default:
      break;
  }
  switch (c) {
    case '{':
      if (role == R_SPD) d->nodes[f->node].spd = (uint32_t)off;
      if (role == R_NODES_MAP || role == R_NODES_ENTRY || role == R_SPD) return open_container(d, off, '{', role, f->node);
      return open_container(d, off, '{', R_OTHER, UINT32_MAX);
    case '[':
      return open_container(d, off, '[', R_OTHER, UINT32_MAX);
    case '"':
      st = scan_string(d, off, &end);
      if (st != TF_DOC_OK) return st;
      if (role == R_ID) {
        if (end - off > 2 && d->text[off + 1] == 'I') d->nodes[f->node].flags |= TF_DOC_INSIDE_INSTANCE;
        else d->nodes[f->node].flags &= ~TF_DOC_INSIDE_INSTANCE;
      }
      break;
    case '-':
    case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9':
      st = scan_number(d, off, &end);
      if (st != TF_DOC_OK) return st;
      break;
    default:
      st = scan_literal(d, off, &end);
      if (st != TF_DOC_OK) return st;
  }
  if (role == R_ID && c != '"') d->nodes[f->node].flags &= ~TF_DOC_INSIDE_INSTANCE;
  d->pos = end;
  value_done(d);
  return TF_DOC_OK;
}

/* A key of the object on top; decides the role of its value. */
static int take_key(tf_doc *d, uint64_t off, uint64_t end) {
  tf_doc_frame *f = top_frame(d);
  tf_doc_span s;
  int role = f->role;
  s.key = off;
  s.key_end = end;
  if (keeps_keys(role)) {
    tf_doc_keylog *k;
    uint64_t h;
    if (key_hash(d, off, end, &h, d->escaped) != 0) return nomem(d);
    if (grow_size(d, (void **)&d->keys, &d->keys_cap, d->nkeys + 1, sizeof *d->keys) != 0) return nomem(d);
    k = &d->keys[d->nkeys++];
    k->hash = h;
    k->off = off;
    k->len = (uint32_t)(end - off);
    k->first = k->last = d->count;
  }
  d->pending = R_OTHER;
  switch (role) {
    case R_TOP:
    case R_NODES_ENTRY:
      if (tf_doc_key_eq(d->text, &s, "document", 8)) {
        if (f->seen & SEEN_DOCUMENT) {
          /* a second `document`: the first one's nodes are not the file's */
          size_t i;
          for (i = f->keys; i + 1 < d->nkeys; i++) {
            if (tf_doc_key_is(d->text, &(tf_doc_span){d->keys[i].off, d->keys[i].off + d->keys[i].len, 0, 0}, "document", 8)) {
              drop_nodes(d, d->keys[i].first, d->keys[i].last);
              if (d->keys[i].last > d->keys[i].first) d->roots--;
              d->keys[i].last = d->keys[i].first;
            }
          }
        }
        f->seen |= SEEN_DOCUMENT;
        d->pending = R_ROOT;
      } else if (role == R_TOP && tf_doc_key_eq(d->text, &s, "nodes", 5)) {
        f->seen |= SEEN_NODES;
        d->pending = R_NODES_MAP;
      }
      break;
    case R_NODES_MAP:
      d->pending = R_NODES_ENTRY;
      break;
    case R_NODE:
      if (tf_doc_key_eq(d->text, &s, "children", 8)) {
        if (f->seen & SEEN_CHILDREN) {
          drop_nodes(d, f->node + 1, d->count); /* the earlier array's nodes */
          d->nodes[f->node].kids = d->nodes[f->node].kids_end = 0;
        }
        f->seen |= SEEN_CHILDREN;
        d->pending = R_KIDS;
      } else if (tf_doc_key_eq(d->text, &s, "sharedPluginData", 16)) {
        if (f->seen & SEEN_SPD) d->nodes[f->node].tokens = d->nodes[f->node].spd = d->nodes[f->node].spd_end = 0;
        f->seen |= SEEN_SPD;
        d->pending = R_SPD;
      } else if (tf_doc_key_eq(d->text, &s, "id", 2)) {
        d->pending = R_ID;
      }
      break;
    case R_SPD:
      if (tf_doc_key_eq(d->text, &s, "tokens", 6)) d->pending = R_TOKENS;
      break;
    default:
      break;
  }
  /* the layout: from the first member of the top level */
  if (role == R_TOP && f->count == 0) {
    uint64_t i = f->start + 1;
    int nl = 0;
    size_t ind = 0;
    for (; i < off; i++) {
      if (d->text[i] == '\n') {
        nl = 1;
        ind = 0;
      } else {
        ind++;
      }
    }
    d->pretty = nl;
    if (nl && ind > 0 && ind < sizeof d->indent) {
      memcpy(d->indent, d->text + off - ind, ind);
      d->indent_len = ind;
    }
    i = ws(d->text, d->len, end);
    d->colon_space = i < d->len && d->text[i] == ':' && i + 1 < d->len && d->text[i + 1] == ' ';
  }
  d->pos = end;
  d->expect = E_COLON;
  return TF_DOC_OK;
}

static int close_container(tf_doc *d, uint64_t off) {
  tf_doc_frame *f = top_frame(d);
  if (keeps_keys(f->role)) {
    if (check_keys(d, f) != 0) return nomem(d);
    f = top_frame(d);
    d->nkeys = f->keys;
  }
  if (f->role == R_NODE) d->nodes[f->node].end = (uint32_t)(off + 1);
  if (f->role == R_CHILDREN) d->nodes[f->node].kids_end = (uint32_t)(off + 1);
  if (f->role == R_SPD) d->nodes[f->node].spd_end = (uint32_t)(off + 1);
  if (f->role == R_TOP && !(f->seen & (SEEN_DOCUMENT | SEEN_NODES))) {
    return fail(d, f->start, "not a Figma file: the top level has no \"document\" node and no \"nodes\" map%s", NULL);
  }
  d->depth--;
  d->pos = off + 1;
  value_done(d);
  return TF_DOC_OK;
}

int tf_doc_read(tf_doc *d, size_t budget) {
  uint64_t stop;
  if (d->state != TF_DOC_MORE) return d->state;
  if (d->pos == 0 && d->len >= 3 && memcmp(d->text, "\xef\xbb\xbf", 3) == 0) d->pos = 3; /* a UTF-8 byte order mark */
  stop = budget > d->len - d->pos ? d->len : d->pos + budget;
  while (d->pos < stop) {
    uint64_t off = ws(d->text, d->len, d->pos), end;
    tf_doc_frame *f;
    char c;
    int st = TF_DOC_OK;
    if (off >= d->len) {
      d->pos = off;
      break;
    }
    c = d->text[off];
    f = top_frame(d);
    switch (d->expect) {
      case E_DONE:
        return fail(d, off, "unexpected text after the end of the JSON value%s", NULL);
      case E_VALUE_OR_END:
        if (c == ']') {
          st = close_container(d, off);
          break;
        }
        /* fall through */
      case E_VALUE:
        if (f && f->role == R_CHILDREN) d->pending = R_CHILD;
        st = begin_value(d, off);
        break;
      case E_KEY_OR_END:
        if (c == '}') {
          st = close_container(d, off);
          break;
        }
        /* fall through */
      case E_KEY:
        if (c != '"') {
          st = fail(d, off, c == '}' ? "a trailing comma before '}'%s" : "an object key (a string in double quotes) expected%s", NULL);
          break;
        }
        st = scan_string(d, off, &end);
        if (st == TF_DOC_OK) st = take_key(d, off, end);
        break;
      case E_COLON:
        if (c != ':') {
          st = fail(d, off, "':' expected after an object key%s", NULL);
          break;
        }
        d->pos = off + 1;
        d->expect = E_VALUE;
        break;
      case E_NEXT_OR_END:
        if (c == ',') {
          d->pos = off + 1;
          d->expect = f->kind == '{' ? E_KEY : E_VALUE;
        } else if (c == (f->kind == '{' ? '}' : ']')) {
          st = close_container(d, off);
        } else {
          st = fail(d, off, f->kind == '{' ? "',' or '}' expected after an object member%s"
                                          : "',' or ']' expected after an array element%s", NULL);
        }
        break;
      default:
        break;
    }
    if (st != TF_DOC_OK) return d->state;
  }
  if (d->pos < d->len) return TF_DOC_MORE;
  /* the whole text is read */
  if (!d->seen_top) return fail(d, d->len, "empty file (no JSON value)%s", NULL);
  if (d->depth > 0) {
    size_t line, col;
    char where[64];
    tf_doc_position(d, d->frames[d->depth - 1].start, &line, &col);
    snprintf(where, sizeof where, "%s opened at %zu:%zu", d->frames[d->depth - 1].kind == '{' ? "an object" : "an array",
             line, col);
    return fail(d, d->len, "unexpected end of file (truncated?) inside %s", where);
  }
  free_reading(d);
  d->state = TF_DOC_OK;
  return TF_DOC_OK;
}

/* ---- scanning a checked text ---- */

/* The bytes a number or a literal ends at (NUL: the end of a text). */
static const unsigned char ends_scalar[256] = {
    [0] = 1, [' '] = 1, ['\n'] = 1, ['\r'] = 1, ['\t'] = 1, [','] = 1, ['}'] = 1, [']'] = 1};

/* The offset after the closing quote of the string whose opening quote is
 * at off. */
static uint64_t skip_string(const char *text, uint64_t off) {
  uint64_t i = off + 1;
  for (;;) {
    char ch = text[i];
    if (ch == '"') return i + 1;
    i += ch == '\\' ? 2 : 1; /* an escape: its next byte is never the end */
  }
}

uint64_t tf_doc_skip(const char *text, uint64_t off) {
  char c = text[off];
  if (c == '"') return skip_string(text, off);
  if (c == '{' || c == '[') {
    uint64_t i = off + 1;
    int depth = 1;
    for (;;) {
      char ch = text[i];
      switch (ch) {
        case '"':
          i = skip_string(text, i);
          continue;
        case '{':
        case '[':
          depth++;
          break;
        case '}':
        case ']':
          if (--depth == 0) return i + 1;
          break;
        default:
          break;
      }
      i++;
    }
  }
  {
    uint64_t i = off;
    while (!ends_scalar[(unsigned char)text[i]]) i++;
    return i;
  }
}

static uint64_t skip_n(const char *t, uint64_t len, uint64_t off);

long tf_doc_members(tf_mem *mem, const char *text, uint64_t end, uint64_t obj, uint64_t skip, uint64_t skip_end,
                    tf_doc_span **out, size_t *cap, uint64_t *obj_end) {
  size_t n = 0;
  uint64_t i = obj + 1;
  for (;;) {
    tf_doc_span *s;
    while (is_ws((unsigned char)text[i]) || text[i] == ',') i++;
    if (text[i] == '}') break;
    if (n == *cap) {
      size_t nc = *cap ? *cap * 2 : 32;
      tf_doc_span *q = (tf_doc_span *)tf_mem_realloc(mem, *out, *cap * sizeof **out, tf_mem_mul(nc, sizeof **out));
      if (q == NULL) return -1;
      *out = q;
      *cap = nc;
    }
    s = &(*out)[n++];
    s->key = i;
    s->key_end = end ? skip_n(text, end, i) : tf_doc_skip(text, i);
    i = s->key_end;
    while (is_ws((unsigned char)text[i]) || text[i] == ':') i++;
    s->val = i;
    s->val_end = (skip != 0 && i == skip) ? skip_end : end ? skip_n(text, end, i) : tf_doc_skip(text, i);
    i = s->val_end;
  }
  if (obj_end) *obj_end = i + 1;
  return (long)n;
}

/* tf_doc_skip over the document's own text, whose length is known: strings
 * are skipped eight bytes at a time while none is a quote or a backslash. */
static uint64_t skip_string_n(const char *t, uint64_t len, uint64_t off) {
  uint64_t i = off + 1;
  for (;;) {
#ifdef TF_DOC_SIMD
    while (i + 16 <= len) {
      unsigned m = string_stops((const unsigned char *)t + i, 0);
      if (m) {
        i += lowest_bit(m);
        goto stop;
      }
      i += 16;
    }
#endif
    i = swar_to_stop((const unsigned char *)t, i, len, 0);
#ifdef TF_DOC_SIMD
  stop:
#endif
    if (t[i] == '"') return i + 1;
    i += t[i] == '\\' ? 2 : 1; /* an escape, or a byte the test took for one */
  }
}

#ifdef TF_DOC_SIMD
/* The bytes of the 64 at p that are a quote, a backslash, an opening and
 * a closing bracket, as bit masks (bit k: byte k). '[' and '{' differ only
 * in bit 0x20, as do ']' and '}'. */
static inline void block_masks(const unsigned char *p, uint64_t *quote, uint64_t *bslash, uint64_t *open,
                               uint64_t *close) {
  const __m128i dq = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), op = _mm_set1_epi8('{'), cl = _mm_set1_epi8('}'),
                low = _mm_set1_epi8(0x20);
  int k;
  *quote = *bslash = *open = *close = 0;
  for (k = 0; k < 4; k++) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k)), f = _mm_or_si128(v, low);
    *quote |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, dq)) << (16 * k);
    *bslash |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, bs)) << (16 * k);
    *open |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(f, op)) << (16 * k);
    *close |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(f, cl)) << (16 * k);
  }
}

/* Bit k set when an odd number of bits 0..k of x are: with x the quotes,
 * the bytes inside strings (an opening quote counts as inside, a closing
 * one does not). */
static inline uint64_t prefix_xor(uint64_t x) {
  x ^= x << 1;
  x ^= x << 2;
  x ^= x << 4;
  x ^= x << 8;
  x ^= x << 16;
  x ^= x << 32;
  return x;
}

/* One byte of a container walked byte by byte: the state (inside a
 * string, after a backslash, depth) moves on; 1 when it closes it. */
static inline int container_byte(unsigned char c, uint64_t *inside, int *esc, long *depth) {
  if (*esc) {
    *esc = 0;
  } else if (*inside) {
    if (c == '\\') *esc = 1;
    else if (c == '"') *inside = 0;
  } else if (c == '"') {
    *inside = ~(uint64_t)0;
  } else if (c == '{' || c == '[') {
    (*depth)++;
  } else if (c == '}' || c == ']') {
    return --*depth == 0;
  }
  return 0;
}

/* The end of the object or array at off of a checked text of len bytes,
 * 64 bytes a step: strings masked out, brackets counted. A block holding
 * a backslash (rare outside plugin data) is walked byte by byte. */
static uint64_t skip_container(const char *t, uint64_t len, uint64_t off) {
  const unsigned char *s = (const unsigned char *)t;
  uint64_t i = off, inside = 0; /* all ones while a string is open at the block's start */
  long depth = 0;
  int esc = 0; /* the block starts with an escaped byte */
  while (i + 64 <= len) {
    uint64_t q, b, op, cl, in;
    block_masks(s + i, &q, &b, &op, &cl);
    if (b == 0 && !esc) {
      in = prefix_xor(q) ^ inside;
      inside = (uint64_t)0 - (in >> 63);
      op &= ~in;
      cl &= ~in;
      if (cl == 0) {
        depth += __builtin_popcountll(op);
      } else {
        uint64_t br = op | cl;
        while (br) {
          uint64_t bit = br & (0 - br);
          if (op & bit) {
            depth++;
          } else if (--depth == 0) {
            return i + (uint64_t)__builtin_ctzll(bit) + 1;
          }
          br ^= bit;
        }
      }
    } else {
      uint64_t k;
      for (k = 0; k < 64; k++)
        if (container_byte(s[i + k], &inside, &esc, &depth)) return i + k + 1;
    }
    i += 64;
  }
  /* the last bytes, one by one */
  for (;; i++)
    if (container_byte(s[i], &inside, &esc, &depth)) return i + 1;
}
#endif

static uint64_t skip_n(const char *t, uint64_t len, uint64_t off) {
  char c = t[off];
  if (c == '"') return skip_string_n(t, len, off);
  if (c == '{' || c == '[') {
#ifdef TF_DOC_SIMD
    return skip_container(t, len, off);
#else
    uint64_t i = off + 1;
    int depth = 1;
    for (;;) {
      char ch = t[i];
      if (ch == '"') {
        i = skip_string_n(t, len, i);
        continue;
      }
      if (ch == '{' || ch == '[') {
        depth++;
      } else if (ch == '}' || ch == ']') {
        if (--depth == 0) return i + 1;
      }
      i++;
    }
#endif
  }
  return tf_doc_skip(t, off);
}

/* The members of node i's own object, its children skipped. */
static long node_members(tf_doc *d, tf_doc_work *w, const tf_doc_node *nd) {
  const char *t = d->text;
  size_t n = 0;
  uint64_t i = nd->start + 1;
  for (;;) {
    tf_doc_span *s;
    while (is_ws((unsigned char)t[i]) || t[i] == ',') i++;
    if (t[i] == '}') break;
    if (n == w->spans_cap) {
      size_t nc = w->spans_cap ? w->spans_cap * 2 : 32;
      tf_doc_span *q = (tf_doc_span *)tf_mem_realloc(w->mem, w->spans, w->spans_cap * sizeof *q, tf_mem_mul(nc, sizeof *q));
      if (q == NULL) return -1;
      w->spans = q;
      w->spans_cap = nc;
    }
    s = &w->spans[n++];
    s->key = i;
    s->key_end = skip_string_n(t, d->len, i);
    i = s->key_end;
    while (is_ws((unsigned char)t[i]) || t[i] == ':') i++;
    s->val = i;
    /* the node's children and plugin data were measured by the reader */
    if (nd->kids != 0 && i == nd->kids) s->val_end = nd->kids_end;
    else if (nd->spd != 0 && i == nd->spd) s->val_end = nd->spd_end;
    else s->val_end = skip_n(t, d->len, i);
    i = s->val_end;
  }
  return (long)n;
}

long tf_doc_node_members_in(tf_doc *d, tf_doc_work *w, uint32_t i, const tf_doc_span **spans) {
  if (w->scanned != i + 1) {
    long n = node_members(d, w, &d->nodes[i]);
    if (n < 0) {
      w->scanned = 0;
      return -1;
    }
    w->nspans = (size_t)n;
    w->scanned = i + 1;
  }
  *spans = w->spans;
  return (long)w->nspans;
}

long tf_doc_node_members(tf_doc *d, uint32_t i, const tf_doc_span **spans) {
  return tf_doc_node_members_in(d, &d->work, i, spans);
}

/* Decodes the escape at s (a backslash; the text is checked): its code
 * point into *cp, returns its length (12 for a surrogate pair). */
static size_t decode_escape(const char *s, size_t avail, unsigned *cp) {
  unsigned u, lo;
  switch (s[1]) {
    case 'b': *cp = '\b'; return 2;
    case 'f': *cp = '\f'; return 2;
    case 'n': *cp = '\n'; return 2;
    case 'r': *cp = '\r'; return 2;
    case 't': *cp = '\t'; return 2;
    case 'u': break;
    default: *cp = (unsigned char)s[1]; return 2;
  }
  u = (unsigned)(hexval((unsigned char)s[2]) << 12 | hexval((unsigned char)s[3]) << 8 |
                 hexval((unsigned char)s[4]) << 4 | hexval((unsigned char)s[5]));
  *cp = u;
  if (u >= 0xd800 && u <= 0xdbff && avail >= 12 && s[6] == '\\' && s[7] == 'u') {
    lo = (unsigned)(hexval((unsigned char)s[8]) << 12 | hexval((unsigned char)s[9]) << 8 |
                    hexval((unsigned char)s[10]) << 4 | hexval((unsigned char)s[11]));
    if (lo >= 0xdc00 && lo <= 0xdfff) {
      *cp = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
      return 12;
    }
  }
  return 6;
}

/* UTF-8 bytes of a code point (a lone surrogate gets its three-byte form,
 * as lua-cjson decodes it). */
static size_t utf8_put(unsigned cp, char out[4]) {
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xc0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3f));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xe0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[2] = (char)(0x80 | (cp & 0x3f));
    return 3;
  }
  out[0] = (char)(0xf0 | (cp >> 18));
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
  out[3] = (char)(0x80 | (cp & 0x3f));
  return 4;
}

int tf_doc_unescape(tf_buf *b, const char *text, uint64_t off, uint64_t end) {
  uint64_t i = off + 1, run = i, stop = end - 1;
  while (i < stop) {
    unsigned cp;
    char u[4];
    size_t esc;
    if (text[i] != '\\') {
      i++;
      continue;
    }
    if (tf_buf_put(b, text + run, (size_t)(i - run)) != 0) return -1;
    esc = decode_escape(text + i, (size_t)(stop - i), &cp);
    if (tf_buf_put(b, u, utf8_put(cp, u)) != 0) return -1;
    i += esc;
    run = i;
  }
  return tf_buf_put(b, text + run, (size_t)(stop - run));
}

int tf_doc_key_is(const char *text, const tf_doc_span *s, const char *name, size_t len) {
  const char *k = text + s->key + 1;
  size_t klen = (size_t)(s->key_end - s->key - 2), i = 0, j = 0;
  if (klen == len) return memcmp(k, name, len) == 0;
  /* escapes make a key's text longer than its characters: only a longer
   * text can spell name */
  if (klen < len || memchr(k, '\\', klen) == NULL) return 0;
  /* compare through the escapes, one decoded character at a time */
  while (i < klen) {
    if (k[i] == '\\') {
      unsigned cp;
      char u[4];
      size_t ulen;
      i += decode_escape(k + i, klen - i, &cp);
      ulen = utf8_put(cp, u);
      if (j + ulen > len || memcmp(name + j, u, ulen) != 0) return 0;
      j += ulen;
    } else {
      if (j >= len || name[j] != k[i]) return 0;
      i++;
      j++;
    }
  }
  return j == len;
}

const tf_doc_span *tf_doc_find(const char *text, const tf_doc_span *spans, size_t n, const char *name, size_t len) {
  size_t i = n;
  while (i > 0) {
    const tf_doc_span *s = &spans[--i];
    if (tf_doc_key_eq(text, s, name, len)) return s;
  }
  return NULL;
}

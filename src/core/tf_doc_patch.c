/* Edit sets, node chains and reading fields through them (tf_doc_patch.h),
 * and writing values in the document's layout. */
#include <stdlib.h>
#include <string.h>

#include "tf_doc_memo.h"
#include "tf_doc_patch.h"
#include "tf_jsonw.h"

void tf_doc_patch_free(tf_doc *d) {
  tf_doc_memo_free(d);
  if (d->names) tf_intern_free(d->names);
  d->names = NULL;
  tf_buf_free(&d->texts);
  tf_mem_free(&d->mem, d->edits, (size_t)d->edits_cap * sizeof *d->edits);
  tf_mem_free(&d->mem, d->sets, (size_t)d->sets_cap * 2 * sizeof *d->sets);
  tf_mem_free(&d->mem, d->links, (size_t)d->links_cap * 2 * sizeof *d->links);
  tf_mem_free(&d->mem, d->heads, (size_t)d->count * sizeof *d->heads);
  d->edits = NULL;
  d->sets = d->links = d->heads = NULL;
  d->nedits = d->edits_cap = d->nsets = d->sets_cap = d->nlinks = d->links_cap = 0;
  d->patched = 0;
  d->open_set = 0;
}

static void grow_begin(tf_doc *d) {
  if (d->grow_lock) d->grow_lock(d->grow_ud, 1);
}
static void grow_end(tf_doc *d) {
  if (d->grow_lock) d->grow_lock(d->grow_ud, 0);
}

uint32_t tf_doc_name(tf_doc *d, const char *s, size_t len) {
  uint32_t id = tf_doc_name_find(d, s, len);
  if (id != 0) return id;
  grow_begin(d); /* a new name: the table may move */
  if (d->names == NULL) d->names = tf_intern_new(d->mem);
  id = d->names ? tf_intern_add(d->names, s, len) : 0;
  grow_end(d);
  return id;
}

int tf_doc_text_put(tf_doc *d, const void *p, size_t n) {
  if (d->texts.cap - d->texts.len < n) {
    int st;
    grow_begin(d);
    st = tf_buf_reserve(&d->texts, n);
    grow_end(d);
    if (st != 0) return -1;
  }
  return tf_buf_put(&d->texts, p, n);
}

uint32_t tf_doc_name_find(const tf_doc *d, const char *s, size_t len) {
  return d->names ? tf_intern_find(d->names, s, len) : 0;
}

/* Room for `extra` more elements past `count` in an array of `per` uint32
 * words each. */
static int reserve(tf_doc *d, uint32_t **p, uint32_t *cap, uint32_t count, size_t extra, size_t per) {
  uint32_t n;
  uint32_t *q;
  if ((size_t)count + extra < *cap) return 0;
  if (extra > UINT32_MAX / 4 || (size_t)count + extra > UINT32_MAX / 4) return -1;
  n = *cap ? *cap : 64;
  while ((size_t)count + extra >= n) n *= 2;
  grow_begin(d);
  q = (uint32_t *)tf_mem_realloc(&d->mem, *p, (size_t)*cap * per * sizeof **p, (size_t)n * per * sizeof **p);
  if (q != NULL) {
    *p = q;
    *cap = n;
  }
  grow_end(d);
  return q == NULL ? -1 : 0;
}

int tf_doc_reserve_edits(tf_doc *d, size_t n) {
  return reserve(d, (uint32_t **)(void *)&d->edits, &d->edits_cap, d->nedits, n, 4);
}

int tf_doc_ensure_heads(tf_doc *d) {
  uint32_t *h;
  if (d->heads != NULL || d->count == 0) return d->count == 0 ? -1 : 0;
  h = (uint32_t *)tf_mem_alloc(&d->mem, tf_mem_mul(d->count, sizeof *d->heads));
  if (h == NULL) return -1;
  memset(h, 0, (size_t)d->count * sizeof *d->heads);
  grow_begin(d);
  d->heads = h;
  grow_end(d);
  return 0;
}

/* Puts set at the front of node i's chain: the new link, or 0. */
static uint32_t push_link(tf_doc *d, uint32_t i, uint32_t set) {
  uint32_t l;
  if (tf_doc_ensure_heads(d) != 0 || reserve(d, &d->links, &d->links_cap, d->nlinks, 1, 2) != 0) return 0;
  l = ++d->nlinks; /* link 0 means none */
  d->links[2 * l] = set;
  d->links[2 * l + 1] = d->heads[i];
  if (d->heads[i] == 0) d->patched++;
  d->heads[i] = l;
  return l;
}

uint32_t tf_doc_begin(tf_doc *d, uint32_t i) {
  uint32_t set;
  if (d->open_set != 0 || i >= d->count) return 0;
  if (reserve(d, &d->sets, &d->sets_cap, d->nsets, 1, 2) != 0) return 0;
  set = d->nsets + 1;
  d->sets[2 * set] = d->nedits;
  d->sets[2 * set + 1] = 0;
  if (push_link(d, i, set) == 0) return 0;
  d->nsets = set;
  d->open_set = set;
  d->open_node = i;
  d->open_text = d->texts.len;
  return set;
}

static void unlink_open(tf_doc *d) {
  uint32_t i = d->open_node, l = d->heads[i];
  d->heads[i] = d->links[2 * l + 1];
  if (d->heads[i] == 0) d->patched--;
  d->nlinks--; /* the open set's link is the newest of all */
  d->nsets--;
  d->open_set = 0;
}

/* The compact object text obj[0, len) with its member `member` (a name
 * id) set to text[0, tlen), or removed (text NULL), appended to out. */
static int splice_member(tf_doc *d, const char *obj, size_t len, uint32_t member, const char *text, size_t tlen,
                         tf_buf *out) {
  tf_doc_value v;
  uint32_t at = d->nedits; /* a scratch edit just past the set's edits */
  if (reserve(d, (uint32_t **)(void *)&d->edits, &d->edits_cap, d->nedits, 1, 4) != 0) return -1;
  d->edits[at].field = 0;
  d->edits[at].member = member;
  d->edits[at].text = text ? (uint32_t)(text - (const char *)d->texts.data) : 0;
  d->edits[at].len = text ? (uint32_t)tlen : TF_DOC_REMOVED;
  memset(&v, 0, sizeof v);
  v.kind = TF_DOC_EDITED;
  v.text = obj;
  v.end = len;
  v.over[0] = at;
  v.nover = 1;
  return tf_doc_value_json(d, &v, out);
}

int tf_doc_edit_add(tf_doc *d, uint32_t field, uint32_t member, const char *text, size_t len) {
  uint32_t set = d->open_set, first, k, whole = UINT32_MAX;
  tf_doc_edit e;
  if (set == 0) return -1;
  first = d->sets[2 * set];
  for (k = first; k < d->nedits; k++) {
    tf_doc_edit *x = &d->edits[k];
    if (x->field == field && x->member == 0) whole = k;
  }
  if (member != 0 && whole != UINT32_MAX) {
    /* a member of a field this set already replaced: into its text */
    tf_doc_edit *w = &d->edits[whole];
    size_t start = d->texts.len;
    const char *wtext;
    tf_buf tmp;
    int st;
    if (text != NULL && (len >= UINT32_MAX || tf_doc_text_put(d, text, len) != 0)) return -1;
    tf_buf_init(&tmp, d->mem);
    if (w->len == TF_DOC_REMOVED) {
      st = tf_buf_put(&tmp, "{}", 2);
    } else {
      wtext = tf_doc_edit_text(d, w);
      st = tf_buf_put(&tmp, wtext, w->len);
    }
    if (st == 0) {
      const char *mtext = text ? (const char *)d->texts.data + start : NULL;
      tf_buf res;
      tf_buf_init(&res, d->mem);
      st = splice_member(d, (const char *)tmp.data, tmp.len, member, mtext, len, &res);
      d->texts.len = start;
      if (st == 0 && d->texts.len + res.len < UINT32_MAX && tf_doc_text_put(d, res.data, res.len) == 0) {
        w = &d->edits[whole];
        w->text = (uint32_t)start;
        w->len = (uint32_t)res.len;
      } else {
        st = -1;
      }
      tf_buf_free(&res);
    }
    tf_buf_free(&tmp);
    return st;
  }
  if (member == 0) {
    /* a whole-field edit replaces the set's earlier edits of the field */
    uint32_t w = first;
    for (k = first; k < d->nedits; k++) {
      if (d->edits[k].field == field) continue;
      d->edits[w++] = d->edits[k];
    }
    d->nedits = w;
  } else {
    for (k = first; k < d->nedits; k++) {
      if (d->edits[k].field == field && d->edits[k].member == member) break;
    }
    if (k < d->nedits) { /* the same member again: drop the earlier edit */
      memmove(d->edits + k, d->edits + k + 1, (size_t)(d->nedits - k - 1) * sizeof *d->edits);
      d->nedits--;
    }
  }
  e.field = field;
  e.member = member;
  if (text == NULL) {
    e.text = 0;
    e.len = TF_DOC_REMOVED;
  } else {
    if (len >= UINT32_MAX || d->texts.len + len >= UINT32_MAX) return -1;
    e.text = (uint32_t)d->texts.len;
    e.len = (uint32_t)len;
    if (tf_doc_text_put(d, text, len) != 0) return -1;
  }
  if (reserve(d, (uint32_t **)(void *)&d->edits, &d->edits_cap, d->nedits, 1, 4) != 0) return -1;
  d->edits[d->nedits++] = e;
  d->sets[2 * set + 1] = d->nedits - first;
  return 0;
}

uint32_t tf_doc_commit(tf_doc *d) {
  uint32_t set = d->open_set;
  if (set == 0) return 0;
  d->sets[2 * set + 1] = d->nedits - d->sets[2 * set];
  if (d->sets[2 * set + 1] == 0) {
    unlink_open(d);
    return 0;
  }
  d->open_set = 0;
  return set;
}

void tf_doc_rollback(tf_doc *d) {
  uint32_t set = d->open_set;
  if (set == 0) return;
  d->nedits = d->sets[2 * set];
  d->texts.len = d->open_text;
  unlink_open(d);
}

int tf_doc_link(tf_doc *d, uint32_t i, uint32_t set) {
  if (set == 0 || set > d->nsets || i >= d->count) return -1;
  return push_link(d, i, set) ? 0 : -1;
}

void tf_doc_unlink_to(tf_doc *d, uint32_t i, uint32_t head) {
  if (d->heads == NULL || i >= d->count || d->heads[i] == head) return;
  if (head == 0) d->patched--;
  d->heads[i] = head;
}

const tf_doc_edit *tf_doc_set_edits(const tf_doc *d, uint32_t set, size_t *n) {
  *n = d->sets[2 * set + 1];
  return d->edits + d->sets[2 * set];
}

const char *tf_doc_quoted_name(tf_doc *d, tf_doc_work *w, uint32_t id, size_t *len) {
  size_t nlen;
  const char *name;
  if (id < w->qname_cap && w->qname[2 * id] != 0) {
    *len = w->qname[2 * id + 1];
    return (const char *)w->qtext.data + w->qname[2 * id] - 1;
  }
  name = tf_intern_name(d->names, id, &nlen);
  if (name == NULL) return NULL;
  if (id >= w->qname_cap) {
    size_t cap = w->qname_cap ? w->qname_cap : 64;
    uint32_t *q;
    while (cap <= id) cap *= 2;
    q = (uint32_t *)tf_mem_realloc(w->mem, w->qname, w->qname_cap * 2 * sizeof *q, tf_mem_mul(cap, 2 * sizeof *q));
    if (q == NULL) return NULL;
    memset(q + 2 * w->qname_cap, 0, (cap - w->qname_cap) * 2 * sizeof *q);
    w->qname = q;
    w->qname_cap = cap;
  }
  {
    size_t at = w->qtext.len;
    if (at + 2 * nlen + 8 >= UINT32_MAX || tf_jsonw_string(&w->qtext, name, nlen, NULL) != 0) {
      w->qtext.len = at;
      return NULL;
    }
    w->qname[2 * id] = (uint32_t)at + 1;
    w->qname[2 * id + 1] = (uint32_t)(w->qtext.len - at);
    *len = w->qtext.len - at;
    return (const char *)w->qtext.data + at;
  }
}

/* ---- reading through the chain ---- */

/* (open: the set being built counts too, with its edits so far) */
static int chain(tf_doc *d, uint32_t i, uint32_t fid, tf_doc_value *v, int open);

int tf_doc_chain(tf_doc *d, uint32_t i, uint32_t fid, tf_doc_value *v) { return chain(d, i, fid, v, 1); }

int tf_doc_chain_done(tf_doc *d, uint32_t i, uint32_t fid, tf_doc_value *v) { return chain(d, i, fid, v, 0); }

static int chain(tf_doc *d, uint32_t i, uint32_t fid, tf_doc_value *v, int open) {
  uint32_t l;
  v->kind = TF_DOC_ABSENT;
  v->text = NULL;
  v->off = v->end = 0;
  v->nover = 0;
  if (fid == 0 || !tf_doc_patched(d, i)) return 0;
  for (l = d->heads[i]; l != 0; l = d->links[2 * l + 1]) {
    uint32_t set = d->links[2 * l], first = d->sets[2 * set], k = first + d->sets[2 * set + 1];
    if (open && set == d->open_set) k = d->nedits;
    while (k > first) {
      const tf_doc_edit *e = &d->edits[--k];
      size_t j;
      if (e->field != fid) continue;
      if (e->member == 0) {
        if (e->len != TF_DOC_REMOVED) {
          v->kind = TF_DOC_EDITED;
          v->text = tf_doc_edit_text(d, e);
          v->end = e->len;
        }
        return 1;
      }
      for (j = 0; j < v->nover; j++)
        if (d->edits[v->over[j]].member == e->member) break;
      if (j < v->nover) continue; /* a newer edit of this member counts */
      if (v->nover == TF_DOC_MAX_OVER) return -1;
      v->over[v->nover++] = k;
    }
  }
  return 0;
}

int tf_doc_field_id(tf_doc *d, uint32_t i, uint32_t fid, const char *name, size_t len, tf_doc_value *v) {
  const tf_doc_span *spans, *s;
  long n;
  int st = tf_doc_chain(d, i, fid, v);
  if (st != 0) return st < 0 ? -1 : 0;
  n = tf_doc_node_members(d, i, &spans);
  if (n < 0) return -1;
  s = tf_doc_find(d->text, spans, (size_t)n, name, len);
  if (s != NULL) {
    v->kind = TF_DOC_ORIGINAL;
    v->text = d->text;
    v->off = s->val;
    v->end = s->val_end;
  }
  return 0;
}

int tf_doc_field(tf_doc *d, uint32_t i, const char *name, size_t len, tf_doc_value *v) {
  return tf_doc_field_id(d, i, tf_doc_name_find(d, name, len), name, len, v);
}

/* 1 when edit k's member is `name`. */
static int member_is(const tf_doc *d, uint32_t k, const char *name, size_t len) {
  size_t mlen;
  const char *m = tf_intern_name(d->names, d->edits[k].member, &mlen);
  return m != NULL && mlen == len && memcmp(m, name, len) == 0;
}

int tf_doc_member(tf_doc *d, const tf_doc_value *v, const char *name, size_t len, size_t index, tf_doc_value *out) {
  size_t j;
  out->kind = TF_DOC_ABSENT;
  out->text = NULL;
  out->off = out->end = 0;
  out->nover = 0;
  if (name != NULL) {
    for (j = 0; j < v->nover; j++) {
      if (!member_is(d, v->over[j], name, len)) continue;
      if (d->edits[v->over[j]].len != TF_DOC_REMOVED) {
        out->kind = TF_DOC_EDITED;
        out->text = tf_doc_edit_text(d, &d->edits[v->over[j]]);
        out->end = d->edits[v->over[j]].len;
      }
      return 0;
    }
  }
  if (v->kind == TF_DOC_ABSENT) return 0;
  if (name != NULL) {
    long n;
    const tf_doc_span *s;
    if (v->text[v->off] != '{') return 0;
    if (v->text == d->text && d->spans2_of == v->off + 1) {
      n = (long)d->nspans2; /* the object of the file read last: its members are known */
    } else {
      n = tf_doc_members(&d->mem, v->text, v->end, v->off, 0, 0, &d->spans2, &d->spans2_cap, NULL);
      if (n < 0) return -1;
      d->nspans2 = (size_t)n;
      d->spans2_of = v->text == d->text ? v->off + 1 : 0;
    }
    s = tf_doc_find(v->text, d->spans2, (size_t)n, name, len);
    if (s == NULL) return 0;
    out->off = s->val;
    out->end = s->val_end;
  } else {
    uint64_t p = v->off + 1;
    if (v->text[v->off] != '[') return 0;
    for (j = 0;; j++) {
      while (v->text[p] == ' ' || v->text[p] == '\n' || v->text[p] == '\r' || v->text[p] == '\t' || v->text[p] == ',') p++;
      if (v->text[p] == ']') return 0;
      if (j == index) break;
      p = tf_doc_skip(v->text, p);
    }
    out->off = p;
    out->end = tf_doc_skip(v->text, p);
  }
  out->kind = v->kind;
  out->text = v->text;
  return 0;
}

int tf_doc_value_type(const tf_doc_value *v) {
  if (v->kind == TF_DOC_ABSENT) return v->nover > 0 ? 'o' : 0;
  switch (v->text[v->off]) {
    case '{': return 'o';
    case '[': return 'a';
    case '"': return 's';
    case 't': case 'f': return 'b';
    case 'n': return 'z';
    default: return 'n';
  }
}

static int buf_put(void *ud, const char *p, size_t n) { return tf_buf_put((tf_buf *)ud, p, n); }

int tf_doc_value_json(tf_doc *d, const tf_doc_value *v, tf_buf *b) {
  tf_doc_sink s;
  memset(&s, 0, sizeof s);
  s.put = buf_put;
  s.ud = b;
  return tf_doc_put_value(d, &d->work, &s, v, "", 0);
}

/* ---- equal values ---- */

static uint64_t ws(const char *t, uint64_t i) {
  while (t[i] == ' ' || t[i] == '\n' || t[i] == '\r' || t[i] == '\t') i++;
  return i;
}

/* A JSON number as its significant digits (leading and trailing zeros
 * gone, at most 20 kept) and the power of ten of its first one: 0 when it
 * has more digits than that (then it is read as a double instead). */
typedef struct decimal_digits {
  char d[20];
  int n, exp, neg;
} decimal_digits;

static int read_digits(const char *t, size_t len, decimal_digits *x) {
  size_t i = 0;
  int point = 0, seen = 0, exp = 0;
  x->n = 0;
  x->neg = len > 0 && t[0] == '-';
  if (x->neg) i++;
  for (; i < len && t[i] != 'e' && t[i] != 'E'; i++) {
    char c = t[i];
    if (c == '.') {
      point = 1;
      continue;
    }
    if (c == '0' && !seen) { /* leading zeros: after the point they move the exponent */
      if (point) exp--;
      continue;
    }
    seen = 1;
    if (x->n == (int)sizeof x->d) return 0;
    x->d[x->n++] = c;
    if (!point) exp++;
  }
  if (i < len) { /* the exponent */
    long e = strtol(t + i + 1, NULL, 10);
    if (e > 100000 || e < -100000) return 0;
    exp += (int)e;
  }
  while (x->n > 0 && x->d[x->n - 1] == '0') x->n--;
  x->exp = exp;
  if (x->n == 0) x->neg = 0; /* every zero is one decimal (the sign of -0 is for the double below) */
  return 1;
}

/* Whether two JSON number texts read as the same double: equal decimals
 * are; decimals that differ within 15 significant digits are not (such
 * decimals round-trip through a double); the rest are read as doubles. */
static int numbers_equal(const char *a, size_t alen, const char *b, size_t blen) {
  decimal_digits x, y;
  int k;
  if (read_digits(a, alen, &x) && read_digits(b, blen, &y)) {
    if (x.n == 0 || y.n == 0) {
      if (x.n != y.n) return 0;
    } else if (x.neg != y.neg || x.exp != y.exp) {
      return 0;
    } else {
      for (k = 0; k < x.n && k < y.n && k < 15; k++)
        if (x.d[k] != y.d[k]) return 0;
      if (x.n == y.n && memcmp(x.d, y.d, (size_t)x.n) == 0) return 1;
    }
  }
  {
    double u = tf_jsonw_read_number(a, alen), v = tf_jsonw_read_number(b, blen);
    return u == v && (u != 0 || (alen > 0 && a[0] == '-') == (blen > 0 && b[0] == '-'));
  }
}

/* The characters of the key at s: its own bytes when it holds no escape,
 * else decoded into w->scratch (the caller takes the scratch back). */
static int key_chars(tf_doc_work *w, const char *text, const tf_doc_span *s, const char **name, size_t *len) {
  const char *k = text + s->key + 1;
  size_t n = (size_t)(s->key_end - s->key - 2), mark = w->scratch.len;
  if (memchr(k, '\\', n) == NULL) {
    *name = k;
    *len = n;
    return 0;
  }
  if (tf_doc_unescape(&w->scratch, text, s->key, s->key_end) != 0) return -1;
  *name = (const char *)w->scratch.data + mark;
  *len = w->scratch.len - mark;
  return 0;
}

/* Objects with more members than this are not compared member by member. */
#define EQUAL_MAX_MEMBERS 256

/* a[i, ae) and b[j, be): two values (ends 0: found by skipping, inside a
 * container, where a delimiter always follows) */
static int json_equal(tf_doc_work *w, const char *a, uint64_t i, uint64_t ae, const char *b, uint64_t j, uint64_t be,
                      int depth) {
  char ca, cb;
  i = ws(a, i);
  j = ws(b, j);
  ca = a[i];
  cb = b[j];
  if (depth > TF_DOC_MAX_DEPTH) return 0;
  if (ae == 0) ae = tf_doc_skip(a, i);
  if (be == 0) be = tf_doc_skip(b, j);
  while (ae > i && (a[ae - 1] == ' ' || a[ae - 1] == '\n' || a[ae - 1] == '\r' || a[ae - 1] == '\t')) ae--;
  while (be > j && (b[be - 1] == ' ' || b[be - 1] == '\n' || b[be - 1] == '\r' || b[be - 1] == '\t')) be--;
  if (ae - i == be - j && memcmp(a + i, b + j, (size_t)(ae - i)) == 0) return 1;
  if (ca == '"' && cb == '"') {
    size_t mark = w->scratch.len, alen;
    int same;
    /* other bytes and no escapes: other characters */
    if (memchr(a + i, '\\', (size_t)(ae - i)) == NULL && memchr(b + j, '\\', (size_t)(be - j)) == NULL) return 0;
    if (tf_doc_unescape(&w->scratch, a, i, ae) != 0) return 0;
    alen = w->scratch.len - mark;
    if (tf_doc_unescape(&w->scratch, b, j, be) != 0) {
      w->scratch.len = mark;
      return 0;
    }
    same = w->scratch.len - mark - alen == alen &&
           memcmp(w->scratch.data + mark, w->scratch.data + mark + alen, alen) == 0;
    w->scratch.len = mark;
    return same;
  }
  if ((ca == '-' || (ca >= '0' && ca <= '9')) && (cb == '-' || (cb >= '0' && cb <= '9'))) {
    return numbers_equal(a + i, (size_t)(ae - i), b + j, (size_t)(be - j));
  }
  if (ca == '[' && cb == '[') {
    uint64_t p = i + 1, q = j + 1;
    for (;;) {
      p = ws(a, p);
      q = ws(b, q);
      if (a[p] == ',') p = ws(a, p + 1);
      if (b[q] == ',') q = ws(b, q + 1);
      if (a[p] == ']' || b[q] == ']') return a[p] == ']' && b[q] == ']';
      if (!json_equal(w, a, p, 0, b, q, 0, depth + 1)) return 0;
      p = tf_doc_skip(a, p);
      q = tf_doc_skip(b, q);
    }
  }
  if (ca == '{' && cb == '{') {
    /* the same keys, each with an equal value (the last of a repeated key counts) */
    int pooled = depth < TF_DOC_EQ_LEVELS; /* members into the document's arrays for this level */
    tf_doc_span *as = pooled ? w->eq_spans[2 * depth] : NULL, *bs = pooled ? w->eq_spans[2 * depth + 1] : NULL;
    size_t acap = pooled ? w->eq_caps[2 * depth] : 0, bcap = pooled ? w->eq_caps[2 * depth + 1] : 0, k, m;
    long na = tf_doc_members(w->mem, a, ae, i, 0, 0, &as, &acap, NULL);
    long nb = na < 0 ? -1 : tf_doc_members(w->mem, b, be, j, 0, 0, &bs, &bcap, NULL);
    int same = na >= 0 && nb >= 0 && na <= EQUAL_MAX_MEMBERS && nb <= EQUAL_MAX_MEMBERS;
    for (k = 0; same && k < (size_t)na; k++) { /* every key of a is in b, equal */
      size_t mark = w->scratch.len, nlen;
      const tf_doc_span *x;
      const char *name;
      if (key_chars(w, a, &as[k], &name, &nlen) != 0) {
        same = 0;
        break;
      }
      x = tf_doc_find(b, bs, (size_t)nb, name, nlen);
      if (x == NULL || tf_doc_find(a, as, (size_t)na, name, nlen) != &as[k]) {
        /* absent in b, or not the last of its key in a: only the last is compared */
        if (x == NULL) same = 0;
        w->scratch.len = mark;
        continue;
      }
      w->scratch.len = mark;
      same = json_equal(w, a, as[k].val, as[k].val_end, b, x->val, x->val_end, depth + 1);
    }
    for (m = 0; same && m < (size_t)nb; m++) { /* and b has no other key */
      size_t mark = w->scratch.len, nlen;
      const char *name;
      if (key_chars(w, b, &bs[m], &name, &nlen) != 0) same = 0;
      else if (tf_doc_find(a, as, (size_t)na, name, nlen) == NULL) same = 0;
      w->scratch.len = mark;
    }
    if (pooled) {
      w->eq_spans[2 * depth] = as;
      w->eq_caps[2 * depth] = acap;
      w->eq_spans[2 * depth + 1] = bs;
      w->eq_caps[2 * depth + 1] = bcap;
    } else {
      tf_mem_free(w->mem, as, acap * sizeof *as);
      tf_mem_free(w->mem, bs, bcap * sizeof *bs);
    }
    return same;
  }
  return 0; /* true, false and null are equal only as the same text */
}

int tf_doc_json_equal(tf_doc_work *w, const char *a, uint64_t aoff, uint64_t aend, const char *b, uint64_t boff,
                      uint64_t bend) {
  return json_equal(w, a, aoff, aend, b, boff, bend, 0);
}

/* ---- writing in the document's layout ---- */

static int put(const tf_doc_sink *s, const char *p, size_t n) { return n ? s->put(s->ud, p, n) : 0; }

static int newline(const tf_doc_sink *s, const char *line, size_t line_len, int depth) {
  int k;
  if (put(s, "\n", 1) != 0 || put(s, line, line_len) != 0) return -1;
  for (k = 0; k < depth; k++)
    if (put(s, s->indent, s->indent_len) != 0) return -1;
  return 0;
}

static int is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

int tf_doc_put_json(const tf_doc_sink *s, const char *text, uint64_t off, uint64_t end, const char *line,
                    size_t line_len) {
  uint64_t i = off;
  int depth = 0;
  /* compact: as it is (a compact file's new text is compact, and text
   * copied from it too) */
  if (!s->pretty) return put(s, text + off, (size_t)(end - off));
  while (i < end) {
    char c = text[i];
    uint64_t j;
    switch (c) {
      case '"':
        j = tf_doc_skip(text, i);
        if (put(s, text + i, (size_t)(j - i)) != 0) return -1;
        i = j;
        continue;
      case '{':
      case '[':
        j = i + 1;
        while (j < end && is_space(text[j])) j++;
        if (j < end && (text[j] == '}' || text[j] == ']')) { /* empty: stays on one line */
          if (put(s, c == '{' ? "{}" : "[]", 2) != 0) return -1;
          i = j + 1;
          continue;
        }
        depth++;
        if (put(s, &c, 1) != 0 || newline(s, line, line_len, depth) != 0) return -1;
        i = j;
        continue;
      case '}':
      case ']':
        depth--;
        if (newline(s, line, line_len, depth) != 0 || put(s, &c, 1) != 0) return -1;
        break;
      case ',':
        if (put(s, ",", 1) != 0 || newline(s, line, line_len, depth) != 0) return -1;
        break;
      case ':':
        if (put(s, s->colon_space ? ": " : ":", s->colon_space ? 2 : 1) != 0) return -1;
        break;
      default:
        if (!is_space(c)) {
          j = i;
          while (j < end && !is_space(text[j]) && text[j] != ',' && text[j] != '}' && text[j] != ']') j++;
          if (put(s, text + i, (size_t)(j - i)) != 0) return -1;
          i = j;
          continue;
        }
    }
    i++;
  }
  return 0;
}

const char *tf_doc_line_indent(const char *text, uint64_t from, uint64_t at, size_t *len) {
  uint64_t i = at;
  while (i > from && (text[i - 1] == ' ' || text[i - 1] == '\t')) i--;
  if (i > from && text[i - 1] == '\n') {
    *len = (size_t)(at - i);
    return text + i;
  }
  *len = 0;
  return NULL;
}

/* The override (an index in v->over) for the member at span, or -1; marks
 * it used. names, lens: the overrides' member names. */
static long override_of(const tf_doc_value *v, const char *text, const tf_doc_span *span, const char *const *names,
                        const size_t *lens, char *used) {
  size_t k;
  for (k = 0; k < v->nover; k++) {
    if (!used[k] && tf_doc_key_eq(text, span, names[k], lens[k])) {
      used[k] = 1;
      return (long)k;
    }
  }
  return -1;
}

/* Bytes of one text waiting to be written: consecutive pieces join. */
typedef struct text_run {
  const char *text;
  uint64_t from, to;
} text_run;

static int flush_run(text_run *r, const tf_doc_sink *s) {
  int st = put(s, r->text + r->from, (size_t)(r->to - r->from));
  r->from = r->to;
  return st;
}

static int pend(text_run *r, const tf_doc_sink *s, uint64_t from, uint64_t to) {
  if (from != r->to) {
    if (flush_run(r, s) != 0) return -1;
    r->from = from;
  }
  r->to = to;
  return 0;
}

int tf_doc_put_value(tf_doc *d, tf_doc_work *w, const tf_doc_sink *s, const tf_doc_value *v, const char *line,
                     size_t line_len) {
  const char *text = v->text;
  tf_doc_span *spans = NULL;
  size_t nout = 0, j;
  long n = 0;
  uint64_t close = 0;
  int multi, st = 0, original;
  const char *mind; /* members' indentation */
  size_t mind_len;
  const char *sep = ",", *colon; /* between members, after a key: the object's own where it has them */
  size_t sep_len = 1, colon_len;
  tf_buf own; /* a members' indentation made here */
  char used[TF_DOC_MAX_OVER];
  text_run run;
  const char *onames[TF_DOC_MAX_OVER];
  size_t olens[TF_DOC_MAX_OVER];
  if (v->nover == 0) {
    if (v->kind == TF_DOC_ABSENT) return 0;
    if (v->kind == TF_DOC_ORIGINAL) return put(s, text + v->off, (size_t)(v->end - v->off));
    return tf_doc_put_json(s, text, v->off, v->end, line, line_len);
  }
  memset(used, 0, sizeof used);
  run.text = text;
  run.from = run.to = 0;
  for (j = 0; j < v->nover; j++) {
    onames[j] = tf_intern_name(d->names, d->edits[v->over[j]].member, &olens[j]);
    if (onames[j] == NULL) return -1;
  }
  tf_buf_init(&own, *w->mem); /* the user's own allocator: a writer's thread allocates in its block */
  if (v->kind != TF_DOC_ABSENT && text[v->off] == '{') {
    n = tf_doc_members(w->mem, text, v->end, v->off, 0, 0, &w->spans3, &w->spans3_cap, &close);
    if (n < 0) return -1;
    spans = w->spans3;
    close--; /* the '}' */
  }
  /* an object of the file with members keeps its own separators and layout */
  original = v->kind == TF_DOC_ORIGINAL && n > 0;
  multi = s->pretty;
  mind = NULL;
  mind_len = 0;
  colon = s->pretty && s->colon_space ? ": " : ":";
  colon_len = strlen(colon);
  if (original) {
    mind = tf_doc_line_indent(text, v->off, spans[0].key, &mind_len);
    multi = mind != NULL;
    colon = text + spans[0].key_end;
    colon_len = (size_t)(spans[0].val - spans[0].key_end);
    if (n >= 2) {
      sep = text + spans[0].val_end;
      sep_len = (size_t)(spans[1].key - spans[0].val_end);
    }
  }
  if (multi && mind == NULL) {
    /* one level in from the line holding the object */
    if (tf_buf_put(&own, line, line_len) != 0 || tf_buf_put(&own, s->indent, s->indent_len) != 0) {
      tf_buf_free(&own);
      return -1;
    }
    mind = (const char *)own.data;
    mind_len = own.len;
  }
  /* the object's own bytes go out in runs: a kept member and what
   * surrounds it join the run before it */
  if (original) pend(&run, s, v->off, v->off + 1);
  else if (put(s, "{", 1) != 0) st = -1;
  for (j = 0; st == 0 && j < (size_t)n; j++) {
    /* an original member: kept, replaced or removed */
    long k = override_of(v, text, &spans[j], onames, olens, used);
    const tf_doc_edit *e = k >= 0 ? &d->edits[v->over[k]] : NULL;
    if (e != NULL && e->len == TF_DOC_REMOVED) continue;
    if (e != NULL && original && tf_doc_json_equal(w, text, spans[j].val, spans[j].val_end, tf_doc_edit_text(d, e), 0, e->len)) {
      e = NULL; /* written with the value it had: its bytes stay */
    }
    if (original) {
      /* the bytes before it: the object's opening, or the separator after the member before it */
      uint64_t from = nout == 0 ? v->off + 1 : spans[j - 1].val_end, to = nout == 0 ? spans[0].key : spans[j].key;
      st = pend(&run, s, from, to);
      nout++;
      /* its key and colon, and its value unless replaced */
      if (st == 0) st = pend(&run, s, spans[j].key, e == NULL ? spans[j].val_end : spans[j].val);
      if (st == 0 && e != NULL) st = flush_run(&run, s);
      if (st == 0 && e != NULL) st = tf_doc_put_json(s, tf_doc_edit_text(d, e), 0, e->len, mind, mind_len);
      continue;
    }
    if (nout > 0) st = put(s, ",", 1);
    if (st == 0 && multi) st = newline(s, mind, mind_len, 0);
    nout++;
    if (st != 0) break;
    if (put(s, text + spans[j].key, (size_t)(spans[j].key_end - spans[j].key)) != 0) {
      st = -1;
      break;
    }
    st = put(s, multi && s->colon_space ? ": " : ":", multi && s->colon_space ? 2 : 1);
    if (st != 0) break;
    if (e == NULL) st = tf_doc_put_json(s, text, spans[j].val, spans[j].val_end, mind, mind_len);
    else st = tf_doc_put_json(s, tf_doc_edit_text(d, e), 0, e->len, mind, mind_len);
  }
  /* members the object did not have, oldest edit first */
  for (j = v->nover; st == 0 && j > 0; j--) {
    const tf_doc_edit *e = &d->edits[v->over[j - 1]];
    if (used[j - 1] || e->len == TF_DOC_REMOVED) continue;
    if (nout > 0) {
      st = flush_run(&run, s);
      if (st == 0) st = put(s, sep, sep_len);
      if (st == 0 && multi && !original) st = newline(s, mind, mind_len, 0);
      if (st == 0 && multi && original && n < 2) st = newline(s, mind, mind_len, 0);
    } else if (original) {
      st = pend(&run, s, v->off + 1, spans[0].key);
      if (st == 0) st = flush_run(&run, s);
    } else if (multi) {
      st = newline(s, mind, mind_len, 0);
    }
    nout++;
    if (st == 0) {
      size_t qlen;
      const char *q = tf_doc_quoted_name(d, w, e->member, &qlen);
      st = q == NULL ? -1 : put(s, q, qlen);
    }
    if (st == 0) st = put(s, original ? colon : (multi && s->colon_space ? ": " : ":"), original ? colon_len : (multi && s->colon_space ? 2u : 1u));
    if (st == 0) st = tf_doc_put_json(s, tf_doc_edit_text(d, e), 0, e->len, mind, mind_len);
  }
  if (st == 0) {
    if (original) {
      /* the original closing: what follows the last member up to '}' */
      st = pend(&run, s, spans[n - 1].val_end, close + 1);
      if (st == 0) st = flush_run(&run, s);
    } else if (multi && nout > 0) {
      st = newline(s, line, line_len, 0);
      if (st == 0) st = put(s, "}", 1);
    } else {
      st = put(s, "}", 1);
    }
  }
  tf_buf_free(&own);
  return st;
}

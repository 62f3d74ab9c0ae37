#include "tf_doc_emit.h"

#include <string.h>

#include "tf_hash.h"
#include "tf_jsonw.h"

/* The output buffer is handed to write in pieces of about this size. */
#define OUT_FLUSH (256u * 1024u)

enum { OUT_INSERT, OUT_REMOVE, OUT_REPLACE };

struct tf_doc_out_edit {
  uint64_t start, end; /* input bytes it replaces (start == end: an insertion) */
  uint64_t key;        /* REPLACE: the field's key (its line's indentation); INSERT: a member whose line
                          shows the members' indentation, 0: none */
  uint32_t node;
  uint32_t field;      /* REPLACE: the field's name id; INSERT: the first of its fields in o->ins */
  uint32_t edit;       /* REPLACE: 1 + the edit that sets the whole field (its value), 0: see the chain */
  uint32_t count;      /* INSERT: how many fields */
  uint8_t kind;
  uint8_t comma;       /* INSERT: members stay before it */
};

static int put_buf(void *ud, const char *p, size_t n) {
  tf_doc_out *o = (tf_doc_out *)ud;
  if (tf_buf_put(&o->buf, p, n) != 0) {
    o->state = TF_DOC_NOMEM;
    return -1;
  }
  return 0;
}

void tf_doc_out_init_in(tf_doc_out *o, tf_doc *d, tf_mem *mem, int (*write)(void *ud, const void *p, size_t n), void *ud) {
  memset(o, 0, sizeof *o);
  o->d = d;
  o->mem = mem;
  tf_doc_work_init(&o->work, mem);
  o->write = write;
  o->ud = ud;
  o->state = TF_DOC_MORE;
  o->upto = UINT32_MAX;
  o->gen_limit = TF_DOC_SPLICE_BYTES;
  tf_buf_init(&o->buf, *mem);
  tf_buf_init(&o->flags, *mem);
  tf_buf_init(&o->gen, *mem);
  tf_buf_init(&o->gen_lines, *mem);
  tf_buf_init(&o->kept, *mem);
  o->sink.put = put_buf;
  o->sink.ud = o;
  o->sink.pretty = d->pretty;
  o->sink.indent = d->indent;
  o->sink.indent_len = d->indent_len;
  o->sink.colon_space = d->colon_space;
  /* the memos are worth having, not needing: without memory, none */
  o->splices = (struct splice_memo *)tf_mem_alloc(mem, TF_DOC_SPLICE_MEMO * sizeof *o->splices);
  if (o->splices) memset(o->splices, 0, TF_DOC_SPLICE_MEMO * sizeof *o->splices);
  o->same = (struct same_memo *)tf_mem_alloc(mem, TF_DOC_SAME_MEMO * sizeof *o->same);
  if (o->same) memset(o->same, 0, TF_DOC_SAME_MEMO * sizeof *o->same);
}

void tf_doc_out_init(tf_doc_out *o, tf_doc *d, int (*write)(void *ud, const void *p, size_t n), void *ud) {
  tf_doc_out_init_in(o, d, &d->mem, write, ud);
}

/* Bytes of the block holding fields, fedits and fates for cap fields. */
static size_t fields_block(size_t cap) { return tf_mem_mul(cap, 2 * sizeof(uint32_t) + 1); }

void tf_doc_out_free(tf_doc_out *o) {
  tf_doc_work_free(&o->work);
  tf_mem_free(o->mem, o->splices, o->splices ? TF_DOC_SPLICE_MEMO * sizeof *o->splices : 0);
  tf_mem_free(o->mem, o->same, o->same ? TF_DOC_SAME_MEMO * sizeof *o->same : 0);
  o->splices = NULL;
  o->same = NULL;
  tf_mem_free(o->mem, o->heap, o->heap_cap * sizeof *o->heap);
  tf_mem_free(o->mem, o->fields, fields_block(o->fields_cap));
  o->fedits = NULL;
  o->fates = NULL;
  tf_mem_free(o->mem, o->ins, o->ins_cap * 2 * sizeof *o->ins);
  o->ins = NULL;
  o->ins_cap = o->nins = 0;
  tf_buf_free(&o->buf);
  tf_buf_free(&o->flags);
  tf_buf_free(&o->gen);
  tf_buf_free(&o->gen_lines);
  tf_buf_free(&o->kept);
  o->heap = NULL;
  o->fields = NULL;
  o->heap_cap = o->nheap = o->fields_cap = o->nfields = 0;
}

/* ---- the heap of edits ahead, smallest start first (an insertion before
 * an edit starting at the same byte) ---- */

static int before(const tf_doc_out_edit *a, const tf_doc_out_edit *b) {
  if (a->start != b->start) return a->start < b->start;
  return a->end - a->start < b->end - b->start;
}

static int push(tf_doc_out *o, const tf_doc_out_edit *e) {
  size_t i;
  if (o->nheap == o->heap_cap) {
    size_t cap = o->heap_cap ? o->heap_cap * 2 : 64;
    tf_doc_out_edit *q =
        (tf_doc_out_edit *)tf_mem_realloc(o->mem, o->heap, o->heap_cap * sizeof *q, tf_mem_mul(cap, sizeof *q));
    if (q == NULL) return -1;
    o->heap = q;
    o->heap_cap = cap;
  }
  i = o->nheap++;
  while (i > 0 && before(e, &o->heap[(i - 1) / 2])) {
    o->heap[i] = o->heap[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  o->heap[i] = *e;
  return 0;
}

static void pop(tf_doc_out *o) {
  tf_doc_out_edit last = o->heap[--o->nheap];
  size_t i = 0;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= o->nheap) break;
    if (c + 1 < o->nheap && before(&o->heap[c + 1], &o->heap[c])) c++;
    if (!before(&o->heap[c], &last)) break;
    o->heap[i] = o->heap[c];
    i = c;
  }
  if (o->nheap > 0) o->heap[i] = last;
}

/* ---- one node's edits ---- */

/* Doubles the room for fields (the three arrays are one block, so they
 * grow together or not at all). */
static int grow_fields(tf_doc_out *o) {
  size_t cap = o->fields_cap ? o->fields_cap * 2 : 16;
  unsigned char *b = (unsigned char *)tf_mem_alloc(o->mem, fields_block(cap));
  if (b == NULL || cap > UINT32_MAX) {
    tf_mem_free(o->mem, b, fields_block(cap));
    return -1;
  }
  if (o->nfields > 0) {
    memcpy(b, o->fields, o->nfields * sizeof *o->fields);
    memcpy(b + cap * sizeof *o->fields, o->fedits, o->nfields * sizeof *o->fedits);
    memcpy(b + cap * 2 * sizeof *o->fields, o->fates, o->nfields);
  }
  tf_mem_free(o->mem, o->fields, fields_block(o->fields_cap));
  o->fields = (uint32_t *)(void *)b;
  o->fedits = (uint32_t *)(void *)(b + cap * sizeof *o->fields);
  o->fates = (char *)(b + cap * 2 * sizeof *o->fields);
  o->fields_cap = cap;
  return 0;
}

/* The distinct fields node i's edits touch, into o->fields, and what
 * becomes of each (o->fates): 'd' removed (the newest edit of the field
 * removes it), else 'r' replaced or added. */
static int touched_fields(tf_doc_out *o, uint32_t i) {
  tf_doc *d = o->d;
  uint32_t l;
  o->nfields = 0;
  for (l = d->heads[i]; l != 0; l = d->links[2 * l + 1]) {
    size_t n, k, j;
    const tf_doc_edit *e = tf_doc_set_edits(d, d->links[2 * l], &n);
    for (k = n; k > 0; k--) { /* newest first */
      const tf_doc_edit *x = &e[k - 1];
      for (j = 0; j < o->nfields; j++)
        if (o->fields[j] == x->field) break;
      if (j < o->nfields) continue;
      if (o->nfields == o->fields_cap && grow_fields(o) != 0) return -1;
      o->fates[o->nfields] = (char)((x->member == 0 && x->len == TF_DOC_REMOVED) ? 'd' : 'r');
      /* the newest edit of the field sets all of it: that is its value */
      o->fedits[o->nfields] = x->member == 0 && x->len != TF_DOC_REMOVED ? (uint32_t)(x - d->edits) + 1 : 0;
      o->fields[o->nfields++] = x->field;
    }
  }
  /* a stable order for the fields a node gains: by name id (first use) */
  for (l = 1; l < o->nfields; l++) {
    uint32_t v = o->fields[l], ev = o->fedits[l];
    char fv = o->fates[l];
    size_t k = l;
    while (k > 0 && o->fields[k - 1] > v) {
      o->fields[k] = o->fields[k - 1];
      o->fedits[k] = o->fedits[k - 1];
      o->fates[k] = o->fates[k - 1];
      k--;
    }
    o->fields[k] = v;
    o->fedits[k] = ev;
    o->fates[k] = fv;
  }
  return 0;
}

/* Adds field f (whose value is set by edit - 1, or 0: see the chain) to the insertions ahead. */
static int add_ins(tf_doc_out *o, uint32_t f, uint32_t edit) {
  if (o->nins == o->ins_cap) {
    size_t cap = o->ins_cap ? o->ins_cap * 2 : 64;
    uint32_t *q = (uint32_t *)tf_mem_realloc(o->mem, o->ins, o->ins_cap * 2 * sizeof *q, tf_mem_mul(cap, 2 * sizeof *q));
    if (q == NULL) return -1;
    o->ins = q;
    o->ins_cap = cap;
  }
  o->ins[2 * o->nins] = f;
  o->ins[2 * o->nins + 1] = edit;
  o->nins++;
  return 0;
}

/* Pushes the edits of node i. */
static int node_edits(tf_doc_out *o, uint32_t i) {
  tf_doc *d = o->d;
  const tf_doc_span *spans;
  long n;
  size_t k, f;
  uint8_t *removed;
  uint64_t indent_key = 0;
  uint32_t ins_first = (uint32_t)o->nins;
  if (touched_fields(o, i) != 0) return -1;
  n = tf_doc_node_members_in(d, &o->work, i, &spans);
  if (n < 0) return -1;
  /* one byte a member: removed or not */
  o->flags.len = 0;
  if (tf_buf_reserve(&o->flags, (size_t)n + 1) != 0) return -1;
  removed = o->flags.data;
  memset(removed, 0, (size_t)n + 1);
  for (f = 0; f < o->nfields; f++) {
    size_t len;
    const char *name = tf_intern_name(d->names, o->fields[f], &len);
    int what = o->fates[f];
    long last = -1;
    for (k = 0; k < (size_t)n; k++) {
      if (!tf_doc_key_eq(d->text, &spans[k], name, len)) continue;
      if (what == 'd') removed[k] = 1; /* every copy of a removed key goes */
      last = (long)k;
    }
    if (what == 'r') {
      if (last >= 0) {
        tf_doc_out_edit e;
        e.start = spans[last].val;
        e.end = spans[last].val_end;
        e.key = spans[last].key;
        e.node = i;
        e.field = o->fields[f];
        e.edit = o->fedits[f];
        e.count = 0;
        e.kind = OUT_REPLACE;
        e.comma = 0;
        if (push(o, &e) != 0) return -1;
      } else if (add_ins(o, o->fields[f], o->fedits[f]) != 0) {
        return -1;
      }
    }
  }
  /* removed members, in runs: from a run's first key to the next kept key;
   * a run at the end, from the kept member before it */
  {
    long kept_before = -1;
    size_t a = 0;
    while (a < (size_t)n) {
      size_t b = a;
      tf_doc_out_edit e;
      if (!removed[a]) {
        kept_before = (long)a;
        a++;
        continue;
      }
      while (b < (size_t)n && removed[b]) b++;
      if (b < (size_t)n) {
        e.start = spans[a].key;
        e.end = spans[b].key;
      } else if (kept_before >= 0) {
        e.start = spans[kept_before].val_end;
        e.end = spans[b - 1].val_end;
      } else {
        e.start = spans[a].key;
        e.end = spans[b - 1].val_end;
      }
      e.key = 0;
      e.node = i;
      e.field = 0;
      e.count = 0;
      e.kind = OUT_REMOVE;
      e.edit = 0;
      e.comma = 0;
      if (push(o, &e) != 0) return -1;
      a = b;
    }
  }
  if (o->nins > ins_first) {
    tf_doc_out_edit e;
    int any_kept = 0;
    for (k = 0; k < (size_t)n; k++) {
      if (!removed[k]) any_kept = 1;
      if (indent_key == 0) indent_key = spans[k].key;
    }
    e.start = e.end = n > 0 ? spans[n - 1].val_end : d->nodes[i].start + 1;
    e.key = indent_key;
    e.node = i;
    e.field = ins_first;
    e.count = (uint32_t)o->nins - ins_first;
    e.kind = OUT_INSERT;
    e.edit = 0;
    e.comma = (uint8_t)any_kept;
    if (push(o, &e) != 0) return -1;
  }
  return 0;
}

/* 1 when the edit's text v is the value the file holds at e (JSON.parse
 * would read the same): remembered per (edit text, original bytes), as one
 * set's edits meet the same original values on many nodes. */
static int same_value(tf_doc_out *o, const tf_doc_out_edit *e, const tf_doc_value *v) {
  tf_doc *d = o->d;
  size_t len = (size_t)(e->end - e->start);
  uint64_t h;
  struct same_memo *m;
  if (o->same == NULL) return tf_doc_json_equal(&o->work, d->text, e->start, e->end, v->text, v->off, v->end);
  h = tf_hash_bytes(d->text + e->start, len, (uint64_t)(uintptr_t)v->text);
  m = &o->same[h & (TF_DOC_SAME_MEMO - 1)];
  /* (the bytes are compared with the memo's copy of them, near at hand,
   * not with the file where they were first met) */
  if (m->text == v->text && m->len == len && memcmp(o->kept.data + m->copy, d->text + e->start, len) == 0) return m->same;
  if (o->kept.len + len > TF_DOC_SAME_BYTES) { /* full: the memo starts over */
    memset(o->same, 0, TF_DOC_SAME_MEMO * sizeof *o->same);
    o->kept.len = 0;
  }
  m->text = NULL;
  if (len <= TF_DOC_SAME_BYTES && tf_buf_put(&o->kept, d->text + e->start, len) == 0) {
    m->text = v->text;
    m->copy = o->kept.len - len;
    m->len = len;
  }
  return m->same = tf_doc_json_equal(&o->work, d->text, e->start, e->end, v->text, v->off, v->end);
}

static int to_gen(void *ud, const char *p, size_t n) {
  tf_doc_out *o = (tf_doc_out *)ud;
  return tf_buf_put(&o->gen, p, n);
}

/* An object of the file with member edits over it (v), written: the text
 * made for the same bytes with the same edits (and indentation) is
 * remembered, as many nodes hold equal objects (a text style) and get the
 * same edits. */
static int spliced(tf_doc_out *o, const tf_doc_out_edit *e, const tf_doc_value *v, const char *line, size_t line_len) {
  tf_doc *d = o->d;
  size_t len = (size_t)(e->end - e->start), k;
  int ok;
  uint64_t h;
  struct splice_memo *m;
  tf_doc_sink s = o->sink;
  if (o->splices == NULL) return tf_doc_put_value(d, &o->work, &o->sink, v, line, line_len);
  h = tf_hash_bytes(d->text + e->start, len, tf_hash_bytes(v->over, v->nover * sizeof v->over[0], line_len));
  h += h == 0; /* (0 marks an empty slot) */
  m = &o->splices[h & (TF_DOC_SPLICE_MEMO - 1)];
  if (m->hash == h && m->len == len && m->nover == v->nover && v->nover <= TF_DOC_SPLICE_OVER &&
      memcmp(m->over, v->over, v->nover * sizeof v->over[0]) == 0 && memcmp(o->gen.data + m->orig, d->text + e->start, len) == 0 &&
      (line_len == 0 || memcmp(o->gen_lines.data + m->line, line, line_len) == 0))
    return put_buf(o, (const char *)o->gen.data + m->text, m->text_len);
  /* made into the memo's text buffer, then copied out */
  if (o->gen.len >= o->gen_limit || v->nover > TF_DOC_SPLICE_OVER) {
    return tf_doc_put_value(d, &o->work, &o->sink, v, line, line_len);
  }
  /* the original bytes, then the text made of them */
  m->hash = 0;
  m->orig = o->gen.len;
  m->line = o->gen_lines.len;
  s.put = to_gen;
  s.ud = o;
  ok = tf_buf_put(&o->gen, d->text + e->start, len) == 0;
  m->text = o->gen.len;
  ok = ok && tf_doc_put_value(d, &o->work, &s, v, line, line_len) == 0 && tf_buf_put(&o->gen_lines, line, line_len) == 0;
  if (!ok) {
    /* no room for the memo: it keeps what it has and takes no more; this
     * one is written out directly */
    o->gen.len = m->orig;
    o->gen_lines.len = m->line;
    o->gen_limit = 0;
    return tf_doc_put_value(d, &o->work, &o->sink, v, line, line_len);
  }
  m->text_len = o->gen.len - m->text;
  m->hash = h;
  m->len = len;
  m->nover = v->nover;
  for (k = 0; k < v->nover; k++) m->over[k] = v->over[k];
  return put_buf(o, (const char *)o->gen.data + m->text, m->text_len);
}

/* The value of node i's field fid as its edits leave it (tf_doc_chain),
 * known without looking when edit (1 + the index of the newest edit of
 * the field) sets all of it. */
static int edit_value(tf_doc *d, uint32_t i, uint32_t fid, uint32_t edit, tf_doc_value *v) {
  if (edit == 0) return tf_doc_chain_done(d, i, fid, v);
  v->kind = TF_DOC_EDITED;
  v->text = tf_doc_edit_text(d, &d->edits[edit - 1]);
  v->off = 0;
  v->end = d->edits[edit - 1].len;
  v->nover = 0;
  return 1;
}

/* Writes an edit (its input bytes are skipped by the caller). */
static int emit(tf_doc_out *o, const tf_doc_out_edit *e) {
  tf_doc *d = o->d;
  const tf_doc_node *nd = &d->nodes[e->node];
  size_t line_len = 0;
  const char *line;
  if (e->kind == OUT_REMOVE) return 0;
  line = e->key ? tf_doc_line_indent(d->text, nd->start, e->key, &line_len) : NULL;
  if (e->kind == OUT_REPLACE) {
    /* the field as the edits leave it, over the original value at e */
    tf_doc_value v;
    int st = edit_value(d, e->node, e->field, e->edit, &v);
    if (st < 0) return -1;
    if (st == 0) {
      v.kind = TF_DOC_ORIGINAL;
      v.text = d->text;
      v.off = e->start;
      v.end = e->end;
    } else if (v.kind == TF_DOC_EDITED && same_value(o, e, &v)) {
      /* written with the value it had: its bytes stay, under the member
       * edits made since (if any) */
      if (v.nover == 0) return put_buf(o, d->text + e->start, (size_t)(e->end - e->start));
      v.kind = TF_DOC_ORIGINAL;
      v.text = d->text;
      v.off = e->start;
      v.end = e->end;
      st = 0;
    }
    if (st == 0) return spliced(o, e, &v, line ? line : "", line_len);
    return tf_doc_put_value(d, &o->work, &o->sink, &v, line ? line : "", line_len);
  }
  /* OUT_INSERT: the fields node e->node gains, after its last member */
  {
    uint32_t f;
    tf_doc_sink s = o->sink;
    if (line == NULL) s.pretty = 0; /* members on one line: new ones too */
    for (f = 0; f < e->count; f++) {
      uint32_t fid = o->ins[2 * (e->field + f)];
      size_t qlen;
      const char *q;
      tf_doc_value v;
      if (edit_value(d, e->node, fid, o->ins[2 * (e->field + f) + 1], &v) < 0) return -1;
      if ((e->comma || f > 0) && put_buf(o, ",", 1) != 0) return -1;
      if (s.pretty && (put_buf(o, "\n", 1) != 0 || put_buf(o, line, line_len) != 0)) return -1;
      q = tf_doc_quoted_name(d, &o->work, fid, &qlen);
      if (q == NULL || put_buf(o, q, qlen) != 0) return -1;
      if (put_buf(o, s.colon_space && s.pretty ? ": " : ":", s.colon_space && s.pretty ? 2 : 1) != 0) return -1;
      if (tf_doc_put_value(d, &o->work, &s, &v, line ? line : "", line_len) != 0) return -1;
    }
  }
  return 0;
}

/* Hands the buffer to write once it holds enough (or everything: all). */
static int flush(tf_doc_out *o, int all) {
  if (o->buf.len == 0 || (!all && o->buf.len < OUT_FLUSH)) return 0;
  if (o->write(o->ud, o->buf.data, o->buf.len) != 0) {
    o->state = TF_DOC_ERROR;
    return -1;
  }
  o->written += o->buf.len;
  o->buf.len = 0;
  return 0;
}

/* Copies input bytes up to `to`, at most `budget` of them; 1 when it got there. */
static int copy_to(tf_doc_out *o, uint64_t to, size_t *budget) {
  while (o->cursor < to) {
    size_t n = (size_t)(to - o->cursor);
    if (n > OUT_FLUSH) n = OUT_FLUSH;
    if (o->buf.len == 0 && n >= OUT_FLUSH) {
      /* a long unchanged stretch goes straight from the input */
      if (o->write(o->ud, o->d->text + o->cursor, n) != 0) {
        o->state = TF_DOC_ERROR;
        return 0;
      }
      o->written += n;
    } else {
      if (put_buf(o, o->d->text + o->cursor, n) != 0) return 0;
      if (flush(o, 0) != 0) return 0;
    }
    o->cursor += n;
    if (*budget <= n) {
      *budget = 0;
      return o->cursor >= to;
    }
    *budget -= n;
  }
  return 1;
}

int tf_doc_out_step(tf_doc_out *o, size_t budget) {
  tf_doc *d = o->d;
  if (o->state != TF_DOC_MORE) return o->state;
  if (budget == 0) budget = 1;
  o->waiting = 0;
  while (budget > 0) {
    uint64_t limit;
    uint32_t i = o->next, stop = o->upto < d->count ? o->upto : d->count;
    while (i < stop && !tf_doc_patched(d, i)) i++;
    o->next = i;
    limit = i < d->count ? d->nodes[i].start : d->len;
    /* the edits before the next patched node (or the end) */
    while (o->nheap > 0 && o->heap[0].start <= limit) {
      tf_doc_out_edit e = o->heap[0];
      if (!copy_to(o, e.start, &budget)) return o->state == TF_DOC_MORE && budget == 0 ? TF_DOC_MORE : o->state;
      pop(o);
      if (emit(o, &e) != 0) {
        if (o->state == TF_DOC_MORE) o->state = TF_DOC_NOMEM;
        return o->state;
      }
      o->cursor = e.end;
      if (o->nheap == 0) o->nins = 0; /* no insertion waits: their fields are done */
      if (flush(o, 0) != 0) return o->state;
      if (budget == 0) return TF_DOC_MORE;
    }
    if (i < stop) {
      if (node_edits(o, i) != 0) {
        if (o->state == TF_DOC_MORE) o->state = TF_DOC_NOMEM;
        return o->state;
      }
      o->next = i + 1;
      continue;
    }
    if (stop < d->count) { /* nodes from stop on may still be patched: up to the first of them */
      if (!copy_to(o, d->nodes[stop].start, &budget)) return o->state == TF_DOC_MORE ? TF_DOC_MORE : o->state;
      if (flush(o, 0) != 0) return o->state;
      o->waiting = 1;
      return TF_DOC_MORE;
    }
    if (!copy_to(o, d->len, &budget)) return o->state == TF_DOC_MORE ? TF_DOC_MORE : o->state;
    if (flush(o, 1) != 0) return o->state;
    o->state = TF_DOC_OK;
    return TF_DOC_OK;
  }
  return TF_DOC_MORE;
}

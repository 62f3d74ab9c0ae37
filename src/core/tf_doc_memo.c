#include "tf_doc_memo.h"

#include <string.h>

#include "tf_doc_patch.h"
#include "tf_hash.h"

#define HAS_SPEC 1u
#define HAS_RESULT 2u

/* Answers up to this long are kept in their edge (most are a type tag and
 * a short value): a lookup then touches one cache line. */
#define INLINE_ANSWER 20

/* A node's first child is kept in the node: most of a trie is chains (one
 * run per plan and node shape), walked in the order they were made, so a
 * lookup mostly reads nodes one after another instead of probing the
 * edge table. */
typedef struct memo_node {
  tf_doc_access spec; /* the read this node makes next (HAS_SPEC) */
  uint32_t flags;
  tf_doc_result res; /* HAS_RESULT: a leaf */
  uint32_t first;    /* the first child (0: none), reached on answer first_answer */
  uint32_t first_len;
  union {
    uint32_t off;
    unsigned char bytes[INLINE_ANSWER];
  } first_answer;
} memo_node;

/* An edge: from node `from` (0: the roots) on an answer (its hash and
 * bytes, in the edge or in the arena) to node `to`. */
typedef struct memo_edge {
  uint64_t hash;
  uint32_t from, to;
  uint32_t len;
  union {
    uint32_t off;
    unsigned char bytes[INLINE_ANSWER];
  } answer;
} memo_edge;

struct tf_doc_memo {
  memo_node *nodes; /* node 0 unused */
  uint32_t nnodes, nodes_cap;
  memo_edge *edges; /* open addressing, linear probing; to == 0: empty */
  uint32_t nedges, edges_cap; /* cap a power of two */
  tf_buf arena;     /* answers, root keys and skip reasons */
  tf_buf obs;       /* scratch for lookups */
};

void tf_doc_memo_free(tf_doc *d) {
  tf_doc_memo *m = d->memo;
  if (m == NULL) return;
  tf_mem_free(&d->mem, m->nodes, (size_t)m->nodes_cap * sizeof *m->nodes);
  tf_mem_free(&d->mem, m->edges, (size_t)m->edges_cap * sizeof *m->edges);
  tf_buf_free(&m->arena);
  tf_buf_free(&m->obs);
  tf_mem_free(&d->mem, m, sizeof *m);
  d->memo = NULL;
}

size_t tf_doc_memo_bytes(const tf_doc *d) {
  const tf_doc_memo *m = d->memo;
  if (m == NULL) return 0;
  return m->arena.cap + m->obs.cap; /* (the rest is allocated through d->mem, which counts it) */
}

static tf_doc_memo *memo_of(tf_doc *d) {
  if (d->memo == NULL) {
    tf_doc_memo *m = (tf_doc_memo *)tf_mem_alloc(&d->mem, sizeof *m);
    if (m == NULL) return NULL;
    memset(m, 0, sizeof *m);
    tf_buf_init(&m->arena, d->mem);
    tf_buf_init(&m->obs, d->mem);
    d->memo = m;
  }
  return d->memo;
}

/* ---- what a read sees ---- */

int tf_doc_observe(tf_doc *d, uint32_t i, const tf_doc_access *r, tf_buf *b) {
  tf_doc_value v, mv;
  const tf_doc_value *at = &v;
  size_t flen;
  const char *fname = tf_intern_name(d->names, r->field, &flen);
  int type;
  if (fname == NULL) return -1;
  if (r->who == 1) {
    uint32_t p = d->nodes[i].parent;
    if (p == 0) return tf_buf_byte(b, 'x'); /* a root has no parent: nothing to read */
    i = p - 1;
  }
  if (tf_doc_field_id(d, i, r->field, fname, flen, &v) != 0) return -1;
  if (r->member != 0) {
    if (r->member & TF_DOC_INDEX) {
      if (tf_doc_member(d, &v, NULL, 0, r->member & ~TF_DOC_INDEX, &mv) != 0) return -1;
    } else {
      size_t mlen;
      const char *mname = tf_intern_name(d->names, r->member, &mlen);
      if (mname == NULL || tf_doc_member(d, &v, mname, mlen, 0, &mv) != 0) return -1;
    }
    at = &mv;
  }
  type = tf_doc_value_type(at);
  switch (r->mode) {
    case TF_DOC_SEE_PRESENCE:
      return tf_buf_byte(b, type ? 'p' : 'x');
    case TF_DOC_SEE_WHOLE:
      if (tf_buf_byte(b, type ? (unsigned char)type : 'x') != 0) return -1;
      return type ? tf_doc_value_json(d, at, b) : 0;
    default:
      if (tf_buf_byte(b, type ? (unsigned char)type : 'x') != 0) return -1;
      if (type == 0 || type == 'o' || type == 'a') return 0;
      return tf_buf_put(b, at->text + at->off, (size_t)(at->end - at->off));
  }
}

/* ---- the trie ---- */

static int same_read(const tf_doc_access *a, const tf_doc_access *b) {
  return a->who == b->who && a->mode == b->mode && a->field == b->field && a->member == b->member;
}

static uint64_t edge_hash(uint32_t from, const void *p, size_t n) { return tf_hash_bytes(p, n, (uint64_t)from * 0x9e3779b97f4a7c15ULL + 1); }

/* The edge from `from` on answer p[0, n), or its empty slot. */
static memo_edge *find_edge(tf_doc_memo *m, uint32_t from, const void *p, size_t n, uint64_t h) {
  uint32_t mask = m->edges_cap - 1, k = (uint32_t)h & mask;
  for (;;) {
    memo_edge *e = &m->edges[k];
    if (e->to == 0) return e;
    if (e->hash == h && e->from == from && e->len == n &&
        memcmp(n <= INLINE_ANSWER ? e->answer.bytes : m->arena.data + e->answer.off, p, n) == 0)
      return e;
    k = (k + 1) & mask;
  }
}

static int grow_edges(tf_doc *d, tf_doc_memo *m) {
  uint32_t cap = m->edges_cap ? m->edges_cap * 2 : 256, k;
  memo_edge *old = m->edges, *e;
  uint32_t old_cap = m->edges_cap;
  if (cap == 0 || cap > UINT32_MAX / 2) return -1;
  e = (memo_edge *)tf_mem_alloc(&d->mem, tf_mem_mul(cap, sizeof *e));
  if (e == NULL) return -1;
  memset(e, 0, (size_t)cap * sizeof *e);
  m->edges = e;
  m->edges_cap = cap;
  for (k = 0; k < old_cap; k++) {
    if (old[k].to != 0) {
      uint32_t mask = cap - 1, j = (uint32_t)old[k].hash & mask;
      while (e[j].to != 0) j = (j + 1) & mask;
      e[j] = old[k];
    }
  }
  tf_mem_free(&d->mem, old, (size_t)old_cap * sizeof *old);
  return 0;
}

static uint32_t new_node(tf_doc *d, tf_doc_memo *m) {
  if (m->nnodes + 1 >= m->nodes_cap) {
    uint32_t cap = m->nodes_cap ? m->nodes_cap * 2 : 256;
    memo_node *q;
    if (m->nodes_cap > UINT32_MAX / 4) return 0;
    q = (memo_node *)tf_mem_realloc(&d->mem, m->nodes, (size_t)m->nodes_cap * sizeof *q, (size_t)cap * sizeof *q);
    if (q == NULL) return 0;
    m->nodes = q;
    m->nodes_cap = cap;
    if (m->nnodes == 0) m->nnodes = 1; /* node 0 is never used */
  }
  memset(&m->nodes[m->nnodes], 0, sizeof m->nodes[0]);
  return m->nnodes++;
}

static const unsigned char *answer_bytes(const tf_doc_memo *m, const unsigned char *inl, uint32_t off, size_t n) {
  return n <= INLINE_ANSWER ? inl : m->arena.data + off;
}

/* Keeps answer p[0, n) in an edge's or a node's answer field. */
static int keep_answer(tf_doc_memo *m, unsigned char *inl, uint32_t *off, const void *p, size_t n) {
  if (n <= INLINE_ANSWER) {
    memcpy(inl, p, n);
    return 0;
  }
  if (m->arena.len + n >= UINT32_MAX) return -1;
  *off = (uint32_t)m->arena.len;
  return tf_buf_put(&m->arena, p, n);
}

/* The node reached from `from` on answer p[0, n): made when new (create),
 * else 0 when there is none. UINT32_MAX when out of memory. */
static uint32_t step(tf_doc *d, tf_doc_memo *m, uint32_t from, const void *p, size_t n, int create) {
  uint64_t h;
  memo_edge *e;
  uint32_t to;
  if (from != 0) {
    memo_node *f = &m->nodes[from];
    if (f->first != 0 && f->first_len == n &&
        memcmp(answer_bytes(m, f->first_answer.bytes, f->first_answer.off, n), p, n) == 0)
      return f->first;
    if (f->first == 0) { /* no child yet: the first is kept in the node */
      if (!create) return 0;
      to = new_node(d, m);
      if (to == 0) return UINT32_MAX;
      f = &m->nodes[from]; /* new_node may have moved the nodes */
      if (keep_answer(m, f->first_answer.bytes, &f->first_answer.off, p, n) != 0) {
        m->nnodes--;
        return UINT32_MAX;
      }
      f->first = to;
      f->first_len = (uint32_t)n;
      return to;
    }
  }
  h = edge_hash(from, p, n);
  if (m->edges_cap == 0) {
    if (!create) return 0;
    if (grow_edges(d, m) != 0) return UINT32_MAX;
  }
  e = find_edge(m, from, p, n, h);
  if (e->to != 0 || !create) return e->to;
  if ((m->nedges + 1) * 4 > m->edges_cap * 3) {
    if (grow_edges(d, m) != 0) return UINT32_MAX;
    e = find_edge(m, from, p, n, h);
  }
  to = new_node(d, m);
  if (to == 0) return UINT32_MAX;
  if (keep_answer(m, e->answer.bytes, &e->answer.off, p, n) != 0) {
    m->nnodes--;
    return UINT32_MAX;
  }
  e->hash = h;
  e->from = from;
  e->to = to;
  e->len = (uint32_t)n;
  m->nedges++;
  return to;
}

uint32_t tf_doc_memo_root(tf_doc *d, uint64_t writer, uint64_t plan, int inside) {
  tf_doc_memo *m = memo_of(d);
  unsigned char key[17];
  uint32_t r;
  if (m == NULL) return 0;
  memcpy(key, &writer, 8);
  memcpy(key + 8, &plan, 8);
  key[16] = (unsigned char)(inside != 0);
  r = step(d, m, 0, key, sizeof key, 1);
  return r == UINT32_MAX ? 0 : r;
}

int tf_doc_memo_lookup(tf_doc *d, uint32_t root, uint32_t i, tf_doc_result *res) {
  tf_doc_memo *m = d->memo;
  uint32_t cur = root;
  if (m == NULL || root == 0) return 0;
  for (;;) {
    memo_node *nd = &m->nodes[cur];
    if (nd->flags & HAS_RESULT) {
      *res = nd->res;
      return 1;
    }
    if (!(nd->flags & HAS_SPEC)) return 0;
    m->obs.len = 0;
    if (tf_doc_observe(d, i, &nd->spec, &m->obs) != 0) return -1;
    cur = step(d, m, cur, m->obs.data, m->obs.len, 0);
    if (cur == 0) return 0;
  }
}

int tf_doc_memo_insert(tf_doc *d, uint32_t root, const tf_doc_access *reads, size_t n, const unsigned char *obs,
                       const size_t *at, const tf_doc_result *res, const char *reason, size_t reason_len) {
  tf_doc_memo *m = d->memo;
  uint32_t cur = root;
  size_t k;
  if (m == NULL || root == 0) return 0;
  for (k = 0; k < n; k++) {
    memo_node *nd = &m->nodes[cur];
    uint32_t next;
    if (nd->flags & HAS_RESULT) return 0; /* the trie ends here: the run disagrees */
    if (nd->flags & HAS_SPEC) {
      if (!same_read(&nd->spec, &reads[k])) return 0;
    } else {
      nd->spec = reads[k];
      nd->flags |= HAS_SPEC;
    }
    next = step(d, m, cur, obs + at[k], at[k + 1] - at[k], 1);
    if (next == UINT32_MAX) return -1;
    cur = next;
  }
  if (m->nodes[cur].flags & (HAS_SPEC | HAS_RESULT)) return 0;
  m->nodes[cur].res = *res;
  m->nodes[cur].res.reason = 0;
  m->nodes[cur].res.reason_len = 0;
  if (reason != NULL) {
    if (m->arena.len + reason_len >= UINT32_MAX) return -1;
    m->nodes[cur].res.reason = (uint32_t)m->arena.len + 1;
    m->nodes[cur].res.reason_len = (uint32_t)reason_len;
    if (tf_buf_put(&m->arena, reason, reason_len) != 0) {
      m->nodes[cur].res.reason = 0;
      return -1;
    }
  }
  m->nodes[cur].flags |= HAS_RESULT;
  return 0;
}

const char *tf_doc_memo_reason(const tf_doc *d, const tf_doc_result *res) {
  if (d->memo == NULL || res->reason == 0) return NULL;
  return (const char *)d->memo->arena.data + res->reason - 1;
}

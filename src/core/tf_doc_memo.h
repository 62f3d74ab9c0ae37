/* What a writer did to a node, remembered for the next node that looks the
 * same to it.
 *
 * The Figma writer is a deterministic function of the plan it writes and
 * of what it reads from the node: the node's type, its layout mode, the
 * kind of a field, a member of an object... Each read is recorded with
 * what it saw, and the edits the writer made become an edit set. For the
 * next node written with the same plan, the same reads are made on it in
 * the same order (a trie: each read's answer selects the next read): when
 * every answer is the same, the writer would make the same reads and the
 * same edits, so the set is linked to the node without running it. */
#ifndef TF_DOC_MEMO_H
#define TF_DOC_MEMO_H

#include "tf_doc.h"

/* How a read looked at a value. */
enum {
  TF_DOC_SEE_GET = 1,  /* as a Lua access: absent, a scalar (its text), or "an object" / "an array" */
  TF_DOC_SEE_WHOLE,    /* its whole JSON text (iterated, copied or written out) */
  TF_DOC_SEE_PRESENCE  /* present or not */
};

/* Array elements are members numbered from 0 with this bit set. */
#define TF_DOC_INDEX 0x80000000u

typedef struct tf_doc_access {
  uint8_t who;     /* 0: the node; 1: its parent */
  uint8_t mode;    /* TF_DOC_SEE_* */
  uint32_t field;  /* name id (tf_doc_name) */
  uint32_t member; /* 0: the field itself; a name id; or an index | TF_DOC_INDEX */
} tf_doc_access;

/* What the writer returned, and the set it wrote (0: none). */
typedef struct tf_doc_result {
  uint32_t set;
  int32_t applied;     /* operations applied */
  uint32_t reason;     /* with applied == 0: offset + 1 of why it skipped the node (0: none) */
  uint32_t reason_len;
} tf_doc_result;

/* Appends what read r sees on node i now: one tag byte ('x' absent, or
 * the type of tf_doc_value_type) and, for a scalar or a whole read, the
 * value's text. 0, or -1 when out of memory. */
int tf_doc_observe(tf_doc *d, uint32_t i, const tf_doc_access *r, tf_buf *b);

/* The trie of writer (any 64-bit identity of it and its settings), plan
 * and inside-instance flag: its root, made when new; 0 when out of memory. */
uint32_t tf_doc_memo_root(tf_doc *d, uint64_t writer, uint64_t plan, int inside);
/* Makes root's reads on node i: 1 and *res when they lead to a result,
 * 0 when not, -1 when out of memory. */
int tf_doc_memo_lookup(tf_doc *d, uint32_t root, uint32_t i, tf_doc_result *res);
/* Remembers a run of the writer: n reads, the answer of read k being
 * obs[at[k], at[k + 1]) (at has n + 1 entries), and its result. A run
 * that disagrees with what the trie holds (a writer that was not
 * deterministic) is not kept. reason: the skip reason's bytes (or NULL).
 * 0, or -1 when out of memory. */
int tf_doc_memo_insert(tf_doc *d, uint32_t root, const tf_doc_access *reads, size_t n, const unsigned char *obs,
                       const size_t *at, const tf_doc_result *res, const char *reason, size_t reason_len);
/* The skip reason of a result (valid until the next insert), or NULL. */
const char *tf_doc_memo_reason(const tf_doc *d, const tf_doc_result *res);
void tf_doc_memo_free(tf_doc *d);
/* Bytes of the memo's buffers (what d->mem does not count). */
size_t tf_doc_memo_bytes(const tf_doc *d);

#endif

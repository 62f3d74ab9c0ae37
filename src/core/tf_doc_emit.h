/* Writing a document out: the input's bytes, streamed in steps of a byte
 * budget, with the patched fields of patched nodes replaced, removed or
 * added (see tf_doc.h). Nothing is built in memory beyond a buffer and
 * the pending edits of the nodes enclosing the current one. */
#ifndef TF_DOC_EMIT_H
#define TF_DOC_EMIT_H

#include "tf_doc.h"
#include "tf_doc_patch.h"

typedef struct tf_doc_out_edit tf_doc_out_edit;

/* Slots of the memo of equal values (a power of two). */
#define TF_DOC_SAME_MEMO 16384
/* Bytes of original values the memo of equal values keeps a copy of. */
#define TF_DOC_SAME_BYTES (2u << 20)
/* The memo of objects written with member edits: slots (a power of two),
 * most edits over one object, bytes of text kept. */
#define TF_DOC_SPLICE_MEMO 4096
#define TF_DOC_SPLICE_OVER 16
#define TF_DOC_SPLICE_BYTES (8u << 20)

typedef struct tf_doc_out {
  tf_doc *d;
  tf_mem *mem;      /* where the writer's own memory grows */
  tf_doc_work work; /* its scratch space */
  int (*write)(void *ud, const void *p, size_t n); /* 0, or -1 to stop (the step fails) */
  void *ud;
  uint64_t cursor;  /* the input is written up to here */
  uint32_t next;    /* the next node to look at */
  uint32_t upto;    /* nodes from this one on may still be patched (UINT32_MAX: none; see below) */
  int waiting;      /* the last step stopped at upto */
  tf_doc_out_edit *heap; /* edits ahead, by offset */
  size_t nheap, heap_cap;
  uint32_t *fields; /* scratch: the fields one node's edits touch */
  char *fates;      /* and what becomes of each */
  uint32_t *fedits; /* and 1 + the edit that sets all of it (0: see the chain) */
  size_t nfields, fields_cap;
  uint32_t *ins;    /* fields added by the insertions ahead: (name id, 1 + its edit or 0) */
  size_t nins, ins_cap;
  tf_buf buf;       /* output not yet written */
  tf_buf flags;     /* scratch: per member of a node, removed or not */
  uint64_t written; /* bytes handed to write so far */
  int state;        /* TF_DOC_MORE until done, then TF_DOC_OK; TF_DOC_ERROR (write failed), TF_DOC_NOMEM */
  tf_doc_sink sink;
  struct splice_memo { /* original bytes (a copy in gen) with member edits -> the text written (in gen) */
    uint64_t hash;
    size_t orig, len, nover, text, text_len, line;
    uint32_t over[TF_DOC_SPLICE_OVER];
  } *splices;       /* TF_DOC_SPLICE_MEMO slots; NULL: not kept (no memory for it) */
  tf_buf gen, gen_lines; /* the splice memo's texts and indentations */
  size_t gen_limit;      /* the memo takes no more texts beyond this (default TF_DOC_SPLICE_BYTES) */
  struct same_memo { /* an edit's text (by address) against original bytes (a copy in kept): equal or not */
    const char *text; /* NULL: an empty slot */
    size_t copy, len;
    int same;
  } *same;          /* TF_DOC_SAME_MEMO slots, or NULL */
  tf_buf kept;      /* the same memo's copies of original bytes */
} tf_doc_out;

/* Starts writing d to write(ud, ...). */
void tf_doc_out_init(tf_doc_out *o, tf_doc *d, int (*write)(void *ud, const void *p, size_t n), void *ud);
/* The same with the writer's memory from mem (which must outlive it): a
 * writer with its own memory and scratch space only reads d, so it can
 * run in another thread while d's patches do not change. */
void tf_doc_out_init_in(tf_doc_out *o, tf_doc *d, tf_mem *mem, int (*write)(void *ud, const void *p, size_t n),
                        void *ud);
/* Writes about budget more bytes: TF_DOC_MORE, TF_DOC_OK (all written and
 * flushed), TF_DOC_ERROR (write refused) or TF_DOC_NOMEM. */
int tf_doc_out_step(tf_doc_out *o, size_t budget);
/* Writing can follow an update that patches the nodes in document order:
 * with o->upto set to the first node the update has not done, a step
 * writes no further than that node's first byte (TF_DOC_MORE, o->waiting
 * set) until upto moves on. The writer reads committed sets only, and a
 * writer with its own memory (tf_doc_out_init_in) reads the document
 * without changing it, so it can run in another thread while the update
 * patches later nodes, the patches' arrays held still while they grow
 * (d->grow_lock). */
void tf_doc_out_free(tf_doc_out *o);

#endif

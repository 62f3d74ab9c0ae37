/* The document engine: a Figma REST API file (the JSON of GET
 * /v1/files/:key, or of GET /v1/files/:key/nodes) read into a compact
 * index of its nodes, never into a tree of values, and written back as the
 * input's own bytes with only the patched fields replaced.
 *
 * Reading (tf_doc_read.c) checks the whole text as strict JSON (RFC 8259:
 * UTF-8 strings, no NaN or Infinity, nesting up to TF_DOC_MAX_DEPTH) in
 * steps of a byte budget, so a host can show progress or yield between
 * them, and records for every node (an object under `document`, reached
 * through `children` arrays) where it starts and ends, where its children
 * and its token map (`sharedPluginData.tokens`) are, and its parent. Nodes
 * are numbered in document order (depth first), from 0.
 *
 * Patches (tf_doc_patch.c) are JSON texts set on a node's fields, or on the
 * members of an object field (`style.fontSize`), or removals of either.
 * They are kept as edit sets, shared between the nodes written from one
 * plan, and each node holds the chain of sets written to it (newest
 * first), so a rerun that writes again only adds to the chain. Reading a
 * field sees the original bytes through the chain.
 *
 * Writing (tf_doc_emit.c) streams the input to a sink, replacing only the
 * patched values: unchanged nodes keep their exact bytes, new text follows
 * the file's layout (compact, or pretty with its indentation).
 *
 * Every allocation goes through the document's tf_mem. A document is used
 * by one thread at a time. */
#ifndef TF_DOC_H
#define TF_DOC_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tf_buf.h"
#include "tf_intern.h"
#include "tf_mem.h"

/* Deepest nesting of arrays and objects accepted (a Figma file of tens of
 * levels of nodes uses a few hundred). */
#define TF_DOC_MAX_DEPTH 1000

enum tf_doc_status { TF_DOC_OK = 0, TF_DOC_MORE, TF_DOC_ERROR, TF_DOC_NOMEM };

/* A node's id starts with "I": Figma's ids of layers inside instances. */
#define TF_DOC_INSIDE_INSTANCE 1u

/* Byte offsets in a node are 32 bits: files are read up to TF_DOC_MAX_LEN. */
typedef struct tf_doc_node {
  uint32_t start, end;     /* its object: '{' and just after '}' */
  uint32_t kids, kids_end; /* its `children` array ('[' and after ']'); 0, 0: none */
  uint32_t spd, spd_end;   /* its `sharedPluginData` value; 0, 0: none */
  uint32_t tokens;         /* the value of sharedPluginData.tokens; 0: none */
  uint32_t parent;         /* parent's number + 1; 0 for a root */
  uint32_t flags;
} tf_doc_node;

/* The largest file read (4 GiB - 1 byte: some 6 million nodes). */
#define TF_DOC_MAX_LEN 0xffffffffu

/* A key that a node (or the top level) holds twice: the last one counts,
 * as in JSON.parse. */
typedef struct tf_doc_dup {
  uint32_t node;    /* the node's number; UINT32_MAX: the top level or a `nodes` map */
  uint64_t key;     /* offset of the later key's opening quote */
  uint32_t key_len; /* with its quotes */
} tf_doc_dup;

/* One member of an object: byte offsets in the text. */
typedef struct tf_doc_span {
  uint64_t key, key_end; /* the key with its quotes */
  uint64_t val, val_end; /* the value */
} tf_doc_span;

typedef struct tf_doc_frame tf_doc_frame;
typedef struct tf_doc_keylog tf_doc_keylog;
typedef struct tf_doc_edit tf_doc_edit;
typedef struct tf_doc_memo tf_doc_memo;

#define TF_DOC_EQ_LEVELS 8

/* The scratch space of one user of a document: what it scans and compares
 * goes here, so a writer with its own can run beside the document's other
 * users (the patches, the index and the text are only read). */
typedef struct tf_doc_work {
  tf_mem *mem; /* where these grow */
  /* the members of one node, scanned once for several reads */
  uint32_t scanned; /* node number + 1 whose members are in `spans` */
  tf_doc_span *spans;
  size_t nspans, spans_cap;
  tf_doc_span *spans3; /* members of an object being written out with member edits */
  size_t spans3_cap;
  /* members of the objects compared for equality, two per level of the
   * first TF_DOC_EQ_LEVELS levels (deeper ones get their own) */
  tf_doc_span *eq_spans[2 * TF_DOC_EQ_LEVELS];
  size_t eq_caps[2 * TF_DOC_EQ_LEVELS];
  tf_buf scratch;
  /* names of edits as JSON strings, by name id: (offset + 1, length) in qtext */
  uint32_t *qname;
  size_t qname_cap;
  tf_buf qtext;
} tf_doc_work;

typedef struct tf_doc {
  tf_mem mem;
  const char *text; /* not owned */
  size_t len;
  /* the index */
  tf_doc_node *nodes;
  uint32_t count, cap;
  uint32_t roots;   /* `document` subtrees (one in a file, one per entry of a nodes response) */
  /* reading */
  int state;        /* TF_DOC_MORE while reading, then TF_DOC_OK or TF_DOC_ERROR */
  size_t pos;
  tf_doc_frame *frames;
  uint32_t depth, frames_cap;
  int pending;      /* role of the next value */
  int expect;       /* what the reader expects next */
  int seen_top;     /* a top-level value was read */
  int escaped;      /* the string just scanned holds escapes */
  tf_doc_keylog *keys;
  size_t nkeys, keys_cap;
  tf_doc_dup *dups; /* the first TF_DOC_MAX_DUPS duplicates */
  size_t ndups, dups_cap, dup_count;
  uint64_t error_at;
  char error[160];
  /* layout, found while reading */
  int pretty;       /* newlines between members */
  char indent[16];  /* one level of indentation in a pretty file */
  size_t indent_len;
  int colon_space;  /* `"key": value` rather than `"key":value` */
  /* patches (tf_doc_patch.c) */
  tf_intern *names; /* field and member names of edits */
  tf_buf texts;     /* JSON texts of the edits */
  tf_doc_edit *edits;
  uint32_t nedits, edits_cap;
  uint32_t *sets;   /* set i: its edits from sets[2i] for sets[2i+1] */
  uint32_t nsets, sets_cap;
  uint32_t *links;  /* link i: set links[2i], next link links[2i+1] */
  uint32_t nlinks, links_cap;
  uint32_t *heads;  /* per node: its newest link, 0 for none; NULL until a patch */
  uint32_t patched; /* nodes with at least one set */
  uint32_t open_set, open_node; /* the set being built (0: none) and its node */
  size_t open_text; /* d->texts.len when it began */
  /* Called with on = 1 before the patches' arrays move (grow) and with 0
   * after, so a writer reading them in another thread can hold them still
   * meanwhile (NULL: nobody reads them elsewhere). */
  void (*grow_lock)(void *ud, int on);
  void *grow_ud;
  tf_doc_span *spans2; /* members of a value inside a node */
  size_t spans2_cap, nspans2;
  uint64_t spans2_of;  /* offset + 1 in the file's text of the object they are of (0: another text) */
  tf_doc_work work;    /* scratch of reads and of writers without their own */
  tf_doc_memo *memo;
} tf_doc;

#define TF_DOC_MAX_DUPS 1000

/* ---- reading (tf_doc_read.c) ---- */

/* Starts reading text (len bytes, which must outlive the document) into d. */
void tf_doc_init(tf_doc *d, tf_mem mem, const char *text, size_t len);
/* Reads about budget more bytes: TF_DOC_MORE (call again), TF_DOC_OK (the
 * whole text is read and indexed), TF_DOC_ERROR (d->error and d->error_at
 * say what and where) or TF_DOC_NOMEM. */
int tf_doc_read(tf_doc *d, size_t budget);
/* Frees everything the document holds (not the text). Idempotent. */
void tf_doc_free(tf_doc *d);
/* 1-based line and column (in characters) of a byte offset. */
void tf_doc_position(const tf_doc *d, uint64_t offset, size_t *line, size_t *column);
/* Bytes held by the index, the patches and the scratch space. */
size_t tf_doc_bytes(const tf_doc *d);

/* ---- scanning the text ---- */

/* The offset just after the JSON value that starts at off (the text is
 * checked already: no error paths). */
uint64_t tf_doc_skip(const char *text, uint64_t off);
/* The members of the object at obj ('{') of text, in order, into *out
 * (grown through mem); the value starting at skip (0: none) ends at
 * skip_end without being scanned. end: an offset the object ends by (for
 * scanning in blocks; 0 when unknown). Returns the count, or -1 when out
 * of memory. *obj_end (optional) gets the offset after '}'. */
long tf_doc_members(tf_mem *mem, const char *text, uint64_t end, uint64_t obj, uint64_t skip, uint64_t skip_end,
                    tf_doc_span **out, size_t *cap, uint64_t *obj_end);
/* The members of node i (cached until another node is scanned), or -1 when
 * out of memory. */
long tf_doc_node_members(tf_doc *d, uint32_t i, const tf_doc_span **spans);
/* The same in the scratch space w. */
long tf_doc_node_members_in(tf_doc *d, tf_doc_work *w, uint32_t i, const tf_doc_span **spans);
/* Starts a scratch space growing through mem (which must outlive it). */
void tf_doc_work_init(tf_doc_work *w, tf_mem *mem);
void tf_doc_work_free(tf_doc_work *w);
/* 1 when the key at span (with its quotes) names `name`, escapes decoded. */
int tf_doc_key_is(const char *text, const tf_doc_span *s, const char *name, size_t len);
/* 1 when the key at s names `name` (a quick look at its length first). */
static inline int tf_doc_key_eq(const char *text, const tf_doc_span *s, const char *name, size_t len) {
  size_t klen = (size_t)(s->key_end - s->key - 2);
  const char *k = text + s->key + 1;
  if (klen == len) return memcmp(k, name, len) == 0;
  /* a longer key spells name only through an escape: its first character
   * is name's, or an escape */
  return klen > len && (k[0] == '\\' || (len > 0 && k[0] == name[0])) && tf_doc_key_is(text, s, name, len);
}

/* The last member of spans named `name`, or NULL. */
const tf_doc_span *tf_doc_find(const char *text, const tf_doc_span *spans, size_t n, const char *name, size_t len);
/* Appends the bytes of the JSON string at off (its quotes included in the
 * text) to b, escapes decoded. 0, or -1 when out of memory. */
int tf_doc_unescape(tf_buf *b, const char *text, uint64_t off, uint64_t end);

#endif

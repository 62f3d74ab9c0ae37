/* Patches on a document (see tf_doc.h): edit sets, the chain of sets each
 * node holds, and reading a node's fields as they are now (the original
 * bytes seen through the chain).
 *
 * An edit sets a field to a JSON text, or one member of an object field,
 * or removes either. A set is built for one node (tf_doc_begin, edits,
 * tf_doc_commit or tf_doc_rollback) and can then be linked to other nodes
 * as it is (tf_doc_link): the update job writes one set per distinct
 * (plan, node shape) and links it to every node that shape fits. */
#ifndef TF_DOC_PATCH_H
#define TF_DOC_PATCH_H

#include "tf_doc.h"

#define TF_DOC_REMOVED UINT32_MAX

struct tf_doc_edit {
  uint32_t field;  /* name id (d->names) */
  uint32_t member; /* 0: the whole field; else the member's name id */
  uint32_t text;   /* offset of the JSON text in d->texts */
  uint32_t len;    /* its length; TF_DOC_REMOVED: the field or member is removed */
};

/* A field's or member's value as it is now. */
enum { TF_DOC_ABSENT = 0, TF_DOC_ORIGINAL, TF_DOC_EDITED };
/* Most members of one object field edited one by one on a node. */
#define TF_DOC_MAX_OVER 64
typedef struct tf_doc_value {
  int kind;
  const char *text;  /* ORIGINAL: the document's text; EDITED: the edit's text (until the next edit) */
  uint64_t off, end; /* the value within text */
  /* member edits over an object field: indices in d->edits, newest first, one per member */
  uint32_t over[TF_DOC_MAX_OVER];
  size_t nover;
} tf_doc_value;

void tf_doc_patch_free(tf_doc *d);

/* The id of a name for edits (added when new): 0 when out of memory. */
uint32_t tf_doc_name(tf_doc *d, const char *s, size_t len);
/* The id of a name already used by an edit, else 0. */
uint32_t tf_doc_name_find(const tf_doc *d, const char *s, size_t len);

/* Starts a new set on node i (it is at once the node's newest): its id,
 * or 0 when out of memory. Only one set is open at a time. */
uint32_t tf_doc_begin(tf_doc *d, uint32_t i);
/* Adds an edit to the open set: text (len bytes of JSON) for field (member
 * 0) or one member of it; text NULL removes it. A later edit of the same
 * field or member in the set replaces the earlier one; a member edit over
 * a whole-field edit in the set is merged into its text. 0, or -1 when out
 * of memory. */
int tf_doc_edit_add(tf_doc *d, uint32_t field, uint32_t member, const char *text, size_t len);
/* Closes the open set and returns its id (the set stays linked to its node;
 * a set without edits is unlinked and 0 returned). */
uint32_t tf_doc_commit(tf_doc *d);
/* Drops the open set: its node is as it was before tf_doc_begin. */
void tf_doc_rollback(tf_doc *d);
/* Links set (from tf_doc_commit) to node i as its newest. 0, or -1. */
int tf_doc_link(tf_doc *d, uint32_t i, uint32_t set);
/* Appends n bytes to the edits' texts (d->texts), announcing a move of
 * them (grow_lock). 0, or -1 when out of memory. */
int tf_doc_text_put(tf_doc *d, const void *p, size_t n);
/* Node i's patches back to the chain whose newest link was head (0: none,
 * the node unpatched), as it was before the links made since. */
void tf_doc_unlink_to(tf_doc *d, uint32_t i, uint32_t head);
/* The indentation of the line holding text[at] (the bytes after the last
 * line break after `from`, when they are all blanks; *len set), or NULL
 * when at shares its line with something else. */
const char *tf_doc_line_indent(const char *text, uint64_t from, uint64_t at, size_t *len);
/* Room for n more edits past d->nedits (scratch edits a caller lays out
 * there), announcing a move of them (grow_lock). 0, or -1. */
int tf_doc_reserve_edits(tf_doc *d, size_t n);
/* Makes the per-node chain heads now (they are made with the first patch
 * otherwise): 0, or -1 (out of memory, or no nodes). */
int tf_doc_ensure_heads(tf_doc *d);

/* The edits of a set. */
const tf_doc_edit *tf_doc_set_edits(const tf_doc *d, uint32_t set, size_t *n);
/* The JSON text of an edit (valid until the next edit is added). */
static inline const char *tf_doc_edit_text(const tf_doc *d, const tf_doc_edit *e) {
  return (const char *)d->texts.data + e->text;
}

/* The JSON text of name id (an edit's field or member name), kept in w:
 * NULL when out of memory. Valid until the next call. */
const char *tf_doc_quoted_name(tf_doc *d, tf_doc_work *w, uint32_t id, size_t *len);

/* Node i's field `name` as it is now. 0; -1 when out of memory or when
 * more than TF_DOC_MAX_OVER of its members were edited one by one. */
int tf_doc_field(tf_doc *d, uint32_t i, const char *name, size_t len, tf_doc_value *v);
/* The same with the name's id (0: never edited) known. */
int tf_doc_field_id(tf_doc *d, uint32_t i, uint32_t fid, const char *name, size_t len, tf_doc_value *v);
/* What node i's edits say of field fid: 1 when they decide its value (an
 * edit of the whole field: v is set, TF_DOC_ABSENT when removed), 0 when
 * they do not (v->nover member edits, if any, go over the original); -1
 * as tf_doc_field. */
int tf_doc_chain(tf_doc *d, uint32_t i, uint32_t fid, tf_doc_value *v);
/* The same over committed sets only (never looks at the set being built:
 * for a writer in another thread, on nodes the update is done with). */
int tf_doc_chain_done(tf_doc *d, uint32_t i, uint32_t fid, tf_doc_value *v);
/* The member `name` of the value v (an object; see tf_doc_field), or the
 * element at index (name NULL, index from 0) of an array. 0 or -1. */
int tf_doc_member(tf_doc *d, const tf_doc_value *v, const char *name, size_t len, size_t index, tf_doc_value *out);
/* 'o' object, 'a' array, 's' string, 'n' number, 'b' boolean, 'z' null,
 * 0 absent. */
int tf_doc_value_type(const tf_doc_value *v);
/* Appends the value's JSON text (member edits applied, compact where new)
 * to b. 0, or -1 when out of memory. */
int tf_doc_value_json(tf_doc *d, const tf_doc_value *v, tf_buf *b);

/* Writes JSON to a sink: the document's layout for new text. */
typedef struct tf_doc_sink {
  int (*put)(void *ud, const char *p, size_t n); /* 0, or -1 to stop */
  void *ud;
  int pretty;         /* new text pretty-printed, one level = indent */
  const char *indent;
  size_t indent_len;
  int colon_space;
} tf_doc_sink;

/* Writes text[off, end) (a JSON value) to the sink: as it is in a compact
 * layout, else pretty-printed with the line holding it indented by
 * line[0, line_len). 0 or -1. */
int tf_doc_put_json(const tf_doc_sink *s, const char *text, uint64_t off, uint64_t end, const char *line,
                    size_t line_len);
/* Writes the value v as it is now: an object with member edits gets them
 * spliced into its own bytes (layout kept, new members in its members'
 * indentation). 0 or -1. */
int tf_doc_put_value(tf_doc *d, tf_doc_work *w, const tf_doc_sink *s, const tf_doc_value *v, const char *line,
                     size_t line_len);

/* 1 when the JSON values a[aoff, aend) and b[boff, bend) (checked texts)
 * are equal as JSON.parse reads them: numbers as doubles, strings by
 * their characters, objects whatever their members' order; 0 when not (or
 * too large to tell: then they count as different). */
int tf_doc_json_equal(tf_doc_work *w, const char *a, uint64_t aoff, uint64_t aend, const char *b, uint64_t boff,
                      uint64_t bend);

/* Node i has edits. */
static inline int tf_doc_patched(const tf_doc *d, uint32_t i) { return d->heads != NULL && d->heads[i] != 0; }

#endif

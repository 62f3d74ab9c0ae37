/* The document binding shared by its files: the Document object
 * (src/lua/document.c), node handles (src/lua/docnode.c) and the update
 * job's document source (src/lua/job.c). */
#ifndef TF_LUA_DOC_H
#define TF_LUA_DOC_H

#include "tf_doc.h"
#include "tf_doc_memo.h"
#include "tf_doc_patch.h"
#include "tf_file.h"
#include "tf_lua.h"

#define TF_DOCUMENT "tokenflow.DocumentCore"
#define TF_DOC_NODES "tokenflow.DocumentNodes"
#define TF_DOC_WRITER "tokenflow.DocumentWriter"

typedef struct tf_doc_box {
  tf_doc doc;
  tf_file_map file;
  int open;  /* 0 once closed */
  int ready; /* read to the end without error */
  /* a run of the Figma writer being recorded (see tf_doc_memo.h) */
  int rec;
  uint32_t rec_node;
  int rec_keep;       /* the run can be remembered */
  tf_doc_access *reads;
  size_t nreads, reads_cap;
  size_t *at;         /* reads' answers: obs[at[k], at[k + 1]) */
  size_t at_cap;
  tf_buf obs;
  uint64_t *wrote;    /* (field << 32 | member) written in this run */
  size_t nwrote, wrote_cap;
  int handles_seen;   /* the value being encoded holds a node's values (its text can change) */
  void *writing;      /* a writer whose thread follows an update over the document (docwriter.c), or NULL */
} tf_doc_box;

/* user values of a document */
enum { DUV_NAME = 1, DUV_TEXT, DUV_NODE_MT, DUV_VALUE_MT, DUV_COPY_MT, DUV_ANCHORS, DUV_ENCODED, DUV_N = DUV_ENCODED };

/* The open, fully read document at idx; raises otherwise. */
tf_doc_box *tf_lua_doc_check(lua_State *L, int idx);
/* The document behind a doc:nodes() source at idx (pushed on the stack),
 * or NULL (nothing pushed) when idx holds something else. */
tf_doc_box *tf_lua_doc_source(lua_State *L, int idx);

/* The writer (docwriter.c): doc:writer([path]) and its class. While a
 * writer's thread follows an update, the nodes handed to it (the first
 * tf_lua_doc_handed(b)) take no more patches; the thread is stopped
 * before b is released. */
int tf_lua_doc_writer(lua_State *L);
void tf_lua_doc_open_writer(lua_State *L);
uint32_t tf_lua_doc_handed(const tf_doc_box *b);
void tf_lua_doc_stop_writing(tf_doc_box *b);
/* Raises when node i of b takes no more patches (see above). */
void tf_lua_doc_check_writable(lua_State *L, tf_doc_box *b, uint32_t i);

/* Pushes the JSON number text t (n bytes) as Lua reads it: an integer or
 * a float, whatever the C locale. */
void tf_lua_doc_push_number(lua_State *L, const char *t, size_t n);

/* Node handles (docnode.c); idx holds the document. */
void tf_lua_doc_open_handles(lua_State *L, int idx); /* makes the handle metatables */
void tf_lua_doc_push_node(lua_State *L, int idx, uint32_t i);
/* Pushes node i's id as a string (its number when it has no string id). */
void tf_lua_doc_push_id(lua_State *L, int idx, uint32_t i);
/* Writes node i: calls the write function at wi with (handle, plan at pi,
 * {parent = handle, inside_instance = bool}) in protected mode and leaves
 * its two results (or the error) on the stack, returning the call's
 * status; what it sets on the handle becomes the node's patches, all or
 * none. memo: write is the Figma writer (deterministic): what it did is
 * remembered per plan and what it read, and a node that reads the same
 * gets the same edits without a call (*hit set). */
int tf_lua_doc_write(lua_State *L, int idx, uint32_t i, int wi, int pi, int memo, int *hit);

#endif

/* A strict JSON reader that parses text into a flat tape of nodes, for the
 * token loader's fast path (walking a tape in C is much cheaper than building
 * a Lua table per JSON object and walking those).
 *
 * It reads exactly RFC 8259 JSON and refuses (TF_JSON_UNSUPPORTED) anything
 * else, and also anything lua-cjson would read differently from a plain
 * walk of the tape: duplicate keys in an object, \u escapes of surrogates,
 * nesting deeper than TF_JSON_MAX_DEPTH, numbers in a locale whose decimal
 * point is not '.'. A caller that gets TF_JSON_UNSUPPORTED decodes the text
 * the ordinary way, which also gives the error message for malformed input.
 *
 * Tape: node 0 is the root value. An object node is followed by its members
 * as (key string node, value subtree) pairs, an array node by its elements;
 * `tf_json_next` skips a whole subtree. Strings without escapes point into
 * the caller's text (which must outlive the tape), the others into an arena
 * of unescaped bytes. Every allocation goes through the tf_mem. */
#ifndef TF_JSON_H
#define TF_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tf_mem.h"

#define TF_JSON_MAX_DEPTH 1000

enum tf_json_kind {
  TF_JSON_NULL = 1,
  TF_JSON_FALSE,
  TF_JSON_TRUE,
  TF_JSON_NUMBER,
  TF_JSON_STRING,
  TF_JSON_ARRAY,
  TF_JSON_OBJECT
};

enum tf_json_status { TF_JSON_OK = 0, TF_JSON_NOMEM, TF_JSON_UNSUPPORTED };

#define TF_JSON_KIND_MASK 0x7u
#define TF_JSON_IN_ARENA 0x8u /* string bytes live in the arena */
#define TF_JSON_MAX_LEN 0x0fffffffu /* longest string, most members */

/* 8 bytes a node: the tape of a token file is about a third of its text. */
typedef struct tf_json_node {
  uint32_t head; /* kind | TF_JSON_IN_ARENA | len << 4, where len is a
                    string's bytes or a container's elements or members */
  uint32_t u;    /* string: offset; number: index in nums; array and
                    object: index of the node after the subtree */
} tf_json_node;

typedef struct tf_json {
  tf_mem mem;
  const char *text; /* not owned */
  size_t text_len;
  tf_json_node *nodes;
  size_t count, cap;
  double *nums;
  size_t nnums, nums_cap;
  char *arena;
  size_t arena_len, arena_cap;
  uint32_t *scratch; /* duplicate-key check: key indices, then a hash set */
  size_t scratch_cap;
  size_t error_at; /* byte offset where parsing stopped, on failure */
  size_t value_keys[2]; /* members named "$value", "value": how many tokens a set may hold */
} tf_json;

/* An empty reader allocating through mem. */
void tf_json_init(tf_json *j, tf_mem mem);
/* Parses text (replacing any earlier tape). On failure the tape is empty. */
int tf_json_parse(tf_json *j, const char *text, size_t len);
/* Frees the tape and the arena; the reader can parse again. Idempotent. */
void tf_json_clear(tf_json *j);

static inline unsigned tf_json_kind(const tf_json *j, uint32_t i) {
  return j->nodes[i].head & TF_JSON_KIND_MASK;
}
/* A string's bytes, or a container's number of elements or members. */
static inline uint32_t tf_json_len(const tf_json *j, uint32_t i) {
  return j->nodes[i].head >> 4;
}
static inline const char *tf_json_str(const tf_json *j, uint32_t i, size_t *len) {
  const tf_json_node *n = &j->nodes[i];
  *len = n->head >> 4;
  return ((n->head & TF_JSON_IN_ARENA) ? j->arena : j->text) + n->u;
}
static inline double tf_json_num(const tf_json *j, uint32_t i) {
  return j->nums[j->nodes[i].u];
}
/* The index of the node after the subtree at i. */
static inline uint32_t tf_json_next(const tf_json *j, uint32_t i) {
  unsigned k = tf_json_kind(j, i);
  return (k == TF_JSON_ARRAY || k == TF_JSON_OBJECT) ? j->nodes[i].u : i + 1;
}
/* The value node of member key in the object at obj, or 0 when absent. */
uint32_t tf_json_member(const tf_json *j, uint32_t obj, const char *key, size_t klen);

/* Fuzzing entry: parses size bytes with the C library's allocator, walks
 * the tape checking its invariants, frees it. Returns the parse status;
 * aborts when an invariant does not hold. */
int tf_json_fuzz_one(const uint8_t *data, size_t size);

#endif

/* The compact binary value format of the persistent tier: byte-level
 * writing and reading (the binding walks Lua values, see src/lua/pack.c).
 *
 *   packed  := 'T' 'F' 0x01 value
 *   value   := tag payload, the tag one byte:
 *     0x00 nil               (top level only)
 *     0x01 false   0x02 true
 *     0x03 integer           zigzag varint (64-bit two's complement, exact)
 *     0x04 float             8 bytes, IEEE-754 binary64, little-endian (exact, NaN/inf kept)
 *     0x05 string            varint length, bytes; the string gets the next string index
 *     0x06 string again      varint string index (0: first string written)
 *     0x07 table             varint narray, varint nhash, narray values (indices 1..narray),
 *                            nhash key/value pairs; the table gets the next table index
 *     0x08 table again       varint table index (a table met twice: shared, never a cycle)
 *     0x09 null              the NULL light userdata (JSON null of lua-cjson)
 *   varint  := unsigned LEB128 (7 bits a byte, low first, at most 10 bytes)
 *
 * Readers check every length against the bytes left: malformed input is an
 * error, never a read out of bounds. */
#ifndef TF_PACK_H
#define TF_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "tf_buf.h"
#include "tf_mem.h"

enum {
  TF_PACK_NIL = 0, TF_PACK_FALSE, TF_PACK_TRUE, TF_PACK_INT, TF_PACK_FLOAT, TF_PACK_STR,
  TF_PACK_STRREF, TF_PACK_TABLE, TF_PACK_TABLEREF, TF_PACK_NULL
};

#define TF_PACK_MAGIC "TF\001"
#define TF_PACK_MAGIC_LEN 3

/* Value-format writers on a tf_buf. */
int tf_buf_varint(tf_buf *b, uint64_t v);
int tf_buf_integer(tf_buf *b, int64_t v);   /* tag and zigzag varint */
int tf_buf_float(tf_buf *b, double v);      /* tag and 8 bytes */

/* A reader over bytes it does not own. */
typedef struct tf_reader {
  const unsigned char *p, *end;
} tf_reader;

/* Each returns 0 on success, -1 on malformed or truncated input. */
int tf_read_byte(tf_reader *r, unsigned char *c);
int tf_read_varint(tf_reader *r, uint64_t *v);
int tf_read_zigzag(tf_reader *r, int64_t *v);
int tf_read_double(tf_reader *r, double *v);
/* n bytes in place: *p points into the input. */
int tf_read_bytes(tf_reader *r, size_t n, const unsigned char **p);

#endif

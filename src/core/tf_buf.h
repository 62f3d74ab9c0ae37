/* A growable byte buffer allocating through its tf_mem: the value format,
 * the JSON writer and the document engine build their bytes in one. */
#ifndef TF_BUF_H
#define TF_BUF_H

#include <stddef.h>
#include <string.h>

#include "tf_mem.h"

typedef struct tf_buf {
  tf_mem mem;
  unsigned char *data;
  size_t len, cap;
} tf_buf;

void tf_buf_init(tf_buf *b, tf_mem mem);
void tf_buf_free(tf_buf *b);
/* Room for n more bytes: 0 on success, -1 when out of memory (b unchanged). */
int tf_buf_reserve(tf_buf *b, size_t n);
/* Appends n bytes (the common case inline: the document engine appends
 * millions of short pieces). 0, or -1 when out of memory. */
int tf_buf_put_slow(tf_buf *b, const void *p, size_t n);
static inline int tf_buf_put(tf_buf *b, const void *p, size_t n) {
  if (n == 0) return 0;
  if (b->cap - b->len < n) return tf_buf_put_slow(b, p, n);
  memcpy(b->data + b->len, p, n);
  b->len += n;
  return 0;
}
static inline int tf_buf_byte(tf_buf *b, unsigned char c) {
  if (b->len == b->cap && tf_buf_reserve(b, 1) != 0) return -1;
  b->data[b->len++] = c;
  return 0;
}

#endif

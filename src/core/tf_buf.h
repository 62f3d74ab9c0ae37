/* A growable byte buffer allocating through its tf_mem: the value format,
 * the JSON writer and the document engine build their bytes in one. */
#ifndef TF_BUF_H
#define TF_BUF_H

#include <stddef.h>

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
int tf_buf_put(tf_buf *b, const void *p, size_t n);
int tf_buf_byte(tf_buf *b, unsigned char c);

#endif

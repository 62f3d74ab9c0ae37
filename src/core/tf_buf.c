#include "tf_buf.h"

#include <string.h>

void tf_buf_init(tf_buf *b, tf_mem mem) {
  b->mem = mem;
  b->data = NULL;
  b->len = b->cap = 0;
}

void tf_buf_free(tf_buf *b) {
  tf_mem_free(&b->mem, b->data, b->cap);
  b->data = NULL;
  b->len = b->cap = 0;
}

int tf_buf_reserve(tf_buf *b, size_t n) {
  size_t cap;
  unsigned char *q;
  if (b->cap - b->len >= n) return 0;
  if (n > (size_t)-1 / 2 - b->len) return -1;
  cap = b->cap < 256 ? 256 : b->cap;
  while (cap - b->len < n) cap *= 2;
  q = (unsigned char *)tf_mem_realloc(&b->mem, b->data, b->cap, cap);
  if (q == NULL) return -1;
  b->data = q;
  b->cap = cap;
  return 0;
}

int tf_buf_put_slow(tf_buf *b, const void *p, size_t n) {
  if (tf_buf_reserve(b, n) != 0) return -1;
  memcpy(b->data + b->len, p, n);
  b->len += n;
  return 0;
}

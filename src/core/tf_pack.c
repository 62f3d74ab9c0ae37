#include "tf_pack.h"

#include <string.h>

int tf_buf_varint(tf_buf *b, uint64_t v) {
  unsigned char tmp[10];
  size_t n = 0;
  do {
    unsigned char c = (unsigned char)(v & 0x7fu);
    v >>= 7;
    tmp[n++] = (unsigned char)(c | (v ? 0x80u : 0u));
  } while (v);
  return tf_buf_put(b, tmp, n);
}

int tf_buf_integer(tf_buf *b, int64_t v) {
  uint64_t u = (uint64_t)v;
  uint64_t z = (u << 1) ^ (v < 0 ? ~(uint64_t)0 : 0);
  if (tf_buf_byte(b, TF_PACK_INT) != 0) return -1;
  return tf_buf_varint(b, z);
}

int tf_buf_float(tf_buf *b, double v) {
  unsigned char tmp[9];
  uint64_t u;
  int i;
  memcpy(&u, &v, 8);
  tmp[0] = TF_PACK_FLOAT;
  for (i = 0; i < 8; i++) tmp[1 + i] = (unsigned char)(u >> (8 * i));
  return tf_buf_put(b, tmp, 9);
}

int tf_read_byte(tf_reader *r, unsigned char *c) {
  if (r->p >= r->end) return -1;
  *c = *r->p++;
  return 0;
}

int tf_read_varint(tf_reader *r, uint64_t *v) {
  uint64_t out = 0;
  unsigned shift = 0;
  for (;;) {
    unsigned char c;
    if (r->p >= r->end || shift > 63) return -1;
    c = *r->p++;
    if (shift == 63 && (c & 0x7eu)) return -1; /* more than 64 bits */
    out |= (uint64_t)(c & 0x7fu) << shift;
    if (!(c & 0x80u)) break;
    shift += 7;
  }
  *v = out;
  return 0;
}

int tf_read_zigzag(tf_reader *r, int64_t *v) {
  uint64_t z, u;
  if (tf_read_varint(r, &z) != 0) return -1;
  u = (z >> 1) ^ (~(z & 1u) + 1u);
  memcpy(v, &u, 8); /* two's complement reinterpretation, no overflow */
  return 0;
}

int tf_read_double(tf_reader *r, double *v) {
  uint64_t u = 0;
  int i;
  if (r->end - r->p < 8) return -1;
  for (i = 0; i < 8; i++) u |= (uint64_t)r->p[i] << (8 * i);
  r->p += 8;
  memcpy(v, &u, 8);
  return 0;
}

int tf_read_bytes(tf_reader *r, size_t n, const unsigned char **p) {
  if ((size_t)(r->end - r->p) < n) return -1;
  *p = r->p;
  r->p += n;
  return 0;
}

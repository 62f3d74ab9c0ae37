/* A fast, non-cryptographic 64-bit hash for byte strings and id tuples. */
#ifndef TF_HASH_H
#define TF_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t tf_hash_mix(uint64_t h) {
  /* murmur3's 64-bit finaliser: every input bit reaches every output bit */
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

static inline uint64_t tf_hash_step(uint64_t h, uint64_t word) {
  h ^= word;
  h *= 0x9e3779b97f4a7c15ULL;
  return (h << 31) | (h >> 33);
}

static inline uint64_t tf_hash_bytes(const void *data, size_t len, uint64_t seed) {
  const unsigned char *p = (const unsigned char *)data;
  uint64_t h = seed ^ ((uint64_t)len * 0x87c37b91114253d5ULL);
  uint64_t w;
  while (len >= 8) {
    memcpy(&w, p, 8); /* unaligned-safe read */
    h = tf_hash_step(h, w);
    p += 8;
    len -= 8;
  }
  w = 0;
  if (len > 0) {
    memcpy(&w, p, len);
    h = tf_hash_step(h, w);
  }
  return tf_hash_mix(h);
}

#endif

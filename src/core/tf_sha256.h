/* SHA-256 (FIPS 180-4), incremental: the content fingerprint of the
 * persistent tier (inputs of a resolution are hashed, never compared). */
#ifndef TF_SHA256_H
#define TF_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct tf_sha256 {
  uint32_t h[8];
  uint64_t length;       /* bytes hashed so far */
  unsigned char block[64];
  size_t used;           /* bytes waiting in block */
  int ni;                /* the processor's SHA extensions: -1 not asked yet, 0 absent, 1 used */
} tf_sha256;

void tf_sha256_init(tf_sha256 *s);
void tf_sha256_update(tf_sha256 *s, const void *data, size_t len);
/* Writes the 32-byte digest; s must be initialised again before reuse. */
void tf_sha256_final(tf_sha256 *s, unsigned char out[32]);

#endif

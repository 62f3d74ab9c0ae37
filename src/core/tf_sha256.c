#include "tf_sha256.h"

#include <string.h>

/* x86 processors with the SHA extensions hash about 5x faster with them
 * (a token file is hashed on every load, for the store's fingerprint);
 * which code runs is decided per call from the processor's own feature
 * bits, and elsewhere only the portable code is built. */
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__)) && !defined(TF_SHA256_PORTABLE)
#define TF_SHA_NI 1
#include <cpuid.h>
#include <immintrin.h>
/* Below this many blocks the portable code runs: asking the processor
 * (cpuid, which a virtual machine may trap) costs more than it saves. */
#define TF_SHA_NI_MIN_BLOCKS 16
#endif

static const uint32_t K[64] = {
  0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u,
  0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u,
  0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
  0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u,
  0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u,
  0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
  0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
  0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u};

static uint32_t rotr(uint32_t x, unsigned n) { return (x >> n) | (x << (32u - n)); }

static void compress(uint32_t h[8], const unsigned char *p) {
  uint32_t w[64], a, b, c, d, e, f, g, k, t1, t2;
  int i;
  for (i = 0; i < 16; i++)
    w[i] = ((uint32_t)p[4 * i] << 24) | ((uint32_t)p[4 * i + 1] << 16) | ((uint32_t)p[4 * i + 2] << 8) | (uint32_t)p[4 * i + 3];
  for (i = 16; i < 64; i++) {
    uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  a = h[0]; b = h[1]; c = h[2]; d = h[3]; e = h[4]; f = h[5]; g = h[6]; k = h[7];
  for (i = 0; i < 64; i++) {
    t1 = k + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
    t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    k = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
  }
  h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += k;
}

#ifdef TF_SHA_NI
/* The 64 rounds of `blocks` blocks with the SHA extensions: the state as
 * ABEF/CDGH, four rounds per step, the message schedule with msg1/msg2. */
__attribute__((target("sha,sse4.1,ssse3"))) static void compress_ni(uint32_t h[8], const unsigned char *p,
                                                                      size_t blocks) {
  const __m128i mask = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
  __m128i state0, state1, tmp, w[4], msg, abef, cdgh;
  int i;
  tmp = _mm_loadu_si128((const __m128i *)(const void *)&h[0]);
  state1 = _mm_loadu_si128((const __m128i *)(const void *)&h[4]);
  tmp = _mm_shuffle_epi32(tmp, 0xB1);          /* CDAB */
  state1 = _mm_shuffle_epi32(state1, 0x1B);    /* EFGH */
  state0 = _mm_alignr_epi8(tmp, state1, 8);    /* ABEF */
  state1 = _mm_blend_epi16(state1, tmp, 0xF0); /* CDGH */
  while (blocks--) {
    abef = state0;
    cdgh = state1;
    for (i = 0; i < 16; i++) {
      __m128i cur;
      if (i < 4) {
        cur = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 16 * i)), mask);
      } else {
        cur = _mm_sha256msg1_epu32(w[i & 3], w[(i + 1) & 3]);
        cur = _mm_add_epi32(cur, _mm_alignr_epi8(w[(i + 3) & 3], w[(i + 2) & 3], 4));
        cur = _mm_sha256msg2_epu32(cur, w[(i + 3) & 3]);
      }
      w[i & 3] = cur;
      msg = _mm_add_epi32(cur, _mm_loadu_si128((const __m128i *)(const void *)&K[4 * i]));
      state1 = _mm_sha256rnds2_epu32(state1, state0, msg);
      msg = _mm_shuffle_epi32(msg, 0x0E);
      state0 = _mm_sha256rnds2_epu32(state0, state1, msg);
    }
    state0 = _mm_add_epi32(state0, abef);
    state1 = _mm_add_epi32(state1, cdgh);
    p += 64;
  }
  tmp = _mm_shuffle_epi32(state0, 0x1B);       /* FEBA */
  state1 = _mm_shuffle_epi32(state1, 0xB1);    /* DCHG */
  state0 = _mm_blend_epi16(tmp, state1, 0xF0); /* DCBA */
  state1 = _mm_alignr_epi8(state1, tmp, 8);    /* HGFE */
  _mm_storeu_si128((__m128i *)(void *)&h[0], state0);
  _mm_storeu_si128((__m128i *)(void *)&h[4], state1);
}
#endif

/* `blocks` whole blocks at p into s->h. The processor is asked once per
 * hash (a file hashed piece by piece would otherwise ask for every piece). */
static void compress_blocks(tf_sha256 *s, const unsigned char *p, size_t blocks) {
#ifdef TF_SHA_NI
  if (blocks >= TF_SHA_NI_MIN_BLOCKS || s->ni == 1) {
    if (s->ni < 0) {
      unsigned a, b, c, d;
      /* leaf 1: SSSE3 (ecx bit 9), SSE4.1 (ecx bit 19); leaf 7: SHA (ebx bit 29) */
      s->ni = __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 9)) && (c & (1u << 19)) &&
              __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 29));
    }
    if (s->ni == 1) {
      compress_ni(s->h, p, blocks);
      return;
    }
  }
#endif
  while (blocks--) {
    compress(s->h, p);
    p += 64;
  }
}

void tf_sha256_init(tf_sha256 *s) {
  static const uint32_t init[8] = {0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
                                   0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u};
  memcpy(s->h, init, sizeof init);
  s->length = 0;
  s->used = 0;
  s->ni = -1;
}

void tf_sha256_update(tf_sha256 *s, const void *data, size_t len) {
  const unsigned char *p = (const unsigned char *)data;
  s->length += len;
  if (s->used > 0) {
    size_t take = 64 - s->used < len ? 64 - s->used : len;
    memcpy(s->block + s->used, p, take);
    s->used += take;
    p += take;
    len -= take;
    if (s->used < 64) return;
    compress_blocks(s, s->block, 1);
    s->used = 0;
  }
  if (len >= 64) {
    compress_blocks(s, p, len / 64);
    p += len / 64 * 64;
    len %= 64;
  }
  if (len > 0) {
    memcpy(s->block, p, len);
    s->used = len;
  }
}

void tf_sha256_final(tf_sha256 *s, unsigned char out[32]) {
  uint64_t bits = s->length * 8u;
  int i;
  s->block[s->used++] = 0x80;
  if (s->used > 56) {
    memset(s->block + s->used, 0, 64 - s->used);
    compress_blocks(s, s->block, 1);
    s->used = 0;
  }
  memset(s->block + s->used, 0, 56 - s->used);
  for (i = 0; i < 8; i++) s->block[56 + i] = (unsigned char)(bits >> (56 - 8 * i));
  compress_blocks(s, s->block, 1);
  for (i = 0; i < 8; i++) {
    out[4 * i] = (unsigned char)(s->h[i] >> 24);
    out[4 * i + 1] = (unsigned char)(s->h[i] >> 16);
    out[4 * i + 2] = (unsigned char)(s->h[i] >> 8);
    out[4 * i + 3] = (unsigned char)s->h[i];
  }
}

/* Writing JSON values: numbers as the shortest text that reads back as the
 * same double, strings with the least escaping, UTF-8 checks. The document
 * engine writes every new value through these, so what tokenflow adds to a
 * file reads back exactly and looks like what JSON.stringify writes. */
#ifndef TF_JSONW_H
#define TF_JSONW_H

#include <stddef.h>

#include "tf_buf.h"

/* Longest text tf_jsonw_number writes, with its terminating zero. */
#define TF_JSONW_NUMBER_MAX 32

/* Writes the shortest decimal text that reads back (strtod) as exactly v,
 * laid out as ECMAScript's Number::toString (JSON.stringify) does: plain
 * digits from 1e-7 to below 1e21, exponent form outside; -0 is "-0" so the
 * sign survives. Returns the length, 0 for NaN and infinities (no JSON
 * text exists for them). Independent of the C locale. */
size_t tf_jsonw_number(double v, char out[TF_JSONW_NUMBER_MAX]);

/* The double a JSON number text reads as, whatever the C locale. */
double tf_jsonw_read_number(const char *s, size_t len);

/* Appends s as a JSON string: quotes, backslashes and control characters
 * escaped (\b \f \n \r \t, else \u00XX), everything else as it is ('/' is
 * not escaped). A surrogate code point written as a three-byte sequence
 * (what decoders make of a lone \uD800..\uDFFF) is written back as its
 * \u escape. Returns 0; -1 when out of memory; -2 when s is not UTF-8
 * (*bad, if given, is then the offset of the first bad byte). */
int tf_jsonw_string(tf_buf *b, const char *s, size_t len, size_t *bad);

/* The length of the longest prefix of s that is well-formed UTF-8 (RFC
 * 3629; surrogate code points are refused): len when all of s is. */
size_t tf_utf8_valid(const unsigned char *s, size_t len);

#endif

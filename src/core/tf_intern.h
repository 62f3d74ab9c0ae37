/* String interner: byte strings <-> dense, stable integer ids (1, 2, 3...).
 *
 * Ids never change and are never reused while the interner lives, so a
 * combination of names can be keyed by a short tuple of ids. Strings are
 * copied into the interner (any bytes, embedded zeros included) and stay at a
 * stable address until tf_intern_free. */
#ifndef TF_INTERN_H
#define TF_INTERN_H

#include <stddef.h>
#include <stdint.h>

#include "tf_mem.h"

typedef struct tf_intern tf_intern;

/* NULL when out of memory. The interner allocates through (a copy of) mem. */
tf_intern *tf_intern_new(tf_mem mem);
void tf_intern_free(tf_intern *in);

/* The id of s, adding it when new. 0 when out of memory (nothing changed). */
uint32_t tf_intern_add(tf_intern *in, const char *s, size_t len);
/* The id of s, or 0 when s was never added. Never allocates. */
uint32_t tf_intern_find(const tf_intern *in, const char *s, size_t len);
/* The bytes of id (NUL-terminated, len set when not NULL), or NULL. */
const char *tf_intern_name(const tf_intern *in, uint32_t id, size_t *len);

uint32_t tf_intern_count(const tf_intern *in);
/* Bytes of the names themselves (sum of their lengths). */
size_t tf_intern_name_bytes(const tf_intern *in);
/* Bytes the interner holds from its allocator (names, tables, itself). */
size_t tf_intern_held_bytes(const tf_intern *in);

#endif

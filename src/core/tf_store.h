/* Persistent tier: a key -> blob store in one SQLite database file, with a
 * time to live per entry, a size cap (bytes and entries) with oldest-first
 * eviction, and tags for invalidation.
 *
 * The file: WAL journal, `PRAGMA user_version` = TF_STORE_SCHEMA. Opening
 * refuses (and never writes to) a file that is not SQLite, is corrupt, holds
 * other tables than ours, or carries a newer schema version.
 *
 * Each tf_store owns its own connection: two stores (in two threads, or two
 * processes) on one file work, SQLite serialises their writes. Nothing is
 * global. The tf_store itself is allocated through the tf_mem it is opened
 * with; SQLite allocates its own memory.
 *
 * Times are seconds (wall clock, comparable across runs) passed in by the
 * caller; tf_store_wall_now gives the current one. */
#ifndef TF_STORE_H
#define TF_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "tf_mem.h"

#define TF_STORE_SCHEMA 1

enum {
  TF_STORE_OK = 0,
  TF_STORE_MISS,    /* get: no entry, or it had expired (then it is deleted) */
  TF_STORE_ERROR,   /* message in tf_store_errmsg */
  TF_STORE_NOMEM
};

typedef struct tf_store tf_store;

typedef struct tf_store_limits {
  double ttl;           /* default time to live in seconds; 0: entries never expire */
  uint64_t max_bytes;   /* cap on the summed key + value bytes; 0: none */
  uint64_t max_entries; /* cap on the number of entries; 0: none */
} tf_store_limits;

typedef struct tf_store_stats {
  uint64_t entries, bytes;     /* in the file now */
  uint64_t file_bytes;         /* database pages (the WAL not counted) */
  uint64_t hits, misses, expired, evicted, writes, errors; /* by this connection */
} tf_store_stats;

/* Opens or creates the store at path. TF_STORE_OK and *out set; or
 * TF_STORE_ERROR with a message naming the path in err (errlen bytes);
 * or TF_STORE_NOMEM. */
int tf_store_open(tf_mem mem, const char *path, const tf_store_limits *limits, tf_store **out, char *err, size_t errlen);
/* Closes the connection and frees the store. NULL is ignored. */
void tf_store_close(tf_store *s);

/* Looks key up at time now. TF_STORE_OK: *value and *len point at the value,
 * valid until the next call on s (tf_store_release ends it early). An
 * expired entry is deleted and reported as a miss. */
int tf_store_get(tf_store *s, const void *key, size_t klen, double now, const void **value, size_t *len);
void tf_store_release(tf_store *s);

/* Stores key -> value, replacing an entry under key, expiring at `expires`
 * (0: never; the caller adds the ttl), with ntags tags (byte strings).
 * Then evicts the oldest entries until the caps hold. TF_STORE_MISS: the
 * entry alone exceeds max_bytes, so it is not kept (an entry that was under
 * key is deleted). */
int tf_store_put(tf_store *s, const void *key, size_t klen, const void *value, size_t vlen, double expires,
                 const char *const *tags, const size_t *taglens, size_t ntags);
/* Deletes key: TF_STORE_OK when it was there, TF_STORE_MISS when not. */
int tf_store_delete(tf_store *s, const void *key, size_t klen);
/* Deletes every entry carrying tag; *n their count. */
int tf_store_invalidate(tf_store *s, const char *tag, size_t taglen, uint64_t *n);
/* Deletes every entry whose key starts with prefix (plen 0: all); *n their count. */
int tf_store_clear(tf_store *s, const void *prefix, size_t plen, uint64_t *n);
/* Deletes expired entries (*n of them), then compacts the file. */
int tf_store_vacuum(tf_store *s, double now, uint64_t *n);
int tf_store_get_stats(tf_store *s, tf_store_stats *out);

const tf_store_limits *tf_store_get_limits(const tf_store *s);
const char *tf_store_path(const tf_store *s);
/* The message of the last TF_STORE_ERROR. */
const char *tf_store_errmsg(const tf_store *s);
/* Bytes this store holds from its tf_mem. */
size_t tf_store_held_bytes(const tf_store *s);

/* Seconds since the epoch, with sub-second precision. */
double tf_store_wall_now(void);

#endif

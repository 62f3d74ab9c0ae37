/* Files for the document engine: reading one whole (mapped into memory
 * where the system can, so its pages are shared with the page cache and
 * read on demand), and replacing one atomically: the new content goes to
 * a temporary file in the target's directory, is flushed to disk, and
 * only then renamed over the target. A failure at any point leaves the
 * target as it was and removes the temporary file. */
#ifndef TF_FILE_H
#define TF_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "tf_mem.h"

typedef struct tf_file_map {
  const char *data; /* the bytes (an empty file: "" and len 0) */
  size_t len;
  int mapped;       /* 1: mmap'd; 0: read into a block of mem */
  tf_mem mem;
} tf_file_map;

/* Reads path: 0, or -1 with errno set (ENOMEM when out of memory). */
int tf_file_read(tf_file_map *f, tf_mem mem, const char *path);
void tf_file_release(tf_file_map *f);

/* What tells a file's content apart without reading it, as git trusts
 * its index: device, inode, size, and the times of the last modification
 * and of the last change of the inode (nanoseconds). Writing the file
 * changes its change time, which no program can set back. */
typedef struct tf_file_identity {
  uint64_t dev, ino, size;
  int64_t mtime_ns, ctime_ns;
} tf_file_identity;

/* Fills id for path: 0, or -1 with errno set. */
int tf_file_identify(tf_file_identity *id, const char *path);

/* The system calls an atomic write makes, replaceable so tests can make
 * any of them fail. NULL members take the system's own. */
typedef struct tf_file_io {
  long (*write)(void *ud, int fd, const void *p, size_t n); /* bytes written, or -1 with errno */
  int (*fsync)(void *ud, int fd);
  int (*rename)(void *ud, const char *from, const char *to);
  void *ud;
} tf_file_io;

typedef struct tf_file_out {
  char *tmp;    /* the temporary file's path (NULL once removed or renamed) */
  char *target;
  int fd;       /* -1 when closed */
  int err;      /* errno of the first failure */
  const char *failed; /* what failed: "create", "write", "flush", "rename" */
  uint64_t written, synced; /* bytes written; those the disk was asked to start on */
  tf_file_io io;
  tf_mem mem;
} tf_file_out;

/* Creates the temporary file next to target (keeping target's permissions
 * when it exists). 0, or -1 with o->err and o->failed set. */
int tf_file_begin(tf_file_out *o, tf_mem mem, const char *target, const tf_file_io *io);
/* Writes all n bytes: 0, or -1 (o->err set). */
int tf_file_write(tf_file_out *o, const void *p, size_t n);
/* Flushes the temporary file to disk, closes it and renames it over the
 * target (then flushes the directory). 0, or -1: the temporary file is
 * removed and the target untouched. */
int tf_file_commit(tf_file_out *o);
/* Closes and removes the temporary file (nothing else changes). Idempotent. */
void tf_file_abort(tf_file_out *o);

#endif

/* POSIX file access (see tf_file.h). */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* MAP_POPULATE, where the system has it */
#define _GNU_SOURCE     /* sync_file_range, where the system has it */
#include "tf_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int tf_file_identify(tf_file_identity *id, const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) return -1;
  id->dev = (uint64_t)st.st_dev;
  id->ino = (uint64_t)st.st_ino;
  id->size = (uint64_t)st.st_size;
  id->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
  id->ctime_ns = (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec;
  return 0;
}

int tf_file_read(tf_file_map *f, tf_mem mem, const char *path) {
  struct stat st;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  memset(f, 0, sizeof *f);
  f->data = "";
  f->mem = mem;
  if (fd < 0) return -1;
  if (fstat(fd, &st) != 0) goto fail;
  if (S_ISDIR(st.st_mode)) {
    errno = EISDIR;
    goto fail;
  }
  if (st.st_size == 0) {
    close(fd);
    return 0;
  }
  if ((unsigned long long)st.st_size > (size_t)-1 / 2) {
    errno = EFBIG;
    goto fail;
  }
  f->len = (size_t)st.st_size;
  {
    void *p;
    int flags = MAP_PRIVATE;
#ifdef MAP_POPULATE
    flags |= MAP_POPULATE; /* the whole file is read anyway: in one go, not a fault per page */
#endif
    p = mmap(NULL, f->len, PROT_READ, flags, fd, 0);
    if (p != MAP_FAILED) {
      f->data = (const char *)p;
      f->mapped = 1;
      close(fd);
      return 0;
    }
  }
  /* no mapping here (a pipe, a special file system): read it whole */
  {
    char *buf = (char *)tf_mem_alloc(&f->mem, f->len);
    size_t got = 0;
    if (buf == NULL) {
      errno = ENOMEM;
      goto fail;
    }
    while (got < f->len) {
      ssize_t r = read(fd, buf + got, f->len - got);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {
        int e = r == 0 ? EIO : errno;
        tf_mem_free(&f->mem, buf, f->len);
        errno = e;
        goto fail;
      }
      got += (size_t)r;
    }
    f->data = buf;
  }
  close(fd);
  return 0;
fail: {
  int e = errno;
  close(fd);
  f->len = 0;
  f->data = "";
  errno = e;
  return -1;
}
}

void tf_file_release(tf_file_map *f) {
  if (f->len > 0) {
    if (f->mapped) munmap((void *)(uintptr_t)f->data, f->len);
    else tf_mem_free(&f->mem, (void *)(uintptr_t)f->data, f->len);
  }
  f->data = "";
  f->len = 0;
  f->mapped = 0;
}

/* ---- atomic replacement ---- */

static long sys_write(void *ud, int fd, const void *p, size_t n) {
  (void)ud;
  return (long)write(fd, p, n);
}
static int sys_fsync(void *ud, int fd) {
  (void)ud;
  return fsync(fd);
}
static int sys_rename(void *ud, const char *from, const char *to) {
  (void)ud;
  return rename(from, to);
}

static char *dup_str(tf_mem *m, const char *s) {
  size_t n = strlen(s);
  char *p = (char *)tf_mem_alloc(m, n + 1);
  if (p) memcpy(p, s, n + 1);
  return p;
}

static int failed(tf_file_out *o, const char *what) {
  if (o->err == 0) {
    o->err = errno ? errno : EIO;
    o->failed = what;
  }
  return -1;
}

int tf_file_begin(tf_file_out *o, tf_mem mem, const char *target, const tf_file_io *io) {
  const char *slash;
  size_t dir_len, tlen;
  struct stat st;
  memset(o, 0, sizeof *o);
  o->fd = -1;
  o->mem = mem;
  o->io.write = io && io->write ? io->write : sys_write;
  o->io.fsync = io && io->fsync ? io->fsync : sys_fsync;
  o->io.rename = io && io->rename ? io->rename : sys_rename;
  o->io.ud = io ? io->ud : NULL;
  errno = 0;
  o->target = dup_str(&o->mem, target);
  /* "<dir>/.<name>.tmp-XXXXXX": hidden, in the same file system as the target */
  tlen = strlen(target);
  if (o->target != NULL) o->tmp = (char *)tf_mem_alloc(&o->mem, tlen + 16);
  if (o->tmp == NULL) { /* (nothing is created yet: tmp holds no path to remove) */
    if (o->target != NULL) tf_mem_free(&o->mem, o->target, tlen + 1);
    o->target = NULL;
    errno = ENOMEM;
    return failed(o, "create");
  }
  slash = strrchr(target, '/');
  dir_len = slash ? (size_t)(slash - target) + 1 : 0;
  memcpy(o->tmp, target, dir_len);
  o->tmp[dir_len] = '.';
  memcpy(o->tmp + dir_len + 1, target + dir_len, tlen - dir_len);
  memcpy(o->tmp + tlen + 1, ".tmp-XXXXXX", 12);
  o->fd = mkstemp(o->tmp);
  if (o->fd < 0) {
    failed(o, "create");
    tf_mem_free(&o->mem, o->tmp, tlen + 16);
    o->tmp = NULL;
    tf_file_abort(o);
    return -1;
  }
  /* the new file gets the old one's permissions, else the usual ones */
  if (stat(target, &st) == 0) {
    (void)fchmod(o->fd, st.st_mode & 07777);
  } else {
    mode_t mask = umask(0);
    umask(mask);
    (void)fchmod(o->fd, 0666 & ~mask);
  }
  return 0;
}

/* Bytes written between two requests to start writing them to the disk. */
#define WRITEBACK_STEP (8u << 20)

int tf_file_write(tf_file_out *o, const void *p, size_t n) {
  const char *c = (const char *)p;
  if (o->fd < 0) return -1;
  while (n > 0) {
    long w = o->io.write(o->io.ud, o->fd, c, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      if (w == 0) errno = ENOSPC;
      return failed(o, "write");
    }
    c += w;
    n -= (size_t)w;
    o->written += (uint64_t)w;
  }
#if defined(SYNC_FILE_RANGE_WRITE) && !defined(__EMSCRIPTEN__) /* (emscripten declares it, has none) */
  /* the disk starts on what is written while the rest is made, so the
   * flush at the end has less left to wait for (a hint: its failure is
   * the flush's to report) */
  if (o->written - o->synced >= WRITEBACK_STEP) {
    (void)sync_file_range(o->fd, (off_t)o->synced, (off_t)(o->written - o->synced), SYNC_FILE_RANGE_WRITE);
    o->synced = o->written;
  }
#endif
  return 0;
}

int tf_file_commit(tf_file_out *o) {
  size_t tlen;
  if (o->fd < 0 || o->tmp == NULL) return -1;
  if (o->io.fsync(o->io.ud, o->fd) != 0) {
    failed(o, "flush");
    tf_file_abort(o);
    return -1;
  }
  if (close(o->fd) != 0) {
    o->fd = -1;
    failed(o, "flush");
    tf_file_abort(o);
    return -1;
  }
  o->fd = -1;
  if (o->io.rename(o->io.ud, o->tmp, o->target) != 0) {
    failed(o, "rename");
    tf_file_abort(o);
    return -1;
  }
  /* the rename itself reaches the disk with its directory */
  {
    const char *slash = strrchr(o->target, '/');
    char *dir = slash ? dup_str(&o->mem, o->target) : NULL;
    int dfd;
    if (dir) dir[slash - o->target + (slash == o->target)] = '\0';
    dfd = open(dir ? dir : ".", O_RDONLY | O_CLOEXEC);
    if (dfd >= 0) {
      (void)fsync(dfd);
      close(dfd);
    }
    if (dir) tf_mem_free(&o->mem, dir, strlen(o->target) + 1);
  }
  tlen = strlen(o->target);
  tf_mem_free(&o->mem, o->tmp, tlen + 16);
  o->tmp = NULL;
  tf_mem_free(&o->mem, o->target, tlen + 1);
  o->target = NULL;
  return 0;
}

void tf_file_abort(tf_file_out *o) {
  size_t tlen = o->target ? strlen(o->target) : 0;
  if (o->fd >= 0) {
    close(o->fd);
    o->fd = -1;
  }
  if (o->tmp != NULL) {
    unlink(o->tmp);
    tf_mem_free(&o->mem, o->tmp, tlen + 16);
    o->tmp = NULL;
  }
  if (o->target != NULL) {
    tf_mem_free(&o->mem, o->target, tlen + 1);
    o->target = NULL;
  }
}

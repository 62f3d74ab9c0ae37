/* Files for the document engine: reading (mapped or not, empty, missing,
 * a directory) and the atomic replacement under every failure: a write
 * that fails midway, a flush that fails, a rename that fails, a directory
 * that cannot take a new file. Each time the target keeps its content and
 * no temporary file is left. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tf_doc.h"
#include "tf_doc_emit.h"
#include "tf_file.h"
#include "tf_test.h"

static char dir[256];

static void put_file(const char *path, const char *text) {
  FILE *f = fopen(path, "wb");
  fputs(text, f);
  fclose(f);
}

static int file_is(const char *path, const char *text) {
  tf_file_map m;
  int same;
  if (tf_file_read(&m, tf_mem_default(), path) != 0) return 0;
  same = m.len == strlen(text) && memcmp(m.data, text, m.len) == 0;
  tf_file_release(&m);
  return same;
}

/* Entries of the test directory other than "." and "..". */
static int entries(void) {
  DIR *d = opendir(dir);
  struct dirent *e;
  int n = 0;
  while ((e = readdir(d)) != NULL)
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
  closedir(d);
  return n;
}

/* Injected failures: the write after `write_ok` bytes, the flush, the rename. */
typedef struct faults {
  long write_ok; /* -1: never fails */
  long written;
  int fail_fsync, fail_rename;
} faults;

static long f_write(void *ud, int fd, const void *p, size_t n) {
  faults *f = (faults *)ud;
  if (f->write_ok >= 0 && f->written + (long)n > f->write_ok) {
    size_t part = (size_t)(f->write_ok - f->written);
    if (part > 0) { /* a short write first, then the failure */
      f->written += (long)part;
      return (long)write(fd, p, part);
    }
    errno = ENOSPC;
    return -1;
  }
  f->written += (long)n;
  return (long)write(fd, p, n);
}
static int f_fsync(void *ud, int fd) {
  faults *f = (faults *)ud;
  if (f->fail_fsync) {
    errno = EIO;
    return -1;
  }
  return fsync(fd);
}
static int f_rename(void *ud, const char *a, const char *b) {
  faults *f = (faults *)ud;
  if (f->fail_rename) {
    errno = EXDEV;
    return -1;
  }
  return rename(a, b);
}

static int to_file(void *ud, const void *p, size_t n) { return tf_file_write((tf_file_out *)ud, p, n); }

/* Writes a patched document to target through io; returns 0 when it is in place. */
static int save(const char *target, const tf_file_io *io) {
  static const char *text = "{\"document\":{\"id\":\"0:0\",\"children\":[{\"id\":\"1:1\",\"opacity\":1}]}}";
  tf_doc d;
  tf_doc_out o;
  tf_file_out f;
  int st;
  tf_doc_init(&d, tf_mem_default(), text, strlen(text));
  while ((st = tf_doc_read(&d, 1 << 20)) == TF_DOC_MORE) {
  }
  if (st != TF_DOC_OK) return -1;
  tf_doc_begin(&d, 1);
  tf_doc_edit_add(&d, tf_doc_name(&d, "opacity", 7), 0, "0.5", 3);
  tf_doc_commit(&d);
  if (tf_file_begin(&f, tf_mem_default(), target, io) != 0) {
    tf_doc_free(&d);
    return -1;
  }
  tf_doc_out_init(&o, &d, to_file, &f);
  while ((st = tf_doc_out_step(&o, 8)) == TF_DOC_MORE) {
  }
  tf_doc_out_free(&o);
  tf_doc_free(&d);
  if (st != TF_DOC_OK) {
    tf_file_abort(&f);
    return -1;
  }
  return tf_file_commit(&f);
}

static void test_read(tf_test_ctx *t) {
  tf_file_map m;
  char path[300];
  snprintf(path, sizeof path, "%s/empty", dir);
  put_file(path, "");
  CHECK(t, tf_file_read(&m, tf_mem_default(), path) == 0 && m.len == 0);
  tf_file_release(&m);
  snprintf(path, sizeof path, "%s/text", dir);
  put_file(path, "{\"a\":1}");
  CHECK(t, tf_file_read(&m, tf_mem_default(), path) == 0 && m.len == 7 && m.mapped && memcmp(m.data, "{\"a\":1}", 7) == 0);
  tf_file_release(&m);
  CHECK(t, tf_file_read(&m, tf_mem_default(), dir) != 0 && errno == EISDIR);
  snprintf(path, sizeof path, "%s/missing", dir);
  CHECK(t, tf_file_read(&m, tf_mem_default(), path) != 0 && errno == ENOENT);
  unlink(path);
  snprintf(path, sizeof path, "%s/empty", dir);
  unlink(path);
  snprintf(path, sizeof path, "%s/text", dir);
  unlink(path);
}

static void test_atomic(tf_test_ctx *t) {
  char target[300], missing[300];
  tf_file_io io;
  faults f;
  long cut;
  const char *want = "{\"document\":{\"id\":\"0:0\",\"children\":[{\"id\":\"1:1\",\"opacity\":0.5}]}}";
  snprintf(target, sizeof target, "%s/doc.json", dir);
  put_file(target, "original");
  chmod(target, 0640);
  memset(&io, 0, sizeof io);
  io.write = f_write;
  io.fsync = f_fsync;
  io.rename = f_rename;
  io.ud = &f;
  /* a write that fails after every possible number of bytes */
  for (cut = 0; cut < (long)strlen(want); cut += 5) {
    memset(&f, 0, sizeof f);
    f.write_ok = cut;
    CHECK(t, save(target, &io) != 0);
    CHECK(t, file_is(target, "original"));
    CHECK(t, entries() == 1);
  }
  memset(&f, 0, sizeof f);
  f.write_ok = -1;
  f.fail_fsync = 1;
  CHECK(t, save(target, &io) != 0 && file_is(target, "original") && entries() == 1);
  f.fail_fsync = 0;
  f.fail_rename = 1;
  CHECK(t, save(target, &io) != 0 && file_is(target, "original") && entries() == 1);
  /* no failure: in place, with the old file's permissions */
  f.fail_rename = 0;
  CHECK(t, save(target, &io) == 0 && file_is(target, want) && entries() == 1);
  {
    struct stat st;
    CHECK(t, stat(target, &st) == 0 && (st.st_mode & 0777) == 0640);
  }
  /* a directory that does not exist: nothing made */
  snprintf(missing, sizeof missing, "%s/no/such/doc.json", dir);
  CHECK(t, save(missing, NULL) != 0 && entries() == 1);
  {
    tf_file_out o;
    CHECK(t, tf_file_begin(&o, tf_mem_default(), missing, NULL) != 0 && o.err == ENOENT && strcmp(o.failed, "create") == 0);
    tf_file_abort(&o);
  }
  unlink(target);
}

int main(void) {
  tf_test_ctx t = {0, 0};
  snprintf(dir, sizeof dir, "/tmp/tf-test-file-XXXXXX");
  if (mkdtemp(dir) == NULL) return 1;
  test_read(&t);
  test_atomic(&t);
  CHECK(&t, rmdir(dir) == 0);
  return tf_test_report("test_file", &t);
}

/* Persistent tier core: open and create, get/put/delete, TTL, caps with
 * oldest-first eviction, tags, refusal of foreign, corrupt and newer files
 * (left unwritten), two connections on one file, allocation failures; the
 * value format's byte reader/writer; SHA-256 test vectors. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pthread.h>
#include <sqlite3.h>

#include "tf_pack.h"
#include "tf_sha256.h"
#include "tf_store.h"
#include "tf_test.h"

static char dir[256];

static void path_of(char *out, size_t n, const char *name) { snprintf(out, n, "%s/%s", dir, name); }

static void remove_db(const char *path) {
  char side[600];
  remove(path);
  snprintf(side, sizeof side, "%s-wal", path);
  remove(side);
  snprintf(side, sizeof side, "%s-shm", path);
  remove(side);
}

static void write_file(const char *path, const void *data, size_t n) {
  FILE *f = fopen(path, "wb");
  if (f == NULL) exit(2);
  fwrite(data, 1, n, f);
  fclose(f);
}

/* The whole file into buf (at most n bytes); its length. */
static size_t read_file(const char *path, char *buf, size_t n) {
  FILE *f = fopen(path, "rb");
  size_t got;
  if (f == NULL) return 0;
  got = fread(buf, 1, n, f);
  fclose(f);
  return got;
}

static int put_str(tf_store *s, const char *k, const char *v, double expires) {
  return tf_store_put(s, k, strlen(k), v, strlen(v), expires, NULL, NULL, 0);
}

/* 1 when key holds exactly v at time now. */
static int has(tf_store *s, const char *k, const char *v, double now) {
  const void *p;
  size_t n;
  int ok = tf_store_get(s, k, strlen(k), now, &p, &n) == TF_STORE_OK && n == strlen(v) && memcmp(p, v, n) == 0;
  tf_store_release(s);
  return ok;
}

static void test_basic(tf_test_ctx *t) {
  char path[300], err[512];
  tf_store *s, *s2;
  tf_store_stats st;
  const void *p;
  size_t n;
  path_of(path, sizeof path, "basic.db");
  remove_db(path);
  CHECK(t, tf_store_open(tf_mem_default(), path, NULL, &s, err, sizeof err) == TF_STORE_OK);
  CHECK(t, tf_store_get(s, "a", 1, 0, &p, &n) == TF_STORE_MISS);
  CHECK(t, put_str(s, "a", "one", 0) == TF_STORE_OK);
  CHECK(t, put_str(s, "b", "", 0) == TF_STORE_OK);
  CHECK(t, has(s, "a", "one", 0));
  CHECK(t, has(s, "b", "", 0));
  CHECK(t, put_str(s, "a", "uno", 0) == TF_STORE_OK);
  CHECK(t, has(s, "a", "uno", 0));
  CHECK(t, tf_store_get_stats(s, &st) == TF_STORE_OK);
  CHECK(t, st.entries == 2 && st.bytes == 1 + 3 + 1 + 0);
  CHECK(t, st.hits == 3 && st.misses == 1 && st.writes == 3);
  /* a second connection sees the same entries and totals */
  CHECK(t, tf_store_open(tf_mem_default(), path, NULL, &s2, err, sizeof err) == TF_STORE_OK);
  CHECK(t, has(s2, "a", "uno", 0));
  CHECK(t, tf_store_delete(s2, "a", 1) == TF_STORE_OK);
  CHECK(t, tf_store_delete(s2, "a", 1) == TF_STORE_MISS);
  CHECK(t, tf_store_get(s, "a", 1, 0, &p, &n) == TF_STORE_MISS);
  CHECK(t, tf_store_get_stats(s, &st) == TF_STORE_OK && st.entries == 1 && st.bytes == 1);
  tf_store_close(s2);
  tf_store_close(s);
  /* reopened: still there */
  CHECK(t, tf_store_open(tf_mem_default(), path, NULL, &s, err, sizeof err) == TF_STORE_OK);
  CHECK(t, has(s, "b", "", 0));
  tf_store_close(s);
  remove_db(path);
}

static void test_ttl_and_caps(tf_test_ctx *t) {
  char path[300], err[512], key[16];
  tf_store *s;
  tf_store_stats st;
  tf_store_limits lim = {0, 0, 3};
  uint64_t n;
  int i;
  const char *tags[2] = {"colors.red", "size"};
  size_t taglens[2] = {10, 4};
  path_of(path, sizeof path, "caps.db");
  remove_db(path);
  CHECK(t, tf_store_open(tf_mem_default(), path, &lim, &s, err, sizeof err) == TF_STORE_OK);
  /* expiry: visible before, a miss from the expiry time on, and deleted */
  CHECK(t, put_str(s, "x", "v", 100.0) == TF_STORE_OK);
  CHECK(t, has(s, "x", "v", 99.9));
  CHECK(t, !has(s, "x", "v", 100.0));
  CHECK(t, tf_store_get_stats(s, &st) == TF_STORE_OK && st.entries == 0 && st.expired == 1);
  /* entry cap: oldest written first out */
  for (i = 1; i <= 5; i++) {
    snprintf(key, sizeof key, "k%d", i);
    CHECK(t, put_str(s, key, "v", 0) == TF_STORE_OK);
  }
  CHECK(t, !has(s, "k1", "v", 0) && !has(s, "k2", "v", 0));
  CHECK(t, has(s, "k3", "v", 0) && has(s, "k4", "v", 0) && has(s, "k5", "v", 0));
  /* rewriting k3 makes it the newest */
  CHECK(t, put_str(s, "k3", "w", 0) == TF_STORE_OK);
  CHECK(t, put_str(s, "k6", "v", 0) == TF_STORE_OK);
  CHECK(t, !has(s, "k4", "v", 0) && has(s, "k3", "w", 0));
  CHECK(t, tf_store_get_stats(s, &st) == TF_STORE_OK && st.entries == 3 && st.evicted == 3);
  /* tags */
  CHECK(t, tf_store_put(s, "t1", 2, "v", 1, 0, tags, taglens, 2) == TF_STORE_OK);
  CHECK(t, tf_store_put(s, "t2", 2, "v", 1, 0, tags + 1, taglens + 1, 1) == TF_STORE_OK);
  CHECK(t, tf_store_invalidate(s, "colors.red", 10, &n) == TF_STORE_OK && n == 1);
  CHECK(t, !has(s, "t1", "v", 0) && has(s, "t2", "v", 0));
  CHECK(t, tf_store_invalidate(s, "size", 4, &n) == TF_STORE_OK && n == 1);
  CHECK(t, tf_store_invalidate(s, "size", 4, &n) == TF_STORE_OK && n == 0);
  /* vacuum drops expired entries */
  CHECK(t, put_str(s, "old", "v", 50.0) == TF_STORE_OK);
  CHECK(t, tf_store_vacuum(s, 60.0, &n) == TF_STORE_OK && n == 1);
  /* clear by prefix */
  CHECK(t, put_str(s, "p:1", "v", 0) == TF_STORE_OK);
  CHECK(t, tf_store_clear(s, "p:", 2, &n) == TF_STORE_OK && n == 1);
  CHECK(t, tf_store_clear(s, NULL, 0, &n) == TF_STORE_OK);
  CHECK(t, tf_store_get_stats(s, &st) == TF_STORE_OK && st.entries == 0 && st.bytes == 0);
  tf_store_close(s);
  /* byte cap: an entry larger than the cap is not kept */
  lim.max_entries = 0;
  lim.max_bytes = 10;
  CHECK(t, tf_store_open(tf_mem_default(), path, &lim, &s, err, sizeof err) == TF_STORE_OK);
  CHECK(t, put_str(s, "a", "1234", 0) == TF_STORE_OK);
  CHECK(t, put_str(s, "b", "1234", 0) == TF_STORE_OK);
  CHECK(t, put_str(s, "c", "1234", 0) == TF_STORE_OK); /* 15 bytes: a goes */
  CHECK(t, !has(s, "a", "1234", 0) && has(s, "b", "1234", 0) && has(s, "c", "1234", 0));
  CHECK(t, put_str(s, "b", "0123456789", 0) == TF_STORE_MISS);
  CHECK(t, !has(s, "b", "1234", 0) && has(s, "c", "1234", 0));
  tf_store_close(s);
  remove_db(path);
}

static void test_refusals(tf_test_ctx *t) {
  char path[300], err[512], before[4096], after[4096];
  tf_store *s;
  sqlite3 *db;
  size_t n1, n2;
  const char text[] = "this is a text file, not a database; it must survive\n";
  static char garbage[8192];
  /* not SQLite */
  path_of(path, sizeof path, "text.db");
  write_file(path, text, sizeof text - 1);
  CHECK(t, tf_store_open(tf_mem_default(), path, NULL, &s, err, sizeof err) == TF_STORE_ERROR && s == NULL);
  CHECK(t, strstr(err, "not a tokenflow store") != NULL && strstr(err, path) != NULL);
  n1 = read_file(path, after, sizeof after);
  CHECK(t, n1 == sizeof text - 1 && memcmp(after, text, n1) == 0);
  remove_db(path);
  /* an SQLite header followed by garbage */
  path_of(path, sizeof path, "corrupt.db");
  memset(garbage, 0xA5, sizeof garbage);
  memcpy(garbage, "SQLite format 3", 16);
  write_file(path, garbage, sizeof garbage);
  n1 = read_file(path, before, sizeof before);
  CHECK(t, tf_store_open(tf_mem_default(), path, NULL, &s, err, sizeof err) == TF_STORE_ERROR);
  CHECK(t, strstr(err, "not a tokenflow store") != NULL);
  n2 = read_file(path, after, sizeof after);
  CHECK(t, n1 == n2 && memcmp(before, after, n1) == 0);
  remove_db(path);
  /* another application's database */
  path_of(path, sizeof path, "foreign.db");
  remove_db(path);
  CHECK(t, sqlite3_open(path, &db) == SQLITE_OK);
  CHECK(t, sqlite3_exec(db, "CREATE TABLE notes(x)", NULL, NULL, NULL) == SQLITE_OK);
  sqlite3_close(db);
  CHECK(t, tf_store_open(tf_mem_default(), path, NULL, &s, err, sizeof err) == TF_STORE_ERROR);
  CHECK(t, strstr(err, "other tables") != NULL);
  remove_db(path);
  /* a newer schema */
  path_of(path, sizeof path, "newer.db");
  remove_db(path);
  CHECK(t, sqlite3_open(path, &db) == SQLITE_OK);
  CHECK(t, sqlite3_exec(db, "PRAGMA user_version = 7", NULL, NULL, NULL) == SQLITE_OK);
  sqlite3_close(db);
  CHECK(t, tf_store_open(tf_mem_default(), path, NULL, &s, err, sizeof err) == TF_STORE_ERROR);
  CHECK(t, strstr(err, "schema version 7 is newer") != NULL);
  remove_db(path);
  /* a folder that does not exist */
  path_of(path, sizeof path, "no/such/dir/x.db");
  CHECK(t, tf_store_open(tf_mem_default(), path, NULL, &s, err, sizeof err) == TF_STORE_ERROR);
  CHECK(t, strstr(err, "cannot open") != NULL);
}

/* Two threads, each with its own store on one file, write and read at once. */
typedef struct worker {
  const char *path;
  int id, ok;
} worker;

static void *work(void *arg) {
  worker *w = (worker *)arg;
  char err[512], key[32], val[32];
  tf_store *s;
  int i;
  w->ok = 0;
  if (tf_store_open(tf_mem_default(), w->path, NULL, &s, err, sizeof err) != TF_STORE_OK) {
    fprintf(stderr, "worker %d: %s\n", w->id, err);
    return NULL;
  }
  w->ok = 1;
  for (i = 0; i < 200 && w->ok; i++) {
    snprintf(key, sizeof key, "w%d-%d", w->id, i);
    snprintf(val, sizeof val, "v%d", i);
    if (put_str(s, key, val, 0) != TF_STORE_OK || !has(s, key, val, 0)) {
      fprintf(stderr, "worker %d, entry %d: %s\n", w->id, i, tf_store_errmsg(s));
      w->ok = 0;
    }
  }
  tf_store_close(s);
  return NULL;
}

static void test_threads(tf_test_ctx *t) {
  char path[300], err[512];
  pthread_t th[2];
  worker w[2];
  tf_store *s;
  tf_store_stats st;
  int i;
  path_of(path, sizeof path, "threads.db");
  remove_db(path);
  for (i = 0; i < 2; i++) {
    w[i].path = path;
    w[i].id = i;
    CHECK(t, pthread_create(&th[i], NULL, work, &w[i]) == 0);
  }
  for (i = 0; i < 2; i++) {
    pthread_join(th[i], NULL);
    CHECK(t, w[i].ok);
  }
  CHECK(t, tf_store_open(tf_mem_default(), path, NULL, &s, err, sizeof err) == TF_STORE_OK);
  CHECK(t, tf_store_get_stats(s, &st) == TF_STORE_OK && st.entries == 400);
  CHECK(t, has(s, "w0-199", "v199", 0) && has(s, "w1-0", "v0", 0));
  tf_store_close(s);
  remove_db(path);
}

/* Every allocation of ours fails in turn: a clean NOMEM, nothing leaked. */
static void test_oom(tf_test_ctx *t) {
  char path[300], err[512];
  long limit;
  path_of(path, sizeof path, "oom.db");
  remove_db(path);
  for (limit = 0;; limit++) {
    tf_test_alloc a;
    tf_store *s = NULL;
    int rc = tf_store_open(tf_test_mem(&a, limit, 0), path, NULL, &s, err, sizeof err);
    if (rc == TF_STORE_OK) {
      CHECK(t, put_str(s, "k", "v", 0) == TF_STORE_OK);
      tf_store_close(s);
      CHECK(t, a.live == 0 && a.bytes == 0);
      break;
    }
    CHECK(t, rc == TF_STORE_NOMEM && s == NULL);
    CHECK(t, a.live == 0 && a.bytes == 0);
  }
  remove_db(path);
}

static void test_pack(tf_test_ctx *t) {
  tf_buf b;
  tf_reader r;
  tf_test_alloc a;
  int64_t ints[] = {0, 1, -1, 63, -64, 64, INT64_MAX, INT64_MIN, 300, -300};
  double d = 0.1, back;
  unsigned char c;
  int64_t v;
  size_t i;
  tf_buf_init(&b, tf_test_mem(&a, -1, 0));
  for (i = 0; i < sizeof ints / sizeof ints[0]; i++) CHECK(t, tf_buf_integer(&b, ints[i]) == 0);
  CHECK(t, tf_buf_float(&b, d) == 0);
  r.p = b.data;
  r.end = b.data + b.len;
  for (i = 0; i < sizeof ints / sizeof ints[0]; i++) {
    CHECK(t, tf_read_byte(&r, &c) == 0 && c == TF_PACK_INT);
    CHECK(t, tf_read_zigzag(&r, &v) == 0 && v == ints[i]);
  }
  CHECK(t, tf_read_byte(&r, &c) == 0 && c == TF_PACK_FLOAT);
  CHECK(t, tf_read_double(&r, &back) == 0 && memcmp(&back, &d, 8) == 0);
  CHECK(t, tf_read_byte(&r, &c) == -1);
  /* truncated and overlong input is refused */
  r.p = b.data + 1;
  r.end = b.data + 1;
  CHECK(t, tf_read_zigzag(&r, &v) == -1);
  {
    const unsigned char over[11] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    uint64_t u;
    r.p = over;
    r.end = over + sizeof over;
    CHECK(t, tf_read_varint(&r, &u) == -1);
  }
  tf_buf_free(&b);
  CHECK(t, a.live == 0);
  /* a failing allocator leaves the buffer unchanged */
  tf_buf_init(&b, tf_test_mem(&a, 0, 0));
  CHECK(t, tf_buf_byte(&b, 1) == -1 && b.len == 0 && b.data == NULL);
}

static void hex(const unsigned char *d, char *out) {
  int i;
  for (i = 0; i < 32; i++) sprintf(out + 2 * i, "%02x", d[i]);
}

static void test_sha256(tf_test_ctx *t) {
  tf_sha256 s;
  unsigned char d[32];
  char h[65];
  static char million[1000000];
  size_t i;
  tf_sha256_init(&s);
  tf_sha256_final(&s, d);
  hex(d, h);
  CHECK(t, strcmp(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == 0);
  tf_sha256_init(&s);
  tf_sha256_update(&s, "abc", 3);
  tf_sha256_final(&s, d);
  hex(d, h);
  CHECK(t, strcmp(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0);
  tf_sha256_init(&s);
  tf_sha256_update(&s, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56);
  tf_sha256_final(&s, d);
  hex(d, h);
  CHECK(t, strcmp(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1") == 0);
  /* a million 'a' fed in uneven pieces */
  memset(million, 'a', sizeof million);
  tf_sha256_init(&s);
  for (i = 0; i < sizeof million;) {
    size_t n = (i % 7) * 13 + 1;
    if (n > sizeof million - i) n = sizeof million - i;
    tf_sha256_update(&s, million + i, n);
    i += n;
  }
  tf_sha256_final(&s, d);
  hex(d, h);
  CHECK(t, strcmp(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0") == 0);
  /* the same in one piece (many whole blocks at once), and after an odd start */
  tf_sha256_init(&s);
  tf_sha256_update(&s, million, sizeof million);
  tf_sha256_final(&s, d);
  hex(d, h);
  CHECK(t, strcmp(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0") == 0);
  tf_sha256_init(&s);
  tf_sha256_update(&s, million, 3);
  tf_sha256_update(&s, million + 3, sizeof million - 3);
  tf_sha256_final(&s, d);
  hex(d, h);
  CHECK(t, strcmp(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0") == 0);
}

int main(void) {
  tf_test_ctx t = {0, 0};
  const char *tmp = getenv("TMPDIR");
  snprintf(dir, sizeof dir, "%s/tf_store_XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (mkdtemp(dir) == NULL) return 2;
  test_basic(&t);
  test_ttl_and_caps(&t);
  test_refusals(&t);
  test_threads(&t);
  test_oom(&t);
  test_pack(&t);
  test_sha256(&t);
  rmdir(dir);
  return tf_test_report("test_store", &t);
}

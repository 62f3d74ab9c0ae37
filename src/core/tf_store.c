#define _POSIX_C_SOURCE 200809L
#include "tf_store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Statements prepared once per connection. */
enum {
  Q_GET, Q_DELETE, Q_INSERT, Q_TAG, Q_TOTALS, Q_EVICT, Q_INVALIDATE, Q_CLEAR_ALL, Q_CLEAR_PREFIX, Q_EXPIRE,
  Q_BEGIN, Q_COMMIT, Q_ROLLBACK, Q_COUNT
};

static const char *const SQL[Q_COUNT] = {
  "SELECT value, expires FROM entries WHERE key = ?1",
  "DELETE FROM entries WHERE key = ?1",
  "INSERT INTO entries(key, value, bytes, expires) VALUES (?1, ?2, ?3, ?4)",
  "INSERT OR IGNORE INTO tags(tag, key) VALUES (?1, ?2)",
  "SELECT entries, bytes FROM totals WHERE id = 1",
  "DELETE FROM entries WHERE rowid = (SELECT min(rowid) FROM entries)",
  "DELETE FROM entries WHERE key IN (SELECT key FROM tags WHERE tag = ?1)",
  "DELETE FROM entries",
  "DELETE FROM entries WHERE substr(key, 1, ?2) = ?1",
  "DELETE FROM entries WHERE expires > 0 AND expires <= ?1",
  "BEGIN IMMEDIATE",
  "COMMIT",
  "ROLLBACK",
};

/* The schema: rowid order is write order (oldest first); totals kept by
 * triggers so every connection sees the same counts. */
static const char SCHEMA[] =
  "CREATE TABLE entries(key BLOB PRIMARY KEY, value BLOB NOT NULL, bytes INTEGER NOT NULL, expires REAL NOT NULL);"
  "CREATE TABLE tags(tag BLOB NOT NULL, key BLOB NOT NULL, PRIMARY KEY(tag, key)) WITHOUT ROWID;"
  "CREATE INDEX tags_by_key ON tags(key);"
  "CREATE TABLE totals(id INTEGER PRIMARY KEY CHECK (id = 1), entries INTEGER NOT NULL, bytes INTEGER NOT NULL);"
  "INSERT INTO totals VALUES (1, 0, 0);"
  "CREATE TRIGGER entries_added AFTER INSERT ON entries BEGIN"
  "  UPDATE totals SET entries = entries + 1, bytes = bytes + NEW.bytes WHERE id = 1; END;"
  "CREATE TRIGGER entries_removed AFTER DELETE ON entries BEGIN"
  "  UPDATE totals SET entries = entries - 1, bytes = bytes - OLD.bytes WHERE id = 1;"
  "  DELETE FROM tags WHERE key = OLD.key; END;";

struct tf_store {
  tf_mem mem;
  sqlite3 *db;
  sqlite3_stmt *q[Q_COUNT];
  sqlite3_stmt *pending; /* the statement whose row a get handed out */
  tf_store_limits limits;
  tf_store_stats counts;
  char *path;
  size_t path_size;
  char err[512];
};

double tf_store_wall_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int fail(tf_store *s, const char *what) {
  s->counts.errors++;
  snprintf(s->err, sizeof s->err, "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
  return sqlite3_errcode(s->db) == SQLITE_NOMEM ? TF_STORE_NOMEM : TF_STORE_ERROR;
}

/* Runs a prepared statement with no rows to the end. */
static int run(sqlite3_stmt *st) {
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

static void drop(tf_store *s) {
  int i;
  for (i = 0; i < Q_COUNT; i++) sqlite3_finalize(s->q[i]);
  sqlite3_close(s->db);
  tf_mem_free(&s->mem, s->path, s->path_size);
  {
    tf_mem m = s->mem;
    tf_mem_free(&m, s, sizeof *s);
  }
}

/* One integer from a PRAGMA or query: SQLITE_OK and *v, or the error code. */
static int query_int(sqlite3 *db, const char *sql, sqlite3_int64 *v) {
  sqlite3_stmt *st;
  int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
  if (rc != SQLITE_OK) return rc;
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    *v = sqlite3_column_int64(st, 0);
    rc = SQLITE_OK;
  } else if (rc == SQLITE_DONE) {
    *v = 0;
    rc = SQLITE_OK;
  }
  sqlite3_finalize(st);
  return rc;
}

/* WAL mode and, in a new file, the schema: an SQLite code. */
static int setup(tf_store *s, sqlite3_int64 version) {
  int rc;
  /* a new file: larger pages, so big values (snapshots) take short overflow
   * chains; only possible before the first write, and before WAL */
  if (version == 0) sqlite3_exec(s->db, "PRAGMA page_size=16384", NULL, NULL, NULL);
  rc = sqlite3_exec(s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA mmap_size=268435456", NULL, NULL, NULL);
  if (rc != SQLITE_OK || version != 0) return rc;
  /* another connection may be creating it too: re-check inside the transaction */
  rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
  if (rc != SQLITE_OK) return rc;
  rc = query_int(s->db, "PRAGMA user_version", &version);
  if (rc == SQLITE_OK && version == 0) {
    rc = sqlite3_exec(s->db, SCHEMA, NULL, NULL, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_exec(s->db, "PRAGMA user_version = 1", NULL, NULL, NULL);
  }
  if (rc == SQLITE_OK) rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
  if (rc != SQLITE_OK) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
  return rc;
}

/* Checks the file and creates the schema in a new one. */
static int prepare_file(tf_store *s, char *err, size_t errlen) {
  sqlite3_int64 version = 0, tables = 0;
  int rc, attempt;
  /* reading the header: a file that is not SQLite fails here, unwritten.
   * Both reads in one transaction: another connection setting the file up
   * between them would show tables without their version. */
  rc = sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL);
  if (rc == SQLITE_OK) rc = query_int(s->db, "PRAGMA user_version", &version);
  if (rc == SQLITE_OK) rc = query_int(s->db, "SELECT count(*) FROM sqlite_master", &tables);
  if (!sqlite3_get_autocommit(s->db)) sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
  if (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT) {
    snprintf(err, errlen, "%s: not a tokenflow store (%s); the file was left as it is", s->path, sqlite3_errstr(rc));
    return TF_STORE_ERROR;
  }
  if (rc == SQLITE_NOMEM) return TF_STORE_NOMEM;
  if (rc != SQLITE_OK) {
    snprintf(err, errlen, "%s: cannot read: %s", s->path, sqlite3_errmsg(s->db));
    return TF_STORE_ERROR;
  }
  if (version > TF_STORE_SCHEMA) {
    snprintf(err, errlen, "%s: store schema version %lld is newer than this tokenflow supports (%d); use a newer tokenflow or another file",
             s->path, (long long)version, TF_STORE_SCHEMA);
    return TF_STORE_ERROR;
  }
  if (version == 0 && tables > 0) {
    snprintf(err, errlen, "%s: not a tokenflow store (an SQLite database with other tables); the file was left as it is", s->path);
    return TF_STORE_ERROR;
  }
  /* Two connections setting up one new file at once can find each other's
   * lock where SQLite does not wait (a lock upgrade it refuses to avoid a
   * deadlock): such a step is tried again after a pause. */
  for (attempt = 0;; attempt++) {
    rc = setup(s, version);
    if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || attempt >= 500) break;
    sqlite3_sleep(10);
  }
  if (rc == SQLITE_OK) return TF_STORE_OK;
  if (rc == SQLITE_NOMEM) return TF_STORE_NOMEM;
  snprintf(err, errlen, "%s: cannot set up the store: %s", s->path, sqlite3_errmsg(s->db));
  return TF_STORE_ERROR;
}

int tf_store_open(tf_mem mem, const char *path, const tf_store_limits *limits, tf_store **out, char *err, size_t errlen) {
  tf_store *s;
  size_t n = strlen(path) + 1;
  int rc, i;
  *out = NULL;
  if (errlen > 0) err[0] = '\0';
  s = (tf_store *)tf_mem_alloc(&mem, sizeof *s);
  if (s == NULL) return TF_STORE_NOMEM;
  memset(s, 0, sizeof *s);
  s->mem = mem;
  s->path = (char *)tf_mem_alloc(&s->mem, n);
  if (s->path == NULL) {
    tf_mem_free(&mem, s, sizeof *s);
    return TF_STORE_NOMEM;
  }
  memcpy(s->path, path, n);
  s->path_size = n;
  if (limits) s->limits = *limits;
  rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK) {
    if (s->db == NULL || rc == SQLITE_NOMEM) {
      drop(s);
      return TF_STORE_NOMEM;
    }
    snprintf(err, errlen, "%s: cannot open: %s", path, sqlite3_errmsg(s->db));
    drop(s);
    return TF_STORE_ERROR;
  }
  sqlite3_extended_result_codes(s->db, 0);
  sqlite3_busy_timeout(s->db, 10000);
  rc = prepare_file(s, err, errlen);
  if (rc != TF_STORE_OK) {
    drop(s);
    return rc;
  }
  for (i = 0; i < Q_COUNT; i++) {
    rc = sqlite3_prepare_v3(s->db, SQL[i], -1, SQLITE_PREPARE_PERSISTENT, &s->q[i], NULL);
    if (rc != SQLITE_OK) {
      if (rc == SQLITE_NOMEM) {
        drop(s);
        return TF_STORE_NOMEM;
      }
      snprintf(err, errlen, "%s: not a tokenflow store (schema version 1 but %s)", path, sqlite3_errmsg(s->db));
      drop(s);
      return TF_STORE_ERROR;
    }
  }
  *out = s;
  return TF_STORE_OK;
}

void tf_store_close(tf_store *s) {
  if (s != NULL) drop(s);
}

void tf_store_release(tf_store *s) {
  if (s->pending) {
    sqlite3_reset(s->pending);
    s->pending = NULL;
  }
}

int tf_store_get(tf_store *s, const void *key, size_t klen, double now, const void **value, size_t *len) {
  sqlite3_stmt *st = s->q[Q_GET];
  int rc;
  tf_store_release(s);
  sqlite3_bind_blob(st, 1, key, (int)klen, SQLITE_STATIC);
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    double expires = sqlite3_column_double(st, 1);
    if (expires > 0 && expires <= now) {
      sqlite3_reset(st);
      s->counts.expired++;
      s->counts.misses++;
      rc = tf_store_delete(s, key, klen);
      return rc == TF_STORE_OK || rc == TF_STORE_MISS ? TF_STORE_MISS : rc;
    }
    *value = sqlite3_column_blob(st, 0);
    *len = (size_t)sqlite3_column_bytes(st, 0);
    if (*value == NULL && *len == 0) *value = "";
    if (*value == NULL) {
      sqlite3_reset(st);
      return fail(s, "cannot read an entry");
    }
    s->pending = st;
    s->counts.hits++;
    return TF_STORE_OK;
  }
  sqlite3_reset(st);
  if (rc == SQLITE_DONE) {
    s->counts.misses++;
    return TF_STORE_MISS;
  }
  return fail(s, "cannot read");
}

static int totals(tf_store *s, sqlite3_int64 *entries, sqlite3_int64 *bytes) {
  sqlite3_stmt *st = s->q[Q_TOTALS];
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    *entries = sqlite3_column_int64(st, 0);
    *bytes = sqlite3_column_int64(st, 1);
    rc = SQLITE_OK;
  }
  sqlite3_reset(st);
  return rc;
}

/* Oldest first until both caps hold. */
static int evict(tf_store *s) {
  for (;;) {
    sqlite3_int64 entries = 0, bytes = 0;
    int rc = totals(s, &entries, &bytes);
    if (rc != SQLITE_OK) return rc;
    if (!((s->limits.max_entries && (uint64_t)entries > s->limits.max_entries) ||
          (s->limits.max_bytes && (uint64_t)bytes > s->limits.max_bytes)))
      return SQLITE_OK;
    if (entries <= 0) return SQLITE_OK;
    rc = run(s->q[Q_EVICT]);
    if (rc != SQLITE_OK) return rc;
    s->counts.evicted++;
  }
}

static int begin(tf_store *s) {
  tf_store_release(s);
  return run(s->q[Q_BEGIN]);
}

static int end(tf_store *s, int rc, const char *what) {
  if (rc == SQLITE_OK) rc = run(s->q[Q_COMMIT]);
  if (rc != SQLITE_OK) {
    int r = fail(s, what);
    if (!sqlite3_get_autocommit(s->db)) run(s->q[Q_ROLLBACK]);
    return r;
  }
  return TF_STORE_OK;
}

int tf_store_put(tf_store *s, const void *key, size_t klen, const void *value, size_t vlen, double expires,
                 const char *const *tags, const size_t *taglens, size_t ntags) {
  int rc;
  size_t i;
  if (klen > 0x7fffffff || vlen > 0x7fffffff - klen) {
    snprintf(s->err, sizeof s->err, "%s: entry too large (%lu bytes)", s->path, (unsigned long)(klen + vlen));
    return TF_STORE_ERROR;
  }
  rc = begin(s);
  if (rc != SQLITE_OK) return end(s, rc, "cannot write");
  sqlite3_bind_blob(s->q[Q_DELETE], 1, key, (int)klen, SQLITE_STATIC);
  rc = run(s->q[Q_DELETE]);
  if (rc == SQLITE_OK && s->limits.max_bytes && (uint64_t)(klen + vlen) > s->limits.max_bytes) {
    /* larger than the whole store may be: not kept */
    rc = end(s, rc, "cannot write");
    return rc == TF_STORE_OK ? TF_STORE_MISS : rc;
  }
  if (rc == SQLITE_OK) {
    sqlite3_stmt *st = s->q[Q_INSERT];
    sqlite3_bind_blob(st, 1, key, (int)klen, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, vlen ? value : "", (int)vlen, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)(klen + vlen));
    sqlite3_bind_double(st, 4, expires > 0 ? expires : 0.0);
    rc = run(st);
  }
  for (i = 0; rc == SQLITE_OK && i < ntags; i++) {
    sqlite3_stmt *st = s->q[Q_TAG];
    sqlite3_bind_blob(st, 1, tags[i], (int)taglens[i], SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, key, (int)klen, SQLITE_STATIC);
    rc = run(st);
  }
  if (rc == SQLITE_OK) rc = evict(s);
  rc = end(s, rc, "cannot write");
  if (rc == TF_STORE_OK) s->counts.writes++;
  return rc;
}



/* Runs st in a transaction; *n the rows it deleted (the triggers' own not counted). */
static int delete_many(tf_store *s, sqlite3_stmt *st, uint64_t *n, const char *what) {
  int rc = begin(s);
  *n = 0;
  if (rc == SQLITE_OK) {
    rc = run(st);
    if (rc == SQLITE_OK) *n = (uint64_t)sqlite3_changes(s->db);
  }
  return end(s, rc, what);
}

int tf_store_delete(tf_store *s, const void *key, size_t klen) {
  uint64_t n = 0;
  int rc;
  sqlite3_bind_blob(s->q[Q_DELETE], 1, key, (int)klen, SQLITE_STATIC);
  rc = delete_many(s, s->q[Q_DELETE], &n, "cannot delete");
  if (rc != TF_STORE_OK) return rc;
  return n > 0 ? TF_STORE_OK : TF_STORE_MISS;
}

int tf_store_invalidate(tf_store *s, const char *tag, size_t taglen, uint64_t *n) {
  sqlite3_bind_blob(s->q[Q_INVALIDATE], 1, tag, (int)taglen, SQLITE_STATIC);
  return delete_many(s, s->q[Q_INVALIDATE], n, "cannot invalidate");
}

int tf_store_clear(tf_store *s, const void *prefix, size_t plen, uint64_t *n) {
  if (plen == 0) return delete_many(s, s->q[Q_CLEAR_ALL], n, "cannot clear");
  sqlite3_bind_blob(s->q[Q_CLEAR_PREFIX], 1, prefix, (int)plen, SQLITE_STATIC);
  sqlite3_bind_int64(s->q[Q_CLEAR_PREFIX], 2, (sqlite3_int64)plen);
  return delete_many(s, s->q[Q_CLEAR_PREFIX], n, "cannot clear");
}

int tf_store_vacuum(tf_store *s, double now, uint64_t *n) {
  int rc;
  sqlite3_bind_double(s->q[Q_EXPIRE], 1, now);
  rc = delete_many(s, s->q[Q_EXPIRE], n, "cannot drop expired entries");
  if (rc != TF_STORE_OK) return rc;
  s->counts.expired += *n;
  if (sqlite3_exec(s->db, "VACUUM", NULL, NULL, NULL) != SQLITE_OK) return fail(s, "cannot vacuum");
  if (sqlite3_exec(s->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL) != SQLITE_OK) return fail(s, "cannot checkpoint");
  return TF_STORE_OK;
}

int tf_store_get_stats(tf_store *s, tf_store_stats *out) {
  sqlite3_int64 entries = 0, bytes = 0, pages = 0, page_size = 0;
  int rc;
  tf_store_release(s);
  rc = totals(s, &entries, &bytes);
  if (rc == SQLITE_OK) rc = query_int(s->db, "PRAGMA page_count", &pages);
  if (rc == SQLITE_OK) rc = query_int(s->db, "PRAGMA page_size", &page_size);
  if (rc != SQLITE_OK) return fail(s, "cannot read the totals");
  *out = s->counts;
  out->entries = (uint64_t)entries;
  out->bytes = (uint64_t)bytes;
  out->file_bytes = (uint64_t)(pages * page_size);
  return TF_STORE_OK;
}

const tf_store_limits *tf_store_get_limits(const tf_store *s) { return &s->limits; }
const char *tf_store_path(const tf_store *s) { return s->path; }
const char *tf_store_errmsg(const tf_store *s) { return s->err; }
size_t tf_store_held_bytes(const tf_store *s) { return s->mem.bytes; }

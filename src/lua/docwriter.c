/* tokenflow.DocumentWriter: a document with its patches written out in
 * steps, atomically to a file (a temporary file beside the target, renamed
 * over it on commit) or into memory.
 *
 * A large file is written in two halves side by side: the first by the
 * steps, the second by a thread into a second temporary file, appended to
 * the first at the end. The thread only reads the document (its text, its
 * index and its patches: they cannot change meanwhile, see
 * tf_lua_doc_check_unchanging) and allocates only in a block of its own
 * taken beforehand (the host's allocator may not be thread-safe); when the
 * block is too small, or no thread can be made, the steps write the second
 * half themselves. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "tf_arena.h"
#include "tf_doc_emit.h"
#include "tf_lua_doc.h"

#if !defined(__EMSCRIPTEN__) && (defined(__unix__) || defined(__APPLE__))
#include <pthread.h>
#define WRITER_THREADS 1
#endif

/* Files from this size up are written in two halves. */
#define SPLIT_MIN_BYTES (16u << 20)
/* The second half's writer works in a block of this size. */
#define SPLIT_BLOCK (12u << 20)
/* The thread writes this much between two looks at whether to stop. */
#define SPLIT_STEP (4u << 20)
/* A step waits at most this long (ms) for the second half, then returns. */
#define SPLIT_WAIT_MS 10

typedef struct half_writer half_writer;

typedef struct writer_box {
  tf_file_out file;
  tf_doc_out out;
  int state;          /* 0 closed, 1 writing a file, 2 into memory */
  tf_buf text;        /* state 2 */
  tf_doc_box *doc;    /* (kept alive by the writer: its user value) */
  half_writer *half;  /* the second half, written beside the steps (NULL: none) */
  int rest;           /* the steps write the second half (after the first) */
  uint32_t rest_from; /* ... from this node */
  int finished;       /* everything is in the file (or the text) */
} writer_box;

static int to_file(void *ud, const void *p, size_t n) { return tf_file_write((tf_file_out *)ud, p, n); }
static int to_text(void *ud, const void *p, size_t n) { return tf_buf_put((tf_buf *)ud, p, n); }

/* ---- the second half ---- */

#ifdef WRITER_THREADS
struct half_writer {
  tf_doc_out out;
  tf_file_out file; /* its own temporary file */
  tf_arena arena;
  tf_mem mem;       /* from the arena */
  tf_mem host;      /* where the block and this struct come from */
  void *block;
  uint32_t first;   /* the node it starts at */
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t cond;
  int running;      /* started and not joined */
  /* under lock */
  int done, stop, status;
  uint64_t progress; /* bytes written */
};

static void *half_main(void *arg) {
  half_writer *h = (half_writer *)arg;
  int st, stop;
  do {
    st = tf_doc_out_step(&h->out, SPLIT_STEP);
    pthread_mutex_lock(&h->lock);
    h->progress = h->out.written;
    stop = h->stop;
    pthread_mutex_unlock(&h->lock);
  } while (st == TF_DOC_MORE && !stop);
  pthread_mutex_lock(&h->lock);
  h->status = st == TF_DOC_MORE ? TF_DOC_ERROR : st; /* stopped: never used */
  h->done = 1;
  pthread_cond_signal(&h->cond);
  pthread_mutex_unlock(&h->lock);
  return NULL;
}

/* Stops and joins the thread (when running). */
static void half_join(half_writer *h, int stop) {
  if (!h->running) return;
  if (stop) {
    pthread_mutex_lock(&h->lock);
    h->stop = 1;
    pthread_mutex_unlock(&h->lock);
  }
  pthread_join(h->thread, NULL);
  h->running = 0;
}

static void half_free(writer_box *w) {
  half_writer *h = w->half;
  tf_mem host;
  if (h == NULL) return;
  half_join(h, 1);
  w->half = NULL;
  if (w->doc->writing == w) w->doc->writing = NULL;
  tf_doc_out_free(&h->out);
  tf_file_abort(&h->file);
  pthread_mutex_destroy(&h->lock);
  pthread_cond_destroy(&h->cond);
  host = h->host;
  tf_mem_free(&host, h->block, SPLIT_BLOCK);
  tf_mem_free(&host, h, sizeof *h);
}

/* The first node that starts in the second half of the text, or 0. */
static uint32_t middle_node(const tf_doc *d) {
  uint32_t lo = 0, hi = d->count;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (d->nodes[mid].start < d->len / 2) lo = mid + 1;
    else hi = mid;
  }
  return lo < d->count ? lo : 0;
}

/* Starts the second half of w's file on a thread when the document is
 * large enough; w->out then writes the first half. Nothing changes when
 * it cannot (memory, a second temporary file, a thread). */
static void half_start(lua_State *L, writer_box *w, const char *path) {
  tf_doc *d = &w->doc->doc;
  tf_mem host = tf_lua_mem(L);
  half_writer *h;
  uint32_t k;
  if (d->len < SPLIT_MIN_BYTES || w->doc->writing != NULL) return;
  k = middle_node(d);
  if (k == 0) return;
  h = (half_writer *)tf_mem_alloc(&host, sizeof *h);
  if (h == NULL) return;
  memset(h, 0, sizeof *h);
  h->host = host;
  h->first = k;
  h->block = tf_mem_alloc(&h->host, SPLIT_BLOCK);
  if (h->block == NULL) {
    tf_mem_free(&host, h, sizeof *h);
    return;
  }
  tf_arena_init(&h->arena, h->block, SPLIT_BLOCK);
  h->mem = tf_arena_mem(&h->arena);
  if (pthread_mutex_init(&h->lock, NULL) != 0) {
    tf_mem_free(&host, h->block, SPLIT_BLOCK);
    tf_mem_free(&host, h, sizeof *h);
    return;
  }
  if (pthread_cond_init(&h->cond, NULL) != 0) {
    pthread_mutex_destroy(&h->lock);
    tf_mem_free(&host, h->block, SPLIT_BLOCK);
    tf_mem_free(&host, h, sizeof *h);
    return;
  }
  w->half = h;
  tf_doc_out_init_in(&h->out, d, &h->mem, to_file, &h->file);
  h->out.gen_limit = SPLIT_BLOCK / 6; /* room for the memo's texts growing by doubling */
  if (tf_file_begin(&h->file, host, path, NULL) != 0 || tf_doc_out_part(&h->out, k, d->count) != 0 ||
      tf_doc_out_part(&w->out, 0, k) != 0) {
    half_free(w);
    tf_doc_out_free(&w->out); /* back to writing the whole document */
    tf_doc_out_init(&w->out, d, to_file, &w->file);
    return;
  }
  w->doc->writing = w; /* from here on the patches must not change */
  if (pthread_create(&h->thread, NULL, half_main, h) != 0) {
    half_free(w);
    tf_doc_out_free(&w->out);
    tf_doc_out_init(&w->out, d, to_file, &w->file);
    return;
  }
  h->running = 1;
}

/* Bytes of the second half written so far. */
static uint64_t half_progress(half_writer *h) {
  uint64_t n;
  pthread_mutex_lock(&h->lock);
  n = h->progress;
  pthread_mutex_unlock(&h->lock);
  return n;
}

/* After the first half: 1 when the second is done (joined; *status its
 * result), 0 when it is still being written (waited a little). */
static int half_wait(half_writer *h, int *status) {
  int done;
  pthread_mutex_lock(&h->lock);
  if (!h->done) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += SPLIT_WAIT_MS * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
      until.tv_sec++;
      until.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&h->cond, &h->lock, &until);
  }
  done = h->done;
  *status = h->status;
  pthread_mutex_unlock(&h->lock);
  if (done) half_join(h, 0);
  return done;
}
#else
struct half_writer {
  int unused;
};
static void half_free(writer_box *w) { (void)w; }
static void half_start(lua_State *L, writer_box *w, const char *path) {
  (void)L;
  (void)w;
  (void)path;
}
#endif

void tf_lua_doc_stop_writing(tf_doc_box *b) {
  if (b->writing != NULL) half_free((writer_box *)b->writing);
}

/* ---- the writer ---- */

static void writer_release(writer_box *w) {
  if (w->state == 0) return;
  half_free(w);
  tf_doc_out_free(&w->out);
  if (w->state == 1) tf_file_abort(&w->file);
  else tf_buf_free(&w->text);
  w->state = 0;
}

/** doc:writer([path]) -> a writer of the document with its patches, to a
 * temporary file beside path (renamed over it on commit), or into memory
 * without a path; nil, message when the temporary file cannot be made. */
int tf_lua_doc_writer(lua_State *L) {
  tf_doc_box *b = tf_lua_doc_check(L, 1);
  const char *path = luaL_optstring(L, 2, NULL);
  writer_box *w = (writer_box *)lua_newuserdatauv(L, sizeof *w, 1);
  memset(w, 0, sizeof *w);
  luaL_setmetatable(L, TF_DOC_WRITER);
  lua_pushvalue(L, 1);
  lua_setiuservalue(L, -2, 1);
  w->doc = b;
  if (path != NULL) {
    luaL_argcheck(L, strlen(path) == lua_rawlen(L, 2), 2, "a path cannot hold a zero byte");
    if (tf_file_begin(&w->file, tf_lua_mem(L), path, NULL) != 0) {
      int e = w->file.err;
      if (e == ENOMEM) tf_lua_oom(L);
      lua_pushnil(L);
      lua_pushfstring(L, "cannot write %s: %s (making a temporary file in its directory)", path, strerror(e));
      return 2;
    }
    w->state = 1;
    tf_doc_out_init(&w->out, &b->doc, to_file, &w->file);
    half_start(L, w, path);
  } else {
    tf_buf_init(&w->text, tf_lua_mem(L));
    w->state = 2;
    tf_doc_out_init(&w->out, &b->doc, to_text, &w->text);
  }
  return 1;
}

static writer_box *check_writer(lua_State *L) {
  writer_box *w = (writer_box *)tf_lua_self(L, 1, TF_DOC_WRITER);
  if (w->state == 0) tf_lua_closed_error(L, TF_DOC_WRITER);
  return w;
}

/* nil, message for a failed write of f (w's file or its second half's). */
static int write_failed(lua_State *L, writer_box *w, const tf_file_out *f) {
  int e = f->err ? f->err : EIO;
  const char *what = f->failed ? f->failed : "write";
  lua_pushnil(L);
  if (w->state == 1 && w->file.target) {
    lua_pushfstring(L, "cannot write %s: %s failed: %s (the file is unchanged)", w->file.target, what, strerror(e));
  } else {
    lua_pushfstring(L, "cannot write the document: %s failed: %s", what, strerror(e));
  }
  writer_release(w);
  return 2;
}

/* Bytes out so far. */
static lua_Integer written(writer_box *w) {
  uint64_t n = w->state == 1 ? w->file.written : w->out.written;
  if (w->out.state == TF_DOC_MORE) n += w->out.buf.len;
#ifdef WRITER_THREADS
  if (w->half) n += half_progress(w->half);
#endif
  return (lua_Integer)n;
}

/* After the steps' part: the second half, joined and appended, or written
 * by the steps when its thread could not. TF_DOC_MORE (not yet), TF_DOC_OK,
 * or a failure (nil, message pushed: *pushed 2). */
static int second_half(lua_State *L, writer_box *w, int *pushed) {
#ifdef WRITER_THREADS
  half_writer *h = w->half;
  int status;
  *pushed = 0;
  if (!half_wait(h, &status)) return TF_DOC_MORE;
  if (status == TF_DOC_OK) {
    if (tf_file_append(&w->file, &h->file) != 0) {
      *pushed = write_failed(L, w, &w->file);
      return TF_DOC_ERROR;
    }
    half_free(w);
    return TF_DOC_OK;
  }
  if (status == TF_DOC_ERROR) {
    *pushed = write_failed(L, w, &h->file);
    return TF_DOC_ERROR;
  }
  /* its block was too small: the steps write it, after the first half */
  w->rest = 1;
  w->rest_from = h->first;
  half_free(w);
  tf_doc_out_free(&w->out);
  tf_doc_out_init(&w->out, &w->doc->doc, to_file, &w->file);
  if (tf_doc_out_part(&w->out, w->rest_from, w->doc->doc.count) != 0) {
    writer_release(w);
    tf_lua_oom(L);
  }
  return TF_DOC_MORE;
#else
  (void)L;
  (void)w;
  *pushed = 0;
  return TF_DOC_OK;
#endif
}

/** w:step([budget]) -> "more", bytes written | "done", bytes | nil, message. */
static int w_step(lua_State *L) {
  writer_box *w = check_writer(L);
  lua_Integer budget = luaL_optinteger(L, 2, 8 << 20);
  int st;
  lua_getiuservalue(L, 1, 1);
  tf_lua_doc_check(L, -1); /* the document must still be open */
  lua_pop(L, 1);
  if (!w->finished) {
    st = w->out.state == TF_DOC_MORE ? tf_doc_out_step(&w->out, budget > 0 ? (size_t)budget : 1) : w->out.state;
    if (st == TF_DOC_OK && w->half != NULL) {
      int pushed;
      st = second_half(L, w, &pushed);
      if (pushed) return pushed;
    }
    switch (st) {
      case TF_DOC_MORE:
        lua_pushliteral(L, "more");
        lua_pushinteger(L, written(w));
        return 2;
      case TF_DOC_OK:
        w->finished = 1;
        break;
      case TF_DOC_NOMEM:
        writer_release(w);
        return tf_lua_oom(L);
      default:
        return write_failed(L, w, &w->file);
    }
  }
  lua_pushliteral(L, "done");
  lua_pushinteger(L, written(w));
  return 2;
}

/** w:commit() -> true (the file is in place), or nil, message (the target
 * is unchanged). Without a path: the text written. */
static int w_commit(lua_State *L) {
  writer_box *w = check_writer(L);
  if (!w->finished) luaL_error(L, "tokenflow.DocumentWriter: commit before the last step is done");
  if (w->state == 2) {
    lua_pushlstring(L, (const char *)w->text.data, w->text.len);
    writer_release(w);
    return 1;
  }
  if (tf_file_commit(&w->file) != 0) return write_failed(L, w, &w->file);
  writer_release(w);
  lua_pushboolean(L, 1);
  return 1;
}

/** w:abort(): removes the temporary file; the target is unchanged. */
static int w_abort(lua_State *L) {
  writer_release((writer_box *)tf_lua_self(L, 1, TF_DOC_WRITER));
  return 0;
}

static int w_tostring(lua_State *L) {
  writer_box *w = (writer_box *)tf_lua_self(L, 1, TF_DOC_WRITER);
  if (w->state == 0) lua_pushliteral(L, TF_DOC_WRITER " (closed)");
  else lua_pushfstring(L, TF_DOC_WRITER " (%I bytes written)", written(w));
  return 1;
}

void tf_lua_doc_open_writer(lua_State *L) {
  static const luaL_Reg wmeta[] = {{"__gc", w_abort}, {"__close", w_abort}, {"__tostring", w_tostring}, {NULL, NULL}};
  static const luaL_Reg wmethods[] = {{"step", w_step}, {"commit", w_commit}, {"abort", w_abort}, {NULL, NULL}};
  tf_lua_newclass(L, TF_DOC_WRITER, wmeta, wmethods);
}

/* tokenflow.DocumentWriter: a document with its patches written out in
 * steps, atomically to a file (a temporary file beside the target, renamed
 * over it on commit) or into memory.
 *
 * A writer to a file can follow an update over the document (w:follow):
 * a thread writes the nodes the update is done with (w:advance(n): the
 * first n, in document order) while the update patches the next ones, so
 * writing costs next to nothing after the update. The thread reads the
 * document, its committed patches and the file's bytes, never changes
 * them; the update holds it still while the patches' arrays grow
 * (d->grow_lock), and writes to nodes it has handed over are refused. The
 * thread allocates only in a block of its own taken beforehand (the host's
 * allocator need not be thread-safe); when the block is too small, the
 * steps write the file again after the update. Without threads (the
 * WebAssembly build), w:follow() says so and the steps write. */
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

/* The following thread's block, and how much of the text memo it keeps. */
#define FOLLOW_BLOCK (16u << 20)
#define FOLLOW_GEN (2u << 20)
/* Output bytes the thread writes between two looks at its orders. */
#define FOLLOW_STEP (1u << 20)
/* A step waits at most this long (ms) for the thread, then returns. */
#define FOLLOW_WAIT_MS 10

typedef struct follower follower;

typedef struct writer_box {
  tf_file_out file;
  tf_doc_out out;
  int state;       /* 0 closed, 1 writing a file, 2 into memory */
  tf_buf text;     /* state 2 */
  tf_doc_box *doc; /* (kept alive by the writer: its user value) */
  follower *f;     /* the thread following an update (NULL: none) */
  int finished;    /* everything is written */
} writer_box;

static int to_file(void *ud, const void *p, size_t n) { return tf_file_write((tf_file_out *)ud, p, n); }
static int to_text(void *ud, const void *p, size_t n) { return tf_buf_put((tf_buf *)ud, p, n); }

/* ---- the following thread ---- */

#ifdef WRITER_THREADS
struct follower {
  tf_doc_out out;   /* its own writer, into the writer's file */
  tf_arena arena;
  tf_mem mem;       /* from the arena */
  tf_mem host;      /* where the block and this struct come from */
  void *block;
  size_t block_size;
  pthread_t thread;
  int running;      /* started and not joined */
  pthread_mutex_t lock;  /* the fields below */
  pthread_cond_t wake;   /* for the thread: new orders */
  pthread_cond_t event;  /* for the others: a grow may go on; the thread is done */
  uint32_t handed;  /* the update is done with the nodes before this one */
  int finish, stop; /* write to the end; stop now */
  int growing;      /* the update waits to grow the patches' arrays */
  int busy;         /* the thread is in a step (reading the patches) */
  int done, status; /* the thread's end and its result (TF_DOC_*) */
  uint64_t progress; /* bytes written */
};

/* d->grow_lock: the update's side. The arrays move only while the thread
 * is between steps, and it takes no new step until they have. */
static void follower_grow(void *ud, int on) {
  follower *f = (follower *)ud;
  pthread_mutex_lock(&f->lock);
  if (on) {
    f->growing++;
    while (f->busy) pthread_cond_wait(&f->event, &f->lock);
  } else {
    f->growing--;
    pthread_cond_broadcast(&f->wake);
  }
  pthread_mutex_unlock(&f->lock);
}

static void *follower_main(void *arg) {
  follower *f = (follower *)arg;
  tf_doc_out *o = &f->out;
  int st = TF_DOC_MORE, stop = 0;
  while (st == TF_DOC_MORE && !stop) {
    pthread_mutex_lock(&f->lock);
    /* the next step: nodes handed over and not yet written, no grow waiting */
    while (!f->stop && (f->growing || (o->waiting && !f->finish && f->handed == o->upto)))
      pthread_cond_wait(&f->wake, &f->lock);
    stop = f->stop;
    o->upto = f->finish ? UINT32_MAX : f->handed;
    f->busy = !stop;
    pthread_mutex_unlock(&f->lock);
    if (stop) break;
    st = tf_doc_out_step(o, FOLLOW_STEP);
    pthread_mutex_lock(&f->lock);
    f->busy = 0;
    f->progress = o->written;
    stop = f->stop;
    pthread_cond_broadcast(&f->event);
    pthread_mutex_unlock(&f->lock);
  }
  pthread_mutex_lock(&f->lock);
  f->status = stop ? TF_DOC_ERROR : st;
  f->done = 1;
  pthread_cond_broadcast(&f->event);
  pthread_mutex_unlock(&f->lock);
  return NULL;
}

/* Stops the thread (when running), joins it and frees the follower. */
static void follower_free(writer_box *w) {
  follower *f = w->f;
  tf_mem host;
  if (f == NULL) return;
  if (f->running) {
    pthread_mutex_lock(&f->lock);
    f->stop = 1;
    pthread_cond_broadcast(&f->wake);
    pthread_mutex_unlock(&f->lock);
    pthread_join(f->thread, NULL);
  }
  w->f = NULL;
  if (w->doc->writing == w) {
    w->doc->writing = NULL;
    w->doc->doc.grow_lock = NULL;
    w->doc->doc.grow_ud = NULL;
  }
  tf_doc_out_free(&f->out);
  pthread_cond_destroy(&f->event);
  pthread_cond_destroy(&f->wake);
  pthread_mutex_destroy(&f->lock);
  host = f->host;
  tf_mem_free(&host, f->block, f->block_size);
  tf_mem_free(&host, f, sizeof *f);
}

/* Starts the thread with a block of `block` bytes: 1, or 0 when it
 * cannot (nothing changed). */
static int follower_start(lua_State *L, writer_box *w, size_t block) {
  tf_doc *d = &w->doc->doc;
  tf_mem host = tf_lua_mem(L);
  follower *f;
  if (w->doc->writing != NULL || tf_doc_ensure_heads(d) != 0) return 0;
  f = (follower *)tf_mem_alloc(&host, sizeof *f);
  if (f == NULL) return 0;
  memset(f, 0, sizeof *f);
  f->host = host;
  f->block_size = block;
  f->block = tf_mem_alloc(&f->host, block);
  if (f->block == NULL || pthread_mutex_init(&f->lock, NULL) != 0) {
    tf_mem_free(&host, f->block, block);
    tf_mem_free(&host, f, sizeof *f);
    return 0;
  }
  if (pthread_cond_init(&f->wake, NULL) != 0 || pthread_cond_init(&f->event, NULL) != 0) {
    pthread_mutex_destroy(&f->lock);
    tf_mem_free(&host, f->block, block);
    tf_mem_free(&host, f, sizeof *f);
    return 0;
  }
  tf_arena_init(&f->arena, f->block, block);
  f->mem = tf_arena_mem(&f->arena);
  tf_doc_out_init_in(&f->out, d, &f->mem, to_file, &w->file);
  f->out.gen_limit = FOLLOW_GEN;
  f->out.upto = 0;
  f->out.waiting = 1; /* nothing handed over yet */
  w->f = f;
  /* from here on the update announces its grows and the writer holds still */
  w->doc->writing = w;
  d->grow_ud = f;
  d->grow_lock = follower_grow;
  if (pthread_create(&f->thread, NULL, follower_main, f) != 0) {
    follower_free(w);
    return 0;
  }
  f->running = 1;
  return 1;
}

/* The thread's end: 1 and *status when it is done (joined), 0 after
 * waiting a little. */
static int follower_wait(follower *f, int *status) {
  int done;
  pthread_mutex_lock(&f->lock);
  if (!f->finish) {
    f->finish = 1;
    pthread_cond_broadcast(&f->wake);
  }
  if (!f->done) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += FOLLOW_WAIT_MS * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
      until.tv_sec++;
      until.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&f->event, &f->lock, &until);
  }
  done = f->done;
  *status = f->status;
  pthread_mutex_unlock(&f->lock);
  if (done && f->running) {
    pthread_join(f->thread, NULL);
    f->running = 0;
  }
  return done;
}

static uint64_t follower_progress(follower *f) {
  uint64_t n;
  pthread_mutex_lock(&f->lock);
  n = f->progress;
  pthread_mutex_unlock(&f->lock);
  return n;
}

static void follower_hand(follower *f, uint32_t n) {
  pthread_mutex_lock(&f->lock);
  if (n > f->handed) {
    f->handed = n;
    pthread_cond_broadcast(&f->wake);
  }
  pthread_mutex_unlock(&f->lock);
}
#else
struct follower {
  int unused;
};
static void follower_free(writer_box *w) { (void)w; }
static int follower_start(lua_State *L, writer_box *w, size_t block) {
  (void)L;
  (void)w;
  (void)block;
  return 0;
}
#endif

void tf_lua_doc_stop_writing(tf_doc_box *b) {
  if (b->writing != NULL) follower_free((writer_box *)b->writing);
}

uint32_t tf_lua_doc_handed(const tf_doc_box *b) {
#ifdef WRITER_THREADS
  if (b->writing != NULL && ((writer_box *)b->writing)->f != NULL) return ((writer_box *)b->writing)->f->handed;
#else
  (void)b;
#endif
  return 0;
}

/* ---- the writer ---- */

static void writer_release(writer_box *w) {
  if (w->state == 0) return;
  follower_free(w);
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

static int write_failed(lua_State *L, writer_box *w) {
  int e = w->file.err ? w->file.err : EIO;
  const char *what = w->file.failed ? w->file.failed : "write";
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
#ifdef WRITER_THREADS
  if (w->f != NULL) return (lua_Integer)follower_progress(w->f);
#endif
  return (lua_Integer)(w->out.written + (w->finished ? 0 : w->out.buf.len));
}

/** w:follow([block]) -> true when a thread now follows an update over the
 * document (see w:advance), false when it cannot (no threads, memory, a
 * writer already following; the steps then write everything). A writer to
 * a file, before its first step. block: the bytes the thread may allocate
 * (default 16 MB; beyond them the steps write the file again after the
 * update). */
static int w_follow(lua_State *L) {
  writer_box *w = check_writer(L);
  lua_Integer block = luaL_optinteger(L, 2, FOLLOW_BLOCK);
  if (w->state != 1 || w->out.written != 0 || w->out.cursor != 0 || w->f != NULL)
    luaL_error(L, "tokenflow.DocumentWriter: follow is for a writer to a file, before its first step");
  luaL_argcheck(L, block > 0 && block <= ((lua_Integer)1 << 40), 2, "a positive size");
  lua_pushboolean(L, follower_start(L, w, (size_t)block));
  return 1;
}

/** w:advance(n): the update is done with the document's first n nodes (in
 * document order): the thread may write them, and they take no more
 * patches. */
static int w_advance(lua_State *L) {
  writer_box *w = check_writer(L);
  lua_Integer n = luaL_checkinteger(L, 2);
  (void)w;
  (void)n;
#ifdef WRITER_THREADS
  if (w->f != NULL) {
    uint32_t count = w->doc->doc.count;
    follower_hand(w->f, n < 0 ? 0 : n > (lua_Integer)count ? count : (uint32_t)n);
  }
#endif
  return 0;
}

/* A following writer's step: waits a little for its thread; when the
 * thread could not finish in its block, the steps write it all again. */
static int follow_step(lua_State *L, writer_box *w) {
#ifdef WRITER_THREADS
  int status;
  if (!follower_wait(w->f, &status)) return TF_DOC_MORE;
  if (status != TF_DOC_NOMEM) {
    /* its writer wrote into the file: what it holds is the result */
    w->out.written = w->f->out.written;
    follower_free(w);
    return status;
  }
  /* again, from the start, in a new temporary file */
  {
    char *target = w->file.target;
    tf_file_out again;
    follower_free(w);
    if (tf_file_begin(&again, tf_lua_mem(L), target, NULL) != 0) {
      tf_file_abort(&w->file);
      w->file = again;
      return TF_DOC_ERROR;
    }
    tf_file_abort(&w->file);
    w->file = again;
    tf_doc_out_free(&w->out);
    tf_doc_out_init(&w->out, &w->doc->doc, to_file, &w->file);
    return TF_DOC_MORE;
  }
#else
  (void)L;
  (void)w;
  return TF_DOC_ERROR;
#endif
}

/** w:step([budget]) -> "more", bytes written | "done", bytes | nil, message.
 * A following writer's step finishes what its thread writes (waiting a
 * little each time). */
static int w_step(lua_State *L) {
  writer_box *w = check_writer(L);
  lua_Integer budget = luaL_optinteger(L, 2, 8 << 20);
  int st;
  lua_getiuservalue(L, 1, 1);
  tf_lua_doc_check(L, -1); /* the document must still be open */
  lua_pop(L, 1);
  if (w->finished) {
    st = TF_DOC_OK;
  } else if (w->f != NULL) {
    st = follow_step(L, w);
  } else {
    st = tf_doc_out_step(&w->out, budget > 0 ? (size_t)budget : 1);
  }
  switch (st) {
    case TF_DOC_MORE:
      lua_pushliteral(L, "more");
      lua_pushinteger(L, written(w));
      return 2;
    case TF_DOC_OK:
      w->finished = 1;
      lua_pushliteral(L, "done");
      lua_pushinteger(L, written(w));
      return 2;
    case TF_DOC_NOMEM:
      writer_release(w);
      return tf_lua_oom(L);
    default:
      if (w->state == 2) { /* into memory: only its buffer can fail to grow */
        writer_release(w);
        return tf_lua_oom(L);
      }
      return write_failed(L, w);
  }
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
  if (tf_file_commit(&w->file) != 0) return write_failed(L, w);
  writer_release(w);
  lua_pushboolean(L, 1);
  return 1;
}

/** w:take() -> the text written into memory so far, which the writer then
 * forgets, and how far into the document's own bytes the writing has got:
 * for handing the text on in pieces (a writer without a path only). */
static int w_take(lua_State *L) {
  writer_box *w = check_writer(L);
  if (w->state != 2) luaL_error(L, "tokenflow.DocumentWriter: take is for a writer into memory (no path)");
  lua_pushlstring(L, (const char *)w->text.data, w->text.len);
  w->text.len = 0;
  lua_pushinteger(L, (lua_Integer)w->out.cursor);
  return 2;
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
  static const luaL_Reg meta[] = {{"__gc", w_abort}, {"__close", w_abort}, {"__tostring", w_tostring}, {NULL, NULL}};
  static const luaL_Reg methods[] = {{"step", w_step},       {"commit", w_commit}, {"take", w_take},
                                     {"follow", w_follow},   {"advance", w_advance}, {"abort", w_abort},
                                     {NULL, NULL}};
  tf_lua_newclass(L, TF_DOC_WRITER, meta, methods);
}

/* tokenflow.Pool and tokenflow.Task: tf.pool{concurrency =, capacity =},
 * a bounded pool of coroutine tasks.
 *
 * A task runs in a worker coroutine; workers are created on demand up to
 * `concurrency` and reused from task to task (a worker whose function
 * returned, or that was reset after an error, takes the next task's function
 * on its empty stack). When a task yields it is parked: it keeps its worker,
 * its yielded values go to on_park / task:yielded(), and pool:wake(task, ...)
 * queues it to be resumed with those values. A parked task still counts
 * toward `concurrency` (it holds a coroutine), and every task still in the
 * pool toward `capacity`.
 *
 * The C core (tf_pool.c) keeps the slots, priority lanes, retry delays and
 * timeout deadlines by slot number; the Lua objects live in the pool's user
 * values (slots[slot] = task, a stack of idle workers) and in each task's own
 * user values (function, args, worker, results). Nothing Lua is held by a C
 * pointer. */
#include <math.h>
#include <string.h>

#include "tf_clock.h"
#include "tf_lua.h"
#include "tf_pool.h"

#if LUA_VERSION_RELEASE_NUM >= 50406
#define close_thread(co, from) lua_closethread(co, from)
#else
#define close_thread(co, from) ((void)(from), lua_resetthread(co))
#endif

#define POOL_SLOTS 1   /* slots[slot] = task, while the task is in the pool */
#define POOL_IDLE 2    /* stack of idle worker threads */
#define POOL_ON_PARK 3 /* default on_park(task, ...) */
#define POOL_NUV 3

#define TASK_FN 1      /* the function, until the task ends */
#define TASK_ARGS 2    /* opts.args, until the task ends */
#define TASK_POOL 3    /* the pool */
#define TASK_WORKER 4  /* the worker thread while running or parked */
#define TASK_RESULT 5  /* one result, or {n =, ...} for several; the error value when failed */
#define TASK_EXTRA 6   /* traceback when failed; {n =, ...} yielded values when parked */
#define TASK_ON_PARK 7 /* opts.on_park */
#define TASK_WAKE 8    /* {n =, ...} values given to wake, until resumed */
#define TASK_NUV 8

enum { ST_QUEUED, ST_RUNNING, ST_PARKED, ST_DONE, ST_FAILED, ST_CANCELLED, ST_TIMEOUT };
static const char *const status_names[] = {"queued", "running", "parked", "done", "failed", "cancelled", "timeout"};
static const char *const lane_names[] = {"woken", "high", "normal", "low"};

typedef struct task_box {
  uint32_t slot;      /* 0 once the task left the pool */
  int status;
  int lane;           /* priority: TF_LANE_HIGH..TF_LANE_LOW */
  int woken;          /* parked and woken, waiting to be resumed */
  int has_worker;
  int cancel_pending; /* cancelled while running: ends at its next yield */
  int nres;           /* results when done */
  lua_Integer attempts, retries;
  double timeout, backoff; /* seconds; 0: none */
  double deadline;         /* clock time the current attempt times out */
} task_box;

typedef struct pool_box {
  tf_pool *core;      /* NULL once freed (after close, outside any resume) */
  int closed;
  lua_Integer concurrency, capacity;
  lua_Integer active; /* tasks holding a worker: running or parked */
  lua_Integer running, parked, nidle;
  lua_Integer done, failed, retried, timed_out, cancelled, max_queued;
  uint32_t current;   /* slot being resumed (innermost), 0 when none */
} pool_box;

/* ---- access ------------------------------------------------------------ */

static pool_box *to_pool(lua_State *L, int idx) { return (pool_box *)luaL_checkudata(L, idx, TF_POOL); }

static pool_box *check_pool(lua_State *L, int idx) {
  pool_box *p = to_pool(L, idx);
  if (p->closed) tf_lua_closed_error(L, TF_POOL);
  return p;
}

static task_box *to_task(lua_State *L, int idx) { return (task_box *)luaL_checkudata(L, idx, TF_TASK); }

/* Pushes slots[slot] and returns it. */
static task_box *push_task(lua_State *L, int pi, uint32_t slot) {
  lua_getiuservalue(L, pi, POOL_SLOTS);
  lua_rawgeti(L, -1, (lua_Integer)slot);
  lua_remove(L, -2);
  return (task_box *)lua_touserdata(L, -1);
}

static lua_Integer queued_count(const pool_box *p) {
  return p->core ? (lua_Integer)tf_pool_used(p->core) - p->active : 0;
}

/* Moves n values from the top of co into a new table {n =, ...} on L. */
static void pack_from(lua_State *L, lua_State *co, int n) {
  int i, tbl;
  if (!lua_checkstack(L, n + 1)) luaL_error(L, "too many values (%d)", n);
  lua_createtable(L, n, 1);
  tbl = lua_gettop(L);
  lua_xmove(co, L, n);
  for (i = n; i >= 1; i--) lua_rawseti(L, tbl, i);
  lua_pushinteger(L, n);
  lua_setfield(L, -2, "n");
}

/* Pushes the values of the table {n =, ...} at idx onto L; returns their count. */
static int push_packed(lua_State *L, int idx) {
  int i, n;
  idx = lua_absindex(L, idx);
  lua_getfield(L, idx, "n");
  n = (int)lua_tointeger(L, -1);
  lua_pop(L, 1);
  luaL_checkstack(L, n, "too many values");
  for (i = 1; i <= n; i++) lua_rawgeti(L, idx, i);
  return n;
}

/* Pushes the values of the table {n =, ...} at idx onto co; returns their count. */
static int unpack_to(lua_State *L, int idx, lua_State *co) {
  lua_Integer i, n;
  if (lua_getfield(L, idx, "n") == LUA_TNUMBER) n = lua_tointeger(L, -1);
  else n = (lua_Integer)lua_rawlen(L, idx);
  lua_pop(L, 1);
  if (n < 0) n = 0;
  if (n > 10000 || !lua_checkstack(co, (int)n + 1) || !lua_checkstack(L, 1)) luaL_error(L, "too many values (%I)", n);
  for (i = 1; i <= n; i++) {
    lua_rawgeti(L, idx, i);
    lua_xmove(L, co, 1);
  }
  return (int)n;
}

/* ---- task lifetime ----------------------------------------------------- */

/* Gives the task's worker back (to the idle stack, unless the pool is closed). */
static void release_worker(lua_State *L, int pi, pool_box *p, int ti, task_box *t) {
  if (!t->has_worker) return;
  t->has_worker = 0;
  p->active--;
  if (!p->closed) {
    lua_getiuservalue(L, pi, POOL_IDLE);
    lua_getiuservalue(L, ti, TASK_WORKER);
    lua_settop(lua_tothread(L, -1), 0);
    lua_rawseti(L, -2, ++p->nidle);
    lua_pop(L, 1);
  }
  lua_pushnil(L);
  lua_setiuservalue(L, ti, TASK_WORKER);
}

/* Ends a parked task's coroutine so its to-be-closed variables run. */
static void close_worker(lua_State *L, int ti) {
  lua_State *co;
  lua_getiuservalue(L, ti, TASK_WORKER);
  co = lua_tothread(L, -1);
  close_thread(co, L); /* errors raised by __close handlers are dropped */
  lua_settop(co, 0);
  lua_pop(L, 1);
}

/* Takes the task out of the pool with its final status. */
static void finish(lua_State *L, int pi, pool_box *p, int ti, task_box *t, int status) {
  if (t->status == ST_PARKED) p->parked--;
  t->status = status;
  t->woken = 0;
  switch (status) {
    case ST_DONE: p->done++; break;
    case ST_FAILED: p->failed++; break;
    case ST_CANCELLED: p->cancelled++; break;
    default: p->timed_out++; break;
  }
  release_worker(L, pi, p, ti, t);
  if (t->slot != 0) {
    lua_getiuservalue(L, pi, POOL_SLOTS);
    lua_pushnil(L);
    lua_rawseti(L, -2, (lua_Integer)t->slot);
    lua_pop(L, 1);
    if (p->core) tf_pool_release(p->core, t->slot);
    t->slot = 0;
  }
  /* what the task needed to run can go now */
  lua_pushnil(L);
  lua_setiuservalue(L, ti, TASK_FN);
  lua_pushnil(L);
  lua_setiuservalue(L, ti, TASK_ARGS);
  lua_pushnil(L);
  lua_setiuservalue(L, ti, TASK_WAKE);
}

/* Ends a parked task: the final status is set before its to-be-closed
 * variables run, so a cancel, wake or close called from their handlers
 * sees a task that has ended. */
static void end_parked(lua_State *L, int pi, pool_box *p, int ti, task_box *t, int status) {
  p->parked--;
  t->status = status;
  t->woken = 0;
  close_worker(L, ti);
  finish(L, pi, p, ti, t, status);
}

/* Cancels the task at ti: queued ones never start, parked ones are closed,
 * a running one ends at its next yield. Returns 0 when it had already ended. */
static int cancel_task(lua_State *L, int pi, pool_box *p, int ti, task_box *t) {
  switch (t->status) {
    case ST_QUEUED: finish(L, pi, p, ti, t, ST_CANCELLED); return 1;
    case ST_PARKED: end_parked(L, pi, p, ti, t, ST_CANCELLED); return 1;
    case ST_RUNNING: t->cancel_pending = 1; return 1;
    default: return 0;
  }
}

/* After a failed attempt: queue again after the backoff, or fail for good. */
static void retry_or_fail(lua_State *L, int pi, pool_box *p, int ti, task_box *t) {
  if (t->attempts <= t->retries && !t->cancel_pending && !p->closed) {
    double delay = t->backoff > 0 ? tf_pool_jitter(p->core, ldexp(t->backoff, (int)(t->attempts - 1 > 60 ? 60 : t->attempts - 1))) : 0;
    p->retried++;
    release_worker(L, pi, p, ti, t);
    tf_pool_clear_deadline(p->core, t->slot);
    t->status = ST_QUEUED;
    if (delay > 0) tf_pool_delay(p->core, t->slot, tf_clock_now() + delay);
    else tf_pool_push(p->core, t->slot, t->lane);
  } else {
    finish(L, pi, p, ti, t, ST_FAILED);
  }
}

/* What a resume came back with. The task is at ti, its worker is co. */
static void after_resume(lua_State *L, int pi, pool_box *p, int ti, task_box *t, lua_State *co, int status, int nres) {
  if (status == LUA_OK) {
    if (nres == 1) {
      lua_xmove(co, L, 1);
      lua_setiuservalue(L, ti, TASK_RESULT);
    } else if (nres > 1) {
      pack_from(L, co, nres);
      lua_setiuservalue(L, ti, TASK_RESULT);
    }
    t->nres = nres;
    finish(L, pi, p, ti, t, ST_DONE);
  } else if (status == LUA_YIELD) {
    int has_values = nres > 0;
    if (has_values) pack_from(L, co, nres);
    else lua_pushnil(L);
    lua_setiuservalue(L, ti, TASK_EXTRA);
    /* no lua_settop(co, 0) here: co's top frame is the function that
     * yielded, and a C function resumed through its continuation still
     * needs its stack */
    t->status = ST_PARKED;
    p->parked++;
    if (t->cancel_pending || p->closed) {
      cancel_task(L, pi, p, ti, t);
      return;
    }
    if (t->timeout > 0 && tf_clock_now() >= t->deadline) { /* it ran past its deadline */
      end_parked(L, pi, p, ti, t, ST_TIMEOUT);
      return;
    }
    if (lua_getiuservalue(L, ti, TASK_ON_PARK) == LUA_TNIL) {
      lua_pop(L, 1);
      lua_getiuservalue(L, pi, POOL_ON_PARK);
    }
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
    } else {
      int n = 0;
      lua_pushvalue(L, ti);
      if (has_values) {
        int tbl;
        lua_getiuservalue(L, ti, TASK_EXTRA);
        tbl = lua_gettop(L);
        n = push_packed(L, tbl);
        lua_remove(L, tbl);
      }
      lua_call(L, 1 + n, 0);
    }
  } else {
    const char *msg;
    lua_xmove(co, L, 1); /* the error value */
    msg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : luaL_tolstring(L, -1, NULL);
    luaL_traceback(L, co, msg, 0);
    lua_setiuservalue(L, ti, TASK_EXTRA);
    lua_settop(L, ti + 1);
    lua_setiuservalue(L, ti, TASK_RESULT);
    close_thread(co, L); /* runs its to-be-closed variables; the worker is reusable after */
    lua_settop(co, 0);
    retry_or_fail(L, pi, p, ti, t);
  }
}

/* Starts or resumes the task in slot. */
static void run_slot(lua_State *L, int pi, pool_box *p, uint32_t slot) {
  task_box *t = push_task(L, pi, slot);
  int ti = lua_gettop(L), nargs = 0, status, nres = 0;
  uint32_t outer = p->current;
  lua_State *co;
  if (t->status == ST_QUEUED) {
    /* step made sure an idle worker exists before taking the slot */
    lua_getiuservalue(L, pi, POOL_IDLE);
    lua_rawgeti(L, -1, p->nidle);
    lua_pushnil(L);
    lua_rawseti(L, -3, p->nidle--);
    lua_remove(L, -2);
    co = lua_tothread(L, -1);
    lua_setiuservalue(L, ti, TASK_WORKER);
    t->has_worker = 1;
    p->active++;
    t->attempts++;
    if (t->timeout > 0) {
      t->deadline = tf_clock_now() + t->timeout;
      tf_pool_set_deadline(p->core, slot, t->deadline);
    }
    lua_getiuservalue(L, ti, TASK_FN);
    lua_xmove(L, co, 1);
    if (lua_getiuservalue(L, ti, TASK_ARGS) != LUA_TNIL) nargs = unpack_to(L, lua_gettop(L), co);
    lua_pop(L, 1);
  } else { /* woken */
    lua_getiuservalue(L, ti, TASK_WORKER);
    co = lua_tothread(L, -1);
    lua_pop(L, 1);
    if (lua_getiuservalue(L, ti, TASK_WAKE) != LUA_TNIL) nargs = unpack_to(L, lua_gettop(L), co);
    lua_pop(L, 1);
    lua_pushnil(L);
    lua_setiuservalue(L, ti, TASK_WAKE);
    lua_pushnil(L);
    lua_setiuservalue(L, ti, TASK_EXTRA);
    t->woken = 0;
    p->parked--;
  }
  t->status = ST_RUNNING;
  p->running++;
  p->current = slot;
  status = lua_resume(co, L, nargs, &nres);
  p->current = outer;
  p->running--;
  after_resume(L, pi, p, ti, t, co, status, nres);
  lua_settop(L, ti - 1);
}

/* Times out parked tasks whose deadline passed and queues retries whose delay ended. */
static void expire_and_promote(lua_State *L, int pi, pool_box *p) {
  double now;
  uint32_t slot;
  if (tf_pool_delayed(p->core) == 0 && tf_pool_deadlines(p->core) == 0) return;
  now = tf_clock_now();
  while ((slot = tf_pool_pop_due(p->core, now)) != 0) {
    task_box *t = push_task(L, pi, slot);
    tf_pool_push(p->core, slot, t->lane);
    lua_pop(L, 1);
  }
  while (p->core && (slot = tf_pool_pop_expired(p->core, now)) != 0) {
    task_box *t = push_task(L, pi, slot);
    int ti = lua_gettop(L);
    if (t->status == ST_PARKED) {
      end_parked(L, pi, p, ti, t, ST_TIMEOUT);
    } else if (t->status == ST_RUNNING) {
      t->cancel_pending = 1; /* a nested step met its own caller: it ends at its next yield */
    }
    lua_pop(L, 1);
  }
}

/* The core is freed once the pool is closed and no resume is in progress. */
static void free_core_if_closed(pool_box *p) {
  if (p->closed && p->current == 0 && p->core != NULL) {
    tf_pool_free(p->core);
    p->core = NULL;
  }
}

/* Runs ready tasks until none is ready or the clock passes `until`. */
static lua_Integer step(lua_State *L, int pi, pool_box *p, double until) {
  lua_Integer ran = 0;
  while (!p->closed) {
    uint32_t slot;
    expire_and_promote(L, pi, p);
    if (p->closed) break;
    if (p->nidle == 0 && p->active < p->concurrency && tf_pool_ready(p->core, TF_LANES) > tf_pool_ready(p->core, TF_LANE_WOKEN)) {
      /* a new worker, created before a slot is taken so running out of
       * memory here leaves the task queued */
      lua_getiuservalue(L, pi, POOL_IDLE);
      lua_newthread(L);
      lua_rawseti(L, -2, ++p->nidle);
      lua_pop(L, 1);
    }
    slot = tf_pool_pop(p->core, p->active < p->concurrency);
    if (slot == 0) break;
    run_slot(L, pi, p, slot);
    ran++;
    if (until < HUGE_VAL && tf_clock_now() >= until) break;
  }
  free_core_if_closed(p);
  return ran;
}

/* ---- pool methods ------------------------------------------------------ */

static int lane_of(lua_State *L, int opts) {
  int lane = TF_LANE_NORMAL;
  if (lua_getfield(L, opts, "priority") != LUA_TNIL) {
    const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
    if (strcmp(s, "high") == 0) lane = TF_LANE_HIGH;
    else if (strcmp(s, "low") == 0) lane = TF_LANE_LOW;
    else if (strcmp(s, "normal") != 0) luaL_argerror(L, opts, "priority must be \"high\", \"normal\" or \"low\"");
  }
  lua_pop(L, 1);
  return lane;
}

static double opt_seconds(lua_State *L, int opts, const char *field, int argn, int allow_zero) {
  double v = 0;
  if (lua_getfield(L, opts, field) != LUA_TNIL) {
    int ok;
    v = (double)lua_tonumberx(L, -1, &ok);
    if (!ok || !(allow_zero ? v >= 0 : v > 0) || v == HUGE_VAL)
      luaL_argerror(L, argn, lua_pushfstring(L, "%s must be a %s number of seconds", field, allow_zero ? "non-negative" : "positive"));
  }
  lua_pop(L, 1);
  return v;
}

static int is_own_worker(lua_State *L, int pi, pool_box *p) {
  int own;
  if (p->current == 0) return 0;
  push_task(L, pi, p->current);
  lua_getiuservalue(L, -1, TASK_WORKER);
  own = lua_tothread(L, -1) == L;
  lua_pop(L, 2);
  return own;
}

static int submit_k(lua_State *L, int status, lua_KContext ctx);

/* Stack: 1 = pool, 2 = fn, 3 = opts or nil. Everything is checked before
 * the capacity, so a bad call raises whether or not the pool is full. */
static int do_submit(lua_State *L) {
  pool_box *p = check_pool(L, 1);
  task_box spec, *t;
  uint32_t slot;
  lua_Integer queued;
  luaL_checktype(L, 2, LUA_TFUNCTION);
  lua_settop(L, 3);
  memset(&spec, 0, sizeof spec);
  spec.lane = TF_LANE_NORMAL;
  if (!lua_isnil(L, 3)) {
    luaL_checktype(L, 3, LUA_TTABLE);
    spec.lane = lane_of(L, 3);
    spec.timeout = opt_seconds(L, 3, "timeout", 3, 0);
    spec.backoff = opt_seconds(L, 3, "backoff", 3, 1);
    if (lua_getfield(L, 3, "retries") != LUA_TNIL) {
      int isint;
      spec.retries = lua_tointegerx(L, -1, &isint);
      if (!isint || spec.retries < 0) luaL_argerror(L, 3, "retries must be a non-negative integer");
    }
    if (lua_getfield(L, 3, "args") != LUA_TNIL && !lua_istable(L, -1)) luaL_argerror(L, 3, "args must be a table");
    if (lua_getfield(L, 3, "on_park") != LUA_TNIL && !lua_isfunction(L, -1)) luaL_argerror(L, 3, "on_park must be a function");
    lua_settop(L, 3);
  }
  if (tf_pool_used(p->core) >= tf_pool_capacity(p->core)) {
    if (lua_isyieldable(L) && !is_own_worker(L, 1, p)) {
      /* back-pressure: wait for room in whoever resumed us */
      lua_createtable(L, 0, 3);
      lua_pushliteral(L, "backpressure");
      lua_setfield(L, -2, "tokenflow");
      lua_pushvalue(L, 1);
      lua_setfield(L, -2, "pool");
      lua_pushinteger(L, queued_count(p));
      lua_setfield(L, -2, "queued");
      return lua_yieldk(L, 1, 0, submit_k);
    }
    lua_pushnil(L);
    lua_pushliteral(L, "pool full");
    return 2;
  }
  t = (task_box *)lua_newuserdatauv(L, sizeof *t, TASK_NUV); /* 4 */
  *t = spec;
  t->status = ST_DONE; /* armed below */
  luaL_setmetatable(L, TF_TASK);
  if (!lua_isnil(L, 3)) {
    lua_getfield(L, 3, "args");
    lua_setiuservalue(L, 4, TASK_ARGS);
    lua_getfield(L, 3, "on_park");
    lua_setiuservalue(L, 4, TASK_ON_PARK);
  }
  lua_pushvalue(L, 2);
  lua_setiuservalue(L, 4, TASK_FN);
  lua_pushvalue(L, 1);
  lua_setiuservalue(L, 4, TASK_POOL);
  lua_getiuservalue(L, 1, POOL_SLOTS);
  lua_pushvalue(L, 4);
  slot = tf_pool_acquire(p->core); /* cannot fail: checked above, and no Lua code ran since */
  lua_rawseti(L, -2, (lua_Integer)slot);
  lua_pop(L, 1);
  t->slot = slot;
  t->status = ST_QUEUED;
  tf_pool_push(p->core, slot, t->lane);
  queued = queued_count(p);
  if (queued > p->max_queued) p->max_queued = queued;
  return 1;
}

static int submit_k(lua_State *L, int status, lua_KContext ctx) {
  (void)status;
  (void)ctx;
  if (lua_gettop(L) >= 4 && ((lua_type(L, 4) == LUA_TBOOLEAN && !lua_toboolean(L, 4)) ||
                             (lua_type(L, 4) == LUA_TSTRING && strcmp(lua_tostring(L, 4), "cancel") == 0))) {
    lua_pushnil(L);
    lua_pushliteral(L, "cancelled");
    return 2;
  }
  lua_settop(L, 3);
  return do_submit(L);
}

/** pool:submit(fn[, opts]) -> task | nil, "pool full". */
static int l_submit(lua_State *L) {
  lua_settop(L, 3);
  return do_submit(L);
}

/** pool:step([budget_s]) -> number of tasks started or resumed. */
static int l_step(lua_State *L) {
  pool_box *p = check_pool(L, 1);
  double until = HUGE_VAL;
  if (!lua_isnoneornil(L, 2)) {
    double budget = luaL_checknumber(L, 2);
    if (!(budget >= 0)) luaL_argerror(L, 2, "budget must be a non-negative number of seconds");
    until = tf_clock_now() + budget;
  }
  lua_settop(L, 1);
  lua_pushinteger(L, step(L, 1, p, until));
  return 1;
}

/** pool:run() -> number of tasks still parked (waiting for wake). */
static int l_run(lua_State *L) {
  pool_box *p = check_pool(L, 1);
  lua_settop(L, 1);
  for (;;) {
    double next;
    step(L, 1, p, HUGE_VAL);
    if (p->closed) break;
    /* nothing ready: wait for the next retry delay or timeout deadline */
    next = tf_pool_next_event(p->core, 1);
    if (next == HUGE_VAL) break;
    tf_clock_sleep(next - tf_clock_now());
  }
  lua_pushinteger(L, p->parked);
  return 1;
}

static task_box *check_own_task(lua_State *L, int pi, int ti) {
  task_box *t = to_task(L, ti);
  lua_getiuservalue(L, ti, TASK_POOL);
  if (!lua_rawequal(L, -1, pi)) luaL_argerror(L, ti, "task belongs to another pool");
  lua_pop(L, 1);
  return t;
}

/** pool:wake(task, ...) -> true | nil, message: queues a parked task to be
 * resumed with the values by the next step or run. */
static int l_wake(lua_State *L) {
  pool_box *p = check_pool(L, 1);
  task_box *t = check_own_task(L, 1, 2);
  int n = lua_gettop(L) - 2, i;
  if (t->status != ST_PARKED || t->woken) {
    lua_pushnil(L);
    if (t->woken) lua_pushliteral(L, "task already woken");
    else lua_pushfstring(L, "task is %s, not parked", status_names[t->status]);
    return 2;
  }
  lua_createtable(L, n, 1);
  for (i = 1; i <= n; i++) {
    lua_pushvalue(L, 2 + i);
    lua_rawseti(L, -2, i);
  }
  lua_pushinteger(L, n);
  lua_setfield(L, -2, "n");
  lua_setiuservalue(L, 2, TASK_WAKE);
  t->woken = 1;
  tf_pool_push(p->core, t->slot, TF_LANE_WOKEN);
  lua_pushboolean(L, 1);
  return 1;
}

/** pool:parked() -> array of the parked tasks not yet woken. */
static int l_parked(lua_State *L) {
  pool_box *p = check_pool(L, 1);
  lua_Integer i, n = 0;
  lua_settop(L, 1);
  lua_createtable(L, (int)(p->parked < 64 ? p->parked : 64), 0); /* 2 */
  lua_getiuservalue(L, 1, POOL_SLOTS);                            /* 3 */
  for (i = 1; i <= p->capacity && n < p->parked; i++) {
    if (lua_rawgeti(L, 3, i) != LUA_TNIL) {
      task_box *t = (task_box *)lua_touserdata(L, -1);
      if (t->status == ST_PARKED && !t->woken) {
        lua_rawseti(L, 2, ++n);
        continue;
      }
    }
    lua_pop(L, 1);
  }
  lua_settop(L, 2);
  return 1;
}

/** pool:stats() -> {queued, running, parked, done, failed, retried, timed_out, cancelled, max_queued, ...}. */
static int l_stats(lua_State *L) {
  pool_box *p = to_pool(L, 1);
  lua_createtable(L, 0, 12);
  tf_lua_setint(L, "queued", queued_count(p));
  tf_lua_setint(L, "running", p->running);
  tf_lua_setint(L, "parked", p->parked);
  tf_lua_setint(L, "done", p->done);
  tf_lua_setint(L, "failed", p->failed);
  tf_lua_setint(L, "retried", p->retried);
  tf_lua_setint(L, "timed_out", p->timed_out);
  tf_lua_setint(L, "cancelled", p->cancelled);
  tf_lua_setint(L, "max_queued", p->max_queued);
  tf_lua_setint(L, "concurrency", p->concurrency);
  tf_lua_setint(L, "capacity", p->capacity);
  tf_lua_setint(L, "workers", p->active + p->nidle);
  lua_pushboolean(L, p->closed);
  lua_setfield(L, -2, "closed");
  return 1;
}

static int l_tostring(lua_State *L) {
  pool_box *p = to_pool(L, 1);
  if (p->closed)
    lua_pushfstring(L, TF_POOL " (closed; %I done, %I failed, %I cancelled)", p->done, p->failed, p->cancelled);
  else
    lua_pushfstring(L, TF_POOL " (%I queued, %I running, %I parked, %I done, %I failed; concurrency %I, capacity %I)",
                    queued_count(p), p->running, p->parked, p->done, p->failed, p->concurrency, p->capacity);
  return 1;
}

/** pool:close(): cancels every task still in the pool (queued ones never
 * start, parked ones are closed so their to-be-closed variables run, a
 * running one ends at its next yield); idempotent; also __close and __gc. */
static int l_close(lua_State *L) {
  pool_box *p = to_pool(L, 1);
  lua_Integer i;
  if (p->closed) {
    free_core_if_closed(p);
    return 0;
  }
  p->closed = 1; /* first: __close handlers that run below see a closed pool */
  lua_settop(L, 1);
  if (p->core != NULL) {
    lua_getiuservalue(L, 1, POOL_SLOTS); /* 2 */
    for (i = 1; i <= p->capacity; i++) {
      if (lua_rawgeti(L, 2, i) != LUA_TNIL) cancel_task(L, 1, p, 3, (task_box *)lua_touserdata(L, 3));
      lua_settop(L, 2);
    }
  }
  lua_pushnil(L);
  lua_setiuservalue(L, 1, POOL_IDLE);
  lua_pushnil(L);
  lua_setiuservalue(L, 1, POOL_ON_PARK);
  p->nidle = 0;
  free_core_if_closed(p);
  return 0;
}

static lua_Integer opt_count(lua_State *L, const char *field, lua_Integer def) {
  lua_Integer v = def;
  if (lua_getfield(L, 1, field) != LUA_TNIL) {
    int isint;
    v = lua_tointegerx(L, -1, &isint);
    if (!isint || v < 1 || v > (1 << 26)) luaL_argerror(L, 1, lua_pushfstring(L, "%s must be a positive integer", field));
  }
  lua_pop(L, 1);
  return v;
}

#define POOL_DEFAULT_CONCURRENCY 30
#define POOL_DEFAULT_CAPACITY 1000

/** tf.pool([opts]) -> a pool; opts: concurrency, capacity, on_park, seed. */
static int l_pool(lua_State *L) {
  pool_box *p;
  lua_Integer concurrency, capacity;
  uint64_t seed;
  if (lua_isnoneornil(L, 1)) {
    lua_settop(L, 0);
    lua_newtable(L);
  }
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  concurrency = opt_count(L, "concurrency", POOL_DEFAULT_CONCURRENCY);
  capacity = opt_count(L, "capacity", POOL_DEFAULT_CAPACITY);
  if (capacity < concurrency)
    return luaL_argerror(L, 1, lua_pushfstring(L, "capacity (%I) must be at least concurrency (%I)", capacity, concurrency));
  if (lua_getfield(L, 1, "on_park") != LUA_TNIL && !lua_isfunction(L, -1)) return luaL_argerror(L, 1, "on_park must be a function");
  lua_getfield(L, 1, "seed"); /* 3 */
  p = (pool_box *)lua_newuserdatauv(L, sizeof *p, POOL_NUV); /* 4 */
  memset(p, 0, sizeof *p);
  p->closed = 1; /* armed once the core exists */
  luaL_setmetatable(L, TF_POOL);
  seed = lua_isinteger(L, 3) ? (uint64_t)lua_tointeger(L, 3) : (uint64_t)(uintptr_t)p ^ (uint64_t)(tf_clock_now() * 1e9);
  lua_createtable(L, (int)capacity, 0);
  lua_setiuservalue(L, 4, POOL_SLOTS);
  lua_createtable(L, (int)concurrency, 0);
  lua_setiuservalue(L, 4, POOL_IDLE);
  lua_pushvalue(L, 2);
  lua_setiuservalue(L, 4, POOL_ON_PARK);
  p->core = tf_pool_new(tf_lua_mem(L), (uint32_t)capacity, seed);
  if (p->core == NULL) return tf_lua_oom(L);
  p->concurrency = concurrency;
  p->capacity = capacity;
  p->closed = 0;
  return 1;
}

/* ---- task methods ------------------------------------------------------ */

/** task:status() -> "queued"|"running"|"parked"|"done"|"failed"|"cancelled"|"timeout". */
static int t_status(lua_State *L) {
  lua_pushstring(L, status_names[to_task(L, 1)->status]);
  return 1;
}

/** task:result() -> true, results... when done; nil, message[, traceback] otherwise. */
static int t_result(lua_State *L) {
  task_box *t = to_task(L, 1);
  switch (t->status) {
    case ST_DONE: {
      int n;
      lua_pushboolean(L, 1);
      if (t->nres == 0) return 1;
      lua_getiuservalue(L, 1, TASK_RESULT);
      if (t->nres == 1) return 2;
      n = push_packed(L, 3);
      lua_remove(L, 3);
      return 1 + n;
    }
    case ST_FAILED:
      lua_pushnil(L);
      lua_getiuservalue(L, 1, TASK_RESULT);
      lua_getiuservalue(L, 1, TASK_EXTRA);
      return 3;
    default:
      lua_pushnil(L);
      lua_pushstring(L, status_names[t->status]);
      return 2;
  }
}

/** task:yielded() -> the values the task yielded when it parked (none otherwise). */
static int t_yielded(lua_State *L) {
  task_box *t = to_task(L, 1);
  lua_settop(L, 1);
  if (t->status != ST_PARKED || lua_getiuservalue(L, 1, TASK_EXTRA) != LUA_TTABLE) return 0;
  return push_packed(L, 2);
}

/** task:cancel() -> true when cancelled (a running task ends at its next
 * yield), false when it had already ended. */
static int t_cancel(lua_State *L) {
  task_box *t = to_task(L, 1);
  pool_box *p;
  if (t->status >= ST_DONE) {
    lua_pushboolean(L, 0);
    return 1;
  }
  lua_settop(L, 1);
  lua_getiuservalue(L, 1, TASK_POOL); /* 2 */
  p = (pool_box *)lua_touserdata(L, 2);
  lua_pushboolean(L, cancel_task(L, 2, p, 1, t));
  return 1;
}

static int t_tostring(lua_State *L) {
  task_box *t = to_task(L, 1);
  if (t->status == ST_FAILED) {
    lua_getiuservalue(L, 1, TASK_RESULT);
    lua_pushfstring(L, TF_TASK " (failed after %I attempt%s: %s)", t->attempts, t->attempts == 1 ? "" : "s", luaL_tolstring(L, -1, NULL));
  } else if (t->status == ST_QUEUED) {
    lua_pushfstring(L, TF_TASK " (queued, %s priority%s)", lane_names[t->lane], t->attempts > 0 ? ", retrying" : "");
  } else {
    lua_pushfstring(L, TF_TASK " (%s%s, %I attempt%s)", status_names[t->status], t->woken ? ", woken" : "", t->attempts,
                    t->attempts == 1 ? "" : "s");
  }
  return 1;
}

void tf_open_pool(lua_State *L) {
  static const luaL_Reg pool_meta[] = {{"__tostring", l_tostring}, {"__close", l_close}, {"__gc", l_close}, {NULL, NULL}};
  static const luaL_Reg pool_methods[] = {{"submit", l_submit}, {"step", l_step},   {"run", l_run},     {"wake", l_wake},
                                          {"parked", l_parked}, {"stats", l_stats}, {"close", l_close}, {NULL, NULL}};
  static const luaL_Reg task_meta[] = {{"__tostring", t_tostring}, {NULL, NULL}};
  static const luaL_Reg task_methods[] = {
      {"status", t_status}, {"result", t_result}, {"yielded", t_yielded}, {"cancel", t_cancel}, {NULL, NULL}};
  tf_lua_newclass(L, TF_POOL, pool_meta, pool_methods);
  tf_lua_newclass(L, TF_TASK, task_meta, task_methods);
  lua_pushcfunction(L, l_pool);
  lua_setfield(L, -2, "pool");
}

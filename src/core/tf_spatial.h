/* Spatial index over axis-aligned rectangles (node bounds), for
 * viewport queries: which ids have a rectangle overlapping (x, y, w, h)?
 *
 * A sparse uniform grid: square cells of a fixed size, kept in a hash table
 * by their integer coordinates, so negative and far-apart coordinates cost
 * nothing for the empty space between them. Each cell lists the entries
 * overlapping it. A rectangle spanning more than `max_cells` cells goes to
 * an overflow list that every query checks one by one, so one huge frame
 * never costs millions of cell references. Rectangles are closed: touching
 * edges overlap, and a zero-size rectangle (a point) is found by any query
 * containing it, edges included.
 *
 * Ids are 64-bit values with a kind (the binding uses kind 0 for integers
 * and 1 for interned string ids); an id is in the index at most once.
 *
 * Every allocation goes through the tf_mem given at creation. Operations
 * that can fail for memory leave the index as it was. */
#ifndef TF_SPATIAL_H
#define TF_SPATIAL_H

#include <stddef.h>
#include <stdint.h>

#include "tf_mem.h"

typedef struct tf_spatial tf_spatial;

typedef struct tf_spatial_id {
  int64_t value;
  uint32_t kind;
} tf_spatial_id;

enum {
  TF_SPATIAL_OK = 0,
  TF_SPATIAL_NOMEM,   /* out of memory: nothing changed */
  TF_SPATIAL_EXISTS,  /* insert: the id is already in the index */
  TF_SPATIAL_MISSING, /* update/remove: the id is not in the index */
  TF_SPATIAL_BADRECT  /* a coordinate is not finite, a size is negative, or x + w overflows */
};

/* Default cell budget of one rectangle before it goes to the overflow list. */
#define TF_SPATIAL_MAX_CELLS 256

/* A new, empty index with square cells of side `cell` (finite, > 0) and at
 * most max_cells cells per rectangle (>= 1). NULL when out of memory or on
 * a bad argument. */
tf_spatial *tf_spatial_new(tf_mem mem, double cell, size_t max_cells);
void tf_spatial_free(tf_spatial *s);

/* 1 when (x, y, w, h) is acceptable: finite, w and h >= 0, x + w and y + h finite. */
int tf_spatial_rect_ok(double x, double y, double w, double h);

int tf_spatial_insert(tf_spatial *s, tf_spatial_id id, double x, double y, double w, double h);
int tf_spatial_update(tf_spatial *s, tf_spatial_id id, double x, double y, double w, double h);
int tf_spatial_remove(tf_spatial *s, tf_spatial_id id);
/* 1 and the rectangle of id (any of the pointers may be NULL), or 0. */
int tf_spatial_get(const tf_spatial *s, tf_spatial_id id, double *x, double *y, double *w, double *h);

/* Called once per id whose rectangle overlaps the query; a non-zero return
 * stops the query. The index must not be changed from inside. */
typedef int (*tf_spatial_visit)(void *ud, tf_spatial_id id);

/* Visits every id overlapping (x, y, w, h) exactly once, in no particular
 * order. Returns TF_SPATIAL_BADRECT for a bad rectangle (nothing visited),
 * else TF_SPATIAL_OK (also when the visitor stopped early). Never allocates.
 * Work: the cells the query covers, or every occupied cell when those are
 * fewer, plus the overflow list. */
int tf_spatial_query(const tf_spatial *s, double x, double y, double w, double h, tf_spatial_visit fn, void *ud);

typedef struct tf_spatial_stats {
  size_t count;        /* ids in the index */
  size_t cells;        /* occupied cells */
  size_t refs;         /* cell references (an id in 4 cells counts 4) */
  size_t max_per_cell; /* most ids in one cell */
  size_t overflow;     /* ids in the overflow list */
  size_t bytes;        /* bytes held from the allocator */
  double cell;         /* cell side */
  size_t max_cells;    /* cells per rectangle before overflow */
} tf_spatial_stats;

size_t tf_spatial_count(const tf_spatial *s);
void tf_spatial_get_stats(const tf_spatial *s, tf_spatial_stats *st);
/* Consistency check of every internal structure (tests): 1 when sound. */
int tf_spatial_check(const tf_spatial *s);

#endif

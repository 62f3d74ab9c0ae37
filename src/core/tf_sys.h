/* Process resource usage for the metrics collector's system gauges. */
#ifndef TF_SYS_H
#define TF_SYS_H

#include <stddef.h>

typedef struct tf_sys_usage {
  double cpu_user_s;     /* CPU time in user mode, seconds */
  double cpu_system_s;   /* CPU time in the kernel, seconds */
  size_t rss_bytes;      /* resident set size now (0 where /proc is missing) */
  size_t peak_rss_bytes; /* largest resident set size so far */
} tf_sys_usage;

/* 0 on success, -1 when getrusage fails (u is zeroed then). */
int tf_sys_usage_now(tf_sys_usage *u);

#endif

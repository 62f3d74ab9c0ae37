#define _DEFAULT_SOURCE /* getrusage, sysconf */
#include "tf_sys.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* Current RSS: second field of /proc/self/statm, in pages (Linux only). */
static size_t current_rss(void) {
  unsigned long size = 0, resident = 0;
  long page = sysconf(_SC_PAGESIZE);
  FILE *f = fopen("/proc/self/statm", "r");
  if (f == NULL) return 0;
  if (fscanf(f, "%lu %lu", &size, &resident) != 2) resident = 0;
  fclose(f);
  return page > 0 ? (size_t)resident * (size_t)page : 0;
}

int tf_sys_usage_now(tf_sys_usage *u) {
  struct rusage ru;
  memset(u, 0, sizeof *u);
  if (getrusage(RUSAGE_SELF, &ru) != 0) return -1;
  u->cpu_user_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6;
  u->cpu_system_s = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
  u->peak_rss_bytes = (size_t)ru.ru_maxrss * 1024; /* Linux reports KB */
  u->rss_bytes = current_rss();
  if (u->rss_bytes > u->peak_rss_bytes) u->peak_rss_bytes = u->rss_bytes;
  return 0;
}

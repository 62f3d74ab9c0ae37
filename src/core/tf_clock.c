#define _POSIX_C_SOURCE 200809L
#include "tf_clock.h"

#include <errno.h>
#include <time.h>

double tf_clock_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void tf_clock_sleep(double seconds) {
  struct timespec req, rem;
  if (!(seconds > 0)) return;
  if (seconds > 1e9) seconds = 1e9;
  req.tv_sec = (time_t)seconds;
  req.tv_nsec = (long)((seconds - (double)req.tv_sec) * 1e9);
  if (req.tv_nsec > 999999999L) req.tv_nsec = 999999999L;
  while (nanosleep(&req, &rem) != 0 && errno == EINTR) req = rem;
}

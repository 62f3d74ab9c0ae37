/* Monotonic clock in seconds: never goes back, unaffected by wall-clock changes. */
#ifndef TF_CLOCK_H
#define TF_CLOCK_H

double tf_clock_now(void);

/* Sleeps for about `seconds` (nothing when <= 0), resuming after signals. */
void tf_clock_sleep(double seconds);

#endif

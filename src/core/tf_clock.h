/* Monotonic clock in seconds: never goes back, unaffected by wall-clock changes. */
#ifndef TF_CLOCK_H
#define TF_CLOCK_H

double tf_clock_now(void);

#endif

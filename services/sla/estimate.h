/* estimate.h - when will a waiting ticket get its first response? From the queue ahead of it
 * in its department and the department's recent handling rate. Pure: no clock, no I/O. */
#ifndef SLA_ESTIMATE_H
#define SLA_ESTIMATE_H

#include <stdint.h>

/* Fewer first responses than this in the window: no estimate (a quiet hour says nothing). */
#define SLA_ESTIMATE_MIN_SAMPLE 3

/* The instant the ticket is estimated to be answered: the ahead tickets before it and then
 * itself, at handled / window_ms of them per millisecond: now + (ahead + 1) * window_ms /
 * handled. -1 when there is no estimate (handled < SLA_ESTIMATE_MIN_SAMPLE or window_ms <= 0). */
int64_t sla_estimate_answer_ms(int64_t now_ms, long ahead, long handled, int64_t window_ms);
/* 1 when the estimate is later than due_ms while due_ms is still ahead (at risk, worth acting
 * on), else 0; *estimated gets the estimate (or -1). */
int     sla_estimate_at_risk(int64_t now_ms, long ahead, long handled, int64_t window_ms,
                             int64_t due_ms, int64_t *estimated);
/* Handled per hour, for the event: handled * 3600000 / window_ms (0 when window_ms <= 0). */
double  sla_estimate_per_hour(long handled, int64_t window_ms);

#endif

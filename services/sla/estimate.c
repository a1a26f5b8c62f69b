/* estimate.c - the first-response estimate behind sla_at_risk. */
#include "services/sla/estimate.h"

int64_t sla_estimate_answer_ms(int64_t now_ms, long ahead, long handled, int64_t window_ms)
{
    if (handled < SLA_ESTIMATE_MIN_SAMPLE || window_ms <= 0 || ahead < 0)
        return -1;
    /* Integer arithmetic: (ahead + 1) tickets at window_ms / handled each. */
    return now_ms + (int64_t)(ahead + 1) * window_ms / handled;
}

int sla_estimate_at_risk(int64_t now_ms, long ahead, long handled, int64_t window_ms,
                         int64_t due_ms, int64_t *estimated)
{
    *estimated = sla_estimate_answer_ms(now_ms, ahead, handled, window_ms);
    return *estimated >= 0 && now_ms < due_ms && *estimated > due_ms;
}

double sla_estimate_per_hour(long handled, int64_t window_ms)
{
    return window_ms > 0 ? (double)handled * 3600000.0 / (double)window_ms : 0;
}

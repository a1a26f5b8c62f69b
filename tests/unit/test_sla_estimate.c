/* test_sla_estimate.c - the at-risk estimate on a synthetic queue. */
#include <criterion/criterion.h>

#include "common/clock.h"
#include "services/sla/estimate.h"

#define MIN_MS (60 * 1000LL)
#define HOUR_MS (60 * MIN_MS)

Test(sla_estimate, queue_ahead_over_the_recent_rate)
{
    sb_clock_fake_set(1795000000000LL);
    int64_t now = sb_clock_now_ms(), est;
    /* 4 first responses in the last hour: one every 15 min. 8 ahead + itself = 9 slots. */
    cr_assert_eq(sla_estimate_answer_ms(now, 8, 4, HOUR_MS), now + 135 * MIN_MS);
    cr_assert_float_eq(sla_estimate_per_hour(4, HOUR_MS), 4.0, 1e-9);
    /* A 2 h deadline is at risk, a 3 h one is not. */
    cr_assert_eq(sla_estimate_at_risk(now, 8, 4, HOUR_MS, now + 2 * HOUR_MS, &est), 1);
    cr_assert_eq(est, now + 135 * MIN_MS);
    cr_assert_eq(sla_estimate_at_risk(now, 8, 4, HOUR_MS, now + 3 * HOUR_MS, &est), 0);
    /* An empty queue at that rate: 15 min. */
    cr_assert_eq(sla_estimate_answer_ms(now, 0, 4, HOUR_MS), now + 15 * MIN_MS);
    /* The same rate over a longer window: 12 in 3 h. */
    cr_assert_eq(sla_estimate_answer_ms(now, 8, 12, 3 * HOUR_MS), now + 135 * MIN_MS);
    sb_clock_use_real();
}

Test(sla_estimate, no_estimate_without_a_sample_and_no_risk_once_breached)
{
    int64_t now = 1795000000000LL, est;
    cr_assert_eq(sla_estimate_answer_ms(now, 8, 2, HOUR_MS), -1, "two responses say nothing");
    cr_assert_eq(sla_estimate_at_risk(now, 100, 0, HOUR_MS, now + MIN_MS, &est), 0);
    cr_assert_eq(est, -1);
    cr_assert_eq(sla_estimate_answer_ms(now, 8, 4, 0), -1);
    /* Already past the deadline: that is a breach, not a risk. */
    cr_assert_eq(sla_estimate_at_risk(now, 8, 4, HOUR_MS, now - MIN_MS, &est), 0);
}

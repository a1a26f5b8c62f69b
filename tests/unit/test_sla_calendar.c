/* test_sla_calendar.c - business hours across a weekend and a holiday, and SLA policy choice. */
#include <criterion/criterion.h>
#include <string.h>

#include "common/clock.h"
#include "common/sla_calendar.h"
#include "common/sla_policy.h"

#define H (3600 * 1000LL)

/* Mon-Fri 09:00-18:00 at UTC+8, like the seeded "standard" calendar. */
static sb_sla_calendar standard(void)
{
    sb_sla_calendar c;
    sb_sla_calendar_init(&c);
    c.tz_offset_min = 480;
    for (int d = 0; d < 5; d++)
        cr_assert_eq(sb_sla_calendar_set_hours(&c, d, "09:00-18:00"), 0);
    return c;
}

static int64_t at(const char *iso)
{
    int64_t ms;
    cr_assert_eq(sb_clock_parse_iso(iso, &ms), 0, "%s", iso);
    return ms;
}

static void assert_at(int64_t got, const char *want)
{
    char buf[32];
    cr_assert_str_eq(sb_clock_format_iso(got, buf, sizeof(buf)), want);
}

Test(sla_calendar, inside_one_day)
{
    sb_sla_calendar c = standard();
    /* Monday 2026-11-23 10:00 local = 02:00Z, + 3 h = 13:00 local. */
    assert_at(sb_sla_calendar_add(&c, at("2026-11-23T02:00:00Z"), 3 * H),
              "2026-11-23T05:00:00.000Z");
    /* Exactly up to closing time stays that day. */
    assert_at(sb_sla_calendar_add(&c, at("2026-11-23T02:00:00Z"), 8 * H),
              "2026-11-23T10:00:00.000Z");
    cr_assert_eq(sb_sla_calendar_between(&c, at("2026-11-23T02:00:00Z"),
                                         at("2026-11-23T05:00:00Z")), 3 * H);
}

Test(sla_calendar, before_opening_starts_at_opening)
{
    sb_sla_calendar c = standard();
    /* Monday 07:00 local: the clock starts at 09:00. */
    assert_at(sb_sla_calendar_add(&c, at("2026-11-22T23:00:00Z"), H / 2),
              "2026-11-23T01:30:00.000Z");
    cr_assert_eq(sb_sla_calendar_between(&c, at("2026-11-22T23:00:00Z"),
                                         at("2026-11-23T01:30:00Z")), H / 2);
}

Test(sla_calendar, across_a_weekend)
{
    sb_sla_calendar c = standard();
    /* Friday 2026-11-27 17:00 local + 2 h: one hour on Friday, one on Monday (10:00 local). */
    int64_t fri = at("2026-11-27T09:00:00Z");
    assert_at(sb_sla_calendar_add(&c, fri, 2 * H), "2026-11-30T02:00:00.000Z");
    cr_assert_eq(sb_sla_calendar_between(&c, fri, at("2026-11-30T02:00:00Z")), 2 * H);
    /* Saturday counts nothing. */
    cr_assert_eq(sb_sla_calendar_between(&c, at("2026-11-28T00:00:00Z"),
                                         at("2026-11-29T00:00:00Z")), 0);
    /* Started on Saturday: Monday 09:00 + 1 h. */
    assert_at(sb_sla_calendar_add(&c, at("2026-11-28T04:00:00Z"), H), "2026-11-30T02:00:00.000Z");
}

Test(sla_calendar, across_a_weekend_and_a_holiday)
{
    sb_sla_calendar c = standard();
    cr_assert_eq(sb_sla_calendar_add_holiday(&c, "2026-11-30"), 0);   /* Monday */
    int64_t fri = at("2026-11-27T09:00:00Z");
    assert_at(sb_sla_calendar_add(&c, fri, 2 * H), "2026-12-01T02:00:00.000Z");
    cr_assert_eq(sb_sla_calendar_between(&c, fri, at("2026-12-01T02:00:00Z")), 2 * H);
    /* A whole week with the holiday: four days of nine hours. */
    cr_assert_eq(sb_sla_calendar_between(&c, at("2026-11-29T16:00:00Z"),
                                         at("2026-12-06T16:00:00Z")), 36 * H);
    /* add and between agree. */
    for (int64_t ms = 1; ms < 40 * H; ms += 7 * H / 3)
        cr_assert_eq(sb_sla_calendar_between(&c, fri, sb_sla_calendar_add(&c, fri, ms)), ms);
}

Test(sla_calendar, twenty_four_seven_and_bad_input)
{
    cr_assert_eq(sb_sla_calendar_add(NULL, 1000, 5000), 6000);
    cr_assert_eq(sb_sla_calendar_between(NULL, 1000, 6000), 5000);
    cr_assert_eq(sb_sla_calendar_between(NULL, 6000, 1000), 0);
    sb_sla_calendar c;
    sb_sla_calendar_init(&c);
    cr_assert_eq(sb_sla_calendar_add(&c, 0, H), -1, "never open: no deadline");
    cr_assert_eq(sb_sla_calendar_set_hours(&c, 0, "18:00-09:00"), -1);
    cr_assert_eq(sb_sla_calendar_set_hours(&c, 0, "9:00-18:00"), -1);
    cr_assert_eq(sb_sla_calendar_set_hours(&c, 7, "09:00-18:00"), -1);
    cr_assert_eq(sb_sla_calendar_set_hours(&c, 6, "00:00-24:00"), 0);
    cr_assert_eq(sb_sla_calendar_add_holiday(&c, "2026-02-30"), -1);
    cr_assert_eq(sb_sla_calendar_add_holiday(&c, "2026-1-01"), -1);
    cr_assert_eq(sb_sla_weekday_parse("sun"), 6);
    cr_assert_eq(sb_sla_weekday_parse("Sun"), -1);
}

/* The seeded policies plus a few more specific ones. */
static const sb_sla_policy policies[] = {
    {.id = "first-response", .kind = "first_response", .target_ms = 24 * H},
    {.id = "first-response-high", .kind = "first_response", .urgency = "high", .target_ms = 2 * H},
    {.id = "first-response-low", .kind = "first_response", .urgency = "low", .target_ms = 72 * H},
    {.id = "fr-vip", .kind = "first_response", .tier = "vip", .target_ms = 4 * H},
    {.id = "fr-email", .kind = "first_response", .channel = "email", .target_ms = 8 * H},
    {.id = "fr-p1", .kind = "first_response", .priority = "P1", .target_ms = 1 * H},
    {.id = "fr-high-vip", .kind = "first_response", .urgency = "high", .tier = "vip",
     .target_ms = H / 2},
    {.id = "resolution", .kind = "resolution", .target_ms = 72 * H},
    {.id = "resolution-urgent-complaint", .kind = "resolution", .urgency = "high",
     .category = "complaint", .target_ms = 4 * H},
};
#define NPOL (sizeof(policies) / sizeof(policies[0]))

static const char *choose(const char *kind, sb_sla_ticket_attrs t)
{
    const sb_sla_policy *p = sb_sla_policy_choose(policies, NPOL, kind, &t);
    return p ? p->id : "(none)";
}

Test(sla_policy, most_specific_match_wins)
{
    cr_assert_str_eq(choose("first_response", (sb_sla_ticket_attrs){0}), "first-response");
    cr_assert_str_eq(choose("first_response", (sb_sla_ticket_attrs){.urgency = "medium"}),
                     "first-response");
    cr_assert_str_eq(choose("first_response", (sb_sla_ticket_attrs){.urgency = "high"}),
                     "first-response-high");
    cr_assert_str_eq(choose("first_response", (sb_sla_ticket_attrs){.urgency = "low"}),
                     "first-response-low");
    /* Two criteria beat one. */
    cr_assert_str_eq(choose("first_response",
                            (sb_sla_ticket_attrs){.urgency = "high", .tier = "vip"}),
                     "fr-high-vip");
    /* One criterion each: priority > urgency > category > channel > tier. */
    cr_assert_str_eq(choose("first_response", (sb_sla_ticket_attrs){.priority = "P1",
                                                                    .urgency = "low"}),
                     "fr-p1");
    cr_assert_str_eq(choose("first_response", (sb_sla_ticket_attrs){.urgency = "low",
                                                                    .channel = "email"}),
                     "first-response-low");
    cr_assert_str_eq(choose("first_response", (sb_sla_ticket_attrs){.channel = "email",
                                                                    .tier = "vip"}),
                     "fr-email");
    cr_assert_str_eq(choose("first_response", (sb_sla_ticket_attrs){.tier = "vip"}), "fr-vip");
}

Test(sla_policy, urgent_complaint_resolution_and_no_match)
{
    cr_assert_str_eq(choose("resolution", (sb_sla_ticket_attrs){.urgency = "high",
                                                                .category = "complaint"}),
                     "resolution-urgent-complaint");
    cr_assert_str_eq(choose("resolution", (sb_sla_ticket_attrs){.urgency = "high",
                                                                .category = "consultation"}),
                     "resolution");
    cr_assert_str_eq(choose("follow_up", (sb_sla_ticket_attrs){0}), "(none)");
    sb_sla_policy tie[2] = {{.id = "b", .kind = "k", .tier = "vip"},
                            {.id = "a", .kind = "k", .tier = "vip"}};
    sb_sla_ticket_attrs vip = {.tier = "vip"};
    cr_assert_str_eq(sb_sla_policy_choose(tie, 2, "k", &vip)->id, "a", "ties by id");
    cr_assert_eq(sb_sla_policy_score(&tie[0], &(sb_sla_ticket_attrs){.tier = "new"}), -1);
}

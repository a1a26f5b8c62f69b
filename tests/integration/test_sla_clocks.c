/* test_sla_clocks.c - sb-sla arms every clock kind by policy and business hours, pauses and
 * resumes them, and settles them, through the broker (deadlines in 2099: nothing fires here;
 * test_sla_alerts.c covers firing). */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

#define WAIT_MS 20000

static PGconn *pg;

static void clocks_setup(void)
{
    if (!getenv("SB_PG_DSN") || !getenv("SB_KAFKA_BROKERS"))
        cr_skip_test("SB_PG_DSN or SB_KAFKA_BROKERS unset: the stack is not running");
    pg = sb_fixture_pg();
    cr_assert_not_null(pg, "cannot connect to SB_PG_DSN");
}

static void clocks_teardown(void)
{
    /* Each test removes the configuration rows it added (tests may run in parallel). */
    if (pg)
        PQfinish(pg);
    pg = NULL;
}

TestSuite(sla_clocks, .init = clocks_setup, .fini = clocks_teardown, .timeout = 90);

typedef struct ticket {
    char number[32], id[37];
} ticket;

/* A classified ticket created at created_at (fixture customers are vip). */
static ticket make_ticket(const char *channel, const char *category, const char *urgency,
                          const char *priority, const char *created_at)
{
    ticket t;
    sb_fixture_ticket f = {.channel = channel, .status = "assigned", .category = category,
                           .urgency = urgency, .priority = priority, .department = "quality",
                           .created_at = created_at};
    cr_assert_eq(sb_fixture_ticket_new(pg, &f, t.number, t.id), 0);
    return t;
}

/* Publish a ticket event at `at` (data stolen); returns its id in id (37 bytes). */
static void publish(const ticket *t, const char *type, const char *at, json_t *data, char *id)
{
    char own[37];
    if (!id)
        id = own;
    sb_fixture_uuid(id);
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "type", type, "event_id", id,
                           "occurred_at", at, "ticket_id", t->id, "ticket_number", t->number,
                           "data", data);
    char *text = json_dumps(ev, JSON_COMPACT);
    cr_assert_eq(sb_fixture_publish("sb.tickets.v1", t->id, text), 0);
    free(text);
    json_decref(ev);
}

static void assigned(const ticket *t, const char *at)
{
    publish(t, "assigned", at,
            json_pack("{s:s, s:s, s:s}", "agent_id", "quality-01", "department", "quality",
                      "reason", "least_load"), NULL);
}

static void status_changed(const ticket *t, const char *at, const char *from, const char *to)
{
    publish(t, "status_changed", at,
            json_pack("{s:s, s:s, s:{s:s, s:s}}", "from", from, "to", to, "by", "subject",
                      "quality-01", "role", "agent"), NULL);
}

/* Waits until the ticket's clock of kind reads want: "<due UTC>/<state>/<policy>[/warn UTC]". */
static void assert_clock(const ticket *t, const char *kind, const char *want)
{
    const char *p[] = {t->id, kind};
    char *got = sb_fixture_wait(
        pg,
        "SELECT to_char(due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || '/' || state || '/'"
        " || COALESCE(policy_id, '') || COALESCE('/' || to_char(warn_at AT TIME ZONE 'UTC',"
        " 'YYYY-MM-DD HH24:MI'), '') FROM sla_timers WHERE ticket_id = $1 AND kind = $2",
        2, p, want, WAIT_MS);
    cr_assert_str_eq(got ? got : "(none)", want, "%s of %s", kind, t->number);
    free(got);
}

/* Waits until the ticket's clock of kind is in state (due and policy not checked). */
static void assert_state(const ticket *t, const char *kind, const char *state)
{
    const char *p[] = {t->id, kind};
    char *got = sb_fixture_wait(pg, "SELECT state FROM sla_timers WHERE ticket_id = $1"
                                    " AND kind = $2", 2, p, state, WAIT_MS);
    cr_assert_str_eq(got ? got : "(none)", state, "%s of %s", kind, t->number);
    free(got);
}

Test(sla_clocks, seeded_policies_choose_by_urgency_and_category)
{
    ticket high = make_ticket("web", "complaint", "high", "P1", "2099-11-22T10:00:00Z");
    ticket med = make_ticket("web", "consultation", "medium", "P2", "2099-11-22T10:00:00Z");
    ticket low = make_ticket("web", "consultation", "low", "P3", "2099-11-22T10:00:00Z");
    ticket high_other = make_ticket("web", "consultation", "high", "P1", "2099-11-22T10:00:00Z");
    ticket unclassified = make_ticket("web", NULL, NULL, NULL, "2099-11-22T10:00:00Z");
    assigned(&high, "2099-11-22T10:00:05.000Z");
    assigned(&med, "2099-11-22T10:00:05.000Z");
    assigned(&low, "2099-11-22T10:00:05.000Z");
    assigned(&high_other, "2099-11-22T10:00:05.000Z");
    assigned(&unclassified, "2099-11-22T10:00:05.000Z");
    /* first response high 2 h / medium 24 h / low 72 h, warned at 75 %. */
    assert_clock(&high, "first_response",
                 "2099-11-22 12:00/armed/first-response-high/2099-11-22 11:30");
    assert_clock(&med, "first_response",
                 "2099-11-23 10:00/armed/first-response-medium/2099-11-23 04:00");
    assert_clock(&low, "first_response",
                 "2099-11-25 10:00/armed/first-response-low/2099-11-24 16:00");
    assert_clock(&unclassified, "first_response",
                 "2099-11-23 10:00/armed/first-response/2099-11-23 04:00");
    /* An urgent complaint is resolved within 4 h; anything else within the catch-all 72 h. */
    assert_clock(&high, "resolution",
                 "2099-11-22 14:00/armed/resolution-urgent-complaint/2099-11-22 13:00");
    assert_clock(&high_other, "resolution", "2099-11-25 10:00/armed/resolution/2099-11-24 16:00");
    /* The acknowledgement: 1 h from the assignment, no warning. */
    assert_clock(&med, "acknowledgement", "2099-11-22 11:00/armed/acknowledgement");
}

Test(sla_clocks, most_specific_policy_wins_and_warn_share_is_the_policys)
{
    /* Three criteria (priority, channel, tier) beat the seeded urgency row (one). */
    cr_assert_eq(sb_fixture_exec(pg,
                                 "INSERT INTO sla_policies (id, kind, priority, channel, tier,"
                                 " target_seconds, warn_share) VALUES"
                                 " ('test-clocks-p3-email-regular', 'first_response', 'P3',"
                                 "  'email', 'regular', 1800, 0.5),"
                                 " ('test-clocks-email-regular', 'first_response', NULL,"
                                 "  'email', 'regular', 3600, 0.5) ON CONFLICT (id) DO NOTHING",
                                 0, NULL), 0);
    ticket p3 = make_ticket("email", "consultation", "high", "P3", "2099-11-22T10:00:00Z");
    ticket p2 = make_ticket("email", "consultation", "high", "P2", "2099-11-22T10:00:00Z");
    ticket vip = make_ticket("email", "consultation", "high", "P3", "2099-11-22T10:00:00Z");
    const char *q[] = {p3.id, p2.id};
    cr_assert_eq(sb_fixture_exec(pg, "UPDATE customers SET tier = 'regular' WHERE id IN"
                                     " (SELECT customer_id FROM tickets WHERE id IN ($1, $2))",
                                 2, q), 0);
    assigned(&p3, "2099-11-22T10:00:05.000Z");
    assigned(&p2, "2099-11-22T10:00:05.000Z");
    assigned(&vip, "2099-11-22T10:00:05.000Z");
    assert_clock(&p3, "first_response",
                 "2099-11-22 10:30/armed/test-clocks-p3-email-regular/2099-11-22 10:15");
    /* Two criteria (channel, tier) beat one (urgency). */
    assert_clock(&p2, "first_response",
                 "2099-11-22 11:00/armed/test-clocks-email-regular/2099-11-22 10:30");
    /* A vip customer matches neither: the seeded urgency row. */
    assert_clock(&vip, "first_response",
                 "2099-11-22 12:00/armed/first-response-high/2099-11-22 11:30");
    cr_assert_eq(sb_fixture_exec(pg, "DELETE FROM sla_policies WHERE id IN"
                                     " ('test-clocks-p3-email-regular', 'test-clocks-email-regular')",
                                 0, NULL), 0);
}

Test(sla_clocks, business_hours_skip_a_weekend_and_a_holiday)
{
    /* Mon-Fri 09:00-18:00 at UTC+8; Monday 2099-11-23 is a holiday. */
    cr_assert_eq(sb_fixture_exec(pg,
                                 "INSERT INTO sla_calendars (id, name, tz_offset_minutes, hours)"
                                 " VALUES ('test-clocks', 'test', 480, '{\"mon\":\"09:00-18:00\","
                                 "\"tue\":\"09:00-18:00\",\"wed\":\"09:00-18:00\","
                                 "\"thu\":\"09:00-18:00\",\"fri\":\"09:00-18:00\"}')"
                                 " ON CONFLICT (id) DO NOTHING", 0, NULL), 0);
    cr_assert_eq(sb_fixture_exec(pg, "INSERT INTO sla_holidays (calendar_id, day, name) VALUES"
                                     " ('test-clocks', '2099-11-23', 'test holiday')"
                                     " ON CONFLICT DO NOTHING", 0, NULL), 0);
    cr_assert_eq(sb_fixture_exec(pg,
                                 "INSERT INTO sla_policies (id, kind, channel, tier,"
                                 " target_seconds, business_hours) VALUES"
                                 " ('test-clocks-bh', 'first_response', 'phone', 'regular',"
                                 "  7200, true) ON CONFLICT (id) DO NOTHING", 0, NULL), 0);
    cr_assert_eq(sb_fixture_exec(pg, "UPDATE departments SET calendar_id = 'test-clocks'"
                                     " WHERE id = 'quality'", 0, NULL), 0);
    /* Friday 2099-11-20 17:00 local: one business hour that day, none on the weekend or the
     * holiday, the second on Tuesday 09:00-10:00 local (02:00Z). */
    ticket t = make_ticket("phone", "consultation", "medium", "P2", "2099-11-20T09:00:00Z");
    const char *q[] = {t.id};
    cr_assert_eq(sb_fixture_exec(pg, "UPDATE customers SET tier = 'regular' WHERE id ="
                                     " (SELECT customer_id FROM tickets WHERE id = $1)", 1, q), 0);
    assigned(&t, "2099-11-20T09:00:05.000Z");
    /* Warned after 1.5 business hours: Tuesday 09:30 local. */
    assert_clock(&t, "first_response", "2099-11-24 02:00/armed/test-clocks-bh/2099-11-24 01:30");
    char *bh = sb_fixture_value(pg, "SELECT business_hours::text || '/' || calendar_id FROM"
                                    " sla_timers WHERE ticket_id = $1 AND kind = 'first_response'",
                                1, q);
    cr_assert_str_eq(bh ? bh : "(none)", "true/test-clocks");
    free(bh);
    /* Paused on Friday 17:30 local (half an hour used), resumed on Tuesday 09:00 local: the
     * 1.5 business hours left end at 10:30 local. */
    status_changed(&t, "2099-11-20T09:30:00.000Z", "acknowledged", "awaiting_customer");
    assert_state(&t, "first_response", "paused");
    status_changed(&t, "2099-11-24T01:00:00.000Z", "awaiting_customer", "acknowledged");
    assert_clock(&t, "first_response", "2099-11-24 02:30/armed/test-clocks-bh/2099-11-24 02:00");
    cr_assert_eq(sb_fixture_exec(pg, "WITH p AS (DELETE FROM sla_policies WHERE id ="
                                     " 'test-clocks-bh') UPDATE departments SET calendar_id ="
                                     " 'standard' WHERE id = 'quality'", 0, NULL), 0);
}

Test(sla_clocks, awaiting_the_customer_pauses_and_resumes_with_the_time_left)
{
    ticket t = make_ticket("web", "consultation", "medium", "P2", "2099-11-22T10:00:00Z");
    assigned(&t, "2099-11-22T10:00:05.000Z");
    assert_clock(&t, "first_response",
                 "2099-11-23 10:00/armed/first-response-medium/2099-11-23 04:00");
    status_changed(&t, "2099-11-22T12:00:00.000Z", "acknowledged", "awaiting_customer");
    assert_state(&t, "first_response", "paused");
    assert_state(&t, "resolution", "paused");
    const char *p[] = {t.id};
    char *left = sb_fixture_value(pg, "SELECT remaining_ms || '/' || warn_remaining_ms ||"
                                      " '/' || (next_at IS NULL) FROM sla_timers"
                                      " WHERE ticket_id = $1 AND kind = 'first_response'", 1, p);
    cr_assert_str_eq(left ? left : "(none)", "79200000/57600000/true", "22 h and 16 h left");
    free(left);
    /* Eight hours awaiting the customer move both instants by eight hours. */
    status_changed(&t, "2099-11-22T20:00:00.000Z", "awaiting_customer", "acknowledged");
    assert_clock(&t, "first_response",
                 "2099-11-23 18:00/armed/first-response-medium/2099-11-23 12:00");
    assert_clock(&t, "resolution", "2099-11-25 18:00/armed/resolution/2099-11-25 00:00");
}

Test(sla_clocks, replies_messages_resolution_reopening_and_surveys)
{
    ticket t = make_ticket("web", "consultation", "medium", "P2", "2099-11-22T10:00:00Z");
    assigned(&t, "2099-11-22T10:00:05.000Z");
    publish(&t, "acknowledged", "2099-11-22T10:01:00.000Z",
            json_pack("{s:s}", "agent_id", "quality-01"), NULL);
    publish(&t, "replied", "2099-11-22T10:30:00.000Z", json_pack("{s:s}", "text", "hi"), NULL);
    assert_state(&t, "acknowledgement", "met");
    assert_state(&t, "first_response", "met");
    /* The customer writes again: the next reply is owed within 24 h. */
    publish(&t, "message_appended", "2099-11-22T11:00:00.000Z",
            json_pack("{s:s}", "message_id", "00000000-0000-4000-8000-000000000001"), NULL);
    assert_clock(&t, "next_response", "2099-11-23 11:00/armed/next-response/2099-11-23 05:00");
    /* A second message while the reply is owed keeps the first deadline. */
    publish(&t, "message_appended", "2099-11-22T12:00:00.000Z",
            json_pack("{s:s}", "message_id", "00000000-0000-4000-8000-000000000002"), NULL);
    publish(&t, "replied", "2099-11-22T13:00:00.000Z", json_pack("{s:s}", "text", "ok"), NULL);
    assert_clock(&t, "next_response", "2099-11-23 11:00/met/next-response/2099-11-23 05:00");
    /* Resolved: resolution met, follow-up owed within 24 h, met by the survey. */
    publish(&t, "resolved", "2099-11-22T14:00:00.000Z",
            json_pack("{s:s, s:s, s:[]}", "resolution", "fully", "solution", "done", "tags"),
            NULL);
    assert_state(&t, "resolution", "met");
    assert_clock(&t, "follow_up", "2099-11-23 14:00/armed/follow-up/2099-11-23 08:00");
    publish(&t, "survey_sent", "2099-11-22T14:20:00.000Z",
            json_pack("{s:s, s:i}", "survey_id", "s1", "round", 1), NULL);
    assert_state(&t, "follow_up", "met");
    /* Dissatisfied: reopened for a second handling within 24 h, met by the next resolution,
     * which owes a follow-up again. */
    publish(&t, "reopened", "2099-11-22T16:00:00.000Z",
            json_pack("{s:s, s:s, s:b}", "reason", "dissatisfied", "assignee", "quality-lead",
                      "second_handling", 1), NULL);
    assert_clock(&t, "second_handling",
                 "2099-11-23 16:00/armed/second-handling/2099-11-23 10:00");
    publish(&t, "resolved", "2099-11-22T18:00:00.000Z",
            json_pack("{s:s, s:s, s:[]}", "resolution", "fully", "solution", "again", "tags"),
            NULL);
    assert_state(&t, "second_handling", "met");
    assert_clock(&t, "follow_up", "2099-11-23 18:00/armed/follow-up/2099-11-23 12:00");
    /* Merged away: nothing is owed on it any more. */
    publish(&t, "closed", "2099-11-22T19:00:00.000Z", json_pack("{s:s}", "reason", "merged"),
            NULL);
    assert_state(&t, "follow_up", "cancelled");
}

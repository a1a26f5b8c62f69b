/* test_sla_timers.c - sb-sla arms timers from assigned events and marks them met, through the broker. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

static PGconn *pg;

/* Skip unless tests/run exported the stack (PostgreSQL and the broker); otherwise connect. */
static void sla_setup(void)
{
    if (!getenv("SB_PG_DSN") || !getenv("SB_KAFKA_BROKERS"))
        cr_skip_test("SB_PG_DSN or SB_KAFKA_BROKERS unset: the stack is not running");
    pg = sb_fixture_pg();
    cr_assert_not_null(pg, "cannot connect to SB_PG_DSN");
}

static void sla_teardown(void)
{
    if (pg)
        PQfinish(pg);
    pg = NULL;
}

TestSuite(sla_timers, .init = sla_setup, .fini = sla_teardown, .timeout = 60);

/* A classified ticket of this urgency created at 2099-11-22T10:00:00Z: its deadlines lie in the
 * future, so sla's watch leaves them armed (test_sla_escalation.c tests what it does when due). */
static void make_ticket(const char *urgency, char number[32], char id[37])
{
    sb_fixture_ticket t = {.status = "assigned", .category = "complaint", .urgency = urgency,
                           .priority = "P2", .department = "quality",
                           .created_at = "2099-11-22T10:00:00Z"};
    cr_assert_eq(sb_fixture_ticket_new(pg, &t, number, id), 0);
}

/* Publish a ticket event (data stolen) with this id; returns nothing, asserts delivery. */
static void publish(const char *type, const char *event_id, const char *id, const char *number,
                    const char *at, json_t *data)
{
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "type", type, "event_id", event_id,
                           "occurred_at", at, "ticket_id", id, "ticket_number", number, "data",
                           data);
    char *text = json_dumps(ev, JSON_COMPACT);
    cr_assert_eq(sb_fixture_publish("sb.tickets.v1", id, text), 0);
    free(text);
    json_decref(ev);
}

/* "<kind>=<due UTC>/<state>;..." of the ticket's acknowledgement and first-response timers
 * (test_sla_clocks.c covers the other kinds), once they read want. */
static char *timers(const char *id, const char *want)
{
    const char *p[] = {id};
    return sb_fixture_wait(pg,
                           "SELECT string_agg(kind || '=' || to_char(due_at AT TIME ZONE 'UTC',"
                           " 'YYYY-MM-DD HH24:MI') || '/' || state, ';' ORDER BY kind)"
                           " FROM sla_timers WHERE ticket_id = $1"
                           "   AND kind IN ('acknowledgement', 'first_response')",
                           1, p, want, 20000);
}

Test(sla_timers, assigned_arms_ack_and_first_response_by_urgency)
{
    char number[32], id[37], ev[37];
    make_ticket("high", number, id);
    sb_fixture_uuid(ev);
    publish("assigned", ev, id, number, "2099-11-22T10:00:05.000Z",
            json_pack("{s:s, s:s, s:s, s:s}", "agent_id", "quality-01", "department", "quality",
                      "reason", "least_load", "ack_due_at", "2099-11-22T11:00:05.000Z"));
    char *got = timers(id, "acknowledgement=2099-11-22 11:00/armed;"
                           "first_response=2099-11-22 12:00/armed");
    cr_assert_str_eq(got ? got : "(none)", "acknowledgement=2099-11-22 11:00/armed;"
                                           "first_response=2099-11-22 12:00/armed");
    free(got);
}

Test(sla_timers, defaults_without_ack_due_at_and_low_urgency)
{
    char number[32], id[37], ev[37];
    make_ticket("low", number, id);
    sb_fixture_uuid(ev);
    publish("assigned", ev, id, number, "2099-11-22T10:30:00.000Z",
            json_pack("{s:s, s:s, s:s}", "agent_id", "quality-01", "department", "quality",
                      "reason", "least_load"));
    char *got = timers(id, "acknowledgement=2099-11-22 11:30/armed;"
                           "first_response=2099-11-25 10:00/armed");
    cr_assert_str_eq(got ? got : "(none)", "acknowledgement=2099-11-22 11:30/armed;"
                                           "first_response=2099-11-25 10:00/armed");
    free(got);
}

Test(sla_timers, resolved_meets_the_timers_and_replays_change_nothing)
{
    char number[32], id[37], assigned[37], resolved[37];
    make_ticket("medium", number, id);
    sb_fixture_uuid(assigned);
    sb_fixture_uuid(resolved);
    publish("assigned", assigned, id, number, "2099-11-22T10:00:00.000Z",
            json_pack("{s:s, s:s, s:s, s:s}", "agent_id", "quality-01", "department", "quality",
                      "reason", "least_load", "ack_due_at", "2099-11-22T11:00:00.000Z"));
    publish("resolved", resolved, id, number, "2099-11-22T10:20:00.000Z",
            json_pack("{s:s, s:s, s:[]}", "resolution", "fully", "solution", "done", "tags"));
    /* A replayed assignment with a different deadline must not re-arm anything. */
    publish("assigned", assigned, id, number, "2099-11-22T10:00:00.000Z",
            json_pack("{s:s, s:s, s:s, s:s}", "agent_id", "quality-01", "department", "quality",
                      "reason", "least_load", "ack_due_at", "2099-11-22T15:00:00.000Z"));
    const char *want = "acknowledgement=2099-11-22 11:00/met;first_response=2099-11-23 10:00/met";
    char *got = timers(id, want);
    cr_assert_str_eq(got ? got : "(none)", want);
    free(got);
    const char *p[] = {assigned};
    got = sb_fixture_wait(pg, "SELECT count(*) FROM processed_events"
                              " WHERE consumer = 'sla' AND event_id = $1", 1, p, "1", 5000);
    cr_assert_str_eq(got, "1");
    free(got);
}

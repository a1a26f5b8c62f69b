/* test_survey_loop.c - the whole satisfaction loop on the running stack, its clock driven
 * (SB_CLOCK_OFFSET_FILE): resolved through desk -> survey_sent + survey_link after the delay ->
 * answered dissatisfied -> reopened for the resolver's team supervisor -> resolved again by
 * them -> the round-2 follow-up survey; due surveys across restarts of sb-survey (none lost,
 * none doubled); a ticket merged meanwhile is not surveyed. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/ids.h"
#include "fixture.h"
#include "http_client.h"
#include "replica.h"
#include "survey_common.h"

static PGconn     *pg;
static const char *clock_file;
static int64_t     offset_ms;    /* what the clock file holds now */

static void loop_setup(void)
{
    clock_file = getenv("SB_CLOCK_OFFSET_FILE");
    if (!getenv("SB_PG_DSN") || !getenv("SB_SURVEY_URL") || !getenv("SB_DESK_URL") ||
        !getenv("SB_SURVEY_SECRET") || !getenv("SB_KAFKA_BROKERS") || !clock_file)
        cr_skip_test("the stack (with SB_CLOCK_OFFSET_FILE) is not running");
    pg = sb_fixture_pg();
    cr_assert_not_null(pg, "cannot connect to SB_PG_DSN");
    offset_ms = 0;
}

/* Other suites share the stack: its clock goes back to real time. */
static void loop_teardown(void)
{
    if (clock_file)
        sb_clock_offset_write(clock_file, 0);
    if (pg)
        PQfinish(pg);
    pg = NULL;
}

TestSuite(survey_loop, .init = loop_setup, .fini = loop_teardown, .timeout = 240);

/* Moves every service's clock ms forward. */
static void advance(int64_t ms)
{
    offset_ms += ms;
    cr_assert_eq(sb_clock_offset_write(clock_file, offset_ms), 0);
}

static int64_t delay_ms(void)
{
    const char *d = getenv("SB_SURVEY_DELAY_MS");
    return d && *d ? atoll(d) : 600000;
}

/* The survey of (ticket, round) reaches state; the last value seen. */
static void wait_state(const char *ticket_id, int round, const char *state)
{
    char r[8];
    snprintf(r, sizeof(r), "%d", round);
    const char *p[] = {ticket_id, r};
    char *st = sb_fixture_wait(pg, "SELECT state FROM surveys WHERE ticket_id = $1"
                                   " AND round = $2::int", 2, p, state, SURVEY_WAIT_MS);
    cr_assert_str_eq(st ? st : "(none)", state, "round %d of %s", round, ticket_id);
    free(st);
}

/* POST an action to desk as token; the reply's event id into event_id (when wanted). */
static void desk_act(const char *number, const char *action, const char *token, const char *body,
                     char event_id[37])
{
    char path[256];
    int status = 0;
    snprintf(path, sizeof path, "/v1/tickets/%s/%s", number, action);
    json_t *r = sb_test_desk_json("POST", path, token, body, &status);
    cr_assert_eq(status, 200, "%s %s: %d", action, number, status);
    if (event_id)
        snprintf(event_id, 37, "%s", json_string_value(json_object_get(json_object_get(r, "event"),
                                                                       "event_id")));
    json_decref(r);
}

/* The survey_link notice for survey_sent event sent_id, waited for in the outbox. */
static json_t *link_notice(const char *sent_id)
{
    char id[SB_UUID_STRLEN];
    sb_ids_derived(sent_id, "survey_link", id);
    const char *p[] = {id};
    char *v = sb_fixture_wait(pg, "SELECT payload::text FROM outbox WHERE payload->>'event_id' = $1"
                                  " AND topic = 'sb.notifications.v1'", 1, p, NULL, SURVEY_WAIT_MS);
    json_t *n = v ? json_loads(v, 0, NULL) : NULL;
    free(v);
    cr_assert_not_null(n, "no survey_link for %s", sent_id);
    survey_assert_published(pg, id);
    return n;
}

/* Round `round` of the ticket is sent: one survey_sent and one survey_link, valid, for the
 * ticket's customer on its channel. The link's token into token. */
static void assert_sent(const char *ticket_id, const char *number, int round,
                        char token[SURVEY_TOKEN_MAX + 1])
{
    json_t *ev = survey_event_wait(pg, ticket_id, "survey_sent", round - 1);
    survey_assert_schema("tickets/survey_sent.v1.json", ev);
    cr_assert_eq(survey_event_count(pg, ticket_id, "survey_sent"), round);
    const json_t *data = json_object_get(ev, "data");
    cr_assert_eq(json_integer_value(json_object_get(data, "round")), round);
    cr_assert_str_eq(json_string_value(json_object_get(data, "channel")), "web");
    const char *sent_id = json_string_value(json_object_get(ev, "event_id"));
    char want[SB_UUID_STRLEN];
    sb_ids_derived(json_string_value(json_object_get(data, "survey_id")), "survey_sent", want);
    cr_assert_str_eq(sent_id, want);
    survey_assert_published(pg, sent_id);

    json_t *n = link_notice(sent_id);
    survey_assert_schema("notifications/survey_link.v1.json", n);
    const char *p[] = {ticket_id};
    char *customer = sb_fixture_value(pg, "SELECT 'customer:' || customer_id FROM tickets"
                                          " WHERE id = $1", 1, p);
    cr_assert_str_eq(json_string_value(json_object_get(n, "recipient")), customer);
    free(customer);
    cr_assert_str_eq(json_string_value(json_object_get(n, "ticket_number")), number);
    cr_assert_eq(json_integer_value(json_object_get(n, "round")), round);
    cr_assert_str_eq(json_string_value(json_object_get(n, "expires_at")),
                     json_string_value(json_object_get(data, "expires_at")));
    /* The link points at this survey service (SB_SURVEY_PUBLIC_URL defaults to it). */
    const char *url = json_string_value(json_object_get(n, "url"));
    char prefix[512];
    snprintf(prefix, sizeof(prefix), "%s/v1/surveys/", getenv("SB_SURVEY_URL"));
    cr_assert(strncmp(url, prefix, strlen(prefix)) == 0, "url %s", url);
    snprintf(token, SURVEY_TOKEN_MAX + 1, "%s", url + strlen(prefix));
    json_decref(n);
    json_decref(ev);
}

/* An agent of a team of their own, whose supervisor is not the department's lead: the reopened
 * ticket must go to the team's supervisor. Off duty, so dispatch routes nothing to them. */
static void make_team(char agent[40], char supervisor[40])
{
    char tag[9], team[40];
    sb_fixture_hex(tag, 8);
    snprintf(agent, 40, "svt-%s-agent", tag);
    snprintf(supervisor, 40, "svt-%s-sup", tag);
    snprintf(team, sizeof team, "svt-%s-team", tag);
    const char *sp[] = {supervisor}, *tp[] = {team, supervisor};
    cr_assert_eq(sb_fixture_exec(pg, "INSERT INTO agents (id, name, department_id, role, on_duty)"
                                     " VALUES ($1, 'Survey test supervisor', 'quality',"
                                     " 'supervisor', false)", 1, sp), 0);
    cr_assert_eq(sb_fixture_exec(pg, "INSERT INTO teams (id, name, department_id, supervisor_id)"
                                     " VALUES ($1, 'Survey test team', 'quality', $2)", 2, tp), 0);
    const char *ap[] = {agent, team};
    cr_assert_eq(sb_fixture_exec(pg, "INSERT INTO agents (id, name, department_id, role, on_duty,"
                                     " team_id) VALUES ($1, 'Survey test agent', 'quality',"
                                     " 'agent', false, $2)", 2, ap), 0);
}

/* A ticket the customer wrote about, acknowledged by agent. */
static void contacted_ticket(const char *agent, char number[40], char id[37])
{
    sb_fixture_ticket t = {.channel = "web", .status = "acknowledged", .category = "complaint",
                           .subtopic = "logistics-delay", .urgency = "medium", .priority = "P2",
                           .department = "quality", .assignee = agent};
    cr_assert_eq(sb_fixture_ticket_new(pg, &t, number, id), 0);
    char ext[33];
    sb_fixture_hex(ext, 32);
    const char *p[] = {id, ext};
    cr_assert_eq(sb_fixture_exec(pg, "INSERT INTO messages (message_id, ticket_id, channel,"
                                     " external_id, body, received_at) VALUES (gen_random_uuid(),"
                                     " $1, 'web', $2, 'my parcel is a week late', now())", 2, p), 0);
}

/* Waits until sla's second_handling clock of ticket id reads want ("<state>/<hours from the
 * reopened event to the deadline>"): sla consumed survey's reopened event. */
static void assert_second_handling(const char *id, const char *reopened_id, const char *want)
{
    const char *p[] = {id, reopened_id};
    char *v = sb_fixture_wait(pg,
                              "SELECT t.state || '/' || round(extract(epoch FROM t.due_at - e.occurred_at)"
                              "       / 3600)"
                              "  FROM sla_timers t, ticket_events e"
                              " WHERE t.ticket_id = $1::uuid AND t.kind = 'second_handling'"
                              "   AND e.event_id = $2::uuid",
                              2, p, want, 15000);
    cr_assert_str_eq(v ? v : "(no clock)", want, "sla's second handling clock");
    free(v);
}

Test(survey_loop, dissatisfied_reopens_for_the_team_supervisor_then_a_follow_up_goes_out)
{
    char agent[40], sup[40], number[40], id[37], token[SURVEY_TOKEN_MAX + 1];
    make_team(agent, sup);
    contacted_ticket(agent, number, id);
    char *agent_token = sb_fixture_token(pg, agent, "agent");
    char *sup_token = sb_fixture_token(pg, sup, "supervisor");
    cr_assert(agent_token && sup_token);

    /* 1. The agent resolves it: a survey is scheduled, not sent before the delay. */
    desk_act(number, "resolve", agent_token,
             "{\"resolution\":\"partly\",\"solution\":\"Asked the carrier to hurry.\",\"tags\":[]}",
             NULL);
    wait_state(id, 1, "scheduled");
    cr_assert_eq(survey_event_count(pg, id, "survey_sent"), 0);

    /* 2. The delay passes: sent once, with the link to the customer. */
    advance(delay_ms() + 1000);
    wait_state(id, 1, "sent");
    assert_sent(id, number, 1, token);
    char *page = NULL;
    cr_assert_eq(survey_get(token, &page), 200);
    cr_assert_not_null(strstr(page, "dissatisfied"));
    free(page);

    /* 3. Dissatisfied: recorded, and the ticket goes back to the team's supervisor. */
    int status;
    json_t *r = survey_post(token, "{\"rating\":\"dissatisfied\",\"comment\":\"Still late.\"}",
                            &status);
    cr_assert_eq(status, 200);
    json_decref(r);
    const char *p[] = {id};
    char *row = sb_fixture_value(pg, "SELECT status || '/' || assignee FROM tickets WHERE id = $1",
                                 1, p);
    char want[96];
    snprintf(want, sizeof want, "reopened/%s", sup);
    cr_assert_str_eq(row, want);
    free(row);
    json_t *answered = survey_event_wait(pg, id, "survey_answered", 0);
    survey_assert_schema("tickets/survey_answered.v1.json", answered);
    const json_t *ad = json_object_get(answered, "data");
    cr_assert(json_is_false(json_object_get(ad, "satisfied")));
    cr_assert_eq(json_integer_value(json_object_get(ad, "round")), 1);
    json_t *reopened = survey_event_wait(pg, id, "reopened", 0);
    survey_assert_schema("tickets/reopened.v1.json", reopened);
    const json_t *rd = json_object_get(reopened, "data");
    cr_assert_str_eq(json_string_value(json_object_get(rd, "assignee")), sup);
    cr_assert_str_eq(json_string_value(json_object_get(rd, "department")), "quality");
    cr_assert_str_eq(json_string_value(json_object_get(rd, "reason")), "dissatisfied");
    cr_assert_str_eq(json_string_value(json_object_get(reopened, "source_event_id")),
                     json_string_value(json_object_get(answered, "event_id")));
    const char *reopened_id = json_string_value(json_object_get(reopened, "event_id"));
    survey_assert_published(pg, reopened_id);
    /* sla sees the reopened event and runs the second handling's own 24 h clock. */
    char reopened_copy[SB_UUID_STRLEN];
    snprintf(reopened_copy, sizeof reopened_copy, "%s", reopened_id);
    assert_second_handling(id, reopened_copy, "armed/24");
    /* The supervisor's task notice. */
    char notice_id[SB_UUID_STRLEN];
    sb_ids_derived(reopened_id, "task_notice", notice_id);
    const char *q[] = {notice_id};
    char *nv = sb_fixture_value(pg, "SELECT payload::text FROM outbox WHERE payload->>'event_id' = $1",
                                1, q);
    json_t *notice = nv ? json_loads(nv, 0, NULL) : NULL;
    free(nv);
    survey_assert_schema("notifications/task_notice.v1.json", notice);
    cr_assert_str_eq(json_string_value(json_object_get(notice, "recipient")), sup);
    cr_assert_str_eq(json_string_value(json_object_get(notice, "recipient_kind")), "supervisor");
    survey_assert_published(pg, notice_id);
    json_decref(notice);
    json_decref(answered);
    json_decref(reopened);
    /* The link is spent. */
    r = survey_post(token, "{\"rating\":\"very_satisfied\"}", &status);
    survey_assert_error(r, status, 409, "already_answered", "token");
    json_decref(r);

    /* 4. The supervisor handles it again and resolves it: the round-2 follow-up survey. */
    desk_act(number, "resolve", sup_token,
             "{\"resolution\":\"fully\",\"solution\":\"Replacement sent by courier.\",\"tags\":[]}",
             NULL);
    wait_state(id, 2, "scheduled");
    assert_second_handling(id, reopened_copy, "met/24");
    advance(delay_ms() + 1000);
    wait_state(id, 2, "sent");
    char token2[SURVEY_TOKEN_MAX + 1];
    assert_sent(id, number, 2, token2);
    cr_assert_str_neq(token, token2);

    /* 5. No third round: dissatisfied again is recorded, the ticket stays resolved. */
    r = survey_post(token2, "{\"rating\":\"dissatisfied\"}", &status);
    cr_assert_eq(status, 200);
    json_decref(r);
    row = sb_fixture_value(pg, "SELECT status FROM tickets WHERE id = $1", 1, p);
    cr_assert_str_eq(row, "resolved");
    free(row);
    cr_assert_eq(survey_event_count(pg, id, "reopened"), 1);
    json_t *a2 = survey_event_wait(pg, id, "survey_answered", 1);
    survey_assert_schema("tickets/survey_answered.v1.json", a2);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(a2, "data"), "round")), 2);
    json_decref(a2);
    free(agent_token);
    free(sup_token);
}

/* Restarts sb-survey and waits until it answers again. */
static void restart_survey(void)
{
    cr_assert_eq(sb_test_stack_service("restart", "survey"), 0, "could not restart survey");
}

#define RESTART_SURVEYS 6

Test(survey_loop, due_surveys_survive_restarts_none_lost_none_doubled)
{
    survey_planted s[RESTART_SURVEYS];
    /* Due in 5 minutes of the services' clock: pending across the restart. */
    for (int i = 0; i < RESTART_SURVEYS; i++)
        survey_plant(pg, "resolved", "scheduled", 5 * 60000, 0, &s[i]);
    restart_survey();
    for (int i = 0; i < RESTART_SURVEYS; i++) {
        const char *p[] = {s[i].id};
        char *st = sb_fixture_value(pg, "SELECT state FROM surveys WHERE id = $1", 1, p);
        cr_assert_str_eq(st, "scheduled", "sent before it was due");
        free(st);
    }
    advance(6 * 60000);
    for (int i = 0; i < RESTART_SURVEYS; i++)
        wait_state(s[i].ticket_id, 1, "sent");
    /* Again: a fresh process must not send them a second time. A survey due now, planted after
     * the restart, proves the new process's loop has run. */
    restart_survey();
    survey_planted barrier;
    survey_plant(pg, "resolved", "scheduled", -1000, 0, &barrier);
    wait_state(barrier.ticket_id, 1, "sent");
    for (int i = 0; i < RESTART_SURVEYS; i++) {
        cr_assert_eq(survey_event_count(pg, s[i].ticket_id, "survey_sent"), 1);
        char sent_id[SB_UUID_STRLEN];
        sb_ids_derived(s[i].id, "survey_sent", sent_id);
        survey_assert_published(pg, sent_id);
        json_t *n = link_notice(sent_id);
        json_decref(n);
    }
}

Test(survey_loop, a_ticket_merged_meanwhile_is_not_surveyed)
{
    survey_planted dup, into;
    survey_plant(pg, "resolved", "scheduled", 60000, 0, &dup);
    survey_plant(pg, "resolved", "scheduled", 60000, 0, &into);
    const char *p[] = {dup.ticket_id, into.ticket_id};
    cr_assert_eq(sb_fixture_exec(pg, "UPDATE tickets SET status = 'closed', merged_into = $2"
                                     " WHERE id = $1", 2, p), 0);
    advance(2 * 60000);
    wait_state(into.ticket_id, 1, "sent");
    wait_state(dup.ticket_id, 1, "cancelled");
    cr_assert_eq(survey_event_count(pg, dup.ticket_id, "survey_sent"), 0);
}

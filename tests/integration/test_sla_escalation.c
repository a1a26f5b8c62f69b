/* test_sla_escalation.c - sb-sla escalates an assignment nobody acknowledged, exactly once:
 * acknowledged in time, re-offered, replayed and across a restart, through the broker. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/ids.h"
#include "fixture.h"
#include "replica.h"
#include "schema.h"

/* How long a test waits for sla (a rebalance after a restart takes ~6 s). */
#define WAIT_MS 30000

static PGconn *pg;

/* Skip unless the stack is running (tests/run or deploy/local/up exported it); else connect. */
static void esc_setup(void)
{
    if (!getenv("SB_PG_DSN") || !getenv("SB_KAFKA_BROKERS"))
        cr_skip_test("SB_PG_DSN or SB_KAFKA_BROKERS unset: the stack is not running");
    pg = sb_fixture_pg();
    cr_assert_not_null(pg, "cannot connect to SB_PG_DSN");
}

static void esc_teardown(void)
{
    if (pg)
        PQfinish(pg);
    pg = NULL;
}

TestSuite(sla_escalation, .init = esc_setup, .fini = esc_teardown, .timeout = 120);

/* A ticket of department quality, assigned to quality-01 (as dispatch leaves it). */
typedef struct ticket {
    char number[32], id[37];
} ticket;

static ticket make_ticket(void)
{
    ticket t;
    sb_fixture_ticket f = {.status = "assigned", .category = "complaint", .urgency = "medium",
                           .priority = "P2", .department = "quality", .assignee = "quality-01"};
    cr_assert_eq(sb_fixture_ticket_new(pg, &f, t.number, t.id), 0);
    return t;
}

/* Publish a ticket event of type with id (data stolen). */
static void publish(const char *type, const char *event_id, const ticket *t, json_t *data)
{
    char at[32];
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "type", type, "event_id", event_id,
                           "occurred_at", sb_clock_format_iso(sb_clock_now_ms(), at, sizeof(at)),
                           "ticket_id", t->id, "ticket_number", t->number, "data", data);
    char *text = json_dumps(ev, JSON_COMPACT);
    cr_assert_eq(sb_fixture_publish("sb.tickets.v1", t->id, text), 0);
    free(text);
    json_decref(ev);
}

/* quality-01 is offered the ticket and must acknowledge within in_ms. */
static void publish_assigned(const char *event_id, const ticket *t, int64_t in_ms)
{
    char due[32];
    sb_clock_format_iso(sb_clock_now_ms() + in_ms, due, sizeof(due));
    publish("assigned", event_id, t,
            json_pack("{s:s, s:s, s:s, s:s}", "agent_id", "quality-01", "department", "quality",
                      "reason", "least_load", "ack_due_at", due));
}

/* Waits until the ticket's acknowledgement timer is in state; returns whether it got there. */
static int ack_state_is(const ticket *t, const char *state)
{
    const char *p[] = {t->id};
    char *got = sb_fixture_wait(pg, "SELECT state FROM sla_timers WHERE ticket_id = $1"
                                    " AND kind = 'acknowledgement'", 1, p, state, WAIT_MS);
    int ok = got && strcmp(got, state) == 0;
    free(got);
    return ok;
}

/* How many escalated events the ticket has in ticket_events (now). */
static long escalations(const ticket *t)
{
    const char *p[] = {t->id};
    char *v = sb_fixture_value(pg, "SELECT count(*) FROM ticket_events WHERE ticket_id = $1"
                                   " AND type = 'escalated'", 1, p);
    long n = v ? strtol(v, NULL, 10) : -1;
    free(v);
    return n;
}

/* Waits for the ticket's (first) escalation; its stored event, or NULL. */
static json_t *escalated_event(const ticket *t)
{
    const char *p[] = {t->id};
    char *v = sb_fixture_wait(pg, "SELECT payload::text FROM ticket_events WHERE ticket_id = $1"
                                  " AND type = 'escalated' ORDER BY seq LIMIT 1", 1, p, NULL,
                              WAIT_MS);
    json_t *ev = v ? json_loads(v, 0, NULL) : NULL;
    free(v);
    return ev;
}

/* Validate ev against proto/<rel>. */
static void assert_schema(const char *rel, const json_t *ev)
{
    char path[512], err[512];
    snprintf(path, sizeof(path), "%s/proto/%s", SB_SOURCE_DIR, rel);
    cr_assert_eq(sb_schema_validate_file(path, ev, err, sizeof(err)), 0, "%s: %s", rel, err);
}

/* Copies of the published events with these ids, read from both topics from their start. */
typedef struct seen {
    const char *ids[2];
    int         count[2];
    json_t     *ev[2];
} seen;

/* A consumer of the tickets and notifications topics from the beginning, in its own group. */
static rd_kafka_t *topics_reader(void)
{
    char group[96], err[512];
    snprintf(group, sizeof(group), "test-sla-esc-%ld-%d", (long)time(NULL), (int)getpid());
    const char *kv[][2] = {{"bootstrap.servers", getenv("SB_KAFKA_BROKERS")},
                           {"group.id", group}, {"auto.offset.reset", "earliest"},
                           {"session.timeout.ms", "6000"}, {"enable.partition.eof", "true"}};
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
        cr_assert(rd_kafka_conf_set(conf, kv[i][0], kv[i][1], err, sizeof(err)) ==
                  RD_KAFKA_CONF_OK, "%s", err);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    cr_assert(rk, "%s", err);
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *tl = rd_kafka_topic_partition_list_new(2);
    rd_kafka_topic_partition_list_add(tl, "sb.tickets.v1", RD_KAFKA_PARTITION_UA);
    rd_kafka_topic_partition_list_add(tl, "sb.notifications.v1", RD_KAFKA_PARTITION_UA);
    cr_assert(rd_kafka_subscribe(rk, tl) == 0);
    rd_kafka_topic_partition_list_destroy(tl);
    return rk;
}

/* Read until both ids were seen and the topics then stayed quiet (their ends reached) for a
 * second, or WAIT_MS passed. */
static void read_topics(seen *s)
{
    rd_kafka_t *rk = topics_reader();
    int64_t deadline = sb_clock_mono_ms() + WAIT_MS, quiet_since = 0;
    while (sb_clock_mono_ms() < deadline) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        int data = m && !m->err;
        if (data) {
            json_t *ev = json_loadb(m->payload, m->len, 0, NULL);
            const char *id = json_string_value(json_object_get(ev, "event_id"));
            for (int i = 0; i < 2 && id; i++)
                if (strcmp(id, s->ids[i]) == 0 && s->count[i]++ == 0)
                    s->ev[i] = json_incref(ev);
            json_decref(ev);
        }
        if (m)
            rd_kafka_message_destroy(m);
        if (data || !s->count[0] || !s->count[1])
            quiet_since = 0;
        else if (!quiet_since)
            quiet_since = sb_clock_mono_ms();
        else if (sb_clock_mono_ms() - quiet_since > 1000)
            break;
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
}

/* The ticket escalated exactly once for the assignment `assigned`: stored, published on both
 * topics, valid against the schemas, with the contract's ids and the supervisor. */
static void assert_escalated_once(const ticket *t, const char *assigned)
{
    char id[SB_UUID_STRLEN], notice[SB_UUID_STRLEN];
    sb_ids_derived(assigned, "escalated", id);
    sb_ids_derived(id, "escalation", notice);
    json_t *stored = escalated_event(t);
    cr_assert_not_null(stored, "%s was not escalated", t->number);
    cr_assert_str_eq(json_string_value(json_object_get(stored, "event_id")), id);
    json_decref(stored);
    /* Breached, or already armed again by dispatch's re-offer (a newer assignment). */
    const char *q[] = {t->id, assigned};
    char *st = sb_fixture_wait(pg, "SELECT CASE WHEN state = 'breached' OR source_event_id <> $2::uuid"
                                   " THEN 'escalated' ELSE state END FROM sla_timers"
                                   " WHERE ticket_id = $1 AND kind = 'acknowledgement'", 2, q,
                               "escalated", WAIT_MS);
    cr_assert_str_eq(st ? st : "(none)", "escalated");
    free(st);
    cr_assert_eq(escalations(t), 1);

    seen s = {.ids = {id, notice}};
    read_topics(&s);
    cr_assert_eq(s.count[0], 1, "escalated published %d times", s.count[0]);
    cr_assert_eq(s.count[1], 1, "escalation notice published %d times", s.count[1]);
    assert_schema("tickets/escalated.v1.json", s.ev[0]);
    assert_schema("notifications/escalation.v1.json", s.ev[1]);
    const json_t *data = json_object_get(s.ev[0], "data");
    cr_assert_str_eq(json_string_value(json_object_get(data, "kind")), "acknowledgement");
    cr_assert_str_eq(json_string_value(json_object_get(data, "agent_id")), "quality-01");
    cr_assert_str_eq(json_string_value(json_object_get(data, "department")), "quality");
    cr_assert_str_eq(json_string_value(json_object_get(data, "supervisor_id")), "quality-lead",
                     "the supervisor of quality-01's team");
    cr_assert_str_eq(json_string_value(json_object_get(s.ev[0], "source_event_id")), assigned);
    cr_assert_str_eq(json_string_value(json_object_get(s.ev[1], "recipient")), "quality-lead");
    cr_assert_str_eq(json_string_value(json_object_get(s.ev[1], "ticket_number")), t->number);
    json_decref(s.ev[0]);
    json_decref(s.ev[1]);
}

Test(sla_escalation, unacknowledged_assignment_escalates_once_to_the_supervisor)
{
    ticket t = make_ticket();
    char assigned[37];
    sb_fixture_uuid(assigned);
    publish_assigned(assigned, &t, 1500);
    assert_escalated_once(&t, assigned);
}

Test(sla_escalation, acknowledged_in_time_never_escalates)
{
    ticket acked = make_ticket(), later = make_ticket();
    char a1[37], a2[37], ack[37];
    sb_fixture_uuid(a1);
    sb_fixture_uuid(a2);
    sb_fixture_uuid(ack);
    /* Deadlines far enough ahead that a busy sla (sanitizers, other suites) applies the
     * acknowledgement before the first one passes. */
    publish_assigned(a1, &acked, 8000);
    publish("acknowledged", ack, &acked, json_pack("{s:s}", "agent_id", "quality-01"));
    cr_assert(ack_state_is(&acked, "met"));
    /* A deadline just after acked's: once it has fired, acked's deadline has passed too. */
    publish_assigned(a2, &later, 8300);
    json_t *ev = escalated_event(&later);
    cr_assert_not_null(ev, "the later ticket should have escalated");
    json_decref(ev);
    cr_assert_eq(escalations(&acked), 0);
    cr_assert(ack_state_is(&acked, "met"));
}

Test(sla_escalation, ticket_no_longer_with_the_agent_is_met_not_escalated)
{
    ticket moved = make_ticket();
    char a1[37];
    sb_fixture_uuid(a1);
    publish_assigned(a1, &moved, 3000);
    cr_assert(ack_state_is(&moved, "armed"));
    /* Acknowledged through a path sla has not heard of yet: the ticket row says so. */
    const char *p[] = {moved.id};
    cr_assert_eq(sb_fixture_exec(pg, "UPDATE tickets SET status = 'acknowledged' WHERE id = $1",
                                 1, p), 0);
    cr_assert(ack_state_is(&moved, "met"), "the deadline passed on a ticket not waiting any more");
    cr_assert_eq(escalations(&moved), 0);
}

Test(sla_escalation, reoffer_rearms_with_the_new_deadline)
{
    ticket t = make_ticket(), barrier = make_ticket();
    char first[37], second[37], b[37];
    sb_fixture_uuid(first);
    sb_fixture_uuid(second);
    sb_fixture_uuid(b);
    publish_assigned(first, &t, 1500);
    publish_assigned(second, &t, 4000);   /* re-offered before the first deadline */
    publish_assigned(b, &barrier, 2500);
    json_t *ev = escalated_event(&barrier);
    cr_assert_not_null(ev);
    json_decref(ev);
    /* The first deadline is long past: it no longer counts. */
    cr_assert_eq(escalations(&t), 0, "escalated at the replaced deadline");
    assert_escalated_once(&t, second);
}

Test(sla_escalation, replayed_assignment_neither_rearms_nor_fires_twice)
{
    ticket t = make_ticket();
    char assigned[37], replied[37];
    sb_fixture_uuid(assigned);
    sb_fixture_uuid(replied);
    publish_assigned(assigned, &t, 1500);
    json_t *ev = escalated_event(&t);
    cr_assert_not_null(ev);
    json_decref(ev);
    /* The same event again, with a later deadline, then an event sla applies after it (same
     * partition, so in order): once that one shows, the replay has been handled. */
    publish_assigned(assigned, &t, 2000);
    publish("replied", replied, &t, json_pack("{s:s}", "text", "hello"));
    const char *p[] = {t.id};
    char *fr = sb_fixture_wait(pg, "SELECT state FROM sla_timers WHERE ticket_id = $1"
                                   " AND kind = 'first_response'", 1, p, "met", WAIT_MS);
    cr_assert_str_eq(fr ? fr : "(none)", "met");
    free(fr);
    /* Breached, unless dispatch has since re-offered the ticket (its escalation's purpose):
     * then the timer is armed again by dispatch's new assignment, not by the replay. */
    const char *q[] = {t.id, assigned};
    char *rearmed = sb_fixture_value(pg, "SELECT count(*) FROM sla_timers WHERE ticket_id = $1"
                                         " AND kind = 'acknowledgement' AND state <> 'breached'"
                                         " AND source_event_id = $2::uuid", 2, q);
    cr_assert_str_eq(rearmed ? rearmed : "(error)", "0", "the replay must not re-arm");
    free(rearmed);
    assert_escalated_once(&t, assigned);
}

Test(sla_escalation, armed_before_a_restart_fires_once_after_it)
{
    ticket t = make_ticket();
    char assigned[37];
    sb_fixture_uuid(assigned);
    publish_assigned(assigned, &t, 9000);
    cr_assert(ack_state_is(&t, "armed"));
    cr_assert_eq(sb_test_stack_service("restart", "sla"), 0, "could not restart sla");
    /* Nothing fired while it was down; the new process found the timer in sla_timers. */
    assert_escalated_once(&t, assigned);
}

/* test_sla_alerts.c - sb-sla warns and breaches a clock exactly once (stored, queued in the
 * outbox with its notice), urges a breached ticket every SB_SLA_URGE_EVERY_MS up to the cap
 * (the driven clock makes the hours pass), and loses or doubles nothing across a kill -9. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/ids.h"
#include "fixture.h"
#include "replica.h"
#include "schema.h"

#define WAIT_MS 30000
#define HOUR_MS (3600 * 1000LL)

static PGconn *pg;
static sb_test_replica replica = {.pid = -1};

static void alerts_setup(void)
{
    if (!getenv("SB_PG_DSN") || !getenv("SB_KAFKA_BROKERS"))
        cr_skip_test("SB_PG_DSN or SB_KAFKA_BROKERS unset: the stack is not running");
    pg = sb_fixture_pg();
    cr_assert_not_null(pg, "cannot connect to SB_PG_DSN");
    /* The stack's sla runs (a no-op unless a failed test left it down, so one failure does
     * not fail every test after it). */
    cr_assert_eq(sb_test_stack_service("start", "sla"), 0, "the stack's sla does not start");
}

static void alerts_teardown(void)
{
    sb_test_replica_stop(&replica, 1);
    const char *path = getenv("SB_CLOCK_OFFSET_FILE");
    if (path)
        sb_clock_offset_write(path, 0);   /* other suites share the stack */
    if (pg)
        PQfinish(pg);
    pg = NULL;
}

/* One at a time: a test drives the clock every service shares. */
TestSuite(sla_alerts, .init = alerts_setup, .fini = alerts_teardown, .timeout = 150);

typedef struct ticket {
    char number[32], id[37], assigned[37];
} ticket;

/* A medium-urgency ticket whose 24 h first-response deadline is in_ms from now (its 75 %
 * warning long past), assigned to quality-01 with a day to acknowledge. */
static ticket make_due_ticket(int64_t in_ms)
{
    ticket t;
    char created[32], at[32], ack[32];
    int64_t now = sb_clock_now_ms();
    sb_clock_format_iso(now - 24 * HOUR_MS + in_ms, created, sizeof(created));
    sb_fixture_ticket f = {.status = "assigned", .category = "consultation",
                           .urgency = "medium", .priority = "P2", .department = "quality",
                           .assignee = "quality-01", .created_at = created};
    cr_assert_eq(sb_fixture_ticket_new(pg, &f, t.number, t.id), 0);
    sb_fixture_uuid(t.assigned);
    json_t *ev = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s}}", "type", "assigned", "event_id",
        t.assigned, "occurred_at", sb_clock_format_iso(now, at, sizeof(at)), "ticket_id", t.id,
        "ticket_number", t.number, "data", "agent_id", "quality-01", "department", "quality",
        "reason", "least_load", "ack_due_at",
        sb_clock_format_iso(now + 24 * HOUR_MS, ack, sizeof(ack)));
    char *text = json_dumps(ev, JSON_COMPACT);
    cr_assert_eq(sb_fixture_publish("sb.tickets.v1", t.id, text), 0);
    free(text);
    json_decref(ev);
    return t;
}

/* Waits until the ticket has want events of type in ticket_events; the count then. */
static long events_of(const ticket *t, const char *type, const char *want)
{
    const char *p[] = {t->id, type};
    char *v = sb_fixture_wait(pg, "SELECT count(*) FROM ticket_events WHERE ticket_id = $1"
                                  " AND type = $2", 2, p, want, WAIT_MS);
    long n = v ? strtol(v, NULL, 10) : -1;
    free(v);
    return n;
}

/* Outbox rows for this ticket: events of type on sb.tickets.v1, or sla_alert notices with
 * this alert on sb.notifications.v1. */
static long outbox_of(const ticket *t, const char *type, const char *alert)
{
    const char *p[] = {t->id, type, alert};
    char *v = sb_fixture_value(pg, "SELECT count(*) FROM outbox WHERE payload->>'ticket_id' = $1"
                                   " AND payload->>'type' = $2"
                                   " AND ($3::text IS NULL OR payload->>'alert' = $3)", 3, p);
    long n = v ? strtol(v, NULL, 10) : -1;
    free(v);
    return n;
}

/* The stored event of type (the first), validated against proto/tickets/<type>.v1.json. */
static json_t *stored(const ticket *t, const char *type)
{
    const char *p[] = {t->id, type};
    char *v = sb_fixture_value(pg, "SELECT payload::text FROM ticket_events WHERE ticket_id = $1"
                                   " AND type = $2 ORDER BY seq LIMIT 1", 2, p);
    json_t *ev = v ? json_loads(v, 0, NULL) : NULL;
    free(v);
    cr_assert_not_null(ev, "no %s for %s", type, t->number);
    char path[512], err[512];
    snprintf(path, sizeof(path), "%s/proto/tickets/%s.v1.json", SB_SOURCE_DIR, type);
    cr_assert_eq(sb_schema_validate_file(path, ev, err, sizeof(err)), 0, "%s: %s", type, err);
    return ev;
}

/* The warning and the breach of the first response happened, each exactly once. */
static void assert_warned_and_breached_once(const ticket *t)
{
    cr_assert_eq(events_of(t, "sla_breached", "1"), 1);
    cr_assert_eq(events_of(t, "sla_warning", "1"), 1);
    cr_assert_eq(outbox_of(t, "sla_breached", NULL), 1);
    cr_assert_eq(outbox_of(t, "sla_warning", NULL), 1);
    cr_assert_eq(outbox_of(t, "sla_alert", "warning"), 1);
    cr_assert_eq(outbox_of(t, "sla_alert", "breach"), 1);
}

Test(sla_alerts, warning_then_breach_exactly_once_with_their_notices)
{
    ticket t = make_due_ticket(4000);
    assert_warned_and_breached_once(&t);
    char want[SB_UUID_STRLEN];
    json_t *w = stored(&t, "sla_warning"), *b = stored(&t, "sla_breached");
    sb_ids_derived(t.assigned, "sla_warning:first_response", want);
    cr_assert_str_eq(json_string_value(json_object_get(w, "event_id")), want);
    sb_ids_derived(t.assigned, "sla_breached:first_response", want);
    cr_assert_str_eq(json_string_value(json_object_get(b, "event_id")), want);
    const json_t *wd = json_object_get(w, "data"), *bd = json_object_get(b, "data");
    cr_assert_str_eq(json_string_value(json_object_get(wd, "policy_id")), "first-response-medium");
    cr_assert_float_eq(json_real_value(json_object_get(wd, "share")), 0.75, 1e-9);
    cr_assert_str_eq(json_string_value(json_object_get(wd, "agent_id")), "quality-01");
    cr_assert_str_eq(json_string_value(json_object_get(bd, "supervisor_id")), "quality-lead");
    cr_assert(json_is_false(json_object_get(bd, "business_hours")));
    json_decref(w);
    json_decref(b);
    /* The notices: the warning to the agent, the breach to the supervisor, valid. */
    const char *p[] = {t.id};
    char *v = sb_fixture_value(pg, "SELECT string_agg(payload->>'alert' || ':' ||"
                                   " (payload->>'recipient'), ',' ORDER BY id) FROM outbox"
                                   " WHERE payload->>'type' = 'sla_alert'"
                                   "   AND payload->>'alert' IN ('warning', 'breach')"
                                   "   AND payload->>'ticket_id' = $1", 1, p);
    cr_assert_str_eq(v ? v : "(none)", "warning:quality-01,breach:quality-lead");
    free(v);
    v = sb_fixture_value(pg, "SELECT payload::text FROM outbox WHERE payload->>'type' ="
                             " 'sla_alert' AND payload->>'ticket_id' = $1 LIMIT 1", 1, p);
    json_t *n = v ? json_loads(v, 0, NULL) : NULL;
    free(v);
    char path[512], err[512];
    snprintf(path, sizeof(path), "%s/proto/notifications/sla_alert.v1.json", SB_SOURCE_DIR);
    cr_assert_eq(sb_schema_validate_file(path, n, err, sizeof(err)), 0, "sla_alert: %s", err);
    json_decref(n);
    /* Replied late: the breached clock is settled (no more reminders), still breached. */
    char at[32], id[37];
    sb_fixture_uuid(id);
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s}}", "type", "replied", "event_id",
                           id, "occurred_at",
                           sb_clock_format_iso(sb_clock_now_ms(), at, sizeof(at)), "ticket_id",
                           t.id, "ticket_number", t.number, "data", "text", "sorry");
    char *text = json_dumps(ev, JSON_COMPACT);
    cr_assert_eq(sb_fixture_publish("sb.tickets.v1", t.id, text), 0);
    free(text);
    json_decref(ev);
    v = sb_fixture_wait(pg, "SELECT state || '/' || (settled_at IS NOT NULL) || '/' ||"
                            " (next_at IS NULL) FROM sla_timers WHERE ticket_id = $1"
                            " AND kind = 'first_response'", 1, p, "breached/true/true", WAIT_MS);
    cr_assert_str_eq(v ? v : "(none)", "breached/true/true");
    free(v);
    assert_warned_and_breached_once(&t);
}

/* Drive every service's clock to offset_ms ahead. */
static void drive(int64_t offset_ms)
{
    const char *path = getenv("SB_CLOCK_OFFSET_FILE");
    if (!path)
        cr_skip_test("SB_CLOCK_OFFSET_FILE unset: the stack's clock cannot be driven");
    cr_assert_eq(sb_clock_offset_write(path, offset_ms), 0);
}

Test(sla_alerts, breached_ticket_is_urged_every_hour_up_to_the_cap)
{
    if (!getenv("SB_CLOCK_OFFSET_FILE"))
        cr_skip_test("SB_CLOCK_OFFSET_FILE unset: the stack's clock cannot be driven");
    ticket t = make_due_ticket(1000);
    cr_assert_eq(events_of(&t, "sla_breached", "1"), 1);
    cr_assert_eq(events_of(&t, "urged", "0"), 0);
    /* Default SB_SLA_URGE_EVERY_MS = 1 h, SB_SLA_URGE_MAX = 3. */
    char want[4];
    for (int n = 1; n <= 3; n++) {
        drive(n * HOUR_MS + 5000);
        snprintf(want, sizeof(want), "%d", n);
        cr_assert_eq(events_of(&t, "urged", want), n, "reminder %d", n);
    }
    const char *p[] = {t.id};
    char *v = sb_fixture_wait(pg, "SELECT reminders || '/' || (next_at IS NULL) FROM sla_timers"
                                  " WHERE ticket_id = $1 AND kind = 'first_response'", 1, p,
                              "3/true", WAIT_MS);
    cr_assert_str_eq(v ? v : "(none)", "3/true", "the cap ends the reminders");
    free(v);
    drive(5 * HOUR_MS);
    json_t *u = stored(&t, "urged");
    const json_t *d = json_object_get(u, "data");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(d, "by"), "role")),
                     "system");
    cr_assert_eq(json_integer_value(json_object_get(d, "reminder")), 1);
    char id[SB_UUID_STRLEN];
    sb_ids_derived(t.assigned, "urged:first_response:1", id);
    cr_assert_str_eq(json_string_value(json_object_get(u, "event_id")), id);
    json_decref(u);
    cr_assert_eq(outbox_of(&t, "sla_alert", "urge"), 3);
    /* One more driven hour has passed the cap by the time a later-due ticket breaches. */
    ticket later = make_due_ticket(-5 * HOUR_MS + 1000);
    cr_assert_eq(events_of(&later, "sla_breached", "1"), 1);
    cr_assert_eq(events_of(&t, "urged", "3"), 3, "no reminder past the cap");
}

Test(sla_alerts, killed_mid_countdown_loses_nothing_and_doubles_nothing)
{
    if (!getenv("SB_VAR"))
        cr_skip_test("SB_VAR unset: cannot find sla's pid file");
    ticket t = make_due_ticket(8000);
    cr_assert_eq(events_of(&t, "sla_warning", "1"), 1);
    cr_assert_eq(sb_test_stack_kill("sla"), 0, "cannot kill -9 the stack's sla");
    cr_assert_eq(sb_test_stack_service("start", "sla"), 0, "could not start sla again");
    /* The deadline passed during or after the restart: breached once, warned only once. */
    assert_warned_and_breached_once(&t);
}

/* A ticket of department dept created at created (ISO, NULL = now), with a first-response
 * clock planted in state: started at started_ago_min minutes ago, settled settled_ago_min ago
 * (-1: not settled), due in a day. */
static ticket plant(const char *dept, const char *state, int started_ago_min, int settled_ago_min)
{
    ticket t;
    sb_fixture_ticket f = {.status = "assigned", .category = "consultation",
                           .urgency = "medium", .priority = "P2", .department = dept};
    cr_assert_eq(sb_fixture_ticket_new(pg, &f, t.number, t.id), 0);
    char started[16], settled[16];
    snprintf(started, sizeof(started), "%d", started_ago_min);
    snprintf(settled, sizeof(settled), "%d", settled_ago_min);
    const char *p[] = {t.id, state, started, settled_ago_min < 0 ? NULL : settled};
    cr_assert_eq(sb_fixture_exec(pg, "INSERT INTO sla_timers (ticket_id, kind, state, due_at,"
                                     " started_at, settled_at) VALUES ($1, 'first_response', $2,"
                                     " now() + interval '1 day',"
                                     " now() - $3::int * interval '1 minute',"
                                     " now() - $4::int * interval '1 minute')", 4, p), 0);
    return t;
}

/* A high-urgency ticket of dept (first response within 2 h), assigned now. */
static ticket urgent(const char *dept)
{
    ticket t;
    char at[32];
    sb_fixture_ticket f = {.status = "assigned", .category = "consultation", .urgency = "high",
                           .priority = "P1", .department = dept};
    cr_assert_eq(sb_fixture_ticket_new(pg, &f, t.number, t.id), 0);
    sb_fixture_uuid(t.assigned);
    json_t *ev = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s}}", "type", "assigned", "event_id",
        t.assigned, "occurred_at", sb_clock_format_iso(sb_clock_now_ms(), at, sizeof(at)),
        "ticket_id", t.id, "ticket_number", t.number, "data", "agent_id", "quality-01",
        "department", dept, "reason", "least_load");
    char *text = json_dumps(ev, JSON_COMPACT);
    cr_assert_eq(sb_fixture_publish("sb.tickets.v1", t.id, text), 0);
    free(text);
    json_decref(ev);
    return t;
}

Test(sla_alerts, a_long_queue_at_the_recent_rate_raises_at_risk_once)
{
    /* A department of its own: 4 first responses in the last hour (one per 15 min) and 8
     * tickets waiting, the oldest 30 minutes. */
    char dept[32], hex[9];
    sb_fixture_hex(hex, 8);
    snprintf(dept, sizeof(dept), "risk-%s", hex);
    const char *d[] = {dept};
    cr_assert_eq(sb_fixture_exec(pg, "INSERT INTO departments (id, name) VALUES ($1, $1)", 1, d),
                 0);
    for (int i = 0; i < 4; i++)
        plant(dept, "met", 90, 10 + i * 10);
    ticket first = plant(dept, "armed", 30, -1);
    for (int i = 1; i < 8; i++)
        plant(dept, "armed", 30 - i, -1);
    /* Nine slots of 15 min: answered in 2 h 15 min, due in 2 h. */
    ticket t = urgent(dept);
    cr_assert_eq(events_of(&t, "sla_at_risk", "1"), 1, "%s not raised at risk", t.number);
    json_t *ev = stored(&t, "sla_at_risk");
    const json_t *data = json_object_get(ev, "data");
    cr_assert_eq(json_integer_value(json_object_get(data, "queue_ahead")), 8);
    cr_assert_float_eq(json_number_value(json_object_get(data, "handled_per_hour")), 4.0, 1e-9);
    cr_assert_str_eq(json_string_value(json_object_get(data, "department")), dept);
    char id[SB_UUID_STRLEN];
    sb_ids_derived(t.assigned, "sla_at_risk:first_response", id);
    cr_assert_str_eq(json_string_value(json_object_get(ev, "event_id")), id);
    int64_t due, est;
    cr_assert_eq(sb_clock_parse_iso(json_string_value(json_object_get(data, "due_at")), &due), 0);
    cr_assert_eq(sb_clock_parse_iso(json_string_value(json_object_get(data, "estimated_at")),
                                    &est), 0);
    cr_assert_gt(est, due, "estimated after the deadline");
    json_decref(ev);
    cr_assert_eq(outbox_of(&t, "sla_alert", "at_risk"), 1);
    /* A later ticket is raised by a later scan: by then the first was not raised again, and
     * the oldest waiting one (due in a day, answered in 15 min) never was. */
    ticket later = urgent(dept);
    cr_assert_eq(events_of(&later, "sla_at_risk", "1"), 1);
    cr_assert_eq(events_of(&t, "sla_at_risk", "1"), 1);
    cr_assert_eq(events_of(&first, "sla_at_risk", "0"), 0);
    cr_assert_eq(outbox_of(&t, "sla_alert", "at_risk"), 1);
}

/* Lines of the stack's sla log saying it took partitions (a finished rebalance). */
static int stack_sla_took(void)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/log/sla.log", getenv("SB_VAR"));
    return sb_test_log_count(path, "\"sla_partitions\"", "\"took ");
}

/* Waits until the stack's sla has finished one more rebalance than `before`. */
static void wait_stack_rebalanced(int before)
{
    for (int i = 0; i < 600 && stack_sla_took() <= before; i++)
        usleep(50 * 1000);
    cr_assert_gt(stack_sla_took(), before, "the stack's sla did not rebalance");
}

/* Both replicas' count of events fired (warnings, breaches, escalations, urges). */
static void fired_counts(long *stack, long *second)
{
    *stack = sb_test_metric(getenv("SB_SLA_URL"), "sb_sla_events_total");
    *second = sb_test_replica_metric(&replica, "sb_sla_events_total");
    cr_assert(*stack >= 0 && *second >= 0, "sla metrics unreadable");
}

#define REPLICA_TICKETS 16

Test(sla_alerts, two_replicas_split_the_clocks_by_partition_and_one_takes_over_when_the_other_dies)
{
    if (!getenv("SB_VAR") || !getenv("SB_SLA_URL"))
        cr_skip_test("SB_VAR or SB_SLA_URL unset: cannot watch the stack's sla");
    int took = stack_sla_took();
    cr_assert_eq(sb_test_replica_start(&replica, "sla", NULL), 0);
    for (int i = 0; i < 600 && !sb_test_replica_logged(&replica, "\"sla_partitions\"", "\"took "); i++) {
        cr_assert(sb_test_replica_alive(&replica), "the replica exited; see %s", replica.log);
        usleep(50 * 1000);
    }
    wait_stack_rebalanced(took);
    cr_assert(sb_test_replica_logged(&replica, "\"sla_partitions\"", "\"took "), "see %s", replica.log);

    /* 1. Clocks spread over the partitions: each fires exactly once, by the replica owning
     * it, and both replicas fire some. */
    long stack0, second0, stack1, second1;
    fired_counts(&stack0, &second0);
    ticket a[REPLICA_TICKETS];
    for (int i = 0; i < REPLICA_TICKETS; i++)
        a[i] = make_due_ticket(3000);
    for (int i = 0; i < REPLICA_TICKETS; i++)
        assert_warned_and_breached_once(&a[i]);
    fired_counts(&stack1, &second1);
    cr_assert_gt(stack1 - stack0, 0, "the stack's sla fired none of the clocks");
    cr_assert_gt(second1 - second0, 0, "the second replica fired none of the clocks");
    cr_assert_geq((stack1 - stack0) + (second1 - second0), 2 * REPLICA_TICKETS);

    /* 2. Clocks armed on both replicas, due in a minute; the second replica dies. */
    ticket b[REPLICA_TICKETS];
    for (int i = 0; i < REPLICA_TICKETS; i++)
        b[i] = make_due_ticket(60 * 1000);
    for (int i = 0; i < REPLICA_TICKETS; i++)
        cr_assert_eq(events_of(&b[i], "sla_warning", "1"), 1, "%s not armed", b[i].number);
    took = stack_sla_took();
    sb_test_replica_stop(&replica, 1);
    wait_stack_rebalanced(took);
    /* The minute passes: the survivor fires every deadline, the dead replica's too, once. */
    drive(61 * 1000);
    for (int i = 0; i < REPLICA_TICKETS; i++)
        assert_warned_and_breached_once(&b[i]);
}

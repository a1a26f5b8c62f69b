/* test_dispatch_routing.c - sb-dispatch over the running stack: skills, language, least load,
 * queueing when everyone is full, the freed agent taking the oldest highest-priority waiting
 * ticket, re-offer after an acknowledgement timeout, and a person's reassignment counted. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/ids.h"
#include "fixture.h"
#include "schema.h"

/* How long a test waits for dispatch (a fresh department is loaded on first use). */
#define WAIT_MS 20000

static PGconn *pg;
static char dept[40];

/* A department of its own per test, so queues and loads start empty. */
static void routing_setup(void)
{
    if (!getenv("SB_PG_DSN") || !getenv("SB_KAFKA_BROKERS"))
        cr_skip_test("SB_PG_DSN or SB_KAFKA_BROKERS unset: the stack is not running");
    pg = sb_fixture_pg();
    cr_assert_not_null(pg, "cannot connect to SB_PG_DSN");
    char hex[9];
    sb_fixture_hex(hex, 8);
    snprintf(dept, sizeof(dept), "rt-%s", hex);
    const char *p[] = {dept};
    cr_assert_eq(sb_fixture_exec(pg, "INSERT INTO departments (id, name) VALUES ($1, $1)", 1, p), 0);
}

static void routing_teardown(void)
{
    if (pg)
        PQfinish(pg);
    pg = NULL;
}

TestSuite(dispatch_routing, .init = routing_setup, .fini = routing_teardown, .timeout = 120);

/* An agent "<dept>-<name>" of the test's department, off duty when on_duty is "false". */
static void add_agent_duty(const char *name, int max_open, const char *skills,
                           const char *languages, const char *on_duty)
{
    char id[64], cap[8];
    snprintf(id, sizeof(id), "%s-%s", dept, name);
    snprintf(cap, sizeof(cap), "%d", max_open);
    const char *p[] = {id, dept, cap, skills, languages, on_duty};
    cr_assert_eq(sb_fixture_exec(pg,
        "INSERT INTO agents (id, name, department_id, role, max_open, skills, languages, on_duty)"
        " VALUES ($1, $1, $2, 'agent', $3::int, $4::text[], $5::text[], $6::boolean)", 6, p), 0);
}

static void add_agent(const char *name, int max_open, const char *skills, const char *languages)
{
    add_agent_duty(name, max_open, skills, languages, "true");
}

typedef struct ticket {
    char number[32], id[37];
} ticket;

/* Publish a ticket event (data stolen) keyed by the ticket. */
static void publish(const char *type, const ticket *t, json_t *data)
{
    char at[32], eid[37];
    sb_fixture_uuid(eid);
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "type", type, "event_id", eid,
                           "occurred_at", sb_clock_format_iso(sb_clock_now_ms(), at, sizeof(at)),
                           "ticket_id", t->id, "ticket_number", t->number, "data", data);
    char *text = json_dumps(ev, JSON_COMPACT);
    cr_assert_eq(sb_fixture_publish("sb.tickets.v1", t->id, text), 0);
    free(text);
    json_decref(ev);
}

/* A classified ticket of the test's department, announced as classify does. */
static ticket classified(const char *category, const char *subtopic, const char *priority,
                         const char *language)
{
    ticket t;
    sb_fixture_ticket f = {.status = "classified", .category = category, .subtopic = subtopic,
                           .urgency = "medium", .priority = priority, .department = dept};
    cr_assert_eq(sb_fixture_ticket_new(pg, &f, t.number, t.id), 0);
    const char *p[] = {language, t.id};
    cr_assert_eq(sb_fixture_exec(pg, "UPDATE tickets SET language = $1 WHERE id = $2::uuid", 2, p), 0);
    publish("classified", &t,
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:{}, s:s}", "channel", "web", "category",
                      category, "subtopic", subtopic, "urgency", "medium", "priority", priority,
                      "department", dept, "explanation", "language", language));
    return t;
}

/* The ticket's status and assignee once dispatch decided ("assigned:<agent>" or "queued"). */
static char *decision_of(const ticket *t, const char *want)
{
    const char *p[] = {t->id};
    return sb_fixture_wait(pg,
        "SELECT CASE WHEN status = 'assigned' THEN 'assigned:' || assignee"
        "            WHEN dispatched_at IS NOT NULL THEN 'queued' END"
        " FROM tickets WHERE id = $1::uuid", 1, p, want, WAIT_MS);
}

/* Asserts the ticket ends up as want ("assigned:<dept>-<name>" with name given, or "queued"). */
static void assert_decision(const ticket *t, const char *agent_name)
{
    char want[96];
    if (agent_name)
        snprintf(want, sizeof(want), "assigned:%s-%s", dept, agent_name);
    else
        snprintf(want, sizeof(want), "queued");
    char *got = decision_of(t, want);
    cr_assert(got && !strcmp(got, want), "%s: %s, want %s", t->number, got ? got : "undecided", want);
    free(got);
}

/* The ticket's last stored event of type, validated against its schema; caller decrefs. */
static json_t *last_event(const ticket *t, const char *type)
{
    const char *p[] = {t->id, type};
    char *v = sb_fixture_wait(pg, "SELECT payload::text FROM ticket_events WHERE ticket_id = $1::uuid"
                                  " AND type = $2 ORDER BY seq DESC LIMIT 1", 2, p, NULL, WAIT_MS);
    cr_assert_not_null(v, "%s has no %s event", t->number, type);
    json_t *ev = json_loads(v, 0, NULL);
    free(v);
    char path[512], err[512];
    snprintf(path, sizeof(path), "%s/proto/tickets/%s.v1.json", SB_SOURCE_DIR, type);
    cr_assert_eq(sb_schema_validate_file(path, ev, err, sizeof(err)), 0, "%s: %s", type, err);
    return ev;
}

/* What desk does on resolve: status resolved, event with the agent it frees. */
static void resolve(const ticket *t, const char *agent_name)
{
    char agent[64];
    snprintf(agent, sizeof(agent), "%s-%s", dept, agent_name);
    const char *p[] = {t->id};
    cr_assert_eq(sb_fixture_exec(pg, "UPDATE tickets SET status = 'resolved' WHERE id = $1::uuid", 1, p), 0);
    publish("resolved", t, json_pack("{s:s, s:s, s:[], s:s}", "resolution", "fully", "solution",
                                     "done", "tags", "released_agent", agent));
}

Test(dispatch_routing, the_least_loaded_agent_gets_it_and_equals_take_turns)
{
    add_agent("a", 5, "{}", "{zh,en}");
    add_agent("b", 5, "{}", "{zh,en}");
    ticket t1 = classified("other", "general", "P2", "en");
    /* It may wait until dispatch's next roster refresh sees the new agents. */
    const char *p[] = {t1.id};
    char *first = sb_fixture_wait(pg, "SELECT 'assigned:' || assignee FROM tickets"
                                      " WHERE id = $1::uuid AND status = 'assigned'", 1, p, NULL,
                                  WAIT_MS);
    cr_assert(first && !strncmp(first, "assigned:", 9), "first ticket: %s", first ? first : "undecided");
    const char *other = strcmp(first + 9 + strlen(dept) + 1, "a") == 0 ? "b" : "a";
    free(first);
    ticket t2 = classified("other", "general", "P2", "en");
    assert_decision(&t2, other);   /* the one with fewer open tickets */
    json_t *ev = last_event(&t2, "assigned");
    json_t *d = json_object_get(ev, "data");
    cr_assert_str_eq(json_string_value(json_object_get(d, "decided_by")), "dispatch");
    cr_assert_not_null(json_object_get(d, "ack_due_at"));
    cr_assert(strstr(json_string_value(json_object_get(d, "reason")), "least open tickets"));
    json_decref(ev);
}

Test(dispatch_routing, a_skill_and_a_language_narrow_who_may_take_it)
{
    /* complaint/account-safety needs 'security' (seeded routing_skills). */
    add_agent("plain", 5, "{}", "{zh,en}");
    add_agent("guard", 5, "{security}", "{zh}");
    add_agent("english", 5, "{}", "{en}");
    ticket safety = classified("complaint", "account-safety", "P1", "zh");
    assert_decision(&safety, "guard");
    /* Only 'guard' has the skill and speaks only Chinese: an English safety ticket waits. */
    ticket safety_en = classified("complaint", "account-safety", "P1", "en");
    assert_decision(&safety_en, NULL);
    json_t *ev = last_event(&safety_en, "queued");
    const char *why = json_string_value(json_object_get(json_object_get(ev, "data"), "reason"));
    cr_assert(strstr(why, "skill security") && strstr(why, "speaking en"), "%s", why);
    json_decref(ev);
    /* A Chinese general ticket never goes to the English-only agent while others are free. */
    ticket zh = classified("other", "general", "P2", "zh");
    char *got = decision_of(&zh, NULL);
    cr_assert(got && strcmp(got + 9 + strlen(dept) + 1, "english") != 0, "%s", got);
    free(got);
}

Test(dispatch_routing, when_everyone_is_full_it_waits_and_the_freed_agent_takes_the_most_urgent)
{
    add_agent("solo", 1, "{}", "{zh,en}");
    ticket busy = classified("other", "general", "P3", "en");
    assert_decision(&busy, "solo");
    ticket low = classified("other", "general", "P3", "en");
    ticket high = classified("other", "general", "P1", "en");
    assert_decision(&low, NULL);
    assert_decision(&high, NULL);
    /* solo resolves: the P1 goes first although the P3 waited longer. */
    resolve(&busy, "solo");
    assert_decision(&high, "solo");
    json_t *ev = last_event(&high, "assigned");
    const char *why = json_string_value(json_object_get(json_object_get(ev, "data"), "reason"));
    /* "freed up" from the release; "has room now" if a rebalance reloaded the department from
     * PostgreSQL (where the ticket is already resolved) first. */
    cr_assert(strstr(why, "freed up") || strstr(why, "has room now"), "%s", why);
    json_decref(ev);
    char *low_now = decision_of(&low, "queued");
    cr_assert_str_eq(low_now, "queued", "the P3 still waits while solo is full");
    free(low_now);
    resolve(&high, "solo");
    assert_decision(&low, "solo");
}

Test(dispatch_routing, an_unacknowledged_offer_is_re_offered_to_someone_else)
{
    add_agent("slow", 5, "{}", "{zh,en}");
    ticket t = classified("other", "general", "P2", "en");
    assert_decision(&t, "slow");
    add_agent("quick", 5, "{}", "{zh,en}");
    char slow[64];
    snprintf(slow, sizeof(slow), "%s-slow", dept);
    /* What sla publishes when the acknowledgement deadline passes. */
    char due[32];
    sb_clock_format_iso(sb_clock_now_ms(), due, sizeof(due));
    publish("escalated", &t, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "kind",
            "acknowledgement", "agent_id", slow, "supervisor_id", "quality-lead", "department",
            dept, "due_at", due, "reason", "not acknowledged in time"));
    assert_decision(&t, "quick");
    /* Re-offered at once (assigned), or queued until the refresh saw quick: either way the
     * decision names the agent it released. */
    const char *p[] = {t.id, slow};
    char *n = sb_fixture_value(pg, "SELECT count(*) FROM ticket_events WHERE ticket_id = $1::uuid"
                                   " AND type IN ('assigned', 'queued')"
                                   " AND payload->'data'->>'released_agent' = $2"
                                   " AND (payload->'data'->>'reoffer')::boolean", 2, p);
    cr_assert_str_eq(n, "1", "one re-offer decision releasing %s", slow);
    free(n);
}

Test(dispatch_routing, a_waiting_ticket_goes_to_an_agent_who_comes_on_duty)
{
    add_agent_duty("late", 2, "{}", "{zh,en}", "false");
    ticket first = classified("other", "general", "P2", "en");
    assert_decision(&first, NULL);
    char id[64];
    snprintf(id, sizeof(id), "%s-late", dept);
    const char *p[] = {id};
    cr_assert_eq(sb_fixture_exec(pg, "UPDATE agents SET on_duty = true WHERE id = $1", 1, p), 0);
    /* The roster refresh sees the change and drains the queue to the agent. */
    assert_decision(&first, "late");
}

/* The stored event id of the ticket's first event of type (malloc'd). */
static char *event_id_of(const ticket *t, const char *type)
{
    const char *p[] = {t->id, type};
    char *v = sb_fixture_wait(pg, "SELECT event_id::text FROM ticket_events WHERE ticket_id = $1::uuid"
                                  " AND type = $2 ORDER BY seq LIMIT 1", 2, p, NULL, WAIT_MS);
    cr_assert_not_null(v, "%s has no %s event", t->number, type);
    return v;
}

/* How often the message with event_id id shows on topic within WAIT_MS (read from the start,
 * stopping early once it was seen want times). */
static int times_on_topic(const char *topic, const char *id, int want)
{
    char group[96], err[512];
    snprintf(group, sizeof(group), "test-dispatch-%s", dept);
    const char *kv[][2] = {{"bootstrap.servers", getenv("SB_KAFKA_BROKERS")},
                           {"group.id", group}, {"auto.offset.reset", "earliest"},
                           {"session.timeout.ms", "6000"}};
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
        cr_assert(rd_kafka_conf_set(conf, kv[i][0], kv[i][1], err, sizeof(err)) ==
                  RD_KAFKA_CONF_OK, "%s", err);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    cr_assert(rk, "%s", err);
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *tl = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(tl, topic, RD_KAFKA_PARTITION_UA);
    cr_assert(rd_kafka_subscribe(rk, tl) == 0);
    rd_kafka_topic_partition_list_destroy(tl);
    int seen = 0;
    for (int64_t end = sb_clock_mono_ms() + WAIT_MS; seen < want && sb_clock_mono_ms() < end;) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (m && !m->err && m->len && memmem(m->payload, m->len, id, strlen(id)))
            seen++;
        if (m)
            rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return seen;
}

/* Publish the classified event with id event_id for ticket t of the test's department. */
static void publish_classified_as(const ticket *t, const char *event_id)
{
    char at[32];
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s, s:{}, s:s}}",
                           "type", "classified", "event_id", event_id, "occurred_at",
                           sb_clock_format_iso(sb_clock_now_ms(), at, sizeof(at)), "ticket_id",
                           t->id, "ticket_number", t->number, "data", "channel", "web",
                           "category", "other", "subtopic", "general", "urgency", "medium",
                           "priority", "P2", "department", dept, "explanation", "language", "en");
    char *text = json_dumps(ev, JSON_COMPACT);
    cr_assert_eq(sb_fixture_publish("sb.tickets.v1", t->id, text), 0);
    free(text);
    json_decref(ev);
}

Test(dispatch_routing, a_replayed_event_republishes_the_decision_and_its_notice_unchanged)
{
    add_agent("steady", 5, "{}", "{zh,en}");
    /* A first ticket reaches steady once dispatch's roster knows them (maybe only through the
     * refresh's drain); the ticket under test is then decided by its own event. */
    ticket warm = classified("other", "general", "P2", "en");
    assert_decision(&warm, "steady");
    ticket t;
    sb_fixture_ticket f = {.status = "classified", .category = "other", .subtopic = "general",
                           .urgency = "medium", .priority = "P2", .department = dept};
    cr_assert_eq(sb_fixture_ticket_new(pg, &f, t.number, t.id), 0);
    char classified_id[37];
    sb_fixture_uuid(classified_id);
    publish_classified_as(&t, classified_id);
    assert_decision(&t, "steady");
    /* The same event again, as a consumer that crashed before committing its offsets sees it. */
    publish_classified_as(&t, classified_id);
    /* Same decision, same ids: one decision stored, event and notice published again. */
    char *assigned = event_id_of(&t, "assigned");
    char notice[SB_UUID_STRLEN];
    sb_ids_derived(assigned, "task_notice", notice);
    int on_tickets = times_on_topic("sb.tickets.v1", assigned, 2);
    cr_assert_eq(on_tickets, 2, "assigned published %d times", on_tickets);
    cr_assert_eq(times_on_topic("sb.notifications.v1", notice, 2), 2, "task notice republished");
    const char *p[] = {t.id};
    char *n = sb_fixture_value(pg, "SELECT count(*) FROM ticket_events WHERE ticket_id = $1::uuid"
                                   " AND type IN ('assigned', 'queued')", 1, p);
    cr_assert_str_eq(n, "1", "the replay decided nothing new");
    free(n);
    free(assigned);
}

Test(dispatch_routing, an_assignment_nobody_accepts_escalates_through_sla_and_is_re_offered,
     .timeout = 110)
{
    add_agent("away", 5, "{}", "{zh,en}");
    add_agent("there", 5, "{}", "{zh,en}");
    ticket t = classified("other", "general", "P2", "en");
    const char *p[] = {t.id};
    char *first = sb_fixture_wait(pg, "SELECT assignee FROM tickets WHERE id = $1::uuid"
                                      " AND status = 'assigned'", 1, p, NULL, WAIT_MS);
    cr_assert_not_null(first, "%s was not assigned", t.number);
    /* The hour to acknowledge has passed: sla's sweep (every 30 s) reloads the deadline from
     * PostgreSQL and fires it; nothing here plays sla's or dispatch's part. */
    char *armed = sb_fixture_wait(pg, "SELECT state FROM sla_timers WHERE ticket_id = $1::uuid"
                                      " AND kind = 'acknowledgement'", 1, p, "armed", WAIT_MS);
    cr_assert_str_eq(armed ? armed : "(none)", "armed");
    free(armed);
    /* next_at is the instant sla's watch acts at (migration 013). */
    cr_assert_eq(sb_fixture_exec(pg, "UPDATE sla_timers SET due_at = now() + interval '1 second',"
                                     " next_at = now() + interval '1 second'"
                                     " WHERE ticket_id = $1::uuid AND kind = 'acknowledgement'",
                                 1, p), 0);
    char *escalated = sb_fixture_wait(pg, "SELECT count(*) FROM ticket_events WHERE ticket_id ="
                                          " $1::uuid AND type = 'escalated'", 1, p, "1", 70000);
    cr_assert_str_eq(escalated ? escalated : "(none)", "1", "sla escalated once");
    free(escalated);
    const char *q[] = {t.id, first};
    char *second = sb_fixture_wait(pg, "SELECT assignee FROM tickets WHERE id = $1::uuid"
                                       " AND status = 'assigned' AND assignee <> $2", 2, q, NULL,
                                   WAIT_MS);
    cr_assert_not_null(second, "%s was not re-offered away from %s", t.number, first);
    json_t *ev = last_event(&t, "assigned");
    const json_t *d = json_object_get(ev, "data");
    cr_assert_str_eq(json_string_value(json_object_get(d, "released_agent")), first);
    cr_assert(json_is_true(json_object_get(d, "reoffer")));
    json_decref(ev);
    free(first);
    free(second);
}

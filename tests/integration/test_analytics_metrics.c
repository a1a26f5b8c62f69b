/* test_analytics_metrics.c - every metric of services/analytics/README.md against hand-computed
 * values: a known event history (a reopened ticket, a paused clock, a repeat contact, SLA
 * breaches, surveys) published to the broker twice (replays count once); anomalies; targets;
 * time series; weekly/monthly exports. Each test uses its own day of the 1900s. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fixture.h"
#include "http_client.h"
#include "schema.h"

static PGconn     *pg;
static const char *analytics_url, *admin_token;

static void metrics_setup(void)
{
    analytics_url = getenv("SB_ANALYTICS_URL");
    admin_token = getenv("SB_ADMIN_TOKEN");
    if (!getenv("SB_PG_DSN") || !analytics_url || !admin_token || !getenv("SB_KAFKA_BROKERS"))
        cr_skip_test("the stack is not running (SB_PG_DSN, SB_ANALYTICS_URL, SB_KAFKA_BROKERS)");
    pg = sb_fixture_pg();
    cr_assert_not_null(pg, "cannot connect to SB_PG_DSN");
}

static void metrics_teardown(void)
{
    if (pg)
        PQfinish(pg);
    pg = NULL;
}

TestSuite(analytics_metrics, .init = metrics_setup, .fini = metrics_teardown, .timeout = 120);

/* A day of the 1900s nobody else counts in, and its 10:00 UTC in epoch seconds. */
static time_t random_day(char day[11])
{
    char r[9];
    sb_fixture_hex(r, 8);
    time_t t = -2208988800L + (time_t)(strtoul(r, NULL, 16) % 36500) * 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(day, 11, "%Y-%m-%d", &tm);
    return t + 10 * 3600;
}

/* ISO timestamp of epoch seconds. */
static void iso(time_t t, char out[32])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
}

/* One ticket of the history: its id, number and channel. */
typedef struct tk {
    char        id[37], number[24];
    const char *channel, *code;
} tk;

/* Every event published, kept for the replay. */
static json_t *published;

/* Publishes a ticket event of type at t0+sec with data (stolen), remembering it. */
static void ev(const tk *t, const char *type, time_t at, json_t *data)
{
    char id[37], when[32];
    sb_fixture_uuid(id);
    iso(at, when);
    json_t *e = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "type", type, "event_id", id,
                          "source_event_id", id, "occurred_at", when, "ticket_id", t->id,
                          "ticket_number", t->number, "data", data);
    char *text = json_dumps(e, JSON_COMPACT);
    cr_assert_eq(sb_fixture_publish("sb.tickets.v1", t->id, text), 0);
    free(text);
    json_array_append_new(published, e);
}

/* A new ticket on channel (name, code). */
static void tk_new(tk *t, const char *channel, const char *code)
{
    sb_fixture_uuid(t->id);
    char serial[7];
    sb_fixture_hex(serial, 6);
    for (int i = 0; i < 6; i++)
        serial[i] = (char)('0' + serial[i] % 10);
    snprintf(t->number, sizeof(t->number), "%s-19700101-%s", code, serial);
    t->channel = channel;
    t->code = code;
}

/* The opened event: received at t0+recv, opened at t0+at. */
static void opened(const tk *t, time_t t0, int recv, int at, const char *customer)
{
    char r[32], mid[37];
    iso(t0 + recv, r);
    sb_fixture_uuid(mid);
    ev(t, "opened", t0 + at, json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s}}", "channel", t->channel,
                                       "message_id", mid, "received_at", r, "subject", "s",
                                       "customer", "key", customer, "tier", "regular"));
}

static void classified(const tk *t, time_t at, const char *cat, const char *sub, const char *dept)
{
    ev(t, "classified", at, json_pack("{s:s, s:s, s:s, s:s, s:s, s:{}}", "category", cat,
                                      "subtopic", sub, "urgency", "medium", "priority", "P2",
                                      "department", dept, "explanation"));
}

static void assigned(const tk *t, time_t at, const char *agent, const char *dept)
{
    ev(t, "assigned", at, json_pack("{s:s, s:s, s:s, s:s}", "agent_id", agent, "department", dept,
                                    "reason", "least_load", "ack_due_at", "2026-01-01T00:00:00Z"));
}

static json_t *by(const char *who)
{
    return json_pack("{s:s, s:s}", "subject", who, "role", "agent");
}

static void simple(const tk *t, const char *type, time_t at, const char *who)
{
    ev(t, type, at, json_pack("{s:o}", "by", by(who)));
}

static void replied(const tk *t, time_t at, const char *who)
{
    ev(t, "replied", at, json_pack("{s:s, s:n, s:n, s:o}", "text", "hello", "template", "language",
                                   "by", by(who)));
}

static void status(const tk *t, time_t at, const char *from, const char *to, const char *who)
{
    ev(t, "status_changed", at, json_pack("{s:s, s:s, s:o}", "from", from, "to", to, "by", by(who)));
}

static void resolved(const tk *t, time_t at, const char *how, const char *who)
{
    ev(t, "resolved", at, json_pack("{s:s, s:s, s:[], s:o}", "resolution", how, "solution", "done",
                                    "tags", "by", by(who)));
}

static void survey(const tk *t, const char *type, time_t at, int satisfied)
{
    json_t *d = json_pack("{s:s, s:i}", "survey_id", "00000000-0000-4000-8000-000000000001",
                          "round", 1);
    if (strcmp(type, "survey_answered") == 0) {
        json_object_set_new(d, "rating", json_string(satisfied ? "satisfied" : "dissatisfied"));
        json_object_set_new(d, "satisfied", json_boolean(satisfied));
        json_object_set_new(d, "has_comment", json_false());
    }
    ev(t, type, at, d);
}

static void breached(const tk *t, time_t at, const char *kind, const char *policy)
{
    ev(t, "sla_breached", at, json_pack("{s:s, s:s, s:s, s:n, s:s, s:s, s:b}", "kind", kind,
                                        "policy_id", policy, "due_at", "2026-01-01T00:00:00Z",
                                        "agent_id", "department", "d", "supervisor_id", "sup",
                                        "business_hours", 0));
}

/* An inbound message on channel at t, keyed by key. */
static void inbound(const char *channel, const char *key, time_t at)
{
    char id[37], when[32];
    sb_fixture_uuid(id);
    iso(at, when);
    json_t *m = json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "inbound_message", "event_id", id,
                          "message_id", id, "occurred_at", when, "channel", channel);
    char *text = json_dumps(m, JSON_COMPACT);
    cr_assert_eq(sb_fixture_publish("sb.inbound.v1", key, text), 0);
    cr_assert_eq(sb_fixture_publish("sb.inbound.v1", key, text), 0);   /* a replay */
    free(text);
    json_decref(m);
}

/* Republishes every event of the history (same ids): a replay must change nothing. */
static void replay_all(void)
{
    size_t i;
    json_t *e;
    json_array_foreach(published, i, e) {
        char *text = json_dumps(e, JSON_COMPACT);
        cr_assert_eq(sb_fixture_publish("sb.tickets.v1", json_string_value(json_object_get(e, "ticket_id")), text), 0);
        free(text);
    }
}

/* GET a report path (with query) as admin. */
static json_t *report(const char *path_query, int *st)
{
    char url[512];
    snprintf(url, sizeof(url), "%s%s", analytics_url, path_query);
    return sb_test_http_json("GET", url, admin_token, NULL, st);
}

/* Waits until the day roll-up of metric on day reaches want. */
static void wait_metric(const char *day, const char *metric, const char *want)
{
    const char *p[] = {day, metric};
    char *got = sb_fixture_wait(pg, "SELECT coalesce(sum(n), 0)::text FROM analytics_rollup"
                                    " WHERE grain = 'd' AND bucket = $1::date::timestamp AT TIME ZONE 'UTC'"
                                    " AND metric = $2", 2, p, want, 30000);
    cr_assert_str_eq(got ? got : "(none)", want, "%s on %s", metric, day);
    free(got);
}

/* o.path (a.b.c) as a number; NAN when absent or null. */
static double num(const json_t *o, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", path);
    const json_t *v = o;
    for (char *save = NULL, *k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save))
        v = json_object_get(v, k);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

#define NEAR(o, path, want) \
    cr_expect(fabs(num(o, path) - (want)) < 0.01, "%s = %f, want %f", path, num(o, path), (double)(want))

Test(analytics_metrics, every_metric_from_a_known_history_counted_once)
{
    char day[11], c1[40], c2[40], c3[40], ikey[40], q[256];
    time_t t0 = random_day(day);
    snprintf(c1, sizeof(c1), "cust-");
    sb_fixture_hex(c1 + 5, 24);
    snprintf(c2, sizeof(c2), "cust-");
    sb_fixture_hex(c2 + 5, 24);
    snprintf(c3, sizeof(c3), "cust-");
    sb_fixture_hex(c3 + 5, 24);
    snprintf(ikey, sizeof(ikey), "k-");
    sb_fixture_hex(ikey + 2, 24);
    published = json_array();
    tk a, b, c, d;
    tk_new(&a, "wechat", "WX");
    tk_new(&b, "web", "WB");
    tk_new(&c, "email", "EM");
    tk_new(&d, "wechat", "WX");

    /* Three inbound messages (each also replayed); the store one is last on its key. */
    inbound("wechat", ikey, t0);
    inbound("web", ikey, t0 + 1);
    inbound("store", ikey, t0 + 2);

    /* A: wechat, every stage, 100 s awaiting the customer, fully resolved on first contact. */
    opened(&a, t0, 0, 5, c1);
    classified(&a, t0 + 7, "complaint", "logistics-delay", "d1");
    assigned(&a, t0 + 10, "ag1", "d1");
    simple(&a, "acknowledged", t0 + 20, "ag1");
    replied(&a, t0 + 40, "ag1");
    status(&a, t0 + 60, "acknowledged", "awaiting_customer", "ag1");
    status(&a, t0 + 160, "awaiting_customer", "acknowledged", "ag1");
    resolved(&a, t0 + 320, "fully", "ag1");
    survey(&a, "survey_sent", t0 + 330, 0);
    survey(&a, "survey_answered", t0 + 420, 1);

    /* B: web, acknowledgement breached, a second customer message, partly resolved,
     * dissatisfied, reopened to the supervisor and resolved again. */
    opened(&b, t0, 99, 100, c2);
    classified(&b, t0 + 102, "consultation", "product-feature", "d1");
    assigned(&b, t0 + 104, "ag1", "d1");
    breached(&b, t0 + 123, "acknowledgement", "pol-a");
    simple(&b, "acknowledged", t0 + 124, "ag1");
    ev(&b, "message_appended", t0 + 130, json_pack("{s:s}", "joined_by", "customer"));
    replied(&b, t0 + 160, "ag1");
    resolved(&b, t0 + 400, "partly", "ag1");
    survey(&b, "survey_sent", t0 + 410, 0);
    survey(&b, "survey_answered", t0 + 500, 0);
    ev(&b, "reopened", t0 + 510, json_pack("{s:s, s:s, s:s, s:s, s:b}", "reason", "dissatisfied",
                                           "survey_id", "00000000-0000-4000-8000-000000000001",
                                           "assignee", "sup1", "department", "d1",
                                           "second_handling", 1));
    resolved(&b, t0 + 900, "fully", "sup1");

    /* C and D come after A's facts exist: C is A's customer again, same issue (a repeat). */
    wait_metric(day, "survey_answered", "2");
    opened(&c, t0, 590, 600, c1);
    classified(&c, t0 + 605, "complaint", "logistics-delay", "d2");
    assigned(&c, t0 + 615, "ag2", "d2");
    replied(&c, t0 + 700, "ag2");

    /* D: wechat, resolution breached (policy pol-x), survey link expired. */
    opened(&d, t0, 1000, 1000, c3);
    classified(&d, t0 + 1001, "complaint", "logistics-delay", "d2");
    assigned(&d, t0 + 1002, "ag2", "d2");
    simple(&d, "acknowledged", t0 + 1003, "ag2");
    replied(&d, t0 + 1010, "ag2");
    breached(&d, t0 + 1050, "resolution", "pol-x");
    resolved(&d, t0 + 1100, "fully", "ag2");
    survey(&d, "survey_sent", t0 + 1110, 0);
    survey(&d, "survey_expired", t0 + 1200, 0);

    /* The whole history again, then one closing event per ticket: once the 4 are counted,
     * everything before them on their partitions was applied. */
    replay_all();
    simple(&a, "closed", t0 + 1300, "ag1");
    simple(&b, "closed", t0 + 1300, "ag1");
    simple(&c, "closed", t0 + 1300, "ag2");
    simple(&d, "closed", t0 + 1300, "ag2");
    wait_metric(day, "closed", "4");
    wait_metric(day, "inbound", "3");

    int st;
    snprintf(q, sizeof(q), "/v1/reports/overview?from=%s&to=%s", day, day);
    json_t *o = report(q, &st);
    cr_assert_eq(st, 200);
    cr_assert_eq(num(o, "definitions_version"), 3);
    /* volume and channel share */
    NEAR(o, "totals.inbound", 3);
    NEAR(o, "totals.opened", 4);
    NEAR(o, "totals.classified", 4);
    NEAR(o, "totals.assigned", 4);
    NEAR(o, "totals.resolved", 3);
    NEAR(o, "totals.resolved_again", 1);
    NEAR(o, "by_channel.wechat.opened", 2);
    NEAR(o, "by_channel.web.opened", 1);
    NEAR(o, "by_channel.email.opened", 1);
    NEAR(o, "by_channel.wechat.inbound", 1);
    NEAR(o, "by_channel.store.inbound", 1);
    /* KPIs */
    NEAR(o, "kpis.satisfaction_pct.value", 50);
    NEAR(o, "kpis.survey_response_pct.value", 200.0 / 3);
    NEAR(o, "surveys.expired", 1);
    NEAR(o, "kpis.first_response_live_s.value", (40 + 61 + 10) / 3.0);
    NEAR(o, "kpis.first_response_live_s.samples", 3);
    NEAR(o, "kpis.resolution_pct.value", 200.0 / 3);
    NEAR(o, "kpis.fcr_pct.value", 200.0 / 3);
    NEAR(o, "kpis.repeat_contact_pct.value", 25);
    NEAR(o, "kpis.reopen_pct.value", 100.0 / 3);
    NEAR(o, "agent_hours", 3);
    NEAR(o, "kpis.tickets_per_agent_hour.value", 4.0 / 3);
    NEAR(o, "kpis.satisfaction_pct.target", 90);
    cr_expect(json_is_false(json_object_get(json_object_get(json_object_get(o, "kpis"), "satisfaction_pct"), "met")));
    /* handle time excludes the 100 s A spent awaiting the customer: 200, 276, 97 s */
    NEAR(o, "handle_time.n", 3);
    NEAR(o, "handle_time.mean_ms", (200000 + 276000 + 97000) / 3.0);
    /* stages */
    NEAR(o, "stages.intake.mean_ms", (5000 + 1000 + 10000 + 0) / 4.0);
    NEAR(o, "stages.judgement.mean_ms", (2000 + 2000 + 5000 + 1000) / 4.0);
    NEAR(o, "stages.dispatch.mean_ms", (3000 + 2000 + 10000 + 1000) / 4.0);
    NEAR(o, "stages.acknowledgement.mean_ms", (10000 + 20000 + 1000) / 3.0);
    NEAR(o, "stages.resolution.mean_ms", (300000 + 276000 + 97000) / 3.0);
    NEAR(o, "stages.follow_up.mean_ms", 100000);
    NEAR(o, "stages.follow_up.n", 2);
    /* first response buckets on live channels: 10 s (<=10 s), 40 s (<=1 min), 61 s (<=5 min) */
    json_t *bk = json_object_get(json_object_get(o, "first_response_live"), "buckets");
    cr_expect_eq(json_array_size(bk), 13);
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(bk, 3), "n")), 1);
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(bk, 5), "n")), 1);
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(bk, 6), "n")), 1);
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(bk, 3), "le_ms")), 10000);
    NEAR(o, "first_response_live.p50_ms", 45000);   /* rank 1.5 of 3, inside (30 s, 60 s] */
    /* SLA compliance per clock */
    NEAR(o, "sla.by_kind.acknowledgement.met", 2);
    NEAR(o, "sla.by_kind.acknowledgement.breached", 1);
    NEAR(o, "sla.by_kind.first_response.met", 4);
    NEAR(o, "sla.by_kind.resolution.met", 2);
    NEAR(o, "sla.by_kind.resolution.breached", 1);
    NEAR(o, "sla.by_kind.resolution.compliance_pct", 200.0 / 3);
    NEAR(o, "sla.by_kind.second_handling.met", 1);
    NEAR(o, "sla.by_kind.follow_up.met", 3);
    NEAR(o, "sla.breaches_by_policy.acknowledgement:pol-a", 1);
    NEAR(o, "sla.breaches_by_policy.resolution:pol-x", 1);
    /* Per policy: a breach under the policy sla named, a met clock under the policy sla's choice
     * gives the ticket (all four are medium-urgency P2 tickets of regular customers). */
    NEAR(o, "sla.by_policy.acknowledgement:acknowledgement.met", 2);
    NEAR(o, "sla.by_policy.acknowledgement:pol-a.breached", 1);
    NEAR(o, "sla.by_policy.acknowledgement:pol-a.compliance_pct", 0);
    NEAR(o, "sla.by_policy.first_response:first-response-medium.met", 4);
    NEAR(o, "sla.by_policy.first_response:first-response-medium.compliance_pct", 100);
    NEAR(o, "sla.by_policy.resolution:resolution.met", 2);
    NEAR(o, "sla.by_policy.resolution:pol-x.breached", 1);
    NEAR(o, "sla.by_policy.second_handling:second-handling.met", 1);
    NEAR(o, "sla.by_policy.follow_up:follow-up.met", 3);
    /* top issues */
    json_t *top = json_object_get(o, "top_issues");
    cr_assert_eq(json_array_size(top), 2);
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(top, 0), "subtopic")), "logistics-delay");
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(top, 0), "tickets")), 3);
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(top, 1), "category")), "consultation");
    json_decref(o);

    /* filters: agent ag2 resolved D only; department d1 holds A and B */
    snprintf(q, sizeof(q), "/v1/reports/overview?from=%s&to=%s&agent=ag2", day, day);
    o = report(q, &st);
    cr_assert_eq(st, 200);
    NEAR(o, "totals.resolved", 1);
    NEAR(o, "kpis.first_response_live_s.value", 10);
    json_decref(o);

    /* time series: every hour of the day, all 4 opened in 10:00; per minute on wechat */
    snprintf(q, sizeof(q), "/v1/reports/timeseries?from=%s&to=%s&granularity=hour", day, day);
    o = report(q, &st);
    cr_assert_eq(st, 200);
    json_t *pts = json_object_get(o, "points");
    cr_assert_eq(json_array_size(pts), 24);
    NEAR(json_array_get(pts, 10), "opened", 4);
    NEAR(json_array_get(pts, 10), "satisfaction_pct", 50);
    NEAR(json_array_get(pts, 9), "opened", 0);
    json_decref(o);
    char from[32], to[32];
    iso(t0, from);
    iso(t0 + 1200, to);
    snprintf(q, sizeof(q), "/v1/reports/timeseries?from=%s&to=%s&granularity=minute&channel=wechat", from, to);
    o = report(q, &st);
    cr_assert_eq(st, 200);
    pts = json_object_get(o, "points");
    cr_assert_eq(json_array_size(pts), 20);
    NEAR(json_array_get(pts, 0), "opened", 1);    /* A at 10:00:05 */
    NEAR(json_array_get(pts, 16), "opened", 1);   /* D at 10:16:40 */
    NEAR(json_array_get(pts, 1), "opened", 0);
    json_decref(o);
    json_decref(published);
}


/* Waits for the stored anomaly of category slice value on metric, and checks that its message
 * names the jump and where it concentrates (80 % of it from wechat in both histories). */
static void expect_category_anomaly(const char *value, const char *metric, const char *jump)
{
    const char *p[] = {value, metric};
    char *msg = sb_fixture_wait(pg, "SELECT message FROM analytics_anomalies WHERE dimension = 'category'"
                                    " AND value = $1 AND metric = $2", 2, p, NULL, 30000);
    cr_assert_not_null(msg, "no %s anomaly for %s", metric, value);
    cr_expect(strstr(msg, jump) != NULL, "%s", msg);
    cr_expect(strstr(msg, "80 % from channel wechat") != NULL, "%s", msg);
    free(msg);
}

/* A category and a department of 24 bytes each that no other run uses, and an empty record of
 * what the test publishes. */
static void fresh_slice(char *cat, char *dept)
{
    snprintf(cat, 24, "cat-");
    sb_fixture_hex(cat + 4, 12);
    snprintf(dept, 24, "dep-");
    sb_fixture_hex(dept + 4, 12);
    published = json_array();
}

Test(analytics_metrics, a_volume_jump_raises_one_anomaly_with_its_concentration)
{
    char day[11], cat[24], dept[24], q[128];
    time_t t0 = random_day(day);
    fresh_slice(cat, dept);
    /* Baseline: one ticket an hour for the 24 hours before 10:00 (from 10:00 the day before). */
    for (int h = 24; h >= 1; h--) {
        tk t;
        tk_new(&t, "web", "WB");
        classified(&t, t0 - h * 3600 + 60, cat, "jump", dept);
    }
    /* The baseline is in before the jump (its tickets are on other partitions). */
    const char *cp[] = {cat};
    char *base = sb_fixture_wait(pg, "SELECT coalesce(sum(n), 0)::text FROM analytics_rollup"
                                     " WHERE grain = 'h' AND metric = 'classified' AND category = $1",
                                 1, cp, "24", 30000);
    cr_assert_str_eq(base ? base : "(none)", "24");
    free(base);
    /* 10:00-10:59: 20 tickets, 16 from wechat. */
    for (int i = 0; i < 20; i++) {
        tk t;
        if (i < 16)
            tk_new(&t, "wechat", "WX");
        else
            tk_new(&t, "app", "AP");
        classified(&t, t0 + 60 + i, cat, "jump", dept);
    }
    char value[64];
    snprintf(value, sizeof(value), "%s/jump", cat);
    const char *p[] = {value};
    expect_category_anomaly(value, "volume", "volume 20.0× baseline");
    /* Once per hour and slice, however many batches; its notice is queued for supervisors. */
    replay_all();
    char *n = sb_fixture_value(pg, "SELECT count(*)::text FROM analytics_anomalies WHERE value = $1", 1, p);
    cr_expect_str_eq(n, "1");
    free(n);
    n = sb_fixture_wait(pg, "SELECT count(*)::text FROM outbox WHERE topic = 'sb.notifications.v1'"
                            " AND payload->>'type' = 'anomaly' AND payload->>'value' = $1", 1, p, "1", 10000);
    cr_expect_str_eq(n, "1");
    free(n);
    /* The notice as queued validates against its contract. */
    char *payload = sb_fixture_value(pg, "SELECT payload::text FROM outbox WHERE payload->>'type' ="
                                         " 'anomaly' AND payload->>'value' = $1", 1, p);
    json_t *notice = payload ? json_loads(payload, 0, NULL) : NULL, *schema =
        sb_schema_load(SB_SOURCE_DIR "/proto/notifications/anomaly.v1.json");
    char why[512] = "";
    cr_assert_not_null(notice);
    cr_assert_not_null(schema);
    cr_expect_eq(sb_schema_validate(schema, notice, why, sizeof(why)), 0, "%s: %s", why, payload);
    cr_expect(strstr(json_string_value(json_object_get(notice, "summary")), "80 % from channel wechat"));
    json_decref(notice);
    json_decref(schema);
    free(payload);
    int st;
    snprintf(q, sizeof(q), "/v1/reports/anomalies?from=%s&to=%s", day, day);
    json_t *o = report(q, &st);
    cr_assert_eq(st, 200);
    int found = 0;
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(o, "anomalies"), i, a)
        found += strcmp(json_string_value(json_object_get(a, "value")), value) == 0 &&
                 strcmp(json_string_value(json_object_get(a, "top_value")), "wechat") == 0;
    cr_expect_eq(found, 1);
    json_decref(o);
    json_decref(published);
}

/* A ticket of cat/slow handled in handle_s seconds: classified at `at`, acknowledged 10 s later,
 * resolved handle_s after that. */
static void handled(const char *channel, const char *code, time_t at, const char *cat,
                    const char *dept, int handle_s)
{
    tk t;
    tk_new(&t, channel, code);
    classified(&t, at, cat, "slow", dept);
    assigned(&t, at + 5, "ag9", dept);
    simple(&t, "acknowledged", at + 10, "ag9");
    resolved(&t, at + 10 + handle_s, "fully", "ag9");
}

Test(analytics_metrics, a_handle_time_jump_raises_one_anomaly_with_its_concentration)
{
    char day[11], cat[24], dept[24];
    time_t t0 = random_day(day);
    fresh_slice(cat, dept);
    /* Baseline: ten tickets in the day before 10:00, each handled in 60 s. */
    for (int h = 10; h >= 1; h--)
        handled("web", "WB", t0 - h * 3600 + 60, cat, dept, 60);
    const char *cp[] = {cat};
    char *base = sb_fixture_wait(pg, "SELECT coalesce(sum(n), 0)::text FROM analytics_rollup"
                                     " WHERE grain = 'h' AND metric = 'handle_time' AND category = $1",
                                 1, cp, "10", 30000);
    cr_assert_str_eq(base ? base : "(none)", "10");
    free(base);
    /* 10:00-10:59: ten tickets handled in 300 s each (5x), eight of them from wechat. */
    for (int i = 0; i < 10; i++)
        handled(i < 8 ? "wechat" : "app", i < 8 ? "WX" : "AP", t0 + 60 + i, cat, dept, 300);
    char value[64];
    snprintf(value, sizeof(value), "%s/slow", cat);
    const char *p[] = {value};
    expect_category_anomaly(value, "handle_time", "handle time 5.0× baseline");
    /* The volume did not jump (ten an hour against one an hour is under 20): no volume anomaly. */
    char *n = sb_fixture_value(pg, "SELECT count(*)::text FROM analytics_anomalies WHERE value = $1"
                                   " AND metric = 'volume'", 1, p);
    cr_expect_str_eq(n, "0");
    free(n);
    replay_all();
    n = sb_fixture_value(pg, "SELECT count(*)::text FROM analytics_anomalies WHERE value = $1", 1, p);
    cr_expect_str_eq(n, "1", "once per hour and slice, replays included");
    free(n);
    json_decref(published);
}

Test(analytics_metrics, targets_are_admin_editable_audited_and_validated)
{
    char url[256];
    snprintf(url, sizeof(url), "%s/v1/targets", analytics_url);
    int st;
    char *sup = sb_fixture_token(pg, "presales-lead", "supervisor");
    json_t *o = sb_test_http_json("PUT", url, sup, "{\"satisfaction_pct\": 80}", &st);
    cr_expect_eq(st, 403);
    json_decref(o);
    static const struct { const char *body, *field; } bad[] = {
        {"{\"satisfaction_pct\": 101}", "satisfaction_pct"},
        {"{\"satisfaction_pct\": \"90\"}", "satisfaction_pct"},
        {"{\"first_response_live_s\": 0}", "first_response_live_s"},
        {"{\"speed\": 1}", "speed"},
        {"{}", "satisfaction_pct"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        o = sb_test_http_json("PUT", url, admin_token, bad[i].body, &st);
        cr_expect_eq(st, 400, "%s", bad[i].body);
        cr_expect_str_eq(json_string_value(json_object_get(json_object_get(o, "error"), "field")),
                         bad[i].field);
        json_decref(o);
    }
    static const char audit_sql[] = "SELECT count(*)::text FROM audit_log WHERE action ="
                                    " 'analytics.targets.update' AND detail->>'satisfaction_pct' = '85.5'";
    char *before = sb_fixture_value(pg, audit_sql, 0, NULL), want[24];
    snprintf(want, sizeof(want), "%lld", atoll(before) + 1);
    free(before);
    o = sb_test_http_json("PUT", url, admin_token, "{\"satisfaction_pct\": 85.5, \"tickets_per_agent_hour\": 12}", &st);
    cr_assert_eq(st, 200);
    NEAR(o, "targets.satisfaction_pct.value", 85.5);
    json_decref(o);
    o = report("/v1/reports/overview", &st);
    NEAR(o, "kpis.satisfaction_pct.target", 85.5);
    NEAR(o, "kpis.tickets_per_agent_hour.target", 12);
    json_decref(o);
    char *audit = sb_fixture_value(pg, audit_sql, 0, NULL);
    cr_expect_str_eq(audit, want);
    free(audit);
    o = sb_test_http_json("PUT", url, admin_token, "{\"satisfaction_pct\": 90, \"tickets_per_agent_hour\": 10}", &st);
    cr_expect_eq(st, 200);
    json_decref(o);
    o = sb_test_http_json("GET", url, sup, NULL, &st);
    cr_expect_eq(st, 200);
    NEAR(o, "targets.satisfaction_pct.value", 90);
    json_decref(o);
    free(sup);
}

Test(analytics_metrics, reports_validate_their_parameters_and_export)
{
    static const struct { const char *path, *field; } bad[] = {
        {"/v1/reports/timeseries?granularity=week", "granularity"},
        {"/v1/reports/timeseries?from=2026-01-01&to=2026-03-01&granularity=minute", "granularity"},
        {"/v1/reports/timeseries?from=yesterday", "from"},
        {"/v1/reports/weekly?week=2026-W54", "week"},
        {"/v1/reports/weekly?week=2025-W53", "week"},
        {"/v1/reports/monthly?month=2026-13", "month"},
        {"/v1/reports/monthly?month=2026-11&format=pdf", "format"},
        {"/v1/reports/overview?channel=%01", "channel"},
    };
    int st;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *o = report(bad[i].path, &st);
        cr_expect_eq(st, 400, "%s: %d", bad[i].path, st);
        cr_expect_str_eq(json_string_value(json_object_get(json_object_get(o, "error"), "field")),
                         bad[i].field, "%s", bad[i].path);
        json_decref(o);
    }
    char url[256], *body = NULL;
    snprintf(url, sizeof(url), "%s/v1/reports/weekly?week=2026-W47&format=html", analytics_url);
    cr_assert_eq(sb_test_http("GET", url, admin_token, NULL, &st, &body), 0);
    cr_expect_eq(st, 200);
    cr_expect(strstr(body, "<table") && strstr(body, "2026-11-16") && strstr(body, "2026-11-22"),
              "weekly html: %.200s", body);
    free(body);
    snprintf(url, sizeof(url), "%s/v1/reports/monthly?month=2026-11&format=csv", analytics_url);
    cr_assert_eq(sb_test_http("GET", url, admin_token, NULL, &st, &body), 0);
    cr_expect_eq(st, 200);
    cr_expect(strncmp(body, "section,metric,value,target\r\n", 29) == 0, "%.100s", body);
    cr_expect(strstr(body, "2026-11-01..2026-11-30") != NULL, "%.200s", body);
    free(body);
    char *agent = sb_fixture_token(pg, "presales-01", "agent");
    snprintf(url, sizeof(url), "%s/v1/reports/timeseries", analytics_url);
    cr_assert_eq(sb_test_http("GET", url, agent, NULL, &st, NULL), 0);
    cr_expect_eq(st, 403);
    free(agent);
}

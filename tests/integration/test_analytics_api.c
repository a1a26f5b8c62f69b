/* test_analytics_api.c - the overview report over real HTTP, and roll-ups fed by the consumer. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fixture.h"
#include "http_client.h"

static PGconn     *pg;
static const char *analytics_url, *admin_token;

static const char *const metrics[] = {"inbound", "opened", "classified", "assigned", "resolved"};

/* Skip unless tests/run exported the stack; otherwise connect. */
static void analytics_setup(void)
{
    analytics_url = getenv("SB_ANALYTICS_URL");
    admin_token = getenv("SB_ADMIN_TOKEN");
    if (!getenv("SB_PG_DSN") || !analytics_url || !admin_token)
        cr_skip_test("SB_PG_DSN, SB_ANALYTICS_URL or SB_ADMIN_TOKEN unset: the stack is not running");
    pg = sb_fixture_pg();
    cr_assert_not_null(pg, "cannot connect to SB_PG_DSN");
}

static void analytics_teardown(void)
{
    if (pg)
        PQfinish(pg);
    pg = NULL;
}

TestSuite(analytics_api, .init = analytics_setup, .fini = analytics_teardown, .timeout = 60);

/* GET the overview with this query string. */
static json_t *overview(const char *query, const char *token, int *status)
{
    char url[512];
    snprintf(url, sizeof(url), "%s/v1/reports/overview%s%s", analytics_url, query ? "?" : "",
             query ? query : "");
    return sb_test_http_json("GET", url, token, NULL, status);
}

/* A day of the 1900s nobody else counts in (the roll-ups are shared), as YYYY-MM-DD. */
static void random_old_day(char day[11])
{
    char r[9];
    sb_fixture_hex(r, 8);
    time_t t = -2208988800L + (time_t)(strtoul(r, NULL, 16) % 36500) * 86400;   /* 1900 + n days */
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(day, 11, "%Y-%m-%d", &tm);
}

/* by[key][metric] as an integer (-1 when absent). */
static long long cell(json_t *body, const char *by, const char *key, const char *metric)
{
    json_t *v = json_object_get(json_object_get(json_object_get(body, by), key), metric);
    return json_is_integer(v) ? json_integer_value(v) : -1;
}

Test(analytics_api, overview_requires_a_supervisor)
{
    int status;
    json_t *body = overview(NULL, NULL, &status);
    cr_assert_eq(status, 401);
    json_decref(body);
    body = overview(NULL, "wrong-token", &status);
    cr_assert_eq(status, 401);
    json_decref(body);
    char *agent = sb_fixture_token(pg, "presales-01", "agent");
    cr_assert_not_null(agent);
    body = overview(NULL, agent, &status);
    cr_assert_eq(status, 403);
    json_decref(body);
    free(agent);
    char *supervisor = sb_fixture_token(pg, "presales-lead", "supervisor");
    body = overview(NULL, supervisor, &status);
    cr_assert_eq(status, 200);
    json_decref(body);
    free(supervisor);
}

Test(analytics_api, overview_shape_and_default_range)
{
    int status;
    json_t *body = overview(NULL, admin_token, &status);
    cr_assert_eq(status, 200);
    char today[11];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(today, sizeof(today), "%Y-%m-%d", &tm);
    cr_assert_str_eq(json_string_value(json_object_get(body, "from")), today);
    cr_assert_str_eq(json_string_value(json_object_get(body, "to")), today);
    for (size_t i = 0; i < sizeof(metrics) / sizeof(metrics[0]); i++)
        cr_assert(json_is_integer(json_object_get(json_object_get(body, "totals"), metrics[i])),
                  "totals.%s", metrics[i]);
    cr_assert(json_is_object(json_object_get(body, "by_channel")));
    cr_assert(json_is_object(json_object_get(body, "by_category")));
    json_decref(body);
}

Test(analytics_api, bad_ranges_name_the_field)
{
    static const struct { const char *query, *field; } bad[] = {
        {"from=2026-13-01", "from"}, {"from=2026-02-30", "from"}, {"to=abc", "to"},
        {"to=2026-1-01", "to"},      {"from=2026-01-02&to=2026-01-01", "from"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int status;
        json_t *body = overview(bad[i].query, admin_token, &status);
        cr_assert_eq(status, 400, "%s: %d", bad[i].query, status);
        cr_assert_str_eq(json_string_value(json_object_get(json_object_get(body, "error"), "field")),
                         bad[i].field);
        json_decref(body);
    }
}

Test(analytics_api, overview_sums_the_rollups_of_the_range)
{
    char day[11], channel[24], category[24], query[64];
    random_old_day(day);
    snprintf(channel, sizeof(channel), "test-");
    sb_fixture_hex(channel + 5, 12);
    snprintf(category, sizeof(category), "cat-");
    sb_fixture_hex(category + 4, 12);
    const char *p[] = {day, channel, category};
    cr_assert_eq(sb_fixture_exec(pg,
                                 "INSERT INTO analytics_rollup (grain, bucket, metric, channel,"
                                 " category, subtopic, department, agent, n)"
                                 " SELECT 'D', $1::date::timestamp AT TIME ZONE 'UTC', m, $2, c, '', '', '', v"
                                 " FROM (VALUES ('inbound', '', 5), ('opened', '', 3),"
                                 "        ('classified', $3, 2), ('resolved', $3, 1)) AS x(m, c, v)",
                                 3, p), 0);
    snprintf(query, sizeof(query), "from=%s&to=%s", day, day);
    int status;
    json_t *body = overview(query, admin_token, &status);
    cr_assert_eq(status, 200);
    cr_assert_eq(cell(body, "by_channel", channel, "inbound"), 5);
    cr_assert_eq(cell(body, "by_channel", channel, "opened"), 3);
    cr_assert_eq(cell(body, "by_channel", channel, "classified"), 2);
    cr_assert_eq(cell(body, "by_channel", channel, "assigned"), 0);
    cr_assert_eq(cell(body, "by_category", category, "classified"), 2);
    cr_assert_eq(cell(body, "by_category", category, "resolved"), 1);
    cr_assert_null(json_object_get(json_object_get(body, "by_category"), ""));
    cr_assert_geq(json_integer_value(json_object_get(json_object_get(body, "totals"), "inbound")), 5);
    json_decref(body);
}

/* Publish one event, keyed. */
static void publish(const char *topic, const char *key, json_t *ev)
{
    char *text = json_dumps(ev, JSON_COMPACT);
    cr_assert_eq(sb_fixture_publish(topic, key, text), 0);
    free(text);
}

/* The rollup value of (day, channel, category, metric), "0" when there is no row. */
static char *rollup(const char *day, const char *channel, const char *category, const char *metric,
                    const char *want)
{
    const char *p[] = {day, channel, category, metric};
    return sb_fixture_wait(pg,
                           "SELECT coalesce((SELECT sum(n) FROM analytics_rollup WHERE grain = 'd'"
                           " AND bucket = $1::date::timestamp AT TIME ZONE 'UTC' AND channel = $2"
                           " AND category = $3 AND metric = $4), 0)::text",
                           4, p, want, want ? 20000 : 0);
}

Test(analytics_api, consumer_counts_each_event_once)
{
    if (!getenv("SB_KAFKA_BROKERS"))
        cr_skip_test("SB_KAFKA_BROKERS unset");
    char day[11], at[32], key[65], e1[37], e2[37], t1[37], category[24];
    random_old_day(day);
    snprintf(at, sizeof(at), "%sT12:00:00.000Z", day);
    snprintf(category, sizeof(category), "cat-");
    sb_fixture_hex(category + 4, 12);
    sb_fixture_hex(key, 64);
    sb_fixture_uuid(e1);
    sb_fixture_uuid(e2);
    sb_fixture_uuid(t1);
    char *before = rollup(day, "store", "", "inbound", NULL);
    long long base = atoll(before);
    free(before);
    json_t *m1 = json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "inbound_message", "event_id", e1,
                           "message_id", e1, "occurred_at", at, "channel", "store");
    json_t *m2 = json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "inbound_message", "event_id", e2,
                           "message_id", e2, "occurred_at", at, "channel", "store");
    /* A last message on another day, same key (same partition, so consumed after the others):
     * once it is counted, the day under test is final. */
    char day2[11], at2[32], e3[37], want[32];
    do
        random_old_day(day2);
    while (strcmp(day2, day) == 0);
    snprintf(at2, sizeof(at2), "%sT12:00:00.000Z", day2);
    sb_fixture_uuid(e3);
    json_t *m3 = json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "inbound_message", "event_id", e3,
                           "message_id", e3, "occurred_at", at2, "channel", "store");
    char *before2 = rollup(day2, "store", "", "inbound", NULL);
    snprintf(want, sizeof(want), "%lld", atoll(before2) + 1);
    free(before2);
    publish("sb.inbound.v1", key, m1);
    publish("sb.inbound.v1", key, m1);   /* a replay: counted once */
    publish("sb.inbound.v1", key, m2);
    publish("sb.inbound.v1", key, m3);
    char *got = rollup(day2, "store", "", "inbound", want);
    cr_assert_str_eq(got, want);
    free(got);
    snprintf(want, sizeof(want), "%lld", base + 2);
    got = rollup(day, "store", "", "inbound", NULL);
    cr_assert_str_eq(got, want);
    free(got);
    json_decref(m3);

    char ev_id[37];
    sb_fixture_uuid(ev_id);
    json_t *c1 = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s}}", "type", "classified",
                           "event_id", ev_id, "source_event_id", e1, "occurred_at", at,
                           "ticket_id", t1, "ticket_number", "ST-20261122-000001", "data",
                           "channel", "store", "category", category);
    publish("sb.tickets.v1", t1, c1);
    got = rollup(day, "store", category, "classified", "1");
    cr_assert_str_eq(got, "1");
    free(got);
    char query[64];
    snprintf(query, sizeof(query), "from=%s&to=%s", day, day);
    int status;
    json_t *body = overview(query, admin_token, &status);
    cr_assert_eq(status, 200);
    cr_assert_eq(cell(body, "by_category", category, "classified"), 1);
    cr_assert_geq(cell(body, "by_channel", "store", "inbound"), base + 2);
    json_decref(body);
    json_decref(m1);
    json_decref(m2);
    json_decref(c1);
}

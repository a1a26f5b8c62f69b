/* test_analytics.c - analytics' pure parts: report parameters (weeks, months, ranges, caps) and
 * one ticket's facts turned into roll-up increments (pause, reopen, SLA take-back). */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "services/analytics/analytics.h"

#define NOW_MS 1795400000000LL   /* 2026-11-23T23:33:20Z, a Monday */

/* Parses query for what; asserts success. */
static analytics_query parse_ok(const char *query, const char *what)
{
    analytics_query q;
    sb_error err;
    sb_error_clear(&err);
    cr_assert_eq(analytics_query_parse(query, what, NOW_MS, &q, &err), 0, "%s: %s", query, err.message);
    return q;
}

/* Parses query for what; asserts a 400 naming field. */
static void parse_bad(const char *query, const char *what, const char *field)
{
    analytics_query q;
    sb_error err;
    sb_error_clear(&err);
    cr_assert_eq(analytics_query_parse(query, what, NOW_MS, &q, &err), -1, "%s accepted", query);
    cr_expect_eq(err.status, 400);
    cr_expect_str_eq(err.field, field, "%s", query);
}

Test(analytics_query, iso_weeks_and_months)
{
    analytics_query q = parse_ok("week=2026-W47", "weekly");
    cr_expect_str_eq(q.from_text, "2026-11-16");
    cr_expect_str_eq(q.to_text, "2026-11-22");
    q = parse_ok("week=2021-W01", "weekly");   /* 2021 began on a Friday: week 1 starts Jan 4 */
    cr_expect_str_eq(q.from_text, "2021-01-04");
    q = parse_ok("week=2020-W53", "weekly");   /* a 53-week year */
    cr_expect_str_eq(q.from_text, "2020-12-28");
    cr_expect_str_eq(q.to_text, "2021-01-03");
    parse_bad("week=2021-W53", "weekly", "week");
    parse_bad("week=2026-47", "weekly", "week");
    q = parse_ok("", "weekly");                 /* the current week */
    cr_expect_str_eq(q.from_text, "2026-11-23");
    q = parse_ok("month=2024-02", "monthly");
    cr_expect_str_eq(q.to_text, "2024-02-29");
    q = parse_ok("month=2026-12", "monthly");
    cr_expect_str_eq(q.to_text, "2026-12-31");
    parse_bad("month=2026-00", "monthly", "month");
}

Test(analytics_query, ranges_defaults_and_caps)
{
    analytics_query q = parse_ok(NULL, "overview");
    cr_expect_str_eq(q.from_text, "2026-11-23");
    cr_expect_eq(q.to_ms - q.from_ms, 86400000);
    q = parse_ok(NULL, "timeseries");
    cr_expect_eq(q.grain, ANALYTICS_HOUR);
    cr_expect_eq(q.to_ms, NOW_MS);
    cr_expect_eq(q.to_ms - q.from_ms, 86400000);
    q = parse_ok("from=2026-11-22&to=2026-11-22&granularity=minute&agent=ag%201", "timeseries");
    cr_expect_eq(q.to_ms - q.from_ms, 86400000);
    cr_expect_str_eq(q.agent, "ag 1");
    parse_ok("from=2026-11-16&to=2026-11-22&granularity=minute", "timeseries");   /* 10,080 points */
    parse_bad("from=2026-11-16&to=2026-11-23&granularity=minute", "timeseries", "granularity");
    parse_bad("from=2026-11-22T10:00:00Z&to=2026-11-22T10:00:00Z", "timeseries", "from");
    parse_bad("from=2026-11-22T10:00:00", "timeseries", "from");
    parse_bad("to=2026-11-31", "overview", "to");
    parse_bad("department=%7f", "overview", "department");
}

Test(analytics_query, targets_body)
{
    double v[ANALYTICS_NTARGETS];
    unsigned mask;
    sb_error err;
    const char ok[] = "{\"repeat_contact_pct\": 4, \"first_response_live_s\": 20.5}";
    cr_assert_eq(analytics_targets_parse(ok, strlen(ok), v, &mask, &err), 0);
    cr_expect_eq(mask, (1u << 3) | (1u << 1));
    cr_expect_float_eq(v[1], 20.5, 1e-9);
    const char bad[] = "{\"resolution_pct\": -1}";
    cr_assert_eq(analytics_targets_parse(bad, strlen(bad), v, &mask, &err), -1);
    cr_expect_str_eq(err.field, "resolution_pct");
}

/* Collects increments as "metric:n:dur" lines. */
static void collect(void *ctx, const analytics_fact *f, int64_t at, const char *metric, int n,
                    int64_t dur)
{
    (void)f;
    (void)at;
    char line[96];
    snprintf(line, sizeof(line), "%s:%d:%lld\n", metric, n, (long long)dur);
    strcat(ctx, line);
}

/* Applies one record given as JSON text. */
static void apply(analytics_fact *f, char *out, const char *rec)
{
    json_t *r = json_loads(rec, 0, NULL);
    cr_assert_not_null(r, "%s", rec);
    analytics_fact_apply(f, r, collect, out);
    json_decref(r);
}

Test(analytics_facts, pause_reopen_and_sla_take_back)
{
    analytics_fact f;
    memset(&f, 0, sizeof(f));
    static char out[4096];
    out[0] = '\0';
    apply(&f, out, "{\"k\":\"opened\",\"at\":1000,\"recv\":500,\"ch\":\"web\",\"cust\":\"c\"}");
    apply(&f, out, "{\"k\":\"assigned\",\"at\":2000,\"ag\":\"a1\",\"dept\":\"d\"}");
    apply(&f, out, "{\"k\":\"acknowledged\",\"at\":3000}");
    apply(&f, out, "{\"k\":\"status_changed\",\"at\":4000,\"from\":\"acknowledged\",\"to\":\"awaiting_customer\"}");
    apply(&f, out, "{\"k\":\"resolved\",\"at\":10000,\"res\":\"fully\"}");   /* ends the pause */
    cr_expect(strstr(out, "handle_time:1:1000\n"), "%s", out);            /* 7000 wall - 6000 paused */
    cr_expect(strstr(out, "stage_resolution:1:7000\n"), "%s", out);
    cr_expect(strstr(out, "stage_intake:1:500\n"), "%s", out);
    cr_expect(strstr(out, "fcr:1:-1\n"), "%s", out);
    cr_expect(strstr(out, "sla_met:resolution:1:-1\n"), "%s", out);
    out[0] = '\0';
    apply(&f, out, "{\"k\":\"sla_breached\",\"at\":10001,\"sk\":\"resolution\",\"pol\":\"p1\"}");
    cr_expect_str_eq(out, "sla_met:resolution:-1:-1\nsla_breached:resolution:1:-1\n"
                          "sla_breached_policy:resolution:p1:1:-1\n");
    out[0] = '\0';
    apply(&f, out, "{\"k\":\"sla_breached\",\"at\":10002,\"sk\":\"resolution\"}");   /* once */
    apply(&f, out, "{\"k\":\"resolved\",\"at\":10003,\"res\":\"fully\"}");          /* not reopened */
    cr_expect_str_eq(out, "");
    apply(&f, out, "{\"k\":\"reopened\",\"at\":20000,\"ag\":\"sup\",\"dept\":\"d\"}");
    apply(&f, out, "{\"k\":\"reopened\",\"at\":20001,\"ag\":\"sup\"}");
    apply(&f, out, "{\"k\":\"resolved\",\"at\":30000,\"res\":\"fully\"}");
    cr_expect_str_eq(out, "reopened:1:-1\nresolved_again:1:-1\nagent_resolved:1:-1\n"
                          "sla_met:second_handling:1:-1\n");
    cr_expect_str_eq(f.agent, "sup");
}

Test(analytics_facts, buckets)
{
    cr_expect_eq(analytics_bucket_of(0), 0);
    cr_expect_eq(analytics_bucket_of(250), 0);
    cr_expect_eq(analytics_bucket_of(251), 1);
    cr_expect_eq(analytics_bucket_of(10000), 3);
    cr_expect_eq(analytics_bucket_of(10001), 4);
    cr_expect_eq(analytics_bucket_of(259200000), 11);
    cr_expect_eq(analytics_bucket_of(259200001), 12);
    cr_expect_eq(analytics_bucket_upper_ms(12), INT64_MAX);
}

/* Adds one increment of dims to s. */
static void sums_add(analytics_sums *s, char grain, int64_t bucket, const char *const dims[6],
                     int64_t n, int64_t dur_ms)
{
    char packed[512];
    size_t len = analytics_sums_pack(packed, sizeof(packed), dims);
    cr_assert_gt(len, 0);
    cr_assert_eq(analytics_sums_add(s, grain, bucket, packed, len,
                                    analytics_sums_hash(packed, len), n, dur_ms), 0);
}

Test(analytics_sums, one_row_per_key_with_counts_durations_and_buckets)
{
    analytics_sums s = {0};
    const char *a[6] = {"opened", "web", "complaint", "logistics-delay", "quality", "q-01"};
    const char *b[6] = {"opened", "web", "complaint", "logistics-delay", "quality", "q-02"};
    sums_add(&s, 'h', 3600000, a, 1, 1000);
    sums_add(&s, 'h', 3600000, a, 2, -1);          /* no duration: counted, no bucket */
    sums_add(&s, 'h', 3600000, b, 1, 1000);        /* another agent: its own row */
    sums_add(&s, 'H', 3600000, a, 1, 1000);        /* another grain: its own row */
    sums_add(&s, 'h', 7200000, a, 1, 1000);        /* another hour: its own row */
    for (int i = 0; i < 3000; i++) {               /* enough keys to rehash several times */
        char metric[32];
        snprintf(metric, sizeof(metric), "m%d", i);
        const char *d[6] = {metric, "app", "", "", "", ""};
        sums_add(&s, 'd', 0, d, 1, -1);
    }
    cr_assert_eq(s.n, 4 + 3000);
    json_t *rows = analytics_sums_json(&s);
    cr_assert_not_null(rows);
    json_t *first = json_array_get(rows, 0);
    cr_expect_str_eq(json_string_value(json_object_get(first, "g")), "h");
    cr_expect_eq(json_integer_value(json_object_get(first, "t")), 3600000);
    cr_expect_str_eq(json_string_value(json_object_get(first, "ag")), "q-01");
    cr_expect_eq(json_integer_value(json_object_get(first, "n")), 3);
    cr_expect_eq(json_integer_value(json_object_get(first, "d")), 1000);
    char h[8];
    snprintf(h, sizeof(h), "h%d", analytics_bucket_of(1000));
    cr_expect_eq(json_integer_value(json_object_get(first, h)), 1, "only the timed sample");
    json_t *last = json_array_get(rows, json_array_size(rows) - 1);
    cr_expect_str_eq(json_string_value(json_object_get(last, "m")), "m2999");
    cr_expect_eq(json_integer_value(json_object_get(last, "n")), 1);
    json_decref(rows);
    analytics_sums_free(&s);
    cr_expect_eq(s.n, 0);
}

Test(analytics_sums, dimensions_that_do_not_fit_are_refused)
{
    char big[600];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    const char *d[6] = {big, "web", "", "", "", ""};
    char packed[512];
    cr_expect_eq(analytics_sums_pack(packed, sizeof(packed), d), 0);
}

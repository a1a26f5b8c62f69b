/* report.c - GET /v1/reports/overview: the roll-ups of a date range, for supervisors. */
#include "services/analytics/analytics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/auth.h"
#include "common/clock.h"
#include "common/http.h"

#define ANALYTICS_DATE_LEN 10   /* YYYY-MM-DD */

/* Every total is present, 0 when nothing was counted, so clients need no special case. */
static const char *const analytics_metrics[] = {"inbound", "opened", "classified", "assigned",
                                                "resolved", NULL};

static const char analytics_overview_sql[] =
    "SELECT channel, category, metric, sum(value)::bigint FROM rollup_daily"
    " WHERE day BETWEEN $1::date AND $2::date GROUP BY 1, 2, 3";

/* 1 when s is a real calendar date written YYYY-MM-DD. */
static int analytics_date_valid(const char *s)
{
    static const char shape[] = "dddd-dd-dd";
    if (strlen(s) != ANALYTICS_DATE_LEN)
        return 0;
    for (size_t i = 0; i < ANALYTICS_DATE_LEN; i++)
        if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
            return 0;
    char iso[32];
    int64_t ms;
    snprintf(iso, sizeof(iso), "%sT00:00:00Z", s);
    return sb_clock_parse_iso(iso, &ms) == 0;   /* rejects 2026-02-30 */
}

/* Query parameter name as a date into out, def when absent or empty; 0 or -1 with err. */
static int analytics_date_param(struct evhttp_request *req, const char *name, const char *def,
                                char out[ANALYTICS_DAY_SIZE], sb_error *err)
{
    char v[64];
    if (!sb_http_query_param(req, name, v, sizeof(v)) || !v[0]) {
        snprintf(out, ANALYTICS_DAY_SIZE, "%s", def);
        return 0;
    }
    if (!analytics_date_valid(v))
        return sb_error_set(err, 400, "invalid_field", name, "%s must be a date YYYY-MM-DD",
                            name);
    memcpy(out, v, ANALYTICS_DATE_LEN + 1);
    return 0;
}

/* The range asked for: to defaults to today, from to to. 0 or -1 with err. */
static int analytics_range(struct evhttp_request *req, char from[ANALYTICS_DAY_SIZE],
                           char to[ANALYTICS_DAY_SIZE], sb_error *err)
{
    char today[ANALYTICS_DAY_SIZE];
    analytics_day_format(sb_clock_now_ms(), today);
    if (analytics_date_param(req, "to", today, to, err) != 0 ||
        analytics_date_param(req, "from", to, from, err) != 0)
        return -1;
    if (strcmp(from, to) > 0)   /* same fixed-width format: string order is date order */
        return sb_error_set(err, 400, "invalid_field", "from", "from is after to");
    return 0;
}

/* {metric: 0, ...} for every known metric. */
static json_t *analytics_zero_metrics(void)
{
    json_t *o = json_object();
    for (size_t i = 0; analytics_metrics[i]; i++)
        json_object_set_new(o, analytics_metrics[i], json_integer(0));
    return o;
}

/* obj[metric] += v */
static void analytics_add(json_t *obj, const char *metric, json_int_t v)
{
    json_t *cur = json_object_get(obj, metric);
    json_object_set_new(obj, metric, json_integer(json_integer_value(cur) + v));
}

/* group[key][metric] += v, creating group[key] with every metric at 0. */
static void analytics_add_grouped(json_t *group, const char *key, const char *metric,
                                  json_int_t v)
{
    json_t *g = json_object_get(group, key);
    if (!g) {
        g = analytics_zero_metrics();
        json_object_set_new(group, key, g);
    }
    analytics_add(g, metric, v);
}

/* The answer from the summed rows. Category '' (not classified yet) only counts in totals
 * and by_channel: it is not a category. */
static json_t *analytics_overview_json(PGresult *res, const char *from, const char *to)
{
    json_t *totals = analytics_zero_metrics(), *by_channel = json_object(),
           *by_category = json_object();
    for (int i = 0; i < PQntuples(res); i++) {
        const char *channel = PQgetvalue(res, i, 0), *category = PQgetvalue(res, i, 1),
                   *metric = PQgetvalue(res, i, 2);
        json_int_t v = strtoll(PQgetvalue(res, i, 3), NULL, 10);
        analytics_add(totals, metric, v);
        analytics_add_grouped(by_channel, channel, metric, v);
        if (category[0])
            analytics_add_grouped(by_category, category, metric, v);
    }
    return json_pack("{s:s, s:s, s:o, s:o, s:o}", "from", from, "to", to, "totals", totals,
                     "by_channel", by_channel, "by_category", by_category);
}

/* GET /v1/reports/overview?from=YYYY-MM-DD&to=YYYY-MM-DD */
static void analytics_overview(struct evhttp_request *req, const char *tail, void *ctx)
{
    (void)tail;
    sb_service *s = ctx;
    sb_error err;
    sb_error_clear(&err);
    sb_principal who;
    char from[ANALYTICS_DAY_SIZE], to[ANALYTICS_DAY_SIZE];
    if (sb_pg_ensure(s->pg) != 0) {
        sb_http_reply_errorf(req, 503, "unavailable", "", "database unavailable");
        return;
    }
    if (sb_auth_require(s->pg, req, SB_ROLE_SUPERVISOR, &who, &err) != 0 ||
        analytics_range(req, from, to, &err) != 0) {
        sb_http_reply_error(req, &err);
        return;
    }
    const char *p[] = {from, to};
    PGresult *res = sb_pg_query(s->pg, analytics_overview_sql, 2, p);
    if (!res) {
        sb_http_reply_errorf(req, 503, "unavailable", "", "cannot read the roll-ups now");
        return;
    }
    json_t *body = analytics_overview_json(res, from, to);
    PQclear(res);
    sb_http_reply_json(req, 200, body);
}

int analytics_report_routes(sb_service *s)
{
    return sb_http_route(s->http, "GET", "/v1/reports/overview", analytics_overview, s);
}

/* api.c - analytics' HTTP API: reports (JSON, HTML, CSV), anomalies, KPI targets. */
#include "services/analytics/analytics.h"

#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/audit.h"
#include "common/auth.h"
#include "common/clock.h"
#include "common/http.h"

#define ANALYTICS_TARGETS_BODY_MAX 4096

/* Database up, caller at least min_role, query parsed for `what`: 0, or replied and -1. */
static int api_begin(sb_service *s, struct evhttp_request *req, sb_role min_role,
                     const char *what, sb_principal *who, analytics_query *q)
{
    sb_error err;
    sb_error_clear(&err);
    if (sb_pg_ensure(s->pg) != 0) {
        sb_http_reply_errorf(req, 503, "unavailable", "", "database unavailable");
        return -1;
    }
    if (sb_auth_require(s->pg, req, min_role, who, &err) != 0) {
        sb_http_reply_error(req, &err);
        return -1;
    }
    if (!what)
        return 0;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    if (analytics_query_parse(uri ? evhttp_uri_get_query(uri) : NULL, what, sb_clock_now_ms(), q,
                              &err) != 0) {
        sb_http_reply_error(req, &err);
        return -1;
    }
    return 0;
}

/* GET /v1/reports/overview?from=&to=[&channel=&category=&department=&agent=] */
static void api_overview(struct evhttp_request *req, const char *tail, void *ctx)
{
    (void)tail;
    sb_service *s = ctx;
    sb_principal who;
    analytics_query q;
    sb_error err;
    if (api_begin(s, req, SB_ROLE_SUPERVISOR, "overview", &who, &q) != 0)
        return;
    json_t *body = analytics_overview_build(s->pg, &q, &err);
    if (!body)
        sb_http_reply_error(req, &err);
    else
        sb_http_reply_json(req, 200, body);
}

/* GET /v1/reports/timeseries?from=&to=&granularity=&channel=&category=&department=&agent= */
static void api_timeseries(struct evhttp_request *req, const char *tail, void *ctx)
{
    (void)tail;
    sb_service *s = ctx;
    sb_principal who;
    analytics_query q;
    sb_error err;
    if (api_begin(s, req, SB_ROLE_SUPERVISOR, "timeseries", &who, &q) != 0)
        return;
    json_t *body = analytics_timeseries_build(s->pg, &q, &err);
    if (!body)
        sb_http_reply_error(req, &err);
    else
        sb_http_reply_json(req, 200, body);
}

/* GET /v1/reports/{weekly?week=|monthly?month=}&format=html|csv */
static void api_period(struct evhttp_request *req, const char *what, sb_service *s)
{
    sb_principal who;
    analytics_query q;
    sb_error err;
    char format[8] = "html";
    if (api_begin(s, req, SB_ROLE_SUPERVISOR, what, &who, &q) != 0)
        return;
    if (sb_http_query_param(req, "format", format, sizeof(format)) && !format[0])
        snprintf(format, sizeof(format), "html");
    int csv = strcmp(format, "csv") == 0;
    if (!csv && strcmp(format, "html") != 0) {
        sb_http_reply_errorf(req, 400, "invalid_field", "format", "format must be html or csv");
        return;
    }
    json_t *ov = analytics_overview_build(s->pg, &q, &err);
    if (!ov) {
        sb_http_reply_error(req, &err);
        return;
    }
    char title[96];
    snprintf(title, sizeof(title), "Switchboard %s report %s to %s",
             strcmp(what, "weekly") == 0 ? "weekly" : "monthly", q.from_text, q.to_text);
    char *text = csv ? analytics_export_csv(ov) : analytics_export_html(ov, title);
    json_decref(ov);
    if (!text) {
        sb_http_reply_errorf(req, 500, "internal", "", "cannot render the report");
        return;
    }
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    if (csv) {
        char disp[96];
        snprintf(disp, sizeof(disp), "attachment; filename=\"switchboard-%s-%s.csv\"", what,
                 q.from_text);
        evhttp_add_header(h, "Content-Disposition", disp);
    } else {
        evhttp_add_header(h, "Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
    }
    evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
    sb_http_reply_text(req, 200, csv ? "text/csv; charset=utf-8" : "text/html; charset=utf-8",
                       text, strlen(text));
    free(text);
}

static void api_weekly(struct evhttp_request *req, const char *tail, void *ctx)
{
    (void)tail;
    api_period(req, "weekly", ctx);
}

static void api_monthly(struct evhttp_request *req, const char *tail, void *ctx)
{
    (void)tail;
    api_period(req, "monthly", ctx);
}

static const char anomalies_sql[] =
    "SELECT coalesce(json_agg(a ORDER BY a.hour DESC, a.ratio DESC), '[]')::text FROM ("
    " SELECT id, to_char(hour AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS hour,"
    " dimension, value, metric, round(current::numeric, 1) AS current,"
    " round(baseline::numeric, 1) AS baseline, round(ratio::numeric, 2) AS ratio, samples,"
    " top_dimension, top_value, round(top_share::numeric, 3) AS top_share, message"
    " FROM analytics_anomalies WHERE hour >= to_timestamp($1::bigint / 1000.0)"
    " AND hour < to_timestamp($2::bigint / 1000.0) ORDER BY hour DESC, ratio DESC LIMIT 200) a";

/* GET /v1/reports/anomalies?from=&to= (default the last 24 hours) */
static void api_anomalies(struct evhttp_request *req, const char *tail, void *ctx)
{
    (void)tail;
    sb_service *s = ctx;
    sb_principal who;
    analytics_query q;
    if (api_begin(s, req, SB_ROLE_SUPERVISOR, "anomalies", &who, &q) != 0)
        return;
    char from[24], to[24];
    snprintf(from, sizeof(from), "%lld", (long long)(q.from_ms - 3600000));   /* the hour in progress */
    snprintf(to, sizeof(to), "%lld", (long long)q.to_ms);
    const char *p[] = {from, to};
    PGresult *res = sb_pg_query(s->pg, anomalies_sql, 2, p);
    json_t *list = res ? json_loads(PQgetvalue(res, 0, 0), 0, NULL) : NULL;
    if (res)
        PQclear(res);
    if (!list) {
        sb_http_reply_errorf(req, 503, "unavailable", "", "cannot read the anomalies now");
        return;
    }
    sb_http_reply_json(req, 200, json_pack("{s:s, s:s, s:o}", "from", q.from_text, "to",
                                           q.to_text, "anomalies", list));
}

static const char targets_list_sql[] =
    "SELECT coalesce(json_object_agg(kpi, json_build_object('op', op, 'value', value,"
    " 'updated_by', updated_by)), '{}')::text FROM analytics_targets";

/* The targets as JSON; NULL when the database failed. */
static json_t *targets_json(sb_pg *pg)
{
    PGresult *res = sb_pg_query(pg, targets_list_sql, 0, NULL);
    json_t *t = res ? json_loads(PQgetvalue(res, 0, 0), 0, NULL) : NULL;
    if (res)
        PQclear(res);
    return t ? json_pack("{s:o}", "targets", t) : NULL;
}

/* GET /v1/targets (supervisors read them) */
static void api_targets_get(struct evhttp_request *req, const char *tail, void *ctx)
{
    (void)tail;
    sb_service *s = ctx;
    sb_principal who;
    if (api_begin(s, req, SB_ROLE_SUPERVISOR, NULL, &who, NULL) != 0)
        return;
    json_t *body = targets_json(s->pg);
    if (!body)
        sb_http_reply_errorf(req, 503, "unavailable", "", "cannot read the targets now");
    else
        sb_http_reply_json(req, 200, body);
}

/* Writes the given targets and their audit record in one transaction; 0 or -1. */
static int targets_write(sb_pg *pg, const sb_principal *who, const double *values, unsigned mask)
{
    json_t *detail = json_object();
    int rc = sb_pg_begin(pg);
    for (int i = 0; rc == 0 && i < ANALYTICS_NTARGETS; i++) {
        if (!(mask & (1u << i)))
            continue;
        char v[40];
        snprintf(v, sizeof(v), "%.17g", values[i]);
        const char *p[] = {analytics_target_kpis[i], v, who->subject};
        rc = sb_pg_exec(pg, "UPDATE analytics_targets SET value = $2::float8, updated_at = now(),"
                            " updated_by = $3 WHERE kpi = $1", 3, p);
        json_object_set_new(detail, analytics_target_kpis[i], json_real(values[i]));
    }
    if (rc == 0) {
        rc = sb_audit_record(pg, who, "analytics.targets.update", "analytics_targets", detail);
        detail = NULL;   /* stolen */
    }
    json_decref(detail);
    if (rc == 0)
        rc = sb_pg_commit(pg);
    if (rc != 0)
        sb_pg_rollback(pg);
    return rc;
}

/* PUT /v1/targets {"satisfaction_pct": 92, ...} (admins; audited) */
static void api_targets_put(struct evhttp_request *req, const char *tail, void *ctx)
{
    (void)tail;
    sb_service *s = ctx;
    sb_principal who;
    sb_error err;
    sb_error_clear(&err);
    if (api_begin(s, req, SB_ROLE_ADMIN, NULL, &who, NULL) != 0)
        return;
    size_t len;
    char *body = sb_http_body_raw(req, ANALYTICS_TARGETS_BODY_MAX, &len, &err);
    double values[ANALYTICS_NTARGETS];
    unsigned mask;
    if (!body || analytics_targets_parse(body, len, values, &mask, &err) != 0) {
        free(body);
        sb_http_reply_error(req, &err);
        return;
    }
    free(body);
    if (targets_write(s->pg, &who, values, mask) != 0) {
        sb_http_reply_errorf(req, 503, "unavailable", "", "cannot store the targets now");
        return;
    }
    json_t *out = targets_json(s->pg);
    if (!out)
        sb_http_reply_errorf(req, 503, "unavailable", "", "cannot read the targets now");
    else
        sb_http_reply_json(req, 200, out);
}

int analytics_report_routes(sb_service *s)
{
    return sb_http_route(s->http, "GET", "/v1/reports/overview", api_overview, s) |
           sb_http_route(s->http, "GET", "/v1/reports/timeseries", api_timeseries, s) |
           sb_http_route(s->http, "GET", "/v1/reports/weekly", api_weekly, s) |
           sb_http_route(s->http, "GET", "/v1/reports/monthly", api_monthly, s) |
           sb_http_route(s->http, "GET", "/v1/reports/anomalies", api_anomalies, s) |
           sb_http_route(s->http, "GET", "/v1/targets", api_targets_get, s) |
           sb_http_route(s->http, "PUT", "/v1/targets", api_targets_put, s);
}

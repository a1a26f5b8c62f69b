/* report.c - the overview KPIs and the time series, computed from the roll-ups only (README "Definitions"). */
#include "services/analytics/analytics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/channel.h"
#include "common/clock.h"
#include "common/json.h"

/* Every legacy total is present, 0 when nothing was counted, so clients need no special case. */
static const char *const analytics_legacy[] = {"inbound", "opened", "classified", "assigned",
                                               "resolved", NULL};
/* The process stages, in order (metric stage_<name>). */
static const char *const analytics_stages[] = {"intake",     "judgement", "dispatch",
                                               "acknowledgement", "resolution", "follow_up",
                                               NULL};
/* Live channels: a customer waits on the line for the first response (the 30 s target). */
static const char *const analytics_live[] = {"web", "app", "phone", "wechat", NULL};

#define ANALYTICS_FILTERS \
    " AND ($3 = '' OR channel = $3) AND ($4 = '' OR category = $4)" \
    " AND ($5 = '' OR department = $5) AND ($6 = '' OR agent = $6)"

static const char overview_sql[] =
    "SELECT metric, channel, category, subtopic, sum(n)::bigint, sum(sum_ms)::bigint,"
    " sum(h0)::bigint, sum(h1)::bigint, sum(h2)::bigint, sum(h3)::bigint, sum(h4)::bigint,"
    " sum(h5)::bigint, sum(h6)::bigint, sum(h7)::bigint, sum(h8)::bigint, sum(h9)::bigint,"
    " sum(h10)::bigint, sum(h11)::bigint, sum(h12)::bigint"
    " FROM analytics_rollup WHERE grain = $7 AND bucket >= to_timestamp($1::bigint / 1000.0)"
    " AND bucket < to_timestamp($2::bigint / 1000.0)" ANALYTICS_FILTERS
    " GROUP BY 1, 2, 3, 4";

static const char agent_hours_sql[] =
    "SELECT count(*) FROM analytics_agent_hours WHERE hour >= to_timestamp($1::bigint / 1000.0)"
    " AND hour < to_timestamp($2::bigint / 1000.0) AND ($3 = '' OR department = $3)"
    " AND ($4 = '' OR agent = $4)";

static const char targets_sql[] = "SELECT kpi, op, value FROM analytics_targets ORDER BY kpi";

/* A metric's sum over the rows read: samples, total duration, histogram. */
typedef struct agg {
    int64_t n, sum_ms, h[ANALYTICS_BUCKETS];
} agg;

/* Every metric read, by name (a few dozen: linear search is fine). */
typedef struct metric_set {
    struct named_agg {
        char name[2 * ANALYTICS_DIM_MAX + 32];
        agg  a;
    } *v;
    size_t n, cap;
    agg    scratch;   /* handed out when memory runs out: the report is then short, not wrong-typed */
} metric_set;

/* The running sums of one overview. */
typedef struct overview_acc {
    metric_set metrics;
    agg        live_first_response;
} overview_acc;

/* acc[metric] += row (cols from 4: n, sum_ms, h0..h12). */
static void agg_add_row(agg *a, PGresult *res, int r)
{
    a->n += strtoll(PQgetvalue(res, r, 4), NULL, 10);
    a->sum_ms += strtoll(PQgetvalue(res, r, 5), NULL, 10);
    for (int i = 0; i < ANALYTICS_BUCKETS; i++)
        a->h[i] += strtoll(PQgetvalue(res, r, 6 + i), NULL, 10);
}

/* The agg of metric m (created zero). */
static agg *acc_metric(metric_set *s, const char *m)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i].name, m) == 0)
            return &s->v[i].a;
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        struct named_agg *v = realloc(s->v, cap * sizeof(*v));
        if (!v)
            return memset(&s->scratch, 0, sizeof(s->scratch));
        s->v = v;
        s->cap = cap;
    }
    struct named_agg *e = &s->v[s->n++];
    memset(e, 0, sizeof(*e));
    snprintf(e->name, sizeof(e->name), "%s", m);
    return &e->a;
}

/* The quantile q of a histogram, interpolated inside its bucket; -1 without samples. */
static double agg_quantile(const agg *a, double q)
{
    int64_t total = 0;
    for (int i = 0; i < ANALYTICS_BUCKETS; i++)
        total += a->h[i];
    if (total <= 0)
        return -1;
    double rank = q * (double)total, cum = 0;
    for (int i = 0; i < ANALYTICS_BUCKETS; i++) {
        if (a->h[i] > 0 && cum + (double)a->h[i] >= rank) {
            double lo = i == 0 ? 0 : (double)analytics_bucket_upper_ms(i - 1);
            if (i == ANALYTICS_BUCKETS - 1)
                return lo;   /* open bucket: its lower bound */
            double hi = (double)analytics_bucket_upper_ms(i);
            return lo + (hi - lo) * (rank - cum) / (double)a->h[i];
        }
        cum += (double)a->h[i];
    }
    return -1;
}

/* {n, mean_ms, p50_ms, p90_ms, buckets:[{le_ms, n}]} of a duration metric. */
static json_t *agg_distribution(const agg *a)
{
    json_t *b = json_array();
    for (int i = 0; i < ANALYTICS_BUCKETS; i++) {
        int64_t up = analytics_bucket_upper_ms(i);
        json_array_append_new(b, json_pack("{s:o, s:I}", "le_ms",
                                           up == INT64_MAX ? json_null() : json_integer(up), "n",
                                           (json_int_t)a->h[i]));
    }
    double p50 = agg_quantile(a, 0.5), p90 = agg_quantile(a, 0.9);
    return json_pack("{s:I, s:o, s:o, s:o, s:o}", "n", (json_int_t)a->n, "mean_ms",
                     a->n > 0 ? json_real((double)a->sum_ms / (double)a->n) : json_null(),
                     "p50_ms", p50 >= 0 ? json_real(p50) : json_null(), "p90_ms",
                     p90 >= 0 ? json_real(p90) : json_null(), "buckets", b);
}

/* n of a metric (0 when absent). */
static int64_t acc_n(const metric_set *s, const char *m)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i].name, m) == 0)
            return s->v[i].a.n;
    return 0;
}

/* 100 * a / b, or null when b is 0. */
static json_t *pct(int64_t a, int64_t b)
{
    return b > 0 ? json_real(100.0 * (double)a / (double)b) : json_null();
}

/* group[key][metric] += v, creating group[key] with the legacy metrics at 0. */
static void add_grouped(json_t *group, const char *key, const char *metric, json_int_t v)
{
    json_t *g = json_object_get(group, key);
    if (!g) {
        g = json_object();
        for (size_t i = 0; analytics_legacy[i]; i++)
            json_object_set_new(g, analytics_legacy[i], json_integer(0));
        json_object_set_new(group, key, g);
    }
    json_object_set_new(g, metric, json_integer(json_integer_value(json_object_get(g, metric)) + v));
}

/* Top 5 (category, subtopic) by tickets classified. */
static json_t *top_issues(json_t *issues)
{
    json_t *out = json_array();
    for (int k = 0; k < 5; k++) {
        const char *best = NULL, *key;
        json_int_t bestn = 0;
        json_t *v;
        json_object_foreach(issues, key, v) {
            json_int_t n = json_integer_value(v);
            if (n > bestn || (n == bestn && n > 0 && best && strcmp(key, best) < 0)) {
                best = key;
                bestn = n;
            }
        }
        if (!best)
            break;
        const char *slash = strchr(best, '\n');
        json_array_append_new(out, json_pack("{s:s%, s:s, s:I}", "category", best,
                                             (size_t)(slash - best), "subtopic", slash + 1,
                                             "tickets", (json_int_t)bestn));
        json_object_del(issues, best);
    }
    return out;
}

/* The {met, breached} object of key in o, made on first use. */
static json_t *sla_tally(json_t *o, const char *key)
{
    json_t *k = json_object_get(o, key);
    if (!k) {
        k = json_pack("{s:I, s:I}", "met", (json_int_t)0, "breached", (json_int_t)0);
        json_object_set_new(o, key, k);
    }
    return k;
}

/* Each tally of o gets its compliance_pct = met / (met + breached). */
static void sla_compliance(json_t *o)
{
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        int64_t met = json_integer_value(json_object_get(v, "met")),
                br = json_integer_value(json_object_get(v, "breached"));
        json_object_set_new(v, "compliance_pct", pct(met, met + br));
    }
}

/* The SLA section: met/breached/compliance per clock kind and per policy ("<kind>:<policy>"),
 * and (as before version 3) the breaches per policy. */
static json_t *sla_section(const metric_set *s)
{
    json_t *kinds = json_object(), *by_policy = json_object(), *policies = json_object();
    for (size_t i = 0; i < s->n; i++) {
        const char *m = s->v[i].name;
        int64_t n = s->v[i].a.n;
        int pol_met = strncmp(m, "sla_met_policy:", 15) == 0;
        int pol_br = strncmp(m, "sla_breached_policy:", 20) == 0;
        if (pol_met || pol_br) {
            const char *key = m + (pol_met ? 15 : 20);
            json_object_set_new(sla_tally(by_policy, key), pol_met ? "met" : "breached",
                                json_integer(n));
            if (pol_br)
                json_object_set_new(policies, key, json_integer(n));
            continue;
        }
        int met = strncmp(m, "sla_met:", 8) == 0, breached = strncmp(m, "sla_breached:", 13) == 0;
        if (met || breached)
            json_object_set_new(sla_tally(kinds, m + (met ? 8 : 13)), met ? "met" : "breached",
                                json_integer(n));
    }
    sla_compliance(kinds);
    sla_compliance(by_policy);
    return json_pack("{s:o, s:o, s:o}", "by_kind", kinds, "by_policy", by_policy,
                     "breaches_by_policy", policies);
}

/* Reads the targets into {kpi: {op, value}}. */
static json_t *targets_read(sb_pg *pg)
{
    PGresult *res = sb_pg_query(pg, targets_sql, 0, NULL);
    if (!res)
        return NULL;
    json_t *t = json_object();
    for (int r = 0; r < PQntuples(res); r++)
        json_object_set_new(t, PQgetvalue(res, r, 0),
                            json_pack("{s:s, s:f}", "op", PQgetvalue(res, r, 1), "value",
                                      atof(PQgetvalue(res, r, 2))));
    PQclear(res);
    return t;
}

/* {value, target, op, met, unit, samples} of one KPI. */
static json_t *kpi(json_t *targets, const char *name, json_t *value, const char *unit,
                   int64_t samples)
{
    json_t *t = json_object_get(targets, name), *met = json_null(), *target = json_null();
    const char *op = t ? json_string_value(json_object_get(t, "op")) : NULL;
    if (t) {
        double tv = json_real_value(json_object_get(t, "value"));
        target = json_real(tv);
        if (json_is_number(value))
            met = json_boolean(strcmp(op, ">=") == 0 ? json_number_value(value) >= tv
                                                     : json_number_value(value) <= tv);
    }
    return json_pack("{s:o, s:o, s:o, s:o, s:s, s:I}", "value", value, "target", target, "op",
                     op ? json_string(op) : json_null(), "met", met, "unit", unit, "samples",
                     (json_int_t)samples);
}

/* The KPIs against their targets. */
static json_t *kpis(overview_acc *a, json_t *targets, int64_t agent_hours)
{
    const metric_set *m = &a->metrics;
    const agg *fr = &a->live_first_response;
    int64_t answered = acc_n(m, "survey_answered"), resolved = acc_n(m, "resolved"),
            classified = acc_n(m, "classified");
    json_t *k = json_object();
    json_object_set_new(k, "satisfaction_pct", kpi(targets, "satisfaction_pct",
                        pct(acc_n(m, "satisfied"), answered), "%", answered));
    json_object_set_new(k, "first_response_live_s", kpi(targets, "first_response_live_s",
                        fr->n > 0 ? json_real((double)fr->sum_ms / (double)fr->n / 1000.0) : json_null(),
                        "s", fr->n));
    json_object_set_new(k, "resolution_pct", kpi(targets, "resolution_pct",
                        pct(acc_n(m, "resolved_fully"), resolved), "%", resolved));
    json_object_set_new(k, "repeat_contact_pct", kpi(targets, "repeat_contact_pct",
                        pct(acc_n(m, "repeat_contact"), classified), "%", classified));
    json_object_set_new(k, "tickets_per_agent_hour", kpi(targets, "tickets_per_agent_hour",
                        agent_hours > 0 ? json_real((double)acc_n(m, "agent_resolved") / (double)agent_hours)
                                        : json_null(), "tickets/agent-hour", agent_hours));
    json_object_set_new(k, "fcr_pct", kpi(targets, "fcr_pct", pct(acc_n(m, "fcr"), resolved), "%",
                                          resolved));
    json_object_set_new(k, "reopen_pct", kpi(targets, "reopen_pct",
                        pct(acc_n(m, "reopened"), resolved), "%", resolved));
    json_object_set_new(k, "survey_response_pct", kpi(targets, "survey_response_pct",
                        pct(answered, acc_n(m, "survey_sent")), "%", acc_n(m, "survey_sent")));
    return k;
}

/* Folds one summed row into the accumulator and the legacy breakdowns. */
static void overview_row(overview_acc *a, PGresult *res, int r, json_t *totals,
                         json_t *by_channel, json_t *by_category, json_t *issues)
{
    const char *metric = PQgetvalue(res, r, 0), *channel = PQgetvalue(res, r, 1),
               *category = PQgetvalue(res, r, 2), *subtopic = PQgetvalue(res, r, 3);
    json_int_t n = strtoll(PQgetvalue(res, r, 4), NULL, 10);
    agg_add_row(acc_metric(&a->metrics, metric), res, r);
    if (strcmp(metric, "first_response") == 0 && sb_json_one_of(channel, analytics_live))
        agg_add_row(&a->live_first_response, res, r);
    if (!strchr(metric, ':'))
        json_object_set_new(totals, metric,
                            json_integer(json_integer_value(json_object_get(totals, metric)) + n));
    if (sb_json_one_of(metric, analytics_legacy)) {
        add_grouped(by_channel, channel, metric, n);
        if (category[0])
            add_grouped(by_category, category, metric, n);
    }
    if (strcmp(metric, "classified") == 0 && category[0]) {
        char key[2 * ANALYTICS_DIM_MAX + 2];
        snprintf(key, sizeof(key), "%s\n%s", category, subtopic);
        json_object_set_new(issues, key, json_integer(json_integer_value(json_object_get(issues, key)) + n));
    }
}

/* The roll-up grain to read: with a department or agent filter the rows that carry them
 * (m, h, d), else the rows summed over them (M, H, D), a tenth as many. */
static const char *analytics_grain_name(const analytics_query *q, analytics_grain g)
{
    static const char *const full[] = {"m", "h", "d"}, *const summed[] = {"M", "H", "D"};
    return q->department[0] || q->agent[0] ? full[g] : summed[g];
}

/* Agent-hours of the range (department and agent filters apply). -1 on failure. */
static int64_t agent_hours(sb_pg *pg, const char *const *p)
{
    const char *hp[] = {p[0], p[1], p[4], p[5]};
    PGresult *res = sb_pg_query(pg, agent_hours_sql, 4, hp);
    if (!res)
        return -1;
    int64_t n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return n;
}

json_t *analytics_overview_build(sb_pg *pg, const analytics_query *q, sb_error *err)
{
    char from[24], to[24];
    snprintf(from, sizeof(from), "%lld", (long long)q->from_ms);
    snprintf(to, sizeof(to), "%lld", (long long)q->to_ms);
    const char *p[] = {from, to, q->channel, q->category, q->department, q->agent,
                       analytics_grain_name(q, ANALYTICS_DAY)};
    PGresult *res = sb_pg_query(pg, overview_sql, 7, p);
    int64_t hours = res ? agent_hours(pg, p) : -1;
    json_t *targets = hours >= 0 ? targets_read(pg) : NULL;
    if (!res || !targets) {
        if (res)
            PQclear(res);
        sb_error_set(err, 503, "unavailable", "", "cannot read the roll-ups now");
        return NULL;
    }
    overview_acc a;
    memset(&a, 0, sizeof(a));
    json_t *totals = json_object(), *by_channel = json_object(), *by_category = json_object(),
           *issues = json_object();
    for (size_t i = 0; analytics_legacy[i]; i++)
        json_object_set_new(totals, analytics_legacy[i], json_integer(0));
    for (int r = 0; r < PQntuples(res); r++)
        overview_row(&a, res, r, totals, by_channel, by_category, issues);
    PQclear(res);
    json_t *stages = json_object();
    const char *bottleneck = NULL;
    double worst = -1;
    for (size_t i = 0; analytics_stages[i]; i++) {
        char m[48];
        snprintf(m, sizeof(m), "stage_%s", analytics_stages[i]);
        agg *s = acc_metric(&a.metrics, m);
        json_object_set_new(stages, analytics_stages[i], agg_distribution(s));
        double p50 = agg_quantile(s, 0.5);
        if (p50 > worst) {
            worst = p50;
            bottleneck = analytics_stages[i];
        }
    }
    json_t *body = json_pack(
        "{s:i, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I}",
        "definitions_version", ANALYTICS_DEFINITIONS_VERSION, "from", q->from_text, "to",
        q->to_text, "totals", totals, "by_channel", by_channel, "by_category", by_category,
        "kpis", kpis(&a, targets, hours), "first_response_live", agg_distribution(&a.live_first_response),
        "handle_time", agg_distribution(acc_metric(&a.metrics, "handle_time")), "stages", stages,
        "bottleneck_stage", worst > 0 ? json_string(bottleneck) : json_null(), "sla",
        sla_section(&a.metrics), "top_issues", top_issues(issues), "agent_hours",
        (json_int_t)hours);
    json_object_set_new(body, "surveys", json_pack("{s:I, s:I, s:I, s:I}", "sent",
                        (json_int_t)acc_n(&a.metrics, "survey_sent"), "answered",
                        (json_int_t)acc_n(&a.metrics, "survey_answered"), "expired",
                        (json_int_t)acc_n(&a.metrics, "survey_expired"), "satisfied",
                        (json_int_t)acc_n(&a.metrics, "satisfied")));
    json_object_set_new(body, "filters", json_pack("{s:s, s:s, s:s, s:s}", "channel", q->channel,
                        "category", q->category, "department", q->department, "agent", q->agent));
    free(a.metrics.v);
    json_decref(issues);
    json_decref(targets);
    return body;
}

/* ---- time series ---- */

static const char timeseries_sql[] =
    "SELECT (extract(epoch FROM bucket) * 1000)::bigint, metric, sum(n)::bigint,"
    " sum(sum_ms)::bigint FROM analytics_rollup WHERE grain = $7"
    " AND bucket >= to_timestamp($1::bigint / 1000.0) AND bucket < to_timestamp($2::bigint / 1000.0)"
    ANALYTICS_FILTERS " GROUP BY 1, 2 ORDER BY 1";

/* The metrics every point carries (0 when none), and the durations given as means. */
static const char *const series_counts[] = {"inbound", "opened", "classified", "assigned",
                                            "resolved", "reopened", "survey_sent",
                                            "survey_answered", "satisfied", NULL};
static const char *const series_durations[] = {"first_response", "handle_time", NULL};

/* One zero point at ms. */
static json_t *series_point(int64_t ms)
{
    char at[40];
    json_t *p = json_pack("{s:s}", "at", sb_clock_format_iso(ms, at, sizeof(at)));
    for (size_t i = 0; series_counts[i]; i++)
        json_object_set_new(p, series_counts[i], json_integer(0));
    for (size_t i = 0; series_durations[i]; i++) {
        char k[48];
        snprintf(k, sizeof(k), "%s_mean_ms", series_durations[i]);
        json_object_set_new(p, k, json_null());
    }
    json_object_set_new(p, "satisfaction_pct", json_null());
    return p;
}

/* The time series of q: one point per bucket of the grain, zero-filled. NULL with err. */
json_t *analytics_timeseries_build(sb_pg *pg, const analytics_query *q, sb_error *err)
{
    static const int64_t step[] = {60000, 3600000, 86400000};
    static const char *const names[] = {"minute", "hour", "day"};
    int64_t st = step[q->grain];
    int64_t first = q->from_ms - ((q->from_ms % st) + st) % st;
    char from[24], to[24];
    snprintf(from, sizeof(from), "%lld", (long long)first);
    snprintf(to, sizeof(to), "%lld", (long long)q->to_ms);
    const char *p[] = {from, to, q->channel, q->category, q->department, q->agent,
                       analytics_grain_name(q, q->grain)};
    PGresult *res = sb_pg_query(pg, timeseries_sql, 7, p);
    if (!res) {
        sb_error_set(err, 503, "unavailable", "", "cannot read the roll-ups now");
        return NULL;
    }
    json_t *points = json_array();
    for (int64_t t = first; t < q->to_ms; t += st)
        json_array_append_new(points, series_point(t));
    for (int r = 0; r < PQntuples(res); r++) {
        int64_t at = strtoll(PQgetvalue(res, r, 0), NULL, 10);
        json_t *pt = json_array_get(points, (size_t)((at - first) / st));
        const char *metric = PQgetvalue(res, r, 1);
        int64_t n = strtoll(PQgetvalue(res, r, 2), NULL, 10), sum = strtoll(PQgetvalue(res, r, 3), NULL, 10);
        if (!pt)
            continue;
        if (sb_json_one_of(metric, series_counts))
            json_object_set_new(pt, metric, json_integer(n));
        if (sb_json_one_of(metric, series_durations) && n > 0) {
            char k[48];
            snprintf(k, sizeof(k), "%s_mean_ms", metric);
            json_object_set_new(pt, k, json_real((double)sum / (double)n));
        }
    }
    PQclear(res);
    size_t i;
    json_t *pt;
    json_array_foreach(points, i, pt) {
        int64_t ans = json_integer_value(json_object_get(pt, "survey_answered"));
        json_object_set_new(pt, "satisfaction_pct",
                            pct(json_integer_value(json_object_get(pt, "satisfied")), ans));
    }
    return json_pack("{s:i, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s}, s:o}", "definitions_version",
                     ANALYTICS_DEFINITIONS_VERSION, "granularity", names[q->grain], "from",
                     q->from_text, "to", q->to_text, "filters", "channel", q->channel, "category",
                     q->category, "department", q->department, "agent", q->agent, "points",
                     points);
}

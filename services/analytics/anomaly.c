/* anomaly.c - a slice whose volume or handle time jumps against its own last 24 hours (README "Anomalies"). */
#include "services/analytics/analytics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/kafka.h"
#include "common/log.h"
#include "common/outbox.h"

/* Thresholds (README): volume = tickets classified in the hour, >= 3x the mean of the previous
 * 24 hours, at least 20 of them and a baseline of at least 24 (one an hour); handle time = mean
 * of the hour >= 2x the mean of the previous 24 hours, at least 10 samples on each side. */
#define ANOMALY_VOLUME_MIN     "20"
#define ANOMALY_VOLUME_BASE    "24"
#define ANOMALY_VOLUME_RATIO   "3"
#define ANOMALY_HANDLE_MIN     "10"
#define ANOMALY_HANDLE_RATIO   "2"

/* Evaluated for the hours the batch's classified and resolved events fall in, from the hourly
 * roll-ups only; each (hour, slice, metric) is raised once (UNIQUE), so replays and later
 * batches of the same hour add nothing. */
static const char anomaly_sql[] =
    "WITH hrs AS (SELECT DISTINCT date_trunc('hour', to_timestamp(at / 1000.0) AT TIME ZONE 'UTC')"
    "   AT TIME ZONE 'UTC' AS hr FROM jsonb_to_recordset($1::jsonb) AS r(at bigint, k text)"
    "   WHERE k IN ('classified', 'resolved')),"
    " rows AS (SELECT h.hr, r.bucket, d.dim, d.val, r.metric, r.n, r.sum_ms, r.channel,"
    "   r.category || '/' || r.subtopic AS issue FROM hrs h JOIN analytics_rollup r"
    "   ON r.grain = 'h' AND r.bucket >= h.hr - interval '24 hours' AND r.bucket <= h.hr"
    "   AND r.metric IN ('classified', 'handle_time')"
    "   CROSS JOIN LATERAL (VALUES ('category', r.category || '/' || r.subtopic),"
    "   ('channel', r.channel), ('department', r.department)) AS d(dim, val)"
    "   WHERE d.val NOT IN ('', '/') AND r.category <> ''),"
    " cur AS (SELECT hr, dim, val, metric, sum(n) AS n, sum(sum_ms) AS s FROM rows"
    "   WHERE bucket = hr GROUP BY 1, 2, 3, 4),"
    " base AS (SELECT hr, dim, val, metric, sum(n) AS n, sum(sum_ms) AS s FROM rows"
    "   WHERE bucket < hr GROUP BY 1, 2, 3, 4),"
    " cand AS (SELECT c.hr, c.dim, c.val, c.metric AS src,"
    "   CASE c.metric WHEN 'classified' THEN 'volume' ELSE 'handle_time' END AS metric,"
    "   CASE c.metric WHEN 'classified' THEN c.n::float8 ELSE c.s::float8 / nullif(c.n, 0) END AS cur,"
    "   CASE c.metric WHEN 'classified' THEN coalesce(b.n, 0)::float8 / 24"
    "   ELSE coalesce(b.s::float8 / nullif(b.n, 0), 0) END AS base, c.n AS samples,"
    "   coalesce(b.n, 0) AS base_n FROM cur c LEFT JOIN base b USING (hr, dim, val, metric)),"
    " hit AS (SELECT * FROM cand WHERE (metric = 'volume' AND samples >= " ANOMALY_VOLUME_MIN
    "   AND base_n >= " ANOMALY_VOLUME_BASE " AND cur >= " ANOMALY_VOLUME_RATIO " * base)"
    "   OR (metric = 'handle_time' AND samples >= " ANOMALY_HANDLE_MIN " AND base_n >= "
    ANOMALY_HANDLE_MIN " AND base > 0 AND cur >= " ANOMALY_HANDLE_RATIO " * base)),"
    " top AS (SELECT DISTINCT ON (h.hr, h.dim, h.val, h.metric) h.*, t.tv, t.tn,"
    "   sum(t.tn) OVER (PARTITION BY h.hr, h.dim, h.val, h.metric) AS total"
    "   FROM hit h JOIN LATERAL (SELECT CASE WHEN h.dim = 'channel' THEN x.issue ELSE x.channel END"
    "   AS tv, sum(x.n) AS tn FROM rows x WHERE x.hr = h.hr AND x.bucket = h.hr AND x.dim = h.dim"
    "   AND x.val = h.val AND x.metric = h.src GROUP BY 1) t ON true"
    "   ORDER BY h.hr, h.dim, h.val, h.metric, t.tn DESC, t.tv)"
    " INSERT INTO analytics_anomalies (hour, dimension, value, metric, current, baseline, ratio,"
    "   samples, top_dimension, top_value, top_share, message)"
    " SELECT hr, dim, val, metric, cur, base, cur / greatest(base, 1e-9), samples,"
    "   CASE WHEN dim = 'channel' THEN 'category' ELSE 'channel' END, tv, tn::float8 / total,"
    "   format('%s %s %s %s× baseline, %s %% from %s %s', dim, val,"
    "   CASE metric WHEN 'volume' THEN 'volume' ELSE 'handle time' END,"
    "   to_char(cur / greatest(base, 1e-9), 'FM999990.0'), round(100 * tn::float8 / total),"
    "   CASE WHEN dim = 'channel' THEN 'category' ELSE 'channel' END, tv)"
    " FROM top ORDER BY hr, dim, val, metric"
    " ON CONFLICT (hour, dimension, value, metric) DO NOTHING"
    " RETURNING id, hour, dimension, value, metric, current, baseline, ratio, samples,"
    "   top_dimension, top_value, top_share, message";

/* The notification of one new anomaly row (proto/notifications/anomaly.v1.json). */
static json_t *anomaly_notice(PGresult *res, int r)
{
    char now[40], hour[40];
    int64_t hour_ms;
    sb_clock_format_iso(sb_clock_now_ms(), now, sizeof(now));
    /* PostgreSQL prints "2026-11-23 10:00:00+00": make it RFC 3339. */
    snprintf(hour, sizeof(hour), "%.10sT%.8sZ", PQgetvalue(res, r, 1), PQgetvalue(res, r, 1) + 11);
    if (sb_clock_parse_iso(hour, &hour_ms) == 0)
        sb_clock_format_iso(hour_ms, hour, sizeof(hour));
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:f, s:f, s:I, s:s, s:s,"
                     " s:f, s:s}",
                     "type", "anomaly", "event_id", PQgetvalue(res, r, 0), "occurred_at", now,
                     "recipient", "supervisors", "recipient_kind", "supervisors", "hour", hour,
                     "dimension", PQgetvalue(res, r, 2), "value", PQgetvalue(res, r, 3),
                     "metric", PQgetvalue(res, r, 4), "current", atof(PQgetvalue(res, r, 5)),
                     "baseline", atof(PQgetvalue(res, r, 6)), "ratio", atof(PQgetvalue(res, r, 7)),
                     "samples", (json_int_t)atoll(PQgetvalue(res, r, 8)), "top_dimension",
                     PQgetvalue(res, r, 9), "top_value", PQgetvalue(res, r, 10), "top_share",
                     atof(PQgetvalue(res, r, 11)), "summary", PQgetvalue(res, r, 12));
}

int analytics_anomalies_detect(sb_pg *pg, const char *records_json)
{
    const char *p[] = {records_json};
    PGresult *res = sb_pg_query(pg, anomaly_sql, 1, p);
    if (!res)
        return -1;
    int n = PQntuples(res), rc = n;
    for (int r = 0; r < n && rc >= 0; r++) {
        json_t *ev = anomaly_notice(res, r);
        if (!ev || sb_outbox_add(pg, SB_TOPIC_NOTIFICATIONS, "supervisors", ev) != 0)
            rc = -1;
        else
            sb_info("anomaly", "%s", PQgetvalue(res, r, 12));
        json_decref(ev);
    }
    PQclear(res);
    return rc;
}

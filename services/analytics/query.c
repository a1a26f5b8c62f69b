/* query.c - report parameters and the targets body, parsed from outside input (pure; fuzzed). */
#include "services/analytics/query.h"

#include <sys/queue.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/json.h"

#define DAY_MS  86400000LL
#define HOUR_MS 3600000LL
#define MAX_POINTS 10080   /* a week of minutes */

const char *const analytics_target_kpis[ANALYTICS_NTARGETS] = {
    "satisfaction_pct", "first_response_live_s", "resolution_pct", "repeat_contact_pct",
    "tickets_per_agent_hour"};

void analytics_day_format(int64_t epoch_ms, char out[ANALYTICS_DAY_SIZE])
{
    int ymd = sb_clock_yyyymmdd(epoch_ms);
    snprintf(out, ANALYTICS_DAY_SIZE, "%04d-%02d-%02d", ymd / 10000 % 10000, ymd / 100 % 100,
             ymd % 100);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* 1 when s has exactly the shape (d = digit, anything else literal). */
static int shaped(const char *s, const char *shape)
{
    size_t n = strlen(shape);
    if (strlen(s) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
            return 0;
    return 1;
}

/* A real YYYY-MM-DD date as the ms of its midnight UTC; 0 or -1. */
static int parse_date(const char *s, int64_t *ms)
{
    char iso[40];
    if (!shaped(s, "dddd-dd-dd"))
        return -1;
    snprintf(iso, sizeof(iso), "%sT00:00:00Z", s);
    return sb_clock_parse_iso(iso, ms);   /* rejects 2026-02-30 */
}

/* A date (midnight) or an RFC 3339 timestamp; *is_date says which. 0 or -1. */
static int parse_instant(const char *s, int64_t *ms, int *is_date)
{
    *is_date = shaped(s, "dddd-dd-dd");
    if (*is_date)
        return parse_date(s, ms);
    return strlen(s) >= 20 ? sb_clock_parse_iso(s, ms) : -1;
}

/* ISO week YYYY-Www: [Monday, next Monday). 0 or -1. */
static int parse_week(const char *s, int64_t *from, int64_t *to)
{
    if (!shaped(s, "dddd-Wdd"))
        return -1;
    int y = atoi(s), w = atoi(s + 6);
    if (y < 1970 || w < 1 || w > 53)
        return -1;
    int64_t jan4 = days_from_civil(y, 1, 4);
    int64_t wd = ((jan4 % 7) + 7 + 3) % 7;   /* 1970-01-01 was a Thursday: Monday = 0 */
    int64_t monday = jan4 - wd + (int64_t)(w - 1) * 7;
    int64_t next_jan4 = days_from_civil(y + 1, 1, 4);
    int64_t next_week1 = next_jan4 - ((next_jan4 % 7) + 7 + 3) % 7;
    if (monday >= next_week1)   /* week 53 of a year that has 52 */
        return -1;
    *from = monday * DAY_MS;
    *to = *from + 7 * DAY_MS;
    return 0;
}

/* Month YYYY-MM: [first day, first day of the next month). 0 or -1. */
static int parse_month(const char *s, int64_t *from, int64_t *to)
{
    if (!shaped(s, "dddd-dd"))
        return -1;
    int y = atoi(s), m = atoi(s + 5);
    if (y < 1970 || m < 1 || m > 12)
        return -1;
    *from = days_from_civil(y, m, 1) * DAY_MS;
    *to = days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) * DAY_MS;
    return 0;
}

/* A filter value: 1..64 printable bytes (no control characters). 0 or -1. */
static int copy_filter(char *dst, const char *v)
{
    size_t n = strlen(v);
    if (n > ANALYTICS_DIM_MAX)
        return -1;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
            return -1;
    memcpy(dst, v, n + 1);
    return 0;
}

/* from/to of an overview (dates, both inclusive) or a time series (dates or timestamps). */
static int parse_range(const struct evkeyvalq *kv, int dates_only, int64_t now_ms,
                       analytics_query *q, sb_error *err)
{
    const char *from = evhttp_find_header(kv, "from"), *to = evhttp_find_header(kv, "to");
    int from_date = 1, to_date = 1;
    int64_t today = now_ms - ((now_ms % DAY_MS) + DAY_MS) % DAY_MS;
    if (to && to[0]) {
        if ((dates_only ? parse_date(to, &q->to_ms) : parse_instant(to, &q->to_ms, &to_date)) != 0)
            return sb_error_set(err, 400, "invalid_field", "to", dates_only
                                ? "to must be a date YYYY-MM-DD"
                                : "to must be a date YYYY-MM-DD or a timestamp like 2026-11-22T10:00:00Z");
        if (to_date)
            q->to_ms += DAY_MS;   /* a date includes its whole day */
    } else {
        q->to_ms = dates_only ? today + DAY_MS : now_ms;
    }
    if (from && from[0]) {
        if ((dates_only ? parse_date(from, &q->from_ms) : parse_instant(from, &q->from_ms, &from_date)) != 0)
            return sb_error_set(err, 400, "invalid_field", "from", dates_only
                                ? "from must be a date YYYY-MM-DD"
                                : "from must be a date YYYY-MM-DD or a timestamp like 2026-11-22T10:00:00Z");
    } else {
        q->from_ms = dates_only ? q->to_ms - DAY_MS : q->to_ms - 24 * HOUR_MS;
    }
    if (q->from_ms >= q->to_ms)
        return sb_error_set(err, 400, "invalid_field", "from", "from is after to");
    return 0;
}

/* granularity=minute|hour|day and the number of points it makes. */
static int parse_grain(const struct evkeyvalq *kv, analytics_query *q, sb_error *err)
{
    static const char *const names[] = {"minute", "hour", "day"};
    static const int64_t step[] = {60000, HOUR_MS, DAY_MS};
    const char *g = evhttp_find_header(kv, "granularity");
    q->grain = ANALYTICS_HOUR;
    if (g && g[0]) {
        int found = 0;
        for (int i = 0; i < 3; i++)
            if (strcmp(g, names[i]) == 0) {
                q->grain = (analytics_grain)i;
                found = 1;
            }
        if (!found)
            return sb_error_set(err, 400, "invalid_field", "granularity",
                                "granularity must be minute, hour or day");
    }
    if ((q->to_ms - q->from_ms) / step[q->grain] > MAX_POINTS)
        return sb_error_set(err, 400, "invalid_field", "granularity",
                            "more than %d points: use a coarser granularity or a shorter range",
                            MAX_POINTS);
    return 0;
}

/* The period of a weekly or monthly report (default: the current one). */
static int parse_period(const struct evkeyvalq *kv, const char *what, int64_t now_ms,
                        analytics_query *q, sb_error *err)
{
    int weekly = strcmp(what, "weekly") == 0;
    const char *field = weekly ? "week" : "month";
    const char *v = evhttp_find_header(kv, field);
    char def[16];
    if (!v || !v[0]) {
        int ymd = sb_clock_yyyymmdd(now_ms);
        if (weekly) {   /* the ISO week of today: the Thursday of this week decides the year */
            int64_t days = now_ms / DAY_MS - (now_ms % DAY_MS < 0);
            int64_t thursday = days - ((days % 7) + 7 + 3) % 7 + 3;
            int ty = sb_clock_yyyymmdd(thursday * DAY_MS) / 10000;
            int64_t w = (thursday - days_from_civil(ty, 1, 1)) / 7 + 1;
            snprintf(def, sizeof(def), "%04d-W%02d", ty % 10000, (int)(w % 100));
        } else {
            snprintf(def, sizeof(def), "%04d-%02d", ymd / 10000 % 10000, ymd / 100 % 100);
        }
        v = def;
    }
    if ((weekly ? parse_week(v, &q->from_ms, &q->to_ms) : parse_month(v, &q->from_ms, &q->to_ms)) != 0)
        return sb_error_set(err, 400, "invalid_field", field,
                            weekly ? "week must be an ISO week like 2026-W47"
                                   : "month must be like 2026-11");
    q->grain = ANALYTICS_DAY;
    return 0;
}

/* The four optional filters. */
static int parse_filters(const struct evkeyvalq *kv, analytics_query *q, sb_error *err)
{
    static const char *const names[] = {"channel", "category", "department", "agent"};
    char *dst[] = {q->channel, q->category, q->department, q->agent};
    for (int i = 0; i < 4; i++) {
        const char *v = evhttp_find_header(kv, names[i]);
        if (v && copy_filter(dst[i], v) != 0)
            return sb_error_set(err, 400, "invalid_field", names[i],
                                "%s must be at most 64 printable bytes", names[i]);
    }
    return 0;
}

int analytics_query_parse(const char *query, const char *what, int64_t now_ms,
                          analytics_query *q, sb_error *err)
{
    memset(q, 0, sizeof(*q));
    struct evkeyvalq kv;
    TAILQ_INIT(&kv);
    if (query && evhttp_parse_query_str(query, &kv) != 0) {
        evhttp_clear_headers(&kv);
        return sb_error_set(err, 400, "invalid_query", "", "the query string is malformed");
    }
    int rc;
    if (strcmp(what, "weekly") == 0 || strcmp(what, "monthly") == 0)
        rc = parse_period(&kv, what, now_ms, q, err);
    else if (strcmp(what, "timeseries") == 0)
        rc = parse_range(&kv, 0, now_ms, q, err) != 0 || parse_grain(&kv, q, err) != 0 ? -1 : 0;
    else if (strcmp(what, "anomalies") == 0)
        rc = parse_range(&kv, 0, now_ms, q, err);
    else
        rc = parse_range(&kv, 1, now_ms, q, err);
    if (strcmp(what, "overview") == 0)
        q->grain = ANALYTICS_DAY;
    if (rc == 0)
        rc = parse_filters(&kv, q, err);
    evhttp_clear_headers(&kv);
    if (rc != 0)
        return -1;
    if (q->grain == ANALYTICS_DAY && strcmp(what, "timeseries") != 0) {
        analytics_day_format(q->from_ms, q->from_text);
        analytics_day_format(q->to_ms - DAY_MS, q->to_text);   /* inclusive last day */
    } else {
        sb_clock_format_iso(q->from_ms, q->from_text, sizeof(q->from_text));
        sb_clock_format_iso(q->to_ms, q->to_text, sizeof(q->to_text));
    }
    return 0;
}

/* The range a KPI's target may take. */
static int target_in_range(int i, double v)
{
    if (i == 1)
        return v > 0 && v <= 86400;   /* seconds */
    if (i == 4)
        return v > 0 && v <= 10000;   /* tickets per agent-hour */
    return v >= 0 && v <= 100;        /* percentages */
}

int analytics_targets_parse(const char *body, size_t len, double values[ANALYTICS_NTARGETS],
                            unsigned *set_mask, sb_error *err)
{
    static const char *const names[] = {"satisfaction_pct", "first_response_live_s",
                                        "resolution_pct", "repeat_contact_pct",
                                        "tickets_per_agent_hour", NULL};
    *set_mask = 0;
    json_t *o = sb_json_parse_object(body, len, err);
    if (!o)
        return -1;
    int rc = sb_json_only_keys(o, names, "", err);
    for (int i = 0; rc == 0 && i < ANALYTICS_NTARGETS; i++) {
        json_t *v = json_object_get(o, names[i]);
        if (!v)
            continue;
        double d = json_number_value(v);
        if (!json_is_number(v) || !isfinite(d) || !target_in_range(i, d))
            rc = sb_error_set(err, 400, "invalid_field", names[i],
                              "%s must be a number in its range (percentages 0..100, seconds"
                              " 0..86400, tickets 0..10000)", names[i]);
        values[i] = d;
        *set_mask |= 1u << i;
    }
    if (rc == 0 && *set_mask == 0)
        rc = sb_error_set(err, 400, "missing_field", "satisfaction_pct",
                          "give at least one target (satisfaction_pct, first_response_live_s,"
                          " resolution_pct, repeat_contact_pct, tickets_per_agent_hour)");
    json_decref(o);
    return rc;
}

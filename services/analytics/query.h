/* query.h - report parameters and the targets body, parsed from outside input (pure; fuzzed). */
#ifndef ANALYTICS_QUERY_H
#define ANALYTICS_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define ANALYTICS_DAY_SIZE 16   /* YYYY-MM-DD + NUL, with room the compiler can prove */
#define ANALYTICS_DIM_MAX 64    /* longest channel/category/subtopic/department/agent */

/* The UTC day of epoch_ms as YYYY-MM-DD: the roll-ups count UTC days. */
void analytics_day_format(int64_t epoch_ms, char out[ANALYTICS_DAY_SIZE]);

typedef enum { ANALYTICS_MINUTE = 0, ANALYTICS_HOUR, ANALYTICS_DAY } analytics_grain;

typedef struct analytics_query {
    int64_t         from_ms, to_ms;          /* [from, to) */
    char            from_text[32], to_text[32];
    analytics_grain grain;
    char            channel[ANALYTICS_DIM_MAX + 1], category[ANALYTICS_DIM_MAX + 1];
    char            department[ANALYTICS_DIM_MAX + 1], agent[ANALYTICS_DIM_MAX + 1];
} analytics_query;

/* Parse a query string (without '?') for a report at now_ms. what: "overview" (dates, day
 * grain), "timeseries" (dates or timestamps, granularity), "weekly" (week=YYYY-Www) or
 * "monthly" (month=YYYY-MM), "anomalies" (like timeseries, without granularity). 0, or -1
 * with a 400 err naming the field. */
int analytics_query_parse(const char *query, const char *what, int64_t now_ms,
                          analytics_query *q, sb_error *err);

#define ANALYTICS_NTARGETS 5
extern const char *const analytics_target_kpis[ANALYTICS_NTARGETS];
/* Parse a PUT /v1/targets body: an object of kpi -> number (a subset of the KPIs). values[i]
 * is set and set_mask bit i raised for each given. 0, or -1 with a 400 err naming the field. */
int analytics_targets_parse(const char *body, size_t len, double values[ANALYTICS_NTARGETS],
                            unsigned *set_mask, sb_error *err);

#endif

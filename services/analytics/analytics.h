/* analytics.h - analytics' parts: ticket facts, the roll-up consumer, reports, the dashboard. */
#ifndef ANALYTICS_H
#define ANALYTICS_H

#include <jansson.h>
#include <stdint.h>

#include "common/error.h"
#include "common/event_consumer.h"
#include "common/metrics.h"
#include "common/outbox.h"
#include "common/service.h"
#include "services/analytics/query.h"

#define ANALYTICS_DEFINITIONS_VERSION 3   /* README.md "Definitions"; bump on any change */
#define ANALYTICS_BUCKETS 13              /* fixed duration buckets h0..h12 */
#define ANALYTICS_KEY_MAX 128             /* longest customer key */

/* ---- facts.c: one ticket's state and what each event adds to the roll-ups (pure) ---- */

/* Upper bound (ms) of duration bucket i; the last bucket is unbounded (INT64_MAX). */
int64_t analytics_bucket_upper_ms(int i);
/* The bucket a duration falls in. */
int     analytics_bucket_of(int64_t ms);

/* sums.c: one batch's roll-up rows, summed per key (grain, bucket and the dimensions metric,
 * channel, category, subtopic, department, agent, packed as NUL-terminated strings in a row). */
#define ANALYTICS_SUM_DIMS 6
typedef struct analytics_sum {
    char     grain;
    int64_t  bucket_ms;
    char    *dims;                    /* owned: the packed dimensions */
    size_t   dims_len;
    uint64_t hash;
    int64_t  n, sum_ms, h[ANALYTICS_BUCKETS];
} analytics_sum;

typedef struct analytics_sums {
    analytics_sum *rows;
    size_t         n, cap;
    uint32_t      *slots;             /* open addressing: row index + 1, 0 = empty */
    size_t         nslots;
} analytics_sums;

/* Packs the dimensions into out; the packed length, or 0 when they do not fit in cap. */
size_t   analytics_sums_pack(char *out, size_t cap, const char *const dims[ANALYTICS_SUM_DIMS]);
/* The hash of packed dimensions, given to every add of them. */
uint64_t analytics_sums_hash(const char *dims, size_t len);
/* Adds n samples (and dur_ms with its bucket, when >= 0) to the row of the key. 0 or -1. */
int      analytics_sums_add(analytics_sums *s, char grain, int64_t bucket_ms, const char *dims,
                            size_t len, uint64_t dims_hash, int64_t n, int64_t dur_ms);
/* The rows as the roll-up upsert's JSON array; NULL when out of memory. */
json_t  *analytics_sums_json(const analytics_sums *s);
void     analytics_sums_free(analytics_sums *s);

/* What analytics keeps per ticket (table analytics_tickets); 0 = "not yet" for times. */
typedef struct analytics_fact {
    char    ticket_id[40];
    char    channel[ANALYTICS_DIM_MAX + 1], customer[ANALYTICS_KEY_MAX + 1];
    char    category[ANALYTICS_DIM_MAX + 1], subtopic[ANALYTICS_DIM_MAX + 1];
    char    department[ANALYTICS_DIM_MAX + 1], agent[ANALYTICS_DIM_MAX + 1];
    /* What an SLA policy is chosen by besides the above: a met clock is credited to its policy. */
    char    priority[8], urgency[16], tier[16];
    int64_t received_at, opened_at, classified_at, assigned_at, acknowledged_at;
    int64_t first_response_at, resolved_at, reopened_at, answered_at, paused_since, paused_ms;
    int     contacts, sla_breached, sla_met;
    int     first_classified;   /* classified for the first time in this batch: repeat check */
} analytics_fact;

/* Receives one roll-up increment: metric at at_ms in the ticket's dimensions (f), n samples
 * (negative to take back), a duration when dur_ms >= 0. agent_hour: the event is work of
 * f->agent in that hour. */
typedef void (*analytics_emit_fn)(void *ctx, const analytics_fact *f, int64_t at_ms,
                                  const char *metric, int n, int64_t dur_ms);

/* Apply one event record (see analytics_record in rollup.c) to its ticket's fact, emitting
 * the increments it implies. f may be NULL for events without a ticket (inbound_message). */
void analytics_fact_apply(analytics_fact *f, const json_t *rec, analytics_emit_fn emit,
                          void *ctx);
/* 1 when the record is work of the ticket's agent (counts an agent-hour). */
int  analytics_fact_is_work(const json_t *rec);

/* ---- rollup.c: the consumer ---- */

typedef struct analytics_rollup {
    sb_counter *c_counted, *c_anomalies;
    long        pending;      /* events counted by the open transaction */
    long        pending_anomalies;
    sb_outbox_relay *relay;     /* kicked when an anomaly was queued (may be NULL) */
} analytics_rollup;

void analytics_rollup_init(analytics_rollup *r, sb_metrics *m);
/* Plug into sb_event_consumer_new with an analytics_rollup as ctx. */
extern const sb_event_consumer_ops analytics_rollup_ops;

/* ---- report.c, export.c, anomaly.c, dashboard.c ---- */

/* The overview JSON of q (reads roll-ups only); NULL with err. */
json_t *analytics_overview_build(sb_pg *pg, const analytics_query *q, sb_error *err);
/* The time series of q, one zero-filled point per bucket; NULL with err. */
json_t *analytics_timeseries_build(sb_pg *pg, const analytics_query *q, sb_error *err);
/* GET /v1/reports/{overview,timeseries,weekly,monthly,anomalies}, GET/PUT /v1/targets. */
int analytics_report_routes(sb_service *s);
/* Render an overview as printable HTML or CSV (caller frees). */
char *analytics_export_html(const json_t *overview, const char *title);
char *analytics_export_csv(const json_t *overview);
/* Inside the batch's transaction: detect anomalies in the hours the records touch and queue a
 * notification for each new one. How many were new, or -1. */
int analytics_anomalies_detect(sb_pg *pg, const char *records_json);
/* GET /dashboard. 0 or -1. */
int analytics_dashboard_routes(sb_service *s);

#endif

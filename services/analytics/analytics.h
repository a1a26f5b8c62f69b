/* analytics.h - analytics' parts: the roll-up consumer, the overview report, the dashboard. */
#ifndef ANALYTICS_H
#define ANALYTICS_H

#include "common/event_consumer.h"
#include "common/metrics.h"
#include "common/service.h"

#define ANALYTICS_DAY_SIZE 16   /* YYYY-MM-DD + NUL, with room the compiler can prove */

/* The UTC day of epoch_ms as YYYY-MM-DD: the roll-ups count UTC days. */
void analytics_day_format(int64_t epoch_ms, char out[ANALYTICS_DAY_SIZE]);

typedef struct analytics_rollup {
    sb_counter *c_counted;
    long        pending;      /* events counted by the open transaction */
} analytics_rollup;

void analytics_rollup_init(analytics_rollup *r, sb_metrics *m);
/* Plug into sb_event_consumer_new with an analytics_rollup as ctx. */
extern const sb_event_consumer_ops analytics_rollup_ops;

/* GET /v1/reports/overview. 0 or -1. */
int analytics_report_routes(sb_service *s);
/* GET /dashboard. 0 or -1. */
int analytics_dashboard_routes(sb_service *s);

#endif

/* at_risk.h - sla's breach-risk scan: every so often, each waiting ticket's first response is
 * estimated from the queue ahead of it and its department's recent handling rate; a ticket
 * whose estimate passes its deadline gets sla_at_risk (and a notice to the supervisor) once. */
#ifndef SLA_AT_RISK_H
#define SLA_AT_RISK_H

#include <event2/event.h>

#include "common/metrics.h"
#include "common/outbox.h"
#include "common/pg.h"
#include "services/sla/watch.h"

typedef struct sla_at_risk sla_at_risk;

/* Scans every every_ms; the handling rate counts first responses over the last window_ms.
 * Only tickets of the partitions the watch owns are announced. NULL when out of memory. */
sla_at_risk *sla_at_risk_new(struct event_base *base, sb_pg *pg, sb_outbox_relay *relay,
                             sla_watch *watch, sb_metrics *metrics, int64_t every_ms,
                             int64_t window_ms);
void         sla_at_risk_free(sla_at_risk *r);

#endif

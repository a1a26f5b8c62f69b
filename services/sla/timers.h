/* timers.h - sla's consumer: ticket events in, sla_timers armed, met or cancelled, and the
 * in-memory watch told once each batch has committed. */
#ifndef SLA_TIMERS_H
#define SLA_TIMERS_H

#include <libpq-fe.h>

#include "common/event_consumer.h"
#include "common/metrics.h"
#include "services/sla/policies.h"
#include "services/sla/watch.h"

typedef struct sla_timers {
    sla_watch  *watch;
    sb_counter *c_armed, *c_met;
    sla_policies config;                /* reloaded in each batch's transaction */
    PGresult   *pending_armed;          /* clocks changed by the open transaction */
} sla_timers;

void sla_timers_init(sla_timers *t, sb_metrics *m, sla_watch *watch);
void sla_timers_close(sla_timers *t);

/* Plug into sb_event_consumer_new with a sla_timers as ctx. */
extern const sb_event_consumer_ops sla_timers_ops;

#endif

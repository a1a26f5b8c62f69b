/* timers.h - sla's consumer: ticket events in, sla_timers armed and met. */
#ifndef SLA_TIMERS_H
#define SLA_TIMERS_H

#include "common/event_consumer.h"
#include "common/metrics.h"

typedef struct sla_timers {
    sb_counter *c_armed, *c_met;
    long        pending_armed, pending_met;   /* rows changed by the open transaction */
} sla_timers;

void sla_timers_init(sla_timers *t, sb_metrics *m);

/* Plug into sb_event_consumer_new with a sla_timers as ctx. */
extern const sb_event_consumer_ops sla_timers_ops;

#endif

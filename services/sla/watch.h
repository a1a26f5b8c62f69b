/* watch.h - sla's watch over its deadlines: the in-memory heap of armed timers, one libevent
 * timer set to the earliest, and the exactly-once firing (escalations) in PostgreSQL. */
#ifndef SLA_WATCH_H
#define SLA_WATCH_H

#include <event2/event.h>
#include <libpq-fe.h>

#include "common/metrics.h"
#include "common/outbox.h"
#include "common/pg.h"
#include "services/sla/timer_heap.h"

typedef struct sla_watch sla_watch;

/* Urge reminders after a breach, and how often the watch looks at the clock at least. */
typedef struct sla_watch_cfg {
    int64_t urge_every_ms;   /* SB_SLA_URGE_EVERY_MS, default 1 h */
    int     urge_max;        /* SB_SLA_URGE_MAX, default 3 (0: none) */
    int64_t tick_ms;         /* SB_SLA_TICK_MS, default 60 s: a driven clock's jump shows by then */
    int64_t at_risk_every_ms;   /* SB_SLA_AT_RISK_EVERY_MS, default 60 s (at_risk.c) */
    int64_t rate_window_ms;     /* SB_SLA_RATE_WINDOW_MS, default 1 h: the handling rate's window */
} sla_watch_cfg;

/* pg is shared with the consumer (each of them finishes its transaction within one callback);
 * relay publishes what firing queues in the outbox. NULL when out of memory. */
sla_watch *sla_watch_new(struct event_base *base, sb_pg *pg, sb_outbox_relay *relay,
                         sb_metrics *metrics, const sla_watch_cfg *cfg);
void       sla_watch_free(sla_watch *w);
/* Every clock with something due (next_at) of a watched kind from sla_timers (at start: nothing armed is lost to a
 * crash or restart), then the periodic sweep starts. 0 or -1. */
int        sla_watch_load(sla_watch *w);
/* After a committed change: (re)arm or forget one timer. Call sla_watch_reschedule once the
 * batch's changes are in. */
void       sla_watch_arm(sla_watch *w, const sla_timer *t);
void       sla_watch_forget(sla_watch *w, const sb_uuid *ticket, uint8_t kind);
void       sla_watch_reschedule(sla_watch *w);

/* Partition ownership (several replicas split the clocks by sb.tickets.v1 partition): a
 * replica fires only the clocks of tickets whose partition it holds. npartitions = the topic's
 * partition count (-1: unknown, then this replica fires everything, as one replica must). On an
 * assignment the armed clocks are reloaded (those of the new partitions among them). */
void       sla_watch_partitions(sla_watch *w, int assigned, const int32_t *parts, int n,
                                int32_t npartitions);
/* Whether this replica acts for ticket (its partition is held; nothing before the first
 * assignment). */
int        sla_watch_owns(const sla_watch *w, const sb_uuid *ticket);

/* Row `row` of res, columns col..col+3 = ticket_id, kind, due epoch ms, source event id, into
 * *out: 0, or -1 when the kind is not watched (or a value does not parse). */
int        sla_timer_from_row(const PGresult *res, int row, int col, sla_timer *out);
/* The SQL expression sla_timer_from_row expects for these columns of sla_timers (alias s). */
#define SLA_TIMER_COLUMNS                                                                      \
    "s.ticket_id, s.kind, floor(extract(epoch FROM s.next_at) * 1000)::bigint,"                \
    " COALESCE(s.source_event_id, s.ticket_id)"

#endif

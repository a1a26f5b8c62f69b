/* clocks.h - the life of one ticket's SLA clocks in memory: what each ticket event arms,
 * settles, pauses or resumes, with deadlines from the chosen policy and the department's
 * business hours. Pure (no I/O): timers.c loads the rows, applies the events, writes them back. */
#ifndef SLA_CLOCKS_H
#define SLA_CLOCKS_H

#include <stdint.h>

#include "services/sla/policies.h"
#include "services/sla/timer_heap.h"

/* One row of sla_timers. Instants are Unix epoch ms, -1 = NULL. */
typedef struct sla_clock {
    int     present, dirty;
    char    state[12];          /* armed, paused, met, breached, cancelled */
    int64_t due, warn, warned, next, started, armed, paused, settled;
    int64_t remaining, warn_remaining;   /* business (or wall) ms left when paused */
    double  warn_share;
    int     business_hours, reminders;
    char    source[37], agent[65], policy[65], calendar[65];
} sla_clock;

/* A ticket's attributes (what policies are chosen by) and its clocks by sla_kind. */
typedef struct sla_ticket_clocks {
    char      id[37];
    char      priority[4], urgency[8], category[65], channel[33], tier[12], calendar[65];
    int64_t   created;
    sla_clock c[SLA_KIND_COUNT];
} sla_ticket_clocks;

/* One ticket event as sla needs it. */
typedef struct sla_event {
    const char *type;       /* assigned, acknowledged, replied, ... */
    const char *source;     /* its event id */
    int64_t     at;         /* occurred_at */
    const char *agent;      /* assigned: data.agent_id */
    int64_t     ack_due;    /* assigned: data.ack_due_at, -1 when absent */
    const char *from, *to;  /* status_changed */
} sla_event;

/* Without a policy for the acknowledgement and without data.ack_due_at: 1 h (DESIGN). */
#define SLA_ACK_DEFAULT_MS (60 * 60 * 1000LL)

/* Apply ev to t's clocks (changed ones get dirty = 1). Events of other types do nothing. */
void sla_clocks_apply(sla_ticket_clocks *t, const sla_policies *p, const sla_event *ev);
/* A clock that still owes something: armed, paused, or breached and not yet settled. */
int  sla_clock_owed(const sla_clock *c);

#endif

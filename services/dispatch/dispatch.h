/* dispatch.h - what dispatch's modules share: the roster of agents and a ticket to place. */
#ifndef SB_DISPATCH_H
#define SB_DISPATCH_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "common/ids.h"
#include "common/kafka.h"
#include "common/metrics.h"
#include "common/pg.h"

typedef struct dispatch_agent {
    char     id[64];
    char     department[32];
    int      max_open;
    int      open;          /* open tickets now: rebuilt from PostgreSQL at start */
    uint64_t last_pick;     /* round robin among equally loaded agents */
} dispatch_agent;

typedef struct dispatch_roster {
    dispatch_agent *agents;
    size_t          n;
    uint64_t        picks;
} dispatch_roster;

/* A classified ticket on its way to an agent. */
typedef struct dispatch_item {
    json_t     *ev;                   /* the classified event (owned) */
    const char *event_id, *ticket_id, *number, *department, *priority, *urgency, *channel,
               *category, *subtopic;
    int         is_new;
    dispatch_agent *agent;            /* chosen agent, NULL when nobody can take it */
    char        assigned_id[SB_UUID_STRLEN];
    char        reason[160];
} dispatch_item;

typedef struct dispatch_ctx {
    sb_pg          *pg;
    sb_producer    *producer;
    sb_consumer    *consumer;
    dispatch_roster roster;
    sb_counter     *c_assigned, *c_unassigned, *c_replays, *c_deadletters;
} dispatch_ctx;

/* routing.c */
int  routing_roster_load(sb_pg *pg, dispatch_roster *r);
void routing_roster_free(dispatch_roster *r);
/* The on-duty agent of department with the least open tickets and free capacity; when all are
 * full, the least loaded one with *over_capacity set; NULL when the department has nobody. */
dispatch_agent *routing_pick(dispatch_roster *r, const char *department, int *over_capacity);

/* assign.c: claim, choose, store, in one transaction; out gets the assigned events to publish
 * (new ones and the stored ones a replay implies). */
int  assign_apply(dispatch_ctx *cx, dispatch_item *items, size_t n, json_t *out);
/* The agent's task notice implied by an assigned event (same id on every replay). */
json_t *assign_notice(const json_t *assigned);

#endif

/* dispatch.h - what dispatch's modules share: the roster, the departments this replica owns with
 * their waiting queues, the commands between its two stages, and the decisions a batch makes. */
#ifndef SB_DISPATCH_H
#define SB_DISPATCH_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "common/ids.h"
#include "common/kafka.h"
#include "common/metrics.h"
#include "common/outbox.h"
#include "common/pg.h"

#define DISPATCH_ID_MAX     64
#define DISPATCH_SKILLS_MAX 8
#define DISPATCH_CO_MAX     4

enum { DISPATCH_LANG_ZH = 1, DISPATCH_LANG_EN = 2 };

/* One agent of the roster. Attributes come from PostgreSQL (refreshed); open is counted here. */
typedef struct dispatch_agent {
    char     id[DISPATCH_ID_MAX];
    char     name[128];
    char     department[DISPATCH_ID_MAX];   /* home department: where their capacity is owned */
    char     supervisor[DISPATCH_ID_MAX];   /* their team's supervisor, "" when none */
    char     skills[DISPATCH_SKILLS_MAX][32];
    int      nskills;
    unsigned languages;                     /* DISPATCH_LANG_* bits */
    int      max_open;
    int      on_duty;
    int      contact_read;                  /* may see raw customer contact */
    int      open;       /* open tickets; true only while their department is owned and loaded */
    char   (*tickets)[SB_UUID_STRLEN];      /* the `open` tickets' ids (malloc'd): a release of a
                                             * ticket not counted here (counted when the
                                             * department was loaded after it) frees nothing */
    int      tickets_cap;
    uint64_t last_pick;  /* round robin among equally loaded agents */
} dispatch_agent;

/* A category's co-operating departments; a sub-topic's required skill. */
typedef struct dispatch_route {
    char category[32];
    char co[DISPATCH_CO_MAX][DISPATCH_ID_MAX];
    int  nco;
} dispatch_route;

typedef struct dispatch_skill_rule {
    char category[32], subtopic[48], skill[32];
} dispatch_skill_rule;

/* Everything read from the organisation tables; agents sorted by id. */
typedef struct dispatch_roster {
    dispatch_agent      *agents;
    size_t               n;
    dispatch_route      *routes;
    size_t               nroutes;
    dispatch_skill_rule *skills;
    size_t               nskills;
    int                  ack_seconds[3];   /* P1, P2, P3 */
    uint64_t             picks;
} dispatch_roster;

/* A ticket as dispatch routes it: waiting in a queue, or being offered. */
typedef struct dispatch_ticket {
    char    id[SB_UUID_STRLEN];
    char    number[40];
    char    department[DISPATCH_ID_MAX];
    char    channel[16], category[32], subtopic[48], urgency[8], language[4];
    char    skill[32];                       /* required skill, "" when any agent will do */
    char    exclude[DISPATCH_ID_MAX];        /* an agent who let the offer time out */
    int     priority;                        /* 0 = P1 .. 2 = P3 */
    int64_t created_ms;                      /* age: the older waits less */
} dispatch_ticket;

/* One priority's waiting tickets, oldest first. */
typedef struct dispatch_fifo {
    dispatch_ticket *items;
    size_t           head, len, cap;         /* live entries are items[head .. head+len) */
} dispatch_fifo;

/* Which tickets a queue holds, by a 64-bit hash of the id (open addressing, counted): a
 * ticket that is not queued, the common case for every new one, is known so without a scan of
 * a queue that a peak grows to tens of thousands. */
typedef struct dispatch_queue_index {
    uint64_t *keys;                          /* 0 empty, 1 deleted, else a hash */
    uint32_t *counts;
    size_t    cap, used, live;               /* used counts deleted slots too */
    int       broken;                        /* an allocation failed: proves nothing until rebuilt */
} dispatch_queue_index;

/* A department this replica owns: its queue, by priority then age. */
typedef struct dispatch_dept {
    char          id[DISPATCH_ID_MAX];
    int32_t       partition;                 /* of sb.dispatch.v1 its commands come from */
    dispatch_fifo fifo[3];
    dispatch_queue_index index;
} dispatch_dept;

/* Partitions of sb.dispatch.v1 this replica was assigned, each with its fencing epoch. */
typedef struct dispatch_owned {
    int32_t partition;
    int64_t epoch;                           /* 0: not fenced yet (take it before applying) */
} dispatch_owned;

/* What a command asks stage two to do. */
typedef enum {
    DISPATCH_OFFER,     /* place a ticket (classified, requeued, moved by reclassification) */
    DISPATCH_REOFFER,   /* the assignee let the acknowledgement time pass: offer it to another */
    DISPATCH_RELEASE,   /* an agent's ticket ended or moved: free capacity, hand off waiting work */
    DISPATCH_TAKE       /* a person assigned an agent: count it */
} dispatch_role;

typedef struct dispatch_cmd {
    dispatch_role   role;
    char            claim_id[SB_UUID_STRLEN];  /* derived from the event and role: idempotence */
    char            event_id[SB_UUID_STRLEN];  /* the ticket event behind it */
    char            agent[DISPATCH_ID_MAX];    /* release/take/reoffer: the agent concerned */
    int32_t         partition;
    int             needs_lookup;              /* the ticket's attributes come from PostgreSQL */
    int             handoff;                   /* release: the freed agent takes waiting work */
    int             is_new;
    dispatch_ticket t;
} dispatch_cmd;

/* A decision of this batch: a ticket given to an agent, or queued. */
typedef struct dispatch_decision {
    int             queued;
    dispatch_ticket t;
    dispatch_agent *agent;                     /* NULL when queued */
    char            released[DISPATCH_ID_MAX]; /* whose capacity this frees, "" when nobody */
    int             reoffer;                   /* the ticket was assigned to `released` */
    int             handoff;                   /* a freed agent took it from the queue */
    char            event_id[SB_UUID_STRLEN];
    char            cause_id[SB_UUID_STRLEN];  /* the event that caused it */
    char            reason[512];
    int             failed;                    /* PostgreSQL found the ticket already moved on */
} dispatch_decision;

typedef struct dispatch_ctx {
    sb_pg           *pg;
    sb_producer     *producer;
    sb_consumer     *intake;          /* stage one: sb.tickets.v1 -> sb.dispatch.v1 */
    sb_consumer     *placer;          /* stage two: sb.dispatch.v1 -> decisions */
    sb_outbox_relay *relay;           /* announces decisions not caused by a consumed event */
    dispatch_roster  roster;
    dispatch_dept   *depts;
    size_t           ndepts;
    dispatch_owned  *owned;
    size_t           nowned;
    char             owner_name[128];
    int64_t          max_lag;         /* intake waits while the placer is this far behind */
    struct event    *intake_wait;     /* hands the held intake batch over again */
    sb_batch        *intake_held;     /* the batch intake holds back, or NULL */
    sb_counter      *c_assigned, *c_queued, *c_handoffs, *c_reoffers, *c_replays,
                    *c_deadletters, *c_commands, *c_stale, *c_held;
    sb_gauge        *g_waiting;
} dispatch_ctx;

/* roster.c */
int             roster_load(sb_pg *pg, dispatch_roster *r);
/* Reload attributes, keeping the counted loads; 0 or -1 (r unchanged). */
int             roster_refresh(sb_pg *pg, dispatch_roster *r);
void            roster_free(dispatch_roster *r);
dispatch_agent *roster_agent(dispatch_roster *r, const char *id);
const char     *roster_skill_for(const dispatch_roster *r, const char *category,
                                 const char *subtopic);
const dispatch_route *roster_route(const dispatch_roster *r, const char *category);
int             roster_priority_index(const char *priority);   /* P1 -> 0; -1 when unknown */

/* capacity.c */
/* Agent a may take ticket t: on duty, free capacity, home department, skill, language. */
int             capacity_fits(const dispatch_agent *a, const dispatch_ticket *t);
/* The best agent for t (least open, then picked longest ago), or NULL. */
dispatch_agent *capacity_pick(dispatch_roster *r, const dispatch_ticket *t);
/* Count ticket_id as one of a's open tickets (once: counting it again changes nothing). */
void            capacity_take(dispatch_roster *r, dispatch_agent *a, const char *ticket_id);
/* a no longer works on ticket_id; nothing when it was not counted. */
void            capacity_release(dispatch_agent *a, const char *ticket_id);
/* Count open tickets of department's agents from PostgreSQL. 0 or -1. */
int             capacity_load(sb_pg *pg, dispatch_roster *r, const char *department);

/* queue.c */
void             queue_push(dispatch_dept *d, const dispatch_ticket *t);
/* The first waiting ticket (priority, then age) agent a may take; removed into out. 1 or 0. */
int              queue_take_for(dispatch_dept *d, const dispatch_agent *a, dispatch_ticket *out);
/* The first waiting ticket (priority, then age) some agent may take, removed into out, with
 * the best agent for it (not yet counted). 1 or 0. */
int              queue_take_placeable(dispatch_dept *d, dispatch_roster *r, dispatch_ticket *out,
                                      dispatch_agent **agent);
/* Remove ticket id if it waits here. */
void             queue_remove(dispatch_dept *d, const char *ticket_id);
/* 0 when ticket_id is surely not queued in d; 1 when it may be (then queue_remove scans). */
int              queue_may_hold(const dispatch_dept *d, const char *ticket_id);
size_t           queue_length(const dispatch_dept *d);
void             queue_free(dispatch_dept *d);
/* Rebuild the department's queue from PostgreSQL: its unassigned classified tickets. 0 or -1. */
int              queue_load(sb_pg *pg, const dispatch_roster *r, dispatch_dept *d);

/* ownership.c */
/* Partition assignment of the placer: fence new partitions, forget revoked ones. */
void           ownership_on_rebalance(void *ctx, int assigned,
                                      const rd_kafka_topic_partition_list_t *parts);
/* Inside the batch's transaction: 0 when this replica still owns every partition in parts
 * (taking the ones not fenced yet), 1 when another replica took one over, -1 on error. */
int            ownership_check(dispatch_ctx *cx, const int32_t *parts, size_t n);
/* The owned department d, loading its queue and agents' loads first; NULL on error. */
dispatch_dept *ownership_dept(dispatch_ctx *cx, const char *department, int32_t partition);
dispatch_dept *ownership_find(dispatch_ctx *cx, const char *department);
/* Forget every department (after a failed transaction: memory no longer matches PostgreSQL). */
void           ownership_forget_all(dispatch_ctx *cx);
void           ownership_free(dispatch_ctx *cx);

/* intake.c: stage one's batch callback, held back while the placer here is more than max_lag
 * commands behind (intake_on_wait, on cx->intake_wait, hands it over again). */
void intake_on_batch(void *ctx, sb_batch *batch);
void intake_on_wait(evutil_socket_t fd, short what, void *arg);

/* placer.c: stage two's batch callback; the roster refresh's drain of every queue. */
void placer_on_batch(void *ctx, sb_batch *batch);
void placer_drain_all(dispatch_ctx *cx);

/* decide.c: decisions into PostgreSQL, in the caller's transaction. */
/* Move the tickets (guarded: only if still where the decision found them); marks refused ones
 * failed. 0 or -1. */
int  decide_write(dispatch_ctx *cx, dispatch_decision *ds, size_t n, int64_t now);
/* The events of the decisions that held (stored in ticket_events) and the agents' task notices
 * (with the customer's contact, raw only for agents allowed to see it: such reads are
 * recorded in contact_reads). 0 or -1. */
int  decide_events(dispatch_ctx *cx, const dispatch_decision *ds, size_t n, int64_t now,
                   json_t *events, json_t *notices);

/* The task notices of the assigned events among events (fresh, or replayed: a notice lost to a
 * crash before publishing comes again, with the same id): the customer masked, or raw for an
 * agent allowed to see it (the read recorded in contact_reads). 0 or -1. */
int  decide_notices(dispatch_ctx *cx, const json_t *events, json_t *notices);

/* notice.c */
/* The task notice for an assigned event; contact is the customer row (masked or raw). */
json_t *notice_task(const json_t *assigned, const json_t *contact);

#endif

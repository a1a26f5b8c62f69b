/* workday.h - sb-workday: simulated agents working their tickets through desk, and customers
 * answering the survey links they are sent, so a demo's reports have a whole day's shape. */
#ifndef SB_WORKDAY_H
#define SB_WORKDAY_H

#include <stdint.h>
#include <stdio.h>

#include <event2/event.h>
#include <event2/http.h>

/* Everything the command line sets. */
typedef struct wd_opts {
    const char *desk_url;        /* http://host:port of desk */
    const char *admin_token;     /* issues the agents' tokens */
    const char *brokers;         /* for sb.notifications.v1; NULL: no survey answers */
    int         seconds;         /* how long the day lasts */
    int         think_ms;        /* an agent's pause between two tickets */
    int         answer_pct;      /* share of survey links the customer answers */
    int         dissatisfied_pct;/* share of answers that are dissatisfied */
} wd_opts;

/* What happened, printed as JSON at the end. */
typedef struct wd_stats {
    uint64_t workers, acked, replied, paused, resolved, second_handled, skipped, errors;
    uint64_t links_seen, answered, answer_errors;
    uint64_t ratings[4];         /* very_satisfied, satisfied, neutral, dissatisfied */
} wd_stats;

/* A plain-http base URL split for evhttp. 0 or -1. */
typedef struct wd_url {
    char host[256];
    int  port;
    char path[1024];             /* starts with '/'; "" for a bare base URL */
} wd_url;
int wd_url_parse(const char *url, wd_url *out);

/* 1..100 from a string, the same for the same string (a run is reproducible). */
int wd_dice(const char *s, const char *salt);

/* The agents: started once, they run in base until the event loop ends. 0 or -1. */
typedef struct wd_agents wd_agents;
wd_agents *wd_agents_start(struct event_base *base, const wd_opts *o, wd_stats *st);
void       wd_agents_free(wd_agents *a);

/* The customers: a consumer of sb.notifications.v1 answering survey links. 0 or -1. */
typedef struct wd_customers wd_customers;
wd_customers *wd_customers_start(struct event_base *base, const wd_opts *o, wd_stats *st);
void          wd_customers_free(wd_customers *c);

#endif

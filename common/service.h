/* service.h - the runtime every service shares: configuration, logging, the libevent loop,
 * PostgreSQL (migrated), the producer, the HTTP server with /healthz and /metrics, signals. */
#ifndef SB_SERVICE_H
#define SB_SERVICE_H

#include <event2/event.h>
#include "common/config.h"
#include "common/http.h"
#include "common/kafka.h"
#include "common/metrics.h"
#include "common/pg.h"

enum {
    SB_SVC_PG       = 1 << 0,   /* connect PostgreSQL and apply migrations */
    SB_SVC_PRODUCER = 1 << 1,   /* create the idempotent producer */
};

/* Consumers one process may watch for readiness (dispatch has two). */
#define SB_SERVICE_MAX_CONSUMERS 4

typedef struct sb_service {
    sb_config          cfg;
    struct event_base *base;
    sb_metrics        *metrics;
    sb_http           *http;
    sb_pg             *pg;          /* NULL without SB_SVC_PG */
    sb_producer       *producer;    /* NULL without SB_SVC_PRODUCER */
    struct event      *sig_int, *sig_term;
    int                stopping;
    sb_consumer       *consumers[SB_SERVICE_MAX_CONSUMERS];   /* what GET /readyz reports */
    size_t             nconsumers;
} sb_service;

/* 0, or -1 after logging what failed (the caller returns a non-zero exit code). */
int  sb_service_init(sb_service *s, const char *name, const char *default_http_addr,
                     unsigned flags);
/* For a service off the critical path (common/priority.h): its threads and its PostgreSQL
 * backend run at SB_CPU_NICE, default default_nice, so at a peak they yield the cores to
 * classify and dispatch. 0, or -1 when SB_CPU_NICE is malformed (logged). */
int  sb_service_background(sb_service *s, int default_nice);
/* GET /readyz answers 200 only while every watched consumer holds its share of its group
 * (sb_consumer_assigned), else 503 "joining": /healthz says the process works, /readyz that it
 * consumes. sb_service_consume and sb_event_consumer_new watch theirs; a service that makes
 * its own consumers watches them, and unwatches each before freeing it. Watch: 0, or -1 when
 * SB_SERVICE_MAX_CONSUMERS are watched already. */
int  sb_service_watch_consumer(sb_service *s, sb_consumer *c);
void sb_service_unwatch_consumer(sb_service *s, sb_consumer *c);
/* Runs the loop until SIGINT/SIGTERM. */
int  sb_service_run(sb_service *s);
/* For consumers: joins group on topics, runs the loop until SIGINT/SIGTERM, lets the batch in
 * flight finish (its events durable, its offsets committed), then leaves the group. *consumer
 * is set while the loop runs (the batch callback needs it) and NULL after. 0 or -1. */
int  sb_service_consume(sb_service *s, const char *group, const char *const *topics,
                        size_t ntopics, size_t max_batch, sb_batch_cb cb, void *ctx,
                        sb_consumer **consumer);
/* After a batch's transaction failed: when PostgreSQL refused the input itself (not a transient
 * failure), tell the consumer so that it isolates and dead-letters the culprit. */
void sb_service_reject_if_input(sb_consumer *c, const sb_pg *pg);
/* Releases everything init created (flushes the producer). */
void sb_service_close(sb_service *s);

#endif

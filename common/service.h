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

typedef struct sb_service {
    sb_config          cfg;
    struct event_base *base;
    sb_metrics        *metrics;
    sb_http           *http;
    sb_pg             *pg;          /* NULL without SB_SVC_PG */
    sb_producer       *producer;    /* NULL without SB_SVC_PRODUCER */
    struct event      *sig_int, *sig_term;
    int                stopping;
} sb_service;

/* 0, or -1 after logging what failed (the caller returns a non-zero exit code). */
int  sb_service_init(sb_service *s, const char *name, const char *default_http_addr,
                     unsigned flags);
/* Runs the loop until SIGINT/SIGTERM. */
int  sb_service_run(sb_service *s);
/* Releases everything init created (flushes the producer). */
void sb_service_close(sb_service *s);

#endif

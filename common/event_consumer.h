/* event_consumer.h - the consumer pattern in one place: parse each consumed event, dead-letter
 * poison, map the wanted ones to flat records, claim their ids and apply the new ones set-based
 * in one PostgreSQL transaction, then commit the offsets once the dead letters are durable. */
#ifndef SB_EVENT_CONSUMER_H
#define SB_EVENT_CONSUMER_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "common/error.h"
#include "common/kafka.h"
#include "common/service.h"

/* The envelope every event carries (proto/README.md), checked before the service sees it. */
typedef struct sb_event_env {
    const json_t  *json;          /* the whole event */
    const char    *type;
    const char    *event_id;      /* canonical UUID */
    int64_t        occurred_ms;   /* occurred_at, parsed */
    const sb_kmsg *msg;           /* where it came from */
} sb_event_env;

/* What a service plugs in; ctx is the service's own state. */
typedef struct sb_event_consumer_ops {
    /* NULL-terminated event types this consumer applies; others are skipped, not dead-lettered. */
    const char *const *types;
    /* Map one event to the record its SQL needs. Return a new object to apply it, NULL with
     * *reason left NULL to skip a type the service does not need, or NULL with *reason set
     * (a static string) to dead-letter it. Records must be safe to cast in SQL (validated
     * and normalised here), or one bad event would fail its whole batch forever. */
    json_t *(*record)(void *ctx, const sb_event_env *ev, const char **reason);
    /* Inside the transaction: apply the records of events never applied before, given as one
     * JSON array text (for jsonb_to_recordset). 0 or -1 (the batch is rolled back, retried). */
    int (*apply)(void *ctx, sb_pg *pg, const char *records_json, size_t n);
    /* Optional: the transaction the last apply ran in has committed (update metrics here). */
    void (*committed)(void *ctx);
    /* Optional: the most events one batch takes (0: 500). A consumer whose batch costs a fixed
     * few statements, whatever its size, and that may lag, does less work per event in bigger
     * batches; one with timers on the same loop wants them short. */
    size_t max_batch;
} sb_event_consumer_ops;

typedef struct sb_event_consumer sb_event_consumer;

/* Joins consumer group `name` on topics; claims are recorded under the same name. The service
 * must have been initialised with SB_SVC_PG | SB_SVC_PRODUCER (dead letters are produced).
 * ops is copied. NULL with err on failure. */
sb_event_consumer *sb_event_consumer_new(sb_service *s, const char *name,
                                         const char *const *topics, size_t ntopics,
                                         const sb_event_consumer_ops *ops, void *ctx,
                                         sb_error *err);
void sb_event_consumer_free(sb_event_consumer *ec);   /* leaves the group */
/* The underlying consumer (for sb_consumer_on_rebalance, sb_consumer_partition_count). */
sb_consumer *sb_event_consumer_kafka(sb_event_consumer *ec);

#endif

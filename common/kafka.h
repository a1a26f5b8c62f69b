/* kafka.h - librdkafka wired into the libevent loop: an idempotent producer whose delivery
 * reports arrive in the loop, send groups that report once all their messages are durable,
 * a consumer-group consumer that hands batches over and commits only when told, dead-lettering. */
#ifndef SB_KAFKA_H
#define SB_KAFKA_H

#include <stddef.h>
#include <stdint.h>
#include <event2/event.h>
#include <librdkafka/rdkafka.h>
#include "common/error.h"
#include "common/metrics.h"

#define SB_TOPIC_INBOUND       "sb.inbound.v1"
#define SB_TOPIC_TICKETS       "sb.tickets.v1"
#define SB_TOPIC_NOTIFICATIONS "sb.notifications.v1"
#define SB_TOPIC_DEADLETTER    "sb.deadletter.v1"
/* dispatch's own: ticket events turned into department commands, key = department, so one
 * replica owns each department's queue and agents' capacity (services/dispatch/README.md). */
#define SB_TOPIC_DISPATCH      "sb.dispatch.v1"

/* ---- producer ---- */

typedef struct sb_producer sb_producer;

/* Called in the loop once the broker acknowledged (err == 0) or gave up on the message. */
typedef void (*sb_delivery_cb)(void *opaque, rd_kafka_resp_err_t err);

enum { SB_PRODUCE_OK = 0, SB_PRODUCE_QUEUE_FULL = 1, SB_PRODUCE_ERROR = -1 };

typedef struct sb_producer_opts {
    int max_queued;          /* in-flight bound: past it, SB_PRODUCE_QUEUE_FULL (back-pressure,
                              * never an unbounded buffer); 0 = 100000 */
    int linger_ms;           /* how long librdkafka gathers a batch; < 0 = 5 */
    int message_timeout_ms;  /* when an undeliverable message is reported failed; 0 = 120000 */
} sb_producer_opts;

/* Idempotent producer (acks=all); opts may be NULL for the defaults. */
sb_producer *sb_producer_new(struct event_base *base, const char *brokers,
                             const sb_producer_opts *opts, sb_metrics *metrics, sb_error *err);
/* Copies key and payload. type (may be NULL) goes in the "type" header, so consumers can skip
 * events they do not need without parsing them. cb may be NULL. On SB_PRODUCE_OK, cb will be
 * called exactly once. */
int    sb_producer_send(sb_producer *p, const char *topic, const char *key, size_t key_len,
                        const char *type, const void *payload, size_t len, sb_delivery_cb cb,
                        void *opaque);
size_t sb_producer_in_flight(const sb_producer *p);
/* Blocks up to timeout_ms serving delivery reports; 0 when everything was delivered. */
int    sb_producer_flush(sb_producer *p, int timeout_ms);
void   sb_producer_free(sb_producer *p);   /* flushes up to 10 s first */
rd_kafka_t *sb_producer_handle(sb_producer *p);

/* ---- send group: N sends, one completion ---- */

typedef struct sb_send_group sb_send_group;
/* failed: number of messages the broker did not take (0 = all durable). */
typedef void (*sb_send_group_cb)(void *opaque, size_t failed);

sb_send_group *sb_send_group_new(sb_producer *p, sb_send_group_cb done, void *opaque);
/* Queue one message; on queue-full it waits in the loop (serving reports) up to 30 s. */
int  sb_send_group_add(sb_send_group *g, const char *topic, const char *key, const char *type,
                       const void *payload, size_t len);
/* Count a failure that happened before sending (e.g. the database work failed), so the
 * completion reports it and the consumer redelivers the batch. */
void sb_send_group_fail(sb_send_group *g);
/* No more adds; done fires (in the loop, possibly right away) when all reports are in, then the
 * group frees itself. */
void sb_send_group_seal(sb_send_group *g);

/* ---- consumer ---- */

typedef struct sb_consumer sb_consumer;

typedef struct sb_kmsg {
    const char *topic;
    int32_t     partition;
    int64_t     offset;
    const char *key;        /* not NUL-terminated */
    size_t      key_len;
    const char *payload;    /* not NUL-terminated */
    size_t      len;
    const char *type;       /* the "type" header, not NUL-terminated; NULL when absent */
    size_t      type_len;
} sb_kmsg;

/* 1 when the message's type header is type, 0 when it names another type, -1 when there is no
 * header (the payload must be parsed to know). */
int sb_kmsg_type_is(const sb_kmsg *m, const char *type);

typedef struct sb_batch {
    size_t   n;
    sb_kmsg *msgs;
    int      attempt;       /* 0 first time, then 1, 2, ... when redelivered after a failure */
} sb_batch;

/* The service applies the batch (one PostgreSQL transaction), publishes what it implies and
 * then calls sb_consumer_batch_done. No new batch is handed over before that. */
typedef void (*sb_batch_cb)(void *ctx, sb_batch *batch);

sb_consumer *sb_consumer_new(struct event_base *base, const char *brokers, const char *group_id,
                             const char *const *topics, size_t ntopics, size_t max_batch,
                             sb_batch_cb cb, void *ctx, sb_metrics *metrics, sb_error *err);
/* ok: the batch is applied; its offsets are committed and it is released. !ok: the same batch
 * comes again after a backoff (consumers are idempotent, so a redelivery changes nothing
 * already applied) — unless sb_consumer_batch_reject was called first. */
void sb_consumer_batch_done(sb_consumer *c, sb_batch *batch, int ok);
/* Call before completing a failed batch when the input itself was refused (e.g. a constraint
 * violation), not the system (database down): the consumer then hands the messages over one at
 * a time, and one rejected SB_POISON_ATTEMPTS (3) times goes to sb.deadletter.v1 with reason,
 * and the consumer moves on. reason is copied. */
void sb_consumer_batch_reject(sb_consumer *c, const char *reason);
/* Enable that: isolated poison is produced with p. Without it, rejected batches retry forever. */
void sb_consumer_set_deadletter(sb_consumer *c, sb_producer *p);
/* A send group for what the batch implies: once all of it is durable the batch is done (ok when
 * nothing failed, so the offsets are committed; else it is redelivered). Seal it when the batch
 * has added everything, also when that is nothing. NULL when out of memory. */
sb_send_group *sb_consumer_batch_group(sb_consumer *c, sb_producer *p, sb_batch *batch);
/* The batch cannot be applied by this consumer any more (e.g. another replica now owns its
 * partitions): release it without committing and rewind to its first offsets, so whoever owns
 * the partitions next reads it again. */
void sb_consumer_batch_abandon(sb_consumer *c, sb_batch *batch);
/* Told in the loop, between batches, when partitions are assigned (assigned = 1, after they are
 * taken) or revoked (0, before they are given up). */
typedef void (*sb_rebalance_cb)(void *ctx, int assigned,
                                const rd_kafka_topic_partition_list_t *partitions);
void sb_consumer_on_rebalance(sb_consumer *c, sb_rebalance_cb cb, void *ctx);
/* 1 when the consumer holds its share of the group's partitions: from an assignment (perhaps
 * empty, with more replicas than partitions) until the next revocation. 0 before the first
 * assignment and during a rebalance: a consumer that is not assigned reads nothing, however
 * healthy its process. *partitions (may be NULL): how many it holds. */
int sb_consumer_assigned(const sb_consumer *c, int *partitions);
/* Assignments received so far: it grows by one with every rebalance the consumer goes through,
 * so a script can tell that a group it changed has settled again. */
long sb_consumer_assignments(const sb_consumer *c);
const char *sb_consumer_group(const sb_consumer *c);
/* Partitions of topic per the cluster's metadata (asks the broker, up to 2 s: call it on a
 * rebalance, not per message); -1 when it cannot be known. */
int32_t sb_consumer_partition_count(sb_consumer *c, const char *topic);
/* The partition the producer's partitioner (librdkafka's default, consistent_random: CRC-32 of
 * the key modulo the partition count) gives a non-empty key; -1 for an empty key (random) or
 * npartitions < 1. Lets a consumer tell which keys its assigned partitions hold. */
int32_t sb_kafka_partition_of(const void *key, size_t len, int32_t npartitions);
/* Messages the consumer still has to read on the partitions it holds: high watermark minus
 * position, from librdkafka's cached fetch state (no broker round trip). 0 when it holds none. */
int64_t sb_consumer_lag(sb_consumer *c);
void sb_consumer_free(sb_consumer *c);   /* leaves the group */

/* Publish msg to sb.deadletter.v1 with the reason, as part of g. */
int  sb_deadletter(sb_send_group *g, const char *consumer, const sb_kmsg *msg, const char *reason);

/* Common client settings (bootstrap, client.id, logging); used by the producer and consumer. */
rd_kafka_conf_t *sb_kafka_conf_base(const char *brokers, const char *client_id);

#endif

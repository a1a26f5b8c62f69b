/* test_common_kafka.c - common/kafka against the real broker in a real libevent loop: delivery
 * reports, send groups, redelivery of a failed batch, commits only when told. */
#include <criterion/criterion.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/kafka.h"
#include "common/metrics.h"
#include "fixture.h"

#define N_MESSAGES 50

/* What the consumer saw. */
typedef struct seen {
    struct event_base *base;
    sb_consumer       *consumer;
    int                fail_first;    /* fail the first batch once */
    int                attempts_seen; /* batches handed over with attempt > 0 */
    long               offsets[N_MESSAGES * 4];
    size_t             n;
    size_t             applied;       /* messages in batches that succeeded */
} seen;

/* The broker's address, or skip. */
static const char *brokers_or_skip(void)
{
    const char *b = getenv("SB_KAFKA_BROKERS");
    if (!b || !*b)
        cr_skip_test("SB_KAFKA_BROKERS is not set: run through tests/run");
    return b;
}

/* Leave the loop after a bounded time whatever happens. */
static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    event_base_loopexit(arg, NULL);
}

/* Run the loop for at most ms. */
static void loop_for(struct event_base *base, int ms)
{
    struct event *t = evtimer_new(base, on_deadline, base);
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(t, &tv);
    event_base_dispatch(base);
    event_free(t);
}

/* Send group completion: record the failure count and stop the loop. */
static void on_group_done(void *opaque, size_t failed)
{
    long *result = opaque;
    *result = (long)failed;
}

/* Batch handler: fail the very first batch once, accept everything after. */
static void on_batch(void *ctx, sb_batch *batch)
{
    seen *s = ctx;
    if (batch->attempt > 0)
        s->attempts_seen++;
    for (size_t i = 0; i < batch->n && s->n < sizeof(s->offsets) / sizeof(s->offsets[0]); i++)
        s->offsets[s->n++] = (long)batch->msgs[i].partition * 1000000 + (long)batch->msgs[i].offset;
    if (s->fail_first) {
        s->fail_first = 0;
        sb_consumer_batch_done(s->consumer, batch, 0);
        return;
    }
    s->applied += batch->n;
    if (s->applied >= N_MESSAGES)
        event_base_loopexit(s->base, NULL);
    sb_consumer_batch_done(s->consumer, batch, 1);
}

/* Produce N_MESSAGES to topic through a send group; returns the failure count. */
static long produce_all(struct event_base *base, const char *brokers, const char *topic,
                        sb_metrics *m)
{
    sb_error err;
    sb_producer *p = sb_producer_new(base, brokers, &(sb_producer_opts){1000, 5, 0}, m, &err);
    cr_assert(p, "%s", err.message);
    long failed = -1;
    sb_send_group *g = sb_send_group_new(p, on_group_done, &failed);
    for (int i = 0; i < N_MESSAGES; i++) {
        char key[16], body[64];
        snprintf(key, sizeof(key), "k%d", i % 7);
        snprintf(body, sizeof(body), "{\"n\":%d}", i);
        cr_assert_eq(sb_send_group_add(g, topic, key, "test", body, strlen(body)), 0);
    }
    sb_send_group_seal(g);
    for (int i = 0; i < 100 && failed < 0; i++)
        loop_for(base, 100);
    cr_assert_eq(sb_producer_in_flight(p), 0);
    sb_producer_free(p);
    return failed;
}

Test(common_kafka, failed_batch_is_redelivered_and_committed_batches_are_not, .timeout = 90)
{
    const char *brokers = brokers_or_skip();
    char topic[64], group[64];
    snprintf(topic, sizeof(topic), "test.kafka.%d.%ld", (int)getpid(), random() % 100000);
    snprintf(group, sizeof(group), "test-group-%d", (int)getpid());
    struct event_base *base = event_base_new();
    sb_metrics *m = sb_metrics_new("test");
    cr_assert_eq(produce_all(base, brokers, topic, m), 0, "every message durable");

    seen s = {.base = base, .fail_first = 1};
    sb_error err;
    const char *topics[] = {topic};
    s.consumer = sb_consumer_new(base, brokers, group, topics, 1, 16, on_batch, &s, m, &err);
    cr_assert(s.consumer, "%s", err.message);
    loop_for(base, 30000);
    cr_expect_eq(s.applied, N_MESSAGES, "applied %zu of %d", s.applied, N_MESSAGES);
    cr_expect_geq(s.attempts_seen, 1, "the failed batch came again");
    sb_consumer_free(s.consumer);   /* commits were made as batches completed */

    /* A new member of the same group starts after the committed offsets: nothing again. */
    seen again = {.base = base};
    again.consumer = sb_consumer_new(base, brokers, group, topics, 1, 16, on_batch, &again, m, &err);
    cr_assert(again.consumer, "%s", err.message);
    loop_for(base, 9000);
    cr_expect_eq(again.n, 0, "%zu committed messages were delivered again", again.n);
    sb_consumer_free(again.consumer);
    sb_metrics_free(m);
    event_base_free(base);
}

Test(common_kafka, queue_full_is_back_pressure_not_a_buffer, .timeout = 30)
{
    const char *brokers = brokers_or_skip();
    struct event_base *base = event_base_new();
    sb_metrics *m = sb_metrics_new("test");
    sb_error err;
    sb_producer *p = sb_producer_new(base, brokers, &(sb_producer_opts){10, 5, 0}, m, &err);
    cr_assert(p, "%s", err.message);
    int full = 0;
    for (int i = 0; i < 50; i++)
        full += sb_producer_send(p, "test.backpressure", "k", 1, NULL, "x", 1, NULL, NULL) ==
                SB_PRODUCE_QUEUE_FULL;
    cr_expect_geq(full, 40, "beyond 10 in flight the producer refuses (%d refused)", full);
    cr_expect_leq(sb_producer_in_flight(p), 10);
    cr_expect_eq(sb_producer_flush(p, 10000), 0);
    sb_producer_free(p);
    sb_metrics_free(m);
    event_base_free(base);
}

/* What a consumer's rebalance callbacks saw of its readiness. */
typedef struct readiness_seen {
    sb_consumer *consumer;
    int          revoked;           /* revocations told */
    int          ready_in_revoke;   /* times sb_consumer_assigned said 1 while revoked */
    int          assigned;          /* assignments told */
    int          partitions_told;   /* partitions in the last assignment */
    int          partitions_held;   /* sb_consumer_assigned's count at that moment */
} readiness_seen;

/* Rebalance callback: readiness follows the group, and is already updated when told. */
static void on_readiness(void *ctx, int assigned, const rd_kafka_topic_partition_list_t *parts)
{
    readiness_seen *r = ctx;
    int held = 0, ready = sb_consumer_assigned(r->consumer, &held);
    if (!assigned) {
        r->revoked++;
        r->ready_in_revoke += ready;
        return;
    }
    r->assigned++;
    r->partitions_told = parts->cnt;
    r->partitions_held = ready ? held : -1;
}

/* Batches are not the point here: accept them. */
static void on_batch_accept(void *ctx, sb_batch *batch)
{
    sb_consumer_batch_done(*(sb_consumer **)ctx, batch, 1);
}

/* Runs the loop until both consumers are assigned and hold `total` partitions between them
 * (b may be NULL), or up to 30 s. */
static void loop_until_held(struct event_base *base, sb_consumer *a, sb_consumer *b, int total)
{
    for (int i = 0; i < 300; i++) {
        int pa = 0, pb = 0;
        int ready = sb_consumer_assigned(a, &pa) && (!b || sb_consumer_assigned(b, &pb));
        if (ready && pa + pb == total)
            return;
        loop_for(base, 100);
    }
}

Test(common_kafka, a_consumer_is_ready_only_while_it_holds_its_share_of_the_group, .timeout = 90)
{
    const char *brokers = brokers_or_skip();
    char topic[64], group[64];
    snprintf(topic, sizeof(topic), "test.ready.%d.%ld", (int)getpid(), random() % 100000);
    snprintf(group, sizeof(group), "test-ready-%d", (int)getpid());
    struct event_base *base = event_base_new();
    sb_metrics *m = sb_metrics_new("test");
    cr_assert_eq(produce_all(base, brokers, topic, m), 0, "the topic exists");
    int partitions = sb_fixture_partitions(topic);
    cr_assert_geq(partitions, 2, "a topic the group can share");

    sb_error err;
    const char *topics[] = {topic};
    readiness_seen ra = {0}, rb = {0};
    sb_consumer *a = sb_consumer_new(base, brokers, group, topics, 1, 16, on_batch_accept, &ra.consumer, m, &err);
    cr_assert(a, "%s", err.message);
    ra.consumer = a;
    sb_consumer_on_rebalance(a, on_readiness, &ra);
    int held = -1;
    cr_expect_eq(sb_consumer_assigned(a, &held), 0, "ready before joining the group");
    cr_expect_eq(held, 0);
    cr_expect_str_eq(sb_consumer_group(a), group);
    loop_until_held(base, a, NULL, partitions);
    cr_assert_eq(sb_consumer_assigned(a, &held), 1, "alone in the group, never assigned");
    cr_expect_eq(held, partitions, "alone, it holds all %d partitions, not %d", partitions, held);
    cr_expect_eq(sb_consumer_assignments(a), 1, "one assignment so far");
    cr_expect_eq(ra.partitions_held, ra.partitions_told, "assigned when told of the assignment");

    /* A second member: the group rebalances, the first gives everything up meanwhile, then
     * each holds a share. */
    sb_consumer *b = sb_consumer_new(base, brokers, group, topics, 1, 16, on_batch_accept, &rb.consumer, m, &err);
    cr_assert(b, "%s", err.message);
    rb.consumer = b;
    sb_consumer_on_rebalance(b, on_readiness, &rb);
    int before = ra.assigned;
    for (int i = 0; i < 300 && (ra.assigned == before || !sb_consumer_assigned(b, NULL)); i++)
        loop_for(base, 100);
    loop_until_held(base, a, b, partitions);
    int ha = 0, hb = 0;
    cr_assert(sb_consumer_assigned(a, &ha) && sb_consumer_assigned(b, &hb), "not both assigned");
    cr_expect_geq(ra.revoked, 1, "the first member was never revoked");
    cr_expect_eq(ra.ready_in_revoke, 0, "ready while its partitions were being revoked");
    cr_expect_eq(ha + hb, partitions, "%d + %d of %d partitions", ha, hb, partitions);
    cr_expect(ha > 0 && hb > 0, "each holds a share: %d and %d", ha, hb);
    cr_expect_eq(ra.partitions_held, ra.partitions_told);
    cr_expect_eq(rb.partitions_held, rb.partitions_told);
    cr_expect_eq(sb_consumer_assignments(a), ra.assigned, "every assignment counted");
    cr_expect_geq(sb_consumer_assignments(a), 2, "the rebalance was an assignment more");

    sb_consumer_free(b);
    sb_consumer_free(a);
    sb_metrics_free(m);
    event_base_free(base);
}

/* What the poison test's consumer saw. */
typedef struct poison_seen {
    struct event_base *base;
    sb_consumer       *consumer;
    size_t             good;      /* good messages applied */
    int                poison_handed;
} poison_seen;

/* Applies a view unless it holds the poison message, which it rejects as bad input. */
static void on_batch_with_poison(void *ctx, sb_batch *batch)
{
    poison_seen *s = ctx;
    for (size_t i = 0; i < batch->n; i++)
        if (batch->msgs[i].len == 6 && memcmp(batch->msgs[i].payload, "poison", 6) == 0) {
            s->poison_handed++;
            sb_consumer_batch_reject(s->consumer, "test: this input can never be applied");
            sb_consumer_batch_done(s->consumer, batch, 0);
            return;
        }
    s->good += batch->n;
    sb_consumer_batch_done(s->consumer, batch, 1);
}

/* The dead letters consumer wrote, read back from sb.deadletter.v1. */
static int deadletters_for(const char *brokers, const char *consumer)
{
    char err[256], group[64];
    snprintf(group, sizeof(group), "test-dl-reader-%d", (int)getpid());
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", brokers, err, sizeof(err));
    rd_kafka_conf_set(conf, "group.id", group, err, sizeof(err));
    rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", err, sizeof(err));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    cr_assert(rk, "%s", err);
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *t = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(t, SB_TOPIC_DEADLETTER, RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(rk, t);
    rd_kafka_topic_partition_list_destroy(t);
    int found = 0, idle = 0;
    char needle[128];
    snprintf(needle, sizeof(needle), "\"consumer\":\"%s\"", consumer);
    while (idle < 40) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 250);
        if (!m || m->err) {
            idle++;
            if (m)
                rd_kafka_message_destroy(m);
            continue;
        }
        idle = found ? idle + 1 : 0;
        if (memmem(m->payload, m->len, needle, strlen(needle)) &&
            memmem(m->payload, m->len, "rejected 3 times", 16))
            found++;
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return found;
}

Test(common_kafka, rejected_input_is_isolated_dead_lettered_and_the_rest_applied, .timeout = 120)
{
    const char *brokers = brokers_or_skip();
    char topic[64], group[64];
    snprintf(topic, sizeof(topic), "test.poison.%d.%ld", (int)getpid(), random() % 100000);
    snprintf(group, sizeof(group), "test-poison-%d", (int)getpid());
    struct event_base *base = event_base_new();
    sb_metrics *m = sb_metrics_new("test");
    sb_error err;
    sb_producer *p = sb_producer_new(base, brokers, NULL, m, &err);
    cr_assert(p, "%s", err.message);
    long failed = -1;
    sb_send_group *g = sb_send_group_new(p, on_group_done, &failed);
    /* One key: one partition, so the poison sits in the middle of the good messages. */
    for (int i = 0; i < 20; i++) {
        const char *body = i == 7 ? "poison" : "{\"good\":true}";
        cr_assert_eq(sb_send_group_add(g, topic, "same-key", "test", body, strlen(body)), 0);
    }
    sb_send_group_seal(g);
    for (int i = 0; i < 100 && failed < 0; i++)
        loop_for(base, 100);
    cr_assert_eq(failed, 0);

    poison_seen s = {.base = base};
    const char *topics[] = {topic};
    s.consumer = sb_consumer_new(base, brokers, group, topics, 1, 50, on_batch_with_poison, &s, m,
                                 &err);
    cr_assert(s.consumer, "%s", err.message);
    sb_consumer_set_deadletter(s.consumer, p);
    for (int i = 0; i < 300 && s.good < 19; i++)
        loop_for(base, 100);
    cr_expect_eq(s.good, 19, "the 19 good messages are applied (%zu)", s.good);
    cr_expect_geq(s.poison_handed, 4, "whole batch once, then the message alone 3 times");
    loop_for(base, 500);
    sb_consumer_free(s.consumer);
    cr_expect_eq(sb_producer_flush(p, 10000), 0);
    cr_expect_eq(deadletters_for(brokers, group), 1, "exactly one dead letter, with its reason");
    sb_producer_free(p);
    sb_metrics_free(m);
    event_base_free(base);
}

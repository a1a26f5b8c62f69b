/* test_classify_replicas.c - a second sb-classify next to the stack's: the two share the inbound
 * partitions, each numbers its tickets from the serial blocks it reserved, and no number is
 * given twice. Inbound events are planted on sb.inbound.v1 exactly as ingest publishes them. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fixture.h"
#include "http_client.h"
#include "inbound.h"
#include "replica.h"

#define ROUND       40      /* messages per round, each from a new customer */
#define MAX_ROUNDS  15      /* rounds until the replica must have joined */
#define CONSUMED    "sb_kafka_consumed_total{group=\"classify\"}"

static sb_test_replica replica = {.pid = -1};

static void replica_teardown(void)
{
    sb_test_replica_stop(&replica, 0);
}

TestSuite(classify_replicas, .fini = replica_teardown, .timeout = 240);

/* Plants a round of web messages from new customers; their ids to ids[0 .. ROUND). */
static void plant_round(char ids[][37])
{
    for (int i = 0; i < ROUND; i++) {
        char key[65];
        sb_fixture_hex(key, 64);
        cr_assert_eq(sb_inbound_publish("web", key, "regular", "where is my parcel, order late",
                                        NULL, ids[i]), 0);
    }
}

Test(classify_replicas, two_replicas_share_the_work_and_never_give_a_number_twice)
{
    if (!getenv("SB_KAFKA_BROKERS") || !getenv("SB_PG_DSN"))
        cr_skip_test("SB_KAFKA_BROKERS / SB_PG_DSN not set: run through tests/run");
    PGconn *c = sb_fixture_pg();
    cr_assert_not_null(c);
    cr_assert_eq(sb_test_replica_start(&replica, "classify", NULL), 0);

    /* Rounds until the replica has joined the group and applied some of them. */
    static char ids[(MAX_ROUNDS + 1) * ROUND][37];
    int rounds = 0;
    while (sb_test_replica_metric(&replica, CONSUMED) <= 0) {
        cr_assert(sb_test_replica_alive(&replica), "the replica exited; see %s", replica.log);
        cr_assert_lt(rounds, MAX_ROUNDS, "the replica never consumed; see %s", replica.log);
        plant_round(&ids[rounds++ * ROUND]);
        struct timespec pause = {1, 0};
        nanosleep(&pause, NULL);
    }
    plant_round(&ids[rounds++ * ROUND]);   /* one round with both surely consuming */

    /* Every message reaches a ticket: a number given twice would fail its batch for good
     * (tickets.number is unique) and the message would never be stored. */
    char list[64];
    long n = (long)rounds * ROUND;
    for (long i = 0; i < n; i++) {
        char *t = sb_inbound_ticket(c, ids[i], 30000);
        cr_assert_not_null(t, "message %ld of %ld never reached a ticket", i, n);
        free(t);
    }
    cr_expect_gt(sb_test_replica_metric(&replica, CONSUMED), 0);
    snprintf(list, sizeof(list), "%ld", n);
    cr_assert_eq(sb_fixture_exec(c, "CREATE TEMP TABLE run_ids (id uuid)", 0, NULL), 0);
    for (long i = 0; i < n; i++) {
        const char *p[] = {ids[i]};
        cr_assert_eq(sb_fixture_exec(c, "INSERT INTO run_ids VALUES ($1::uuid)", 1, p), 0);
    }
    char *distinct = sb_fixture_value(c,
        "SELECT count(DISTINCT t.number) FROM run_ids r JOIN messages m ON m.message_id = r.id"
        " JOIN tickets t ON t.id = m.ticket_id", 0, NULL);
    cr_expect_str_eq(distinct, list, "one number per message's ticket");
    free(distinct);
    PQfinish(c);
}

/* The local stack's own replicas (deploy/local/up runs classify twice by default): both are
 * members of the group, each applies part of the traffic. */
Test(classify_replicas, the_stacks_two_replicas_both_apply_messages)
{
    const char *first = getenv("SB_CLASSIFY_URL"), *second = getenv("SB_CLASSIFY_2_URL");
    const char *wanted = getenv("SB_CLASSIFY_REPLICAS");
    if (!getenv("SB_KAFKA_BROKERS") || !first)
        cr_skip_test("SB_KAFKA_BROKERS / SB_CLASSIFY_URL not set: run through tests/run");
    if (wanted && strcmp(wanted, "1") == 0)
        cr_skip_test("the stack runs one classify (SB_CLASSIFY_REPLICAS=1)");
    cr_assert_not_null(second, "local.env names no SB_CLASSIFY_2_URL: up started one replica");
    long before[2] = {sb_test_metric(first, CONSUMED), sb_test_metric(second, CONSUMED)};
    cr_assert(before[0] >= 0 && before[1] >= 0, "a replica does not answer /metrics");

    /* New customers spread over the 64 partitions; both replicas must get some. */
    static char ids[MAX_ROUNDS * ROUND][37];
    long after[2] = {before[0], before[1]};
    int rounds = 0;
    while (after[0] == before[0] || after[1] == before[1]) {
        cr_assert_lt(rounds, MAX_ROUNDS, "in %d rounds one replica consumed nothing: %ld -> %ld,"
                     " %ld -> %ld", rounds, before[0], after[0], before[1], after[1]);
        plant_round(&ids[rounds++ * ROUND]);
        struct timespec pause = {1, 0};
        nanosleep(&pause, NULL);
        after[0] = sb_test_metric(first, CONSUMED);
        after[1] = sb_test_metric(second, CONSUMED);
    }
    PGconn *c = sb_fixture_pg();
    cr_assert_not_null(c);
    for (long i = 0; i < (long)rounds * ROUND; i++) {
        char *t = sb_inbound_ticket(c, ids[i], 30000);
        cr_assert_not_null(t, "message %ld never reached a ticket", i);
        free(t);
    }
    PQfinish(c);
}

/* The /readyz of base_url once it answers 200 (up to 30 s: a replica stopped by the test before
 * makes the group rebalance), or NULL. */
static json_t *ready_body(const char *base_url)
{
    char url[256];
    snprintf(url, sizeof(url), "%s/readyz", base_url);
    for (int i = 0; i < 150; i++) {
        int status = 0;
        json_t *body = sb_test_http_json("GET", url, NULL, NULL, &status);
        if (status == 200)
            return body;
        cr_assert(status == 503 && body, "%s answered %d, not 200 or 503", url, status);
        cr_assert_str_eq(json_string_value(json_object_get(body, "status")), "joining");
        json_decref(body);
        struct timespec pause = {0, 200 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    return NULL;
}

/* The partitions the one consumer of a classify replica's /readyz holds. */
static int classify_partitions(const json_t *ready)
{
    const json_t *consumers = json_object_get(ready, "consumers");
    cr_assert_eq(json_array_size(consumers), 1, "classify has one consumer");
    const json_t *c = json_array_get(consumers, 0);
    cr_assert_str_eq(json_string_value(json_object_get(c, "group")), "classify");
    cr_assert(json_is_true(json_object_get(c, "assigned")));
    return (int)json_integer_value(json_object_get(c, "partitions"));
}

/* Ready means consuming: the stack's replicas, once ready, hold every inbound partition
 * between them, each a share; a service without consumers (ingest) is ready at once. */
Test(classify_replicas, ready_replicas_hold_every_inbound_partition_between_them)
{
    const char *first = getenv("SB_CLASSIFY_URL"), *second = getenv("SB_CLASSIFY_2_URL");
    const char *ingest = getenv("SB_INGEST_URL");
    if (!getenv("SB_KAFKA_BROKERS") || !first || !second || !ingest)
        cr_skip_test("needs the stack's two classify replicas: run through tests/run");
    int partitions = sb_fixture_partitions("sb.inbound.v1");
    cr_assert_gt(partitions, 1);
    int held[2] = {0, 0};
    for (int attempt = 0; attempt < 30 && held[0] + held[1] != partitions; attempt++) {
        /* Both must be ready at once: asked one after the other, a rebalance in between
         * would count a partition twice or not at all, so ask again until they agree. A
         * member that just left is still counted until the others' next heartbeat. */
        if (attempt > 0) {
            struct timespec pause = {1, 0};
            nanosleep(&pause, NULL);
        }
        json_t *a = ready_body(first), *b = ready_body(second);
        cr_assert(a && b, "a classify replica never became ready");
        held[0] = classify_partitions(a);
        held[1] = classify_partitions(b);
        json_decref(a);
        json_decref(b);
    }
    cr_expect_eq(held[0] + held[1], partitions, "the replicas hold %d + %d of %d partitions",
                 held[0], held[1], partitions);
    cr_expect(held[0] > 0 && held[1] > 0, "each replica holds a share: %d and %d", held[0],
              held[1]);
    json_t *i = ready_body(ingest);
    cr_assert_not_null(i, "ingest is not ready");
    cr_expect_eq(json_array_size(json_object_get(i, "consumers")), 0);
    json_decref(i);
}

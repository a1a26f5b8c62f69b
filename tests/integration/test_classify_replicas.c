/* test_classify_replicas.c - a second sb-classify next to the stack's: the two share the inbound
 * partitions, each numbers its tickets from the serial blocks it reserved, and no number is
 * given twice. Inbound events are planted on sb.inbound.v1 exactly as ingest publishes them. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fixture.h"
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

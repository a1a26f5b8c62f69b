/* test_common_outbox.c - common/outbox against the real PostgreSQL and broker: rows written in
 * a transaction are published once committed (not before, not when rolled back), in order,
 * with the type header, and marked sent. */
#include <criterion/criterion.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/ids.h"
#include "common/kafka.h"
#include "common/outbox.h"
#include "common/pg.h"

/* What the reading consumer found on the test topic. */
typedef struct outbox_seen {
    sb_consumer *consumer;
    char         ids[8][SB_UUID_STRLEN];
    int          n;
    int          typed;   /* messages whose type header was "test_event" */
} outbox_seen;

/* Record each event id seen, in order. */
static void on_batch(void *ctx, sb_batch *batch)
{
    outbox_seen *s = ctx;
    for (size_t i = 0; i < batch->n && s->n < 8; i++) {
        json_t *ev = json_loadb(batch->msgs[i].payload, batch->msgs[i].len, 0, NULL);
        const char *id = json_string_value(json_object_get(ev, "event_id"));
        snprintf(s->ids[s->n++], SB_UUID_STRLEN, "%s", id ? id : "");
        s->typed += sb_kmsg_type_is(&batch->msgs[i], "test_event") == 1;
        json_decref(ev);
    }
    sb_consumer_batch_done(s->consumer, batch, 1);
}

/* Leave the loop after a bounded time. */
static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    event_base_loopexit(arg, NULL);
}

/* Run the loop for ms. */
static void loop_for(struct event_base *base, int ms)
{
    struct event *t = evtimer_new(base, on_deadline, base);
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(t, &tv);
    event_base_dispatch(base);
    event_free(t);
}

/* An event for the outbox. */
static json_t *test_event(char id[SB_UUID_STRLEN], int n)
{
    sb_uuid_v4_str(id);
    return json_pack("{s:s, s:s, s:i}", "type", "test_event", "event_id", id, "n", n);
}

Test(common_outbox, committed_rows_are_published_in_order_rolled_back_ones_never, .timeout = 90)
{
    const char *dsn = getenv("SB_PG_DSN"), *brokers = getenv("SB_KAFKA_BROKERS");
    if (!dsn || !brokers)
        cr_skip_test("SB_PG_DSN / SB_KAFKA_BROKERS not set: run through tests/run");
    char topic[64], group[64], a[SB_UUID_STRLEN], b[SB_UUID_STRLEN], gone[SB_UUID_STRLEN];
    snprintf(topic, sizeof(topic), "test.outbox.%d.%ld", (int)getpid(), random() % 100000);
    snprintf(group, sizeof(group), "test-outbox-%d", (int)getpid());
    sb_pg *pg = sb_pg_connect(dsn, 3), *relay_pg = sb_pg_connect(dsn, 3);
    cr_assert(pg && relay_pg);
    /* Earlier runs' rows for other topics must not hold this test up: mark them sent. */
    cr_assert_eq(sb_pg_exec(pg, "UPDATE outbox SET sent_at = now() WHERE sent_at IS NULL", 0, NULL), 0);

    json_t *ev;
    cr_assert_eq(sb_pg_begin(pg), 0);
    ev = test_event(gone, 0);
    cr_assert_eq(sb_outbox_add(pg, topic, "k", ev), 0);
    json_decref(ev);
    sb_pg_rollback(pg);   /* the change did not happen: neither may its announcement */
    cr_assert_eq(sb_pg_begin(pg), 0);
    ev = test_event(a, 1);
    cr_assert_eq(sb_outbox_add(pg, topic, "k", ev), 0);
    json_decref(ev);
    ev = test_event(b, 2);
    cr_assert_eq(sb_outbox_add(pg, topic, "k", ev), 0);
    json_decref(ev);
    json_t *untyped = json_pack("{s:s}", "event_id", "x");
    cr_expect_eq(sb_outbox_add(pg, topic, "k", untyped), -1, "an event without type is refused");
    json_decref(untyped);
    cr_assert_eq(sb_pg_commit(pg), 0);

    struct event_base *base = event_base_new();
    sb_metrics *m = sb_metrics_new("test");
    sb_error err;
    sb_producer *p = sb_producer_new(base, brokers, NULL, m, &err);
    cr_assert(p, "%s", err.message);
    sb_outbox_relay *relay = sb_outbox_relay_new(base, relay_pg, p, 100, m);
    cr_assert(relay);
    /* One relay works at a time: this one, or desk's when the stack runs. Either way the
     * committed rows get published and marked sent. */
    sb_outbox_relay_kick(relay);
    const char *ids[] = {a, b, gone};
    char sent[16] = "";
    for (int i = 0; i < 100 && strcmp(sent, "2") != 0; i++) {
        loop_for(base, 100);
        PGresult *res = sb_pg_query(pg, "SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL"
                                        " AND payload->>'event_id' IN ($1, $2, $3)", 3, ids);
        cr_assert(res);
        snprintf(sent, sizeof(sent), "%s", PQgetvalue(res, 0, 0));
        PQclear(res);
    }
    cr_expect_str_eq(sent, "2", "both committed rows are marked sent, the rolled-back one is not there");

    outbox_seen s = {0};
    const char *topics[] = {topic};
    s.consumer = sb_consumer_new(base, brokers, group, topics, 1, 16, on_batch, &s, m, &err);
    cr_assert(s.consumer, "%s", err.message);
    for (int i = 0; i < 150 && s.n < 2; i++)
        loop_for(base, 100);
    loop_for(base, 1000);   /* anything more (the rolled-back row) would arrive by now */
    cr_assert_eq(s.n, 2, "exactly the two committed events (%d)", s.n);
    cr_expect_str_eq(s.ids[0], a);
    cr_expect_str_eq(s.ids[1], b);
    cr_expect_eq(s.typed, 2, "each carries its type header");

    sb_consumer_free(s.consumer);
    sb_outbox_relay_free(relay);
    sb_producer_free(p);
    sb_metrics_free(m);
    event_base_free(base);
    sb_pg_free(pg);
    sb_pg_free(relay_pg);
}

/* 1 once the outbox row of event id is marked sent, polling while base runs (up to ~10 s). */
static int sent_while_running(struct event_base *base, sb_pg *pg, const char *id)
{
    const char *p[] = {id};
    for (int i = 0; i < 100; i++) {
        loop_for(base, 100);
        PGresult *res = sb_pg_query(pg, "SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL"
                                        " AND payload->>'event_id' = $1", 1, p);
        int sent = res && strcmp(PQgetvalue(res, 0, 0), "1") == 0;
        PQclear(res);
        if (sent)
            return 1;
    }
    return 0;
}

/* Queues one test event for topic in its own transaction; its id into id. */
static void queue_one(sb_pg *pg, const char *topic, char id[SB_UUID_STRLEN])
{
    json_t *ev = test_event(id, 1);
    cr_assert_eq(sb_pg_begin(pg), 0);
    cr_assert_eq(sb_outbox_add(pg, topic, "k", ev), 0);
    cr_assert_eq(sb_pg_commit(pg), 0);
    json_decref(ev);
}

Test(common_outbox, a_relay_whose_loop_stops_does_not_hold_every_services_outbox, .timeout = 90)
{
    const char *dsn = getenv("SB_PG_DSN"), *brokers = getenv("SB_KAFKA_BROKERS");
    if (!dsn || !brokers)
        cr_skip_test("SB_PG_DSN / SB_KAFKA_BROKERS not set: run through tests/run");
    char topic[64], first[SB_UUID_STRLEN], second[SB_UUID_STRLEN];
    snprintf(topic, sizeof(topic), "test.outbox.stop.%d.%ld", (int)getpid(), random() % 100000);
    sb_pg *pg = sb_pg_connect(dsn, 3), *pg_a = sb_pg_connect(dsn, 3), *pg_b = sb_pg_connect(dsn, 3);
    cr_assert(pg && pg_a && pg_b);
    sb_metrics *m = sb_metrics_new("test");
    sb_error err;
    struct event_base *base_a = event_base_new(), *base_b = event_base_new();
    sb_producer *prod_a = sb_producer_new(base_a, brokers, NULL, m, &err);
    sb_producer *prod_b = sb_producer_new(base_b, brokers, NULL, m, &err);
    cr_assert(prod_a && prod_b, "%s", err.message);
    sb_outbox_relay *a = sb_outbox_relay_new(base_a, pg_a, prod_a, 50, m);
    cr_assert(a);

    /* Relay A works a round (or another relay does), then its loop stops turning. */
    queue_one(pg, topic, first);
    sb_outbox_relay_kick(a);
    cr_assert(sent_while_running(base_a, pg, first), "the first row was never published");

    /* A is alive but its loop is stuck; what is queued now still goes out, by any other
     * relay (B here, or a service's), because A holds the lock for a round only. */
    queue_one(pg, topic, second);
    sb_outbox_relay *b = sb_outbox_relay_new(base_b, pg_b, prod_b, 50, m);
    cr_assert(b);
    cr_assert(sent_while_running(base_b, pg, second),
              "a relay whose loop stopped kept the outbox: the second row was never published");

    sb_outbox_relay_free(b);
    sb_outbox_relay_free(a);
    sb_producer_free(prod_b);
    sb_producer_free(prod_a);
    event_base_free(base_b);
    event_base_free(base_a);
    sb_metrics_free(m);
    sb_pg_free(pg);
    sb_pg_free(pg_a);
    sb_pg_free(pg_b);
}

/* test_classify_threading.c - classify against the running stack: a new message joins an open
 * ticket by e-mail thread, by order number or by customer, whatever the channel; a replay
 * changes nothing; tiers follow first contact and the VIP list. Inbound events are planted on
 * sb.inbound.v1 exactly as ingest publishes them. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "common/kafka.h"
#include "fixture.h"
#include "inbound.h"

/* A connection, or skip when the stack is not there. */
static PGconn *pg_or_skip(void)
{
    if (!getenv("SB_KAFKA_BROKERS") || !getenv("SB_PG_DSN"))
        cr_skip_test("SB_KAFKA_BROKERS / SB_PG_DSN not set: run through tests/run");
    PGconn *c = sb_fixture_pg();
    cr_assert(c, "cannot connect to SB_PG_DSN");
    return c;
}

/* A fresh 64-hex customer key. */
static void customer_key(char out[65])
{
    sb_fixture_hex(out, 64);
}

/* Publishes an inbound_message (see tests/support/inbound.h); writes the message id. */
static void inbound(const char *channel, const char *key, const char *tier, const char *text,
                    json_t *extra, char message_id[37])
{
    cr_assert_eq(sb_inbound_publish(channel, key, tier, text, extra, message_id), 0);
}

/* Waits until message id is stored and returns its ticket id (malloc'd). */
static char *ticket_of(PGconn *c, const char *message_id)
{
    char *t = sb_inbound_ticket(c, message_id, 20000);
    cr_assert(t, "message %s never reached a ticket", message_id);
    return t;
}

/* The value of a one-value query with one parameter (malloc'd, or NULL). */
static char *value1(PGconn *c, const char *sql, const char *param)
{
    const char *p[] = {param};
    return sb_fixture_value(c, sql, 1, p);
}

/* The joined_by of the message_appended event of message id, or NULL when there is none. */
static char *joined_by(PGconn *c, const char *message_id)
{
    return value1(c, "SELECT payload->'data'->>'joined_by' FROM ticket_events"
                     " WHERE type = 'message_appended' AND payload->'data'->>'message_id' = $1",
                  message_id);
}

Test(classify_threading, another_channel_of_the_same_customer_joins_the_open_ticket)
{
    PGconn *c = pg_or_skip();
    char key[65], m1[37], m2[37];
    customer_key(key);
    inbound("wechat", key, "regular", "我的快递三天了还没到", NULL, m1);
    char *t1 = ticket_of(c, m1);
    inbound("phone", key, "regular", "calling again about my parcel", NULL, m2);
    char *t2 = ticket_of(c, m2);
    cr_expect_str_eq(t2, t1, "the phone call should join the WeChat ticket");
    char *by = joined_by(c, m2);
    cr_expect(by && strcmp(by, "customer") == 0, "joined_by = %s", by ? by : "(none)");
    char *opened = value1(c, "SELECT count(*) FROM ticket_events WHERE ticket_id = $1::uuid"
                             " AND type = 'opened'", t1);
    cr_expect_str_eq(opened, "1");
    free(opened);
    free(by);
    free(t1);
    free(t2);
    PQfinish(c);
}

Test(classify_threading, an_email_reply_joins_by_references_even_from_another_address)
{
    PGconn *c = pg_or_skip();
    char k1[65], k2[65], m1[37], m2[37], mid[80];
    customer_key(k1);
    customer_key(k2);
    char rnd[17];
    sb_fixture_hex(rnd, 16);
    snprintf(mid, sizeof mid, "%s@mail.example.com", rnd);
    inbound("email", k1, "regular", "My invoice is wrong",
            json_pack("{s:{s:s}}", "thread", "message_id", mid), m1);
    char *t1 = ticket_of(c, m1);
    char *stored = value1(c, "SELECT thread_ref FROM messages WHERE message_id = $1::uuid", m1);
    cr_expect(stored && strcmp(stored, mid) == 0, "thread_ref stored: %s", stored ? stored : "NULL");
    free(stored);
    inbound("email", k2, "regular", "Re: my invoice is wrong - from my work address",
            json_pack("{s:{s:s, s:[s, s]}}", "thread", "in_reply_to", "unknown@x",
                      "references", "older@x", mid), m2);
    char *t2 = ticket_of(c, m2);
    cr_expect_str_eq(t2, t1);
    char *by = joined_by(c, m2);
    cr_expect(by && strcmp(by, "thread") == 0, "joined_by = %s", by ? by : "(none)");
    free(by);
    free(t1);
    free(t2);
    PQfinish(c);
}

Test(classify_threading, a_named_order_number_joins_the_ticket_that_names_it)
{
    PGconn *c = pg_or_skip();
    char k1[65], k2[65], m1[37], m2[37], order[32], text[128];
    customer_key(k1);
    customer_key(k2);
    snprintf(order, sizeof order, "%ld%06d", (long)time(NULL), rand() % 1000000);
    snprintf(text, sizeof text, "订单号：%s 一直没发货", order);
    inbound("web", k1, "regular", text, NULL, m1);
    char *t1 = ticket_of(c, m1);
    inbound("marketplace", k2, "regular", "buyer asks again about shipment",
            json_pack("{s:{s:s}}", "hints", "order_id", order), m2);
    char *t2 = ticket_of(c, m2);
    cr_expect_str_eq(t2, t1);
    char *by = joined_by(c, m2);
    cr_expect(by && strcmp(by, "order") == 0, "joined_by = %s", by ? by : "(none)");
    char *linked = value1(c, "SELECT count(*) FROM ticket_orders WHERE order_ref = $1", order);
    cr_expect_str_eq(linked, "1");
    free(linked);
    free(by);
    free(t1);
    free(t2);
    PQfinish(c);
}

Test(classify_threading, a_resolved_ticket_is_not_joined_and_history_is_counted)
{
    PGconn *c = pg_or_skip();
    char key[65], m1[37], m2[37];
    customer_key(key);
    inbound("app", key, "regular", "the app crashes when I pay", NULL, m1);
    char *t1 = ticket_of(c, m1);
    const char *p[] = {t1};
    cr_assert_eq(sb_fixture_exec(c, "UPDATE tickets SET status = 'resolved' WHERE id = $1::uuid", 1, p), 0);
    inbound("app", key, "regular", "it crashes again today", NULL, m2);
    char *t2 = ticket_of(c, m2);
    cr_expect_str_neq(t2, t1, "a resolved ticket must not take new messages");
    char *opened = value1(c, "SELECT count(*) FROM ticket_events WHERE type = 'opened'"
                             " AND ticket_id = $1::uuid", t2);
    cr_expect_str_eq(opened, "1");
    free(opened);
    free(t1);
    free(t2);
    PQfinish(c);
}

Test(classify_threading, a_replayed_message_changes_nothing)
{
    PGconn *c = pg_or_skip();
    char key[65], when[32], ext[24], mid[37];
    customer_key(key);
    sb_inbound_now(when);
    sb_fixture_hex(ext, 16);
    sb_fixture_uuid(mid);
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:s}",
                           "type", "inbound_message", "event_id", mid, "message_id", mid,
                           "occurred_at", when, "channel", "store", "external_id", ext,
                           "received_at", when, "customer", "key", key, "tier", "new",
                           "text", "is the blue one in stock?");
    char *s = json_dumps(ev, JSON_COMPACT);
    cr_assert_eq(sb_fixture_publish("sb.inbound.v1", key, s), 0);
    char *t1 = ticket_of(c, mid);
    cr_assert_eq(sb_fixture_publish("sb.inbound.v1", key, s), 0);
    /* A later message of the same key, after the replay in partition order: once it is in,
     * the replay has been handled. */
    char m2[37];
    inbound("store", key, "new", "also in red?", NULL, m2);
    char *t2 = ticket_of(c, m2);
    cr_expect_str_eq(t2, t1);
    char *msgs = value1(c, "SELECT count(*) FROM messages WHERE ticket_id = $1::uuid", t1);
    cr_expect_str_eq(msgs, "2");
    char *events = value1(c, "SELECT count(*) FROM ticket_events WHERE ticket_id = $1::uuid"
                             " AND type IN ('opened', 'classified', 'message_appended')", t1);
    cr_expect_str_eq(events, "3");
    free(msgs);
    free(events);
    free(s);
    json_decref(ev);
    free(t1);
    free(t2);
    PQfinish(c);
}

Test(classify_threading, tier_is_new_at_first_contact_and_vip_from_the_admin_list)
{
    PGconn *c = pg_or_skip();
    char k1[65], k2[65], m1[37], m2[37];
    customer_key(k1);
    customer_key(k2);
    inbound("web", k1, "regular", "hello, a question about sizes", NULL, m1);
    char *t1 = ticket_of(c, m1);
    char *tier = value1(c, "SELECT c.tier FROM tickets t JOIN customers c ON c.id = t.customer_id"
                           " WHERE t.id = $1::uuid", t1);
    cr_expect_str_eq(tier, "regular", "the channel vouched for a regular customer");
    free(tier);
    const char *p[] = {k2};
    cr_assert_eq(sb_fixture_exec(c, "INSERT INTO vip_customers (customer_key, added_by)"
                                    " VALUES ($1, 'test')", 1, p), 0);
    inbound("web", k2, "new", "where is my refund", NULL, m2);
    char *t2 = ticket_of(c, m2);
    tier = value1(c, "SELECT c.tier FROM tickets t JOIN customers c ON c.id = t.customer_id"
                     " WHERE t.id = $1::uuid", t2);
    cr_expect_str_eq(tier, "vip");
    free(tier);
    char key3[65], m3[37];
    customer_key(key3);
    inbound("web", key3, "new", "first time here", NULL, m3);
    char *t3 = ticket_of(c, m3);
    tier = value1(c, "SELECT c.tier FROM tickets t JOIN customers c ON c.id = t.customer_id"
                     " WHERE t.id = $1::uuid", t3);
    cr_expect_str_eq(tier, "new");
    free(tier);
    free(t1);
    free(t2);
    free(t3);
    PQfinish(c);
}

/* A new customer's key on partition part of sb.inbound.v1 (of nparts). Serials increase
 * within one classify process, and the stack runs two: messages on one partition reach the
 * same one. */
static void customer_key_on(char out[65], int32_t part, int32_t nparts)
{
    do
        customer_key(out);
    while (sb_kafka_partition_of(out, 64, nparts) != part);
}

/* A web message of a new customer on partition 0, its ticket's number parsed: the day and the
 * serial. */
static void web_ticket(PGconn *c, const char *text, int *day, long long *serial)
{
    char key[65], m[37], code[3];
    int nparts = sb_fixture_partitions("sb.inbound.v1");
    cr_assert_gt(nparts, 0, "no partitions for sb.inbound.v1");
    customer_key_on(key, 0, nparts);
    inbound("web", key, "regular", text, NULL, m);
    char *t = ticket_of(c, m);
    char *number = value1(c, "SELECT number FROM tickets WHERE id = $1::uuid", t);
    cr_assert_not_null(number);
    cr_assert_eq(sscanf(number, "%2[A-Z]-%8d-%lld", code, day, serial), 3, "number %s", number);
    cr_expect_str_eq(code, "WB");
    free(number);
    free(t);
}

/* Serials reserved for web tickets of day beyond serial: what classify still holds (it is the
 * only writer of ticket_serials). */
static long long serials_ahead(PGconn *c, int day, long long serial)
{
    char d[16];
    snprintf(d, sizeof(d), "%d", day);
    char *last = value1(c, "SELECT last_serial FROM ticket_serials WHERE channel_code = 'WB'"
                           " AND day = to_date($1, 'YYYYMMDD')", d);
    cr_assert_not_null(last);
    long long ahead = atoll(last) - serial;
    free(last);
    return ahead;
}

Test(classify_threading, numbering_never_waits_for_another_batch_holding_the_serial_row)
{
    PGconn *c = pg_or_skip(), *locker = sb_fixture_pg();
    cr_assert_not_null(locker);
    int day;
    long long first, second;
    web_ticket(c, "my order arrived without the charger", &day, &first);
    if (serials_ahead(c, day, first) < 1)   /* the block ran out exactly: reserve the next */
        web_ticket(c, "and the box was damaged", &day, &first);
    cr_assert_geq(serials_ahead(c, day, first), 1);

    /* Another replica's long batch, as it would have held the row before: classify numbers
     * the next ticket from the block it reserved ahead, without waiting. */
    char d[16];
    snprintf(d, sizeof(d), "%d", day);
    const char *p[] = {d};
    cr_assert_eq(sb_fixture_exec(locker, "BEGIN", 0, NULL), 0);
    char *locked = sb_fixture_value(locker, "SELECT last_serial FROM ticket_serials"
                                            " WHERE channel_code = 'WB'"
                                            " AND day = to_date($1, 'YYYYMMDD') FOR UPDATE", 1, p);
    cr_assert_not_null(locked);
    web_ticket(c, "can I change the delivery address", &day, &second);
    cr_expect_gt(second, first, "serials increase");
    cr_expect_leq(second, atoll(locked), "numbered from the block reserved before the lock");
    sb_fixture_exec(locker, "ROLLBACK", 0, NULL);
    free(locked);
    PQfinish(locker);
    PQfinish(c);
}

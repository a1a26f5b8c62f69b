/* fixture.c - rows and events integration tests plant directly in PostgreSQL and the broker. */
#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <librdkafka/rdkafka.h>

#include "common/channel.h"

PGconn *sb_fixture_pg(void)
{
    const char *dsn = getenv("SB_PG_DSN");
    if (!dsn || !*dsn)
        return NULL;
    PGconn *c = PQconnectdb(dsn);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "fixture: %s", PQerrorMessage(c));
        PQfinish(c);
        return NULL;
    }
    return c;
}

/* Run a statement; the result when it succeeded (caller PQclear()s), else NULL. */
static PGresult *fixture_query(PGconn *c, const char *sql, int n, const char *const *params)
{
    PGresult *res = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return res;
    fprintf(stderr, "fixture: %s in: %.200s\n", PQresultErrorMessage(res), sql);
    PQclear(res);
    return NULL;
}

int sb_fixture_exec(PGconn *c, const char *sql, int n, const char *const *params)
{
    PGresult *res = fixture_query(c, sql, n, params);
    PQclear(res);
    return res ? 0 : -1;
}

char *sb_fixture_value(PGconn *c, const char *sql, int n, const char *const *params)
{
    PGresult *res = fixture_query(c, sql, n, params);
    char *v = NULL;
    if (res && PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
        v = strdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    return v;
}

char *sb_fixture_wait(PGconn *c, const char *sql, int n, const char *const *params,
                      const char *want, int timeout_ms)
{
    struct timespec pause = {0, 50 * 1000000L};
    for (int waited = 0;; waited += 50) {
        char *v = sb_fixture_value(c, sql, n, params);
        if ((v && (!want || strcmp(v, want) == 0)) || waited >= timeout_ms)
            return v;
        free(v);
        nanosleep(&pause, NULL);
    }
}

void sb_fixture_hex(char *out, size_t nchars)
{
    static const char digits[] = "0123456789abcdef";
    unsigned char b[64];
    for (size_t i = 0; i < nchars; i++) {
        if (i % sizeof(b) == 0 && getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
            abort();   /* a test fixture without randomness would collide silently */
        out[i] = digits[b[i % sizeof(b)] & 15];
    }
    out[nchars] = '\0';
}

void sb_fixture_uuid(char out[37])
{
    char h[33];
    sb_fixture_hex(h, 32);
    h[12] = '4';                          /* version 4 */
    h[16] = "89ab"[h[16] % 4];            /* RFC 4122 variant */
    snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12, h + 16, h + 20);
}

/* A ticket number nobody else uses: today's date and a serial 9xxxxxxxx far above what a
 * real day's serial reaches (the number is UNIQUE, so a clash just retries). */
static void fixture_number(const char *code, char *out)
{
    char r[9], date[16];
    sb_fixture_hex(r, 8);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof(date), "%Y%m%d", &tm);
    unsigned serial = 900000000u + (unsigned)(strtoul(r, NULL, 16) % 100000000ul);
    snprintf(out, 32, "%.2s-%.8s-%u", code, date, serial);
}

int sb_fixture_ticket_new(PGconn *c, const sb_fixture_ticket *t, char *number, char id[37])
{
    static const char sql[] =
        "WITH c AS (INSERT INTO customers (customer_key, display_name, phone_masked,"
        "           email_masked, tier) VALUES ($1, 'Z**', '138****5678', 'z***@example.com',"
        "           'vip') RETURNING id)"
        " INSERT INTO tickets (id, number, channel, customer_id, status, category, subtopic,"
        "        urgency, priority, department_id, assignee, subject, created_at, updated_at)"
        " SELECT $2::uuid, $3, $4, c.id, coalesce($5, 'new'), $6, $7, $8, $9, $10, $11,"
        "        'fixture', coalesce($12::timestamptz, now()), coalesce($12::timestamptz, now())"
        " FROM c";
    const char *channel = t->channel ? t->channel : "web";
    const sb_channel *ch = sb_channel_find(channel);
    if (!ch)
        return -1;
    for (int attempt = 0; attempt < 5; attempt++) {
        char key[65];
        sb_fixture_hex(key, 64);
        sb_fixture_uuid(id);
        fixture_number(ch->code, number);
        const char *p[] = {key, id, number, channel, t->status, t->category, t->subtopic,
                           t->urgency, t->priority, t->department, t->assignee, t->created_at};
        if (sb_fixture_exec(c, sql, 12, p) == 0)
            return 0;
    }
    return -1;
}

int sb_fixture_event_store(PGconn *c, const char *event_json)
{
    const char *p[] = {event_json};
    return sb_fixture_exec(c,
                           "INSERT INTO ticket_events (event_id, ticket_id, type, occurred_at,"
                           " payload) SELECT (e->>'event_id')::uuid, (e->>'ticket_id')::uuid,"
                           " e->>'type', (e->>'occurred_at')::timestamptz, e"
                           " FROM (SELECT $1::jsonb AS e) s",
                           1, p);
}

char *sb_fixture_token(PGconn *c, const char *subject, const char *role)
{
    char *token = malloc(41);
    if (!token)
        return NULL;
    memcpy(token, "test-", 5);
    sb_fixture_hex(token + 5, 35);
    const char *p[] = {token, subject, role};
    if (sb_fixture_exec(c,
                        "INSERT INTO api_tokens (token_hash, subject, role)"
                        " VALUES (encode(sha256(convert_to($1, 'UTF8')), 'hex'), $2, $3)",
                        3, p) != 0) {
        free(token);
        return NULL;
    }
    return token;
}

/* Delivery report: remember the outcome of the one message in flight. */
static void fixture_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    *(rd_kafka_resp_err_t *)opaque = m->err;
}

int sb_fixture_publish(const char *topic, const char *key, const char *payload)
{
    const char *brokers = getenv("SB_KAFKA_BROKERS");
    char errstr[256];
    rd_kafka_resp_err_t result = RD_KAFKA_RESP_ERR__TIMED_OUT;
    if (!brokers || !*brokers)
        return -1;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr, sizeof(errstr)) ||
        rd_kafka_conf_set(conf, "acks", "all", errstr, sizeof(errstr))) {
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, fixture_dr);
    rd_kafka_conf_set_opaque(conf, &result);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    rd_kafka_resp_err_t e = rd_kafka_producev(
        rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, strlen(key)),
        RD_KAFKA_V_VALUE((void *)payload, strlen(payload)), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_END);
    if (!e)
        rd_kafka_flush(rk, 10000);
    rd_kafka_destroy(rk);
    return !e && result == RD_KAFKA_RESP_ERR_NO_ERROR ? 0 : -1;
}

int sb_fixture_partitions(const char *topic)
{
    const char *brokers = getenv("SB_KAFKA_BROKERS");
    char errstr[256];
    if (!brokers || !*brokers)
        return -1;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr, sizeof(errstr))) {
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    int n = -1;
    rd_kafka_topic_t *t = rd_kafka_topic_new(rk, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    if (t && rd_kafka_metadata(rk, 0, t, &md, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR)
            n = md->topics[0].partition_cnt;
        rd_kafka_metadata_destroy(md);
    }
    if (t)
        rd_kafka_topic_destroy(t);
    rd_kafka_destroy(rk);
    return n;
}

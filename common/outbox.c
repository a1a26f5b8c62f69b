/* outbox.c - outbox rows in the caller's transaction, and the relay that publishes them. */
#include "common/outbox.h"

#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/log.h"

#define OUTBOX_ROUND_MAX   500
/* Any constant, the same in every replica and service: whoever holds it relays one round. */
#define OUTBOX_LOCK_KEY    "72657302"

struct sb_outbox_relay {
    sb_pg         *pg;
    sb_producer   *producer;
    struct event  *ev_tick, *ev_kick;
    int            holds_lock;
    int            in_flight;       /* a round is waiting for its delivery reports */
    char          *round_ids;       /* array literal of the round's row ids */
    unsigned long  sent;
    sb_counter    *c_sent, *c_failed;
};

int sb_outbox_add(sb_pg *pg, const char *topic, const char *key, const json_t *event)
{
    char *payload = sb_json_dump(event);
    if (!payload || !sb_json_str(event, "type") || !sb_json_str(event, "event_id")) {
        free(payload);
        return -1;
    }
    const char *p[] = {topic, key, payload};
    int rc = sb_pg_exec(pg, "INSERT INTO outbox (topic, msg_key, payload) VALUES ($1, $2, $3::jsonb)",
                        3, p);
    free(payload);
    return rc;
}

/* 1 when this relay may work: it holds (or just took) the relay lock. */
static int relay_take_lock(sb_outbox_relay *r)
{
    if (r->holds_lock)
        return 1;
    const char *p[] = {OUTBOX_LOCK_KEY};
    PGresult *res = sb_pg_query(r->pg, "SELECT pg_try_advisory_lock($1::bigint)", 1, p);
    if (!res)
        return 0;
    r->holds_lock = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    return r->holds_lock;
}

/* Lets another relay (any service's) take the next round: the lock is held for one round
 * only, so a relay whose loop is busy or blocked never stalls every service's outbox. */
static void relay_release_lock(sb_outbox_relay *r)
{
    if (!r->holds_lock)
        return;
    const char *p[] = {OUTBOX_LOCK_KEY};
    r->holds_lock = 0;
    if (sb_pg_exec(r->pg, "SELECT pg_advisory_unlock($1::bigint)", 1, p) != 0)
        sb_warn("outbox_lock", "cannot release the relay lock; it goes with the connection");
}

/* The round is durable (or not): mark its rows sent, or leave them for the next round. */
static void relay_on_round_done(void *opaque, size_t failed)
{
    sb_outbox_relay *r = opaque;
    r->in_flight = 0;
    if (failed) {
        sb_counter_add(r->c_failed, failed);
        sb_warn("outbox_round", "%zu events not delivered; the round is republished", failed);
    } else {
        const char *p[] = {r->round_ids};
        PGresult *res = sb_pg_query(r->pg,
                                    "UPDATE outbox SET sent_at = now() WHERE id = ANY($1::bigint[])",
                                    1, p);
        if (res) {
            unsigned long n = strtoul(PQcmdTuples(res), NULL, 10);
            r->sent += n;
            sb_counter_add(r->c_sent, n);
            PQclear(res);
        }
    }
    free(r->round_ids);
    r->round_ids = NULL;
    relay_release_lock(r);
}

/* Publish one row as part of the round. */
static int relay_publish_row(sb_send_group *g, PGresult *res, int row)
{
    const char *topic = PQgetvalue(res, row, 1), *key = PQgetvalue(res, row, 2);
    const char *payload = PQgetvalue(res, row, 3), *type = PQgetvalue(res, row, 4);
    return sb_send_group_add(g, topic, key, type, payload, strlen(payload));
}

/* The ids of the round as an array literal. */
static char *relay_ids_literal(PGresult *res)
{
    int n = PQntuples(res);
    const char **ids = malloc((size_t)n * sizeof(char *));
    if (!ids)
        return NULL;
    for (int i = 0; i < n; i++)
        ids[i] = PQgetvalue(res, i, 0);
    char *lit = sb_pg_array_literal(ids, (size_t)n);
    free(ids);
    return lit;
}

/* One round: the oldest unsent rows, published in order. */
static void relay_round(sb_outbox_relay *r)
{
    if (r->in_flight || sb_pg_ensure(r->pg) != 0 || !relay_take_lock(r))
        return;
    char limit[16];
    snprintf(limit, sizeof(limit), "%d", OUTBOX_ROUND_MAX);
    const char *p[] = {limit};
    PGresult *res = sb_pg_query(r->pg,
                                "SELECT id, topic, msg_key, payload::text, payload->>'type'"
                                " FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT $1::int",
                                1, p);
    if (!res) {
        relay_release_lock(r);
        return;
    }
    if (PQntuples(res) == 0 || !(r->round_ids = relay_ids_literal(res))) {
        PQclear(res);
        relay_release_lock(r);
        return;
    }
    sb_send_group *g = sb_send_group_new(r->producer, relay_on_round_done, r);
    if (!g) {
        free(r->round_ids);
        r->round_ids = NULL;
        PQclear(res);
        relay_release_lock(r);
        return;
    }
    r->in_flight = 1;
    for (int i = 0; i < PQntuples(res); i++)
        if (relay_publish_row(g, res, i) != 0)
            break;   /* counted as failed: the group reports it and the round is redone */
    PQclear(res);
    sb_send_group_seal(g);
}

/* Timer tick or kick. */
static void relay_on_event(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    relay_round(arg);
}

sb_outbox_relay *sb_outbox_relay_new(struct event_base *base, sb_pg *pg, sb_producer *producer,
                                     int interval_ms, sb_metrics *metrics)
{
    sb_outbox_relay *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->pg = pg;
    r->producer = producer;
    r->ev_tick = event_new(base, -1, EV_PERSIST, relay_on_event, r);
    r->ev_kick = event_new(base, -1, 0, relay_on_event, r);
    if (!r->ev_tick || !r->ev_kick) {
        sb_outbox_relay_free(r);
        return NULL;
    }
    struct timeval tv = {interval_ms / 1000, (interval_ms % 1000) * 1000};
    event_add(r->ev_tick, &tv);
    r->c_sent = sb_metrics_counter(metrics, "outbox_published", "Outbox events published and marked sent", NULL);
    r->c_failed = sb_metrics_counter(metrics, "outbox_failed", "Outbox events the broker did not take", NULL);
    return r;
}

void sb_outbox_relay_kick(sb_outbox_relay *r) { event_active(r->ev_kick, 0, 0); }

unsigned long sb_outbox_relay_sent(const sb_outbox_relay *r) { return r->sent; }

void sb_outbox_relay_free(sb_outbox_relay *r)
{
    if (!r)
        return;
    if (r->in_flight && sb_producer_flush(r->producer, 10000) != 0)
        sb_warn("outbox_shutdown", "a round is still undelivered; it is republished at next start");
    if (r->ev_tick)
        event_free(r->ev_tick);
    if (r->ev_kick)
        event_free(r->ev_kick);
    free(r->round_ids);
    relay_release_lock(r);
    free(r);
}

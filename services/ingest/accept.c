/* accept.c - POST /v1/messages, held open until the broker acknowledged the message. */
#include "services/ingest/accept.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "common/channel.h"
#include "common/clock.h"
#include "common/http.h"
#include "common/log.h"

#define ACCEPT_MAX_BODY (1024 * 1024)
#define ACCEPT_CHANNELS_MAX 16

/*
 * A request waiting for its delivery report.
 *
 * Why holding the evhttp_request across loop iterations is safe even when the client goes away
 * (libevent 2.1, http.c): evhttp_handle_request() sets req->userdone = 0 and disables reading
 * before calling us, so a departed client is normally noticed only when our reply is written;
 * by then userdone is 1 and evhttp frees the request with its connection, after we are done
 * with it. If the failure is noticed earlier (EOF, reset or timeout while we wait),
 * evhttp_connection_fail_() -> evhttp_connection_incoming_fail() sees !req->userdone, removes
 * the request from evcon->requests and sets req->evcon = NULL *without freeing it*, and only
 * then evhttp_connection_free() frees the connection and the requests still listed on it. Our
 * pointer stays valid: when the report arrives we reply as usual, and evhttp_send_reply() ->
 * evhttp_send() sees req->evcon == NULL and just evhttp_request_free()s it. (Tested: clients
 * that hang up while the broker is down, then the broker back; clean under ASan.) The one path
 * that frees a request we still hold is evhttp_free() at shutdown, which frees every
 * connection with its listed requests: hence ingest_accept_drain() before it.
 */
typedef struct accept_pending {
    struct accept_pending *prev, *next;
    ingest_accept         *owner;   /* NULL once let go at shutdown */
    struct evhttp_request *req;     /* NULL once let go at shutdown */
    const sb_channel      *channel;
    char                   message_id[SB_UUID_STRLEN];
} accept_pending;

struct ingest_accept {
    sb_producer          *producer;
    sb_metrics           *metrics;
    const ingest_keys    *keys;
    const ingest_secrets *secrets;
    ingest_recent        *recent;
    accept_pending       *pending;     /* doubly linked, newest first */
    size_t                npending;
    const sb_channel     *channels;    /* sb_channel_all(), to index the counters */
    int                   nchannels;
    sb_counter           *c_accepted[ACCEPT_CHANNELS_MAX];
    sb_counter           *c_queue_full, *c_delivery_failed, *c_produce_error;
    sb_gauge             *g_pending;
};

ingest_accept *ingest_accept_new(sb_producer *producer, sb_metrics *metrics,
                                 const ingest_keys *keys, const ingest_secrets *secrets,
                                 ingest_recent *recent)
{
    ingest_accept *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->producer = producer;
    a->metrics = metrics;
    a->keys = keys;
    a->secrets = secrets;
    a->recent = recent;
    a->channels = sb_channel_all(&a->nchannels);
    for (int i = 0; i < a->nchannels && i < ACCEPT_CHANNELS_MAX; i++) {
        char labels[64];
        snprintf(labels, sizeof labels, "channel=\"%s\"", a->channels[i].name);
        a->c_accepted[i] = sb_metrics_counter(metrics, "ingest_accepted",
                                              "Messages answered 202 (durable in the broker)",
                                              labels);
    }
    static const char help[] = "Messages answered 503 (retry later)";
    a->c_queue_full = sb_metrics_counter(metrics, "ingest_unavailable", help,
                                         "reason=\"queue_full\"");
    a->c_delivery_failed = sb_metrics_counter(metrics, "ingest_unavailable", help,
                                              "reason=\"delivery_failed\"");
    a->c_produce_error = sb_metrics_counter(metrics, "ingest_unavailable", help,
                                            "reason=\"produce_error\"");
    a->g_pending = sb_metrics_gauge(metrics, "ingest_pending",
                                    "Requests waiting for their delivery report", NULL);
    return a;
}

/* Count a rejection under its error code (a small fixed set) and answer it. */
static void accept_reject(ingest_accept *a, struct evhttp_request *req, const sb_error *err)
{
    static const char help[] = "Messages refused (4xx, or 503 when out of memory), by error code";
    char labels[80];
    snprintf(labels, sizeof labels, "reason=\"%s\"", err->code);
    sb_counter_add(sb_metrics_counter(a->metrics, "ingest_rejected", help, labels), 1);
    if (err->status == 401)
        evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate", "Bearer");
    sb_http_reply_error(req, err);
}

/* 503 with Retry-After: the client retries the same external_id, which is idempotent. */
static void accept_unavailable(sb_counter *c, struct evhttp_request *req, const char *why)
{
    sb_counter_add(c, 1);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "1");
    sb_http_reply_errorf(req, 503, "unavailable", "", "%s, retry later", why);
}

/* 202 {"message_id": ...}; written by hand, the hot path needs no JSON tree for it. */
static void accept_reply_accepted(struct evhttp_request *req, const char *message_id)
{
    char body[64];
    int n = snprintf(body, sizeof body, "{\"message_id\":\"%s\"}", message_id);
    sb_http_reply_text(req, 202, "application/json", body, (size_t)n);
}

/* One more 202 for channel ch. */
static void accept_count_accepted(ingest_accept *a, const sb_channel *ch)
{
    ptrdiff_t i = ch - a->channels;
    if (i >= 0 && i < a->nchannels && i < ACCEPT_CHANNELS_MAX)
        sb_counter_add(a->c_accepted[i], 1);
}

/* Link p in as waiting. */
static void accept_link(ingest_accept *a, accept_pending *p)
{
    p->prev = NULL;
    p->next = a->pending;
    if (a->pending)
        a->pending->prev = p;
    a->pending = p;
    a->npending++;
    sb_gauge_set(a->g_pending, (double)a->npending);
}

/* Unlink p: its report is in. */
static void accept_unlink(ingest_accept *a, accept_pending *p)
{
    if (p->prev)
        p->prev->next = p->next;
    else
        a->pending = p->next;
    if (p->next)
        p->next->prev = p->prev;
    a->npending--;
    sb_gauge_set(a->g_pending, (double)a->npending);
}

/* Delivery report, in the loop: 202 once durable, 503 when the broker did not take it. */
static void accept_on_delivery(void *opaque, rd_kafka_resp_err_t err)
{
    accept_pending *p = opaque;
    ingest_accept *a = p->owner;
    if (a) {
        accept_unlink(a, p);
        if (!err) {
            sb_uuid id;
            /* Durable even when the client has gone: GET must know it either way. */
            if (sb_uuid_parse(p->message_id, &id) == 0)
                ingest_recent_add(a->recent, &id);
            accept_count_accepted(a, p->channel);
        }
        if (p->req && !err)
            accept_reply_accepted(p->req, p->message_id);
        else if (p->req)
            accept_unavailable(a->c_delivery_failed, p->req, "the broker did not take the message");
    }
    free(p);
}

/* Hand the event to the producer; the answer comes with the delivery report. */
static void accept_produce(ingest_accept *a, struct evhttp_request *req, const ingest_event *ev)
{
    accept_pending *p = malloc(sizeof *p);
    if (!p) {
        accept_unavailable(a->c_produce_error, req, "out of memory");
        return;
    }
    p->owner = a;
    p->req = req;
    p->channel = ev->channel;
    memcpy(p->message_id, ev->message_id, sizeof p->message_id);
    int rc = sb_producer_send(a->producer, SB_TOPIC_INBOUND, ev->customer_key,
                              strlen(ev->customer_key), "inbound_message", ev->json, ev->len,
                              accept_on_delivery, p);
    if (rc == SB_PRODUCE_OK) {
        accept_link(a, p);
        return;
    }
    free(p);
    if (rc == SB_PRODUCE_QUEUE_FULL)
        accept_unavailable(a->c_queue_full, req, "too many messages in flight");
    else
        accept_unavailable(a->c_produce_error, req, "cannot queue the message");
}

void ingest_accept_handle(struct evhttp_request *req, const char *tail, void *ctx)
{
    (void)tail;
    ingest_accept *a = ctx;
    sb_error err;
    sb_error_clear(&err);
    const sb_channel *key_channel = ingest_keys_lookup(a->keys, sb_http_bearer(req));
    if (!key_channel) {
        sb_error_set(&err, 401, "unauthorized", "Authorization", "a valid channel key is required");
        accept_reject(a, req, &err);
        return;
    }
    json_t *body = sb_http_body_json(req, ACCEPT_MAX_BODY, &err);
    ingest_event ev;
    int rc = body ? ingest_normalize(body, key_channel->name, a->secrets, sb_clock_now_ms(), &ev,
                                     &err)
                  : -1;
    json_decref(body);
    if (rc != 0) {
        accept_reject(a, req, &err);
        return;
    }
    accept_produce(a, req, &ev);
    ingest_event_release(&ev);
}

/* Let go of every waiting request: the HTTP server frees them with their connections. Their
 * reports, if they still come, only free the bookkeeping. */
static void accept_let_go(ingest_accept *a)
{
    accept_pending *p = a->pending;
    while (p) {
        accept_pending *next = p->next;
        p->owner = NULL;
        p->req = NULL;
        p->prev = p->next = NULL;
        p = next;
    }
    a->pending = NULL;
    a->npending = 0;
}

void ingest_accept_drain(ingest_accept *a, int timeout_ms)
{
    if (a->npending == 0)
        return;
    sb_info("draining", "waiting for %zu delivery reports", a->npending);
    if (sb_producer_flush(a->producer, timeout_ms) != 0) {
        /* Purged messages get their report (an error) at the next poll: they are answered 503
         * and their clients retry, possibly against a replica that is up. */
        rd_kafka_t *rk = sb_producer_handle(a->producer);
        rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        for (int i = 0; i < 50 && sb_producer_in_flight(a->producer) > 0; i++)
            rd_kafka_poll(rk, 100);
    }
    if (a->npending)
        sb_warn("draining", "%zu requests left without an answer", a->npending);
    accept_let_go(a);
}

void ingest_accept_free(ingest_accept *a)
{
    if (!a)
        return;
    accept_let_go(a);
    free(a);
}

/* accept.c - POST /v1/messages, held open until the broker acknowledged the message. */
#include "services/ingest/accept.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
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
    struct evhttp_request *req;     /* NULL once answered early or let go at shutdown */
    const sb_channel      *channel;
    ingest_answer          style;
    int64_t                sent_mono_ms;
    int                    late;    /* on the late list: answered 503, report still due */
    char                   message_id[SB_UUID_STRLEN];
} accept_pending;

/* A list of pending requests, newest at the head. */
typedef struct accept_list {
    accept_pending *head, *tail;
    size_t          n;
} accept_list;

struct ingest_accept {
    sb_producer          *producer;
    sb_metrics           *metrics;
    ingest_credentials   *creds;
    const ingest_secrets *secrets;
    ingest_recent        *recent;
    ingest_accept_limits  limits;
    struct event         *ack_timer;
    accept_list           waiting;   /* held until their delivery report */
    accept_list           late;      /* answered 503 at the ack deadline, report still due */
    int                   stalled;   /* a deadline passed and no report succeeded since */
    const sb_channel     *channels;  /* sb_channel_all(), to index the per-channel metrics */
    int                   nchannels;
    sb_counter           *c_accepted[ACCEPT_CHANNELS_MAX], *c_late[ACCEPT_CHANNELS_MAX];
    sb_histogram         *h_produce[ACCEPT_CHANNELS_MAX];
    sb_gauge             *g_pending;
};

/* Seconds from produce to acknowledgement: loopback batches take milliseconds, a broker
 * failover seconds. */
static const double accept_latency_bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                               0.25,  0.5,    1,     2.5,  5,     10};

/* Index of ch in the channel table, or -1. */
static int accept_channel_index(const ingest_accept *a, const sb_channel *ch)
{
    ptrdiff_t i = ch ? ch - a->channels : -1;
    return i >= 0 && i < a->nchannels && i < ACCEPT_CHANNELS_MAX ? (int)i : -1;
}

/* The per-channel metrics, made once. */
static void accept_metrics_init(ingest_accept *a)
{
    size_t nb = sizeof accept_latency_bounds / sizeof accept_latency_bounds[0];
    a->channels = sb_channel_all(&a->nchannels);
    for (int i = 0; i < a->nchannels && i < ACCEPT_CHANNELS_MAX; i++) {
        char labels[64];
        snprintf(labels, sizeof labels, "channel=\"%s\"", a->channels[i].name);
        a->c_accepted[i] = sb_metrics_counter(a->metrics, "ingest_accepted",
                                              "Messages answered 202 (durable in the broker)",
                                              labels);
        a->c_late[i] = sb_metrics_counter(
            a->metrics, "ingest_delivered_late",
            "Messages durable only after their 503 (the client's retry is idempotent)", labels);
        a->h_produce[i] = sb_metrics_histogram(a->metrics, "ingest_produce_seconds",
                                               "Produce to broker acknowledgement", labels,
                                               accept_latency_bounds, nb);
    }
    a->g_pending = sb_metrics_gauge(a->metrics, "ingest_pending",
                                    "Requests waiting for their delivery report", NULL);
}

/* Count one outcome under ingest_rejected (4xx) or ingest_unavailable (503) by channel and
 * reason; the reasons are a small fixed set of codes. */
static void accept_count(ingest_accept *a, const char *metric, const sb_channel *ch,
                         const char *reason)
{
    static const char help_rejected[] = "Messages refused with a 4xx, by channel and error code";
    static const char help_unavailable[] = "Messages answered 503 (retry later), by reason";
    char labels[96];
    snprintf(labels, sizeof labels, "channel=\"%s\",reason=\"%s\"", ch ? ch->name : "unknown",
             reason);
    int rejected = strcmp(metric, "ingest_rejected") == 0;
    sb_counter_add(sb_metrics_counter(a->metrics, metric,
                                      rejected ? help_rejected : help_unavailable, labels),
                   1);
}

void ingest_accept_reject(ingest_accept *a, struct evhttp_request *req, const sb_channel *ch,
                          const sb_error *err)
{
    if (err->status == 503) {
        accept_count(a, "ingest_unavailable", ch, err->code);
        evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "1");
    } else {
        accept_count(a, "ingest_rejected", ch, err->code);
    }
    if (err->status == 401 && strcmp(err->field, "Authorization") == 0)
        evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate", "Bearer");
    sb_http_reply_error(req, err);
}

/* 503 with Retry-After: the client retries the same message, which is idempotent. */
static void accept_unavailable(ingest_accept *a, struct evhttp_request *req,
                               const sb_channel *ch, const char *reason, const char *why)
{
    accept_count(a, "ingest_unavailable", ch, reason);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "1");
    sb_http_reply_errorf(req, 503, "unavailable", "", "%s, retry later", why);
}

/* The answer for a durable message, in the adapter's style. */
static void accept_reply_accepted(struct evhttp_request *req, ingest_answer style,
                                  const char *message_id)
{
    if (style == INGEST_ANSWER_WECHAT) {
        sb_http_reply_text(req, 200, "text/plain; charset=utf-8", "success", 7);
        return;
    }
    char body[64];
    int n = snprintf(body, sizeof body, "{\"message_id\":\"%s\"}", message_id);
    sb_http_reply_text(req, 202, "application/json", body, (size_t)n);
}

/* Link p at the head of l (the newest). */
static void accept_link(accept_list *l, accept_pending *p)
{
    p->prev = NULL;
    p->next = l->head;
    if (l->head)
        l->head->prev = p;
    else
        l->tail = p;
    l->head = p;
    l->n++;
}

/* Unlink p from l. */
static void accept_unlink(accept_list *l, accept_pending *p)
{
    if (p->prev)
        p->prev->next = p->next;
    else
        l->head = p->next;
    if (p->next)
        p->next->prev = p->prev;
    else
        l->tail = p->prev;
    p->prev = p->next = NULL;
    l->n--;
}

/* Delivery report, in the loop: 202 once durable, 503 when the broker did not take it. */
static void accept_on_delivery(void *opaque, rd_kafka_resp_err_t err)
{
    accept_pending *p = opaque;
    ingest_accept *a = p->owner;
    if (a) {
        accept_unlink(p->late ? &a->late : &a->waiting, p);
        sb_gauge_set(a->g_pending, (double)(a->waiting.n + a->late.n));
        int ci = accept_channel_index(a, p->channel);
        if (!err) {
            sb_uuid id;
            a->stalled = 0;
            /* Durable even when the client has gone: GET must know it either way. */
            if (sb_uuid_parse(p->message_id, &id) == 0)
                ingest_recent_add(a->recent, &id, p->channel);
            if (ci >= 0) {
                sb_histogram_observe(a->h_produce[ci],
                                     (double)(sb_clock_mono_ms() - p->sent_mono_ms) / 1000.0);
                sb_counter_add(p->late ? a->c_late[ci] : a->c_accepted[ci], 1);
            }
        }
        if (p->req && !err)
            accept_reply_accepted(p->req, p->style, p->message_id);
        else if (p->req)
            accept_unavailable(a, p->req, p->channel, "delivery_failed",
                               "the broker did not take the message");
    }
    free(p);
}

/* Ack deadline: a request still waiting after limits.ack_timeout_ms is answered 503 now (its
 * message may yet become durable: the retry is idempotent) and the door is marked stalled. */
static void accept_on_ack_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    ingest_accept *a = arg;
    int64_t cutoff = sb_clock_mono_ms() - a->limits.ack_timeout_ms;
    accept_pending *p;
    while ((p = a->waiting.tail) != NULL && p->sent_mono_ms <= cutoff) {
        accept_unlink(&a->waiting, p);
        p->late = 1;
        accept_link(&a->late, p);
        accept_unavailable(a, p->req, p->channel, "ack_timeout",
                           "the broker has not acknowledged the message in time");
        p->req = NULL;
        if (!a->stalled)
            sb_warn("broker_stalled", "no acknowledgement within %lld ms: answering 503 until"
                    " the broker acknowledges again", (long long)a->limits.ack_timeout_ms);
        a->stalled = 1;
    }
}

/* Can a new message go to the producer now? NULL, or why not (the 503's reason). While the
 * broker is stalled one message at a time goes through as a probe: its acknowledgement is what
 * reopens the door. */
static const char *accept_door_closed(ingest_accept *a)
{
    if (a->stalled && a->waiting.n > 0)
        return "broker_stalled";
    if (sb_producer_in_flight(a->producer) >= a->limits.high_water)
        return "queue_full";
    return NULL;
}

/* Hand the event to the producer; the answer comes with the delivery report. */
static void accept_produce(ingest_accept *a, struct evhttp_request *req, const ingest_event *ev,
                           ingest_answer style)
{
    const char *closed = accept_door_closed(a);
    if (closed) {
        accept_unavailable(a, req, ev->channel, closed,
                           strcmp(closed, "queue_full") == 0 ? "too many messages in flight"
                                                             : "the broker is not acknowledging");
        return;
    }
    accept_pending *p = calloc(1, sizeof *p);
    if (!p) {
        accept_unavailable(a, req, ev->channel, "out_of_memory", "out of memory");
        return;
    }
    p->owner = a;
    p->req = req;
    p->channel = ev->channel;
    p->style = style;
    p->sent_mono_ms = sb_clock_mono_ms();
    memcpy(p->message_id, ev->message_id, sizeof p->message_id);
    int rc = sb_producer_send(a->producer, SB_TOPIC_INBOUND, ev->customer_key,
                              strlen(ev->customer_key), "inbound_message", ev->json, ev->len,
                              accept_on_delivery, p);
    if (rc == SB_PRODUCE_OK) {
        accept_link(&a->waiting, p);
        sb_gauge_set(a->g_pending, (double)(a->waiting.n + a->late.n));
        return;
    }
    free(p);
    if (rc == SB_PRODUCE_QUEUE_FULL)
        accept_unavailable(a, req, ev->channel, "queue_full", "too many messages in flight");
    else
        accept_unavailable(a, req, ev->channel, "produce_error", "cannot queue the message");
}

ingest_accept *ingest_accept_new(struct event_base *base, sb_producer *producer,
                                 sb_metrics *metrics, ingest_credentials *creds,
                                 const ingest_secrets *secrets, ingest_recent *recent,
                                 const ingest_accept_limits *limits)
{
    ingest_accept *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->producer = producer;
    a->metrics = metrics;
    a->creds = creds;
    a->secrets = secrets;
    a->recent = recent;
    a->limits = *limits;
    a->ack_timer = event_new(base, -1, EV_PERSIST, accept_on_ack_timer, a);
    struct timeval tick = {0, 100 * 1000};
    if (!a->ack_timer || event_add(a->ack_timer, &tick) != 0) {
        ingest_accept_free(a);
        return NULL;
    }
    accept_metrics_init(a);
    return a;
}

ingest_credentials *ingest_accept_credentials(ingest_accept *a)
{
    return a->creds;
}

ingest_credential *ingest_accept_key(ingest_accept *a, struct evhttp_request *req,
                                     const sb_channel *ch)
{
    sb_error err;
    ingest_credential *cred = ingest_credentials_by_key(a->creds, sb_http_bearer(req));
    if (!cred) {
        sb_error_set(&err, 401, "unauthorized", "Authorization",
                     "the %s channel's key is required", ch->name);
        ingest_accept_reject(a, req, ch, &err);
        return NULL;
    }
    const sb_channel *owner = ingest_credential_channel(cred);
    if (owner != ch) {
        /* Counted under the endpoint's channel: that is where it was refused. */
        sb_error_set(&err, 403, "forbidden", "Authorization",
                     "this key belongs to channel %s, not %s", owner->name, ch->name);
        ingest_accept_reject(a, req, ch, &err);
        return NULL;
    }
    return cred;
}

/* What a request authenticated with a credential of kind presents it in: the field its 429
 * names. */
static const char *accept_credential_field(ingest_cred_kind kind)
{
    switch (kind) {
    case INGEST_CRED_HMAC_SECRET:
        return "X-Signature";
    case INGEST_CRED_WECHAT_TOKEN:
        return "signature";
    case INGEST_CRED_API_KEY:
        break;
    }
    return "Authorization";
}

int ingest_accept_admit(ingest_accept *a, struct evhttp_request *req, ingest_credential *cred)
{
    int retry_after = 1;
    if (ingest_credential_take(cred, sb_clock_mono_ms(), &retry_after) == 0)
        return 0;
    char secs[16];
    sb_error err;
    snprintf(secs, sizeof secs, "%d", retry_after);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", secs);
    sb_error_set(&err, 429, "rate_limited", accept_credential_field(ingest_credential_kind(cred)),
                 "credential %s is over its rate limit", ingest_credential_label(cred));
    ingest_accept_reject(a, req, ingest_credential_channel(cred), &err);
    return -1;
}

void ingest_accept_submit(ingest_accept *a, struct evhttp_request *req, const json_t *body,
                          ingest_credential *cred, ingest_answer style)
{
    sb_error err;
    ingest_event ev;
    const sb_channel *ch = ingest_credential_channel(cred);
    sb_error_clear(&err);
    if (ingest_normalize(body, ch->name, a->secrets, sb_clock_now_ms(), &ev, &err) != 0) {
        ingest_accept_reject(a, req, ch, &err);
        return;
    }
    accept_produce(a, req, &ev, style);
    ingest_event_release(&ev);
}

void ingest_accept_finish(ingest_accept *a, struct evhttp_request *req, json_t *body,
                          const sb_error *err, ingest_credential *cred, ingest_answer style)
{
    if (!body) {
        ingest_accept_reject(a, req, ingest_credential_channel(cred), err);
        return;
    }
    ingest_accept_submit(a, req, body, cred, style);
    json_decref(body);
}

void ingest_accept_handle(struct evhttp_request *req, const char *tail, void *ctx)
{
    (void)tail;
    ingest_accept *a = ctx;
    sb_error err;
    sb_error_clear(&err);
    /* Any channel's key: the body names the channel, which normalisation holds to the key's. */
    ingest_credential *cred = ingest_credentials_by_key(a->creds, sb_http_bearer(req));
    if (!cred) {
        sb_error_set(&err, 401, "unauthorized", "Authorization", "a valid channel key is required");
        ingest_accept_reject(a, req, NULL, &err);
        return;
    }
    if (ingest_accept_admit(a, req, cred) != 0)
        return;
    json_t *body = sb_http_body_json(req, ACCEPT_MAX_BODY, &err);
    ingest_accept_finish(a, req, body, &err, cred, INGEST_ANSWER_JSON);
}

/* Let go of every request of l: the HTTP server frees them with their connections. Their
 * reports, if they still come, only free the bookkeeping. */
static void accept_let_go(accept_list *l)
{
    accept_pending *p = l->head;
    while (p) {
        accept_pending *next = p->next;
        p->owner = NULL;
        p->req = NULL;
        p->prev = p->next = NULL;
        p = next;
    }
    memset(l, 0, sizeof *l);
}

void ingest_accept_drain(ingest_accept *a, int timeout_ms)
{
    if (a->waiting.n + a->late.n == 0)
        return;
    sb_info("draining", "waiting for %zu delivery reports", a->waiting.n + a->late.n);
    if (sb_producer_flush(a->producer, timeout_ms) != 0) {
        /* Purged messages get their report (an error) at the next poll: they are answered 503
         * and their clients retry, possibly against a replica that is up. */
        rd_kafka_t *rk = sb_producer_handle(a->producer);
        rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        for (int i = 0; i < 50 && sb_producer_in_flight(a->producer) > 0; i++)
            rd_kafka_poll(rk, 100);
    }
    if (a->waiting.n)
        sb_warn("draining", "%zu requests left without an answer", a->waiting.n);
    accept_let_go(&a->waiting);
    accept_let_go(&a->late);
}

void ingest_accept_free(ingest_accept *a)
{
    if (!a)
        return;
    accept_let_go(&a->waiting);
    accept_let_go(&a->late);
    if (a->ack_timer)
        event_free(a->ack_timer);
    free(a);
}

/* kafka.c - librdkafka producer, send groups, batch consumer and dead-lettering in the libevent loop. */
#include "common/kafka.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <event2/event.h>
#include <jansson.h>

#include "common/clock.h"
#include "common/ids.h"
#include "common/json.h"
#include "common/log.h"

/* Rebalances wait session.timeout.ms; 6 s keeps a restarted replica's takeover short. */
#define SB_SESSION_TIMEOUT_MS "6000"
#define SB_HEARTBEAT_MS       "500"
/* Safety net for wake-ups librdkafka cannot signal (queue already non-empty). */
#define SB_TICK_MS            50
#define SB_RETRY_MAX_MS       5000
#define SB_DEADLETTER_MAX     (64 * 1024)

struct sb_producer {
    rd_kafka_t        *rk;
    struct event_base *base;
    int                pipefd[2];
    struct event      *ev_reports;
    struct event      *ev_tick;
    size_t             in_flight;
    size_t             max_queued;
    sb_counter        *c_delivered;
    sb_counter        *c_failed;
    sb_histogram      *h_latency;
};

/* What a message carries through librdkafka back to its delivery report. */
typedef struct sb_dr {
    sb_delivery_cb cb;
    void          *opaque;
    int64_t        t0_ms;
} sb_dr;

/* Log librdkafka's own diagnostics as our JSON lines. */
static void kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    sb_log(level <= 3 ? SB_LOG_ERROR : level <= 5 ? SB_LOG_WARN : SB_LOG_DEBUG, "rdkafka",
           "%s: %s", fac, buf);
}

/* Client-level errors (all brokers down, fatal idempotence errors) are reported, not hidden. */
static void kafka_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    (void)opaque;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char buf[256];
        rd_kafka_fatal_error(rk, buf, sizeof(buf));
        sb_error("kafka_fatal", "%s", buf);
        return;
    }
    sb_warn("kafka_error", "%s: %s", rd_kafka_err2name(err), reason);
}

/* Set one property, logging the refusal; 0 or -1. */
static int conf_set(rd_kafka_conf_t *conf, const char *name, const char *value)
{
    char errstr[256];
    if (rd_kafka_conf_set(conf, name, value, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
        sb_error("kafka_conf", "%s=%s: %s", name, value, errstr);
        return -1;
    }
    return 0;
}

rd_kafka_conf_t *sb_kafka_conf_base(const char *brokers, const char *client_id)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (conf_set(conf, "bootstrap.servers", brokers) || conf_set(conf, "client.id", client_id) ||
        conf_set(conf, "socket.nagle.disable", "true")) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_conf_set_log_cb(conf, kafka_log_cb);
    rd_kafka_conf_set_error_cb(conf, kafka_error_cb);
    return conf;
}

/* Non-blocking pipe that librdkafka writes to when a queue becomes non-empty. */
static int wake_pipe_open(int fds[2])
{
    if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
        sb_error("pipe", "pipe2: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* Empty the wake pipe; its content is only a signal. */
static void wake_pipe_drain(int fd)
{
    char buf[256];
    while (read(fd, buf, sizeof(buf)) > 0) {
    }
}

/* ---------------------------------------------------------------- producer */

/* Delivery report: runs inside rd_kafka_poll(), i.e. in the loop thread. */
static void producer_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    sb_producer *p = opaque;
    sb_dr *dr = m->_private;
    p->in_flight--;
    if (m->err) {
        sb_counter_add(p->c_failed, 1);
        sb_warn("kafka_delivery_failed", "%s [%d]: %s", rd_kafka_topic_name(m->rkt), m->partition,
                rd_kafka_err2str(m->err));
    } else {
        sb_counter_add(p->c_delivered, 1);
    }
    if (!dr)
        return;
    sb_histogram_observe(p->h_latency, (double)(sb_clock_mono_ms() - dr->t0_ms));
    if (dr->cb)
        dr->cb(dr->opaque, m->err);
    free(dr);
}

/* The main queue got something (delivery reports, errors): serve it all. */
static void producer_on_wake(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    sb_producer *p = arg;
    if (fd >= 0)
        wake_pipe_drain(fd);
    rd_kafka_poll(p->rk, 0);
}

sb_producer *sb_producer_new(struct event_base *base, const char *brokers,
                             const sb_producer_opts *opts, sb_metrics *metrics, sb_error *err)
{
    char qmax[32], linger[16], timeout[16];
    int max_queued = opts ? opts->max_queued : 0;
    snprintf(linger, sizeof(linger), "%d", opts && opts->linger_ms >= 0 ? opts->linger_ms : 5);
    snprintf(timeout, sizeof(timeout), "%d",
             opts && opts->message_timeout_ms > 0 ? opts->message_timeout_ms : 120000);
    sb_producer *p = calloc(1, sizeof(*p));
    if (!p) {
        sb_error_set(err, 500, "oom", "", "out of memory");
        return NULL;
    }
    p->base = base;
    p->max_queued = max_queued > 0 ? (size_t)max_queued : 100000;
    p->pipefd[0] = p->pipefd[1] = -1;
    snprintf(qmax, sizeof(qmax), "%zu", p->max_queued + 1000);
    rd_kafka_conf_t *conf = sb_kafka_conf_base(brokers, "switchboard-producer");
    if (!conf || conf_set(conf, "enable.idempotence", "true") || conf_set(conf, "acks", "all") ||
        conf_set(conf, "linger.ms", linger) || conf_set(conf, "queue.buffering.max.messages", qmax) ||
        conf_set(conf, "message.timeout.ms", timeout)) {
        if (conf)
            rd_kafka_conf_destroy(conf);
        free(p);
        sb_error_set(err, 500, "kafka", "SB_KAFKA_BROKERS", "invalid producer configuration");
        return NULL;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, producer_dr_cb);
    rd_kafka_conf_set_opaque(conf, p);
    char errstr[512];
    p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!p->rk) {
        rd_kafka_conf_destroy(conf);
        free(p);
        sb_error_set(err, 500, "kafka", "SB_KAFKA_BROKERS", "producer: %s", errstr);
        return NULL;
    }
    if (wake_pipe_open(p->pipefd) != 0) {
        sb_producer_free(p);
        sb_error_set(err, 500, "pipe", "", "cannot create wake pipe");
        return NULL;
    }
    rd_kafka_queue_t *mainq = rd_kafka_queue_get_main(p->rk);
    rd_kafka_queue_io_event_enable(mainq, p->pipefd[1], "1", 1);
    rd_kafka_queue_destroy(mainq);
    p->ev_reports = event_new(base, p->pipefd[0], EV_READ | EV_PERSIST, producer_on_wake, p);
    p->ev_tick = event_new(base, -1, EV_PERSIST, producer_on_wake, p);
    struct timeval tick = {0, SB_TICK_MS * 1000};
    event_add(p->ev_reports, NULL);
    event_add(p->ev_tick, &tick);
    p->c_delivered = sb_metrics_counter(metrics, "kafka_delivered", "Messages the broker acknowledged", NULL);
    p->c_failed = sb_metrics_counter(metrics, "kafka_delivery_failed", "Messages the broker did not take", NULL);
    p->h_latency = sb_metrics_histogram(metrics, "kafka_produce_latency_ms",
                                        "Produce to acknowledgement, milliseconds", NULL,
                                        sb_metrics_latency_ms, 12);
    return p;
}

int sb_producer_send(sb_producer *p, const char *topic, const char *key, size_t key_len,
                     const char *type, const void *payload, size_t len, sb_delivery_cb cb,
                     void *opaque)
{
    if (p->in_flight >= p->max_queued)
        return SB_PRODUCE_QUEUE_FULL;
    sb_dr *dr = malloc(sizeof(*dr));
    if (!dr)
        return SB_PRODUCE_ERROR;
    dr->cb = cb;
    dr->opaque = opaque;
    dr->t0_ms = sb_clock_mono_ms();
    rd_kafka_resp_err_t e;
    if (type)
        e = rd_kafka_producev(p->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, key_len),
                              RD_KAFKA_V_HEADER("type", type, (ssize_t)strlen(type)),
                              RD_KAFKA_V_VALUE((void *)payload, len),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(dr),
                              RD_KAFKA_V_END);
    else
        e = rd_kafka_producev(p->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, key_len),
                              RD_KAFKA_V_VALUE((void *)payload, len),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(dr),
                              RD_KAFKA_V_END);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        free(dr);
        if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL)
            return SB_PRODUCE_QUEUE_FULL;
        sb_error("kafka_produce", "%s: %s", topic, rd_kafka_err2str(e));
        return SB_PRODUCE_ERROR;
    }
    p->in_flight++;
    return SB_PRODUCE_OK;
}

size_t sb_producer_in_flight(const sb_producer *p) { return p->in_flight; }

rd_kafka_t *sb_producer_handle(sb_producer *p) { return p->rk; }

int sb_producer_flush(sb_producer *p, int timeout_ms)
{
    rd_kafka_resp_err_t e = rd_kafka_flush(p->rk, timeout_ms);
    return e == RD_KAFKA_RESP_ERR_NO_ERROR && p->in_flight == 0 ? 0 : -1;
}

void sb_producer_free(sb_producer *p)
{
    if (!p)
        return;
    if (p->rk) {
        if (sb_producer_flush(p, 10000) != 0)
            sb_warn("kafka_flush", "%zu messages still undelivered at shutdown", p->in_flight);
        rd_kafka_destroy(p->rk);
    }
    if (p->ev_reports)
        event_free(p->ev_reports);
    if (p->ev_tick)
        event_free(p->ev_tick);
    if (p->pipefd[0] >= 0)
        close(p->pipefd[0]);
    if (p->pipefd[1] >= 0)
        close(p->pipefd[1]);
    free(p);
}

/* -------------------------------------------------------------- send group */

struct sb_send_group {
    sb_producer     *p;
    size_t           pending;
    size_t           failed;
    int              sealed;
    sb_send_group_cb done;
    void            *opaque;
};

/* Fire the completion once sealed and every report is in; the group is gone afterwards. */
static void group_maybe_done(sb_send_group *g)
{
    if (!g->sealed || g->pending > 0)
        return;
    sb_send_group_cb done = g->done;
    void *opaque = g->opaque;
    size_t failed = g->failed;
    free(g);
    if (done)
        done(opaque, failed);
}

/* One member's delivery report. */
static void group_on_delivery(void *opaque, rd_kafka_resp_err_t err)
{
    sb_send_group *g = opaque;
    g->pending--;
    if (err)
        g->failed++;
    group_maybe_done(g);
}

sb_send_group *sb_send_group_new(sb_producer *p, sb_send_group_cb done, void *opaque)
{
    sb_send_group *g = calloc(1, sizeof(*g));
    if (!g)
        return NULL;
    g->p = p;
    g->done = done;
    g->opaque = opaque;
    return g;
}

int sb_send_group_add(sb_send_group *g, const char *topic, const char *key, const char *type,
                      const void *payload, size_t len)
{
    int64_t give_up = sb_clock_mono_ms() + 30000;
    for (;;) {
        int rc = sb_producer_send(g->p, topic, key, key ? strlen(key) : 0, type, payload, len,
                                  group_on_delivery, g);
        if (rc == SB_PRODUCE_OK) {
            g->pending++;
            return 0;
        }
        if (rc == SB_PRODUCE_ERROR || sb_clock_mono_ms() > give_up) {
            g->failed++;
            return -1;
        }
        /* Queue full: a consumer may wait (it holds no client), so serve reports until room. */
        rd_kafka_poll(g->p->rk, 50);
    }
}

void sb_send_group_fail(sb_send_group *g) { g->failed++; }

void sb_send_group_seal(sb_send_group *g)
{
    g->sealed = 1;
    group_maybe_done(g);
}

/* ---------------------------------------------------------------- consumer */

struct sb_consumer {
    rd_kafka_t          *rk;
    rd_kafka_queue_t    *q;
    struct event_base   *base;
    int                  pipefd[2];
    struct event        *ev_wake, *ev_tick, *ev_next, *ev_retry;
    size_t               max_batch;
    sb_batch_cb          cb;
    void                *ctx;
    rd_kafka_message_t **rkmsgs;
    size_t               nrk;
    sb_batch             batch;          /* every message consumed, in order */
    sb_batch             view;           /* what the service holds: the batch, or one message */
    int                  isolating;      /* the batch was rejected: messages go one at a time */
    size_t               iso_pos;        /* the message being isolated */
    char                 reject_reason[160]; /* set by sb_consumer_batch_reject for this attempt */
    char                 poison_reason[200];
    sb_producer         *dl_producer;    /* where isolated poison goes; NULL: retry forever */
    int                  in_flight;
    int                  retry_ms;
    int64_t              t0_ms;          /* when the batch in flight was handed over */
    char                 group[64];
    sb_rebalance_cb      on_rebalance;   /* optional: the service's view of assignments */
    void                *rebalance_ctx;
    int                  assigned;       /* holds its share: assigned, not revoked since */
    int                  partitions;     /* how many partitions that share has */
    long                 assignments;    /* assignments received so far: rebalances seen */
    sb_counter          *c_messages, *c_batches, *c_retries, *c_poison;
    sb_histogram        *h_batch_ms;
};

/* A single message failing this often, rejected each time, is poison. */
#define SB_POISON_ATTEMPTS 3

/* Commit failures during a rebalance are expected (the next owner replays): log quietly. */
static void consumer_commit_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                               rd_kafka_topic_partition_list_t *offsets, void *opaque)
{
    (void)rk;
    (void)offsets;
    (void)opaque;
    if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
        sb_info("kafka_commit_refused", "%s (messages will be replayed, consumers are idempotent)",
                rd_kafka_err2name(err));
}

/* Release the librdkafka messages behind the current batch. */
static void consumer_release(sb_consumer *c)
{
    for (size_t i = 0; i < c->nrk; i++)
        rd_kafka_message_destroy(c->rkmsgs[i]);
    c->nrk = 0;
    c->batch.n = 0;
}

/* Commit, per partition, the offset after the highest message of the batch. */
static void consumer_commit(sb_consumer *c)
{
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new((int)c->nrk);
    for (size_t i = 0; i < c->nrk; i++) {
        rd_kafka_message_t *m = c->rkmsgs[i];
        const char *topic = rd_kafka_topic_name(m->rkt);
        rd_kafka_topic_partition_t *tp = rd_kafka_topic_partition_list_find(list, topic, m->partition);
        if (!tp)
            tp = rd_kafka_topic_partition_list_add(list, topic, m->partition);
        if (m->offset + 1 > tp->offset)
            tp->offset = m->offset + 1;
    }
    rd_kafka_resp_err_t e = rd_kafka_commit(c->rk, list, 1);
    if (e)
        sb_info("kafka_commit_refused", "%s", rd_kafka_err2name(e));
    rd_kafka_topic_partition_list_destroy(list);
}

/* The "type" header of m, if it has one. */
static void kmsg_type_header(rd_kafka_message_t *m, sb_kmsg *k)
{
    rd_kafka_headers_t *hdrs = NULL;
    const void *val = NULL;
    size_t size = 0;
    k->type = NULL;
    k->type_len = 0;
    if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR &&
        rd_kafka_header_get_last(hdrs, "type", &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR && val) {
        k->type = val;
        k->type_len = size;
    }
}

int sb_kmsg_type_is(const sb_kmsg *m, const char *type)
{
    if (!m->type)
        return -1;
    return m->type_len == strlen(type) && memcmp(m->type, type, m->type_len) == 0;
}

/* Take the next batch from the consumer queue and hand it to the service. */
static void consumer_drain(sb_consumer *c)
{
    while (!c->in_flight) {
        ssize_t n = rd_kafka_consume_batch_queue(c->q, 0, c->rkmsgs, c->max_batch);
        if (n <= 0)
            return;
        c->nrk = (size_t)n;
        c->batch.n = 0;
        for (size_t i = 0; i < c->nrk; i++) {
            rd_kafka_message_t *m = c->rkmsgs[i];
            if (m->err) {
                if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                    sb_warn("kafka_consume", "%s", rd_kafka_message_errstr(m));
                continue;
            }
            sb_kmsg *k = &c->batch.msgs[c->batch.n++];
            k->topic = rd_kafka_topic_name(m->rkt);
            k->partition = m->partition;
            k->offset = m->offset;
            k->key = m->key;
            k->key_len = m->key_len;
            k->payload = m->payload ? m->payload : "";
            k->len = m->len;
            kmsg_type_header(m, k);
        }
        if (c->batch.n == 0) {
            consumer_release(c);
            continue;
        }
        c->in_flight = 1;
        c->isolating = 0;
        c->view = c->batch;
        c->view.attempt = 0;
        c->t0_ms = sb_clock_mono_ms();
        sb_counter_add(c->c_batches, 1);
        sb_counter_add(c->c_messages, c->batch.n);
        c->cb(c->ctx, &c->view);
    }
}

/* Wake-up from librdkafka, the tick, or the end of a batch. */
static void consumer_on_wake(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    sb_consumer *c = arg;
    if (fd >= 0)
        wake_pipe_drain(fd);
    consumer_drain(c);
}

/* Hand the current view (again) to the service. */
static void consumer_on_retry(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    sb_consumer *c = arg;
    c->reject_reason[0] = '\0';
    c->cb(c->ctx, &c->view);
}

/* Hand the view over from the loop after ms (0: at once), never from the caller's stack. */
static void consumer_hand_later(sb_consumer *c, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(c->ev_retry, &tv);
}

/* The whole batch is applied (or its poison dead-lettered): commit it and take the next. */
static void consumer_batch_finished(sb_consumer *c)
{
    c->retry_ms = 0;
    c->isolating = 0;
    sb_histogram_observe(c->h_batch_ms, (double)(sb_clock_mono_ms() - c->t0_ms));
    consumer_commit(c);
    consumer_release(c);
    c->in_flight = 0;
    /* Continue from the loop, not from inside the caller's stack. */
    event_active(c->ev_next, 0, 0);
}

/* The view succeeded: the next isolated message, or the end of the batch. */
static void consumer_view_done(sb_consumer *c)
{
    c->retry_ms = 0;
    if (c->isolating && c->iso_pos + 1 < c->batch.n) {
        c->iso_pos++;
        c->view = (sb_batch){1, &c->batch.msgs[c->iso_pos], 0};
        consumer_hand_later(c, 0);
        return;
    }
    consumer_batch_finished(c);
}

/* The isolated message's dead letter is durable (or not: then it is tried again). */
static void consumer_on_poison_sent(void *opaque, size_t failed)
{
    sb_consumer *c = opaque;
    if (failed) {
        consumer_hand_later(c, SB_RETRY_MAX_MS);
        return;
    }
    sb_counter_add(c->c_poison, 1);
    consumer_view_done(c);
}

/* One message keeps being rejected: dead-letter it with the reason and move on. */
static void consumer_poison(sb_consumer *c)
{
    sb_send_group *g = sb_send_group_new(c->dl_producer, consumer_on_poison_sent, c);
    if (!g) {
        consumer_hand_later(c, SB_RETRY_MAX_MS);
        return;
    }
    sb_deadletter(g, c->group, &c->view.msgs[0], c->poison_reason);
    sb_send_group_seal(g);
}

/* The service could not apply the view: retry it, isolate its messages, or dead-letter one. */
static void consumer_view_failed(sb_consumer *c)
{
    int rejected = c->reject_reason[0] != '\0';
    if (rejected && c->dl_producer) {
        snprintf(c->poison_reason, sizeof(c->poison_reason), "rejected %d times: %s",
                 c->view.attempt + 1, c->reject_reason);
        if (!c->isolating && c->batch.n > 1) {
            /* Someone in the batch is at fault: find who, one message at a time. */
            sb_warn("batch_isolate", "group %s: batch of %zu rejected (%s); isolating its messages",
                    c->group, c->batch.n, c->reject_reason);
            c->reject_reason[0] = '\0';
            c->isolating = 1;
            c->iso_pos = 0;
            c->view = (sb_batch){1, &c->batch.msgs[0], 0};
            consumer_hand_later(c, 0);
            return;
        }
        if (c->view.attempt + 1 >= SB_POISON_ATTEMPTS) {
            c->reject_reason[0] = '\0';
            consumer_poison(c);
            return;
        }
    }
    c->reject_reason[0] = '\0';
    c->retry_ms = c->retry_ms ? c->retry_ms * 2 : 100;
    if (c->retry_ms > SB_RETRY_MAX_MS)
        c->retry_ms = SB_RETRY_MAX_MS;
    sb_warn("batch_retry", "group %s: batch of %zu failed, retrying in %d ms", c->group,
            c->view.n, c->retry_ms);
    c->view.attempt++;
    sb_counter_add(c->c_retries, 1);
    consumer_hand_later(c, c->retry_ms);
}

void sb_consumer_batch_done(sb_consumer *c, sb_batch *batch, int ok)
{
    (void)batch;   /* one batch in flight per consumer: it is c->view */
    if (ok)
        consumer_view_done(c);
    else
        consumer_view_failed(c);
}

void sb_consumer_batch_reject(sb_consumer *c, const char *reason)
{
    snprintf(c->reject_reason, sizeof(c->reject_reason), "%s", reason && *reason ? reason : "rejected");
}

void sb_consumer_set_deadletter(sb_consumer *c, sb_producer *p) { c->dl_producer = p; }

/* The batch's send group completed. */
static void consumer_on_group_done(void *opaque, size_t failed)
{
    sb_consumer *c = opaque;
    sb_consumer_batch_done(c, &c->view, failed == 0);
}

sb_send_group *sb_consumer_batch_group(sb_consumer *c, sb_producer *p, sb_batch *batch)
{
    (void)batch;   /* one batch in flight per consumer: it is c->batch */
    return sb_send_group_new(p, consumer_on_group_done, c);
}

/* Readiness (sb_consumer_assigned): an eager revocation takes everything until the next
 * assignment; a cooperative one only some partitions, and consuming goes on meanwhile. */
static void consumer_note_assignment(sb_consumer *c, int assigned, int cooperative, int n)
{
    if (assigned) {
        c->assigned = 1;
        c->assignments++;
        c->partitions = cooperative ? c->partitions + n : n;
    } else if (cooperative) {
        c->partitions = c->partitions > n ? c->partitions - n : 0;
    } else {
        c->assigned = 0;
        c->partitions = 0;
    }
}

/* Assign or revoke as librdkafka asks, telling the service (revoked before, assigned after);
 * readiness changes before the service is told, so its callback sees the new state. */
static void consumer_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                                  rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    sb_consumer *c = opaque;
    int assigned = err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS;
    int cooperative = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
    if (!assigned)
        consumer_note_assignment(c, 0, cooperative, parts ? parts->cnt : 0);
    if (!assigned && c->on_rebalance)
        c->on_rebalance(c->rebalance_ctx, 0, parts);
    if (cooperative) {
        rd_kafka_error_t *e = assigned ? rd_kafka_incremental_assign(rk, parts)
                                       : rd_kafka_incremental_unassign(rk, parts);
        if (e) {
            sb_warn("kafka_rebalance", "%s", rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
        }
    } else if (rd_kafka_assign(rk, assigned ? parts : NULL) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        sb_warn("kafka_rebalance", "assign failed");
    }
    if (assigned)
        consumer_note_assignment(c, 1, cooperative, parts ? parts->cnt : 0);
    if (assigned && c->on_rebalance)
        c->on_rebalance(c->rebalance_ctx, 1, parts);
}

int sb_consumer_assigned(const sb_consumer *c, int *partitions)
{
    if (partitions)
        *partitions = c->partitions;
    return c->assigned;
}

long sb_consumer_assignments(const sb_consumer *c)
{
    return c->assignments;
}

const char *sb_consumer_group(const sb_consumer *c)
{
    return c->group;
}

void sb_consumer_on_rebalance(sb_consumer *c, sb_rebalance_cb cb, void *ctx)
{
    c->on_rebalance = cb;
    c->rebalance_ctx = ctx;
}

int32_t sb_consumer_partition_count(sb_consumer *c, const char *topic)
{
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(c->rk, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    int32_t n = -1;
    if (rkt && rd_kafka_metadata(c->rk, 0, rkt, &md, 2000) == RD_KAFKA_RESP_ERR_NO_ERROR &&
        md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR)
        n = md->topics[0].partition_cnt;
    if (md)
        rd_kafka_metadata_destroy(md);
    if (rkt)
        rd_kafka_topic_destroy(rkt);
    return n > 0 ? n : -1;
}

/* CRC-32 (IEEE 802.3, reflected, as zlib and librdkafka's rd_crc32 compute it). */
static uint32_t kafka_crc32(const unsigned char *p, size_t len)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return crc ^ 0xFFFFFFFFu;
}

int32_t sb_kafka_partition_of(const void *key, size_t len, int32_t npartitions)
{
    if (!key || len == 0 || npartitions < 1)
        return -1;
    return (int32_t)(kafka_crc32(key, len) % (uint32_t)npartitions);
}

int64_t sb_consumer_lag(sb_consumer *c)
{
    rd_kafka_topic_partition_list_t *parts = NULL;
    if (rd_kafka_assignment(c->rk, &parts) != RD_KAFKA_RESP_ERR_NO_ERROR || !parts)
        return 0;
    int64_t lag = 0;
    if (rd_kafka_position(c->rk, parts) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        for (int i = 0; i < parts->cnt; i++) {
            int64_t low = 0, high = 0;
            rd_kafka_topic_partition_t *tp = &parts->elems[i];
            if (rd_kafka_get_watermark_offsets(c->rk, tp->topic, tp->partition, &low, &high) ==
                    RD_KAFKA_RESP_ERR_NO_ERROR && tp->offset >= 0 && high > tp->offset)
                lag += high - tp->offset;
        }
    }
    rd_kafka_topic_partition_list_destroy(parts);
    return lag;
}

void sb_consumer_batch_abandon(sb_consumer *c, sb_batch *batch)
{
    (void)batch;   /* one batch in flight per consumer: it is c->batch */
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new((int)c->nrk);
    for (size_t i = 0; i < c->nrk; i++) {
        rd_kafka_message_t *m = c->rkmsgs[i];
        const char *topic = rd_kafka_topic_name(m->rkt);
        rd_kafka_topic_partition_t *tp = rd_kafka_topic_partition_list_find(list, topic, m->partition);
        if (!tp) {
            tp = rd_kafka_topic_partition_list_add(list, topic, m->partition);
            tp->offset = m->offset;
        } else if (m->offset < tp->offset) {
            tp->offset = m->offset;
        }
    }
    rd_kafka_error_t *e = rd_kafka_seek_partitions(c->rk, list, 5000);
    if (e) {
        sb_warn("kafka_abandon", "rewind failed: %s", rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
    }
    rd_kafka_topic_partition_list_destroy(list);
    evtimer_del(c->ev_retry);
    consumer_release(c);
    c->in_flight = 0;
    c->isolating = 0;
    event_active(c->ev_next, 0, 0);
}

/* Build the consumer's configuration: manual commits, low-latency fetches, fast rebalances. */
static rd_kafka_conf_t *consumer_conf(const char *brokers, const char *group_id, sb_consumer *c)
{
    rd_kafka_conf_t *conf = sb_kafka_conf_base(brokers, group_id);
    if (!conf)
        return NULL;
    if (conf_set(conf, "group.id", group_id) || conf_set(conf, "enable.auto.commit", "false") ||
        conf_set(conf, "enable.auto.offset.store", "false") ||
        conf_set(conf, "auto.offset.reset", "earliest") ||
        conf_set(conf, "session.timeout.ms", SB_SESSION_TIMEOUT_MS) ||
        conf_set(conf, "heartbeat.interval.ms", SB_HEARTBEAT_MS) ||
        conf_set(conf, "fetch.wait.max.ms", "10") ||
        conf_set(conf, "enable.partition.eof", "false")) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_conf_set_offset_commit_cb(conf, consumer_commit_cb);
    rd_kafka_conf_set_rebalance_cb(conf, consumer_rebalance_cb);
    rd_kafka_conf_set_opaque(conf, c);
    return conf;
}

sb_consumer *sb_consumer_new(struct event_base *base, const char *brokers, const char *group_id,
                             const char *const *topics, size_t ntopics, size_t max_batch,
                             sb_batch_cb cb, void *ctx, sb_metrics *metrics, sb_error *err)
{
    sb_consumer *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->base = base;
    c->cb = cb;
    c->ctx = ctx;
    c->max_batch = max_batch ? max_batch : 500;
    c->pipefd[0] = c->pipefd[1] = -1;
    snprintf(c->group, sizeof(c->group), "%s", group_id);
    c->rkmsgs = calloc(c->max_batch, sizeof(*c->rkmsgs));
    c->batch.msgs = calloc(c->max_batch, sizeof(*c->batch.msgs));
    rd_kafka_conf_t *conf = consumer_conf(brokers, group_id, c);
    char errstr[512];
    if (!c->rkmsgs || !c->batch.msgs || !conf) {
        if (conf)
            rd_kafka_conf_destroy(conf);
        sb_consumer_free(c);
        sb_error_set(err, 500, "kafka", "SB_KAFKA_BROKERS", "invalid consumer configuration");
        return NULL;
    }
    c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    if (!c->rk) {
        rd_kafka_conf_destroy(conf);
        sb_consumer_free(c);
        sb_error_set(err, 500, "kafka", "SB_KAFKA_BROKERS", "consumer: %s", errstr);
        return NULL;
    }
    rd_kafka_poll_set_consumer(c->rk);
    rd_kafka_topic_partition_list_t *subs = rd_kafka_topic_partition_list_new((int)ntopics);
    for (size_t i = 0; i < ntopics; i++)
        rd_kafka_topic_partition_list_add(subs, topics[i], RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(c->rk, subs);
    rd_kafka_topic_partition_list_destroy(subs);
    if (e || wake_pipe_open(c->pipefd) != 0) {
        sb_error_set(err, 500, "kafka", "", "subscribe: %s", rd_kafka_err2str(e));
        sb_consumer_free(c);
        return NULL;
    }
    c->q = rd_kafka_queue_get_consumer(c->rk);
    rd_kafka_queue_io_event_enable(c->q, c->pipefd[1], "1", 1);
    c->ev_wake = event_new(base, c->pipefd[0], EV_READ | EV_PERSIST, consumer_on_wake, c);
    c->ev_tick = event_new(base, -1, EV_PERSIST, consumer_on_wake, c);
    c->ev_next = event_new(base, -1, 0, consumer_on_wake, c);
    c->ev_retry = evtimer_new(base, consumer_on_retry, c);
    struct timeval tick = {0, SB_TICK_MS * 1000};
    event_add(c->ev_wake, NULL);
    event_add(c->ev_tick, &tick);
    char labels[96];
    snprintf(labels, sizeof(labels), "group=\"%s\"", group_id);
    c->c_messages = sb_metrics_counter(metrics, "kafka_consumed", "Messages handed to the service", labels);
    c->c_batches = sb_metrics_counter(metrics, "kafka_batches", "Batches handed to the service", labels);
    c->c_retries = sb_metrics_counter(metrics, "kafka_batch_retries", "Batches redelivered after a failure", labels);
    c->c_poison = sb_metrics_counter(metrics, "kafka_poison", "Messages dead-lettered after being rejected repeatedly", labels);
    c->h_batch_ms = sb_metrics_histogram(metrics, "kafka_batch_ms",
                                         "Batch handed over to done (applied and published), ms",
                                         labels, sb_metrics_latency_ms, 12);
    return c;
}

void sb_consumer_free(sb_consumer *c)
{
    if (!c)
        return;
    if (c->rk) {
        consumer_release(c);
        if (c->q) {
            rd_kafka_queue_io_event_enable(c->q, -1, NULL, 0);
            rd_kafka_queue_destroy(c->q);
        }
        rd_kafka_consumer_close(c->rk);
        rd_kafka_destroy(c->rk);
    }
    struct event *evs[] = {c->ev_wake, c->ev_tick, c->ev_next, c->ev_retry};
    for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
        if (evs[i])
            event_free(evs[i]);
    if (c->pipefd[0] >= 0)
        close(c->pipefd[0]);
    if (c->pipefd[1] >= 0)
        close(c->pipefd[1]);
    free(c->rkmsgs);
    free(c->batch.msgs);
    free(c);
}

/* ------------------------------------------------------------- dead letter */

/* The original bytes as a JSON string when they are UTF-8, else base64. */
static void deadletter_payload(json_t *ev, const sb_kmsg *msg)
{
    size_t len = msg->len > SB_DEADLETTER_MAX ? SB_DEADLETTER_MAX : msg->len;
    json_t *s = json_stringn(msg->payload, len);
    if (s) {
        json_object_set_new(ev, "payload", s);
        return;
    }
    size_t cap = 4 * ((len + 2) / 3) + 1;
    unsigned char *b64 = malloc(cap);
    if (!b64)
        return;
    size_t out = 0;
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *in = (const unsigned char *)msg->payload;
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < len ? (unsigned)in[i + 1] << 8 : 0) |
                     (i + 2 < len ? in[i + 2] : 0);
        b64[out++] = tbl[(v >> 18) & 63];
        b64[out++] = tbl[(v >> 12) & 63];
        b64[out++] = i + 1 < len ? tbl[(v >> 6) & 63] : '=';
        b64[out++] = i + 2 < len ? tbl[v & 63] : '=';
    }
    json_object_set_new(ev, "payload_base64", json_stringn((const char *)b64, out));
    free(b64);
}

int sb_deadletter(sb_send_group *g, const char *consumer, const sb_kmsg *msg, const char *reason)
{
    char where[300], id[SB_UUID_STRLEN], ts[32];
    snprintf(where, sizeof(where), "%s/%d/%lld", msg->topic, msg->partition, (long long)msg->offset);
    /* Same poison message, same dead-letter id: a replay is recognised downstream. */
    sb_ids_derived(where, consumer, id);
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:I}", "type", "deadletter",
                           "event_id", id, "occurred_at",
                           sb_clock_format_iso(sb_clock_now_ms(), ts, sizeof(ts)), "consumer",
                           consumer, "reason", reason, "topic", msg->topic, "partition",
                           (int)msg->partition, "offset", (json_int_t)msg->offset);
    if (!ev)
        return -1;
    deadletter_payload(ev, msg);
    char *body = sb_json_dump(ev);
    json_decref(ev);
    if (!body)
        return -1;
    char key[256];
    size_t klen = msg->key_len < sizeof(key) - 1 ? msg->key_len : sizeof(key) - 1;
    memcpy(key, msg->key ? msg->key : "", msg->key ? klen : 0);
    key[msg->key ? klen : 0] = '\0';
    sb_warn("deadletter", "%s: %s (%s)", consumer, reason, where);
    int rc = sb_send_group_add(g, SB_TOPIC_DEADLETTER, key, "deadletter", body, strlen(body));
    free(body);
    return rc;
}

/* event_consumer.c - parse, dead-letter, claim and apply a consumed batch in one transaction. */
#include "common/event_consumer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/ids.h"
#include "common/json.h"
#include "common/log.h"

#define EVC_MAX_BATCH 500

struct sb_event_consumer {
    sb_consumer           *consumer;
    sb_service            *svc;        /* watches consumer for /readyz */
    sb_pg                 *pg;
    sb_producer           *producer;
    char                   name[64];
    sb_event_consumer_ops  ops;
    void                  *ctx;
    sb_batch              *batch;      /* the batch being finished (one at a time) */
    int                    sending;    /* its send group has not reported yet */
    sb_counter            *c_applied, *c_replayed, *c_skipped, *c_dead;
};

/* One batch's wanted events: records[i] came from the event whose id is ids[i]. */
typedef struct evc_work {
    json_t      *events;    /* owns the parsed events, so ids stay valid */
    json_t      *records;
    const char **ids;
    size_t       n;
    int          failed;    /* out of memory: the batch must be retried, not half-applied */
} evc_work;

/* 0, or -1 when out of memory. */
static int evc_work_init(evc_work *w, size_t cap)
{
    w->events = json_array();
    w->records = json_array();
    w->ids = calloc(cap ? cap : 1, sizeof(*w->ids));
    w->n = 0;
    w->failed = 0;
    return w->events && w->records && w->ids ? 0 : -1;
}

static void evc_work_free(evc_work *w)
{
    json_decref(w->events);
    json_decref(w->records);
    free(w->ids);
}

/* 1 when type is one of the NULL-terminated list. */
static int evc_type_wanted(const char *const *types, const char *type)
{
    for (size_t i = 0; types[i]; i++)
        if (strcmp(types[i], type) == 0)
            return 1;
    return 0;
}

/* Queue msg on the dead-letter topic; a failure to even queue it fails the batch. */
static void evc_deadletter(sb_event_consumer *ec, sb_send_group *g, const sb_kmsg *msg,
                           const char *reason)
{
    sb_counter_add(ec->c_dead, 1);
    if (sb_deadletter(g, ec->name, msg, reason) != 0)
        sb_send_group_fail(g);
}

/* Canonical lower-case UUID, as proto/ requires: the claim compares ids as PostgreSQL prints
 * them, so an upper-case id would never match and the event would look already applied. */
static int evc_uuid_canonical(const char *s)
{
    return s && sb_uuid_valid(s) && strspn(s, "0123456789abcdef-") == 36;
}

/* The envelope of a wanted event; NULL, or the reason it cannot be applied. */
static const char *evc_envelope(const json_t *ev, const sb_kmsg *msg, sb_event_env *env)
{
    env->json = ev;
    env->msg = msg;
    env->type = sb_json_str(ev, "type");
    env->event_id = sb_json_str(ev, "event_id");
    if (!evc_uuid_canonical(env->event_id))
        return "event_id missing or not a canonical lower-case UUID";
    const char *at = sb_json_str(ev, "occurred_at");
    if (!at || sb_clock_parse_iso(at, &env->occurred_ms) != 0)
        return "occurred_at missing or not RFC 3339";
    return NULL;
}

/* 1 when the type header names a type this consumer does not apply: skipped unparsed. */
static int evc_header_unwanted(const char *const *types, const sb_kmsg *msg)
{
    if (!msg->type)
        return 0;
    for (size_t i = 0; types[i]; i++)
        if (sb_kmsg_type_is(msg, types[i]) == 1)
            return 0;
    return 1;
}

/* Parse one message; dead-letter it, skip it, or add its record to w. */
static void evc_collect_one(sb_event_consumer *ec, sb_send_group *g, const sb_kmsg *msg,
                            evc_work *w)
{
    char why[200];
    json_error_t jerr;
    if (evc_header_unwanted(ec->ops.types, msg)) {
        sb_counter_add(ec->c_skipped, 1);
        return;
    }
    json_t *ev = json_loadb(msg->payload, msg->len, JSON_REJECT_DUPLICATES, &jerr);
    if (!ev || !json_is_object(ev)) {
        snprintf(why, sizeof(why), "not a JSON object: %s", ev ? "wrong type" : jerr.text);
        json_decref(ev);
        evc_deadletter(ec, g, msg, why);
        return;
    }
    const char *type = sb_json_str(ev, "type");
    if (!type) {
        json_decref(ev);
        evc_deadletter(ec, g, msg, "not an event: no type");
        return;
    }
    if (!evc_type_wanted(ec->ops.types, type)) {
        sb_counter_add(ec->c_skipped, 1);
        json_decref(ev);
        return;
    }
    sb_event_env env;
    const char *reason = evc_envelope(ev, msg, &env);
    json_t *rec = reason ? NULL : ec->ops.record(ec->ctx, &env, &reason);
    if (!rec) {
        snprintf(why, sizeof(why), "%s event: %s", type, reason ? reason : "cannot be mapped");
        json_decref(ev);
        evc_deadletter(ec, g, msg, why);
        return;
    }
    /* Both appends take their value, even when they fail. */
    int oom = json_array_append_new(w->records, rec) != 0;
    oom |= json_array_append_new(w->events, ev) != 0;
    if (oom)
        w->failed = 1;
    else
        w->ids[w->n++] = env.event_id;
}

/* The records whose events are claimed now for the first time, as JSON text (caller frees). */
static char *evc_fresh_records(sb_event_consumer *ec, const evc_work *w, size_t *nfresh)
{
    unsigned char *is_new = malloc(w->n);
    json_t *fresh = json_array();
    char *text = NULL;
    *nfresh = 0;
    if (is_new && fresh && sb_pg_claim_events(ec->pg, ec->name, w->ids, w->n, is_new) >= 0) {
        int oom = 0;
        for (size_t i = 0; i < w->n && !oom; i++)
            if (is_new[i])
                oom = json_array_append(fresh, json_array_get(w->records, i)) != 0;
        *nfresh = json_array_size(fresh);
        text = oom ? NULL : sb_json_dump(fresh);
    }
    free(is_new);
    json_decref(fresh);
    return text;
}

/* Claim and apply w in one transaction; 0 when committed (or nothing to do), else -1. */
static int evc_apply(sb_event_consumer *ec, const evc_work *w)
{
    if (w->failed)
        return -1;
    if (w->n == 0)
        return 0;
    if (sb_pg_ensure(ec->pg) != 0 || sb_pg_begin(ec->pg) != 0)
        return -1;
    size_t nfresh = 0;
    char *text = evc_fresh_records(ec, w, &nfresh);
    int rc = text ? 0 : -1;
    if (rc == 0 && nfresh > 0)
        rc = ec->ops.apply(ec->ctx, ec->pg, text, nfresh);
    free(text);
    if (rc == 0)
        rc = sb_pg_commit(ec->pg);
    if (rc != 0) {
        sb_pg_rollback(ec->pg);
        return -1;
    }
    sb_counter_add(ec->c_applied, nfresh);
    sb_counter_add(ec->c_replayed, w->n - nfresh);
    if (nfresh > 0 && ec->ops.committed)
        ec->ops.committed(ec->ctx);
    return 0;
}

/* Every dead letter of the batch is durable, or something failed (failed counts the database
 * too): release the batch, or have it redelivered. */
static void evc_on_sent(void *opaque, size_t failed)
{
    sb_event_consumer *ec = opaque;
    ec->sending = 0;
    sb_consumer_batch_done(ec->consumer, ec->batch, failed == 0);
}

/* sb_consumer callback: one batch through the whole pattern. */
static void evc_on_batch(void *arg, sb_batch *batch)
{
    sb_event_consumer *ec = arg;
    ec->batch = batch;
    sb_send_group *g = sb_send_group_new(ec->producer, evc_on_sent, ec);
    if (!g) {
        sb_consumer_batch_done(ec->consumer, batch, 0);
        return;
    }
    evc_work w;
    int rc = evc_work_init(&w, batch->n);
    for (size_t i = 0; rc == 0 && i < batch->n; i++)
        evc_collect_one(ec, g, &batch->msgs[i], &w);
    if (rc == 0)
        rc = evc_apply(ec, &w);
    if (rc != 0) {
        sb_warn("batch_failed", "%s: %zu events not applied, batch will be retried", ec->name,
                w.n);
        sb_service_reject_if_input(ec->consumer, ec->pg);
        sb_send_group_fail(g);
    }
    evc_work_free(&w);
    ec->sending = 1;
    sb_send_group_seal(g);
}

/* Per-consumer counters, labelled with the consumer's name. */
static void evc_metrics(sb_event_consumer *ec, sb_metrics *m)
{
    char l[96];
    snprintf(l, sizeof(l), "consumer=\"%s\"", ec->name);
    ec->c_applied = sb_metrics_counter(m, "events_applied", "Events applied for the first time", l);
    ec->c_replayed = sb_metrics_counter(m, "events_replayed", "Events already applied, ignored", l);
    ec->c_skipped = sb_metrics_counter(m, "events_skipped", "Events of types not consumed", l);
    ec->c_dead = sb_metrics_counter(m, "events_deadlettered", "Events sent to the dead-letter topic", l);
}

sb_event_consumer *sb_event_consumer_new(sb_service *s, const char *name,
                                         const char *const *topics, size_t ntopics,
                                         const sb_event_consumer_ops *ops, void *ctx,
                                         sb_error *err)
{
    if (!s->pg || !s->producer || !ops->types || !ops->record || !ops->apply) {
        sb_error_set(err, 500, "config", "", "%s: needs PostgreSQL, a producer and ops", name);
        return NULL;
    }
    sb_event_consumer *ec = calloc(1, sizeof(*ec));
    if (!ec) {
        sb_error_set(err, 500, "oom", "", "out of memory");
        return NULL;
    }
    snprintf(ec->name, sizeof(ec->name), "%s", name);
    ec->pg = s->pg;
    ec->producer = s->producer;
    ec->ops = *ops;
    ec->ctx = ctx;
    evc_metrics(ec, s->metrics);
    ec->consumer = sb_consumer_new(s->base, s->cfg.kafka_brokers, name, topics, ntopics,
                                   ops->max_batch ? ops->max_batch : EVC_MAX_BATCH,
                                   evc_on_batch, ec, s->metrics, err);
    if (!ec->consumer) {
        free(ec);
        return NULL;
    }
    sb_consumer_set_deadletter(ec->consumer, s->producer);
    if (sb_service_watch_consumer(s, ec->consumer) != 0) {
        sb_error_set(err, 500, "config", "", "%s: too many consumers in one process", name);
        sb_consumer_free(ec->consumer);
        free(ec);
        return NULL;
    }
    ec->svc = s;
    return ec;
}

sb_consumer *sb_event_consumer_kafka(sb_event_consumer *ec)
{
    return ec->consumer;
}

void sb_event_consumer_free(sb_event_consumer *ec)
{
    if (!ec)
        return;
    /* The producer outlives us: let a pending group report now, while ec still exists. */
    if (ec->sending && sb_producer_flush(ec->producer, 10000) != 0)
        sb_warn("shutdown", "%s: dead letters still undelivered, the batch will be replayed",
                ec->name);
    sb_service_unwatch_consumer(ec->svc, ec->consumer);
    sb_consumer_free(ec->consumer);
    free(ec);
}

/* main.c - classify: inbound messages become customers, numbered and classified tickets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "common/clock.h"
#include "common/json.h"
#include "common/log.h"
#include "common/seal.h"
#include "common/service.h"
#include "common/ticket_event.h"

#define CLASSIFY_MAX_BATCH 500

/* Decode every message; poison goes to the dead-letter topic as part of the group. */
static size_t classify_decode_all(classify_ctx *cx, sb_batch *batch, classify_item *items,
                                  sb_send_group *g)
{
    size_t n = 0;
    for (size_t i = 0; i < batch->n; i++) {
        const char *reason = NULL;
        if (classify_decode(cx, &batch->msgs[i], &items[n], &reason) == 0) {
            n++;
            continue;
        }
        classify_item_release(&items[n]);
        sb_counter_add(cx->c_deadletters, 1);
        sb_deadletter(g, "classify", &batch->msgs[i], reason);
    }
    return n;
}

/* One consumed batch: decode, apply in one transaction, publish, then let the consumer commit. */
static void classify_on_batch(void *ctx, sb_batch *batch)
{
    classify_ctx *cx = ctx;
    int64_t t0 = sb_clock_mono_ms();
    classify_item *items = calloc(batch->n, sizeof(*items));
    json_t *events = json_array();
    sb_send_group *g = sb_consumer_batch_group(cx->consumer, cx->producer, batch);
    if (!items || !events || !g) {
        free(items);
        json_decref(events);
        if (!g) {
            sb_consumer_batch_done(cx->consumer, batch, 0);
            return;
        }
        sb_send_group_fail(g);
        sb_send_group_seal(g);
        return;
    }
    size_t n = classify_decode_all(cx, batch, items, g);
    int rc = classify_apply(cx, items, n, events);
    sb_histogram_observe(cx->h_apply_ms, (double)(sb_clock_mono_ms() - t0));
    if (rc == 0) {
        size_t fresh = 0;
        for (size_t i = 0; i < n; i++)
            fresh += items[i].is_new;
        sb_counter_add(cx->c_tickets, fresh);
        sb_counter_add(cx->c_replays, n - fresh);
        rc = sb_ticket_events_publish_texts(g, events, &cx->texts);
    }
    sb_event_texts_free(&cx->texts);
    for (size_t i = 0; i < n; i++)
        classify_item_release(&items[i]);
    free(items);
    json_decref(events);
    if (rc != 0) {
        /* Offsets stay uncommitted: the group completes as a failure and the batch comes again. */
        sb_error("classify_batch", "batch of %zu not applied; it will be retried", batch->n);
        sb_service_reject_if_input(cx->consumer, cx->pg);
        sb_send_group_fail(g);
    }
    sb_send_group_seal(g);
}

/* Metrics and rules: everything the consumer callback needs. */
static int classify_ctx_init(classify_ctx *cx, sb_service *s)
{
    memset(cx, 0, sizeof(*cx));
    cx->pg = s->pg;
    cx->producer = s->producer;
    sb_seal_key(s->cfg.customer_key_secret, cx->seal_key);
    cx->c_tickets = sb_metrics_counter(s->metrics, "classify_tickets_opened", "Tickets opened", NULL);
    cx->c_replays = sb_metrics_counter(s->metrics, "classify_replays", "Messages seen again (already applied)", NULL);
    cx->c_deadletters = sb_metrics_counter(s->metrics, "classify_deadletters", "Messages dead-lettered", NULL);
    cx->h_apply_ms = sb_metrics_histogram(s->metrics, "classify_apply_ms",
                                          "Batch decode + PostgreSQL transaction, ms", NULL,
                                          sb_metrics_latency_ms, 12);
    static const char *const stages[CLASSIFY_ST_COUNT] = {
        "claim", "customers", "thread", "number", "decide", "tickets", "orders", "suggest",
        "events", "replay", "commit"};
    for (int i = 0; i < CLASSIFY_ST_COUNT; i++) {
        char label[48];
        snprintf(label, sizeof(label), "stage=\"%s\"", stages[i]);
        cx->c_stage_us[i] = sb_metrics_counter(s->metrics, "classify_stage_us",
                                               "Time spent in each part of the batches, us",
                                               label);
    }
    return classify_decide_init(cx, s->base);
}

int main(void)
{
    sb_service s;
    classify_ctx cx;
    if (sb_service_init(&s, "classify", "127.0.0.1:8084", SB_SVC_PG | SB_SVC_PRODUCER) != 0)
        return 1;
    int rc = 1;
    if (classify_ctx_init(&cx, &s) == 0) {
        const char *topics[] = {SB_TOPIC_INBOUND};
        rc = sb_service_consume(&s, "classify", topics, 1, CLASSIFY_MAX_BATCH, classify_on_batch, &cx,
                                &cx.consumer) == 0 ? 0 : 1;
    }
    classify_decide_close(&cx);
    classify_serials_free(&cx.serials);
    sb_event_texts_free(&cx.texts);
    sb_service_close(&s);
    return rc;
}

/* main.c - dispatch: classified tickets go to the least-loaded agent of their department. */
#include <stdlib.h>
#include <string.h>

#include "dispatch.h"
#include "common/json.h"
#include "common/log.h"
#include "common/service.h"
#include "common/ticket_event.h"

#define DISPATCH_MAX_BATCH 500

/* Read a classified event; 1 when it is one, 0 for other types (skipped), -1 when malformed. */
static int dispatch_decode(const sb_kmsg *msg, dispatch_item *it, const char **reason)
{
    memset(it, 0, sizeof(*it));
    if (sb_kmsg_type_is(msg, "classified") == 0)
        return 0;   /* the header says it is another type: no need to parse it */
    it->ev = json_loadb(msg->payload, msg->len, JSON_REJECT_DUPLICATES, NULL);
    const char *type = sb_json_str(it->ev, "type");
    if (!type) {
        *reason = "not a ticket event";
        return -1;
    }
    if (strcmp(type, "classified") != 0)
        return 0;
    json_t *d = json_object_get(it->ev, "data");
    it->event_id = sb_json_str(it->ev, "event_id");
    it->ticket_id = sb_json_str(it->ev, "ticket_id");
    it->number = sb_json_str(it->ev, "ticket_number");
    it->department = sb_json_str(d, "department");
    it->priority = sb_json_str(d, "priority");
    it->urgency = sb_json_str(d, "urgency");
    it->channel = sb_json_str(d, "channel");
    if (!it->event_id || !sb_uuid_valid(it->event_id) || !it->ticket_id ||
        !sb_uuid_valid(it->ticket_id) || !it->number || !it->department || !it->priority ||
        !it->urgency || !it->channel) {
        *reason = "classified event lacks ids, department, priority, urgency or channel";
        return -1;
    }
    sb_ids_derived(it->event_id, "assigned", it->assigned_id);
    return 1;
}

/* Decode the batch: keep classified events, dead-letter malformed ones, skip the rest. */
static size_t dispatch_decode_all(dispatch_ctx *cx, sb_batch *batch, dispatch_item *items,
                                  sb_send_group *g)
{
    size_t n = 0;
    for (size_t i = 0; i < batch->n; i++) {
        const char *reason = NULL;
        int rc = dispatch_decode(&batch->msgs[i], &items[n], &reason);
        if (rc == 1) {
            n++;
            continue;
        }
        json_decref(items[n].ev);
        if (rc < 0) {
            sb_counter_add(cx->c_deadletters, 1);
            sb_deadletter(g, "dispatch", &batch->msgs[i], reason);
        }
    }
    return n;
}

/* Assigned events on sb.tickets.v1, their task notices on sb.notifications.v1. */
static int dispatch_publish(sb_send_group *g, const json_t *events)
{
    if (sb_ticket_events_publish(g, events) != 0)
        return -1;
    size_t i;
    json_t *ev;
    json_array_foreach(events, i, ev) {
        json_t *notice = assign_notice(ev);
        char *body = notice ? sb_json_dump(notice) : NULL;
        const char *to = sb_json_str(notice, "recipient");
        int rc = body ? sb_send_group_add(g, SB_TOPIC_NOTIFICATIONS, to, "task_notice", body,
                                                strlen(body)) : -1;
        free(body);
        json_decref(notice);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* Count what the batch did. */
static void dispatch_count(dispatch_ctx *cx, const dispatch_item *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!items[i].is_new)
            sb_counter_add(cx->c_replays, 1);
        else if (items[i].agent)
            sb_counter_add(cx->c_assigned, 1);
        else
            sb_counter_add(cx->c_unassigned, 1);
    }
}

/* One consumed batch: decode, assign in one transaction, publish, then let the consumer commit. */
static void dispatch_on_batch(void *ctx, sb_batch *batch)
{
    dispatch_ctx *cx = ctx;
    dispatch_item *items = calloc(batch->n, sizeof(*items));
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
    size_t n = dispatch_decode_all(cx, batch, items, g);
    int rc = assign_apply(cx, items, n, events);
    if (rc == 0) {
        dispatch_count(cx, items, n);
        rc = dispatch_publish(g, events);
    }
    for (size_t i = 0; i < n; i++)
        json_decref(items[i].ev);
    free(items);
    json_decref(events);
    if (rc != 0) {
        /* Offsets stay uncommitted: the group completes as a failure and the batch comes again. */
        sb_error("dispatch_batch", "batch of %zu not applied; it will be retried", batch->n);
        sb_service_reject_if_input(cx->consumer, cx->pg);
        sb_send_group_fail(g);
    }
    sb_send_group_seal(g);
}

/* Metrics and the roster: everything the consumer callback needs. */
static int dispatch_ctx_init(dispatch_ctx *cx, sb_service *s)
{
    memset(cx, 0, sizeof(*cx));
    cx->pg = s->pg;
    cx->producer = s->producer;
    cx->c_assigned = sb_metrics_counter(s->metrics, "dispatch_assigned", "Tickets assigned", NULL);
    cx->c_unassigned = sb_metrics_counter(s->metrics, "dispatch_unassigned", "Tickets no agent could take", NULL);
    cx->c_replays = sb_metrics_counter(s->metrics, "dispatch_replays", "Classified events seen again", NULL);
    cx->c_deadletters = sb_metrics_counter(s->metrics, "dispatch_deadletters", "Events dead-lettered", NULL);
    return routing_roster_load(s->pg, &cx->roster);
}

int main(void)
{
    sb_service s;
    dispatch_ctx cx;
    if (sb_service_init(&s, "dispatch", "127.0.0.1:8085", SB_SVC_PG | SB_SVC_PRODUCER) != 0)
        return 1;
    int rc = 1;
    if (dispatch_ctx_init(&cx, &s) == 0) {
        const char *topics[] = {SB_TOPIC_TICKETS};
        rc = sb_service_consume(&s, "dispatch", topics, 1, DISPATCH_MAX_BATCH, dispatch_on_batch, &cx,
                                &cx.consumer) == 0 ? 0 : 1;
        routing_roster_free(&cx.roster);
    }
    sb_service_close(&s);
    return rc;
}

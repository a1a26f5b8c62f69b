/* placer.c - stage two: the commands of the departments this replica owns, applied in order
 * against their queues and agents' loads, decided in one PostgreSQL transaction per batch. */
#include "dispatch.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/clock.h"
#include "common/json.h"
#include "common/log.h"
#include "common/service.h"
#include "common/ticket_event.h"

/* Everything one batch works with. */
typedef struct placer_batch {
    dispatch_ctx      *cx;
    dispatch_cmd      *cmds;
    size_t             ncmds;
    const char       **bad;        /* per message: why it is dead-lettered, or NULL */
    dispatch_decision *ds;
    size_t             nds, cap;
    int64_t            now;
} placer_batch;

/* ------------------------------------------------------------------ decoding */

static int role_parse(const sb_kmsg *m, dispatch_role *role)
{
    static const struct { const char *name; dispatch_role role; } roles[] = {
        {"offer", DISPATCH_OFFER}, {"reoffer", DISPATCH_REOFFER},
        {"release", DISPATCH_RELEASE}, {"take", DISPATCH_TAKE}};
    for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
        if (sb_kmsg_type_is(m, roles[i].name) == 1) {
            *role = roles[i].role;
            return 0;
        }
    return -1;
}

/* Copy a string field (or "") into a fixed buffer; -1 when it does not fit. */
static int copy_field(char *dst, size_t cap, const json_t *obj, const char *key)
{
    const char *v = sb_json_str(obj, key);
    if (!v)
        v = "";
    if (strlen(v) >= cap)
        return -1;
    memcpy(dst, v, strlen(v) + 1);
    return 0;
}

/* The ticket fields a classified offer carries. */
static int decode_ticket(dispatch_ctx *cx, const json_t *j, dispatch_ticket *t)
{
    int64_t created = 0;
    if (copy_field(t->channel, sizeof(t->channel), j, "channel") ||
        copy_field(t->category, sizeof(t->category), j, "category") ||
        copy_field(t->subtopic, sizeof(t->subtopic), j, "subtopic") ||
        copy_field(t->urgency, sizeof(t->urgency), j, "urgency") ||
        copy_field(t->language, sizeof(t->language), j, "language") ||
        sb_clock_parse_iso(sb_json_str(j, "occurred_at"), &created) != 0)
        return -1;
    t->priority = roster_priority_index(sb_json_str(j, "priority"));
    t->created_ms = created;
    snprintf(t->skill, sizeof(t->skill), "%s",
             roster_skill_for(&cx->roster, t->category, t->subtopic));
    return t->priority < 0 ? -1 : 0;
}

/* One command; NULL, or why it cannot be applied. */
static const char *decode_cmd(dispatch_ctx *cx, const sb_kmsg *m, dispatch_cmd *c)
{
    static const char *const names[] = {"offer", "reoffer", "release", "take"};
    memset(c, 0, sizeof(*c));
    if (role_parse(m, &c->role) != 0)
        return "unknown command role";
    json_t *j = json_loadb(m->payload, m->len, JSON_REJECT_DUPLICATES, NULL);
    const char *why = NULL;
    if (!sb_uuid_valid(sb_json_str(j, "event_id")) || !sb_uuid_valid(sb_json_str(j, "ticket_id")) ||
        copy_field(c->t.number, sizeof(c->t.number), j, "number") ||
        copy_field(c->agent, sizeof(c->agent), j, "agent") ||
        copy_field(c->t.department, sizeof(c->t.department), j, "department"))
        why = "command lacks ids or has over-long fields";
    else if ((c->role == DISPATCH_RELEASE || c->role == DISPATCH_TAKE) && !c->agent[0])
        why = "release/take command names no agent";
    if (!why) {
        snprintf(c->event_id, sizeof(c->event_id), "%s", sb_json_str(j, "event_id"));
        snprintf(c->t.id, sizeof(c->t.id), "%s", sb_json_str(j, "ticket_id"));
        sb_ids_derived(c->event_id, names[c->role], c->claim_id);
        c->needs_lookup = json_is_true(json_object_get(j, "lookup"));
        c->handoff = !json_is_false(json_object_get(j, "handoff"));
        if (c->role == DISPATCH_OFFER && !c->needs_lookup && decode_ticket(cx, j, &c->t) != 0)
            why = "offer lacks channel, category, priority or occurred_at";
        if (c->role == DISPATCH_REOFFER)
            snprintf(c->t.exclude, sizeof(c->t.exclude), "%s", c->agent);
    }
    c->partition = m->partition;
    json_decref(j);
    return why;
}

/* ------------------------------------------------------------------ decisions */

/* Room for one more decision. */
static dispatch_decision *decision_new(placer_batch *b)
{
    dispatch_decision *ds = sb_array_grow(b->ds, &b->cap, b->nds + 1, sizeof(*ds), 64);
    if (!ds)
        return NULL;
    b->ds = ds;
    dispatch_decision *d = &b->ds[b->nds++];
    memset(d, 0, sizeof(*d));
    return d;
}

/* Give t to agent a (already counted), or queue it when a is NULL. */
static dispatch_decision *decide(placer_batch *b, const dispatch_ticket *t, dispatch_agent *a,
                                 const char *cause_id, const char *why)
{
    /* cause_id (and t) may point into b->ds, which decision_new may move: copy them first.
     * An undone hand-off passes its own decision's cause (seen by ASan in dispatch_burst). */
    char cause[sizeof(((dispatch_decision *)0)->cause_id)];
    snprintf(cause, sizeof(cause), "%s", cause_id ? cause_id : "");
    dispatch_ticket ticket = *t;
    dispatch_decision *d = decision_new(b);
    if (!d)
        return NULL;
    d->t = ticket;
    d->agent = a;
    d->queued = a == NULL;
    if (cause_id)
        sb_ids_derived(cause, "decision", d->event_id);
    else
        sb_uuid_v4_str(d->event_id);
    snprintf(d->cause_id, sizeof(d->cause_id), "%s", cause);
    snprintf(d->reason, sizeof(d->reason), "%s", why);
    return d;
}

/* Place t in department dd: the best agent with room, else the queue. prefix starts the
 * reason (a re-offer says why). */
static dispatch_decision *place(placer_batch *b, dispatch_dept *dd, const dispatch_ticket *t,
                                const char *cause_id, const char *prefix)
{
    dispatch_agent *a = capacity_pick(&b->cx->roster, t);
    char why[512];
    if (a) {
        snprintf(why, sizeof(why), "%.120sleast open tickets in %.64s%s%.32s (%d of %d open "
                 "before this one)", prefix, t->department, t->skill[0] ? " with skill " : "",
                 t->skill, a->open, a->max_open);
        capacity_take(&b->cx->roster, a, t->id);
        return decide(b, t, a, cause_id, why);
    }
    snprintf(why, sizeof(why), "%.120sno on-duty agent of %.64s%s%.32s%s%.3s with free capacity: "
             "waiting", prefix, t->department, t->skill[0] ? " with skill " : "", t->skill,
             t->language[0] ? " speaking " : "", t->language);
    queue_push(dd, t);
    return decide(b, t, NULL, cause_id, why);
}

/* The oldest highest-priority waiting ticket a freed agent may take goes to them. */
static void hand_off(placer_batch *b, dispatch_dept *dd, dispatch_agent *a, const char *cause_id)
{
    dispatch_ticket t;
    if (!a->on_duty || a->open >= a->max_open || !queue_take_for(dd, a, &t))
        return;
    char why[512];
    snprintf(why, sizeof(why), "%.64s freed up: oldest highest-priority waiting ticket of %.64s "
             "(%d of %d open before this one)", a->id, dd->id, a->open, a->max_open);
    capacity_take(&b->cx->roster, a, t.id);
    dispatch_decision *d = decide(b, &t, a, cause_id, why);
    if (d) {
        d->handoff = 1;
        sb_counter_add(b->cx->c_handoffs, 1);
    }
}

/* The agent timed out: another agent of the department, or the queue. */
static void reoffer(placer_batch *b, dispatch_dept *dd, const dispatch_cmd *c)
{
    dispatch_agent *old = roster_agent(&b->cx->roster, c->agent);
    char prefix[128];
    snprintf(prefix, sizeof(prefix), "re-offered: %.64s did not acknowledge in time; ", c->agent);
    dispatch_decision *d = place(b, dd, &c->t, c->claim_id, prefix);
    if (!d)
        return;
    d->reoffer = 1;
    snprintf(d->released, sizeof(d->released), "%s", c->agent);
    /* Their capacity is counted here only when their home is this department. */
    if (old && !strcmp(old->department, dd->id))
        capacity_release(old, c->t.id);
    sb_counter_add(b->cx->c_reoffers, 1);
}

/* 1 when a decision of this batch already gave ticket_id to an agent (a freed agent took it
 * from the queue before its own offer came: a requeued event releases, then offers). Two
 * assignments of one ticket in a batch would fail its whole INSERT, batch after batch. */
static int assigned_in_batch(const placer_batch *b, const char *ticket_id)
{
    for (size_t i = 0; i < b->nds; i++)
        if (b->ds[i].agent && !strcmp(b->ds[i].t.id, ticket_id))
            return 1;
    return 0;
}

/* Apply one new command to its department's state. 0 or -1. */
static int apply_cmd(placer_batch *b, dispatch_cmd *c)
{
    dispatch_dept *dd = ownership_dept(b->cx, c->t.department, c->partition);
    if (!dd)
        return -1;
    dispatch_agent *a = roster_agent(&b->cx->roster, c->agent);
    switch (c->role) {
    case DISPATCH_OFFER:
        queue_remove(dd, c->t.id);   /* it may be there already, from a reload */
        if (assigned_in_batch(b, c->t.id))
            return 0;
        return place(b, dd, &c->t, c->claim_id, "") ? 0 : -1;
    case DISPATCH_REOFFER:
        queue_remove(dd, c->t.id);
        reoffer(b, dd, c);
        return 0;
    case DISPATCH_RELEASE:
        if (!a)
            return 0;
        capacity_release(a, c->t.id);
        if (c->handoff)
            hand_off(b, dd, a, c->claim_id);
        return 0;
    case DISPATCH_TAKE:
        if (a)
            capacity_take(&b->cx->roster, a, c->t.id);
        return 0;
    }
    return 0;
}

/* ------------------------------------------------------------------ the batch */

/* The distinct partitions of the batch's messages. */
static size_t batch_partitions(const sb_batch *batch, int32_t *out)
{
    size_t n = 0;
    for (size_t i = 0; i < batch->n; i++) {
        size_t k = 0;
        while (k < n && out[k] != batch->msgs[i].partition)
            k++;
        if (k == n)
            out[n++] = batch->msgs[i].partition;
    }
    return n;
}

/* Claim every command; is_new set on each. 0 or -1. */
static int claim_cmds(placer_batch *b)
{
    if (b->ncmds == 0)
        return 0;
    const char **ids = malloc(b->ncmds * sizeof(*ids));
    unsigned char *fresh = malloc(b->ncmds);
    int rc = ids && fresh ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < b->ncmds; i++)
        ids[i] = b->cmds[i].claim_id;
    if (rc == 0)
        rc = sb_pg_claim_events(b->cx->pg, "dispatch", ids, b->ncmds, fresh) < 0 ? -1 : 0;
    for (size_t i = 0; rc == 0 && i < b->ncmds; i++)
        b->cmds[i].is_new = fresh[i];
    free(ids);
    free(fresh);
    return rc;
}

/* Fill the tickets of commands that carry only an id from PostgreSQL. 0 or -1. */
static int lookup_tickets(placer_batch *b)
{
    for (size_t i = 0; i < b->ncmds; i++) {
        dispatch_cmd *c = &b->cmds[i];
        if (!c->is_new || !c->needs_lookup)
            continue;
        const char *p[] = {c->t.id};
        PGresult *res = sb_pg_query(b->cx->pg,
            "SELECT number, channel, coalesce(category, ''), coalesce(subtopic, ''),"
            "  coalesce(urgency, ''), coalesce(language, ''), coalesce(priority, 'P3'),"
            "  (extract(epoch FROM created_at) * 1000)::bigint"
            " FROM tickets WHERE id = $1::uuid",
            1, p);
        if (!res)
            return -1;
        if (PQntuples(res) == 1) {
            snprintf(c->t.number, sizeof(c->t.number), "%s", PQgetvalue(res, 0, 0));
            snprintf(c->t.channel, sizeof(c->t.channel), "%s", PQgetvalue(res, 0, 1));
            snprintf(c->t.category, sizeof(c->t.category), "%s", PQgetvalue(res, 0, 2));
            snprintf(c->t.subtopic, sizeof(c->t.subtopic), "%s", PQgetvalue(res, 0, 3));
            snprintf(c->t.urgency, sizeof(c->t.urgency), "%s", PQgetvalue(res, 0, 4));
            snprintf(c->t.language, sizeof(c->t.language), "%s", PQgetvalue(res, 0, 5));
            c->t.priority = roster_priority_index(PQgetvalue(res, 0, 6));
            c->t.created_ms = strtoll(PQgetvalue(res, 0, 7), NULL, 10);
            snprintf(c->t.skill, sizeof(c->t.skill), "%s",
                     roster_skill_for(&b->cx->roster, c->t.category, c->t.subtopic));
        } else {
            c->is_new = 0;   /* no such ticket: nothing to place (stays claimed) */
        }
        PQclear(res);
    }
    return 0;
}

/* The decision events a replayed command implied, as stored the first time. */
static int load_replayed(placer_batch *b, json_t *events)
{
    size_t m = 0;
    char (*ids)[SB_UUID_STRLEN] = calloc(b->ncmds ? b->ncmds : 1, sizeof(*ids));
    const char **ptrs = calloc(b->ncmds ? b->ncmds : 1, sizeof(*ptrs));
    int rc = ids && ptrs ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < b->ncmds; i++)
        if (!b->cmds[i].is_new) {
            sb_ids_derived(b->cmds[i].claim_id, "decision", ids[m]);
            ptrs[m] = ids[m];
            m++;
        }
    if (rc == 0 && m)
        rc = sb_ticket_events_load(b->cx->pg, ptrs, m, events);
    free(ids);
    free(ptrs);
    return rc;
}

/* Undo a decision PostgreSQL refused (the ticket moved on meanwhile); a freed agent it was for
 * tries the next waiting ticket. */
static void undo_decision(placer_batch *b, dispatch_decision *d)
{
    dispatch_dept *dd = ownership_find(b->cx, d->t.department);
    sb_counter_add(b->cx->c_stale, 1);
    if (d->reoffer) {
        /* The timed-out agent still has it (acknowledged meanwhile): count it back. */
        dispatch_agent *old = roster_agent(&b->cx->roster, d->released);
        if (old && !strcmp(old->department, d->t.department))
            capacity_take(&b->cx->roster, old, d->t.id);
    }
    if (!d->agent) {
        if (dd)
            queue_remove(dd, d->t.id);
        return;
    }
    capacity_release(d->agent, d->t.id);
    if (d->handoff && dd)
        hand_off(b, dd, d->agent, d->cause_id[0] ? d->cause_id : NULL);
}

/* Write the decisions round by round until none is refused; then their events. 0 or -1. */
static int store_decisions(placer_batch *b, json_t *events, json_t *notices)
{
    size_t from = 0;
    for (int round = 0; from < b->nds; round++) {
        size_t to = b->nds;
        if (round == 16 || decide_write(b->cx, b->ds + from, to - from, b->now) != 0)
            return -1;
        for (size_t i = from; i < to; i++)
            if (b->ds[i].failed)
                undo_decision(b, &b->ds[i]);
        from = to;
    }
    return decide_events(b->cx, b->ds, b->nds, b->now, events, notices);
}

/* Inside the transaction: claims, decisions, storage. 0 or -1. */
static int placer_apply(placer_batch *b, json_t *events, json_t *notices)
{
    if (claim_cmds(b) != 0 || lookup_tickets(b) != 0)
        return -1;
    for (size_t i = 0; i < b->ncmds; i++)
        if (b->cmds[i].is_new && apply_cmd(b, &b->cmds[i]) != 0)
            return -1;
    if (store_decisions(b, events, notices) != 0)
        return -1;
    /* A replay republishes what the first run decided, notices included. */
    json_t *replayed = json_array();
    int rc = replayed ? load_replayed(b, replayed) : -1;
    if (rc == 0)
        rc = decide_notices(b->cx, replayed, notices);
    json_array_extend(events, replayed);
    json_decref(replayed);
    return rc;
}

/* Count what the batch did. */
static void placer_count(placer_batch *b)
{
    size_t replays = 0;
    for (size_t i = 0; i < b->ncmds; i++)
        replays += !b->cmds[i].is_new;
    sb_counter_add(b->cx->c_replays, replays);
    sb_counter_add(b->cx->c_commands, b->ncmds);
    for (size_t i = 0; i < b->nds; i++)
        if (!b->ds[i].failed)
            sb_counter_add(b->ds[i].queued ? b->cx->c_queued : b->cx->c_assigned, 1);
    size_t waiting = 0;
    for (size_t i = 0; i < b->cx->ndepts; i++)
        waiting += queue_length(&b->cx->depts[i]);
    sb_gauge_set(b->cx->g_waiting, (double)waiting);
}

/* Decode every message: commands into b->cmds, the reason for each bad one in b->bad. */
static int placer_decode(placer_batch *b, const sb_batch *batch)
{
    b->cmds = calloc(batch->n, sizeof(*b->cmds));
    b->bad = calloc(batch->n, sizeof(*b->bad));
    if (!b->cmds || !b->bad)
        return -1;
    for (size_t i = 0; i < batch->n; i++) {
        b->bad[i] = decode_cmd(b->cx, &batch->msgs[i], &b->cmds[b->ncmds]);
        if (!b->bad[i])
            b->ncmds++;
    }
    return 0;
}

static void placer_batch_free(placer_batch *b)
{
    free(b->cmds);
    free(b->bad);
    free(b->ds);
}

/* Fence, apply, commit; 1 when the batch belongs to another replica now, 0 done, -1 failed. */
static int placer_tx(placer_batch *b, const sb_batch *batch, json_t *events, json_t *notices)
{
    int32_t *parts = malloc(batch->n * sizeof(*parts));
    if (!parts || sb_pg_ensure(b->cx->pg) != 0 || sb_pg_begin(b->cx->pg) != 0) {
        free(parts);
        return -1;
    }
    int fenced = ownership_check(b->cx, parts, batch_partitions(batch, parts));
    free(parts);
    int rc = fenced != 0 ? fenced : placer_apply(b, events, notices);
    if (rc == 0 && sb_pg_commit(b->cx->pg) == 0)
        return 0;
    sb_pg_rollback(b->cx->pg);
    /* Queues and loads changed in memory for a transaction that did not happen. */
    ownership_forget_all(b->cx);
    return rc == 1 ? 1 : -1;
}

/* Publish decisions and notices, and dead letters, as the batch's send group. */
static void placer_publish(placer_batch *b, sb_batch *batch, const json_t *events,
                           const json_t *notices, int failed)
{
    dispatch_ctx *cx = b->cx;
    sb_send_group *g = sb_consumer_batch_group(cx->placer, cx->producer, batch);
    if (!g) {
        sb_consumer_batch_done(cx->placer, batch, 0);
        return;
    }
    for (size_t i = 0; !failed && i < batch->n; i++)
        if (b->bad[i]) {
            sb_counter_add(cx->c_deadletters, 1);
            sb_deadletter(g, "dispatch", &batch->msgs[i], b->bad[i]);
        }
    if (failed || sb_ticket_events_publish(g, events) != 0) {
        sb_service_reject_if_input(cx->placer, cx->pg);
        sb_send_group_fail(g);
    }
    size_t i;
    json_t *n;
    json_array_foreach(notices, i, n) {
        char *body = sb_json_dump(n);
        if (!body || sb_send_group_add(g, SB_TOPIC_NOTIFICATIONS, sb_json_str(n, "recipient"),
                                       sb_json_str(n, "type"), body, strlen(body)) != 0)
            sb_send_group_fail(g);
        free(body);
    }
    sb_send_group_seal(g);
}

void placer_on_batch(void *ctx, sb_batch *batch)
{
    dispatch_ctx *cx = ctx;
    placer_batch b = {.cx = cx, .now = sb_clock_now_ms()};
    json_t *events = json_array(), *notices = json_array();
    int rc = events && notices && placer_decode(&b, batch) == 0 ? 0 : -1;
    if (rc == 0)
        rc = placer_tx(&b, batch, events, notices);
    if (rc == 1) {
        /* Another replica owns these departments now: it reads them from the last commit. */
        sb_counter_add(cx->c_stale, 1);
        sb_consumer_batch_abandon(cx->placer, batch);
    } else {
        if (rc == 0)
            placer_count(&b);
        else
            sb_error("dispatch_batch", "batch of %zu not applied; it will be retried", batch->n);
        placer_publish(&b, batch, events, notices, rc != 0);
    }
    json_decref(events);
    json_decref(notices);
    placer_batch_free(&b);
}

/* ------------------------------------------------------------------ roster changes */

/* The department's waiting tickets, most urgent first, each to the best agent with room. */
static void drain_department(placer_batch *b, dispatch_dept *dd)
{
    dispatch_ticket t;
    dispatch_agent *a;
    while (queue_take_placeable(dd, &b->cx->roster, &t, &a)) {
        char why[512];
        snprintf(why, sizeof(why), "%.64s has room now (came on duty or capacity raised): oldest "
                 "highest-priority waiting ticket of %.64s (%d of %d open before this one)",
                 a->id, dd->id, a->open, a->max_open);
        capacity_take(&b->cx->roster, a, t.id);
        dispatch_decision *d = decide(b, &t, a, NULL, why);
        if (!d)
            return;
        d->handoff = 1;
        sb_counter_add(b->cx->c_handoffs, 1);
    }
}

/* Every owned department: free agents take waiting tickets (an agent came on duty, capacity
 * was raised). Not caused by a consumed event, so the events go through the outbox. */
void placer_drain_all(dispatch_ctx *cx)
{
    if (cx->ndepts == 0 || sb_pg_ensure(cx->pg) != 0 || sb_pg_begin(cx->pg) != 0)
        return;
    placer_batch b = {.cx = cx, .now = sb_clock_now_ms()};
    int32_t *parts = malloc((cx->ndepts ? cx->ndepts : 1) * sizeof(*parts));
    size_t np = 0;
    for (size_t i = 0; parts && i < cx->ndepts; i++)
        parts[np++] = cx->depts[i].partition;
    int rc = parts ? ownership_check(cx, parts, np) : -1;
    free(parts);
    for (size_t i = 0; rc == 0 && i < cx->ndepts; i++)
        drain_department(&b, &cx->depts[i]);
    json_t *events = json_array(), *notices = json_array();
    if (rc == 0 && b.nds)
        rc = store_decisions(&b, events, notices);
    size_t i;
    json_t *ev;
    json_array_foreach(events, i, ev)
        if (rc == 0)
            rc = sb_outbox_add(cx->pg, SB_TOPIC_TICKETS, sb_json_str(ev, "ticket_id"), ev);
    json_array_foreach(notices, i, ev)
        if (rc == 0)
            rc = sb_outbox_add(cx->pg, SB_TOPIC_NOTIFICATIONS, sb_json_str(ev, "recipient"), ev);
    if (rc == 0 && sb_pg_commit(cx->pg) == 0) {
        placer_count(&b);
        if (json_array_size(events))
            sb_outbox_relay_kick(cx->relay);
    } else {
        sb_pg_rollback(cx->pg);
        ownership_forget_all(cx);
    }
    json_decref(events);
    json_decref(notices);
    free(b.ds);
}

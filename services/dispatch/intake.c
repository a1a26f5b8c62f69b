/* intake.c - stage one: ticket events that change who works on what become commands on
 * sb.dispatch.v1, keyed by the department that owns the decision (services/dispatch/README.md). */
#include "dispatch.h"

#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/json.h"
#include "common/log.h"

/* The event types stage one reads; everything else is skipped without parsing. */
static const char *const intake_types[] = {"classified", "reclassified", "requeued", "assigned",
                                           "queued", "resolved", "closed", "escalated", NULL};

/* 1 when the message's type header names a type intake reads (or there is no header). */
static int intake_wants(const sb_kmsg *m)
{
    if (!m->type)
        return 1;
    for (int i = 0; intake_types[i]; i++)
        if (sb_kmsg_type_is(m, intake_types[i]) == 1)
            return 1;
    return 0;
}

static const char *role_name(dispatch_role r)
{
    switch (r) {
    case DISPATCH_OFFER: return "offer";
    case DISPATCH_REOFFER: return "reoffer";
    case DISPATCH_RELEASE: return "release";
    case DISPATCH_TAKE: return "take";
    }
    return "offer";
}

/* Queue one command: key = the department that decides, type header = the role. */
static int send_cmd(sb_send_group *g, dispatch_role role, const char *department, json_t *cmd)
{
    char *body = sb_json_dump(cmd);
    json_decref(cmd);
    if (!body)
        return -1;
    int rc = sb_send_group_add(g, SB_TOPIC_DISPATCH, department, role_name(role), body,
                               strlen(body));
    free(body);
    return rc;
}

/* The envelope fields every command carries. */
static json_t *cmd_base(const json_t *ev)
{
    return json_pack("{s:s, s:s, s:s}", "event_id", sb_json_str(ev, "event_id"), "ticket_id",
                     sb_json_str(ev, "ticket_id"), "number", sb_json_str(ev, "ticket_number"));
}

/* A classified ticket to place, with what routing needs from the event itself. */
static int offer_classified(sb_send_group *g, const json_t *ev, const json_t *d)
{
    const char *dept = sb_json_str(d, "department");
    json_t *cmd = cmd_base(ev);
    const char *keys[] = {"channel", "category", "subtopic", "urgency", "priority", "language"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        json_object_set_new(cmd, keys[i], json_string(sb_json_str(d, keys[i]) ?
                                                     sb_json_str(d, keys[i]) : ""));
    json_object_set_new(cmd, "department", json_string(dept));
    json_object_set_new(cmd, "occurred_at", json_string(sb_json_str(ev, "occurred_at")));
    return send_cmd(g, DISPATCH_OFFER, dept, cmd);
}

/* A ticket whose attributes stage two reads from PostgreSQL (moved, requeued, escalated). */
static int offer_lookup(sb_send_group *g, dispatch_role role, const json_t *ev,
                        const char *dept, const char *agent)
{
    json_t *cmd = cmd_base(ev);
    json_object_set_new(cmd, "department", json_string(dept));
    json_object_set_new(cmd, "lookup", json_true());
    if (agent)
        json_object_set_new(cmd, "agent", json_string(agent));
    return send_cmd(g, role, dept, cmd);
}

/* Free (or count) an agent's capacity in their home department. */
static int agent_cmd(dispatch_ctx *cx, sb_send_group *g, dispatch_role role, const json_t *ev,
                     const char *agent, int handoff)
{
    const dispatch_agent *a = roster_agent(&cx->roster, agent);
    if (!a) {
        sb_warn("dispatch_unknown_agent", "%s names agent %s, not on the roster: not counted",
                sb_json_str(ev, "event_id"), agent);
        return 0;
    }
    json_t *cmd = cmd_base(ev);
    /* The placer applies a command to the department it names: without it, a release would
     * hand off from an empty department "" instead of the agent's own queue. */
    json_object_set_new(cmd, "department", json_string(a->department));
    json_object_set_new(cmd, "agent", json_string(agent));
    json_object_set_new(cmd, "handoff", json_boolean(handoff));
    return send_cmd(g, role, a->department, cmd);
}

/* released_agent of a dispatch decision, when dispatch could not count it itself (the agent's
 * home is another department than the decision's). */
static const char *foreign_release(dispatch_ctx *cx, const json_t *d)
{
    const char *rel = sb_json_str(d, "released_agent");
    const dispatch_agent *a = roster_agent(&cx->roster, rel);
    const char *dept = sb_json_str(d, "department");
    return a && dept && strcmp(a->department, dept) != 0 ? rel : NULL;
}

/* The commands one ticket event implies. 0 or -1. */
static int intake_event(dispatch_ctx *cx, sb_send_group *g, const json_t *ev)
{
    const char *type = sb_json_str(ev, "type");
    const json_t *d = json_object_get(ev, "data");
    const char *rel = sb_json_str(d, "released_agent");
    int rc = 0;
    if (!strcmp(type, "classified"))
        return offer_classified(g, ev, d);
    if (!strcmp(type, "reclassified")) {
        const char *before = sb_json_str(json_object_get(d, "before"), "department");
        const char *after = sb_json_str(json_object_get(d, "after"), "department");
        /* A waiting ticket moved to another department waits there; an assigned one stays. */
        if (after && (!before || strcmp(before, after) != 0))
            return offer_lookup(g, DISPATCH_OFFER, ev, after, NULL);
        return 0;
    }
    if (!strcmp(type, "requeued")) {
        if (rel)
            rc = agent_cmd(cx, g, DISPATCH_RELEASE, ev, rel, 1);
        return rc ? rc : offer_lookup(g, DISPATCH_OFFER, ev, sb_json_str(d, "department"), NULL);
    }
    if (!strcmp(type, "escalated")) {
        const char *kind = sb_json_str(d, "kind");
        if (!kind || strcmp(kind, "acknowledgement") != 0)
            return 0;
        return offer_lookup(g, DISPATCH_REOFFER, ev, sb_json_str(d, "department"),
                            sb_json_str(d, "agent_id"));
    }
    if (!strcmp(type, "assigned") || !strcmp(type, "queued")) {
        const char *by = sb_json_str(d, "decided_by");
        if (by && !strcmp(by, "dispatch")) {
            /* Counted when decided, except an agent of another department it released. */
            const char *foreign = foreign_release(cx, d);
            return foreign ? agent_cmd(cx, g, DISPATCH_RELEASE, ev, foreign,
                                       !json_is_true(json_object_get(d, "reoffer"))) : 0;
        }
        if (!strcmp(type, "assigned"))
            rc = agent_cmd(cx, g, DISPATCH_TAKE, ev, sb_json_str(d, "agent_id"), 0);
        return rc == 0 && rel ? agent_cmd(cx, g, DISPATCH_RELEASE, ev, rel, 1) : rc;
    }
    /* resolved, closed */
    return rel ? agent_cmd(cx, g, DISPATCH_RELEASE, ev, rel, 1) : 0;
}

/* 1 when the event has what its commands need; else the reason it is dead-lettered. */
static const char *intake_invalid(const json_t *ev)
{
    const char *type = sb_json_str(ev, "type");
    const json_t *d = json_object_get(ev, "data");
    if (!type || !sb_uuid_valid(sb_json_str(ev, "event_id")) ||
        !sb_uuid_valid(sb_json_str(ev, "ticket_id")) || !sb_json_str(ev, "ticket_number") ||
        !json_is_object(d))
        return "not a ticket event (type, ids, number, data)";
    if (!strcmp(type, "classified") && (!sb_json_str(d, "department") ||
        roster_priority_index(sb_json_str(d, "priority")) < 0 || !sb_json_str(ev, "occurred_at")))
        return "classified event lacks department, priority or occurred_at";
    if ((!strcmp(type, "requeued") || !strcmp(type, "escalated")) && !sb_json_str(d, "department"))
        return "event lacks data.department";
    if (!strcmp(type, "assigned") && !sb_json_str(d, "agent_id"))
        return "assigned event lacks data.agent_id";
    return NULL;
}

/* How long intake waits before looking at the placer's lag again. */
#define INTAKE_WAIT_MS 20

void intake_on_wait(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    dispatch_ctx *cx = arg;
    sb_batch *batch = cx->intake_held;
    cx->intake_held = NULL;
    if (batch)
        intake_on_batch(cx, batch);
}

/* The placer here is far behind: hold the batch (its offsets uncommitted) and look again soon,
 * so commands wait in sb.tickets.v1 rather than pile up in the few partitions of
 * sb.dispatch.v1, where a bounded broker would drop the oldest. */
static int intake_hold(dispatch_ctx *cx, sb_batch *batch)
{
    if (cx->max_lag <= 0 || !cx->intake_wait || sb_consumer_lag(cx->placer) <= cx->max_lag)
        return 0;
    struct timeval tv = {0, INTAKE_WAIT_MS * 1000};
    cx->intake_held = batch;
    sb_counter_add(cx->c_held, 1);
    evtimer_add(cx->intake_wait, &tv);
    return 1;
}

void intake_on_batch(void *ctx, sb_batch *batch)
{
    dispatch_ctx *cx = ctx;
    if (intake_hold(cx, batch))
        return;
    sb_send_group *g = sb_consumer_batch_group(cx->intake, cx->producer, batch);
    if (!g) {
        sb_consumer_batch_done(cx->intake, batch, 0);
        return;
    }
    for (size_t i = 0; i < batch->n; i++) {
        const sb_kmsg *m = &batch->msgs[i];
        if (!intake_wants(m))
            continue;
        json_t *ev = json_loadb(m->payload, m->len, JSON_REJECT_DUPLICATES, NULL);
        const char *type = sb_json_str(ev, "type");
        int wanted = 0;
        for (int k = 0; type && intake_types[k]; k++)
            wanted |= !strcmp(type, intake_types[k]);
        const char *bad = type && !wanted ? NULL : intake_invalid(ev);
        if (bad) {
            sb_counter_add(cx->c_deadletters, 1);
            sb_deadletter(g, "dispatch", m, bad);
        } else if (wanted && intake_event(cx, g, ev) != 0) {
            sb_send_group_fail(g);
        }
        json_decref(ev);
    }
    sb_send_group_seal(g);
}

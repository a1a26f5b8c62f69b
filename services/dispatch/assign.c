/* assign.c - one transaction per batch: choose agents, store assignments and assigned events. */
#include "dispatch.h"

#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/json.h"
#include "common/log.h"
#include "common/ticket_event.h"

/* The agent must acknowledge within an hour, else sla escalates to the supervisor. */
#define ASSIGN_ACK_MS (60 * 60 * 1000LL)

/* Run a statement whose single parameter is a JSON document; takes ownership of doc. */
static int exec_json(sb_pg *pg, const char *sql, json_t *doc)
{
    char *body = sb_json_dump(doc);
    json_decref(doc);
    if (!body)
        return -1;
    const char *p[] = {body};
    int rc = sb_pg_exec(pg, sql, 1, p);
    free(body);
    return rc;
}

/* Choose an agent for every new item; the choice is only in memory until commit. */
static void choose_agents(dispatch_ctx *cx, dispatch_item *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        dispatch_item *it = &items[i];
        if (!it->is_new)
            continue;
        int over = 0;
        it->agent = routing_pick(&cx->roster, it->department, &over);
        if (it->agent)
            snprintf(it->reason, sizeof(it->reason), "%s in %s (%d of %d open before this one)",
                     over ? "every agent at capacity; least loaded" : "least open tickets",
                     it->department, it->agent->open - 1, it->agent->max_open);
        else
            snprintf(it->reason, sizeof(it->reason), "no on-duty agent with free capacity in %s",
                     it->department);
    }
}

/* The assigned event of a placed item. */
static json_t *assigned_event(const dispatch_item *it, int64_t now)
{
    char due[32];
    sb_clock_format_iso(now + ASSIGN_ACK_MS, due, sizeof(due));
    json_t *data = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "agent_id", it->agent->id,
                             "department", it->department, "reason", it->reason,
                             "ack_due_at", due, "channel", it->channel, "priority", it->priority,
                             "urgency", it->urgency);
    return sb_ticket_event_new("assigned", it->assigned_id, it->event_id, it->ticket_id,
                               it->number, now, data);
}

/* Store assignments, move tickets to assigned, keep the events. */
static int store_assignments(sb_pg *pg, const json_t *events)
{
    json_t *rows = json_array();
    size_t i;
    json_t *ev;
    json_array_foreach(events, i, ev) {
        json_t *d = json_object_get(ev, "data");
        json_array_append_new(rows, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "ticket_id",
            sb_json_str(ev, "ticket_id"), "agent_id", sb_json_str(d, "agent_id"), "department",
            sb_json_str(d, "department"), "event_id", sb_json_str(ev, "event_id"), "reason",
            sb_json_str(d, "reason"), "assigned_at", sb_json_str(ev, "occurred_at")));
    }
    json_incref(rows);
    int rc = exec_json(pg,
        "INSERT INTO assignments (ticket_id, agent_id, department_id, event_id, reason, assigned_at)"
        " SELECT ticket_id, agent_id, department, event_id, reason, assigned_at"
        " FROM jsonb_to_recordset($1::jsonb) AS x(ticket_id uuid, agent_id text, department text,"
        "  event_id uuid, reason text, assigned_at timestamptz)"
        " ORDER BY ticket_id ON CONFLICT (ticket_id) DO NOTHING",
        rows);
    if (rc == 0)
        rc = exec_json(pg,
            "UPDATE tickets t SET status = 'assigned', assignee = x.agent_id,"
            "  department_id = x.department, updated_at = now()"
            " FROM jsonb_to_recordset($1::jsonb) AS x(ticket_id uuid, agent_id text, department text)"
            " WHERE t.id = x.ticket_id AND t.status IN ('new', 'classified')",
            rows);
    else
        json_decref(rows);
    if (rc == 0)
        rc = sb_ticket_events_store(pg, events);
    return rc;
}

/* Assigned events a replayed classified event implies, as stored the first time. */
static int load_replayed(sb_pg *pg, const dispatch_item *items, size_t n, json_t *out)
{
    const char **ids = malloc(n * sizeof(char *));
    size_t m = 0;
    if (!ids)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!items[i].is_new)
            ids[m++] = items[i].assigned_id;
    int rc = sb_ticket_events_load(pg, ids, m, out);
    free(ids);
    return rc;
}

/* Claim, choose, store; -1 makes the caller roll back. */
static int apply_in_tx(dispatch_ctx *cx, dispatch_item *items, size_t n, json_t *out)
{
    const char **ids = malloc(n * sizeof(char *));
    unsigned char *is_new = malloc(n);
    int fresh = ids && is_new ? 0 : -1;
    for (size_t i = 0; i < n && fresh == 0; i++)
        ids[i] = items[i].event_id;
    if (fresh == 0)
        fresh = sb_pg_claim_events(cx->pg, "dispatch", ids, n, is_new);
    for (size_t i = 0; i < n && fresh >= 0; i++)
        items[i].is_new = is_new[i];
    free(ids);
    free(is_new);
    int rc = fresh < 0 ? -1 : 0;
    if (rc == 0 && fresh > 0) {
        choose_agents(cx, items, n);
        int64_t now = sb_clock_now_ms();
        json_t *fresh_events = json_array();
        for (size_t i = 0; i < n; i++)
            if (items[i].is_new && items[i].agent)
                json_array_append_new(fresh_events, assigned_event(&items[i], now));
        rc = store_assignments(cx->pg, fresh_events);
        json_array_extend(out, fresh_events);
        json_decref(fresh_events);
    }
    if (rc == 0 && (size_t)fresh < n)
        rc = load_replayed(cx->pg, items, n, out);
    return rc;
}

int assign_apply(dispatch_ctx *cx, dispatch_item *items, size_t n, json_t *out)
{
    if (n == 0)
        return 0;
    if (sb_pg_ensure(cx->pg) != 0 || sb_pg_begin(cx->pg) != 0)
        return -1;
    if (apply_in_tx(cx, items, n, out) == 0 && sb_pg_commit(cx->pg) == 0)
        return 0;
    sb_pg_rollback(cx->pg);
    json_array_clear(out);
    /* The in-memory picks of the failed batch never happened: rebuild the loads from the truth. */
    routing_roster_free(&cx->roster);
    if (routing_roster_load(cx->pg, &cx->roster) != 0)
        sb_error("roster_reload", "cannot rebuild agent loads; retrying with the next batch");
    return -1;
}

json_t *assign_notice(const json_t *assigned)
{
    const json_t *d = json_object_get(assigned, "data");
    const char *source = sb_json_str(assigned, "event_id");
    char id[SB_UUID_STRLEN], ts[32], summary[200];
    sb_ids_derived(source, "task_notice", id);
    snprintf(summary, sizeof(summary), "%s ticket via %s: %s",
             sb_json_str(d, "priority") ? sb_json_str(d, "priority") : "?",
             sb_json_str(d, "channel") ? sb_json_str(d, "channel") : "?",
             sb_json_str(d, "reason") ? sb_json_str(d, "reason") : "");
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "type", "task_notice",
                     "event_id", id, "occurred_at",
                     sb_clock_format_iso(sb_clock_now_ms(), ts, sizeof(ts)), "source_event_id",
                     source, "recipient", sb_json_str(d, "agent_id"), "recipient_kind", "agent",
                     "ticket_number", sb_json_str(assigned, "ticket_number"), "summary", summary,
                     "deadline", sb_json_str(d, "ack_due_at"));
}

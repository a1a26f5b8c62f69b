/* decide.c - a batch's decisions into PostgreSQL: tickets moved only if still where the decision
 * found them, assignments kept, events stored, task notices with the customer's contact. */
#include "dispatch.h"

#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/json.h"
#include "common/log.h"
#include "common/ticket_event.h"

/* Assign: the ticket must still wait unassigned in the department, or, for a re-offer, still be
 * with the agent who let it time out. */
static const char *const assign_sql =
    "WITH x AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(ticket_id uuid, agent_id text,"
    "   department text, co text[], event_id uuid, reason text, at timestamptz, released text,"
    "   reoffer boolean)),"
    " upd AS (UPDATE tickets t SET status = 'assigned', assignee = x.agent_id,"
    "   co_departments = x.co, dispatched_at = coalesce(t.dispatched_at, x.at), updated_at = now()"
    "  FROM x WHERE t.id = x.ticket_id AND t.department_id = x.department AND CASE WHEN x.reoffer"
    "   THEN t.status = 'assigned' AND t.assignee = x.released"
    "   ELSE t.status = 'classified' AND t.assignee IS NULL END"
    "  RETURNING t.id),"
    " ins AS (INSERT INTO assignments (ticket_id, agent_id, department_id, event_id, reason,"
    "   assigned_at)"
    "  SELECT x.ticket_id, x.agent_id, x.department, x.event_id, x.reason, x.at"
    "  FROM x JOIN upd ON upd.id = x.ticket_id ORDER BY x.ticket_id"
    "  ON CONFLICT (ticket_id) DO UPDATE SET agent_id = EXCLUDED.agent_id,"
    "   department_id = EXCLUDED.department_id, event_id = EXCLUDED.event_id,"
    "   reason = EXCLUDED.reason, assigned_at = EXCLUDED.assigned_at)"
    " SELECT id::text FROM upd";

/* Queue: the same guard; a re-offered ticket goes back to waiting, unassigned. */
static const char *const queue_sql =
    "UPDATE tickets t SET status = 'classified', assignee = NULL,"
    "  dispatched_at = coalesce(t.dispatched_at, x.at), updated_at = now()"
    " FROM jsonb_to_recordset($1::jsonb) AS x(ticket_id uuid, department text, at timestamptz,"
    "  released text, reoffer boolean)"
    " WHERE t.id = x.ticket_id AND t.department_id = x.department AND CASE WHEN x.reoffer"
    "  THEN t.status = 'assigned' AND t.assignee = x.released"
    "  ELSE t.status = 'classified' AND t.assignee IS NULL END"
    " RETURNING t.id::text";

/* The co-operating departments of the ticket's category, as a JSON array. */
static json_t *co_departments(dispatch_ctx *cx, const dispatch_ticket *t)
{
    json_t *co = json_array();
    const dispatch_route *rt = roster_route(&cx->roster, t->category);
    for (int i = 0; rt && i < rt->nco; i++)
        if (strcmp(rt->co[i], t->department) != 0)
            json_array_append_new(co, json_string(rt->co[i]));
    return co;
}

/* One row of the decisions' recordset. */
static json_t *decision_row(dispatch_ctx *cx, const dispatch_decision *d, const char *at)
{
    json_t *row = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "ticket_id", d->t.id, "department",
                            d->t.department, "event_id", d->event_id, "reason", d->reason, "at", at,
                            "reoffer", d->reoffer);
    json_object_set_new(row, "released", d->released[0] ? json_string(d->released) : json_null());
    if (d->agent) {
        json_object_set_new(row, "agent_id", json_string(d->agent->id));
        json_object_set_new(row, "co", co_departments(cx, &d->t));
    }
    return row;
}

/* Run one guarded statement over rows; marks the decisions whose ticket id did not come back. */
static int write_guarded(sb_pg *pg, const char *sql, json_t *rows, dispatch_decision **refs)
{
    if (json_array_size(rows) == 0)
        return 0;
    char *body = sb_json_dump(rows);
    const char *p[] = {body};
    PGresult *res = body ? sb_pg_query(pg, sql, 1, p) : NULL;
    free(body);
    if (!res)
        return -1;
    for (size_t i = 0; i < json_array_size(rows); i++) {
        int held = 0;
        for (int r = 0; r < PQntuples(res) && !held; r++)
            held = !strcmp(PQgetvalue(res, r, 0), refs[i]->t.id);
        refs[i]->failed = !held;
    }
    PQclear(res);
    return 0;
}

int decide_write(dispatch_ctx *cx, dispatch_decision *ds, size_t n, int64_t now)
{
    char at[32];
    sb_clock_format_iso(now, at, sizeof(at));
    json_t *assign = json_array(), *queue = json_array();
    dispatch_decision **arefs = calloc(n ? n : 1, sizeof(*arefs));
    dispatch_decision **qrefs = calloc(n ? n : 1, sizeof(*qrefs));
    int rc = assign && queue && arefs && qrefs ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        json_t *rows = ds[i].agent ? assign : queue;
        (ds[i].agent ? arefs : qrefs)[json_array_size(rows)] = &ds[i];
        json_array_append_new(rows, decision_row(cx, &ds[i], at));
    }
    if (rc == 0)
        rc = write_guarded(cx->pg, assign_sql, assign, arefs);
    if (rc == 0)
        rc = write_guarded(cx->pg, queue_sql, queue, qrefs);
    json_decref(assign);
    json_decref(queue);
    free(arefs);
    free(qrefs);
    return rc;
}

/* The assigned or queued event of a decision. */
static json_t *decision_event(dispatch_ctx *cx, const dispatch_decision *d, int64_t now)
{
    const char *prio[] = {"P1", "P2", "P3"};
    const char *priority = prio[d->t.priority >= 0 && d->t.priority <= 2 ? d->t.priority : 2];
    json_t *data = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "department", d->t.department,
                             "reason", d->reason, "priority", priority, "channel", d->t.channel,
                             "urgency", d->t.urgency, "decided_by", "dispatch");
    if (d->released[0]) {
        json_object_set_new(data, "released_agent", json_string(d->released));
        json_object_set_new(data, "reoffer", json_boolean(d->reoffer));
    }
    if (d->agent) {
        char due[32];
        int idx = d->t.priority >= 0 && d->t.priority <= 2 ? d->t.priority : 2;
        sb_clock_format_iso(now + cx->roster.ack_seconds[idx] * 1000LL, due, sizeof(due));
        json_object_set_new(data, "agent_id", json_string(d->agent->id));
        json_object_set_new(data, "co_departments", co_departments(cx, &d->t));
        json_object_set_new(data, "ack_due_at", json_string(due));
        json_object_set_new(data, "waited_ms", json_integer(now - d->t.created_ms));
    }
    return sb_ticket_event_new(d->agent ? "assigned" : "queued", d->event_id,
                               d->cause_id[0] ? d->cause_id : NULL, d->t.id, d->t.number, now,
                               data);
}

int decide_notices(dispatch_ctx *cx, const json_t *events, json_t *notices)
{
    json_t *ids = json_array(), *raw = json_array();
    size_t k;
    json_t *e;
    json_array_foreach(events, k, e) {
        const char *agent = sb_json_str(json_object_get(e, "data"), "agent_id");
        const char *ticket = sb_json_str(e, "ticket_id");
        if (strcmp(sb_json_str(e, "type"), "assigned") != 0 || !agent || !ticket)
            continue;
        json_array_append_new(ids, json_string(ticket));
        const dispatch_agent *a = roster_agent(&cx->roster, agent);
        if (a && a->contact_read)
            json_array_append_new(raw, json_pack("{s:s, s:s}", "ticket_id", ticket, "reader",
                                                 agent));
    }
    if (json_array_size(ids) == 0) {
        json_decref(ids);
        json_decref(raw);
        return 0;
    }
    char *idj = sb_json_dump(ids), *rawj = sb_json_dump(raw);
    json_decref(ids);
    json_decref(raw);
    const char *p[] = {idj, rawj};
    PGresult *res = idj && rawj ? sb_pg_query(cx->pg,
        "WITH r AS (SELECT * FROM jsonb_to_recordset($2::jsonb) AS r(ticket_id uuid, reader text)),"
        " audit AS (INSERT INTO contact_reads (customer_id, reader, reason)"
        "  SELECT t.customer_id, r.reader, 'task notice for ' || t.number"
        "  FROM r JOIN tickets t ON t.id = r.ticket_id)"
        " SELECT t.id::text, t.subject, c.display_name, c.phone_masked, c.email_masked, c.tier,"
        "  cc.name, cc.phone, cc.email"
        " FROM tickets t JOIN customers c ON c.id = t.customer_id"
        " LEFT JOIN r ON r.ticket_id = t.id"
        " LEFT JOIN customer_contacts cc ON cc.customer_id = c.id AND r.ticket_id IS NOT NULL"
        " WHERE t.id IN (SELECT jsonb_array_elements_text($1::jsonb)::uuid)",
        2, p) : NULL;
    free(idj);
    free(rawj);
    if (!res)
        return -1;
    size_t i;
    json_t *ev;
    json_array_foreach(events, i, ev) {
        if (strcmp(sb_json_str(ev, "type"), "assigned") != 0)
            continue;
        for (int r = 0; r < PQntuples(res); r++) {
            if (strcmp(PQgetvalue(res, r, 0), sb_json_str(ev, "ticket_id")) != 0)
                continue;
            int is_raw = !PQgetisnull(res, r, 6);
            json_t *who = json_pack("{s:s, s:s, s:s, s:s, s:b}", "subject", PQgetvalue(res, r, 1),
                "name", PQgetvalue(res, r, is_raw ? 6 : 2),
                "phone", PQgetvalue(res, r, is_raw ? 7 : 3),
                "email", PQgetvalue(res, r, is_raw ? 8 : 4), "raw", is_raw);
            json_object_set_new(who, "tier", json_string(PQgetvalue(res, r, 5)));
            json_array_append_new(notices, notice_task(ev, who));
            json_decref(who);
        }
    }
    PQclear(res);
    return 0;
}

int decide_events(dispatch_ctx *cx, const dispatch_decision *ds, size_t n, int64_t now,
                  json_t *events, json_t *notices)
{
    json_t *fresh = json_array();
    for (size_t i = 0; i < n; i++)
        if (!ds[i].failed)
            json_array_append_new(fresh, decision_event(cx, &ds[i], now));
    int rc = sb_ticket_events_store(cx->pg, fresh);
    if (rc == 0)
        rc = decide_notices(cx, fresh, notices);
    json_array_extend(events, fresh);
    json_decref(fresh);
    return rc;
}

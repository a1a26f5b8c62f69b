/* timers.c - sla's consumer: arm acknowledgement/first-response timers, settle them, feed the watch. */
#include "services/sla/timers.h"

#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/ids.h"
#include "common/json.h"
#include "common/log.h"

/* Without data.ack_due_at, the agent must acknowledge within 1 h of the assignment (DESIGN). */
#define SLA_ACK_DEFAULT_MS (60 * 60 * 1000LL)

static const char *const sla_types[] = {"assigned", "acknowledged", "replied", "resolved",
                                        "closed", "requeued", NULL};

/* Which armed timers an event settles, and how. */
static const struct {
    const char *type;
    const char *state;
    const char *kinds[2];
} sla_met_by_type[] = {
    {"acknowledged", "met", {"acknowledgement", NULL}},
    {"replied", "met", {"first_response", NULL}},
    /* A resolved ticket was certainly acknowledged and answered. */
    {"resolved", "met", {"acknowledgement", "first_response"}},
    /* Merged into another ticket: nothing is owed on this one any more. */
    {"closed", "cancelled", {"acknowledgement", "first_response"}},
    /* Back in the department's queue: no agent owes an acknowledgement until dispatch offers
     * it again (a new assigned re-arms it). */
    {"requeued", "cancelled", {"acknowledgement", NULL}},
};

/* The last assignment of each ticket in the batch arms its timers. First-response deadlines by
 * urgency are computed in SQL from the ticket row, so the urgency classify stored is the one
 * used; a ticket not yet classified gets the medium clock. A newer assignment (re-offer,
 * manual reassignment) re-arms the acknowledgement at its own deadline, whatever state the
 * clock was in; the first-response deadline stays the original one. */
static const char sla_arm_sql[] =
    "WITH r AS ("
    "  SELECT DISTINCT ON (e->>'ticket_id') (e->>'ticket_id')::uuid AS ticket_id,"
    "         (e->>'ack_due_at')::timestamptz AS ack_due_at, (e->>'source')::uuid AS source,"
    "         e->>'agent_id' AS agent_id"
    "  FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS x(e, n)"
    "  WHERE e->>'op' = 'arm' ORDER BY e->>'ticket_id', n DESC)"
    " INSERT INTO sla_timers AS s (ticket_id, kind, due_at, source_event_id, agent_id)"
    " SELECT t.id, k.kind,"
    "        CASE k.kind WHEN 'acknowledgement' THEN r.ack_due_at"
    "        ELSE t.created_at + CASE t.urgency WHEN 'high' THEN interval '2 hours'"
    "                                           WHEN 'low' THEN interval '72 hours'"
    "                                           ELSE interval '24 hours' END END,"
    "        r.source, CASE k.kind WHEN 'acknowledgement' THEN r.agent_id END"
    " FROM r JOIN tickets t ON t.id = r.ticket_id"
    " CROSS JOIN (VALUES ('acknowledgement'), ('first_response')) AS k(kind)"
    /* Same lock order in every replica (and in the firing): concurrent batches cannot deadlock. */
    " ORDER BY t.id, k.kind"
    " ON CONFLICT (ticket_id, kind) DO UPDATE SET due_at = EXCLUDED.due_at, state = 'armed',"
    "    armed_at = now(), source_event_id = EXCLUDED.source_event_id,"
    "    agent_id = EXCLUDED.agent_id"
    "  WHERE s.kind = 'acknowledgement'"
    " RETURNING " SLA_TIMER_COLUMNS;

/* Settle armed timers; an acknowledgement re-armed later in the same batch stays armed. */
static const char sla_met_sql[] =
    "UPDATE sla_timers s SET state = m.state"
    " FROM (SELECT (e->>'ticket_id')::uuid AS ticket_id, e->'kinds' AS kinds,"
    "              e->>'state' AS state, n"
    "       FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS x(e, n)"
    "       WHERE e->>'op' = 'met') m"
    " WHERE s.ticket_id = m.ticket_id AND m.kinds ? s.kind AND s.state = 'armed'"
    "   AND (s.kind <> 'acknowledgement' OR NOT EXISTS ("
    "        SELECT 1 FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS y(e, n)"
    "        WHERE y.e->>'op' = 'arm' AND (y.e->>'ticket_id')::uuid = m.ticket_id AND y.n > m.n))"
    " RETURNING s.ticket_id, s.kind";

void sla_timers_init(sla_timers *t, sb_metrics *m, sla_watch *watch)
{
    memset(t, 0, sizeof(*t));
    t->watch = watch;
    t->c_armed = sb_metrics_counter(m, "sla_timers_armed", "SLA timers armed", NULL);
    t->c_met = sb_metrics_counter(m, "sla_timers_met",
                                  "SLA timers met (or cancelled) before their deadline", NULL);
}

/* Forget what the last transaction changed. */
static void sla_pending_clear(sla_timers *t)
{
    PQclear(t->pending_armed);
    PQclear(t->pending_met);
    t->pending_armed = t->pending_met = NULL;
}

void sla_timers_close(sla_timers *t)
{
    sla_pending_clear(t);
}

/* assigned -> {"op":"arm","ticket_id","ack_due_at","source","agent_id"}; NULL with *reason on
 * a bad deadline or agent. */
static json_t *sla_arm_record(const sb_event_env *ev, const char *ticket_id, const char **reason)
{
    const json_t *data = json_object_get(ev->json, "data");
    const char *ack = sb_json_str(data, "ack_due_at"), *agent = sb_json_str(data, "agent_id");
    int64_t due_ms = ev->occurred_ms + SLA_ACK_DEFAULT_MS;
    if (ack && sb_clock_parse_iso(ack, &due_ms) != 0) {
        *reason = "data.ack_due_at is not RFC 3339";
        return NULL;
    }
    if (agent && (!*agent || strlen(agent) > 64)) {
        *reason = "data.agent_id is empty or longer than 64";
        return NULL;
    }
    char due[32];
    /* Re-formatted by us, so PostgreSQL's cast cannot reject it and fail the batch. */
    sb_clock_format_iso(due_ms, due, sizeof(due));
    return json_pack("{s:s, s:s, s:s, s:s, s:s?}", "op", "arm", "ticket_id", ticket_id,
                     "ack_due_at", due, "source", ev->event_id, "agent_id", agent);
}

/* acknowledged/replied/resolved/closed/requeued -> {"op":"met","ticket_id","kinds":[...],
 * "state":"met"|"cancelled"}. */
static json_t *sla_met_record(const char *type, const char *ticket_id)
{
    for (size_t i = 0; i < sizeof(sla_met_by_type) / sizeof(sla_met_by_type[0]); i++) {
        if (strcmp(sla_met_by_type[i].type, type) != 0)
            continue;
        json_t *kinds = json_array();
        for (size_t k = 0; k < 2 && sla_met_by_type[i].kinds[k]; k++)
            json_array_append_new(kinds, json_string(sla_met_by_type[i].kinds[k]));
        return json_pack("{s:s, s:s, s:o, s:s}", "op", "met", "ticket_id", ticket_id, "kinds",
                         kinds, "state", sla_met_by_type[i].state);
    }
    return NULL;
}

/* sb_event_consumer_ops.record */
static json_t *sla_record(void *ctx, const sb_event_env *ev, const char **reason)
{
    (void)ctx;
    const char *ticket_id = sb_json_str(ev->json, "ticket_id");
    if (!ticket_id || !sb_uuid_valid(ticket_id)) {
        *reason = "ticket_id missing or not a UUID";
        return NULL;
    }
    if (strcmp(ev->type, "assigned") == 0)
        return sla_arm_record(ev, ticket_id, reason);
    return sla_met_record(ev->type, ticket_id);
}

/* sb_event_consumer_ops.apply: arming first, so a batch holding both the assignment and the
 * resolution of one ticket ends with its timers met. The changed rows are kept until the
 * transaction commits, then handed to the watch. */
static int sla_apply(void *ctx, sb_pg *pg, const char *records_json, size_t n)
{
    (void)n;
    sla_timers *t = ctx;
    const char *p[] = {records_json};
    sla_pending_clear(t);
    t->pending_armed = sb_pg_query(pg, sla_arm_sql, 1, p);
    t->pending_met = t->pending_armed ? sb_pg_query(pg, sla_met_sql, 1, p) : NULL;
    if (!t->pending_met) {
        sla_pending_clear(t);
        return -1;
    }
    return 0;
}

/* sb_event_consumer_ops.committed: the watch follows what PostgreSQL now holds. */
static void sla_committed(void *ctx)
{
    sla_timers *t = ctx;
    int armed = t->pending_armed ? PQntuples(t->pending_armed) : 0;
    int met = t->pending_met ? PQntuples(t->pending_met) : 0;
    sla_timer timer;
    for (int i = 0; i < armed; i++)
        if (sla_timer_from_row(t->pending_armed, i, 0, &timer) == 0)
            sla_watch_arm(t->watch, &timer);
    for (int i = 0; i < met; i++) {
        int kind = sla_kind_parse(PQgetvalue(t->pending_met, i, 1));
        sb_uuid ticket;
        if (kind >= 0 && sb_uuid_parse(PQgetvalue(t->pending_met, i, 0), &ticket) == 0)
            sla_watch_forget(t->watch, &ticket, (uint8_t)kind);
    }
    sla_watch_reschedule(t->watch);
    sla_pending_clear(t);
    sb_counter_add(t->c_armed, (uint64_t)armed);
    sb_counter_add(t->c_met, (uint64_t)met);
    sb_debug("timers_applied", "armed %d, met %d", armed, met);
}

const sb_event_consumer_ops sla_timers_ops = {
    .types = sla_types,
    .record = sla_record,
    .apply = sla_apply,
    .committed = sla_committed,
};

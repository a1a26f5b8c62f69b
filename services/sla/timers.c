/* timers.c - sla's consumer: arm acknowledgement/first-response timers, mark them met. */
#include "services/sla/timers.h"

#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/ids.h"
#include "common/json.h"
#include "common/log.h"

/* Without data.ack_due_at, the agent must acknowledge within 1 h of the assignment (DESIGN). */
#define SLA_ACK_DEFAULT_MS (60 * 60 * 1000LL)

static const char *const sla_types[] = {"assigned", "acknowledged", "replied", "resolved", NULL};

/* Which armed timers an event satisfies. */
static const struct {
    const char *type;
    const char *kinds[2];
} sla_met_by_type[] = {
    {"acknowledged", {"acknowledgement", NULL}},
    {"replied", {"first_response", NULL}},
    /* A resolved ticket was certainly acknowledged and answered. */
    {"resolved", {"acknowledgement", "first_response"}},
};

/* First-response deadlines by urgency are computed in SQL from the ticket row, so the urgency
 * classify stored is the one used; a ticket not yet classified gets the medium clock. */
static const char sla_arm_sql[] =
    "INSERT INTO sla_timers (ticket_id, kind, due_at)"
    " SELECT t.id, k.kind,"
    "        CASE k.kind WHEN 'acknowledgement' THEN r.ack_due_at"
    "        ELSE t.created_at + CASE t.urgency WHEN 'high' THEN interval '2 hours'"
    "                                           WHEN 'low' THEN interval '72 hours'"
    "                                           ELSE interval '24 hours' END END"
    " FROM jsonb_to_recordset($1::jsonb) AS r(op text, ticket_id uuid, ack_due_at timestamptz)"
    " JOIN tickets t ON t.id = r.ticket_id"
    " CROSS JOIN (VALUES ('acknowledgement'), ('first_response')) AS k(kind)"
    " WHERE r.op = 'arm'"
    /* Same lock order in every replica: concurrent batches cannot deadlock. */
    " ORDER BY t.id, k.kind"
    " ON CONFLICT (ticket_id, kind) DO NOTHING";

static const char sla_met_sql[] =
    "UPDATE sla_timers s SET state = 'met'"
    " FROM jsonb_to_recordset($1::jsonb) AS r(op text, ticket_id uuid, kinds text[])"
    " WHERE r.op = 'met' AND s.ticket_id = r.ticket_id AND s.kind = ANY (r.kinds)"
    "   AND s.state = 'armed'";

void sla_timers_init(sla_timers *t, sb_metrics *m)
{
    memset(t, 0, sizeof(*t));
    t->c_armed = sb_metrics_counter(m, "sla_timers_armed", "SLA timers armed", NULL);
    t->c_met = sb_metrics_counter(m, "sla_timers_met", "SLA timers met before their deadline", NULL);
}

/* assigned -> {"op":"arm","ticket_id","ack_due_at"}; NULL with *reason on a bad deadline. */
static json_t *sla_arm_record(const sb_event_env *ev, const char *ticket_id, const char **reason)
{
    const char *ack = sb_json_str(json_object_get(ev->json, "data"), "ack_due_at");
    int64_t due_ms = ev->occurred_ms + SLA_ACK_DEFAULT_MS;
    if (ack && sb_clock_parse_iso(ack, &due_ms) != 0) {
        *reason = "data.ack_due_at is not RFC 3339";
        return NULL;
    }
    char due[32];
    /* Re-formatted by us, so PostgreSQL's cast cannot reject it and fail the batch. */
    sb_clock_format_iso(due_ms, due, sizeof(due));
    return json_pack("{s:s, s:s, s:s}", "op", "arm", "ticket_id", ticket_id, "ack_due_at", due);
}

/* acknowledged/replied/resolved -> {"op":"met","ticket_id","kinds":[...]}. */
static json_t *sla_met_record(const char *type, const char *ticket_id)
{
    for (size_t i = 0; i < sizeof(sla_met_by_type) / sizeof(sla_met_by_type[0]); i++) {
        if (strcmp(sla_met_by_type[i].type, type) != 0)
            continue;
        json_t *kinds = json_array();
        for (size_t k = 0; k < 2 && sla_met_by_type[i].kinds[k]; k++)
            json_array_append_new(kinds, json_string(sla_met_by_type[i].kinds[k]));
        return json_pack("{s:s, s:s, s:o}", "op", "met", "ticket_id", ticket_id, "kinds", kinds);
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

/* Run one statement over the records; rows changed, or -1. */
static long sla_exec_rows(sb_pg *pg, const char *sql, const char *records_json)
{
    const char *p[] = {records_json};
    PGresult *res = sb_pg_query(pg, sql, 1, p);
    if (!res)
        return -1;
    long rows = strtol(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    return rows;
}

/* sb_event_consumer_ops.apply: arming first, so a batch holding both the assignment and the
 * resolution of one ticket ends with its timers met. */
static int sla_apply(void *ctx, sb_pg *pg, const char *records_json, size_t n)
{
    (void)n;
    sla_timers *t = ctx;
    long armed = sla_exec_rows(pg, sla_arm_sql, records_json);
    long met = armed < 0 ? -1 : sla_exec_rows(pg, sla_met_sql, records_json);
    if (met < 0)
        return -1;
    t->pending_armed = armed;
    t->pending_met = met;
    return 0;
}

/* sb_event_consumer_ops.committed */
static void sla_committed(void *ctx)
{
    sla_timers *t = ctx;
    sb_counter_add(t->c_armed, (uint64_t)t->pending_armed);
    sb_counter_add(t->c_met, (uint64_t)t->pending_met);
    sb_debug("timers_applied", "armed %ld, met %ld", t->pending_armed, t->pending_met);
}

const sb_event_consumer_ops sla_timers_ops = {
    .types = sla_types,
    .record = sla_record,
    .apply = sla_apply,
    .committed = sla_committed,
};

/* timers.c - sla's consumer: ticket events in, each ticket's clocks loaded, changed in memory
 * (clocks.c) and written back in the batch's transaction; the watch told once it committed. */
#include "services/sla/timers.h"

#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/ids.h"
#include "common/json.h"
#include "common/log.h"
#include "services/sla/clocks.h"

static const char *const sla_types[] = {
    "classified", "assigned", "acknowledged", "replied", "message_appended", "status_changed",
    "resolved", "reopened", "survey_sent", "closed", "requeued", NULL};

/* The batch's tickets: what policies are chosen by, and the department's calendar. */
static const char sla_tickets_sql[] =
    "SELECT t.id, COALESCE(t.priority, ''), COALESCE(t.urgency, ''), COALESCE(t.category, ''),"
    "       t.channel, COALESCE(c.tier, ''), COALESCE(d.calendar_id, ''),"
    "       floor(extract(epoch FROM t.created_at) * 1000)::bigint"
    " FROM tickets t LEFT JOIN customers c ON c.id = t.customer_id"
    " LEFT JOIN departments d ON d.id = t.department_id"
    " WHERE t.id = ANY ($1::uuid[]) ORDER BY t.id";

/* Epoch ms of a timestamptz column, NULL stays NULL. */
#define MS(col) "floor(extract(epoch FROM " col ") * 1000)::bigint"

/* Their clocks, locked in (ticket, kind) order as the firing locks them: no deadlock, and a
 * firing in another replica waits for this batch (then finds next_at moved, and does nothing). */
static const char sla_load_sql[] =
    "SELECT ticket_id, kind, state, " MS("due_at") ", " MS("warn_at") ", " MS("warned_at") ","
    "       " MS("next_at") ", " MS("started_at") ", " MS("armed_at") ", " MS("paused_at") ","
    "       " MS("settled_at") ", remaining_ms, warn_remaining_ms, warn_share, business_hours,"
    "       reminders, COALESCE(source_event_id, ticket_id), COALESCE(agent_id, ''),"
    "       COALESCE(policy_id, ''), COALESCE(calendar_id, '')"
    " FROM sla_timers WHERE ticket_id = ANY ($1::uuid[]) ORDER BY ticket_id, kind FOR UPDATE";

/* Instants from ms: exact (no float), so the watch's next_at comparison holds. */
#define TS(col) "CASE WHEN r." col " IS NOT NULL THEN timestamptz 'epoch' + r." col " * interval '1 millisecond' END"

static const char sla_write_sql[] =
    "INSERT INTO sla_timers AS s (ticket_id, kind, state, due_at, warn_at, warned_at, next_at,"
    "   started_at, armed_at, paused_at, settled_at, remaining_ms, warn_remaining_ms, warn_share,"
    "   business_hours, reminders, source_event_id, agent_id, policy_id, calendar_id)"
    " SELECT r.ticket_id, r.kind, r.state, " TS("due") ", " TS("warn") ", " TS("warned") ","
    "        " TS("next") ", " TS("started") ", COALESCE(" TS("armed") ", now()), " TS("paused") ","
    "        " TS("settled") ", r.remaining, r.warn_remaining, r.warn_share, r.business_hours,"
    "        r.reminders, r.source, NULLIF(r.agent, ''), NULLIF(r.policy, ''), NULLIF(r.calendar, '')"
    " FROM jsonb_to_recordset($1::jsonb) AS r(ticket_id uuid, kind text, state text, due bigint,"
    "   warn bigint, warned bigint, next bigint, started bigint, armed bigint, paused bigint,"
    "   settled bigint, remaining bigint, warn_remaining bigint, warn_share float8,"
    "   business_hours boolean, reminders int, source uuid, agent text, policy text, calendar text)"
    " ORDER BY r.ticket_id, r.kind"
    " ON CONFLICT (ticket_id, kind) DO UPDATE SET state = EXCLUDED.state, due_at = EXCLUDED.due_at,"
    "   warn_at = EXCLUDED.warn_at, warned_at = EXCLUDED.warned_at, next_at = EXCLUDED.next_at,"
    "   started_at = EXCLUDED.started_at, armed_at = EXCLUDED.armed_at,"
    "   paused_at = EXCLUDED.paused_at, settled_at = EXCLUDED.settled_at,"
    "   remaining_ms = EXCLUDED.remaining_ms, warn_remaining_ms = EXCLUDED.warn_remaining_ms,"
    "   warn_share = EXCLUDED.warn_share, business_hours = EXCLUDED.business_hours,"
    "   reminders = EXCLUDED.reminders, source_event_id = EXCLUDED.source_event_id,"
    "   agent_id = EXCLUDED.agent_id, policy_id = EXCLUDED.policy_id,"
    "   calendar_id = EXCLUDED.calendar_id, at_risk_at = CASE"
    "     WHEN EXCLUDED.source_event_id IS DISTINCT FROM s.source_event_id THEN NULL"
    "     ELSE s.at_risk_at END"
    " RETURNING s.ticket_id, s.kind, " MS("s.next_at") ", COALESCE(s.source_event_id, s.ticket_id)";

void sla_timers_init(sla_timers *t, sb_metrics *m, sla_watch *watch)
{
    memset(t, 0, sizeof(*t));
    t->watch = watch;
    t->c_armed = sb_metrics_counter(m, "sla_timers_armed", "SLA timers armed", NULL);
    t->c_met = sb_metrics_counter(m, "sla_timers_met",
                                  "SLA timers met, cancelled or paused before their deadline",
                                  NULL);
}

/* Forget what the last transaction changed. */
static void sla_pending_clear(sla_timers *t)
{
    PQclear(t->pending_armed);
    t->pending_armed = NULL;
}

void sla_timers_close(sla_timers *t)
{
    sla_pending_clear(t);
    sla_policies_free(&t->config);
}

/* sb_event_consumer_ops.record: {"type","ticket_id","source","at", and per type "agent_id",
 * "ack_due", "from", "to"}; NULL with *reason for what cannot be applied. */
static json_t *sla_record(void *ctx, const sb_event_env *ev, const char **reason)
{
    (void)ctx;
    const char *ticket_id = sb_json_str(ev->json, "ticket_id");
    if (!ticket_id || !sb_uuid_valid(ticket_id)) {
        *reason = "ticket_id missing or not a UUID";
        return NULL;
    }
    const json_t *data = json_object_get(ev->json, "data");
    json_t *r = json_pack("{s:s, s:s, s:s, s:I}", "type", ev->type, "ticket_id", ticket_id,
                          "source", ev->event_id, "at", (json_int_t)ev->occurred_ms);
    if (!r)
        return NULL;
    if (strcmp(ev->type, "assigned") == 0) {
        const char *ack = sb_json_str(data, "ack_due_at"), *agent = sb_json_str(data, "agent_id");
        int64_t due_ms = -1;
        if (ack && sb_clock_parse_iso(ack, &due_ms) != 0)
            *reason = "data.ack_due_at is not RFC 3339";
        else if (agent && (!*agent || strlen(agent) > 64))
            *reason = "data.agent_id is empty or longer than 64";
        if (*reason) {
            json_decref(r);
            return NULL;
        }
        json_object_set_new(r, "ack_due", json_integer(due_ms));
        if (agent)
            json_object_set_new(r, "agent_id", json_string(agent));
    } else if (strcmp(ev->type, "status_changed") == 0) {
        const char *from = sb_json_str(data, "from"), *to = sb_json_str(data, "to");
        if (!from || !to || strlen(from) > 32 || strlen(to) > 32) {
            json_decref(r);
            *reason = "data.from or data.to missing";
            return NULL;
        }
        json_object_set_new(r, "from", json_string(from));
        json_object_set_new(r, "to", json_string(to));
    }
    return r;
}

/* A text column into a fixed buffer. */
static void col(const PGresult *r, int row, int c, char *dst, size_t len)
{
    snprintf(dst, len, "%s", PQgetvalue(r, row, c));
}

/* A bigint column, -1 for NULL. */
static int64_t col_ms(const PGresult *r, int row, int c)
{
    return PQgetisnull(r, row, c) ? -1 : strtoll(PQgetvalue(r, row, c), NULL, 10);
}

/* The ticket of id among the batch's n tickets (sorted by id), or NULL. */
static sla_ticket_clocks *ticket_of(sla_ticket_clocks *tk, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(tk[i].id, id) == 0)
            return &tk[i];
    return NULL;
}

/* Load the tickets of ids and their clocks; *out (caller frees) and its count, or -1. */
static int sla_load(sb_pg *pg, const char *ids_literal, sla_ticket_clocks **out, size_t *n)
{
    const char *p[] = {ids_literal};
    PGresult *tr = sb_pg_query(pg, sla_tickets_sql, 1, p);
    PGresult *cr = tr ? sb_pg_query(pg, sla_load_sql, 1, p) : NULL;
    sla_ticket_clocks *tk = cr ? calloc((size_t)PQntuples(tr) + 1, sizeof(*tk)) : NULL;
    if (!tk) {
        PQclear(tr);
        PQclear(cr);
        return -1;
    }
    *n = (size_t)PQntuples(tr);
    for (int i = 0; i < PQntuples(tr); i++) {
        sla_ticket_clocks *t = &tk[i];
        col(tr, i, 0, t->id, sizeof(t->id));
        col(tr, i, 1, t->priority, sizeof(t->priority));
        col(tr, i, 2, t->urgency, sizeof(t->urgency));
        col(tr, i, 3, t->category, sizeof(t->category));
        col(tr, i, 4, t->channel, sizeof(t->channel));
        col(tr, i, 5, t->tier, sizeof(t->tier));
        col(tr, i, 6, t->calendar, sizeof(t->calendar));
        t->created = col_ms(tr, i, 7);
    }
    for (int i = 0; i < PQntuples(cr); i++) {
        sla_ticket_clocks *t = ticket_of(tk, *n, PQgetvalue(cr, i, 0));
        int kind = sla_kind_parse(PQgetvalue(cr, i, 1));
        if (!t || kind < 0)
            continue;
        sla_clock *c = &t->c[kind];
        c->present = 1;
        col(cr, i, 2, c->state, sizeof(c->state));
        c->due = col_ms(cr, i, 3);
        c->warn = col_ms(cr, i, 4);
        c->warned = col_ms(cr, i, 5);
        c->next = col_ms(cr, i, 6);
        c->started = col_ms(cr, i, 7);
        c->armed = col_ms(cr, i, 8);
        c->paused = col_ms(cr, i, 9);
        c->settled = col_ms(cr, i, 10);
        c->remaining = col_ms(cr, i, 11);
        c->warn_remaining = col_ms(cr, i, 12);
        c->warn_share = PQgetisnull(cr, i, 13) ? 0 : strtod(PQgetvalue(cr, i, 13), NULL);
        c->business_hours = PQgetvalue(cr, i, 14)[0] == 't';
        c->reminders = atoi(PQgetvalue(cr, i, 15));
        col(cr, i, 16, c->source, sizeof(c->source));
        col(cr, i, 17, c->agent, sizeof(c->agent));
        col(cr, i, 18, c->policy, sizeof(c->policy));
        col(cr, i, 19, c->calendar, sizeof(c->calendar));
    }
    PQclear(tr);
    PQclear(cr);
    *out = tk;
    return 0;
}

/* An instant for the write: ms, or JSON null. */
static json_t *ms_json(int64_t ms)
{
    return ms < 0 ? json_null() : json_integer(ms);
}

/* The changed clocks as the write statement's recordset (caller decrefs). */
static json_t *sla_dirty_rows(const sla_ticket_clocks *tk, size_t n)
{
    json_t *rows = json_array();
    for (size_t i = 0; rows && i < n; i++)
        for (int k = 0; k < SLA_KIND_COUNT; k++) {
            const sla_clock *c = &tk[i].c[k];
            if (!c->dirty)
                continue;
            json_t *row = json_pack(
                "{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:f, s:b,"
                " s:i, s:s, s:s, s:s, s:s}",
                "ticket_id", tk[i].id, "kind", sla_kind_name((sla_kind)k), "state", c->state,
                "due", ms_json(c->due), "warn", ms_json(c->warn), "warned", ms_json(c->warned),
                "next", ms_json(c->next), "started", ms_json(c->started), "armed",
                ms_json(c->armed), "paused", ms_json(c->paused), "settled",
                ms_json(c->settled), "remaining", ms_json(c->remaining), "warn_remaining",
                ms_json(c->warn_remaining), "warn_share", c->warn_share, "business_hours",
                c->business_hours, "reminders", c->reminders, "source", c->source, "agent",
                c->agent, "policy", c->policy, "calendar", c->calendar);
            if (!row || json_array_append_new(rows, row) != 0) {
                json_decref(rows);
                return NULL;
            }
        }
    return rows;
}

/* The batch's ticket ids as a PostgreSQL array literal (caller frees). */
static char *sla_ids_literal(const json_t *recs)
{
    size_t n = json_array_size(recs);
    const char **ids = calloc(n + 1, sizeof(*ids));
    for (size_t i = 0; ids && i < n; i++)
        ids[i] = sb_json_str(json_array_get(recs, i), "ticket_id");
    char *lit = ids ? sb_pg_array_literal(ids, n) : NULL;
    free(ids);
    return lit;
}

/* Apply each record, in order, to its ticket's clocks. */
static void sla_apply_records(sla_timers *t, const json_t *recs, sla_ticket_clocks *tk, size_t n)
{
    size_t i;
    const json_t *r;
    json_array_foreach(recs, i, r) {
        sla_ticket_clocks *tc = ticket_of(tk, n, sb_json_str(r, "ticket_id"));
        if (!tc)
            continue;   /* not in tickets (a foreign test event): nothing to watch */
        const json_t *ack = json_object_get(r, "ack_due");
        sla_event ev = {.type = sb_json_str(r, "type"),
                        .source = sb_json_str(r, "source"),
                        .at = json_integer_value(json_object_get(r, "at")),
                        .agent = sb_json_str(r, "agent_id"),
                        .ack_due = ack ? json_integer_value(ack) : -1,
                        .from = sb_json_str(r, "from"),
                        .to = sb_json_str(r, "to")};
        sla_clocks_apply(tc, &t->config, &ev);
    }
}

/* sb_event_consumer_ops.apply: configuration, tickets and clocks loaded, events applied in
 * order in memory, the changed clocks written back; their rows are kept until the transaction
 * commits, then handed to the watch. */
static int sla_apply(void *ctx, sb_pg *pg, const char *records_json, size_t n)
{
    (void)n;
    sla_timers *t = ctx;
    sla_pending_clear(t);
    json_t *recs = json_loads(records_json, 0, NULL);
    char *ids = recs ? sla_ids_literal(recs) : NULL;
    sla_ticket_clocks *tk = NULL;
    size_t ntk = 0;
    int rc = ids && sla_policies_load(&t->config, pg) == 0 && sla_load(pg, ids, &tk, &ntk) == 0
                 ? 0 : -1;
    free(ids);
    if (rc == 0) {
        sla_apply_records(t, recs, tk, ntk);
        json_t *rows = sla_dirty_rows(tk, ntk);
        char *text = rows ? sb_json_dump(rows) : NULL;
        const char *p[] = {text};
        t->pending_armed = text ? sb_pg_query(pg, sla_write_sql, 1, p) : NULL;
        rc = t->pending_armed ? 0 : -1;
        free(text);
        json_decref(rows);
    }
    free(tk);
    json_decref(recs);
    return rc;
}

/* sb_event_consumer_ops.committed: the watch follows what PostgreSQL now holds. */
static void sla_committed(void *ctx)
{
    sla_timers *t = ctx;
    int rows = t->pending_armed ? PQntuples(t->pending_armed) : 0, armed = 0;
    for (int i = 0; i < rows; i++) {
        sla_timer timer;
        if (PQgetisnull(t->pending_armed, i, 2)) {
            int kind = sla_kind_parse(PQgetvalue(t->pending_armed, i, 1));
            sb_uuid ticket;
            if (kind >= 0 && sb_uuid_parse(PQgetvalue(t->pending_armed, i, 0), &ticket) == 0)
                sla_watch_forget(t->watch, &ticket, (uint8_t)kind);
        } else if (sla_timer_from_row(t->pending_armed, i, 0, &timer) == 0) {
            sla_watch_arm(t->watch, &timer);
            armed++;
        }
    }
    sla_watch_reschedule(t->watch);
    sla_pending_clear(t);
    sb_counter_add(t->c_armed, (uint64_t)armed);
    sb_counter_add(t->c_met, (uint64_t)(rows - armed));
    sb_debug("timers_applied", "%d clocks changed, %d watched", rows, armed);
}

const sb_event_consumer_ops sla_timers_ops = {
    .types = sla_types,
    .record = sla_record,
    .apply = sla_apply,
    .committed = sla_committed,
};

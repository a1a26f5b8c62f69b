/* ticket.c - GET /v1/tickets/{number}: one ticket, its masked customer and its timeline. */
#include "services/desk/desk.h"

#include <string.h>

#include "common/channel.h"
#include "common/http.h"
#include "common/ids.h"

/* Column order of desk_ticket_sql, named for the code that reads it. */
enum {
    TK_NUMBER, TK_STATUS, TK_CHANNEL, TK_CATEGORY, TK_SUBTOPIC, TK_URGENCY, TK_PRIORITY,
    TK_DEPARTMENT, TK_ASSIGNEE, TK_EXPLANATION, TK_CUST_NAME, TK_CUST_PHONE, TK_CUST_EMAIL,
    TK_CUST_TIER, TK_CREATED, TK_UPDATED, TK_TIMELINE, TK_SUGGESTIONS, TK_SLA, TK_CO_DEPARTMENTS,
};

/* One statement: the ticket, its customer (masked columns only: raw contact needs the audited
 * read of issue 5), its events oldest first (seq keeps one millisecond's events in order), built
 * by PostgreSQL as one JSON array, and the knowledge-base articles suggested when it was opened
 * (those still published, best first), its SLA clocks and co-operating departments. A ticket
 * out of the caller's scope ($2, $3) is not found: a 404 that does not reveal it exists. */
static const char desk_ticket_sql[] =
    "SELECT t.number, t.status, t.channel, t.category, t.subtopic, t.urgency, t.priority,"
    "       t.department_id, t.assignee, t.explanation::text,"
    "       c.display_name, c.phone_masked, c.email_masked, c.tier,"
    "       " DESK_SQL_ISO("t.created_at") ", " DESK_SQL_ISO("t.updated_at") ","
    "       (SELECT coalesce(json_agg(json_build_object("
    "                 'event_id', e.event_id, 'type', e.type,"
    "                 'occurred_at', " DESK_SQL_ISO("e.occurred_at") ","
    "                 'data', CASE jsonb_typeof(e.payload->'data')"
    "                         WHEN 'object' THEN e.payload->'data' ELSE '{}'::jsonb END)"
    "               ORDER BY e.occurred_at, e.seq), '[]'::json)"
    "        FROM ticket_events e WHERE e.ticket_id = t.id)::text,"
    "       (SELECT coalesce(json_agg(json_build_object("
    "                 'article_id', k.id, 'title', k.title, 'score', round(g.score::numeric, 4))"
    "               ORDER BY g.rank), '[]'::json)"
    "        FROM ticket_suggestions g JOIN kb_articles k ON k.id = g.article_id"
    "        WHERE g.ticket_id = t.id AND k.status = 'published')::text,"
    "       (SELECT coalesce(json_agg(json_build_object("
    "                 'kind', m.kind, 'due_at', " DESK_SQL_ISO("m.due_at") ", 'state', m.state)"
    "               ORDER BY m.due_at, m.kind), '[]'::json)"
    "        FROM sla_timers m WHERE m.ticket_id = t.id)::text,"
    "       array_to_json(t.co_departments)::text"
    " FROM tickets t JOIN customers c ON c.id = t.customer_id"
    " WHERE t.number = $1 AND " DESK_SCOPE_SQL("t", "$2", "$3");

/* Cell (row, col) holding JSON text, parsed; fallback when it is not what we stored. */
static json_t *desk_json_cell(const PGresult *res, int col, json_t *fallback)
{
    json_t *v = json_loads(PQgetvalue(res, 0, col), 0, NULL);
    if (!v)
        return fallback;
    json_decref(fallback);
    return v;
}

/* The answer body from the single row of desk_ticket_sql. */
static json_t *desk_ticket_json(const PGresult *res)
{
    static const struct { const char *name; int col; } cells[] = {
        {"number", TK_NUMBER}, {"status", TK_STATUS}, {"channel", TK_CHANNEL},
        {"category", TK_CATEGORY}, {"subtopic", TK_SUBTOPIC}, {"urgency", TK_URGENCY},
        {"priority", TK_PRIORITY}, {"department", TK_DEPARTMENT}, {"assignee", TK_ASSIGNEE},
        {"created_at", TK_CREATED}, {"updated_at", TK_UPDATED},
    };
    json_t *t = json_object();
    for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++)
        json_object_set_new(t, cells[i].name, desk_cell(res, 0, cells[i].col));
    json_object_set_new(t, "explanation", desk_json_cell(res, TK_EXPLANATION, json_object()));
    json_object_set_new(t, "customer",
                        json_pack("{s:o, s:o, s:o, s:o}",
                                  "display_name", desk_cell(res, 0, TK_CUST_NAME),
                                  "phone_masked", desk_cell(res, 0, TK_CUST_PHONE),
                                  "email_masked", desk_cell(res, 0, TK_CUST_EMAIL),
                                  "tier", desk_cell(res, 0, TK_CUST_TIER)));
    json_object_set_new(t, "timeline", desk_json_cell(res, TK_TIMELINE, json_array()));
    json_object_set_new(t, "suggestions", desk_json_cell(res, TK_SUGGESTIONS, json_array()));
    json_object_set_new(t, "sla", desk_json_cell(res, TK_SLA, json_array()));
    json_object_set_new(t, "co_departments", desk_json_cell(res, TK_CO_DEPARTMENTS, json_array()));
    return t;
}

/* GET /v1/tickets/{number} (and /{number}/contact, contact.c) */
static void desk_ticket_get(struct evhttp_request *req, const char *tail, void *ctx)
{
    sb_service *s = ctx;
    sb_error err;
    sb_error_clear(&err);
    desk_scope scope;
    if (desk_authorize(s, req, &scope, &err) != 0) {
        sb_http_reply_error(req, &err);
        return;
    }
    const char *slash = strchr(tail, '/');
    if (slash && strcmp(slash, "/contact") == 0) {
        desk_contact_get(s, req, &scope, tail, (size_t)(slash - tail));
        return;
    }
    if (!desk_number_valid(tail)) {
        sb_http_reply_errorf(req, 400, "invalid_field", "number",
                             "a ticket number looks like WX-20261122-000123");
        return;
    }
    const char *p[] = {tail, scope.scoped, scope.supervising};
    PGresult *res = sb_pg_query(s->pg, desk_ticket_sql, 3, p);
    if (!res) {
        sb_http_reply_errorf(req, 503, "unavailable", "", "cannot read the ticket now");
        return;
    }
    if (PQntuples(res) == 1)
        sb_http_reply_json(req, 200, desk_ticket_json(res));
    else
        sb_http_reply_errorf(req, 404, "not_found", "number", "no ticket %s", tail);
    PQclear(res);
}

int desk_ticket_routes(sb_service *s)
{
    return sb_http_route(s->http, "GET", "/v1/tickets/", desk_ticket_get, s);
}

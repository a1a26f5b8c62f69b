/* board.c - GET /v1/board: the supervisors' live view of their departments: the work waiting
 * and in hand, each agent's load, and the tickets past an SLA deadline. */
#include "services/desk/desk.h"

#include "common/http.h"

/* How many overdue tickets the board lists (the counts cover all of them). */
#define DESK_BOARD_OVERDUE_MAX "50"

/* One statement, built as JSON by PostgreSQL.
 * scope: every department for an admin ($2), else the departments of the teams the supervisor
 *        ($1) leads plus their own.
 * staff: the agents (role agent) whose home department is in scope.
 * open:  one pass over the unfinished tickets of those departments or of those agents (status
 *        is deliberately not indexed, see 001_core.sql: the pass reads every ticket not yet
 *        resolved or closed in scope and the rest of the table's visibility; fine for a board
 *        refreshed every few seconds, a per-department counter kept by dispatch would be next).
 * late:  tickets with an armed SLA timer past its due time (sla_timers_due_idx), the earliest
 *        such timer each, in scope: counted per department, the 50 most overdue listed.
 * Counts are per lead department (tickets.department_id); an agent's open tickets are those
 * assigned to them wherever they sit. */
static const char desk_board_sql[] =
    "WITH scope AS ("
    "  SELECT d.id, d.name FROM departments d"
    "  WHERE $2::boolean"
    "     OR d.id IN (SELECT tm.department_id FROM teams tm WHERE tm.supervisor_id = $1)"
    "     OR d.id = (SELECT a.department_id FROM agents a WHERE a.id = $1)),"
    " staff AS ("
    "  SELECT a.id, a.name, a.department_id, a.team_id, a.on_duty, a.max_open FROM agents a"
    "  WHERE a.role = 'agent' AND a.department_id IN (SELECT id FROM scope)),"
    " open AS ("
    "  SELECT t.department_id, t.status, t.assignee FROM tickets t"
    "  WHERE t.status NOT IN ('resolved', 'closed')"
    "    AND (t.department_id IN (SELECT id FROM scope) OR t.assignee IN (SELECT id FROM staff))),"
    " counts AS ("
    "  SELECT o.department_id AS id,"
    "         count(*) FILTER (WHERE o.status = 'classified' AND o.assignee IS NULL) AS queued,"
    "         count(*) FILTER (WHERE o.status = 'assigned') AS assigned,"
    "         count(*) FILTER (WHERE o.status = 'acknowledged') AS acknowledged,"
    "         count(*) FILTER (WHERE o.status = 'awaiting_customer') AS awaiting_customer"
    "  FROM open o GROUP BY o.department_id),"
    " load AS (SELECT o.assignee AS id, count(*) AS n FROM open o"
    "          WHERE o.assignee IS NOT NULL GROUP BY o.assignee),"
    " late AS ("
    "  SELECT DISTINCT ON (st.ticket_id) st.ticket_id, st.kind, st.due_at FROM sla_timers st"
    "  WHERE st.state = 'armed' AND st.due_at < now() ORDER BY st.ticket_id, st.due_at),"
    " late_t AS ("
    "  SELECT t.number, t.status, t.priority, t.department_id, t.assignee, l.kind, l.due_at"
    "  FROM late l JOIN tickets t ON t.id = l.ticket_id"
    "  WHERE t.department_id IN (SELECT id FROM scope)),"
    " late_n AS (SELECT department_id AS id, count(*) AS n FROM late_t GROUP BY department_id)"
    " SELECT json_build_object("
    "  'generated_at', " DESK_SQL_ISO("now()") ","
    "  'departments', (SELECT coalesce(json_agg(json_build_object("
    "        'id', s.id, 'name', s.name, 'queued', coalesce(c.queued, 0),"
    "        'assigned', coalesce(c.assigned, 0), 'acknowledged', coalesce(c.acknowledged, 0),"
    "        'awaiting_customer', coalesce(c.awaiting_customer, 0), 'overdue', coalesce(n.n, 0))"
    "      ORDER BY s.id), '[]'::json)"
    "    FROM scope s LEFT JOIN counts c ON c.id = s.id LEFT JOIN late_n n ON n.id = s.id),"
    "  'agents', (SELECT coalesce(json_agg(json_build_object("
    "        'id', a.id, 'name', a.name, 'department', a.department_id, 'team', a.team_id,"
    "        'on_duty', a.on_duty, 'open', coalesce(l.n, 0), 'max_open', a.max_open)"
    "      ORDER BY a.department_id, a.id), '[]'::json)"
    "    FROM staff a LEFT JOIN load l ON l.id = a.id),"
    "  'overdue', (SELECT coalesce(json_agg(json_build_object("
    "        'number', x.number, 'status', x.status, 'priority', x.priority,"
    "        'department', x.department_id, 'assignee', x.assignee, 'kind', x.kind,"
    "        'due_at', " DESK_SQL_ISO("x.due_at") ") ORDER BY x.due_at, x.number), '[]'::json)"
    "    FROM (SELECT * FROM late_t ORDER BY due_at, number LIMIT " DESK_BOARD_OVERDUE_MAX ") x)"
    " )::text";

/* GET /v1/board (supervisor+) */
static void desk_board_get(struct evhttp_request *req, const char *tail, void *ctx)
{
    (void)tail;
    sb_service *s = ctx;
    sb_error err;
    sb_error_clear(&err);
    sb_principal who;
    if (sb_pg_ensure(s->pg) != 0)
        sb_error_set(&err, 503, "unavailable", "", "database unavailable");
    else
        sb_auth_require(s->pg, req, SB_ROLE_SUPERVISOR, &who, &err);
    if (err.status) {
        sb_http_reply_error(req, &err);
        return;
    }
    const char *p[] = {who.subject, who.role == SB_ROLE_ADMIN ? "true" : "false"};
    desk_reply_json_row(req, sb_pg_query(s->pg, desk_board_sql, 2, p), "the board");
}

int desk_board_routes(sb_service *s)
{
    return sb_http_route(s->http, "GET", "/v1/board", desk_board_get, s);
}

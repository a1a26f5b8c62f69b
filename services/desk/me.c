/* me.c - GET /v1/me: who the token belongs to, so the console knows its user and their role. */
#include "services/desk/desk.h"

#include "common/http.h"

/* The token's subject and role, and the agent row when the subject is an agent (the deployment's
 * admin token has none: its name, department, team and duty are null). */
static const char desk_me_sql[] =
    "SELECT json_build_object('subject', $1::text, 'role', $2::text, 'name', a.name,"
    "                         'department', a.department_id, 'team', a.team_id,"
    "                         'on_duty', a.on_duty)::text"
    " FROM (SELECT 1) one LEFT JOIN agents a ON a.id = $1";

/* GET /v1/me */
static void desk_me_get(struct evhttp_request *req, const char *tail, void *ctx)
{
    (void)tail;
    sb_service *s = ctx;
    sb_error err;
    sb_error_clear(&err);
    desk_scope scope;
    if (desk_authorize(s, req, &scope, &err) != 0) {
        sb_http_reply_error(req, &err);
        return;
    }
    const char *p[] = {scope.who.subject, sb_role_name(scope.who.role)};
    desk_reply_json_row(req, sb_pg_query(s->pg, desk_me_sql, 2, p), "who you are");
}

int desk_me_routes(sb_service *s)
{
    return sb_http_route(s->http, "GET", "/v1/me", desk_me_get, s);
}

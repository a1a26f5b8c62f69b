/* desk.c - desk's shared pieces: who may see which tickets, and result cells as JSON. */
#include "services/desk/desk.h"

#include "common/channel.h"
#include "common/http.h"
#include "common/ids.h"

int desk_number_valid(const char *number)
{
    char code[3];
    int day;
    int64_t serial;
    return sb_ticket_number_parse(number, code, &day, &serial) == 0 &&
           sb_channel_by_code(code) != NULL;
}

int desk_authorize(sb_service *s, struct evhttp_request *req, desk_scope *scope, sb_error *err)
{
    if (sb_pg_ensure(s->pg) != 0)
        return sb_error_set(err, 503, "unavailable", "", "database unavailable");
    if (sb_auth_require(s->pg, req, SB_ROLE_AGENT, &scope->who, err) != 0)
        return -1;
    scope->scoped = scope->who.role == SB_ROLE_ADMIN ? NULL : scope->who.subject;
    scope->supervising = scope->who.role == SB_ROLE_SUPERVISOR ? "true" : "false";
    return 0;
}

json_t *desk_cell(const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return json_null();
    json_t *v = json_string(PQgetvalue(res, row, col));
    return v ? v : json_null();   /* not UTF-8 (a SQL_ASCII database): no garbage in the API */
}

void desk_reply_json_row(struct evhttp_request *req, PGresult *res, const char *what)
{
    json_t *body = res && PQntuples(res) == 1 ? json_loads(PQgetvalue(res, 0, 0), 0, NULL) : NULL;
    if (body)
        sb_http_reply_json(req, 200, body);
    else
        sb_http_reply_errorf(req, 503, "unavailable", "", "cannot read %s now", what);
    PQclear(res);
}

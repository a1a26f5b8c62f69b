/* admin.c - the skeleton every admin handler runs on: authenticate, read, change in one
 * transaction, audit, answer. */
#include "services/desk/admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/audit.h"
#include "common/http.h"
#include "services/desk/admin_body.h"

/* Admin bodies are small: a template's text is the largest member. */
#define DESK_ADM_MAX_BODY (64 * 1024)

int desk_adm_start(desk_adm *a, sb_service *s, struct evhttp_request *req, sb_role min,
                   int want_body)
{
    memset(a, 0, sizeof *a);
    a->s = s;
    a->req = req;
    int rc = sb_pg_ensure(s->pg) == 0
                 ? 0 : sb_error_set(&a->err, 503, "unavailable", "", "database unavailable");
    if (rc == 0)
        rc = sb_auth_require(s->pg, req, min, &a->who, &a->err);
    if (rc == 0 && want_body)
        rc = (a->body = sb_http_body_json(req, DESK_ADM_MAX_BODY, &a->err)) ? 0 : -1;
    if (rc != 0)
        desk_adm_end(a, rc);
    return rc;
}

int desk_adm_path_id(desk_adm *a, const char *tail, char *out, size_t cap)
{
    size_t n = strlen(tail);
    if (n >= cap || !desk_admin_id_ok(tail, DESK_ADMIN_ID_MAX))
        return sb_error_set(&a->err, 400, "invalid_field", "id", "not an id: a-z, 0-9, '-', '_'");
    memcpy(out, tail, n + 1);
    return 0;
}

int desk_adm_begin(desk_adm *a)
{
    if (sb_pg_begin(a->s->pg) != 0)
        return sb_error_set(&a->err, 503, "unavailable", "", "cannot start a transaction");
    return 0;
}

int desk_adm_exec(desk_adm *a, const char *sql, int n, const char *const *p)
{
    PGresult *res = sb_pg_query(a->s->pg, sql, n, p);
    if (!res)
        return sb_error_set(&a->err, 503, "unavailable", "", "cannot change the data now");
    int rows = PQresultStatus(res) == PGRES_TUPLES_OK ? PQntuples(res) : atoi(PQcmdTuples(res));
    PQclear(res);
    return rows;
}

int desk_adm_must(desk_adm *a, const char *sql, int n, const char *const *p, int status,
                  const char *field, const char *message)
{
    int rows = desk_adm_exec(a, sql, n, p);
    if (rows == 0)
        return sb_error_set(&a->err, status,
                            status == 404 ? "not_found" : status == 409 ? "conflict"
                                                                        : "invalid_field",
                            field, "%s", message);
    return rows < 0 ? -1 : 0;
}

int desk_adm_none(desk_adm *a, const char *sql, int n, const char *const *p, int status,
                  const char *field, const char *message)
{
    int rows = desk_adm_exec(a, sql, n, p);
    if (rows > 0)
        return sb_error_set(&a->err, status, status == 409 ? "conflict" : "invalid_field", field,
                            "%s", message);
    return rows < 0 ? -1 : 0;
}

int desk_adm_commit(desk_adm *a, const char *action, const char *kind, const char *id,
                    json_t *detail)
{
    char target[96];
    snprintf(target, sizeof target, "%s:%s", kind, id);
    if (sb_audit_record(a->s->pg, &a->who, action, target, detail) != 0)
        return sb_error_set(&a->err, 503, "unavailable", "", "cannot record %s now", action);
    if (sb_pg_commit(a->s->pg) != 0)
        return sb_error_set(&a->err, 503, "unavailable", "", "cannot commit now");
    return 0;
}

int desk_adm_reply_sql(desk_adm *a, int status, const char *sql, int n, const char *const *p,
                       const char *field)
{
    PGresult *res = sb_pg_query(a->s->pg, sql, n, p);
    if (!res)
        return sb_error_set(&a->err, 503, "unavailable", "", "cannot read it now");
    if (PQntuples(res) == 0) {
        PQclear(res);
        return sb_error_set(&a->err, 404, "not_found", field, "there is no such %s", field);
    }
    sb_http_reply_text(a->req, status, "application/json", PQgetvalue(res, 0, 0),
                       (size_t)PQgetlength(res, 0, 0));
    PQclear(res);
    return 0;
}

void desk_adm_end(desk_adm *a, int rc)
{
    if (rc != 0) {
        sb_pg_rollback(a->s->pg);
        if (!a->err.status)
            sb_error_set(&a->err, 503, "unavailable", "", "cannot do it now");
        sb_http_reply_error(a->req, &a->err);
    }
    json_decref(a->body);
    a->body = NULL;
}

int desk_admin_routes(sb_service *s)
{
    return desk_admin_org_routes(s) || desk_admin_routing_routes(s) ||
           desk_admin_template_routes(s) || desk_admin_credential_routes(s) ||
           desk_admin_sla_routes(s)
               ? -1 : 0;
}

void desk_adm_get_by_id(struct evhttp_request *req, const char *tail, sb_service *s,
                        const char *sql, const char *field)
{
    desk_adm a;
    char id[DESK_ADMIN_ID_MAX + 1];
    if (desk_adm_start(&a, s, req, SB_ROLE_ADMIN, 0) != 0)
        return;
    const char *p[] = {id};
    int rc = desk_adm_path_id(&a, tail, id, sizeof id);
    if (rc == 0)
        rc = desk_adm_reply_sql(&a, 200, sql, 1, p, field);
    desk_adm_end(&a, rc);
}

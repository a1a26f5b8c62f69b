/* admin.h - what desk's admin handlers (admin_org.c, admin_routing.c, admin_templates.c,
 * admin_credentials.c) share: the caller and their body, one transaction that commits with
 * its audit_log row, statements whose "no row" is a named 4xx, and JSON rendered by SQL. */
#ifndef DESK_ADMIN_H
#define DESK_ADMIN_H

#include "services/desk/desk.h"

/* One admin request from start to answer. */
typedef struct desk_adm {
    sb_service            *s;
    struct evhttp_request *req;
    sb_principal           who;
    sb_error               err;
    json_t                *body;   /* owned; NULL when the call takes none */
} desk_adm;

/* Authenticates at least min (401/403), reads the JSON body when want_body. 0, or -1 with
 * the error already answered (call nothing else then). */
int  desk_adm_start(desk_adm *a, sb_service *s, struct evhttp_request *req, sb_role min,
                    int want_body);
/* The path's {id} (the whole tail: "/v1/admin/teams/x/y" names no team) into out; -1 with a
 * 400 naming "id" in a->err when it is not an id. */
int  desk_adm_path_id(desk_adm *a, const char *tail, char *out, size_t cap);
/* Opens the change's transaction. 0 or -1 with a->err. */
int  desk_adm_begin(desk_adm *a);
/* Runs a statement in the transaction; the rows it returned or changed, or -1 with a 503. */
int  desk_adm_exec(desk_adm *a, const char *sql, int n, const char *const *p);
/* Same, but no row is a status (404 not_found, 400 invalid_field, 409 conflict) naming field
 * with message. */
int  desk_adm_must(desk_adm *a, const char *sql, int n, const char *const *p, int status,
                   const char *field, const char *message);
/* Same, but a row is the refusal: a check query that finds what is wrong. */
int  desk_adm_none(desk_adm *a, const char *sql, int n, const char *const *p, int status,
                   const char *field, const char *message);
/* Writes the audit row (action on "<kind>:<id>", detail stolen) and commits. 0 or -1. */
int  desk_adm_commit(desk_adm *a, const char *action, const char *kind, const char *id,
                     json_t *detail);
/* Answers status with the JSON text sql returns in its first cell (404 naming field when it
 * returns no row); -1 with a->err when the query fails. */
int  desk_adm_reply_sql(desk_adm *a, int status, const char *sql, int n, const char *const *p,
                        const char *field);
/* A whole GET of one row by the path's {id}: admin only, answered with what sql renders for it
 * ($1 = the id; 404 naming field when there is none). */
void desk_adm_get_by_id(struct evhttp_request *req, const char *tail, sb_service *s,
                        const char *sql, const char *field);
/* The admin API's routes, by file. 0 or -1. */
int desk_admin_org_routes(sb_service *s);          /* admin_org.c */
int desk_admin_routing_routes(sb_service *s);      /* admin_routing.c */
int desk_admin_template_routes(sb_service *s);     /* admin_templates.c */
int desk_admin_credential_routes(sb_service *s);   /* admin_credentials.c */
int desk_admin_sla_routes(sb_service *s);          /* admin_sla.c */

/* Ends the request: when rc != 0 rolls back and answers a->err; frees the body. */
void desk_adm_end(desk_adm *a, int rc);

#endif

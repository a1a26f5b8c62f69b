/* contact.c - GET /v1/tickets/{number}/contact: a customer's raw contact, for those allowed, audited. */
#include "services/desk/desk.h"

#include <stdio.h>
#include <string.h>

#include "common/audit.h"
#include "common/http.h"
#include "common/utf8.h"

/* The ticket in the caller's scope, its customer's raw contact (empty when none was stored)
 * and whether the caller may read it: admins always, others with agents.contact_read. */
static const char contact_sql[] =
    "SELECT t.customer_id::text, coalesce(cc.name, ''), coalesce(cc.phone, ''),"
    "       coalesce(cc.email, ''), coalesce(cc.external_id, ''),"
    "       ($4::boolean OR coalesce((SELECT a.contact_read FROM agents a WHERE a.id = $5), false))::text"
    " FROM tickets t LEFT JOIN customer_contacts cc ON cc.customer_id = t.customer_id"
    " WHERE t.number = $1 AND " DESK_SCOPE_SQL("t", "$2", "$3");

/* 1 when s is well-formed UTF-8 and shorter than the buffer it was read into was full. */
static int contact_text_valid(const char *s)
{
    size_t n = strlen(s);
    if (n >= 510)
        return 0;
    for (size_t i = 0, k; i < n; i += k)
        if ((k = sb_utf8_char_len(s + i, n - i)) == 0)
            return 0;
    return 1;
}

/* Reads, records the read (contact_reads + audit_log) and builds the answer, all in the open
 * transaction. 0 with *out, or -1 with err. */
static int contact_read_tx(sb_service *s, const desk_scope *scope, const char *number,
                           const char *reason, json_t **out, sb_error *err)
{
    const char *p[] = {number, scope->scoped, scope->supervising,
                       scope->who.role == SB_ROLE_ADMIN ? "true" : "false", scope->who.subject};
    PGresult *res = sb_pg_query(s->pg, contact_sql, 5, p);
    if (!res)
        return sb_error_set(err, 503, "unavailable", "", "cannot read the contact now");
    int rc = 0;
    if (PQntuples(res) != 1)
        rc = sb_error_set(err, 404, "not_found", "number", "no ticket %s", number);
    else if (strcmp(PQgetvalue(res, 0, 5), "true") != 0)
        rc = sb_error_set(err, 403, "forbidden", "contact_read",
                          "reading raw customer contact needs the contact permission");
    if (rc != 0) {
        PQclear(res);
        return rc;
    }
    const char *w[] = {PQgetvalue(res, 0, 0), scope->who.subject, reason};
    if (sb_pg_exec(s->pg, "INSERT INTO contact_reads (customer_id, reader, reason)"
                          " VALUES ($1::bigint, $2, $3)", 3, w) != 0 ||
        sb_audit_record(s->pg, &scope->who, "ticket.contact_read", number,
                        json_pack("{s:s, s:s}", "customer", PQgetvalue(res, 0, 0), "reason",
                                  reason)) != 0)
        rc = sb_error_set(err, 503, "unavailable", "", "cannot record the read now");
    else
        *out = json_pack("{s:s, s:o, s:o, s:o, s:o}", "number", number,
                         "name", desk_cell(res, 0, 1), "phone", desk_cell(res, 0, 2),
                         "email", desk_cell(res, 0, 3), "external_id", desk_cell(res, 0, 4));
    PQclear(res);
    return rc;
}

void desk_contact_get(sb_service *s, struct evhttp_request *req, const desk_scope *scope,
                      const char *tail, size_t len)
{
    char number[40], reason[512];
    sb_error err;
    sb_error_clear(&err);
    snprintf(number, sizeof number, "%.*s", (int)(len < sizeof number ? len : 0), tail);
    if (!desk_number_valid(number)) {
        sb_http_reply_errorf(req, 400, "invalid_field", "number",
                             "a ticket number looks like WX-20261122-000123");
        return;
    }
    /* Why the contact is needed (optional, ?reason=, kept with the read). */
    if (!sb_http_query_param(req, "reason", reason, sizeof reason))
        reason[0] = '\0';
    if (!contact_text_valid(reason)) {
        sb_http_reply_errorf(req, 400, "invalid_field", "reason",
                             "reason must be UTF-8 text of at most %zu bytes", sizeof reason - 2);
        return;
    }
    json_t *out = NULL;
    int rc = sb_pg_begin(s->pg) == 0 ? 0
             : sb_error_set(&err, 503, "unavailable", "", "database unavailable");
    if (rc == 0)
        rc = contact_read_tx(s, scope, number, reason, &out, &err);
    if (rc == 0 && sb_pg_commit(s->pg) != 0)
        rc = sb_error_set(&err, 503, "unavailable", "", "cannot commit the read now");
    if (rc != 0) {
        sb_pg_rollback(s->pg);
        json_decref(out);
        sb_http_reply_error(req, &err);
        return;
    }
    sb_http_reply_json(req, 200, out);
}

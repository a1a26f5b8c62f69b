/* audit.c - one row per human action in audit_log. */
#include "common/audit.h"

#include <stdlib.h>

#include "common/json.h"

int sb_audit_record(sb_pg *pg, const sb_principal *who, const char *action, const char *target,
                    json_t *detail)
{
    if (!detail)
        detail = json_object();
    char *body = sb_json_dump(detail);
    json_decref(detail);
    if (!body)
        return -1;
    const char *p[] = {who->subject, sb_role_name(who->role), action, target, body};
    int rc = sb_pg_exec(pg,
                        "INSERT INTO audit_log (actor, role, action, target, detail)"
                        " VALUES ($1, $2, $3, $4, $5::jsonb)",
                        5, p);
    free(body);
    return rc;
}

/* admin_call.c - desk admin calls with the status (and error field) they must answer. */
#include "admin_call.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "expect.h"
#include "fixture.h"
#include "http_client.h"

json_t *sb_test_admin_call(const char *method, const char *path, const char *bearer,
                           const char *body, int want)
{
    int status = 0;
    json_t *r = sb_test_desk_json(method, path, bearer, body, &status);
    char *text = r ? json_dumps(r, JSON_COMPACT) : NULL;
    cr_assert_eq(status, want, "%s %s: %d, wanted %d: %s", method, path, status, want,
                 text ? text : "(no JSON)");
    free(text);
    return r;
}

void sb_test_assert_admin_refused(const char *method, const char *path, const char *bearer,
                           const char *body, int want, const char *field)
{
    json_t *r = sb_test_admin_call(method, path, bearer, body, want);
    cr_expect_str_eq(sb_test_error_field(r), field, "%s %s: field", method, path);
    cr_expect_str_neq(sb_test_error_code(r), "", "%s %s: code", method, path);
    json_decref(r);
}

int sb_test_audit_count(PGconn *pg, const char *action, const char *target)
{
    const char *p[] = {action, target};
    char *n = sb_fixture_value(pg, "SELECT count(*) FROM audit_log WHERE action = $1"
                                   " AND target = $2", 2, p);
    int v = n ? atoi(n) : -1;
    free(n);
    return v;
}

void sb_test_unique_id(char *out, size_t len, const char *prefix)
{
    char hex[9];
    sb_fixture_hex(hex, 8);
    snprintf(out, len, "%s%s", prefix, hex);
}

const char *sb_test_admin_open(PGconn **pg)
{
    const char *admin = sb_test_env("SB_ADMIN_TOKEN");
    sb_test_env("SB_DESK_URL");
    *pg = sb_fixture_pg();
    cr_assert_not_null(*pg, "cannot connect to SB_PG_DSN");
    return admin;
}

void sb_test_admin_close(PGconn **pg)
{
    if (*pg)
        PQfinish(*pg);
    *pg = NULL;
}

/* test_common_audit.c - common/audit against real PostgreSQL: rows land, and stay as written. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/audit.h"
#include "service_pg.h"

Test(common_audit, records_actor_role_action_target_and_detail)
{
    sb_pg *pg = sb_test_service_pg();
    sb_principal who = {.role = SB_ROLE_SUPERVISOR};
    snprintf(who.subject, sizeof(who.subject), "audit-test-%d", (int)getpid());
    cr_assert_eq(sb_audit_record(pg, &who, "ticket.urge", "WB-20261123-000001",
                                 json_pack("{s:s}", "why", "overdue")), 0);
    cr_assert_eq(sb_audit_record(pg, &who, "kb.publish", "kb:1", NULL), 0);
    const char *p[] = {who.subject};
    PGresult *res = sb_pg_query(pg,
        "SELECT role, action, target, detail->>'why' FROM audit_log WHERE actor = $1 ORDER BY id",
        1, p);
    cr_assert(res);
    cr_assert_eq(PQntuples(res), 2);
    cr_expect_str_eq(PQgetvalue(res, 0, 0), "supervisor");
    cr_expect_str_eq(PQgetvalue(res, 0, 1), "ticket.urge");
    cr_expect_str_eq(PQgetvalue(res, 0, 2), "WB-20261123-000001");
    cr_expect_str_eq(PQgetvalue(res, 0, 3), "overdue");
    cr_expect_str_eq(PQgetvalue(res, 1, 1), "kb.publish");
    PQclear(res);
    sb_pg_free(pg);
}

Test(common_audit, log_is_append_only)
{
    sb_pg *pg = sb_test_service_pg();
    sb_principal who = {.role = SB_ROLE_ADMIN};
    snprintf(who.subject, sizeof(who.subject), "audit-tamper-%d", (int)getpid());
    cr_assert_eq(sb_audit_record(pg, &who, "rule_set.activate", "rule_set:1", NULL), 0);
    const char *p[] = {who.subject};
    cr_expect_neq(sb_pg_exec(pg, "UPDATE audit_log SET action = 'nothing' WHERE actor = $1", 1, p), 0);
    cr_expect_neq(sb_pg_exec(pg, "DELETE FROM audit_log WHERE actor = $1", 1, p), 0);
    PGresult *res = sb_pg_query(pg, "SELECT action FROM audit_log WHERE actor = $1", 1, p);
    cr_assert(res);
    cr_assert_eq(PQntuples(res), 1);
    cr_expect_str_eq(PQgetvalue(res, 0, 0), "rule_set.activate");
    PQclear(res);
    sb_pg_free(pg);
}

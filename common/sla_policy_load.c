/* sla_policy_load.c - the enabled SLA policies as PostgreSQL holds them: sla arms clocks with
 * them, analytics credits each met clock to the policy that chose its target. */
#include "common/sla_policy.h"

#include <stdio.h>
#include <stdlib.h>

static const char sla_policies_sql[] =
    "SELECT id, kind, COALESCE(priority, ''), COALESCE(urgency, ''), COALESCE(category, ''),"
    "       COALESCE(channel, ''), COALESCE(tier, ''), target_seconds::bigint * 1000,"
    "       business_hours, warn_share"
    " FROM sla_policies WHERE enabled ORDER BY id";

/* Copies a column into a fixed buffer (ids and criteria are checked by desk when written). */
static void col(const PGresult *r, int row, int c, char *dst, size_t len)
{
    snprintf(dst, len, "%s", PQgetvalue(r, row, c));
}

int sb_sla_policies_load(sb_pg *pg, sb_sla_policy **out, size_t *n)
{
    PGresult *res = sb_pg_query(pg, sla_policies_sql, 0, NULL);
    if (!res)
        return -1;
    int rows = PQntuples(res);
    sb_sla_policy *pol = calloc((size_t)rows + 1, sizeof(*pol));
    if (!pol) {
        PQclear(res);
        return -1;
    }
    for (int i = 0; i < rows; i++) {
        sb_sla_policy *x = &pol[i];
        col(res, i, 0, x->id, sizeof(x->id));
        col(res, i, 1, x->kind, sizeof(x->kind));
        col(res, i, 2, x->priority, sizeof(x->priority));
        col(res, i, 3, x->urgency, sizeof(x->urgency));
        col(res, i, 4, x->category, sizeof(x->category));
        col(res, i, 5, x->channel, sizeof(x->channel));
        col(res, i, 6, x->tier, sizeof(x->tier));
        x->target_ms = strtoll(PQgetvalue(res, i, 7), NULL, 10);
        x->business_hours = PQgetvalue(res, i, 8)[0] == 't';
        x->warn_share = strtod(PQgetvalue(res, i, 9), NULL);
    }
    PQclear(res);
    *out = pol;
    *n = (size_t)rows;
    return 0;
}

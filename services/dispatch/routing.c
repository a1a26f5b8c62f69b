/* routing.c - the roster of on-duty agents and the least-loaded choice within a department. */
#include "dispatch.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"

int routing_roster_load(sb_pg *pg, dispatch_roster *r)
{
    memset(r, 0, sizeof(*r));
    PGresult *res = sb_pg_query(pg,
        "SELECT a.id, a.department_id, a.max_open, count(t.id)"
        " FROM agents a LEFT JOIN tickets t"
        "   ON t.assignee = a.id AND t.status NOT IN ('resolved', 'closed')"
        " WHERE a.role = 'agent' AND a.on_duty"
        " GROUP BY a.id ORDER BY a.id",
        0, NULL);
    if (!res)
        return -1;
    int n = PQntuples(res);
    r->agents = calloc(n ? (size_t)n : 1, sizeof(*r->agents));
    if (!r->agents) {
        PQclear(res);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        dispatch_agent *a = &r->agents[r->n++];
        snprintf(a->id, sizeof(a->id), "%s", PQgetvalue(res, i, 0));
        snprintf(a->department, sizeof(a->department), "%s", PQgetvalue(res, i, 1));
        a->max_open = atoi(PQgetvalue(res, i, 2));
        a->open = atoi(PQgetvalue(res, i, 3));
    }
    PQclear(res);
    sb_info("roster_loaded", "%zu on-duty agents", r->n);
    return 0;
}

void routing_roster_free(dispatch_roster *r)
{
    free(r->agents);
    memset(r, 0, sizeof(*r));
}

/* a is a better choice than b: fewer open tickets, then the one picked longest ago. */
static int agent_better(const dispatch_agent *a, const dispatch_agent *b)
{
    if (!b)
        return 1;
    if (a->open != b->open)
        return a->open < b->open;
    return a->last_pick < b->last_pick;
}

dispatch_agent *routing_pick(dispatch_roster *r, const char *department, int *over_capacity)
{
    dispatch_agent *best = NULL, *least = NULL;
    for (size_t i = 0; i < r->n; i++) {
        dispatch_agent *a = &r->agents[i];
        if (strcmp(a->department, department) != 0)
            continue;
        if (agent_better(a, least))
            least = a;
        if (a->open < a->max_open && agent_better(a, best))
            best = a;
    }
    /* No waiting queue yet (issue 5): when every agent is full the least loaded still takes
     * it, and the reason says so, rather than leaving the ticket with nobody. */
    *over_capacity = !best && least;
    if (!best)
        best = least;
    if (best) {
        best->open++;
        best->last_pick = ++r->picks;
    }
    return best;
}

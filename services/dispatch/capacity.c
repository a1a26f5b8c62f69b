/* capacity.c - who may take a ticket and who should: skill, language, free capacity, least
 * load, round robin among equals; open tickets counted in memory, rebuilt from PostgreSQL. */
#include "dispatch.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"

/* The agent lists the skill. */
static int has_skill(const dispatch_agent *a, const char *skill)
{
    for (int i = 0; i < a->nskills; i++)
        if (!strcmp(a->skills[i], skill))
            return 1;
    return 0;
}

/* The agent answers in the ticket's language (unknown language: anyone). */
static int speaks(const dispatch_agent *a, const char *language)
{
    if (!strcmp(language, "zh"))
        return (a->languages & DISPATCH_LANG_ZH) != 0;
    if (!strcmp(language, "en"))
        return (a->languages & DISPATCH_LANG_EN) != 0;
    return 1;
}

int capacity_fits(const dispatch_agent *a, const dispatch_ticket *t)
{
    return a->on_duty && a->open < a->max_open && !strcmp(a->department, t->department) &&
           strcmp(a->id, t->exclude) != 0 && (!t->skill[0] || has_skill(a, t->skill)) &&
           speaks(a, t->language);
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

dispatch_agent *capacity_pick(dispatch_roster *r, const dispatch_ticket *t)
{
    dispatch_agent *best = NULL;
    for (size_t i = 0; i < r->n; i++)
        if (capacity_fits(&r->agents[i], t) && agent_better(&r->agents[i], best))
            best = &r->agents[i];
    return best;
}

void capacity_take(dispatch_roster *r, dispatch_agent *a)
{
    a->open++;
    a->last_pick = ++r->picks;
}

void capacity_release(dispatch_agent *a)
{
    if (a->open > 0)
        a->open--;
}

int capacity_load(sb_pg *pg, dispatch_roster *r, const char *department)
{
    /* Counted from the tickets themselves, however their assignee was set (dispatch, a person,
     * a migration): a sequential scan, paid once when the department is taken over. */
    const char *p[] = {department};
    PGresult *res = sb_pg_query(pg,
        "SELECT t.assignee, count(*) FROM tickets t JOIN agents a ON a.id = t.assignee"
        " WHERE a.department_id = $1 AND t.status IN ('assigned', 'acknowledged',"
        "  'awaiting_customer', 'reopened')"
        " GROUP BY t.assignee",
        1, p);
    if (!res)
        return -1;
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(r->agents[i].department, department))
            r->agents[i].open = 0;
    for (int i = 0; i < PQntuples(res); i++) {
        dispatch_agent *a = roster_agent(r, PQgetvalue(res, i, 0));
        if (a)
            a->open = atoi(PQgetvalue(res, i, 1));
    }
    PQclear(res);
    return 0;
}

/* capacity.c - who may take a ticket and who should: skill, language, free capacity, least
 * load, round robin among equals; open tickets counted in memory, rebuilt from PostgreSQL. */
#include "dispatch.h"

#include <stdio.h>
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

/* Index of ticket_id among a's open tickets, or -1. */
static int ticket_index(const dispatch_agent *a, const char *ticket_id)
{
    for (int i = 0; i < a->open; i++)
        if (!strcmp(a->tickets[i], ticket_id))
            return i;
    return -1;
}

/* Add ticket_id to a's open tickets (not already there). */
static void ticket_add(dispatch_agent *a, const char *ticket_id)
{
    if (a->open == a->tickets_cap) {
        int cap = a->tickets_cap ? a->tickets_cap * 2 : 8;
        char (*grown)[SB_UUID_STRLEN] = realloc(a->tickets, (size_t)cap * sizeof(*grown));
        if (!grown) {
            sb_error("capacity_oom", "agent %s: ticket %s not counted", a->id, ticket_id);
            return;
        }
        a->tickets = grown;
        a->tickets_cap = cap;
    }
    snprintf(a->tickets[a->open++], SB_UUID_STRLEN, "%s", ticket_id);
}

void capacity_take(dispatch_roster *r, dispatch_agent *a, const char *ticket_id)
{
    a->last_pick = ++r->picks;
    if (ticket_index(a, ticket_id) < 0)
        ticket_add(a, ticket_id);
}

void capacity_release(dispatch_agent *a, const char *ticket_id)
{
    int i = ticket_index(a, ticket_id);
    if (i < 0)
        return;
    memcpy(a->tickets[i], a->tickets[--a->open], SB_UUID_STRLEN);
}

int capacity_load(sb_pg *pg, dispatch_roster *r, const char *department)
{
    /* Counted from the tickets themselves, however their assignee was set (dispatch, a person,
     * a migration): a sequential scan, paid once when the department is taken over. The ids
     * make the releases still in flight for tickets counted here (already ended) free
     * nothing a second time. */
    const char *p[] = {department};
    PGresult *res = sb_pg_query(pg,
        "SELECT t.assignee, t.id::text FROM tickets t JOIN agents a ON a.id = t.assignee"
        " WHERE a.department_id = $1 AND t.status IN ('assigned', 'acknowledged',"
        "  'awaiting_customer', 'reopened')",
        1, p);
    if (!res)
        return -1;
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(r->agents[i].department, department))
            r->agents[i].open = 0;
    for (int i = 0; i < PQntuples(res); i++) {
        dispatch_agent *a = roster_agent(r, PQgetvalue(res, i, 0));
        if (a)
            ticket_add(a, PQgetvalue(res, i, 1));
    }
    PQclear(res);
    return 0;
}

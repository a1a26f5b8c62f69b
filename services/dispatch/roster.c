/* roster.c - the organisation as dispatch sees it: agents (skills, languages, capacity, duty),
 * co-operating departments per category, skills per sub-topic, acknowledgement times. */
#include "dispatch.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"

/* Agents with their team's supervisor; skills and languages as text arrays' elements joined. */
static const char *const roster_agents_sql =
    "SELECT a.id, a.name, a.department_id, coalesce(t.supervisor_id, ''),"
    "  array_to_string(a.skills, ','), array_to_string(a.languages, ','), a.max_open,"
    "  a.on_duty, a.contact_read"
    " FROM agents a LEFT JOIN teams t ON t.id = a.team_id"
    " WHERE a.role = 'agent' ORDER BY a.id COLLATE \"C\"";  /* strcmp order, for bsearch */

/* Copy a comma-separated list into skills; extra or over-long ones are left out (logged). */
static void agent_skills(dispatch_agent *a, const char *list)
{
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", list);
    for (char *save = NULL, *s = strtok_r(buf, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
        if (a->nskills == DISPATCH_SKILLS_MAX || strlen(s) >= sizeof(a->skills[0])) {
            sb_warn("roster_skill_ignored", "agent %s: skill %s not used", a->id, s);
            continue;
        }
        snprintf(a->skills[a->nskills++], sizeof(a->skills[0]), "%s", s);
    }
}

/* Language bits of a comma-separated list (zh, en). */
static unsigned agent_languages(const char *list)
{
    unsigned bits = 0;
    if (strstr(list, "zh"))
        bits |= DISPATCH_LANG_ZH;
    if (strstr(list, "en"))
        bits |= DISPATCH_LANG_EN;
    return bits;
}

static int load_agents(sb_pg *pg, dispatch_roster *r)
{
    PGresult *res = sb_pg_query(pg, roster_agents_sql, 0, NULL);
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
        snprintf(a->name, sizeof(a->name), "%s", PQgetvalue(res, i, 1));
        snprintf(a->department, sizeof(a->department), "%s", PQgetvalue(res, i, 2));
        snprintf(a->supervisor, sizeof(a->supervisor), "%s", PQgetvalue(res, i, 3));
        agent_skills(a, PQgetvalue(res, i, 4));
        a->languages = agent_languages(PQgetvalue(res, i, 5));
        a->max_open = atoi(PQgetvalue(res, i, 6));
        a->on_duty = PQgetvalue(res, i, 7)[0] == 't';
        a->contact_read = PQgetvalue(res, i, 8)[0] == 't';
    }
    PQclear(res);
    return 0;
}

static int load_routes(sb_pg *pg, dispatch_roster *r)
{
    PGresult *res = sb_pg_query(pg,
        "SELECT id, array_to_string(co_departments, ',') FROM categories ORDER BY id", 0, NULL);
    if (!res)
        return -1;
    int n = PQntuples(res);
    r->routes = calloc(n ? (size_t)n : 1, sizeof(*r->routes));
    for (int i = 0; r->routes && i < n; i++) {
        dispatch_route *rt = &r->routes[r->nroutes++];
        snprintf(rt->category, sizeof(rt->category), "%s", PQgetvalue(res, i, 0));
        char buf[512];
        snprintf(buf, sizeof(buf), "%s", PQgetvalue(res, i, 1));
        for (char *save = NULL, *s = strtok_r(buf, ",", &save); s && rt->nco < DISPATCH_CO_MAX;
             s = strtok_r(NULL, ",", &save))
            snprintf(rt->co[rt->nco++], sizeof(rt->co[0]), "%s", s);
    }
    PQclear(res);
    return r->routes ? 0 : -1;
}

static int load_skill_rules(sb_pg *pg, dispatch_roster *r)
{
    PGresult *res = sb_pg_query(pg, "SELECT category, subtopic, skill FROM routing_skills", 0, NULL);
    if (!res)
        return -1;
    int n = PQntuples(res);
    r->skills = calloc(n ? (size_t)n : 1, sizeof(*r->skills));
    for (int i = 0; r->skills && i < n; i++) {
        dispatch_skill_rule *k = &r->skills[r->nskills++];
        snprintf(k->category, sizeof(k->category), "%s", PQgetvalue(res, i, 0));
        snprintf(k->subtopic, sizeof(k->subtopic), "%s", PQgetvalue(res, i, 1));
        snprintf(k->skill, sizeof(k->skill), "%s", PQgetvalue(res, i, 2));
    }
    PQclear(res);
    return r->skills ? 0 : -1;
}

static int load_ack(sb_pg *pg, dispatch_roster *r)
{
    for (int i = 0; i < 3; i++)
        r->ack_seconds[i] = 3600;   /* DESIGN: acknowledge within 1 h unless configured */
    PGresult *res = sb_pg_query(pg, "SELECT priority, ack_seconds FROM ack_policies", 0, NULL);
    if (!res)
        return -1;
    for (int i = 0; i < PQntuples(res); i++) {
        int p = roster_priority_index(PQgetvalue(res, i, 0));
        if (p >= 0)
            r->ack_seconds[p] = atoi(PQgetvalue(res, i, 1));
    }
    PQclear(res);
    return 0;
}

int roster_load(sb_pg *pg, dispatch_roster *r)
{
    memset(r, 0, sizeof(*r));
    if (load_agents(pg, r) != 0 || load_routes(pg, r) != 0 || load_skill_rules(pg, r) != 0 ||
        load_ack(pg, r) != 0) {
        roster_free(r);
        return -1;
    }
    return 0;
}

int roster_refresh(sb_pg *pg, dispatch_roster *r)
{
    dispatch_roster fresh;
    if (roster_load(pg, &fresh) != 0)
        return -1;
    /* Loads are counted here, not read: carry them over to the new attributes. */
    for (size_t i = 0; i < fresh.n; i++) {
        const dispatch_agent *old = roster_agent(r, fresh.agents[i].id);
        if (old) {
            fresh.agents[i].open = old->open;
            fresh.agents[i].last_pick = old->last_pick;
        }
    }
    fresh.picks = r->picks;
    roster_free(r);
    *r = fresh;
    return 0;
}

void roster_free(dispatch_roster *r)
{
    free(r->agents);
    free(r->routes);
    free(r->skills);
    memset(r, 0, sizeof(*r));
}

/* bsearch comparator: key is an id string. */
static int agent_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const dispatch_agent *)elem)->id);
}

dispatch_agent *roster_agent(dispatch_roster *r, const char *id)
{
    if (!id || !*id || !r->n)
        return NULL;
    return bsearch(id, r->agents, r->n, sizeof(*r->agents), agent_cmp);
}

const char *roster_skill_for(const dispatch_roster *r, const char *category, const char *subtopic)
{
    for (size_t i = 0; i < r->nskills; i++)
        if (!strcmp(r->skills[i].category, category) && !strcmp(r->skills[i].subtopic, subtopic))
            return r->skills[i].skill;
    return "";
}

const dispatch_route *roster_route(const dispatch_roster *r, const char *category)
{
    for (size_t i = 0; i < r->nroutes; i++)
        if (!strcmp(r->routes[i].category, category))
            return &r->routes[i];
    return NULL;
}

int roster_priority_index(const char *priority)
{
    if (!priority || priority[0] != 'P' || priority[1] < '1' || priority[1] > '3' || priority[2])
        return -1;
    return priority[1] - '1';
}

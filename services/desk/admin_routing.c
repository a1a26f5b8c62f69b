/* admin_routing.c - what dispatch routes by, edited by admins: /v1/admin/routing (a category's
 * lead department, co-operating departments and the skill each sub-topic needs) and
 * /v1/admin/ack-policies (how long an agent has to accept an offered ticket, per priority). */
#include "services/desk/admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "services/desk/admin_body.h"

#define RT_JSON                                                                              \
    "json_build_object('category', c.id, 'lead_department', c.department_id,"                \
    " 'co_departments', to_json(c.co_departments),"                                          \
    " 'skills', coalesce((SELECT json_object_agg(r.subtopic, r.skill ORDER BY r.subtopic)"   \
    "                     FROM routing_skills r WHERE r.category = c.id), '{}'))"

static const char rt_all_sql[] =
    "SELECT json_build_object('routing', coalesce(json_agg(" RT_JSON " ORDER BY c.id), '[]'))::text"
    " FROM categories c";
static const char rt_one_sql[] = "SELECT " RT_JSON "::text FROM categories c WHERE c.id = $1";
static const char rt_acks_sql[] =
    "SELECT json_build_object('ack_policies', coalesce(json_agg(json_build_object("
    "  'priority', priority, 'ack_seconds', ack_seconds) ORDER BY priority), '[]'))::text"
    " FROM ack_policies";
static const char rt_ack_sql[] =
    "SELECT json_build_object('priority', priority, 'ack_seconds', ack_seconds)::text"
    " FROM ack_policies WHERE priority = $1";

/* GET /v1/admin/routing */
static void rt_list(struct evhttp_request *req, const char *tail, void *ctx)
{
    (void)tail;
    desk_adm a;
    if (desk_adm_start(&a, ctx, req, SB_ROLE_ADMIN, 0) == 0)
        desk_adm_end(&a, desk_adm_reply_sql(&a, 200, rt_all_sql, 0, NULL, "category"));
}

/* GET /v1/admin/routing/{category} */
static void rt_get(struct evhttp_request *req, const char *tail, void *ctx)
{
    desk_adm_get_by_id(req, tail, ctx, rt_one_sql, "category");
}

/* The first sub-topic of skills ($2) that is not one of category $1's: 400 naming
 * "skills.<it>". */
static int rt_subtopics_exist(desk_adm *a, const char *const *p)
{
    PGresult *res = sb_pg_query(a->s->pg,
                                "SELECT k FROM jsonb_object_keys($2::jsonb) k WHERE NOT EXISTS"
                                " (SELECT 1 FROM subtopics s WHERE s.category = $1 AND s.id = k)"
                                " ORDER BY k LIMIT 1", 2, p);
    if (!res)
        return sb_error_set(&a->err, 503, "unavailable", "", "cannot read sub-topics now");
    char field[64] = "";
    if (PQntuples(res) == 1)
        snprintf(field, sizeof field, "skills.%.48s", PQgetvalue(res, 0, 0));
    PQclear(res);
    if (field[0])
        return sb_error_set(&a->err, 400, "invalid_field", field,
                            "%s is not a sub-topic of the category", field + 7);
    return 0;
}

/* The references of a routing body ($1 category, $2 lead, $3 co-departments, $4 skills). */
static int rt_refs(desk_adm *a, const char *const *p)
{
    const char *ps[] = {p[0], p[3]};
    if (desk_adm_must(a, "SELECT 1 FROM categories WHERE id = $1 FOR UPDATE", 1, p, 404,
                      "category", "there is no such category") != 0 ||
        desk_adm_must(a, "SELECT 1 FROM departments WHERE id = $1", 1, p + 1, 400,
                      "lead_department", "there is no such department") != 0 ||
        desk_adm_none(a, "SELECT 1 FROM jsonb_array_elements_text($1::jsonb) x"
                         " WHERE x NOT IN (SELECT id FROM departments)", 1, p + 2, 400,
                      "co_departments", "a co-operating department does not exist") != 0)
        return -1;
    return rt_subtopics_exist(a, ps);
}

/* PUT /v1/admin/routing/{category} {lead_department, co_departments?, skills?}: replaces the
 * category's routing. */
static void rt_put(struct evhttp_request *req, const char *tail, void *ctx)
{
    desk_adm a;
    desk_routing_body b = {0};
    char id[DESK_ADMIN_ID_MAX + 1];
    char *co = NULL, *skills = NULL;
    if (desk_adm_start(&a, ctx, req, SB_ROLE_ADMIN, 1) != 0)
        return;
    int rc = desk_adm_path_id(&a, tail, id, sizeof id);
    if (rc == 0)
        rc = desk_routing_body_read(a.body, &b, &a.err);
    if (rc == 0) {
        co = b.co_departments ? sb_json_dump(b.co_departments) : strdup("[]");
        skills = b.skills ? sb_json_dump(b.skills) : strdup("{}");
        rc = co && skills ? desk_adm_begin(&a) : -1;
    }
    const char *p[] = {id, b.lead_department, co, skills};
    if (rc == 0)
        rc = rt_refs(&a, p);
    if (rc == 0 &&
        (desk_adm_exec(&a, "UPDATE categories SET department_id = $2, co_departments ="
                           " ARRAY(SELECT jsonb_array_elements_text($3::jsonb)) WHERE id = $1",
                       3, p) < 0 ||
         desk_adm_exec(&a, "DELETE FROM routing_skills WHERE category = $1", 1, p) < 0 ||
         desk_adm_exec(&a, "INSERT INTO routing_skills (category, subtopic, skill)"
                           " SELECT $1, key, value FROM jsonb_each_text($2::jsonb)", 2,
                       (const char *const[]){id, skills}) < 0))
        rc = -1;
    if (rc == 0)
        rc = desk_adm_commit(&a, "routing.update", "category", id, json_incref(a.body));
    if (rc == 0)
        rc = desk_adm_reply_sql(&a, 200, rt_one_sql, 1, p, "category");
    free(co);
    free(skills);
    desk_adm_end(&a, rc);
}

/* GET /v1/admin/ack-policies */
static void rt_acks(struct evhttp_request *req, const char *tail, void *ctx)
{
    (void)tail;
    desk_adm a;
    if (desk_adm_start(&a, ctx, req, SB_ROLE_ADMIN, 0) == 0)
        desk_adm_end(&a, desk_adm_reply_sql(&a, 200, rt_acks_sql, 0, NULL, "priority"));
}

/* PUT /v1/admin/ack-policies/{P1|P2|P3} {ack_seconds} */
static void rt_ack_put(struct evhttp_request *req, const char *tail, void *ctx)
{
    static const char *const priorities[] = {"P1", "P2", "P3", NULL};
    desk_adm a;
    int seconds = 0;
    char secs[16];
    if (desk_adm_start(&a, ctx, req, SB_ROLE_ADMIN, 1) != 0)
        return;
    int rc = sb_json_one_of(tail, priorities)
                 ? 0 : sb_error_set(&a.err, 400, "invalid_field", "priority",
                                    "the priority is P1, P2 or P3");
    if (rc == 0)
        rc = desk_ack_body_read(a.body, &seconds, &a.err);
    snprintf(secs, sizeof secs, "%d", seconds);
    const char *p[] = {tail, secs};
    if (rc == 0)
        rc = desk_adm_begin(&a);
    if (rc == 0 && desk_adm_exec(&a, "INSERT INTO ack_policies (priority, ack_seconds)"
                                     " VALUES ($1, $2::int) ON CONFLICT (priority)"
                                     " DO UPDATE SET ack_seconds = EXCLUDED.ack_seconds",
                                 2, p) < 0)
        rc = -1;
    if (rc == 0)
        rc = desk_adm_commit(&a, "ack_policy.update", "ack_policy", tail, json_incref(a.body));
    if (rc == 0)
        rc = desk_adm_reply_sql(&a, 200, rt_ack_sql, 1, p, "priority");
    desk_adm_end(&a, rc);
}

int desk_admin_routing_routes(sb_service *s)
{
    return sb_http_route(s->http, "GET", "/v1/admin/routing", rt_list, s) ||
           sb_http_route(s->http, "GET", "/v1/admin/routing/", rt_get, s) ||
           sb_http_route(s->http, "PUT", "/v1/admin/routing/", rt_put, s) ||
           sb_http_route(s->http, "GET", "/v1/admin/ack-policies", rt_acks, s) ||
           sb_http_route(s->http, "PUT", "/v1/admin/ack-policies/", rt_ack_put, s)
               ? -1 : 0;
}

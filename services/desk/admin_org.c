/* admin_org.c - the organisation admins edit: /v1/admin/departments, /v1/admin/teams,
 * /v1/admin/agents (+ their bearer tokens), and POST /v1/me/duty for everyone. Each change is
 * one transaction with its audit_log row; dispatch sees agents' changes by agents.updated_at. */
#include "services/desk/admin.h"

#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "common/audit.h"
#include "common/http.h"
#include "common/json.h"
#include "common/secret.h"
#include "services/desk/admin_body.h"

/* A JSON array parameter as text[]: keep (a column) when the parameter is NULL. */
#define ORG_TEXTS(p, keep) \
    "CASE WHEN " p "::jsonb IS NULL THEN " keep " ELSE ARRAY(SELECT jsonb_array_elements_text(" \
    p "::jsonb)) END"

#define ORG_AGENT_JSON                                                                         \
    "json_build_object('id', a.id, 'name', a.name, 'department', a.department_id,"             \
    " 'team', a.team_id, 'role', a.role, 'skills', to_json(a.skills),"                         \
    " 'languages', to_json(a.languages), 'max_open', a.max_open, 'on_duty', a.on_duty,"        \
    " 'contact_read', a.contact_read, 'updated_at', " DESK_SQL_ISO("a.updated_at") ")"
#define ORG_TEAM_JSON                                                                          \
    "json_build_object('id', t.id, 'name', t.name, 'department', t.department_id,"             \
    " 'supervisor', t.supervisor_id)"

static const char org_dept_sql[] =
    "SELECT json_build_object('id', id, 'name', name)::text FROM departments WHERE id = $1";
static const char org_depts_sql[] =
    "SELECT json_build_object('departments', coalesce(json_agg(json_build_object("
    "  'id', id, 'name', name) ORDER BY id), '[]'))::text FROM departments";
static const char org_team_sql[] = "SELECT " ORG_TEAM_JSON "::text FROM teams t WHERE t.id = $1";
static const char org_teams_sql[] =
    "SELECT json_build_object('teams', coalesce(json_agg(" ORG_TEAM_JSON " ORDER BY t.id),"
    " '[]'))::text FROM teams t";
static const char org_agent_sql[] = "SELECT " ORG_AGENT_JSON "::text FROM agents a WHERE a.id = $1";
static const char org_agents_sql[] =
    "SELECT json_build_object('agents', coalesce(json_agg(" ORG_AGENT_JSON " ORDER BY a.id),"
    " '[]'))::text FROM agents a"
    " WHERE ($1::text IS NULL OR a.department_id = $1) AND ($2::text IS NULL OR a.team_id = $2)"
    "   AND ($3::boolean IS NULL OR a.on_duty = $3::boolean)";

static const char org_agent_insert_sql[] =
    "INSERT INTO agents (id, name, department_id, team_id, role, skills, languages, max_open,"
    "                    on_duty, contact_read)"
    " VALUES ($1, $2, $3, CASE WHEN $4::boolean THEN $5 END, $6, " ORG_TEXTS("$7", "'{}'::text[]") ","
    "         " ORG_TEXTS("$8", "'{zh,en}'::text[]") ", coalesce($9::int, 50),"
    "         coalesce($10::boolean, true), coalesce($11::boolean, false))"
    " ON CONFLICT (id) DO NOTHING";
static const char org_agent_update_sql[] =
    "UPDATE agents SET name = coalesce($2, name), department_id = coalesce($3, department_id),"
    " team_id = CASE WHEN $4::boolean THEN $5 ELSE team_id END, role = coalesce($6, role),"
    " skills = " ORG_TEXTS("$7", "skills") ", languages = " ORG_TEXTS("$8", "languages") ","
    " max_open = coalesce($9::int, max_open), on_duty = coalesce($10::boolean, on_duty),"
    " contact_read = coalesce($11::boolean, contact_read), updated_at = now() WHERE id = $1";

static const char *org_exists_dept = "SELECT 1 FROM departments WHERE id = $1";

/* ---- departments ---- */

/* GET /v1/admin/departments */
static void org_depts_list(struct evhttp_request *req, const char *tail, void *ctx)
{
    (void)tail;
    desk_adm a;
    if (desk_adm_start(&a, ctx, req, SB_ROLE_ADMIN, 0) == 0)
        desk_adm_end(&a, desk_adm_reply_sql(&a, 200, org_depts_sql, 0, NULL, "department"));
}

/* POST /v1/admin/departments {id, name} -> 201 */
static void org_dept_create(struct evhttp_request *req, const char *tail, void *ctx)
{
    (void)tail;
    desk_adm a;
    desk_dept_body b = {0};
    if (desk_adm_start(&a, ctx, req, SB_ROLE_ADMIN, 1) != 0)
        return;
    int rc = desk_dept_body_read(a.body, 1, &b, &a.err);
    const char *p[] = {b.id, b.name};
    if (rc == 0)
        rc = desk_adm_begin(&a);
    if (rc == 0)
        rc = desk_adm_must(&a, "INSERT INTO departments (id, name) VALUES ($1, $2)"
                               " ON CONFLICT (id) DO NOTHING", 2, p, 409, "id",
                           "that department exists");
    if (rc == 0)
        rc = desk_adm_commit(&a, "department.create", "department", b.id, json_incref(a.body));
    if (rc == 0)
        rc = desk_adm_reply_sql(&a, 201, org_dept_sql, 1, p, "id");
    desk_adm_end(&a, rc);
}

/* PATCH /v1/admin/departments/{id} {name} */
static void org_dept_update(struct evhttp_request *req, const char *tail, void *ctx)
{
    desk_adm a;
    desk_dept_body b = {0};
    char id[DESK_ADMIN_ID_MAX + 1];
    if (desk_adm_start(&a, ctx, req, SB_ROLE_ADMIN, 1) != 0)
        return;
    int rc = desk_adm_path_id(&a, tail, id, sizeof id);
    if (rc == 0)
        rc = desk_dept_body_read(a.body, 0, &b, &a.err);
    const char *p[] = {id, b.name};
    if (rc == 0)
        rc = desk_adm_begin(&a);
    if (rc == 0)
        rc = desk_adm_must(&a, "UPDATE departments SET name = $2 WHERE id = $1", 2, p, 404, "id",
                           "there is no such department");
    if (rc == 0)
        rc = desk_adm_commit(&a, "department.update", "department", id, json_incref(a.body));
    if (rc == 0)
        rc = desk_adm_reply_sql(&a, 200, org_dept_sql, 1, p, "id");
    desk_adm_end(&a, rc);
}

/* ---- teams ---- */

/* The department and supervisor a team body names exist (each only when given). */
static int org_team_refs(desk_adm *a, const desk_team_body *b)
{
    const char *pd[] = {b->department}, *ps[] = {b->supervisor};
    if (b->department && desk_adm_must(a, org_exists_dept, 1, pd, 400, "department",
                                       "there is no such department") != 0)
        return -1;
    if (b->supervisor &&
        desk_adm_must(a, "SELECT 1 FROM agents WHERE id = $1 AND role = 'supervisor' FOR SHARE",
                      1, ps, 400, "supervisor",
                      "the supervisor must be an agent with role supervisor") != 0)
        return -1;
    return 0;
}

/* GET /v1/admin/teams */
static void org_teams_list(struct evhttp_request *req, const char *tail, void *ctx)
{
    (void)tail;
    desk_adm a;
    if (desk_adm_start(&a, ctx, req, SB_ROLE_ADMIN, 0) == 0)
        desk_adm_end(&a, desk_adm_reply_sql(&a, 200, org_teams_sql, 0, NULL, "team"));
}

/* POST /v1/admin/teams {id, name, department, supervisor} -> 201 */
static void org_team_create(struct evhttp_request *req, const char *tail, void *ctx)
{
    (void)tail;
    desk_adm a;
    desk_team_body b = {0};
    if (desk_adm_start(&a, ctx, req, SB_ROLE_ADMIN, 1) != 0)
        return;
    int rc = desk_team_body_read(a.body, 1, &b, &a.err);
    const char *p[] = {b.id, b.name, b.department, b.supervisor};
    if (rc == 0)
        rc = desk_adm_begin(&a);
    if (rc == 0)
        rc = org_team_refs(&a, &b);
    if (rc == 0)
        rc = desk_adm_must(&a, "INSERT INTO teams (id, name, department_id, supervisor_id)"
                               " VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING", 4, p, 409,
                           "id", "that team exists");
    if (rc == 0)
        rc = desk_adm_commit(&a, "team.create", "team", b.id, json_incref(a.body));
    if (rc == 0)
        rc = desk_adm_reply_sql(&a, 201, org_team_sql, 1, p, "id");
    desk_adm_end(&a, rc);
}

/* PATCH /v1/admin/teams/{id} {name?, department?, supervisor?}: a team that moves takes no
 * agent of another department with it (409, field department). */
static void org_team_update(struct evhttp_request *req, const char *tail, void *ctx)
{
    desk_adm a;
    desk_team_body b = {0};
    char id[DESK_ADMIN_ID_MAX + 1];
    if (desk_adm_start(&a, ctx, req, SB_ROLE_ADMIN, 1) != 0)
        return;
    int rc = desk_adm_path_id(&a, tail, id, sizeof id);
    if (rc == 0)
        rc = desk_team_body_read(a.body, 0, &b, &a.err);
    const char *p[] = {id, b.name, b.department, b.supervisor};
    if (rc == 0)
        rc = desk_adm_begin(&a);
    if (rc == 0)
        rc = org_team_refs(&a, &b);
    if (rc == 0)
        rc = desk_adm_must(&a, "UPDATE teams SET name = coalesce($2, name),"
                               " department_id = coalesce($3, department_id),"
                               " supervisor_id = coalesce($4, supervisor_id) WHERE id = $1",
                           4, p, 404, "id", "there is no such team");
    if (rc == 0)
        rc = desk_adm_none(&a, "SELECT 1 FROM agents a JOIN teams t ON t.id = a.team_id"
                               " WHERE t.id = $1 AND a.department_id <> t.department_id", 1, p,
                           409, "department", "the team's agents belong to another department");
    if (rc == 0)
        rc = desk_adm_commit(&a, "team.update", "team", id, json_incref(a.body));
    if (rc == 0)
        rc = desk_adm_reply_sql(&a, 200, org_team_sql, 1, p, "id");
    desk_adm_end(&a, rc);
}

/* ---- agents ---- */

/* GET /v1/admin/agents?department=&team=&on_duty= */
static void org_agents_list(struct evhttp_request *req, const char *tail, void *ctx)
{
    (void)tail;
    desk_adm a;
    char dept[64], team[64], duty[8];
    if (desk_adm_start(&a, ctx, req, SB_ROLE_ADMIN, 0) != 0)
        return;
    const char *p[] = {sb_http_query_param(req, "department", dept, sizeof dept) ? dept : NULL,
                       sb_http_query_param(req, "team", team, sizeof team) ? team : NULL,
                       sb_http_query_param(req, "on_duty", duty, sizeof duty) ? duty : NULL};
    int rc = 0;
    if (p[0] && !desk_admin_id_ok(p[0], DESK_ADMIN_ID_MAX))
        rc = sb_error_set(&a.err, 400, "invalid_field", "department", "not a department id");
    else if (p[1] && !desk_admin_id_ok(p[1], DESK_ADMIN_ID_MAX))
        rc = sb_error_set(&a.err, 400, "invalid_field", "team", "not a team id");
    else if (p[2] && strcmp(p[2], "true") != 0 && strcmp(p[2], "false") != 0)
        rc = sb_error_set(&a.err, 400, "invalid_field", "on_duty", "on_duty is true or false");
    if (rc == 0)
        rc = desk_adm_reply_sql(&a, 200, org_agents_sql, 3, p, "agent");
    desk_adm_end(&a, rc);
}

/* GET /v1/admin/agents/{id} */
static void org_agent_get(struct evhttp_request *req, const char *tail, void *ctx)
{
    desk_adm_get_by_id(req, tail, ctx, org_agent_sql, "id");
}

/* The agent body's parameters for org_agent_insert_sql / org_agent_update_sql ($1..$11); the
 * arrays as JSON text (owned: org_agent_params_free). */
typedef struct org_agent_params {
    const char *p[11];
    char        max_open[16];
    char       *skills, *languages;
} org_agent_params;

static void org_agent_params_set(org_agent_params *ap, const char *id, const desk_agent_body *b)
{
    memset(ap, 0, sizeof *ap);
    if (b->max_open)
        snprintf(ap->max_open, sizeof ap->max_open, "%d", b->max_open);
    ap->skills = b->skills ? sb_json_dump(b->skills) : NULL;
    ap->languages = b->languages ? sb_json_dump(b->languages) : NULL;
    static const char *const bools[] = {NULL, "false", "true"};
    const char *p[] = {id, b->name, b->department, b->team_given ? "true" : "false", b->team,
                       b->role, ap->skills, ap->languages, b->max_open ? ap->max_open : NULL,
                       bools[b->on_duty + 1], bools[b->contact_read + 1]};
    memcpy(ap->p, p, sizeof p);
}

static void org_agent_params_free(org_agent_params *ap)
{
    free(ap->skills);
    free(ap->languages);
}

/* Before the write: the department and team named exist. */
static int org_agent_refs(desk_adm *a, const desk_agent_body *b)
{
    const char *pd[] = {b->department}, *pt[] = {b->team};
    if (b->department && desk_adm_must(a, org_exists_dept, 1, pd, 400, "department",
                                       "there is no such department") != 0)
        return -1;
    /* FOR SHARE: a team moving to another department meanwhile waits for this change, and
     * its own check then sees this agent. */
    if (b->team && desk_adm_must(a, "SELECT 1 FROM teams WHERE id = $1 FOR SHARE", 1, pt, 400,
                                 "team", "there is no such team") != 0)
        return -1;
    return 0;
}

/* After the write: the agent's team is of their department, a team's supervisor stays a
 * supervisor, and the agent's live tokens carry their role (a demoted admin's token must not
 * stay an admin's). */
static int org_agent_after(desk_adm *a, const char *id, const desk_agent_body *b)
{
    const char *p[] = {id, b->role};
    if (desk_adm_none(a, "SELECT 1 FROM agents a JOIN teams t ON t.id = a.team_id"
                         " WHERE a.id = $1 AND t.department_id <> a.department_id", 1, p, 400,
                      "team", "the team belongs to another department") != 0 ||
        desk_adm_none(a, "SELECT 1 FROM teams t JOIN agents a ON a.id = t.supervisor_id"
                         " WHERE a.id = $1 AND a.role <> 'supervisor'", 1, p, 409, "role",
                      "the agent supervises a team: give the team another supervisor first") != 0)
        return -1;
    if (b->role && desk_adm_exec(a, "UPDATE api_tokens SET role = $2"
                                    " WHERE subject = $1 AND revoked_at IS NULL", 2, p) < 0)
        return -1;
    return 0;
}

/* POST /v1/admin/agents (create) and PATCH /v1/admin/agents/{id} (update: tail). */
static void org_agent_write(struct evhttp_request *req, const char *tail, sb_service *s,
                            int create)
{
    desk_adm a;
    desk_agent_body b = {0};
    org_agent_params ap = {0};
    char id[DESK_ADMIN_ID_MAX + 1] = "";
    if (desk_adm_start(&a, s, req, SB_ROLE_ADMIN, 1) != 0)
        return;
    int rc = create ? 0 : desk_adm_path_id(&a, tail, id, sizeof id);
    if (rc == 0)
        rc = desk_agent_body_read(a.body, create, &b, &a.err);
    if (rc == 0 && create)
        snprintf(id, sizeof id, "%s", b.id);
    if (rc == 0)
        org_agent_params_set(&ap, id, &b);
    if (rc == 0)
        rc = desk_adm_begin(&a);
    if (rc == 0)
        rc = org_agent_refs(&a, &b);
    if (rc == 0 && create)
        rc = desk_adm_must(&a, org_agent_insert_sql, 11, ap.p, 409, "id", "that agent exists");
    else if (rc == 0)
        rc = desk_adm_must(&a, org_agent_update_sql, 11, ap.p, 404, "id", "there is no such agent");
    if (rc == 0)
        rc = org_agent_after(&a, id, &b);
    if (rc == 0)
        rc = desk_adm_commit(&a, create ? "agent.create" : "agent.update", "agent", id,
                             json_incref(a.body));
    const char *p[] = {id};
    if (rc == 0)
        rc = desk_adm_reply_sql(&a, create ? 201 : 200, org_agent_sql, 1, p, "id");
    org_agent_params_free(&ap);
    desk_adm_end(&a, rc);
}

static void org_agent_create(struct evhttp_request *req, const char *tail, void *ctx)
{
    org_agent_write(req, tail, ctx, 1);
}

static void org_agent_update(struct evhttp_request *req, const char *tail, void *ctx)
{
    org_agent_write(req, tail, ctx, 0);
}

/* ---- tokens ---- */

/* The agent's role (locked against a concurrent change) into role; 404 naming id. */
static int org_agent_role(desk_adm *a, const char *id, sb_role *role)
{
    const char *p[] = {id};
    PGresult *res = sb_pg_query(a->s->pg, "SELECT role FROM agents WHERE id = $1 FOR SHARE", 1, p);
    if (!res)
        return sb_error_set(&a->err, 503, "unavailable", "", "cannot read the agent now");
    *role = PQntuples(res) == 1 ? sb_role_parse(PQgetvalue(res, 0, 0)) : SB_ROLE_NONE;
    PQclear(res);
    if (*role == SB_ROLE_NONE)
        return sb_error_set(&a->err, 404, "not_found", "id", "there is no such agent");
    return 0;
}

/* POST /v1/admin/agents/{id}/tokens -> 201 {"token", "agent", "role"}: the token is shown
 * this once; only its hash is kept. */
static void org_token_issue(desk_adm *a, const char *id)
{
    sb_role role = SB_ROLE_NONE;
    char token[SB_SECRET_HEX_LEN + 1] = "";
    int rc = desk_adm_begin(a);
    if (rc == 0)
        rc = org_agent_role(a, id, &role);
    if (rc == 0 && sb_auth_token_issue(a->s->pg, id, role, token) != 0)
        rc = sb_error_set(&a->err, 503, "unavailable", "", "cannot issue a token now");
    if (rc == 0)
        rc = desk_adm_commit(a, "agent.token_issue", "agent", id,
                             json_pack("{s:s}", "role", sb_role_name(role)));
    if (rc == 0)
        sb_http_reply_json(a->req, 201, json_pack("{s:s, s:s, s:s}", "token", token, "agent", id,
                                                  "role", sb_role_name(role)));
    OPENSSL_cleanse(token, sizeof token);
    desk_adm_end(a, rc);
}

/* POST /v1/admin/agents/{id}/tokens/revoke -> 200 {"agent", "revoked": n}: every live token
 * of the agent stops authenticating at once (desk checks api_tokens on every request). */
static void org_token_revoke(desk_adm *a, const char *id)
{
    const char *p[] = {id};
    int rc = desk_adm_begin(a);
    if (rc == 0)
        rc = desk_adm_must(a, "SELECT 1 FROM agents WHERE id = $1", 1, p, 404, "id",
                           "there is no such agent");
    int n = rc == 0 ? desk_adm_exec(a, "UPDATE api_tokens SET revoked_at = now()"
                                       " WHERE subject = $1 AND revoked_at IS NULL", 1, p) : -1;
    rc = n < 0 ? -1 : 0;
    if (rc == 0)
        rc = desk_adm_commit(a, "agent.token_revoke", "agent", id, json_pack("{s:i}", "revoked", n));
    if (rc == 0)
        sb_http_reply_json(a->req, 200, json_pack("{s:s, s:i}", "agent", id, "revoked", n));
    desk_adm_end(a, rc);
}

/* POST /v1/admin/agents/{id}/tokens[/revoke] */
static void org_agent_action(struct evhttp_request *req, const char *tail, void *ctx)
{
    desk_adm a;
    char id[DESK_ADMIN_ID_MAX + 1];
    if (desk_adm_start(&a, ctx, req, SB_ROLE_ADMIN, 0) != 0)
        return;
    char head[DESK_ADMIN_ID_MAX + 2];
    size_t n = strcspn(tail, "/");
    snprintf(head, sizeof head, "%.*s", (int)(n < sizeof head ? n : sizeof head - 1), tail);
    if (n >= sizeof head - 1 || desk_adm_path_id(&a, head, id, sizeof id) != 0) {
        desk_adm_end(&a, sb_error_set(&a.err, 400, "invalid_field", "id", "not an agent id"));
        return;
    }
    const char *rest = tail + n;
    if (strcmp(rest, "/tokens") == 0)
        org_token_issue(&a, id);
    else if (strcmp(rest, "/tokens/revoke") == 0)
        org_token_revoke(&a, id);
    else
        desk_adm_end(&a, sb_error_set(&a.err, 404, "not_found", "", "POST /v1/admin/agents/{id}"
                                                                    "/tokens or /tokens/revoke"));
}

/* ---- duty ---- */

/* POST /v1/me/duty {"on_duty": bool}: any agent, supervisor or admin with an agent record. */
static void org_duty(struct evhttp_request *req, const char *tail, void *ctx)
{
    (void)tail;
    desk_adm a;
    int on = 0;
    if (desk_adm_start(&a, ctx, req, SB_ROLE_AGENT, 1) != 0)
        return;
    int rc = desk_duty_body_read(a.body, &on, &a.err);
    const char *p[] = {a.who.subject, on ? "true" : "false"};
    if (rc == 0)
        rc = desk_adm_begin(&a);
    if (rc == 0)
        rc = desk_adm_must(&a, "UPDATE agents SET on_duty = $2::boolean, updated_at = now()"
                               " WHERE id = $1", 2, p, 404, "Authorization",
                           "the token's subject is not an agent");
    if (rc == 0)
        rc = desk_adm_commit(&a, "agent.duty", "agent", a.who.subject,
                             json_pack("{s:b}", "on_duty", on));
    if (rc == 0)
        sb_http_reply_json(req, 200, json_pack("{s:s, s:b}", "agent", a.who.subject, "on_duty", on));
    desk_adm_end(&a, rc);
}

int desk_admin_org_routes(sb_service *s)
{
    return sb_http_route(s->http, "GET", "/v1/admin/departments", org_depts_list, s) ||
           sb_http_route(s->http, "POST", "/v1/admin/departments", org_dept_create, s) ||
           sb_http_route(s->http, "PATCH", "/v1/admin/departments/", org_dept_update, s) ||
           sb_http_route(s->http, "GET", "/v1/admin/teams", org_teams_list, s) ||
           sb_http_route(s->http, "POST", "/v1/admin/teams", org_team_create, s) ||
           sb_http_route(s->http, "PATCH", "/v1/admin/teams/", org_team_update, s) ||
           sb_http_route(s->http, "GET", "/v1/admin/agents", org_agents_list, s) ||
           sb_http_route(s->http, "POST", "/v1/admin/agents", org_agent_create, s) ||
           sb_http_route(s->http, "GET", "/v1/admin/agents/", org_agent_get, s) ||
           sb_http_route(s->http, "PATCH", "/v1/admin/agents/", org_agent_update, s) ||
           sb_http_route(s->http, "POST", "/v1/admin/agents/", org_agent_action, s) ||
           sb_http_route(s->http, "POST", "/v1/me/duty", org_duty, s)
               ? -1 : 0;
}

/* test_desk_admin.c - desk's admin API for the organisation against the running stack:
 * departments, teams, agents, their bearer tokens (issued once, working with the agent's role,
 * revoked), POST /v1/me/duty, refusals naming their field, 403 for every non-admin, and an
 * audit_log row for every change. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_call.h"
#include "expect.h"
#include "fixture.h"
#include "http_client.h"

static PGconn     *pg;
static const char *admin;

static void setup(void)
{
    admin = sb_test_admin_open(&pg);
}

static void teardown(void)
{
    sb_test_admin_close(&pg);
}

TestSuite(desk_admin, .init = setup, .fini = teardown, .timeout = 90);

/* A fresh department of this run; its id into id. */
static void department_new(char *id, size_t len)
{
    char body[160];
    sb_test_unique_id(id, len, "d-");
    snprintf(body, sizeof body, "{\"id\":\"%s\",\"name\":\"Test %s\"}", id, id);
    json_decref(sb_test_admin_call("POST", "/v1/admin/departments", admin, body, 201));
}

/* A fresh off-duty agent (so dispatch offers it nothing) with role in department dept. */
static void agent_new(char *id, size_t len, const char *dept, const char *role)
{
    char body[400];
    sb_test_unique_id(id, len, "a-");
    snprintf(body, sizeof body,
             "{\"id\":\"%s\",\"name\":\"Agent %s\",\"department\":\"%s\",\"role\":\"%s\","
             "\"skills\":[\"payments\"],\"languages\":[\"en\"],\"max_open\":3,"
             "\"on_duty\":false,\"contact_read\":false}", id, id, dept, role);
    json_t *a = sb_test_admin_call("POST", "/v1/admin/agents", admin, body, 201);
    sb_test_assert_json(json_object_get(a, "skills"), "[\"payments\"]");
    cr_expect_eq(json_integer_value(json_object_get(a, "max_open")), 3);
    json_decref(a);
}

/* ---- RBAC ---- */

Test(desk_admin, agents_and_supervisors_get_403_and_no_token_401)
{
    static const char *const calls[][3] = {
        {"GET", "/v1/admin/departments", NULL},
        {"POST", "/v1/admin/departments", "{\"id\":\"x\",\"name\":\"x\"}"},
        {"PATCH", "/v1/admin/departments/service", "{\"name\":\"x\"}"},
        {"GET", "/v1/admin/teams", NULL},
        {"POST", "/v1/admin/teams", "{}"},
        {"PATCH", "/v1/admin/teams/service-team", "{\"name\":\"x\"}"},
        {"GET", "/v1/admin/agents", NULL},
        {"GET", "/v1/admin/agents/service-01", NULL},
        {"POST", "/v1/admin/agents", "{}"},
        {"PATCH", "/v1/admin/agents/service-01", "{\"max_open\":1}"},
        {"POST", "/v1/admin/agents/service-01/tokens", NULL},
        {"POST", "/v1/admin/agents/service-01/tokens/revoke", NULL},
        {"GET", "/v1/admin/routing", NULL},
        {"PUT", "/v1/admin/routing/other", "{\"lead_department\":\"service\"}"},
        {"GET", "/v1/admin/ack-policies", NULL},
        {"PUT", "/v1/admin/ack-policies/P1", "{\"ack_seconds\":1}"},
        {"GET", "/v1/admin/templates", NULL},
        {"POST", "/v1/admin/templates", "{}"},
        {"PUT", "/v1/admin/templates/greeting-en", "{}"},
        {"DELETE", "/v1/admin/templates/greeting-en", NULL},
        {"GET", "/v1/admin/channel-credentials", NULL},
        {"POST", "/v1/admin/channel-credentials", "{}"},
        {"POST", "/v1/admin/channel-credentials/1/revoke", NULL},
    };
    char *agent = sb_fixture_token(pg, "service-01", "agent");
    char *supervisor = sb_fixture_token(pg, "service-lead", "supervisor");
    cr_assert(agent && supervisor);
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        json_decref(sb_test_admin_call(calls[i][0], calls[i][1], agent, calls[i][2], 403));
        json_decref(sb_test_admin_call(calls[i][0], calls[i][1], supervisor, calls[i][2], 403));
        json_decref(sb_test_admin_call(calls[i][0], calls[i][1], NULL, calls[i][2], 401));
    }
    free(agent);
    free(supervisor);
}

/* ---- departments ---- */

Test(desk_admin, departments_are_created_renamed_listed_and_audited)
{
    char id[32], path[80], target[64];
    department_new(id, sizeof id);
    snprintf(path, sizeof path, "/v1/admin/departments/%s", id);
    json_t *d = sb_test_admin_call("PATCH", path, admin, "{\"name\":\"Renamed\"}", 200);
    cr_expect_str_eq(json_string_value(json_object_get(d, "name")), "Renamed");
    json_decref(d);
    json_t *all = sb_test_admin_call("GET", "/v1/admin/departments", admin, NULL, 200);
    int found = 0;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(all, "departments"), i, v)
        found += strcmp(json_string_value(json_object_get(v, "id")), id) == 0;
    cr_expect_eq(found, 1, "the new department is listed");
    json_decref(all);
    snprintf(target, sizeof target, "department:%s", id);
    cr_expect_eq(sb_test_audit_count(pg, "department.create", target), 1);
    cr_expect_eq(sb_test_audit_count(pg, "department.update", target), 1);
}

Test(desk_admin, department_refusals_name_the_field)
{
    char id[32], body[128];
    department_new(id, sizeof id);
    snprintf(body, sizeof body, "{\"id\":\"%s\",\"name\":\"again\"}", id);
    sb_test_assert_admin_refused("POST", "/v1/admin/departments", admin, body, 409, "id");
    sb_test_assert_admin_refused("POST", "/v1/admin/departments", admin,
                          "{\"id\":\"x\",\"name\":\"n\",\"nmae\":1}", 400, "nmae");
    sb_test_assert_admin_refused("POST", "/v1/admin/departments", admin, "{\"id\":\"Bad Id\",\"name\":\"n\"}",
                          400, "id");
    sb_test_assert_admin_refused("POST", "/v1/admin/departments", admin, "{\"id\":\"ok-id\"}", 400, "name");
    sb_test_assert_admin_refused("PATCH", "/v1/admin/departments/no-such-dept", admin, "{\"name\":\"n\"}",
                          404, "id");
    sb_test_assert_admin_refused("PATCH", "/v1/admin/departments/service", admin, "{\"id\":\"x\"}", 400,
                          "id");
    sb_test_assert_admin_refused("PATCH", "/v1/admin/departments/service/more", admin,
                          "{\"name\":\"n\"}", 400, "id");
    sb_test_assert_admin_refused("POST", "/v1/admin/agents/service-01/tokens/more", admin, NULL, 404, "");
}

/* ---- teams ---- */

Test(desk_admin, a_team_needs_a_supervisor_with_the_role)
{
    char dept[32], team[32], body[256], path[80], target[64];
    department_new(dept, sizeof dept);
    sb_test_unique_id(team, sizeof team, "t-");
    snprintf(body, sizeof body, "{\"id\":\"%s\",\"name\":\"T\",\"department\":\"%s\","
                                "\"supervisor\":\"service-01\"}", team, dept);
    sb_test_assert_admin_refused("POST", "/v1/admin/teams", admin, body, 400, "supervisor");
    snprintf(body, sizeof body, "{\"id\":\"%s\",\"name\":\"T\",\"department\":\"no-such\","
                                "\"supervisor\":\"service-lead\"}", team);
    sb_test_assert_admin_refused("POST", "/v1/admin/teams", admin, body, 400, "department");
    snprintf(body, sizeof body, "{\"id\":\"%s\",\"name\":\"T\",\"department\":\"%s\","
                                "\"supervisor\":\"service-lead\"}", team, dept);
    json_t *t = sb_test_admin_call("POST", "/v1/admin/teams", admin, body, 201);
    snprintf(body, sizeof body, "{\"id\":\"%s\",\"name\":\"T\",\"department\":\"%s\","
                                "\"supervisor\":\"service-lead\"}", team, dept);
    sb_test_assert_json(t, body);
    json_decref(t);
    snprintf(path, sizeof path, "/v1/admin/teams/%s", team);
    t = sb_test_admin_call("PATCH", path, admin, "{\"supervisor\":\"quality-lead\"}", 200);
    cr_expect_str_eq(json_string_value(json_object_get(t, "supervisor")), "quality-lead");
    json_decref(t);
    sb_test_assert_admin_refused("PATCH", path, admin, "{\"supervisor\":\"quality-01\"}", 400, "supervisor");
    sb_test_assert_admin_refused("PATCH", path, admin, "{}", 400, "");
    snprintf(target, sizeof target, "team:%s", team);
    cr_expect_eq(sb_test_audit_count(pg, "team.create", target), 1);
    cr_expect_eq(sb_test_audit_count(pg, "team.update", target), 1);
}

/* ---- agents ---- */

Test(desk_admin, agents_are_created_filtered_and_patched)
{
    char dept[32], id[32], path[96], target[64];
    department_new(dept, sizeof dept);
    agent_new(id, sizeof id, dept, "agent");
    snprintf(path, sizeof path, "/v1/admin/agents?department=%s&on_duty=false", dept);
    json_t *l = sb_test_admin_call("GET", path, admin, NULL, 200);
    cr_assert_eq(json_array_size(json_object_get(l, "agents")), 1);
    json_decref(l);
    snprintf(path, sizeof path, "/v1/admin/agents?department=%s&on_duty=true", dept);
    l = sb_test_admin_call("GET", path, admin, NULL, 200);
    cr_expect_eq(json_array_size(json_object_get(l, "agents")), 0, "on_duty filters");
    json_decref(l);
    snprintf(path, sizeof path, "/v1/admin/agents/%s", id);
    json_t *a = sb_test_admin_call("PATCH", path, admin,
                                   "{\"languages\":[\"zh\",\"en\"],\"max_open\":1000,"
                                   "\"skills\":[],\"contact_read\":true,\"team\":\"service-team\"}",
                                   400);
    cr_expect_str_eq(sb_test_error_field(a), "team", "the team is another department's");
    json_decref(a);
    a = sb_test_admin_call("PATCH", path, admin, "{\"languages\":[\"zh\",\"en\"],"
                           "\"max_open\":1000,\"skills\":[],\"contact_read\":true}", 200);
    sb_test_assert_json(json_object_get(a, "languages"), "[\"zh\",\"en\"]");
    sb_test_assert_json(json_object_get(a, "skills"), "[]");
    cr_expect_eq(json_integer_value(json_object_get(a, "max_open")), 1000);
    cr_expect(json_is_true(json_object_get(a, "contact_read")));
    json_decref(a);
    a = sb_test_admin_call("GET", path, admin, NULL, 200);
    cr_expect_str_eq(json_string_value(json_object_get(a, "department")), dept);
    json_decref(a);
    snprintf(target, sizeof target, "agent:%s", id);
    cr_expect_eq(sb_test_audit_count(pg, "agent.create", target), 1);
    cr_expect_eq(sb_test_audit_count(pg, "agent.update", target), 1, "the refused patch left none");
}

Test(desk_admin, agent_refusals_name_the_field)
{
    static const struct { const char *body, *field; } bad[] = {
        {"{\"id\":\"x1\",\"name\":\"n\",\"department\":\"service\",\"role\":\"boss\"}", "role"},
        {"{\"id\":\"x1\",\"name\":\"n\",\"department\":\"service\",\"role\":\"agent\","
         "\"languages\":[\"fr\"]}", "languages"},
        {"{\"id\":\"x1\",\"name\":\"n\",\"department\":\"service\",\"role\":\"agent\","
         "\"languages\":[]}", "languages"},
        {"{\"id\":\"x1\",\"name\":\"n\",\"department\":\"service\",\"role\":\"agent\","
         "\"max_open\":0}", "max_open"},
        {"{\"id\":\"x1\",\"name\":\"n\",\"department\":\"service\",\"role\":\"agent\","
         "\"max_open\":1001}", "max_open"},
        {"{\"id\":\"x1\",\"name\":\"n\",\"department\":\"service\",\"role\":\"agent\","
         "\"skills\":[\"a\",\"a\"]}", "skills"},
        {"{\"id\":\"x1\",\"name\":\"n\",\"department\":\"service\",\"role\":\"agent\","
         "\"on_duty\":\"yes\"}", "on_duty"},
        {"{\"id\":\"x1\",\"name\":\"n\",\"department\":\"no-such\",\"role\":\"agent\"}", "department"},
        {"{\"id\":\"x1\",\"name\":\"n\",\"department\":\"service\",\"role\":\"agent\","
         "\"team\":\"no-such\"}", "team"},
        {"{\"id\":\"x1\",\"name\":\"n\",\"department\":\"service\",\"role\":\"agent\","
         "\"skill\":[]}", "skill"},
        {"{\"id\":\"service-01\",\"name\":\"n\",\"department\":\"service\",\"role\":\"agent\"}", "id"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        sb_test_assert_admin_refused("POST", "/v1/admin/agents", admin, bad[i].body,
                              strcmp(bad[i].field, "id") == 0 ? 409 : 400, bad[i].field);
    sb_test_assert_admin_refused("GET", "/v1/admin/agents?on_duty=maybe", admin, NULL, 400, "on_duty");
    sb_test_assert_admin_refused("GET", "/v1/admin/agents/no-such-agent", admin, NULL, 404, "id");
    sb_test_assert_admin_refused("PATCH", "/v1/admin/agents/service-lead", admin, "{\"role\":\"agent\"}",
                          409, "role");
}

/* ---- tokens ---- */

/* The status of GET path on desk with token. */
static int status_of(const char *path, const char *token)
{
    int status = 0;
    json_decref(sb_test_desk_json("GET", path, token, NULL, &status));
    return status;
}

/* A new token for agent id: 201, with the agent's role. Caller frees. */
static char *token_issue(const char *id, const char *role)
{
    char path[96];
    snprintf(path, sizeof path, "/v1/admin/agents/%s/tokens", id);
    json_t *t = sb_test_admin_call("POST", path, admin, NULL, 201);
    cr_expect_str_eq(json_string_value(json_object_get(t, "role")), role);
    const char *tok = json_string_value(json_object_get(t, "token"));
    cr_assert(tok && strlen(tok) == 64, "a 32-byte hex token");
    char *out = strdup(tok);
    json_decref(t);
    return out;
}

Test(desk_admin, a_token_works_with_the_agents_role_until_revoked)
{
    char dept[32], agent[32], sup[32], path[96], target[64];
    department_new(dept, sizeof dept);
    agent_new(agent, sizeof agent, dept, "agent");
    agent_new(sup, sizeof sup, dept, "supervisor");
    char *ta = token_issue(agent, "agent"), *ta2 = token_issue(agent, "agent");
    char *ts = token_issue(sup, "supervisor");
    cr_expect_str_neq(ta, ta2, "every token is new");
    cr_expect_eq(status_of("/v1/tickets", ta), 200, "the token authenticates");
    cr_expect_eq(status_of("/v1/kb/review", ta), 403, "as an agent");
    cr_expect_eq(status_of("/v1/kb/review", ts), 200, "the supervisor's as a supervisor");
    cr_expect_eq(status_of("/v1/admin/departments", ts), 403);
    /* Stored hashed: the clear token is nowhere in api_tokens. */
    const char *p[] = {ta};
    char *clear = sb_fixture_value(pg, "SELECT count(*) FROM api_tokens WHERE token_hash = $1"
                                       " OR subject = $1", 1, p);
    cr_expect_str_eq(clear, "0");
    free(clear);
    snprintf(path, sizeof path, "/v1/admin/agents/%s/tokens/revoke", agent);
    json_t *r = sb_test_admin_call("POST", path, admin, NULL, 200);
    cr_expect_eq(json_integer_value(json_object_get(r, "revoked")), 2);
    json_decref(r);
    cr_expect_eq(status_of("/v1/tickets", ta), 401, "revoked");
    cr_expect_eq(status_of("/v1/tickets", ta2), 401, "all of them");
    cr_expect_eq(status_of("/v1/tickets", ts), 200, "another agent's token still works");
    snprintf(target, sizeof target, "agent:%s", agent);
    cr_expect_eq(sb_test_audit_count(pg, "agent.token_issue", target), 2);
    cr_expect_eq(sb_test_audit_count(pg, "agent.token_revoke", target), 1);
    sb_test_assert_admin_refused("POST", "/v1/admin/agents/no-such-agent/tokens", admin, NULL, 404, "id");
    free(ta);
    free(ta2);
    free(ts);
}

Test(desk_admin, a_role_change_reaches_the_agents_live_tokens)
{
    char dept[32], agent[32], path[96];
    department_new(dept, sizeof dept);
    agent_new(agent, sizeof agent, dept, "supervisor");
    char *t = token_issue(agent, "supervisor");
    cr_expect_eq(status_of("/v1/kb/review", t), 200);
    snprintf(path, sizeof path, "/v1/admin/agents/%s", agent);
    json_decref(sb_test_admin_call("PATCH", path, admin, "{\"role\":\"agent\"}", 200));
    cr_expect_eq(status_of("/v1/kb/review", t), 403, "demoted: the token is an agent's now");
    free(t);
}

/* ---- duty ---- */

Test(desk_admin, everyone_sets_their_own_duty)
{
    char dept[32], agent[32], path[96], target[64];
    department_new(dept, sizeof dept);
    agent_new(agent, sizeof agent, dept, "agent");
    char *t = token_issue(agent, "agent");
    json_t *r = sb_test_admin_call("POST", "/v1/me/duty", t, "{\"on_duty\":true}", 200);
    cr_expect(json_is_true(json_object_get(r, "on_duty")));
    json_decref(r);
    snprintf(path, sizeof path, "/v1/admin/agents/%s", agent);
    r = sb_test_admin_call("GET", path, admin, NULL, 200);
    cr_expect(json_is_true(json_object_get(r, "on_duty")), "stored");
    json_decref(r);
    json_decref(sb_test_admin_call("POST", "/v1/me/duty", t, "{\"on_duty\":false}", 200));
    sb_test_assert_admin_refused("POST", "/v1/me/duty", t, "{\"on_duty\":1}", 400, "on_duty");
    sb_test_assert_admin_refused("POST", "/v1/me/duty", t, "{}", 400, "on_duty");
    sb_test_assert_admin_refused("POST", "/v1/me/duty", t, "{\"on_duty\":true,\"why\":\"x\"}", 400, "why");
    json_decref(sb_test_admin_call("POST", "/v1/me/duty", NULL, "{\"on_duty\":true}", 401));
    snprintf(target, sizeof target, "agent:%s", agent);
    cr_expect_eq(sb_test_audit_count(pg, "agent.duty", target), 2);
    free(t);
}

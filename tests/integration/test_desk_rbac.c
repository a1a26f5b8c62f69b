/* test_desk_rbac.c - every desk operation of proto/http/desk.openapi.json against every role
 * (agent, supervisor, admin, no token, a revoked token): 401 without a valid token, 403 below
 * the operation's x-min-role, neither when allowed; and every route desk registers (and every
 * ticket action it knows) is in the document with the role the code enforces. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expect.h"
#include "fixture.h"
#include "http_client.h"

#define OPENAPI SB_SOURCE_DIR "/proto/http/desk.openapi.json"
#define DESK_SRC SB_SOURCE_DIR "/services/desk"

static PGconn *pg;
static json_t *doc;

static void setup(void)
{
    json_error_t e;
    doc = json_load_file(OPENAPI, JSON_REJECT_DUPLICATES, &e);
    cr_assert_not_null(doc, "%s: %s at line %d", OPENAPI, e.text, e.line);
    if (!getenv("SB_PG_DSN") || !getenv("SB_DESK_URL"))
        return;                            /* the document tests run without the stack */
    pg = sb_fixture_pg();
    cr_assert_not_null(pg, "cannot connect to SB_PG_DSN");
}

static void teardown(void)
{
    if (pg)
        PQfinish(pg);
    pg = NULL;
    json_decref(doc);
    doc = NULL;
}

TestSuite(desk_rbac, .init = setup, .fini = teardown, .timeout = 120);

/* public (no token needed: the console's static files) < agent < supervisor < admin; -1 for
 * anything else. */
static int role_rank(const char *role)
{
    static const char *const roles[] = {"public", "agent", "supervisor", "admin"};
    for (int i = 0; role && i < 4; i++)
        if (strcmp(role, roles[i]) == 0)
            return i;
    return -1;
}

static const char *const methods[] = {"get", "post", "put", "patch", "delete", NULL};

/* ------------------------------------------------------------------ the document alone */

Test(desk_rbac, every_operation_names_its_role_and_its_error_answers)
{
    const char *path;
    json_t *item;
    int ops = 0;
    json_object_foreach(json_object_get(doc, "paths"), path, item) {
        for (const char *const *m = methods; *m; m++) {
            json_t *op = json_object_get(item, *m);
            if (!op)
                continue;
            ops++;
            const char *role = json_string_value(json_object_get(op, "x-min-role"));
            cr_expect(role_rank(role) >= 0, "%s %s: x-min-role '%s'", *m, path, role ? role : "");
            json_t *responses = json_object_get(op, "responses");
            if (role_rank(role) > 0)
                cr_expect_not_null(json_object_get(responses, "401"), "%s %s: no 401", *m, path);
            if (role_rank(role) > 1)
                cr_expect_not_null(json_object_get(responses, "403"), "%s %s: no 403", *m, path);
        }
    }
    cr_expect_gt(ops, 20);
}

/* 1 when the document has method (lower case) on a path that the route prefix serves: the same
 * path, or (a prefix ending in '/') a path under it. Path parameters ({x}) match anything. */
static int documented(const char *method, const char *prefix)
{
    size_t n = strlen(prefix);
    int subtree = n > 0 && prefix[n - 1] == '/';
    const char *path;
    json_t *item;
    json_object_foreach(json_object_get(doc, "paths"), path, item) {
        if (!json_object_get(item, method))
            continue;
        if (subtree ? strncmp(path, prefix, n) == 0 && strlen(path) > n : strcmp(path, prefix) == 0)
            return 1;
    }
    return 0;
}

/* The routes one source file registers: sb_http_route(<h>, "METHOD", "/prefix", ...). */
static int check_routes_in(const char *file)
{
    size_t len;
    char *src = sb_test_file(file, &len);
    int found = 0;
    for (const char *p = strstr(src, "sb_http_route("); p; p = strstr(p + 1, "sb_http_route(")) {
        char method[16], prefix[128];
        const char *q = strchr(p, '"');
        if (!q || sscanf(q, "\"%15[A-Z]\", \"%127[^\"]\"", method, prefix) != 2)
            continue;                                   /* a declaration, not a call */
        for (char *c = method; *c; c++)
            *c = (char)(*c - 'A' + 'a');
        found++;
        cr_expect(documented(method, prefix), "%s registers %s %s, which %s does not document",
                  file, method, prefix, OPENAPI);
    }
    free(src);
    return found;
}

Test(desk_rbac, every_route_desk_registers_is_documented)
{
    DIR *d = opendir(DESK_SRC);
    cr_assert_not_null(d, "cannot read %s", DESK_SRC);
    struct dirent *e;
    int routes = 0;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 3 || strcmp(e->d_name + n - 2, ".c") != 0)
            continue;
        char file[512];
        snprintf(file, sizeof file, "%s/%s", DESK_SRC, e->d_name);
        routes += check_routes_in(file);
    }
    closedir(d);
    cr_expect_gt(routes, 10, "the scan found only %d routes: has the registration changed?", routes);
}

Test(desk_rbac, every_ticket_action_is_documented_with_the_role_the_code_enforces)
{
    size_t len;
    char *src = sb_test_file(DESK_SRC "/action.c", &len);
    int actions = 0;
    /* The table's rows: {"name", SB_ROLE_X, ...}. */
    for (const char *p = strstr(src, "{\""); p; p = strstr(p + 1, "{\"")) {
        char name[32], role[16], path[96];
        if (sscanf(p, "{\"%31[a-z_-]\", SB_ROLE_%15[A-Z]", name, role) != 2)
            continue;
        for (char *c = role; *c; c++)
            *c = (char)(*c - 'A' + 'a');
        actions++;
        snprintf(path, sizeof path, "/v1/tickets/{number}/%s", name);
        json_t *op = json_object_get(json_object_get(json_object_get(doc, "paths"), path), "post");
        cr_expect_not_null(op, "action %s is not documented as POST %s", name, path);
        const char *doc_role = json_string_value(json_object_get(op, "x-min-role"));
        cr_expect(doc_role && strcmp(doc_role, role) == 0, "%s: the code needs %s, the document says %s",
                  path, role, doc_role ? doc_role : "nothing");
    }
    free(src);
    cr_expect_gt(actions, 8);
}

/* ------------------------------------------------------------------ against the service */

/* The callers of the matrix. */
typedef struct caller {
    const char *name;
    char       *token;       /* NULL: no Authorization header */
    int         rank;        /* role_rank; 0 = must be refused with 401 */
} caller;

/* A fresh agent of quality who may read contacts (so an allowed agent is never refused for a
 * missing permission), and its token. */
static char *new_agent(char id[32])
{
    char hex[9];
    sb_fixture_hex(hex, 8);
    snprintf(id, 32, "rbac-%s", hex);
    const char *p[] = {id};
    cr_assert_eq(sb_fixture_exec(pg, "INSERT INTO agents (id, name, department_id, role, contact_read)"
                                     " VALUES ($1, 'RBAC agent', 'quality', 'agent', true)", 1, p), 0);
    return sb_fixture_token(pg, id, "agent");
}

/* A token that existed and was revoked. */
static char *revoked_token(void)
{
    char *t = sb_fixture_token(pg, "quality-02", "agent");
    const char *p[] = {t};
    cr_assert_eq(sb_fixture_exec(pg, "UPDATE api_tokens SET revoked_at = now()"
                                     " WHERE token_hash = encode(sha256(convert_to($1, 'UTF8')), 'hex')",
                                 1, p), 0);
    return t;
}

/* The documented example of op's path parameter name (len bytes at name) into value: an
 * operation that acts on "1" when called (revoking credential 1, the web channel's key, would
 * break its neighbours) documents a harmless one. 0 when there is none. */
static int param_example(const json_t *op, const char *name, size_t len, char *value, size_t cap)
{
    size_t i;
    json_t *prm;
    json_array_foreach(json_object_get(op, "parameters"), i, prm) {
        const char *n = json_string_value(json_object_get(prm, "name"));
        json_t *ex = json_object_get(prm, "example");
        if (!n || strlen(n) != len || strncmp(n, name, len) != 0 || !ex)
            continue;
        if (json_is_integer(ex))
            snprintf(value, cap, "%lld", (long long)json_integer_value(ex));
        else
            snprintf(value, cap, "%s", json_string_value(ex) ? json_string_value(ex) : "1");
        return 1;
    }
    return 0;
}

/* path with its parameters filled: {number} a fresh quality ticket assigned to agent, others
 * their documented example (param_example), else 1. */
static void fill_path(const char *path, const json_t *op, const char *agent, char *out,
                      size_t len)
{
    size_t o = 0;
    for (const char *p = path; *p && o + 1 < len;) {
        if (*p != '{') {
            out[o++] = *p++;
            continue;
        }
        const char *end = strchr(p, '}');
        cr_assert_not_null(end, "%s: unclosed parameter", path);
        char value[40] = "1";
        param_example(op, p + 1, (size_t)(end - p - 1), value, sizeof value);
        if (strncmp(p, "{file}", 6) == 0)
            snprintf(value, sizeof value, "app.js");
        if (strncmp(p, "{number}", 8) == 0) {
            char id[37];
            sb_fixture_ticket t = {.channel = "web", .status = "assigned", .category = "complaint",
                                   .subtopic = "service-quality", .urgency = "high",
                                   .priority = "P2", .department = "quality", .assignee = agent};
            cr_assert_eq(sb_fixture_ticket_new(pg, &t, value, id), 0);
        }
        o += (size_t)snprintf(out + o, len - o, "%s", value);
        if (o >= len)
            o = len - 1;
        p = end + 1;
    }
    out[o] = '\0';
}

/* The operation's request body: its documented example, or none. Caller frees. */
static char *example_body(const json_t *op)
{
    json_t *ex = json_object_get(json_object_get(json_object_get(json_object_get(op, "requestBody"),
                                                         "content"), "application/json"), "example");
    return ex ? json_dumps(ex, JSON_COMPACT) : NULL;
}

/* One call; the HTTP status. */
static int call(const char *method, const char *path, const char *token, const char *body)
{
    char url[512], upper[8];
    snprintf(url, sizeof url, "%s%s", getenv("SB_DESK_URL"), path);
    size_t i = 0;
    for (; method[i] && i < sizeof upper - 1; i++)
        upper[i] = (char)(method[i] - 'a' + 'A');
    upper[i] = '\0';
    sb_test_request rq = {.bearer = token, .content_type = body ? "application/json" : NULL,
                          .body = body};
    int status = 0;
    cr_assert_eq(sb_test_http_request(upper, url, &rq, &status, NULL), 0, "%s %s: no answer",
                 upper, path);
    return status;
}

Test(desk_rbac, every_role_against_every_operation)
{
    if (!pg)
        cr_skip_test("SB_PG_DSN or SB_DESK_URL unset: the stack is not running");
    char agent_id[32], admin_id[32], hex[9];
    sb_fixture_hex(hex, 8);
    snprintf(admin_id, sizeof admin_id, "rbac-admin-%s", hex);
    caller callers[] = {
        {"no token", NULL, 0},
        {"revoked token", revoked_token(), 0},
        {"agent", new_agent(agent_id), 1},
        {"supervisor", sb_fixture_token(pg, "quality-lead", "supervisor"), 2},
        {"admin", sb_fixture_token(pg, admin_id, "admin"), 3},
    };
    for (size_t c = 1; c < sizeof callers / sizeof callers[0]; c++)
        cr_assert_not_null(callers[c].token);
    const char *path;
    json_t *item;
    int calls = 0;
    json_object_foreach(json_object_get(doc, "paths"), path, item) {
        for (const char *const *m = methods; *m; m++) {
            json_t *op = json_object_get(item, *m);
            if (!op)
                continue;
            int need = role_rank(json_string_value(json_object_get(op, "x-min-role")));
            char *body = example_body(op);
            for (size_t c = 0; c < sizeof callers / sizeof callers[0]; c++) {
                char filled[256];
                fill_path(path, op, agent_id, filled, sizeof filled);
                int status = call(*m, filled, callers[c].token, body);
                calls++;
                if (need == 0)
                    cr_expect(status == 200, "%s %s as %s: %d, want the public file", *m, path,
                              callers[c].name, status);
                else if (callers[c].rank == 0)
                    cr_expect_eq(status, 401, "%s %s as %s: %d, want 401", *m, path,
                                 callers[c].name, status);
                else if (callers[c].rank < need)
                    cr_expect_eq(status, 403, "%s %s as %s: %d, want 403", *m, path,
                                 callers[c].name, status);
                else
                    cr_expect(status != 401 && status != 403 && status < 500,
                              "%s %s as %s: %d, want it allowed", *m, path, callers[c].name, status);
            }
            free(body);
        }
    }
    cr_expect_gt(calls, 100);
    for (size_t c = 0; c < sizeof callers / sizeof callers[0]; c++)
        free(callers[c].token);
}

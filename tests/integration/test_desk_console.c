/* test_desk_console.c - what the web console reads, over real HTTP: who am I (/v1/me), the reply
 * templates, the supervisors' board (counts, load, overdue, scoped to their departments), and
 * the console's own files with their headers. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expect.h"
#include "fixture.h"
#include "http_client.h"

static PGconn *pg;

/* Skip unless the stack is running; otherwise connect. */
static void setup(void)
{
    if (!getenv("SB_PG_DSN") || !getenv("SB_DESK_URL"))
        cr_skip_test("SB_PG_DSN or SB_DESK_URL unset: the stack is not running");
    pg = sb_fixture_pg();
    cr_assert_not_null(pg, "cannot connect to SB_PG_DSN");
}

static void teardown(void)
{
    if (pg)
        PQfinish(pg);
    pg = NULL;
}

TestSuite(desk_console, .init = setup, .fini = teardown, .timeout = 60);

/* GET path with token; asserts the status, returns the body (caller decrefs). */
static json_t *assert_get(const char *path, const char *token, int want)
{
    int status = 0;
    json_t *r = sb_test_desk_json("GET", path, token, NULL, &status);
    cr_assert_eq(status, want, "GET %s: status %d, want %d", path, status, want);
    cr_assert_not_null(r, "GET %s: the answer is JSON", path);
    return r;
}

/* A statement with up to four parameters that must succeed. */
static void exec4(const char *sql, const char *a, const char *b, const char *c, const char *d)
{
    const char *p[] = {a, b, c, d};
    int n = d ? 4 : c ? 3 : b ? 2 : a ? 1 : 0;
    cr_assert_eq(sb_fixture_exec(pg, sql, n, p), 0, "%s", sql);
}

/* A department of its own (no other test's tickets land in it): id "<prefix>-<hex>", a team
 * led by "<id>-lead" (a supervisor of that department) and two agents "<id>-01", "<id>-02". */
static void own_department(const char *prefix, char id[40])
{
    char hex[9];
    sb_fixture_hex(hex, 8);
    snprintf(id, 40, "%s-%s", prefix, hex);
    exec4("INSERT INTO departments (id, name) VALUES ($1, 'Console test ' || $1)", id, NULL, NULL, NULL);
    exec4("INSERT INTO agents (id, name, department_id, role, max_open)"
          " VALUES ($1 || '-lead', '主管 ' || $1, $1, 'supervisor', 50),"
          "        ($1 || '-01', '客服一号', $1, 'agent', 10),"
          "        ($1 || '-02', 'Agent Two', $1, 'agent', 20)", id, NULL, NULL, NULL);
    exec4("INSERT INTO teams (id, name, department_id, supervisor_id)"
          " VALUES ($1 || '-team', $1 || ' team', $1, $1 || '-lead')", id, NULL, NULL, NULL);
    exec4("UPDATE agents SET team_id = $1 || '-team' WHERE department_id = $1", id, NULL, NULL, NULL);
    exec4("UPDATE agents SET on_duty = false WHERE id = $1 || '-02'", id, NULL, NULL, NULL);
}

/* A ticket of department in status, assigned to assignee (NULL: nobody); its id into id. */
static void plant(const char *department, const char *status, const char *assignee,
                  char number[40], char id[37])
{
    sb_fixture_ticket t = {.channel = "web", .status = status, .category = "complaint",
                           .subtopic = "service-quality", .urgency = "high", .priority = "P1",
                           .department = department, .assignee = assignee};
    cr_assert_eq(sb_fixture_ticket_new(pg, &t, number, id), 0);
}

/* The member of array whose key equals value, or NULL. */
static json_t *find(json_t *array, const char *key, const char *value)
{
    size_t i;
    json_t *v;
    json_array_foreach(array, i, v) {
        const char *s = json_string_value(json_object_get(v, key));
        if (s && strcmp(s, value) == 0)
            return v;
    }
    return NULL;
}

/* Integer member name of object. */
static long long num(const json_t *object, const char *name)
{
    const json_t *v = json_object_get(object, name);
    cr_assert(json_is_integer(v), "%s is an integer", name);
    return json_integer_value(v);
}

Test(desk_console, me_says_who_the_token_belongs_to)
{
    json_t *r = assert_get("/v1/me", NULL, 401);
    cr_expect_str_eq(sb_test_error_field(r), "Authorization");
    json_decref(r);
    json_decref(assert_get("/v1/me", "not-a-token", 401));

    char dept[40], agent[64];
    own_department("me", dept);
    snprintf(agent, sizeof agent, "%s-01", dept);
    char *token = sb_fixture_token(pg, agent, "agent");
    cr_assert_not_null(token);
    r = assert_get("/v1/me", token, 200);
    char want[512];
    snprintf(want, sizeof want,
             "{\"subject\":\"%s\",\"role\":\"agent\",\"name\":\"客服一号\",\"department\":\"%s\","
             "\"team\":\"%s-team\",\"on_duty\":true}", agent, dept, dept);
    sb_test_assert_json(r, want);
    json_decref(r);
    free(token);

    /* A subject with no agent row (a service's or the deployment's admin token). */
    token = sb_fixture_token(pg, "console-robot", "admin");
    r = assert_get("/v1/me", token, 200);
    sb_test_assert_json(r, "{\"subject\":\"console-robot\",\"role\":\"admin\",\"name\":null,"
                           "\"department\":null,\"team\":null,\"on_duty\":null}");
    json_decref(r);
    free(token);
}

Test(desk_console, templates_filter_by_language_and_category)
{
    json_decref(assert_get("/v1/templates", NULL, 401));
    char *token = sb_fixture_token(pg, "service-01", "agent");
    json_t *r = assert_get("/v1/templates", token, 200);
    json_t *all = json_object_get(r, "templates");
    cr_assert(json_array_size(all) >= 8, "the seeded templates");
    json_t *zh = find(all, "id", "logistics-zh");
    cr_assert_not_null(zh);
    sb_test_assert_json(zh, "{\"id\":\"logistics-zh\",\"language\":\"zh\",\"title\":\"物流延误\","
                            "\"body\":\"{{customer_name}}您好，很抱歉您的订单延误了。我们已就工单"
                            "{{ticket_number}}联系快递公司，将在24小时内给您答复。\","
                            "\"category\":\"complaint\"}");
    json_decref(r);

    /* Chinese ones that fit a complaint: its own and those for any category, not refunds. */
    r = assert_get("/v1/templates?language=zh&category=complaint", token, 200);
    json_t *list = json_object_get(r, "templates");
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) {
        cr_expect_str_eq(json_string_value(json_object_get(v, "language")), "zh");
        const char *cat = json_string_value(json_object_get(v, "category"));
        cr_expect(!cat || strcmp(cat, "complaint") == 0, "category %s", cat);
    }
    cr_expect_not_null(find(list, "id", "logistics-zh"));
    cr_expect_not_null(find(list, "id", "greeting-zh"));
    cr_expect_null(find(list, "id", "refund-zh"));
    json_decref(r);

    static const struct { const char *path, *field; } bad[] = {
        {"/v1/templates?language=fr", "language"},
        {"/v1/templates?category=billing", "category"},
        {"/v1/templates?category=x%27%20OR%201%3D1", "category"},
        {"/v1/templates?category=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "category"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        r = assert_get(bad[k].path, token, 400);
        cr_expect_str_eq(sb_test_error_field(r), bad[k].field, "%s", bad[k].path);
        cr_expect_str_eq(sb_test_error_code(r), "invalid_field");
        json_decref(r);
    }
    free(token);
}

Test(desk_console, board_counts_load_and_overdue_of_the_supervisors_departments)
{
    char dept[40], other[40], lead[64], a1[64], a2[64];
    own_department("board", dept);
    own_department("board", other);
    snprintf(lead, sizeof lead, "%s-lead", dept);
    snprintf(a1, sizeof a1, "%s-01", dept);
    snprintf(a2, sizeof a2, "%s-02", dept);

    char number[40], id[37], late_number[40], late_id[37], soon_id[37], met_id[37];
    plant(dept, "classified", NULL, number, id);          /* queued */
    plant(dept, "classified", a1, number, id);            /* offered, not queued: counts for a1 */
    plant(dept, "assigned", a1, late_number, late_id);    /* assigned, its ack deadline passed */
    plant(dept, "acknowledged", a1, number, soon_id);     /* deadline still ahead */
    plant(dept, "awaiting_customer", a2, number, met_id); /* a passed deadline that was met */
    plant(dept, "resolved", a1, number, id);              /* done: counts nowhere */
    plant(other, "classified", NULL, number, id);         /* another department's queue */
    exec4("INSERT INTO sla_timers (ticket_id, kind, due_at) VALUES"
          " ($1::uuid, 'acknowledgement', now() - interval '10 minutes'),"
          " ($1::uuid, 'first_response', now() - interval '5 minutes'),"
          " ($2::uuid, 'acknowledgement', now() + interval '1 hour')",
          late_id, soon_id, NULL, NULL);
    exec4("INSERT INTO sla_timers (ticket_id, kind, due_at, state)"
          " VALUES ($1::uuid, 'acknowledgement', now() - interval '1 hour', 'met')",
          met_id, NULL, NULL, NULL);

    json_decref(assert_get("/v1/board", NULL, 401));
    char *agent_token = sb_fixture_token(pg, a1, "agent");
    json_t *r = assert_get("/v1/board", agent_token, 403);
    cr_expect_str_eq(sb_test_error_code(r), "forbidden");
    json_decref(r);
    free(agent_token);

    char *token = sb_fixture_token(pg, lead, "supervisor");
    r = assert_get("/v1/board", token, 200);
    /* Only their own department: the other one has its own supervisor. */
    json_t *departments = json_object_get(r, "departments");
    cr_assert_eq(json_array_size(departments), 1, "departments: %zu", json_array_size(departments));
    json_t *d = json_array_get(departments, 0);
    cr_expect_str_eq(json_string_value(json_object_get(d, "id")), dept);
    cr_expect_eq(num(d, "queued"), 1);
    cr_expect_eq(num(d, "assigned"), 1);
    cr_expect_eq(num(d, "acknowledged"), 1);
    cr_expect_eq(num(d, "awaiting_customer"), 1);

    json_t *agents = json_object_get(r, "agents");
    cr_assert_eq(json_array_size(agents), 2, "the two agents, not the supervisor");
    json_t *one = find(agents, "id", a1), *two = find(agents, "id", a2);
    cr_assert(one && two);
    cr_expect_eq(num(one, "open"), 3);
    cr_expect_eq(num(one, "max_open"), 10);
    cr_expect(json_is_true(json_object_get(one, "on_duty")));
    cr_expect_str_eq(json_string_value(json_object_get(one, "name")), "客服一号");
    cr_expect_eq(num(two, "open"), 1);
    cr_expect(json_is_false(json_object_get(two, "on_duty")));

    /* SLA timers only ever leave 'armed': still armed now means armed when the board was read
     * (a scanner of the sla service may have marked it breached meanwhile). */
    const char *p[] = {late_id};
    char *state = sb_fixture_value(pg, "SELECT string_agg(state, ',') FROM sla_timers"
                                       " WHERE ticket_id = $1::uuid", 1, p);
    json_t *overdue = json_object_get(r, "overdue");
    if (state && strcmp(state, "armed,armed") == 0) {
        cr_expect_eq(num(d, "overdue"), 1, "one ticket, however many clocks passed");
        cr_assert_eq(json_array_size(overdue), 1);
        json_t *late = json_array_get(overdue, 0);
        cr_expect_str_eq(json_string_value(json_object_get(late, "number")), late_number);
        cr_expect_str_eq(json_string_value(json_object_get(late, "kind")), "acknowledgement",
                         "the earliest passed clock");
        cr_expect_str_eq(json_string_value(json_object_get(late, "assignee")), a1);
        cr_expect_str_eq(json_string_value(json_object_get(late, "status")), "assigned");
    } else {
        cr_log_warn("the overdue clocks of %s were handled meanwhile (%s)", late_number, state);
        cr_expect_leq(json_array_size(overdue), 1);
    }
    free(state);
    json_decref(r);

    /* Leading a team of the other department too: both, in id order. */
    exec4("INSERT INTO teams (id, name, department_id, supervisor_id)"
          " VALUES ($1 || '-extra', 'extra', $1, $2)", other, lead, NULL, NULL);
    r = assert_get("/v1/board", token, 200);
    departments = json_object_get(r, "departments");
    cr_assert_eq(json_array_size(departments), 2);
    json_t *o = find(departments, "id", other);
    cr_assert_not_null(o);
    cr_expect_eq(num(o, "queued"), 1);
    cr_expect_eq(num(o, "overdue"), 0);
    json_decref(r);
    free(token);

    /* An admin sees every department, these among them. */
    token = sb_fixture_token(pg, "console-admin", "admin");
    r = assert_get("/v1/board", token, 200);
    cr_expect_not_null(find(json_object_get(r, "departments"), "id", dept));
    cr_expect_not_null(find(json_object_get(r, "departments"), "id", "quality"));
    cr_expect_not_null(find(json_object_get(r, "agents"), "id", a2));
    json_decref(r);
    free(token);
}

/* GET a console file; the status, the body, and one reply header into header_out. */
static int console_get(const char *path, const char *extra_headers, char **body,
                       const char *header, char header_out[256])
{
    char url[512];
    snprintf(url, sizeof url, "%s%s", sb_test_env("SB_DESK_URL"), path);
    sb_test_request rq = {.headers = extra_headers, .reply_header = header,
                          .reply_header_out = header_out, .reply_header_len = 256};
    int status = 0;
    cr_assert_eq(sb_test_http_request("GET", url, &rq, &status, body), 0, "GET %s", path);
    return status;
}

Test(desk_console, console_files_are_served_with_their_type_and_a_strict_policy)
{
    static const struct { const char *path, *type, *marker; } files[] = {
        {"/console", "text/html; charset=utf-8", "<script src=\"/console/app.js\""},
        {"/console/", "text/html; charset=utf-8", "id=\"login\""},
        {"/console/app.js", "text/javascript; charset=utf-8", "textContent"},
        {"/console/app.css", "text/css; charset=utf-8", "font"},
    };
    char header[256], etag[256];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char *body = NULL;
        cr_expect_eq(console_get(files[i].path, NULL, &body, "Content-Type", header), 200);
        cr_expect_str_eq(header, files[i].type, "%s", files[i].path);
        cr_expect(body && strstr(body, files[i].marker), "%s has %s", files[i].path, files[i].marker);
        free(body);
        console_get(files[i].path, NULL, NULL, "Content-Security-Policy", header);
        cr_expect(strstr(header, "default-src 'none'") && strstr(header, "script-src 'self';") &&
                  !strstr(header, "unsafe-inline"), "%s: CSP %s", files[i].path, header);
        console_get(files[i].path, NULL, NULL, "Cache-Control", header);
        cr_expect_str_eq(header, "no-cache");
    }
    /* No inline script or handler anywhere in the page (the policy would block it anyway). */
    char *html = NULL;
    console_get("/console", NULL, &html, "ETag", etag);
    cr_assert_not_null(html);
    cr_expect_null(strstr(html, "<script>"));
    cr_expect_null(strstr(html, " onclick="));
    free(html);

    /* Revalidation: the same bytes are a 304 without a body. */
    cr_assert(etag[0] == '"', "an ETag: %s", etag);
    char inm[300];
    snprintf(inm, sizeof inm, "If-None-Match: %s\r\n", etag);
    char *body = NULL;
    cr_expect_eq(console_get("/console", inm, &body, "ETag", header), 304);
    cr_expect(!body || !body[0]);
    free(body);
    cr_expect_eq(console_get("/console", "If-None-Match: \"0\"\r\n", NULL, "ETag", header), 200);

    body = NULL;
    cr_expect_eq(console_get("/console/../main.c", NULL, &body, "Content-Type", header), 404);
    free(body);
    body = NULL;
    cr_expect_eq(console_get("/console/secret.js", NULL, &body, "Content-Type", header), 404);
    cr_expect_str_eq(header, "application/json");
    free(body);
}

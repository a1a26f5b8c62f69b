/* test_desk_api.c - desk's ticket API over real HTTP, against a running sb-desk and PostgreSQL. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "http_client.h"
#include "schema.h"

static PGconn     *pg;
static const char *desk_url, *admin_token;

/* Skip unless tests/run exported the stack; otherwise connect. */
static void desk_setup(void)
{
    desk_url = getenv("SB_DESK_URL");
    admin_token = getenv("SB_ADMIN_TOKEN");
    if (!getenv("SB_PG_DSN") || !desk_url || !admin_token)
        cr_skip_test("SB_PG_DSN, SB_DESK_URL or SB_ADMIN_TOKEN unset: the stack is not running");
    pg = sb_fixture_pg();
    cr_assert_not_null(pg, "cannot connect to SB_PG_DSN");
}

static void desk_teardown(void)
{
    if (pg)
        PQfinish(pg);
    pg = NULL;
}

TestSuite(desk_api, .init = desk_setup, .fini = desk_teardown, .timeout = 60);

/* GET desk_url + path as JSON. */
static json_t *desk_get(const char *path, const char *token, int *status)
{
    char url[1024];
    snprintf(url, sizeof(url), "%s%s", desk_url, path);
    return sb_test_http_json("GET", url, token, NULL, status);
}

/* The reply is the uniform error with this status and field. */
static void assert_error(json_t *body, int status, int want, const char *field)
{
    cr_assert_eq(status, want, "status %d, wanted %d", status, want);
    json_t *err = json_object_get(body, "error");
    cr_assert(json_is_object(err), "no error object");
    cr_assert(json_is_string(json_object_get(err, "code")));
    cr_assert(json_is_string(json_object_get(err, "message")));
    if (field)
        cr_assert_str_eq(json_string_value(json_object_get(err, "field")), field);
}

/* A department of our own, so list filters see exactly this run's tickets. */
static void make_department(char dept[32])
{
    char hex[11];
    sb_fixture_hex(hex, 10);
    snprintf(dept, 32, "test-%s", hex);
    const char *p[] = {dept};
    cr_assert_eq(sb_fixture_exec(pg, "INSERT INTO departments (id, name) VALUES ($1, $1)", 1, p),
                 0);
}

/* An agent of dept and a token for it. */
static char *make_agent_token(const char *dept)
{
    char agent[48];
    snprintf(agent, sizeof(agent), "%s-agent", dept);
    const char *p[] = {agent, dept};
    cr_assert_eq(sb_fixture_exec(pg,
                                 "INSERT INTO agents (id, name, department_id) VALUES ($1, $1, $2)",
                                 2, p), 0);
    char *token = sb_fixture_token(pg, agent, "agent");
    cr_assert_not_null(token);
    return token;
}

/* A ticket of dept with this status, priority and creation time. */
static void make_ticket(const char *dept, const char *status, const char *priority,
                        const char *created_at, char number[32], char id[37])
{
    sb_fixture_ticket t = {.channel = "wechat", .status = status, .category = "complaint",
                           .subtopic = "logistics-delay", .urgency = "high",
                           .priority = priority, .department = dept, .created_at = created_at};
    cr_assert_eq(sb_fixture_ticket_new(pg, &t, number, id), 0);
}

/* Store one event of the ticket. */
static void store_event(const char *ticket_id, const char *number, const char *type,
                        const char *occurred_at, json_t *data)
{
    char event_id[37];
    sb_fixture_uuid(event_id);
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "type", type, "event_id", event_id,
                           "occurred_at", occurred_at, "ticket_id", ticket_id, "ticket_number",
                           number, "data", data);
    char *text = json_dumps(ev, JSON_COMPACT);
    cr_assert_eq(sb_fixture_event_store(pg, text), 0);
    free(text);
    json_decref(ev);
}

/* The numbers of a list reply, in order, comma-separated. */
static void list_numbers(json_t *body, char *out, size_t len)
{
    json_t *tickets = json_object_get(body, "tickets"), *t;
    size_t i;
    out[0] = '\0';
    cr_assert(json_is_array(tickets));
    json_array_foreach(tickets, i, t) {
        size_t n = strlen(out);
        snprintf(out + n, len - n, "%s%s", i ? "," : "", json_string_value(json_object_get(t, "number")));
    }
}

Test(desk_api, ticket_detail_with_masked_customer_and_ordered_timeline)
{
    char dept[32], number[32], id[37], path[128];
    make_department(dept);
    make_ticket(dept, "assigned", "P1", NULL, number, id);
    /* opened is stored last but happened first: the timeline is oldest first. classified and
     * assigned share a millisecond: they come back in the order they were stored (seq), which
     * is the order the pipeline produces them in. */
    store_event(id, number, "classified", "2026-11-22T10:00:01.000Z",
                json_pack("{s:s, s:s}", "category", "complaint", "priority", "P1"));
    store_event(id, number, "assigned", "2026-11-22T10:00:01.000Z",
                json_pack("{s:s}", "agent_id", "quality-01"));
    store_event(id, number, "opened", "2026-11-22T10:00:00.000Z",
                json_pack("{s:s}", "channel", "wechat"));
    snprintf(path, sizeof(path), "/v1/tickets/%s", number);
    int status;
    json_t *body = desk_get(path, admin_token, &status);
    cr_assert_eq(status, 200);
    cr_assert_str_eq(json_string_value(json_object_get(body, "number")), number);
    cr_assert_str_eq(json_string_value(json_object_get(body, "status")), "assigned");
    cr_assert_str_eq(json_string_value(json_object_get(body, "channel")), "wechat");
    cr_assert_str_eq(json_string_value(json_object_get(body, "priority")), "P1");
    cr_assert_str_eq(json_string_value(json_object_get(body, "department")), dept);
    cr_assert(json_is_null(json_object_get(body, "assignee")));
    json_t *customer = json_object_get(body, "customer");
    cr_assert_str_eq(json_string_value(json_object_get(customer, "phone_masked")), "138****5678");
    cr_assert_str_eq(json_string_value(json_object_get(customer, "tier")), "vip");
    json_t *timeline = json_object_get(body, "timeline");
    cr_assert_eq(json_array_size(timeline), 3);
    static const char *const order[] = {"opened", "classified", "assigned"};
    for (size_t i = 0; i < 3; i++)
        cr_assert_str_eq(json_string_value(json_object_get(json_array_get(timeline, i), "type")),
                         order[i]);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(timeline, 0), "occurred_at")),
                     "2026-11-22T10:00:00.000Z");
    char err[256];
    cr_assert_eq(sb_schema_validate_file(SB_SOURCE_DIR "/proto/http/ticket.v1.json", body, err,
                                         sizeof(err)), 0, "%s", err);
    json_decref(body);
}

Test(desk_api, authentication_is_required)
{
    int status;
    json_t *body = desk_get("/v1/tickets/WX-20261122-000123", NULL, &status);
    assert_error(body, status, 401, "Authorization");
    json_decref(body);
    body = desk_get("/v1/tickets/WX-20261122-000123", "not-a-real-token", &status);
    assert_error(body, status, 401, "Authorization");
    json_decref(body);
    body = desk_get("/v1/tickets", "not-a-real-token", &status);
    assert_error(body, status, 401, "Authorization");
    json_decref(body);
}

Test(desk_api, malformed_and_unknown_numbers)
{
    static const char *const bad[] = {"WX-2026-1", "ZZ-20261122-000123", "wx-20261122-000123",
                                      "WX-20261322-000123", "WX-20261122-12", "x"};
    int status;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char path[128];
        snprintf(path, sizeof(path), "/v1/tickets/%s", bad[i]);
        json_t *body = desk_get(path, admin_token, &status);
        assert_error(body, status, 400, "number");
        json_decref(body);
    }
    json_t *body = desk_get("/v1/tickets/WX-20010101-000001", admin_token, &status);
    assert_error(body, status, 404, "number");
    json_decref(body);
}

Test(desk_api, agent_sees_only_their_department)
{
    char mine[32], other[32], n1[32], id1[37], n2[32], id2[37], path[128];
    make_department(mine);
    make_department(other);
    char *token = make_agent_token(mine);
    make_ticket(mine, "assigned", "P2", NULL, n1, id1);
    make_ticket(other, "assigned", "P2", NULL, n2, id2);
    int status;
    snprintf(path, sizeof(path), "/v1/tickets/%s", n1);
    json_t *body = desk_get(path, token, &status);
    cr_assert_eq(status, 200);
    json_decref(body);
    snprintf(path, sizeof(path), "/v1/tickets/%s", n2);
    body = desk_get(path, token, &status);
    assert_error(body, status, 404, "number");
    json_decref(body);
    /* Asking the list for the other department gives nothing, not its tickets. */
    snprintf(path, sizeof(path), "/v1/tickets?department=%s", other);
    body = desk_get(path, token, &status);
    cr_assert_eq(status, 200);
    cr_assert_eq(json_array_size(json_object_get(body, "tickets")), 0);
    json_decref(body);
    /* Unfiltered, an agent's page holds only their department. */
    body = desk_get("/v1/tickets?limit=200", token, &status);
    cr_assert_eq(status, 200);
    json_t *t;
    size_t i;
    json_array_foreach(json_object_get(body, "tickets"), i, t)
        cr_assert_str_eq(json_string_value(json_object_get(t, "department")), mine);
    json_decref(body);
    free(token);
}

Test(desk_api, list_filters_and_keyset_pages)
{
    char dept[32], n1[32], n2[32], n3[32], id[37], path[256], got[256], want[256];
    make_department(dept);
    make_ticket(dept, "assigned", "P1", "2026-11-22T10:00:00.000001Z", n1, id);
    make_ticket(dept, "assigned", "P2", "2026-11-22T10:00:00.000002Z", n2, id);
    make_ticket(dept, "resolved", "P1", "2026-11-22T10:00:00.000003Z", n3, id);
    int status;

    snprintf(path, sizeof(path), "/v1/tickets?department=%s", dept);
    json_t *body = desk_get(path, admin_token, &status);
    cr_assert_eq(status, 200);
    list_numbers(body, got, sizeof(got));
    snprintf(want, sizeof(want), "%s,%s,%s", n3, n2, n1);
    cr_assert_str_eq(got, want);
    cr_assert(json_is_null(json_object_get(body, "next_cursor")));
    json_t *first = json_array_get(json_object_get(body, "tickets"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(first, "status")), "resolved");
    cr_assert_str_eq(json_string_value(json_object_get(first, "created_at")), "2026-11-22T10:00:00.000Z");
    json_decref(body);

    snprintf(path, sizeof(path), "/v1/tickets?department=%s&status=assigned", dept);
    body = desk_get(path, admin_token, &status);
    list_numbers(body, got, sizeof(got));
    snprintf(want, sizeof(want), "%s,%s", n2, n1);
    cr_assert_str_eq(got, want);
    json_decref(body);

    snprintf(path, sizeof(path), "/v1/tickets?department=%s&priority=P1", dept);
    body = desk_get(path, admin_token, &status);
    list_numbers(body, got, sizeof(got));
    snprintf(want, sizeof(want), "%s,%s", n3, n1);
    cr_assert_str_eq(got, want);
    json_decref(body);

    /* Two pages of two; microsecond-apart rows are neither skipped nor repeated. */
    snprintf(path, sizeof(path), "/v1/tickets?department=%s&limit=2", dept);
    body = desk_get(path, admin_token, &status);
    list_numbers(body, got, sizeof(got));
    snprintf(want, sizeof(want), "%s,%s", n3, n2);
    cr_assert_str_eq(got, want);
    const char *cursor = json_string_value(json_object_get(body, "next_cursor"));
    cr_assert_not_null(cursor);
    snprintf(path, sizeof(path), "/v1/tickets?department=%s&limit=2&cursor=%s", dept, cursor);
    json_decref(body);
    body = desk_get(path, admin_token, &status);
    cr_assert_eq(status, 200);
    list_numbers(body, got, sizeof(got));
    cr_assert_str_eq(got, n1);
    cr_assert(json_is_null(json_object_get(body, "next_cursor")));
    json_decref(body);
}

Test(desk_api, list_rejects_bad_parameters)
{
    static const struct { const char *query, *field; } bad[] = {
        {"status=bogus", "status"},   {"priority=P9", "priority"}, {"department=Bad!", "department"},
        {"limit=0", "limit"},         {"limit=201", "limit"},      {"limit=abc", "limit"},
        {"cursor=garbage", "cursor"}, {"cursor=12_not-a-uuid", "cursor"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char path[128];
        int status;
        snprintf(path, sizeof(path), "/v1/tickets?%s", bad[i].query);
        json_t *body = desk_get(path, admin_token, &status);
        assert_error(body, status, 400, bad[i].field);
        json_decref(body);
    }
}

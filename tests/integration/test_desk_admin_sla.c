/* test_desk_admin_sla.c - desk's admin API for the SLA configuration, against the running
 * stack: policies and calendars created, read, replaced, deleted and audited, refusals naming
 * the field, and a policy made here choosing the deadline sla arms. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_call.h"
#include "expect.h"
#include "fixture.h"

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

TestSuite(desk_admin_sla, .init = setup, .fini = teardown, .timeout = 90);

Test(desk_admin_sla, policies_are_put_read_and_deleted)
{
    char id[32], path[96], target[64];
    sb_test_unique_id(id, sizeof id, "pol-");
    snprintf(path, sizeof path, "/v1/admin/sla-policies/%s", id);
    snprintf(target, sizeof target, "sla_policy:%s", id);
    /* Disabled: no ticket of other suites is touched by it. */
    json_t *r = sb_test_admin_call("PUT", path, admin,
                                   "{\"kind\":\"resolution\",\"urgency\":\"high\","
                                   "\"category\":\"complaint\",\"target_seconds\":7200,"
                                   "\"business_hours\":true,\"enabled\":false}", 200);
    char want[512];
    snprintf(want, sizeof want,
             "{\"id\":\"%s\",\"kind\":\"resolution\",\"priority\":null,\"urgency\":\"high\","
             "\"category\":\"complaint\",\"channel\":null,\"tier\":null,\"target_seconds\":7200,"
             "\"business_hours\":true,\"warn_share\":0.75,\"enabled\":false}", id);
    sb_test_assert_json(r, want);
    json_decref(r);
    /* Replaced whole: criteria not given match any value again. */
    r = sb_test_admin_call("PUT", path, admin,
                           "{\"kind\":\"resolution\",\"target_seconds\":3600,\"warn_share\":0.5,"
                           "\"enabled\":false}", 200);
    cr_expect(json_is_null(json_object_get(r, "urgency")));
    cr_expect_float_eq(json_number_value(json_object_get(r, "warn_share")), 0.5, 1e-9);
    json_decref(r);
    r = sb_test_admin_call("GET", path, admin, NULL, 200);
    cr_expect_eq(json_integer_value(json_object_get(r, "target_seconds")), 3600);
    json_decref(r);
    r = sb_test_admin_call("GET", "/v1/admin/sla-policies", admin, NULL, 200);
    cr_expect_geq(json_array_size(json_object_get(r, "sla_policies")), 11, "seeded ten + ours");
    json_decref(r);
    cr_expect_eq(sb_test_audit_count(pg, "sla_policy.put", target), 2);
    r = sb_test_admin_call("DELETE", path, admin, NULL, 200);
    json_decref(r);
    cr_expect_eq(sb_test_audit_count(pg, "sla_policy.delete", target), 1);
    sb_test_assert_admin_refused("GET", path, admin, NULL, 404, "id");
    sb_test_assert_admin_refused("DELETE", path, admin, NULL, 404, "id");
}

Test(desk_admin_sla, policy_refusals_name_the_field)
{
    const char *path = "/v1/admin/sla-policies/never-made";
    sb_test_assert_admin_refused("PUT", path, admin, "{\"kind\":\"lunch\",\"target_seconds\":60}",
                                 400, "kind");
    sb_test_assert_admin_refused("PUT", path, admin, "{\"target_seconds\":60}", 400, "kind");
    sb_test_assert_admin_refused("PUT", path, admin, "{\"kind\":\"follow_up\"}", 400,
                                 "target_seconds");
    sb_test_assert_admin_refused("PUT", path, admin,
                                 "{\"kind\":\"follow_up\",\"target_seconds\":0}", 400,
                                 "target_seconds");
    sb_test_assert_admin_refused("PUT", path, admin,
                                 "{\"kind\":\"follow_up\",\"target_seconds\":60,"
                                 "\"urgency\":\"urgent\"}", 400, "urgency");
    sb_test_assert_admin_refused("PUT", path, admin,
                                 "{\"kind\":\"follow_up\",\"target_seconds\":60,"
                                 "\"warn_share\":1}", 400, "warn_share");
    sb_test_assert_admin_refused("PUT", path, admin,
                                 "{\"kind\":\"follow_up\",\"target_seconds\":60,"
                                 "\"channel\":\"pigeon\"}", 400, "channel");
    sb_test_assert_admin_refused("PUT", path, admin,
                                 "{\"kind\":\"follow_up\",\"target_seconds\":60,"
                                 "\"category\":\"no-such-category\"}", 400, "category");
    sb_test_assert_admin_refused("PUT", path, admin,
                                 "{\"kind\":\"follow_up\",\"target_seconds\":60,\"agent\":1}",
                                 400, "agent");
    sb_test_assert_admin_refused("PUT", "/v1/admin/sla-policies/Not_An_Id", admin,
                                 "{\"kind\":\"follow_up\",\"target_seconds\":60}", 400, "id");
}

Test(desk_admin_sla, a_policy_put_here_sets_the_deadline_sla_arms)
{
    if (!getenv("SB_KAFKA_BROKERS"))
        cr_skip_test("SB_KAFKA_BROKERS unset");
    char id[32], path[96];
    sb_test_unique_id(id, sizeof id, "pol-");
    snprintf(path, sizeof path, "/v1/admin/sla-policies/%s", id);
    /* Four criteria: beats every seeded row for a regular customer's P3 store ticket. */
    json_t *r = sb_test_admin_call("PUT", path, admin,
                                   "{\"kind\":\"first_response\",\"priority\":\"P3\","
                                   "\"urgency\":\"low\",\"channel\":\"store\",\"tier\":\"regular\","
                                   "\"target_seconds\":600}", 200);
    json_decref(r);
    char number[32], tid[37], ev[37];
    sb_fixture_ticket f = {.channel = "store", .status = "assigned", .category = "consultation",
                           .urgency = "low", .priority = "P3", .department = "presales",
                           .created_at = "2099-11-22T10:00:00Z"};
    cr_assert_eq(sb_fixture_ticket_new(pg, &f, number, tid), 0);
    const char *q[] = {tid};
    cr_assert_eq(sb_fixture_exec(pg, "UPDATE customers SET tier = 'regular' WHERE id ="
                                     " (SELECT customer_id FROM tickets WHERE id = $1)", 1, q), 0);
    sb_fixture_uuid(ev);
    json_t *e = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s}}", "type", "assigned",
                          "event_id", ev, "occurred_at", "2099-11-22T10:00:05.000Z", "ticket_id",
                          tid, "ticket_number", number, "data", "agent_id", "presales-01",
                          "department", "presales", "reason", "least_load");
    char *text = json_dumps(e, JSON_COMPACT);
    cr_assert_eq(sb_fixture_publish("sb.tickets.v1", tid, text), 0);
    free(text);
    json_decref(e);
    char want[96];
    snprintf(want, sizeof want, "2099-11-22 10:10/%s", id);
    char *got = sb_fixture_wait(pg, "SELECT to_char(due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"
                                    " HH24:MI') || '/' || policy_id FROM sla_timers"
                                    " WHERE ticket_id = $1 AND kind = 'first_response'", 1, q,
                                want, 20000);
    cr_assert_str_eq(got ? got : "(none)", want);
    free(got);
    r = sb_test_admin_call("DELETE", path, admin, NULL, 200);
    json_decref(r);
}

Test(desk_admin_sla, calendars_are_put_with_holidays_and_departments)
{
    char id[32], dept[32], path[96], target[64], body[512];
    sb_test_unique_id(id, sizeof id, "cal-");
    sb_test_unique_id(dept, sizeof dept, "d-");
    const char *d[] = {dept};
    cr_assert_eq(sb_fixture_exec(pg, "INSERT INTO departments (id, name) VALUES ($1, $1)", 1, d),
                 0);
    snprintf(path, sizeof path, "/v1/admin/calendars/%s", id);
    snprintf(target, sizeof target, "calendar:%s", id);
    snprintf(body, sizeof body,
             "{\"name\":\"Weekend desk\",\"tz_offset_minutes\":60,"
             "\"hours\":{\"sat\":\"10:00-16:00\",\"sun\":\"10:00-14:00\"},"
             "\"holidays\":[\"2026-12-26\",\"2026-12-27\"],\"departments\":[\"%s\"]}", dept);
    json_t *r = sb_test_admin_call("PUT", path, admin, body, 200);
    char want[512];
    snprintf(want, sizeof want,
             "{\"id\":\"%s\",\"name\":\"Weekend desk\",\"tz_offset_minutes\":60,"
             "\"hours\":{\"sat\":\"10:00-16:00\",\"sun\":\"10:00-14:00\"},"
             "\"holidays\":[\"2026-12-26\",\"2026-12-27\"],\"departments\":[\"%s\"]}", id, dept);
    sb_test_assert_json(r, want);
    json_decref(r);
    /* Replaced: holidays are the new list. */
    r = sb_test_admin_call("PUT", path, admin,
                           "{\"name\":\"Weekend desk\",\"hours\":{\"sat\":\"10:00-16:00\"}}", 200);
    cr_expect_eq(json_array_size(json_object_get(r, "holidays")), 0);
    cr_expect_eq(json_integer_value(json_object_get(r, "tz_offset_minutes")), 480);
    cr_expect_eq(json_array_size(json_object_get(r, "departments")), 1, "still keeps it");
    json_decref(r);
    r = sb_test_admin_call("GET", "/v1/admin/calendars", admin, NULL, 200);
    cr_expect_geq(json_array_size(json_object_get(r, "calendars")), 2);
    json_decref(r);
    cr_expect_eq(sb_test_audit_count(pg, "calendar.put", target), 2);
    sb_test_assert_admin_refused("PUT", path, admin,
                                 "{\"name\":\"x\",\"hours\":{\"sat\":\"16:00-10:00\"}}", 400,
                                 "hours.sat");
    sb_test_assert_admin_refused("PUT", path, admin,
                                 "{\"name\":\"x\",\"hours\":{\"someday\":\"10:00-16:00\"}}", 400,
                                 "hours.someday");
    sb_test_assert_admin_refused("PUT", path, admin, "{\"name\":\"x\",\"hours\":{}}", 400,
                                 "hours");
    sb_test_assert_admin_refused("PUT", path, admin,
                                 "{\"name\":\"x\",\"hours\":{\"sat\":\"10:00-16:00\"},"
                                 "\"holidays\":[\"2026-02-30\"]}", 400, "holidays");
    sb_test_assert_admin_refused("PUT", path, admin,
                                 "{\"name\":\"x\",\"hours\":{\"sat\":\"10:00-16:00\"},"
                                 "\"departments\":[\"no-such-dept\"]}", 400, "departments");
    sb_test_assert_admin_refused("PUT", path, admin,
                                 "{\"name\":\"x\",\"hours\":{\"sat\":\"10:00-16:00\"},"
                                 "\"tz_offset_minutes\":900}", 400, "tz_offset_minutes");
    sb_test_assert_admin_refused("GET", "/v1/admin/calendars/never-made", admin, NULL, 404,
                                 "id");
    cr_assert_eq(sb_fixture_exec(pg, "UPDATE departments SET calendar_id = 'standard'"
                                     " WHERE id = $1", 1, d), 0);
}

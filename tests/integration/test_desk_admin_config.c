/* test_desk_admin_config.c - desk's admin API for what routing and channels run on, against the
 * running stack: routing (a category planted for the test), acknowledgement times, reply
 * templates with their placeholders checked, and channel credentials — a key made here is
 * accepted by the running ingest and refused once revoked. Every change audited. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "admin_call.h"
#include "expect.h"
#include "fixture.h"
#include "http_client.h"

/* How long a credential change may take to reach ingest: its refresh period
 * (SB_INGEST_CREDENTIALS_REFRESH_MS: tests/run sets 1 s, the default is 10 s) plus slack. */
#define REFRESH_WAIT_MS 25000

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

TestSuite(desk_admin_config, .init = setup, .fini = teardown, .timeout = 90);

/* ---- routing ---- */

/* A category of this test with two sub-topics, led by service (no real ticket reaches it). */
static void category_plant(char *id, size_t len)
{
    sb_test_unique_id(id, len, "c-");
    const char *p[] = {id};
    cr_assert_eq(sb_fixture_exec(pg, "INSERT INTO categories (id, name, department_id)"
                                     " VALUES ($1, 'test', 'service')", 1, p), 0);
    cr_assert_eq(sb_fixture_exec(pg, "INSERT INTO subtopics (category, id, name, default_urgency)"
                                     " VALUES ($1, 'one', 'one', 'low'), ($1, 'two', 'two', 'low')",
                                 1, p), 0);
}

/* Removes what category_plant and the test left. */
static void category_remove(const char *id)
{
    const char *p[] = {id};
    sb_fixture_exec(pg, "DELETE FROM routing_skills WHERE category = $1", 1, p);
    sb_fixture_exec(pg, "DELETE FROM subtopics WHERE category = $1", 1, p);
    sb_fixture_exec(pg, "DELETE FROM categories WHERE id = $1", 1, p);
}

Test(desk_admin_config, routing_is_replaced_per_category)
{
    char cat[32], path[96], want[256], target[64];
    category_plant(cat, sizeof cat);
    snprintf(path, sizeof path, "/v1/admin/routing/%s", cat);
    json_t *r = sb_test_admin_call("PUT", path, admin,
                                   "{\"lead_department\":\"quality\",\"co_departments\":"
                                   "[\"after-sales\",\"service\"],\"skills\":{\"one\":\"payments\"}}",
                                   200);
    snprintf(want, sizeof want, "{\"category\":\"%s\",\"lead_department\":\"quality\","
             "\"co_departments\":[\"after-sales\",\"service\"],\"skills\":{\"one\":\"payments\"}}",
             cat);
    sb_test_assert_json(r, want);
    json_decref(r);
    r = sb_test_admin_call("PUT", path, admin,
                           "{\"lead_department\":\"service\",\"skills\":{\"two\":\"security\"}}", 200);
    snprintf(want, sizeof want, "{\"category\":\"%s\",\"lead_department\":\"service\","
             "\"co_departments\":[],\"skills\":{\"two\":\"security\"}}", cat);
    sb_test_assert_json(r, want);
    json_decref(r);
    const char *p[] = {cat};
    char *n = sb_fixture_value(pg, "SELECT count(*) FROM routing_skills WHERE category = $1", 1, p);
    cr_expect_str_eq(n, "1", "replaced, not added to");
    free(n);
    r = sb_test_admin_call("GET", "/v1/admin/routing", admin, NULL, 200);
    cr_expect_geq(json_array_size(json_object_get(r, "routing")), 5);
    json_decref(r);
    snprintf(target, sizeof target, "category:%s", cat);
    cr_expect_eq(sb_test_audit_count(pg, "routing.update", target), 2);
    category_remove(cat);
}

Test(desk_admin_config, routing_refusals_name_the_field)
{
    char cat[32], path[96];
    category_plant(cat, sizeof cat);
    snprintf(path, sizeof path, "/v1/admin/routing/%s", cat);
    sb_test_assert_admin_refused("PUT", path, admin, "{\"lead_department\":\"nowhere\"}", 400,
                          "lead_department");
    sb_test_assert_admin_refused("PUT", path, admin, "{\"lead_department\":\"service\","
                          "\"co_departments\":[\"nowhere\"]}", 400, "co_departments");
    sb_test_assert_admin_refused("PUT", path, admin, "{\"lead_department\":\"service\","
                          "\"co_departments\":[\"service\"]}", 400, "co_departments");
    sb_test_assert_admin_refused("PUT", path, admin, "{\"lead_department\":\"service\","
                          "\"skills\":{\"refund\":\"payments\"}}", 400, "skills.refund");
    sb_test_assert_admin_refused("PUT", path, admin, "{\"lead_department\":\"service\","
                          "\"skills\":{\"one\":7}}", 400, "skills.one");
    sb_test_assert_admin_refused("PUT", path, admin, "{\"lead\":\"service\"}", 400, "lead");
    sb_test_assert_admin_refused("PUT", "/v1/admin/routing/no-such-category", admin,
                          "{\"lead_department\":\"service\"}", 404, "category");
    category_remove(cat);
}

/* ---- acknowledgement times ---- */

Test(desk_admin_config, ack_policies_are_set_per_priority)
{
    /* Other suites rely on the current times: the test writes back what it found. */
    char *cur = sb_fixture_value(pg, "SELECT ack_seconds FROM ack_policies WHERE priority = 'P3'",
                                 0, NULL);
    cr_assert(cur);
    char body[64], want[96];
    snprintf(body, sizeof body, "{\"ack_seconds\":%s}", cur);
    json_t *r = sb_test_admin_call("PUT", "/v1/admin/ack-policies/P3", admin, body, 200);
    snprintf(want, sizeof want, "{\"priority\":\"P3\",\"ack_seconds\":%s}", cur);
    sb_test_assert_json(r, want);
    json_decref(r);
    r = sb_test_admin_call("GET", "/v1/admin/ack-policies", admin, NULL, 200);
    cr_expect_eq(json_array_size(json_object_get(r, "ack_policies")), 3);
    json_decref(r);
    cr_expect_geq(sb_test_audit_count(pg, "ack_policy.update", "ack_policy:P3"), 1);
    sb_test_assert_admin_refused("PUT", "/v1/admin/ack-policies/P9", admin, body, 400, "priority");
    sb_test_assert_admin_refused("PUT", "/v1/admin/ack-policies/P3", admin, "{\"ack_seconds\":0}", 400,
                          "ack_seconds");
    sb_test_assert_admin_refused("PUT", "/v1/admin/ack-policies/P3", admin, "{\"ack_seconds\":\"60\"}",
                          400, "ack_seconds");
    sb_test_assert_admin_refused("PUT", "/v1/admin/ack-policies/P3", admin, "{\"seconds\":60}", 400,
                          "seconds");
    free(cur);
}

/* ---- templates ---- */

Test(desk_admin_config, templates_are_created_replaced_and_deleted)
{
    char id[32], body[400], path[96], target[64];
    sb_test_unique_id(id, sizeof id, "tpl-");
    snprintf(body, sizeof body, "{\"id\":\"%s\",\"language\":\"en\",\"title\":\"Hi\","
             "\"body\":\"Hello {{customer_name}}, {{agent_name}} here.\",\"category\":\"complaint\"}",
             id);
    json_t *t = sb_test_admin_call("POST", "/v1/admin/templates", admin, body, 201);
    cr_expect_str_eq(json_string_value(json_object_get(t, "category")), "complaint");
    json_decref(t);
    sb_test_assert_admin_refused("POST", "/v1/admin/templates", admin, body, 409, "id");
    snprintf(path, sizeof path, "/v1/admin/templates/%s", id);
    t = sb_test_admin_call("PUT", path, admin, "{\"language\":\"zh\",\"title\":\"您好\","
                           "\"body\":\"{{customer_name}}您好\"}", 200);
    cr_expect_str_eq(json_string_value(json_object_get(t, "language")), "zh");
    cr_expect(json_is_null(json_object_get(t, "category")), "replaced: no category now");
    json_decref(t);
    t = sb_test_admin_call("DELETE", path, admin, NULL, 200);
    cr_expect_str_eq(json_string_value(json_object_get(t, "deleted")), id);
    json_decref(t);
    sb_test_assert_admin_refused("DELETE", path, admin, NULL, 404, "id");
    snprintf(target, sizeof target, "template:%s", id);
    cr_expect_eq(sb_test_audit_count(pg, "template.create", target), 1);
    cr_expect_eq(sb_test_audit_count(pg, "template.update", target), 1);
    cr_expect_eq(sb_test_audit_count(pg, "template.delete", target), 1);
}

/* Template bodies whose placeholders are malformed (unbalanced on purpose: kept out of the
 * test body, whose braces tools count). */
static const char *const bad_template_bodies[] = {
    "Hello {{customer_name}", "Hello {customer_name}}", "Hello {{Customer}}",
    "Hello {{ customer_name }}", "Hello {{}}", "a } b", "{{a-b}}", "{{{name}}}",
};

Test(desk_admin_config, template_placeholders_are_checked)
{
    const size_t n = sizeof bad_template_bodies / sizeof bad_template_bodies[0];
    char body[256];
    for (size_t i = 0; i < n; i++) {
        snprintf(body, sizeof body, "{\"id\":\"never\",\"language\":\"en\",\"title\":\"t\","
                                    "\"body\":\"%s\"}", bad_template_bodies[i]);
        sb_test_assert_admin_refused("POST", "/v1/admin/templates", admin, body, 400, "body");
    }
    sb_test_assert_admin_refused("POST", "/v1/admin/templates", admin, "{\"id\":\"never\","
                          "\"language\":\"fr\",\"title\":\"t\",\"body\":\"b\"}", 400, "language");
    sb_test_assert_admin_refused("POST", "/v1/admin/templates", admin, "{\"id\":\"never\","
                          "\"language\":\"en\",\"title\":\"t\",\"body\":\"b\",\"category\":\"nope\"}",
                          400, "category");
    sb_test_assert_admin_refused("PUT", "/v1/admin/templates/never", admin, "{\"language\":\"en\","
                          "\"title\":\"t\",\"body\":\"b\"}", 404, "id");
}

/* ---- channel credentials ---- */

/* Monotonic milliseconds. */
static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The status of GET /v1/messages/<an unused id> on ingest with key: 404 once ingest knows the
 * key, 401 while it does not (posts no message). */
static int ingest_probe(const char *key)
{
    char url[256], id[37];
    sb_fixture_uuid(id);
    snprintf(url, sizeof url, "%s/v1/messages/%s", sb_test_env("SB_INGEST_URL"), id);
    int status = 0;
    return sb_test_http("GET", url, key, NULL, &status, NULL) == 0 ? status : -1;
}

/* Polls ingest_probe(key) until it answers want (ingest refreshes its cache on a timer);
 * 1 when it did within REFRESH_WAIT_MS. */
static int ingest_wait(const char *key, int want)
{
    for (long long until = now_ms() + REFRESH_WAIT_MS; now_ms() < until; usleep(100 * 1000))
        if (ingest_probe(key) == want)
            return 1;
    return 0;
}

/* POST /v1/messages on the web channel with key; the status. */
static int ingest_post(const char *key)
{
    char url[256], ext[40], body[256];
    sb_test_unique_id(ext, sizeof ext, "admin-key-");
    snprintf(url, sizeof url, "%s/v1/messages", sb_test_env("SB_INGEST_URL"));
    snprintf(body, sizeof body, "{\"channel\":\"web\",\"external_id\":\"%s\",\"customer\":"
             "{\"id\":\"u-admin-key\"},\"text\":\"a key made by desk\"}", ext);
    int status = 0;
    return sb_test_http("POST", url, key, body, &status, NULL) == 0 ? status : -1;
}

Test(desk_admin_config, a_key_made_here_is_accepted_by_ingest_until_revoked)
{
    sb_test_env("SB_INGEST_URL");
    json_t *c = sb_test_admin_call("POST", "/v1/admin/channel-credentials", admin,
                                   "{\"channel\":\"web\",\"kind\":\"api_key\",\"name\":\"partner\","
                                   "\"rate_per_s\":100,\"burst\":200}", 201);
    const char *key = json_string_value(json_object_get(c, "key"));
    cr_assert(key && strlen(key) == 64, "the key, shown once");
    char id[24], path[96], target[64], hint[12];
    snprintf(id, sizeof id, "%lld", (long long)json_integer_value(json_object_get(c, "id")));
    snprintf(hint, sizeof hint, "****%s", key + 60);
    cr_expect_str_eq(json_string_value(json_object_get(c, "hint")), hint);
    cr_expect_str_eq(json_string_value(json_object_get(c, "source")), "admin");
    cr_assert(ingest_wait(key, 404), "ingest knows the key within %d ms", REFRESH_WAIT_MS);
    cr_expect_eq(ingest_post(key), 202, "a message posted with it is accepted");
    /* The list never shows a key or secret. */
    json_t *all = sb_test_admin_call("GET", "/v1/admin/channel-credentials", admin, NULL, 200);
    char *text = json_dumps(all, JSON_COMPACT);
    cr_expect_null(strstr(text, key), "the key is not listed");
    cr_expect_null(strstr(text, "\"key\""));
    cr_expect_null(strstr(text, "\"secret\""));
    free(text);
    json_decref(all);
    snprintf(path, sizeof path, "/v1/admin/channel-credentials/%s/revoke", id);
    json_t *r = sb_test_admin_call("POST", path, admin, NULL, 200);
    cr_expect(json_is_string(json_object_get(r, "revoked_at")));
    json_decref(r);
    sb_test_assert_admin_refused("POST", path, admin, NULL, 409, "id");
    cr_assert(ingest_wait(key, 401), "ingest refuses the key within %d ms", REFRESH_WAIT_MS);
    cr_expect_eq(ingest_post(key), 401, "and refuses a message posted with it");
    snprintf(target, sizeof target, "channel_credential:%s", id);
    cr_expect_eq(sb_test_audit_count(pg, "channel_credential.create", target), 1);
    cr_expect_eq(sb_test_audit_count(pg, "channel_credential.revoke", target), 1);
    char *leak = sb_fixture_value(pg, "SELECT count(*) FROM audit_log WHERE target = $1"
                                      " AND detail::text LIKE '%' || $2 || '%'", 2,
                                  (const char *const[]){target, key});
    cr_expect_str_eq(leak, "0", "the audit row does not hold the key");
    free(leak);
    json_decref(c);
}

Test(desk_admin_config, secrets_are_taken_or_generated_and_checked)
{
    json_t *c = sb_test_admin_call("POST", "/v1/admin/channel-credentials", admin,
                                   "{\"channel\":\"marketplace\",\"kind\":\"hmac_secret\","
                                   "\"name\":\"testmart\",\"secret\":\"0123456789abcdefXYZW\"}", 201);
    cr_expect_str_eq(json_string_value(json_object_get(c, "secret")), "0123456789abcdefXYZW");
    cr_expect_str_eq(json_string_value(json_object_get(c, "hint")), "****XYZW");
    cr_expect_null(json_object_get(c, "key"));
    json_decref(c);
    static const struct { const char *body, *field; } bad[] = {
        {"{\"channel\":\"fax\",\"kind\":\"api_key\"}", "channel"},
        {"{\"channel\":\"web\",\"kind\":\"password\"}", "kind"},
        {"{\"channel\":\"web\",\"kind\":\"wechat_token\"}", "channel"},
        {"{\"channel\":\"web\",\"kind\":\"api_key\",\"secret\":\"mine\"}", "secret"},
        {"{\"channel\":\"wechat\",\"kind\":\"wechat_token\",\"secret\":\"no spaces!\"}", "secret"},
        {"{\"channel\":\"marketplace\",\"kind\":\"hmac_secret\",\"name\":\"jd\",\"secret\":\"short\"}",
         "secret"},
        {"{\"channel\":\"marketplace\",\"kind\":\"hmac_secret\"}", "name"},
        {"{\"channel\":\"web\",\"kind\":\"api_key\",\"rate_per_s\":0}", "rate_per_s"},
        {"{\"channel\":\"web\",\"kind\":\"api_key\",\"burst\":0.5}", "burst"},
        {"{\"channel\":\"web\",\"kind\":\"api_key\",\"key\":\"x\"}", "key"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        sb_test_assert_admin_refused("POST", "/v1/admin/channel-credentials", admin, bad[i].body, 400,
                              bad[i].field);
    sb_test_assert_admin_refused("POST", "/v1/admin/channel-credentials/999999999/revoke", admin, NULL,
                          404, "id");
}

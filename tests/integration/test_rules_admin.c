/* test_rules_admin.c - rule sets over real PostgreSQL and the running desk: the seeded default
 * set loads and keeps the centre's priority rules, drafts are created (validated), edited,
 * dry-run over planted tickets, activated (the previous set retired) and then frozen. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rules.h"
#include "fixture.h"
#include "http_client.h"

static PGconn     *pg;
static sb_pg      *spg;
static const char *desk_url, *admin_token;

/* Skip unless the stack runs; otherwise connect twice (fixture rows and common/rules). */
static void setup(void)
{
    desk_url = getenv("SB_DESK_URL");
    admin_token = getenv("SB_ADMIN_TOKEN");
    if (!getenv("SB_PG_DSN") || !desk_url || !admin_token)
        cr_skip_test("SB_PG_DSN, SB_DESK_URL or SB_ADMIN_TOKEN unset: the stack is not running");
    pg = sb_fixture_pg();
    cr_assert_not_null(pg, "cannot connect to SB_PG_DSN");
    spg = sb_pg_connect(getenv("SB_PG_DSN"), 3);
    cr_assert_not_null(spg);
}

static void teardown(void)
{
    if (pg)
        PQfinish(pg);
    if (spg)
        sb_pg_free(spg);
    pg = NULL;
    spg = NULL;
}

TestSuite(rules_store, .init = setup, .fini = teardown, .timeout = 60);
TestSuite(rules_admin, .init = setup, .fini = teardown, .timeout = 120);

/* The reply is the uniform error with this status, code and field. */
static void assert_error(json_t *body, int status, int want, const char *code, const char *field)
{
    cr_assert_eq(status, want, "status %d, wanted %d", status, want);
    json_t *err = json_object_get(body, "error");
    cr_assert(json_is_object(err), "no error object");
    if (code)
        cr_expect_str_eq(json_string_value(json_object_get(err, "code")), code);
    if (field)
        cr_expect_str_eq(json_string_value(json_object_get(err, "field")), field, "%s",
                         json_string_value(json_object_get(err, "message")));
}

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* The active version, as common/rules reads it. */
static int active_version(void)
{
    int v = -1;
    cr_assert_eq(sb_rules_active_version(spg, &v), 0);
    return v;
}

/* POST a draft; its version (the test fails unless 201). */
static int create_draft(const char *body)
{
    int status;
    json_t *r = sb_test_desk_json("POST", "/v1/admin/rule-sets", admin_token, body, &status);
    cr_assert_eq(status, 201, "create: %d %s", status, str(json_object_get(r, "error"), "message"));
    cr_assert_str_eq(str(r, "status"), "draft");
    int v = (int)json_integer_value(json_object_get(r, "version"));
    json_decref(r);
    return v;
}

/* ---- the seeded default set ---- */

/* Decides text with the set; the decision. */
static sb_decision decide(const sb_ruleset *rs, const char *text, const char *channel,
                          const char *tier, const char *ivr, const json_t *hints)
{
    sb_rule_input in = {.text = text, .channel = channel, .tier = tier, .ivr_path = ivr,
                        .order_value = -1, .hints = hints};
    sb_decision d;
    sb_rules_decide(rs, &in, NULL, NULL, &d);
    return d;
}

Test(rules_store, the_active_set_loads)
{
    int v = active_version();
    cr_assert_gt(v, 0, "a rule set is active");
    sb_ruleset rs;
    cr_assert_eq(sb_rules_load_active(spg, &rs), 0);
    cr_expect_geq(rs.version, v, "this one or one activated since (tests run concurrently)");
    cr_expect_gt(rs.nclassify, 0);
    cr_expect_gt(rs.nrules, rs.nclassify, "it has priority rules");
    sb_rules_free(&rs);
    cr_expect_eq(sb_rules_load_version(spg, 999999999, &rs), -1, "no such version");
}

Test(rules_store, the_default_set_keeps_the_centres_priority_rules)
{
    sb_ruleset rs;
    cr_assert_eq(sb_rules_load_version(spg, 1, &rs), 0, "version 1, the migration's default");
    static const struct {
        const char *text, *channel, *tier, *ivr;
        const char *category, *subtopic, *priority, *reason;
    } cases[] = {
        {"我的账号被盗了，有人异地登录", "wechat", "regular", "", "complaint", "account-safety", "P1",
         "money or account safety"},
        {"My account was hacked last night", "web", "new", "", "complaint", "account-safety", "P1",
         "money or account safety"},
        {"I was charged twice for one order", "email", "regular", "", "complaint", "overcharge",
         "P1", "money or account safety"},
        {"退款申请提交一周了还没退", "app", "regular", "", "after-sales", "refund", "P1",
         "money or account safety"},
        {"我要投诉，客服态度差", "wechat", "vip", "", "complaint", "service-quality", "P1",
         "VIP + complaint + high urgency"},
        {"我要投诉，客服态度差", "wechat", "regular", "", "complaint", "service-quality", "P2",
         "default"},
        {"请问这款手机支持5G吗", "web", "regular", "", "consultation", "product-feature", "P2",
         "regular consultation"},
        {"Do you have a coupon for the 11.11 promotion?", "app", "vip", "", "consultation",
         "pricing-promotion", "P2", "regular consultation"},
        {"建议增加夜间模式", "app", "regular", "", "suggestion", "product-idea", "P3", "suggestion"},
        {"It would be great if the app had a dark mode", "app", "regular", "", "suggestion",
         "app-experience", "P3", "suggestion"},
        {"快递三天了还没到", "wechat", "regular", "", "complaint", "logistics-delay", "P2", "default"},
        {"需要开发票", "web", "regular", "", "after-sales", "invoice", "P2", "default"},
        {"", "phone", "regular", "2>1 投诉/物流", "complaint", "logistics-delay", "P2", "default"},
        {"", "phone", "vip", "2", "complaint", "service-quality", "P1",
         "VIP + complaint + high urgency"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sb_decision d = decide(&rs, cases[i].text, cases[i].channel, cases[i].tier, cases[i].ivr,
                               NULL);
        json_t *e = sb_decision_explain(&d);
        char *why = json_dumps(e, JSON_COMPACT);
        json_decref(e);
        cr_expect_str_eq(d.category, cases[i].category, "case %zu: %s", i, why);
        cr_expect_str_eq(d.subtopic, cases[i].subtopic, "case %zu: %s", i, why);
        cr_expect_str_eq(d.priority, cases[i].priority, "case %zu: %s", i, why);
        cr_expect_str_eq(d.priority_reason, cases[i].reason, "case %zu: %s", i, why);
        free(why);
        cr_expect_eq(d.rule_version, 1);
    }
    /* A marketplace dispute no keyword matches: its hint decides (test_ingest_marketplace_http). */
    json_t *hints = json_pack("{s:s}", "category", "complaint");
    sb_decision d = decide(&rs, "卖家三天不回消息，我要申请平台介入。", "marketplace", "regular", "",
                           hints);
    cr_expect_str_eq(d.category, "complaint");
    cr_expect_str_eq(d.source, "hint");
    json_decref(hints);
    sb_rules_free(&rs);
}

Test(rules_store, rules_of_a_set_that_was_active_are_frozen)
{
    char *v = sb_fixture_value(pg, "SELECT version::text FROM rule_sets WHERE status <> 'draft'"
                                   " ORDER BY version LIMIT 1", 0, NULL);
    cr_assert_not_null(v);
    const char *p[] = {v};
    cr_expect_neq(sb_fixture_exec(pg, "UPDATE rule_set_rules SET name = name || 'x'"
                                      " WHERE version = $1::int", 1, p), 0);
    cr_expect_neq(sb_fixture_exec(pg, "DELETE FROM rule_set_rules WHERE version = $1::int", 1, p),
                  0);
    cr_expect_neq(sb_fixture_exec(pg, "UPDATE rule_sets SET status = 'draft'"
                                      " WHERE version = $1::int", 1, p), 0);
    free(v);
    v = sb_fixture_value(pg, "INSERT INTO rule_sets (note, created_by) VALUES ('second', 'test')"
                             " RETURNING version::text", 0, NULL);
    cr_assert_not_null(v);
    const char *q[] = {v};
    cr_expect_neq(sb_fixture_exec(pg, "UPDATE rule_sets SET status = 'active'"
                                      " WHERE version = $1::int", 1, q), 0,
                  "two active sets are refused by the partial unique index");
    free(v);
}

/* ---- the admin API ---- */

Test(rules_admin, only_admins)
{
    int status;
    json_t *r = sb_test_desk_json("GET", "/v1/admin/rule-sets", NULL, NULL, &status);
    assert_error(r, status, 401, NULL, NULL);
    json_decref(r);
    r = sb_test_desk_json("POST", "/v1/admin/rule-sets", "not-a-token", "{\"from\":1}", &status);
    assert_error(r, status, 401, NULL, NULL);
    json_decref(r);
    static const char *const roles[] = {"agent", "supervisor"};
    for (size_t i = 0; i < 2; i++) {
        char subject[32];
        snprintf(subject, sizeof(subject), "rules-%s-", roles[i]);
        sb_fixture_hex(subject + strlen(subject), 8);
        char *token = sb_fixture_token(pg, subject, roles[i]);
        cr_assert_not_null(token);
        r = sb_test_desk_json("GET", "/v1/admin/rule-sets", token, NULL, &status);
        assert_error(r, status, 403, NULL, NULL);
        json_decref(r);
        r = sb_test_desk_json("POST", "/v1/admin/rule-sets", token, "{\"from\":1}", &status);
        assert_error(r, status, 403, NULL, NULL);
        json_decref(r);
        r = sb_test_desk_json("POST", "/v1/admin/rule-sets/1/activate", token, NULL, &status);
        assert_error(r, status, 403, NULL, NULL);
        json_decref(r);
        r = sb_test_desk_json("PUT", "/v1/admin/rule-sets/1", token, "{\"rules\":[]}", &status);
        assert_error(r, status, 403, NULL, NULL);
        json_decref(r);
        free(token);
    }
}

/* Bodies after {"note": "<marker>", (raw ones as they are): the marker finds anything stored
 * (the other tests of this binary create sets at the same time). */
static const struct bad_draft {
    const char *body;
    int         raw, status;
    const char *code, *field;
} bad_drafts[] = {
    {"}", 0, 400, "missing_field", "rules"},
    {"\"rules\":[],\"colour\":1}", 0, 400, "unknown_field", "colour"},
    {"\"rules\":[],\"from\":1}", 0, 400, "invalid_field", "from"},
    {"\"from\":\"1\"}", 0, 400, "invalid_field", "from"},
    {"\"from\":999999}", 0, 404, "not_found", "from"},
    {"{\"note\":7,\"rules\":[]}", 1, 400, "invalid_field", "note"},
    {"\"rules\":{}}", 0, 400, "invalid_field", "rules"},
    {"\"rules\":[{\"name\":\"ok\",\"stage\":\"classify\",\"actions\":{\"urgency\":\"low\"}},"
     "{\"name\":\"bad\",\"stage\":\"classify\",\"conditions\":{\"regex\":\"([a-z\"},"
     "\"actions\":{\"urgency\":\"low\"}}]}", 0, 400, "invalid_regex",
     "rules[1].conditions.regex"},
    {"\"rules\":[{\"name\":\"d\",\"stage\":\"priority\",\"actions\":{\"department\":\"nowhere\"}}]}",
     0, 400, "invalid_field", "rules[0].actions.department"},
    {"\"rules\":[{\"name\":\"s\",\"stage\":\"classify\",\"actions\":{\"category\":\"complaint\","
     "\"subtopic\":\"invoice\"}}]}", 0, 400, "invalid_field", "rules[0].actions.subtopic"},
    {"not json", 1, 400, "invalid_json", NULL},
};

Test(rules_admin, bad_drafts_are_refused_naming_the_field)
{
    char marker[24] = "refused-";
    sb_fixture_hex(marker + 8, 12);
    for (size_t i = 0; i < sizeof(bad_drafts) / sizeof(bad_drafts[0]); i++) {
        char body[1024];
        if (bad_drafts[i].raw)
            snprintf(body, sizeof(body), "%s", bad_drafts[i].body);
        else
            snprintf(body, sizeof(body), "{\"note\":\"%s\"%s%s", marker,
                     bad_drafts[i].body[0] == '}' ? "" : ",", bad_drafts[i].body);
        int status;
        json_t *r = sb_test_desk_json("POST", "/v1/admin/rule-sets", admin_token, body, &status);
        assert_error(r, status, bad_drafts[i].status, bad_drafts[i].code, bad_drafts[i].field);
        json_decref(r);
    }
    const char *pm[] = {marker};
    char *stored = sb_fixture_value(pg, "SELECT count(*)::text FROM rule_sets WHERE note = $1", 1,
                                    pm);
    cr_expect_str_eq(stored, "0", "nothing was stored");
    free(stored);
    int status;
    json_t *r = sb_test_desk_json("GET", "/v1/admin/rule-sets/abc", admin_token, NULL, &status);
    assert_error(r, status, 400, "invalid_field", "version");
    json_decref(r);
    r = sb_test_desk_json("GET", "/v1/admin/rule-sets/999999", admin_token, NULL, &status);
    assert_error(r, status, 404, "not_found", "version");
    json_decref(r);
    r = sb_test_desk_json("POST", "/v1/admin/rule-sets/999999/activate", admin_token, NULL, &status);
    assert_error(r, status, 404, "not_found", "version");
    json_decref(r);
    r = sb_test_desk_json("POST", "/v1/admin/rule-sets/1/explode", admin_token, NULL, &status);
    assert_error(r, status, 404, "not_found", NULL);
    json_decref(r);
}

Test(rules_admin, create_read_edit_a_draft_audited)
{
    static const char rules[] =
        "[{\"name\":\"vip refund\",\"stage\":\"classify\",\"conditions\":{\"tier\":[\"vip\"],"
        "\"keywords_any\":[\"退款\",\"Refund\"]},\"actions\":{\"category\":\"after-sales\","
        "\"subtopic\":\"refund\",\"tags\":[\"vip-money\"]}},"
        "{\"name\":\"p1\",\"stage\":\"priority\",\"actions\":{\"priority\":\"P1\"}}]";
    char body[1024];
    snprintf(body, sizeof(body), "{\"note\":\"vip refunds first\",\"rules\":%s}", rules);
    int v = create_draft(body);
    cr_assert_gt(v, 1, "a new version number");

    char path[64];
    snprintf(path, sizeof(path), "/v1/admin/rule-sets/%d", v);
    int status;
    json_t *r = sb_test_desk_json("GET", path, admin_token, NULL, &status);
    cr_assert_eq(status, 200);
    cr_expect_str_eq(str(r, "note"), "vip refunds first");
    cr_expect_str_eq(str(r, "created_by"), "admin");
    cr_expect_eq(json_integer_value(json_object_get(r, "rule_count")), 2);
    json_t *sent = json_loads(rules, 0, NULL);
    json_object_set_new(json_array_get(sent, 1), "conditions", json_object());   /* stored as {} */
    cr_expect(json_equal(json_object_get(r, "rules"), sent), "the rules come back as sent");
    json_decref(sent);
    json_decref(r);

    r = sb_test_desk_json("PUT", path, admin_token,
             "{\"note\":\"edited\",\"rules\":[{\"name\":\"only\",\"stage\":\"priority\","
             "\"actions\":{\"priority\":\"P3\"}}]}", &status);
    cr_assert_eq(status, 200, "edit a draft: %d", status);
    cr_expect_str_eq(str(r, "note"), "edited");
    cr_expect_eq(json_array_size(json_object_get(r, "rules")), 1);
    json_decref(r);
    r = sb_test_desk_json("PUT", path, admin_token, "{\"rules\":[{\"name\":\"x\"}]}", &status);
    assert_error(r, status, 400, "missing_field", "rules[0].stage");
    json_decref(r);

    r = sb_test_desk_json("GET", "/v1/admin/rule-sets", admin_token, NULL, &status);
    cr_assert_eq(status, 200);
    /* Newest first; other tests may create sets meanwhile, so ours need not be the first. */
    json_t *sets = json_object_get(r, "rule_sets");
    int listed = 0;
    for (size_t i = 0; i < json_array_size(sets); i++) {
        json_int_t ver = json_integer_value(json_object_get(json_array_get(sets, i), "version"));
        listed |= ver == v;
        if (i > 0)
            cr_expect_lt(ver, json_integer_value(json_object_get(json_array_get(sets, i - 1),
                                                                 "version")), "newest first");
    }
    cr_expect(listed, "the new draft is listed");
    json_decref(r);

    char target[32];
    snprintf(target, sizeof(target), "rule_set:%d", v);
    const char *p[] = {target};
    char *actions = sb_fixture_value(pg, "SELECT string_agg(action, ',' ORDER BY id) FROM audit_log"
                                         " WHERE target = $1 AND actor = 'admin'", 1, p);
    cr_expect_str_eq(actions, "rule_set.create,rule_set.update");
    free(actions);
}

/* A customer of this tier; its id (malloc'd). */
static char *make_customer(const char *tier)
{
    char key[65];
    sb_fixture_hex(key, 64);
    const char *p[] = {key, tier};
    char *id = sb_fixture_value(pg, "INSERT INTO customers (customer_key, tier) VALUES ($1, $2)"
                                    " RETURNING id::text", 2, p);
    cr_assert_not_null(id);
    return id;
}

/* A decided ticket of the customer, created ago (an interval) with one message of text. */
static void plant(const char *customer, const char *ago, const char *text, const char *category,
                  const char *subtopic, const char *urgency, const char *priority,
                  const char *department, char number[32])
{
    char id[37], mid[37];
    sb_fixture_ticket t = {.channel = "web", .status = "classified", .category = category,
                           .subtopic = subtopic, .urgency = urgency, .priority = priority,
                           .department = department};
    cr_assert_eq(sb_fixture_ticket_new(pg, &t, number, id), 0);
    sb_fixture_uuid(mid);
    const char *p[] = {id, customer, ago, mid, text};
    cr_assert_eq(sb_fixture_exec(pg,
        "WITH t AS (UPDATE tickets SET customer_id = $2::bigint,"
        "             created_at = now() - $3::interval WHERE id = $1::uuid RETURNING id, created_at)"
        " INSERT INTO messages (message_id, ticket_id, channel, external_id, body, received_at)"
        " SELECT $4::uuid, t.id, 'web', 'rules-test-' || $4, $5, t.created_at FROM t", 5, p), 0);
}

/* POST .../dry-run over one day; the report. */
static json_t *dry_run(int version)
{
    char path[64];
    snprintf(path, sizeof(path), "/v1/admin/rule-sets/%d/dry-run", version);
    int status;
    json_t *r = sb_test_desk_json("POST", path, admin_token, "{\"days\":1,\"examples\":50}", &status);
    cr_assert_eq(status, 200, "dry-run: %d %s", status, str(json_object_get(r, "error"), "message"));
    return r;
}

static json_int_t num(const json_t *o, const char *a, const char *b)
{
    const json_t *v = json_object_get(o, a);
    return json_integer_value(b ? json_object_get(v, b) : v);
}

/* The count of the transition from -> to in the report, 0 when absent. */
static json_int_t transition(const json_t *report, const char *from, const char *to)
{
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(report, "transitions"), i, t)
        if (!strcmp(str(t, "from"), from) && !strcmp(str(t, "to"), to))
            return json_integer_value(json_object_get(t, "count"));
    return 0;
}

/* The report's example for ticket number, or NULL. */
static json_t *example(const json_t *report, const char *number)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(report, "examples"), i, e)
        if (!strcmp(str(e, "ticket"), number))
            return e;
    return NULL;
}

Test(rules_admin, dry_run_reports_what_would_change)
{
    /* The active rules behind a rule only our tickets' marker word triggers, and a priority rule
     * that needs the customer's history. Other tickets in the window replay the same way in
     * both runs, so the difference between the runs is ours. */
    char marker[16] = "zq";
    sb_fixture_hex(marker + 2, 10);
    json_t *active = sb_rules_fetch_json(spg, active_version());
    cr_assert(json_is_array(active));
    json_t *mine = json_pack("[{s:s, s:s, s:{s:[s]}, s:{s:s, s:s, s:s}},"
                             " {s:s, s:s, s:{s:[s], s:{s:i, s:i}}, s:{s:[s]}}]",
                             "name", "marker overcharge", "stage", "classify", "conditions",
                             "keywords_any", marker, "actions", "category", "complaint",
                             "subtopic", "overcharge", "urgency", "high",
                             "name", "marker repeat", "stage", "priority", "conditions",
                             "keywords_any", marker, "history", "tickets_90d_min", 1,
                             "open_tickets_min", 1, "actions", "tags", "repeat-marker");
    json_array_extend(mine, active);
    json_t *req = json_pack("{s:s, s:o}", "note", "dry-run test", "rules", mine);
    char *body = json_dumps(req, JSON_COMPACT);
    int v = create_draft(body);
    free(body);
    json_decref(req);
    json_decref(active);

    json_t *r0 = dry_run(v);
    cr_expect_eq(num(r0, "rule_set", NULL), v);

    char *repeat = make_customer("regular"), *fresh = make_customer("regular"),
         *other = make_customer("regular");
    char text[64], old[32], t1[32], t2[32], t3[32], same[32];
    snprintf(text, sizeof(text), "about %s, please check", marker);
    /* Outside the one-day window: not replayed, but history for t1 (still open). Ours are
     * created a few milliseconds ago: newer than any other ticket, so first among the examples. */
    plant(repeat, "3 days", text, "consultation", "product-feature", "low", "P2", "presales", old);
    plant(repeat, "4 ms", text, "consultation", "product-feature", "low", "P2", "presales", t1);
    plant(fresh, "3 ms", text, "consultation", "product-feature", "low", "P2", "presales", t2);
    plant(fresh, "2 ms", text, "consultation", "product-feature", "low", "P2", "presales", t3);
    /* Stored as the draft decides it: replayed, unchanged. */
    plant(other, "1 ms", "建议增加夜间模式", "suggestion", "product-idea", "low", "P3", "product",
          same);

    json_t *r1 = dry_run(v);
    cr_expect_eq(num(r1, "evaluated", NULL) - num(r0, "evaluated", NULL), 4);
    cr_expect_eq(num(r1, "changed", NULL) - num(r0, "changed", NULL), 3);
    static const char *const moved[] = {"category", "subtopic", "urgency", "priority",
                                        "department", "tags"};
    for (size_t i = 0; i < sizeof(moved) / sizeof(moved[0]); i++)
        cr_expect_eq(num(r1, "changed_fields", moved[i]) - num(r0, "changed_fields", moved[i]), 3,
                     "%s changed on our three", moved[i]);
    cr_expect_eq(transition(r1, "consultation/product-feature P2", "complaint/overcharge P1") -
                     transition(r0, "consultation/product-feature P2", "complaint/overcharge P1"),
                 3);
    cr_expect_eq(json_is_false(json_object_get(r1, "capped")), 1);
    cr_expect_null(example(r1, old), "older than the window");
    cr_expect_null(example(r1, same), "unchanged tickets are no examples");

    json_t *e1 = example(r1, t1), *e2 = example(r1, t2);
    cr_assert_not_null(e1, "t1 is an example");
    cr_assert_not_null(e2, "t2 is an example");
    cr_assert_not_null(example(r1, t3), "t3 is an example");
    json_t *before = json_object_get(e1, "before"), *after = json_object_get(e1, "after");
    cr_expect_str_eq(str(before, "category"), "consultation");
    cr_expect_str_eq(str(before, "priority"), "P2");
    cr_expect_str_eq(str(after, "category"), "complaint");
    cr_expect_str_eq(str(after, "subtopic"), "overcharge");
    cr_expect_str_eq(str(after, "priority"), "P1");
    cr_expect_str_eq(str(after, "department"), "quality");
    json_t *want_tags = json_pack("[s, s]", "money-or-safety", "repeat-marker");
    cr_expect(json_equal(json_object_get(after, "tags"), want_tags),
              "the earlier open ticket counts as history");
    json_decref(want_tags);
    cr_expect_str_eq(str(json_array_get(json_object_get(e1, "rules"), 0), "name"),
                     "marker overcharge");
    want_tags = json_pack("[s]", "money-or-safety");
    cr_expect(json_equal(json_object_get(json_object_get(e2, "after"), "tags"), want_tags),
              "no history, no repeat tag");
    json_decref(want_tags);

    json_decref(r0);
    json_decref(r1);
    free(repeat);
    free(fresh);
    free(other);

    int status;
    char path[64];
    snprintf(path, sizeof(path), "/v1/admin/rule-sets/%d/dry-run", v);
    json_t *r = sb_test_desk_json("POST", path, admin_token, "{\"days\":0}", &status);
    assert_error(r, status, 400, "invalid_field", "days");
    json_decref(r);
    r = sb_test_desk_json("POST", path, admin_token, "{\"examples\":51}", &status);
    assert_error(r, status, 400, "invalid_field", "examples");
    json_decref(r);
    r = sb_test_desk_json("POST", path, admin_token, "{\"since\":1}", &status);
    assert_error(r, status, 400, "unknown_field", "since");
    json_decref(r);
    r = sb_test_desk_json("POST", path, admin_token, NULL, &status);
    cr_expect_eq(status, 200, "no body: the defaults");
    cr_expect_eq(num(r, "days", NULL), 7);
    json_decref(r);
}

Test(rules_admin, activate_retires_the_previous_set_and_freezes_it)
{
    int before = active_version();
    char body[64], path[96];
    /* A copy of the active rules: other tests' traffic is classified the same way after. */
    snprintf(body, sizeof(body), "{\"note\":\"copy\",\"from\":%d}", before);
    int v = create_draft(body);
    snprintf(path, sizeof(path), "/v1/admin/rule-sets/%d/activate", v);
    int status;
    json_t *r = sb_test_desk_json("POST", path, admin_token, NULL, &status);
    cr_assert_eq(status, 200, "activate: %d", status);
    cr_expect_str_eq(str(r, "status"), "active");
    cr_expect_str_eq(str(r, "activated_by"), "admin");
    json_decref(r);
    cr_expect_eq(active_version(), v);

    snprintf(path, sizeof(path), "/v1/admin/rule-sets/%d", before);
    r = sb_test_desk_json("GET", path, admin_token, NULL, &status);
    cr_assert_eq(status, 200);
    cr_expect_str_eq(str(r, "status"), "retired");
    cr_expect(json_is_string(json_object_get(r, "retired_at")));
    json_decref(r);

    snprintf(path, sizeof(path), "/v1/admin/rule-sets/%d/activate", v);
    r = sb_test_desk_json("POST", path, admin_token, NULL, &status);
    assert_error(r, status, 409, "already_active", "version");
    json_decref(r);

    /* Active and retired sets are frozen: a change is a new version. */
    static const char edit[] = "{\"rules\":[{\"name\":\"x\",\"stage\":\"priority\","
                               "\"actions\":{\"priority\":\"P3\"}}]}";
    int frozen[] = {v, before};
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof(path), "/v1/admin/rule-sets/%d", frozen[i]);
        r = sb_test_desk_json("PUT", path, admin_token, edit, &status);
        assert_error(r, status, 409, "immutable", "version");
        json_decref(r);
    }
    r = sb_test_desk_json("GET", path, admin_token, NULL, &status);
    cr_expect_gt(json_array_size(json_object_get(r, "rules")), 1, "the refused edit changed nothing");
    json_decref(r);

    char target[32], detail[16];
    snprintf(target, sizeof(target), "rule_set:%d", v);
    snprintf(detail, sizeof(detail), "%d", before);
    const char *p[] = {target};
    char *retired = sb_fixture_value(pg, "SELECT detail->>'retired' FROM audit_log"
                                         " WHERE target = $1 AND action = 'rule_set.activate'", 1, p);
    cr_expect_str_eq(retired, detail, "the activation is audited with what it retired");
    free(retired);
}

Test(rules_admin, a_stored_set_that_no_longer_validates_is_not_switched_on)
{
    /* Written around the API (as an older taxonomy might have allowed): activation re-checks. */
    char *v = sb_fixture_value(pg, "INSERT INTO rule_sets (note, created_by) VALUES ('stale', 'test')"
                                   " RETURNING version::text", 0, NULL);
    cr_assert_not_null(v);
    const char *p[] = {v};
    cr_assert_eq(sb_fixture_exec(pg, "INSERT INTO rule_set_rules (version, position, name, stage,"
                                     " actions) VALUES ($1::int, 0, 'gone', 'priority',"
                                     " '{\"department\": \"closed-down\"}')", 1, p), 0);
    char path[64];
    snprintf(path, sizeof(path), "/v1/admin/rule-sets/%s/activate", v);
    int status;
    json_t *r = sb_test_desk_json("POST", path, admin_token, NULL, &status);
    assert_error(r, status, 409, "invalid_rule_set", "rules[0].actions.department");
    json_decref(r);
    char *st = sb_fixture_value(pg, "SELECT status FROM rule_sets WHERE version = $1::int", 1, p);
    cr_expect_str_eq(st, "draft", "it stays a draft");
    free(st);
    free(v);
}

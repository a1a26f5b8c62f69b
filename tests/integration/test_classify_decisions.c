/* test_classify_decisions.c - classify's decisions against the running stack: the active rule
 * set decides first (and a newly activated set takes over without a restart), then the
 * classifier, and below its confidence threshold the triage desk; VIP complaints are P1; every
 * ticket stores what decided it. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/kb.h"
#include "common/pg.h"
#include "fixture.h"
#include "http_client.h"
#include "inbound.h"

static PGconn *pg;

/* Skip unless the stack is running; otherwise connect. */
static void setup(void)
{
    if (!getenv("SB_KAFKA_BROKERS") || !getenv("SB_PG_DSN") || !getenv("SB_DESK_URL") ||
        !getenv("SB_ADMIN_TOKEN"))
        cr_skip_test("the stack is not running: run through tests/run");
    pg = sb_fixture_pg();
    cr_assert(pg, "cannot connect to SB_PG_DSN");
}

static void teardown(void)
{
    if (pg)
        PQfinish(pg);
    pg = NULL;
}

TestSuite(classify_decisions, .init = setup, .fini = teardown, .timeout = 90);

/* Publishes text for a fresh customer (tier) and returns its ticket's id (malloc'd). */
static char *ticket_for(const char *text, const char *tier, const char *key_or_null)
{
    char key[65], mid[37];
    if (key_or_null)
        snprintf(key, sizeof key, "%s", key_or_null);
    else
        sb_fixture_hex(key, 64);
    cr_assert_eq(sb_inbound_publish("web", key, tier, text, NULL, mid), 0);
    char *t = sb_inbound_ticket(pg, mid, 20000);
    cr_assert(t, "no ticket for '%s'", text);
    return t;
}

/* One column of the ticket as text ("" for NULL; malloc'd). */
static char *col(const char *ticket_id, const char *expr)
{
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT coalesce((%s)::text, '') FROM tickets WHERE id = $1::uuid", expr);
    const char *p[] = {ticket_id};
    char *v = sb_fixture_value(pg, sql, 1, p);
    cr_assert(v, "no value for %s", expr);
    return v;
}

/* Asserts col(ticket, expr) == want. */
static void assert_col(const char *ticket_id, const char *expr, const char *want)
{
    char *v = col(ticket_id, expr);
    cr_expect_str_eq(v, want, "%s", expr);
    free(v);
}

Test(classify_decisions, a_seed_rule_decides_account_safety_as_p1_and_says_so)
{
    char *t = ticket_for("我的账号被盗了，昨晚有人异地登录还改了密码", "regular", NULL);
    assert_col(t, "category || '/' || subtopic", "complaint/account-safety");
    assert_col(t, "priority", "P1");
    assert_col(t, "decided_by", "rules");
    char *active = sb_fixture_value(pg, "SELECT version::text FROM rule_sets WHERE status = 'active'", 0, NULL);
    assert_col(t, "rule_version", active);
    assert_col(t, "explanation->>'rule_set'", active);
    assert_col(t, "explanation->'rules'->0->>'stage'", "classify");
    free(active);
    free(t);
}

Test(classify_decisions, without_a_rule_the_classifier_decides_and_explains)
{
    char *t = ticket_for("能不能在APP里加一个夜间模式，晚上看眼睛太累了", "regular", NULL);
    assert_col(t, "decided_by", "classifier");
    assert_col(t, "category || '/' || subtopic", "suggestion/app-experience");
    assert_col(t, "confidence >= 0.45", "true");
    assert_col(t, "model_version > 0", "true");
    assert_col(t, "jsonb_array_length(explanation->'classifier'->'alternatives') > 0", "true");
    assert_col(t, "jsonb_array_length(explanation->'classifier'->'terms') > 0", "true");
    free(t);
}

Test(classify_decisions, an_unsure_classifier_hands_the_ticket_to_triage)
{
    char *t = ticket_for("zxqv blorp wibble", "regular", NULL);
    assert_col(t, "decided_by", "triage");
    assert_col(t, "category || '/' || subtopic", "other/unclassified");
    assert_col(t, "department_id", "triage");
    assert_col(t, "confidence < 0.45", "true");
    free(t);
}

Test(classify_decisions, a_vip_complaint_of_high_urgency_is_p1)
{
    char key[65];
    sb_fixture_hex(key, 64);
    const char *p[] = {key};
    cr_assert_eq(sb_fixture_exec(pg, "INSERT INTO vip_customers (customer_key, added_by)"
                                     " VALUES ($1, 'test')", 1, p), 0);
    char *t = ticket_for("你们客服态度太差了，我要投诉！", "regular", key);
    assert_col(t, "category", "complaint");
    assert_col(t, "urgency", "high");
    assert_col(t, "priority", "P1");
    char *reason = col(t, "explanation->>'priority_reason'");
    cr_expect(strstr(reason, "VIP") != NULL, "priority reason: %s", reason);
    free(reason);
    free(t);
}

Test(classify_decisions, an_activated_rule_set_takes_over_without_a_restart)
{
    char marker[17], body[1024], path[128];
    sb_fixture_hex(marker, 16);
    /* The active set plus, first, a rule for our marker. */
    char *active = sb_fixture_value(pg, "SELECT version::text FROM rule_sets WHERE status = 'active'", 0, NULL);
    cr_assert(active);
    snprintf(path, sizeof path, "/v1/admin/rule-sets/%s", active);
    int status = 0;
    json_t *cur = sb_test_desk_json("GET", path, getenv("SB_ADMIN_TOKEN"), NULL, &status);
    cr_assert_eq(status, 200);
    json_t *rules = json_deep_copy(json_object_get(cur, "rules"));
    json_decref(cur);
    snprintf(body, sizeof body, "{\"name\":\"marker %s\",\"stage\":\"classify\","
             "\"conditions\":{\"keywords_any\":[\"%s\"]},"
             "\"actions\":{\"category\":\"after-sales\",\"subtopic\":\"invoice\",\"priority\":\"P3\"}}",
             marker, marker);
    json_array_insert_new(rules, 0, json_loads(body, 0, NULL));
    json_t *draft = json_pack("{s:s, s:o}", "note", "classify hot reload test", "rules", rules);
    char *text = json_dumps(draft, JSON_COMPACT);
    json_decref(draft);
    json_t *created = sb_test_desk_json("POST", "/v1/admin/rule-sets", getenv("SB_ADMIN_TOKEN"), text, &status);
    free(text);
    cr_assert_eq(status, 201, "create: %d", status);
    int version = (int)json_integer_value(json_object_get(created, "version"));
    json_decref(created);
    snprintf(path, sizeof path, "/v1/admin/rule-sets/%d/activate", version);
    json_decref(sb_test_desk_json("POST", path, getenv("SB_ADMIN_TOKEN"), "{}", &status));
    cr_assert_eq(status, 200, "activate: %d", status);

    /* classify looks for a newer set every SB_CLASSIFY_REFRESH_MS: messages sent before it
     * noticed are decided by the old set, so keep sending until one is decided by the new. */
    char want[16], msg[128];
    snprintf(want, sizeof want, "%d", version);
    int seen = 0;
    time_t deadline = time(NULL) + 30;
    for (int i = 0; !seen && time(NULL) < deadline; i++) {
        snprintf(msg, sizeof msg, "please resend the paper for %s (%d)", marker, i);
        char *t = ticket_for(msg, "regular", NULL);
        char *v = col(t, "rule_version");
        if (strcmp(v, want) == 0) {
            seen = 1;
            assert_col(t, "category || '/' || subtopic || ' ' || priority", "after-sales/invoice P3");
            char *fired = col(t, "explanation->'rules'->0->>'name'");
            cr_expect(strstr(fired, marker) != NULL, "fired: %s", fired);
            free(fired);
        }
        free(v);
        free(t);
        if (!seen)
            usleep(250 * 1000);
    }
    cr_expect(seen, "classify never decided with rule set %d", version);
    free(active);
}

Test(classify_decisions, a_new_ticket_is_stored_with_its_knowledge_base_suggestions)
{
    /* A published article on a subject nobody else writes about (a marker word). */
    char marker[17], number[40], tid[37], title[128], solution[256];
    sb_fixture_hex(marker, 16);
    for (char *m = marker; *m; m++)            /* letters only: one latin term */
        if (*m >= '0' && *m <= '9')
            *m = (char)('g' + (*m - '0'));
    sb_fixture_ticket src = {.channel = "web", .status = "resolved", .category = "after-sales",
                             .subtopic = "warranty", .department = "after-sales"};
    cr_assert_eq(sb_fixture_ticket_new(pg, &src, number, tid), 0);
    snprintf(title, sizeof title, "Warranty claim for the %s blender", marker);
    snprintf(solution, sizeof solution, "The %s blender has a two year warranty: book a pickup "
             "and we replace the motor base.", marker);
    sb_pg *db = sb_pg_connect(getenv("SB_PG_DSN"), 3);
    cr_assert(db);
    int64_t article = 0;
    int merged = 0;
    cr_assert_eq(sb_pg_begin(db), 0);
    cr_assert_eq(sb_kb_archive(db, tid, title, "after-sales", "warranty", NULL, 0, solution,
                               &article, &merged), 0);
    cr_assert_eq(sb_kb_publish(db, article, "classify-test", NULL), 0);
    cr_assert_eq(sb_pg_commit(db), 0);
    sb_pg_free(db);

    /* classify reloads published articles within about 10 s: ask until it suggests ours. */
    char text[160], want[32];
    snprintf(want, sizeof want, "%lld", (long long)article);
    int found = 0;
    time_t deadline = time(NULL) + 30;
    for (int i = 0; !found && time(NULL) < deadline; i++) {
        snprintf(text, sizeof text, "is my %s blender still under warranty? (%d)", marker, i);
        char *t = ticket_for(text, "regular", NULL);
        char *first = col(t, "(SELECT article_id FROM ticket_suggestions s"
                             "  WHERE s.ticket_id = tickets.id AND s.rank = 1)");
        found = strcmp(first, want) == 0;
        free(first);
        free(t);
        if (!found)
            usleep(250 * 1000);
    }
    cr_expect(found, "article %s was never suggested first", want);
}

Test(classify_decisions, a_newly_trained_model_takes_over_without_a_restart)
{
    int status = 0;
    char url[1024];
    snprintf(url, sizeof url, "%s/v1/admin/classifier/train", getenv("SB_DESK_URL"));
    /* a training fits two models over the labelled set: seconds under the sanitizers */
    json_t *trained = sb_test_http_json_wait("POST", url, getenv("SB_ADMIN_TOKEN"), "{}", 120,
                                             &status);
    cr_assert_eq(status, 201, "train: %d", status);
    char want[16];
    snprintf(want, sizeof want, "%lld",
             (long long)json_integer_value(json_object_get(trained, "version")));
    json_decref(trained);
    int seen = 0;
    time_t deadline = time(NULL) + 30;
    for (int i = 0; !seen && time(NULL) < deadline; i++) {
        char *t = ticket_for("能不能在APP里加一个夜间模式，晚上看眼睛太累了", "regular", NULL);
        char *v = col(t, "model_version");
        seen = strcmp(v, want) == 0;
        free(v);
        free(t);
        if (!seen)
            usleep(250 * 1000);
    }
    cr_expect(seen, "classify never decided with model %s", want);
}

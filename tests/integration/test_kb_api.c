/* test_kb_api.c - desk's knowledge-base API over real HTTP against a running sb-desk and
 * PostgreSQL: who sees and changes what, errors naming the field, usage counted once per
 * ticket, the review list, suggestions in the ticket detail. Every test writes its articles
 * in a category of its own, so nothing another test (or run) wrote can match. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/kb.h"
#include "fixture.h"
#include "http_client.h"
#include "schema.h"

static PGconn     *pg;
static sb_pg      *kb;
static const char *desk_url, *admin_token;

/* Skip unless the stack runs; otherwise connect twice (fixtures, and common/kb). */
static void api_setup(void)
{
    desk_url = getenv("SB_DESK_URL");
    admin_token = getenv("SB_ADMIN_TOKEN");
    if (!getenv("SB_PG_DSN") || !desk_url || !admin_token)
        cr_skip_test("SB_PG_DSN, SB_DESK_URL or SB_ADMIN_TOKEN unset: the stack is not running");
    pg = sb_fixture_pg();
    cr_assert_not_null(pg, "cannot connect to SB_PG_DSN");
    kb = sb_pg_connect(getenv("SB_PG_DSN"), 3);
    cr_assert_not_null(kb);
}

static void api_teardown(void)
{
    if (pg)
        PQfinish(pg);
    sb_pg_free(kb);
    pg = NULL;
    kb = NULL;
}

TestSuite(kb_api, .init = api_setup, .fini = api_teardown, .timeout = 60);

/* The reply is the uniform error with this status and field. */
static void assert_error(json_t *body, int status, int want, const char *field)
{
    cr_assert_eq(status, want, "status %d, wanted %d", status, want);
    json_t *err = json_object_get(body, "error");
    cr_assert(json_is_object(err), "no error object");
    cr_assert(json_is_string(json_object_get(err, "message")));
    if (field)
        cr_assert_str_eq(json_string_value(json_object_get(err, "field")), field);
}

/* s percent-encoded for a query string into out. */
static void url_encode(const char *s, char *out, size_t len)
{
    size_t n = 0;
    for (; *s && n + 4 < len; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')
            out[n++] = (char)c;
        else
            n += (size_t)snprintf(out + n, len - n, "%%%02X", c);
    }
    out[n] = '\0';
}

/* A category and a word of this test's own: "kbapi-<hex>" and "w<hex>". */
static void own_category(char cat[32], char word[16])
{
    char hex[11];
    sb_fixture_hex(hex, 10);
    snprintf(cat, 32, "kbapi-%s", hex);
    snprintf(word, 16, "w%s", hex);
    const char *p[] = {cat};
    cr_assert_eq(sb_fixture_exec(pg, "INSERT INTO categories (id, name, department_id)"
                                     " VALUES ($1, $1, 'service')", 1, p), 0);
}

/* A committed article of cat archived from a fresh ticket id; published when asked. */
static int64_t make_article(const char *cat, const char *title, const char *solution, int publish)
{
    char ticket[37];
    sb_fixture_uuid(ticket);
    int64_t id = 0;
    int merged;
    cr_assert_eq(sb_pg_begin(kb), 0);
    cr_assert_eq(sb_kb_archive(kb, ticket, title, cat, NULL, NULL, 0, solution, &id, &merged), 0);
    cr_assert_eq(merged, SB_KB_NEW_DRAFT);
    if (publish)
        cr_assert_eq(sb_kb_publish(kb, id, "kb-api-test", NULL), 0);
    cr_assert_eq(sb_pg_commit(kb), 0);
    return id;
}

/* A department of this test's own with one agent; the agent's token (and id into agent). */
static char *make_agent(char dept[32], char agent[48])
{
    char hex[11];
    sb_fixture_hex(hex, 10);
    snprintf(dept, 32, "kbapi-%s", hex);
    snprintf(agent, 48, "%s-agent", dept);
    const char *d[] = {dept}, *a[] = {agent, dept};
    cr_assert_eq(sb_fixture_exec(pg, "INSERT INTO departments (id, name) VALUES ($1, $1)", 1, d),
                 0);
    cr_assert_eq(sb_fixture_exec(pg, "INSERT INTO agents (id, name, department_id)"
                                     " VALUES ($1, $1, $2)", 2, a), 0);
    char *token = sb_fixture_token(pg, agent, "agent");
    cr_assert_not_null(token);
    return token;
}

/* A supervisor token (its subject into who). */
static char *make_supervisor(char who[48])
{
    char hex[11];
    sb_fixture_hex(hex, 10);
    snprintf(who, 48, "kbapi-lead-%s", hex);
    char *token = sb_fixture_token(pg, who, "supervisor");
    cr_assert_not_null(token);
    return token;
}

/* The ids of a search reply, in order, comma-separated. */
static void ids_of(json_t *body, char *out, size_t len)
{
    json_t *arr = json_object_get(body, "articles"), *a;
    size_t i;
    cr_assert(json_is_array(arr), "no articles array");
    out[0] = '\0';
    json_array_foreach(arr, i, a) {
        size_t n = strlen(out);
        snprintf(out + n, len - n, "%s%lld", i ? "," : "",
                 (long long)json_integer_value(json_object_get(a, "id")));
    }
}

/* GET path and expect 200 with exactly these article ids. */
static void expect_ids(const char *path, const char *token, const char *want)
{
    int status;
    json_t *body = sb_test_desk_json("GET", path, token, NULL, &status);
    cr_assert_eq(status, 200, "GET %s: %d", path, status);
    char got[256];
    ids_of(body, got, sizeof(got));
    cr_expect_str_eq(got, want, "GET %s", path);
    json_decref(body);
}

/* How many audit rows of action for article id (by actor when not NULL). */
static int audit_count(const char *action, int64_t id, const char *actor)
{
    char target[32];
    snprintf(target, sizeof(target), "kb:%lld", (long long)id);
    const char *p[] = {action, target, actor};
    char *v = sb_fixture_value(pg, "SELECT count(*) FROM audit_log WHERE action = $1"
                                   " AND target = $2 AND ($3::text IS NULL OR actor = $3)", 3, p);
    cr_assert_not_null(v);
    int n = atoi(v);
    free(v);
    return n;
}

Test(kb_api, agents_search_published_articles_supervisors_also_drafts)
{
    char cat[32], word[16], dept[32], agent[48], lead[48], path[512], want[64], enc[256];
    own_category(cat, word);
    char title[96], solution[128], pub_solution[128];
    snprintf(title, sizeof(title), "Parcel %s stuck", word);
    snprintf(pub_solution, sizeof(pub_solution), "Chase the carrier about %s.", word);
    int64_t pub = make_article(cat, title, pub_solution, 1);
    snprintf(title, sizeof(title), "Voucher %s expired", word);
    snprintf(solution, sizeof(solution), "Issue a new voucher %s.", word);
    int64_t draft = make_article(cat, title, solution, 0);
    char *agent_token = make_agent(dept, agent), *lead_token = make_supervisor(lead);

    snprintf(path, sizeof(path), "/v1/kb/articles?q=%s&category=%s", word, cat);
    snprintf(want, sizeof(want), "%lld", (long long)pub);
    expect_ids(path, agent_token, want);
    snprintf(path, sizeof(path), "/v1/kb/articles?q=%s&category=%s&status=draft", word, cat);
    snprintf(want, sizeof(want), "%lld", (long long)draft);
    expect_ids(path, lead_token, want);
    int status;
    json_t *body = sb_test_desk_json("GET", path, agent_token, NULL, &status);
    assert_error(body, status, 403, "status");
    json_decref(body);
    /* No query: the category's articles, newest first. */
    snprintf(path, sizeof(path), "/v1/kb/articles?category=%s&status=all", cat);
    snprintf(want, sizeof(want), "%lld,%lld", (long long)draft, (long long)pub);
    expect_ids(path, lead_token, want);
    /* Chinese through the URL's percent-encoding. */
    int64_t cn = make_article(cat, "快递三天了还没到", "联系快递公司催件，24小时内回电。", 1);
    url_encode("我的快递还没到", enc, sizeof(enc));
    snprintf(path, sizeof(path), "/v1/kb/articles?q=%s&category=%s", enc, cat);
    snprintf(want, sizeof(want), "%lld", (long long)cn);
    expect_ids(path, agent_token, want);

    /* One article: an agent sees the published one without its source tickets, not the draft. */
    snprintf(path, sizeof(path), "/v1/kb/articles/%lld", (long long)pub);
    body = sb_test_desk_json("GET", path, agent_token, NULL, &status);
    cr_assert_eq(status, 200);
    cr_expect_str_eq(json_string_value(json_object_get(body, "status")), "published");
    cr_expect_str_eq(json_string_value(json_object_get(body, "solution")), pub_solution);
    cr_expect_null(json_object_get(body, "source_tickets"));
    cr_expect_eq(json_integer_value(json_object_get(body, "sources")), 1);
    cr_expect(json_is_string(json_object_get(body, "review_due")));
    json_decref(body);
    snprintf(path, sizeof(path), "/v1/kb/articles/%lld", (long long)draft);
    body = sb_test_desk_json("GET", path, agent_token, NULL, &status);
    assert_error(body, status, 404, "id");
    json_decref(body);
    body = sb_test_desk_json("GET", path, lead_token, NULL, &status);
    cr_assert_eq(status, 200);
    cr_expect(json_is_array(json_object_get(body, "source_tickets")));
    cr_expect_str_eq(json_string_value(json_object_get(body, "status")), "draft");
    json_decref(body);
    free(agent_token);
    free(lead_token);
}

Test(kb_api, bad_parameters_are_refused_by_name)
{
    static const struct { const char *path; int status; const char *field; } cases[] = {
        {"/v1/kb/articles?limit=0", 400, "limit"},
        {"/v1/kb/articles?limit=101", 400, "limit"},
        {"/v1/kb/articles?limit=ten", 400, "limit"},
        {"/v1/kb/articles?status=lost", 400, "status"},
        {"/v1/kb/articles?category=Bad%21", 400, "category"},
        {"/v1/kb/articles/abc", 400, "id"},
        {"/v1/kb/articles/0", 400, "id"},
        {"/v1/kb/articles/12/x", 400, "id"},
        {"/v1/kb/articles/999999999999", 404, "id"},
        {"/v1/kb/review?limit=-1", 400, "limit"},
    };
    int status;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *body = sb_test_desk_json("GET", cases[i].path, admin_token, NULL, &status);
        assert_error(body, status, cases[i].status, cases[i].field);
        json_decref(body);
    }
    char path[1200];
    int n = snprintf(path, sizeof(path), "/v1/kb/articles?q=");
    memset(path + n, 'a', SB_KB_QUERY_MAX + 1);
    path[n + SB_KB_QUERY_MAX + 1] = '\0';
    json_t *body = sb_test_desk_json("GET", path, admin_token, NULL, &status);
    assert_error(body, status, 400, "q");
    json_decref(body);
    body = sb_test_desk_json("GET", "/v1/kb/articles", NULL, NULL, &status);
    assert_error(body, status, 401, "Authorization");
    json_decref(body);
    /* Nothing searchable in q: an empty answer, not an error. */
    body = sb_test_desk_json("GET", "/v1/kb/articles?q=%21%3F", admin_token, NULL, &status);
    cr_assert_eq(status, 200);
    cr_expect_eq(json_array_size(json_object_get(body, "articles")), 0);
    json_decref(body);
}

Test(kb_api, publish_and_retire_need_a_supervisor_and_are_audited)
{
    char cat[32], word[16], dept[32], agent[48], lead[48], path[128];
    own_category(cat, word);
    int64_t id = make_article(cat, "Gift card balance", "Check the balance in the wallet page.", 0);
    char *agent_token = make_agent(dept, agent), *lead_token = make_supervisor(lead);
    int status;
    snprintf(path, sizeof(path), "/v1/kb/articles/%lld/publish", (long long)id);
    json_t *body = sb_test_desk_json("POST", path, agent_token, NULL, &status);
    assert_error(body, status, 403, NULL);
    json_decref(body);
    body = sb_test_desk_json("POST", path, lead_token, NULL, &status);
    cr_assert_eq(status, 200);
    cr_expect_str_eq(json_string_value(json_object_get(body, "status")), "published");
    cr_expect_str_eq(json_string_value(json_object_get(body, "published_by")), lead);
    cr_expect(json_is_string(json_object_get(body, "published_at")));
    json_decref(body);
    cr_expect_eq(audit_count("kb.publish", id, lead), 1);
    snprintf(path, sizeof(path), "/v1/kb/articles/%lld/retire", (long long)id);
    body = sb_test_desk_json("POST", path, agent_token, NULL, &status);
    assert_error(body, status, 403, NULL);
    json_decref(body);
    body = sb_test_desk_json("POST", path, lead_token, NULL, &status);
    cr_assert_eq(status, 200);
    cr_expect_str_eq(json_string_value(json_object_get(body, "status")), "retired");
    json_decref(body);
    cr_expect_eq(audit_count("kb.retire", id, lead), 1);
    cr_expect_eq(audit_count("kb.retire", id, agent), 0);
    snprintf(path, sizeof(path), "/v1/kb/articles/%lld/archive", (long long)id);
    body = sb_test_desk_json("POST", path, lead_token, NULL, &status);
    assert_error(body, status, 404, NULL);
    json_decref(body);
    body = sb_test_desk_json("POST", "/v1/kb/articles/999999999999/publish", lead_token, NULL, &status);
    assert_error(body, status, 404, "id");
    json_decref(body);
    free(agent_token);
    free(lead_token);
}

Test(kb_api, a_supervisor_edits_drafts_only)
{
    char cat[32], word[16], dept[32], agent[48], lead[48], path[128];
    own_category(cat, word);
    int64_t id = make_article(cat, "Dark mode", "Settings, display, dark mode.", 0);
    char *agent_token = make_agent(dept, agent), *lead_token = make_supervisor(lead);
    int status;
    snprintf(path, sizeof(path), "/v1/kb/articles/%lld", (long long)id);
    json_t *body = sb_test_desk_json("POST", path, agent_token, "{\"title\":\"x\"}", &status);
    assert_error(body, status, 403, NULL);
    json_decref(body);
    body = sb_test_desk_json("POST", path, lead_token,
                "{\"title\":\"Turning on dark mode\",\"tags\":[\"Display\",\"app\"],"
                "\"subtopic\":null}",
                &status);
    cr_assert_eq(status, 200);
    cr_expect_str_eq(json_string_value(json_object_get(body, "title")), "Turning on dark mode");
    json_t *tags = json_object_get(body, "tags");
    cr_expect_eq(json_array_size(tags), 2);
    cr_expect_str_eq(json_string_value(json_array_get(tags, 0)), "display");
    json_decref(body);
    cr_expect_eq(audit_count("kb.edit", id, lead), 1);
    static const struct { const char *body; int status; const char *field; } bad[] = {
        {"{\"category\":\"no-such-category\"}", 400, "category"},
        {"{\"subtopic\":\"refund\"}", 400, "subtopic"},
        {"{\"title\":\"  \"}", 400, "title"},
        {"{\"title\":7}", 400, "title"},
        {"{\"tags\":\"one\"}", 400, "tags"},
        {"{\"tags\":[\"\"]}", 400, "tags"},
        {"{\"colour\":\"red\"}", 400, "colour"},
        {"{}", 400, "title"},
        {"not json", 400, NULL},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        body = sb_test_desk_json("POST", path, lead_token, bad[i].body, &status);
        assert_error(body, status, bad[i].status, bad[i].field);
        json_decref(body);
    }
    cr_expect_eq(audit_count("kb.edit", id, lead), 1, "a refused edit is not audited");
    cr_assert_eq(sb_kb_publish(kb, id, lead, NULL), 0);
    body = sb_test_desk_json("POST", path, lead_token, "{\"title\":\"Later\"}", &status);
    assert_error(body, status, 409, "status");
    json_decref(body);
    free(agent_token);
    free(lead_token);
}

/* A committed ticket of dept; its number into number. */
static void make_ticket(const char *dept, char number[32], char id[37])
{
    sb_fixture_ticket t = {.status = "assigned", .category = "complaint",
                           .subtopic = "logistics-delay", .department = dept};
    cr_assert_eq(sb_fixture_ticket_new(pg, &t, number, id), 0);
}

/* POST a use of article id on ticket number; the status, and counted into *counted. */
static int use(int64_t id, const char *number, const char *token, int *counted)
{
    char path[128], body[128];
    snprintf(path, sizeof(path), "/v1/kb/articles/%lld/use", (long long)id);
    snprintf(body, sizeof(body), "{\"ticket\":\"%s\"}", number);
    int status;
    json_t *reply = sb_test_desk_json("POST", path, token, body, &status);
    if (counted)
        *counted = json_is_true(json_object_get(reply, "counted"));
    json_decref(reply);
    return status;
}

Test(kb_api, usage_counts_once_per_ticket_on_tickets_the_agent_sees)
{
    char cat[32], word[16], dept[32], agent[48], other[32], other_agent[48];
    char n1[32], n2[32], n3[32], id1[37], id2[37], id3[37], path[128];
    own_category(cat, word);
    int64_t id = make_article(cat, "Size chart", "The size chart is under the photos.", 1);
    int64_t draft = make_article(cat, "Colour chart", "The colour chart is in the app.", 0);
    char *token = make_agent(dept, agent), *other_token = make_agent(other, other_agent);
    make_ticket(dept, n1, id1);
    make_ticket(dept, n2, id2);
    make_ticket(other, n3, id3);
    int counted = -1;
    cr_expect_eq(use(id, n1, token, &counted), 200);
    cr_expect_eq(counted, 1);
    cr_expect_eq(use(id, n1, token, &counted), 200);
    cr_expect_eq(counted, 0, "the same ticket again counts nothing");
    cr_expect_eq(use(id, n2, token, &counted), 200);
    cr_expect_eq(counted, 1);
    cr_expect_eq(use(id, n3, token, NULL), 404, "another department's ticket is not found");
    cr_expect_eq(use(id, n3, other_token, &counted), 200);
    cr_expect_eq(use(draft, n1, token, NULL), 404, "an agent cannot use (or see) a draft");
    int status;
    snprintf(path, sizeof(path), "/v1/kb/articles/%lld", (long long)id);
    json_t *body = sb_test_desk_json("GET", path, token, NULL, &status);
    cr_assert_eq(status, 200);
    cr_expect_eq(json_integer_value(json_object_get(body, "times_used")), 3);
    cr_expect(json_is_string(json_object_get(body, "last_used")));
    json_decref(body);
    cr_expect_eq(audit_count("kb.use", id, agent), 3);
    snprintf(path, sizeof(path), "/v1/kb/articles/%lld/use", (long long)id);
    body = sb_test_desk_json("POST", path, token, "{\"ticket\":\"WX-1\"}", &status);
    assert_error(body, status, 400, "ticket");
    json_decref(body);
    body = sb_test_desk_json("POST", path, token, "{}", &status);
    assert_error(body, status, 400, "ticket");
    json_decref(body);
    free(token);
    free(other_token);
}

Test(kb_api, supervisors_see_the_review_list)
{
    char cat[32], word[16], dept[32], agent[48], lead[48];
    own_category(cat, word);
    int64_t id = make_article(cat, "Old returns address", "Send returns to the old warehouse.", 1);
    char num[24];
    snprintf(num, sizeof(num), "%lld", (long long)id);
    const char *p[] = {num};
    cr_assert_eq(sb_fixture_exec(pg, "UPDATE kb_articles"
                                     " SET published_at = now() - interval '120 days',"
                                     "     reviewed_at = now() - interval '120 days'"
                                     " WHERE id = $1::bigint", 1, p), 0);
    int flagged = 0;
    cr_assert_eq(sb_kb_review_scan(kb, SB_KB_STALE_DAYS, &flagged), 0);
    cr_expect_geq(flagged, 1);
    char *agent_token = make_agent(dept, agent), *lead_token = make_supervisor(lead);
    int status;
    json_t *body = sb_test_desk_json("GET", "/v1/kb/review", agent_token, NULL, &status);
    assert_error(body, status, 403, NULL);
    json_decref(body);
    body = sb_test_desk_json("GET", "/v1/kb/review?limit=100", lead_token, NULL, &status);
    cr_assert_eq(status, 200);
    json_t *a, *found = NULL;
    size_t i;
    json_array_foreach(json_object_get(body, "articles"), i, a)
        if (json_integer_value(json_object_get(a, "id")) == id)
            found = a;
    cr_assert_not_null(found, "the stale article is not in the review list");
    cr_expect_str_eq(json_string_value(json_array_get(json_object_get(found, "review_reasons"), 0)),
                     "unused");
    cr_expect(json_is_true(json_object_get(found, "needs_review")));
    cr_expect(json_is_string(json_object_get(found, "flagged_at")));
    json_decref(body);
    free(agent_token);
    free(lead_token);
}

Test(kb_api, ticket_detail_shows_the_stored_suggestions)
{
    char cat[32], word[16], dept[32], agent[48], number[32], ticket[37], path[128], text[128];
    own_category(cat, word);
    char title[96];
    snprintf(title, sizeof(title), "Frozen %s order", word);
    int64_t id = make_article(cat, title, "Unfreeze the order in the console.", 1);
    char *token = make_agent(dept, agent);
    make_ticket(dept, number, ticket);
    snprintf(text, sizeof(text), "my %s order is frozen", word);
    sb_kb_query q = {ticket, text, cat, NULL};
    sb_kb_suggester *sg = sb_kb_suggester_new();
    cr_assert_not_null(sg);
    cr_assert_eq(sb_kb_suggest_batch(kb, sg, &q, 1), 0);
    sb_kb_suggester_free(sg);
    int status;
    snprintf(path, sizeof(path), "/v1/tickets/%s", number);
    json_t *body = sb_test_desk_json("GET", path, token, NULL, &status);
    cr_assert_eq(status, 200);
    json_t *s = json_object_get(body, "suggestions");
    cr_assert(json_array_size(s) >= 1);
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(s, 0), "article_id")), id);
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(s, 0), "title")), title);
    char err[256];
    cr_expect_eq(sb_schema_validate_file(SB_SOURCE_DIR "/proto/http/ticket.v1.json", body, err,
                                         sizeof(err)), 0, "%s", err);
    json_decref(body);
    /* A retired article is no longer offered. */
    cr_assert_eq(sb_kb_retire(kb, id, NULL), 0);
    body = sb_test_desk_json("GET", path, token, NULL, &status);
    cr_assert_eq(status, 200);
    s = json_object_get(body, "suggestions");
    for (size_t i = 0; i < json_array_size(s); i++)
        cr_expect_neq(json_integer_value(json_object_get(json_array_get(s, i), "article_id")), id);
    json_decref(body);
    free(token);
}

/* test_kb.c - common/kb against real PostgreSQL: search quality in Chinese and English,
 * archive and merge, suggestions for a batch, the review flags. Each test runs in a transaction
 * it rolls back, with every article of other tests hidden inside it, so results are exactly
 * what it wrote. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/ids.h"
#include "common/kb.h"
#include "fixture.h"
#include "kb_corpus.h"

static sb_pg           *pg;
static sb_kb_suggester *sg;
static int64_t          corpus_ids[64];

/* Connect and open the test's transaction, or skip. */
static void kb_setup(void)
{
    const char *dsn = getenv("SB_PG_DSN");
    if (!dsn || !*dsn)
        cr_skip_test("SB_PG_DSN is not set: run through tests/run");
    pg = sb_pg_connect(dsn, 3);
    cr_assert(pg, "cannot connect to %s", dsn);
    cr_assert_eq(sb_pg_begin(pg), 0);
    /* One test at a time (Criterion runs them in parallel): each hides every article and
     * bumps kb_meta, and two doing so at once could wait on each other's locks. */
    cr_assert_eq(sb_pg_exec(pg, "SELECT pg_advisory_xact_lock(hashtext('integration_kb'))", 0,
                            NULL), 0);
    /* Other tests' articles out of sight, until the rollback. */
    cr_assert_eq(sb_pg_exec(pg, "UPDATE kb_articles SET status = 'retired'"
                                " WHERE status <> 'retired'", 0, NULL), 0);
}

static void kb_teardown(void)
{
    if (pg) {
        sb_pg_rollback(pg);
        sb_pg_free(pg);
    }
    sb_kb_suggester_free(sg);
    pg = NULL;
    sg = NULL;
}

TestSuite(kb, .init = kb_setup, .fini = kb_teardown, .timeout = 60);

/* Archives one resolution under a fresh ticket id; returns the article id. */
static int64_t archive(const char *title, const char *category, const char *subtopic,
                       const char *const *tags, const char *solution, int *merged, char ticket[37])
{
    char own[37];
    if (!ticket)
        ticket = own;
    sb_uuid_v4_str(ticket);
    size_t ntags = 0;
    while (tags && tags[ntags])
        ntags++;
    int64_t id = 0;
    int m = -1;
    cr_assert_eq(sb_kb_archive(pg, ticket, title, category, subtopic, tags, ntags, solution, &id,
                               &m), 0, "archive of '%s' failed", title);
    if (merged)
        *merged = m;
    return id;
}

/* Archives and publishes the whole corpus; corpus_ids[i] is sample i's article. */
static void load_corpus(void)
{
    for (size_t i = 0; i < sb_kb_corpus_len; i++) {
        const sb_kb_sample *s = &sb_kb_corpus[i];
        int merged;
        corpus_ids[i] = archive(s->title, s->category, s->subtopic, s->tags, s->solution,
                                &merged, NULL);
        cr_assert_eq(merged, SB_KB_NEW_DRAFT, "%s merged into another article", s->key);
        cr_assert_eq(sb_kb_publish(pg, corpus_ids[i], "kb-test", NULL), 0);
    }
}

/* The article of the corpus sample with this key. */
static int64_t corpus_id(const char *key)
{
    for (size_t i = 0; i < sb_kb_corpus_len; i++)
        if (strcmp(sb_kb_corpus[i].key, key) == 0)
            return corpus_ids[i];
    cr_assert_fail("no corpus sample %s", key);
    return 0;
}

/* The key of the corpus article with this id, for messages. */
static const char *corpus_key(int64_t id)
{
    for (size_t i = 0; i < sb_kb_corpus_len; i++)
        if (corpus_ids[i] == id)
            return sb_kb_corpus[i].key;
    return "(not in the corpus)";
}

/* Searches published articles; the ids found, best first, into ids (up to 3); how many. */
static size_t search_ids(const char *q, const char *category, const char *status, int64_t ids[3])
{
    json_t *out = NULL;
    cr_assert_eq(sb_kb_search(pg, q, category, status, 3, &out), 0, "search '%s' failed", q);
    cr_assert(json_is_array(out));
    size_t n = json_array_size(out);
    for (size_t i = 0; i < n && i < 3; i++)
        ids[i] = json_integer_value(json_object_get(json_array_get(out, i), "id"));
    json_decref(out);
    return n;
}

/* The search for q puts the corpus article key first. */
static void assert_first(const char *q, const char *key)
{
    int64_t ids[3] = {0};
    size_t n = search_ids(q, NULL, NULL, ids);
    cr_expect(n > 0 && ids[0] == corpus_id(key), "'%s': wanted %s first, got %s (%zu results)",
              q, key, n ? corpus_key(ids[0]) : "nothing", n);
}

Test(kb, chinese_queries_find_their_article_first)
{
    load_corpus();
    assert_first("快递三天了还没到", "logistics-cn");
    assert_first("退款一直没到账", "refund-cn");
    assert_first("重复扣款了怎么办", "overcharge-cn");
    assert_first("我的账号被盗了", "account-cn");
    assert_first("发票怎么开", "invoice-cn");
    assert_first("屏幕摔坏了能修吗", "repair-cn");
    assert_first("商品收到时破损", "damaged-cn");
    assert_first("积分会过期吗", "points-cn");
    assert_first("app总是闪退", "app-cn");
    assert_first("七天无理由退货", "return-cn");
    assert_first("偏远地区运费多少", "delivery-cn");
}

Test(kb, english_queries_find_their_article_first)
{
    load_corpus();
    assert_first("refund not received", "refund-en");
    assert_first("I was charged twice", "overcharge-en");
    assert_first("my parcel is delayed", "logistics-en");
    assert_first("reset my password after a suspicious login", "account-en");
    assert_first("VAT invoice for my company", "invoice-en");
    assert_first("coupon not working at checkout", "coupon-en");
    assert_first("exchange for a bigger size", "exchange-en");
    assert_first("is my laptop under warranty", "warranty-en");
    assert_first("the support agent was rude", "rude-en");
}

Test(kb, latin_typos_are_corrected_against_the_articles_words)
{
    load_corpus();
    assert_first("refnud not recieved", "refund-en");
    assert_first("pasword reset", "account-en");
    assert_first("warrenty for laptp", "warranty-en");
    assert_first("invoise", "invoice-en");
}

Test(kb, nothing_searchable_finds_nothing_and_unrelated_finds_nothing)
{
    load_corpus();
    int64_t ids[3];
    cr_expect_eq(search_ids("?!！。", NULL, NULL, ids), 0);
    cr_expect_eq(search_ids("the and of", NULL, NULL, ids), 0);
    cr_expect_eq(search_ids("zebra xylophone", NULL, NULL, ids), 0);
}

Test(kb, filters_by_category_and_status)
{
    load_corpus();
    int64_t ids[3] = {0};
    /* Both refund articles match; the category keeps the complaint one out. */
    cr_assert(search_ids("退款", "complaint", NULL, ids) > 0);
    cr_expect_neq(ids[0], corpus_id("refund-cn"));
    cr_assert(search_ids("退款", "after-sales", NULL, ids) > 0);
    cr_expect_eq(ids[0], corpus_id("refund-cn"));
    /* A retired article is out of the published search, and in the retired one. */
    cr_assert_eq(sb_kb_retire(pg, corpus_id("invoice-cn"), NULL), 0);
    cr_assert(search_ids("发票怎么开", NULL, NULL, ids) == 0 || ids[0] != corpus_id("invoice-cn"));
    cr_assert(search_ids("发票怎么开", NULL, "retired", ids) > 0);
    cr_expect_eq(ids[0], corpus_id("invoice-cn"));
    /* No query: newest first, in the status asked for (the retire made it the newest). */
    cr_assert(search_ids(NULL, "after-sales", "retired", ids) >= 1);
    cr_expect_eq(ids[0], corpus_id("invoice-cn"));
    cr_assert(search_ids(NULL, "after-sales", NULL, ids) >= 1);
    cr_expect_neq(ids[0], corpus_id("invoice-cn"));
}

/* Columns (rank, article, score) of the suggestions stored for ticket. */
static PGresult *suggestions_of(const char *ticket)
{
    const char *p[] = {ticket};
    PGresult *res = sb_pg_query(pg,
        "SELECT rank, article_id, score FROM ticket_suggestions WHERE ticket_id = $1 ORDER BY rank",
        1, p);
    cr_assert(res);
    return res;
}

/* A committed ticket row of this category and sub-topic (suggestions reference tickets). */
static void fixture_ticket(const char *category, const char *subtopic, char id[37])
{
    PGconn *c = sb_fixture_pg();
    cr_assert(c);
    char number[32];
    sb_fixture_ticket t = {.category = category, .subtopic = subtopic};
    cr_assert_eq(sb_fixture_ticket_new(c, &t, number, id), 0);
    PQfinish(c);
}

Test(kb, suggest_batch_stores_the_top_three_per_ticket_once)
{
    load_corpus();
    char t1[37], t2[37], t3[37];
    fixture_ticket("complaint", "logistics-delay", t1);
    fixture_ticket("after-sales", "refund", t2);
    fixture_ticket("other", "general", t3);
    sb_kb_query batch[] = {
        {t1, "你好，我的快递三天了还没到，物流一直没有更新", "complaint", "logistics-delay"},
        {t2, "I returned the shoes and the refund still has not been received", "after-sales",
         "refund"},
        {t3, "？？？", "other", NULL},                     /* no term: no suggestion */
        {"not-a-uuid", "快递", NULL, NULL},               /* skipped, not a failure */
    };
    sg = sb_kb_suggester_new();
    cr_assert_eq(sb_kb_suggest_batch(pg, sg, batch, 4), 0);
    PGresult *r1 = suggestions_of(t1);
    cr_assert_eq(PQntuples(r1), 3);
    cr_expect_eq(strtoll(PQgetvalue(r1, 0, 1), NULL, 10), corpus_id("logistics-cn"));
    for (int i = 0; i < 3; i++)
        cr_expect_eq(atoi(PQgetvalue(r1, i, 0)), i + 1);
    cr_expect_geq(atof(PQgetvalue(r1, 0, 2)), atof(PQgetvalue(r1, 1, 2)));
    cr_expect_geq(atof(PQgetvalue(r1, 1, 2)), atof(PQgetvalue(r1, 2, 2)));
    PGresult *r2 = suggestions_of(t2);
    cr_assert_geq(PQntuples(r2), 1);
    cr_expect_eq(strtoll(PQgetvalue(r2, 0, 1), NULL, 10), corpus_id("refund-en"));
    PGresult *r3 = suggestions_of(t3);
    cr_expect_eq(PQntuples(r3), 0);
    /* A replay (classify's batch again) keeps what is stored, even if the KB changed. */
    cr_assert_eq(sb_kb_retire(pg, corpus_id("logistics-cn"), NULL), 0);
    cr_assert_eq(sb_kb_suggester_load(pg, sg), 0);
    cr_assert_eq(sb_kb_suggest_batch(pg, sg, batch, 2), 0);
    PGresult *again = suggestions_of(t1);
    cr_assert_eq(PQntuples(again), 3);
    cr_expect_str_eq(PQgetvalue(again, 0, 1), PQgetvalue(r1, 0, 1));
    PQclear(r1);
    PQclear(r2);
    PQclear(r3);
    PQclear(again);
}

Test(kb, category_and_subtopic_boost_suggestions)
{
    load_corpus();
    char plain[37], boosted[37];
    fixture_ticket("other", "general", plain);
    fixture_ticket("complaint", "overcharge", boosted);
    /* "refund" is in the refund article's title and tags, "charge" in the overcharge
     * article's: alone, the refund article ranks first; the ticket's classification turns it. */
    sb_kb_query batch[] = {
        {plain, "charge refund", "other", NULL},
        {boosted, "charge refund", "complaint", "overcharge"},
    };
    sg = sb_kb_suggester_new();
    cr_assert_eq(sb_kb_suggest_batch(pg, sg, batch, 2), 0);
    PGresult *a = suggestions_of(plain), *b = suggestions_of(boosted);
    cr_assert(PQntuples(a) > 0 && PQntuples(b) > 0);
    cr_expect_eq(strtoll(PQgetvalue(a, 0, 1), NULL, 10), corpus_id("refund-en"),
                 "without the boost the refund article should lead, got %s",
                 corpus_key(strtoll(PQgetvalue(a, 0, 1), NULL, 10)));
    cr_expect_eq(strtoll(PQgetvalue(b, 0, 1), NULL, 10), corpus_id("overcharge-en"),
                 "with the boost the overcharge article should lead, got %s",
                 corpus_key(strtoll(PQgetvalue(b, 0, 1), NULL, 10)));
    PQclear(a);
    PQclear(b);
}

/* A category of this test's own, so merges meet only this test's articles. */
static void own_category(char cat[32])
{
    char hex[9];
    sb_fixture_hex(hex, 8);
    snprintf(cat, 32, "kbtest-%s", hex);
    const char *p[] = {cat};
    cr_assert_eq(sb_pg_exec(pg, "INSERT INTO categories (id, name, department_id)"
                                " VALUES ($1, $1, 'service')", 1, p), 0);
}

/* Column 0 of row 0 of sql with one parameter, as a malloc'd string. */
static char *value(const char *sql, const char *param)
{
    const char *p[] = {param};
    PGresult *res = sb_pg_query(pg, sql, 1, p);
    cr_assert(res && PQntuples(res) == 1, "no row from %s", sql);
    char *v = strdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    return v;
}

/* A number as a string, for value(). */
static const char *num(int64_t id)
{
    static char buf[4][24];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof(buf[i]), "%lld", (long long)id);
    return buf[i];
}

Test(kb, similar_resolutions_merge_and_different_ones_do_not)
{
    char cat[32];
    own_category(cat);
    const char *tags1[] = {"物流", "催件", NULL}, *tags2[] = {"物流", "补偿", NULL};
    int merged;
    char t1[37], t2[37];
    int64_t a = archive("快递三天还没到", cat, NULL, tags1,
                        "已联系快递公司核实物流，包裹在中转站滞留，已催促派送，预计明天送达，"
                        "并给客户补偿5元优惠券。", &merged, t1);
    cr_expect_eq(merged, SB_KB_NEW_DRAFT);
    int64_t b = archive("快递好几天都没送到", cat, NULL, tags2,
                        "已联系快递公司核实，包裹在中转站滞留，已催促尽快派送，预计明天送达，"
                        "补偿客户5元优惠券。", &merged, t2);
    cr_expect_eq(merged, SB_KB_MERGED);
    cr_expect_eq(b, a);
    char *sources = value("SELECT cardinality(source_tickets) FROM kb_articles WHERE id = $1",
                          num(a));
    cr_expect_str_eq(sources, "2");
    free(sources);
    char *tags = value("SELECT array_to_string(tags, ',') FROM kb_articles WHERE id = $1", num(a));
    cr_expect_str_eq(tags, "物流,催件,补偿");
    free(tags);
    /* The draft keeps both wordings for its supervisor: the second adds terms. */
    char *solution = value("SELECT solution FROM kb_articles WHERE id = $1", num(a));
    cr_expect(strstr(solution, "并给客户补偿5元优惠券。\n\n---\n已联系快递公司核实，") != NULL, "%s",
              solution);
    free(solution);
    /* A different problem in the same category is a second article. */
    int64_t c = archive("发票抬头开错了", cat, NULL, NULL,
                        "作废原电子发票，按客户提供的正确抬头和税号重新开具，48小时内发送到邮箱。",
                        &merged, NULL);
    cr_expect_eq(merged, SB_KB_NEW_DRAFT);
    cr_expect_neq(c, a);
    /* English too: a paraphrase merges, another topic does not. */
    int64_t d = archive("Refund not received", cat, NULL, NULL,
                        "Checked the payment gateway: the refund was issued to the original card "
                        "on Monday. Gave the customer the refund reference number for the bank.",
                        &merged, NULL);
    cr_expect_eq(merged, SB_KB_NEW_DRAFT);
    int64_t e = archive("Where is my refund", cat, NULL, NULL,
                        "The refund was issued to the original card; gave the customer the refund "
                        "reference number so the bank can trace it.", &merged, NULL);
    cr_expect_eq(merged, SB_KB_MERGED);
    cr_expect_eq(e, d);
    int64_t f = archive("Cannot log in", cat, NULL, NULL,
                        "Reset the password and turned on two-factor authentication.", &merged,
                        NULL);
    cr_expect_eq(merged, SB_KB_NEW_DRAFT);
    cr_expect_neq(f, d);
}

Test(kb, archiving_a_ticket_again_changes_nothing)
{
    char cat[32], ticket[37];
    own_category(cat);
    int merged;
    int64_t a = archive("屏幕坏了", cat, NULL, NULL, "安排上门取件维修，5个工作日内修好寄回。",
                        &merged, ticket);
    char *before = value("SELECT row(a.*)::text FROM kb_articles a WHERE id = $1", num(a));
    int64_t again = 0;
    cr_assert_eq(sb_kb_archive(pg, ticket, "屏幕坏了", cat, NULL, NULL, 0,
                               "安排上门取件维修，5个工作日内修好寄回。", &again, &merged), 0);
    cr_expect_eq(again, a);
    cr_expect_eq(merged, SB_KB_ARCHIVED);
    char *after = value("SELECT row(a.*)::text FROM kb_articles a WHERE id = $1", num(a));
    cr_expect_str_eq(after, before);
    free(before);
    free(after);
    /* Nothing to archive, or no such category: refused without touching anything. */
    int64_t id;
    cr_expect_eq(sb_kb_archive(pg, ticket, "x", cat, NULL, NULL, 0, "   ", &id, &merged),
                 SB_KB_EINPUT);
    cr_expect_eq(sb_kb_archive(pg, "nope", "x", cat, NULL, NULL, 0, "fix", &id, &merged),
                 SB_KB_EINPUT);
    char fresh[37];
    sb_uuid_v4_str(fresh);
    cr_expect_eq(sb_kb_archive(pg, fresh, "x", "no-such-category", NULL, NULL, 0, "fix", &id,
                               &merged), SB_KB_ECATEGORY);
}

Test(kb, a_published_article_takes_the_ticket_but_keeps_its_text)
{
    char cat[32];
    own_category(cat);
    int merged;
    const char *solution = "The refund was issued to the original card; gave the customer the "
                           "refund reference number so the bank can trace it.";
    int64_t a = archive("Refund missing", cat, NULL, NULL, solution, &merged, NULL);
    cr_assert_eq(sb_kb_publish(pg, a, "lead", NULL), 0);
    int64_t b = archive("Refund not on my card", cat, NULL, NULL,
                        "Refund issued to the original card, gave the customer the reference "
                        "number so the bank can trace the refund. Also sent a coupon.",
                        &merged, NULL);
    cr_expect_eq(merged, SB_KB_MERGED);
    cr_expect_eq(b, a);
    char *text = value("SELECT solution FROM kb_articles WHERE id = $1", num(a));
    cr_expect_str_eq(text, solution);
    free(text);
}

Test(kb, edit_publish_retire_follow_the_status)
{
    char cat[32];
    own_category(cat);
    int merged;
    int64_t a = archive("App crashes on start", cat, NULL, NULL,
                        "Update the app and clear its cache.", &merged, NULL);
    const char *tags[] = {"App", "crash", "app"};
    sb_kb_edit e = {.title = "App crashes when it starts", .tags = tags, .ntags = 3,
                    .set_tags = 1};
    cr_assert_eq(sb_kb_edit_draft(pg, a, &e), 0);
    char *t = value("SELECT title || '|' || array_to_string(tags, ',') FROM kb_articles"
                    " WHERE id = $1", num(a));
    cr_expect_str_eq(t, "App crashes when it starts|app,crash");
    free(t);
    /* The edit is searchable at once. */
    json_t *out = NULL;
    cr_assert_eq(sb_kb_search(pg, "crash", cat, "draft", 5, &out), 0);
    cr_expect_eq(json_array_size(out), 1);
    json_decref(out);
    sb_kb_edit bad = {.category = "no-such-category"};
    cr_expect_eq(sb_kb_edit_draft(pg, a, &bad), SB_KB_ECATEGORY);
    sb_kb_edit badsub = {.subtopic = "refund"};   /* a sub-topic of after-sales, not of cat */
    cr_expect_eq(sb_kb_edit_draft(pg, a, &badsub), SB_KB_ESUBTOPIC);
    sb_kb_edit empty = {.solution = "  "};
    cr_expect_eq(sb_kb_edit_draft(pg, a, &empty), SB_KB_EINPUT);
    char prev[16];
    cr_assert_eq(sb_kb_publish(pg, a, "lead", prev), 0);
    cr_expect_str_eq(prev, "draft");
    cr_expect_eq(sb_kb_edit_draft(pg, a, &e), SB_KB_ESTATUS);
    cr_assert_eq(sb_kb_retire(pg, a, prev), 0);
    cr_expect_str_eq(prev, "published");
    cr_expect_eq(sb_kb_publish(pg, 999999999999LL, "lead", prev), SB_KB_ENOTFOUND);
}

/* Article id's review reasons, comma-separated ("" when it needs no review). */
static void expect_reasons(int64_t id, const char *want)
{
    char *r = value("SELECT array_to_string(review_reasons, ',') FROM kb_articles WHERE id = $1",
                    num(id));
    cr_expect_str_eq(r, want, "article %lld", (long long)id);
    free(r);
}

Test(kb, review_scan_flags_unused_and_recategorised_articles)
{
    char cat[32], t_hook[37], t_other[37];
    own_category(cat);
    int merged;
    int64_t stale = archive("Old policy", cat, NULL, NULL, "An old answer nobody needs.",
                            &merged, NULL);
    int64_t fresh = archive("New policy", cat, NULL, NULL, "A new answer people use.",
                            &merged, NULL);
    int64_t used = archive("Used policy", cat, NULL, NULL, "An answer used last week.",
                           &merged, NULL);
    cr_assert_eq(sb_kb_publish(pg, stale, "lead", NULL), 0);
    cr_assert_eq(sb_kb_publish(pg, fresh, "lead", NULL), 0);
    cr_assert_eq(sb_kb_publish(pg, used, "lead", NULL), 0);
    /* Published 100 days ago; the third one also used 7 days ago. */
    const char *p[] = {num(stale), num(used)};
    cr_assert_eq(sb_pg_exec(pg, "UPDATE kb_articles SET published_at = now() - interval '100 days',"
                                " reviewed_at = now() - interval '100 days'"
                                " WHERE id IN ($1, $2)", 2, p), 0);
    cr_assert_eq(sb_pg_exec(pg, "UPDATE kb_articles SET last_used = now() - interval '7 days'"
                                " WHERE id = $1", 1, p + 1), 0);
    /* Two drafts from real tickets of the category; one ticket is reclassified, the other
     * keeps its category. */
    fixture_ticket(NULL, NULL, t_hook);
    fixture_ticket(NULL, NULL, t_other);
    const char *tp[] = {t_hook, t_other, cat};
    cr_assert_eq(sb_pg_exec(pg, "UPDATE tickets SET category = $3 WHERE id IN ($1, $2)", 3, tp), 0);
    int64_t hook = 0, other = 0;
    cr_assert_eq(sb_kb_archive(pg, t_hook, "Wrong box", cat, NULL, NULL, 0,
                               "Explained which box to tick.", &hook, &merged), 0);
    cr_assert_eq(sb_kb_archive(pg, t_other, "Late parcel", cat, NULL, NULL, 0,
                               "Chased the carrier for the parcel.", &other, &merged), 0);
    cr_assert_eq(sb_pg_exec(pg, "UPDATE tickets SET category = 'complaint' WHERE id = $1", 1, tp),
                 0);
    int n = -1;
    cr_assert_eq(sb_kb_category_changed(pg, t_hook, &n), 0);
    cr_expect_eq(n, 1);
    cr_assert_eq(sb_kb_category_changed(pg, t_hook, &n), 0);
    cr_expect_eq(n, 0, "flagged twice for one reason");
    cr_assert_eq(sb_kb_category_changed(pg, t_other, &n), 0);
    cr_expect_eq(n, 0, "the category of this one did not change");
    cr_assert_eq(sb_kb_review_scan(pg, SB_KB_STALE_DAYS, &n), 0);
    cr_expect_eq(n, 1, "only the stale one, got %d", n);
    expect_reasons(stale, "unused");
    expect_reasons(hook, "category_changed");
    expect_reasons(other, "");
    expect_reasons(fresh, "");
    expect_reasons(used, "");
    /* The review list has them; a use clears 'unused', a publish (the review) clears all. */
    json_t *list = NULL;
    cr_assert_eq(sb_kb_review_list(pg, 100, &list), 0);
    cr_expect_eq(json_array_size(list), 2);
    json_decref(list);
    int counted = 0;
    cr_assert_eq(sb_kb_record_use(pg, stale, t_hook, "agent-x", &counted), 0);
    cr_expect_eq(counted, 1);
    expect_reasons(stale, "");
    cr_assert_eq(sb_kb_publish(pg, hook, "lead", NULL), 0);
    expect_reasons(hook, "");
    cr_assert_eq(sb_kb_review_scan(pg, SB_KB_STALE_DAYS, &n), 0);
    cr_expect_eq(n, 0, "a review is not undone by the next scan");
}

Test(kb, usage_is_counted_once_per_ticket)
{
    load_corpus();
    char t1[37], t2[37];
    fixture_ticket(NULL, NULL, t1);
    fixture_ticket(NULL, NULL, t2);
    int64_t a = corpus_id("refund-en");
    int counted = -1;
    cr_assert_eq(sb_kb_record_use(pg, a, t1, "agent-1", &counted), 0);
    cr_expect_eq(counted, 1);
    cr_assert_eq(sb_kb_record_use(pg, a, t1, "agent-2", &counted), 0);
    cr_expect_eq(counted, 0);
    cr_assert_eq(sb_kb_record_use(pg, a, t2, "agent-1", &counted), 0);
    cr_expect_eq(counted, 1);
    char *n = value("SELECT times_used::text || (last_used IS NOT NULL)::text FROM kb_articles"
                    " WHERE id = $1", num(a));
    cr_expect_str_eq(n, "2true");
    free(n);
    cr_assert_eq(sb_kb_retire(pg, corpus_id("coupon-en"), NULL), 0);
    cr_expect_eq(sb_kb_record_use(pg, corpus_id("coupon-en"), t1, "agent-1", &counted),
                 SB_KB_ESTATUS);
    cr_expect_eq(sb_kb_record_use(pg, 999999999999LL, t1, "agent-1", &counted), SB_KB_ENOTFOUND);
}

/* classify ranks in memory (kb_suggest.c) what desk's search ranks in PostgreSQL (kb_rank):
 * the same articles in the same order with the same scores, for queries whose every word the
 * articles know (search also corrects unknown latin words; suggestions do not). */
Test(kb, suggestions_rank_as_the_search_does)
{
    load_corpus();
    static const char *const queries[] = {
        "快递三天了还没到", "退款一直没到账", "我的账号被盗了", "积分会过期吗",
        "refund not received", "I was charged twice", "coupon at checkout",
        "exchange for a different size",
    };
    enum { NQ = sizeof(queries) / sizeof(queries[0]) };
    char tickets[NQ][37];
    sb_kb_query batch[NQ];
    for (size_t i = 0; i < NQ; i++) {
        fixture_ticket(NULL, NULL, tickets[i]);
        batch[i] = (sb_kb_query){tickets[i], queries[i], NULL, NULL};
    }
    sg = sb_kb_suggester_new();
    cr_assert_eq(sb_kb_suggest_batch(pg, sg, batch, NQ), 0);
    for (size_t i = 0; i < NQ; i++) {
        json_t *found = NULL;
        cr_assert_eq(sb_kb_search(pg, queries[i], NULL, NULL, 3, &found), 0);
        PGresult *s = suggestions_of(tickets[i]);
        cr_expect_eq((size_t)PQntuples(s), json_array_size(found), "'%s': %d suggested, %zu found",
                     queries[i], PQntuples(s), json_array_size(found));
        for (int r = 0; r < PQntuples(s) && (size_t)r < json_array_size(found); r++) {
            json_t *a = json_array_get(found, (size_t)r);
            cr_expect_eq(strtoll(PQgetvalue(s, r, 1), NULL, 10),
                         json_integer_value(json_object_get(a, "id")), "'%s' rank %d", queries[i],
                         r + 1);
            double want = json_number_value(json_object_get(a, "score"));
            cr_expect(fabs(atof(PQgetvalue(s, r, 2)) - want) < 2e-4, "'%s' rank %d: %s vs %f",
                      queries[i], r + 1, PQgetvalue(s, r, 2), want);
        }
        PQclear(s);
        json_decref(found);
    }
}

/* How many suggestions a fresh ticket gets for text now. */
static int suggested(const char *text)
{
    char t[37];
    fixture_ticket(NULL, NULL, t);
    sb_kb_query q = {t, text, NULL, NULL};
    cr_assert_eq(sb_kb_suggest_batch(pg, sg, &q, 1), 0);
    PGresult *s = suggestions_of(t);
    int n = PQntuples(s);
    PQclear(s);
    return n;
}

Test(kb, suggester_sees_a_publication_within_its_reload_interval)
{
    load_corpus();
    sb_clock_fake_set(1000000);
    sg = sb_kb_suggester_new();
    const char *text = "zqxfrob keeps blinking";
    cr_assert_eq(suggested(text), 0);   /* loaded now: nothing knows the word */
    int merged;
    int64_t id = archive("Zqxfrob blinking", "other", "general", NULL, "Restart the zqxfrob.",
                         &merged, NULL);
    cr_assert_eq(sb_kb_publish(pg, id, "lead", NULL), 0);
    sb_clock_fake_advance(500);
    cr_expect_eq(suggested(text), 0, "the revision is looked at once a second at most");
    sb_clock_fake_advance(1000);
    cr_expect_eq(suggested(text), 0, "reloads are ten seconds apart at least");
    sb_clock_fake_advance(10000);
    cr_expect_eq(suggested(text), 1, "the publication is indexed after the interval");
    sb_clock_use_real();
}

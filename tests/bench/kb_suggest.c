/* kb_suggest.c - how long sb_kb_suggest_batch takes for one classify batch: N tickets against
 * a knowledge base of M published articles, all written inside one transaction that is rolled
 * back at the end, so the database the stack uses is left as it was.
 *
 * Usage: SB_PG_DSN=... bench_kb_suggest [--articles M] [--tickets N] [--rounds R]
 * Prints one line per round and ends with
 *   kb_suggest: articles=M tickets=N rounds=R load_ms=L best_ms=X median_ms=Y per_ticket_us=Z
 * where a round is one sb_kb_suggest_batch (ranking in memory and the one INSERT) and load_ms
 * the index build a classify process pays at start and after a published change. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/ids.h"
#include "common/json.h"
#include "common/kb.h"
#include "kb_corpus.h"

/* Fillers mixed into generated articles and tickets so no two are alike. */
static const char *const fillers[] = {
    "已为客户登记工单并承诺回电。", "客户表示理解。", "同时提醒客户保留凭证。",
    "如有疑问可再次联系在线客服。", "处理结果已短信通知客户。", "赠送会员积分作为补偿。",
    "The customer was told to keep the receipt.", "A callback was booked for tomorrow.",
    "We sent a confirmation e-mail.", "The supervisor approved a goodwill gesture.",
    "Order notes were updated.", "Asked the customer to reply with photos.",
};
#define NFILLERS (sizeof(fillers) / sizeof(fillers[0]))

/* Milliseconds of a monotonic clock. */
static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The text of generated article or ticket i: a base text plus two fillers, numbered. */
static void vary(char *out, size_t len, const char *base, unsigned i)
{
    snprintf(out, len, "%s %s %s #%u", base, fillers[i % NFILLERS],
             fillers[(i / NFILLERS + 3) % NFILLERS], i);
}

/* Runs sql with rows (stolen) as its one JSON parameter. 0 or -1. */
static int exec_rows(sb_pg *pg, const char *sql, json_t *rows)
{
    char *body = sb_json_dump(rows);
    json_decref(rows);
    const char *p[] = {body};
    int rc = body ? sb_pg_exec(pg, sql, 1, p) : -1;
    free(body);
    return rc;
}

/* M published articles in one statement: terms made by common/kb, vectors by kb_vector. */
static int insert_articles(sb_pg *pg, unsigned m)
{
    json_t *rows = json_array();
    char title[512], solution[2048], tt[2048], st[8192];
    for (unsigned i = 0; i < m; i++) {
        const sb_kb_sample *s = &sb_kb_corpus[i % sb_kb_corpus_len];
        snprintf(title, sizeof(title), "%s (%u)", s->title, i);
        vary(solution, sizeof(solution), s->solution, i);
        sb_kb_terms(title, tt, sizeof(tt));
        sb_kb_terms(solution, st, sizeof(st));
        json_array_append_new(rows, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "title", title,
                                              "category", s->category, "subtopic", s->subtopic,
                                              "solution", solution, "tt", tt, "st", st));
    }
    return exec_rows(pg,
        "INSERT INTO kb_articles (title, category, subtopic, solution, status, published_at,"
        "                         search)"
        " SELECT title, category, subtopic, solution, 'published', now(), kb_vector(tt, '', st)"
        " FROM jsonb_to_recordset($1::jsonb) AS x(title text, category text, subtopic text,"
        "      solution text, tt text, st text)",
        rows);
}

/* N tickets (and a customer) with fresh ids into ids. */
static int insert_tickets(sb_pg *pg, unsigned n, char (*ids)[SB_UUID_STRLEN], unsigned round)
{
    json_t *rows = json_array();
    for (unsigned i = 0; i < n; i++) {
        sb_uuid_v4_str(ids[i]);
        char number[40];
        snprintf(number, sizeof(number), "ST-20000101-9%02u%07u", round, i);
        json_array_append_new(rows, json_pack("{s:s, s:s}", "id", ids[i], "number", number));
    }
    return exec_rows(pg,
        "WITH c AS (INSERT INTO customers (customer_key) VALUES (gen_random_uuid()::text)"
        "           RETURNING id)"
        " INSERT INTO tickets (id, number, channel, customer_id)"
        " SELECT x.id, x.number, 'store', c.id FROM jsonb_to_recordset($1::jsonb)"
        "        AS x(id uuid, number text), c",
        rows);
}

/* For qsort over doubles. */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    unsigned m = 2000, n = 500, rounds = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        unsigned v = (unsigned)strtoul(argv[i + 1], NULL, 10);
        if (!strcmp(argv[i], "--articles")) m = v;
        else if (!strcmp(argv[i], "--tickets")) n = v;
        else if (!strcmp(argv[i], "--rounds")) rounds = v;
    }
    const char *dsn = getenv("SB_PG_DSN");
    sb_pg *pg = dsn ? sb_pg_connect(dsn, 3) : NULL;
    if (!pg || n == 0 || rounds == 0 || rounds > 50) {
        fprintf(stderr, "kb_suggest: need SB_PG_DSN, --tickets >= 1, --rounds 1..50\n");
        return 2;
    }
    char (*ids)[SB_UUID_STRLEN] = calloc(n, SB_UUID_STRLEN);
    sb_kb_query *items = calloc(n, sizeof(*items));
    char (*texts)[512] = calloc(n, 512);
    double *ms = calloc(rounds, sizeof(*ms));
    sb_kb_suggester *sg = sb_kb_suggester_new();
    double load_ms = 0;
    int rc = !ids || !items || !texts || !ms || !sg || sb_pg_begin(pg) != 0 ||
             sb_pg_exec(pg, "UPDATE kb_articles SET status = 'retired' WHERE status = 'published'",
                        0, NULL) != 0 ||
             insert_articles(pg, m) != 0 || sb_pg_exec(pg, "ANALYZE kb_articles", 0, NULL) != 0;
    /* As after autovacuum: the GIN index's fast-update list merged into the index. */
    if (!rc)
        rc = sb_pg_exec(pg, "SELECT gin_clean_pending_list('kb_articles_search_idx')", 0, NULL);
    if (!rc) {   /* what a classify process does on its first batch, and after KB changes */
        double t0 = now_ms();
        rc = sb_kb_suggester_load(pg, sg);
        load_ms = now_ms() - t0;
        printf("load: %u published articles indexed in %.1f ms\n", m, load_ms);
    }
    for (unsigned r = 0; r <= rounds && !rc; r++) {   /* round 0 warms up */
        rc = insert_tickets(pg, n, ids, r);
        for (unsigned i = 0; i < n && !rc; i++) {
            const sb_kb_sample *s = &sb_kb_corpus[(i * 7 + r) % sb_kb_corpus_len];
            vary(texts[i], sizeof(texts[i]), sb_kb_customer_texts[i % sb_kb_customer_texts_len],
                 i + r * n);
            items[i] = (sb_kb_query){ids[i], texts[i], s->category, s->subtopic};
        }
        double t0 = now_ms();
        rc = rc ? rc : sb_kb_suggest_batch(pg, sg, items, n);
        double took = now_ms() - t0;
        if (!rc && r > 0) {
            ms[r - 1] = took;
            printf("round %u: %u tickets in %.1f ms\n", r, n, took);
        }
    }
    if (!rc) {
        qsort(ms, rounds, sizeof(*ms), cmp_double);
        printf("kb_suggest: articles=%u tickets=%u rounds=%u load_ms=%.1f best_ms=%.1f"
               " median_ms=%.1f per_ticket_us=%.0f\n", m, n, rounds, load_ms, ms[0],
               ms[rounds / 2], ms[rounds / 2] * 1000.0 / n);
    }
    sb_pg_rollback(pg);
    sb_pg_free(pg);
    sb_kb_suggester_free(sg);
    free(ids);
    free(items);
    free(texts);
    free(ms);
    return rc ? 1 : 0;
}

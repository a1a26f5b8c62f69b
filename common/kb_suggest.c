/* kb_suggest.c - knowledge-base suggestions for classify's batches (kb.h): the published
 * articles' terms held in memory as an inverted index, each new ticket ranked against it
 * exactly as kb_rank() (ts_rank) ranks in PostgreSQL, the batch's top 3s stored in one
 * statement.
 *
 * Why in memory: in PostgreSQL every article sharing a term with the ticket is a candidate
 * whose tsvector must be fetched and ranked, and common words (客户, order) make that hundreds
 * of articles per ticket: measured 4-20 ms per ticket against 2,000 articles, seconds per
 * batch of 500. Here a ticket costs the postings of its terms: microseconds. */
#include "common/kb.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/ids.h"
#include "common/json.h"
#include "common/kb_terms.h"
#include "common/log.h"

/* Distinct terms of a ticket's text that are ranked: enough for a message or two. */
#define KB_SUGGEST_TERMS 64
/* How often a batch looks at kb_meta's revision, and how often the articles may be reloaded
 * when it moved: a suggestion sees a published change within about ten seconds. */
#define KB_CHECK_MS  1000
#define KB_RELOAD_MS 10000
/* Ranking multipliers for an article in the ticket's category, and also its sub-topic:
 * classification knows what the ticket is about better than a few shared words do. */
#define KB_BOOST_CATEGORY 1.5f
#define KB_BOOST_SUBTOPIC 2.0f
/* kb_rank()'s ts_rank weights: title (A), tags (B), solution (C). */
#define KB_W_TITLE    1.0f
#define KB_W_TAGS     0.4f
#define KB_W_SOLUTION 0.2f
/* ts_rank's limit of sum(1/i^2): pi^2/6, as PostgreSQL writes it. */
#define KB_PI2_6 1.64493406685f

/* One article's share of a term's score. */
typedef struct kb_posting {
    uint32_t article;   /* index into articles */
    float    contrib;   /* ts_rank's per-term value for this article, before normalisation */
} kb_posting;

/* The articles that have one term. */
typedef struct kb_postings {
    kb_posting *p;
    uint32_t    n, cap;
} kb_postings;

/* A published article as ranking needs it. */
typedef struct kb_doc {
    int64_t id;
    long    category, subtopic;   /* indexes into the index's labels; subtopic -1 when none */
    float   norm;                 /* ts_rank normalisation 1: 1 / log2(positions + 1) */
} kb_doc;

/* The index of one load; replaced whole by the next. */
typedef struct kb_index {
    kb_doc      *docs;
    size_t       ndocs;
    sb_kb_set    labels;     /* the categories and sub-topics, compared as numbers */
    sb_kb_set    terms;      /* every term of the published articles */
    kb_postings *postings;   /* per index into terms */
    size_t       cap_postings;
} kb_index;

struct sb_kb_suggester {
    kb_index  ix;
    float    *acc;           /* per article: scratch of one ticket's scores, zero between */
    uint32_t *touched;       /* the articles acc holds a score for */
    long long revision;      /* kb_meta's revision loaded, -1 before the first load */
    int64_t   checked_ms, loaded_ms;
};

/* ------------------------------------------------------------------------------ index */

static void kb_index_free(kb_index *ix)
{
    for (size_t t = 0; t < ix->terms.n; t++)
        free(ix->postings[t].p);
    free(ix->docs);
    free(ix->postings);
    sb_kb_set_free(&ix->terms);
    sb_kb_set_free(&ix->labels);
    memset(ix, 0, sizeof(*ix));
}

/* Appends article's contribution to term's postings; 0 or -1. */
static int kb_index_post(kb_index *ix, const char *term, uint32_t article, float contrib)
{
    long t = sb_kb_set_put(&ix->terms, term);
    if (t < 0)
        return -1;
    if ((size_t)t >= ix->cap_postings) {
        size_t cap = ix->cap_postings ? ix->cap_postings * 2 : 1024;
        kb_postings *p = realloc(ix->postings, cap * sizeof(*p));
        if (!p)
            return -1;
        memset(p + ix->cap_postings, 0, (cap - ix->cap_postings) * sizeof(*p));
        ix->postings = p;
        ix->cap_postings = cap;
    }
    kb_postings *pl = &ix->postings[t];
    if (pl->n == pl->cap) {
        uint32_t cap = pl->cap ? pl->cap * 2 : 4;
        kb_posting *p = realloc(pl->p, cap * sizeof(*p));
        if (!p)
            return -1;
        pl->p = p;
        pl->cap = cap;
    }
    pl->p[pl->n++] = (kb_posting){article, contrib};
    return 0;
}

/* One article's terms in position order (title, tags, solution), as kb_vector() stores them,
 * and per distinct term what ts_rank's calc_rank_or sums over its positions. */
typedef struct kb_doc_terms {
    sb_kb_set terms;
    float    *resj, *wjm;     /* sum of w/j^2; the highest weight */
    uint32_t *jm, *count;     /* the occurrence (0-based) of that weight; occurrences */
    size_t    cap;
    uint32_t  positions;
    int       oom;
} kb_doc_terms;

/* One occurrence of term with weight w at the next position. */
static void kb_doc_add(kb_doc_terms *d, const char *term, float w)
{
    size_t before = d->terms.n;
    long i = sb_kb_set_put(&d->terms, term);
    if (i < 0 || d->oom) {
        d->oom = 1;
        return;
    }
    if ((size_t)i >= d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64;
        float *resj = realloc(d->resj, cap * sizeof(float));
        float *wjm = resj ? realloc(d->wjm, cap * sizeof(float)) : NULL;
        uint32_t *jm = wjm ? realloc(d->jm, cap * sizeof(uint32_t)) : NULL;
        uint32_t *count = jm ? realloc(d->count, cap * sizeof(uint32_t)) : NULL;
        d->resj = resj ? resj : d->resj;
        d->wjm = wjm ? wjm : d->wjm;
        d->jm = jm ? jm : d->jm;
        d->count = count ? count : d->count;
        if (!count) {
            d->oom = 1;
            return;
        }
        d->cap = cap;
    }
    if ((size_t)i == before) {   /* a new term: ts_rank starts it at weight -1 */
        d->resj[i] = 0.0f;
        d->wjm[i] = -1.0f;
        d->jm[i] = 0;
        d->count[i] = 0;
    }
    uint32_t j = d->count[i]++;
    d->resj[i] += w / (float)((j + 1) * (j + 1));
    if (w > d->wjm[i]) {
        d->wjm[i] = w;
        d->jm[i] = j;
    }
    d->positions++;
}

/* Every term of text at weight w. */
static void kb_doc_field(kb_doc_terms *d, const char *text, size_t len, float w)
{
    sb_kb_buf b = {0};
    sb_kb_doc_terms(text, len, &b);
    d->oom |= b.oom;
    for (char *t = b.p, *end; t && *t; t = end) {
        end = strchr(t, ' ');
        if (end)
            *end++ = '\0';
        kb_doc_add(d, t, w);
        if (!end)
            break;
    }
    sb_kb_buf_free(&b);
}

static void kb_doc_terms_free(kb_doc_terms *d)
{
    sb_kb_set_free(&d->terms);
    free(d->resj);
    free(d->wjm);
    free(d->jm);
    free(d->count);
}

/* Indexes published article number a of the load from its text. 0 or -1. */
static int kb_index_doc(kb_index *ix, uint32_t a, const char *title, const char *tags_json,
                        const char *solution)
{
    kb_doc_terms d;
    memset(&d, 0, sizeof(d));
    sb_kb_set_init(&d.terms, 0);
    kb_doc_field(&d, title, strlen(title), KB_W_TITLE);
    json_t *tags = json_loads(tags_json, 0, NULL);
    size_t i;
    json_t *v;
    json_array_foreach(tags, i, v)
        kb_doc_field(&d, json_string_value(v), json_string_length(v), KB_W_TAGS);
    json_decref(tags);
    kb_doc_field(&d, solution, strlen(solution), KB_W_SOLUTION);
    int rc = d.oom ? -1 : 0;
    for (size_t t = 0; t < d.terms.n && rc == 0; t++) {
        float first = (float)((d.jm[t] + 1) * (d.jm[t] + 1));
        float c = (d.wjm[t] + d.resj[t] - d.wjm[t] / first) / KB_PI2_6;
        rc = kb_index_post(ix, d.terms.items[t], a, c);
    }
    ix->docs[a].norm = d.positions ? (float)(log(2.0) / log((double)d.positions + 1.0)) : 0.0f;
    kb_doc_terms_free(&d);
    return rc;
}

/* Columns of the load. */
enum { KL_REVISION, KL_ID, KL_CATEGORY, KL_SUBTOPIC, KL_TITLE, KL_TAGS, KL_SOLUTION };

/* The published articles and the revision they are at, in one statement (one snapshot). */
static const char kb_load_sql[] =
    "SELECT m.revision, a.id, a.category, a.subtopic, a.title, to_json(a.tags)::text, a.solution"
    " FROM kb_meta m LEFT JOIN kb_articles a ON a.status = 'published'"
    " WHERE m.id = 1 ORDER BY a.id";

/* Builds an index of the rows of kb_load_sql into ix (which the caller frees, also after a
 * failure). 0 or -1. */
static int kb_index_build(kb_index *ix, const PGresult *res)
{
    memset(ix, 0, sizeof(*ix));
    sb_kb_set_init(&ix->terms, 0);
    sb_kb_set_init(&ix->labels, 0);
    size_t rows = (size_t)PQntuples(res);
    ix->docs = calloc(rows ? rows : 1, sizeof(*ix->docs));
    if (!ix->docs || rows == 0)   /* no row at all: kb_meta is missing */
        return -1;
    for (size_t r = 0; r < rows; r++) {
        if (PQgetisnull(res, (int)r, KL_ID))
            continue;   /* the LEFT JOIN's row when nothing is published */
        kb_doc *d = &ix->docs[ix->ndocs];
        d->id = strtoll(PQgetvalue(res, (int)r, KL_ID), NULL, 10);
        d->category = sb_kb_set_put(&ix->labels, PQgetvalue(res, (int)r, KL_CATEGORY));
        d->subtopic = PQgetisnull(res, (int)r, KL_SUBTOPIC)
                          ? -1 : sb_kb_set_put(&ix->labels, PQgetvalue(res, (int)r, KL_SUBTOPIC));
        ix->ndocs++;
        if (d->category < 0 || ix->labels.oom ||
            kb_index_doc(ix, (uint32_t)(ix->ndocs - 1), PQgetvalue(res, (int)r, KL_TITLE),
                         PQgetvalue(res, (int)r, KL_TAGS),
                         PQgetvalue(res, (int)r, KL_SOLUTION)) != 0)
            return -1;
    }
    return ix->terms.oom ? -1 : 0;
}

/* -------------------------------------------------------------------------- suggester */

sb_kb_suggester *sb_kb_suggester_new(void)
{
    sb_kb_suggester *sg = calloc(1, sizeof(*sg));
    if (sg)
        sg->revision = -1;   /* the index is all zero: empty */
    return sg;
}

void sb_kb_suggester_free(sb_kb_suggester *sg)
{
    if (!sg)
        return;
    kb_index_free(&sg->ix);
    free(sg->acc);
    free(sg->touched);
    free(sg);
}

int sb_kb_suggester_load(sb_pg *pg, sb_kb_suggester *sg)
{
    PGresult *res = sb_pg_query(pg, kb_load_sql, 0, NULL);
    if (!res)
        return SB_KB_EDB;
    kb_index ix;
    int rc = kb_index_build(&ix, res) == 0 ? 0 : SB_KB_EDB;
    size_t n = ix.ndocs ? ix.ndocs : 1;
    float *acc = rc == 0 ? calloc(n, sizeof(*acc)) : NULL;
    uint32_t *touched = acc ? calloc(n, sizeof(*touched)) : NULL;
    if (rc == 0 && touched) {   /* swap in; the old index stays on any failure */
        kb_index_free(&sg->ix);
        free(sg->acc);
        free(sg->touched);
        sg->ix = ix;
        sg->acc = acc;
        sg->touched = touched;
        sg->revision = strtoll(PQgetvalue(res, 0, KL_REVISION), NULL, 10);
        sg->loaded_ms = sb_clock_mono_ms();
        sb_debug("kb_suggest", "loaded %zu published articles, %zu terms (revision %lld)",
                 ix.ndocs, ix.terms.n, sg->revision);
    } else {
        kb_index_free(&ix);
        free(acc);
        rc = SB_KB_EDB;
        sb_error("kb_suggest", "cannot index the published articles");
    }
    PQclear(res);
    return rc;
}

/* Reloads when kb_meta's revision moved (looked at every KB_CHECK_MS, reloaded at most every
 * KB_RELOAD_MS); always before the first batch. 0 or SB_KB_EDB. */
static int kb_suggester_refresh(sb_pg *pg, sb_kb_suggester *sg)
{
    int64_t now = sb_clock_mono_ms();
    if (sg->revision < 0)
        return sb_kb_suggester_load(pg, sg);
    if (now - sg->checked_ms < KB_CHECK_MS)
        return 0;
    sg->checked_ms = now;
    PGresult *res = sb_pg_query(pg, "SELECT revision FROM kb_meta WHERE id = 1", 0, NULL);
    if (!res || PQntuples(res) != 1) {
        PQclear(res);
        return SB_KB_EDB;
    }
    long long revision = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    if (revision == sg->revision || now - sg->loaded_ms < KB_RELOAD_MS)
        return 0;
    return sb_kb_suggester_load(pg, sg);
}

/* ---------------------------------------------------------------------------- ranking */

/* One ranked article. */
typedef struct kb_hit {
    uint32_t doc;
    float    score;
} kb_hit;

/* 1 when a ranks before b: higher score, then lower id (as ORDER BY score DESC, id). */
static int kb_hit_before(const kb_index *ix, kb_hit a, kb_hit b)
{
    return a.score > b.score || (a.score == b.score && ix->docs[a.doc].id < ix->docs[b.doc].id);
}

/* The boost of doc for a ticket whose category and sub-topic are these labels (-1: none,
 * or no published article has it). */
static float kb_boost(const kb_doc *d, long category, long subtopic)
{
    if (category < 0 || d->category != category)
        return 1.0f;
    return subtopic >= 0 && d->subtopic == subtopic ? KB_BOOST_SUBTOPIC : KB_BOOST_CATEGORY;
}

/* The top SB_KB_SUGGESTIONS articles for q into top; how many. */
static size_t kb_rank_ticket(sb_kb_suggester *sg, const sb_kb_query *q, kb_hit *top)
{
    sb_kb_set terms;
    sb_kb_set_init(&terms, KB_SUGGEST_TERMS);
    sb_kb_distinct_terms(q->text, strlen(q->text), &terms, NULL);
    long category = q->category ? sb_kb_set_index(&sg->ix.labels, q->category) : -1;
    long subtopic = q->subtopic ? sb_kb_set_index(&sg->ix.labels, q->subtopic) : -1;
    size_t ntouched = 0, ntop = 0;
    for (size_t k = 0; k < terms.n; k++) {
        long t = sb_kb_set_index(&sg->ix.terms, terms.items[k]);
        for (uint32_t p = 0; t >= 0 && p < sg->ix.postings[t].n; p++) {
            kb_posting post = sg->ix.postings[t].p[p];
            if (sg->acc[post.article] == 0.0f)
                sg->touched[ntouched++] = post.article;
            sg->acc[post.article] += post.contrib;
        }
    }
    for (size_t i = 0; i < ntouched; i++) {
        uint32_t a = sg->touched[i];
        const kb_doc *d = &sg->ix.docs[a];
        /* ts_rank: the sum over the query's distinct terms, divided by their number, then by
         * log2 of the document's length; then the classification's boost. */
        kb_hit h = {a, sg->acc[a] / (float)terms.n * d->norm * kb_boost(d, category, subtopic)};
        sg->acc[a] = 0.0f;
        size_t at = ntop < SB_KB_SUGGESTIONS ? ntop++ : SB_KB_SUGGESTIONS;
        if (at == SB_KB_SUGGESTIONS && !kb_hit_before(&sg->ix, h, top[SB_KB_SUGGESTIONS - 1]))
            continue;
        if (at == SB_KB_SUGGESTIONS)
            at = SB_KB_SUGGESTIONS - 1;
        while (at > 0 && kb_hit_before(&sg->ix, h, top[at - 1])) {
            top[at] = top[at - 1];
            at--;
        }
        top[at] = h;
    }
    sb_kb_set_free(&terms);
    return ntop;
}

/* Stores the batch's suggestions (rows of ticket_id, rank, article_id, score). Tickets that
 * have suggestions keep them; rows whose ticket does not exist, or whose article was retired
 * since the index was loaded, are left out. */
static const char kb_store_sql[] =
    "INSERT INTO ticket_suggestions (ticket_id, rank, article_id, score)"
    " SELECT x.ticket_id, x.rank, x.article_id, x.score"
    " FROM jsonb_to_recordset($1::jsonb) AS x(ticket_id uuid, rank smallint, article_id bigint,"
    "                                         score real)"
    " WHERE EXISTS (SELECT 1 FROM tickets t WHERE t.id = x.ticket_id)"
    "   AND EXISTS (SELECT 1 FROM kb_articles a WHERE a.id = x.article_id"
    "               AND a.status = 'published')"
    "   AND NOT EXISTS (SELECT 1 FROM ticket_suggestions s WHERE s.ticket_id = x.ticket_id)"
    " ON CONFLICT DO NOTHING";

int sb_kb_suggest_batch(sb_pg *pg, sb_kb_suggester *sg, const sb_kb_query *items, size_t n)
{
    if (kb_suggester_refresh(pg, sg) != 0)
        return SB_KB_EDB;
    json_t *rows = json_array();
    for (size_t i = 0; rows && i < n && sg->ix.ndocs; i++) {
        const sb_kb_query *q = &items[i];
        if (!q->ticket_id || !sb_uuid_valid(q->ticket_id) || !q->text)
            continue;
        kb_hit top[SB_KB_SUGGESTIONS];
        size_t ntop = kb_rank_ticket(sg, q, top);
        for (size_t r = 0; r < ntop; r++)
            json_array_append_new(rows, json_pack("{s:s, s:i, s:I, s:f}", "ticket_id", q->ticket_id,
                                                  "rank", (int)r + 1, "article_id",
                                                  (json_int_t)sg->ix.docs[top[r].doc].id,
                                                  "score", (double)top[r].score));
    }
    if (!rows)
        return SB_KB_EDB;
    size_t nrows = json_array_size(rows);
    char *body = nrows ? sb_json_dump(rows) : NULL;
    json_decref(rows);
    if (nrows == 0)
        return 0;
    if (!body)
        return SB_KB_EDB;
    const char *p[] = {body};
    int rc = sb_pg_exec(pg, kb_store_sql, 1, p) == 0 ? 0 : SB_KB_EDB;
    free(body);
    return rc;
}

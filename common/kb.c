/* kb.c - the knowledge base's writes (kb.h): archive and merge, a supervisor's edits, publish,
 * retire, usage, and the review flags. Reads are in kb_search.c. */
#include "common/kb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ids.h"
#include "common/kb_terms.h"
#include "common/log.h"

/* How many same-category articles, best ranked first, archive compares a resolution with. */
#define KB_MERGE_CANDIDATES 5
/* Terms of a resolution that pick those candidates (the share is then measured on all). */
#define KB_MERGE_QUERY_TERMS 64
/* A merged draft gets the new solution appended unless this share of its terms is there. */
#define KB_APPEND_BELOW 0.9
/* Between a draft's solution and one appended to it. */
#define KB_APPEND_SEP "\n\n---\n"
/* An empty title is the solution's start, this many bytes at most. */
#define KB_TITLE_FROM_SOLUTION 80

#define KB_STR_(x) #x
#define KB_STR(x)  KB_STR_(x)

/* An article's content as archive and edit write it; strings are NUL-terminated and owned by
 * whoever filled the struct. */
typedef struct kb_fields {
    const char *title, *category, *subtopic, *solution;   /* subtopic NULL: none */
    json_t     *tags;                                     /* array of strings */
} kb_fields;

/* Length of s cut to at most max bytes on a UTF-8 character boundary. */
static size_t kb_cut(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max)
        return n;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return max;
}

/* s without surrounding ASCII whitespace, cut to max bytes: a new malloc'd string. */
static char *kb_clean(const char *s, size_t max)
{
    if (!s)
        s = "";
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    size_t n = kb_cut(s, max);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        n--;
    char *out = malloc(n + 1);
    if (out) {
        memcpy(out, s, n);
        out[n] = '\0';
    }
    return out;
}

/* A title for a ticket that had none: the solution's first line, cut. */
static char *kb_title_from(const char *title, const char *solution)
{
    char *t = kb_clean(title, SB_KB_TITLE_MAX);
    if (!t || *t)
        return t;
    free(t);
    char line[KB_TITLE_FROM_SOLUTION + 1];
    size_t n = strcspn(solution, "\r\n");
    if (n > KB_TITLE_FROM_SOLUTION)
        n = KB_TITLE_FROM_SOLUTION;
    snprintf(line, sizeof(line), "%.*s", (int)n, solution);
    line[kb_cut(line, KB_TITLE_FROM_SOLUTION)] = '\0';
    return kb_clean(line, SB_KB_TITLE_MAX);
}

/* Adds tag to the array (tags as stored: trimmed, ASCII lower-cased, cut, no repeats, at most
 * SB_KB_TAGS_MAX). */
static void kb_tag_add(json_t *tags, const char *tag)
{
    char *t = kb_clean(tag, SB_KB_TAG_MAX);
    if (!t)
        return;
    for (char *c = t; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    size_t i;
    json_t *v;
    int seen = 0;
    json_array_foreach(tags, i, v)
        seen |= strcmp(json_string_value(v), t) == 0;
    if (*t && !seen && json_array_size(tags) < SB_KB_TAGS_MAX)
        json_array_append_new(tags, json_string(t));   /* NULL (not UTF-8) is not appended */
    free(t);
}

/* The tags of a JSON array (an article's, as stored) followed by the given ones, cleaned. */
static json_t *kb_tags_union(const json_t *have, const char *const *more, size_t nmore)
{
    json_t *tags = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(have, i, v)
        if (json_is_string(v))
            kb_tag_add(tags, json_string_value(v));
    for (size_t k = 0; k < nmore; k++)
        if (more[k])
            kb_tag_add(tags, more[k]);
    return tags;
}

/* The tags as a PostgreSQL array literal; caller frees. */
static char *kb_tags_literal(const json_t *tags)
{
    size_t n = json_array_size(tags);
    const char **items = calloc(n ? n : 1, sizeof(*items));
    if (!items)
        return NULL;
    for (size_t i = 0; i < n; i++)
        items[i] = json_string_value(json_array_get(tags, i));
    char *lit = sb_pg_array_literal(items, n);
    free(items);
    return lit;
}

/* The terms of the tags, space-separated, into out. */
static void kb_tag_terms(const json_t *tags, sb_kb_buf *out)
{
    size_t i;
    json_t *v;
    json_array_foreach(tags, i, v)
        sb_kb_doc_terms(json_string_value(v), json_string_length(v), out);
}

/* Writes f: a new draft from ticket (id 0), or article id updated (ticket, when not NULL,
 * joins its sources). The search vector is rebuilt from the fields' terms and the article's
 * new latin words join kb_vocab (no key there: writers never wait on each other). *out_id
 * (may be NULL) gets the id. 0 or SB_KB_EDB. */
static int kb_write(sb_pg *pg, int64_t id, const kb_fields *f, const char *ticket, int64_t *out_id)
{
#define KB_VOCAB_CTE \
    "WITH vocab AS (INSERT INTO kb_vocab (term)" \
    "  SELECT DISTINCT t FROM unnest(string_to_array($7 || ' ' || $8 || ' ' || $9, ' ')) t" \
    "  WHERE t ~ '^[a-z]{4,}$' AND NOT EXISTS (SELECT 1 FROM kb_vocab v WHERE v.term = t)) "
    static const char insert_sql[] = KB_VOCAB_CTE
        "INSERT INTO kb_articles"
        "  (title, category, subtopic, tags, solution, source_tickets, search)"
        " VALUES ($1, $2, $3, $4::text[], $5, ARRAY[$6::uuid], kb_vector($7, $8, $9))"
        " RETURNING id";
    static const char update_sql[] = KB_VOCAB_CTE
        "UPDATE kb_articles SET title = $1, category = $2, subtopic = $3, tags = $4::text[],"
        "  solution = $5, search = kb_vector($7, $8, $9), updated_at = now(),"
        "  source_tickets = CASE WHEN $6::uuid IS NULL OR source_tickets @> ARRAY[$6::uuid]"
        "                   THEN source_tickets ELSE source_tickets || $6::uuid END"
        " WHERE id = $10 RETURNING id";
#undef KB_VOCAB_CTE
    sb_kb_buf title = {0}, tags = {0}, solution = {0};
    sb_kb_doc_terms(f->title, strlen(f->title), &title);
    kb_tag_terms(f->tags, &tags);
    sb_kb_doc_terms(f->solution, strlen(f->solution), &solution);
    char *tag_lit = kb_tags_literal(f->tags);
    char idbuf[24];
    snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
    int rc = SB_KB_EDB;
    if (tag_lit && !title.oom && !tags.oom && !solution.oom) {
        const char *p[] = {f->title, f->category, f->subtopic, tag_lit, f->solution, ticket,
                           sb_kb_buf_str(&title), sb_kb_buf_str(&tags), sb_kb_buf_str(&solution),
                           idbuf};
        PGresult *res = sb_pg_query(pg, id ? update_sql : insert_sql, id ? 10 : 9, p);
        if (res && PQntuples(res) == 1) {
            if (out_id)
                *out_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
            rc = 0;
        } else if (res) {
            rc = SB_KB_ENOTFOUND;
        }
        PQclear(res);
    }
    free(tag_lit);
    sb_kb_buf_free(&title);
    sb_kb_buf_free(&tags);
    sb_kb_buf_free(&solution);
    return rc;
}

/* Whether category is one and subtopic (NULL: none) is one of it: 0, SB_KB_ECATEGORY,
 * SB_KB_ESUBTOPIC or SB_KB_EDB. */
static int kb_check_category(sb_pg *pg, const char *category, const char *subtopic)
{
    const char *p[] = {category, subtopic};
    PGresult *res = sb_pg_query(pg,
        "SELECT EXISTS (SELECT 1 FROM categories WHERE id = $1),"
        "       $2::text IS NULL"
        "       OR EXISTS (SELECT 1 FROM subtopics WHERE category = $1 AND id = $2)",
        2, p);
    if (!res)
        return SB_KB_EDB;
    int rc = PQgetvalue(res, 0, 0)[0] != 't' ? SB_KB_ECATEGORY
           : PQgetvalue(res, 0, 1)[0] != 't' ? SB_KB_ESUBTOPIC : 0;
    PQclear(res);
    return rc;
}

/* ------------------------------------------------------------------------------ archive */

/* A resolution being archived: its fields and the distinct terms that measure likeness. */
typedef struct kb_resolution {
    kb_fields  f;
    char      *title, *solution;   /* owned, cleaned */
    sb_kb_set  terms;              /* title + tags + solution */
    sb_kb_buf  query;              /* the first KB_MERGE_QUERY_TERMS of them */
} kb_resolution;

/* The distinct terms of an article's (or resolution's) title, tags and solution into set. */
static void kb_likeness_terms(const char *title, const json_t *tags, const char *solution,
                              sb_kb_set *set)
{
    sb_kb_set_init(set, 0);
    sb_kb_distinct_terms(title, strlen(title), set, NULL);
    size_t i;
    json_t *v;
    json_array_foreach(tags, i, v)
        sb_kb_distinct_terms(json_string_value(v), json_string_length(v), set, NULL);
    sb_kb_distinct_terms(solution, strlen(solution), set, NULL);
}

/* The candidate chosen for a merge. */
typedef struct kb_match {
    int64_t id;         /* 0: none reached the threshold */
    double  share;      /* of the resolution's terms the best candidate has (logged) */
    int     row;        /* in the candidates result */
} kb_match;

/* Columns of kb_candidates_sql. */
enum { KC_ID, KC_TITLE, KC_SOLUTION, KC_TAGS, KC_STATUS, KC_SUBTOPIC };

/* Drafts and published articles of the category (and of the sub-topic, when both have one)
 * that share terms with the resolution, best ranked first, locked: a concurrent edit or
 * merge waits for the caller's commit. */
static const char kb_candidates_sql[] =
    "SELECT a.id, a.title, a.solution, to_json(a.tags)::text, a.status, a.subtopic"
    " FROM kb_articles a"
    " WHERE a.category = $1 AND a.status IN ('draft', 'published')"
    "   AND ($2::text IS NULL OR a.subtopic IS NULL OR a.subtopic = $2)"
    "   AND a.search @@ kb_query($3)"
    " ORDER BY kb_rank(a.search, kb_query($3)) DESC, a.id"
    " LIMIT " KB_STR(KB_MERGE_CANDIDATES) " FOR UPDATE";

/* The most alike candidate, chosen (id set) when its share reaches SB_KB_MERGE_SHARE. */
static kb_match kb_best_candidate(const PGresult *res, const kb_resolution *r)
{
    kb_match best = {0, 0.0, -1};
    for (int row = 0; row < PQntuples(res) && r->terms.n; row++) {
        json_t *tags = json_loads(PQgetvalue(res, row, KC_TAGS), 0, NULL);
        sb_kb_set have;
        kb_likeness_terms(PQgetvalue(res, row, KC_TITLE), tags, PQgetvalue(res, row, KC_SOLUTION),
                          &have);
        double share = (double)sb_kb_set_common(&r->terms, &have) / (double)r->terms.n;
        sb_kb_set_free(&have);
        json_decref(tags);
        if (share <= best.share)
            continue;
        best.share = share;
        if (share >= SB_KB_MERGE_SHARE) {
            best.id = strtoll(PQgetvalue(res, row, KC_ID), NULL, 10);
            best.row = row;
        }
    }
    return best;
}

/* Merges the resolution into the candidate row m of res: tags united; a draft's solution gets
 * the new one appended when it adds terms and fits; a published text stays. */
static int kb_merge(sb_pg *pg, const PGresult *res, kb_match m, const kb_resolution *r,
                    const char *ticket)
{
    json_t *have = json_loads(PQgetvalue(res, m.row, KC_TAGS), 0, NULL);
    json_t *tags = kb_tags_union(have, NULL, 0);
    size_t i;
    json_t *v;
    json_array_foreach(r->f.tags, i, v)
        kb_tag_add(tags, json_string_value(v));
    json_decref(have);
    const char *solution = PQgetvalue(res, m.row, KC_SOLUTION);
    sb_kb_buf merged = {0};
    sb_kb_buf_add(&merged, solution, strlen(solution));
    if (strcmp(PQgetvalue(res, m.row, KC_STATUS), "draft") == 0 && m.share < KB_APPEND_BELOW &&
        merged.len + strlen(KB_APPEND_SEP) + strlen(r->solution) <= SB_KB_SOLUTION_MAX) {
        sb_kb_buf_add(&merged, KB_APPEND_SEP, strlen(KB_APPEND_SEP));
        sb_kb_buf_add(&merged, r->solution, strlen(r->solution));
    }
    kb_fields f = {PQgetvalue(res, m.row, KC_TITLE), r->f.category,
                   PQgetisnull(res, m.row, KC_SUBTOPIC) ? r->f.subtopic
                                                        : PQgetvalue(res, m.row, KC_SUBTOPIC),
                   sb_kb_buf_str(&merged), tags};
    int rc = merged.oom ? SB_KB_EDB : kb_write(pg, m.id, &f, ticket, NULL);
    sb_kb_buf_free(&merged);
    json_decref(tags);
    return rc;
}

/* Takes the archive locks (this ticket, then this category: always in that order, so two
 * archives never wait on each other in a circle) and looks for an earlier archive of the
 * ticket: its article id, 0 when none, or SB_KB_EDB. */
static int64_t kb_archive_lock(sb_pg *pg, const char *ticket, const char *category)
{
    static const char lock_sql[] =
        "SELECT pg_advisory_xact_lock(hashtextextended('kb.archive.' || $1 || ':' || $2, 0))";
    const char *ticket_lock[] = {"ticket", ticket}, *category_lock[] = {"category", category};
    if (sb_pg_exec(pg, lock_sql, 2, ticket_lock) != 0 ||
        sb_pg_exec(pg, lock_sql, 2, category_lock) != 0)
        return SB_KB_EDB;
    const char *p[] = {ticket};
    PGresult *res = sb_pg_query(pg,
        "SELECT coalesce(min(id), 0) FROM kb_articles WHERE source_tickets @> ARRAY[$1::uuid]",
        1, p);
    if (!res)
        return SB_KB_EDB;
    int64_t id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return id;
}

/* Cleans the inputs into r; 0, or SB_KB_EINPUT when nothing is left to archive. */
static int kb_resolution_init(kb_resolution *r, const char *title, const char *category,
                              const char *subtopic, const char *const *tags, size_t ntags,
                              const char *solution)
{
    memset(r, 0, sizeof(*r));
    r->solution = kb_clean(solution, SB_KB_SOLUTION_MAX);
    r->title = r->solution ? kb_title_from(title, r->solution) : NULL;
    r->f.tags = kb_tags_union(NULL, tags, ntags);
    if (!r->solution || !r->title || !*r->solution || !*r->title)
        return SB_KB_EINPUT;
    r->f.title = r->title;
    r->f.solution = r->solution;
    r->f.category = category;
    r->f.subtopic = subtopic && *subtopic ? subtopic : NULL;
    kb_likeness_terms(r->title, r->f.tags, r->solution, &r->terms);
    /* The candidate query: the first distinct terms, in text order. */
    for (size_t i = 0; i < r->terms.n && i < KB_MERGE_QUERY_TERMS; i++) {
        if (i)
            sb_kb_buf_add(&r->query, " ", 1);
        sb_kb_buf_add(&r->query, r->terms.items[i], strlen(r->terms.items[i]));
    }
    return r->terms.oom || r->query.oom ? SB_KB_EDB : 0;
}

static void kb_resolution_free(kb_resolution *r)
{
    free(r->title);
    free(r->solution);
    json_decref(r->f.tags);
    sb_kb_set_free(&r->terms);
    sb_kb_buf_free(&r->query);
}

int sb_kb_archive(sb_pg *pg, const char *ticket_id, const char *title, const char *category,
                  const char *subtopic, const char *const *tags, size_t ntags,
                  const char *solution, int64_t *article_id, int *merged)
{
    if (!ticket_id || !sb_uuid_valid(ticket_id) || !category)
        return SB_KB_EINPUT;
    kb_resolution r;
    int rc = kb_resolution_init(&r, title, category, subtopic, tags, ntags, solution);
    if (rc == 0)
        rc = kb_check_category(pg, category, NULL);
    if (rc == 0 && r.f.subtopic && kb_check_category(pg, category, r.f.subtopic) != 0)
        r.f.subtopic = NULL;   /* an unknown sub-topic is not worth losing the solution */
    int64_t before = rc == 0 ? kb_archive_lock(pg, ticket_id, category) : 0;
    if (rc == 0 && before < 0)
        rc = (int)before;
    if (rc == 0 && before > 0) {
        *article_id = before;
        *merged = SB_KB_ARCHIVED;
    } else if (rc == 0) {
        const char *p[] = {category, r.f.subtopic, sb_kb_buf_str(&r.query)};
        PGresult *res = sb_pg_query(pg, kb_candidates_sql, 3, p);
        kb_match m = res ? kb_best_candidate(res, &r) : (kb_match){0, 0.0, -1};
        if (!res)
            rc = SB_KB_EDB;
        else if (m.id)
            rc = kb_merge(pg, res, m, &r, ticket_id);
        else
            rc = kb_write(pg, 0, &r.f, ticket_id, article_id);
        if (rc == 0) {
            *merged = m.id ? SB_KB_MERGED : SB_KB_NEW_DRAFT;
            if (m.id)
                *article_id = m.id;
            sb_info("kb_archive", "ticket %s %s article %lld (share %.2f)", ticket_id,
                    m.id ? "merged into" : "became draft", (long long)*article_id, m.share);
        }
        PQclear(res);
    }
    kb_resolution_free(&r);
    return rc;
}

/* --------------------------------------------------------------------------------- edit */

/* Columns of the row edit reads. */
enum { KE_TITLE, KE_CATEGORY, KE_SUBTOPIC, KE_SOLUTION, KE_TAGS, KE_STATUS };

/* The sub-topic an edit leaves: the one given ("" = none), else the current one unless the
 * category changed to one it does not belong to (checked by the caller's query). */
static const char *kb_edit_subtopic(const sb_kb_edit *e, const PGresult *cur, int still_valid)
{
    if (e->subtopic)
        return *e->subtopic ? e->subtopic : NULL;
    if (PQgetisnull(cur, 0, KE_SUBTOPIC) || !still_valid)
        return NULL;
    return PQgetvalue(cur, 0, KE_SUBTOPIC);
}

/* Validates and writes an edit of the locked draft row cur. */
static int kb_edit_apply(sb_pg *pg, int64_t id, const sb_kb_edit *e, const PGresult *cur)
{
    const char *category = e->category ? e->category : PQgetvalue(cur, 0, KE_CATEGORY);
    int rc = kb_check_category(pg, category, NULL);
    if (rc != 0)
        return rc;
    int kept_valid = e->subtopic || PQgetisnull(cur, 0, KE_SUBTOPIC) ||
                     kb_check_category(pg, category, PQgetvalue(cur, 0, KE_SUBTOPIC)) == 0;
    const char *subtopic = kb_edit_subtopic(e, cur, kept_valid);
    if (subtopic && (rc = kb_check_category(pg, category, subtopic)) != 0)
        return rc;
    char *title = kb_clean(e->title ? e->title : PQgetvalue(cur, 0, KE_TITLE), SB_KB_TITLE_MAX);
    char *solution = kb_clean(e->solution ? e->solution : PQgetvalue(cur, 0, KE_SOLUTION),
                              SB_KB_SOLUTION_MAX);
    json_t *have = e->set_tags ? NULL : json_loads(PQgetvalue(cur, 0, KE_TAGS), 0, NULL);
    json_t *tags = kb_tags_union(have, e->set_tags ? e->tags : NULL, e->set_tags ? e->ntags : 0);
    json_decref(have);
    if (!title || !solution)
        rc = SB_KB_EDB;
    else if (!*title || !*solution)
        rc = SB_KB_EINPUT;
    else
        rc = kb_write(pg, id, &(kb_fields){title, category, subtopic, solution, tags}, NULL, NULL);
    free(title);
    free(solution);
    json_decref(tags);
    return rc;
}

int sb_kb_edit_draft(sb_pg *pg, int64_t id, const sb_kb_edit *e)
{
    char idbuf[24];
    snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
    const char *p[] = {idbuf};
    PGresult *cur = sb_pg_query(pg,
        "SELECT title, category, subtopic, solution, to_json(tags)::text, status"
        " FROM kb_articles WHERE id = $1 FOR UPDATE", 1, p);
    if (!cur)
        return SB_KB_EDB;
    int rc = PQntuples(cur) != 1                                ? SB_KB_ENOTFOUND
           : strcmp(PQgetvalue(cur, 0, KE_STATUS), "draft") != 0 ? SB_KB_ESTATUS
                                                                 : kb_edit_apply(pg, id, e, cur);
    PQclear(cur);
    return rc;
}

/* ------------------------------------------------------------------------------- status */

/* Runs a status change whose statement returns the previous status. */
static int kb_status_change(sb_pg *pg, const char *sql, int64_t id, const char *by, char prev[16])
{
    char idbuf[24];
    snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
    const char *p[] = {idbuf, by};
    PGresult *res = sb_pg_query(pg, sql, by ? 2 : 1, p);
    if (!res)
        return SB_KB_EDB;
    int rc = PQntuples(res) == 1 ? 0 : SB_KB_ENOTFOUND;
    if (rc == 0 && prev)
        snprintf(prev, 16, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return rc;
}

int sb_kb_publish(sb_pg *pg, int64_t id, const char *by, char prev[16])
{
    /* Publishing a published article confirms its review: it keeps its first publication. */
    return kb_status_change(pg,
        "UPDATE kb_articles a SET status = 'published', review_reasons = '{}', flagged_at = NULL,"
        "  reviewed_at = now(), updated_at = now(),"
        "  published_at = CASE WHEN old.status = 'published' THEN a.published_at ELSE now() END,"
        "  published_by = CASE WHEN old.status = 'published' THEN a.published_by ELSE $2 END"
        " FROM (SELECT id, status FROM kb_articles WHERE id = $1 FOR UPDATE) old"
        " WHERE a.id = old.id RETURNING old.status",
        id, by ? by : "", prev);
}

int sb_kb_retire(sb_pg *pg, int64_t id, char prev[16])
{
    /* A retired article needs no review: retiring is the review's outcome. */
    return kb_status_change(pg,
        "UPDATE kb_articles a SET status = 'retired', review_reasons = '{}', flagged_at = NULL,"
        "  updated_at = now()"
        " FROM (SELECT id, status FROM kb_articles WHERE id = $1 FOR UPDATE) old"
        " WHERE a.id = old.id RETURNING old.status",
        id, NULL, prev);
}

/* -------------------------------------------------------------------------------- usage */

int sb_kb_record_use(sb_pg *pg, int64_t id, const char *ticket_id, const char *agent,
                     int *counted)
{
    if (!ticket_id || !sb_uuid_valid(ticket_id))
        return SB_KB_EINPUT;
    char idbuf[24];
    snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
    const char *p[] = {idbuf, ticket_id, agent ? agent : ""};
    /* The usage row is the count's idempotency key: a second use on the ticket inserts
     * nothing, so the counter does not move. */
    PGresult *res = sb_pg_query(pg,
        "WITH a AS (SELECT id, status FROM kb_articles WHERE id = $1),"
        " used AS (INSERT INTO kb_usage (article_id, ticket_id, agent)"
        "          SELECT id, $2::uuid, $3 FROM a WHERE status = 'published'"
        "          ON CONFLICT DO NOTHING RETURNING article_id),"
        " counted AS (UPDATE kb_articles k SET times_used = k.times_used + 1, last_used = now(),"
        "               review_reasons = array_remove(k.review_reasons, 'unused'),"
        "               flagged_at = CASE WHEN array_remove(k.review_reasons, 'unused') = '{}'"
        "                            THEN NULL ELSE k.flagged_at END"
        "             FROM used WHERE k.id = used.article_id RETURNING k.id)"
        " SELECT (SELECT status FROM a), (SELECT count(*) FROM counted)",
        3, p);
    if (!res)
        return SB_KB_EDB;
    int rc = PQgetisnull(res, 0, 0) ? SB_KB_ENOTFOUND
           : strcmp(PQgetvalue(res, 0, 0), "published") != 0 ? SB_KB_ESTATUS : 0;
    if (counted)
        *counted = rc == 0 && strcmp(PQgetvalue(res, 0, 1), "1") == 0;
    PQclear(res);
    return rc;
}

/* ------------------------------------------------------------------------------- review */

/* Runs a flagging statement with its one parameter; *flagged (may be NULL) gets the number of
 * articles it flagged. 0 or SB_KB_EDB. */
static int kb_flag(sb_pg *pg, const char *sql, const char *param, int *flagged)
{
    const char *p[] = {param};
    PGresult *res = sb_pg_query(pg, sql, 1, p);
    if (flagged)
        *flagged = res ? atoi(PQcmdTuples(res)) : 0;
    if (!res)
        return SB_KB_EDB;
    PQclear(res);
    return 0;
}

/* Adds reason r to an article's review reasons (once) and starts its flag time. */
#define KB_FLAG_SET(r) \
    " SET review_reasons = a.review_reasons || '" r "'::text," \
    "     flagged_at = coalesce(a.flagged_at, now())"

int sb_kb_review_scan(sb_pg *pg, int stale_days, int *flagged)
{
    char days[16];
    snprintf(days, sizeof(days), "%d", stale_days);
    int n = 0;
    /* Unused: nothing happened to it (published, used, reviewed) for stale_days. A changed
     * category is flagged when it happens (sb_kb_category_changed), not here: once a reviewer
     * has confirmed the article, the same old reclassification must not flag it again. */
    int rc = kb_flag(pg,
        "UPDATE kb_articles a" KB_FLAG_SET("unused")
        " WHERE a.status = 'published' AND NOT 'unused' = ANY (a.review_reasons)"
        "   AND greatest(a.published_at, a.last_used, a.reviewed_at)"
        "       < now() - make_interval(days => $1::int)",
        days, &n);
    if (flagged)
        *flagged = n;
    if (rc == 0 && n > 0)
        sb_info("kb_review", "flagged %d article(s) for review", n);
    return rc;
}

int sb_kb_category_changed(sb_pg *pg, const char *ticket_id, int *flagged)
{
    if (!ticket_id || !sb_uuid_valid(ticket_id))
        return SB_KB_EINPUT;
    return kb_flag(pg,
        "UPDATE kb_articles a" KB_FLAG_SET("category_changed")
        " FROM tickets t"
        " WHERE t.id = $1::uuid AND a.source_tickets @> ARRAY[t.id] AND a.status <> 'retired'"
        "   AND t.category IS DISTINCT FROM a.category"
        "   AND NOT 'category_changed' = ANY (a.review_reasons)",
        ticket_id, flagged);
}

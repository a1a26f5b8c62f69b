/* kb_search.c - the knowledge base's reads (kb.h): search, one article, the review list. */
#include "common/kb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/kb_terms.h"

/* Distinct terms of a search query. */
#define KB_SEARCH_TERMS 64
/* How much of the solution a search result shows, in characters. */
#define KB_SNIPPET_CHARS "160"

/* A timestamptz as the APIs write times: RFC 3339 UTC with milliseconds. */
#define KB_ISO(col) "to_char((" col ") AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/* What every article listing shows (json_build_object pairs over kb_articles a). */
#define KB_SUMMARY_FIELDS \
    "'id', a.id, 'title', a.title, 'category', a.category, 'subtopic', a.subtopic," \
    " 'tags', a.tags, 'status', a.status, 'times_used', a.times_used," \
    " 'last_used', " KB_ISO("a.last_used") ", 'needs_review', a.needs_review," \
    " 'updated_at', " KB_ISO("a.updated_at")

/* Its review state and history, for one article and the review list. review_due is when the
 * unused rule flags a published article that nothing happens to ($2 days). */
#define KB_REVIEW_FIELDS \
    "'review_reasons', a.review_reasons, 'flagged_at', " KB_ISO("a.flagged_at") "," \
    " 'reviewed_at', " KB_ISO("a.reviewed_at") "," \
    " 'review_due', CASE WHEN a.status = 'published' THEN " \
    KB_ISO("greatest(a.published_at, a.last_used, a.reviewed_at)" \
           " + make_interval(days => $2::int)") " END," \
    " 'sources', cardinality(a.source_tickets), 'created_at', " KB_ISO("a.created_at") "," \
    " 'published_at', " KB_ISO("a.published_at") ", 'published_by', a.published_by"

/* limit clamped to 1..SB_KB_LIMIT_MAX, as a parameter into out (16 bytes). */
static const char *kb_limit(int limit, char out[16])
{
    snprintf(out, 16, "%d", limit < 1 ? 1 : limit > SB_KB_LIMIT_MAX ? SB_KB_LIMIT_MAX : limit);
    return out;
}

/* Runs sql, whose one row and column is JSON text, into *out. 0, SB_KB_ENOTFOUND (no row) or
 * SB_KB_EDB. */
static int kb_json_query(sb_pg *pg, const char *sql, int n, const char *const *p, json_t **out)
{
    PGresult *res = sb_pg_query(pg, sql, n, p);
    if (!res)
        return SB_KB_EDB;
    int rc = SB_KB_ENOTFOUND;
    if (PQntuples(res) == 1) {
        *out = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
        rc = *out ? 0 : SB_KB_EDB;
    }
    PQclear(res);
    return rc;
}

/* -------------------------------------------------------------------------------- search */

/* Best first. Query words the articles never use are corrected to their nearest article
 * words first (kb_query_terms_fixed, trigram similarity), so a typo still finds. */
static const char kb_search_sql[] =
    "SELECT coalesce(json_agg(x.j ORDER BY x.score DESC, x.id), '[]')::text FROM ("
    "  SELECT a.id, r.score, json_build_object(" KB_SUMMARY_FIELDS ","
    "         'snippet', left(a.solution, " KB_SNIPPET_CHARS "),"
    "         'score', round(r.score::numeric, 4)) AS j"
    "  FROM (SELECT kb_query(kb_query_terms_fixed($1)) AS q OFFSET 0) q"
    "  JOIN kb_articles a ON a.search @@ q.q"
    "  CROSS JOIN LATERAL (SELECT kb_rank(a.search, q.q) AS score) r"
    "  WHERE ($2::text IS NULL OR a.category = $2) AND ($3 = 'all' OR a.status = $3)"
    "  ORDER BY r.score DESC, a.id LIMIT $4::int) x";

/* Without a query: newest first. */
static const char kb_list_sql[] =
    "SELECT coalesce(json_agg(x.j ORDER BY x.updated_at DESC, x.id DESC), '[]')::text FROM ("
    "  SELECT a.id, a.updated_at, json_build_object(" KB_SUMMARY_FIELDS ","
    "         'snippet', left(a.solution, " KB_SNIPPET_CHARS "), 'score', NULL) AS j"
    "  FROM kb_articles a"
    "  WHERE ($1::text IS NULL OR a.category = $1) AND ($2 = 'all' OR a.status = $2)"
    "  ORDER BY a.updated_at DESC, a.id DESC LIMIT $3::int) x";

int sb_kb_search(sb_pg *pg, const char *q, const char *category, const char *status, int limit,
                 json_t **out)
{
    char lim[16];
    kb_limit(limit, lim);
    sb_kb_set set;
    sb_kb_buf terms = {0};
    sb_kb_set_init(&set, KB_SEARCH_TERMS);
    if (q && *q)
        sb_kb_distinct_terms(q, strnlen(q, SB_KB_QUERY_MAX), &set, &terms);
    sb_kb_set_free(&set);
    if (terms.oom) {
        sb_kb_buf_free(&terms);
        return SB_KB_EDB;
    }
    int rc;
    if (q && *q && terms.len == 0) {   /* nothing searchable in it (punctuation, stopwords) */
        *out = json_array();
        rc = *out ? 0 : SB_KB_EDB;
    } else {
        const char *p[] = {terms.len ? terms.p : NULL, category, status ? status : "published",
                           lim};
        rc = terms.len ? kb_json_query(pg, kb_search_sql, 4, p, out)
                       : kb_json_query(pg, kb_list_sql, 3, p + 1, out);
    }
    sb_kb_buf_free(&terms);
    return rc;
}

/* ----------------------------------------------------------------------- one, the review */

int sb_kb_get(sb_pg *pg, int64_t id, int with_sources, json_t **out)
{
    char idbuf[24], days[16];
    snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
    snprintf(days, sizeof(days), "%d", SB_KB_STALE_DAYS);
    const char *p[] = {idbuf, days, with_sources ? "t" : "f"};
    int rc = kb_json_query(pg,
        "SELECT json_build_object(" KB_SUMMARY_FIELDS ", 'solution', a.solution, "
        KB_REVIEW_FIELDS ","
        " 'source_tickets', CASE WHEN $3::bool THEN"
        "   (SELECT coalesce(json_agg(t.number ORDER BY t.created_at, t.number), '[]')"
        "    FROM tickets t WHERE t.id = ANY (a.source_tickets)) END)::text"
        " FROM kb_articles a WHERE a.id = $1::bigint",
        3, p, out);
    if (rc == 0 && !with_sources)
        json_object_del(*out, "source_tickets");   /* numbers of other departments' tickets */
    return rc;
}

int sb_kb_review_list(sb_pg *pg, int limit, json_t **out)
{
    char lim[16], days[16];
    kb_limit(limit, lim);
    snprintf(days, sizeof(days), "%d", SB_KB_STALE_DAYS);
    const char *p[] = {lim, days};
    return kb_json_query(pg,
        "SELECT coalesce(json_agg(x.j ORDER BY x.flagged_at, x.id), '[]')::text FROM ("
        "  SELECT a.id, a.flagged_at, json_build_object(" KB_SUMMARY_FIELDS ", " KB_REVIEW_FIELDS
        "  ) AS j FROM kb_articles a"
        "  WHERE a.needs_review AND a.status <> 'retired'"
        "  ORDER BY a.flagged_at, a.id LIMIT $1::int) x",
        2, p, out);
}

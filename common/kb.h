/* kb.h - the knowledge base: resolved tickets archived as drafts (similar ones merged),
 * published by supervisors, searched in Chinese and English, suggested for new tickets, counted
 * when used, and flagged for review when stale. classify suggests, desk does the rest.
 *
 * Text becomes terms with common/textfeat (latin words, CJK character bigrams), English
 * stopwords and one-letter words left out; PostgreSQL ranks them (005_knowledge_base.sql). */
#ifndef SB_KB_H
#define SB_KB_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "common/pg.h"

#define SB_KB_TITLE_MAX      200    /* bytes; longer titles are cut on a character */
#define SB_KB_SOLUTION_MAX   8000   /* bytes; a merge appends only while it fits */
#define SB_KB_TAGS_MAX       20     /* tags per article (more are dropped) */
#define SB_KB_TAG_MAX        40     /* bytes per tag */
#define SB_KB_QUERY_MAX      1000   /* bytes of a search query */
#define SB_KB_LIMIT_MAX      100    /* results per search */
#define SB_KB_SUGGESTIONS    3      /* stored per new ticket */
#define SB_KB_STALE_DAYS     90     /* a published article unused this long is flagged */

/* Merge threshold: a new resolution joins an existing article of its category when at least
 * this share of its distinct terms (title + solution) are already the article's. */
#define SB_KB_MERGE_SHARE    0.6

/* Results besides 0 (done). */
enum {
    SB_KB_EDB       = -1,   /* a statement failed: the caller's transaction is aborted */
    SB_KB_ENOTFOUND = -2,   /* no such article */
    SB_KB_ESTATUS   = -3,   /* the article's status does not allow it */
    SB_KB_ECATEGORY = -4,   /* not a category */
    SB_KB_ESUBTOPIC = -5,   /* not a sub-topic of the category */
    SB_KB_EINPUT    = -6,   /* ticket id not a UUID, or nothing to archive */
};

/* What sb_kb_archive did (its *merged). */
enum {
    SB_KB_NEW_DRAFT = 0,    /* a new draft was written */
    SB_KB_MERGED    = 1,    /* joined an existing draft or published article */
    SB_KB_ARCHIVED  = 2,    /* this ticket was archived before: nothing changed */
};

/* Inside the caller's transaction (desk's resolve): turns a resolved ticket's solution into
 * knowledge. When a draft or published article of the same category shares at least
 * SB_KB_MERGE_SHARE of the new title + solution terms, the ticket joins it (its id added to
 * source_tickets, tags united; a draft also gets the solution appended when it adds terms, a
 * published article's text is left to its reviewer); otherwise a new draft. Archiving the same
 * ticket again changes nothing (SB_KB_ARCHIVED). An empty title takes the solution's start; an
 * unknown subtopic is dropped. Concurrent archives of one category are serialised (advisory
 * lock until the caller commits) so similar ones merge rather than race. 0 with *article_id and
 * *merged set, or SB_KB_EINPUT, SB_KB_ECATEGORY, SB_KB_EDB. */
int sb_kb_archive(sb_pg *pg, const char *ticket_id, const char *title, const char *category,
                  const char *subtopic, const char *const *tags, size_t ntags,
                  const char *solution, int64_t *article_id, int *merged);

/* One new ticket to suggest articles for. */
typedef struct sb_kb_query {
    const char *ticket_id;   /* the ticket's UUID (items with another value are skipped) */
    const char *text;        /* what the customer wrote */
    const char *category;    /* the ticket's category (NULL: none): its articles rank x1.5 */
    const char *subtopic;    /* NULL or its sub-topic: the sub-topic's articles rank x2 */
} sb_kb_query;

/* The published articles' terms in memory, for classify's batches (one per process). Ranking
 * there is the same as kb_rank() in PostgreSQL (ts_rank, title A / tags B / solution C, length
 * normalised), times the classification's boost. */
typedef struct sb_kb_suggester sb_kb_suggester;

sb_kb_suggester *sb_kb_suggester_new(void);   /* NULL when out of memory; loads on first use */
void             sb_kb_suggester_free(sb_kb_suggester *sg);
/* Loads the published articles now (kb_meta's revision with them). 0 or SB_KB_EDB. */
int              sb_kb_suggester_load(sb_pg *pg, sb_kb_suggester *sg);

/* Inside the caller's transaction (classify's batch): stores the top SB_KB_SUGGESTIONS
 * published articles of each ticket in ticket_suggestions, in one statement for the whole
 * batch. Before ranking, reloads the articles when kb_meta's revision moved (looked at once a
 * second at most, reloaded at most every 10 s: a published change reaches suggestions within
 * about 10 s). A ticket that has suggestions keeps them (replays change nothing); a ticket id
 * that is not a UUID or has no ticket row is skipped, as is an article retired since the
 * load. 0 or SB_KB_EDB. */
int sb_kb_suggest_batch(sb_pg *pg, sb_kb_suggester *sg, const sb_kb_query *items, size_t n);

/* Articles matching q (Chinese or English; latin typos corrected against the articles' own
 * words), best first; q NULL or "" lists them newest first. category NULL for all; status
 * "published" (also for NULL), "draft", "retired" or "all"; limit 1..SB_KB_LIMIT_MAX.
 * *out: a new array of {id,title,category,subtopic,tags,status,snippet,score,times_used,
 * last_used,needs_review,updated_at}. 0 or SB_KB_EDB. */
int sb_kb_search(sb_pg *pg, const char *q, const char *category, const char *status, int limit,
                 json_t **out);

/* One article, *out a new object: the search fields plus solution, sources (count),
 * review_reasons, flagged_at, reviewed_at, review_due, created_at, published_at,
 * published_by, and with with_sources the source ticket numbers (source_tickets).
 * 0, SB_KB_ENOTFOUND or SB_KB_EDB. */
int sb_kb_get(sb_pg *pg, int64_t id, int with_sources, json_t **out);

/* A supervisor's change to a draft; NULL members stay as they are. */
typedef struct sb_kb_edit {
    const char        *title, *solution, *category;
    const char        *subtopic;   /* "" clears it; when only the category changes, a
                                    * sub-topic that is not the new category's is cleared */
    const char *const *tags;       /* with set_tags: the new tags (ntags of them) */
    size_t             ntags;
    int                set_tags;
} sb_kb_edit;

/* Applies e to draft id (search terms rebuilt). 0, SB_KB_ENOTFOUND, SB_KB_ESTATUS (not a
 * draft), SB_KB_ECATEGORY, SB_KB_ESUBTOPIC, SB_KB_EINPUT (empty title or solution) or
 * SB_KB_EDB. */
int sb_kb_edit_draft(sb_pg *pg, int64_t id, const sb_kb_edit *e);

/* Publishes id (a draft, a retired article, or a published one whose review this confirms):
 * review flags cleared, reviewed now by `by`. prev (16 bytes) gets the status it had.
 * 0, SB_KB_ENOTFOUND or SB_KB_EDB. */
int sb_kb_publish(sb_pg *pg, int64_t id, const char *by, char prev[16]);
/* Retires id (no longer searched or suggested). prev as above. 0, SB_KB_ENOTFOUND or
 * SB_KB_EDB. */
int sb_kb_retire(sb_pg *pg, int64_t id, char prev[16]);

/* An agent used published article id on ticket ticket_id: counted once per ticket (*counted 1
 * the first time, 0 after), last_used set, an 'unused' review flag cleared. 0,
 * SB_KB_ENOTFOUND, SB_KB_ESTATUS (not published), SB_KB_EINPUT (ticket id) or SB_KB_EDB. */
int sb_kb_record_use(sb_pg *pg, int64_t id, const char *ticket_id, const char *agent,
                     int *counted);

/* Flags published articles unused (not used, published or reviewed) for stale_days with
 * reason 'unused'; one already flagged so is not counted again. *flagged: how many were
 * flagged now. 0 or SB_KB_EDB. */
int sb_kb_review_scan(sb_pg *pg, int stale_days, int *flagged);
/* After ticket_id was reclassified: flags the articles it was archived into whose category
 * is no longer the ticket's. *flagged (may be NULL): how many. 0, SB_KB_EINPUT or SB_KB_EDB. */
int sb_kb_category_changed(sb_pg *pg, const char *ticket_id, int *flagged);
/* The articles that need review, longest-flagged first: a new array of sb_kb_get objects
 * without solution. 0 or SB_KB_EDB. */
int sb_kb_review_list(sb_pg *pg, int limit, json_t **out);

/* The terms of text as the knowledge base indexes them, space-separated, into out (cap bytes,
 * cut at a term). For tests and tools; returns the length. */
size_t sb_kb_terms(const char *text, char *out, size_t cap);

#endif

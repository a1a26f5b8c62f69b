/* kb_terms.h - the knowledge base's text to terms, and the small containers that carry them;
 * used only by common/kb*.c. */
#ifndef SB_KB_TERMS_H
#define SB_KB_TERMS_H

#include <stddef.h>

/* A growable NUL-terminated string; oom set once an allocation failed (contents then stale). */
typedef struct sb_kb_buf {
    char  *p;
    size_t len, cap;
    int    oom;
} sb_kb_buf;

void        sb_kb_buf_add(sb_kb_buf *b, const char *s, size_t n);
const char *sb_kb_buf_str(const sb_kb_buf *b);   /* "" while empty */
void        sb_kb_buf_free(sb_kb_buf *b);

/* A set of distinct terms in first-seen order, optionally capped. */
typedef struct sb_kb_set {
    char  **items;    /* owned copies, first-seen order */
    size_t  n, cap;
    size_t *slots;    /* open addressing: index + 1 into items, 0 = empty */
    size_t  nslots;   /* a power of two, at least twice n */
    size_t  max;      /* no more terms once n reaches it; 0 = no cap */
    int     oom;
} sb_kb_set;

void sb_kb_set_init(sb_kb_set *s, size_t max);
int  sb_kb_set_has(const sb_kb_set *s, const char *term);
/* The index of term in items, -1 when absent. */
long sb_kb_set_index(const sb_kb_set *s, const char *term);
/* The index of term, added when new; -1 when capped out or out of memory. */
long sb_kb_set_put(sb_kb_set *s, const char *term);
/* How many of a's terms b has too. */
size_t sb_kb_set_common(const sb_kb_set *a, const sb_kb_set *b);
void sb_kb_set_free(sb_kb_set *s);

/* Every term of text in text order (a document: repeats count), each appended to out with a
 * separating space. */
void sb_kb_doc_terms(const char *text, size_t len, sb_kb_buf *out);
/* The distinct terms of text added to set (until its cap); those new to the set also appended
 * to out (NULL: not wanted), space-separated. */
void sb_kb_distinct_terms(const char *text, size_t len, sb_kb_set *set, sb_kb_buf *out);

#endif

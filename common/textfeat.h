/* textfeat.h - text to terms, the same way for the classifier and knowledge-base search:
 * latin words and digit runs lower-cased, Chinese as single characters plus character bigrams,
 * so Chinese works without a word segmenter. */
#ifndef SB_TEXTFEAT_H
#define SB_TEXTFEAT_H

#include <stddef.h>

/* Longest term handed to the callback, in bytes (longer latin words are cut on a character). */
#define SB_TEXTFEAT_TERM_MAX 64

/* Flags choosing which terms are produced. */
enum {
    SB_TEXTFEAT_WORDS    = 1,   /* latin words and digit runs, lower-cased (ASCII folding) */
    SB_TEXTFEAT_CJK_UNI  = 2,   /* each Han / kana / hangul character */
    SB_TEXTFEAT_CJK_BI   = 4,   /* each pair of adjacent such characters */
    SB_TEXTFEAT_ALL      = 7
};

/* Called once per term, in text order; term is NUL-terminated and only valid during the call.
 * Return non-zero to stop. */
typedef int (*sb_textfeat_fn)(void *ctx, const char *term, size_t len);

/* Walks text (UTF-8; invalid bytes act as separators) and emits its terms. Returns the number of
 * terms emitted. */
size_t sb_textfeat_terms(const char *text, size_t len, unsigned flags, sb_textfeat_fn fn, void *ctx);

/* The terms of text joined by single spaces into out (NUL-terminated, cut at a term boundary
 * when out is too small): a document for PostgreSQL's 'simple' text-search configuration.
 * Returns the length written. */
size_t sb_textfeat_join(const char *text, size_t len, unsigned flags, char *out, size_t cap);

/* "zh" when text has a Han, kana or hangul character, else "en": the language a ticket is
 * answered in, for routing to agents who speak it. */
const char *sb_textfeat_language(const char *text, size_t len);
#endif

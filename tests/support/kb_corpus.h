/* kb_corpus.h - knowledge-base articles as a contact centre writes them, in Chinese and
 * English, for the search tests and the suggestion benchmark. */
#ifndef SB_TEST_KB_CORPUS_H
#define SB_TEST_KB_CORPUS_H

#include <stddef.h>

typedef struct sb_kb_sample {
    const char *key;                  /* how tests name it, e.g. "logistics-cn" */
    const char *category, *subtopic;
    const char *title;
    const char *tags[4];              /* NULL-terminated */
    const char *solution;
} sb_kb_sample;

extern const sb_kb_sample sb_kb_corpus[];
extern const size_t       sb_kb_corpus_len;

/* What customers write, one per line of a realistic mix (for the benchmark's tickets). */
extern const char *const sb_kb_customer_texts[];
extern const size_t      sb_kb_customer_texts_len;

#endif

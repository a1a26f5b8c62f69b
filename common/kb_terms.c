/* kb_terms.c - text to knowledge-base terms: common/textfeat's latin words and CJK bigrams,
 * without English stopwords and one-letter words, plus a string buffer and a term set. */
#include "common/kb_terms.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "common/kb.h"
#include "common/textfeat.h"

/* Latin words and CJK bigrams. CJK unigrams are left out, measured on the test corpus
 * (tests/support/kb_corpus.c): with them every query still found the same article first, the
 * few colloquial queries no bigram matched found a wrong article rather than none, and every
 * article shares a character (的, 了, 我) with nearly every ticket, so a suggestion would rank
 * the whole knowledge base instead of the articles the GIN index finds. */
#define KB_TERM_FLAGS (SB_TEXTFEAT_WORDS | SB_TEXTFEAT_CJK_BI)

/* Words too common to tell articles apart: English function words and Chinese bigrams of
 * greetings and question words (怎么 would otherwise tie every "怎么..." title to every question).
 * Sorted by bytes for bsearch; none is longer than 6 bytes. PostgreSQL's ranking has no IDF, so
 * an OR query would otherwise reward articles for sharing "the" or 您好. */
static const char *const kb_stopwords[] = {
    "about", "after", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "been",
    "but", "by", "can", "could", "did", "do", "does", "for", "from", "had", "has", "have", "he",
    "her", "him", "his", "how", "if", "in", "into", "is", "it", "its", "me", "my", "no", "not",
    "of", "on", "or", "our", "please", "she", "so", "than", "that", "the", "their", "them",
    "then", "there", "these", "they", "this", "to", "too", "us", "was", "we", "were", "what",
    "when", "where", "which", "who", "why", "will", "with", "would", "you", "your",
    "一下", "一个", "为什", "什么", "你们", "你好", "可以", "如何", "已经", "怎么", "您好", "我们",
    "我的", "请问", "谢谢", "这个", "那个", "麻烦",
};

/* ----------------------------------------------------------------------------- buffer */

void sb_kb_buf_add(sb_kb_buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

const char *sb_kb_buf_str(const sb_kb_buf *b) { return b->p ? b->p : ""; }

void sb_kb_buf_free(sb_kb_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

/* Appends term, after a space unless it is the first. */
static void buf_add_term(sb_kb_buf *b, const char *term, size_t len)
{
    if (b->len)
        sb_kb_buf_add(b, " ", 1);
    sb_kb_buf_add(b, term, len);
}

/* ------------------------------------------------------------------------------- set */

/* FNV-1a: short strings, no adversary that gains anything from collisions here. */
static size_t set_hash(const char *s)
{
    return (size_t)sb_fnv1a_str(SB_FNV1A_OFFSET, s);
}

void sb_kb_set_init(sb_kb_set *s, size_t max)
{
    memset(s, 0, sizeof(*s));
    s->max = max;
}

/* The slot holding term, or the empty slot where it would go. */
static size_t set_slot(const sb_kb_set *s, const char *term)
{
    size_t i = set_hash(term) & (s->nslots - 1);
    while (s->slots[i] && strcmp(s->items[s->slots[i] - 1], term) != 0)
        i = (i + 1) & (s->nslots - 1);
    return i;
}

long sb_kb_set_index(const sb_kb_set *s, const char *term)
{
    return s->nslots ? (long)s->slots[set_slot(s, term)] - 1 : -1;
}

int sb_kb_set_has(const sb_kb_set *s, const char *term)
{
    return sb_kb_set_index(s, term) >= 0;
}

/* Doubles the slot table (and rehashes); 0 or -1. */
static int set_grow(sb_kb_set *s)
{
    size_t nslots = s->nslots ? s->nslots * 2 : 64;
    size_t *slots = calloc(nslots, sizeof(*slots));
    char **items = realloc(s->items, nslots / 2 * sizeof(*items));
    if (!slots || !items) {
        free(slots);
        if (items)
            s->items = items;
        return -1;
    }
    s->items = items;
    s->cap = nslots / 2;
    free(s->slots);
    s->slots = slots;
    s->nslots = nslots;
    for (size_t k = 0; k < s->n; k++)
        s->slots[set_slot(s, s->items[k])] = k + 1;
    return 0;
}

/* Adds term: 1 when it was new, 0 when known, capped out or out of memory. */
static int set_add(sb_kb_set *s, const char *term, size_t len)
{
    if (s->oom || (s->max && s->n >= s->max))
        return 0;
    if (s->n + 1 > s->cap && set_grow(s) != 0) {
        s->oom = 1;
        return 0;
    }
    size_t i = set_slot(s, term);
    if (s->slots[i])
        return 0;
    char *copy = malloc(len + 1);
    if (!copy) {
        s->oom = 1;
        return 0;
    }
    memcpy(copy, term, len + 1);
    s->items[s->n++] = copy;
    s->slots[i] = s->n;
    return 1;
}

long sb_kb_set_put(sb_kb_set *s, const char *term)
{
    long i = sb_kb_set_index(s, term);
    if (i >= 0)
        return i;
    return set_add(s, term, strlen(term)) ? (long)s->n - 1 : -1;
}

size_t sb_kb_set_common(const sb_kb_set *a, const sb_kb_set *b)
{
    size_t n = 0;
    for (size_t i = 0; i < a->n; i++)
        n += (size_t)sb_kb_set_has(b, a->items[i]);
    return n;
}

void sb_kb_set_free(sb_kb_set *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->items[i]);
    free(s->items);
    free(s->slots);
    memset(s, 0, sizeof(*s));
}

/* ----------------------------------------------------------------------------- terms */

/* For bsearch over kb_stopwords. */
static int stopword_cmp(const void *key, const void *elem)
{
    return strcmp(key, *(const char *const *)elem);
}

/* 1 for terms that say nothing about an article: one latin letter or digit, a stopword. */
static int kb_term_skip(const char *term, size_t len)
{
    if (len == 1)
        return 1;
    if (len > 6)   /* no stopword is longer */
        return 0;
    return bsearch(term, kb_stopwords, sizeof(kb_stopwords) / sizeof(kb_stopwords[0]),
                   sizeof(kb_stopwords[0]), stopword_cmp) != NULL;
}

/* Where the terms of one walk go. */
typedef struct kb_sink {
    sb_kb_buf *out;
    sb_kb_set *set;
} kb_sink;

/* textfeat callback: filter, then into the set and/or the buffer; stops once the set is full. */
static int kb_on_term(void *ctx, const char *term, size_t len)
{
    kb_sink *k = ctx;
    if (kb_term_skip(term, len))
        return 0;
    if (!k->set) {
        buf_add_term(k->out, term, len);
        return k->out->oom;
    }
    if (set_add(k->set, term, len) && k->out)
        buf_add_term(k->out, term, len);
    return k->set->oom || (k->set->max && k->set->n >= k->set->max);
}

void sb_kb_doc_terms(const char *text, size_t len, sb_kb_buf *out)
{
    kb_sink k = {out, NULL};
    sb_textfeat_terms(text, len, KB_TERM_FLAGS, kb_on_term, &k);
}

void sb_kb_distinct_terms(const char *text, size_t len, sb_kb_set *set, sb_kb_buf *out)
{
    kb_sink k = {out, set};
    sb_textfeat_terms(text, len, KB_TERM_FLAGS, kb_on_term, &k);
}

size_t sb_kb_terms(const char *text, char *out, size_t cap)
{
    sb_kb_buf b = {0};
    sb_kb_doc_terms(text, strlen(text), &b);
    size_t n = 0;
    if (cap) {
        n = b.len < cap ? b.len : cap - 1;
        while (n < b.len && n > 0 && b.p[n] != ' ')   /* cut at a term boundary */
            n--;
        if (n)
            memcpy(out, b.p, n);
        out[n] = '\0';
    }
    sb_kb_buf_free(&b);
    return n;
}

/* textfeat.c - the term extractor shared by the classifier and knowledge-base search. */
#include "common/textfeat.h"

#include <stdint.h>
#include <string.h>

#include "common/utf8.h"

typedef enum { CH_SEP, CH_WORD, CH_CJK } char_kind;

/* Decodes the well-formed character of len bytes at s. */
static uint32_t decode(const unsigned char *s, size_t len)
{
    switch (len) {
    case 1: return s[0];
    case 2: return ((uint32_t)(s[0] & 0x1F) << 6) | (s[1] & 0x3F);
    case 3: return ((uint32_t)(s[0] & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
    default:
        return ((uint32_t)(s[0] & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
               ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
    }
}

/* Han ideographs (basic, extension A, compatibility), kana and hangul syllables: scripts written
 * without spaces, where characters and bigrams stand in for words. */
static int is_cjk(uint32_t cp)
{
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x3040 && cp <= 0x30FF) ||
           (cp >= 0xAC00 && cp <= 0xD7AF) || (cp >= 0x20000 && cp <= 0x2FA1F);
}

/* Latin letters with accents count as word characters too (café, Müller). */
static char_kind kind_of(uint32_t cp)
{
    if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9'))
        return CH_WORD;
    if (cp >= 0xC0 && cp <= 0x24F && cp != 0xD7 && cp != 0xF7)
        return CH_WORD;
    if (is_cjk(cp))
        return CH_CJK;
    return CH_SEP;
}

typedef struct walker {
    unsigned       flags;
    sb_textfeat_fn fn;
    void          *ctx;
    size_t         count;
    int            stopped;
    char           word[SB_TEXTFEAT_TERM_MAX + 1];
    size_t         wlen;
    const char    *prev_cjk;      /* the previous character when it was CJK and adjacent */
    size_t         prev_len;
} walker;

/* Hands one term to the callback. */
static void emit(walker *w, const char *term, size_t len)
{
    if (w->stopped)
        return;
    char buf[SB_TEXTFEAT_TERM_MAX + 1];
    memcpy(buf, term, len);
    buf[len] = '\0';
    w->count++;
    if (w->fn && w->fn(w->ctx, buf, len) != 0)
        w->stopped = 1;
}

/* Ends the latin word being collected, if any. */
static void flush_word(walker *w)
{
    if (w->wlen > 0 && (w->flags & SB_TEXTFEAT_WORDS))
        emit(w, w->word, w->wlen);
    w->wlen = 0;
}

/* Adds a word character, ASCII letters folded; a character that would overflow is dropped. */
static void add_word_char(walker *w, const char *s, size_t len)
{
    if (w->wlen + len > SB_TEXTFEAT_TERM_MAX)
        return;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        w->word[w->wlen++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
}

/* A CJK character: its unigram, and the bigram with the one before it. */
static void add_cjk(walker *w, const char *s, size_t len)
{
    if (w->flags & SB_TEXTFEAT_CJK_UNI)
        emit(w, s, len);
    if ((w->flags & SB_TEXTFEAT_CJK_BI) && w->prev_cjk) {
        char bi[8];
        memcpy(bi, w->prev_cjk, w->prev_len);
        memcpy(bi + w->prev_len, s, len);
        emit(w, bi, w->prev_len + len);
    }
    w->prev_cjk = s;
    w->prev_len = len;
}

size_t sb_textfeat_terms(const char *text, size_t len, unsigned flags, sb_textfeat_fn fn, void *ctx)
{
    walker w = {.flags = flags, .fn = fn, .ctx = ctx};
    size_t i = 0;
    while (i < len && !w.stopped) {
        size_t n = sb_utf8_char_len(text + i, len - i);
        char_kind k = n ? kind_of(decode((const unsigned char *)text + i, n)) : CH_SEP;
        if (n == 0)
            n = 1;
        if (k != CH_WORD)
            flush_word(&w);
        if (k != CH_CJK)
            w.prev_cjk = NULL;
        if (k == CH_WORD)
            add_word_char(&w, text + i, n);
        else if (k == CH_CJK)
            add_cjk(&w, text + i, n);
        i += n;
    }
    flush_word(&w);
    return w.count;
}

typedef struct joiner {
    char  *out;
    size_t cap, len;
} joiner;

/* Appends one term and a separating space; stops when the next would not fit. */
static int join_term(void *ctx, const char *term, size_t len)
{
    joiner *j = ctx;
    size_t need = len + (j->len ? 1 : 0);
    if (j->len + need + 1 > j->cap)
        return 1;
    if (j->len)
        j->out[j->len++] = ' ';
    memcpy(j->out + j->len, term, len);
    j->len += len;
    j->out[j->len] = '\0';
    return 0;
}

size_t sb_textfeat_join(const char *text, size_t len, unsigned flags, char *out, size_t cap)
{
    joiner j = {out, cap, 0};
    if (cap == 0)
        return 0;
    out[0] = '\0';
    sb_textfeat_terms(text, len, flags, join_term, &j);
    return j.len;
}

/* Stops the walk at the first term: one is enough to know. */
static int textfeat_stop_first(void *ctx, const char *term, size_t len)
{
    (void)ctx;
    (void)term;
    (void)len;
    return 1;
}

const char *sb_textfeat_language(const char *text, size_t len)
{
    return sb_textfeat_terms(text, len, SB_TEXTFEAT_CJK_UNI, textfeat_stop_first, NULL) ? "zh" : "en";
}

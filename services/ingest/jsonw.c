/* jsonw.c - JSON text writer: escaping by runs of plain bytes, growth that wipes what it leaves. */
#include "services/ingest/jsonw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"

void ingest_jw_init(ingest_jw *w, size_t cap)
{
    w->len = 0;
    w->failed = 0;
    w->cap = cap ? cap : 256;
    w->buf = malloc(w->cap);
    if (!w->buf) {
        w->cap = 0;
        w->failed = 1;
    }
}

/* Room for n more bytes plus a NUL. The old buffer is wiped before it is freed: the contact
 * details being sealed pass through a writer. 0 or -1. */
static int jw_reserve(ingest_jw *w, size_t n)
{
    if (w->failed)
        return -1;
    if (w->len + n + 1 <= w->cap)
        return 0;
    size_t cap = w->cap * 2;
    while (cap < w->len + n + 1)
        cap *= 2;
    char *b = malloc(cap);
    if (!b) {
        w->failed = 1;
        return -1;
    }
    memcpy(b, w->buf, w->len);
    explicit_bzero(w->buf, w->len);
    free(w->buf);
    w->buf = b;
    w->cap = cap;
    return 0;
}

/* Append n raw bytes. */
static void jw_raw(ingest_jw *w, const char *s, size_t n)
{
    if (jw_reserve(w, n) != 0)
        return;
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

/* The ',' owed before a key or value that follows another one. */
static void jw_sep(ingest_jw *w)
{
    if (w->len && !strchr(":{[", w->buf[w->len - 1]))
        jw_raw(w, ",", 1);
}

void ingest_jw_open(ingest_jw *w, char bracket)
{
    jw_sep(w);
    jw_raw(w, &bracket, 1);
}

void ingest_jw_close(ingest_jw *w, char bracket)
{
    jw_raw(w, &bracket, 1);
}

void ingest_jw_key(ingest_jw *w, const char *key)
{
    jw_sep(w);
    jw_raw(w, "\"", 1);
    jw_raw(w, key, strlen(key));
    jw_raw(w, "\":", 2);
}

void ingest_jw_str(ingest_jw *w, const char *s)
{
    jw_sep(w);
    jw_raw(w, "\"", 1);
    const char *run = s;
    for (; *s; s++) {
        char tmp[8];
        const char *esc = sb_json_escape_byte((unsigned char)*s, tmp);
        if (!esc)
            continue;
        jw_raw(w, run, (size_t)(s - run));
        jw_raw(w, esc, strlen(esc));
        run = s + 1;
    }
    jw_raw(w, run, (size_t)(s - run));
    jw_raw(w, "\"", 1);
}

void ingest_jw_int(ingest_jw *w, long long v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%lld", v);
    jw_sep(w);
    jw_raw(w, tmp, (size_t)n);
}

void ingest_jw_null(ingest_jw *w)
{
    jw_sep(w);
    jw_raw(w, "null", 4);
}

void ingest_jw_member(ingest_jw *w, const char *key, const char *s)
{
    ingest_jw_key(w, key);
    ingest_jw_str(w, s);
}

char *ingest_jw_finish(ingest_jw *w, size_t *len)
{
    if (w->failed) {
        ingest_jw_discard(w);
        return NULL;
    }
    w->buf[w->len] = '\0';
    *len = w->len;
    char *text = w->buf;
    w->buf = NULL;
    w->len = w->cap = 0;
    return text;
}

void ingest_jw_discard(ingest_jw *w)
{
    if (w->buf) {
        explicit_bzero(w->buf, w->len);
        free(w->buf);
    }
    w->buf = NULL;
    w->len = w->cap = 0;
}

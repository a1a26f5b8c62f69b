/* jsonw.h - append-only JSON text writer for the hot path: no tree, one growing buffer. */
#ifndef INGEST_JSONW_H
#define INGEST_JSONW_H

#include <stddef.h>

/* Commas are automatic: a key or value written after another one gets its ','. An allocation
 * failure is remembered and reported once, by ingest_jw_finish. */
typedef struct ingest_jw {
    char  *buf;
    size_t len, cap;
    int    failed;
} ingest_jw;

void  ingest_jw_init(ingest_jw *w, size_t cap);
void  ingest_jw_open(ingest_jw *w, char bracket);     /* '{' or '[' */
void  ingest_jw_close(ingest_jw *w, char bracket);    /* '}' or ']' */
void  ingest_jw_key(ingest_jw *w, const char *key);   /* key: plain ASCII, no escaping */
void  ingest_jw_str(ingest_jw *w, const char *s);     /* a string value, escaped */
void  ingest_jw_int(ingest_jw *w, long long v);
void  ingest_jw_null(ingest_jw *w);
/* key + string value in one call. */
void  ingest_jw_member(ingest_jw *w, const char *key, const char *s);
/* The NUL-terminated text (the caller frees it) and its length; NULL when an append failed. */
char *ingest_jw_finish(ingest_jw *w, size_t *len);
/* Wipe and free the text of an unfinished writer (it may hold personal data). */
void  ingest_jw_discard(ingest_jw *w);

#endif

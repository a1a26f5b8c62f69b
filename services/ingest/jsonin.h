/* jsonin.h - reading JSON input with errors that name the field: the checks the generic door
 * (normalize.c) and the native JSON adapters (phone, marketplace) share. Pure: no libevent, no
 * globals. */
#ifndef INGEST_JSONIN_H
#define INGEST_JSONIN_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "common/error.h"

#define INGEST_JSONIN_URL_MAX 2048   /* characters, as normalize.c allows attachment URLs */

/* obj[key] as a string of at most max_chars characters (0: no limit) into *out; "" and null
 * read as absent (*out NULL). Absent and required: 400 missing_field; "" and required: 400
 * invalid_field; not a string (or one holding \u0000): 400 invalid_field; too long: 400
 * field_too_long. The field named is prefix+key. */
int ingest_jsonin_str(const json_t *obj, const char *prefix, const char *key, int required,
                      size_t max_chars, const char **out, sb_error *err);

/* Item v of an array as a non-empty string of at most max_chars characters; field is its name
 * ("ivr_path[2]"). 0, or -1 with 400 invalid_field / field_too_long. */
int ingest_jsonin_item(const json_t *v, const char *field, size_t max_chars, const char **out,
                       sb_error *err);

/* obj[key] as an optional RFC 3339 time within the window the generic door allows sent_at
 * (INGEST_SENT_AT_*_MS) around now_ms into *ms (0 when absent). 0, or -1 with 400
 * invalid_field naming prefix+key: a native time outside it is refused under its own name
 * (started_at, created_at), not as "sent_at". */
int ingest_jsonin_time(const json_t *obj, const char *prefix, const char *key, int64_t now_ms,
                       int64_t *ms, sb_error *err);

/* The digits of phone-shaped s (optional '+', then digits, blanks, ( ) and -; with
 * allow_stars '*' too, a number the sender masked), or -1 when s holds anything else. */
int ingest_jsonin_phone_digits(const char *s, int allow_stars);
/* Is s phone-shaped with 3 to 20 digits (a number a platform dialled or was dialled from)? */
int ingest_jsonin_phone_ok(const char *s, int allow_stars);

/* Is s an absolute http(s) URL with a host, no blanks and no control characters? */
int ingest_jsonin_url_ok(const char *s);

/* The last segment of url's path (query and fragment cut off) into out, "" when there is none
 * or it does not fit in len. */
void ingest_jsonin_url_basename(const char *url, char *out, size_t len);

/* The extension of the last segment of url's path (after its last '.', lower-cased, 1..8
 * letters or digits) into out, "" when it has none. */
void ingest_jsonin_url_extension(const char *url, char out[9]);

/* Is a Content-Type header value (NULL: absent) acceptable for a JSON body? */
int ingest_jsonin_media_ok(const char *content_type);

#endif

/* jsonin.c - field-named checks of JSON input, shared by the generic door and the JSON adapters. */
#include "services/ingest/jsonin.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/clock.h"
#include "common/json.h"
#include "common/utf8.h"
#include "services/ingest/normalize.h"

#define JSONIN_TIME_MAX 64   /* bytes of an RFC 3339 time */

/* field too long when s has more than max characters (max 0: no limit). */
static int jsonin_check_len(const char *s, const char *field, size_t max, sb_error *err)
{
    /* Bytes bound characters from above, so most values need no count. */
    size_t bytes = strlen(s);
    if (max && bytes > max && sb_utf8_count(s, bytes) > max)
        return sb_error_set(err, 400, "field_too_long", field, "%s must be at most %zu characters",
                            field, max);
    return 0;
}

int ingest_jsonin_str(const json_t *obj, const char *prefix, const char *key, int required,
                      size_t max_chars, const char **out, sb_error *err)
{
    char field[64];
    snprintf(field, sizeof field, "%s%s", prefix, key);
    if (sb_json_get_str(obj, prefix, key, required, 0, out, err) != 0)
        return -1;
    if (*out && !**out) {
        *out = NULL;
        if (required)
            return sb_error_set(err, 400, "invalid_field", field, "%s must not be empty", field);
    }
    return *out ? jsonin_check_len(*out, field, max_chars, err) : 0;
}

int ingest_jsonin_item(const json_t *v, const char *field, size_t max_chars, const char **out,
                       sb_error *err)
{
    *out = json_string_value(v);
    /* A "\u0000" inside would silently cut the C string. */
    if (!*out || !**out || strlen(*out) != json_string_length(v)) {
        *out = NULL;
        return sb_error_set(err, 400, "invalid_field", field, "%s must be a non-empty string",
                            field);
    }
    return jsonin_check_len(*out, field, max_chars, err);
}

int ingest_jsonin_time(const json_t *obj, const char *prefix, const char *key, int64_t now_ms,
                       int64_t *ms, sb_error *err)
{
    const char *s;
    char field[64];
    snprintf(field, sizeof field, "%s%s", prefix, key);
    *ms = 0;
    if (ingest_jsonin_str(obj, prefix, key, 0, JSONIN_TIME_MAX, &s, err) != 0)
        return -1;
    if (!s)
        return 0;
    if (sb_clock_parse_iso(s, ms) != 0)
        return sb_error_set(err, 400, "invalid_field", field,
                            "%s must be an RFC 3339 time such as 2026-11-22T10:00:00Z", field);
    if (*ms > now_ms + INGEST_SENT_AT_FUTURE_MS)
        return sb_error_set(err, 400, "invalid_field", field,
                            "%s lies more than 5 minutes in the future", field);
    if (*ms < now_ms - INGEST_SENT_AT_PAST_MS)
        return sb_error_set(err, 400, "invalid_field", field,
                            "%s lies more than 30 days in the past", field);
    return 0;
}

int ingest_jsonin_phone_digits(const char *s, int allow_stars)
{
    int digits = 0;
    if (*s == '+')
        s++;
    for (; *s; s++) {
        if (*s >= '0' && *s <= '9')
            digits++;
        else if (!strchr(allow_stars ? " ()-*" : " ()-", *s))
            return -1;
    }
    return digits;
}

int ingest_jsonin_phone_ok(const char *s, int allow_stars)
{
    int digits = ingest_jsonin_phone_digits(s, allow_stars);
    return digits >= 3 && digits <= 20;
}

/* A byte no URL may hold here: control characters, blanks, DEL. */
static int jsonin_url_bad_byte(unsigned char c)
{
    return c <= 0x20 || c == 0x7f;
}

int ingest_jsonin_url_ok(const char *s)
{
    size_t skip = strncasecmp(s, "http://", 7) == 0    ? 7
                  : strncasecmp(s, "https://", 8) == 0 ? 8
                                                       : 0;
    if (!skip || !s[skip] || strchr("/?#", s[skip]))
        return 0;
    for (s += skip; *s; s++)
        if (jsonin_url_bad_byte((unsigned char)*s))
            return 0;
    return 1;
}

/* The last segment of url's path (after the last '/', query and fragment cut off) as *seg and
 * its length; 0 when the URL has no path. */
static size_t jsonin_url_last_segment(const char *url, const char **seg)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    size_t end = strcspn(p, "?#");
    *seg = NULL;
    for (size_t i = 0; i < end; i++)
        if (p[i] == '/')
            *seg = p + i + 1;
    return *seg ? (size_t)(p + end - *seg) : 0;
}

void ingest_jsonin_url_basename(const char *url, char *out, size_t len)
{
    const char *seg;
    size_t n = jsonin_url_last_segment(url, &seg);
    if (!len)
        return;
    if (n >= len)
        n = 0;
    memcpy(out, n ? seg : "", n);
    out[n] = '\0';
}

void ingest_jsonin_url_extension(const char *url, char out[9])
{
    const char *seg, *dot = NULL;
    size_t n = jsonin_url_last_segment(url, &seg);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        if (seg[i] == '.')
            dot = seg + i;
    size_t elen = dot ? (size_t)(seg + n - dot - 1) : 0;
    if (elen == 0 || elen > 8)
        return;
    for (size_t i = 0; i < elen; i++) {
        char c = dot[1 + i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
            out[0] = '\0';
            return;
        }
        out[i] = c;
    }
    out[elen] = '\0';
}

int ingest_jsonin_media_ok(const char *content_type)
{
    /* As sb_http_body_json: absent is fine (curl -d sends a form type, which is refused). */
    return !content_type || strncasecmp(content_type, "application/json", 16) == 0;
}

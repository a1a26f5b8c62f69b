/* phone.c - a telephony platform's call record, validated and mapped to the generic message. */
#include "services/ingest/phone.h"

#include <stdio.h>
#include <string.h>

#include "common/json.h"
#include "common/utf8.h"
#include "services/ingest/jsonin.h"
#include "services/ingest/normalize.h"

#define PHONE_NUMBER_MAX   32     /* characters of caller / callee, as customer.phone */
#define PHONE_PATH_STR_MAX 400    /* characters of the "1>3>2" form */
#define PHONE_DURATION_MAX 86400  /* seconds: a day */
#define PHONE_LANGUAGE_MAX 35     /* characters of a BCP 47 tag */
#define PHONE_CUSTOMER_MAX 128    /* characters of customer_id / customer_name */

/* One IVR step, borrowed from the body. */
typedef struct phone_step {
    const char *s;
    size_t      n;
} phone_step;

/* The call record as read; every string borrows from the parsed body. */
typedef struct phone_call {
    const char *call_id, *caller, *callee, *started_at, *recording_url, *transcript;
    const char *language, *customer_id, *customer_name;
    phone_step  steps[INGEST_PHONE_STEPS_MAX];
    size_t      nsteps;
    const char *labels[INGEST_PHONE_STEPS_MAX];
    size_t      nlabels;
} phone_call;

static const char *const phone_keys[] = {"call_id",     "caller",        "callee",
                                         "started_at",  "duration_s",    "ivr_path",
                                         "ivr_labels",  "recording_url", "transcript",
                                         "language",    "customer_id",   "customer_name",
                                         NULL};

/* Recording extensions and their media types; any other gets the platforms' usual WAV. */
static const struct {
    const char *ext, *type;
} phone_audio_types[] = {{"wav", "audio/wav"},   {"mp3", "audio/mpeg"}, {"ogg", "audio/ogg"},
                         {"opus", "audio/ogg"},  {"oga", "audio/ogg"},  {"m4a", "audio/mp4"},
                         {"mp4", "audio/mp4"},   {"amr", "audio/amr"},  {"aac", "audio/aac"},
                         {"flac", "audio/flac"}, {"webm", "audio/webm"}};

/* caller (required) or callee: a phone-shaped number. */
static int phone_number(const json_t *body, const char *key, int required, const char **out,
                        sb_error *err)
{
    if (ingest_jsonin_str(body, "", key, required, PHONE_NUMBER_MAX, out, err) != 0)
        return -1;
    if (*out && !ingest_jsonin_phone_ok(*out, 0))
        return sb_error_set(err, 400, "invalid_field", key,
                            "%s must be a phone number: optional +, 3 to 20 digits, blanks, ( ) "
                            "and -",
                            key);
    return 0;
}

/* duration_s: whole seconds, 0..86400 (an integral real such as 184.0 is whole too). */
static int phone_duration(const json_t *body, sb_error *err)
{
    const json_t *v = json_object_get(body, "duration_s");
    if (!v || json_is_null(v))
        return 0;
    double d = json_is_number(v) ? json_number_value(v) : -1;
    if (d < 0 || d > PHONE_DURATION_MAX || (double)(long)d != d)
        return sb_error_set(err, 400, "invalid_field", "duration_s",
                            "duration_s must be whole seconds from 0 to %d", PHONE_DURATION_MAX);
    return 0;
}

/* Is c a character an IVR step may hold (DTMF keys, node names)? */
static int phone_step_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c && strchr("*#_.-", c));
}

/* One step of n bytes: 1..16 step characters. */
static int phone_step_ok(const char *s, size_t n)
{
    if (n == 0 || n > INGEST_PHONE_STEP_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!phone_step_char(s[i]))
            return 0;
    return 1;
}

/* ivr_path as an array of steps. */
static int phone_path_array(const json_t *arr, phone_call *c, sb_error *err)
{
    if (json_array_size(arr) > INGEST_PHONE_STEPS_MAX)
        return sb_error_set(err, 400, "too_many_items", "ivr_path", "at most %d IVR steps",
                            INGEST_PHONE_STEPS_MAX);
    for (size_t i = 0; i < json_array_size(arr); i++) {
        char field[32];
        const char *s;
        snprintf(field, sizeof field, "ivr_path[%zu]", i);
        if (ingest_jsonin_item(json_array_get(arr, i), field, INGEST_PHONE_STEP_MAX, &s, err) != 0)
            return -1;
        if (!phone_step_ok(s, strlen(s)))
            return sb_error_set(err, 400, "invalid_field", field,
                                "%s must be 1 to %d of A-Z a-z 0-9 * # _ . -", field,
                                INGEST_PHONE_STEP_MAX);
        c->steps[c->nsteps++] = (phone_step){s, strlen(s)};
    }
    return 0;
}

/* ivr_path as one string, "1>3>2" (blanks around a '>' ignored). */
static int phone_path_string(const char *s, phone_call *c, sb_error *err)
{
    if (sb_utf8_count(s, strlen(s)) > PHONE_PATH_STR_MAX)
        return sb_error_set(err, 400, "field_too_long", "ivr_path",
                            "ivr_path must be at most %d characters", PHONE_PATH_STR_MAX);
    for (const char *p = s;; p++) {
        p += strspn(p, " ");
        size_t n = strcspn(p, ">"), len = n;
        while (len && p[len - 1] == ' ')
            len--;
        if (c->nsteps == INGEST_PHONE_STEPS_MAX)
            return sb_error_set(err, 400, "too_many_items", "ivr_path", "at most %d IVR steps",
                                INGEST_PHONE_STEPS_MAX);
        if (!phone_step_ok(p, len))
            return sb_error_set(err, 400, "invalid_field", "ivr_path",
                                "ivr_path step %zu must be 1 to %d of A-Z a-z 0-9 * # _ . -",
                                c->nsteps + 1, INGEST_PHONE_STEP_MAX);
        c->steps[c->nsteps++] = (phone_step){p, len};
        if (!p[n])
            return 0;
        p += n;
    }
}

/* ivr_path: an array of steps or one '>'-separated string; [] and "" read as absent. */
static int phone_path(const json_t *body, phone_call *c, sb_error *err)
{
    const json_t *v = json_object_get(body, "ivr_path");
    if (!v || json_is_null(v))
        return 0;
    if (json_is_array(v))
        return phone_path_array(v, c, err);
    const char *s;
    if (!json_is_string(v) || ingest_jsonin_str(body, "", "ivr_path", 0, 0, &s, err) != 0)
        return sb_error_set(err, 400, "invalid_field", "ivr_path",
                            "ivr_path must be an array of steps or a string such as \"1>3>2\"");
    return s ? phone_path_string(s, c, err) : 0;
}

/* ivr_labels: the names of the path's menu entries, at most one per step. */
static int phone_labels(const json_t *body, phone_call *c, sb_error *err)
{
    json_t *arr;
    if (sb_json_get_arr(body, "", "ivr_labels", 0, &arr, err) != 0)
        return -1;
    size_t n = json_array_size(arr);
    if (n > INGEST_PHONE_STEPS_MAX)
        return sb_error_set(err, 400, "too_many_items", "ivr_labels", "at most %d labels",
                            INGEST_PHONE_STEPS_MAX);
    for (size_t i = 0; i < n; i++) {
        char field[32];
        snprintf(field, sizeof field, "ivr_labels[%zu]", i);
        if (ingest_jsonin_item(json_array_get(arr, i), field, INGEST_PHONE_LABEL_MAX,
                               &c->labels[i], err) != 0)
            return -1;
    }
    c->nlabels = n;
    if (n > c->nsteps)
        return sb_error_set(err, 400, "invalid_field", "ivr_labels",
                            "ivr_labels has %zu labels for %zu ivr_path steps", n, c->nsteps);
    return 0;
}

/* recording_url: an http(s) URL. */
static int phone_recording(const json_t *body, phone_call *c, sb_error *err)
{
    if (ingest_jsonin_str(body, "", "recording_url", 0, INGEST_JSONIN_URL_MAX,
                          &c->recording_url, err) != 0)
        return -1;
    if (c->recording_url && !ingest_jsonin_url_ok(c->recording_url))
        return sb_error_set(err, 400, "invalid_field", "recording_url",
                            "recording_url must be an http(s) URL without blanks");
    return 0;
}

/* Is s a BCP 47-shaped tag: 2..8 letters, then -subtags of 1..8 letters or digits? */
static int phone_language_ok(const char *s)
{
    size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
    if (n < 2 || n > 8)
        return 0;
    for (s += n; *s; s += n) {
        if (*s++ != '-')
            return 0;
        n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");
        if (n < 1 || n > 8)
            return 0;
    }
    return 1;
}

/* language: a BCP 47 tag such as zh-CN. */
static int phone_language(const json_t *body, phone_call *c, sb_error *err)
{
    if (ingest_jsonin_str(body, "", "language", 0, PHONE_LANGUAGE_MAX, &c->language, err) != 0)
        return -1;
    if (c->language && !phone_language_ok(c->language))
        return sb_error_set(err, 400, "invalid_field", "language",
                            "language must be a BCP 47 tag such as zh-CN");
    return 0;
}

/* Every check, member by member in the order the schema lists them. */
static int phone_read(const json_t *body, int64_t now_ms, phone_call *c, sb_error *err)
{
    int64_t started_ms;
    if (sb_json_only_keys(body, phone_keys, "", err) != 0 ||
        ingest_jsonin_str(body, "", "call_id", 1, INGEST_EXTERNAL_ID_MAX, &c->call_id, err) != 0 ||
        phone_number(body, "caller", 1, &c->caller, err) != 0 ||
        phone_number(body, "callee", 0, &c->callee, err) != 0 ||
        ingest_jsonin_time(body, "", "started_at", now_ms, &started_ms, err) != 0 ||
        phone_duration(body, err) != 0 || phone_path(body, c, err) != 0 ||
        phone_labels(body, c, err) != 0 || phone_recording(body, c, err) != 0 ||
        ingest_jsonin_str(body, "", "transcript", 0, 0, &c->transcript, err) != 0 ||
        phone_language(body, c, err) != 0 ||
        ingest_jsonin_str(body, "", "customer_id", 0, PHONE_CUSTOMER_MAX, &c->customer_id,
                          err) != 0 ||
        ingest_jsonin_str(body, "", "customer_name", 0, PHONE_CUSTOMER_MAX, &c->customer_name,
                          err) != 0)
        return -1;
    c->started_at = started_ms ? json_string_value(json_object_get(body, "started_at")) : NULL;
    if (c->transcript && strlen(c->transcript) > INGEST_TEXT_MAX)
        return sb_error_set(err, 400, "field_too_long", "transcript",
                            "transcript must be at most %d bytes", INGEST_TEXT_MAX);
    if (!c->transcript && !c->recording_url)
        return sb_error_set(err, 400, "missing_field", "transcript",
                            "a call record needs a transcript or a recording_url");
    return 0;
}

/* Appends n bytes of s to the hint buffer at *len when the hint stays within its characters
 * (chars counts them so far); 1 when appended. */
static int phone_hint_add(char *hint, size_t *len, size_t *chars, const char *s, size_t n)
{
    size_t add = sb_utf8_count(s, n);
    if (*chars + add > INGEST_PHONE_HINT_MAX)
        return 0;
    memcpy(hint + *len, s, n);
    *len += n;
    hint[*len] = '\0';
    *chars += add;
    return 1;
}

/* hints.ivr_path: the steps joined with '>', then a blank and the labels joined with '/', e.g.
 * "1>3>2 售后/物流/催件". Cut at whole steps, then whole labels, to fit 256 characters. hint
 * holds at least 4 * 256 + 1 bytes. */
static void phone_hint(const phone_call *c, char *hint)
{
    size_t len = 0, chars = 0, kept = 0;
    hint[0] = '\0';
    for (; kept < c->nsteps; kept++) {
        size_t mark = len, mark_chars = chars;
        if ((kept && !phone_hint_add(hint, &len, &chars, ">", 1)) ||
            !phone_hint_add(hint, &len, &chars, c->steps[kept].s, c->steps[kept].n)) {
            len = mark;
            chars = mark_chars;
            hint[len] = '\0';
            break;
        }
    }
    for (size_t i = 0; i < c->nlabels && i < kept; i++) {
        size_t mark = len;
        if (!phone_hint_add(hint, &len, &chars, i ? "/" : " ", 1) ||
            !phone_hint_add(hint, &len, &chars, c->labels[i], strlen(c->labels[i]))) {
            len = mark;
            hint[len] = '\0';
            break;
        }
    }
}

/* The media type of a recording's extension ("" when unknown: the caller picks WAV). */
static const char *phone_audio_type(const char *ext)
{
    for (size_t i = 0; i < sizeof phone_audio_types / sizeof phone_audio_types[0]; i++)
        if (strcmp(ext, phone_audio_types[i].ext) == 0)
            return phone_audio_types[i].type;
    return "";
}

/* May byte b stay as it is in an attachment name? Letters, digits, . _ - and all of UTF-8
 * beyond ASCII; any other ASCII (/, blanks, controls) would not make a file name. */
static int phone_name_byte(unsigned char b)
{
    return b >= 0x80 || (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') ||
           (b >= 'A' && b <= 'Z') || b == '.' || b == '_' || b == '-';
}

/* The recording as the one attachment: {name "call-<call_id>.<ext>", content_type, url}. */
static json_t *phone_attachment(const phone_call *c)
{
    /* A call id is at most 200 characters of up to 4 bytes: the name is at most 214. */
    char ext[9], name[sizeof "call-" + 4 * INGEST_EXTERNAL_ID_MAX + 1 + sizeof ext];
    ingest_jsonin_url_extension(c->recording_url, ext);
    const char *type = phone_audio_type(ext);
    if (!*type) {
        snprintf(ext, sizeof ext, "wav");
        type = "audio/wav";
    }
    size_t n = (size_t)snprintf(name, sizeof name, "call-");
    for (const char *p = c->call_id; *p; p++)
        name[n++] = phone_name_byte((unsigned char)*p) ? *p : '_';
    snprintf(name + n, sizeof name - n, ".%s", ext);
    return json_pack("[{s:s, s:s, s:s}]", "name", name, "content_type", type, "url",
                     c->recording_url);
}

/* The generic message body of a validated call; NULL when out of memory. */
static json_t *phone_build(const phone_call *c)
{
    char hint[4 * INGEST_PHONE_HINT_MAX + 1];
    json_t *customer = json_pack("{s:s, s:s*, s:s*}", "phone", c->caller, "id", c->customer_id,
                                 "name", c->customer_name);
    json_t *attachments = c->recording_url ? phone_attachment(c) : NULL;
    json_t *hints = NULL;
    if (c->nsteps) {
        phone_hint(c, hint);
        hints = json_pack("{s:s}", "ivr_path", hint);
    }
    if (!customer || (c->recording_url && !attachments) || (c->nsteps && !hints)) {
        json_decref(customer);
        json_decref(attachments);
        json_decref(hints);
        return NULL;
    }
    /* "o" steals its reference even when packing fails. */
    return json_pack("{s:s, s:s, s:o, s:s*, s:o*, s:o*, s:s*}", "channel", "phone", "external_id",
                     c->call_id, "customer", customer, "text", c->transcript, "attachments",
                     attachments, "hints", hints, "sent_at", c->started_at);
}

int ingest_phone_parse(const char *body, size_t len, int64_t now_ms, json_t **out,
                       sb_error *err)
{
    phone_call c;
    memset(&c, 0, sizeof c);
    *out = NULL;
    json_t *doc = sb_json_parse_object(body, len, err);
    if (!doc)
        return -1;
    int rc = phone_read(doc, now_ms, &c, err);
    if (rc == 0 && !(*out = phone_build(&c)))
        rc = sb_error_set(err, 503, "overloaded", "", "out of memory");
    json_decref(doc);
    return rc;
}

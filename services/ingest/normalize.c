/* normalize.c - validation of a posted message and construction of its inbound_message event. */
#include "services/ingest/normalize.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/json.h"
#include "common/mask.h"
#include "common/seal.h"
#include "services/ingest/jsonin.h"
#include "services/ingest/jsonw.h"

/* Longest customer fields, in characters (proto/http/message_request.v1.json). */
#define NORM_CUSTOMER_ID_MAX    128
#define NORM_CUSTOMER_NAME_MAX  128
#define NORM_CUSTOMER_PHONE_MAX 32
#define NORM_CUSTOMER_EMAIL_MAX 254
#define NORM_ATTACHMENT_NAME_MAX 255
#define NORM_CONTENT_TYPE_MAX    255
#define NORM_URL_MAX             2048
#define NORM_THREAD_ID_MAX       300   /* a Message-ID; RFC 5322 lines stop at 998 */
#define NORM_THREAD_REFS_MAX     20

/* The hints passed on, each with its longest value in characters; any other hint is dropped
 * because nothing downstream reads it. */
static const struct {
    const char *key;
    size_t      max;
} norm_hints[] = {{"category", 64}, {"urgency", 64}, {"ivr_path", 256}, {"order_id", 128},
                   {"subject", 300}, {"order_value", 32}, {"order_currency", 8}};

#define NORM_HINTS (sizeof norm_hints / sizeof norm_hints[0])

/* The request as read; every string borrows from the body. */
typedef struct norm_input {
    const sb_channel *channel;
    const char       *external_id;
    const char       *id, *name, *phone, *email, *tier;
    const char       *text;
    json_t           *attachments;   /* validated, non-empty array (borrowed), or NULL */
    const char       *hints[NORM_HINTS];   /* kept hints, indexed like norm_hints */
    int64_t           sent_at_ms;          /* when the customer sent it; 0: not given */
    const char       *thread_id, *in_reply_to;
    json_t           *references;          /* validated, non-empty array (borrowed), or NULL */
} norm_input;

static const char *const norm_top_keys[] = {"channel", "external_id", "customer", "text",
                                            "attachments", "hints", "sent_at", "thread", NULL};
static const char *const norm_thread_keys[] = {"message_id", "in_reply_to", "references", NULL};
static const char *const norm_customer_keys[] = {"id", "name", "phone", "email", "tier", NULL};
static const char *const norm_attachment_keys[] = {"name", "content_type", "size", "url", NULL};

void ingest_secrets_init(ingest_secrets *s, const char *customer_key_secret)
{
    s->customer_key_secret = customer_key_secret;
    sb_seal_key(customer_key_secret, s->seal_key);
}

void ingest_event_release(ingest_event *ev)
{
    free(ev->json);
    ev->json = NULL;
    ev->len = 0;
}

/* An optional string member of at most max_chars characters; "" reads as absent. */
static int norm_str(const json_t *obj, const char *prefix, const char *key, size_t max_chars,
                    const char **out, sb_error *err)
{
    return ingest_jsonin_str(obj, prefix, key, 0, max_chars, out, err);
}

/* channel: known (404 otherwise, the resource the caller addresses does not exist), and the
 * one the caller's key was issued for (403). */
static int norm_channel(const json_t *body, const char *key_channel, norm_input *in,
                        sb_error *err)
{
    const char *name;
    if (sb_json_get_str(body, "", "channel", 1, 0, &name, err) != 0)
        return -1;
    in->channel = sb_channel_find(name);
    if (!in->channel)
        return sb_error_set(err, 404, "unknown_channel", "channel", "unknown channel '%.40s'",
                            name);
    if (key_channel && strcmp(key_channel, in->channel->name) != 0)
        return sb_error_set(err, 403, "forbidden", "channel",
                            "this key may only post to channel %s", key_channel);
    return 0;
}

/* external_id: the channel's own id of the message, 1..200 characters. */
static int norm_external_id(const json_t *body, norm_input *in, sb_error *err)
{
    return ingest_jsonin_str(body, "", "external_id", 1, INGEST_EXTERNAL_ID_MAX,
                             &in->external_id, err);
}

/* A phone number as the contract writes it: optional '+', digits, blanks, ()-, one digit at
 * least (the customer key is made of the digits). */
static int norm_phone_ok(const char *s)
{
    return ingest_jsonin_phone_digits(s, 0) > 0;
}

/* local@domain: one '@', both sides non-empty, no blanks or control characters. */
static int norm_email_ok(const char *s)
{
    const char *at = strchr(s, '@');
    if (!at || at == s || !at[1] || strchr(at + 1, '@'))
        return 0;
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20)
            return 0;
    return 1;
}

/* tier: vip, regular or new; a customer the channel knows nothing about is new. */
static int norm_tier(const json_t *cust, norm_input *in, sb_error *err)
{
    if (sb_json_get_str(cust, "customer.", "tier", 0, 0, &in->tier, err) != 0)
        return -1;
    if (!in->tier) {
        in->tier = "new";
        return 0;
    }
    if (strcmp(in->tier, "vip") && strcmp(in->tier, "regular") && strcmp(in->tier, "new"))
        return sb_error_set(err, 400, "invalid_field", "customer.tier",
                            "customer.tier must be vip, regular or new");
    return 0;
}

/* customer: an object with at least one identity (id, phone or e-mail). */
static int norm_customer(const json_t *body, norm_input *in, sb_error *err)
{
    json_t *c;
    if (sb_json_get_obj(body, "", "customer", 1, &c, err) != 0 ||
        sb_json_only_keys(c, norm_customer_keys, "customer.", err) != 0 ||
        norm_str(c, "customer.", "id", NORM_CUSTOMER_ID_MAX, &in->id, err) != 0 ||
        norm_str(c, "customer.", "name", NORM_CUSTOMER_NAME_MAX, &in->name, err) != 0 ||
        norm_str(c, "customer.", "phone", NORM_CUSTOMER_PHONE_MAX, &in->phone, err) != 0 ||
        norm_str(c, "customer.", "email", NORM_CUSTOMER_EMAIL_MAX, &in->email, err) != 0 ||
        norm_tier(c, in, err) != 0)
        return -1;
    if (in->phone && !norm_phone_ok(in->phone))
        return sb_error_set(err, 400, "invalid_field", "customer.phone",
                            "customer.phone must be digits, optionally with +, blanks, ( ) and -");
    if (in->email && !norm_email_ok(in->email))
        return sb_error_set(err, 400, "invalid_field", "customer.email",
                            "customer.email must look like name@domain");
    if (!in->id && !in->phone && !in->email)
        return sb_error_set(err, 400, "missing_field", "customer",
                            "customer needs at least one of id, phone, email");
    return 0;
}

/* Is c a character of an RFC 7230 token as the content-type pattern allows it? */
static int norm_type_char(char c, int first)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return 1;
    return !first && c && strchr("!#$&^_.+-", c) != NULL;
}

/* type/subtype, each a token starting with a letter or digit. */
static int norm_content_type_ok(const char *s)
{
    for (int part = 0; part < 2; part++) {
        if (!norm_type_char(*s, 1))
            return 0;
        for (s++; norm_type_char(*s, 0); s++) {
        }
        if (part == 0 && *s++ != '/')
            return 0;
    }
    return *s == '\0';
}

/* One attachment: {name, content_type, size?, url?}. */
static int norm_attachment(const json_t *a, size_t i, sb_error *err)
{
    char prefix[48], field[64];
    const char *name, *type, *url;
    snprintf(prefix, sizeof prefix, "attachments[%zu].", i);
    snprintf(field, sizeof field, "attachments[%zu]", i);
    if (!json_is_object(a))
        return sb_error_set(err, 400, "invalid_field", field, "%s must be an object", field);
    if (sb_json_only_keys(a, norm_attachment_keys, prefix, err) != 0 ||
        norm_str(a, prefix, "name", NORM_ATTACHMENT_NAME_MAX, &name, err) != 0 ||
        norm_str(a, prefix, "content_type", NORM_CONTENT_TYPE_MAX, &type, err) != 0 ||
        norm_str(a, prefix, "url", NORM_URL_MAX, &url, err) != 0)
        return -1;
    if (!name || !type) {
        snprintf(field, sizeof field, "%s%s", prefix, name ? "content_type" : "name");
        return sb_error_set(err, 400, "missing_field", field, "%s is required", field);
    }
    if (!norm_content_type_ok(type)) {
        snprintf(field, sizeof field, "%scontent_type", prefix);
        return sb_error_set(err, 400, "invalid_field", field, "%s must be type/subtype", field);
    }
    json_t *size = json_object_get(a, "size");
    if (size && !json_is_null(size) && (!json_is_integer(size) || json_integer_value(size) < 0)) {
        snprintf(field, sizeof field, "%ssize", prefix);
        return sb_error_set(err, 400, "invalid_field", field,
                            "%s must be a non-negative integer", field);
    }
    return 0;
}

/* attachments: an optional array of at most 20 valid attachments. */
static int norm_attachments(const json_t *body, norm_input *in, sb_error *err)
{
    json_t *arr = json_object_get(body, "attachments");
    if (!arr || json_is_null(arr))
        return 0;
    if (!json_is_array(arr))
        return sb_error_set(err, 400, "invalid_field", "attachments",
                            "attachments must be an array");
    if (json_array_size(arr) > INGEST_ATTACHMENTS_MAX)
        return sb_error_set(err, 400, "too_many_items", "attachments",
                            "at most %d attachments", INGEST_ATTACHMENTS_MAX);
    for (size_t i = 0; i < json_array_size(arr); i++)
        if (norm_attachment(json_array_get(arr, i), i, err) != 0)
            return -1;
    in->attachments = json_array_size(arr) ? arr : NULL;
    return 0;
}

/* text: up to 64 KiB; only a message carrying attachments may come without one. */
static int norm_text(const json_t *body, norm_input *in, sb_error *err)
{
    if (sb_json_get_str(body, "", "text", 0, INGEST_TEXT_MAX, &in->text, err) != 0)
        return -1;
    if ((!in->text || !*in->text) && !in->attachments)
        return sb_error_set(err, 400, "missing_field", "text",
                            "text is required unless there are attachments");
    if (!in->text)
        in->text = "";
    return 0;
}

/* hints: an optional object; the known string hints are kept, everything else dropped. */
static int norm_hints_read(const json_t *body, norm_input *in, sb_error *err)
{
    json_t *h;
    if (sb_json_get_obj(body, "", "hints", 0, &h, err) != 0)
        return -1;
    for (size_t i = 0; h && i < NORM_HINTS; i++) {
        if (!json_is_string(json_object_get(h, norm_hints[i].key)))
            continue;
        if (norm_str(h, "hints.", norm_hints[i].key, norm_hints[i].max, &in->hints[i], err) != 0)
            return -1;
    }
    return 0;
}

/* sent_at: an optional RFC 3339 time within INGEST_SENT_AT_*_MS of now_ms. */
static int norm_sent_at(const json_t *body, int64_t now_ms, norm_input *in, sb_error *err)
{
    return ingest_jsonin_time(body, "", "sent_at", now_ms, &in->sent_at_ms, err);
}

/* thread: the ids a mail-like channel threads by (Message-ID, In-Reply-To, References). */
static int norm_thread(const json_t *body, norm_input *in, sb_error *err)
{
    json_t *t, *refs;
    if (sb_json_get_obj(body, "", "thread", 0, &t, err) != 0)
        return -1;
    if (!t)
        return 0;
    if (sb_json_only_keys(t, norm_thread_keys, "thread.", err) != 0 ||
        norm_str(t, "thread.", "message_id", NORM_THREAD_ID_MAX, &in->thread_id, err) != 0 ||
        norm_str(t, "thread.", "in_reply_to", NORM_THREAD_ID_MAX, &in->in_reply_to, err) != 0 ||
        sb_json_get_arr(t, "thread.", "references", 0, &refs, err) != 0)
        return -1;
    if (json_array_size(refs) > NORM_THREAD_REFS_MAX)
        return sb_error_set(err, 400, "too_many_items", "thread.references",
                            "at most %d references", NORM_THREAD_REFS_MAX);
    for (size_t i = 0; i < json_array_size(refs); i++) {
        const char *r;
        char field[40];
        snprintf(field, sizeof field, "thread.references[%zu]", i);
        if (ingest_jsonin_item(json_array_get(refs, i), field, NORM_THREAD_ID_MAX, &r, err) != 0)
            return -1;
    }
    in->references = json_array_size(refs) ? refs : NULL;
    return 0;
}

/* Every check, in the order a caller fixes them: who may post, then what was posted. */
static int norm_read(const json_t *body, const char *key_channel, int64_t now_ms, norm_input *in,
                     sb_error *err)
{
    if (norm_channel(body, key_channel, in, err) != 0 ||
        sb_json_only_keys(body, norm_top_keys, "", err) != 0 ||
        norm_external_id(body, in, err) != 0 || norm_customer(body, in, err) != 0 ||
        norm_attachments(body, in, err) != 0 || norm_text(body, in, err) != 0 ||
        norm_hints_read(body, in, err) != 0 || norm_sent_at(body, now_ms, in, err) != 0 ||
        norm_thread(body, in, err) != 0)
        return -1;
    return 0;
}

/* The masked customer of the event; the raw values never enter it. 0 or -1. */
static int norm_put_customer(ingest_jw *w, const norm_input *in, const char *key)
{
    /* The masked e-mail keeps the domain, which may be up to 4 bytes per character. */
    char name[16], phone[40], email[4 * NORM_CUSTOMER_EMAIL_MAX + 16], id[32];
    if (sb_mask_name(in->name, name, sizeof name) != 0 ||
        sb_mask_phone(in->phone, phone, sizeof phone) != 0 ||
        sb_mask_email(in->email, email, sizeof email) != 0 ||
        sb_mask_id(in->id, id, sizeof id) != 0)
        return -1;
    ingest_jw_key(w, "customer");
    ingest_jw_open(w, '{');
    ingest_jw_member(w, "key", key);
    ingest_jw_member(w, "display_name", name);
    ingest_jw_member(w, "phone_masked", phone);
    ingest_jw_member(w, "email_masked", email);
    ingest_jw_member(w, "id_masked", id);
    ingest_jw_member(w, "tier", in->tier);
    ingest_jw_close(w, '}');
    return 0;
}

/* attachments, as validated: only the contract's members. */
static void norm_put_attachments(ingest_jw *w, const json_t *arr)
{
    static const char *const strs[] = {"name", "content_type", "url"};
    ingest_jw_key(w, "attachments");
    ingest_jw_open(w, '[');
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const json_t *a = json_array_get(arr, i);
        ingest_jw_open(w, '{');
        for (size_t k = 0; k < sizeof strs / sizeof strs[0]; k++) {
            const char *v = json_string_value(json_object_get(a, strs[k]));
            if (v && *v)
                ingest_jw_member(w, strs[k], v);
        }
        const json_t *size = json_object_get(a, "size");
        if (json_is_integer(size)) {
            ingest_jw_key(w, "size");
            ingest_jw_int(w, (long long)json_integer_value(size));
        }
        ingest_jw_close(w, '}');
    }
    ingest_jw_close(w, ']');
}

/* hints: the kept ones. */
static void norm_put_hints(ingest_jw *w, const norm_input *in)
{
    ingest_jw_key(w, "hints");
    ingest_jw_open(w, '{');
    for (size_t i = 0; i < NORM_HINTS; i++)
        if (in->hints[i])
            ingest_jw_member(w, norm_hints[i].key, in->hints[i]);
    ingest_jw_close(w, '}');
}

/* thread, when the channel threads: only the ids it gave. */
static void norm_put_thread(ingest_jw *w, const norm_input *in)
{
    if (!in->thread_id && !in->in_reply_to && !in->references)
        return;
    ingest_jw_key(w, "thread");
    ingest_jw_open(w, '{');
    if (in->thread_id)
        ingest_jw_member(w, "message_id", in->thread_id);
    if (in->in_reply_to)
        ingest_jw_member(w, "in_reply_to", in->in_reply_to);
    if (in->references) {
        ingest_jw_key(w, "references");
        ingest_jw_open(w, '[');
        for (size_t i = 0; i < json_array_size(in->references); i++)
            ingest_jw_str(w, json_string_value(json_array_get(in->references, i)));
        ingest_jw_close(w, ']');
    }
    ingest_jw_close(w, '}');
}

/* contact_sealed: the raw contact, AES-GCM sealed for the restricted store; caller frees. */
static char *norm_seal_contact(const norm_input *in, const ingest_secrets *sec)
{
    ingest_jw w;
    size_t n;
    ingest_jw_init(&w, 512);
    ingest_jw_open(&w, '{');
    ingest_jw_member(&w, "name", in->name ? in->name : "");
    ingest_jw_member(&w, "phone", in->phone ? in->phone : "");
    ingest_jw_member(&w, "email", in->email ? in->email : "");
    ingest_jw_member(&w, "id", in->id ? in->id : "");
    ingest_jw_close(&w, '}');
    char *plain = ingest_jw_finish(&w, &n);
    if (!plain)
        return NULL;
    char *sealed = sb_seal(sec->seal_key, plain, n);
    /* Do not leave raw contact details behind in freed heap memory. */
    explicit_bzero(plain, n);
    free(plain);
    return sealed;
}

/* The inbound_message event as compact JSON into ev (written directly: building a jansson tree
 * and dumping it cost more than the rest of the request). */
static int norm_build(const norm_input *in, const ingest_secrets *sec, int64_t now_ms,
                      ingest_event *ev, sb_error *err)
{
    char ts[32];
    ingest_jw w;
    sb_clock_format_iso(now_ms, ts, sizeof ts);
    char *sealed = norm_seal_contact(in, sec);
    ingest_jw_init(&w, 1024 + strlen(in->text));
    ingest_jw_open(&w, '{');
    ingest_jw_member(&w, "type", "inbound_message");
    ingest_jw_member(&w, "event_id", ev->message_id);
    ingest_jw_member(&w, "message_id", ev->message_id);
    ingest_jw_member(&w, "occurred_at", ts);
    ingest_jw_member(&w, "channel", in->channel->name);
    ingest_jw_member(&w, "external_id", in->external_id);
    ingest_jw_member(&w, "received_at", ts);
    int ok = sealed && norm_put_customer(&w, in, ev->customer_key) == 0;
    ingest_jw_member(&w, "contact_sealed", sealed ? sealed : "");
    ingest_jw_member(&w, "text", in->text);
    norm_put_attachments(&w, in->attachments);
    norm_put_hints(&w, in);
    if (in->sent_at_ms) {
        char sent[32];
        sb_clock_format_iso(in->sent_at_ms, sent, sizeof sent);
        ingest_jw_member(&w, "sent_at", sent);
    }
    norm_put_thread(&w, in);
    ingest_jw_close(&w, '}');
    free(sealed);
    ev->json = ok ? ingest_jw_finish(&w, &ev->len) : NULL;
    if (!ok)
        ingest_jw_discard(&w);
    if (!ev->json)
        return sb_error_set(err, 503, "overloaded", "", "cannot build the event");
    return 0;
}

int ingest_normalize(const json_t *body, const char *key_channel, const ingest_secrets *sec,
                     int64_t now_ms, ingest_event *ev, sb_error *err)
{
    norm_input in;
    memset(&in, 0, sizeof in);
    memset(ev, 0, sizeof *ev);
    int rc = norm_read(body, key_channel, now_ms, &in, err);
    if (rc == 0 && sb_customer_key(sec->customer_key_secret, in.channel->name, in.id, in.phone,
                                   in.email, ev->customer_key) != 0)
        rc = sb_error_set(err, 400, "missing_field", "customer",
                          "customer needs at least one of id, phone, email");
    if (rc == 0) {
        ev->channel = in.channel;
        sb_ids_message_id(in.channel->name, in.external_id, ev->message_id);
        rc = norm_build(&in, sec, now_ms, ev, err);
    }
    return rc;
}

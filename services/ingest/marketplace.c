/* marketplace.c - a marketplace webhook: its signature checked, then validated and mapped to
 * the generic message. */
#include "services/ingest/marketplace.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/json.h"
#include "services/ingest/jsonin.h"
#include "services/ingest/normalize.h"

#define MP_SIG_PREFIX     "sha256="
#define MP_SIG_HEX        64       /* hex digits of a SHA-256 */
#define MP_EVENT_ID_MAX   128      /* characters: "<name>:<event_id>" stays within 200 */
#define MP_SHOP_ID_MAX    64
#define MP_BUYER_ID_MAX   80       /* characters: "<name>:<buyer.id>" stays within 128 */
#define MP_NICK_MAX       128
#define MP_PHONE_MAX      32
#define MP_ORDER_ID_MAX   128
#define MP_AMOUNT_MAX     16
#define MP_IMAGE_NAME_MAX 255      /* bytes of an image's attachment name */

/* The event as read; every string borrows from the parsed body. */
typedef struct mp_event {
    const char *event_id, *event_type, *created_at;
    const char *buyer_id, *nick, *phone;
    const char *order_id, *amount, *currency;
    const char *text;
    json_t     *images;   /* validated array (borrowed), or NULL */
} mp_event;

static const char *const mp_keys[] = {"event_id", "event_type", "shop_id", "created_at",
                                      "buyer",    "order",      "message", NULL};
static const char *const mp_buyer_keys[] = {"id", "nick", "phone", NULL};
static const char *const mp_order_keys[] = {"id", "amount", "currency", NULL};
static const char *const mp_message_keys[] = {"text", "images", NULL};

/* event_type and the category it tells classify (NULL: classify decides). */
static const struct {
    const char *type, *category;
} mp_types[] = {
    {"buyer_message", NULL}, {"after_sale_request", "after-sales"}, {"dispute", "complaint"}};

/* Image extensions and their media types; any other is taken for JPEG, the usual upload. */
static const struct {
    const char *ext, *type;
} mp_image_types[] = {{"jpg", "image/jpeg"},  {"jpeg", "image/jpeg"}, {"png", "image/png"},
                      {"gif", "image/gif"},   {"webp", "image/webp"}, {"bmp", "image/bmp"},
                      {"heic", "image/heic"}, {"heif", "image/heif"}, {"avif", "image/avif"},
                      {"tif", "image/tiff"},  {"tiff", "image/tiff"}};

int ingest_marketplace_name_ok(const char *name)
{
    size_t n = strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-");
    return n >= 1 && n <= INGEST_MARKETPLACE_NAME_MAX && name[n] == '\0';
}

/* "sha256=<64 hex digits>" (blanks around it ignored) into the 32 bytes it names; 0 or -1. */
static int mp_sig_decode(const char *header, unsigned char mac[32])
{
    header += strspn(header, " \t");
    if (strncasecmp(header, MP_SIG_PREFIX, sizeof MP_SIG_PREFIX - 1) != 0)
        return -1;
    const char *hex = header + sizeof MP_SIG_PREFIX - 1;
    for (int i = 0; i < MP_SIG_HEX / 2; i++) {
        int hi = OPENSSL_hexchar2int((unsigned char)hex[2 * i]);
        int lo = hi < 0 ? -1 : OPENSSL_hexchar2int((unsigned char)hex[2 * i + 1]);
        if (lo < 0)
            return -1;
        mac[i] = (unsigned char)(hi << 4 | lo);
    }
    hex += MP_SIG_HEX;
    return hex[strspn(hex, " \t")] == '\0' ? 0 : -1;
}

int ingest_marketplace_verify(const char *header, const char *secret, size_t secret_len,
                              const char *body, size_t len, sb_error *err)
{
    unsigned char given[32], mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (!header || !*header)
        return sb_error_set(err, 401, "unauthorized", "X-Signature",
                            "X-Signature: sha256=<hex HMAC-SHA256 of the body> is required");
    if (mp_sig_decode(header, given) != 0)
        return sb_error_set(err, 401, "unauthorized", "X-Signature",
                            "X-Signature must be sha256=<64 hex digits>");
    /* An empty secret would let anyone sign: it verifies nothing. */
    if (!secret || !secret_len || secret_len > 0x7fffffff ||
        !HMAC(EVP_sha256(), secret, (int)secret_len, (const unsigned char *)(body ? body : ""),
              len, mac, &mac_len) ||
        mac_len != sizeof given || CRYPTO_memcmp(given, mac, sizeof given) != 0)
        return sb_error_set(err, 401, "unauthorized", "X-Signature",
                            "X-Signature does not match the body");
    return 0;
}

/* event_type: one of the known types; *category the hint it gives. */
static int mp_event_type(const json_t *body, mp_event *e, const char **category, sb_error *err)
{
    if (ingest_jsonin_str(body, "", "event_type", 1, 0, &e->event_type, err) != 0)
        return -1;
    for (size_t i = 0; i < sizeof mp_types / sizeof mp_types[0]; i++)
        if (strcmp(e->event_type, mp_types[i].type) == 0) {
            *category = mp_types[i].category;
            return 0;
        }
    return sb_error_set(err, 400, "invalid_field", "event_type",
                        "event_type must be buyer_message, after_sale_request or dispute");
}

/* buyer: {id, nick?, phone?}; a phone the marketplace masked (138****5678) is dropped. */
static int mp_buyer(const json_t *body, mp_event *e, sb_error *err)
{
    json_t *b;
    if (sb_json_get_obj(body, "", "buyer", 1, &b, err) != 0 ||
        sb_json_only_keys(b, mp_buyer_keys, "buyer.", err) != 0 ||
        ingest_jsonin_str(b, "buyer.", "id", 1, MP_BUYER_ID_MAX, &e->buyer_id, err) != 0 ||
        ingest_jsonin_str(b, "buyer.", "nick", 0, MP_NICK_MAX, &e->nick, err) != 0 ||
        ingest_jsonin_str(b, "buyer.", "phone", 0, MP_PHONE_MAX, &e->phone, err) != 0)
        return -1;
    if (e->phone && !ingest_jsonin_phone_ok(e->phone, 1))
        return sb_error_set(err, 400, "invalid_field", "buyer.phone",
                            "buyer.phone must be a phone number: optional +, 3 to 20 digits, "
                            "blanks, ( ) and -");
    if (e->phone && strchr(e->phone, '*'))
        e->phone = NULL;
    return 0;
}

/* amount: a decimal string, 1..12 integer digits without leading zeros, at most 2 decimals. */
static int mp_amount_ok(const char *s)
{
    size_t n = strspn(s, "0123456789");
    if (n < 1 || n > 12 || (n > 1 && s[0] == '0'))
        return 0;
    s += n;
    if (*s == '.') {
        n = strspn(++s, "0123456789");
        if (n < 1 || n > 2)
            return 0;
        s += n;
    }
    return *s == '\0';
}

/* currency: three upper-case letters (ISO 4217). */
static int mp_currency_ok(const char *s)
{
    return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == 3 && s[3] == '\0';
}

/* order: optional {id, amount?, currency?}. */
static int mp_order(const json_t *body, mp_event *e, sb_error *err)
{
    json_t *o;
    const char *amount = NULL, *currency = NULL;
    if (sb_json_get_obj(body, "", "order", 0, &o, err) != 0)
        return -1;
    if (!o)
        return 0;
    if (sb_json_only_keys(o, mp_order_keys, "order.", err) != 0 ||
        ingest_jsonin_str(o, "order.", "id", 1, MP_ORDER_ID_MAX, &e->order_id, err) != 0 ||
        ingest_jsonin_str(o, "order.", "amount", 0, MP_AMOUNT_MAX, &amount, err) != 0 ||
        ingest_jsonin_str(o, "order.", "currency", 0, 3, &currency, err) != 0)
        return -1;
    if (amount && !mp_amount_ok(amount))
        return sb_error_set(err, 400, "invalid_field", "order.amount",
                            "order.amount must be a decimal string such as \"199.00\"");
    if (currency && !mp_currency_ok(currency))
        return sb_error_set(err, 400, "invalid_field", "order.currency",
                            "order.currency must be an ISO 4217 code such as CNY");
    e->amount = amount;
    e->currency = currency;
    return 0;
}

/* message.images: at most 20 http(s) URLs. */
static int mp_images(const json_t *m, mp_event *e, sb_error *err)
{
    json_t *arr;
    if (sb_json_get_arr(m, "message.", "images", 0, &arr, err) != 0)
        return -1;
    if (json_array_size(arr) > INGEST_ATTACHMENTS_MAX)
        return sb_error_set(err, 400, "too_many_items", "message.images", "at most %d images",
                            INGEST_ATTACHMENTS_MAX);
    for (size_t i = 0; i < json_array_size(arr); i++) {
        char field[40];
        const char *url;
        snprintf(field, sizeof field, "message.images[%zu]", i);
        if (ingest_jsonin_item(json_array_get(arr, i), field, INGEST_JSONIN_URL_MAX, &url,
                               err) != 0)
            return -1;
        if (!ingest_jsonin_url_ok(url))
            return sb_error_set(err, 400, "invalid_field", field,
                                "%s must be an http(s) URL without blanks", field);
    }
    e->images = json_array_size(arr) ? arr : NULL;
    return 0;
}

/* message: {text?, images?}, one of them at least. */
static int mp_message(const json_t *body, mp_event *e, sb_error *err)
{
    json_t *m;
    if (sb_json_get_obj(body, "", "message", 1, &m, err) != 0 ||
        sb_json_only_keys(m, mp_message_keys, "message.", err) != 0 ||
        ingest_jsonin_str(m, "message.", "text", 0, 0, &e->text, err) != 0 ||
        mp_images(m, e, err) != 0)
        return -1;
    if (e->text && strlen(e->text) > INGEST_TEXT_MAX)
        return sb_error_set(err, 400, "field_too_long", "message.text",
                            "message.text must be at most %d bytes", INGEST_TEXT_MAX);
    if (!e->text && !e->images)
        return sb_error_set(err, 400, "missing_field", "message.text",
                            "a message needs text or images");
    return 0;
}

/* Every check, member by member in the order the schema lists them. */
static int mp_read(const json_t *body, int64_t now_ms, mp_event *e, const char **category,
                   sb_error *err)
{
    const char *shop_id;
    int64_t created_ms;
    if (sb_json_only_keys(body, mp_keys, "", err) != 0 ||
        ingest_jsonin_str(body, "", "event_id", 1, MP_EVENT_ID_MAX, &e->event_id, err) != 0 ||
        mp_event_type(body, e, category, err) != 0 ||
        ingest_jsonin_str(body, "", "shop_id", 0, MP_SHOP_ID_MAX, &shop_id, err) != 0 ||
        ingest_jsonin_time(body, "", "created_at", now_ms, &created_ms, err) != 0 ||
        mp_buyer(body, e, err) != 0 || mp_order(body, e, err) != 0 ||
        mp_message(body, e, err) != 0)
        return -1;
    e->created_at = created_ms ? json_string_value(json_object_get(body, "created_at")) : NULL;
    return 0;
}

/* The media type of an image's extension; JPEG when unknown. */
static const char *mp_image_type(const char *ext)
{
    for (size_t i = 0; i < sizeof mp_image_types / sizeof mp_image_types[0]; i++)
        if (strcmp(ext, mp_image_types[i].ext) == 0)
            return mp_image_types[i].type;
    return "image/jpeg";
}

/* The images as attachments {name: the URL's last path segment (image-<n> when it has none
 * or a longer one than a name may be), content_type, url}; NULL when out of memory. */
static json_t *mp_attachments(const json_t *images)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < json_array_size(images); i++) {
        const char *url = json_string_value(json_array_get(images, i));
        char name[MP_IMAGE_NAME_MAX + 1], ext[9];
        ingest_jsonin_url_basename(url, name, sizeof name);
        ingest_jsonin_url_extension(url, ext);
        if (!*name)
            snprintf(name, sizeof name, "image-%zu%s%s", i + 1, *ext ? "." : "", ext);
        if (json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "name", name, "content_type",
                                                 mp_image_type(ext), "url", url)) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    }
    return arr;
}

/* "<a>:<b>" into out (len bytes, enough by the limits above). */
static void mp_join(char *out, size_t len, const char *a, const char *b)
{
    snprintf(out, len, "%s:%s", a, b);
}

/* The generic message body of a validated event; NULL when out of memory. */
static json_t *mp_build(const char *name, const mp_event *e, const char *category)
{
    /* Characters of up to 4 bytes each: the joined ids stay within 200 and 128 characters. */
    char external_id[4 * (INGEST_MARKETPLACE_NAME_MAX + 1 + MP_EVENT_ID_MAX) + 1];
    char customer_id[4 * (INGEST_MARKETPLACE_NAME_MAX + 1 + MP_BUYER_ID_MAX) + 1];
    mp_join(external_id, sizeof external_id, name, e->event_id);
    mp_join(customer_id, sizeof customer_id, name, e->buyer_id);
    json_t *customer = json_pack("{s:s, s:s*, s:s*}", "id", customer_id, "name", e->nick,
                                 "phone", e->phone);
    json_t *attachments = e->images ? mp_attachments(e->images) : NULL;
    /* The order's value lets priority rules treat big orders first (classify reads it). */
    json_t *hints = json_pack("{s:s*, s:s*, s:s*, s:s*}", "order_id", e->order_id,
                              "category", category, "order_value", e->amount,
                              "order_currency", e->currency);
    if (!customer || (e->images && !attachments) || !hints) {
        json_decref(customer);
        json_decref(attachments);
        json_decref(hints);
        return NULL;
    }
    if (json_object_size(hints) == 0) {
        json_decref(hints);
        hints = NULL;
    }
    /* "o" steals its reference even when packing fails. */
    return json_pack("{s:s, s:s, s:o, s:s*, s:o*, s:o*, s:s*}", "channel", "marketplace",
                     "external_id", external_id, "customer", customer, "text", e->text,
                     "attachments", attachments, "hints", hints, "sent_at", e->created_at);
}

int ingest_marketplace_parse(const char *name, const char *body, size_t len, int64_t now_ms,
                             json_t **out, sb_error *err)
{
    mp_event e;
    const char *category = NULL;
    memset(&e, 0, sizeof e);
    *out = NULL;
    json_t *doc = sb_json_parse_object(body, len, err);
    if (!doc)
        return -1;
    int rc = mp_read(doc, now_ms, &e, &category, err);
    if (rc == 0 && !(*out = mp_build(name, &e, category)))
        rc = sb_error_set(err, 503, "overloaded", "", "out of memory");
    json_decref(doc);
    return rc;
}

/* wechat.c - WeChat-style pushes: URL signature check, XML (expat) -> generic message body. */
#include "services/ingest/wechat.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <expat.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "services/ingest/normalize.h"

#define WX_SHA1_LEN        20
#define WX_TIMESTAMP_DIGITS 12    /* epoch seconds until the year 33658 */
#define WX_NONCE_MAX       128

/* The elements read, by index into wx_elems. Any other (ToUserName, ThumbMediaId, EventKey,
 * Scale, MsgDataId, ...) is ignored with everything inside it: nothing downstream needs it. */
enum {
    WX_FROM_USER, WX_CREATE_TIME, WX_MSG_TYPE, WX_MSG_ID, WX_CONTENT, WX_MEDIA_ID, WX_PIC_URL,
    WX_FORMAT, WX_RECOGNITION, WX_LOCATION_X, WX_LOCATION_Y, WX_LABEL, WX_TITLE, WX_DESCRIPTION,
    WX_URL, WX_EVENT, WX_NELEMS
};

/* Each element read with its longest value in bytes. The limits keep what is mapped inside
 * what ingest_normalize accepts (customer.id 128, external_id 200, text 64 KiB, url 2048,
 * attachment name 255), so a refusal names the XML element, never a generic field: a link's
 * Title + Description + Url and a location's Label stay under 64 KiB together. */
static const struct {
    const char *name;
    size_t      max;
} wx_elems[WX_NELEMS] = {
    [WX_FROM_USER] = {"FromUserName", 128},
    [WX_CREATE_TIME] = {"CreateTime", 32},
    [WX_MSG_TYPE] = {"MsgType", 32},
    [WX_MSG_ID] = {"MsgId", INGEST_EXTERNAL_ID_MAX},
    [WX_CONTENT] = {"Content", INGEST_TEXT_MAX},
    [WX_MEDIA_ID] = {"MediaId", 200},
    [WX_PIC_URL] = {"PicUrl", 2048},
    [WX_FORMAT] = {"Format", 16},
    [WX_RECOGNITION] = {"Recognition", INGEST_TEXT_MAX},
    [WX_LOCATION_X] = {"Location_X", 32},
    [WX_LOCATION_Y] = {"Location_Y", 32},
    [WX_LABEL] = {"Label", 4096},
    [WX_TITLE] = {"Title", 4096},
    [WX_DESCRIPTION] = {"Description", 57000},
    [WX_URL] = {"Url", 2048},
    [WX_EVENT] = {"Event", 64},
};

/* The events counted, spelled as the platform spells them; any other counts as "other", so a
 * sender cannot grow the metric's label set. */
static const char *const wx_events[] = {
    "subscribe", "unsubscribe", "SCAN", "LOCATION", "CLICK", "VIEW", "scancode_push",
    "scancode_waitmsg", "pic_sysphoto", "pic_photo_or_album", "pic_weixin", "location_select",
    "view_miniprogram", "TEMPLATESENDJOBFINISH", "MASSSENDJOBFINISH", NULL};

/* The elements' text as read: malloc'd and NUL-terminated, NULL when the element is absent. */
typedef struct wx_doc {
    char  *text[WX_NELEMS];
    size_t len[WX_NELEMS];
} wx_doc;

/* Parser state shared by the expat callbacks. */
typedef struct wx_parser {
    XML_Parser xp;
    wx_doc    *doc;
    int        depth;     /* of the element being read; <xml> is 1 */
    int        current;   /* the known element being read (depth 2), or -1 */
    int        failed;    /* err is set and the parser stopping: ignore further callbacks */
    sb_error  *err;
} wx_parser;

/* ---- the signature ---- */

/* One signed string: the token may hold any byte, so it carries its length. */
typedef struct wx_part {
    const char *s;
    size_t      n;
} wx_part;

/* Byte-wise order, a proper prefix first: how the platform sorts the three strings. */
static int wx_part_cmp(const wx_part *a, const wx_part *b)
{
    int c = memcmp(a->s, b->s, a->n < b->n ? a->n : b->n);
    return c ? c : (a->n > b->n) - (a->n < b->n);
}

/* Exactly 40 hex digits into 20 bytes; 0 or -1. */
static int wx_hex_decode(const char *hex, unsigned char out[WX_SHA1_LEN])
{
    for (int i = 0; i < WX_SHA1_LEN; i++) {
        int hi = OPENSSL_hexchar2int((unsigned char)hex[2 * i]);
        int lo = hi < 0 ? -1 : OPENSSL_hexchar2int((unsigned char)hex[2 * i + 1]);
        if (lo < 0)
            return -1;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return hex[2 * WX_SHA1_LEN] == '\0' ? 0 : -1;
}

/* SHA-1 of the three parts sorted and concatenated; 0 or -1 (OpenSSL failure). */
static int wx_sha1_sorted(wx_part p[3], unsigned char out[WX_SHA1_LEN])
{
    for (int i = 1; i < 3; i++)   /* insertion sort of three */
        for (int j = i; j > 0 && wx_part_cmp(&p[j - 1], &p[j]) > 0; j--) {
            wx_part t = p[j];
            p[j] = p[j - 1];
            p[j - 1] = t;
        }
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned int n = 0;
    int ok = md && EVP_DigestInit_ex(md, EVP_sha1(), NULL) &&
             EVP_DigestUpdate(md, p[0].s, p[0].n) && EVP_DigestUpdate(md, p[1].s, p[1].n) &&
             EVP_DigestUpdate(md, p[2].s, p[2].n) && EVP_DigestFinal_ex(md, out, &n) &&
             n == WX_SHA1_LEN;
    EVP_MD_CTX_free(md);
    return ok ? 0 : -1;
}

int ingest_wechat_signature_ok(const char *token, size_t token_len, const char *timestamp,
                               const char *nonce, const char *signature)
{
    unsigned char got[WX_SHA1_LEN], want[WX_SHA1_LEN];
    /* An empty token would let anyone sign: it signs nothing. */
    if (!token || !token_len || !timestamp || !nonce || !signature ||
        wx_hex_decode(signature, got) != 0)
        return 0;
    wx_part parts[3] = {{token, token_len}, {timestamp, strlen(timestamp)}, {nonce, strlen(nonce)}};
    if (wx_sha1_sorted(parts, want) != 0)
        return 0;
    return CRYPTO_memcmp(got, want, WX_SHA1_LEN) == 0;
}

/* 1 when s is 1..max decimal digits. */
static int wx_digits(const char *s, size_t max)
{
    size_t n = strspn(s, "0123456789");
    return n > 0 && n <= max && s[n] == '\0';
}

int ingest_wechat_verify(const char *token, size_t token_len, const ingest_wechat_query *q,
                         sb_error *err)
{
    static const char *const names[] = {"signature", "timestamp", "nonce"};
    const char *values[] = {q->signature, q->timestamp, q->nonce};
    for (int i = 0; i < 3; i++)
        if (!values[i] || !*values[i])
            return sb_error_set(err, 401, "unauthorized", names[i],
                                "the %s query parameter is required", names[i]);
    if (!wx_digits(q->timestamp, WX_TIMESTAMP_DIGITS))
        return sb_error_set(err, 401, "unauthorized", "timestamp",
                            "timestamp must be epoch seconds");
    if (strlen(q->nonce) > WX_NONCE_MAX)
        return sb_error_set(err, 401, "unauthorized", "nonce", "nonce is too long");
    if (!ingest_wechat_signature_ok(token, token_len, q->timestamp, q->nonce, q->signature))
        return sb_error_set(err, 401, "unauthorized", "signature",
                            "signature does not match the account's token");
    return 0;
}

int ingest_wechat_fresh(const char *timestamp, int64_t now_ms, sb_error *err)
{
    if (!timestamp || !wx_digits(timestamp, WX_TIMESTAMP_DIGITS))
        return sb_error_set(err, 401, "unauthorized", "timestamp",
                            "timestamp must be epoch seconds");
    int64_t skew_ms = strtoll(timestamp, NULL, 10) * 1000 - now_ms;
    if (skew_ms > INGEST_WECHAT_MAX_SKEW_S * 1000LL || skew_ms < -INGEST_WECHAT_MAX_SKEW_S * 1000LL)
        return sb_error_set(err, 401, "stale_request", "timestamp",
                            "timestamp is more than %d s away from now (a replay?)",
                            INGEST_WECHAT_MAX_SKEW_S);
    return 0;
}

/* ---- the XML ---- */

/* Refuse: set err once and stop the parser. */
static void wx_fail(wx_parser *p, int status, const char *code, const char *field,
                    const char *message)
{
    if (p->failed)
        return;
    p->failed = 1;
    sb_error_set(p->err, status, code, field, "%s", message);
    XML_StopParser(p->xp, XML_FALSE);
}

/* Index of a known element name, or -1 (ignored). */
static int wx_elem_index(const char *name)
{
    for (int i = 0; i < WX_NELEMS; i++)
        if (strcmp(name, wx_elems[i].name) == 0)
            return i;
    return -1;
}

/* Opening tag: <xml> at the root, known elements below it read once each, as text only. */
static void XMLCALL wx_on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    (void)atts;
    wx_parser *p = ud;
    char msg[128];
    if (p->failed)
        return;
    p->depth++;
    if (p->depth == 1 && strcmp(name, "xml") != 0) {
        wx_fail(p, 400, "invalid_xml", "xml", "the root element must be <xml>");
    } else if (p->depth == 2 && (p->current = wx_elem_index(name)) >= 0) {
        if (p->doc->text[p->current]) {
            snprintf(msg, sizeof msg, "%s appears more than once", name);
            wx_fail(p, 400, "invalid_field", name, msg);
        } else if (!(p->doc->text[p->current] = calloc(1, 1))) {
            wx_fail(p, 503, "overloaded", "", "out of memory");
        }
    } else if (p->depth == 3 && p->current >= 0) {
        snprintf(msg, sizeof msg, "%s must hold text, not elements", wx_elems[p->current].name);
        wx_fail(p, 400, "invalid_field", wx_elems[p->current].name, msg);
    }
}

/* Closing tag. */
static void XMLCALL wx_on_end(void *ud, const XML_Char *name)
{
    (void)name;
    wx_parser *p = ud;
    if (p->failed)
        return;
    if (p->depth == 2)
        p->current = -1;
    p->depth--;
}

/* Text and CDATA alike: appended to the known element being read, within its limit. */
static void XMLCALL wx_on_text(void *ud, const XML_Char *s, int len)
{
    wx_parser *p = ud;
    if (p->failed || p->current < 0 || p->depth != 2 || len <= 0)
        return;
    int i = p->current;
    size_t have = p->doc->len[i], n = (size_t)len;
    if (n > wx_elems[i].max - have) {
        char msg[96];
        snprintf(msg, sizeof msg, "%s must be at most %zu bytes", wx_elems[i].name,
                 wx_elems[i].max);
        wx_fail(p, 400, "field_too_long", wx_elems[i].name, msg);
        return;
    }
    char *grown = realloc(p->doc->text[i], have + n + 1);
    if (!grown) {
        wx_fail(p, 503, "overloaded", "", "out of memory");
        return;
    }
    memcpy(grown + have, s, n);
    grown[have + n] = '\0';
    p->doc->text[i] = grown;
    p->doc->len[i] = have + n;
}

/* A DOCTYPE is where entity expansion (billion laughs) and external entities (XXE) start:
 * the platform never sends one, so none is accepted. */
static void XMLCALL wx_on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
                                  const XML_Char *pubid, int has_internal_subset)
{
    (void)name;
    (void)sysid;
    (void)pubid;
    (void)has_internal_subset;
    wx_fail(ud, 400, "invalid_xml", "xml", "DOCTYPE and entity declarations are not accepted");
}

/* An entity declaration: never reached past the DOCTYPE refusal; refused here too. */
static void XMLCALL wx_on_entity(void *ud, const XML_Char *name, int is_param,
                                 const XML_Char *value, int value_len, const XML_Char *base,
                                 const XML_Char *sysid, const XML_Char *pubid,
                                 const XML_Char *notation)
{
    (void)name, (void)is_param, (void)value, (void)value_len, (void)base;
    (void)sysid, (void)pubid, (void)notation;
    wx_fail(ud, 400, "invalid_xml", "xml", "DOCTYPE and entity declarations are not accepted");
}

/* Frees the elements' text. */
static void wx_doc_free(wx_doc *d)
{
    for (int i = 0; i < WX_NELEMS; i++)
        free(d->text[i]);
}

/* xml -> the known elements' text; 0, or -1 with err (400 invalid_xml for what expat refuses). */
static int wx_read(const char *xml, size_t len, wx_doc *doc, sb_error *err)
{
    if (len > INT_MAX)
        return sb_error_set(err, 413, "body_too_large", "", "the push is too large");
    wx_parser p = {.doc = doc, .current = -1, .err = err};
    if (!(p.xp = XML_ParserCreate(NULL)))
        return sb_error_set(err, 503, "overloaded", "", "out of memory");
    XML_SetUserData(p.xp, &p);
    XML_SetElementHandler(p.xp, wx_on_start, wx_on_end);
    XML_SetCharacterDataHandler(p.xp, wx_on_text);
    XML_SetStartDoctypeDeclHandler(p.xp, wx_on_doctype);
    XML_SetEntityDeclHandler(p.xp, wx_on_entity);
    XML_SetParamEntityParsing(p.xp, XML_PARAM_ENTITY_PARSING_NEVER);
    int rc = 0;
    if (XML_Parse(p.xp, xml, (int)len, XML_TRUE) != XML_STATUS_OK && !p.failed)
        rc = sb_error_set(err, 400, "invalid_xml", "xml", "line %lu, column %lu: %s",
                          (unsigned long)XML_GetCurrentLineNumber(p.xp),
                          (unsigned long)XML_GetCurrentColumnNumber(p.xp),
                          XML_ErrorString(XML_GetErrorCode(p.xp)));
    XML_ParserFree(p.xp);
    return p.failed ? -1 : rc;
}

/* ---- the mapping ---- */

/* Is c XML white space? */
static int wx_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Element i without surrounding white space, in place; NULL when absent or blank. */
static const char *wx_get(wx_doc *d, int i)
{
    char *s = d->text[i];
    if (!s)
        return NULL;
    size_t n = d->len[i];
    while (n > 0 && wx_space(s[n - 1]))
        s[--n] = '\0';
    size_t lead = 0;
    while (lead < n && wx_space(s[lead]))
        lead++;
    memmove(s, s + lead, n - lead + 1);
    d->len[i] = n - lead;
    return d->len[i] ? s : NULL;
}

/* A required element: its trimmed value, or -1 with 400 missing_field naming it. */
static int wx_need(wx_doc *d, int i, const char **out, sb_error *err)
{
    *out = wx_get(d, i);
    if (!*out)
        return sb_error_set(err, 400, "missing_field", wx_elems[i].name, "%s is required",
                            wx_elems[i].name);
    return 0;
}

/* 400 invalid_field naming element i. */
static int wx_invalid(int i, const char *why, sb_error *err)
{
    return sb_error_set(err, 400, "invalid_field", wx_elems[i].name, "%s %s", wx_elems[i].name,
                        why);
}

/* 1 when every byte of s is visible ASCII and none is one of forbid. */
static int wx_visible(const char *s, const char *forbid)
{
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f || strchr(forbid, *s))
            return 0;
    return 1;
}

/* A decimal number such as -23.134521 (no exponent, no hex, no inf/nan) within [-limit, limit]. */
static int wx_coordinate(const char *s, double limit)
{
    const char *q = s + (*s == '-' || *s == '+');
    size_t whole = strspn(q, "0123456789"), frac = 0;
    if (q[whole] == '.')
        frac = strspn(q + whole + 1, "0123456789");
    if (whole + frac == 0 || q[whole + (q[whole] == '.' ? 1 + frac : 0)] != '\0')
        return 0;
    double v = strtod(s, NULL);
    return v >= -limit && v <= limit;
}

/* 503: jansson or the C library ran out of memory. */
static int wx_oom(sb_error *err)
{
    return sb_error_set(err, 503, "overloaded", "", "out of memory");
}

/* obj[key] = value (copied); 0 or -1 (out of memory). */
static int wx_set(json_t *obj, const char *key, const char *value)
{
    json_t *s = json_string(value);
    return s ? json_object_set_new(obj, key, s) : -1;
}

/* body.attachments = [{name, content_type[, url]}]; 0 or -1 with err (out of memory). */
static int wx_attach(json_t *body, const char *name, const char *content_type, const char *url,
                     sb_error *err)
{
    json_t *a = json_object(), *list = json_array();
    int ok = a && list && wx_set(a, "name", name) == 0 &&
             wx_set(a, "content_type", content_type) == 0 && (!url || wx_set(a, "url", url) == 0) &&
             json_array_append(list, a) == 0 && json_object_set(body, "attachments", list) == 0;
    json_decref(a);
    json_decref(list);
    return ok ? 0 : wx_oom(err);
}

/* body.text = text (NULL: out of memory, e.g. a failed asprintf); 0 or -1 with err. */
static int wx_text(json_t *body, const char *text, sb_error *err)
{
    return text && wx_set(body, "text", text) == 0 ? 0 : wx_oom(err);
}

/* 1 when s is empty or white space only. */
static int wx_blank(const char *s)
{
    for (; *s; s++)
        if (!wx_space(*s))
            return 0;
    return 1;
}

/* MediaId, required: visible ASCII without path separators, as it becomes a file name. */
static int wx_media_id(wx_doc *d, const char **out, sb_error *err)
{
    if (wx_need(d, WX_MEDIA_ID, out, err) != 0)
        return -1;
    return wx_visible(*out, "/\\") ? 0 : wx_invalid(WX_MEDIA_ID, "must be visible ASCII", err);
}

/* text: Content as the customer typed it (a blank one is no message). */
static int wx_map_text(wx_doc *d, json_t *body, sb_error *err)
{
    const char *content = d->text[WX_CONTENT];
    if (!content || wx_blank(content))
        return sb_error_set(err, 400, "missing_field", "Content", "Content is required");
    return wx_text(body, content, err);
}

/* image: the picture as an attachment, with the platform's PicUrl when given. */
static int wx_map_image(wx_doc *d, json_t *body, sb_error *err)
{
    const char *media, *pic = wx_get(d, WX_PIC_URL);
    char name[256];
    if (wx_media_id(d, &media, err) != 0)
        return -1;
    snprintf(name, sizeof name, "%s.jpg", media);
    return wx_attach(body, name, "image/jpeg", pic, err);
}

/* voice: the recording as an attachment (audio/<Format>), the platform's ASR as the text. */
static int wx_map_voice(wx_doc *d, json_t *body, sb_error *err)
{
    const char *media, *format, *asr = wx_get(d, WX_RECOGNITION);
    char name[256], type[32];
    if (wx_media_id(d, &media, err) != 0 || wx_need(d, WX_FORMAT, &format, err) != 0)
        return -1;
    size_t n = strlen(format);
    if (!(isalnum((unsigned char)format[0]) &&
          strspn(format, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.+-") == n))
        return wx_invalid(WX_FORMAT, "must be a codec name such as amr or speex", err);
    snprintf(name, sizeof name, "%s.%s", media, format);
    snprintf(type, sizeof type, "audio/%s", format);
    for (char *c = type; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    if (wx_attach(body, name, type, NULL, err) != 0)
        return -1;
    return asr ? wx_text(body, asr, err) : 0;
}

/* video and shortvideo: the clip as an attachment. */
static int wx_map_video(wx_doc *d, json_t *body, sb_error *err)
{
    const char *media;
    char name[256];
    if (wx_media_id(d, &media, err) != 0)
        return -1;
    snprintf(name, sizeof name, "%s.mp4", media);
    return wx_attach(body, name, "video/mp4", NULL, err);
}

/* location: "[location] Label (x,y)", x the latitude and y the longitude. */
static int wx_map_location(wx_doc *d, json_t *body, sb_error *err)
{
    const char *x, *y, *label = wx_get(d, WX_LABEL);
    if (wx_need(d, WX_LOCATION_X, &x, err) != 0 || wx_need(d, WX_LOCATION_Y, &y, err) != 0)
        return -1;
    if (!wx_coordinate(x, 90))
        return wx_invalid(WX_LOCATION_X, "must be a latitude in degrees", err);
    if (!wx_coordinate(y, 180))
        return wx_invalid(WX_LOCATION_Y, "must be a longitude in degrees", err);
    char *text = NULL;
    if (asprintf(&text, "[location] %s%s(%s,%s)", label ? label : "", label ? " " : "", x, y) < 0)
        text = NULL;
    int rc = wx_text(body, text, err);
    free(text);
    return rc;
}

/* link: Title, Description and Url, one per line (Url required: it is what was shared). */
static int wx_map_link(wx_doc *d, json_t *body, sb_error *err)
{
    const char *title = wx_get(d, WX_TITLE), *desc = wx_get(d, WX_DESCRIPTION), *url;
    if (wx_need(d, WX_URL, &url, err) != 0)
        return -1;
    char *text = NULL;
    if (asprintf(&text, "%s%s%s%s%s", title ? title : "", title ? "\n" : "", desc ? desc : "",
                 desc ? "\n" : "", url) < 0)
        text = NULL;
    int rc = wx_text(body, text, err);
    free(text);
    return rc;
}

/* The message types and how each maps its own elements. */
static const struct {
    const char *type;
    int (*map)(wx_doc *d, json_t *body, sb_error *err);
} wx_types[] = {
    {"text", wx_map_text},   {"image", wx_map_image},       {"voice", wx_map_voice},
    {"video", wx_map_video}, {"shortvideo", wx_map_video},  {"location", wx_map_location},
    {"link", wx_map_link},
};

/* CreateTime, required: epoch seconds within the window normalisation allows sent_at
 * (INGEST_SENT_AT_*_MS), as RFC 3339. */
static int wx_sent_at(wx_doc *d, int64_t now_ms, char out[32], sb_error *err)
{
    const char *s;
    if (wx_need(d, WX_CREATE_TIME, &s, err) != 0)
        return -1;
    if (!wx_digits(s, WX_TIMESTAMP_DIGITS))
        return wx_invalid(WX_CREATE_TIME, "must be epoch seconds", err);
    int64_t secs = strtoll(s, NULL, 10);
    if (secs * 1000 > now_ms + INGEST_SENT_AT_FUTURE_MS)
        return wx_invalid(WX_CREATE_TIME, "lies more than 5 minutes in the future", err);
    if (secs * 1000 < now_ms - INGEST_SENT_AT_PAST_MS)
        return wx_invalid(WX_CREATE_TIME, "lies more than 30 days in the past", err);
    time_t t = (time_t)secs;
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return wx_invalid(WX_CREATE_TIME, "is out of range", err);
    return 0;
}

/* {channel, external_id, customer:{id}, sent_at} of a message; NULL when out of memory. */
static json_t *wx_body_new(const char *msg_id, const char *from, const char *sent_at)
{
    json_t *body = json_object(), *customer = json_object();
    int ok = body && customer && wx_set(customer, "id", from) == 0 &&
             json_object_set(body, "customer", customer) == 0 &&
             wx_set(body, "channel", "wechat") == 0 && wx_set(body, "external_id", msg_id) == 0 &&
             wx_set(body, "sent_at", sent_at) == 0;
    json_decref(customer);
    if (!ok) {
        json_decref(body);
        return NULL;
    }
    return body;
}

/* A customer's message: the elements every type has, then the type's own. */
static int wx_message(wx_doc *d, const char *type, const char *openid, int64_t now_ms,
                      ingest_wechat_push *out, sb_error *err)
{
    size_t t = 0, ntypes = sizeof wx_types / sizeof wx_types[0];
    while (t < ntypes && strcmp(type, wx_types[t].type) != 0)
        t++;
    if (t == ntypes)
        return wx_invalid(WX_MSG_TYPE, "must be text, image, voice, video, shortvideo, location, "
                                       "link or event", err);
    const char *from, *msg_id;
    char sent_at[32];
    if (wx_need(d, WX_FROM_USER, &from, err) != 0 || wx_need(d, WX_MSG_ID, &msg_id, err) != 0 ||
        wx_sent_at(d, now_ms, sent_at, err) != 0)
        return -1;
    if (!wx_visible(msg_id, ""))
        return wx_invalid(WX_MSG_ID, "must be visible ASCII", err);
    if (openid && *openid && strcmp(openid, from) != 0)
        return sb_error_set(err, 400, "invalid_field", "openid",
                            "the openid query parameter differs from FromUserName");
    json_t *body = wx_body_new(msg_id, from, sent_at);
    if (!body)
        return wx_oom(err);
    if (wx_types[t].map(d, body, err) != 0) {
        json_decref(body);
        return -1;
    }
    out->kind = INGEST_WECHAT_MESSAGE;
    out->body = body;
    return 0;
}

/* An event (subscribe, CLICK, ...): not a customer's message; only its name is kept. */
static int wx_event(wx_doc *d, ingest_wechat_push *out, sb_error *err)
{
    const char *event;
    if (wx_need(d, WX_EVENT, &event, err) != 0)
        return -1;
    out->kind = INGEST_WECHAT_EVENT;
    out->event = "other";
    for (const char *const *e = wx_events; *e; e++)
        if (strcasecmp(event, *e) == 0)
            out->event = *e;
    return 0;
}

int ingest_wechat_parse(const char *xml, size_t len, const char *openid, int64_t now_ms,
                        ingest_wechat_push *out, sb_error *err)
{
    wx_doc doc;
    const char *type;
    memset(out, 0, sizeof *out);
    memset(&doc, 0, sizeof doc);
    int rc = wx_read(xml, len, &doc, err);
    if (rc == 0 && (rc = wx_need(&doc, WX_MSG_TYPE, &type, err)) == 0)
        rc = strcmp(type, "event") == 0 ? wx_event(&doc, out, err)
                                        : wx_message(&doc, type, openid, now_ms, out, err);
    wx_doc_free(&doc);
    return rc;
}

void ingest_wechat_push_release(ingest_wechat_push *p)
{
    json_decref(p->body);
    p->body = NULL;
}

/* native.c - the channels' own formats for sb-loadgen: WeChat's signed XML push, a raw MIME
 * e-mail, an IVR call record and an HMAC-signed marketplace webhook. */
#include "tools/loadgen/native.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "tools/loadgen/content.h"

/* The marketplaces webhooks come from; any name is signed with the shared "*" secret. */
static const char *const lg_marketplaces[] = {"tmall", "jd", "pdd", "douyin"};

int lg_native_has(const char *channel)
{
    return strcmp(channel, "wechat") == 0 || strcmp(channel, "email") == 0 ||
           strcmp(channel, "phone") == 0 || strcmp(channel, "marketplace") == 0;
}

/* Lower-case hex of n bytes into out (2n + 1 bytes). */
static void lg_hex(const unsigned char *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* RFC 3339 UTC time of epoch second t. */
static void lg_rfc3339(int64_t t, char out[32])
{
    struct tm tm;
    time_t tt = (time_t)t;
    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A caller number for people who gave none: the phone channel always knows one. */
static void lg_caller(const lg_person *p, uint64_t salt, uint64_t seq, char *out, size_t len)
{
    if (p->phone[0])
        snprintf(out, len, "%s", p->phone);
    else
        snprintf(out, len, "+86 139%08" PRIu64, (uint64_t)((salt + seq) % 100000000ull));
}

/* FNV-1a of a string. */
static uint64_t lg_fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* strcmp for qsort over strings. */
static int lg_strcmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* WeChat's signature: hex SHA-1 of the sorted token, timestamp and nonce, concatenated. */
static void lg_wechat_signature(const char *token, const char *ts, const char *nonce,
                                char out[41])
{
    const char *parts[3] = {token, ts, nonce};
    char joined[512];
    unsigned char md[SHA_DIGEST_LENGTH];
    qsort(parts, 3, sizeof parts[0], lg_strcmp);
    int n = snprintf(joined, sizeof joined, "%s%s%s", parts[0], parts[1], parts[2]);
    SHA1((const unsigned char *)joined, n > 0 ? (size_t)n : 0, md);
    lg_hex(md, sizeof md, out);
}

/* The official account's XML push of a text message. */
static int lg_wechat(char *buf, size_t len, lg_native_req *r, const char *run_id, uint64_t salt,
                     uint64_t seq, const lg_person *p, const lg_native_secrets *s, int64_t now_s)
{
    char ts[24], nonce[24], sig[41], openid[40];
    if (!s->wechat_token)
        return -1;
    snprintf(ts, sizeof ts, "%" PRId64, now_s);
    snprintf(nonce, sizeof nonce, "%" PRIu64, (uint64_t)(lg_hash64(seq ^ salt) % 1000000000ull));
    /* The openid stands for the person: one customer keeps one across messages. */
    snprintf(openid, sizeof openid, "o%016" PRIx64, lg_hash64(lg_fnv1a(p->id)));
    lg_wechat_signature(s->wechat_token, ts, nonce, sig);
    snprintf(r->path, sizeof r->path,
             "/v1/channels/wechat?signature=%s&timestamp=%s&nonce=%s&openid=%s", sig, ts, nonce,
             openid);
    r->content_type = "text/xml";
    r->auth_header = NULL;
    snprintf(r->external_id, sizeof r->external_id, "%s-%" PRIu64, run_id, seq);
    return snprintf(buf, len,
                    "<xml><ToUserName><![CDATA[gh_5f3a0c2b1d9e]]></ToUserName>"
                    "<FromUserName><![CDATA[%s]]></FromUserName><CreateTime>%s</CreateTime>"
                    "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[%s]]></Content>"
                    "<MsgId>%s</MsgId></xml>",
                    openid, ts, lg_text_of(salt, seq), r->external_id);
}

/* base64 of s into out (4 * ceil(n / 3) + 1 bytes). */
static void lg_b64(const char *s, char *out)
{
    EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)strlen(s));
}

/* A raw e-mail as an MTA hands it over: RFC 2047 name and subject, base64 UTF-8 body. */
static int lg_email(char *buf, size_t len, lg_native_req *r, const char *run_id, uint64_t salt,
                    uint64_t seq, const lg_person *p, const char *bearer, int64_t now_s)
{
    char from[128], name64[96], subj64[128], body64[1024], date[64];
    const char *text = lg_text_of(salt, seq);
    char subject[64];
    struct tm tm;
    time_t tt = (time_t)now_s;
    if (p->email[0])
        snprintf(from, sizeof from, "%s", p->email);
    else
        snprintf(from, sizeof from, "%s@mail.example.com", p->id);
    snprintf(subject, sizeof subject, "Order question %" PRIu64, seq % 100000);
    lg_b64(p->name, name64);
    lg_b64(subject, subj64);
    if (strlen(text) * 4 / 3 + 8 > sizeof body64)
        return -1;
    lg_b64(text, body64);
    gmtime_r(&tt, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    snprintf(r->path, sizeof r->path, "/v1/channels/email");
    r->content_type = "message/rfc822";
    r->auth_header = "Authorization";
    snprintf(r->auth_value, sizeof r->auth_value, "%s", bearer);
    snprintf(r->external_id, sizeof r->external_id, "%s-%" PRIu64 "@loadgen.example", run_id,
             seq);
    return snprintf(buf, len,
                    "From: =?UTF-8?B?%s?= <%s>\r\nTo: support@shop.example.com\r\n"
                    "Subject: =?UTF-8?B?%s?=\r\nDate: %s\r\nMessage-ID: <%s>\r\n"
                    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
                    "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n",
                    name64, from, subj64, date, r->external_id, body64);
}

/* The telephony platform's record of a finished call, its IVR path a category hint. */
static int lg_phone(char *buf, size_t len, lg_native_req *r, const char *run_id, uint64_t salt,
                    uint64_t seq, const lg_person *p, const char *bearer, int64_t now_s)
{
    static const char *const paths[] = {"[\"1\",\"3\",\"2\"]", "[\"2\",\"1\"]", "[\"3\"]",
                                        "[\"1\",\"1\"]"};
    char caller[40], started[32];
    uint64_t h = lg_hash64(seq ^ salt);
    int duration = 30 + (int)(h % 600);
    lg_caller(p, salt, seq, caller, sizeof caller);
    lg_rfc3339(now_s - duration, started);
    snprintf(r->path, sizeof r->path, "/v1/channels/phone");
    r->content_type = "application/json";
    r->auth_header = "Authorization";
    snprintf(r->auth_value, sizeof r->auth_value, "%s", bearer);
    snprintf(r->external_id, sizeof r->external_id, "%s-%" PRIu64, run_id, seq);
    return snprintf(buf, len,
                    "{\"call_id\":\"%s\",\"caller\":\"%s\",\"callee\":\"400-820-8820\","
                    "\"started_at\":\"%s\",\"duration_s\":%d,\"ivr_path\":%s,"
                    "\"recording_url\":\"https://rec.example.com/%s.wav\",\"transcript\":\"%s\","
                    "\"customer_name\":\"%s\"}",
                    r->external_id, caller, started, duration, paths[(h >> 12) % 4],
                    r->external_id, lg_text_of(salt, seq), p->name);
}

/* A marketplace's buyer-message webhook, signed with HMAC-SHA256 over the body. */
static int lg_marketplace(char *buf, size_t len, lg_native_req *r, const char *run_id,
                          uint64_t salt, uint64_t seq, const lg_person *p,
                          const lg_native_secrets *s, int64_t now_s)
{
    char created[32], event_id[160], order[32];
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    if (!s->marketplace_secret)
        return -1;
    const char *name = lg_marketplaces[lg_hash64(seq) % 4];
    lg_rfc3339(now_s, created);
    snprintf(event_id, sizeof event_id, "%s-%" PRIu64, run_id, seq);
    lg_order_id(order, salt, seq);
    int n = snprintf(buf, len,
                     "{\"event_id\":\"%s\",\"event_type\":\"buyer_message\",\"shop_id\":\"shop-01\","
                     "\"created_at\":\"%s\",\"buyer\":{\"id\":\"%s\",\"nick\":\"%s\"},"
                     "\"order\":{\"id\":\"%s\",\"amount\":\"199.00\","
                     "\"currency\":\"CNY\"},\"message\":{\"text\":\"%s\"}}",
                     event_id, created, p->id, p->name, order, lg_text_of(salt, seq));
    if (n < 0 || (size_t)n >= len)
        return -1;
    HMAC(EVP_sha256(), s->marketplace_secret, (int)strlen(s->marketplace_secret),
         (const unsigned char *)buf, (size_t)n, md, &mdlen);
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    lg_hex(md, mdlen, hex);
    snprintf(r->path, sizeof r->path, "/v1/channels/marketplace/%s", name);
    r->content_type = "application/json";
    r->auth_header = "X-Signature";
    snprintf(r->auth_value, sizeof r->auth_value, "sha256=%s", hex);
    snprintf(r->external_id, sizeof r->external_id, "%s:%s", name, event_id);
    return n;
}

int lg_native_build(char *buf, size_t len, lg_native_req *r, const char *channel,
                    const char *run_id, uint64_t salt, uint64_t seq, uint64_t customers,
                    const char *bearer, const lg_native_secrets *secrets, int64_t now_s)
{
    lg_person p;
    int n = -1;
    lg_person_of(salt, seq, customers, &p);
    memset(r, 0, sizeof *r);
    if (strcmp(channel, "wechat") == 0)
        n = lg_wechat(buf, len, r, run_id, salt, seq, &p, secrets, now_s);
    else if (strcmp(channel, "email") == 0)
        n = lg_email(buf, len, r, run_id, salt, seq, &p, bearer, now_s);
    else if (strcmp(channel, "phone") == 0)
        n = lg_phone(buf, len, r, run_id, salt, seq, &p, bearer, now_s);
    else if (strcmp(channel, "marketplace") == 0)
        n = lg_marketplace(buf, len, r, run_id, salt, seq, &p, secrets, now_s);
    return n < 0 || (size_t)n >= len ? -1 : n;
}

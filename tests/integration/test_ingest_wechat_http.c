/* test_ingest_wechat_http.c - /v1/channels/wechat over real HTTP against the running stack: the
 * URL handshake, signed pushes of every sample becoming messages (one per MsgId however often
 * the platform retries), events answered and counted without producing, every refusal (naming
 * the query's signature, never with a Bearer challenge), the token's rate limit.
 * Runs its tests one at a time (CMakeLists.txt): one of them lowers the token's rate. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/ids.h"
#include "expect.h"
#include "fixture.h"
#include "ingest_client.h"

#define SAMPLES SB_SOURCE_DIR "/tests/data/ingest/wechat/"
#define OPENID  "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
#define XML_CT  "text/xml"

/* The hex signature of (token, timestamp, nonce), computed here independently of ingest:
 * the three sorted with strcmp, concatenated, SHA-1. */
static void sign(const char *token, const char *ts, const char *nonce, char out[41])
{
    const char *p[3] = {token, ts, nonce};
    for (int i = 1; i < 3; i++)
        for (int j = i; j > 0 && strcmp(p[j - 1], p[j]) > 0; j--) {
            const char *t = p[j];
            p[j] = p[j - 1];
            p[j - 1] = t;
        }
    char joined[512];
    snprintf(joined, sizeof joined, "%s%s%s", p[0], p[1], p[2]);
    unsigned char md[SHA_DIGEST_LENGTH];
    SHA1((const unsigned char *)joined, strlen(joined), md);
    for (int i = 0; i < SHA_DIGEST_LENGTH; i++)
        sprintf(out + 2 * i, "%02x", md[i]);
}

/* The endpoint's URL signed for timestamp ts (0: now) plus extra query ("" or "&k=v..."). */
static void signed_url(char *out, size_t len, long ts, const char *extra)
{
    char stamp[24], nonce[24], sig[41];
    snprintf(stamp, sizeof stamp, "%ld", ts ? ts : (long)time(NULL));
    snprintf(nonce, sizeof nonce, "%d", rand());
    sign(sb_test_env("SB_WECHAT_TOKEN"), stamp, nonce, sig);
    snprintf(out, len, "%s/v1/channels/wechat?signature=%s&timestamp=%s&nonce=%s%s",
             sb_test_env("SB_INGEST_URL"), sig, stamp, nonce, extra);
}

/* A fresh id of the platform's shape (a large decimal number) unique to this run. */
static void fresh_msgid(char out[32])
{
    static int serial;
    snprintf(out, 32, "%ld%05d%03d", (long)time(NULL), (int)getpid() % 100000, serial++);
}

/* Replaces the text of <tag>...</tag> in xml (malloc'd, reallocated) by value. */
static char *set_element(char *xml, const char *tag, const char *value)
{
    char open[64], close[64];
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    char *a = strstr(xml, open), *b = a ? strstr(a, close) : NULL;
    cr_assert(b, "no <%s> in the sample", tag);
    a += strlen(open);
    char *out = NULL;
    cr_assert(asprintf(&out, "%.*s%s%s", (int)(a - xml), xml, value, b) > 0);
    free(xml);
    return out;
}

/* Sample name with CreateTime = now and, when msgid is not NULL, that MsgId. Caller frees. */
static char *sample_now(const char *name, const char *msgid)
{
    char path[512], now[24];
    snprintf(path, sizeof path, SAMPLES "%s", name);
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot open %s", path);
    char *xml = calloc(1, 65536);
    cr_assert(xml);
    size_t n = fread(xml, 1, 65535, f);
    xml[n] = '\0';
    fclose(f);
    snprintf(now, sizeof now, "%ld", (long)time(NULL));
    xml = set_element(xml, "CreateTime", now);
    return msgid ? set_element(xml, "MsgId", msgid) : xml;
}

/* method url with xml (NULL: no body) as content_type; the status, the reply body in *reply
 * (caller frees), the reply's header named header (NULL: none) into out (64 bytes). */
static int call(const char *method, const char *url, const char *content_type, const char *xml,
                char **reply, const char *header, char *out)
{
    int status = 0;
    sb_test_request rq = {.content_type = content_type, .body = xml, .reply_header = header,
                          .reply_header_out = out, .reply_header_len = 64};
    cr_assert_eq(sb_test_http_request(method, url, &rq, &status, reply), 0,
                 "ingest did not answer");
    return status;
}

/* POST xml as content_type to url; the status, the reply body in *reply (caller frees). */
static int post(const char *url, const char *content_type, const char *xml, char **reply)
{
    return call("POST", url, content_type, xml, reply, NULL, NULL);
}

/* The reply must be a JSON error with want_status naming want_field. */
static void expect_error(const char *reply, int status, int want_status, const char *want_field)
{
    cr_expect_eq(status, want_status, "status %d: %s", status, reply);
    json_t *j = json_loads(reply, 0, NULL);
    const char *field = json_string_value(json_object_get(json_object_get(j, "error"), "field"));
    cr_expect(field && strcmp(field, want_field) == 0, "error.field %s, want %s: %s",
              field ? field : "(none)", want_field, reply);
    json_decref(j);
}

/* POST xml signed now (url_extra appended to the query); must be refused with status/field. */
static void assert_post_refused(const char *url_extra, const char *content_type, const char *xml,
                        int want_status, const char *want_field)
{
    char url[1024];
    char *reply = NULL;
    signed_url(url, sizeof url, 0, url_extra);
    int status = post(url, content_type, xml, &reply);
    expect_error(reply, status, want_status, want_field);
    free(reply);
}

/* ---- the handshake ---- */

Test(ingest_wechat_http, handshake_echoes_echostr_when_signed)
{
    char url[1024], ct[128];
    char *reply = NULL;
    int status = 0;
    signed_url(url, sizeof url, 0, "&echostr=8726354019283746501");
    status = call("GET", url, NULL, NULL, &reply, "Content-Type", ct);
    cr_expect_eq(status, 200);
    cr_expect_str_eq(reply, "8726354019283746501");
    cr_expect(strncmp(ct, "text/plain", 10) == 0, "Content-Type %s", ct);
    free(reply);
}

Test(ingest_wechat_http, handshake_refusals_name_the_parameter)
{
    const char *base = sb_test_env("SB_INGEST_URL");
    char url[1024], sig[41], stamp[24];
    snprintf(stamp, sizeof stamp, "%ld", (long)time(NULL));
    sign(sb_test_env("SB_WECHAT_TOKEN"), stamp, "42", sig);
    struct { const char *query; const char *field; } cases[] = {
        {"", "signature"},
        {"?timestamp=%2$s&nonce=42&echostr=1", "signature"},
        {"?signature=%1$s&nonce=42&echostr=1", "timestamp"},
        {"?signature=%1$s&timestamp=%2$s&echostr=1", "nonce"},
        {"?signature=%1$s&timestamp=%2$s&nonce=42", "echostr"},
        {"?signature=%1$s&timestamp=%2$s&nonce=43&echostr=1", "signature"},
        {"?signature=0000000000000000000000000000000000000000&timestamp=%2$s&nonce=42&echostr=1",
         "signature"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char query[256];
        snprintf(query, sizeof query, cases[i].query, sig, stamp);
        snprintf(url, sizeof url, "%s/v1/channels/wechat%s", base, query);
        char *reply = NULL, challenge[64];
        int status = call("GET", url, NULL, NULL, &reply, "WWW-Authenticate", challenge);
        expect_error(reply, status, 401, cases[i].field);
        cr_expect_str_eq(challenge, "", "no Bearer challenge: a key would not help");
        free(reply);
    }
}

/* ---- messages ---- */

/* The ticket the WeChat message id became (malloc'd), or NULL. */
static char *wait_ticket(const char *id)
{
    return sb_test_ingest_ticket(id, sb_test_env("SB_CHANNEL_KEY_WECHAT"));
}

Test(ingest_wechat_http, a_text_push_becomes_one_ticket_however_often_it_is_retried,
     .timeout = 60)
{
    char msgid[32], url[1024], id[SB_UUID_STRLEN];
    fresh_msgid(msgid);
    char *xml = sample_now("text_zh.xml", msgid);
    /* The platform waits 5 s, then retries the same push up to three times. */
    for (int i = 0; i < 3; i++) {
        char *reply = NULL;
        signed_url(url, sizeof url, 0, "&openid=" OPENID);
        int status = post(url, XML_CT, xml, &reply);
        cr_expect_eq(status, 200, "try %d: %d %s", i, status, reply);
        cr_expect_str_eq(reply, "success");
        free(reply);
    }
    sb_ids_message_id("wechat", msgid, id);
    char *number = wait_ticket(id);
    cr_assert(number, "the message became a ticket");
    cr_expect(strncmp(number, "WX-", 3) == 0, "a WeChat ticket number: %s", number);
    free(number);

    PGconn *pg = sb_fixture_pg();
    if (pg) {
        const char *p[] = {msgid};
        char *n = sb_fixture_value(pg, "SELECT count(*) FROM messages WHERE channel = 'wechat' "
                                       "AND external_id = $1", 1, p);
        cr_expect(n && strcmp(n, "1") == 0, "one message row, got %s", n ? n : "none");
        free(n);
        char *body = sb_fixture_value(pg, "SELECT body FROM messages WHERE channel = 'wechat' "
                                          "AND external_id = $1", 1, p);
        const char *want = "你好，我的订单 20261111-8823 已经五天了还没发货，请尽快处理！";
        cr_expect(body && strcmp(body, want) == 0, "body %s", body ? body : "(none)");
        free(body);
        PQfinish(pg);
    }
    free(xml);
}

Test(ingest_wechat_http, every_message_sample_is_accepted, .timeout = 60)
{
    const char *names[] = {"text_en.xml", "image.xml", "voice.xml", "video.xml", "location.xml",
                           "link.xml"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char msgid[32], url[1024], id[SB_UUID_STRLEN];
        fresh_msgid(msgid);
        char *xml = sample_now(names[i], msgid);
        char *reply = NULL;
        signed_url(url, sizeof url, 0, "");
        int status = post(url, i % 2 ? "application/xml; charset=utf-8" : XML_CT, xml, &reply);
        cr_expect_eq(status, 200, "%s: %d %s", names[i], status, reply);
        cr_expect_str_eq(reply, "success", "%s", names[i]);
        free(reply);
        sb_ids_message_id("wechat", msgid, id);
        char *number = wait_ticket(id);
        cr_expect(number && strncmp(number, "WX-", 3) == 0, "%s: ticket %s", names[i],
                  number ? number : "(none)");
        free(number);
        free(xml);
    }
}

/* ---- events ---- */

/* The value of the sample line `name` in ingest's /metrics, 0 when absent. */
static long metric(const char *name)
{
    char url[512];
    char *text = NULL;
    int status = 0;
    snprintf(url, sizeof url, "%s/metrics", sb_test_env("SB_INGEST_URL"));
    cr_assert_eq(sb_test_http("GET", url, NULL, NULL, &status, &text), 0);
    cr_assert_eq(status, 200);
    long v = 0;
    for (char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (strncmp(l, name, strlen(name)) == 0 && l[strlen(name)] == ' ')
            v = strtol(l + strlen(name) + 1, NULL, 10);
    free(text);
    return v;
}

Test(ingest_wechat_http, events_are_answered_at_once_and_counted)
{
    struct { const char *sample, *series; } cases[] = {
        {"event_subscribe.xml", "sb_ingest_wechat_events_total{event=\"subscribe\"}"},
        {"event_click.xml", "sb_ingest_wechat_events_total{event=\"CLICK\"}"},
    };
    for (size_t i = 0; i < 2; i++) {
        long before = metric(cases[i].series);
        char url[1024];
        char *xml = sample_now(cases[i].sample, NULL), *reply = NULL;
        signed_url(url, sizeof url, 0, "&openid=" OPENID);
        int status = post(url, XML_CT, xml, &reply);
        cr_expect_eq(status, 200, "%s: %d %s", cases[i].sample, status, reply);
        cr_expect_str_eq(reply, "success");
        cr_expect_eq(metric(cases[i].series), before + 1, "%s counted", cases[i].series);
        free(reply);
        free(xml);
    }
}

/* ---- refusals ---- */

Test(ingest_wechat_http, unsigned_or_stale_pushes_are_401)
{
    char msgid[32], url[1024];
    fresh_msgid(msgid);
    char *xml = sample_now("text_en.xml", msgid), *reply = NULL, challenge[64];
    sb_test_ingest_url(url, sizeof url, "/v1/channels/wechat");
    int status = call("POST", url, XML_CT, xml, &reply, "WWW-Authenticate", challenge);
    expect_error(reply, status, 401, "signature");
    cr_expect_str_eq(challenge, "", "no Bearer challenge for a signed query");
    free(reply);
    /* Signed, but with a timestamp 10 minutes old: a replay. */
    signed_url(url, sizeof url, (long)time(NULL) - 600, "");
    status = post(url, XML_CT, xml, &reply);
    expect_error(reply, status, 401, "timestamp");
    free(reply);
    /* A signature that does not match. */
    signed_url(url, sizeof url, 0, "");
    memcpy(strstr(url, "signature=") + 10, "00000000", 8);
    status = post(url, XML_CT, xml, &reply);
    expect_error(reply, status, 401, "signature");
    free(reply);
    free(xml);
}

Test(ingest_wechat_http, safe_mode_and_foreign_content_types_are_refused)
{
    char msgid[32];
    fresh_msgid(msgid);
    char *xml = sample_now("text_en.xml", msgid);
    assert_post_refused("&encrypt_type=aes&msg_signature=abc", XML_CT, xml, 400, "encrypt_type");
    assert_post_refused("", "application/json", xml, 415, "Content-Type");
    free(xml);
}

Test(ingest_wechat_http, bad_xml_is_refused_naming_the_element)
{
    char msgid[32];
    fresh_msgid(msgid);
    struct { const char *sample; const char *field; } cases[] = {
        {"bad_doctype_xxe.xml", "xml"}, {"bad_billion_laughs.xml", "xml"},
        {"bad_root.xml", "xml"},        {"bad_truncated.xml", "xml"},
        {"bad_no_msgid.xml", "MsgId"},  {"bad_no_from.xml", "FromUserName"},
        {"bad_msgtype.xml", "MsgType"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, SAMPLES "%s", cases[i].sample);
        FILE *f = fopen(path, "rb");
        cr_assert(f);
        char xml[8192];
        xml[fread(xml, 1, sizeof xml - 1, f)] = '\0';
        fclose(f);
        assert_post_refused("", XML_CT, xml, 400, cases[i].field);
    }
    /* A CreateTime from 2017: far outside the window. */
    char *xml = sample_now("text_en.xml", msgid);
    xml = set_element(xml, "CreateTime", "1500000000");
    assert_post_refused("", XML_CT, xml, 400, "CreateTime");
    /* The query's openid is not the sender. */
    free(xml);
    xml = sample_now("text_en.xml", msgid);
    assert_post_refused("&openid=oSomebodyElse", XML_CT, xml, 400, "openid");
    free(xml);
}

Test(ingest_wechat_http, an_oversize_push_is_a_json_413)
{
    size_t n = 1536 * 1024;
    char *xml = malloc(n + 64);
    strcpy(xml, "<xml><Content>");
    memset(xml + 14, 'x', n);
    strcpy(xml + 14 + n, "</Content></xml>");
    assert_post_refused("", XML_CT, xml, 413, "");
    free(xml);
}

/* ---- the token's rate ---- */

/* The account token's row (the one ingest verifies with: the oldest live one), and its rate and
 * burst before the test lowered them; put back by restore_rate whatever the test's outcome. */
static char saved_id[32], saved_rate[32], saved_burst[32];

/* Sets the token row's rate and burst. */
static void set_rate(const char *rate, const char *burst)
{
    PGconn *pg = sb_fixture_pg();
    if (!pg)
        return;
    const char *p[] = {rate, burst, saved_id};
    sb_fixture_exec(pg, "UPDATE channel_credentials SET rate_per_s = $1, burst = $2 WHERE id = $3",
                    3, p);
    PQfinish(pg);
}

static void restore_rate(void)
{
    if (saved_id[0])
        set_rate(saved_rate, saved_burst);
}

/* Signs and posts the subscribe event until the answer is want (credentials reach ingest
 * within a refresh); the last status. */
static int push_event_until(int want, char *reply_field, char *retry)
{
    int status = 0;
    for (int i = 0; i < 125 && status != want; i++) {
        char url[1024], *reply = NULL;
        char *xml = sample_now("event_subscribe.xml", NULL);
        if (i)
            usleep(200 * 1000);
        signed_url(url, sizeof url, 0, "&openid=" OPENID);
        status = call("POST", url, XML_CT, xml, &reply, "Retry-After", retry);
        json_t *j = json_loads(reply, 0, NULL);
        snprintf(reply_field, 64, "%s", sb_test_error_field(j));
        json_decref(j);
        free(reply);
        free(xml);
    }
    return status;
}

Test(ingest_wechat_http, over_its_rate_the_token_gets_a_429_naming_signature, .timeout = 90,
     .fini = restore_rate)
{
    PGconn *pg = sb_fixture_pg();
    if (!pg)
        cr_skip_test("SB_PG_DSN is not set");
    char *row = sb_fixture_value(pg,
                                 "SELECT id || ' ' || rate_per_s || ' ' || burst"
                                 " FROM channel_credentials WHERE kind = 'wechat_token'"
                                 " AND name = '' AND revoked_at IS NULL ORDER BY id LIMIT 1",
                                 0, NULL);
    PQfinish(pg);
    cr_assert(row && sscanf(row, "%31s %31s %31s", saved_id, saved_rate, saved_burst) == 3,
              "the WeChat token's row: %s", row ? row : "none");
    free(row);
    /* One token, refilled one a minute: every push is an event (nothing produced), and events
     * take tokens too, since the token is taken before the body is read. */
    set_rate("0.0167", "1");
    char field[64], retry[64];
    cr_assert_eq(push_event_until(429, field, retry), 429, "the lowered rate never applied");
    cr_expect_str_eq(field, "signature", "the 429 names what the push authenticated with");
    cr_expect_geq(atoi(retry), 1, "Retry-After '%s'", retry);
    restore_rate();
    cr_expect_eq(push_event_until(200, field, retry), 200, "the rate came back");
}

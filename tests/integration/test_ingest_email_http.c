/* test_ingest_email_http.c - POST /v1/channels/email over real HTTP against the running stack:
 * raw messages (tests/data/ingest/email/) become tickets, the same message posted twice is one
 * message, every refusal (key, type, size, content) answers its status and field, and a key
 * over its rate is refused before its message is parsed. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "expect.h"
#include "fixture.h"
#include "ingest_client.h"

#define DATA_DIR SB_SOURCE_DIR "/tests/data/ingest/email/"
#define RFC822   "message/rfc822"
/* How long a credential change may take to reach ingest: its refresh period (tests/run sets
 * 1 s; the default is 10 s) plus slack. */
#define REFRESH_TRIES 125   /* 200 ms apart */

/* A sample message file, whole; *len its size. Caller frees. */
static char *sample(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, DATA_DIR "%s", name);
    return sb_test_file(path, len);
}

/* A sample with its Message-ID replaced by one unique to this run (so each run makes a new
 * message); the id chosen into id. Caller frees. */
static char *sample_fresh(const char *name, size_t *len, char id[96])
{
    char *raw = sample(name, len);
    char *start = strstr(raw, "Message-ID: <");
    cr_assert(start, "%s has no Message-ID", name);
    start += strlen("Message-ID: <");
    char *end = strchr(start, '>');
    snprintf(id, 96, "http-%ld-%d-%.20s", (long)time(NULL), (int)getpid(), name);
    size_t idlen = strlen(id), old = (size_t)(end - start);
    memmove(start + idlen, end, *len - (size_t)(end - raw) + 1);
    memcpy(start, id, idlen);
    *len = *len - old + idlen;
    return raw;
}

/* POST raw (len bytes) as content_type with key; the parsed reply, status in *status. */
static json_t *post(const char *key, const char *content_type, const char *raw, size_t len,
                    int *status)
{
    sb_test_request rq = {.bearer = key, .content_type = content_type, .body = raw,
                          .body_len = len};
    return sb_test_ingest_call("POST", "/v1/channels/email", &rq, status, NULL);
}

/* POST raw and expect status with error.field field. */
static void assert_refused(const char *key, const char *content_type, const char *raw,
                           size_t len, int status, const char *field)
{
    int got = 0;
    json_t *r = post(key, content_type, raw, len, &got);
    cr_expect_eq(got, status, "status %d, expected %d (field %s)", got, status, field);
    cr_assert(r, "the %d is a JSON error", got);
    cr_expect(*sb_test_error_code(r), "error.code");
    cr_expect_str_eq(sb_test_error_field(r), field);
    json_decref(r);
}

/* POST raw with the e-mail key and expect 202; the message id (malloc'd). */
static char *post_accepted(const char *raw, size_t len)
{
    int status = 0;
    json_t *r = post(sb_test_env("SB_CHANNEL_KEY_EMAIL"), RFC822, raw, len, &status);
    cr_assert_eq(status, 202, "status %d: %s", status, sb_test_error_code(r));
    const char *id = json_string_value(json_object_get(r, "message_id"));
    cr_assert(id && strlen(id) == 36, "a message id");
    char *copy = strdup(id);
    json_decref(r);
    return copy;
}

/* The ticket the message became (malloc'd), or fail. */
static char *wait_ticket(const char *id)
{
    char *number = sb_test_ingest_ticket(id, sb_test_env("SB_CHANNEL_KEY_EMAIL"));
    cr_assert(number, "the message became a ticket");
    return number;
}

/* The stored message's column (body, external_id, channel) from PostgreSQL (malloc'd). */
static char *stored(const char *id, const char *column)
{
    PGconn *pg = sb_fixture_pg();
    cr_assert(pg, "PostgreSQL at SB_PG_DSN");
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT %s FROM messages WHERE message_id = $1", column);
    const char *params[] = {id};
    char *v = sb_fixture_wait(pg, sql, 1, params, NULL, 10000);
    PQfinish(pg);
    cr_assert(v, "message %s is stored", id);
    return v;
}

Test(ingest_email_http, keys_are_required_and_bound_to_the_email_channel)
{
    size_t len;
    char *raw = sample("plain_en.eml", &len);
    assert_refused(NULL, RFC822, raw, len, 401, "Authorization");
    assert_refused("not-a-key", RFC822, raw, len, 401, "Authorization");
    assert_refused(sb_test_env("SB_CHANNEL_KEY_WEB"), RFC822, raw, len, 403, "Authorization");
    assert_refused(sb_test_env("SB_CHANNEL_KEY_WECHAT"), RFC822, raw, len, 403, "Authorization");
    free(raw);
}

Test(ingest_email_http, wrong_type_and_oversize_bodies)
{
    const char *key = sb_test_env("SB_CHANNEL_KEY_EMAIL");
    size_t len;
    char *raw = sample("plain_en.eml", &len);
    assert_refused(key, "application/json", raw, len, 415, "Content-Type");
    assert_refused(key, "text/plain", raw, len, 415, "Content-Type");
    free(raw);

    size_t big = 1024 * 1024 + 1;
    char *huge = malloc(big);
    cr_assert(huge);
    int n = snprintf(huge, big, "From: a@example.cn\r\nSubject: big\r\n\r\n");
    memset(huge + n, 'x', big - (size_t)n);
    int status = 0;
    json_t *r = post(key, RFC822, huge, big, &status);
    cr_expect_eq(status, 413);
    cr_assert(r, "the 413 is a JSON error");
    cr_expect_str_eq(sb_test_error_code(r), "body_too_large");
    json_decref(r);
    free(huge);
}

Test(ingest_email_http, unusable_messages_are_refused_naming_the_field)
{
    const char *key = sb_test_env("SB_CHANNEL_KEY_EMAIL");
    static const struct {
        const char *file, *field;
    } cases[] = {{"no_from.eml", "From"}, {"garbage.eml", "body"}, {"empty.eml", "body"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len;
        char *raw = sample(cases[i].file, &len);
        assert_refused(key, RFC822, raw, len, 400, cases[i].field);
        free(raw);
    }
    static const char no_text[] = "From: Li Lei <lilei@example.cn>\r\nSubject: ...\r\n\r\n \r\n";
    assert_refused(key, RFC822, no_text, sizeof no_text - 1, 400, "text");
    static const char no_addr[] = "From: Li Lei\r\nSubject: hi\r\n\r\nhello\r\n";
    assert_refused(key, RFC822, no_addr, sizeof no_addr - 1, 400, "From");
}

Test(ingest_email_http, english_message_becomes_a_ticket_once, .timeout = 60)
{
    size_t len;
    char mid[96];
    char *raw = sample_fresh("plain_en.eml", &len, mid);
    char *id = post_accepted(raw, len);
    char *again = post_accepted(raw, len);   /* an MTA retry: the same message */
    cr_expect_str_eq(again, id);
    char *number = wait_ticket(id);
    cr_expect(strncmp(number, "EM-", 3) == 0, "an e-mail ticket number: %s", number);
    char *ext = stored(id, "external_id"), *body = stored(id, "body");
    cr_expect_str_eq(ext, mid);
    cr_expect_str_eq(body, "Hello,\n\nMy order #100234 arrived today but the box was crushed "
                           "and the kettle\ninside has a cracked lid. Could you send a "
                           "replacement or refund me?\n\nThanks,\nEmma");
    free(ext);
    free(body);
    free(number);
    free(again);
    free(id);
    free(raw);
}

Test(ingest_email_http, chinese_gbk_and_attachments_become_tickets, .timeout = 60)
{
    static const struct {
        const char *file, *text;
    } cases[] = {
        {"alt_gbk_qp.eml", "客服您好，\n\n我收到的手机屏幕有划痕，想申请换货。\n订单号：20261120-55102\n\n李娜"},
        {"attachments.eml", "收到的杯子碎了，照片和发票见附件。"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len;
        char mid[96];
        char *raw = sample_fresh(cases[i].file, &len, mid);
        char *id = post_accepted(raw, len);
        char *number = wait_ticket(id);
        cr_expect(strncmp(number, "EM-", 3) == 0, "%s: %s", cases[i].file, number);
        char *body = stored(id, "body");
        cr_expect_str_eq(body, cases[i].text, "%s", cases[i].file);
        free(body);
        free(number);
        free(id);
        free(raw);
    }
}

Test(ingest_email_http, a_message_without_message_id_is_still_one_message, .timeout = 30)
{
    char raw[256];
    int n = snprintf(raw, sizeof raw,
                     "From: =?UTF-8?B?5byg5Lyf?= <zw-%d@example.cn>\r\nSubject: no id %ld\r\n"
                     "Content-Type: text/plain; charset=utf-8\r\n\r\n我的退款还没到账\r\n",
                     (int)getpid(), (long)time(NULL));
    char *first = post_accepted(raw, (size_t)n);
    char *second = post_accepted(raw, (size_t)n);
    cr_expect_str_eq(second, first);
    char *ext = stored(first, "external_id");
    cr_expect(strncmp(ext, "sha256:", 7) == 0 && strlen(ext) == 71, "hashed id: %s", ext);
    free(ext);
    free(first);
    free(second);
}

Test(ingest_email_http, a_key_over_its_rate_is_refused_before_its_message_is_parsed,
     .timeout = 60)
{
    PGconn *pg = sb_fixture_pg();
    if (!pg)
        cr_skip_test("SB_PG_DSN is not set");
    /* A fresh e-mail key whose bucket holds one token and refills one a minute. */
    char key[33];
    sb_fixture_hex(key, 32);
    const char *p[] = {key};
    char *id = sb_fixture_value(pg,
                                "INSERT INTO channel_credentials (channel, kind, key_hash,"
                                " rate_per_s, burst) VALUES ('email', 'api_key',"
                                " encode(sha256($1::bytea), 'hex'), 0.0167, 1) RETURNING id",
                                1, p);
    cr_assert(id, "cannot store a credential");
    size_t len;
    char *garbage = sample("garbage.eml", &len);
    /* Until ingest knows the key: 401. Then the one token goes to a message GMime refuses. */
    int status = 401;
    for (int i = 0; i < REFRESH_TRIES && status == 401; i++) {
        if (i)
            usleep(200 * 1000);
        json_decref(post(key, RFC822, garbage, len, &status));
    }
    cr_assert_eq(status, 400, "ingest took the new key and parsed within its rate: %d", status);
    /* Over its rate, the same garbage is a 429, not the parser's 400: refused unparsed. */
    char retry[16];
    sb_test_request rq = {.bearer = key, .content_type = RFC822, .body = garbage,
                          .body_len = len, .reply_header = "Retry-After",
                          .reply_header_out = retry, .reply_header_len = sizeof retry};
    json_t *r = sb_test_ingest_call("POST", "/v1/channels/email", &rq, &status, NULL);
    cr_expect_eq(status, 429);
    cr_expect_str_eq(sb_test_error_code(r), "rate_limited");
    cr_expect_str_eq(sb_test_error_field(r), "Authorization");
    cr_expect_geq(atoi(retry), 1, "Retry-After '%s'", retry);
    json_decref(r);
    const char *q[] = {id};
    sb_fixture_exec(pg, "UPDATE channel_credentials SET revoked_at = now() WHERE id = $1", 1, q);
    free(garbage);
    free(id);
    PQfinish(pg);
}

/* test_ingest_email_http.c - POST /v1/channels/email over real HTTP against the running stack:
 * raw messages (tests/data/ingest/email/) become tickets, the same message posted twice is one
 * message, and every refusal (key, type, size, content) answers its status and field. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "http_client.h"

#define DATA_DIR SB_SOURCE_DIR "/tests/data/ingest/email/"
#define RFC822   "message/rfc822"

/* An environment variable the stack exports, or skip. */
static const char *env_or_skip(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v)
        cr_skip_test("%s is not set: run through tests/run", name);
    return v;
}

/* URL of path on ingest. */
static void ingest_url(char *out, size_t len, const char *path)
{
    snprintf(out, len, "%s%s", env_or_skip("SB_INGEST_URL"), path);
}

/* A sample message file, whole (NUL-terminated too); *len its size. Caller frees. */
static char *sample(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, DATA_DIR "%s", name);
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot open %s", path);
    char *buf = calloc(1, 2 * 1024 * 1024);
    cr_assert(buf);
    *len = fread(buf, 1, 2 * 1024 * 1024 - 1, f);
    fclose(f);
    return buf;
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
    char url[256], *text = NULL;
    ingest_url(url, sizeof url, "/v1/channels/email");
    *status = 0;
    cr_assert_eq(sb_test_http_send("POST", url, key, content_type, raw, len, status, &text), 0,
                 "ingest cannot be reached at %s", url);
    json_t *reply = json_loads(text, 0, NULL);
    free(text);
    return reply;
}

/* The error object's member of a reply. */
static const char *error_member(json_t *reply, const char *member)
{
    return json_string_value(json_object_get(json_object_get(reply, "error"), member));
}

/* POST raw and expect status with error.field field. */
static void expect_refused(const char *key, const char *content_type, const char *raw,
                           size_t len, int status, const char *field)
{
    int got = 0;
    json_t *r = post(key, content_type, raw, len, &got);
    cr_expect_eq(got, status, "status %d, expected %d (field %s)", got, status, field);
    cr_assert(r, "the %d is a JSON error", got);
    cr_expect(error_member(r, "code"), "error.code");
    cr_expect_str_eq(error_member(r, "field"), field);
    json_decref(r);
}

/* POST raw with the e-mail key and expect 202; the message id (malloc'd). */
static char *post_accepted(const char *raw, size_t len)
{
    int status = 0;
    json_t *r = post(env_or_skip("SB_CHANNEL_KEY_EMAIL"), RFC822, raw, len, &status);
    cr_assert_eq(status, 202, "status %d: %s", status, r ? error_member(r, "message") : "");
    const char *id = json_string_value(json_object_get(r, "message_id"));
    cr_assert(id && strlen(id) == 36, "a message id");
    char *copy = strdup(id);
    json_decref(r);
    return copy;
}

/* GET /v1/messages/{id} until classify has stored it; its ticket number (malloc'd). */
static char *wait_ticket(const char *id)
{
    const char *key = env_or_skip("SB_CHANNEL_KEY_EMAIL");
    char url[256];
    ingest_url(url, sizeof url, "/v1/messages/");
    strncat(url, id, sizeof url - strlen(url) - 1);
    json_t *st = NULL;
    int status = 0;
    for (int i = 0; i < 300; i++) {
        json_decref(st);
        st = sb_test_http_json("GET", url, key, NULL, &status);
        const char *s = json_string_value(json_object_get(st, "status"));
        if (status == 200 && s && strcmp(s, "accepted") != 0)
            break;
        usleep(100 * 1000);
    }
    cr_assert_eq(status, 200);
    cr_expect_str_eq(json_string_value(json_object_get(st, "message_id")), id);
    const char *number = json_string_value(json_object_get(st, "ticket_number"));
    cr_assert(number, "the message became a ticket");
    char *copy = strdup(number);
    json_decref(st);
    return copy;
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
    expect_refused(NULL, RFC822, raw, len, 401, "Authorization");
    expect_refused("not-a-key", RFC822, raw, len, 401, "Authorization");
    expect_refused(env_or_skip("SB_CHANNEL_KEY_WEB"), RFC822, raw, len, 403, "Authorization");
    expect_refused(env_or_skip("SB_CHANNEL_KEY_WECHAT"), RFC822, raw, len, 403, "Authorization");
    free(raw);
}

Test(ingest_email_http, wrong_type_and_oversize_bodies)
{
    const char *key = env_or_skip("SB_CHANNEL_KEY_EMAIL");
    size_t len;
    char *raw = sample("plain_en.eml", &len);
    expect_refused(key, "application/json", raw, len, 415, "Content-Type");
    expect_refused(key, "text/plain", raw, len, 415, "Content-Type");
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
    cr_expect_str_eq(error_member(r, "code"), "body_too_large");
    json_decref(r);
    free(huge);
}

Test(ingest_email_http, unusable_messages_are_refused_naming_the_field)
{
    const char *key = env_or_skip("SB_CHANNEL_KEY_EMAIL");
    static const struct {
        const char *file, *field;
    } cases[] = {{"no_from.eml", "From"}, {"garbage.eml", "body"}, {"empty.eml", "body"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len;
        char *raw = sample(cases[i].file, &len);
        expect_refused(key, RFC822, raw, len, 400, cases[i].field);
        free(raw);
    }
    static const char no_text[] = "From: Li Lei <lilei@example.cn>\r\nSubject: ...\r\n\r\n \r\n";
    expect_refused(key, RFC822, no_text, sizeof no_text - 1, 400, "text");
    static const char no_addr[] = "From: Li Lei\r\nSubject: hi\r\n\r\nhello\r\n";
    expect_refused(key, RFC822, no_addr, sizeof no_addr - 1, 400, "From");
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

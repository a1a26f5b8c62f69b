/* test_ingest_phone_http.c - POST /v1/channels/phone over real HTTP against the running stack:
 * the phone key, field-named refusals, 202 once durable, the same call twice is one message,
 * and the call becomes a PH- ticket holding the transcript. */
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

#define DATA SB_SOURCE_DIR "/tests/data/ingest/phone/"

/* A sample call record parsed (caller decrefs). */
static json_t *sample(const char *file)
{
    json_error_t e;
    char path[512];
    snprintf(path, sizeof path, DATA "%s", file);
    json_t *v = json_load_file(path, 0, &e);
    cr_assert(v, "cannot load %s: %s", path, e.text);
    return v;
}

/* The sample as a fresh call of this run: its own call id and caller (so it opens a ticket of
 * its own), started a minute ago. Caller frees the text. */
static char *fresh_call(const char *file, char *call_id, size_t id_len)
{
    char hex[9], caller[32], started[32];
    sb_fixture_hex(hex, 8);
    snprintf(call_id, id_len, "c-http-%s", hex);
    unsigned n = (unsigned)strtoul(hex, NULL, 16) % 100000000u;
    snprintf(caller, sizeof caller, "+86 139 %04u %04u", n / 10000, n % 10000);
    time_t t = time(NULL) - 60;
    strftime(started, sizeof started, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
    json_t *c = sample(file);
    json_object_set_new(c, "call_id", json_string(call_id));
    json_object_set_new(c, "caller", json_string(caller));
    json_object_set_new(c, "started_at", json_string(started));
    char *s = json_dumps(c, JSON_COMPACT);
    json_decref(c);
    return s;
}

/* POST text to /v1/channels/phone with key (NULL: none) and content type; the reply parsed
 * (NULL when not JSON), status in *status, WWW-Authenticate into challenge when not NULL. */
static json_t *post_as(const char *key, const char *type, const char *text, int *status,
                       char challenge[64])
{
    sb_test_request rq = {.bearer = key, .content_type = type, .body = text,
                          .reply_header = challenge ? "WWW-Authenticate" : NULL,
                          .reply_header_out = challenge, .reply_header_len = 64};
    return sb_test_ingest_call("POST", "/v1/channels/phone", &rq, status, NULL);
}

/* POST a call record as JSON with the phone key. */
static json_t *post(const char *text, int *status)
{
    return post_as(sb_test_env("SB_CHANNEL_KEY_PHONE"), "application/json", text, status, NULL);
}

Test(ingest_phone_http, only_the_phone_key_may_post)
{
    char id[64], challenge[64];
    char *text = fresh_call("zh_aftersales_array.json", id, sizeof id);
    int status;
    json_t *r = post_as(NULL, "application/json", text, &status, challenge);
    cr_expect_eq(status, 401);
    cr_expect_str_eq(sb_test_error_field(r), "Authorization");
    cr_expect_str_eq(challenge, "Bearer", "a key is what the phone endpoint asks for");
    json_decref(r);
    r = post_as("not-a-key", "application/json", text, &status, NULL);
    cr_expect_eq(status, 401);
    cr_expect_str_eq(sb_test_error_field(r), "Authorization");
    json_decref(r);
    r = post_as(sb_test_env("SB_CHANNEL_KEY_WEB"), "application/json", text, &status, NULL);
    cr_expect_eq(status, 403);
    cr_expect_str_eq(sb_test_error_code(r), "forbidden");
    cr_expect_str_eq(sb_test_error_field(r), "Authorization");
    json_decref(r);
    free(text);
}

Test(ingest_phone_http, refusals_name_the_call_record_field)
{
    static const struct {
        const char *file;
        int status;
        const char *code, *field;
    } cases[] = {
        {"bad_not_json.json", 400, "invalid_json", ""},
        {"bad_missing_call_id.json", 400, "missing_field", "call_id"},
        {"bad_caller_anonymous.json", 400, "invalid_field", "caller"},
        {"bad_started_at_format.json", 400, "invalid_field", "started_at"},
        {"bad_duration_over_a_day.json", 400, "invalid_field", "duration_s"},
        {"bad_ivr_step_chars.json", 400, "invalid_field", "ivr_path[1]"},
        {"bad_ivr_too_many_steps.json", 400, "too_many_items", "ivr_path"},
        {"bad_recording_url_ftp.json", 400, "invalid_field", "recording_url"},
        {"bad_unknown_member.json", 400, "unknown_field", "agent_id"},
        {"bad_no_transcript_no_recording.json", 400, "missing_field", "transcript"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[512];
        size_t n;
        snprintf(path, sizeof path, DATA "%s", cases[i].file);
        char *buf = sb_test_file(path, &n);
        int status;
        json_t *r = post(buf, &status);
        free(buf);
        cr_expect_eq(status, cases[i].status, "%s: status %d", cases[i].file, status);
        cr_assert(r, "%s: the refusal is JSON", cases[i].file);
        cr_expect_str_eq(sb_test_error_code(r), cases[i].code, "%s", cases[i].file);
        cr_expect_str_eq(sb_test_error_field(r), cases[i].field, "%s", cases[i].file);
        json_decref(r);
    }
}

Test(ingest_phone_http, media_type_and_size)
{
    char id[64];
    char *text = fresh_call("zh_aftersales_array.json", id, sizeof id);
    int status;
    json_t *r = post_as(sb_test_env("SB_CHANNEL_KEY_PHONE"), "application/x-www-form-urlencoded",
                        text, &status, NULL);
    cr_expect_eq(status, 415);
    cr_expect_str_eq(sb_test_error_field(r), "Content-Type");
    json_decref(r);
    free(text);

    size_t n = 1536 * 1024;
    char *big = malloc(n + 64);
    cr_assert(big);
    int k = snprintf(big, n + 64, "{\"call_id\":\"c-big\",\"caller\":\"13812345678\",\"transcript\":\"");
    memset(big + k, 'x', n);
    strcpy(big + k + n, "\"}");
    r = post(big, &status);
    cr_expect_eq(status, 413);
    cr_expect_str_eq(sb_test_error_code(r), "body_too_large");
    json_decref(r);
    free(big);
}

Test(ingest_phone_http, a_call_becomes_one_phone_ticket, .timeout = 90)
{
    char id[64];
    char *text = fresh_call("zh_aftersales_array.json", id, sizeof id);
    int status;
    json_t *first = post(text, &status);
    cr_assert_eq(status, 202, "status %d", status);
    const char *mid = json_string_value(json_object_get(first, "message_id"));
    cr_assert(mid && strlen(mid) == 36);
    json_t *again = post(text, &status);   /* the platform re-posts after a timeout */
    cr_assert_eq(status, 202);
    cr_expect_str_eq(json_string_value(json_object_get(again, "message_id")), mid);

    char *number = sb_test_ingest_ticket(mid, sb_test_env("SB_CHANNEL_KEY_PHONE"));
    cr_assert(number, "the call became a ticket");
    cr_expect_eq(strncmp(number, "PH-", 3), 0, "a phone ticket number: %s", number);
    PGconn *pg = sb_fixture_pg();
    cr_assert(pg, "SB_PG_DSN");
    const char *p[] = {mid};
    char *body = sb_fixture_value(pg, "SELECT body FROM messages WHERE message_id = $1", 1, p);
    cr_expect_str_eq(body, "你好，我的快递三天没到，订单号是SO20261119001，麻烦帮我催一下。");
    const char *q[] = {id};
    char *count = sb_fixture_value(
        pg, "SELECT count(*) FROM messages WHERE channel = 'phone' AND external_id = $1", 1, q);
    cr_expect_str_eq(count, "1", "one message for the call, posted twice");
    free(count);
    free(body);
    PQfinish(pg);
    free(number);
    json_decref(first);
    json_decref(again);
    free(text);
}

Test(ingest_phone_http, a_voicemail_without_transcript_is_accepted, .timeout = 30)
{
    char id[64];
    char *text = fresh_call("en_recording_only.json", id, sizeof id);
    int status;
    json_t *r = post(text, &status);
    cr_expect_eq(status, 202, "status %d", status);
    cr_expect(json_string_value(json_object_get(r, "message_id")));
    json_decref(r);
    free(text);
}

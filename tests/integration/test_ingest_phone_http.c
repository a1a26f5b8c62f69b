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

#include "fixture.h"
#include "http_client.h"

#define DATA SB_SOURCE_DIR "/tests/data/ingest/phone/"

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
 * (NULL when not JSON), status in *status. */
static json_t *post_as(const char *key, const char *type, const char *text, size_t len,
                       int *status)
{
    char url[256], lines[512] = "";
    ingest_url(url, sizeof url, "/v1/channels/phone");
    if (key)
        snprintf(lines, sizeof lines, "Authorization: Bearer %s\r\n", key);
    if (type)
        snprintf(lines + strlen(lines), sizeof lines - strlen(lines), "Content-Type: %s\r\n",
                 type);
    char *reply = NULL;
    *status = 0;
    cr_assert_eq(sb_test_http_raw("POST", url, lines, text, len, status, &reply), 0,
                 "ingest did not answer");
    json_t *v = json_loads(reply, 0, NULL);
    free(reply);
    return v;
}

/* POST a call record as JSON with the phone key. */
static json_t *post(const char *text, int *status)
{
    return post_as(env_or_skip("SB_CHANNEL_KEY_PHONE"), "application/json", text, strlen(text),
                   status);
}

/* error.field of a reply ("" when absent). */
static const char *error_field(json_t *reply)
{
    const char *f =
        json_string_value(json_object_get(json_object_get(reply, "error"), "field"));
    return f ? f : "";
}

/* error.code of a reply ("" when absent). */
static const char *error_code(json_t *reply)
{
    const char *c = json_string_value(json_object_get(json_object_get(reply, "error"), "code"));
    return c ? c : "";
}

Test(ingest_phone_http, only_the_phone_key_may_post)
{
    char id[64];
    char *text = fresh_call("zh_aftersales_array.json", id, sizeof id);
    int status;
    json_t *r = post_as(NULL, "application/json", text, strlen(text), &status);
    cr_expect_eq(status, 401);
    cr_expect_str_eq(error_field(r), "Authorization");
    json_decref(r);
    r = post_as("not-a-key", "application/json", text, strlen(text), &status);
    cr_expect_eq(status, 401);
    cr_expect_str_eq(error_field(r), "Authorization");
    json_decref(r);
    r = post_as(env_or_skip("SB_CHANNEL_KEY_WEB"), "application/json", text, strlen(text),
                &status);
    cr_expect_eq(status, 403);
    cr_expect_str_eq(error_code(r), "forbidden");
    cr_expect_str_eq(error_field(r), "Authorization");
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
        snprintf(path, sizeof path, DATA "%s", cases[i].file);
        FILE *f = fopen(path, "rb");
        cr_assert(f, "%s", path);
        char buf[8192];
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';
        int status;
        json_t *r = post(buf, &status);
        cr_expect_eq(status, cases[i].status, "%s: status %d", cases[i].file, status);
        cr_assert(r, "%s: the refusal is JSON", cases[i].file);
        cr_expect_str_eq(error_code(r), cases[i].code, "%s", cases[i].file);
        cr_expect_str_eq(error_field(r), cases[i].field, "%s", cases[i].file);
        json_decref(r);
    }
}

Test(ingest_phone_http, media_type_and_size)
{
    char id[64];
    char *text = fresh_call("zh_aftersales_array.json", id, sizeof id);
    int status;
    json_t *r = post_as(env_or_skip("SB_CHANNEL_KEY_PHONE"), "application/x-www-form-urlencoded",
                        text, strlen(text), &status);
    cr_expect_eq(status, 415);
    cr_expect_str_eq(error_field(r), "Content-Type");
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
    cr_expect_str_eq(error_code(r), "body_too_large");
    json_decref(r);
    free(big);
}

/* GET /v1/messages/{id} with the phone key until classify stored it; the ticket number
 * (caller frees) or NULL. */
static char *wait_for_ticket(const char *message_id)
{
    char url[256];
    ingest_url(url, sizeof url, "/v1/messages/");
    strncat(url, message_id, sizeof url - strlen(url) - 1);
    char *number = NULL;
    for (int i = 0; i < 300 && !number; i++) {
        int status = 0;
        json_t *st = sb_test_http_json("GET", url, env_or_skip("SB_CHANNEL_KEY_PHONE"), NULL,
                                       &status);
        const char *s = json_string_value(json_object_get(st, "status"));
        const char *t = json_string_value(json_object_get(st, "ticket_number"));
        if (status == 200 && s && strcmp(s, "accepted") != 0 && t)
            number = strdup(t);
        json_decref(st);
        if (!number)
            usleep(100 * 1000);
    }
    return number;
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

    char *number = wait_for_ticket(mid);
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

/* test_ingest_http.c - ingest's fixed contract over real HTTP against the running stack: keys,
 * field-named errors, size limit, 202 only with an id, idempotent ids, status lookups. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http_client.h"

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

/* A web message body with this external id. */
static char *web_body(const char *external_id, const char *text)
{
    json_t *b = json_pack("{s:s, s:s, s:{s:s, s:s, s:s}, s:s}", "channel", "web", "external_id",
                          external_id, "customer", "id", "u-http", "phone", "13812345678", "tier",
                          "regular", "text", text);
    char *s = json_dumps(b, JSON_COMPACT);
    json_decref(b);
    return s;
}

/* POST a body to /v1/messages with key; the parsed reply, status in *status. */
static json_t *post(const char *key, const char *body, int *status)
{
    char url[256];
    ingest_url(url, sizeof(url), "/v1/messages");
    return sb_test_http_json("POST", url, key, body, status);
}

/* The error object's field of a reply. */
static const char *error_field(json_t *reply)
{
    return json_string_value(json_object_get(json_object_get(reply, "error"), "field"));
}

Test(ingest_http, keys_are_required_and_bound_to_their_channel)
{
    char *body = web_body("http-auth", "hello");
    int status = 0;
    json_t *r = post(NULL, body, &status);
    cr_expect_eq(status, 401);
    json_decref(r);
    r = post("wrong-key", body, &status);
    cr_expect_eq(status, 401);
    json_decref(r);
    r = post(env_or_skip("SB_CHANNEL_KEY_APP"), body, &status);   /* app's key, web message */
    cr_expect_eq(status, 403);
    cr_expect_str_eq(error_field(r), "channel");
    json_decref(r);
    free(body);
}

Test(ingest_http, bad_input_gets_a_4xx_json_error_naming_the_field)
{
    const char *key = env_or_skip("SB_CHANNEL_KEY_WEB");
    struct { const char *body; int status; const char *field; } cases[] = {
        {"{not json", 400, ""},
        {"{\"channel\":\"web\",\"customer\":{\"id\":\"u\"},\"text\":\"x\"}", 400, "external_id"},
        {"{\"channel\":\"web\",\"external_id\":\"e\",\"text\":\"x\"}", 400, "customer"},
        {"{\"channel\":\"web\",\"external_id\":\"e\",\"customer\":{\"id\":\"u\"}}", 400, "text"},
        {"{\"channel\":\"fax\",\"external_id\":\"e\",\"customer\":{\"id\":\"u\"},\"text\":\"x\"}", 404, "channel"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int status = 0;
        json_t *r = post(key, cases[i].body, &status);
        cr_expect_eq(status, cases[i].status, "case %zu: status %d", i, status);
        cr_assert(r, "case %zu: the error is JSON", i);
        cr_expect(json_string_value(json_object_get(json_object_get(r, "error"), "code")),
                  "case %zu: error.code", i);
        if (cases[i].field[0])
            cr_expect_str_eq(error_field(r), cases[i].field, "case %zu", i);
        json_decref(r);
    }
}

Test(ingest_http, an_oversize_body_is_a_json_413)
{
    const char *key = env_or_skip("SB_CHANNEL_KEY_WEB");
    size_t n = 1536 * 1024;
    char *text = malloc(n + 1);
    memset(text, 'x', n);
    text[n] = '\0';
    char *body = web_body("http-big", text);
    int status = 0;
    json_t *r = post(key, body, &status);
    cr_expect_eq(status, 413);
    cr_assert(r, "the 413 is our JSON error, not libevent's page");
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(r, "error"), "code")),
                     "body_too_large");
    json_decref(r);
    free(body);
    free(text);
}

Test(ingest_http, accepted_messages_get_stable_ids_and_become_tickets, .timeout = 60)
{
    const char *key = env_or_skip("SB_CHANNEL_KEY_WEB");
    char ext[64], url[256];
    snprintf(ext, sizeof(ext), "http-%ld-%d", (long)time(NULL), (int)getpid());
    char *body = web_body(ext, "I want a refund, I was charged twice");
    int status = 0;
    json_t *first = post(key, body, &status);
    cr_assert_eq(status, 202);
    const char *id = json_string_value(json_object_get(first, "message_id"));
    cr_assert(id && strlen(id) == 36);
    json_t *again = post(key, body, &status);   /* a client retry: same message */
    cr_assert_eq(status, 202);
    cr_expect_str_eq(json_string_value(json_object_get(again, "message_id")), id);

    ingest_url(url, sizeof(url), "/v1/messages/");
    strncat(url, id, sizeof(url) - strlen(url) - 1);
    json_t *st = NULL;
    for (int i = 0; i < 200; i++) {
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
    cr_expect(strncmp(number, "WB-", 3) == 0, "a web ticket number: %s", number);
    json_decref(st);

    ingest_url(url, sizeof(url), "/v1/messages/not-a-uuid");
    json_t *bad = sb_test_http_json("GET", url, key, NULL, &status);
    cr_expect_eq(status, 400);
    json_decref(bad);
    json_decref(first);
    json_decref(again);
    free(body);
}

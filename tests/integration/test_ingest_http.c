/* test_ingest_http.c - ingest's fixed contract over real HTTP against the running stack: keys,
 * field-named errors, size limit, 202 only with an id, idempotent ids, status lookups that show
 * a key only its own channel's messages. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/ids.h"
#include "expect.h"
#include "fixture.h"
#include "ingest_client.h"

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
    sb_test_request rq = {.bearer = key, .content_type = "application/json", .body = body};
    return sb_test_ingest_call("POST", "/v1/messages", &rq, status, NULL);
}

/* GET /v1/messages/{id} with key; the status. */
static int status_of(const char *id, const char *key)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/messages/%s", id);
    sb_test_request rq = {.bearer = key};
    int status;
    json_decref(sb_test_ingest_call("GET", path, &rq, &status, NULL));
    return status;
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
    r = post(sb_test_env("SB_CHANNEL_KEY_APP"), body, &status);   /* app's key, web message */
    cr_expect_eq(status, 403);
    cr_expect_str_eq(sb_test_error_field(r), "channel");
    json_decref(r);
    free(body);
}

Test(ingest_http, bad_input_gets_a_4xx_json_error_naming_the_field)
{
    const char *key = sb_test_env("SB_CHANNEL_KEY_WEB");
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
            cr_expect_str_eq(sb_test_error_field(r), cases[i].field, "case %zu", i);
        json_decref(r);
    }
}

Test(ingest_http, an_oversize_body_is_a_json_413)
{
    const char *key = sb_test_env("SB_CHANNEL_KEY_WEB");
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
    const char *key = sb_test_env("SB_CHANNEL_KEY_WEB");
    char ext[64];
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

    char *number = sb_test_ingest_ticket(id, key);
    cr_assert(number, "the message became a ticket");
    cr_expect(strncmp(number, "WB-", 3) == 0, "a web ticket number: %s", number);
    free(number);
    cr_expect_eq(status_of("not-a-uuid", key), 400);
    json_decref(first);
    json_decref(again);
    free(body);
}

Test(ingest_http, a_key_sees_only_its_own_channels_messages, .timeout = 60)
{
    const char *web = sb_test_env("SB_CHANNEL_KEY_WEB"), *app = sb_test_env("SB_CHANNEL_KEY_APP");
    char ext[64], unknown[37];
    snprintf(ext, sizeof ext, "http-own-%ld-%d", (long)time(NULL), (int)getpid());
    char *body = web_body(ext, "where is my parcel");
    int status = 0;
    json_t *r = post(web, body, &status);
    cr_assert_eq(status, 202);
    char id[SB_UUID_STRLEN];
    snprintf(id, sizeof id, "%s", json_string_value(json_object_get(r, "message_id")));
    json_decref(r);
    /* Accepted (known from this process's recent ids), then stored with its ticket: another
     * channel's key gets the 404 of an id nobody used, never a 403 that confirms it exists. */
    cr_expect_eq(status_of(id, web), 200);
    cr_expect_eq(status_of(id, app), 404, "another channel's key sees an accepted message");
    free(sb_test_ingest_ticket(id, web));
    cr_expect_eq(status_of(id, app), 404, "another channel's key sees a stored message");
    sb_fixture_uuid(unknown);
    cr_expect_eq(status_of(unknown, app), 404);
    free(body);
}

Test(ingest_http, a_stored_message_is_looked_up_by_its_channel, .timeout = 30)
{
    /* A message this ingest never accepted (no recent id to fall back on): only the database's
     * row, and its channel, decide. */
    const char *web = sb_test_env("SB_CHANNEL_KEY_WEB"), *app = sb_test_env("SB_CHANNEL_KEY_APP");
    PGconn *pg = sb_fixture_pg();
    cr_assert(pg, "SB_PG_DSN");
    char number[64], ticket[37], ext[48], id[SB_UUID_STRLEN];
    sb_fixture_ticket t = {.channel = "app"};
    cr_assert_eq(sb_fixture_ticket_new(pg, &t, number, ticket), 0);
    snprintf(ext, sizeof ext, "planted-");
    sb_fixture_hex(ext + strlen(ext), 16);
    sb_ids_message_id("app", ext, id);
    const char *p[] = {id, ticket, ext};
    cr_assert_eq(sb_fixture_exec(pg,
                                 "INSERT INTO messages (message_id, ticket_id, channel, external_id,"
                                 " body, received_at) VALUES ($1, $2, 'app', $3, 'hi', now())",
                                 3, p), 0);
    PQfinish(pg);
    char *got = sb_test_ingest_ticket(id, app);
    cr_expect_str_eq(got ? got : "(none)", number, "the app key sees its ticket");
    free(got);
    cr_expect_eq(status_of(id, web), 404, "the web key does not");
}

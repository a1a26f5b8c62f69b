/* test_ingest_marketplace_http.c - POST /v1/channels/marketplace/{name} over real HTTP against
 * the running stack: names, the body's HMAC checked before anything is parsed (and before the
 * secret's rate), a marketplace's own secret over the shared one, refusals naming X-Signature
 * (never a Bearer challenge) or the event's field, idempotent ids, and a dispute becoming an
 * MP- complaint ticket. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "expect.h"
#include "fixture.h"
#include "ingest_client.h"

#define DATA SB_SOURCE_DIR "/tests/data/ingest/marketplace/"

/* "sha256=<hex HMAC-SHA256 of body under secret>" into out (>= 72 bytes). */
static void sign(const char *secret, const char *body, size_t len, char *out)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)body, len, mac, &n);
    int off = sprintf(out, "sha256=");
    for (unsigned i = 0; i < n; i++)
        off += sprintf(out + off, "%02x", mac[i]);
}

/* POST body to /v1/channels/marketplace/<name> with X-Signature sig (NULL: none) and content
 * type; the reply parsed (NULL when not JSON), status in *status; the reply's header named in
 * rq_header (NULL: none) into header_out (64 bytes). */
static json_t *post_with(const char *name, const char *sig, const char *type, const char *body,
                         int *status, const char *rq_header, char *header_out)
{
    char path[256], lines[160] = "";
    snprintf(path, sizeof path, "/v1/channels/marketplace/%s", name);
    if (sig)
        snprintf(lines, sizeof lines, "X-Signature: %s\r\n", sig);
    sb_test_request rq = {.headers = lines, .content_type = type, .body = body,
                          .reply_header = rq_header, .reply_header_out = header_out,
                          .reply_header_len = 64};
    return sb_test_ingest_call("POST", path, &rq, status, NULL);
}

/* post_with, no reply header wanted. */
static json_t *post_raw(const char *name, const char *sig, const char *type, const char *body,
                        int *status)
{
    return post_with(name, sig, type, body, status, NULL, NULL);
}

/* POST body signed with secret as JSON. */
static json_t *post_signed(const char *name, const char *secret, const char *body, int *status)
{
    char sig[80];
    sign(secret, body, strlen(body), sig);
    return post_raw(name, sig, "application/json", body, status);
}

/* POST body signed with the deployment's shared marketplace secret. */
static json_t *post(const char *name, const char *body, int *status)
{
    return post_signed(name, sb_test_env("SB_MARKETPLACE_SECRET"), body, status);
}

/* The sample as a fresh event of this run: its own event and buyer ids, created a minute ago;
 * event_id written to id. Caller frees the text. */
static char *fresh_event(const char *file, char *id, size_t id_len)
{
    char hex[9], buyer[32], created[32], path[512];
    sb_fixture_hex(hex, 8);
    snprintf(id, id_len, "evt-http-%s", hex);
    snprintf(buyer, sizeof buyer, "buyer-http-%s", hex);
    time_t t = time(NULL) - 60;
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
    snprintf(path, sizeof path, DATA "%s", file);
    json_error_t e;
    json_t *v = json_load_file(path, 0, &e);
    cr_assert(v, "cannot load %s: %s", path, e.text);
    json_object_set_new(v, "event_id", json_string(id));
    json_object_set_new(v, "created_at", json_string(created));
    json_object_set_new(json_object_get(v, "buyer"), "id", json_string(buyer));
    /* A new person and order each time: classify joins a message to an open ticket of the same
     * customer or naming the same order, so a shared phone would thread every run together. */
    char phone[16], order[24], r1[9], r2[11];
    sb_fixture_hex(r1, 8);
    sb_fixture_hex(r2, 10);
    snprintf(phone, sizeof phone, "139%08lu", strtoul(r1, NULL, 16) % 100000000UL);
    snprintf(order, sizeof order, "39%011llu", strtoull(r2, NULL, 16) % 100000000000ULL);
    json_object_set_new(json_object_get(v, "buyer"), "phone", json_string(phone));
    json_object_set_new(json_object_get(v, "order"), "id", json_string(order));
    char *s = json_dumps(v, JSON_COMPACT);
    json_decref(v);
    return s;
}

Test(ingest_marketplace_http, names_that_cannot_be_a_marketplace_are_404)
{
    sb_test_env("SB_MARKETPLACE_SECRET");
    static const char *const names[] = {"", "Tmall", "a.b",
                                        "abcdefghij0123456789abcdefghij0123456789x"};
    static const char body[] = "{}";
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        int status;
        json_t *r = post(names[i], body, &status);
        cr_expect_eq(status, 404, "'%s': status %d", names[i], status);
        cr_expect_str_eq(sb_test_error_field(r), "name", "'%s'", names[i]);
        json_decref(r);
    }
}

Test(ingest_marketplace_http, the_signature_is_checked_before_the_body_is_read)
{
    const char *secret = sb_test_env("SB_MARKETPLACE_SECRET");
    char id[64], sig[80];
    char *body = fresh_event("tmall_buyer_message_zh.json", id, sizeof id);
    sign(secret, body, strlen(body), sig);
    struct {
        const char *sig, *body, *why;
    } cases[] = {
        {NULL, body, "no signature"},
        {"sha256=", body, "no digits"},
        {"sha1=0123456789abcdef0123456789abcdef01234567", body, "another algorithm"},
        {"sha256=0000000000000000000000000000000000000000000000000000000000000000", body,
         "the wrong digest"},
        {sig, "{\"event_id\":\"tampered\"}", "another body under this body's signature"},
        {"sha256=0000000000000000000000000000000000000000000000000000000000000000",
         "not json at all", "garbage unsigned: 401, not 400"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int status;
        char challenge[64];
        json_t *r = post_with("tmall", cases[i].sig, "application/json", cases[i].body, &status,
                              "WWW-Authenticate", challenge);
        cr_expect_eq(status, 401, "%s: status %d", cases[i].why, status);
        cr_expect_str_eq(sb_test_error_field(r), "X-Signature", "%s", cases[i].why);
        /* A key would not help: no Bearer challenge for a signed body. */
        cr_expect_str_eq(challenge, "", "%s: WWW-Authenticate %s", cases[i].why, challenge);
        json_decref(r);
    }
    int status;
    json_t *r = post_signed("tmall", "not-the-secret", body, &status);
    cr_expect_eq(status, 401, "signed with another secret");
    json_decref(r);
    free(body);
}

Test(ingest_marketplace_http, signed_but_refused_bodies_name_the_field)
{
    sb_test_env("SB_MARKETPLACE_SECRET");
    static const struct {
        const char *file, *code, *field;
    } cases[] = {
        {"bad_not_json.json", "invalid_json", ""},
        {"bad_event_type.json", "invalid_field", "event_type"},
        {"bad_missing_buyer_id.json", "missing_field", "buyer.id"},
        {"bad_order_amount_float.json", "invalid_field", "order.amount"},
        {"bad_message_image_ftp.json", "invalid_field", "message.images[2]"},
        {"bad_message_empty.json", "missing_field", "message.text"},
        {"bad_unknown_member.json", "unknown_field", "seller_note"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[512];
        size_t n;
        snprintf(path, sizeof path, DATA "%s", cases[i].file);
        char *buf = sb_test_file(path, &n);
        int status;
        json_t *r = post("tmall", buf, &status);
        free(buf);
        cr_expect_eq(status, 400, "%s: status %d", cases[i].file, status);
        cr_expect_str_eq(sb_test_error_code(r), cases[i].code, "%s", cases[i].file);
        cr_expect_str_eq(sb_test_error_field(r), cases[i].field, "%s", cases[i].file);
        json_decref(r);
    }
    char id[64], sig[80];
    char *body = fresh_event("tmall_buyer_message_zh.json", id, sizeof id);
    sign(sb_test_env("SB_MARKETPLACE_SECRET"), body, strlen(body), sig);
    int status;
    json_t *r = post_raw("tmall", sig, "text/plain", body, &status);
    cr_expect_eq(status, 415);
    cr_expect_str_eq(sb_test_error_field(r), "Content-Type");
    json_decref(r);
    free(body);
}

Test(ingest_marketplace_http, a_dispute_becomes_one_complaint_ticket, .timeout = 90)
{
    sb_test_env("SB_MARKETPLACE_SECRET");
    char id[64];
    /* A text no keyword rule matches: the category comes from the event type. */
    char *body = fresh_event("tmall_buyer_message_zh.json", id, sizeof id);
    json_t *v = json_loads(body, 0, NULL);
    json_object_set_new(v, "event_type", json_string("dispute"));
    json_object_set_new(json_object_get(v, "message"), "text",
                        json_string("卖家三天不回消息，我要申请平台介入。"));
    free(body);
    body = json_dumps(v, JSON_COMPACT);
    json_decref(v);

    int status;
    json_t *first = post("tmall", body, &status);
    cr_assert_eq(status, 202, "status %d", status);
    const char *mid = json_string_value(json_object_get(first, "message_id"));
    cr_assert(mid && strlen(mid) == 36);
    json_t *again = post("tmall", body, &status);   /* the marketplace redelivers */
    cr_assert_eq(status, 202);
    cr_expect_str_eq(json_string_value(json_object_get(again, "message_id")), mid);

    char *number = sb_test_ingest_ticket(mid, sb_test_env("SB_CHANNEL_KEY_MARKETPLACE"));
    cr_assert(number, "the event became a ticket");
    cr_expect_eq(strncmp(number, "MP-", 3), 0, "a marketplace ticket number: %s", number);
    PGconn *pg = sb_fixture_pg();
    cr_assert(pg, "SB_PG_DSN");
    const char *p[] = {number};
    char *category = sb_fixture_wait(pg, "SELECT category FROM tickets WHERE number = $1", 1, p,
                                     "complaint", 10000);
    cr_expect_str_eq(category, "complaint", "the dispute's hint decided the category");
    char ext[128];
    snprintf(ext, sizeof ext, "tmall:%s", id);
    const char *q[] = {ext};
    char *count = sb_fixture_value(
        pg, "SELECT count(*) FROM messages WHERE channel = 'marketplace' AND external_id = $1", 1,
        q);
    cr_expect_str_eq(count, "1", "one message for the event, delivered twice");
    free(count);
    free(category);
    PQfinish(pg);
    free(number);
    json_decref(first);
    json_decref(again);
    free(body);
}

/* Stores an HMAC secret for (channel, name) as an admin would, with rate (messages/s) and
 * burst; 0 or -1. */
static int add_secret_rated(PGconn *pg, const char *channel, const char *name,
                            const char *secret, const char *rate, const char *burst)
{
    const char *p[] = {channel, name, secret, rate, burst};
    return sb_fixture_exec(pg,
                           "INSERT INTO channel_credentials (channel, kind, name, secret,"
                           " rate_per_s, burst) VALUES ($1, 'hmac_secret', $2, $3, $4, $5)",
                           5, p);
}

/* Stores an HMAC secret for (channel, name) with the default rate; 0 or -1. */
static int add_secret(PGconn *pg, const char *channel, const char *name, const char *secret)
{
    return add_secret_rated(pg, channel, name, secret, "1000", "2000");
}

/* Revokes what add_secret stored. */
static void revoke_secret(PGconn *pg, const char *name)
{
    const char *p[] = {name};
    sb_fixture_exec(pg,
                    "UPDATE channel_credentials SET revoked_at = now()"
                    " WHERE kind = 'hmac_secret' AND name = $1 AND revoked_at IS NULL",
                    1, p);
}

/* Posts body to name signed with secret every 250 ms until the status is want (ingest
 * refreshes its credentials every few seconds); the last status. */
static int post_until(const char *name, const char *secret, const char *body, int want)
{
    int status = 0;
    for (int i = 0; i < 120 && status != want; i++) {
        if (i)
            usleep(250 * 1000);
        json_decref(post_signed(name, secret, body, &status));
    }
    return status;
}

Test(ingest_marketplace_http, a_marketplace_with_its_own_secret, .timeout = 90)
{
    const char *shared = sb_test_env("SB_MARKETPLACE_SECRET");
    PGconn *pg = sb_fixture_pg();
    if (!pg)
        cr_skip_test("SB_PG_DSN is not set");
    char hex[9], own_name[32], web_name[32], own[40], id[64];
    sb_fixture_hex(hex, 8);
    snprintf(own_name, sizeof own_name, "own-%s", hex);
    snprintf(web_name, sizeof web_name, "web-%s", hex);
    snprintf(own, sizeof own, "own-secret-%s", hex);
    cr_assert_eq(add_secret(pg, "marketplace", own_name, own), 0);
    /* A signing secret of another channel under a marketplace's name opens nothing. */
    cr_assert_eq(add_secret(pg, "web", web_name, own), 0);
    char *body = fresh_event("ebay_buyer_message_en.json", id, sizeof id);

    cr_expect_eq(post_until(own_name, own, body, 202), 202, "its own secret is taken");
    int status;
    json_decref(post_signed(own_name, shared, body, &status));
    cr_expect_eq(status, 401, "the shared secret no longer signs for it");
    json_t *r = post_signed(web_name, own, body, &status);
    cr_expect_eq(status, 404, "another channel's secret");
    cr_expect_str_eq(sb_test_error_field(r), "name");
    json_decref(r);

    revoke_secret(pg, own_name);
    revoke_secret(pg, web_name);
    cr_expect_eq(post_until(own_name, shared, body, 202), 202,
                 "revoked: the shared secret signs for it again");
    PQfinish(pg);
    free(body);
}

Test(ingest_marketplace_http, over_its_rate_a_secret_gets_a_429_naming_x_signature, .timeout = 90)
{
    PGconn *pg = sb_fixture_pg();
    if (!pg)
        cr_skip_test("SB_PG_DSN is not set");
    char hex[9], name[32], secret[40], id[64], sig[80];
    sb_fixture_hex(hex, 8);
    snprintf(name, sizeof name, "slow-%s", hex);
    snprintf(secret, sizeof secret, "slow-secret-%s", hex);
    /* One token, refilled one a minute. */
    cr_assert_eq(add_secret_rated(pg, "marketplace", name, secret, "0.0167", "1"), 0);
    char *body = fresh_event("tmall_buyer_message_zh.json", id, sizeof id);
    cr_expect_eq(post_until(name, secret, body, 202), 202, "the new secret signs, one token");
    /* Wrongly signed requests are refused before the bucket is looked at: still 401. */
    int status;
    json_t *r = post_signed(name, "not-the-secret", body, &status);
    cr_expect_eq(status, 401, "a bad signature over the rate is a 401, not a 429");
    json_decref(r);
    char retry[64];
    sign(secret, body, strlen(body), sig);
    r = post_with(name, sig, "application/json", body, &status, "Retry-After", retry);
    cr_expect_eq(status, 429);
    cr_expect_str_eq(sb_test_error_code(r), "rate_limited");
    cr_expect_str_eq(sb_test_error_field(r), "X-Signature");
    cr_expect_geq(atoi(retry), 1, "Retry-After '%s'", retry);
    json_decref(r);
    revoke_secret(pg, name);
    PQfinish(pg);
    free(body);
}

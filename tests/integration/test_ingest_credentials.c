/* test_ingest_credentials.c - channel credentials live in PostgreSQL: a new key works once the
 * cache refreshes, is held to its own rate (429 + Retry-After), and stops when revoked. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "expect.h"
#include "fixture.h"
#include "http_client.h"

/* How long a credential change may take to reach ingest: its refresh period (tests/run sets
 * 1 s; the default is 10 s) plus slack. */
#define REFRESH_WAIT_MS 25000

/* Monotonic milliseconds. */
static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The status of GET /v1/messages/<an id nobody used> with key: 404 once ingest knows the key,
 * 401 while it does not. */
static int probe(const char *key)
{
    char url[256], id[37];
    sb_fixture_uuid(id);
    snprintf(url, sizeof url, "%s/v1/messages/%s", sb_test_env("SB_INGEST_URL"), id);
    int status = 0;
    if (sb_test_http("GET", url, key, NULL, &status, NULL) != 0)
        return -1;
    return status;
}

/* Polls probe(key) until it answers want; 1 when it did within REFRESH_WAIT_MS. */
static int wait_for_probe(const char *key, int want)
{
    long long until = now_ms() + REFRESH_WAIT_MS;
    while (now_ms() < until) {
        if (probe(key) == want)
            return 1;
        usleep(200 * 1000);
    }
    return 0;
}

/* POSTs a valid web message; the status, and Retry-After into retry. */
static int post_web(const char *key, const char *external_id, char *retry, size_t len)
{
    char url[256];
    snprintf(url, sizeof url, "%s/v1/messages", sb_test_env("SB_INGEST_URL"));
    json_t *b = json_pack("{s:s, s:s, s:{s:s}, s:s}", "channel", "web", "external_id",
                          external_id, "customer", "id", "u-cred", "text", "rate limit test");
    char *body = json_dumps(b, JSON_COMPACT);
    json_decref(b);
    int status = 0;
    if (sb_test_http_header("POST", url, key, body, &status, NULL, "Retry-After", retry,
                            (unsigned)len) != 0)
        status = -1;
    free(body);
    return status;
}

/* A fresh web API key stored (hashed) with rate and burst; its row id into id. */
static void credential_new(PGconn *pg, char key[33], const char *rate, const char *burst,
                           char **id)
{
    sb_fixture_hex(key, 32);
    const char *p[] = {key, rate, burst};
    *id = sb_fixture_value(pg,
                           "INSERT INTO channel_credentials (channel, kind, key_hash, rate_per_s, burst)"
                           " VALUES ('web', 'api_key', encode(sha256($1::bytea), 'hex'), $2, $3)"
                           " RETURNING id",
                           3, p);
    cr_assert(*id, "cannot store a credential");
}

Test(ingest_credentials, a_new_key_works_after_refresh_and_keeps_to_its_rate)
{
    sb_test_env("SB_PG_DSN");
    PGconn *pg = sb_fixture_pg();
    char key[33], ext[64], retry[16], run[9];
    char *id;
    /* A bucket of 3 that refills one token a minute: the 4th message in a row is over. */
    credential_new(pg, key, "0.0167", "3", &id);
    cr_assert(wait_for_probe(key, 404), "ingest did not pick up the new key");
    sb_fixture_hex(run, 8);
    for (int i = 0; i < 3; i++) {
        snprintf(ext, sizeof ext, "cred-%s-%d", run, i);
        cr_expect_eq(post_web(key, ext, retry, sizeof retry), 202, "message %d", i);
    }
    snprintf(ext, sizeof ext, "cred-%s-over", run);
    cr_expect_eq(post_web(key, ext, retry, sizeof retry), 429);
    cr_expect_geq(atoi(retry), 1, "Retry-After '%s'", retry);
    /* Another credential of the same channel has its own bucket. */
    snprintf(ext, sizeof ext, "cred-%s-other", run);
    cr_expect_eq(post_web(sb_test_env("SB_CHANNEL_KEY_WEB"), ext, retry, sizeof retry), 202);
    free(id);
    PQfinish(pg);
}

Test(ingest_credentials, a_revoked_key_stops_working)
{
    sb_test_env("SB_PG_DSN");
    PGconn *pg = sb_fixture_pg();
    char key[33];
    char *id;
    credential_new(pg, key, "100", "200", &id);
    cr_assert(wait_for_probe(key, 404), "ingest did not pick up the new key");
    const char *p[] = {id};
    cr_assert_eq(sb_fixture_exec(pg, "UPDATE channel_credentials SET revoked_at = now()"
                                     " WHERE id = $1", 1, p), 0);
    cr_expect(wait_for_probe(key, 401), "the revoked key still works");
    free(id);
    PQfinish(pg);
}

/* test_survey_api.c - survey pages and answers over real HTTP, and surveys made from resolved events. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "http_client.h"

static PGconn     *pg;
static const char *survey_url;

/* Skip unless tests/run exported the stack; otherwise connect. */
static void survey_setup(void)
{
    survey_url = getenv("SB_SURVEY_URL");
    if (!getenv("SB_PG_DSN") || !survey_url)
        cr_skip_test("SB_PG_DSN or SB_SURVEY_URL unset: the stack is not running");
    pg = sb_fixture_pg();
    cr_assert_not_null(pg, "cannot connect to SB_PG_DSN");
}

static void survey_teardown(void)
{
    if (pg)
        PQfinish(pg);
    pg = NULL;
}

TestSuite(survey_api, .init = survey_setup, .fini = survey_teardown, .timeout = 60);

/* A resolved ticket with an open survey; token gets its 32 hex digits. */
static void make_survey(char token[33])
{
    char number[32], id[37];
    sb_fixture_ticket t = {.status = "resolved"};
    cr_assert_eq(sb_fixture_ticket_new(pg, &t, number, id), 0);
    sb_fixture_hex(token, 32);
    const char *p[] = {id, token};
    cr_assert_eq(sb_fixture_exec(pg,
                                 "INSERT INTO surveys (ticket_id, token, resolution)"
                                 " VALUES ($1, $2, 'fully')", 2, p), 0);
}

/* POST body to the survey of token; the reply as JSON. */
static json_t *post_answer(const char *token, const char *body, int *status)
{
    char url[512];
    snprintf(url, sizeof(url), "%s/v1/surveys/%s", survey_url, token);
    return sb_test_http_json("POST", url, NULL, body, status);
}

/* The reply is the uniform error with this status and field. */
static void assert_error(json_t *body, int status, int want, const char *field)
{
    cr_assert_eq(status, want, "status %d, wanted %d", status, want);
    json_t *err = json_object_get(body, "error");
    cr_assert(json_is_object(err), "no error object");
    if (field)
        cr_assert_str_eq(json_string_value(json_object_get(err, "field")), field);
}

Test(survey_api, page_is_html_with_the_four_choices)
{
    char token[33], url[512], type[128];
    make_survey(token);
    snprintf(url, sizeof(url), "%s/v1/surveys/%s", survey_url, token);
    int status;
    char *html = NULL;
    cr_assert_eq(sb_test_http_header("GET", url, NULL, NULL, &status, &html, "Content-Type", type,
                                     sizeof(type)), 0);
    cr_assert_eq(status, 200);
    cr_assert(strncmp(type, "text/html", 9) == 0, "Content-Type %s", type);
    static const char *const choices[] = {"very_satisfied", "\"satisfied\"", "neutral",
                                          "dissatisfied", "<textarea"};
    for (size_t i = 0; i < sizeof(choices) / sizeof(choices[0]); i++)
        cr_assert_not_null(strstr(html, choices[i]), "page lacks %s", choices[i]);
    free(html);
}

Test(survey_api, unknown_or_malformed_token_is_404)
{
    char token[33], url[512];
    sb_fixture_hex(token, 32);
    static const char *const tails[] = {"", "not-a-token", "ABCDEF"};
    int status;
    snprintf(url, sizeof(url), "%s/v1/surveys/%s", survey_url, token);
    json_t *body = sb_test_http_json("GET", url, NULL, NULL, &status);
    assert_error(body, status, 404, "token");
    json_decref(body);
    for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
        snprintf(url, sizeof(url), "%s/v1/surveys/%s", survey_url, tails[i]);
        body = sb_test_http_json("GET", url, NULL, NULL, &status);
        cr_assert_eq(status, 404, "%s: %d", tails[i], status);
        json_decref(body);
    }
    body = post_answer(token, "{\"rating\":\"neutral\"}", &status);
    assert_error(body, status, 404, "token");
    json_decref(body);
}

Test(survey_api, invalid_answers_name_the_field)
{
    static const struct { const char *body, *field; } bad[] = {
        {"{\"rating\":\"great\"}", "rating"},
        {"{\"comment\":\"no rating\"}", "rating"},
        {"{\"rating\":5}", "rating"},
        {"{\"rating\":\"neutral\",\"comment\":7}", "comment"},
    };
    char token[33];
    make_survey(token);
    int status;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *body = post_answer(token, bad[i].body, &status);
        assert_error(body, status, 400, bad[i].field);
        json_decref(body);
    }
    json_t *body = post_answer(token, "{not json", &status);
    assert_error(body, status, 400, NULL);
    json_decref(body);
    /* A comment over the limit. */
    char *big = malloc(3000);
    memset(big, 'x', 2990);
    memcpy(big, "{\"rating\":\"neutral\",\"comment\":\"", 31);
    memcpy(big + 2990, "\"}", 3);
    body = post_answer(token, big, &status);
    assert_error(body, status, 400, "comment");
    json_decref(body);
    free(big);
    /* None of these answered the survey. */
    const char *p[] = {token};
    char *answered = sb_fixture_value(pg, "SELECT answered_at IS NULL FROM surveys WHERE token = $1", 1, p);
    cr_assert_str_eq(answered, "t");
    free(answered);
}

Test(survey_api, one_answer_per_survey)
{
    char token[33];
    make_survey(token);
    int status;
    json_t *body = post_answer(token, "{\"rating\":\"dissatisfied\",\"comment\":\"too slow\"}", &status);
    cr_assert_eq(status, 200);
    cr_assert_str_eq(json_string_value(json_object_get(body, "status")), "recorded");
    json_decref(body);
    body = post_answer(token, "{\"rating\":\"very_satisfied\"}", &status);
    assert_error(body, status, 409, NULL);
    json_decref(body);
    const char *p[] = {token};
    char *row = sb_fixture_value(pg, "SELECT rating || '/' || comment FROM surveys WHERE token = $1",
                                 1, p);
    cr_assert_str_eq(row, "dissatisfied/too slow");
    free(row);
    /* The page now says it was answered. */
    char url[512], *html = NULL;
    snprintf(url, sizeof(url), "%s/v1/surveys/%s", survey_url, token);
    cr_assert_eq(sb_test_http("GET", url, NULL, NULL, &status, &html), 0);
    cr_assert_eq(status, 200);
    cr_assert_not_null(strstr(html, "already answered"));
    free(html);
}

Test(survey_api, resolved_event_creates_one_survey)
{
    if (!getenv("SB_KAFKA_BROKERS"))
        cr_skip_test("SB_KAFKA_BROKERS unset");
    char number[32], id[37], event_id[37], at[] = "2026-11-22T10:00:00.000Z";
    sb_fixture_ticket t = {.status = "resolved"};
    cr_assert_eq(sb_fixture_ticket_new(pg, &t, number, id), 0);
    sb_fixture_uuid(event_id);
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:[]}}", "type", "resolved",
                           "event_id", event_id, "occurred_at", at, "ticket_id", id,
                           "ticket_number", number, "data", "resolution", "partly", "solution",
                           "refund issued", "tags");
    char *text = json_dumps(ev, JSON_COMPACT);
    /* Poison first, on the same key: the consumer must dead-letter it and move on. */
    cr_assert_eq(sb_fixture_publish("sb.tickets.v1", id, "{not json"), 0);
    cr_assert_eq(sb_fixture_publish("sb.tickets.v1", id, text), 0);
    cr_assert_eq(sb_fixture_publish("sb.tickets.v1", id, text), 0);   /* a replay */
    const char *p[] = {id};
    char *row = sb_fixture_wait(pg, "SELECT resolution || '/' || length(token) FROM surveys"
                                    " WHERE ticket_id = $1", 1, p, "partly/32", 20000);
    cr_assert_str_eq(row ? row : "(none)", "partly/32");
    free(row);
    const char *q[] = {event_id};
    char *claims = sb_fixture_value(pg, "SELECT count(*) FROM processed_events"
                                        " WHERE consumer = 'survey' AND event_id = $1", 1, q);
    cr_assert_str_eq(claims, "1");
    free(claims);
    free(text);
    json_decref(ev);
}

/* test_survey_api.c - survey's public link over real HTTP: the page, the one answer, every
 * misuse of the signed token (bad signature, tampered expiry, expired, reused, unknown), links
 * expired by the loop exactly once, and surveys scheduled from resolved events by the rules. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "common/clock.h"
#include "common/ids.h"
#include "fixture.h"
#include "http_client.h"
#include "survey_common.h"

static PGconn *pg;

/* Skip unless tests/run exported the stack; otherwise connect. */
static void survey_setup(void)
{
    if (!getenv("SB_PG_DSN") || !getenv("SB_SURVEY_URL") || !getenv("SB_SURVEY_SECRET"))
        cr_skip_test("SB_PG_DSN, SB_SURVEY_URL or SB_SURVEY_SECRET unset: the stack is not running");
    pg = sb_fixture_pg();
    cr_assert_not_null(pg, "cannot connect to SB_PG_DSN");
}

static void survey_teardown(void)
{
    if (pg)
        PQfinish(pg);
    pg = NULL;
}

TestSuite(survey_api, .init = survey_setup, .fini = survey_teardown, .timeout = 90);

/* A sent survey whose link works for an hour. */
static void sent_survey(survey_planted *s)
{
    survey_plant(pg, "resolved", "sent", 0, 3600 * 1000, s);
}

/* One-value query with one parameter, malloc'd. */
static char *value1(const char *sql, const char *param)
{
    const char *p[] = {param};
    return sb_fixture_value(pg, sql, 1, p);
}

Test(survey_api, page_is_html_with_the_four_choices)
{
    survey_planted s;
    sent_survey(&s);
    char url[1024], type[128], cache[64];
    snprintf(url, sizeof(url), "%s/v1/surveys/%s", getenv("SB_SURVEY_URL"), s.token);
    int status;
    char *html = NULL;
    cr_assert_eq(sb_test_http_header("GET", url, NULL, NULL, &status, &html, "Content-Type", type,
                                     sizeof(type)), 0);
    cr_assert_eq(status, 200);
    cr_assert(strncmp(type, "text/html", 9) == 0, "Content-Type %s", type);
    static const char *const choices[] = {"very_satisfied", "\"satisfied\"", "neutral",
                                          "dissatisfied", "<textarea", "name=\"viewport\""};
    for (size_t i = 0; i < sizeof(choices) / sizeof(choices[0]); i++)
        cr_assert_not_null(strstr(html, choices[i]), "page lacks %s", choices[i]);
    free(html);
    html = NULL;
    cr_assert_eq(sb_test_http_header("GET", url, NULL, NULL, &status, &html, "Cache-Control",
                                     cache, sizeof(cache)), 0);
    cr_assert_str_eq(cache, "no-store", "a page whose URL is a credential is not cached");
    free(html);
}

Test(survey_api, bad_signature_tampered_expiry_malformed_and_unknown_are_404_naming_token)
{
    survey_planted s;
    sent_survey(&s);
    char bad[SURVEY_TOKEN_MAX + 8], unknown_id[37], unknown[SURVEY_TOKEN_MAX + 1];
    size_t len = strlen(s.token);
    int status;
    /* The signature's last character changed. */
    snprintf(bad, sizeof(bad), "%s", s.token);
    bad[len - 1] = bad[len - 1] == 'A' ? 'B' : 'A';
    /* The expiry pushed a day later, with the old signature. */
    char tampered[SURVEY_TOKEN_MAX + 8];
    const char *sig = strrchr(s.token, '.');
    snprintf(tampered, sizeof(tampered), "%.32s.%lld%s", s.token,
             (long long)(s.expires_ms + 86400000LL), sig);
    /* A well-signed link for a survey that does not exist. */
    sb_fixture_uuid(unknown_id);
    survey_sign(unknown_id, s.expires_ms, unknown);
    const char *const tails[] = {bad, tampered, unknown, "not-a-token", "", "ABCDEF",
                                 "6f1c2a7e3b4d5e6f8a9b0c1d2e3f4a5b"};
    for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
        json_t *body = survey_post(tails[i], "{\"rating\":\"neutral\"}", &status);
        survey_assert_error(body, status, 404, "not_found", "token");
        json_decref(body);
        char *page = NULL;
        cr_assert_eq(survey_get(tails[i], &page), 404, "GET %s", tails[i]);
        json_t *j = json_loads(page, 0, NULL);
        survey_assert_error(j, 404, 404, "not_found", "token");
        json_decref(j);
        free(page);
    }
    /* None of these touched the survey. */
    char *st = value1("SELECT state FROM surveys WHERE id = $1", s.id);
    cr_assert_str_eq(st, "sent");
    free(st);
}

Test(survey_api, expired_link_is_410_survey_expired)
{
    survey_planted s;
    survey_plant(pg, "resolved", "sent", 0, -1000, &s);   /* expired a second ago */
    int status;
    json_t *body = survey_post(s.token, "{\"rating\":\"satisfied\"}", &status);
    survey_assert_error(body, status, 410, "survey_expired", "token");
    json_decref(body);
    cr_assert_eq(survey_get(s.token, NULL), 410);
    /* A browser following the link gets the same status as a page, not JSON. */
    char url[1024], type[128], *html = NULL;
    snprintf(url, sizeof(url), "%s/v1/surveys/%s", getenv("SB_SURVEY_URL"), s.token);
    sb_test_request rq = {.headers = "Accept: text/html,application/xhtml+xml\r\n",
                          .reply_header = "Content-Type", .reply_header_out = type,
                          .reply_header_len = sizeof(type)};
    cr_assert_eq(sb_test_http_request("GET", url, &rq, &status, &html), 0);
    cr_assert_eq(status, 410);
    cr_assert(strncmp(type, "text/html", 9) == 0, "Content-Type %s", type);
    cr_assert_not_null(strstr(html, "expired"));
    free(html);
    html = NULL;
    snprintf(url, sizeof(url), "%s/v1/surveys/not-a-token", getenv("SB_SURVEY_URL"));
    cr_assert_eq(sb_test_http_request("GET", url, &rq, &status, &html), 0);
    cr_assert_eq(status, 404);
    cr_assert(strncmp(type, "text/html", 9) == 0, "Content-Type %s", type);
    free(html);
    /* Never answered. */
    char *st = value1("SELECT (answered_at IS NULL)::text FROM surveys WHERE id = $1", s.id);
    cr_assert_str_eq(st, "true");
    free(st);
}

Test(survey_api, the_loop_expires_an_unanswered_link_exactly_once)
{
    survey_planted s;
    survey_plant(pg, "resolved", "sent", 0, -60000, &s);
    char *st = sb_fixture_wait(pg, "SELECT state FROM surveys WHERE id = $1",
                               1, (const char *[]){s.id}, "expired", SURVEY_WAIT_MS);
    cr_assert_str_eq(st ? st : "(none)", "expired");
    free(st);
    json_t *ev = survey_event_wait(pg, s.ticket_id, "survey_expired", 0);
    survey_assert_schema("tickets/survey_expired.v1.json", ev);
    char id[SB_UUID_STRLEN], sent_id[SB_UUID_STRLEN];
    sb_ids_derived(s.id, "survey_expired", id);
    sb_ids_derived(s.id, "survey_sent", sent_id);
    cr_assert_str_eq(json_string_value(json_object_get(ev, "event_id")), id);
    cr_assert_str_eq(json_string_value(json_object_get(ev, "source_event_id")), sent_id);
    const json_t *data = json_object_get(ev, "data");
    cr_assert_str_eq(json_string_value(json_object_get(data, "survey_id")), s.id);
    cr_assert_eq(json_integer_value(json_object_get(data, "round")), 1);
    survey_assert_published(pg, id);
    json_decref(ev);
    /* A later survey expiring proves the loop ran again: still one for this one. */
    survey_planted later;
    survey_plant(pg, "resolved", "sent", 0, -1, &later);
    json_t *ev2 = survey_event_wait(pg, later.ticket_id, "survey_expired", 0);
    cr_assert_not_null(ev2);
    json_decref(ev2);
    cr_assert_eq(survey_event_count(pg, s.ticket_id, "survey_expired"), 1);
    int status;
    json_t *body = survey_post(s.token, "{\"rating\":\"neutral\"}", &status);
    survey_assert_error(body, status, 410, "survey_expired", "token");
    json_decref(body);
}

Test(survey_api, invalid_answers_name_the_field)
{
    static const struct { const char *body, *field; } bad[] = {
        {"{\"rating\":\"great\"}", "rating"},
        {"{\"comment\":\"no rating\"}", "rating"},
        {"{\"rating\":5}", "rating"},
        {"{\"rating\":\"neutral\",\"comment\":7}", "comment"},
        {"{\"rating\":\"neutral\",\"stars\":5}", "stars"},
    };
    survey_planted s;
    sent_survey(&s);
    int status;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *body = survey_post(s.token, bad[i].body, &status);
        survey_assert_error(body, status, 400, NULL, bad[i].field);
        json_decref(body);
    }
    json_t *body = survey_post(s.token, "{not json", &status);
    survey_assert_error(body, status, 400, NULL, NULL);
    json_decref(body);
    /* A comment over the limit. */
    char *big = malloc(3000);
    memset(big, 'x', 2990);
    memcpy(big, "{\"rating\":\"neutral\",\"comment\":\"", 31);
    memcpy(big + 2990, "\"}", 3);
    body = survey_post(s.token, big, &status);
    survey_assert_error(body, status, 400, NULL, "comment");
    json_decref(body);
    free(big);
    char *answered = value1("SELECT (answered_at IS NULL)::text FROM surveys WHERE id = $1", s.id);
    cr_assert_str_eq(answered, "true");
    free(answered);
}

Test(survey_api, one_answer_per_survey_then_409_already_answered)
{
    survey_planted s;
    sent_survey(&s);
    int status;
    json_t *body = survey_post(s.token, "{\"rating\":\"satisfied\",\"comment\":\"quick, thanks\"}",
                               &status);
    cr_assert_eq(status, 200);
    cr_assert_str_eq(json_string_value(json_object_get(body, "status")), "recorded");
    json_decref(body);
    body = survey_post(s.token, "{\"rating\":\"very_satisfied\"}", &status);
    survey_assert_error(body, status, 409, "already_answered", "token");
    json_decref(body);
    char *row = value1("SELECT state || '/' || rating || '/' || comment FROM surveys WHERE id = $1",
                       s.id);
    cr_assert_str_eq(row, "answered/satisfied/quick, thanks");
    free(row);
    /* The database itself refuses a second answer. */
    const char *p[] = {s.id};
    cr_assert_neq(sb_fixture_exec(pg, "UPDATE surveys SET rating = 'neutral' WHERE id = $1", 1, p),
                  0, "an answer was changed");
    /* survey_answered once, valid; a satisfied answer reopens nothing. */
    json_t *ev = survey_event_wait(pg, s.ticket_id, "survey_answered", 0);
    survey_assert_schema("tickets/survey_answered.v1.json", ev);
    const json_t *data = json_object_get(ev, "data");
    cr_assert_str_eq(json_string_value(json_object_get(data, "rating")), "satisfied");
    cr_assert(json_is_true(json_object_get(data, "satisfied")));
    cr_assert(json_is_true(json_object_get(data, "has_comment")));
    cr_assert_null(json_object_get(data, "comment"), "no customer text in events");
    survey_assert_published(pg, json_string_value(json_object_get(ev, "event_id")));
    json_decref(ev);
    cr_assert_eq(survey_event_count(pg, s.ticket_id, "survey_answered"), 1);
    cr_assert_eq(survey_event_count(pg, s.ticket_id, "reopened"), 0);
    char *status_now = value1("SELECT status FROM tickets WHERE id = $1", s.ticket_id);
    cr_assert_str_eq(status_now, "resolved");
    free(status_now);
    /* The page now says it was answered. */
    char *html = NULL;
    cr_assert_eq(survey_get(s.token, &html), 200);
    cr_assert_not_null(strstr(html, "already answered"));
    free(html);
}

/* Publish a resolved event for the ticket; its id into event_id; when it occurred. */
static int64_t publish_resolved(const char *id, const char *number, const char *resolution,
                                char event_id[37])
{
    char at[32];
    int64_t now = sb_clock_now_ms();
    sb_fixture_uuid(event_id);
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:[], s:{s:s, s:s}}}",
                           "type", "resolved", "event_id", event_id, "occurred_at",
                           sb_clock_format_iso(now, at, sizeof(at)), "ticket_id", id,
                           "ticket_number", number, "data", "resolution", resolution, "solution",
                           "refund issued", "tags", "by", "subject", "quality-01", "role", "agent");
    char *text = json_dumps(ev, JSON_COMPACT);
    cr_assert_eq(sb_fixture_publish("sb.tickets.v1", id, text), 0);
    free(text);
    json_decref(ev);
    return now;
}

/* A resolved ticket; with a customer message when contacted. */
static void resolved_ticket(int contacted, char number[32], char id[37])
{
    sb_fixture_ticket t = {.status = "resolved", .department = "quality",
                           .assignee = "quality-01"};
    cr_assert_eq(sb_fixture_ticket_new(pg, &t, number, id), 0);
    if (contacted) {
        char ext[33];
        sb_fixture_hex(ext, 32);
        const char *p[] = {id, ext};
        cr_assert_eq(sb_fixture_exec(pg, "INSERT INTO messages (message_id, ticket_id, channel,"
                                         " external_id, body, received_at) VALUES"
                                         " (gen_random_uuid(), $1, 'web', $2, 'my parcel is late',"
                                         " now())", 2, p), 0);
    }
}

/* Waits until the survey consumer has applied event_id. */
static void assert_claimed(const char *event_id)
{
    const char *q[] = {event_id};
    char *claims = sb_fixture_wait(pg, "SELECT count(*) FROM processed_events"
                                       " WHERE consumer = 'survey' AND event_id = $1", 1, q, "1",
                                   SURVEY_WAIT_MS);
    cr_assert_str_eq(claims ? claims : "(none)", "1");
    free(claims);
}

Test(survey_api, resolved_event_schedules_one_survey_after_the_delay)
{
    if (!getenv("SB_KAFKA_BROKERS"))
        cr_skip_test("SB_KAFKA_BROKERS unset");
    char number[32], id[37], event_id[37];
    resolved_ticket(1, number, id);
    /* Poison first, on the same key: the consumer must dead-letter it and move on. */
    cr_assert_eq(sb_fixture_publish("sb.tickets.v1", id, "{not json"), 0);
    int64_t resolved_ms = publish_resolved(id, number, "partly", event_id);
    const char *p[] = {id};
    char *row = sb_fixture_wait(pg, "SELECT state || '/' || round || '/' || resolution"
                                    " || '/' || resolved_by FROM surveys WHERE ticket_id = $1",
                                1, p, "scheduled/1/partly/quality-01", SURVEY_WAIT_MS);
    cr_assert_str_eq(row ? row : "(none)", "scheduled/1/partly/quality-01");
    free(row);
    /* Due SB_SURVEY_DELAY_MS after the resolution; its id derived from the event's. */
    long delay = getenv("SB_SURVEY_DELAY_MS") ? atol(getenv("SB_SURVEY_DELAY_MS")) : 600000;
    char want[80], survey_id[SB_UUID_STRLEN];
    sb_ids_derived(event_id, "survey", survey_id);
    snprintf(want, sizeof(want), "%s %lld", survey_id, (long long)(resolved_ms + delay));
    row = value1("SELECT id || ' ' || round(extract(epoch FROM due_at) * 1000)::bigint"
                 " FROM surveys WHERE ticket_id = $1", id);
    cr_assert_str_eq(row ? row : "(none)", want);
    free(row);
    /* A second resolution without a dissatisfied answer schedules nothing more. */
    char again[37];
    publish_resolved(id, number, "partly", again);
    assert_claimed(again);
    char *n = value1("SELECT count(*) FROM surveys WHERE ticket_id = $1", id);
    cr_assert_str_eq(n, "1", "a second resolution without a dissatisfied answer: no new survey");
    free(n);
}

Test(survey_api, no_survey_without_a_customer_contact_or_for_resolution_not)
{
    if (!getenv("SB_KAFKA_BROKERS"))
        cr_skip_test("SB_KAFKA_BROKERS unset");
    char n1[32], silent[37], n2[32], gaveup[37], e1[37], e2[37];
    resolved_ticket(0, n1, silent);   /* no customer message: nobody to ask */
    resolved_ticket(1, n2, gaveup);
    publish_resolved(silent, n1, "fully", e1);
    publish_resolved(gaveup, n2, "not", e2);
    assert_claimed(e1);
    assert_claimed(e2);
    const char *p[] = {silent, gaveup};
    char *n = sb_fixture_value(pg, "SELECT count(*) FROM surveys WHERE ticket_id IN ($1, $2)", 2, p);
    cr_assert_str_eq(n, "0");
    free(n);
}

/* Runs sb-survey with one more setting; its exit status, and its log (malloc'd) into log. */
static int run_survey_with(const char *setting, char **log)
{
    const char *build = getenv("SB_BUILD");
    if (!build)
        cr_skip_test("SB_BUILD unset");
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "env %s SB_HTTP_ADDR=127.0.0.1:0 timeout 60 %s/services/survey/sb-survey 2>&1",
             setting, build);
    FILE *f = popen(cmd, "r");
    cr_assert_not_null(f);
    size_t cap = 1 << 16, len = 0;
    char *out = calloc(1, cap);
    size_t n;
    while ((n = fread(out + len, 1, cap - len - 1, f)) > 0)
        len += n;
    int rc = pclose(f);
    *log = out;
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

Test(survey_api, a_delay_over_30_minutes_or_a_short_secret_stops_the_service_at_start)
{
    char *log = NULL;
    cr_assert_eq(run_survey_with("SB_SURVEY_DELAY_MS=1800001", &log), 1, "%s", log);
    cr_assert_not_null(strstr(log, "SB_SURVEY_DELAY_MS"), "%s", log);
    cr_assert_not_null(strstr(log, "30 min"), "%s", log);
    free(log);
    cr_assert_eq(run_survey_with("SB_SURVEY_SECRET=short", &log), 1, "%s", log);
    cr_assert_not_null(strstr(log, "SB_SURVEY_SECRET"), "%s", log);
    free(log);
}

Test(survey_api, no_follow_up_survey_without_the_reopening)
{
    if (!getenv("SB_KAFKA_BROKERS"))
        cr_skip_test("SB_KAFKA_BROKERS unset");
    /* Round 1 answered dissatisfied, but the ticket was never reopened by it (e.g. merged
     * meanwhile): a later resolution is no second handling, so no round 2. */
    char number[32], id[37], event_id[37];
    resolved_ticket(1, number, id);
    const char *p[] = {id};
    cr_assert_eq(sb_fixture_exec(pg, "INSERT INTO surveys (id, ticket_id, round, state, due_at,"
                                     " sent_at, expires_at, channel, resolution, rating,"
                                     " answered_at) VALUES (gen_random_uuid(), $1, 1, 'answered',"
                                     " now(), now(), now() + interval '1 day', 'web', 'fully',"
                                     " 'dissatisfied', now())", 1, p), 0);
    publish_resolved(id, number, "fully", event_id);
    assert_claimed(event_id);
    char *n = value1("SELECT count(*) FROM surveys WHERE ticket_id = $1", id);
    cr_assert_str_eq(n, "1");
    free(n);
}

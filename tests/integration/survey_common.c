/* survey_common.c - shared helpers of survey's integration suites (survey_common.h). */
#include "survey_common.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "fixture.h"
#include "http_client.h"
#include "schema.h"

void survey_sign(const char *survey_id, int64_t expires_ms, char out[SURVEY_TOKEN_MAX + 1])
{
    const char *secret = getenv("SB_SURVEY_SECRET");
    cr_assert(secret && *secret, "SB_SURVEY_SECRET unset");
    cr_assert_eq(survey_token_sign(secret, strlen(secret), survey_id, expires_ms, out,
                                   SURVEY_TOKEN_MAX + 1), 0);
}

void survey_plant(PGconn *pg, const char *ticket_status, const char *state, int64_t due_in_ms,
                  int64_t expires_in_ms, survey_planted *out)
{
    sb_fixture_ticket t = {.status = ticket_status, .category = "complaint",
                           .subtopic = "logistics-delay", .department = "quality",
                           .assignee = "quality-01"};
    memset(out, 0, sizeof(*out));
    cr_assert_eq(sb_fixture_ticket_new(pg, &t, out->number, out->ticket_id), 0);
    sb_fixture_uuid(out->id);
    int64_t now = sb_clock_now_ms();
    int sent = strcmp(state, "scheduled") != 0;
    out->expires_ms = now + expires_in_ms;
    char due[32], sent_at[32], exp[32];
    sb_clock_format_iso(now + due_in_ms, due, sizeof(due));
    sb_clock_format_iso(now, sent_at, sizeof(sent_at));
    sb_clock_format_iso(out->expires_ms, exp, sizeof(exp));
    const char *p[] = {out->id, out->ticket_id, state, due, sent ? sent_at : NULL,
                       sent ? exp : NULL};
    cr_assert_eq(sb_fixture_exec(pg, "INSERT INTO surveys (id, ticket_id, round, state, due_at,"
                                     " sent_at, expires_at, channel, resolution)"
                                     " VALUES ($1, $2, 1, $3, $4, $5, $6, 'web', 'fully')",
                                 6, p), 0);
    survey_sign(out->id, out->expires_ms, out->token);
}

long survey_event_count(PGconn *pg, const char *ticket_id, const char *type)
{
    const char *p[] = {ticket_id, type};
    char *v = sb_fixture_value(pg, "SELECT count(*) FROM ticket_events WHERE ticket_id = $1"
                                   " AND type = $2", 2, p);
    long n = v ? strtol(v, NULL, 10) : -1;
    free(v);
    return n;
}

json_t *survey_event_wait(PGconn *pg, const char *ticket_id, const char *type, int n)
{
    char off[16];
    snprintf(off, sizeof(off), "%d", n);
    const char *p[] = {ticket_id, type, off};
    char *v = sb_fixture_wait(pg, "SELECT payload::text FROM ticket_events WHERE ticket_id = $1"
                                  " AND type = $2 ORDER BY seq OFFSET $3::int LIMIT 1", 3, p,
                              NULL, SURVEY_WAIT_MS);
    json_t *ev = v ? json_loads(v, 0, NULL) : NULL;
    free(v);
    return ev;
}

void survey_assert_schema(const char *rel, const json_t *v)
{
    char path[512], err[512];
    cr_assert_not_null(v, "%s: nothing to validate", rel);
    snprintf(path, sizeof(path), "%s/proto/%s", SB_SOURCE_DIR, rel);
    cr_assert_eq(sb_schema_validate_file(path, v, err, sizeof(err)), 0, "%s: %s", rel, err);
}

void survey_assert_published(PGconn *pg, const char *event_id)
{
    const char *p[] = {event_id};
    char *sent = sb_fixture_wait(pg, "SELECT (sent_at IS NOT NULL)::text FROM outbox"
                                     " WHERE payload->>'event_id' = $1", 1, p, "true",
                                 SURVEY_WAIT_MS);
    cr_assert(sent && strcmp(sent, "true") == 0, "outbox row of %s not published", event_id);
    free(sent);
    char *n = sb_fixture_value(pg, "SELECT count(*) FROM outbox WHERE payload->>'event_id' = $1",
                               1, p);
    cr_assert_str_eq(n ? n : "?", "1", "event %s queued more than once", event_id);
    free(n);
}

json_t *survey_post(const char *tail, const char *body, int *status)
{
    char url[1024];
    snprintf(url, sizeof(url), "%s/v1/surveys/%s", getenv("SB_SURVEY_URL"), tail);
    return sb_test_http_json("POST", url, NULL, body, status);
}

int survey_get(const char *tail, char **body)
{
    char url[1024], *b = NULL;
    int status = 0;
    snprintf(url, sizeof(url), "%s/v1/surveys/%s", getenv("SB_SURVEY_URL"), tail);
    cr_assert_eq(sb_test_http("GET", url, NULL, NULL, &status, &b), 0, "GET %s failed", url);
    if (body)
        *body = b;
    else
        free(b);
    return status;
}

void survey_assert_error(json_t *body, int status, int want, const char *code, const char *field)
{
    cr_assert_eq(status, want, "status %d, wanted %d", status, want);
    json_t *err = json_object_get(body, "error");
    cr_assert(json_is_object(err), "no error object");
    if (code)
        cr_assert_str_eq(json_string_value(json_object_get(err, "code")), code);
    if (field)
        cr_assert_str_eq(json_string_value(json_object_get(err, "field")), field);
}

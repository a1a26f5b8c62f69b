/* test_desk_actions.c - desk's ticket actions over real HTTP: reclassify and resolve change the
 * ticket, announce an event through the outbox, and leave an audit row; scope, roles, state and
 * bad input are refused with the field named. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "http_client.h"

static PGconn     *pg;
static const char *desk_url;

/* Skip unless the stack is running; otherwise connect. */
static void setup(void)
{
    desk_url = getenv("SB_DESK_URL");
    if (!getenv("SB_PG_DSN") || !desk_url)
        cr_skip_test("SB_PG_DSN or SB_DESK_URL unset: the stack is not running");
    pg = sb_fixture_pg();
    cr_assert_not_null(pg, "cannot connect to SB_PG_DSN");
}

static void teardown(void)
{
    if (pg)
        PQfinish(pg);
    pg = NULL;
}

TestSuite(desk_actions, .init = setup, .fini = teardown, .timeout = 60);

/* POST an action with a JSON body; the reply as JSON. */
static json_t *act(const char *number, const char *action, const char *token, const char *body,
                   int *status)
{
    char path[256];
    snprintf(path, sizeof path, "/v1/tickets/%s/%s", number, action);
    return sb_test_desk_json("POST", path, token, body, status);
}

/* The error's field, or "" (for messages). */
static const char *error_field(const json_t *body)
{
    const char *f = json_string_value(json_object_get(json_object_get(body, "error"), "field"));
    return f ? f : "";
}

/* A complaint ticket of the quality department, assigned, and a token of a quality agent. */
static void quality_ticket(char number[40], char id[37], char **agent_token)
{
    sb_fixture_ticket t = {.channel = "web", .status = "assigned", .category = "complaint",
                           .subtopic = "service-quality", .urgency = "high", .priority = "P2",
                           .department = "quality", .assignee = "quality-01"};
    cr_assert_eq(sb_fixture_ticket_new(pg, &t, number, id), 0);
    *agent_token = sb_fixture_token(pg, "quality-01", "agent");
    cr_assert_not_null(*agent_token);
}

/* One-value query with one parameter, malloc'd. */
static char *value1(const char *sql, const char *param)
{
    const char *p[] = {param};
    return sb_fixture_value(pg, sql, 1, p);
}

Test(desk_actions, reclassify_moves_the_ticket_records_who_and_why_and_announces_it)
{
    char number[40], id[37], *token;
    quality_ticket(number, id, &token);
    int status = 0;
    json_t *r = act(number, "reclassify", token,
                    "{\"category\":\"after-sales\",\"subtopic\":\"refund\",\"priority\":\"P1\","
                    "\"reason\":\"the customer asks for money back, not about service\"}", &status);
    cr_assert_eq(status, 200, "status %d", status);
    json_t *ev = json_object_get(r, "event");
    cr_expect_str_eq(json_string_value(json_object_get(ev, "type")), "reclassified");
    json_t *data = json_object_get(ev, "data");
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(data, "before"), "category")), "complaint");
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(data, "after"), "department")), "after-sales");
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(data, "by"), "subject")), "quality-01");
    const char *event_id = json_string_value(json_object_get(ev, "event_id"));

    char *row = value1("SELECT category || '/' || subtopic || ' ' || priority || ' ' || department_id"
                       " || ' ' || decided_by || ' ' || urgency FROM tickets WHERE id = $1::uuid", id);
    cr_expect_str_eq(row, "after-sales/refund P1 after-sales person high");
    free(row);
    char *audit = value1("SELECT actor || ' ' || action FROM audit_log WHERE target = $1", number);
    cr_expect_str_eq(audit, "quality-01 ticket.reclassify");
    free(audit);
    /* The outbox relay publishes it: the row is marked sent. */
    const char *p[] = {event_id};
    char *sent = sb_fixture_wait(pg, "SELECT (sent_at IS NOT NULL)::text FROM outbox"
                                     " WHERE payload->>'event_id' = $1", 1, p, "true", 10000);
    cr_expect(sent && strcmp(sent, "true") == 0, "the outbox row was not published");
    free(sent);
    json_decref(r);

    /* It now belongs to after-sales: another quality agent no longer finds it (its assignee,
     * quality-01, still does: their own ticket). */
    char *other = sb_fixture_token(pg, "quality-02", "agent");
    r = act(number, "resolve", other, "{\"resolution\":\"fully\",\"solution\":\"x\"}", &status);
    cr_expect_eq(status, 404);
    json_decref(r);
    free(other);
    free(token);
}

Test(desk_actions, reclassify_refuses_bad_taxonomy_missing_reason_and_no_change)
{
    char number[40], id[37], *token;
    quality_ticket(number, id, &token);
    static const struct { const char *body; int status; const char *field; } cases[] = {
        {"{\"category\":\"billing\",\"subtopic\":\"refund\",\"reason\":\"x\"}", 400, "category"},
        {"{\"category\":\"complaint\",\"subtopic\":\"\",\"reason\":\"x\"}", 400, "subtopic"},
        {"{\"category\":\"\",\"subtopic\":\"refund\",\"reason\":\"x\"}", 400, "category"},
        {"{\"category\":\"complaint\",\"subtopic\":\"refund\",\"reason\":\"x\"}", 400, "subtopic"},
        {"{\"category\":\"other\",\"subtopic\":\"unclassified\",\"reason\":\"x\"}", 400, "subtopic"},
        {"{\"category\":\"complaint\",\"subtopic\":\"overcharge\"}", 400, "reason"},
        {"{\"category\":\"complaint\",\"subtopic\":\"overcharge\",\"reason\":\"\"}", 400, "reason"},
        {"{\"category\":\"complaint\",\"subtopic\":\"overcharge\",\"reason\":\"x\",\"urgency\":\"now\"}", 400, "urgency"},
        {"{\"category\":\"complaint\",\"subtopic\":\"overcharge\",\"reason\":\"x\",\"priority\":\"P0\"}", 400, "priority"},
        {"{\"category\":\"complaint\",\"subtopic\":\"service-quality\",\"reason\":\"same\"}", 400, "category"},
        {"[1,2]", 400, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int status = 0;
        json_t *r = act(number, "reclassify", token, cases[i].body, &status);
        cr_expect_eq(status, cases[i].status, "case %zu: status %d", i, status);
        if (*cases[i].field)
            cr_expect_str_eq(error_field(r), cases[i].field, "case %zu", i);
        json_decref(r);
    }
    char *events = value1("SELECT count(*) FROM ticket_events WHERE ticket_id = $1::uuid", id);
    cr_expect_str_eq(events, "0", "a refused action must change nothing");
    free(events);
    free(token);
}

Test(desk_actions, resolve_once_then_the_state_machine_refuses_it_again)
{
    char number[40], id[37], *token;
    quality_ticket(number, id, &token);
    int status = 0;
    json_t *r = act(number, "resolve", token, "{\"resolution\":\"done\",\"solution\":\"x\"}", &status);
    cr_expect_eq(status, 400);
    cr_expect_str_eq(error_field(r), "resolution");
    json_decref(r);
    r = act(number, "resolve", token, "{\"resolution\":\"fully\",\"solution\":\"x\",\"tags\":[\"\"]}", &status);
    cr_expect_eq(status, 400);
    cr_expect_str_eq(error_field(r), "tags");
    json_decref(r);
    r = act(number, "resolve", token,
            "{\"resolution\":\"partly\",\"solution\":\"Apologised and escalated the courier.\","
            "\"tags\":[\"courier\",\"apology\"]}", &status);
    cr_assert_eq(status, 200, "status %d", status);
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(r, "event"), "type")), "resolved");
    json_decref(r);
    char *st = value1("SELECT status FROM tickets WHERE id = $1::uuid", id);
    cr_expect_str_eq(st, "resolved");
    free(st);
    r = act(number, "resolve", token, "{\"resolution\":\"fully\",\"solution\":\"again\"}", &status);
    cr_expect_eq(status, 409);
    cr_expect_str_eq(error_field(r), "status");
    json_decref(r);
    free(token);
}

Test(desk_actions, a_retry_with_the_same_idempotency_key_is_answered_not_repeated)
{
    char number[40], id[37], *token;
    quality_ticket(number, id, &token);
    char url[512], *b1 = NULL, *b2 = NULL;
    snprintf(url, sizeof url, "%s/v1/tickets/%s/resolve", desk_url, number);
    sb_test_request rq = {.bearer = token, .content_type = "application/json",
                          .headers = "Idempotency-Key: retry-1\r\n",
                          .body = "{\"resolution\":\"fully\",\"solution\":\"Sent a new charger.\"}"};
    int s1 = 0, s2 = 0;
    cr_assert_eq(sb_test_http_request("POST", url, &rq, &s1, &b1), 0);
    cr_assert_eq(sb_test_http_request("POST", url, &rq, &s2, &b2), 0);
    cr_expect_eq(s1, 200);
    cr_expect_eq(s2, 200, "a retry after success is answered like the first time");
    json_t *j1 = json_loads(b1, 0, NULL), *j2 = json_loads(b2, 0, NULL);
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(j1, "event"), "event_id")),
                     json_string_value(json_object_get(json_object_get(j2, "event"), "event_id")));
    char *n = value1("SELECT count(*) FROM ticket_events WHERE ticket_id = $1::uuid", id);
    cr_expect_str_eq(n, "1");
    free(n);
    json_decref(j1);
    json_decref(j2);
    free(b1);
    free(b2);
    free(token);
}

Test(desk_actions, unauthenticated_unknown_action_and_bad_number)
{
    char number[40], id[37], *token;
    quality_ticket(number, id, &token);
    int status = 0;
    json_t *r = act(number, "resolve", NULL, "{}", &status);
    cr_expect_eq(status, 401);
    json_decref(r);
    r = act(number, "teleport", token, "{}", &status);
    cr_expect_eq(status, 404);
    cr_expect_str_eq(error_field(r), "action");
    json_decref(r);
    r = act("nonsense", "resolve", token, "{}", &status);
    cr_expect_eq(status, 400);
    cr_expect_str_eq(error_field(r), "number");
    json_decref(r);
    free(token);
}

Test(desk_actions, reclassify_and_resolve_teach_the_classifier)
{
    char number[40], id[37], *token;
    quality_ticket(number, id, &token);
    char mid[37], ext[24];
    sb_fixture_uuid(mid);
    sb_fixture_hex(ext, 16);
    const char *p[] = {mid, id, ext};
    cr_assert_eq(sb_fixture_exec(pg,
        "INSERT INTO messages (message_id, ticket_id, channel, external_id, body, received_at)"
        " VALUES ($1::uuid, $2::uuid, 'web', $3, '我被扣了两次钱，请退回多扣的那笔', now())", 3, p), 0);
    int status = 0;
    json_t *r = act(number, "reclassify", token,
                    "{\"category\":\"complaint\",\"subtopic\":\"overcharge\","
                    "\"reason\":\"charged twice\"}", &status);
    cr_assert_eq(status, 200, "status %d", status);
    json_decref(r);
    char *ex = value1("SELECT category || '/' || subtopic || ' ' || source || ' ' || created_by"
                      " FROM training_examples WHERE ticket_id = $1::uuid AND source = 'person'", id);
    cr_expect_str_eq(ex, "complaint/overcharge person quality-01");
    free(ex);
    r = act(number, "resolve", token, "{\"resolution\":\"fully\",\"solution\":\"Refunded the second charge.\"}",
            &status);
    cr_assert_eq(status, 200, "status %d", status);
    json_decref(r);
    ex = value1("SELECT category || '/' || subtopic FROM training_examples"
                " WHERE ticket_id = $1::uuid AND source = 'resolved'", id);
    cr_expect_str_eq(ex, "complaint/overcharge");
    free(ex);
    free(token);
}

Test(desk_actions, a_working_solution_becomes_a_knowledge_base_draft_a_failed_one_does_not)
{
    char number[40], id[37], *token;
    quality_ticket(number, id, &token);
    int status = 0;
    char body[256], marker[17];
    sb_fixture_hex(marker, 16);
    snprintf(body, sizeof body, "{\"resolution\":\"partly\",\"solution\":\"Re-trained the shift %s "
             "on the refund script and called the customer back.\",\"tags\":[\"coaching\"]}", marker);
    json_t *r = act(number, "resolve", token, body, &status);
    cr_assert_eq(status, 200, "status %d", status);
    json_t *data = json_object_get(json_object_get(r, "event"), "data");
    json_int_t article = json_integer_value(json_object_get(data, "kb_article"));
    cr_expect_gt(article, 0, "the event names the article");
    json_decref(r);
    char *row = value1("SELECT status || ' ' || category || ' ' || array_to_string(tags, ',')"
                       " FROM kb_articles WHERE $1::uuid = ANY (source_tickets)", id);
    cr_expect_str_eq(row, "draft complaint coaching");
    free(row);

    char n2[40], id2[37], *t2;
    quality_ticket(n2, id2, &t2);
    r = act(n2, "resolve", t2, "{\"resolution\":\"not\",\"solution\":\"Customer stopped answering.\"}",
            &status);
    cr_assert_eq(status, 200);
    cr_expect_null(json_object_get(json_object_get(json_object_get(r, "event"), "data"), "kb_article"));
    json_decref(r);
    char *none = value1("SELECT count(*) FROM kb_articles WHERE $1::uuid = ANY (source_tickets)", id2);
    cr_expect_str_eq(none, "0");
    free(none);
    free(t2);
    free(token);
}

/* The type of the event an action answered with ("" when none). */
static const char *event_type(const json_t *r)
{
    const char *t = json_string_value(json_object_get(json_object_get(r, "event"), "type"));
    return t ? t : "";
}

/* The ticket's status now (malloc'd). */
static char *status_of(const char *id)
{
    return value1("SELECT status FROM tickets WHERE id = $1::uuid", id);
}

Test(desk_actions, only_the_assignee_acknowledges_then_work_moves_to_awaiting_and_back)
{
    char number[40], id[37], *token;
    quality_ticket(number, id, &token);          /* assigned to quality-01 */
    char *other = sb_fixture_token(pg, "quality-02", "agent");
    int status = 0;
    json_t *r = act(number, "ack", other, "{}", &status);
    cr_expect_eq(status, 403);
    cr_expect_str_eq(error_field(r), "assignee");
    json_decref(r);
    r = act(number, "ack", token, "{}", &status);
    cr_assert_eq(status, 200, "status %d", status);
    cr_expect_str_eq(event_type(r), "acknowledged");
    json_decref(r);
    char *st = status_of(id);
    cr_expect_str_eq(st, "acknowledged");
    free(st);
    r = act(number, "ack", token, "{}", &status);
    cr_expect_eq(status, 409, "acknowledged twice");
    json_decref(r);

    r = act(number, "status", token, "{\"status\":\"sleeping\"}", &status);
    cr_expect_eq(status, 400);
    cr_expect_str_eq(error_field(r), "status");
    json_decref(r);
    r = act(number, "status", token, "{\"status\":\"awaiting_customer\",\"note\":\"asked for a photo\"}",
            &status);
    cr_assert_eq(status, 200, "status %d", status);
    cr_expect_str_eq(event_type(r), "status_changed");
    json_decref(r);
    st = status_of(id);
    cr_expect_str_eq(st, "awaiting_customer");
    free(st);
    r = act(number, "status", token, "{\"status\":\"awaiting_customer\"}", &status);
    cr_expect_eq(status, 409, "already awaiting");
    json_decref(r);
    r = act(number, "status", token, "{\"status\":\"in_progress\"}", &status);
    cr_expect_eq(status, 200);
    json_decref(r);
    st = status_of(id);
    cr_expect_str_eq(st, "acknowledged");
    free(st);
    free(other);
    free(token);
}

Test(desk_actions, notes_for_agents_and_urges_for_supervisors_only)
{
    char number[40], id[37], *token;
    quality_ticket(number, id, &token);
    int status = 0;
    json_t *r = act(number, "note", token, "{\"text\":\"   \"}", &status);
    cr_expect_eq(status, 400);
    cr_expect_str_eq(error_field(r), "text");
    json_decref(r);
    r = act(number, "note", token, "{\"text\":\"客户希望晚上6点后电话联系\"}", &status);
    cr_assert_eq(status, 200, "status %d", status);
    cr_expect_str_eq(event_type(r), "note_added");
    json_decref(r);

    r = act(number, "urge", token, "{\"message\":\"hurry\"}", &status);
    cr_expect_eq(status, 403, "agents do not urge");
    json_decref(r);
    char *lead = sb_fixture_token(pg, "quality-lead", "supervisor");
    r = act(number, "urge", lead, "{\"message\":\"overdue: call the customer today\"}", &status);
    cr_assert_eq(status, 200, "status %d", status);
    cr_expect_str_eq(event_type(r), "urged");
    json_decref(r);
    char *audit = value1("SELECT string_agg(action, ',' ORDER BY id) FROM audit_log WHERE target = $1",
                         number);
    cr_expect_str_eq(audit, "ticket.note,ticket.urge");
    free(audit);
    char *st = status_of(id);
    cr_expect_str_eq(st, "assigned", "notes and urges do not move the ticket");
    free(st);
    free(lead);
    free(token);
}

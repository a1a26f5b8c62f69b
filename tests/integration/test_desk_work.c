/* test_desk_work.c - desk's issue-5 ticket work over real HTTP: reply (text and templates),
 * reassign (to an agent, back to a queue), merge, the audited raw-contact read, who sees which
 * ticket, the new list filters and the detail's SLA clocks; every event announced validates
 * against its schema. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expect.h"
#include "fixture.h"
#include "http_client.h"
#include "schema.h"

static PGconn *pg;

/* Skip unless the stack is running; otherwise connect. */
static void setup(void)
{
    if (!getenv("SB_PG_DSN") || !getenv("SB_DESK_URL"))
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

TestSuite(desk_work, .init = setup, .fini = teardown, .timeout = 60);

/* POST an action with a JSON body; the reply as JSON. */
static json_t *act(const char *number, const char *action, const char *token, const char *body,
                   int *status)
{
    char path[256];
    snprintf(path, sizeof path, "/v1/tickets/%s/%s", number, action);
    return sb_test_desk_json("POST", path, token, body, status);
}

/* GET a desk path; the reply as JSON. */
static json_t *get(const char *path, const char *token, int *status)
{
    return sb_test_desk_json("GET", path, token, NULL, status);
}

/* A ticket of department dept with status and assignee (NULL: nobody). */
static void ticket(const char *dept, const char *status, const char *assignee, char number[40],
                   char id[37])
{
    sb_fixture_ticket t = {.channel = "web", .status = status, .category = "complaint",
                           .subtopic = "service-quality", .urgency = "high", .priority = "P2",
                           .department = dept, .assignee = assignee};
    cr_assert_eq(sb_fixture_ticket_new(pg, &t, number, id), 0);
}

/* A token for subject with role (malloc'd). */
static char *token(const char *subject, const char *role)
{
    char *t = sb_fixture_token(pg, subject, role);
    cr_assert_not_null(t);
    return t;
}

/* One-value query with up to three parameters, malloc'd ("" when NULL). */
static char *value(const char *sql, const char *a, const char *b, const char *c)
{
    const char *p[] = {a, b, c};
    int n = c ? 3 : b ? 2 : 1;
    char *v = sb_fixture_value(pg, sql, n, p);
    return v ? v : strdup("");
}

/* Expects the one-value query to give want. */
static void expect_value(const char *want, const char *sql, const char *a, const char *b)
{
    char *v = value(sql, a, b, NULL);
    cr_expect_str_eq(v, want, "%s", sql);
    free(v);
}

/* Expects *status (read after r's call: arguments are evaluated in any order) and, when field
 * is not NULL, the error's field. */
static void expect_refused(json_t *r, const int *statusp, int want, const char *field)
{
    int status = *statusp;
    cr_expect_eq(status, want, "status %d, want %d (field %s)", status, want, field ? field : "");
    if (field)
        cr_expect_str_eq(sb_test_error_field(r), field);
    json_decref(r);
}

/* Asserts instance validates against proto/<rel>. */
static void assert_schema(const char *rel, const json_t *instance)
{
    char path[512], err[512];
    snprintf(path, sizeof path, SB_SOURCE_DIR "/proto/%s", rel);
    cr_assert_eq(sb_schema_validate_file(path, instance, err, sizeof err), 0, "%s: %s", rel, err);
}

/* The outbox row (topic, payload) with this event id, checked against proto/<rel>. */
static void assert_outbox(const char *topic, const char *event_id, const char *rel)
{
    char *payload = value("SELECT payload::text FROM outbox WHERE topic = $1"
                          " AND payload->>'event_id' = $2", topic, event_id, NULL);
    json_t *ev = json_loads(payload, 0, NULL);
    cr_assert_not_null(ev, "no %s row for %s in the outbox", topic, event_id);
    assert_schema(rel, ev);
    json_decref(ev);
    free(payload);
}

/* The answered event's member (a string), "" when absent. */
static const char *ev_str(const json_t *r, const char *key)
{
    const char *v = json_string_value(json_object_get(json_object_get(r, "event"), key));
    return v ? v : "";
}

static const char *data_str(const json_t *r, const char *key)
{
    json_t *d = json_object_get(json_object_get(r, "event"), "data");
    const char *v = json_string_value(json_object_get(d, key));
    return v ? v : "";
}

/* ------------------------------------------------------------------------------- reply */

Test(desk_work, a_text_reply_is_stored_announced_audited_and_sent_to_the_customer)
{
    char number[40], id[37];
    ticket("quality", "acknowledged", "quality-01", number, id);
    char *tok = token("quality-01", "agent");
    int status = 0;
    json_t *r = act(number, "reply", tok, "{\"text\":\"We are on it: the courier has been called.\"}",
                    &status);
    cr_assert_eq(status, 200, "status %d", status);
    cr_expect_str_eq(ev_str(r, "type"), "replied");
    assert_schema("tickets/replied.v1.json", json_object_get(r, "event"));
    const char *event_id = ev_str(r, "event_id");
    expect_value("quality-01 We are on it: the courier has been called.",
                 "SELECT author || ' ' || body FROM replies WHERE id = $1::uuid", event_id, NULL);
    assert_outbox("sb.tickets.v1", event_id, "tickets/replied.v1.json");
    char *nid = value("SELECT payload->>'event_id' FROM outbox WHERE topic = 'sb.notifications.v1'"
                      " AND payload->>'source_event_id' = $1", event_id, NULL, NULL);
    assert_outbox("sb.notifications.v1", nid, "notifications/customer_reply.v1.json");
    expect_value("customer", "SELECT payload->>'recipient_kind' FROM outbox WHERE payload->>'event_id' = $1",
                 nid, NULL);
    free(nid);
    expect_value("quality-01 ticket.reply", "SELECT actor || ' ' || action FROM audit_log WHERE target = $1",
                 number, NULL);
    expect_value("acknowledged", "SELECT status FROM tickets WHERE id = $1::uuid", id, NULL);
    json_decref(r);
    free(tok);
}

Test(desk_work, a_template_reply_fills_the_customer_ticket_and_agent_and_the_given_variables)
{
    char number[40], id[37], tpl[40], hex[9];
    ticket("quality", "assigned", "quality-01", number, id);
    char *tok = token("quality-01", "agent");
    int status = 0;
    json_t *r = act(number, "reply", tok, "{\"template\":\"refund-en\"}", &status);
    cr_assert_eq(status, 200, "status %d", status);
    char want[256];
    snprintf(want, sizeof want, "Hello Z**, your refund for %s has been started and should arrive"
             " within 3 to 5 working days.", number);
    cr_expect_str_eq(data_str(r, "text"), want);
    cr_expect_str_eq(data_str(r, "template"), "refund-en");
    cr_expect_str_eq(data_str(r, "language"), "en");
    assert_schema("tickets/replied.v1.json", json_object_get(r, "event"));
    expect_value("refund-en", "SELECT template_id FROM replies WHERE id = $1::uuid", ev_str(r, "event_id"), NULL);
    json_decref(r);

    /* A template of the test's own with a variable of its own. */
    sb_fixture_hex(hex, 8);
    snprintf(tpl, sizeof tpl, "order-%s", hex);
    const char *p[] = {tpl};
    cr_assert_eq(sb_fixture_exec(pg, "INSERT INTO reply_templates (id, language, title, body)"
                                     " VALUES ($1, 'zh', 't', '{{agent_name}}：订单{{order_id}}已发货')",
                                 1, p), 0);
    char body[256];
    snprintf(body, sizeof body, "{\"template\":\"%s\"}", tpl);
    expect_refused(act(number, "reply", tok, body, &status), &status, 400, "variables.order_id");
    snprintf(body, sizeof body, "{\"template\":\"%s\",\"variables\":{\"order_id\":\"A1\",\"colour\":\"red\"}}", tpl);
    expect_refused(act(number, "reply", tok, body, &status), &status, 400, "variables.colour");
    snprintf(body, sizeof body, "{\"template\":\"%s\",\"variables\":{\"order_id\":\"A1\"}}", tpl);
    r = act(number, "reply", tok, body, &status);
    cr_assert_eq(status, 200, "status %d", status);
    cr_expect_str_eq(data_str(r, "text"), "Quality and complaints agent 1：订单A1已发货");
    json_decref(r);
    free(tok);
}

Test(desk_work, reply_refuses_bad_bodies_by_field_closed_tickets_and_repeats_nothing_on_retry)
{
    char number[40], id[37];
    ticket("quality", "assigned", "quality-01", number, id);
    char *tok = token("quality-01", "agent");
    static const struct { const char *body; const char *field; } cases[] = {
        {"{}", "text"},
        {"{\"text\":\"  \"}", "text"},
        {"{\"text\":\"a\",\"template\":\"greeting-en\"}", "text"},
        {"{\"template\":\"no-such-template\"}", "template"},
        {"{\"template\":\"greeting-en\",\"variables\":{\"customer_name\":\"Mr Real Name\"}}",
         "variables.customer_name"},
        {"{\"template\":\"greeting-en\",\"variables\":{\"x\":1}}", "variables.x"},
        {"{\"text\":\"a\",\"variables\":{}}", "variables"},
        {"{\"txt\":\"a\"}", "txt"},
    };
    int status = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_refused(act(number, "reply", tok, cases[i].body, &status), &status, 400, cases[i].field);
    expect_value("0", "SELECT count(*) FROM replies WHERE ticket_id = $1::uuid", id, NULL);

    char url[512], *b1 = NULL, *b2 = NULL;
    snprintf(url, sizeof url, "%s/v1/tickets/%s/reply", getenv("SB_DESK_URL"), number);
    sb_test_request rq = {.bearer = tok, .content_type = "application/json",
                          .headers = "Idempotency-Key: reply-1\r\n", .body = "{\"text\":\"once\"}"};
    int s1 = 0, s2 = 0;
    cr_assert_eq(sb_test_http_request("POST", url, &rq, &s1, &b1), 0);
    cr_assert_eq(sb_test_http_request("POST", url, &rq, &s2, &b2), 0);
    cr_expect_eq(s1, 200);
    cr_expect_eq(s2, 200);
    expect_value("1", "SELECT count(*) FROM replies WHERE ticket_id = $1::uuid", id, NULL);
    expect_value("1", "SELECT count(*) FROM outbox WHERE topic = 'sb.notifications.v1'"
                      " AND payload->>'ticket_number' = $1", number, NULL);
    free(b1);
    free(b2);

    const char *p[] = {id};
    cr_assert_eq(sb_fixture_exec(pg, "UPDATE tickets SET status = 'resolved' WHERE id = $1::uuid", 1, p), 0);
    expect_refused(act(number, "reply", tok, "{\"text\":\"late\"}", &status), &status, 409, "status");
    free(tok);
}

/* ---------------------------------------------------------------------------- reassign */

Test(desk_work, a_supervisor_reassigns_to_another_departments_agent_then_back_to_a_queue)
{
    char number[40], id[37];
    ticket("quality", "acknowledged", "quality-01", number, id);
    char *agent = token("quality-01", "agent"), *lead = token("quality-lead", "supervisor");
    char *other_lead = token("product-lead", "supervisor");
    int status = 0;
    const char *to_agent = "{\"agent_id\":\"after-sales-01\",\"reason\":\"needs a refund specialist\"}";
    expect_refused(act(number, "reassign", agent, to_agent, &status), &status, 403, NULL);
    expect_refused(act(number, "reassign", other_lead, to_agent, &status), &status, 404, "number");
    expect_refused(act(number, "reassign", lead, "{\"agent_id\":\"nobody-99\",\"reason\":\"x\"}", &status),
                   &status, 400, "agent_id");
    expect_refused(act(number, "reassign", lead, "{\"agent_id\":\"after-sales-01\"}", &status),
                   &status, 400, "reason");
    expect_refused(act(number, "reassign", lead, "{\"reason\":\"x\"}", &status), &status, 400, "agent_id");
    expect_refused(act(number, "reassign", lead,
                       "{\"agent_id\":\"after-sales-01\",\"department\":\"presales\",\"reason\":\"x\"}",
                       &status), &status, 400, "agent_id");
    expect_refused(act(number, "reassign", lead, "{\"department\":\"nowhere\",\"reason\":\"x\"}", &status),
                   &status, 400, "department");
    expect_refused(act(number, "reassign", lead, "{\"agent_id\":\"quality-01\",\"reason\":\"x\"}", &status),
                   &status, 400, "agent_id");

    json_t *r = act(number, "reassign", lead, to_agent, &status);
    cr_assert_eq(status, 200, "status %d", status);
    cr_expect_str_eq(ev_str(r, "type"), "assigned");
    assert_schema("tickets/assigned.v1.json", json_object_get(r, "event"));
    assert_outbox("sb.tickets.v1", ev_str(r, "event_id"), "tickets/assigned.v1.json");
    cr_expect_str_eq(data_str(r, "agent_id"), "after-sales-01");
    cr_expect_str_eq(data_str(r, "released_agent"), "quality-01");
    cr_expect_str_eq(data_str(r, "reason"), "manual: needs a refund specialist");
    cr_expect(json_is_true(json_object_get(json_object_get(json_object_get(r, "event"), "data"), "manual")));
    expect_value("true", "SELECT (abs(extract(epoch FROM $1::timestamptz - now()) - 3600) < 120)::text",
                 data_str(r, "ack_due_at"), NULL);
    expect_value("assigned after-sales-01 quality", "SELECT status || ' ' || assignee || ' ' || department_id"
                 " FROM tickets WHERE id = $1::uuid", id, NULL);
    expect_value("after-sales-01 manual: needs a refund specialist",
                 "SELECT agent_id || ' ' || reason FROM assignments WHERE ticket_id = $1::uuid"
                 " AND event_id = $2::uuid", id, ev_str(r, "event_id"));
    expect_value("quality-lead ticket.reassign",
                 "SELECT actor || ' ' || action FROM audit_log WHERE target = $1", number, NULL);
    json_decref(r);

    r = act(number, "reassign", lead, "{\"department\":\"after-sales\",\"reason\":\"their queue\"}", &status);
    cr_assert_eq(status, 200, "status %d", status);
    cr_expect_str_eq(ev_str(r, "type"), "requeued");
    assert_schema("tickets/requeued.v1.json", json_object_get(r, "event"));
    cr_expect_str_eq(data_str(r, "released_agent"), "after-sales-01");
    expect_value("classified after-sales -", "SELECT status || ' ' || department_id || ' ' ||"
                 " coalesce(assignee, '-') FROM tickets WHERE id = $1::uuid", id, NULL);
    expect_value("0", "SELECT count(*) FROM assignments WHERE ticket_id = $1::uuid", id, NULL);
    json_decref(r);
    /* Now after-sales': the quality lead no longer sees it. */
    expect_refused(act(number, "reassign", lead, to_agent, &status), &status, 404, "number");
    free(agent);
    free(lead);
    free(other_lead);
}

/* ------------------------------------------------------------------------------- merge */

Test(desk_work, a_duplicate_merges_into_its_ticket_closed_and_announced_on_both)
{
    char dup[40], dup_id[37], keep[40], keep_id[37], other[40], other_id[37], closed[40], closed_id[37];
    ticket("quality", "assigned", "quality-02", dup, dup_id);
    ticket("quality", "acknowledged", "quality-01", keep, keep_id);
    ticket("presales", "assigned", "presales-01", other, other_id);
    ticket("quality", "closed", NULL, closed, closed_id);
    char *tok = token("quality-01", "agent");
    int status = 0;
    char body[256];
    expect_refused(act(dup, "merge", tok, "{\"reason\":\"same\"}", &status), &status, 400, "into");
    expect_refused(act(dup, "merge", tok, "{\"into\":\"nonsense\",\"reason\":\"same\"}", &status),
                   &status, 400, "into");
    snprintf(body, sizeof body, "{\"into\":\"%s\",\"reason\":\"same\"}", dup);
    expect_refused(act(dup, "merge", tok, body, &status), &status, 400, "into");
    snprintf(body, sizeof body, "{\"into\":\"%s\",\"reason\":\"same\"}", other);
    expect_refused(act(dup, "merge", tok, body, &status), &status, 404, "into");
    snprintf(body, sizeof body, "{\"into\":\"%s\",\"reason\":\"same\"}", closed);
    expect_refused(act(dup, "merge", tok, body, &status), &status, 409, "into");
    snprintf(body, sizeof body, "{\"into\":\"%s\"}", keep);
    expect_refused(act(dup, "merge", tok, body, &status), &status, 400, "reason");

    snprintf(body, sizeof body, "{\"into\":\"%s\",\"reason\":\"the same parcel, written twice\"}", keep);
    json_t *r = act(dup, "merge", tok, body, &status);
    cr_assert_eq(status, 200, "status %d", status);
    cr_expect_str_eq(ev_str(r, "type"), "closed");
    assert_schema("tickets/closed.v1.json", json_object_get(r, "event"));
    cr_expect_str_eq(data_str(r, "merged_into"), keep);
    cr_expect_str_eq(data_str(r, "released_agent"), "quality-02");
    expect_value("closed", "SELECT status FROM tickets WHERE id = $1::uuid AND merged_into = $2::uuid",
                 dup_id, keep_id);
    char *merged = value("SELECT payload::text FROM ticket_events WHERE ticket_id = $1::uuid"
                         " AND type = 'merged'", keep_id, NULL, NULL);
    json_t *m = json_loads(merged, 0, NULL);
    cr_assert_not_null(m, "no merged event on the surviving ticket");
    assert_schema("tickets/merged.v1.json", m);
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(m, "data"), "from")), dup);
    assert_outbox("sb.tickets.v1", json_string_value(json_object_get(m, "event_id")),
                  "tickets/merged.v1.json");
    assert_outbox("sb.tickets.v1", ev_str(r, "event_id"), "tickets/closed.v1.json");
    json_decref(m);
    free(merged);
    expect_value("quality-01 ticket.merge", "SELECT actor || ' ' || action FROM audit_log WHERE target = $1",
                 dup, NULL);
    json_decref(r);
    expect_refused(act(dup, "merge", tok, body, &status), &status, 409, "status");
    free(tok);
}

/* ----------------------------------------------------------------------------- contact */

Test(desk_work, raw_contact_needs_the_permission_and_every_read_is_recorded)
{
    char number[40], id[37];
    ticket("quality", "assigned", "quality-01", number, id);
    const char *p[] = {id};
    cr_assert_eq(sb_fixture_exec(pg, "INSERT INTO customer_contacts (customer_id, name, phone, email)"
                                     " SELECT customer_id, '张三', '13812345678', 'zhang@example.com'"
                                     " FROM tickets WHERE id = $1::uuid", 1, p), 0);
    char *agent = token("quality-01", "agent"), *lead = token("quality-lead", "supervisor");
    char *stranger = token("presales-01", "agent");
    char path[128];
    snprintf(path, sizeof path, "/v1/tickets/%s/contact", number);
    int status = 0;
    expect_refused(get(path, NULL, &status), &status, 401, NULL);
    expect_refused(get(path, stranger, &status), &status, 404, "number");
    expect_refused(get(path, agent, &status), &status, 403, "contact_read");
    expect_value("0", "SELECT count(*) FROM contact_reads r JOIN tickets t ON t.customer_id = r.customer_id"
                      " WHERE t.id = $1::uuid", id, NULL);
    json_t *r = get(path, lead, &status);
    cr_assert_eq(status, 200, "status %d", status);
    cr_expect_str_eq(json_string_value(json_object_get(r, "phone")), "13812345678");
    cr_expect_str_eq(json_string_value(json_object_get(r, "name")), "张三");
    json_decref(r);
    r = get(path, getenv("SB_ADMIN_TOKEN"), &status);
    cr_expect_eq(status, 200, "admins always may");
    json_decref(r);
    expect_value("quality-lead", "SELECT string_agg(r.reader, ',' ORDER BY r.id) FROM contact_reads r"
                 " JOIN tickets t ON t.customer_id = r.customer_id WHERE t.id = $1::uuid AND r.reader <> 'admin'",
                 id, NULL);
    expect_value("2", "SELECT count(*) FROM audit_log WHERE target = $1 AND action = 'ticket.contact_read'",
                 number, NULL);
    free(agent);
    free(lead);
    free(stranger);
}

/* ---------------------------------------------------------------------------- scoping */

/* GET /v1/tickets/{number} as token: the status. */
static int detail_status(const char *number, const char *tok)
{
    char path[128];
    int status = 0;
    snprintf(path, sizeof path, "/v1/tickets/%s", number);
    json_decref(get(path, tok, &status));
    return status;
}

Test(desk_work, who_sees_what_departments_co_departments_own_tickets_supervised_teams)
{
    char q[40], qid[37], mine[40], mine_id[37];
    ticket("quality", "assigned", "quality-01", q, qid);
    ticket("quality", "assigned", "presales-02", mine, mine_id);
    char *presales = token("presales-01", "agent"), *presales2 = token("presales-02", "agent");
    char *quality = token("quality-03", "agent");
    char *product_lead = token("product-lead", "supervisor");
    char *quality_lead_as_agent = token("quality-lead", "agent");
    cr_expect_eq(detail_status(q, quality), 200, "own department");
    cr_expect_eq(detail_status(q, presales), 404, "another department");
    cr_expect_eq(detail_status(mine, presales2), 200, "own ticket in another department");
    cr_expect_eq(detail_status(mine, presales), 404);
    cr_expect_eq(detail_status(q, product_lead), 404, "a supervisor of another team");

    const char *p[] = {qid};
    cr_assert_eq(sb_fixture_exec(pg, "UPDATE tickets SET co_departments = '{presales}' WHERE id = $1::uuid",
                                 1, p), 0);
    cr_expect_eq(detail_status(q, presales), 200, "a co-operating department");

    /* The product lead takes on a quality team too: they now see quality's tickets. */
    char team[32], hex[9];
    sb_fixture_hex(hex, 8);
    snprintf(team, sizeof team, "t-%s", hex);
    const char *tp[] = {team};
    cr_assert_eq(sb_fixture_exec(pg, "INSERT INTO teams (id, name, department_id, supervisor_id)"
                                     " VALUES ($1, 'night shift', 'quality', 'product-lead')", 1, tp), 0);
    cr_expect_eq(detail_status(q, product_lead), 200, "the department of a team they supervise");
    cr_expect_eq(detail_status(q, quality_lead_as_agent), 200, "own department");
    cr_assert_eq(sb_fixture_exec(pg, "DELETE FROM teams WHERE id = $1", 1, tp), 0);
    cr_expect_eq(detail_status(q, product_lead), 404);
    free(presales);
    free(presales2);
    free(quality);
    free(product_lead);
    free(quality_lead_as_agent);
}

/* 1 when the list answered for path holds number. */
static int listed(const char *path, const char *tok, const char *number)
{
    int status = 0;
    json_t *r = get(path, tok, &status);
    cr_assert_eq(status, 200, "%s: status %d", path, status);
    size_t i;
    json_t *t;
    int found = 0;
    json_array_foreach(json_object_get(r, "tickets"), i, t)
        found |= strcmp(json_string_value(json_object_get(t, "number")), number) == 0;
    json_decref(r);
    return found;
}

Test(desk_work, list_filters_assignee_channel_overdue_and_the_detail_shows_the_sla_clocks)
{
    char a[40], aid[37], b[40], bid[37];
    ticket("product", "assigned", "product-03", a, aid);
    sb_fixture_ticket t = {.channel = "phone", .status = "assigned", .category = "suggestion",
                           .subtopic = "other", .priority = "P3", .department = "product",
                           .assignee = "product-04"};
    cr_assert_eq(sb_fixture_ticket_new(pg, &t, b, bid), 0);
    const char *p[] = {bid};
    cr_assert_eq(sb_fixture_exec(pg, "INSERT INTO sla_timers (ticket_id, kind, due_at, state) VALUES"
                                     " ($1::uuid, 'acknowledgement', now() - interval '5 minutes', 'armed'),"
                                     " ($1::uuid, 'first_response', now() + interval '1 hour', 'armed')",
                                 1, p), 0);
    char *me = token("product-03", "agent"), *lead = token("product-lead", "supervisor");
    cr_expect(listed("/v1/tickets?assignee=me&department=product", me, a));
    cr_expect(!listed("/v1/tickets?assignee=me&department=product", me, b));
    cr_expect(listed("/v1/tickets?assignee=product-04&department=product", lead, b));
    cr_expect(listed("/v1/tickets?channel=phone&department=product", lead, b));
    cr_expect(!listed("/v1/tickets?channel=phone&department=product", lead, a));
    cr_expect(listed("/v1/tickets?overdue=true&department=product", lead, b));
    cr_expect(!listed("/v1/tickets?overdue=true&department=product", lead, a));
    cr_expect(listed("/v1/tickets?overdue=false&department=product", lead, a));
    static const struct { const char *path; const char *field; } bad[] = {
        {"/v1/tickets?assignee=a%20b", "assignee"},
        {"/v1/tickets?channel=fax", "channel"},
        {"/v1/tickets?overdue=yes", "overdue"},
    };
    int status = 0;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_refused(get(bad[i].path, lead, &status), &status, 400, bad[i].field);

    char path[128];
    snprintf(path, sizeof path, "/v1/tickets/%s", b);
    json_t *r = get(path, lead, &status);
    cr_assert_eq(status, 200);
    json_t *sla = json_object_get(r, "sla");
    cr_assert_eq(json_array_size(sla), 2);
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(sla, 0), "kind")), "acknowledgement");
    cr_expect(json_is_array(json_object_get(r, "co_departments")));
    assert_schema("http/ticket.v1.json", r);
    json_decref(r);
    free(me);
    free(lead);
}

/* answer.c - the public survey link: GET shows the question, POST records the one answer
 * (survey_answered) and, for a dissatisfied first survey, reopens the ticket in the same
 * transaction. */
#include "services/survey/survey.h"

#include <stdlib.h>
#include <string.h>
#include <event2/http.h>

#include "common/clock.h"
#include "common/http.h"
#include "common/ids.h"
#include "common/json.h"
#include "common/log.h"
#include "common/ticket_event.h"
#include "services/survey/body.h"
#include "services/survey/token.h"

#define SURVEY_BODY_MAX 8192

/* The question, posting JSON to its own URL, so the page needs no token inside it. */
static const char survey_form_html[] =
    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<title>How did we do?</title>\n<style>\n"
    "body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;color:#222}\n"
    "fieldset{border:0;padding:0}label{display:block;padding:.4rem 0;font-size:1.1rem}\n"
    "textarea{width:100%;min-height:6rem;font:inherit}\n"
    "button{margin-top:1rem;padding:.6rem 1.4rem;font-size:1rem}\n"
    "#msg{margin-top:1rem;font-weight:600}\n</style></head><body>\n"
    "<h1>How satisfied are you with how we handled your request?</h1>\n"
    "<form id=\"f\"><fieldset>\n"
    "<label><input type=\"radio\" name=\"rating\" value=\"very_satisfied\" required> Very satisfied</label>\n"
    "<label><input type=\"radio\" name=\"rating\" value=\"satisfied\"> Satisfied</label>\n"
    "<label><input type=\"radio\" name=\"rating\" value=\"neutral\"> Neutral</label>\n"
    "<label><input type=\"radio\" name=\"rating\" value=\"dissatisfied\"> Dissatisfied</label>\n"
    "</fieldset>\n<p><label for=\"c\">Anything you want to tell us? (optional)</label>\n"
    "<textarea id=\"c\" maxlength=\"2000\"></textarea></p>\n"
    "<button type=\"submit\">Send</button></form>\n<p id=\"msg\" role=\"status\"></p>\n"
    "<script>\n"
    "const f = document.getElementById('f'), msg = document.getElementById('msg');\n"
    "const text = {200: 'Thank you, your answer was recorded.',\n"
    "  409: 'This survey was already answered. Thank you!', 404: 'This survey link is not valid.',\n"
    "  410: 'Sorry, this survey link has expired.'};\n"
    "f.addEventListener('submit', async (e) => {\n"
    "  e.preventDefault();\n"
    "  const rating = (f.querySelector('input[name=rating]:checked') || {}).value;\n"
    "  const comment = document.getElementById('c').value;\n"
    "  try {\n"
    "    const r = await fetch(location.pathname, {method: 'POST',\n"
    "      headers: {'Content-Type': 'application/json'}, body: JSON.stringify({rating, comment})});\n"
    "    msg.textContent = text[r.status] || 'Sorry, something went wrong (' + r.status + ').';\n"
    "    if (r.status === 200 || r.status === 409) f.hidden = true;\n"
    "  } catch (err) { msg.textContent = 'Network error, please try again.'; }\n"
    "});\n</script></body></html>\n";

static const char survey_done_html[] =
    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<title>Thank you</title></head>\n"
    "<body style=\"font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto\">\n"
    "<h1>Thank you!</h1><p>This survey was already answered.</p></body></html>\n";

/* The survey of a verified token, locked with its ticket, and what a reopening needs: the
 * department, and the supervisor of the team of the agent who resolved it, else the
 * department's lead, else any supervisor of the department (SURVEY_ROW_* columns). */
static const char survey_row_sql[] =
    "SELECT s.id, s.ticket_id, t.number, s.round, s.state,"
    "       floor(extract(epoch FROM s.expires_at) * 1000)::bigint,"
    "       to_char(s.sent_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), t.status,"
    "       d.dept,"
    "       COALESCE(tm.supervisor_id,"
    "                (SELECT l.id FROM agents l WHERE l.id = d.dept || '-lead'),"
    "                (SELECT l.id FROM agents l WHERE l.department_id = d.dept"
    "                  AND l.role = 'supervisor' ORDER BY l.id LIMIT 1)),"
    "       s.resolved_by, t.merged_into IS NOT NULL"
    "  FROM surveys s JOIN tickets t ON t.id = s.ticket_id"
    "  LEFT JOIN agents ra ON ra.id = s.resolved_by"
    "  LEFT JOIN teams tm ON tm.id = ra.team_id"
    "  CROSS JOIN LATERAL (SELECT COALESCE(t.department_id, ra.department_id, '') AS dept) d"
    " WHERE s.id = $1::uuid FOR UPDATE OF s, t";

/* The one answer: only a sent link that has not expired by the service's clock. */
static const char survey_answer_sql[] =
    "UPDATE surveys SET state = 'answered', rating = $2, comment = $3, answered_at = $4::timestamptz"
    " WHERE id = $1::uuid AND state = 'sent' AND expires_at > $4::timestamptz";

/* What a browser gets for a link that does not work: the same status, words instead of JSON. */
#define SURVEY_ERROR_PAGE(title, text)                                                       \
    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"                   \
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"              \
    "<title>" title "</title></head>\n"                                                        \
    "<body style=\"font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto\">\n"   \
    "<h1>" title "</h1><p>" text "</p></body></html>\n"
static const char survey_expired_html[] =
    SURVEY_ERROR_PAGE("This survey has expired", "Thank you for your interest: this link is no"
                      " longer open for answers.");
static const char survey_invalid_html[] =
    SURVEY_ERROR_PAGE("This survey link is not valid", "Please check that the whole link was"
                      " opened.");

/* An HTML page whose URL is a credential: never framed, never leaked in a Referer. */
static void survey_reply_page(struct evhttp_request *req, int status, const char *html,
                              size_t len)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Referrer-Policy", "no-referrer");
    evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
    evhttp_add_header(h, "Cache-Control", "no-store");
    evhttp_add_header(h, "Content-Security-Policy",
                      "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline';"
                      " connect-src 'self'; form-action 'none'; frame-ancestors 'none'");
    sb_http_reply_text(req, status, "text/html; charset=utf-8", html, len);
}

static void survey_reply_html(struct evhttp_request *req, const char *html, size_t len)
{
    survey_reply_page(req, 200, html, len);
}

/* 1 when the client asked for a page (a browser following the link), 0 for an API client. */
static int survey_wants_html(struct evhttp_request *req)
{
    const char *accept = evhttp_find_header(evhttp_request_get_input_headers(req), "Accept");
    return accept && strstr(accept, "text/html") != NULL;
}

/* 404 naming the token: JSON, or a page for a browser's GET. */
static void survey_reply_not_found(struct evhttp_request *req)
{
    if (evhttp_request_get_command(req) == EVHTTP_REQ_GET && survey_wants_html(req))
        survey_reply_page(req, 404, survey_invalid_html, sizeof(survey_invalid_html) - 1);
    else
        sb_http_reply_errorf(req, 404, "not_found", "token", "no such survey");
}

/* 410 survey_expired: JSON, or a page for a browser's GET. */
static void survey_reply_expired(struct evhttp_request *req)
{
    if (evhttp_request_get_command(req) == EVHTTP_REQ_GET && survey_wants_html(req))
        survey_reply_page(req, 410, survey_expired_html, sizeof(survey_expired_html) - 1);
    else
        sb_http_reply_errorf(req, 410, "survey_expired", "token", "this survey link has expired");
}

/* Verifies the path's token: 0 with out filled, or -1 after replying 404 (malformed or bad
 * signature: the same answer, so the reply tells nothing about why) or 410 (expired). */
static int survey_token_check(survey_ctx *x, struct evhttp_request *req, const char *tail,
                              survey_token *out, int64_t now_ms)
{
    if (survey_token_verify(x->cfg->secret, x->cfg->secret_len, tail, strlen(tail), out) !=
        SURVEY_TOKEN_OK) {
        survey_reply_not_found(req);
        return -1;
    }
    if (out->expires_ms <= now_ms) {
        survey_reply_expired(req);
        return -1;
    }
    return 0;
}

/* The state of a sent survey as the public sees it: 'sent', 'answered', 'expired', or NULL
 * (unknown, or never sent) into state; 0, or -1 when the database is unavailable. */
static int survey_public_state(sb_pg *pg, const char *id, int64_t now_ms, char *state,
                               size_t len)
{
    char now[32];
    const char *p[] = {id, sb_clock_format_iso(now_ms, now, sizeof(now))};
    PGresult *res = sb_pg_ensure(pg) == 0
                        ? sb_pg_query(pg, "SELECT CASE WHEN state = 'sent' AND expires_at <="
                                          " $2::timestamptz THEN 'expired' ELSE state END"
                                          " FROM surveys WHERE id = $1::uuid", 2, p)
                        : NULL;
    if (!res)
        return -1;
    snprintf(state, len, "%s", PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "");
    PQclear(res);
    return 0;
}

/* GET /v1/surveys/{token} */
static void survey_get(struct evhttp_request *req, const char *tail, void *ctx)
{
    survey_ctx *x = ctx;
    survey_token tok;
    char state[16];
    int64_t now_ms = sb_clock_now_ms();
    if (survey_token_check(x, req, tail, &tok, now_ms) != 0)
        return;
    if (survey_public_state(x->s->pg, tok.survey_id, now_ms, state, sizeof(state)) != 0)
        sb_http_reply_errorf(req, 503, "unavailable", "", "cannot read the survey now");
    else if (!strcmp(state, "answered"))
        survey_reply_html(req, survey_done_html, sizeof(survey_done_html) - 1);
    else if (!strcmp(state, "expired"))
        survey_reply_expired(req);
    else if (!strcmp(state, "sent"))
        survey_reply_html(req, survey_form_html, sizeof(survey_form_html) - 1);
    else
        survey_reply_not_found(req);
}

/* In the open transaction: the answer recorded, survey_answered (and, when dissatisfied with
 * the first survey, the reopening) queued. 200 with rc 0; else err set, -1. */
static int survey_record(survey_ctx *x, const survey_token *tok, const survey_answer *a,
                         int64_t now_ms, int *reopened, sb_error *err)
{
    sb_pg *pg = x->s->pg;
    const char *p[] = {tok->survey_id};
    PGresult *row = sb_pg_query(pg, survey_row_sql, 1, p);
    if (!row)
        return sb_error_set(err, 503, "unavailable", "", "cannot record the answer now");
    int rc = -1;
    const char *state = PQntuples(row) == 1 ? PQgetvalue(row, 0, SURVEY_ROW_STATE) : "";
    if (!strcmp(state, "answered"))
        sb_error_set(err, 409, "already_answered", "token", "this survey was already answered");
    else if (!strcmp(state, "expired") ||
             (!strcmp(state, "sent") &&
              strtoll(PQgetvalue(row, 0, SURVEY_ROW_EXPIRES_MS), NULL, 10) <= now_ms))
        sb_error_set(err, 410, "survey_expired", "token", "this survey link has expired");
    else if (strcmp(state, "sent") != 0)
        sb_error_set(err, 404, "not_found", "token", "no such survey");
    else
        rc = 0;
    char now[32], id[SB_UUID_STRLEN];
    const char *q[] = {tok->survey_id, a->rating, a->comment,
                       sb_clock_format_iso(now_ms, now, sizeof(now))};
    PGresult *upd = rc == 0 ? sb_pg_query(pg, survey_answer_sql, 4, q) : NULL;
    if (rc == 0 && (!upd || strcmp(PQcmdTuples(upd), "1") != 0))
        rc = sb_error_set(err, 503, "unavailable", "", "cannot record the answer now");
    PQclear(upd);
    json_t *events = rc == 0 ? json_array() : NULL, *notices = json_array();
    if (rc == 0) {
        int round = atoi(PQgetvalue(row, 0, SURVEY_ROW_ROUND));
        sb_ids_derived(tok->survey_id, "survey_answered", id);
        char sent_id[SB_UUID_STRLEN];
        sb_ids_derived(tok->survey_id, "survey_sent", sent_id);
        json_array_append_new(events, sb_ticket_event_new(
            "survey_answered", id, sent_id, PQgetvalue(row, 0, SURVEY_ROW_TICKET),
            PQgetvalue(row, 0, SURVEY_ROW_NUMBER), now_ms,
            json_pack("{s:s, s:i, s:s, s:b, s:b, s:s}", "survey_id", tok->survey_id, "round",
                      round, "rating", a->rating, "satisfied", a->satisfied, "has_comment",
                      a->comment != NULL, "sent_at", PQgetvalue(row, 0, SURVEY_ROW_SENT_AT))));
        /* Round 2 is the follow-up after the second handling: no third round. */
        *reopened = round == 1 && !strcmp(a->rating, "dissatisfied")
                        ? survey_reopen(x, row, now_ms, events, notices) : 0;
        if (*reopened < 0 || json_array_size(events) < 1 ||
            !json_is_object(json_array_get(events, 0)) || survey_announce(pg, events, notices))
            rc = sb_error_set(err, 503, "unavailable", "", "cannot record the answer now");
    }
    json_decref(events);
    json_decref(notices);
    PQclear(row);
    return rc;
}

/* POST /v1/surveys/{token} {"rating","comment"} */
static void survey_post(struct evhttp_request *req, const char *tail, void *ctx)
{
    survey_ctx *x = ctx;
    survey_token tok;
    int64_t now_ms = sb_clock_now_ms();
    if (survey_token_check(x, req, tail, &tok, now_ms) != 0)
        return;
    sb_error err;
    sb_error_clear(&err);
    survey_answer a;
    int reopened = 0;
    json_t *body = sb_http_body_json(req, SURVEY_BODY_MAX, &err);
    int rc = body && survey_answer_read(body, &a, &err) == 0 ? 0 : -1;
    if (rc == 0 && (sb_pg_ensure(x->s->pg) != 0 || sb_pg_begin(x->s->pg) != 0))
        rc = sb_error_set(&err, 503, "unavailable", "", "cannot record the answer now");
    else if (rc == 0) {
        rc = survey_record(x, &tok, &a, now_ms, &reopened, &err);
        if (rc == 0 && sb_pg_commit(x->s->pg) != 0)
            rc = sb_error_set(&err, 503, "unavailable", "", "cannot record the answer now");
        if (rc != 0)
            sb_pg_rollback(x->s->pg);
    }
    if (rc == 0) {
        sb_counter_add(x->c_answered, 1);
        sb_counter_add(x->c_reopened, reopened > 0);
        sb_info("survey_answered", "survey %s: %s%s", tok.survey_id, a.rating,
                reopened > 0 ? ", ticket reopened for the supervisor" : "");
        sb_outbox_relay_kick(x->relay);
        sb_http_reply_json(req, 200, json_pack("{s:s}", "status", "recorded"));
    } else {
        sb_http_reply_error(req, &err);
    }
    json_decref(body);
}

int survey_answer_routes(survey_ctx *x)
{
    if (sb_http_route(x->s->http, "GET", "/v1/surveys/", survey_get, x) != 0 ||
        sb_http_route(x->s->http, "POST", "/v1/surveys/", survey_post, x) != 0)
        return -1;
    return 0;
}

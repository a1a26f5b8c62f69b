/* answer.c - the public survey link: GET shows the question, POST records the one answer. */
#include "services/survey/survey.h"

#include <string.h>
#include <event2/http.h>

#include "common/http.h"
#include "common/json.h"
#include "common/log.h"

#define SURVEY_TOKEN_LEN   32
#define SURVEY_BODY_MAX    8192
#define SURVEY_COMMENT_MAX 2000   /* bytes */

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
    "  409: 'This survey was already answered. Thank you!', 404: 'This survey link is not valid.'};\n"
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

/* The answer in one statement: update only an unanswered survey, and tell 404 from 409 by
 * whether the token exists at all (the subquery sees the row as it was before the update). */
static const char survey_answer_sql[] =
    "WITH upd AS (UPDATE surveys SET rating = $2, comment = $3, answered_at = now()"
    "             WHERE token = $1 AND answered_at IS NULL RETURNING 1)"
    " SELECT (SELECT count(*) FROM upd), (SELECT count(*) FROM surveys WHERE token = $1)";

static const char *const survey_ratings[] = {"very_satisfied", "satisfied", "neutral",
                                             "dissatisfied", NULL};

/* 1 when tail looks like a token we issue (32 lower-case hex), so junk never reaches SQL. */
static int survey_token_valid(const char *tail)
{
    return strlen(tail) == SURVEY_TOKEN_LEN &&
           strspn(tail, "0123456789abcdef") == SURVEY_TOKEN_LEN;
}

/* 1 when rating is one of the four answers. */
static int survey_rating_valid(const char *rating)
{
    for (size_t i = 0; survey_ratings[i]; i++)
        if (strcmp(survey_ratings[i], rating) == 0)
            return 1;
    return 0;
}

/* An HTML page whose URL is a credential: never framed, never leaked in a Referer. */
static void survey_reply_html(struct evhttp_request *req, const char *html, size_t len)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Referrer-Policy", "no-referrer");
    evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
    evhttp_add_header(h, "Content-Security-Policy",
                      "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline';"
                      " connect-src 'self'; form-action 'none'; frame-ancestors 'none'");
    sb_http_reply_text(req, 200, "text/html; charset=utf-8", html, len);
}

static void survey_reply_not_found(struct evhttp_request *req)
{
    sb_http_reply_errorf(req, 404, "not_found", "token", "no such survey");
}

/* 1 answered, 0 open, -1 unknown token, -2 database unavailable. */
static int survey_state(sb_pg *pg, const char *token)
{
    const char *p[] = {token};
    PGresult *res = sb_pg_ensure(pg) == 0
                        ? sb_pg_query(pg, "SELECT answered_at IS NOT NULL FROM surveys"
                                          " WHERE token = $1", 1, p)
                        : NULL;
    if (!res)
        return -2;
    int state = PQntuples(res) == 1 ? PQgetvalue(res, 0, 0)[0] == 't' : -1;
    PQclear(res);
    return state;
}

/* GET /v1/surveys/{token} */
static void survey_get(struct evhttp_request *req, const char *tail, void *ctx)
{
    sb_service *s = ctx;
    int state = survey_token_valid(tail) ? survey_state(s->pg, tail) : -1;
    if (state == -2)
        sb_http_reply_errorf(req, 503, "unavailable", "", "cannot read the survey now");
    else if (state == -1)
        survey_reply_not_found(req);
    else if (state == 1)
        survey_reply_html(req, survey_done_html, sizeof(survey_done_html) - 1);
    else
        survey_reply_html(req, survey_form_html, sizeof(survey_form_html) - 1);
}

/* rating and comment of the body; 0, or -1 with err (400 naming the field). */
static int survey_read_answer(const json_t *body, const char **rating, const char **comment,
                              sb_error *err)
{
    if (sb_json_get_str(body, "", "rating", 1, 32, rating, err) != 0)
        return -1;
    if (!survey_rating_valid(*rating))
        return sb_error_set(err, 400, "invalid_field", "rating",
                            "rating must be very_satisfied, satisfied, neutral or dissatisfied");
    return sb_json_get_str(body, "", "comment", 0, SURVEY_COMMENT_MAX, comment, err);
}

/* Record the answer: 200, 409 already answered, 404 unknown, 503 database unavailable. */
static void survey_store_answer(struct evhttp_request *req, sb_pg *pg, const char *token,
                                const char *rating, const char *comment)
{
    const char *p[] = {token, rating, comment};   /* no comment: SQL NULL */
    PGresult *res = sb_pg_ensure(pg) == 0 ? sb_pg_query(pg, survey_answer_sql, 3, p) : NULL;
    if (!res) {
        sb_http_reply_errorf(req, 503, "unavailable", "", "cannot record the answer now");
        return;
    }
    int updated = PQgetvalue(res, 0, 0)[0] != '0';
    int exists = PQgetvalue(res, 0, 1)[0] != '0';
    PQclear(res);
    if (updated) {
        sb_info("survey_answered", "rating %s", rating);
        sb_http_reply_json(req, 200, json_pack("{s:s}", "status", "recorded"));
    } else if (exists) {
        sb_http_reply_errorf(req, 409, "already_answered", "token",
                             "this survey was already answered");
    } else {
        survey_reply_not_found(req);
    }
}

/* POST /v1/surveys/{token} {"rating","comment"} */
static void survey_post(struct evhttp_request *req, const char *tail, void *ctx)
{
    sb_service *s = ctx;
    if (!survey_token_valid(tail)) {
        survey_reply_not_found(req);
        return;
    }
    sb_error err;
    sb_error_clear(&err);
    const char *rating = NULL, *comment = NULL;
    json_t *body = sb_http_body_json(req, SURVEY_BODY_MAX, &err);
    if (!body || survey_read_answer(body, &rating, &comment, &err) != 0)
        sb_http_reply_error(req, &err);
    else
        survey_store_answer(req, s->pg, tail, rating, comment);
    json_decref(body);
}

int survey_answer_routes(sb_service *s)
{
    if (sb_http_route(s->http, "GET", "/v1/surveys/", survey_get, s) != 0 ||
        sb_http_route(s->http, "POST", "/v1/surveys/", survey_post, s) != 0)
        return -1;
    return 0;
}

/* kb.c - desk's knowledge-base API: search, one article, a supervisor's edit / publish /
 * retire, an agent's use of an article on a ticket, the review list, and the periodic review
 * scan on a libevent timer. The knowledge itself is common/kb. */
#include "services/desk/desk.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/audit.h"
#include "common/config.h"
#include "common/http.h"
#include "common/json.h"
#include "common/kb.h"
#include "common/log.h"
#include "services/desk/kb_body.h"

#define KB_LIMIT_DEFAULT   20
#define KB_PARAM_MAX       80     /* longer than any valid category, status, limit */
#define KB_BODY_MAX        (64 * 1024)
#define KB_ID_DIGITS_MAX   18     /* a bigint's digits, without overflow */
/* How often the review scan runs: SB_KB_REVIEW_INTERVAL_MS, default one hour. */
#define KB_REVIEW_INTERVAL_DEFAULT_MS 3600000L

/* Statuses a search may ask for: agents only the first. */
static const char *const kb_statuses[] = {"published", "draft", "retired", "all", NULL};

/* Query parameter into out (cap bytes): 1 present and non-empty, 0 absent or empty, -1 longer
 * than cap - 2 bytes (cut by the copy, so refused rather than searched cut). */
static int kb_param(struct evhttp_request *req, const char *name, char *out, size_t cap)
{
    if (!sb_http_query_param(req, name, out, cap) || !out[0])
        return 0;
    return strlen(out) > cap - 2 ? -1 : 1;
}

/* An article id at the start of path: digits up to '/' or the end; *rest points after it.
 * 0 or -1. */
static int kb_parse_id(const char *path, int64_t *id, const char **rest)
{
    size_t n = strspn(path, "0123456789");
    if (n == 0 || n > KB_ID_DIGITS_MAX || (path[n] && path[n] != '/'))
        return -1;
    *id = strtoll(path, NULL, 10);
    *rest = path[n] ? path + n + 1 : path + n;
    return *id > 0 ? 0 : -1;
}

/* The answer for a common/kb result other than 0; why says what a wrong status means. */
static int kb_error(int rc, const char *why, sb_error *err)
{
    switch (rc) {
    case SB_KB_ENOTFOUND:
        return sb_error_set(err, 404, "not_found", "id", "no such article");
    case SB_KB_ESTATUS:
        return sb_error_set(err, 409, "conflict", "status", "%s", why);
    case SB_KB_ECATEGORY:
        return sb_error_set(err, 400, "invalid_field", "category",
                            "category must be a category id");
    case SB_KB_ESUBTOPIC:
        return sb_error_set(err, 400, "invalid_field", "subtopic",
                            "subtopic must be a sub-topic of the article's category");
    default:
        return sb_error_set(err, 503, "unavailable", "", "the knowledge base is unavailable now");
    }
}

/* Authenticates and requires min_role; 0 or -1 with err. */
static int kb_authorize(sb_service *s, struct evhttp_request *req, sb_role min_role,
                        desk_scope *scope, sb_error *err)
{
    if (desk_authorize(s, req, scope, err) != 0)
        return -1;
    if (scope->who.role < min_role)
        return sb_error_set(err, 403, "forbidden", "", "role %s may not do this",
                            sb_role_name(scope->who.role));
    return 0;
}

/* -------------------------------------------------------------------------------- reads */

/* limit: 1..SB_KB_LIMIT_MAX, default KB_LIMIT_DEFAULT; 0 or -1 with err. */
static int kb_limit_parse(struct evhttp_request *req, long *limit, sb_error *err)
{
    char v[KB_PARAM_MAX];
    int rc = kb_param(req, "limit", v, sizeof(v));
    *limit = KB_LIMIT_DEFAULT;
    if (rc != 0) {
        errno = 0;
        *limit = rc < 0 || strspn(v, "0123456789") != strlen(v) ? -1 : strtol(v, NULL, 10);
        if (errno || *limit < 1 || *limit > SB_KB_LIMIT_MAX)
            return sb_error_set(err, 400, "invalid_field", "limit", "limit must be 1..%d",
                                SB_KB_LIMIT_MAX);
    }
    return 0;
}

/* The query of GET /v1/kb/articles, validated. */
typedef struct kb_list_query {
    char        q[SB_KB_QUERY_MAX + 2];
    char        category[KB_PARAM_MAX], status[KB_PARAM_MAX];
    const char *q_p, *category_p;
    long        limit;
} kb_list_query;

/* q, category, status, limit; an agent may only ask for published articles. 0 or -1. */
static int kb_list_parse(struct evhttp_request *req, const desk_scope *scope, kb_list_query *l,
                         sb_error *err)
{
    memset(l, 0, sizeof(*l));
    int rc = kb_param(req, "q", l->q, sizeof(l->q));
    if (rc < 0)
        return sb_error_set(err, 400, "field_too_long", "q", "q must be at most %d bytes",
                            SB_KB_QUERY_MAX);
    l->q_p = rc ? l->q : NULL;
    rc = kb_param(req, "category", l->category, sizeof(l->category));
    if (rc < 0 || (rc && !desk_kb_word_valid(l->category)))
        return sb_error_set(err, 400, "invalid_field", "category",
                            "category must be a category id");
    l->category_p = rc ? l->category : NULL;
    rc = kb_param(req, "status", l->status, sizeof(l->status));
    if (rc < 0 || (rc && !sb_json_one_of(l->status, kb_statuses)))
        return sb_error_set(err, 400, "invalid_field", "status",
                            "status must be published, draft, retired or all");
    if (!rc)
        snprintf(l->status, sizeof(l->status), "published");
    if (scope->who.role == SB_ROLE_AGENT && strcmp(l->status, "published") != 0)
        return sb_error_set(err, 403, "forbidden", "status", "agents see published articles only");
    return kb_limit_parse(req, &l->limit, err);
}

/* 200 {"articles": out} when rc is 0, else the error of rc. */
static void kb_reply_articles(struct evhttp_request *req, int rc, json_t *out)
{
    sb_error err;
    if (rc != 0) {
        kb_error(rc, "", &err);
        sb_http_reply_error(req, &err);
        return;
    }
    sb_http_reply_json(req, 200, json_pack("{s:o}", "articles", out));
}

/* GET /v1/kb/articles?q=&category=&status=&limit= */
static void kb_list(struct evhttp_request *req, const char *tail, void *ctx)
{
    (void)tail;
    sb_service *s = ctx;
    sb_error err;
    sb_error_clear(&err);
    desk_scope scope;
    kb_list_query l;
    json_t *out = NULL;
    if (desk_authorize(s, req, &scope, &err) != 0 || kb_list_parse(req, &scope, &l, &err) != 0) {
        sb_http_reply_error(req, &err);
        return;
    }
    int rc = sb_kb_search(s->pg, l.q_p, l.category_p, l.status, (int)l.limit, &out);
    kb_reply_articles(req, rc, out);
}

/* GET /v1/kb/articles/{id}: agents see published articles only, and no source tickets. */
static void kb_get(struct evhttp_request *req, const char *tail, void *ctx)
{
    sb_service *s = ctx;
    sb_error err;
    sb_error_clear(&err);
    desk_scope scope;
    int64_t id;
    const char *rest;
    json_t *out = NULL;
    if (desk_authorize(s, req, &scope, &err) != 0) {
        sb_http_reply_error(req, &err);
        return;
    }
    if (kb_parse_id(tail, &id, &rest) != 0 || *rest) {
        sb_http_reply_errorf(req, 400, "invalid_field", "id", "an article id is a positive number");
        return;
    }
    int rc = sb_kb_get(s->pg, id, scope.who.role != SB_ROLE_AGENT, &out);
    if (rc == 0 && scope.who.role == SB_ROLE_AGENT &&
        strcmp(json_string_value(json_object_get(out, "status")), "published") != 0)
        rc = SB_KB_ENOTFOUND;   /* an agent cannot tell a draft from nothing */
    if (rc != 0) {
        json_decref(out);
        kb_error(rc, "", &err);
        sb_http_reply_error(req, &err);
        return;
    }
    sb_http_reply_json(req, 200, out);
}

/* GET /v1/kb/review?limit= (supervisor): articles flagged for review, with their reasons. */
static void kb_review(struct evhttp_request *req, const char *tail, void *ctx)
{
    (void)tail;
    sb_service *s = ctx;
    sb_error err;
    sb_error_clear(&err);
    desk_scope scope;
    long limit;
    json_t *out = NULL;
    if (kb_authorize(s, req, SB_ROLE_SUPERVISOR, &scope, &err) != 0 ||
        kb_limit_parse(req, &limit, &err) != 0) {
        sb_http_reply_error(req, &err);
        return;
    }
    int rc = sb_kb_review_list(s->pg, (int)limit, &out);
    kb_reply_articles(req, rc, out);
}

/* ------------------------------------------------------------------------------ actions */

/* One action's transaction: BEGIN, the change, its audit row, COMMIT; rolled back on any
 * failure. The change returns a common/kb result and may fill *detail (audit) and *reply. */
typedef int (*kb_change_fn)(sb_service *s, const desk_scope *scope, int64_t id, void *arg,
                            json_t **detail, json_t **reply, sb_error *err);

/* Runs change for article id as the scope's principal and answers (200 with the reply or the
 * article as it is after the change, or the error). */
static void kb_action(sb_service *s, struct evhttp_request *req, const desk_scope *scope,
                      const char *audit_action, int64_t id, kb_change_fn change, void *arg)
{
    sb_error err;
    sb_error_clear(&err);
    json_t *detail = NULL, *reply = NULL;
    char target[32];
    snprintf(target, sizeof(target), "kb:%lld", (long long)id);
    int rc = sb_pg_begin(s->pg) == 0 ? change(s, scope, id, arg, &detail, &reply, &err) : -1;
    if (rc == 0 && sb_audit_record(s->pg, &scope->who, audit_action, target, detail) != 0)
        rc = sb_error_set(&err, 503, "unavailable", "", "cannot record the action now");
    else if (rc != 0)
        json_decref(detail);
    if (rc == 0 && !reply && sb_kb_get(s->pg, id, 1, &reply) != 0)
        rc = sb_error_set(&err, 503, "unavailable", "", "cannot read the article now");
    if (rc == 0 && sb_pg_commit(s->pg) != 0)
        rc = sb_error_set(&err, 503, "unavailable", "", "cannot commit the action now");
    if (rc != 0) {
        sb_pg_rollback(s->pg);
        json_decref(reply);
        sb_http_reply_error(req, &err);
        return;
    }
    sb_http_reply_json(req, 200, reply);
}

/* The edit (arg: the request body, validated here). */
static int kb_do_edit(sb_service *s, const desk_scope *scope, int64_t id, void *arg,
                      json_t **detail, json_t **reply, sb_error *err)
{
    (void)scope;
    (void)reply;
    const json_t *body = arg;
    sb_kb_edit e;
    const char *tags[SB_KB_TAGS_MAX];
    if (desk_kb_edit_parse(body, &e, tags, err) != 0)
        return -1;
    int rc = sb_kb_edit_draft(s->pg, id, &e);
    if (rc != 0)
        return kb_error(rc, "only a draft can be edited", err);
    json_t *changed = json_array();
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)body, key, v)
        json_array_append_new(changed, json_string(key));
    *detail = json_pack("{s:o}", "changed", changed);
    return 0;
}

/* Publish (arg NULL) or retire (arg non-NULL). */
static int kb_do_status(sb_service *s, const desk_scope *scope, int64_t id, void *arg,
                        json_t **detail, json_t **reply, sb_error *err)
{
    (void)reply;
    char prev[16];
    int rc = arg ? sb_kb_retire(s->pg, id, prev)
                 : sb_kb_publish(s->pg, id, scope->who.subject, prev);
    if (rc != 0)
        return kb_error(rc, "", err);
    *detail = json_pack("{s:s}", "from", prev);
    return 0;
}

/* An agent's use of the article on a ticket (arg: the request body). */
static int kb_do_use(sb_service *s, const desk_scope *scope, int64_t id, void *arg,
                     json_t **detail, json_t **reply, sb_error *err)
{
    const char *number;
    if (sb_json_get_str(arg, "", "ticket", 1, 32, &number, err) != 0)
        return -1;
    if (!desk_number_valid(number))
        return sb_error_set(err, 400, "invalid_field", "ticket",
                            "a ticket number looks like WX-20261122-000123");
    /* The ticket as the caller may see it: one out of their scope is a 404. */
    const char *p[] = {number, scope->scoped, scope->supervising};
    PGresult *res = sb_pg_query(s->pg,
        "SELECT t.id FROM tickets t WHERE t.number = $1 AND " DESK_SCOPE_SQL("t", "$2", "$3"),
        3, p);
    if (!res)
        return sb_error_set(err, 503, "unavailable", "", "cannot read the ticket now");
    if (PQntuples(res) != 1) {
        PQclear(res);
        return sb_error_set(err, 404, "not_found", "ticket", "no ticket %s", number);
    }
    int counted = 0;
    int rc = sb_kb_record_use(s->pg, id, PQgetvalue(res, 0, 0), scope->who.subject, &counted);
    PQclear(res);
    if (rc == SB_KB_ESTATUS && scope->who.role == SB_ROLE_AGENT)
        rc = SB_KB_ENOTFOUND;   /* as for reading it: an agent cannot tell a draft from nothing */
    if (rc != 0)
        return kb_error(rc, "only a published article can be used", err);
    *detail = json_pack("{s:s, s:b}", "ticket", number, "counted", counted);
    *reply = json_pack("{s:I, s:s, s:b}", "article_id", (json_int_t)id, "ticket", number,
                       "counted", counted);
    return 0;
}

/* POST /v1/kb/articles/{id}, /{id}/publish, /{id}/retire (supervisor), /{id}/use (agent). */
static void kb_post(struct evhttp_request *req, const char *tail, void *ctx)
{
    sb_service *s = ctx;
    sb_error err;
    sb_error_clear(&err);
    desk_scope scope;
    int64_t id;
    const char *action;
    if (desk_authorize(s, req, &scope, &err) != 0) {
        sb_http_reply_error(req, &err);
        return;
    }
    if (kb_parse_id(tail, &id, &action) != 0) {
        sb_http_reply_errorf(req, 400, "invalid_field", "id", "an article id is a positive number");
        return;
    }
    int is_use = strcmp(action, "use") == 0;
    if (!is_use && strcmp(action, "") && strcmp(action, "publish") && strcmp(action, "retire")) {
        sb_http_reply_errorf(req, 404, "not_found", "", "no such action");
        return;
    }
    if (!is_use && scope.who.role < SB_ROLE_SUPERVISOR) {
        sb_http_reply_errorf(req, 403, "forbidden", "", "only a supervisor may %s an article",
                             *action ? action : "edit");
        return;
    }
    json_t *body = NULL;
    if ((is_use || !*action) && !(body = sb_http_body_json(req, KB_BODY_MAX, &err))) {
        sb_http_reply_error(req, &err);
        return;
    }
    if (is_use)
        kb_action(s, req, &scope, "kb.use", id, kb_do_use, body);
    else if (!*action)
        kb_action(s, req, &scope, "kb.edit", id, kb_do_edit, body);
    else
        kb_action(s, req, &scope, strcmp(action, "publish") == 0 ? "kb.publish" : "kb.retire",
                  id, kb_do_status, strcmp(action, "retire") == 0 ? (void *)1 : NULL);
    json_decref(body);
}

/* ------------------------------------------------------------------------ review timer */

/* The scan's timer state (one per process, alive while the loop runs). */
typedef struct kb_review_timer {
    sb_service    *s;
    struct timeval every;
} kb_review_timer;

static kb_review_timer kb_timer;

/* Timer: flags stale articles, then re-arms. A one-shot event libevent frees itself (also
 * when the loop ends), so desk's shutdown has nothing of it to release. */
static void kb_review_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    kb_review_timer *t = arg;
    int flagged = 0;
    if (sb_pg_ensure(t->s->pg) != 0 || sb_kb_review_scan(t->s->pg, SB_KB_STALE_DAYS, &flagged) != 0)
        sb_warn("kb_review", "review scan failed; next try in %ld ms",
                (long)(t->every.tv_sec * 1000 + t->every.tv_usec / 1000));
    if (!t->s->stopping)
        event_base_once(t->s->base, -1, EV_TIMEOUT, kb_review_tick, t, &t->every);
}

int desk_kb_routes(sb_service *s)
{
    sb_error err;
    long every_ms;
    if (sb_config_int("SB_KB_REVIEW_INTERVAL_MS", KB_REVIEW_INTERVAL_DEFAULT_MS, 10,
                      7L * 24 * 3600 * 1000, &every_ms, &err) != 0) {
        sb_error("config", "%s", err.message);
        return -1;
    }
    kb_timer.s = s;
    kb_timer.every.tv_sec = every_ms / 1000;
    kb_timer.every.tv_usec = (every_ms % 1000) * 1000;
    /* The first scan right after start, so a desk restarted more often than the interval
     * still scans. */
    struct timeval now = {0, 0};
    if (event_base_once(s->base, -1, EV_TIMEOUT, kb_review_tick, &kb_timer, &now) != 0)
        return -1;
    return sb_http_route(s->http, "GET", "/v1/kb/articles", kb_list, s) ||
           sb_http_route(s->http, "GET", "/v1/kb/articles/", kb_get, s) ||
           sb_http_route(s->http, "POST", "/v1/kb/articles/", kb_post, s) ||
           sb_http_route(s->http, "GET", "/v1/kb/review", kb_review, s) ? -1 : 0;
}

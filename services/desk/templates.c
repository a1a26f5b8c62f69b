/* templates.c - GET /v1/templates: the reply templates an agent may pick from (read-only; admins
 * edit them under /v1/admin/templates). */
#include "services/desk/desk.h"

#include <string.h>

#include "common/http.h"
#include "common/json.h"

/* Longer than any category id; a longer value is refused before it reaches SQL. */
#define DESK_TEMPLATE_PARAM_MAX 72

/* Whether the category exists (so a typo is a 400, not an empty list), then the templates of
 * the language ($1, any when NULL) that fit the category ($2: its own and those for any
 * category; all when NULL), as {"templates":[...]}. */
static const char desk_templates_sql[] =
    "SELECT CASE WHEN $2::text IS NOT NULL AND NOT EXISTS (SELECT 1 FROM categories c WHERE c.id = $2)"
    "       THEN NULL ELSE json_build_object('templates', (SELECT coalesce(json_agg(json_build_object("
    "                 'id', r.id, 'language', r.language, 'title', r.title, 'body', r.body,"
    "                 'category', r.category) ORDER BY r.language, r.category NULLS LAST, r.id), '[]'::json)"
    "        FROM reply_templates r"
    "        WHERE ($1::text IS NULL OR r.language = $1)"
    "          AND ($2::text IS NULL OR r.category IS NULL OR r.category = $2)))::text END";

static const char *const desk_languages[] = {"zh", "en", NULL};

/* Query parameter name into out: the value, or NULL when absent or empty; -1 when too long. */
static int desk_template_param(struct evhttp_request *req, const char *name,
                               char out[DESK_TEMPLATE_PARAM_MAX], const char **value)
{
    *value = NULL;
    if (!sb_http_query_param(req, name, out, DESK_TEMPLATE_PARAM_MAX) || !out[0])
        return 0;
    *value = out;
    return strlen(out) < DESK_TEMPLATE_PARAM_MAX - 1 ? 0 : -1;
}

/* GET /v1/templates?language=&category= */
static void desk_templates_get(struct evhttp_request *req, const char *tail, void *ctx)
{
    (void)tail;
    sb_service *s = ctx;
    sb_error err;
    sb_error_clear(&err);
    desk_scope scope;
    if (desk_authorize(s, req, &scope, &err) != 0) {
        sb_http_reply_error(req, &err);
        return;
    }
    char language[DESK_TEMPLATE_PARAM_MAX], category[DESK_TEMPLATE_PARAM_MAX];
    const char *p[2];
    if (desk_template_param(req, "language", language, &p[0]) != 0 ||
        (p[0] && !sb_json_one_of(p[0], desk_languages))) {
        sb_http_reply_errorf(req, 400, "invalid_field", "language", "language must be zh or en");
        return;
    }
    if (desk_template_param(req, "category", category, &p[1]) != 0) {
        sb_http_reply_errorf(req, 400, "invalid_field", "category", "no such category");
        return;
    }
    PGresult *res = sb_pg_query(s->pg, desk_templates_sql, 2, p);
    if (res && PQntuples(res) == 1 && PQgetisnull(res, 0, 0)) {
        PQclear(res);
        sb_http_reply_errorf(req, 400, "invalid_field", "category", "no such category");
        return;
    }
    desk_reply_json_row(req, res, "the templates");
}

int desk_templates_routes(sb_service *s)
{
    return sb_http_route(s->http, "GET", "/v1/templates", desk_templates_get, s);
}

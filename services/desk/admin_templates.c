/* admin_templates.c - /v1/admin/templates: the standard replies (zh, en) agents fill in, with
 * {{placeholders}} checked when an admin saves them. */
#include "services/desk/admin.h"

#include "common/http.h"
#include "services/desk/admin_body.h"

#define TPL_JSON                                                                             \
    "json_build_object('id', t.id, 'language', t.language, 'title', t.title, 'body', t.body," \
    " 'category', t.category, 'updated_at', " DESK_SQL_ISO("t.updated_at") ")"

static const char tpl_all_sql[] =
    "SELECT json_build_object('templates', coalesce(json_agg(" TPL_JSON " ORDER BY t.id),"
    " '[]'))::text FROM reply_templates t";
static const char tpl_one_sql[] = "SELECT " TPL_JSON "::text FROM reply_templates t WHERE t.id = $1";

/* GET /v1/admin/templates */
static void tpl_list(struct evhttp_request *req, const char *tail, void *ctx)
{
    (void)tail;
    desk_adm a;
    if (desk_adm_start(&a, ctx, req, SB_ROLE_ADMIN, 0) == 0)
        desk_adm_end(&a, desk_adm_reply_sql(&a, 200, tpl_all_sql, 0, NULL, "id"));
}

/* POST /v1/admin/templates (create) and PUT /v1/admin/templates/{id} (replace: tail). */
static void tpl_write(struct evhttp_request *req, const char *tail, sb_service *s, int create)
{
    desk_adm a;
    desk_template_body b = {0};
    char id[DESK_ADMIN_ID_MAX + 1] = "";
    if (desk_adm_start(&a, s, req, SB_ROLE_ADMIN, 1) != 0)
        return;
    int rc = create ? 0 : desk_adm_path_id(&a, tail, id, sizeof id);
    if (rc == 0)
        rc = desk_template_body_read(a.body, create, &b, &a.err);
    if (rc == 0 && create)
        snprintf(id, sizeof id, "%s", b.id);
    const char *p[] = {id, b.language, b.title, b.text, b.category};
    if (rc == 0)
        rc = desk_adm_begin(&a);
    if (rc == 0 && b.category)
        rc = desk_adm_must(&a, "SELECT 1 FROM categories WHERE id = $1", 1, p + 4, 400,
                           "category", "there is no such category");
    if (rc == 0 && create)
        rc = desk_adm_must(&a, "INSERT INTO reply_templates (id, language, title, body, category)"
                               " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING", 5, p,
                           409, "id", "that template exists");
    else if (rc == 0)
        rc = desk_adm_must(&a, "UPDATE reply_templates SET language = $2, title = $3, body = $4,"
                               " category = $5, updated_at = now() WHERE id = $1", 5, p, 404,
                           "id", "there is no such template");
    if (rc == 0)
        rc = desk_adm_commit(&a, create ? "template.create" : "template.update", "template", id,
                             json_incref(a.body));
    if (rc == 0)
        rc = desk_adm_reply_sql(&a, create ? 201 : 200, tpl_one_sql, 1, p, "id");
    desk_adm_end(&a, rc);
}

static void tpl_create(struct evhttp_request *req, const char *tail, void *ctx)
{
    tpl_write(req, tail, ctx, 1);
}

static void tpl_put(struct evhttp_request *req, const char *tail, void *ctx)
{
    tpl_write(req, tail, ctx, 0);
}

/* DELETE /v1/admin/templates/{id} -> 200 {"deleted": id}; a template replies were sent with
 * stays (409): replies name the template they came from. */
static void tpl_delete(struct evhttp_request *req, const char *tail, void *ctx)
{
    desk_adm a;
    char id[DESK_ADMIN_ID_MAX + 1];
    if (desk_adm_start(&a, ctx, req, SB_ROLE_ADMIN, 0) != 0)
        return;
    const char *p[] = {id};
    int rc = desk_adm_path_id(&a, tail, id, sizeof id);
    if (rc == 0)
        rc = desk_adm_begin(&a);
    if (rc == 0)
        rc = desk_adm_none(&a, "SELECT 1 FROM replies WHERE template_id = $1 LIMIT 1", 1, p, 409,
                           "id", "replies were sent with this template: edit it instead");
    if (rc == 0)
        rc = desk_adm_must(&a, "DELETE FROM reply_templates WHERE id = $1", 1, p, 404, "id",
                           "there is no such template");
    if (rc == 0)
        rc = desk_adm_commit(&a, "template.delete", "template", id, NULL);
    if (rc == 0)
        sb_http_reply_json(req, 200, json_pack("{s:s}", "deleted", id));
    desk_adm_end(&a, rc);
}

int desk_admin_template_routes(sb_service *s)
{
    return sb_http_route(s->http, "GET", "/v1/admin/templates", tpl_list, s) ||
           sb_http_route(s->http, "POST", "/v1/admin/templates", tpl_create, s) ||
           sb_http_route(s->http, "PUT", "/v1/admin/templates/", tpl_put, s) ||
           sb_http_route(s->http, "DELETE", "/v1/admin/templates/", tpl_delete, s)
               ? -1 : 0;
}

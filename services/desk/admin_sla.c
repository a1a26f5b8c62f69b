/* admin_sla.c - the SLA configuration sla reads, edited by admins: /v1/admin/sla-policies (which
 * clock target applies to which tickets) and /v1/admin/calendars (business hours, holidays and
 * the departments that keep them). sla applies a change to the clocks it arms afterwards. */
#include "services/desk/admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "services/desk/admin_body.h"

#define POL_JSON                                                                              \
    "json_build_object('id', p.id, 'kind', p.kind, 'priority', p.priority, 'urgency',"        \
    " p.urgency, 'category', p.category, 'channel', p.channel, 'tier', p.tier,"               \
    " 'target_seconds', p.target_seconds, 'business_hours', p.business_hours,"                \
    " 'warn_share', p.warn_share, 'enabled', p.enabled)"

static const char pol_all_sql[] =
    "SELECT json_build_object('sla_policies', coalesce(json_agg(" POL_JSON
    " ORDER BY p.kind, p.id), '[]'))::text FROM sla_policies p";
static const char pol_one_sql[] = "SELECT " POL_JSON "::text FROM sla_policies p WHERE p.id = $1";

#define CAL_JSON                                                                              \
    "json_build_object('id', c.id, 'name', c.name, 'tz_offset_minutes', c.tz_offset_minutes," \
    " 'hours', c.hours, 'holidays', coalesce((SELECT json_agg(to_char(h.day, 'YYYY-MM-DD')"   \
    " ORDER BY h.day) FROM sla_holidays h WHERE h.calendar_id = c.id), '[]'),"                \
    " 'departments', coalesce((SELECT json_agg(d.id ORDER BY d.id) FROM departments d"        \
    " WHERE d.calendar_id = c.id), '[]'))"

static const char cal_all_sql[] =
    "SELECT json_build_object('calendars', coalesce(json_agg(" CAL_JSON
    " ORDER BY c.id), '[]'))::text FROM sla_calendars c";
static const char cal_one_sql[] = "SELECT " CAL_JSON "::text FROM sla_calendars c WHERE c.id = $1";

/* GET /v1/admin/sla-policies */
static void pol_list(struct evhttp_request *req, const char *tail, void *ctx)
{
    (void)tail;
    desk_adm a;
    if (desk_adm_start(&a, ctx, req, SB_ROLE_ADMIN, 0) == 0)
        desk_adm_end(&a, desk_adm_reply_sql(&a, 200, pol_all_sql, 0, NULL, "id"));
}

/* GET /v1/admin/sla-policies/{id} */
static void pol_get(struct evhttp_request *req, const char *tail, void *ctx)
{
    desk_adm_get_by_id(req, tail, ctx, pol_one_sql, "id");
}

/* PUT /v1/admin/sla-policies/{id}: creates or replaces the policy (audited sla_policy.put). */
static void pol_put(struct evhttp_request *req, const char *tail, void *ctx)
{
    desk_adm a;
    desk_sla_policy_body b;
    char id[DESK_ADMIN_ID_MAX + 1], secs[16], share[32];
    if (desk_adm_start(&a, ctx, req, SB_ROLE_ADMIN, 1) != 0)
        return;
    int rc = desk_adm_path_id(&a, tail, id, sizeof id);
    if (rc == 0)
        rc = desk_sla_policy_body_read(a.body, &b, &a.err);
    snprintf(secs, sizeof secs, "%d", rc == 0 ? b.target_seconds : 0);
    snprintf(share, sizeof share, "%.6f", rc == 0 && b.warn_share > 0 ? b.warn_share : 0.75);
    const char *p[] = {id, rc == 0 ? b.kind : NULL, rc == 0 ? b.priority : NULL,
                       rc == 0 ? b.urgency : NULL, rc == 0 ? b.category : NULL,
                       rc == 0 ? b.channel : NULL, rc == 0 ? b.tier : NULL, secs,
                       rc == 0 && b.business_hours == 1 ? "true" : "false", share,
                       rc == 0 && b.enabled == 0 ? "false" : "true"};
    if (rc == 0)
        rc = desk_adm_begin(&a);
    if (rc == 0 && b.category)
        rc = desk_adm_must(&a, "SELECT 1 FROM categories WHERE id = $1", 1, p + 4, 400,
                           "category", "there is no such category");
    if (rc == 0 &&
        desk_adm_exec(&a, "INSERT INTO sla_policies (id, kind, priority, urgency, category,"
                          " channel, tier, target_seconds, business_hours, warn_share, enabled)"
                          " VALUES ($1, $2, $3, $4, $5, $6, $7, $8::int, $9::boolean,"
                          "  $10::float8, $11::boolean)"
                          " ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind,"
                          "  priority = EXCLUDED.priority, urgency = EXCLUDED.urgency,"
                          "  category = EXCLUDED.category, channel = EXCLUDED.channel,"
                          "  tier = EXCLUDED.tier, target_seconds = EXCLUDED.target_seconds,"
                          "  business_hours = EXCLUDED.business_hours,"
                          "  warn_share = EXCLUDED.warn_share, enabled = EXCLUDED.enabled,"
                          "  updated_at = now()", 11, p) < 0)
        rc = -1;
    if (rc == 0)
        rc = desk_adm_commit(&a, "sla_policy.put", "sla_policy", id, json_incref(a.body));
    if (rc == 0)
        rc = desk_adm_reply_sql(&a, 200, pol_one_sql, 1, p, "id");
    desk_adm_end(&a, rc);
}

/* DELETE /v1/admin/sla-policies/{id} -> 200 {"deleted": id}; clocks it armed keep their
 * deadlines. */
static void pol_delete(struct evhttp_request *req, const char *tail, void *ctx)
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
        rc = desk_adm_must(&a, "DELETE FROM sla_policies WHERE id = $1", 1, p, 404, "id",
                           "there is no such SLA policy");
    if (rc == 0)
        rc = desk_adm_commit(&a, "sla_policy.delete", "sla_policy", id, NULL);
    if (rc == 0)
        sb_http_reply_json(req, 200, json_pack("{s:s}", "deleted", id));
    desk_adm_end(&a, rc);
}

/* GET /v1/admin/calendars */
static void cal_list(struct evhttp_request *req, const char *tail, void *ctx)
{
    (void)tail;
    desk_adm a;
    if (desk_adm_start(&a, ctx, req, SB_ROLE_ADMIN, 0) == 0)
        desk_adm_end(&a, desk_adm_reply_sql(&a, 200, cal_all_sql, 0, NULL, "id"));
}

/* GET /v1/admin/calendars/{id} */
static void cal_get(struct evhttp_request *req, const char *tail, void *ctx)
{
    desk_adm_get_by_id(req, tail, ctx, cal_one_sql, "id");
}

/* The calendar's rows ($1 id, $2 name, $3 offset, $4 hours, $5 holidays, $6 departments). */
static int cal_write(desk_adm *a, const char *const *p)
{
    if (desk_adm_none(a, "SELECT 1 FROM jsonb_array_elements_text($1::jsonb) x"
                         " WHERE x NOT IN (SELECT id FROM departments)", 1, p + 5, 400,
                      "departments", "a department does not exist") != 0)
        return -1;
    if (desk_adm_exec(a, "INSERT INTO sla_calendars (id, name, tz_offset_minutes, hours)"
                         " VALUES ($1, $2, $3::int, $4::jsonb) ON CONFLICT (id) DO UPDATE"
                         " SET name = EXCLUDED.name, tz_offset_minutes = EXCLUDED.tz_offset_minutes,"
                         " hours = EXCLUDED.hours, updated_at = now()", 4, p) < 0 ||
        desk_adm_exec(a, "DELETE FROM sla_holidays WHERE calendar_id = $1", 1, p) < 0 ||
        desk_adm_exec(a, "INSERT INTO sla_holidays (calendar_id, day)"
                         " SELECT $1, d::date FROM jsonb_array_elements_text($2::jsonb) d", 2,
                      (const char *const[]){p[0], p[4]}) < 0 ||
        desk_adm_exec(a, "UPDATE departments SET calendar_id = $1"
                         " WHERE id IN (SELECT jsonb_array_elements_text($2::jsonb))", 2,
                      (const char *const[]){p[0], p[5]}) < 0)
        return -1;
    return 0;
}

/* PUT /v1/admin/calendars/{id}: creates or replaces the calendar and its holidays; the listed
 * departments move to it (audited calendar.put). */
static void cal_put(struct evhttp_request *req, const char *tail, void *ctx)
{
    desk_adm a;
    desk_calendar_body b;
    char id[DESK_ADMIN_ID_MAX + 1], tz[16];
    char *hours = NULL, *holidays = NULL, *depts = NULL;
    if (desk_adm_start(&a, ctx, req, SB_ROLE_ADMIN, 1) != 0)
        return;
    int rc = desk_adm_path_id(&a, tail, id, sizeof id);
    if (rc == 0)
        rc = desk_calendar_body_read(a.body, &b, &a.err);
    if (rc == 0) {
        snprintf(tz, sizeof tz, "%d", b.tz_offset_minutes);
        hours = sb_json_dump(b.hours);
        holidays = b.holidays ? sb_json_dump(b.holidays) : strdup("[]");
        depts = b.departments ? sb_json_dump(b.departments) : strdup("[]");
        rc = hours && holidays && depts ? desk_adm_begin(&a) : -1;
    }
    const char *p[] = {id, rc == 0 ? b.name : NULL, tz, hours, holidays, depts};
    if (rc == 0)
        rc = cal_write(&a, p);
    if (rc == 0)
        rc = desk_adm_commit(&a, "calendar.put", "calendar", id, json_incref(a.body));
    if (rc == 0)
        rc = desk_adm_reply_sql(&a, 200, cal_one_sql, 1, p, "id");
    free(hours);
    free(holidays);
    free(depts);
    desk_adm_end(&a, rc);
}

int desk_admin_sla_routes(sb_service *s)
{
    return sb_http_route(s->http, "GET", "/v1/admin/sla-policies", pol_list, s) ||
           sb_http_route(s->http, "GET", "/v1/admin/sla-policies/", pol_get, s) ||
           sb_http_route(s->http, "PUT", "/v1/admin/sla-policies/", pol_put, s) ||
           sb_http_route(s->http, "DELETE", "/v1/admin/sla-policies/", pol_delete, s) ||
           sb_http_route(s->http, "GET", "/v1/admin/calendars", cal_list, s) ||
           sb_http_route(s->http, "GET", "/v1/admin/calendars/", cal_get, s) ||
           sb_http_route(s->http, "PUT", "/v1/admin/calendars/", cal_put, s)
               ? -1 : 0;
}

/* fuzz_desk_admin.c - bodies of desk's admin API (departments, teams, agents, routing, ack
 * policies, SLA policies and calendars, templates, channel credentials) and of POST /v1/me/duty through their validation:
 * what is accepted keeps every limit, what is refused is a 400 naming a field. */
#define FUZZ_NAME "fuzz_desk_admin"
#include "fuzz.h"

#include "common/json.h"
#include "common/sla_calendar.h"
#include "services/desk/admin_body.h"

/* A refusal is a 400 with a machine code and a message. */
static void check_refused(const sb_error *err)
{
    CHECK(err->status == 400, "status %d", err->status);
    CHECK(err->code[0] != '\0' && err->message[0] != '\0', "code/message empty");
}

/* An optional id as accepted. */
static void check_id(const char *s, const char *what)
{
    CHECK(!s || desk_admin_id_ok(s, DESK_ADMIN_ID_MAX), "%s '%s'", what, s);
}

/* Every brace of an accepted template text belongs to a {{name}}. */
static void check_template_text(const char *t)
{
    for (const char *p = strchr(t, '{'); p; p = strchr(p, '{')) {
        size_t n = strspn(p + 2, "abcdefghijklmnopqrstuvwxyz_");
        CHECK(p[1] == '{' && n >= 1 && n <= DESK_ADMIN_VAR_MAX && p[2 + n] == '}' &&
              p[3 + n] == '}', "placeholder at %zu", (size_t)(p - t));
        p += 4 + n;
    }
}

static void fuzz_org(const json_t *body, int create)
{
    sb_error err;
    desk_dept_body d;
    sb_error_clear(&err);
    if (desk_dept_body_read(body, create, &d, &err) == 0) {
        check_id(d.id, "dept.id");
        CHECK(d.name && *d.name && strlen(d.name) <= DESK_ADMIN_NAME_MAX, "dept.name");
        CHECK(!create || d.id, "dept.id required");
    } else {
        check_refused(&err);
    }
    desk_team_body t;
    sb_error_clear(&err);
    if (desk_team_body_read(body, create, &t, &err) == 0) {
        check_id(t.id, "team.id");
        check_id(t.department, "team.department");
        check_id(t.supervisor, "team.supervisor");
        CHECK(!create || (t.id && t.name && t.department && t.supervisor), "team required");
    } else {
        check_refused(&err);
    }
    desk_agent_body a;
    sb_error_clear(&err);
    if (desk_agent_body_read(body, create, &a, &err) == 0) {
        check_id(a.id, "agent.id");
        check_id(a.team, "agent.team");
        CHECK(a.max_open >= 0 && a.max_open <= DESK_ADMIN_MAX_OPEN, "max_open %d", a.max_open);
        CHECK(a.on_duty >= -1 && a.on_duty <= 1 && a.contact_read >= -1 && a.contact_read <= 1,
              "booleans");
        CHECK(!a.languages || (json_array_size(a.languages) >= 1 &&
                               json_array_size(a.languages) <= 2), "languages");
        CHECK(!a.skills || json_array_size(a.skills) <= DESK_ADMIN_WORDS_MAX, "skills");
        CHECK(!a.role || !strcmp(a.role, "agent") || !strcmp(a.role, "supervisor") ||
              !strcmp(a.role, "admin"), "role");
        CHECK(!create || (a.id && a.name && a.department && a.role), "agent required");
    } else {
        check_refused(&err);
    }
}

static void fuzz_config(const json_t *body)
{
    sb_error err;
    desk_routing_body r;
    sb_error_clear(&err);
    if (desk_routing_body_read(body, &r, &err) == 0) {
        check_id(r.lead_department, "lead_department");
        CHECK(!r.co_departments || json_array_size(r.co_departments) <= DESK_ADMIN_WORDS_MAX,
              "co_departments");
        CHECK(!r.skills || json_is_object(r.skills), "skills");
    } else {
        check_refused(&err);
    }
    int secs = 0, on = -1;
    sb_error_clear(&err);
    if (desk_ack_body_read(body, &secs, &err) == 0)
        CHECK(secs >= 1 && secs <= DESK_ADMIN_ACK_MAX, "ack_seconds %d", secs);
    else
        check_refused(&err);
    sb_error_clear(&err);
    if (desk_duty_body_read(body, &on, &err) == 0)
        CHECK(on == 0 || on == 1, "on_duty %d", on);
    else
        check_refused(&err);
}

/* An accepted SLA policy or calendar keeps every limit; a calendar's hours parse again. */
static void fuzz_sla(const json_t *body)
{
    sb_error err;
    desk_sla_policy_body p;
    sb_error_clear(&err);
    if (desk_sla_policy_body_read(body, &p, &err) == 0) {
        CHECK(p.kind && p.target_seconds >= 1 && p.target_seconds <= DESK_ADMIN_SLA_MAX,
              "target %d", p.target_seconds);
        CHECK(p.warn_share >= 0 && p.warn_share < 1, "warn_share %g", p.warn_share);
        check_id(p.category, "category");
    } else {
        check_refused(&err);
    }
    desk_calendar_body c;
    sb_error_clear(&err);
    if (desk_calendar_body_read(body, &c, &err) == 0) {
        CHECK(c.tz_offset_minutes >= -840 && c.tz_offset_minutes <= 840, "tz %d",
              c.tz_offset_minutes);
        sb_sla_calendar cal;
        sb_sla_calendar_init(&cal);
        const char *day;
        json_t *v;
        json_object_foreach(c.hours, day, v)
            CHECK(sb_sla_calendar_set_hours(&cal, sb_sla_weekday_parse(day),
                                            json_string_value(v)) == 0, "hours.%s", day);
        CHECK(sb_sla_calendar_usable(&cal), "no open day accepted");
        CHECK(sb_sla_calendar_add(&cal, 0, 3600000) > 0, "no deadline");
        CHECK(!c.holidays || json_array_size(c.holidays) <= SB_SLA_CAL_HOLIDAYS_MAX, "holidays");
    } else {
        check_refused(&err);
    }
}

static void fuzz_content(const json_t *body, int create)
{
    sb_error err;
    desk_template_body t;
    sb_error_clear(&err);
    if (desk_template_body_read(body, create, &t, &err) == 0) {
        CHECK(!strcmp(t.language, "zh") || !strcmp(t.language, "en"), "language");
        CHECK(strlen(t.text) <= DESK_ADMIN_TPL_MAX, "body length");
        check_template_text(t.text);
        check_id(t.category, "category");
    } else {
        check_refused(&err);
    }
    desk_cred_body c;
    sb_error_clear(&err);
    if (desk_cred_body_read(body, &c, &err) == 0) {
        CHECK(c.name && strlen(c.name) <= 64, "name");
        CHECK(!c.secret || strcmp(c.kind, "api_key") != 0, "an api_key is never given");
        CHECK(c.rate_per_s >= 0 && c.rate_per_s <= 1e6 && c.burst >= 0 && c.burst <= 1e7,
              "rate %g burst %g", c.rate_per_s, c.burst);
    } else {
        check_refused(&err);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sb_error err;
    sb_error_clear(&err);
    json_t *body = sb_json_parse_object((const char *)data, size, &err);
    if (!body) {
        /* Not JSON: the raw input as a template text still must not crash the check. */
        char *text = fuzz_cstring(data, size);
        if (text && desk_template_text_check(text, "body", &err) == 0)
            check_template_text(text);
        free(text);
        return 0;
    }
    for (int create = 0; create <= 1; create++) {
        fuzz_org(body, create);
        fuzz_content(body, create);
    }
    fuzz_config(body);
    fuzz_sla(body);
    json_decref(body);
    return 0;
}

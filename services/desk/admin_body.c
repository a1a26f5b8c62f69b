/* admin_body.c - what each admin body must hold, field by field (pure: no database, no HTTP). */
#include "services/desk/admin_body.h"

#include <stdio.h>
#include <string.h>

#include "common/channel.h"
#include "common/json.h"
#include "common/sla_calendar.h"

static const char *const adm_roles[] = {"agent", "supervisor", "admin", NULL};
static const char *const adm_languages[] = {"zh", "en", NULL};
static const char *const adm_kinds[] = {"api_key", "hmac_secret", "wechat_token", NULL};
static const char *const adm_sla_kinds[] = {"acknowledgement", "first_response", "next_response",
                                            "resolution", "follow_up", "second_handling", NULL};
static const char *const adm_priorities[] = {"P1", "P2", "P3", NULL};
static const char *const adm_urgencies[] = {"high", "medium", "low", NULL};
static const char *const adm_tiers[] = {"vip", "regular", "new", NULL};

int desk_admin_id_ok(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > max || s[0] == '-' || s[0] == '_')
        return 0;
    return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

/* body[key] as an id (required or not); 400 naming key when it is not one. */
static int adm_id(const json_t *body, const char *key, int required, size_t max,
                  const char **out, sb_error *err)
{
    if (sb_json_get_str(body, "", key, required, max, out, err) != 0)
        return -1;
    if (*out && !desk_admin_id_ok(*out, max))
        return sb_error_set(err, 400, "invalid_field", key,
                            "%s is 1 to %zu of a-z, 0-9, '-' and '_'", key, max);
    return 0;
}

/* body[key] as text that is not blank. */
static int adm_text(const json_t *body, const char *key, int required, size_t max,
                    const char **out, sb_error *err)
{
    if (sb_json_get_str(body, "", key, required, max, out, err) != 0)
        return -1;
    if (*out && strspn(*out, " \t\r\n") == strlen(*out))
        return sb_error_set(err, 400, "invalid_field", key, "%s must not be empty", key);
    return 0;
}

/* body[key] as true/false into *out, -1 when absent. */
static int adm_bool(const json_t *body, const char *key, int *out, sb_error *err)
{
    json_t *v = json_object_get(body, key);
    *out = -1;
    if (!v)
        return 0;
    if (!json_is_boolean(v))
        return sb_error_set(err, 400, "invalid_field", key, "%s must be true or false", key);
    *out = json_is_true(v);
    return 0;
}

/* body[key] as an integer min..max into *out, 0 when absent. */
static int adm_int(const json_t *body, const char *key, int required, long min, long max,
                   int *out, sb_error *err)
{
    json_t *v = json_object_get(body, key);
    *out = 0;
    if (!v && required)
        return sb_error_set(err, 400, "missing_field", key, "%s is required", key);
    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
        return sb_error_set(err, 400, "invalid_field", key, "%s must be an integer %ld..%ld",
                            key, min, max);
    *out = (int)json_integer_value(v);
    return 0;
}

/* body[key] as a number in (min_excl or min)..max into *out, 0 when absent. */
static int adm_number(const json_t *body, const char *key, double min, int min_open,
                      double max, double *out, sb_error *err)
{
    json_t *v = json_object_get(body, key);
    *out = 0;
    if (!v)
        return 0;
    double x = json_number_value(v);
    if (!json_is_number(v) || x > max || x < min || (min_open && x == min))
        return sb_error_set(err, 400, "invalid_field", key, "%s must be a number %s%g..%g", key,
                            min_open ? "above " : "", min, max);
    *out = x;
    return 0;
}

/* body[key] as an array of distinct words (one of words, or ids of up to max bytes when words
 * is NULL), at most DESK_ADMIN_WORDS_MAX; borrowed into *out, NULL when absent. */
static int adm_words(const json_t *body, const char *key, const char *const *words, size_t max,
                     json_t **out, sb_error *err)
{
    if (sb_json_get_arr(body, "", key, 0, out, err) != 0)
        return -1;
    if (!*out)
        return 0;
    if (json_array_size(*out) > DESK_ADMIN_WORDS_MAX)
        return sb_error_set(err, 400, "too_many_items", key, "at most %d %s",
                            DESK_ADMIN_WORDS_MAX, key);
    size_t i, j;
    json_t *v;
    json_array_foreach(*out, i, v) {
        const char *s = json_string_value(v);
        int ok = s && (words ? sb_json_one_of(s, words) : desk_admin_id_ok(s, max));
        if (!ok)
            return sb_error_set(err, 400, "invalid_field", key, "%s[%zu] is not %s", key, i,
                                words ? "one of the allowed words" : "a word of a-z, 0-9, - and _");
        for (j = 0; j < i; j++)
            if (strcmp(s, json_string_value(json_array_get(*out, j))) == 0)
                return sb_error_set(err, 400, "invalid_field", key, "%s[%zu] repeats '%s'", key,
                                    i, s);
    }
    return 0;
}

/* Only the listed members (names[0] is "id", known only when creating). */
static int adm_keys(const json_t *body, int create, const char *const *names, sb_error *err)
{
    return sb_json_only_keys(body, names + !create, "", err);
}

int desk_dept_body_read(const json_t *body, int create, desk_dept_body *d, sb_error *err)
{
    static const char *const keys[] = {"id", "name", NULL};
    memset(d, 0, sizeof *d);
    if (adm_keys(body, create, keys, err) != 0 ||
        adm_id(body, "id", create, DESK_ADMIN_ID_MAX, &d->id, err) != 0 ||
        adm_text(body, "name", 1, DESK_ADMIN_NAME_MAX, &d->name, err) != 0)
        return -1;
    return 0;
}

/* A PATCH that changes nothing is refused: it would record an action that did nothing. */
static int adm_nonempty(const json_t *body, int create, sb_error *err)
{
    if (!create && json_object_size(body) == 0)
        return sb_error_set(err, 400, "no_change", "", "give at least one member to change");
    return 0;
}

int desk_team_body_read(const json_t *body, int create, desk_team_body *t, sb_error *err)
{
    static const char *const keys[] = {"id", "name", "department", "supervisor", NULL};
    memset(t, 0, sizeof *t);
    if (adm_keys(body, create, keys, err) != 0 || adm_nonempty(body, create, err) != 0 ||
        adm_id(body, "id", create, DESK_ADMIN_ID_MAX, &t->id, err) != 0 ||
        adm_text(body, "name", create, DESK_ADMIN_NAME_MAX, &t->name, err) != 0 ||
        adm_id(body, "department", create, DESK_ADMIN_ID_MAX, &t->department, err) != 0 ||
        adm_id(body, "supervisor", create, DESK_ADMIN_ID_MAX, &t->supervisor, err) != 0)
        return -1;
    return 0;
}

/* The agent's team: an id, or null for none. */
static int adm_agent_team(const json_t *body, desk_agent_body *a, sb_error *err)
{
    json_t *v = json_object_get(body, "team");
    a->team_given = v != NULL;
    if (json_is_null(v))
        return 0;
    return adm_id(body, "team", 0, DESK_ADMIN_ID_MAX, &a->team, err);
}

int desk_agent_body_read(const json_t *body, int create, desk_agent_body *a, sb_error *err)
{
    static const char *const keys[] = {"id", "name", "department", "team", "role", "skills",
                                       "languages", "max_open", "on_duty", "contact_read", NULL};
    memset(a, 0, sizeof *a);
    if (adm_keys(body, create, keys, err) != 0 || adm_nonempty(body, create, err) != 0 ||
        adm_id(body, "id", create, DESK_ADMIN_ID_MAX, &a->id, err) != 0 ||
        adm_text(body, "name", create, DESK_ADMIN_NAME_MAX, &a->name, err) != 0 ||
        adm_id(body, "department", create, DESK_ADMIN_ID_MAX, &a->department, err) != 0 ||
        adm_agent_team(body, a, err) != 0 ||
        sb_json_get_str(body, "", "role", create, 16, &a->role, err) != 0)
        return -1;
    if (a->role && !sb_json_one_of(a->role, adm_roles))
        return sb_error_set(err, 400, "invalid_field", "role", "role is agent, supervisor or admin");
    if (adm_words(body, "skills", NULL, DESK_ADMIN_WORD_MAX, &a->skills, err) != 0 ||
        adm_words(body, "languages", adm_languages, 2, &a->languages, err) != 0 ||
        adm_int(body, "max_open", 0, 1, DESK_ADMIN_MAX_OPEN, &a->max_open, err) != 0 ||
        adm_bool(body, "on_duty", &a->on_duty, err) != 0 ||
        adm_bool(body, "contact_read", &a->contact_read, err) != 0)
        return -1;
    if (a->languages && json_array_size(a->languages) == 0)
        return sb_error_set(err, 400, "invalid_field", "languages",
                            "an agent answers in at least one language (zh, en)");
    return 0;
}

/* The routing's skills: {subtopic: skill}, both ids; field "skills.<subtopic>". */
static int adm_routing_skills(const json_t *skills, sb_error *err)
{
    const char *sub;
    json_t *v;
    char field[64];
    if (json_object_size(skills) > 64)
        return sb_error_set(err, 400, "too_many_items", "skills", "at most 64 sub-topics");
    json_object_foreach((json_t *)skills, sub, v) {
        snprintf(field, sizeof field, "skills.%.48s", sub);
        if (!desk_admin_id_ok(sub, DESK_ADMIN_ID_MAX))
            return sb_error_set(err, 400, "invalid_field", field, "not a sub-topic id");
        if (!desk_admin_id_ok(json_string_value(v), DESK_ADMIN_WORD_MAX))
            return sb_error_set(err, 400, "invalid_field", field,
                                "a skill is a word of a-z, 0-9, - and _");
    }
    return 0;
}

int desk_routing_body_read(const json_t *body, desk_routing_body *r, sb_error *err)
{
    static const char *const keys[] = {"lead_department", "co_departments", "skills", NULL};
    memset(r, 0, sizeof *r);
    if (sb_json_only_keys(body, keys, "", err) != 0 ||
        adm_id(body, "lead_department", 1, DESK_ADMIN_ID_MAX, &r->lead_department, err) != 0 ||
        adm_words(body, "co_departments", NULL, DESK_ADMIN_ID_MAX, &r->co_departments, err) != 0 ||
        sb_json_get_obj(body, "", "skills", 0, &r->skills, err) != 0 ||
        (r->skills && adm_routing_skills(r->skills, err) != 0))
        return -1;
    size_t i;
    json_t *v;
    json_array_foreach(r->co_departments, i, v)
        if (strcmp(json_string_value(v), r->lead_department) == 0)
            return sb_error_set(err, 400, "invalid_field", "co_departments",
                                "the lead department cannot also co-operate");
    return 0;
}

int desk_ack_body_read(const json_t *body, int *ack_seconds, sb_error *err)
{
    static const char *const keys[] = {"ack_seconds", NULL};
    if (sb_json_only_keys(body, keys, "", err) != 0)
        return -1;
    return adm_int(body, "ack_seconds", 1, 1, DESK_ADMIN_ACK_MAX, ack_seconds, err);
}

int desk_template_text_check(const char *text, const char *field, sb_error *err)
{
    for (const char *p = text; *p; p++) {
        if (*p == '}')
            return sb_error_set(err, 400, "invalid_placeholder", field,
                                "'}' at byte %zu closes no {{placeholder}}", (size_t)(p - text));
        if (*p != '{')
            continue;
        size_t at = (size_t)(p - text);
        if (p[1] != '{')
            return sb_error_set(err, 400, "invalid_placeholder", field,
                                "'{' at byte %zu: placeholders are {{name}}", at);
        size_t n = strspn(p + 2, "abcdefghijklmnopqrstuvwxyz_");
        if (n == 0 || n > DESK_ADMIN_VAR_MAX || p[2 + n] != '}' || p[3 + n] != '}')
            return sb_error_set(err, 400, "invalid_placeholder", field,
                                "the placeholder at byte %zu must be {{name}} with a name of "
                                "1 to %d of a-z and '_'", at, DESK_ADMIN_VAR_MAX);
        p += 3 + n;
    }
    return 0;
}

int desk_template_body_read(const json_t *body, int create, desk_template_body *t,
                            sb_error *err)
{
    static const char *const keys[] = {"id", "language", "title", "body", "category", NULL};
    memset(t, 0, sizeof *t);
    if (adm_keys(body, create, keys, err) != 0 ||
        adm_id(body, "id", create, DESK_ADMIN_ID_MAX, &t->id, err) != 0 ||
        sb_json_get_str(body, "", "language", 1, 2, &t->language, err) != 0)
        return -1;
    if (!sb_json_one_of(t->language, adm_languages))
        return sb_error_set(err, 400, "invalid_field", "language", "language is zh or en");
    if (adm_text(body, "title", 1, DESK_ADMIN_NAME_MAX, &t->title, err) != 0 ||
        adm_text(body, "body", 1, DESK_ADMIN_TPL_MAX, &t->text, err) != 0 ||
        desk_template_text_check(t->text, "body", err) != 0 ||
        adm_id(body, "category", 0, DESK_ADMIN_ID_MAX, &t->category, err) != 0)
        return -1;
    return 0;
}

/* 1 when every byte of s is printable ASCII other than space. */
static int adm_printable(const char *s)
{
    for (; *s; s++)
        if (*s <= ' ' || *s > '~')
            return 0;
    return 1;
}

int desk_cred_body_read(const json_t *body, desk_cred_body *c, sb_error *err)
{
    static const char *const keys[] = {"channel", "kind", "name", "rate_per_s", "burst",
                                       "secret", NULL};
    memset(c, 0, sizeof *c);
    if (sb_json_only_keys(body, keys, "", err) != 0 ||
        sb_json_get_str(body, "", "channel", 1, 32, &c->channel, err) != 0 ||
        sb_json_get_str(body, "", "kind", 1, 16, &c->kind, err) != 0)
        return -1;
    if (!sb_channel_find(c->channel))
        return sb_error_set(err, 400, "invalid_field", "channel", "no channel '%.32s'", c->channel);
    if (!sb_json_one_of(c->kind, adm_kinds))
        return sb_error_set(err, 400, "invalid_field", "kind",
                            "kind is api_key, hmac_secret or wechat_token");
    int api_key = strcmp(c->kind, "api_key") == 0, wechat = strcmp(c->kind, "wechat_token") == 0;
    if ((wechat && strcmp(c->channel, "wechat") != 0) ||
        (!api_key && !wechat && strcmp(c->channel, "marketplace") != 0))
        return sb_error_set(err, 400, "invalid_field", "channel", "a %s belongs to the %s channel",
                            c->kind, wechat ? "wechat" : "marketplace");
    if (sb_json_get_str(body, "", "name", !api_key && !wechat, 64, &c->name, err) != 0 ||
        adm_number(body, "rate_per_s", 0, 1, 1e6, &c->rate_per_s, err) != 0 ||
        adm_number(body, "burst", 1, 0, 1e7, &c->burst, err) != 0 ||
        sb_json_get_str(body, "", "secret", 0, 256, &c->secret, err) != 0)
        return -1;
    if (!c->name)
        c->name = "";
    /* A marketplace's secret is found by the {name} of its URL, or '*' for any. */
    if (!api_key && !wechat && strcmp(c->name, "*") != 0 && !desk_admin_id_ok(c->name, 40))
        return sb_error_set(err, 400, "invalid_field", "name",
                            "name is the marketplace ([a-z0-9_-]{1,40}) or '*'");
    if (c->secret && api_key)
        return sb_error_set(err, 400, "invalid_field", "secret",
                            "an api_key is generated, never given");
    if (c->secret && wechat &&
        (strlen(c->secret) < 3 || strlen(c->secret) > 32 ||
         strspn(c->secret, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") !=
             strlen(c->secret)))
        return sb_error_set(err, 400, "invalid_field", "secret",
                            "a WeChat token is 3 to 32 letters and digits");
    if (c->secret && !wechat && (strlen(c->secret) < 16 || !adm_printable(c->secret)))
        return sb_error_set(err, 400, "invalid_field", "secret",
                            "a webhook secret is 16 to 256 printable characters, no spaces");
    return 0;
}

int desk_duty_body_read(const json_t *body, int *on_duty, sb_error *err)
{
    static const char *const keys[] = {"on_duty", NULL};
    if (sb_json_only_keys(body, keys, "", err) != 0 || adm_bool(body, "on_duty", on_duty, err) != 0)
        return -1;
    if (*on_duty < 0)
        return sb_error_set(err, 400, "missing_field", "on_duty", "on_duty is required");
    return 0;
}

/* body[key]: absent or null (any: *out NULL), else one of words (or an id when words is NULL). */
static int adm_criterion(const json_t *body, const char *key, const char *const *words,
                         const char **out, sb_error *err)
{
    *out = NULL;
    if (json_is_null(json_object_get(body, key)))
        return 0;
    if (sb_json_get_str(body, "", key, 0, DESK_ADMIN_ID_MAX, out, err) != 0)
        return -1;
    if (*out && !(words ? sb_json_one_of(*out, words) : desk_admin_id_ok(*out, DESK_ADMIN_ID_MAX)))
        return sb_error_set(err, 400, "invalid_field", key, "%s is not one of the allowed values",
                            key);
    return 0;
}

int desk_sla_policy_body_read(const json_t *body, desk_sla_policy_body *p, sb_error *err)
{
    static const char *const keys[] = {"kind", "priority", "urgency", "category", "channel",
                                       "tier", "target_seconds", "business_hours", "warn_share",
                                       "enabled", NULL};
    memset(p, 0, sizeof *p);
    if (sb_json_only_keys(body, keys, "", err) != 0 ||
        sb_json_get_str(body, "", "kind", 1, 32, &p->kind, err) != 0)
        return -1;
    if (!sb_json_one_of(p->kind, adm_sla_kinds))
        return sb_error_set(err, 400, "invalid_field", "kind",
                            "kind is acknowledgement, first_response, next_response, resolution,"
                            " follow_up or second_handling");
    if (adm_criterion(body, "priority", adm_priorities, &p->priority, err) != 0 ||
        adm_criterion(body, "urgency", adm_urgencies, &p->urgency, err) != 0 ||
        adm_criterion(body, "category", NULL, &p->category, err) != 0 ||
        adm_criterion(body, "channel", NULL, &p->channel, err) != 0 ||
        adm_criterion(body, "tier", adm_tiers, &p->tier, err) != 0 ||
        adm_int(body, "target_seconds", 1, 1, DESK_ADMIN_SLA_MAX, &p->target_seconds, err) != 0 ||
        adm_bool(body, "business_hours", &p->business_hours, err) != 0 ||
        adm_bool(body, "enabled", &p->enabled, err) != 0 ||
        adm_number(body, "warn_share", 0, 1, 0.99, &p->warn_share, err) != 0)
        return -1;
    if (p->channel && !sb_channel_find(p->channel))
        return sb_error_set(err, 400, "invalid_field", "channel", "there is no such channel");
    return 0;
}

/* The calendar's hours: {mon..sun: "HH:MM-HH:MM"}, at least one day; field "hours.<day>". */
static int adm_calendar_hours(const json_t *hours, sb_error *err)
{
    sb_sla_calendar cal;
    const char *day;
    json_t *v;
    char field[32];
    sb_sla_calendar_init(&cal);
    json_object_foreach((json_t *)hours, day, v) {
        snprintf(field, sizeof field, "hours.%.16s", day);
        int wd = sb_sla_weekday_parse(day);
        if (wd < 0)
            return sb_error_set(err, 400, "invalid_field", field, "days are mon, tue, wed, thu,"
                                " fri, sat and sun");
        if (sb_sla_calendar_set_hours(&cal, wd, json_string_value(v)) != 0)
            return sb_error_set(err, 400, "invalid_field", field,
                                "hours are \"HH:MM-HH:MM\", closing after opening");
    }
    if (!sb_sla_calendar_usable(&cal))
        return sb_error_set(err, 400, "invalid_field", "hours", "give at least one day's hours");
    return 0;
}

/* The calendar's holidays: distinct "YYYY-MM-DD" dates; field "holidays". */
static int adm_calendar_holidays(const json_t *holidays, sb_error *err)
{
    static sb_sla_calendar cal;   /* 2 KiB of dates: not on the stack of a fuzzer's thread */
    size_t i;
    json_t *v;
    sb_sla_calendar_init(&cal);
    if (json_array_size(holidays) > SB_SLA_CAL_HOLIDAYS_MAX)
        return sb_error_set(err, 400, "too_many_items", "holidays", "at most %d holidays",
                            SB_SLA_CAL_HOLIDAYS_MAX);
    json_array_foreach(holidays, i, v) {
        size_t before = cal.nholidays;
        if (sb_sla_calendar_add_holiday(&cal, json_string_value(v)) != 0)
            return sb_error_set(err, 400, "invalid_field", "holidays",
                                "holidays[%zu] is not a date YYYY-MM-DD", i);
        if (cal.nholidays == before)
            return sb_error_set(err, 400, "invalid_field", "holidays", "holidays[%zu] repeats",
                                i);
    }
    return 0;
}

int desk_calendar_body_read(const json_t *body, desk_calendar_body *c, sb_error *err)
{
    static const char *const keys[] = {"name", "tz_offset_minutes", "hours", "holidays",
                                       "departments", NULL};
    memset(c, 0, sizeof *c);
    c->tz_offset_minutes = 480;
    if (sb_json_only_keys(body, keys, "", err) != 0 ||
        adm_text(body, "name", 1, DESK_ADMIN_NAME_MAX, &c->name, err) != 0 ||
        sb_json_get_obj(body, "", "hours", 1, &c->hours, err) != 0 ||
        adm_calendar_hours(c->hours, err) != 0 ||
        sb_json_get_arr(body, "", "holidays", 0, &c->holidays, err) != 0 ||
        (c->holidays && adm_calendar_holidays(c->holidays, err) != 0) ||
        adm_words(body, "departments", NULL, DESK_ADMIN_ID_MAX, &c->departments, err) != 0)
        return -1;
    if (json_object_get(body, "tz_offset_minutes") &&
        adm_int(body, "tz_offset_minutes", 1, -840, 840, &c->tz_offset_minutes, err) != 0)
        return -1;
    return 0;
}

/* admin_body.h - the bodies of desk's admin API (/v1/admin/...) and of POST /v1/me/duty,
 * checked without the database or HTTP (pure, so tests/fuzz/fuzz_desk_admin.c drives them).
 * Strings point into the body; arrays and objects are borrowed from it. Every reader refuses
 * members it does not know (400 unknown_field naming the member) and names the offending
 * field of any other 400. Whether an id exists is the database's question, asked later. */
#ifndef DESK_ADMIN_BODY_H
#define DESK_ADMIN_BODY_H

#include <jansson.h>
#include "common/error.h"

#define DESK_ADMIN_ID_MAX     48      /* ids of departments, teams, agents, templates */
#define DESK_ADMIN_NAME_MAX   200
#define DESK_ADMIN_WORD_MAX   40      /* a skill */
#define DESK_ADMIN_WORDS_MAX  32      /* skills, co-departments */
#define DESK_ADMIN_MAX_OPEN   1000
#define DESK_ADMIN_ACK_MAX    604800  /* a week */
#define DESK_ADMIN_TPL_MAX    4000    /* a template's body */
#define DESK_ADMIN_VAR_MAX    40      /* a placeholder's name */

/* 1 when s is an id: 1..max of [a-z0-9_-], starting with a letter or digit. */
int desk_admin_id_ok(const char *s, size_t max);

/* POST /v1/admin/departments {id, name}; PATCH /{id} {name} (create 0: id refused). */
typedef struct desk_dept_body {
    const char *id, *name;
} desk_dept_body;
int desk_dept_body_read(const json_t *body, int create, desk_dept_body *d, sb_error *err);

/* POST /v1/admin/teams {id, name, department, supervisor}; PATCH /{id} any but id. */
typedef struct desk_team_body {
    const char *id, *name, *department, *supervisor;   /* NULL when absent */
} desk_team_body;
int desk_team_body_read(const json_t *body, int create, desk_team_body *t, sb_error *err);

/* POST /v1/admin/agents {id, name, department, team?, role, skills?, languages?, max_open?,
 * on_duty?, contact_read?}; PATCH /{id} any but id. */
typedef struct desk_agent_body {
    const char *id, *name, *department, *role;
    const char *team;          /* NULL: absent, or null (no team) when team_given */
    int         team_given;
    json_t     *skills, *languages;   /* arrays; NULL when absent */
    int         max_open;             /* 0 when absent */
    int         on_duty, contact_read;   /* -1 when absent, else 0 / 1 */
} desk_agent_body;
int desk_agent_body_read(const json_t *body, int create, desk_agent_body *a, sb_error *err);

/* PUT /v1/admin/routing/{category} {lead_department, co_departments?, skills?: {subtopic:
 * skill}}: co_departments (not the lead, no repeats) and skills default to none. */
typedef struct desk_routing_body {
    const char *lead_department;
    json_t     *co_departments, *skills;   /* NULL when absent */
} desk_routing_body;
int desk_routing_body_read(const json_t *body, desk_routing_body *r, sb_error *err);

/* PUT /v1/admin/ack-policies/{priority} {ack_seconds: 1..DESK_ADMIN_ACK_MAX}. */
int desk_ack_body_read(const json_t *body, int *ack_seconds, sb_error *err);

/* POST /v1/admin/templates {id, language, title, body, category?}; PUT /{id} the same but id. */
typedef struct desk_template_body {
    const char *id, *language, *title, *text, *category;   /* category NULL: any category */
} desk_template_body;
int desk_template_body_read(const json_t *body, int create, desk_template_body *t,
                            sb_error *err);
/* A template's text: every brace belongs to a {{name}} placeholder, name [a-z_]{1,40}.
 * 0, or -1 with a 400 naming field. */
int desk_template_text_check(const char *text, const char *field, sb_error *err);

/* POST /v1/admin/channel-credentials {channel, kind, name?, rate_per_s?, burst?, secret?}. */
typedef struct desk_cred_body {
    const char *channel, *kind, *name, *secret;   /* name "" and secret NULL when absent */
    double      rate_per_s, burst;                /* 0 when absent (the table's default) */
} desk_cred_body;
int desk_cred_body_read(const json_t *body, desk_cred_body *c, sb_error *err);

/* PUT /v1/admin/sla-policies/{id} {kind, priority?, urgency?, category?, channel?, tier?,
 * target_seconds, business_hours?, warn_share?, enabled?}: a criterion absent or null matches
 * any value. */
#define DESK_ADMIN_SLA_MAX 31536000   /* a year */
typedef struct desk_sla_policy_body {
    const char *kind, *priority, *urgency, *category, *channel, *tier;   /* NULL: any */
    int         target_seconds;
    int         business_hours, enabled;   /* -1 when absent (false, true) */
    double      warn_share;                /* 0 when absent (0.75) */
} desk_sla_policy_body;
int desk_sla_policy_body_read(const json_t *body, desk_sla_policy_body *p, sb_error *err);

/* PUT /v1/admin/calendars/{id} {name, tz_offset_minutes?, hours: {mon: "09:00-18:00", ...},
 * holidays?: ["2026-10-01", ...], departments?: [id, ...]}: hours and holidays are checked by
 * common/sla_calendar (fields "hours.<day>", "holidays"); at least one day has hours. */
typedef struct desk_calendar_body {
    const char *name;
    int         tz_offset_minutes;       /* 480 when absent */
    json_t     *hours, *holidays, *departments;   /* borrowed; holidays/departments NULL: none */
} desk_calendar_body;
int desk_calendar_body_read(const json_t *body, desk_calendar_body *c, sb_error *err);

/* POST /v1/me/duty {on_duty: bool}. */
int desk_duty_body_read(const json_t *body, int *on_duty, sb_error *err);

#endif

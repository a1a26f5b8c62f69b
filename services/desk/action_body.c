/* action_body.c - what each action's body must hold, field by field, and reply templates filled. */
#include "services/desk/action_body.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"

int desk_reclass_body_read(const json_t *body, desk_reclass_body *r, sb_error *err)
{
    static const char *const urgencies[] = {"high", "medium", "low", NULL};
    static const char *const priorities[] = {"P1", "P2", "P3", NULL};
    memset(r, 0, sizeof(*r));
    if (sb_json_get_str(body, "", "category", 1, 31, &r->category, err) != 0 ||
        sb_json_get_str(body, "", "subtopic", 1, 47, &r->subtopic, err) != 0 ||
        sb_json_get_str(body, "", "urgency", 0, 7, &r->urgency, err) != 0 ||
        sb_json_get_str(body, "", "priority", 0, 3, &r->priority, err) != 0 ||
        sb_json_get_str(body, "", "reason", 1, DESK_REASON_MAX, &r->reason, err) != 0)
        return -1;
    if (!*r->category)
        return sb_error_set(err, 400, "invalid_field", "category", "name the category");
    if (!*r->subtopic)
        return sb_error_set(err, 400, "invalid_field", "subtopic", "name the sub-topic");
    if (r->urgency && !sb_json_one_of(r->urgency, urgencies))
        return sb_error_set(err, 400, "invalid_field", "urgency", "urgency is high, medium or low");
    if (r->priority && !sb_json_one_of(r->priority, priorities))
        return sb_error_set(err, 400, "invalid_field", "priority", "priority is P1, P2 or P3");
    if (!*r->reason)
        return sb_error_set(err, 400, "invalid_field", "reason", "say why the ticket is reclassified");
    return 0;
}

/* The tags array: at most DESK_TAGS_MAX non-empty strings of at most DESK_TAG_MAX bytes; a copy
 * (owned), or NULL with err. */
static json_t *resolve_tags(const json_t *body, sb_error *err)
{
    json_t *tags = NULL;
    if (sb_json_get_arr(body, "", "tags", 0, &tags, err) != 0)
        return NULL;
    if (!tags)
        return json_array();
    if (json_array_size(tags) > DESK_TAGS_MAX) {
        sb_error_set(err, 400, "too_many_items", "tags", "at most %d tags", DESK_TAGS_MAX);
        return NULL;
    }
    json_t *out = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(tags, i, v) {
        const char *s = json_string_value(v);
        if (!s || !*s || strlen(s) > DESK_TAG_MAX) {
            sb_error_set(err, 400, "invalid_field", "tags", "tags[%zu]: 1 to %d bytes of text", i,
                         DESK_TAG_MAX);
            json_decref(out);
            return NULL;
        }
        json_array_append(out, v);
    }
    return out;
}

int desk_resolve_body_read(const json_t *body, desk_resolve_body *r, sb_error *err)
{
    static const char *const resolutions[] = {"fully", "partly", "not", NULL};
    memset(r, 0, sizeof(*r));
    if (sb_json_get_str(body, "", "resolution", 1, 16, &r->resolution, err) != 0 ||
        sb_json_get_str(body, "", "solution", 1, DESK_SOLUTION_MAX, &r->solution, err) != 0)
        return -1;
    if (!sb_json_one_of(r->resolution, resolutions))
        return sb_error_set(err, 400, "invalid_field", "resolution",
                            "resolution is fully, partly or not");
    if (!*r->solution)
        return sb_error_set(err, 400, "invalid_field", "solution", "describe the solution");
    r->tags = resolve_tags(body, err);
    return r->tags ? 0 : -1;
}

int desk_status_body_read(const json_t *body, const char **action, const char **note,
                          sb_error *err)
{
    const char *to = NULL;
    if (sb_json_get_str(body, "", "status", 1, 32, &to, err) != 0 ||
        sb_json_get_str(body, "", "note", 0, DESK_MESSAGE_MAX, note, err) != 0)
        return -1;
    if (strcmp(to, "in_progress") == 0)
        *action = "resume";
    else if (strcmp(to, "awaiting_customer") == 0)
        *action = "await_customer";
    else
        return sb_error_set(err, 400, "invalid_field", "status",
                            "status is in_progress or awaiting_customer");
    return 0;
}

int desk_note_body_read(const json_t *body, const char **text, sb_error *err)
{
    if (sb_json_get_str(body, "", "text", 1, DESK_NOTE_MAX, text, err) != 0)
        return -1;
    if (strspn(*text, " \t\r\n") == strlen(*text))
        return sb_error_set(err, 400, "invalid_field", "text", "the note is empty");
    return 0;
}

int desk_urge_body_read(const json_t *body, const char **message, sb_error *err)
{
    return sb_json_get_str(body, "", "message", 0, DESK_MESSAGE_MAX, message, err);
}

/* Variables desk fills itself from the ticket and the caller: a body may not set them. */
static const char *const desk_auto_vars[] = {"customer_name", "ticket_number", "agent_name", NULL};

/* 1 when s is only blanks. */
static int desk_blank(const char *s)
{
    return strspn(s, " \t\r\n") == strlen(s);
}

/* Length of the variable name at s ([a-z0-9_], 1..DESK_VAR_NAME_MAX), 0 when there is none. */
static size_t desk_var_name_len(const char *s)
{
    size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_");
    return n <= DESK_VAR_NAME_MAX ? n : 0;
}

/* A 400 naming "variables.<name>": "{{name}} <what>". -1. */
static int var_error(sb_error *err, const char *code, const char *name, const char *what)
{
    sb_error_set(err, 400, code, "", "{{%s}} %s", name, what);
    snprintf(err->field, sizeof err->field, "variables.%s", name);
    return -1;
}

/* The variables object: names as templates spell them, string values, none desk fills. */
static int reply_variables(const json_t *vars, sb_error *err)
{
    if (json_object_size(vars) > DESK_VARS_MAX)
        return sb_error_set(err, 400, "too_many_items", "variables", "at most %d variables",
                            DESK_VARS_MAX);
    const char *name;
    json_t *v;
    json_object_foreach((json_t *)vars, name, v) {
        size_t n = desk_var_name_len(name);
        if (n == 0 || name[n] != '\0')
            return sb_error_set(err, 400, "invalid_field", "variables",
                                "variable names are 1 to %d of a-z, 0-9 and _", DESK_VAR_NAME_MAX);
        const char *value;
        if (sb_json_get_str(vars, "variables.", name, 1, DESK_VAR_VALUE_MAX, &value, err) != 0)
            return -1;
        if (sb_json_one_of(name, desk_auto_vars))
            return var_error(err, "invalid_field", name, "is filled by desk");
    }
    return 0;
}

int desk_reply_body_read(const json_t *body, desk_reply_body *r, sb_error *err)
{
    static const char *const keys[] = {"text", "template", "variables", NULL};
    json_t *vars = NULL;
    memset(r, 0, sizeof(*r));
    if (sb_json_only_keys(body, keys, "", err) != 0 ||
        sb_json_get_str(body, "", "text", 0, DESK_REPLY_MAX, &r->text, err) != 0 ||
        sb_json_get_str(body, "", "template", 0, DESK_TEMPLATE_MAX, &r->template_id, err) != 0 ||
        sb_json_get_obj(body, "", "variables", 0, &vars, err) != 0)
        return -1;
    if (r->text && r->template_id)
        return sb_error_set(err, 400, "invalid_field", "text", "send text or a template, not both");
    if (!r->text && !r->template_id)
        return sb_error_set(err, 400, "missing_field", "text", "send text or a template");
    if (r->text && desk_blank(r->text))
        return sb_error_set(err, 400, "invalid_field", "text", "the reply is empty");
    if (r->text && vars)
        return sb_error_set(err, 400, "invalid_field", "variables", "variables need a template");
    if (r->template_id && !*r->template_id)
        return sb_error_set(err, 400, "invalid_field", "template", "name the template");
    if (vars && reply_variables(vars, err) != 0)
        return -1;
    r->variables = vars;
    return 0;
}

/* Appends n bytes of s to the reply being built; -1 when it would exceed DESK_REPLY_MAX. */
static int fill_append(char *out, size_t *len, const char *s, size_t n)
{
    if (*len + n > DESK_REPLY_MAX)
        return -1;
    memcpy(out + *len, s, n);
    *len += n;
    return 0;
}

char *desk_reply_fill(const char *tmpl, const json_t *vars, sb_error *err)
{
    char *out = malloc(DESK_REPLY_MAX + 1);
    if (!out) {
        sb_error_set(err, 503, "unavailable", "", "out of memory");
        return NULL;
    }
    size_t len = 0;
    int rc = 0;
    const char *p = tmpl;
    while (rc == 0 && *p) {
        const char *open = strstr(p, "{{");
        size_t n = open ? desk_var_name_len(open + 2) : 0;
        if (!open || n == 0 || strncmp(open + 2 + n, "}}", 2) != 0) {
            /* No placeholder here: copy through the "{{" (or the rest) as text. */
            size_t upto = open ? (size_t)(open - p) + 2 : strlen(p);
            rc = fill_append(out, &len, p, upto);
            p += upto;
            continue;
        }
        char name[DESK_VAR_NAME_MAX + 1];
        snprintf(name, sizeof name, "%.*s", (int)n, open + 2);
        const char *value = json_string_value(json_object_get(vars, name));
        if (!value) {
            var_error(err, "missing_variable", name, "is in the template: give its value");
            free(out);
            return NULL;
        }
        rc = fill_append(out, &len, p, (size_t)(open - p));
        if (rc == 0)
            rc = fill_append(out, &len, value, strlen(value));
        p = open + 2 + n + 2;
    }
    if (rc != 0) {
        sb_error_set(err, 400, "field_too_long", "variables",
                     "the filled reply must be at most %d bytes", DESK_REPLY_MAX);
        free(out);
        return NULL;
    }
    out[len] = '\0';
    /* A variable the template never names is a mistake the agent should hear about. */
    const char *name;
    json_t *v;
    json_object_foreach((json_t *)vars, name, v) {
        char ph[DESK_VAR_NAME_MAX + 8];
        if (sb_json_one_of(name, desk_auto_vars))
            continue;                   /* desk offers them to every template */
        snprintf(ph, sizeof ph, "{{%s}}", name);
        if (!strstr(tmpl, ph)) {
            var_error(err, "unknown_variable", name, "is not in the template");
            free(out);
            return NULL;
        }
    }
    return out;
}

int desk_reassign_body_read(const json_t *body, desk_reassign_body *r, sb_error *err)
{
    static const char *const keys[] = {"agent_id", "department", "reason", NULL};
    memset(r, 0, sizeof(*r));
    if (sb_json_only_keys(body, keys, "", err) != 0 ||
        sb_json_get_str(body, "", "agent_id", 0, 64, &r->agent_id, err) != 0 ||
        sb_json_get_str(body, "", "department", 0, 64, &r->department, err) != 0 ||
        sb_json_get_str(body, "", "reason", 1, DESK_REASON_MAX, &r->reason, err) != 0)
        return -1;
    if (r->agent_id && r->department)
        return sb_error_set(err, 400, "invalid_field", "agent_id",
                            "reassign to an agent or to a department, not both");
    if (!r->agent_id && !r->department)
        return sb_error_set(err, 400, "missing_field", "agent_id",
                            "name the agent_id or the department");
    if (r->agent_id && !*r->agent_id)
        return sb_error_set(err, 400, "invalid_field", "agent_id", "name the agent");
    if (r->department && !*r->department)
        return sb_error_set(err, 400, "invalid_field", "department", "name the department");
    if (desk_blank(r->reason))
        return sb_error_set(err, 400, "invalid_field", "reason", "say why the ticket is reassigned");
    return 0;
}

int desk_merge_body_read(const json_t *body, const char **into, const char **reason,
                         sb_error *err)
{
    static const char *const keys[] = {"into", "reason", NULL};
    if (sb_json_only_keys(body, keys, "", err) != 0 ||
        sb_json_get_str(body, "", "into", 1, 32, into, err) != 0 ||
        sb_json_get_str(body, "", "reason", 1, DESK_REASON_MAX, reason, err) != 0)
        return -1;
    if (!**into)
        return sb_error_set(err, 400, "invalid_field", "into", "name the ticket to merge into");
    if (desk_blank(*reason))
        return sb_error_set(err, 400, "invalid_field", "reason", "say why it is a duplicate");
    return 0;
}

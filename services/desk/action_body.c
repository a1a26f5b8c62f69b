/* action_body.c - what a reclassify or resolve body must hold, field by field. */
#include "services/desk/action_body.h"

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

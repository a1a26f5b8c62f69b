/* fuzz_desk_action.c - bodies of desk's POST /v1/tickets/{number}/{reclassify, resolve,
 * status, note, urge, reply, reassign, merge} through their validation, and reply templates
 * filled with the body's variables: what is accepted keeps every limit, what is refused is a
 * 400 naming a field. */
#define FUZZ_NAME "fuzz_desk_action"
#include "fuzz.h"

#include "common/json.h"
#include "services/desk/action_body.h"

/* A refusal is a 400 with a machine code, a message and (but for a bad shape) the field. */
static void check_refused(const sb_error *err)
{
    CHECK(err->status == 400, "status %d", err->status);
    CHECK(err->code[0] != '\0' && err->message[0] != '\0', "code/message empty");
}

/* The reclassify body as accepted. */
static void check_reclass(const desk_reclass_body *r)
{
    CHECK(r->category && *r->category && strlen(r->category) <= 31, "category");
    CHECK(r->subtopic && *r->subtopic && strlen(r->subtopic) <= 47, "subtopic");
    CHECK(!r->urgency || !strcmp(r->urgency, "high") || !strcmp(r->urgency, "medium") ||
          !strcmp(r->urgency, "low"), "urgency '%s'", r->urgency);
    CHECK(!r->priority || (strlen(r->priority) == 2 && r->priority[0] == 'P' &&
                           r->priority[1] >= '1' && r->priority[1] <= '3'), "priority");
    CHECK(r->reason && *r->reason && strlen(r->reason) <= DESK_REASON_MAX, "reason");
}

/* The resolve body as accepted. */
static void check_resolve(const desk_resolve_body *r)
{
    CHECK(!strcmp(r->resolution, "fully") || !strcmp(r->resolution, "partly") ||
          !strcmp(r->resolution, "not"), "resolution '%s'", r->resolution);
    CHECK(*r->solution && strlen(r->solution) <= DESK_SOLUTION_MAX, "solution");
    CHECK(json_is_array(r->tags) && json_array_size(r->tags) <= DESK_TAGS_MAX, "tags");
    size_t i;
    json_t *v;
    json_array_foreach(r->tags, i, v) {
        const char *s = json_string_value(v);
        CHECK(s && *s && strlen(s) <= DESK_TAG_MAX, "tags[%zu]", i);
    }
}

/* The issue-5 bodies: reply (and its template filled with the body's own variables, the body's
 * "text" standing in for a template), reassign, merge. */
static void check_work_bodies(const json_t *body)
{
    sb_error err;
    desk_reply_body rb;
    sb_error_clear(&err);
    if (desk_reply_body_read(body, &rb, &err) == 0) {
        CHECK(!!rb.text != !!rb.template_id, "exactly one of text and template");
        CHECK(!rb.text || (strlen(rb.text) <= DESK_REPLY_MAX && !rb.variables), "text");
        CHECK(!rb.variables || json_object_size(rb.variables) <= DESK_VARS_MAX, "variables");
    } else {
        check_refused(&err);
    }
    const char *tmpl = json_string_value(json_object_get(body, "text"));
    const json_t *vars = json_object_get(body, "variables");
    if (tmpl && (!vars || json_is_object(vars))) {
        json_t *strs = json_object();
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)vars, k, v)
            if (json_is_string(v))
                json_object_set(strs, k, v);
        sb_error_clear(&err);
        char *out = desk_reply_fill(tmpl, strs, &err);
        if (out) {
            CHECK(strlen(out) <= DESK_REPLY_MAX, "filled reply too long");
            free(out);
        } else {
            check_refused(&err);
        }
        json_decref(strs);
    }
    desk_reassign_body ra;
    sb_error_clear(&err);
    if (desk_reassign_body_read(body, &ra, &err) == 0)
        CHECK(!!ra.agent_id != !!ra.department && ra.reason && *ra.reason, "reassign");
    else
        check_refused(&err);
    const char *into = NULL, *reason = NULL;
    sb_error_clear(&err);
    if (desk_merge_body_read(body, &into, &reason, &err) == 0)
        CHECK(into && *into && strlen(into) <= 32 && reason && *reason, "merge");
    else
        check_refused(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sb_error err;
    sb_error_clear(&err);
    json_t *body = sb_json_parse_object((const char *)data, size, &err);
    if (!body)
        return 0;
    desk_reclass_body rc;
    sb_error_clear(&err);
    if (desk_reclass_body_read(body, &rc, &err) == 0)
        check_reclass(&rc);
    else
        check_refused(&err);
    desk_resolve_body rs;
    sb_error_clear(&err);
    if (desk_resolve_body_read(body, &rs, &err) == 0) {
        check_resolve(&rs);
        json_decref(rs.tags);
    } else {
        check_refused(&err);
    }
    const char *action = NULL, *note = NULL, *text = NULL, *message = NULL;
    sb_error_clear(&err);
    if (desk_status_body_read(body, &action, &note, &err) == 0)
        CHECK((!strcmp(action, "resume") || !strcmp(action, "await_customer")) &&
              (!note || strlen(note) <= DESK_MESSAGE_MAX), "status");
    else
        check_refused(&err);
    sb_error_clear(&err);
    if (desk_note_body_read(body, &text, &err) == 0)
        CHECK(text && strlen(text) <= DESK_NOTE_MAX && strspn(text, " \t\r\n") < strlen(text), "note");
    else
        check_refused(&err);
    sb_error_clear(&err);
    if (desk_urge_body_read(body, &message, &err) == 0)
        CHECK(!message || strlen(message) <= DESK_MESSAGE_MAX, "urge");
    else
        check_refused(&err);
    check_work_bodies(body);
    json_decref(body);
    return 0;
}

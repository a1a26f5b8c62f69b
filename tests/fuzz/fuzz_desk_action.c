/* fuzz_desk_action.c - bodies of desk's POST /v1/tickets/{number}/{reclassify, resolve,
 * status, note, urge} through their validation: what is accepted keeps every limit, what is refused is a 400
 * naming a field. */
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
    json_decref(body);
    return 0;
}

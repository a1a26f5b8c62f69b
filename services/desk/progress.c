/* progress.c - the actions that move work along: acknowledge, status, note, urge. */
#include "services/desk/action.h"
#include "services/desk/action_body.h"

#include <string.h>

int desk_acknowledge_apply(desk_action_call *c, sb_error *err)
{
    /* The task was offered to one agent: only they (or a supervisor) take it. */
    if (c->who->role == SB_ROLE_AGENT && strcmp(c->t.assignee, c->who->subject) != 0)
        return sb_error_set(err, 403, "forbidden", "assignee",
                            "the ticket is assigned to %s", *c->t.assignee ? c->t.assignee : "nobody");
    c->event_type = "acknowledged";
    c->data = json_object();
    return 0;
}

const char *desk_status_action(const json_t *body)
{
    const char *action = NULL, *note = NULL;
    sb_error err;
    return desk_status_body_read(body, &action, &note, &err) == 0 ? action : NULL;
}

int desk_status_apply(desk_action_call *c, sb_error *err)
{
    const char *action = NULL, *note = NULL;
    if (desk_status_body_read(c->body, &action, &note, err) != 0)
        return -1;
    c->event_type = "status_changed";
    c->data = json_pack("{s:s, s:s, s:s*}", "from", c->t.status, "to",
                        strcmp(action, "resume") == 0 ? "acknowledged" : "awaiting_customer",
                        "note", note);
    return 0;
}

int desk_note_apply(desk_action_call *c, sb_error *err)
{
    const char *text = NULL;
    if (desk_note_body_read(c->body, &text, err) != 0)
        return -1;
    c->event_type = "note_added";
    c->data = json_pack("{s:s}", "text", text);
    return 0;
}

int desk_urge_apply(desk_action_call *c, sb_error *err)
{
    const char *message = NULL;
    if (desk_urge_body_read(c->body, &message, err) != 0)
        return -1;
    c->event_type = "urged";
    c->data = json_pack("{s:s*}", "message", message);
    return 0;
}

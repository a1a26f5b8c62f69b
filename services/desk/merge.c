/* merge.c - a duplicate ticket joins the one it repeats: closed, pointing at the survivor. */
#include "services/desk/action.h"
#include "services/desk/action_body.h"

#include <string.h>

/* The survivor, locked in the caller's scope: open (not closed) and not the duplicate itself.
 * 0 with s filled, or -1 with err naming "into". */
static int merge_survivor(desk_action_call *c, const char *into, desk_ticket_row *s,
                          sb_error *err)
{
    if (!desk_number_valid(into))
        return sb_error_set(err, 400, "invalid_field", "into",
                            "a ticket number looks like WX-20261122-000123");
    if (strcmp(into, c->t.number) == 0)
        return sb_error_set(err, 400, "invalid_field", "into", "a ticket cannot merge into itself");
    int found = desk_ticket_lock(c->s->pg, into, c->scope, s);
    if (found < 0)
        return sb_error_set(err, 503, "unavailable", "", "cannot read the ticket now");
    if (!found)
        return sb_error_set(err, 404, "not_found", "into", "no ticket %s", into);
    if (strcmp(s->status, "closed") == 0)
        return sb_error_set(err, 409, "invalid_state", "into", "%s is closed", into);
    return 0;
}

int desk_merge_apply(desk_action_call *c, sb_error *err)
{
    const char *into = NULL, *reason = NULL;
    desk_ticket_row s;
    if (desk_merge_body_read(c->body, &into, &reason, err) != 0 ||
        merge_survivor(c, into, &s, err) != 0)
        return -1;
    const char *p[] = {c->t.id, s.id};
    if (sb_pg_exec(c->s->pg,
                   "UPDATE tickets SET merged_into = CASE WHEN id = $1::uuid THEN $2::uuid"
                   "   ELSE merged_into END, updated_at = now()"
                   " WHERE id IN ($1::uuid, $2::uuid)", 2, p) != 0)
        return sb_error_set(err, 503, "unavailable", "", "cannot merge the tickets now");
    c->event_type = "closed";
    c->data = json_pack("{s:s, s:s, s:s}", "reason", "merged", "merged_into", s.number,
                        "note", reason);
    if (c->data && *c->t.assignee)
        json_object_set_new(c->data, "released_agent", json_string(c->t.assignee));
    c->more = json_pack("[{s:s, s:s, s:s, s:{s:s, s:s}}]", "ticket_id", s.id,
                        "ticket_number", s.number, "type", "merged",
                        "data", "from", c->t.number, "reason", reason);
    return c->data && c->more ? 0 : sb_error_set(err, 503, "unavailable", "", "out of memory");
}

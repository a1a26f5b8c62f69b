/* reassign.c - a supervisor moves a ticket: to a chosen agent, or back to a department's queue. */
#include "services/desk/action.h"
#include "services/desk/action_body.h"

#include <stdio.h>
#include <string.h>

const char *desk_reassign_action(const json_t *body)
{
    desk_reassign_body b;
    sb_error err;
    if (desk_reassign_body_read(body, &b, &err) != 0)
        return NULL;
    return b.agent_id ? "assign" : "requeue";
}

/* "manual: <reason>" as the assigned event's reason (at most 256 bytes, on a UTF-8 boundary). */
static void reassign_reason(const char *reason, char out[257])
{
    size_t n = strlen(reason);
    if (n > 256 - 8) {
        n = 256 - 8;
        while (n > 0 && ((unsigned char)reason[n] & 0xC0) == 0x80)
            n--;                         /* do not cut a character in two */
    }
    snprintf(out, 257, "manual: %.*s", (int)n, reason);
}

/* To an agent: assignee, assignments row, and the acknowledgement deadline of the ticket's
 * priority (ack_policies; an hour when it has none). Fills the assigned event. */
static int reassign_to_agent(desk_action_call *c, const desk_reassign_body *b, sb_error *err)
{
    const desk_ticket_row *t = &c->t;
    if (strcmp(b->agent_id, t->assignee) == 0)
        return sb_error_set(err, 400, "no_change", "agent_id", "the ticket is already %s's",
                            t->assignee);
    char reason[257];
    reassign_reason(b->reason, reason);
    /* The ticket keeps its department; one without any takes the agent's. */
    const char *p[] = {t->id, b->agent_id, t->department, c->event_id, reason, t->priority};
    PGresult *res = sb_pg_query(c->s->pg,
        "WITH a AS (SELECT id, coalesce(NULLIF($3, ''), department_id) AS dept FROM agents"
        "           WHERE id = $2),"
        " tk AS (UPDATE tickets SET assignee = a.id, department_id = a.dept, updated_at = now()"
        "        FROM a WHERE tickets.id = $1::uuid RETURNING a.dept),"
        " asg AS (INSERT INTO assignments (ticket_id, agent_id, department_id, event_id, reason)"
        "         SELECT $1::uuid, a.id, a.dept, $4::uuid, $5 FROM a"
        "         ON CONFLICT (ticket_id) DO UPDATE SET agent_id = EXCLUDED.agent_id,"
        "           department_id = EXCLUDED.department_id, event_id = EXCLUDED.event_id,"
        "           reason = EXCLUDED.reason, assigned_at = now())"
        " SELECT a.dept, " DESK_SQL_ISO("(now() + make_interval(secs => coalesce("
        "          (SELECT ack_seconds FROM ack_policies WHERE priority = NULLIF($6, '')), 3600)))")
        " FROM a",
        6, p);
    if (!res)
        return sb_error_set(err, 503, "unavailable", "", "cannot assign the ticket now");
    if (PQntuples(res) != 1) {
        PQclear(res);
        return sb_error_set(err, 400, "invalid_field", "agent_id", "no agent '%s'", b->agent_id);
    }
    c->event_type = "assigned";
    c->data = json_pack("{s:s, s:s, s:s, s:s, s:b}", "agent_id", b->agent_id,
                        "department", PQgetvalue(res, 0, 0), "reason", reason,
                        "ack_due_at", PQgetvalue(res, 0, 1), "manual", 1);
    PQclear(res);
    if (c->data && *t->assignee)
        json_object_set_new(c->data, "released_agent", json_string(t->assignee));
    return 0;
}

/* To a department's queue: nobody's, in that department, for dispatch to offer again. */
static int reassign_to_queue(desk_action_call *c, const desk_reassign_body *b, sb_error *err)
{
    const desk_ticket_row *t = &c->t;
    if (strcmp(b->department, t->department) == 0 && !*t->assignee &&
        strcmp(t->status, "classified") == 0)
        return sb_error_set(err, 400, "no_change", "department",
                            "the ticket already waits in %s's queue", t->department);
    const char *p[] = {t->id, b->department};
    PGresult *res = sb_pg_query(c->s->pg,
        "WITH d AS (SELECT id FROM departments WHERE id = $2),"
        " tk AS (UPDATE tickets SET department_id = d.id, assignee = NULL, updated_at = now()"
        "        FROM d WHERE tickets.id = $1::uuid RETURNING tickets.id),"
        " gone AS (DELETE FROM assignments WHERE ticket_id IN (SELECT id FROM tk))"
        " SELECT count(*) FROM tk",
        2, p);
    if (!res)
        return sb_error_set(err, 503, "unavailable", "", "cannot requeue the ticket now");
    int found = strcmp(PQgetvalue(res, 0, 0), "1") == 0;
    PQclear(res);
    if (!found)
        return sb_error_set(err, 400, "invalid_field", "department", "no department '%s'",
                            b->department);
    c->event_type = "requeued";
    c->data = json_pack("{s:s, s:s}", "department", b->department, "reason", b->reason);
    if (c->data && *t->assignee)
        json_object_set_new(c->data, "released_agent", json_string(t->assignee));
    return 0;
}

int desk_reassign_apply(desk_action_call *c, sb_error *err)
{
    desk_reassign_body b;
    if (desk_reassign_body_read(c->body, &b, err) != 0)
        return -1;
    return b.agent_id ? reassign_to_agent(c, &b, err) : reassign_to_queue(c, &b, err);
}

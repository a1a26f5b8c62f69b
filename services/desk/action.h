/* action.h - a human action on one ticket: what each action's module is handed and fills. */
#ifndef DESK_ACTION_H
#define DESK_ACTION_H

#include "services/desk/desk.h"

#include "common/ids.h"

/* The ticket as locked for the action (FOR UPDATE), text columns, "" for SQL NULL. */
typedef struct desk_ticket_row {
    char id[40], number[40], status[24], category[32], subtopic[48], urgency[8], priority[4],
         department[32], assignee[64], subject[512], language[8], customer_id[24];
} desk_ticket_row;

typedef struct desk_action_call {
    sb_service         *s;
    const desk_scope   *scope;       /* the caller and what they may see */
    const sb_principal *who;         /* &scope->who */
    desk_ticket_row     t;
    const json_t       *body;        /* the request's JSON object */
    char                event_id[SB_UUID_STRLEN];   /* the id the action's event will have */
    /* Filled by the action: the event it announces (type and data, stolen) and the audit detail
     * (stolen; NULL = the event data). */
    const char         *event_type;
    json_t             *data;
    json_t             *audit;
    /* More events the action causes on other tickets (merge: the survivor's), each
     * {"ticket_id", "ticket_number", "type", "data"}; NULL for none. Each gets the id
     * sb_ids_derived(event_id, type) and the same "by", and is stored and queued after the
     * action's own event. Owned. */
    json_t             *more;
} desk_action_call;

/* Locks the ticket numbered number if it is in scope (FOR UPDATE) into t: 1 found, 0 not (or
 * out of scope), -1 database error. */
int desk_ticket_lock(sb_pg *pg, const char *number, const desk_scope *scope, desk_ticket_row *t);

/* Validates c->body, makes the action's own changes in the open transaction and fills the
 * event. 0, or -1 with err (4xx: nothing is committed). */
typedef int (*desk_action_fn)(desk_action_call *c, sb_error *err);

/* Records the ticket's first message as a labelled example for the classifier (source "person"
 * or "resolved"), in the action's transaction; a triage label (other/unclassified) teaches
 * nothing and is skipped. 0 or -1. */
int desk_action_learn(desk_action_call *c, const char *category, const char *subtopic,
                      const char *source);

/* reply.c / reassign.c / merge.c */
int desk_reply_apply(desk_action_call *c, sb_error *err);
int desk_reassign_apply(desk_action_call *c, sb_error *err);
int desk_merge_apply(desk_action_call *c, sb_error *err);
/* The state machine's action a reassign body asks for ("assign" | "requeue"), or NULL. */
const char *desk_reassign_action(const json_t *body);

/* reclassify.c / resolve.c */
int desk_reclassify_apply(desk_action_call *c, sb_error *err);
int desk_resolve_apply(desk_action_call *c, sb_error *err);
/* progress.c */
int desk_acknowledge_apply(desk_action_call *c, sb_error *err);
int desk_status_apply(desk_action_call *c, sb_error *err);
int desk_note_apply(desk_action_call *c, sb_error *err);
int desk_urge_apply(desk_action_call *c, sb_error *err);
/* The state machine's action a status body asks for ("resume" | "await_customer"), or NULL
 * when the body is not valid (desk_status_apply then says why). */
const char *desk_status_action(const json_t *body);

#endif

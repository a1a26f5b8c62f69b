/* ticket_state.h - the ticket state machine, one table for every service: which action may
 * happen in which status, and the status it leads to. */
#ifndef SB_TICKET_STATE_H
#define SB_TICKET_STATE_H

/* Statuses: new, classified, assigned, acknowledged, awaiting_customer, resolved, closed,
 * reopened. Actions: classify, assign, acknowledge, await_customer, resume, reply, note,
 * reclassify, urge, resolve, reopen, close, requeue (back to a department's queue), merge (a
 * duplicate closed into another ticket).
 * The status after action in status, or NULL when the action is not allowed there. An action
 * that does not move the ticket (note, reclassify, urge, ...) returns status itself. */
const char *sb_ticket_state_next(const char *status, const char *action);
/* 1 when s names a status. */
int         sb_ticket_status_valid(const char *s);

#endif

/* reopen.c - a dissatisfied customer closes the loop: the ticket is reopened for a second
 * handling by the supervisor of the team of the agent who resolved it, in the answer's own
 * transaction; sla arms the second_handling clock from the reopened event. */
#include "services/survey/survey.h"

#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/ids.h"
#include "common/json.h"
#include "common/ticket_event.h"
#include "common/ticket_state.h"

/* What the supervisor is told to expect: the default second-handling policy (sla's clock, from
 * its own policy table, is the one that counts). */
#define REOPEN_NOTICE_DUE_MS (24LL * 3600 * 1000)

/* The supervisor's task notice for reopened event id. NULL when out of memory. */
static json_t *reopen_notice(const char *id, const char *supervisor, const char *number,
                             int64_t now_ms)
{
    char notice_id[SB_UUID_STRLEN], ts[32], due[32], summary[200];
    sb_ids_derived(id, "task_notice", notice_id);
    snprintf(summary, sizeof(summary),
             "%s reopened: the customer was dissatisfied; second handling by you", number);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "type", "task_notice",
                     "event_id", notice_id, "occurred_at",
                     sb_clock_format_iso(now_ms, ts, sizeof(ts)), "source_event_id", id,
                     "recipient", supervisor, "recipient_kind", "supervisor", "ticket_number",
                     number, "summary", summary, "deadline",
                     sb_clock_format_iso(now_ms + REOPEN_NOTICE_DUE_MS, due, sizeof(due)),
                     "reason", "dissatisfied survey answer: second handling");
}

int survey_reopen(survey_ctx *x, PGresult *row, int64_t now_ms, json_t *events, json_t *notices)
{
    const char *survey = PQgetvalue(row, 0, SURVEY_ROW_ID);
    const char *ticket = PQgetvalue(row, 0, SURVEY_ROW_TICKET);
    const char *number = PQgetvalue(row, 0, SURVEY_ROW_NUMBER);
    const char *dept = PQgetvalue(row, 0, SURVEY_ROW_DEPARTMENT);
    const char *supervisor = PQgetisnull(row, 0, SURVEY_ROW_SUPERVISOR)
                                 ? NULL : PQgetvalue(row, 0, SURVEY_ROW_SUPERVISOR);
    /* A duplicate merged into another ticket since: the customer's matter lives on there. */
    if (!sb_ticket_state_next(PQgetvalue(row, 0, SURVEY_ROW_STATUS), "reopen") ||
        PQgetvalue(row, 0, SURVEY_ROW_MERGED)[0] == 't')
        return 0;
    const char *p[] = {ticket, supervisor};
    if (sb_pg_exec(x->s->pg, "UPDATE tickets SET status = 'reopened', assignee = $2,"
                             " updated_at = now() WHERE id = $1::uuid", 2, p) != 0)
        return -1;
    char id[SB_UUID_STRLEN], answered[SB_UUID_STRLEN];
    sb_ids_derived(survey, "survey_answered", answered);
    sb_ids_derived(survey, "reopened", id);
    json_t *ev = sb_ticket_event_new(
        "reopened", id, answered, ticket, number, now_ms,
        json_pack("{s:s, s:s, s:s?, s:s, s:b, s:{s:s, s:s}}", "reason", "dissatisfied",
                  "survey_id", survey, "assignee", supervisor, "department", dept,
                  "second_handling", 1, "by", "subject", "survey", "role", "system"));
    if (!ev || json_array_append_new(events, ev) != 0)
        return -1;
    /* s:s? packs a NULL assignee as null: the ticket waits in the department's queue. */
    if (!supervisor)
        return 1;
    json_t *n = reopen_notice(id, supervisor, number, now_ms);
    return n && json_array_append_new(notices, n) == 0 ? 1 : -1;
}

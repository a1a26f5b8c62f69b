/* create.c - survey's consumer: a resolved ticket the customer contacted us about gets a
 * survey scheduled SB_SURVEY_DELAY_MS after its resolution (round 1, or round 2 after a
 * dissatisfied round 1 reopened it; never a third). */
#include "services/survey/survey.h"

#include <stdlib.h>
#include <string.h>

#include "common/ids.h"
#include "common/json.h"
#include "common/log.h"

static const char *const survey_types[] = {"resolved", NULL};

/* One statement per consumed batch. The rules (services/survey/README.md):
 * - only tickets with a customer message (a ticket opened for a customer contact), not merged
 *   into another one, and not resolved 'not' (nothing was resolved to ask about);
 * - round 1 at the first resolution; round 2 only when round 1 was answered dissatisfied and
 *   reopened the ticket (the second handling); a ticket with both rounds gets no more. ON CONFLICT keeps one per round even
 *   when a batch holds two resolutions of one ticket.
 * The survey id derives from the resolved event's id, so a replay finds the same survey. */
static const char survey_insert_sql[] =
    "INSERT INTO surveys (id, ticket_id, round, resolution, resolved_event_id, resolved_by,"
    "                     channel, due_at)"
    " SELECT r.survey_id, t.id, CASE WHEN s1.id IS NULL THEN 1 ELSE 2 END, r.resolution,"
    "        r.event_id, r.resolved_by, t.channel, to_timestamp(r.due_ms / 1000.0)"
    " FROM jsonb_to_recordset($1::jsonb) AS r(survey_id uuid, event_id uuid, ticket_id uuid,"
    "                                         resolution text, resolved_by text, due_ms bigint)"
    " JOIN tickets t ON t.id = r.ticket_id"
    " LEFT JOIN surveys s1 ON s1.ticket_id = t.id AND s1.round = 1"
    " WHERE r.resolution <> 'not' AND t.merged_into IS NULL"
    "   AND EXISTS (SELECT 1 FROM messages m WHERE m.ticket_id = t.id)"
    "   AND (s1.id IS NULL OR (s1.rating = 'dissatisfied' AND NOT EXISTS"
    "        (SELECT 1 FROM surveys s2 WHERE s2.ticket_id = t.id AND s2.round = 2)"
    "        AND EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_id = t.id"
    "                    AND e.type = 'reopened' AND e.payload->'data'->>'survey_id' = s1.id::text)))"
    " ORDER BY t.id"
    " ON CONFLICT DO NOTHING";

void survey_ctx_init(survey_ctx *x, sb_service *s, const survey_config *cfg,
                     sb_outbox_relay *relay)
{
    memset(x, 0, sizeof(*x));
    x->s = s;
    x->cfg = cfg;
    x->relay = relay;
    sb_metrics *m = s->metrics;
    x->c_scheduled = sb_metrics_counter(m, "surveys_scheduled",
                                        "Surveys scheduled for resolved tickets", NULL);
    x->c_sent = sb_metrics_counter(m, "surveys_sent", "Survey links sent to customers", NULL);
    x->c_expired = sb_metrics_counter(m, "surveys_expired", "Survey links expired unanswered",
                                      NULL);
    x->c_cancelled = sb_metrics_counter(m, "surveys_cancelled",
                                        "Scheduled surveys not sent (ticket merged meanwhile)",
                                        NULL);
    x->c_answered = sb_metrics_counter(m, "surveys_answered", "Survey answers recorded", NULL);
    x->c_reopened = sb_metrics_counter(m, "surveys_reopened",
                                       "Tickets reopened for a second handling (dissatisfied)",
                                       NULL);
    x->c_loop_failed = sb_metrics_counter(m, "survey_loop_failures",
                                          "Due-survey loop transactions rolled back and retried",
                                          NULL);
}

/* 1 when resolution is one the resolved event may carry. */
static int survey_resolution_valid(const char *r)
{
    return r && (!strcmp(r, "fully") || !strcmp(r, "partly") || !strcmp(r, "not"));
}

/* Who resolved it: data.by.subject (desk), else the assignee it released; "" when unknown. */
static const char *survey_resolver(const json_t *data)
{
    const char *by = sb_json_str(json_object_get(data, "by"), "subject");
    if (!by || !*by)
        by = sb_json_str(data, "released_agent");
    return by && strlen(by) <= 64 ? by : "";
}

/* sb_event_consumer_ops.record: resolved -> the survey it may schedule. */
static json_t *survey_record(void *ctx, const sb_event_env *ev, const char **reason)
{
    survey_ctx *x = ctx;
    const char *ticket_id = sb_json_str(ev->json, "ticket_id");
    const json_t *data = json_object_get(ev->json, "data");
    const char *resolution = sb_json_str(data, "resolution");
    if (!ticket_id || !sb_uuid_valid(ticket_id)) {
        *reason = "ticket_id missing or not a UUID";
        return NULL;
    }
    if (!survey_resolution_valid(resolution)) {
        *reason = "data.resolution missing or not fully/partly/not";
        return NULL;
    }
    char survey_id[SB_UUID_STRLEN];
    sb_ids_derived(ev->event_id, "survey", survey_id);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "survey_id", survey_id, "event_id",
                     ev->event_id, "ticket_id", ticket_id, "resolution", resolution,
                     "resolved_by", survey_resolver(data), "due_ms",
                     (json_int_t)(ev->occurred_ms + x->cfg->delay_ms));
}

/* sb_event_consumer_ops.apply */
static int survey_apply(void *ctx, sb_pg *pg, const char *records_json, size_t n)
{
    survey_ctx *x = ctx;
    const char *p[] = {records_json};
    PGresult *res = sb_pg_query(pg, survey_insert_sql, 1, p);
    if (!res)
        return -1;
    x->pending = strtol(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    if ((size_t)x->pending < n)
        sb_debug("surveys_skipped", "%zu resolved tickets get no survey (rules, or already had"
                 " theirs)", n - (size_t)x->pending);
    return 0;
}

/* sb_event_consumer_ops.committed */
static void survey_committed(void *ctx)
{
    survey_ctx *x = ctx;
    sb_counter_add(x->c_scheduled, (uint64_t)x->pending);
    x->pending = 0;
}

const sb_event_consumer_ops survey_create_ops = {
    .types = survey_types,
    .record = survey_record,
    .apply = survey_apply,
    .committed = survey_committed,
};

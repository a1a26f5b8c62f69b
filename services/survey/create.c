/* create.c - survey's consumer: one survey row, with its link token, per resolved ticket. */
#include "services/survey/survey.h"

#include <stdlib.h>
#include <string.h>

#include "common/ids.h"
#include "common/json.h"
#include "common/log.h"

static const char *const survey_types[] = {"resolved", NULL};

/* The token is the only credential of the public link: 32 hex digits from PostgreSQL's strong
 * random source (gen_random_uuid, 122 random bits), made in the INSERT so creating a survey has
 * no failure mode of its own. One survey per ticket: a second resolution keeps the first. */
static const char survey_insert_sql[] =
    "INSERT INTO surveys (ticket_id, token, resolution)"
    " SELECT t.id, replace(gen_random_uuid()::text, '-', ''), r.resolution"
    " FROM jsonb_to_recordset($1::jsonb) AS r(ticket_id uuid, resolution text)"
    " JOIN tickets t ON t.id = r.ticket_id"
    " ORDER BY t.id"
    " ON CONFLICT (ticket_id) DO NOTHING";

void survey_create_init(survey_create *c, sb_metrics *m)
{
    memset(c, 0, sizeof(*c));
    c->c_created = sb_metrics_counter(m, "surveys_created", "Surveys created for resolved tickets",
                                      NULL);
}

/* 1 when resolution is one the resolved event may carry. */
static int survey_resolution_valid(const char *r)
{
    return r && (!strcmp(r, "fully") || !strcmp(r, "partly") || !strcmp(r, "not"));
}

/* sb_event_consumer_ops.record: resolved -> {"ticket_id","resolution"}. */
static json_t *survey_record(void *ctx, const sb_event_env *ev, const char **reason)
{
    (void)ctx;
    const char *ticket_id = sb_json_str(ev->json, "ticket_id");
    const char *resolution = sb_json_str(json_object_get(ev->json, "data"), "resolution");
    if (!ticket_id || !sb_uuid_valid(ticket_id)) {
        *reason = "ticket_id missing or not a UUID";
        return NULL;
    }
    if (!survey_resolution_valid(resolution)) {
        *reason = "data.resolution missing or not fully/partly/not";
        return NULL;
    }
    return json_pack("{s:s, s:s}", "ticket_id", ticket_id, "resolution", resolution);
}

/* sb_event_consumer_ops.apply */
static int survey_apply(void *ctx, sb_pg *pg, const char *records_json, size_t n)
{
    survey_create *c = ctx;
    const char *p[] = {records_json};
    PGresult *res = sb_pg_query(pg, survey_insert_sql, 1, p);
    if (!res)
        return -1;
    c->pending = strtol(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    if ((size_t)c->pending < n)
        sb_debug("surveys_skipped", "%zu resolved tickets already had a survey or are unknown",
                 n - (size_t)c->pending);
    return 0;
}

/* sb_event_consumer_ops.committed */
static void survey_committed(void *ctx)
{
    survey_create *c = ctx;
    sb_counter_add(c->c_created, (uint64_t)c->pending);
}

const sb_event_consumer_ops survey_create_ops = {
    .types = survey_types,
    .record = survey_record,
    .apply = survey_apply,
    .committed = survey_committed,
};

/* rollup.c - analytics' consumer: ticket facts and roll-ups of a whole batch, set-based, in one transaction. */
#include "services/analytics/analytics.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/channel.h"
#include "common/clock.h"
#include "common/ids.h"
#include "common/json.h"
#include "common/log.h"
#include "common/outbox.h"
#include "common/sla_policy.h"

/* The event types applied (README "Events read"). */
static const char *const analytics_types[] = {
    "inbound_message", "opened",         "message_appended", "classified",    "reclassified",
    "assigned",        "acknowledged",   "replied",          "status_changed", "resolved",
    "reopened",        "survey_sent",    "survey_answered",  "survey_expired", "sla_breached",
    "sla_warning",     "escalated",      "closed",           NULL};

/* The facts of the batch's tickets, locked: replicas in a rebalance never interleave. */
static const char analytics_facts_load_sql[] =
    "SELECT coalesce(json_agg(t), '[]')::text FROM (SELECT * FROM analytics_tickets"
    " WHERE ticket_id = ANY($1::uuid[]) ORDER BY ticket_id FOR UPDATE) t";

static const char analytics_facts_save_sql[] =
    "INSERT INTO analytics_tickets SELECT * FROM jsonb_populate_recordset(NULL::analytics_tickets,"
    " $1::jsonb) ORDER BY ticket_id"
    " ON CONFLICT (ticket_id) DO UPDATE SET channel = EXCLUDED.channel,"
    " customer = EXCLUDED.customer, category = EXCLUDED.category, subtopic = EXCLUDED.subtopic,"
    " department = EXCLUDED.department, agent = EXCLUDED.agent, priority = EXCLUDED.priority,"
    " urgency = EXCLUDED.urgency, tier = EXCLUDED.tier,"
    " received_at = EXCLUDED.received_at, opened_at = EXCLUDED.opened_at,"
    " classified_at = EXCLUDED.classified_at, assigned_at = EXCLUDED.assigned_at,"
    " acknowledged_at = EXCLUDED.acknowledged_at, first_response_at = EXCLUDED.first_response_at,"
    " resolved_at = EXCLUDED.resolved_at, reopened_at = EXCLUDED.reopened_at,"
    " answered_at = EXCLUDED.answered_at, paused_since = EXCLUDED.paused_since,"
    " paused_ms = EXCLUDED.paused_ms, contacts = EXCLUDED.contacts,"
    " sla_breached = EXCLUDED.sla_breached, sla_met = EXCLUDED.sla_met";

/* Tickets classified for the first time in this batch whose customer opened another ticket of
 * the same category and sub-topic in the 7 days before (README "repeat contact"). */
static const char analytics_repeat_sql[] =
    "SELECT r.t FROM jsonb_to_recordset($1::jsonb) AS r(t uuid, cust text, cat text, sub text,"
    " opened bigint) WHERE EXISTS (SELECT 1 FROM analytics_tickets p WHERE p.customer = r.cust"
    " AND p.category = r.cat AND p.subtopic = r.sub AND p.ticket_id <> r.t"
    " AND p.opened_at < r.opened AND p.opened_at >= r.opened - 604800000)";

/* The batch's roll-up rows, already summed per key in C (rollup_add): each increment lands in
 * its minute, hour and day, with every dimension (m, h, d) and summed over department and agent
 * (M, H, D: what unfiltered reports read); agent-hours on the side. Summing here instead of in
 * the statement keeps PostgreSQL to one upsert per distinct key: it was a GROUP BY over six
 * rows per increment with thirteen filtered sums each, the most expensive statement of a peak.
 * ORDER BY gives every replica the same lock order. */
#define ANALYTICS_HCOL(i) " h" #i " bigint"
#define ANALYTICS_HSET(i) " h" #i " = analytics_rollup.h" #i " + EXCLUDED.h" #i
static const char analytics_rollup_sql[] =
    "WITH hours AS (INSERT INTO analytics_agent_hours (hour, department, agent)"
    " SELECT DISTINCT date_trunc('hour', to_timestamp(at / 1000.0) AT TIME ZONE 'UTC')"
    " AT TIME ZONE 'UTC', dept, ag FROM jsonb_to_recordset($2::jsonb) AS h(at bigint, dept text,"
    " ag text) ORDER BY 1, 2, 3 ON CONFLICT DO NOTHING)"
    " INSERT INTO analytics_rollup (grain, bucket, metric, channel, category, subtopic,"
    " department, agent, n, sum_ms, h0, h1, h2, h3, h4, h5, h6, h7, h8, h9, h10, h11, h12)"
    " SELECT g, to_timestamp(t / 1000.0), m, ch, cat, sub, dept, ag, n, d, h0, h1, h2, h3, h4,"
    " h5, h6, h7, h8, h9, h10, h11, h12"
    " FROM jsonb_to_recordset($1::jsonb) AS r(g text, t bigint, m text, ch text, cat text,"
    " sub text, dept text, ag text, n bigint, d bigint," ANALYTICS_HCOL(0) "," ANALYTICS_HCOL(1)
    "," ANALYTICS_HCOL(2) "," ANALYTICS_HCOL(3) "," ANALYTICS_HCOL(4) "," ANALYTICS_HCOL(5) ","
    ANALYTICS_HCOL(6) "," ANALYTICS_HCOL(7) "," ANALYTICS_HCOL(8) "," ANALYTICS_HCOL(9) ","
    ANALYTICS_HCOL(10) "," ANALYTICS_HCOL(11) "," ANALYTICS_HCOL(12) ")"
    " ORDER BY 1, 2, 3, 4, 5, 6, 7, 8"
    " ON CONFLICT (grain, bucket, metric, channel, category, subtopic, department, agent)"
    " DO UPDATE SET n = analytics_rollup.n + EXCLUDED.n,"
    " sum_ms = analytics_rollup.sum_ms + EXCLUDED.sum_ms," ANALYTICS_HSET(0) ","
    ANALYTICS_HSET(1) "," ANALYTICS_HSET(2) "," ANALYTICS_HSET(3) "," ANALYTICS_HSET(4) ","
    ANALYTICS_HSET(5) "," ANALYTICS_HSET(6) "," ANALYTICS_HSET(7) "," ANALYTICS_HSET(8) ","
    ANALYTICS_HSET(9) "," ANALYTICS_HSET(10) "," ANALYTICS_HSET(11) "," ANALYTICS_HSET(12);

/* The grains an increment is counted in: with every dimension, and summed over department and
 * agent (the upper-case grain). */
static const struct {
    char    grain, rolled;
    int64_t unit_ms;
} analytics_grains[] = {{'m', 'M', 60000}, {'h', 'H', 3600000}, {'d', 'D', 86400000}};

void analytics_rollup_init(analytics_rollup *r, sb_metrics *m)
{
    memset(r, 0, sizeof(*r));
    r->c_counted = sb_metrics_counter(m, "rollup_events_counted", "Events added to the roll-ups",
                                      NULL);
    r->c_anomalies = sb_metrics_counter(m, "anomalies_detected", "Anomalies raised", NULL);
}

/* The channel of an event as the channel table spells it, or NULL when unknown. Ticket events
 * carry it in data.channel; when they do not, the ticket number's code says it. */
static const char *analytics_channel(const sb_event_env *ev, const json_t *data)
{
    const char *name = strcmp(ev->type, "inbound_message") == 0 ? sb_json_str(ev->json, "channel")
                                                                : sb_json_str(data, "channel");
    if (name) {
        const sb_channel *ch = sb_channel_find(name);
        return ch ? ch->name : NULL;
    }
    char code[3];
    int day;
    int64_t serial;
    if (sb_ticket_number_parse(sb_json_str(ev->json, "ticket_number"), code, &day, &serial) != 0)
        return NULL;
    const sb_channel *ch = sb_channel_by_code(code);
    return ch ? ch->name : NULL;
}

/* rec[key] = obj[src] when it is a string of 1..max bytes; -1 when present but unusable or
 * absent while required. */
static int copy_str(json_t *rec, const char *key, const json_t *obj, const char *src, size_t max,
                    int required)
{
    const json_t *v = json_object_get(obj, src);
    if (!v || json_is_null(v))
        return required ? -1 : 0;
    if (json_is_integer(v)) {   /* ids some producers send as numbers */
        char tmp[32];
        snprintf(tmp, sizeof(tmp), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        json_object_set_new(rec, key, json_string(tmp));
        return 0;
    }
    const char *s = json_string_value(v);
    size_t n = s ? strlen(s) : 0;
    if (!s || n == 0 || n > max)
        return -1;
    json_object_set_new(rec, key, json_string(s));
    return 0;
}

/* rec[key] = obj[src] parsed as an ISO timestamp, in ms (absent is fine). */
static int copy_time(json_t *rec, const char *key, const json_t *obj, const char *src)
{
    const char *s = sb_json_str(obj, src);
    int64_t ms;
    if (!s)
        return 0;
    if (sb_clock_parse_iso(s, &ms) != 0)
        return -1;
    json_object_set_new(rec, key, json_integer(ms));
    return 0;
}

/* The type-specific fields of a ticket event's record; 0 or -1 (dead-letter). */
static int analytics_record_data(json_t *rec, const char *type, const json_t *data)
{
    const size_t D = ANALYTICS_DIM_MAX;
    if (strcmp(type, "opened") == 0)
        return copy_str(rec, "cust", json_object_get(data, "customer"), "key", ANALYTICS_KEY_MAX,
                        0) | copy_str(rec, "tier", json_object_get(data, "customer"), "tier", 15, 0) |
               copy_time(rec, "recv", data, "received_at");
    if (strcmp(type, "classified") == 0)
        return copy_str(rec, "cat", data, "category", D, 1) | copy_str(rec, "sub", data, "subtopic", D, 0) |
               copy_str(rec, "dept", data, "department", D, 0) |
               copy_str(rec, "pri", data, "priority", 7, 0) | copy_str(rec, "urg", data, "urgency", 15, 0);
    if (strcmp(type, "reclassified") == 0) {
        const json_t *after = json_object_get(data, "after");
        return copy_str(rec, "cat", after, "category", D, 0) | copy_str(rec, "sub", after, "subtopic", D, 0) |
               copy_str(rec, "dept", after, "department", D, 0) |
               copy_str(rec, "pri", after, "priority", 7, 0) | copy_str(rec, "urg", after, "urgency", 15, 0);
    }
    if (strcmp(type, "assigned") == 0)
        return copy_str(rec, "ag", data, "agent_id", D, 0) | copy_str(rec, "dept", data, "department", D, 0);
    if (strcmp(type, "reopened") == 0)
        return copy_str(rec, "ag", data, "assignee", D, 0) | copy_str(rec, "dept", data, "department", D, 0);
    if (strcmp(type, "resolved") == 0)
        return copy_str(rec, "res", data, "resolution", D, 0);
    if (strcmp(type, "status_changed") == 0)
        return copy_str(rec, "from", data, "from", D, 0) | copy_str(rec, "to", data, "to", D, 0);
    if (strcmp(type, "sla_breached") == 0 || strcmp(type, "sla_warning") == 0)
        return copy_str(rec, "sk", data, "kind", D, 1) | copy_str(rec, "pol", data, "policy_id", D, 0);
    if (strncmp(type, "survey_", 7) == 0) {
        json_object_set(rec, "rnd", json_object_get(data, "round"));
        if (json_is_true(json_object_get(data, "satisfied")))
            json_object_set_new(rec, "sat", json_true());
    }
    return 0;
}

/* sb_event_consumer_ops.record: an event -> the flat record facts.c reads
 * {k, t, at, ch, and what the type adds}. */
static json_t *analytics_record(void *ctx, const sb_event_env *ev, const char **reason)
{
    (void)ctx;
    const json_t *data = json_object_get(ev->json, "data");
    const char *channel = analytics_channel(ev, data);
    if (!channel) {
        *reason = "no known channel (channel, data.channel or ticket_number)";
        return NULL;
    }
    json_t *rec = json_pack("{s:s, s:I, s:s}", "k", ev->type, "at", (json_int_t)ev->occurred_ms,
                            "ch", channel);
    if (strcmp(ev->type, "inbound_message") == 0)
        return rec;
    const char *ticket = sb_json_str(ev->json, "ticket_id");
    if (!ticket || !sb_uuid_valid(ticket)) {
        json_decref(rec);
        *reason = "ticket_id missing or not a canonical UUID";
        return NULL;
    }
    json_object_set_new(rec, "t", json_string(ticket));
    if (analytics_record_data(rec, ev->type, data) != 0) {
        json_decref(rec);
        *reason = "data field missing, empty, longer than 64 bytes or malformed";
        return NULL;
    }
    return rec;
}

/* ---- apply: one batch ---- */

typedef struct analytics_batch {
    analytics_fact *facts;
    size_t          nfacts;
    sb_sla_policy  *policies;   /* the enabled SLA policies, as this batch's transaction sees them */
    size_t          npolicies;
    analytics_sums  sums;     /* roll-up rows by key, summed (rollup_add) */
    json_t         *hours;
    int             failed;   /* memory ran out while collecting: apply nothing */
} analytics_batch;

/* Order of facts by ticket id (bsearch). */
static int fact_cmp(const void *a, const void *b)
{
    return strcmp(((const analytics_fact *)a)->ticket_id, ((const analytics_fact *)b)->ticket_id);
}

static analytics_fact *fact_find(analytics_batch *b, const char *id)
{
    analytics_fact key;
    snprintf(key.ticket_id, sizeof(key.ticket_id), "%s", id);
    return bsearch(&key, b->facts, b->nfacts, sizeof(*b->facts), fact_cmp);
}

/* The facts' times (epoch ms, NULL in the table for 0 = "not yet") and counters, by column. */
static const struct fact_column {
    const char *name;
    size_t      off;
    int         is_time;   /* int64_t, NULL when 0; else int */
} fact_columns[] = {
    {"received_at", offsetof(analytics_fact, received_at), 1},
    {"opened_at", offsetof(analytics_fact, opened_at), 1},
    {"classified_at", offsetof(analytics_fact, classified_at), 1},
    {"assigned_at", offsetof(analytics_fact, assigned_at), 1},
    {"acknowledged_at", offsetof(analytics_fact, acknowledged_at), 1},
    {"first_response_at", offsetof(analytics_fact, first_response_at), 1},
    {"resolved_at", offsetof(analytics_fact, resolved_at), 1},
    {"reopened_at", offsetof(analytics_fact, reopened_at), 1},
    {"answered_at", offsetof(analytics_fact, answered_at), 1},
    {"paused_since", offsetof(analytics_fact, paused_since), 1},
    {"contacts", offsetof(analytics_fact, contacts), 0},
    {"sla_breached", offsetof(analytics_fact, sla_breached), 0},
    {"sla_met", offsetof(analytics_fact, sla_met), 0},
};
#define NFACT_COLUMNS (sizeof(fact_columns) / sizeof(fact_columns[0]))

/* The dimension columns (strings) of a fact. */
static const struct fact_dim {
    const char *name;
    size_t      off, size;
} fact_dims[] = {
    {"channel", offsetof(analytics_fact, channel), sizeof(((analytics_fact *)0)->channel)},
    {"customer", offsetof(analytics_fact, customer), sizeof(((analytics_fact *)0)->customer)},
    {"category", offsetof(analytics_fact, category), sizeof(((analytics_fact *)0)->category)},
    {"subtopic", offsetof(analytics_fact, subtopic), sizeof(((analytics_fact *)0)->subtopic)},
    {"department", offsetof(analytics_fact, department), sizeof(((analytics_fact *)0)->department)},
    {"agent", offsetof(analytics_fact, agent), sizeof(((analytics_fact *)0)->agent)},
    {"priority", offsetof(analytics_fact, priority), sizeof(((analytics_fact *)0)->priority)},
    {"urgency", offsetof(analytics_fact, urgency), sizeof(((analytics_fact *)0)->urgency)},
    {"tier", offsetof(analytics_fact, tier), sizeof(((analytics_fact *)0)->tier)},
};
#define NFACT_DIMS (sizeof(fact_dims) / sizeof(fact_dims[0]))

/* A stored row (json_agg of analytics_tickets) into f. */
static void fact_from_row(analytics_fact *f, const json_t *o)
{
    char *base = (char *)f;
    for (size_t i = 0; i < NFACT_DIMS; i++) {
        const char *v = sb_json_str(o, fact_dims[i].name);
        snprintf(base + fact_dims[i].off, fact_dims[i].size, "%s", v ? v : "");
    }
    for (size_t i = 0; i < NFACT_COLUMNS; i++) {
        json_int_t v = json_integer_value(json_object_get(o, fact_columns[i].name));
        if (fact_columns[i].is_time)
            *(int64_t *)(void *)(base + fact_columns[i].off) = (int64_t)v;
        else
            *(int *)(void *)(base + fact_columns[i].off) = (int)v;
    }
    f->paused_ms = (int64_t)json_integer_value(json_object_get(o, "paused_ms"));
}

/* f as a row for jsonb_populate_recordset; NULL when memory ran out. */
static json_t *fact_to_row(const analytics_fact *f)
{
    const char *base = (const char *)f;
    json_t *o = json_pack("{s:s, s:I}", "ticket_id", f->ticket_id, "paused_ms",
                          (json_int_t)f->paused_ms);
    int rc = o ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < NFACT_DIMS; i++)
        rc = json_object_set_new(o, fact_dims[i].name, json_string(base + fact_dims[i].off));
    for (size_t i = 0; rc == 0 && i < NFACT_COLUMNS; i++) {
        const struct fact_column *c = &fact_columns[i];
        int64_t v = c->is_time ? *(const int64_t *)(const void *)(base + c->off)
                               : *(const int *)(const void *)(base + c->off);
        rc = json_object_set_new(o, c->name, c->is_time && !v ? json_null() : json_integer(v));
    }
    if (rc != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static void batch_emit(void *ctx, const analytics_fact *f, int64_t at_ms, const char *metric,
                       int n, int64_t dur_ms);

/* A met clock of kind, credited to the policy sla chose its target by: the most specific
 * enabled policy matching the ticket (common/sla_policy.h, the same choice sla makes). */
static void batch_emit_met_policy(analytics_batch *b, const analytics_fact *f, int64_t at_ms,
                                  const char *kind, int n)
{
    sb_sla_ticket_attrs attrs = {f->priority, f->urgency, f->category, f->channel, f->tier};
    const sb_sla_policy *p = sb_sla_policy_choose(b->policies, b->npolicies, kind, &attrs);
    char metric[ANALYTICS_DIM_MAX + 48];
    if (!p)
        return;
    snprintf(metric, sizeof(metric), "sla_met_policy:%s:%s", kind, p->id);
    batch_emit(b, f, at_ms, metric, n, -1);
}

/* One increment into the rows of its six grains: minute, hour and day, each with every
 * dimension and summed over department and agent. 0 or -1. */
static int rollup_add(analytics_sums *s, const analytics_fact *f, int64_t at_ms,
                      const char *metric, int n, int64_t dur_ms)
{
    const char *all[ANALYTICS_SUM_DIMS] = {metric, f->channel, f->category, f->subtopic,
                                           f->department, f->agent};
    const char *rolled[ANALYTICS_SUM_DIMS] = {metric, f->channel, f->category, f->subtopic, "", ""};
    char packed[2][8 * (ANALYTICS_DIM_MAX + 48)];
    size_t len[2] = {analytics_sums_pack(packed[0], sizeof(packed[0]), all),
                     analytics_sums_pack(packed[1], sizeof(packed[1]), rolled)};
    if (!len[0] || !len[1])
        return -1;
    uint64_t hash[2] = {analytics_sums_hash(packed[0], len[0]),
                        analytics_sums_hash(packed[1], len[1])};
    for (size_t g = 0; g < sizeof(analytics_grains) / sizeof(analytics_grains[0]); g++) {
        int64_t unit = analytics_grains[g].unit_ms;
        int64_t bucket = at_ms - ((at_ms % unit) + unit) % unit;   /* floor, before 1970 too */
        if (analytics_sums_add(s, analytics_grains[g].grain, bucket, packed[0], len[0], hash[0],
                               n, dur_ms) != 0 ||
            analytics_sums_add(s, analytics_grains[g].rolled, bucket, packed[1], len[1], hash[1],
                               n, dur_ms) != 0)
            return -1;
    }
    return 0;
}

/* analytics_emit_fn: one increment for the roll-ups. */
static void batch_emit(void *ctx, const analytics_fact *f, int64_t at_ms, const char *metric,
                       int n, int64_t dur_ms)
{
    analytics_batch *b = ctx;
    if (rollup_add(&b->sums, f, at_ms, metric, n, dur_ms) != 0)
        b->failed = 1;   /* a lost increment would be a wrong count: the batch is retried */
    else if (strncmp(metric, "sla_met:", 8) == 0)
        batch_emit_met_policy(b, f, at_ms, metric + 8, n);
}

/* Loads (and locks) the facts of every ticket the records name; new tickets start empty. */
static int batch_load(analytics_batch *b, sb_pg *pg, const json_t *recs)
{
    size_t n = json_array_size(recs), k = 0;
    const char **ids = calloc(n ? n : 1, sizeof(*ids));
    b->facts = calloc(n ? n : 1, sizeof(*b->facts));
    if (!ids || !b->facts) {
        free(ids);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const char *t = sb_json_str(json_array_get(recs, i), "t");
        if (t)
            snprintf(b->facts[k++].ticket_id, sizeof(b->facts[0].ticket_id), "%s", t);
    }
    qsort(b->facts, k, sizeof(*b->facts), fact_cmp);
    size_t u = 0;
    for (size_t i = 0; i < k; i++)
        if (u == 0 || strcmp(b->facts[u - 1].ticket_id, b->facts[i].ticket_id) != 0)
            b->facts[u++] = b->facts[i];
    b->nfacts = k = u;
    for (size_t i = 0; i < k; i++)
        ids[i] = b->facts[i].ticket_id;
    char *arr = sb_pg_array_literal(ids, k);
    free(ids);
    const char *p[] = {arr};
    PGresult *res = arr ? sb_pg_query(pg, analytics_facts_load_sql, 1, p) : NULL;
    free(arr);
    if (!res)
        return -1;
    json_t *rows = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
    PQclear(res);
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        analytics_fact *f = fact_find(b, sb_json_str(row, "ticket_id") ? sb_json_str(row, "ticket_id") : "");
        if (f)
            fact_from_row(f, row);
    }
    json_decref(rows);
    return 0;
}

/* Repeat contacts among the tickets first classified in this batch (facts already saved). */
static int batch_repeats(analytics_batch *b, sb_pg *pg)
{
    json_t *cand = json_array();
    for (size_t i = 0; i < b->nfacts; i++) {
        const analytics_fact *f = &b->facts[i];
        if (f->first_classified && f->customer[0] && f->opened_at &&
            json_array_append_new(cand, json_pack("{s:s, s:s, s:s, s:s, s:I}", "t", f->ticket_id,
                                                  "cust", f->customer, "cat", f->category, "sub",
                                                  f->subtopic, "opened", (json_int_t)f->opened_at)) != 0)
            b->failed = 1;
    }
    int rc = 0;
    if (json_array_size(cand) > 0) {
        char *text = sb_json_dump(cand);
        const char *p[] = {text};
        PGresult *res = text ? sb_pg_query(pg, analytics_repeat_sql, 1, p) : NULL;
        free(text);
        if (!res) {
            rc = -1;
        } else {
            for (int r = 0; r < PQntuples(res); r++) {
                const analytics_fact *f = fact_find(b, PQgetvalue(res, r, 0));
                if (f)
                    batch_emit(b, f, f->classified_at, "repeat_contact", 1, -1);
            }
            PQclear(res);
        }
    }
    json_decref(cand);
    return rc;
}

/* Applies the records in order to their tickets' facts, collecting increments and agent-hours. */
static void batch_run(analytics_batch *b, const json_t *recs)
{
    size_t i;
    const json_t *rec;
    json_array_foreach(recs, i, rec) {
        const char *t = sb_json_str(rec, "t");
        analytics_fact *f = t ? fact_find(b, t) : NULL;
        analytics_fact_apply(f, rec, batch_emit, b);
        if (f && f->agent[0] && analytics_fact_is_work(rec) &&
            json_array_append_new(b->hours, json_pack("{s:I, s:s, s:s}", "at",
                                                      json_integer_value(json_object_get(rec, "at")),
                                                      "dept", f->department, "ag", f->agent)) != 0)
            b->failed = 1;
    }
}

/* Upserts the summed roll-up rows and the agent-hours; 0 or -1. */
static int rollup_write(analytics_batch *b, sb_pg *pg)
{
    json_t *list = analytics_sums_json(&b->sums);
    if (!list)
        b->failed = 1;
    char *sums = b->failed ? NULL : sb_json_dump(list), *hours = sb_json_dump(b->hours);
    json_decref(list);
    const char *q[] = {sums, hours};
    int rc = sums && hours && sb_pg_exec(pg, analytics_rollup_sql, 2, q) == 0 ? 0 : -1;
    free(sums);
    free(hours);
    return rc;
}

/* Saves the facts, counts repeats, writes the roll-ups; 0 or -1. */
static int batch_write(analytics_batch *b, sb_pg *pg)
{
    json_t *rows = json_array();
    for (size_t i = 0; rows && i < b->nfacts; i++)
        if (json_array_append_new(rows, fact_to_row(&b->facts[i])) != 0)
            b->failed = 1;
    if (b->failed || !rows) {
        json_decref(rows);
        return -1;
    }
    char *text = sb_json_dump(rows);
    json_decref(rows);
    const char *p[] = {text};
    int rc = text && (b->nfacts == 0 || sb_pg_exec(pg, analytics_facts_save_sql, 1, p) == 0) ? 0 : -1;
    free(text);
    if (rc != 0 || batch_repeats(b, pg) != 0 || b->failed)
        return -1;
    return rollup_write(b, pg);
}

/* sb_event_consumer_ops.apply */
static int analytics_apply(void *ctx, sb_pg *pg, const char *records_json, size_t n)
{
    analytics_rollup *r = ctx;
    json_t *recs = json_loads(records_json, 0, NULL);
    analytics_batch b = {.facts = NULL, .nfacts = 0, .hours = json_array(), .failed = 0};
    int rc = -1;
    if (recs && b.hours && sb_sla_policies_load(pg, &b.policies, &b.npolicies) == 0 &&
        batch_load(&b, pg, recs) == 0) {
        batch_run(&b, recs);
        rc = batch_write(&b, pg);
    }
    int found = rc == 0 ? analytics_anomalies_detect(pg, records_json) : -1;
    if (found < 0)
        rc = -1;
    json_decref(recs);
    analytics_sums_free(&b.sums);
    json_decref(b.hours);
    free(b.facts);
    free(b.policies);
    r->pending = (long)n;
    r->pending_anomalies = found > 0 ? found : 0;
    return rc;
}

/* sb_event_consumer_ops.committed */
static void analytics_committed(void *ctx)
{
    analytics_rollup *r = ctx;
    sb_counter_add(r->c_counted, (uint64_t)r->pending);
    if (r->pending_anomalies > 0) {
        sb_counter_add(r->c_anomalies, (uint64_t)r->pending_anomalies);
        if (r->relay)
            sb_outbox_relay_kick(r->relay);
    }
}

const sb_event_consumer_ops analytics_rollup_ops = {
    .types = analytics_types,
    .record = analytics_record,
    .apply = analytics_apply,
    .committed = analytics_committed,
    /* A peak's opened, classified and assigned of one ticket then mostly share a batch: its
     * facts row is written once, and the roll-up rows of a minute are summed before they are
     * written, instead of three times over. */
    .max_batch = 2000,
};

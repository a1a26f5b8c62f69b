/* at_risk.c - the periodic breach-risk scan behind sla_at_risk. */
#include "services/sla/at_risk.h"

#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/ids.h"
#include "common/json.h"
#include "common/kafka.h"
#include "common/log.h"
#include "common/ticket_event.h"
#include "services/sla/estimate.h"

struct sla_at_risk {
    sb_pg           *pg;
    sb_outbox_relay *relay;
    sla_watch       *watch;
    struct event    *ev;
    int64_t          window_ms;
    sb_counter      *c_raised;
};

/* Every owed first response of a department with enough recent first responses: its place in
 * the department's queue (oldest first: the ones ahead of it) and the department's count of
 * first responses in the window. $1 = now, $2 = window ms, $3 = the minimum sample. */
static const char risk_candidates_sql[] =
    "WITH owed AS ("
    "  SELECT s.ticket_id, s.due_at, s.at_risk_at, COALESCE(s.source_event_id, s.ticket_id) AS source,"
    "         t.department_id, t.number, t.assignee,"
    "         row_number() OVER (PARTITION BY t.department_id"
    "                            ORDER BY COALESCE(s.started_at, s.armed_at), s.ticket_id) - 1 AS ahead"
    "  FROM sla_timers s JOIN tickets t ON t.id = s.ticket_id"
    "  WHERE s.kind = 'first_response' AND s.state = 'armed' AND t.department_id IS NOT NULL),"
    " rate AS ("
    "  SELECT t.department_id, count(*) AS handled FROM sla_timers s JOIN tickets t ON t.id = s.ticket_id"
    "  WHERE s.kind = 'first_response' AND s.state IN ('met', 'breached')"
    "    AND s.settled_at > $1::timestamptz - $2::bigint * interval '1 millisecond'"
    "    AND s.settled_at <= $1::timestamptz"
    "  GROUP BY t.department_id)"
    " SELECT o.ticket_id, o.number, o.department_id, o.ahead, r.handled,"
    "        floor(extract(epoch FROM o.due_at) * 1000)::bigint, o.source,"
    "        COALESCE(tm.supervisor_id, o.department_id || '-lead')"
    " FROM owed o JOIN rate r ON r.department_id = o.department_id"
    " LEFT JOIN agents a ON a.id = o.assignee LEFT JOIN teams tm ON tm.id = a.team_id"
    " WHERE o.at_risk_at IS NULL AND o.due_at > $1::timestamptz AND r.handled >= $3::bigint"
    " ORDER BY o.due_at, o.ticket_id";

/* At most this many clocks are raised per scan, the nearest deadlines first: a peak's backlog
 * (tens of thousands at risk at once) is announced over a few scans instead of holding the
 * loop, and the outbox relay in it, for minutes. */
#define RISK_MAX_PER_SCAN 500

/* Marks the clocks at risk, each once: only a clock still armed by the same event and not yet
 * marked (a concurrent or repeated scan finds it marked and announces nothing). */
static const char risk_mark_sql[] =
    "UPDATE sla_timers s SET at_risk_at = $2::timestamptz"
    " FROM jsonb_to_recordset($1::jsonb) AS r(ticket_id uuid, source uuid)"
    " WHERE s.ticket_id = r.ticket_id AND s.kind = 'first_response' AND s.state = 'armed'"
    "   AND s.at_risk_at IS NULL AND COALESCE(s.source_event_id, s.ticket_id) = r.source"
    " RETURNING s.ticket_id::text";

enum { R_TICKET, R_NUMBER, R_DEPT, R_AHEAD, R_HANDLED, R_DUE, R_SOURCE, R_SUPERVISOR };

/* The sla_at_risk event and the supervisor's notice for candidate row i. -1 when out of memory. */
static int risk_announce(sb_pg *pg, const PGresult *res, int i, int64_t now_ms,
                         int64_t estimated, double per_hour)
{
    const char *ticket = PQgetvalue(res, i, R_TICKET), *number = PQgetvalue(res, i, R_NUMBER);
    const char *dept = PQgetvalue(res, i, R_DEPT), *source = PQgetvalue(res, i, R_SOURCE);
    const char *supervisor = PQgetvalue(res, i, R_SUPERVISOR);
    char id[SB_UUID_STRLEN], notice_id[SB_UUID_STRLEN], due[32], est[32], ts[32], summary[256];
    sb_clock_format_iso(strtoll(PQgetvalue(res, i, R_DUE), NULL, 10), due, sizeof(due));
    sb_clock_format_iso(estimated, est, sizeof(est));
    sb_ids_derived(source, "sla_at_risk:first_response", id);
    sb_ids_derived(id, "sla_alert", notice_id);
    long ahead = strtol(PQgetvalue(res, i, R_AHEAD), NULL, 10);
    json_t *ev = sb_ticket_event_new(
        "sla_at_risk", id, source, ticket, number, now_ms,
        json_pack("{s:s, s:s, s:s, s:i, s:f, s:s}", "kind", "first_response", "due_at", due,
                  "estimated_at", est, "queue_ahead", (int)ahead, "handled_per_hour", per_hour,
                  "department", dept));
    snprintf(summary, sizeof(summary), "%s: %ld ahead at %.1f/h, first response expected %s,"
             " due %s", number, ahead, per_hour, est, due);
    json_t *notice = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "type", "sla_alert",
        "event_id", notice_id, "occurred_at", sb_clock_format_iso(now_ms, ts, sizeof(ts)),
        "source_event_id", id, "recipient", supervisor, "recipient_kind", "supervisor",
        "ticket_id", ticket, "ticket_number", number, "summary", summary, "alert", "at_risk",
        "kind", "first_response", "due_at", due, "department", dept);
    json_t *events = json_array();
    int rc = ev && notice && events && json_array_append(events, ev) == 0 ? 0 : -1;
    if (rc == 0)
        rc = sb_ticket_events_store(pg, events);
    if (rc == 0)
        rc = sb_outbox_add(pg, SB_TOPIC_TICKETS, ticket, ev);
    if (rc == 0)
        rc = sb_outbox_add(pg, SB_TOPIC_NOTIFICATIONS, supervisor, notice);
    json_decref(events);
    json_decref(ev);
    json_decref(notice);
    return rc;
}

/* The candidates at risk (owned by this replica) as the mark statement's recordset; their row
 * numbers in res go to rows (n of them). Caller frees. */
static char *risk_pick(sla_at_risk *r, const PGresult *res, int64_t now, int *rows, int *n)
{
    json_t *pick = json_array();
    *n = 0;
    for (int i = 0; pick && i < PQntuples(res); i++) {
        int64_t est;
        sb_uuid t;
        if (!sla_estimate_at_risk(now, strtol(PQgetvalue(res, i, R_AHEAD), NULL, 10),
                                  strtol(PQgetvalue(res, i, R_HANDLED), NULL, 10), r->window_ms,
                                  strtoll(PQgetvalue(res, i, R_DUE), NULL, 10), &est) ||
            sb_uuid_parse(PQgetvalue(res, i, R_TICKET), &t) != 0 || !sla_watch_owns(r->watch, &t))
            continue;
        json_array_append_new(pick, json_pack("{s:s, s:s}", "ticket_id",
                                              PQgetvalue(res, i, R_TICKET), "source",
                                              PQgetvalue(res, i, R_SOURCE)));
        rows[(*n)++] = i;
        if (*n == RISK_MAX_PER_SCAN)
            break;
    }
    char *text = pick && *n ? sb_json_dump(pick) : NULL;
    json_decref(pick);
    return text;
}

/* strcmp for qsort/bsearch over an array of C strings. */
static int risk_str_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Mark and announce the picked rows in one transaction. Raised, or -1 (rolled back). */
static int risk_raise(sla_at_risk *r, const PGresult *res, const char *pick, const int *rows,
                      int n, int64_t now)
{
    char ts[32];
    const char *p[] = {pick, sb_clock_format_iso(now, ts, sizeof(ts))};
    if (sb_pg_begin(r->pg) != 0)
        return -1;
    PGresult *marked = sb_pg_query(r->pg, risk_mark_sql, 2, p);
    int nm = marked ? PQntuples(marked) : 0;
    const char **ids = marked ? calloc((size_t)nm + 1, sizeof(*ids)) : NULL;
    int rc = ids ? 0 : -1, raised = 0;
    for (int m = 0; rc == 0 && m < nm; m++)
        ids[m] = PQgetvalue(marked, m, 0);
    if (rc == 0)
        qsort(ids, (size_t)nm, sizeof(*ids), risk_str_cmp);
    /* Announce what the mark really took (a concurrent scan may have taken some). */
    for (int k = 0; rc == 0 && k < n; k++) {
        int i = rows[k];
        const char *ticket = PQgetvalue(res, i, R_TICKET);
        if (!bsearch(&ticket, ids, (size_t)nm, sizeof(*ids), risk_str_cmp))
            continue;
        long handled = strtol(PQgetvalue(res, i, R_HANDLED), NULL, 10);
        int64_t est = sla_estimate_answer_ms(now, strtol(PQgetvalue(res, i, R_AHEAD), NULL, 10),
                                             handled, r->window_ms);
        rc = risk_announce(r->pg, res, i, now, est, sla_estimate_per_hour(handled, r->window_ms));
        raised++;
    }
    free(ids);
    PQclear(marked);
    if (rc != 0 || sb_pg_commit(r->pg) != 0) {
        sb_pg_rollback(r->pg);
        return -1;
    }
    return raised;
}

/* ev: one scan. */
static void risk_on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    sla_at_risk *r = arg;
    int64_t now = sb_clock_now_ms();
    char ts[32], window[24], sample[8];
    snprintf(window, sizeof(window), "%lld", (long long)r->window_ms);
    snprintf(sample, sizeof(sample), "%d", SLA_ESTIMATE_MIN_SAMPLE);
    const char *p[] = {sb_clock_format_iso(now, ts, sizeof(ts)), window, sample};
    PGresult *res = sb_pg_ensure(r->pg) == 0 ? sb_pg_query(r->pg, risk_candidates_sql, 3, p)
                                             : NULL;
    if (!res)
        return;
    int *rows = calloc((size_t)PQntuples(res) + 1, sizeof(*rows)), n = 0;
    char *pick = rows ? risk_pick(r, res, now, rows, &n) : NULL;
    int raised = pick ? risk_raise(r, res, pick, rows, n, now) : 0;
    if (raised < 0)
        sb_warn("sla_at_risk", "could not raise %d at-risk tickets; next scan retries", n);
    else if (raised > 0) {
        sb_counter_add(r->c_raised, (uint64_t)raised);
        sb_info("sla_at_risk", "%d tickets at risk of missing their first response", raised);
        sb_outbox_relay_kick(r->relay);
    }
    free(pick);
    free(rows);
    PQclear(res);
}

sla_at_risk *sla_at_risk_new(struct event_base *base, sb_pg *pg, sb_outbox_relay *relay,
                             sla_watch *watch, sb_metrics *metrics, int64_t every_ms,
                             int64_t window_ms)
{
    sla_at_risk *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->pg = pg;
    r->relay = relay;
    r->watch = watch;
    r->window_ms = window_ms;
    r->ev = event_new(base, -1, EV_PERSIST, risk_on_tick, r);
    struct timeval tv = {(time_t)(every_ms / 1000), (suseconds_t)(every_ms % 1000) * 1000};
    if (!r->ev || evtimer_add(r->ev, &tv) != 0) {
        sla_at_risk_free(r);
        return NULL;
    }
    r->c_raised = sb_metrics_counter(metrics, "sla_at_risk",
                                     "Tickets estimated to miss their first response", NULL);
    return r;
}

void sla_at_risk_free(sla_at_risk *r)
{
    if (!r)
        return;
    if (r->ev)
        event_free(r->ev);
    free(r);
}

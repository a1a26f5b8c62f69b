/* watch.c - sla's deadlines: a min-heap fed by the consumer, one libevent timer at the
 * earliest, and firing that is exactly-once across restarts and replicas. */
#include "services/sla/watch.h"

#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/ids.h"
#include "common/json.h"
#include "common/kafka.h"
#include "common/log.h"
#include "common/ticket_event.h"

/* Timers fired per transaction; more due at once wait for the next turn of the loop. */
#define WATCH_FIRE_MAX     500
/* After a failed firing transaction: try those timers again this much later. */
#define WATCH_RETRY_MS     1000
/* The sweep: every SWEEP_MS, armed timers due within 2 x SWEEP_MS are (re)loaded, so a
 * timer another replica armed (and that replica then died) is still fired. */
#define WATCH_SWEEP_MS     30000
/* Before the first partition assignment, due clocks are looked at this often. */
#define WATCH_UNOWNED_MS   100

struct sla_watch {
    sb_pg           *pg;
    sb_outbox_relay *relay;
    sla_heap         heap;
    struct event    *ev_due, *ev_sweep;
    int              retrying;      /* ev_due is a retry backoff, not the earliest deadline */
    sla_watch_cfg    cfg;
    int32_t          npart;         /* sb.tickets.v1 partitions; 0: none assigned yet, -1: all */
    uint8_t         *owned;         /* npart flags: this replica holds partition i */
    sb_counter      *c_escalations, *c_fired, *c_failed, *c_foreign;
    sb_gauge        *g_in_memory;
};

/* Each due clock that still waits for exactly that instant (next_at) takes its next step:
 * - the acknowledgement escalates (breached) when the ticket still waits on that agent, else
 *   it is met (dispatch re-offers an escalated ticket);
 * - another clock at its warning instant is warned (next_at moves to the deadline);
 * - at its deadline it is breached (next_at moves to the first urge reminder);
 * - a breached, unsettled clock at an urge instant counts one more reminder (until the cap).
 * The conditional UPDATE is what makes every step exactly-once: a retried, replayed or
 * concurrent (other replica) firing finds next_at moved (or the row settled) and does nothing.
 * Rows are locked in one order (as the consumer locks them), so replicas cannot deadlock.
 * $2 = now, $3 = urge interval ms, $4 = urge cap. */
static const char watch_fire_sql[] =
    "WITH due AS ("
    "  SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(ticket_id uuid, kind text, due_ms bigint)),"
    " locked AS ("
    "  SELECT s.ticket_id, s.kind,"
    "         CASE WHEN s.state = 'armed' AND s.kind = 'acknowledgement' THEN 'escalate'"
    "              WHEN s.state = 'armed' AND s.warned_at IS NULL AND s.next_at = s.warn_at"
    "                   AND s.warn_at < s.due_at THEN 'warning'"
    "              WHEN s.state = 'armed' THEN 'breach' ELSE 'urge' END AS phase"
    "  FROM sla_timers s JOIN due r"
    "    ON s.ticket_id = r.ticket_id AND s.kind = r.kind"
    "   AND floor(extract(epoch FROM s.next_at) * 1000)::bigint = r.due_ms"
    "  WHERE s.state = 'armed' OR (s.state = 'breached' AND s.settled_at IS NULL)"
    "  ORDER BY s.ticket_id, s.kind FOR UPDATE OF s),"
    " fired AS ("
    "  UPDATE sla_timers s SET"
    "    state = CASE l.phase WHEN 'escalate' THEN CASE WHEN t.status = 'assigned'"
    "        AND t.assignee IS NOT NULL AND t.assignee = COALESCE(s.agent_id, t.assignee)"
    "        THEN 'breached' ELSE 'met' END WHEN 'breach' THEN 'breached' ELSE s.state END,"
    "    warned_at = CASE WHEN l.phase = 'warning' THEN $2::timestamptz ELSE s.warned_at END,"
    "    reminders = s.reminders + (l.phase = 'urge')::int,"
    "    next_at = CASE l.phase WHEN 'warning' THEN s.due_at"
    "      WHEN 'breach' THEN CASE WHEN $4::int > 0"
    "        THEN s.due_at + $3::bigint * interval '1 millisecond' END"
    "      WHEN 'urge' THEN CASE WHEN s.reminders + 1 < $4::int"
    "        THEN s.next_at + $3::bigint * interval '1 millisecond' END END"
    "  FROM locked l, tickets t"
    "  WHERE s.ticket_id = l.ticket_id AND s.kind = l.kind AND t.id = s.ticket_id"
    "  RETURNING s.ticket_id, s.kind, l.phase, s.state, s.due_at,"
    "            COALESCE(s.source_event_id, s.ticket_id) AS source, t.assignee, t.number,"
    "            t.department_id, s.policy_id, s.warn_share, s.business_hours, s.reminders,"
    "            floor(extract(epoch FROM s.next_at) * 1000)::bigint AS next_ms)"
    " SELECT f.ticket_id, f.number, f.kind, f.assignee,"
    "        COALESCE(f.department_id, a.department_id),"
    "        to_char(f.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), f.source,"
    "        COALESCE(tm.supervisor_id, COALESCE(f.department_id, a.department_id) || '-lead'),"
    "        f.phase, f.state, COALESCE(f.policy_id, ''), COALESCE(f.warn_share, 0),"
    "        f.business_hours, f.reminders, f.next_ms"
    " FROM fired f LEFT JOIN agents a ON a.id = f.assignee LEFT JOIN teams tm ON tm.id = a.team_id"
    " ORDER BY f.ticket_id, f.kind";

/* Columns of watch_fire_sql's result. */
enum { F_TICKET, F_NUMBER, F_KIND, F_AGENT, F_DEPT, F_DUE, F_SOURCE, F_SUPERVISOR, F_PHASE,
       F_STATE, F_POLICY, F_SHARE, F_BUSINESS, F_REMINDERS, F_NEXT };

static const char watch_load_sql[] =
    "SELECT " SLA_TIMER_COLUMNS " FROM sla_timers s"
    " WHERE s.next_at IS NOT NULL AND s.kind = ANY ($1::text[])"
    "   AND s.next_at <= COALESCE($2::timestamptz, 'infinity')";

int sla_timer_from_row(const PGresult *res, int row, int col, sla_timer *out)
{
    int kind = sla_kind_parse(PQgetvalue(res, row, col + 1));
    char *end;
    memset(out, 0, sizeof(*out));
    if (kind < 0 || sb_uuid_parse(PQgetvalue(res, row, col), &out->ticket) != 0 ||
        sb_uuid_parse(PQgetvalue(res, row, col + 3), &out->source) != 0)
        return -1;
    out->due_ms = strtoll(PQgetvalue(res, row, col + 2), &end, 10);
    out->kind = (uint8_t)kind;
    return *end ? -1 : 0;
}

/* Keep the gauge in step with the heap. */
static void watch_gauge(sla_watch *w)
{
    sb_gauge_set(w->g_in_memory, (double)sla_heap_size(&w->heap));
}

void sla_watch_arm(sla_watch *w, const sla_timer *t)
{
    if (sla_heap_set(&w->heap, t) != 0)
        /* Still armed in PostgreSQL: the sweep picks it up again before it is due. */
        sb_warn("timer_heap", "out of memory: a timer waits for the sweep");
}

void sla_watch_forget(sla_watch *w, const sb_uuid *ticket, uint8_t kind)
{
    sla_heap_remove(&w->heap, ticket, kind);
}

void sla_watch_reschedule(sla_watch *w)
{
    watch_gauge(w);
    if (w->retrying)
        return;   /* the retry comes first and reschedules after it */
    int64_t wait = sla_heap_wait_ms(&w->heap, sb_clock_now_ms());
    if (wait < 0) {
        evtimer_del(w->ev_due);
        return;
    }
    if (wait > w->cfg.tick_ms)
        wait = w->cfg.tick_ms;
    if (w->npart == 0 && wait < WATCH_UNOWNED_MS)
        wait = WATCH_UNOWNED_MS;   /* nothing is ours yet: look again, do not spin */
    struct timeval tv = {(time_t)(wait / 1000), (suseconds_t)(wait % 1000) * 1000};
    evtimer_add(w->ev_due, &tv);
}

/* Load armed timers of the watched kinds due before due_before_ms (-1: all). 0 or -1. */
static int watch_load_until(sla_watch *w, int64_t due_before_ms)
{
    const char *names[SLA_KIND_COUNT];
    for (int k = 0; k < SLA_KIND_COUNT; k++)
        names[k] = sla_kind_name((sla_kind)k);
    char *kinds = sb_pg_array_literal(names, SLA_KIND_COUNT), until[32];
    const char *p[] = {kinds, due_before_ms < 0 ? NULL
                                                : sb_clock_format_iso(due_before_ms, until,
                                                                      sizeof(until))};
    PGresult *res = kinds && sb_pg_ensure(w->pg) == 0 ? sb_pg_query(w->pg, watch_load_sql, 2, p)
                                                      : NULL;
    free(kinds);
    if (!res)
        return -1;
    sla_timer t;
    for (int i = 0; i < PQntuples(res); i++)
        if (sla_timer_from_row(res, i, 0, &t) == 0)
            sla_watch_arm(w, &t);
    sb_debug("timers_loaded", "%d armed timers, %zu in memory", PQntuples(res),
             sla_heap_size(&w->heap));
    PQclear(res);
    sla_watch_reschedule(w);
    return 0;
}

int sla_watch_load(sla_watch *w)
{
    if (watch_load_until(w, -1) != 0)
        return -1;
    struct timeval tv = {WATCH_SWEEP_MS / 1000, 0};
    return evtimer_add(w->ev_sweep, &tv);
}

/* The escalated event and the supervisor's notification for fired row i, appended to events
 * and notices. -1 when out of memory. */
static int watch_escalation(PGresult *res, int i, int64_t now_ms, json_t *events, json_t *notices)
{
    const char *ticket = PQgetvalue(res, i, F_TICKET), *number = PQgetvalue(res, i, F_NUMBER);
    const char *kind = PQgetvalue(res, i, F_KIND), *agent = PQgetvalue(res, i, F_AGENT);
    const char *dept = PQgetvalue(res, i, F_DEPT), *due = PQgetvalue(res, i, F_DUE);
    const char *source = PQgetvalue(res, i, F_SOURCE);
    const char *supervisor = PQgetvalue(res, i, F_SUPERVISOR);
    char id[SB_UUID_STRLEN], notice_id[SB_UUID_STRLEN], reason[160], summary[256], ts[32];
    sb_ids_derived(source, "escalated", id);
    sb_ids_derived(id, "escalation", notice_id);
    snprintf(reason, sizeof(reason), "not acknowledged by %s before %s", agent, due);
    json_t *ev = sb_ticket_event_new(
        "escalated", id, source, ticket, number, now_ms,
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "kind", kind, "agent_id", agent,
                  "supervisor_id", supervisor, "department", dept, "due_at", due, "reason",
                  reason));
    snprintf(summary, sizeof(summary), "%s: %s did not acknowledge by %s; re-offering", number,
             agent, due);
    json_t *notice = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "type", "escalation",
        "event_id", notice_id, "occurred_at", sb_clock_format_iso(now_ms, ts, sizeof(ts)),
        "source_event_id", id, "recipient", supervisor, "recipient_kind", "supervisor",
        "ticket_id", ticket, "ticket_number", number, "summary", summary, "agent_id", agent,
        "department", dept, "due_at", due);
    int oom = json_array_append_new(events, ev) != 0;
    oom |= json_array_append_new(notices, notice) != 0;
    return oom || !ev || !notice ? -1 : 0;
}

/* A text column, or JSON null when SQL NULL. */
static json_t *watch_str_or_null(const PGresult *res, int i, int c)
{
    return PQgetisnull(res, i, c) ? json_null() : json_string(PQgetvalue(res, i, c));
}

/* The sla_alert notice for the event ev (alert = warning, breach, urge): a warning or an urge
 * goes to the agent who holds the ticket (its supervisor when nobody does), a breach to the
 * supervisor (the agent when the ticket has no department). NULL when nobody can be told. */
static json_t *watch_alert(const PGresult *res, int i, const json_t *ev, const char *alert,
                           int64_t now_ms, int reminder)
{
    int has_agent = !PQgetisnull(res, i, F_AGENT);
    int has_sup = !PQgetisnull(res, i, F_SUPERVISOR);
    int to_agent = strcmp(alert, "breach") == 0 ? !has_sup && has_agent : has_agent;
    if (!to_agent && !has_sup)
        return NULL;
    const char *recipient = PQgetvalue(res, i, to_agent ? F_AGENT : F_SUPERVISOR);
    const char *number = PQgetvalue(res, i, F_NUMBER), *kind = PQgetvalue(res, i, F_KIND);
    const char *due = PQgetvalue(res, i, F_DUE), *id = sb_json_str(ev, "event_id");
    char notice_id[SB_UUID_STRLEN], summary[256], ts[32];
    sb_ids_derived(id, "sla_alert", notice_id);
    if (strcmp(alert, "warning") == 0)
        snprintf(summary, sizeof(summary), "%s: %s due at %s", number, kind, due);
    else if (strcmp(alert, "breach") == 0)
        snprintf(summary, sizeof(summary), "%s: %s breached (due at %s)", number, kind, due);
    else
        snprintf(summary, sizeof(summary), "%s: %s overdue since %s (reminder %d)", number, kind,
                 due, reminder);
    json_t *n = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "type",
        "sla_alert", "event_id", notice_id, "occurred_at",
        sb_clock_format_iso(now_ms, ts, sizeof(ts)), "source_event_id", id, "recipient",
        recipient, "recipient_kind", to_agent ? "agent" : "supervisor", "ticket_id",
        PQgetvalue(res, i, F_TICKET), "ticket_number", number, "summary", summary, "alert", alert,
        "kind", kind, "due_at", due, "agent_id", watch_str_or_null(res, i, F_AGENT),
        "department", watch_str_or_null(res, i, F_DEPT));
    if (n && reminder > 0)
        json_object_set_new(n, "reminder", json_integer(reminder));
    return n;
}

/* sla_warning, sla_breached or urged for fired row i (phase warning, breach, urge) and its
 * sla_alert notice, appended to events and notices (a JSON null when nobody can be told). */
static int watch_sla_event(PGresult *res, int i, int64_t now_ms, json_t *events, json_t *notices)
{
    const char *phase = PQgetvalue(res, i, F_PHASE), *kind = PQgetvalue(res, i, F_KIND);
    const char *source = PQgetvalue(res, i, F_SOURCE);
    int reminder = atoi(PQgetvalue(res, i, F_REMINDERS));
    char id[SB_UUID_STRLEN], name[64];
    json_t *data;
    const char *type, *alert;
    if (strcmp(phase, "warning") == 0) {
        type = "sla_warning";
        alert = "warning";
        data = json_pack("{s:s, s:s, s:s, s:f}", "kind", kind, "policy_id",
                         PQgetvalue(res, i, F_POLICY), "due_at", PQgetvalue(res, i, F_DUE),
                         "share", strtod(PQgetvalue(res, i, F_SHARE), NULL));
        snprintf(name, sizeof(name), "sla_warning:%s", kind);
    } else if (strcmp(phase, "breach") == 0) {
        type = "sla_breached";
        alert = "breach";
        data = json_pack("{s:s, s:s, s:s, s:b}", "kind", kind, "policy_id",
                         PQgetvalue(res, i, F_POLICY), "due_at", PQgetvalue(res, i, F_DUE),
                         "business_hours", PQgetvalue(res, i, F_BUSINESS)[0] == 't');
        snprintf(name, sizeof(name), "sla_breached:%s", kind);
    } else {
        type = "urged";
        alert = "urge";
        data = json_pack("{s:{s:s, s:s}, s:s, s:i, s:s}", "by", "subject", "sla", "role",
                         "system", "kind", kind, "reminder", reminder, "due_at",
                         PQgetvalue(res, i, F_DUE));
        snprintf(name, sizeof(name), "urged:%s:%d", kind, reminder);
    }
    if (data && strcmp(type, "urged") != 0) {
        json_object_set_new(data, "agent_id", watch_str_or_null(res, i, F_AGENT));
        json_object_set_new(data, "department", watch_str_or_null(res, i, F_DEPT));
        json_object_set_new(data, "supervisor_id", watch_str_or_null(res, i, F_SUPERVISOR));
    }
    sb_ids_derived(source, name, id);
    json_t *ev = sb_ticket_event_new(type, id, source, PQgetvalue(res, i, F_TICKET),
                                     PQgetvalue(res, i, F_NUMBER), now_ms, data);
    json_t *notice = ev ? watch_alert(res, i, ev, alert, now_ms, reminder) : NULL;
    int oom = !ev || json_array_append_new(events, ev) != 0;
    oom |= json_array_append_new(notices, notice ? notice : json_null()) != 0;
    return oom ? -1 : 0;
}

/* Inside the firing transaction: store and queue what the fired rows imply. Events made, or
 * -1. */
static int watch_announce(sb_pg *pg, PGresult *res)
{
    json_t *events = json_array(), *notices = json_array();
    int64_t now_ms = sb_clock_now_ms();
    int rc = events && notices ? 0 : -1;
    for (int i = 0; rc == 0 && i < PQntuples(res); i++) {
        if (strcmp(PQgetvalue(res, i, F_PHASE), "escalate") != 0)
            rc = watch_sla_event(res, i, now_ms, events, notices);
        else if (strcmp(PQgetvalue(res, i, F_STATE), "breached") == 0)
            rc = watch_escalation(res, i, now_ms, events, notices);
    }
    if (rc == 0)
        rc = sb_ticket_events_store(pg, events);
    for (size_t i = 0; rc == 0 && i < json_array_size(events); i++) {
        const json_t *ev = json_array_get(events, i), *n = json_array_get(notices, i);
        rc = sb_outbox_add(pg, SB_TOPIC_TICKETS, sb_json_str(ev, "ticket_id"), ev);
        if (rc == 0 && !json_is_null(n))
            rc = sb_outbox_add(pg, SB_TOPIC_NOTIFICATIONS, sb_json_str(n, "recipient"), n);
    }
    int made = rc == 0 ? (int)json_array_size(events) : -1;
    json_decref(events);
    json_decref(notices);
    return made;
}

/* The due timers as the fire statement's JSON parameter (caller frees). */
static char *watch_due_json(const sla_timer *due, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        char id[SB_UUID_STRLEN];
        sb_uuid_format(&due[i].ticket, id);
        json_array_append_new(arr, json_pack("{s:s, s:s, s:I}", "ticket_id", id, "kind",
                                             sla_kind_name(due[i].kind), "due_ms",
                                             (json_int_t)due[i].due_ms));
    }
    char *text = arr ? sb_json_dump(arr) : NULL;
    json_decref(arr);
    return text;
}

/* Fire the n due timers in one transaction: events made, or -1 (rolled back). *fired keeps
 * the changed rows (caller PQclears) so the clocks with a next step go back in the heap. */
static int watch_fire(sla_watch *w, const sla_timer *due, size_t n, PGresult **fired)
{
    char *param = watch_due_json(due, n);
    *fired = NULL;
    if (!param || sb_pg_ensure(w->pg) != 0 || sb_pg_begin(w->pg) != 0) {
        free(param);
        return -1;
    }
    char now[32], every[24], max[16];
    snprintf(every, sizeof(every), "%lld", (long long)w->cfg.urge_every_ms);
    snprintf(max, sizeof(max), "%d", w->cfg.urge_max);
    const char *p[] = {param, sb_clock_format_iso(sb_clock_now_ms(), now, sizeof(now)), every,
                       max};
    PGresult *res = sb_pg_query(w->pg, watch_fire_sql, 4, p);
    free(param);
    int made = res ? watch_announce(w->pg, res) : -1;
    if (made < 0 || sb_pg_commit(w->pg) != 0) {
        PQclear(res);
        sb_pg_rollback(w->pg);
        return -1;
    }
    *fired = res;
    return made;
}

/* After a committed firing: clocks with a next step (the deadline after a warning, the next
 * urge reminder) go back in the heap. */
static void watch_rearm_fired(sla_watch *w, PGresult *res)
{
    for (int i = 0; res && i < PQntuples(res); i++) {
        if (PQgetisnull(res, i, F_NEXT))
            continue;
        sla_timer t;
        memset(&t, 0, sizeof(t));
        int kind = sla_kind_parse(PQgetvalue(res, i, F_KIND));
        if (kind < 0 || sb_uuid_parse(PQgetvalue(res, i, F_TICKET), &t.ticket) != 0 ||
            sb_uuid_parse(PQgetvalue(res, i, F_SOURCE), &t.source) != 0)
            continue;
        t.kind = (uint8_t)kind;
        t.due_ms = strtoll(PQgetvalue(res, i, F_NEXT), NULL, 10);
        sla_watch_arm(w, &t);
    }
}

int sla_watch_owns(const sla_watch *w, const sb_uuid *ticket)
{
    if (w->npart == 0)
        return 0;
    if (w->npart < 0)
        return 1;
    char key[SB_UUID_STRLEN];
    sb_uuid_format(ticket, key);
    int32_t p = sb_kafka_partition_of(key, strlen(key), w->npart);
    return p >= 0 && w->owned[p];
}

void sla_watch_partitions(sla_watch *w, int assigned, const int32_t *parts, int n,
                          int32_t npartitions)
{
    if (npartitions < 0) {
        /* The count is unknown: fire everything (exactly-once holds; replicas only repeat
         * attempts). */
        free(w->owned);
        w->owned = NULL;
        w->npart = assigned ? -1 : w->npart;
    } else if (npartitions != w->npart) {
        uint8_t *owned = calloc((size_t)npartitions, 1);
        if (!owned) {
            sb_error("sla_partitions", "out of memory: firing every clock");
            free(w->owned);
            w->owned = NULL;
            w->npart = -1;
            return;
        }
        for (int32_t i = 0; w->owned && i < w->npart && i < npartitions; i++)
            owned[i] = w->owned[i];
        free(w->owned);
        w->owned = owned;
        w->npart = npartitions;
    }
    for (int i = 0; w->owned && i < n; i++)
        if (parts[i] >= 0 && parts[i] < w->npart)
            w->owned[parts[i]] = (uint8_t)assigned;
    /* Clocks of the partitions just taken may have been dropped here while another replica
     * held them: load them all again (setting what the heap holds changes nothing). */
    if (assigned && watch_load_until(w, -1) != 0)
        sb_warn("sla_partitions", "could not reload the clocks; the sweep will");
}

/* ev_due: fire everything due now that this replica owns, in batches of WATCH_FIRE_MAX. */
static void watch_on_due(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    sla_watch *w = arg;
    static sla_timer due[WATCH_FIRE_MAX];
    size_t n = 0;
    w->retrying = 0;
    if (w->npart == 0) {
        /* No partition assigned yet (starting, or rebalancing): whoever owns them fires. */
        sla_watch_reschedule(w);
        return;
    }
    int64_t now = sb_clock_now_ms();
    while (n < WATCH_FIRE_MAX && sla_heap_pop_due(&w->heap, now, &due[n])) {
        if (sla_watch_owns(w, &due[n].ticket))
            n++;
        else   /* another replica's; reloaded if its partition comes here */
            sb_counter_add(w->c_foreign, 1);
    }
    PGresult *fired = NULL;
    int made = n ? watch_fire(w, due, n, &fired) : 0;
    if (made < 0) {
        /* Nothing happened in PostgreSQL: keep them and try again shortly. */
        for (size_t i = 0; i < n; i++)
            sla_watch_arm(w, &due[i]);
        sb_counter_add(w->c_failed, 1);
        sb_warn("timers_fire", "%zu due timers not fired, retrying in %d ms", n, WATCH_RETRY_MS);
        struct timeval tv = {WATCH_RETRY_MS / 1000, (WATCH_RETRY_MS % 1000) * 1000};
        w->retrying = 1;
        evtimer_add(w->ev_due, &tv);
        watch_gauge(w);
        return;
    }
    watch_rearm_fired(w, fired);
    PQclear(fired);
    sb_counter_add(w->c_fired, n);
    if (made > 0) {
        sb_counter_add(w->c_escalations, (uint64_t)made);
        sb_info("sla_fired", "%d events (escalations, warnings, breaches, reminders) for %zu due"
                " clocks", made, n);
        sb_outbox_relay_kick(w->relay);
    }
    sla_watch_reschedule(w);
}

/* ev_sweep: reload what is due soon, in case another replica armed it and went away. */
static void watch_on_sweep(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    sla_watch *w = arg;
    if (watch_load_until(w, sb_clock_now_ms() + 2 * WATCH_SWEEP_MS) != 0)
        sb_warn("timers_sweep", "could not reload armed timers; next sweep in %d ms",
                WATCH_SWEEP_MS);
}

sla_watch *sla_watch_new(struct event_base *base, sb_pg *pg, sb_outbox_relay *relay,
                         sb_metrics *metrics, const sla_watch_cfg *cfg)
{
    sla_watch *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    w->cfg = *cfg;
    w->pg = pg;
    w->relay = relay;
    sla_heap_init(&w->heap);
    w->ev_due = evtimer_new(base, watch_on_due, w);
    w->ev_sweep = event_new(base, -1, EV_PERSIST, watch_on_sweep, w);
    if (!w->ev_due || !w->ev_sweep) {
        sla_watch_free(w);
        return NULL;
    }
    w->c_escalations = sb_metrics_counter(metrics, "sla_events",
                                          "Escalations, warnings, breaches and urge reminders",
                                          NULL);
    w->c_fired = sb_metrics_counter(metrics, "sla_timers_fired",
                                    "Timers whose deadline passed (escalated, or found met)", NULL);
    w->c_foreign = sb_metrics_counter(metrics, "sla_timers_foreign",
                                      "Due clocks left to the replica owning their partition",
                                      NULL);
    w->c_failed = sb_metrics_counter(metrics, "sla_fire_failures",
                                     "Firing transactions rolled back and retried", NULL);
    w->g_in_memory = sb_metrics_gauge(metrics, "sla_timers_in_memory",
                                      "Armed timers watched in memory", NULL);
    return w;
}

void sla_watch_free(sla_watch *w)
{
    if (!w)
        return;
    if (w->ev_due)
        event_free(w->ev_due);
    if (w->ev_sweep)
        event_free(w->ev_sweep);
    sla_heap_free(&w->heap);
    free(w->owned);
    free(w);
}

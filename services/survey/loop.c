/* loop.c - the due-survey loop: every SB_SURVEY_TICK_MS it sends the surveys that are due
 * (survey_sent + the customer's survey_link, in the transaction that marks them sent) and
 * expires the links nobody answered in time (survey_expired). All state is in PostgreSQL:
 * a restart loses none and, as each row changes state exactly once, sends none twice. */
#include "services/survey/survey.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/ids.h"
#include "common/json.h"
#include "common/kafka.h"
#include "common/log.h"
#include "common/ticket_event.h"
#include "services/survey/token.h"

/* Surveys per transaction, and transactions per tick: a backlog drains over a few ticks
 * without holding the loop (and the HTTP answers) for long. */
#define LOOP_BATCH     200
#define LOOP_MAX_BATCH 10
#define LOOP_STR_(x)   #x
#define LOOP_STR(x)    LOOP_STR_(x)

#define SURVEY_ISO(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/* Due surveys, locked; another replica skips them (SKIP LOCKED) and takes the next ones. A
 * ticket merged into another meanwhile (or no longer resolved) is cancelled, not surveyed. */
static const char loop_due_sql[] =
    "SELECT s.id, s.ticket_id, t.number, s.round, s.channel, t.customer_id,"
    "       COALESCE(s.resolved_event_id, s.id),"
    "       t.status IN ('resolved', 'closed') AND t.merged_into IS NULL"
    "  FROM surveys s JOIN tickets t ON t.id = s.ticket_id"
    " WHERE s.state = 'scheduled' AND s.due_at <= $1::timestamptz"
    " ORDER BY s.due_at LIMIT " LOOP_STR(LOOP_BATCH) " FOR UPDATE OF s SKIP LOCKED";

static const char loop_mark_sql[] =
    "UPDATE surveys SET state = CASE WHEN id = ANY ($1::uuid[]) THEN 'sent' ELSE 'cancelled' END,"
    "       sent_at = CASE WHEN id = ANY ($1::uuid[]) THEN $3::timestamptz END,"
    "       expires_at = CASE WHEN id = ANY ($1::uuid[]) THEN $4::timestamptz END"
    " WHERE id = ANY ($1::uuid[] || $2::uuid[]) AND state = 'scheduled'";

static const char loop_expire_sql[] =
    "WITH due AS (SELECT id FROM surveys WHERE state = 'sent' AND expires_at <= $1::timestamptz"
    "             ORDER BY expires_at LIMIT " LOOP_STR(LOOP_BATCH) " FOR UPDATE SKIP LOCKED)"
    " UPDATE surveys s SET state = 'expired', expired_at = $1::timestamptz"
    "  FROM due, tickets t WHERE s.id = due.id AND t.id = s.ticket_id"
    " RETURNING s.id, s.ticket_id, t.number, s.round, " SURVEY_ISO("s.sent_at");

int survey_announce(sb_pg *pg, const json_t *events, const json_t *notices)
{
    int rc = sb_ticket_events_store(pg, events);
    size_t i;
    json_t *v;
    json_array_foreach(events, i, v)
        if (rc == 0)
            rc = sb_outbox_add(pg, SB_TOPIC_TICKETS, sb_json_str(v, "ticket_id"), v);
    json_array_foreach(notices, i, v)
        if (rc == 0)
            rc = sb_outbox_add(pg, SB_TOPIC_NOTIFICATIONS, sb_json_str(v, "recipient"), v);
    return rc;
}

/* survey_sent and the customer's survey_link for due row i, appended to events and notices.
 * 0, or -1 (out of memory, or a token that cannot be signed). */
static int loop_sent(survey_ctx *x, PGresult *res, int i, int64_t now_ms, int64_t expires_ms,
                     json_t *events, json_t *notices)
{
    const char *survey = PQgetvalue(res, i, 0), *ticket = PQgetvalue(res, i, 1);
    const char *number = PQgetvalue(res, i, 2), *channel = PQgetvalue(res, i, 4);
    const char *source = PQgetvalue(res, i, 6);
    int round = atoi(PQgetvalue(res, i, 3));
    char id[SB_UUID_STRLEN], link_id[SB_UUID_STRLEN], ts[32], exp[32], recipient[48];
    char token[SURVEY_TOKEN_MAX + 1], url[sizeof(x->cfg->public_url) + 16 + sizeof(token)];
    if (survey_token_sign(x->cfg->secret, x->cfg->secret_len, survey, expires_ms, token,
                          sizeof(token)) != 0)
        return -1;
    snprintf(url, sizeof(url), "%s/v1/surveys/%s", x->cfg->public_url, token);
    snprintf(recipient, sizeof(recipient), "customer:%s", PQgetvalue(res, i, 5));
    sb_clock_format_iso(expires_ms, exp, sizeof(exp));
    sb_ids_derived(survey, "survey_sent", id);
    sb_ids_derived(id, "survey_link", link_id);
    json_t *ev = sb_ticket_event_new(
        "survey_sent", id, source, ticket, number, now_ms,
        json_pack("{s:s, s:i, s:s, s:s}", "survey_id", survey, "round", round, "expires_at", exp,
                  "channel", channel));
    json_t *n = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s}", "type",
                          "survey_link", "event_id", link_id, "occurred_at",
                          sb_clock_format_iso(now_ms, ts, sizeof(ts)), "source_event_id", id,
                          "recipient", recipient, "recipient_kind", "customer", "ticket_number",
                          number, "url", url, "expires_at", exp, "round", round, "channel",
                          channel);
    int oom = json_array_append_new(events, ev) != 0;
    oom |= json_array_append_new(notices, n) != 0;
    return oom || !ev || !n ? -1 : 0;
}

/* The marking statement for the due rows: sent ones, cancelled ones. 0 or -1. */
static int loop_mark(sb_pg *pg, PGresult *res, int64_t now_ms, int64_t expires_ms)
{
    int rows = PQntuples(res), nsent = 0, ncancel = 0;
    const char **sent = calloc((size_t)rows + 1, sizeof(*sent));
    const char **cancel = calloc((size_t)rows + 1, sizeof(*cancel));
    for (int i = 0; sent && cancel && i < rows; i++) {
        if (PQgetvalue(res, i, 7)[0] == 't')
            sent[nsent++] = PQgetvalue(res, i, 0);
        else
            cancel[ncancel++] = PQgetvalue(res, i, 0);
    }
    char *a = sent && cancel ? sb_pg_array_literal(sent, (size_t)nsent) : NULL;
    char *b = sent && cancel ? sb_pg_array_literal(cancel, (size_t)ncancel) : NULL;
    char now[32], exp[32];
    const char *p[] = {a, b, sb_clock_format_iso(now_ms, now, sizeof(now)),
                       sb_clock_format_iso(expires_ms, exp, sizeof(exp))};
    int rc = a && b ? sb_pg_exec(pg, loop_mark_sql, 4, p) : -1;
    free(a);
    free(b);
    free(sent);
    free(cancel);
    return rc;
}

/* One transaction: send up to LOOP_BATCH due surveys. Rows handled (sent or cancelled), or -1. */
static int loop_send_batch(survey_ctx *x, int64_t now_ms, int *nsent)
{
    sb_pg *pg = x->s->pg;
    char now[32];
    const char *p[] = {sb_clock_format_iso(now_ms, now, sizeof(now))};
    int64_t expires_ms = now_ms + x->cfg->ttl_ms;
    if (sb_pg_begin(pg) != 0)
        return -1;
    PGresult *res = sb_pg_query(pg, loop_due_sql, 1, p);
    json_t *events = json_array(), *notices = json_array();
    int rows = res ? PQntuples(res) : -1, rc = res && events && notices ? 0 : -1;
    for (int i = 0; rc == 0 && i < rows; i++)
        if (PQgetvalue(res, i, 7)[0] == 't')
            rc = loop_sent(x, res, i, now_ms, expires_ms, events, notices);
    if (rc == 0 && rows > 0)
        rc = loop_mark(pg, res, now_ms, expires_ms);
    if (rc == 0 && rows > 0)
        rc = survey_announce(pg, events, notices);
    *nsent = (int)json_array_size(events);
    json_decref(events);
    json_decref(notices);
    PQclear(res);
    if (rc != 0 || sb_pg_commit(pg) != 0) {
        sb_pg_rollback(pg);
        return -1;
    }
    sb_counter_add(x->c_sent, (uint64_t)*nsent);
    sb_counter_add(x->c_cancelled, (uint64_t)(rows - *nsent));
    if (*nsent)
        sb_info("surveys_sent", "%d survey links sent", *nsent);
    return rows;
}

/* One transaction: expire up to LOOP_BATCH links nobody answered. Rows expired, or -1. */
static int loop_expire_batch(survey_ctx *x, int64_t now_ms)
{
    sb_pg *pg = x->s->pg;
    char now[32];
    const char *p[] = {sb_clock_format_iso(now_ms, now, sizeof(now))};
    if (sb_pg_begin(pg) != 0)
        return -1;
    PGresult *res = sb_pg_query(pg, loop_expire_sql, 1, p);
    json_t *events = json_array();
    int rows = res ? PQntuples(res) : -1, rc = res && events ? 0 : -1;
    for (int i = 0; rc == 0 && i < rows; i++) {
        const char *survey = PQgetvalue(res, i, 0);
        char id[SB_UUID_STRLEN], sent_id[SB_UUID_STRLEN];
        sb_ids_derived(survey, "survey_sent", sent_id);
        sb_ids_derived(survey, "survey_expired", id);
        json_t *ev = sb_ticket_event_new(
            "survey_expired", id, sent_id, PQgetvalue(res, i, 1), PQgetvalue(res, i, 2), now_ms,
            json_pack("{s:s, s:i, s:s}", "survey_id", survey, "round",
                      atoi(PQgetvalue(res, i, 3)), "sent_at", PQgetvalue(res, i, 4)));
        rc = ev && json_array_append_new(events, ev) == 0 ? 0 : -1;
    }
    if (rc == 0 && rows > 0)
        rc = survey_announce(pg, events, NULL);
    json_decref(events);
    PQclear(res);
    if (rc != 0 || sb_pg_commit(pg) != 0) {
        sb_pg_rollback(pg);
        return -1;
    }
    sb_counter_add(x->c_expired, (uint64_t)rows);
    if (rows)
        sb_info("surveys_expired", "%d survey links expired unanswered", rows);
    return rows;
}

/* The timer: send what is due, then expire what ran out; kick the relay when anything moved. */
static void loop_on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    survey_ctx *x = arg;
    if (sb_pg_ensure(x->s->pg) != 0) {
        sb_counter_add(x->c_loop_failed, 1);
        return;   /* the next tick tries again */
    }
    int64_t now_ms = sb_clock_now_ms();
    int moved = 0, rows = LOOP_BATCH, sent;
    for (int b = 0; rows == LOOP_BATCH && b < LOOP_MAX_BATCH; b++) {
        rows = loop_send_batch(x, now_ms, &sent);
        moved += rows > 0;
    }
    if (rows < 0) {
        sb_counter_add(x->c_loop_failed, 1);
        sb_warn("surveys_send", "sending due surveys failed; retrying in %ld ms", x->cfg->tick_ms);
    }
    rows = LOOP_BATCH;
    for (int b = 0; rows == LOOP_BATCH && b < LOOP_MAX_BATCH; b++) {
        rows = loop_expire_batch(x, now_ms);
        moved += rows > 0;
    }
    if (rows < 0) {
        sb_counter_add(x->c_loop_failed, 1);
        sb_warn("surveys_expire", "expiring survey links failed; retrying in %ld ms",
                x->cfg->tick_ms);
    }
    if (moved)
        sb_outbox_relay_kick(x->relay);
}

struct event *survey_loop_start(survey_ctx *x)
{
    struct event *ev = event_new(x->s->base, -1, EV_PERSIST, loop_on_tick, x);
    struct timeval tv = {x->cfg->tick_ms / 1000, (suseconds_t)(x->cfg->tick_ms % 1000) * 1000};
    if (!ev || event_add(ev, &tv) != 0) {
        if (ev)
            event_free(ev);
        return NULL;
    }
    return ev;
}

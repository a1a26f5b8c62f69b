/* action.c - POST /v1/tickets/{number}/{action}: one transaction per human action. */
#include "services/desk/action.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/audit.h"
#include "common/classifier.h"
#include "common/clock.h"
#include "common/http.h"
#include "common/ids.h"
#include "common/json.h"
#include "common/kafka.h"
#include "common/log.h"
#include "common/outbox.h"
#include "common/ticket_event.h"
#include "common/ticket_state.h"

#define DESK_ACTION_BODY_MAX (1024 * 1024)

typedef struct desk_action_def {
    const char    *name;          /* the path's last segment, and the state machine's action */
    sb_role        min_role;
    desk_action_fn apply;
    /* When the state machine's action depends on the body (status): it, or NULL for a body
     * apply will refuse. NULL: the name is the action. */
    const char  *(*state_of)(const json_t *body);
} desk_action_def;

static const desk_action_def desk_actions[] = {
    {"ack",        SB_ROLE_AGENT,      desk_acknowledge_apply, NULL},
    {"status",     SB_ROLE_AGENT,      desk_status_apply,      desk_status_action},
    {"note",       SB_ROLE_AGENT,      desk_note_apply,        NULL},
    {"urge",       SB_ROLE_SUPERVISOR, desk_urge_apply,        NULL},
    {"reclassify", SB_ROLE_AGENT,      desk_reclassify_apply,  NULL},
    {"resolve",    SB_ROLE_AGENT,      desk_resolve_apply,     NULL},
    {"reply",      SB_ROLE_AGENT,      desk_reply_apply,       NULL},
    {"reassign",   SB_ROLE_SUPERVISOR, desk_reassign_apply,    desk_reassign_action},
    {"merge",      SB_ROLE_AGENT,      desk_merge_apply,       NULL},
};

/* The state machine's word for an action (the path says "ack"). */
static const char *state_action_of(const desk_action_def *def, const json_t *body)
{
    if (def->state_of)
        return def->state_of(body);
    return strcmp(def->name, "ack") == 0 ? "acknowledge" : def->name;
}

typedef struct desk_action_env {
    sb_service      *s;
    sb_outbox_relay *relay;
} desk_action_env;

static desk_action_env g_env;

int desk_ticket_lock(sb_pg *pg, const char *number, const desk_scope *scope, desk_ticket_row *t)
{
    const char *p[] = {number, scope->scoped, scope->supervising};
    PGresult *res = sb_pg_query(pg,
        "SELECT id::text, number, status, coalesce(category, ''), coalesce(subtopic, ''),"
        "       coalesce(urgency, ''), coalesce(priority, ''), coalesce(department_id, ''),"
        "       coalesce(assignee, ''), subject, coalesce(language, ''), customer_id::text"
        "  FROM tickets t WHERE number = $1 AND " DESK_SCOPE_SQL("t", "$2", "$3")
        "   FOR UPDATE",
        3, p);
    if (!res)
        return -1;
    int found = PQntuples(res) == 1;
    if (found) {
        struct { char *dst; size_t len; } cols[] = {
            {t->id, sizeof t->id}, {t->number, sizeof t->number}, {t->status, sizeof t->status},
            {t->category, sizeof t->category}, {t->subtopic, sizeof t->subtopic},
            {t->urgency, sizeof t->urgency}, {t->priority, sizeof t->priority},
            {t->department, sizeof t->department}, {t->assignee, sizeof t->assignee},
            {t->subject, sizeof t->subject}, {t->language, sizeof t->language},
            {t->customer_id, sizeof t->customer_id}};
        for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
            snprintf(cols[i].dst, cols[i].len, "%s", PQgetvalue(res, 0, (int)i));
    }
    PQclear(res);
    return found;
}

/* The stored event with this id (a retried request with the same Idempotency-Key), or NULL. */
static json_t *event_stored(sb_pg *pg, const char *event_id)
{
    const char *p[] = {event_id};
    PGresult *res = sb_pg_query(pg, "SELECT payload::text FROM ticket_events WHERE event_id = $1",
                                1, p);
    json_t *ev = res && PQntuples(res) == 1 ? json_loads(PQgetvalue(res, 0, 0), 0, NULL) : NULL;
    if (res)
        PQclear(res);
    return ev;
}

/* The event's id: derived from the client's Idempotency-Key when given (a retry finds the
 * first answer), else fresh. */
static void action_event_id(struct evhttp_request *req, const desk_ticket_row *t,
                            const char *action, char out[SB_UUID_STRLEN])
{
    const char *key = evhttp_find_header(evhttp_request_get_input_headers(req), "Idempotency-Key");
    if (!key || !*key) {
        sb_uuid_v4_str(out);
        return;
    }
    char what[256];
    snprintf(what, sizeof what, "%s:%.200s", action, key);
    sb_ids_derived(t->id, what, out);
}

/* The events the action announces: its own, then those it caused on other tickets (c->more),
 * each with "by". The array, or NULL. */
static json_t *action_events(desk_action_call *c)
{
    json_t *by = json_pack("{s:s, s:s}", "subject", c->who->subject,
                           "role", sb_role_name(c->who->role));
    json_object_set(c->data, "by", by);
    json_t *events = json_array();
    json_array_append_new(events, sb_ticket_event_new(c->event_type, c->event_id, NULL, c->t.id,
                                                      c->t.number, sb_clock_now_ms(),
                                                      json_incref(c->data)));
    size_t i;
    json_t *m;
    json_array_foreach(c->more, i, m) {
        const char *type = json_string_value(json_object_get(m, "type"));
        char id[SB_UUID_STRLEN];
        sb_ids_derived(c->event_id, type, id);
        json_t *data = json_deep_copy(json_object_get(m, "data"));
        json_object_set(data, "by", by);
        json_array_append_new(events, sb_ticket_event_new(
            type, id, NULL, json_string_value(json_object_get(m, "ticket_id")),
            json_string_value(json_object_get(m, "ticket_number")), sb_clock_now_ms(), data));
    }
    json_decref(by);
    for (i = 0; i < json_array_size(events); i++)
        if (!json_is_object(json_array_get(events, i))) {
            json_decref(events);
            return NULL;
        }
    return events;
}

/* Status, events, outbox rows and audit row, after the action's own changes. 0 or -1. */
static int action_commit_effects(desk_action_call *c, const char *action, const char *next,
                                 json_t **event_out)
{
    sb_pg *pg = c->s->pg;
    if (strcmp(next, c->t.status) != 0) {
        const char *p[] = {c->t.id, next};
        if (sb_pg_exec(pg, "UPDATE tickets SET status = $2, updated_at = now() WHERE id = $1::uuid",
                       2, p) != 0)
            return -1;
    }
    json_t *events = action_events(c);
    int rc = events ? sb_ticket_events_store(pg, events) : -1;
    size_t i;
    json_t *ev;
    json_array_foreach(events, i, ev)
        if (rc == 0)
            rc = sb_outbox_add(pg, SB_TOPIC_TICKETS, sb_json_str(ev, "ticket_id"), ev);
    char name[64];
    snprintf(name, sizeof name, "ticket.%s", action);
    if (rc == 0)
        rc = sb_audit_record(pg, c->who, name, c->t.number,
                             c->audit ? json_incref(c->audit) : json_incref(c->data));
    if (rc == 0)
        *event_out = json_incref(json_array_get(events, 0));
    json_decref(events);
    return rc;
}

/* Everything inside the transaction; err says what went wrong for the client. */
static int action_in_tx(desk_action_call *c, const desk_action_def *def, const desk_scope *scope,
                        const char *number, struct evhttp_request *req, json_t **event_out,
                        sb_error *err)
{
    int found = desk_ticket_lock(c->s->pg, number, scope, &c->t);
    if (found < 0)
        return sb_error_set(err, 503, "unavailable", "", "cannot read the ticket now");
    if (!found)
        return sb_error_set(err, 404, "not_found", "number", "no ticket %s", number);
    action_event_id(req, &c->t, def->name, c->event_id);
    if ((*event_out = event_stored(c->s->pg, c->event_id)) != NULL)
        return 0;                                   /* a retry: the first answer again */
    const char *state_action = state_action_of(def, c->body);
    if (!state_action)
        return def->apply(c, err) != 0 ? -1 : sb_error_set(err, 400, "invalid_body", "", "bad body");
    const char *next = sb_ticket_state_next(c->t.status, state_action);
    if (!next)
        return sb_error_set(err, 409, "invalid_state", "status", "cannot %s a ticket that is %s",
                            def->name, c->t.status);
    if (def->apply(c, err) != 0)
        return -1;
    if (action_commit_effects(c, def->name, next, event_out) != 0)
        return sb_error_set(err, 503, "unavailable", "", "cannot record the action now");
    return 0;
}

int desk_action_learn(desk_action_call *c, const char *category, const char *subtopic,
                      const char *source)
{
    if (!*category || !*subtopic || strcmp(subtopic, "unclassified") == 0)
        return 0;
    const char *p[] = {c->t.id};
    PGresult *res = sb_pg_query(c->s->pg,
        "SELECT left(body, 20000) FROM messages WHERE ticket_id = $1::uuid AND body <> ''"
        " ORDER BY received_at LIMIT 1", 1, p);
    if (!res)
        return -1;
    int rc = PQntuples(res) == 0 ? 0
             : sb_classifier_add_example(c->s->pg, c->t.id, PQgetvalue(res, 0, 0), category,
                                         subtopic, source, c->who->subject);
    PQclear(res);
    return rc;
}

/* Splits "NUMBER/ACTION"; the action's definition or NULL. */
static const desk_action_def *action_parse(const char *tail, char *number, size_t len)
{
    const char *slash = strchr(tail, '/');
    if (!slash || (size_t)(slash - tail) >= len)
        return NULL;
    snprintf(number, len, "%.*s", (int)(slash - tail), tail);
    for (size_t i = 0; i < sizeof(desk_actions) / sizeof(desk_actions[0]); i++)
        if (strcmp(slash + 1, desk_actions[i].name) == 0)
            return &desk_actions[i];
    return NULL;
}

/* Runs one action and answers. */
static void action_run(struct evhttp_request *req, const desk_action_def *def,
                       const desk_scope *scope, const char *number, json_t *body)
{
    sb_service *s = g_env.s;
    sb_error err;
    sb_error_clear(&err);
    desk_action_call c = {.s = s, .scope = scope, .who = &scope->who, .body = body};
    json_t *event = NULL;
    int rc = sb_pg_begin(s->pg) == 0 ? 0 : sb_error_set(&err, 503, "unavailable", "", "database unavailable");
    if (rc == 0)
        rc = action_in_tx(&c, def, scope, number, req, &event, &err);
    if (rc == 0 && sb_pg_commit(s->pg) != 0)
        rc = sb_error_set(&err, 503, "unavailable", "", "cannot commit the action now");
    if (rc != 0) {
        sb_pg_rollback(s->pg);
        json_decref(event);
        sb_http_reply_error(req, &err);
    } else {
        sb_outbox_relay_kick(g_env.relay);
        sb_http_reply_json(req, 200, json_pack("{s:s, s:o}", "number", number, "event", event));
    }
    json_decref(c.data);
    json_decref(c.audit);
    json_decref(c.more);
}

/* POST /v1/tickets/{number}/{action} */
static void desk_action_post(struct evhttp_request *req, const char *tail, void *ctx)
{
    (void)ctx;
    sb_error err;
    sb_error_clear(&err);
    desk_scope scope;
    if (desk_authorize(g_env.s, req, &scope, &err) != 0) {
        sb_http_reply_error(req, &err);
        return;
    }
    char number[40];
    const desk_action_def *def = action_parse(tail, number, sizeof number);
    if (!def) {
        sb_http_reply_errorf(req, 404, "not_found", "action",
                             "no such ticket action (POST /v1/tickets/{number}/{action})");
        return;
    }
    if (!desk_number_valid(number)) {
        sb_http_reply_errorf(req, 400, "invalid_field", "number",
                             "a ticket number looks like WX-20261122-000123");
        return;
    }
    if (scope.who.role < def->min_role) {
        sb_http_reply_errorf(req, 403, "forbidden", "", "%s needs the %s role", def->name,
                             sb_role_name(def->min_role));
        return;
    }
    json_t *body = sb_http_body_json(req, DESK_ACTION_BODY_MAX, &err);
    if (!body) {
        sb_http_reply_error(req, &err);
        return;
    }
    action_run(req, def, &scope, number, body);
    json_decref(body);
}

int desk_action_routes(sb_service *s, sb_outbox_relay *relay)
{
    g_env.s = s;
    g_env.relay = relay;
    return sb_http_route(s->http, "POST", "/v1/tickets/", desk_action_post, s);
}

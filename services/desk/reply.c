/* reply.c - an agent answers the customer: free text, or a standard template with variables. */
#include "services/desk/action.h"
#include "services/desk/action_body.h"

#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/ids.h"
#include "common/kafka.h"
#include "common/outbox.h"

/* A reply template as loaded: its body (owned) and language. */
typedef struct reply_template {
    char *body;
    char  language[8];
} reply_template;

/* Loads the template (400 naming "template" when there is none such). 0 or -1 with err. */
static int reply_template_load(sb_pg *pg, const char *id, reply_template *t, sb_error *err)
{
    const char *p[] = {id};
    PGresult *res = sb_pg_query(pg, "SELECT body, language FROM reply_templates WHERE id = $1",
                                1, p);
    if (!res)
        return sb_error_set(err, 503, "unavailable", "", "cannot read the template now");
    int rc = 0;
    if (PQntuples(res) != 1)
        rc = sb_error_set(err, 400, "unknown_template", "template", "no template '%s'", id);
    else if (!(t->body = strdup(PQgetvalue(res, 0, 0))))
        rc = sb_error_set(err, 503, "unavailable", "", "out of memory");
    else
        snprintf(t->language, sizeof t->language, "%s", PQgetvalue(res, 0, 1));
    PQclear(res);
    return rc;
}

/* The variables desk fills: the customer's masked name, the ticket number, the agent's name
 * (their id when they are not an agent row, e.g. the deployment's admin). New object or NULL. */
static json_t *reply_auto_vars(desk_action_call *c)
{
    const char *p[] = {c->t.customer_id, c->who->subject};
    PGresult *res = sb_pg_query(c->s->pg,
        "SELECT (SELECT display_name FROM customers WHERE id = $1::bigint),"
        "       coalesce((SELECT name FROM agents WHERE id = $2), $2)",
        2, p);
    if (!res)
        return NULL;
    json_t *v = PQntuples(res) == 1
                ? json_pack("{s:s, s:s, s:s}", "customer_name", PQgetvalue(res, 0, 0),
                            "ticket_number", c->t.number, "agent_name", PQgetvalue(res, 0, 1))
                : NULL;
    PQclear(res);
    return v;
}

/* The body's variables joined with desk's own, filled into the template: malloc'd text, or
 * NULL with err. */
static char *reply_from_template(desk_action_call *c, const desk_reply_body *b,
                                 reply_template *t, sb_error *err)
{
    if (reply_template_load(c->s->pg, b->template_id, t, err) != 0)
        return NULL;
    json_t *vars = reply_auto_vars(c);
    if (!vars) {
        sb_error_set(err, 503, "unavailable", "", "cannot read the ticket's names now");
        return NULL;
    }
    if (b->variables)
        json_object_update(vars, (json_t *)b->variables);
    char *text = desk_reply_fill(t->body, vars, err);
    json_decref(vars);
    return text;
}

/* The reply as the customer gets it, on sb.notifications.v1 through the outbox: keyed by the
 * customer, never with raw contact (the delivery adapter looks it up). 0 or -1. */
static int reply_notify(desk_action_call *c, const char *text, const char *language)
{
    char id[SB_UUID_STRLEN], recipient[40], ts[32];
    sb_ids_derived(c->event_id, "customer_reply", id);
    snprintf(recipient, sizeof recipient, "customer:%s", c->t.customer_id);
    json_t *n = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s?}",
                          "type", "customer_reply", "event_id", id,
                          "occurred_at", sb_clock_format_iso(sb_clock_now_ms(), ts, sizeof ts),
                          "source_event_id", c->event_id, "recipient", recipient,
                          "recipient_kind", "customer", "ticket_number", c->t.number,
                          "text", text, "language", language);
    int rc = n ? sb_outbox_add(c->s->pg, SB_TOPIC_NOTIFICATIONS, recipient, n) : -1;
    json_decref(n);
    return rc;
}

int desk_reply_apply(desk_action_call *c, sb_error *err)
{
    desk_reply_body b;
    if (desk_reply_body_read(c->body, &b, err) != 0)
        return -1;
    reply_template t = {0};
    char *filled = b.template_id ? reply_from_template(c, &b, &t, err) : NULL;
    if (b.template_id && !filled) {
        free(t.body);
        return -1;
    }
    const char *text = filled ? filled : b.text;
    /* A template says its language; free text is in the ticket's (NULL when unknown). */
    const char *language = b.template_id ? t.language : (*c->t.language ? c->t.language : NULL);
    const char *p[] = {c->event_id, c->t.id, c->who->subject, b.template_id, text};
    int rc = sb_pg_exec(c->s->pg,
                        "INSERT INTO replies (id, ticket_id, author, template_id, body)"
                        " VALUES ($1::uuid, $2::uuid, $3, $4, $5)", 5, p);
    if (rc == 0)
        rc = reply_notify(c, text, language);
    if (rc == 0) {
        c->event_type = "replied";
        c->data = json_pack("{s:s, s:s?, s:s?}", "text", text, "template", b.template_id,
                            "language", language);
    }
    free(filled);
    free(t.body);
    return rc == 0 && c->data ? 0 : sb_error_set(err, 503, "unavailable", "", "cannot store the reply now");
}

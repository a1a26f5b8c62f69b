/* reclassify.c - a person corrects a ticket's category, sub-topic, urgency or priority. */
#include "services/desk/action.h"
#include "services/desk/action_body.h"

#include <stdio.h>
#include <string.h>

#include "common/json.h"
#include "common/kb.h"

/* The requested decision, validated against the taxonomy. */
typedef struct reclass_request {
    const char *category, *subtopic, *urgency, *priority, *reason;
    char        department[32];    /* the category's lead department */
} reclass_request;

/* Reads the body into r (action_body.c checks every field). */
static int reclass_read(const json_t *body, reclass_request *r, sb_error *err)
{
    desk_reclass_body b;
    if (desk_reclass_body_read(body, &b, err) != 0)
        return -1;
    r->category = b.category;
    r->subtopic = b.subtopic;
    r->urgency = b.urgency;
    r->priority = b.priority;
    r->reason = b.reason;
    return 0;
}

/* The category exists and owns the sub-topic; fills the lead department. */
static int reclass_check_taxonomy(sb_pg *pg, reclass_request *r, sb_error *err)
{
    const char *p[] = {r->category, r->subtopic};
    PGresult *res = sb_pg_query(pg,
        "SELECT c.department_id, EXISTS (SELECT 1 FROM subtopics s"
        "        WHERE s.category = c.id AND s.id = $2 AND s.id <> 'unclassified')"
        "  FROM categories c WHERE c.id = $1",
        2, p);
    if (!res)
        return sb_error_set(err, 503, "unavailable", "", "cannot read the taxonomy now");
    int rc = 0;
    if (PQntuples(res) != 1)
        rc = sb_error_set(err, 400, "invalid_field", "category", "no category '%s'", r->category);
    else if (strcmp(PQgetvalue(res, 0, 1), "t") != 0)
        rc = sb_error_set(err, 400, "invalid_field", "subtopic", "category '%s' has no sub-topic '%s'",
                          r->category, r->subtopic);
    else
        snprintf(r->department, sizeof r->department, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return rc;
}

/* The decision part of the ticket as an object. */
static json_t *decision_of(const char *category, const char *subtopic, const char *urgency,
                           const char *priority, const char *department)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s}", "category", category, "subtopic", subtopic,
                     "urgency", urgency, "priority", priority, "department", department);
}

int desk_reclassify_apply(desk_action_call *c, sb_error *err)
{
    reclass_request r = {0};
    if (reclass_read(c->body, &r, err) != 0 || reclass_check_taxonomy(c->s->pg, &r, err) != 0)
        return -1;
    const desk_ticket_row *t = &c->t;
    const char *urgency = r.urgency ? r.urgency : t->urgency;
    const char *priority = r.priority ? r.priority : t->priority;
    /* A new category moves the ticket to its lead department; the same one keeps where it is. */
    const char *department = strcmp(r.category, t->category) ? r.department : t->department;
    if (!strcmp(r.category, t->category) && !strcmp(r.subtopic, t->subtopic) &&
        !strcmp(urgency, t->urgency) && !strcmp(priority, t->priority))
        return sb_error_set(err, 400, "no_change", "category", "the ticket is already classified so");
    const char *p[] = {t->id, r.category, r.subtopic, urgency, priority, department};
    if (sb_pg_exec(c->s->pg,
                   "UPDATE tickets SET category = $2, subtopic = $3, urgency = NULLIF($4, ''),"
                   "  priority = NULLIF($5, ''), department_id = NULLIF($6, ''),"
                   "  decided_by = 'person', updated_at = now() WHERE id = $1::uuid",
                   6, p) != 0)
        return sb_error_set(err, 503, "unavailable", "", "cannot update the ticket now");
    /* Articles archived from this ticket were filed under the old category: flag for review. */
    if (strcmp(r.category, t->category) != 0 && sb_kb_category_changed(c->s->pg, t->id, NULL) != 0)
        return sb_error_set(err, 503, "unavailable", "", "cannot flag the knowledge base now");
    /* The correction teaches the classifier: the next training run learns from it. */
    if (desk_action_learn(c, r.category, r.subtopic, "person") != 0)
        return sb_error_set(err, 503, "unavailable", "", "cannot record the training example now");
    c->event_type = "reclassified";
    c->data = json_pack("{s:o, s:o, s:s}",
                        "before", decision_of(t->category, t->subtopic, t->urgency, t->priority,
                                              t->department),
                        "after", decision_of(r.category, r.subtopic, urgency, priority, department),
                        "reason", r.reason);
    return 0;
}

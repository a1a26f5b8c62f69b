/* resolve.c - an agent resolves a ticket: how well, the solution, knowledge-base tags. */
#include "services/desk/action.h"
#include "services/desk/action_body.h"

#include <string.h>

#include "common/json.h"
#include "common/kb.h"

/* A (partly) working solution becomes knowledge: a draft, or merged into a similar article.
 * Adds {"kb_article", "kb_merged"} to data when archived. 0 or -1 with err. */
static int resolve_archive(desk_action_call *c, const char *resolution, const char *solution,
                           const json_t *tags, json_t *data, sb_error *err)
{
    if (strcmp(resolution, "not") == 0 || !*c->t.category || !strcmp(c->t.subtopic, "unclassified"))
        return 0;
    const char *tagv[DESK_TAGS_MAX];
    size_t ntags = 0, i;
    json_t *v;
    json_array_foreach(tags, i, v)
        tagv[ntags++] = json_string_value(v);
    int64_t article = 0;
    int merged = 0;
    int rc = sb_kb_archive(c->s->pg, c->t.id, c->t.subject, c->t.category, c->t.subtopic, tagv,
                           ntags, solution, &article, &merged);
    if (rc == SB_KB_EINPUT || rc == SB_KB_ECATEGORY)
        return 0;                              /* nothing to learn from; the ticket still resolves */
    if (rc != 0)
        return sb_error_set(err, 503, "unavailable", "", "cannot archive the solution now");
    json_object_set_new(data, "kb_article", json_integer(article));
    json_object_set_new(data, "kb_merged", json_boolean(merged == SB_KB_MERGED));
    return 0;
}

int desk_resolve_apply(desk_action_call *c, sb_error *err)
{
    desk_resolve_body b;
    if (desk_resolve_body_read(c->body, &b, err) != 0)
        return -1;
    /* A resolved ticket's category is confirmed by the work done on it: a training example. */
    if (desk_action_learn(c, c->t.category, c->t.subtopic, "resolved") != 0) {
        json_decref(b.tags);
        return sb_error_set(err, 503, "unavailable", "", "cannot record the training example now");
    }
    c->event_type = "resolved";
    c->data = json_pack("{s:s, s:s, s:o}", "resolution", b.resolution, "solution", b.solution,
                        "tags", b.tags);
    /* The agent's capacity is free again: dispatch counts it from the event alone. */
    if (c->data && *c->t.assignee)
        json_object_set_new(c->data, "released_agent", json_string(c->t.assignee));
    return c->data ? resolve_archive(c, b.resolution, b.solution, json_object_get(c->data, "tags"),
                                     c->data, err)
                   : sb_error_set(err, 503, "unavailable", "", "out of memory");
}

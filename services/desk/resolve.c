/* resolve.c - an agent resolves a ticket: how well, the solution, knowledge-base tags. */
#include "services/desk/action.h"

#include <string.h>

#include "common/json.h"
#include "common/kb.h"
#include "common/utf8.h"

#define RESOLVE_SOLUTION_MAX 65536
#define RESOLVE_TAGS_MAX     32
#define RESOLVE_TAG_MAX      64

/* The tags array: at most 32 non-empty strings of at most 64 bytes; a copy (owned). */
static json_t *resolve_tags(const json_t *body, sb_error *err)
{
    json_t *tags = NULL;
    if (sb_json_get_arr(body, "", "tags", 0, &tags, err) != 0)
        return NULL;
    if (!tags)
        return json_array();
    if (json_array_size(tags) > RESOLVE_TAGS_MAX) {
        sb_error_set(err, 400, "too_many_items", "tags", "at most %d tags", RESOLVE_TAGS_MAX);
        return NULL;
    }
    json_t *out = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(tags, i, v) {
        const char *s = json_string_value(v);
        if (!s || !*s || strlen(s) > RESOLVE_TAG_MAX) {
            sb_error_set(err, 400, "invalid_field", "tags", "tags[%zu]: 1 to %d bytes of text", i,
                         RESOLVE_TAG_MAX);
            json_decref(out);
            return NULL;
        }
        json_array_append(out, v);
    }
    return out;
}

/* A (partly) working solution becomes knowledge: a draft, or merged into a similar article.
 * Adds {"kb_article", "kb_merged"} to data when archived. 0 or -1 with err. */
static int resolve_archive(desk_action_call *c, const char *resolution, const char *solution,
                           const json_t *tags, json_t *data, sb_error *err)
{
    if (strcmp(resolution, "not") == 0 || !*c->t.category || !strcmp(c->t.subtopic, "unclassified"))
        return 0;
    const char *tagv[RESOLVE_TAGS_MAX];
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
    const char *resolution = NULL, *solution = NULL;
    if (sb_json_get_str(c->body, "", "resolution", 1, 16, &resolution, err) != 0 ||
        sb_json_get_str(c->body, "", "solution", 1, RESOLVE_SOLUTION_MAX, &solution, err) != 0)
        return -1;
    if (strcmp(resolution, "fully") && strcmp(resolution, "partly") && strcmp(resolution, "not"))
        return sb_error_set(err, 400, "invalid_field", "resolution",
                            "resolution is fully, partly or not");
    if (!*solution)
        return sb_error_set(err, 400, "invalid_field", "solution", "describe the solution");
    json_t *tags = resolve_tags(c->body, err);
    if (!tags)
        return -1;
    /* A resolved ticket's category is confirmed by the work done on it: a training example. */
    if (desk_action_learn(c, c->t.category, c->t.subtopic, "resolved") != 0) {
        json_decref(tags);
        return sb_error_set(err, 503, "unavailable", "", "cannot record the training example now");
    }
    c->event_type = "resolved";
    c->data = json_pack("{s:s, s:s, s:o}", "resolution", resolution, "solution", solution,
                        "tags", tags);
    return c->data ? resolve_archive(c, resolution, solution, json_object_get(c->data, "tags"),
                                     c->data, err)
                   : sb_error_set(err, 503, "unavailable", "", "out of memory");
}

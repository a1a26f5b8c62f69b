/* rules_dryrun.c - replays a draft rule set over recent tickets and reports what would change,
 * before an admin switches it on. Reads the tickets in pages: never all of them at once. */
#include "common/rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

#define DRYRUN_PAGE        500
#define DRYRUN_TRANSITIONS 10

/* Column order of page_sql. */
enum {
    DR_NUMBER, DR_CHANNEL, DR_TIER, DR_IVR, DR_CATEGORY, DR_SUBTOPIC, DR_URGENCY, DR_PRIORITY,
    DR_DEPARTMENT, DR_TAGS, DR_SOURCE, DR_DECIDED_BY, DR_TEXT, DR_TICKETS_90D, DR_OPEN,
    DR_CREATED, DR_ID,
};

/* One page of decided tickets, newest first, after the cursor ($3, $4) when given. History is
 * counted as it stood when the ticket was created: the customer's tickets of the 90 days
 * before, and of those the ones no resolved or closed event had ended by then. */
static const char page_sql[] =
    "SELECT t.number, t.channel, c.tier, t.ivr_path, t.category, coalesce(t.subtopic, ''),"
    "       coalesce(t.urgency, ''), coalesce(t.priority, ''), coalesce(t.department_id, ''),"
    "       (SELECT coalesce(json_agg(x ORDER BY x), '[]'::json) FROM unnest(t.tags) x)::text,"
    "       coalesce(t.explanation->>'source', ''), t.decided_by,"
    "       coalesce((SELECT m.body FROM messages m WHERE m.ticket_id = t.id"
    "                 ORDER BY m.received_at, m.stored_at LIMIT 1), ''),"
    "       h.n, h.open, t.created_at::text, t.id"
    " FROM tickets t JOIN customers c ON c.id = t.customer_id"
    " CROSS JOIN LATERAL ("
    "   SELECT count(*) AS n, count(*) FILTER (WHERE NOT EXISTS ("
    "            SELECT 1 FROM ticket_events e WHERE e.ticket_id = p.id"
    "             AND e.type IN ('resolved', 'closed') AND e.occurred_at <= t.created_at)) AS open"
    "   FROM tickets p WHERE p.customer_id = t.customer_id AND p.created_at < t.created_at"
    "    AND p.created_at >= t.created_at - interval '90 days') h"
    " WHERE t.created_at >= now() - make_interval(days => $1::int) AND t.category IS NOT NULL"
    "   AND ($3::timestamptz IS NULL OR (t.created_at, t.id) < ($3::timestamptz, $4::uuid))"
    " ORDER BY t.created_at DESC, t.id DESC LIMIT $2";

/* The stored decision, for the fallback that keeps it. */
typedef struct stored {
    const char *category, *subtopic, *urgency, *decided_by;
} stored;

/* Fallback when the caller gives none: the ticket keeps its stored category, sub-topic and
 * urgency (the classifier's answer does not depend on the rules). */
static void keep_stored(void *ctx, const sb_rule_input *in, sb_decision *d)
{
    (void)in;
    const stored *s = ctx;
    snprintf(d->category, sizeof(d->category), "%s", s->category);
    snprintf(d->subtopic, sizeof(d->subtopic), "%s", s->subtopic);
    if (!d->urgency[0])
        snprintf(d->urgency, sizeof(d->urgency), "%s", s->urgency);
    snprintf(d->source, sizeof(d->source), "%s",
             !strcmp(s->decided_by, "triage") ? "triage" : "stored");
}

/* Report under construction. */
typedef struct dryrun {
    json_t *report, *fields, *transitions, *examples;
    int     evaluated, changed, undecided, max_examples;
} dryrun;

/* The decision's tags, sorted, as a JSON array (stored tags come sorted too). */
static json_t *sorted_tags(const sb_decision *d)
{
    const char *t[SB_RULES_MAX_TAGS];
    int n = d->ntags;
    for (int i = 0; i < n; i++) {
        int k = i;
        while (k > 0 && strcmp(t[k - 1], d->tags[i]) > 0) {
            t[k] = t[k - 1];
            k--;
        }
        t[k] = d->tags[i];
    }
    json_t *a = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(a, json_string(t[i]));
    return a;
}

/* {category, subtopic, urgency, priority, department, tags} of a stored row. */
static json_t *before_of(const PGresult *res, int row)
{
    json_t *tags = json_loads(PQgetvalue(res, row, DR_TAGS), 0, NULL);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}",
                     "category", PQgetvalue(res, row, DR_CATEGORY),
                     "subtopic", PQgetvalue(res, row, DR_SUBTOPIC),
                     "urgency", PQgetvalue(res, row, DR_URGENCY),
                     "priority", PQgetvalue(res, row, DR_PRIORITY),
                     "department", PQgetvalue(res, row, DR_DEPARTMENT),
                     "tags", tags ? tags : json_array());
}

static json_t *after_of(const sb_decision *d)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:s}", "category", d->category, "subtopic",
                     d->subtopic, "urgency", d->urgency, "priority", d->priority, "department",
                     d->department, "tags", sorted_tags(d), "source", d->source);
}

/* "complaint/overcharge P2" */
static void transition_side(const json_t *v, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s %s", json_string_value(json_object_get(v, "category")),
             json_string_value(json_object_get(v, "subtopic")),
             json_string_value(json_object_get(v, "priority")));
}

/* Compares one replayed ticket with its stored decision and counts what differs. */
static void compare(dryrun *dr, const PGresult *res, int row, const sb_decision *d)
{
    static const char *const fields[] = {"category", "subtopic", "urgency", "priority",
                                         "department", "tags"};
    json_t *before = before_of(res, row), *after = after_of(d);
    int changed = 0;
    dr->evaluated++;
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        if (!json_equal(json_object_get(before, fields[i]), json_object_get(after, fields[i]))) {
            json_t *n = json_object_get(dr->fields, fields[i]);
            json_integer_set(n, json_integer_value(n) + 1);
            changed = 1;
        }
    if (changed) {
        dr->changed++;
        char from[128], to[128], key[260];
        transition_side(before, from, sizeof(from));
        transition_side(after, to, sizeof(to));
        if (strcmp(from, to) != 0) {
            snprintf(key, sizeof(key), "%s -> %s", from, to);
            json_t *n = json_object_get(dr->transitions, key);
            json_object_set_new(dr->transitions, key, json_integer(json_integer_value(n) + 1));
        }
    }
    if (changed && (int)json_array_size(dr->examples) < dr->max_examples) {
        json_t *why = sb_decision_explain(d);
        json_array_append_new(dr->examples,
                              json_pack("{s:s, s:O, s:O, s:O}", "ticket",
                                        PQgetvalue(res, row, DR_NUMBER), "before", before,
                                        "after", after, "rules", json_object_get(why, "rules")));
        json_decref(why);
    }
    json_decref(before);
    json_decref(after);
}

/* Replays one page; returns its row count (the cursor is the last row), or -1. */
static int replay_page(sb_pg *pg, const sb_ruleset *draft, int days, int limit, char *cursor_at,
                       size_t at_cap, char *cursor_id, size_t id_cap, sb_rules_fallback_fn fb,
                       void *fb_ctx, dryrun *dr)
{
    char d[16], l[16];
    snprintf(d, sizeof(d), "%d", days);
    snprintf(l, sizeof(l), "%d", limit);
    const char *p[] = {d, l, cursor_at[0] ? cursor_at : NULL, cursor_id[0] ? cursor_id : NULL};
    PGresult *res = sb_pg_query(pg, page_sql, 4, p);
    if (!res)
        return -1;
    int n = PQntuples(res);
    for (int r = 0; r < n; r++) {
        stored st = {PQgetvalue(res, r, DR_CATEGORY), PQgetvalue(res, r, DR_SUBTOPIC),
                     PQgetvalue(res, r, DR_URGENCY), PQgetvalue(res, r, DR_DECIDED_BY)};
        sb_rule_input in = {
            .text = PQgetvalue(res, r, DR_TEXT), .channel = PQgetvalue(res, r, DR_CHANNEL),
            .tier = PQgetvalue(res, r, DR_TIER), .ivr_path = PQgetvalue(res, r, DR_IVR),
            .order_value = -1, .tickets_90d = atoi(PQgetvalue(res, r, DR_TICKETS_90D)),
            .open_tickets = atoi(PQgetvalue(res, r, DR_OPEN)), .hints = NULL};
        sb_decision dec;
        sb_rules_decide(draft, &in, fb ? fb : keep_stored, fb ? fb_ctx : &st, &dec);
        const char *was = PQgetvalue(res, r, DR_SOURCE);
        if (!fb && strcmp(dec.source, "rules") != 0 &&
            (!strcmp(was, "rules") || !strcmp(was, "keyword_rules")))
            dr->undecided++;
        compare(dr, res, r, &dec);
    }
    if (n > 0) {
        snprintf(cursor_at, at_cap, "%s", PQgetvalue(res, n - 1, DR_CREATED));
        snprintf(cursor_id, id_cap, "%s", PQgetvalue(res, n - 1, DR_ID));
    }
    PQclear(res);
    return n;
}

/* The DRYRUN_TRANSITIONS most frequent transitions, most frequent first. */
static json_t *top_transitions(const json_t *counts)
{
    json_t *top = json_array();
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)counts, key, v) {
        json_int_t n = json_integer_value(v);
        size_t at = json_array_size(top);
        while (at > 0 &&
               json_integer_value(json_object_get(json_array_get(top, at - 1), "count")) < n)
            at--;
        if (at >= DRYRUN_TRANSITIONS)
            continue;
        const char *arrow = strstr(key, " -> ");
        json_array_insert_new(top, at, json_pack("{s:s%, s:s, s:I}", "from", key,
                                                 (size_t)(arrow - key), "to", arrow + 4,
                                                 "count", n));
        if (json_array_size(top) > DRYRUN_TRANSITIONS)
            json_array_remove(top, DRYRUN_TRANSITIONS);
    }
    return top;
}

int sb_rules_dryrun(sb_pg *pg, const sb_ruleset *draft, int days, int max_examples,
                    sb_rules_fallback_fn fb, void *fb_ctx, json_t **report)
{
    *report = NULL;
    dryrun dr = {.fields = json_pack("{s:i, s:i, s:i, s:i, s:i, s:i}", "category", 0,
                                     "subtopic", 0, "urgency", 0, "priority", 0, "department", 0,
                                     "tags", 0),
                 .transitions = json_object(), .examples = json_array(),
                 .max_examples = max_examples < 0 ? 0 : max_examples};
    char cursor_at[64] = "", cursor_id[40] = "";
    int rc = 0, capped = 0;
    for (;;) {
        int limit = SB_RULES_DRYRUN_MAX - dr.evaluated;
        if (limit > DRYRUN_PAGE)
            limit = DRYRUN_PAGE;
        if (limit <= 0) {
            capped = 1;   /* the cap is reached: older tickets stay out */
            break;
        }
        int n = replay_page(pg, draft, days < 1 ? 1 : days, limit, cursor_at, sizeof(cursor_at),
                            cursor_id, sizeof(cursor_id), fb, fb_ctx, &dr);
        if (n < 0)
            rc = -1;
        if (n < limit)
            break;
    }
    if (rc == 0) {
        *report = json_pack("{s:i, s:i, s:i, s:i, s:b, s:i, s:O, s:o, s:O}", "rule_set",
                            draft->version, "days", days, "evaluated", dr.evaluated, "changed",
                            dr.changed, "capped", capped, "undecided", dr.undecided,
                            "changed_fields", dr.fields, "transitions",
                            top_transitions(dr.transitions), "examples", dr.examples);
        sb_info("rules_dryrun", "rule set %d over %d days: %d tickets, %d would change",
                draft->version, days, dr.evaluated, dr.changed);
    }
    json_decref(dr.fields);
    json_decref(dr.transitions);
    json_decref(dr.examples);
    return *report ? 0 : -1;
}

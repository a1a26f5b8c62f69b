/* rules.c - keyword rules and priority rules, evaluated in memory, explained in every decision. */
#include "common/rules.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

static const char *const known_categories[] = {"consultation", "complaint", "suggestion",
                                               "after-sales", "other"};

/* Copy with ASCII lower-casing; UTF-8 multibyte sequences are left intact. */
static char *ascii_lower_dup(const char *s)
{
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (!d)
        return NULL;
    for (size_t i = 0; i <= n; i++)
        d[i] = (unsigned char)s[i] < 128 ? (char)tolower((unsigned char)s[i]) : s[i];
    return d;
}

/* Split a PostgreSQL text[] literal {a,"b c"} into keywords (lower-cased). */
static int parse_text_array(const char *lit, sb_rule *r)
{
    size_t cap = 8;
    r->keywords = calloc(cap, sizeof(char *));
    if (!r->keywords || *lit != '{')
        return -1;
    const char *p = lit + 1;
    char buf[256];
    while (*p && *p != '}') {
        size_t n = 0;
        if (*p == '"') {
            for (p++; *p && *p != '"'; p++) {
                if (*p == '\\' && p[1])
                    p++;
                if (n < sizeof(buf) - 1)
                    buf[n++] = *p;
            }
            if (*p == '"')
                p++;
        } else {
            for (; *p && *p != ',' && *p != '}'; p++)
                if (n < sizeof(buf) - 1)
                    buf[n++] = *p;
        }
        buf[n] = '\0';
        if (*p == ',')
            p++;
        if (n == 0)
            continue;
        if (r->nkeywords == cap) {
            char **k = realloc(r->keywords, 2 * cap * sizeof(char *));
            if (!k)
                return -1;
            r->keywords = k;
            cap *= 2;
        }
        if (!(r->keywords[r->nkeywords] = ascii_lower_dup(buf)))
            return -1;
        r->nkeywords++;
    }
    return 0;
}

/* Load enabled keyword rules in order. */
static int load_keyword_rules(sb_pg *pg, sb_ruleset *rs)
{
    PGresult *res = sb_pg_query(pg,
                                "SELECT name, keywords::text, category, subtopic, urgency"
                                " FROM classify_rules WHERE enabled ORDER BY position, id",
                                0, NULL);
    if (!res)
        return -1;
    int n = PQntuples(res);
    rs->rules = calloc(n ? (size_t)n : 1, sizeof(sb_rule));
    int rc = rs->rules ? 0 : -1;
    for (int i = 0; i < n && rc == 0; i++) {
        sb_rule *r = &rs->rules[rs->nrules++];
        snprintf(r->name, sizeof(r->name), "%s", PQgetvalue(res, i, 0));
        snprintf(r->category, sizeof(r->category), "%s", PQgetvalue(res, i, 2));
        snprintf(r->subtopic, sizeof(r->subtopic), "%s", PQgetvalue(res, i, 3));
        snprintf(r->urgency, sizeof(r->urgency), "%s", PQgetvalue(res, i, 4));
        rc = parse_text_array(PQgetvalue(res, i, 1), r);
    }
    PQclear(res);
    return rc;
}

/* Load category -> lead department. */
static int load_routes(sb_pg *pg, sb_ruleset *rs)
{
    PGresult *res = sb_pg_query(pg, "SELECT id, department_id FROM categories ORDER BY id", 0, NULL);
    if (!res)
        return -1;
    int n = PQntuples(res);
    rs->routes = calloc(n ? (size_t)n : 1, sizeof(sb_category_route));
    if (!rs->routes) {
        PQclear(res);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        sb_category_route *r = &rs->routes[rs->nroutes++];
        snprintf(r->category, sizeof(r->category), "%s", PQgetvalue(res, i, 0));
        snprintf(r->department, sizeof(r->department), "%s", PQgetvalue(res, i, 1));
    }
    PQclear(res);
    return 0;
}

int sb_rules_load(sb_pg *pg, sb_ruleset *out)
{
    memset(out, 0, sizeof(*out));
    if (load_keyword_rules(pg, out) != 0 || load_routes(pg, out) != 0) {
        sb_rules_free(out);
        return -1;
    }
    sb_info("rules_loaded", "%zu keyword rules, %zu category routes", out->nrules, out->nroutes);
    return 0;
}

void sb_rules_free(sb_ruleset *rs)
{
    for (size_t i = 0; i < rs->nrules; i++) {
        for (size_t k = 0; k < rs->rules[i].nkeywords; k++)
            free(rs->rules[i].keywords[k]);
        free(rs->rules[i].keywords);
    }
    free(rs->rules);
    free(rs->routes);
    memset(rs, 0, sizeof(*rs));
}

/* The first rule with a keyword found in the lower-cased text, or NULL. */
static const sb_rule *first_matching_rule(const sb_ruleset *rs, const char *lower)
{
    for (size_t i = 0; i < rs->nrules; i++)
        for (size_t k = 0; k < rs->rules[i].nkeywords; k++)
            if (strstr(lower, rs->rules[i].keywords[k]))
                return &rs->rules[i];
    return NULL;
}

/* 1 when s is one of the known categories. */
static int category_known(const char *s)
{
    for (size_t i = 0; i < sizeof(known_categories) / sizeof(known_categories[0]); i++)
        if (strcmp(s, known_categories[i]) == 0)
            return 1;
    return 0;
}

/* Honour a channel's hint where no rule decided (e.g. an IVR menu path chose "complaint"). */
static void apply_hints(const json_t *hints, sb_decision *d)
{
    const char *c = json_string_value(json_object_get(hints, "category"));
    const char *u = json_string_value(json_object_get(hints, "urgency"));
    if (c && category_known(c)) {
        snprintf(d->category, sizeof(d->category), "%s", c);
        snprintf(d->subtopic, sizeof(d->subtopic), "%s", "general");
        snprintf(d->rule, sizeof(d->rule), "%s", "hint:category");
    }
    if (u && (!strcmp(u, "high") || !strcmp(u, "medium") || !strcmp(u, "low")))
        snprintf(d->urgency, sizeof(d->urgency), "%s", u);
}

/* Priority rules from the centre's practice; the reason is kept with the decision. */
static void decide_priority(const char *tier, sb_decision *d)
{
    const char *p = "P2", *why = "default";
    if (!strcmp(d->subtopic, "account-safety") || !strcmp(d->subtopic, "refund")) {
        p = "P1";
        why = "money or account safety";
    } else if (tier && !strcmp(tier, "vip") && !strcmp(d->category, "complaint") &&
               !strcmp(d->urgency, "high")) {
        p = "P1";
        why = "VIP + complaint + high urgency";
    } else if (!strcmp(d->category, "suggestion")) {
        p = "P3";
        why = "suggestion";
    } else if (!strcmp(d->category, "consultation")) {
        why = "consultation";
    } else if (!strcmp(d->urgency, "high")) {
        why = "high urgency";
    }
    snprintf(d->priority, sizeof(d->priority), "%s", p);
    snprintf(d->priority_reason, sizeof(d->priority_reason), "%s", why);
}

/* Lead department of the category, "service" when the category has no route. */
static void decide_department(const sb_ruleset *rs, sb_decision *d)
{
    snprintf(d->department, sizeof(d->department), "%s", "service");
    for (size_t i = 0; i < rs->nroutes; i++)
        if (!strcmp(rs->routes[i].category, d->category))
            snprintf(d->department, sizeof(d->department), "%s", rs->routes[i].department);
}

void sb_rules_decide(const sb_ruleset *rs, const char *text, const char *tier,
                     const json_t *hints, sb_decision *out)
{
    memset(out, 0, sizeof(*out));
    snprintf(out->category, sizeof(out->category), "%s", "other");
    snprintf(out->subtopic, sizeof(out->subtopic), "%s", "general");
    snprintf(out->urgency, sizeof(out->urgency), "%s", "medium");
    char *lower = ascii_lower_dup(text ? text : "");
    const sb_rule *r = lower ? first_matching_rule(rs, lower) : NULL;
    free(lower);
    if (r) {
        snprintf(out->category, sizeof(out->category), "%s", r->category);
        snprintf(out->subtopic, sizeof(out->subtopic), "%s", r->subtopic);
        snprintf(out->urgency, sizeof(out->urgency), "%s", r->urgency);
        snprintf(out->rule, sizeof(out->rule), "%s", r->name);
    } else if (hints) {
        apply_hints(hints, out);
    }
    decide_priority(tier, out);
    decide_department(rs, out);
}

json_t *sb_decision_explain(const sb_decision *d)
{
    const char *source = !d->rule[0] ? "default" : strncmp(d->rule, "hint:", 5) == 0 ? "hint"
                                                                                    : "keyword_rules";
    json_t *rules = json_array();
    if (d->rule[0])
        json_array_append_new(rules, json_string(d->rule));
    return json_pack("{s:o, s:s, s:s}", "rules", rules, "priority_reason", d->priority_reason,
                     "source", source);
}

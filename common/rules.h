/* rules.h - the classification rule engine: keyword rules from PostgreSQL decide category,
 * sub-topic and urgency; priority rules decide P1..P3; every decision carries its reasons.
 * Shared because classify decides with it and desk will dry-run drafts with it. */
#ifndef SB_RULES_H
#define SB_RULES_H

#include <stddef.h>
#include <jansson.h>
#include "common/pg.h"

typedef struct sb_rule {
    char   name[64];
    char **keywords;       /* lower-cased (ASCII part), matched as substrings */
    size_t nkeywords;
    char   category[32];
    char   subtopic[48];
    char   urgency[8];
} sb_rule;

typedef struct sb_category_route {
    char category[32];
    char department[32];
} sb_category_route;

typedef struct sb_ruleset {
    sb_rule           *rules;     /* in evaluation order */
    size_t             nrules;
    sb_category_route *routes;    /* category -> lead department */
    size_t             nroutes;
} sb_ruleset;

typedef struct sb_decision {
    char category[32];
    char subtopic[48];
    char urgency[8];
    char priority[4];             /* "P1".."P3" */
    char department[32];
    char rule[64];                /* the keyword rule that fired, "" when none did */
    char priority_reason[96];
} sb_decision;

int  sb_rules_load(sb_pg *pg, sb_ruleset *out);   /* 0 or -1 */
void sb_rules_free(sb_ruleset *rs);
/* tier: "vip" | "regular" | "new"; hints may be NULL ({"category","urgency"} are honoured when
 * no rule fired and they name a known value). */
void sb_rules_decide(const sb_ruleset *rs, const char *text, const char *tier,
                     const json_t *hints, sb_decision *out);
/* {"rules":[...], "priority_reason": "...", "source": "keyword_rules|hint|default"} */
json_t *sb_decision_explain(const sb_decision *d);

#endif

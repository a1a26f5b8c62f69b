/* rules.h - the versioned rule engine: admin-edited rule sets (JSON, validated with the
 * offending field named), evaluated in memory without allocating, every decision explained.
 * Shared because classify decides with it and desk validates and dry-runs drafts with it.
 *
 * A rule set is a JSON array of rules, evaluated in array order within each stage:
 *   {"name": "money or account safety", "stage": "classify" | "priority",
 *    "conditions": {...every condition present must hold; {} always holds...},
 *    "actions":    {...what the rule decides...}}
 * conditions: channel [..], tier [..], ivr_path_prefix "2>1", keywords_any [..], keywords_all
 *   [..] (case-insensitive substrings, Chinese and English), regex "..." (PCRE2, UTF, caseless),
 *   order_value_min / order_value_max (numbers), history {tickets_90d_min, open_tickets_min};
 *   priority stage only: category [..], subtopic [..], urgency [..] (the decided values).
 * actions: classify stage: category + subtopic (together), urgency, priority, tags [..],
 *   department; priority stage: priority, tags [..], department.
 * See common/rules.c for the evaluation order and services/desk/README.md for the API. */
#ifndef SB_RULES_H
#define SB_RULES_H

#include <stddef.h>
#include <jansson.h>
#include "common/error.h"
#include "common/pg.h"

#define SB_RULES_MAX_RULES  500   /* rules in one set */
#define SB_RULES_MAX_TAGS   8     /* tags on one decision (later ones are dropped) */
#define SB_RULES_MAX_FIRED  16    /* fired rules kept in one decision (the rest are counted) */
#define SB_RULES_NAME_MAX   64    /* bytes with the NUL: rule names, tags are shorter */
#define SB_RULES_TAG_MAX    32

typedef enum { SB_RULE_STAGE_CLASSIFY = 0, SB_RULE_STAGE_PRIORITY = 1 } sb_rule_stage;

/* What a fired rule decided: bits of sb_fired_rule.set. Category and sub-topic go together. */
enum {
    SB_RULE_SET_CATEGORY   = 1,
    SB_RULE_SET_URGENCY    = 2,
    SB_RULE_SET_PRIORITY   = 4,
    SB_RULE_SET_DEPARTMENT = 8,
};

/* The vocabulary rules are checked against and decisions completed from (tables categories,
 * subtopics, departments). Arrays are malloc'd; sb_taxonomy_free releases them. */
typedef struct sb_taxonomy_category {
    char id[32];
    char department[64];        /* the lead department */
    char default_subtopic[48];  /* used when only the category is known (a channel's hint) */
} sb_taxonomy_category;

typedef struct sb_taxonomy_subtopic {
    char category[32];
    char id[48];
    char default_urgency[8];    /* high | medium | low */
} sb_taxonomy_subtopic;

typedef struct sb_taxonomy {
    sb_taxonomy_category *categories;
    size_t                ncategories;
    sb_taxonomy_subtopic *subtopics;
    size_t                nsubtopics;
    char                (*departments)[64];
    size_t                ndepartments;
} sb_taxonomy;

/* Reads categories, subtopics and departments. 0 or -1 (logged); out is empty on failure. */
int  sb_taxonomy_load(sb_pg *pg, sb_taxonomy *out);
/* Build one by hand (tests, fuzzing). default_subtopic may be NULL. 0, or -1 when out of
 * memory or a value is too long. */
int  sb_taxonomy_add_category(sb_taxonomy *t, const char *id, const char *department,
                              const char *default_subtopic);
int  sb_taxonomy_add_subtopic(sb_taxonomy *t, const char *category, const char *id,
                              const char *default_urgency);
int  sb_taxonomy_add_department(sb_taxonomy *t, const char *id);
/* A deep copy of src into dst. 0 or -1 (dst then holds what was copied: free it). */
int  sb_taxonomy_copy(sb_taxonomy *dst, const sb_taxonomy *src);
void sb_taxonomy_free(sb_taxonomy *t);
/* Lookups, NULL / 0 when absent. category NULL: the sub-topic id in any category. */
const sb_taxonomy_category *sb_taxonomy_category_find(const sb_taxonomy *t, const char *id);
const sb_taxonomy_subtopic *sb_taxonomy_subtopic_find(const sb_taxonomy *t, const char *category,
                                                      const char *id);
int  sb_taxonomy_has_department(const sb_taxonomy *t, const char *id);
/* The sub-topic a category gets when only the category is known (a channel's hint): its
 * default_subtopic, else its first sub-topic, else "general". */
const char *sb_taxonomy_default_subtopic(const sb_taxonomy *t, const char *category);

struct sb_rule;           /* one compiled rule: rules.c */
struct sb_rules_mem;      /* what a set owns: its strings, PCRE2 match data, a text buffer */

/* A compiled rule set. Not for concurrent use: a decision borrows the set's working memory
 * (every service is single-threaded). */
typedef struct sb_ruleset {
    int                      version;    /* rule_sets.version; 0 when not stored (a body) */
    struct sb_rule          *rules;      /* the classify stage, then the priority stage */
    size_t                   nrules;
    size_t                   nclassify;  /* rules[0, nclassify) are the classify stage */
    sb_taxonomy              tax;        /* own copy */
    struct sb_rules_mem     *mem;
} sb_ruleset;

/* Parses and compiles rules (a JSON array as above) against tax (copied). 0, or -1 with err
 * (400, the field named, e.g. "rules[2].conditions.regex"; 500 when out of memory) and out
 * empty. out->version is 0: the caller sets it. */
int  sb_rules_parse(const json_t *rules, const sb_taxonomy *tax, sb_ruleset *out, sb_error *err);
/* Releases everything of rs (safe on a zeroed or already freed set). */
void sb_rules_free(sb_ruleset *rs);

/* The stored sets (table rule_sets / rule_set_rules). */
/* The active version into *version (0 when none is active): one indexed row, cheap enough to
 * poll. 0 or -1. */
int  sb_rules_active_version(sb_pg *pg, int *version);
/* Loads the active set (an empty set, version 0, when none is active: everything then takes the
 * defaults). 0 or -1 (logged, with the field when a stored rule no longer validates). */
int  sb_rules_load_active(sb_pg *pg, sb_ruleset *out);
/* Loads one version whatever its status. 0, or -1 when it does not exist or does not load. */
int  sb_rules_load_version(sb_pg *pg, int version, sb_ruleset *out);
/* The stored rules of version as the JSON array the API speaks (new reference), or NULL. */
json_t *sb_rules_fetch_json(sb_pg *pg, int version);

/* What a decision is made from. */
typedef struct sb_rule_input {
    const char   *text;          /* message text (e-mail: subject + body) */
    const char   *channel;       /* "web", "wechat", ... */
    const char   *tier;          /* "vip" | "regular" | "new" */
    const char   *ivr_path;      /* "" when none; ingest's hint: "1>3>2 labels" */
    double        order_value;   /* < 0 when unknown */
    int           tickets_90d;   /* the customer's earlier tickets in the last 90 days */
    int           open_tickets;  /* of which still open */
    const json_t *hints;         /* ingest's hints object, or NULL */
} sb_rule_input;

/* A rule that fired, in the order they fired. */
typedef struct sb_fired_rule {
    char          name[SB_RULES_NAME_MAX];
    int           position;      /* index in the set's array */
    unsigned char stage;         /* sb_rule_stage */
    unsigned char set;           /* SB_RULE_SET_* bits: what this rule decided */
    unsigned char tags;          /* bit i: it added the decision's tags[i] */
} sb_fired_rule;

/* A decision: fixed size, filled without allocating. Strings are "" when unset. */
typedef struct sb_decision {
    char          category[32];
    char          subtopic[48];
    char          urgency[8];
    char          priority[4];              /* "P1".."P3" */
    char          department[64];
    char          tags[SB_RULES_MAX_TAGS][SB_RULES_TAG_MAX];
    int           ntags;
    char          source[16];               /* rules | hint | classifier | triage | default */
    int           rule_version;
    sb_fired_rule fired[SB_RULES_MAX_FIRED];
    int           nfired;
    int           fired_omitted;            /* rules that fired beyond SB_RULES_MAX_FIRED */
    int           model_version;            /* the fallback's, 0 when none */
    double        confidence;
    char          model_label[64];
    char          priority_reason[SB_RULES_NAME_MAX];   /* the rule that set it, or "default" */
} sb_decision;

/* Called when no classify-stage rule and no hint set the category: fills category, subtopic,
 * source ("classifier" or "triage"), model_version, confidence, model_label. It may also set
 * urgency when still unset. A category or sub-topic outside the taxonomy reads as other/general. */
typedef void (*sb_rules_fallback_fn)(void *ctx, const sb_rule_input *in, sb_decision *d);

/* Decides in this order:
 * 1. classify-stage rules in order; each that matches sets the fields still unset (first wins
 *    per field; tags accumulate) and is recorded as fired;
 * 2. hints.urgency (high|medium|low) when urgency is unset; when the category is unset,
 *    hints.category (a known one; hints.subtopic when it belongs to it, else the category's
 *    default sub-topic), source "hint";
 * 3. category still unset: fb (NULL: other/general, source "default");
 * 4. urgency unset: the sub-topic's default urgency;
 * 5. priority-stage rules in order (they may test the decided category/subtopic/urgency): the
 *    first to set priority wins, each may add tags and set the department if unset;
 * 6. priority unset: P2, reason "default";
 * 7. department unset: "triage" when the source is triage, else the category's lead department. */
void sb_rules_decide(const sb_ruleset *rs, const sb_rule_input *in, sb_rules_fallback_fn fb,
                     void *fb_ctx, sb_decision *out);

/* {"source", "rule_set": N, "rules": [{"name", "stage", "set": {...}}], "classifier": {"model",
 *  "label", "confidence"} (when a model decided), "priority_reason", "tags": [...]}. */
json_t *sb_decision_explain(const sb_decision *d);

/* Tickets one dry-run replays at most (newest first): it runs inside desk's request. */
#define SB_RULES_DRYRUN_MAX 20000

/* Replays draft over the tickets created in the last days days (newest first, read in pages of
 * 500, at most SB_RULES_DRYRUN_MAX, tickets never decided skipped) and compares each with the
 * ticket's stored decision. Input per ticket: its first message's text, channel, the customer's
 * current tier, ivr_path, no order value (none is stored), no hints (not stored), and the
 * customer's history as it stood at the ticket's creation (tickets of the 90 days before it, and
 * of those the ones no resolved or closed event had ended by then).
 * With fb NULL, a ticket whose category no draft rule decides keeps its stored category,
 * sub-topic and (unless a draft rule sets it) urgency: the classifier's answer does not depend on
 * the rules, and replaying it here would only add noise. Such a ticket whose stored category came
 * from the rules is counted in "undecided": with the draft, the classifier would decide it.
 * *report (new reference):
 *   {"rule_set": N, "days": D, "evaluated": n, "changed": n, "capped": bool, "undecided": n,
 *    "changed_fields": {"category", "subtopic", "urgency", "priority", "department", "tags"},
 *    "transitions": [{"from": "complaint/overcharge P2", "to": "complaint/overcharge P1",
 *                     "count": n}]   (the 10 most frequent),
 *    "examples": [{"ticket", "before": {category, subtopic, urgency, priority, department, tags},
 *                  "after": {... the same, "source"}, "rules": [as in the explanation]}]
 *                (the newest max_examples changes)}
 * 0, or -1 when the database failed (logged). */
int sb_rules_dryrun(sb_pg *pg, const sb_ruleset *draft, int days, int max_examples,
                    sb_rules_fallback_fn fb, void *fb_ctx, json_t **report);

#endif

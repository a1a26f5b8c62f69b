/* rules_int.h - what the rule engine's files share and nobody else sees: a compiled rule and
 * the memory a set owns. */
#ifndef SB_RULES_INT_H
#define SB_RULES_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stddef.h>
#include <stdint.h>

#include "common/rules.h"

/* Bounds on what one rule may hold: rules are outside input, bounded before compiling. */
#define RULE_LIST_MAX       32     /* channel, tier, category, subtopic, urgency entries */
#define RULE_KEYWORDS_MAX   200
#define RULE_KEYWORD_MAX    128    /* bytes */
#define RULE_REGEX_MAX      1024   /* bytes */
#define RULE_IVR_MAX        256    /* bytes, as ingest's ivr_path hint */
#define RULE_HISTORY_MAX    100000
/* PCRE2 limits: a pattern that backtracks catastrophically gives up (reads as no match) instead
 * of stalling the service; the limits are far above what a sane pattern on a message needs. */
#define RULE_MATCH_LIMIT    200000
#define RULE_DEPTH_LIMIT    10000
#define RULE_HEAP_LIMIT_KIB 4096
/* Strings of a set live in blocks of this size (bigger when one string needs it). */
#define MEM_BLOCK           16384

/* Up to KW_PAIRS adjacent byte pairs of a keyword, spread over it. A keyword with a pair the
 * text lacks cannot be in the text: most keywords are ruled out by a few bit tests instead of a
 * substring search (the text's pairs are marked in a bitmap once per decision). */
#define KW_PAIRS 8
typedef struct kw_pairs {
    unsigned short pair[KW_PAIRS];   /* first byte << 8 | second byte */
    unsigned char  n;
} kw_pairs;

/* A list of strings a condition tests against (borrowed from the set's memory). */
typedef struct str_list {
    const char **v;
    size_t      *len;
    kw_pairs    *pairs;   /* keyword lists only */
    size_t       n;
} str_list;

struct sb_rule {
    char          name[SB_RULES_NAME_MAX];
    int           position;
    sb_rule_stage stage;
    /* conditions; an empty list or NULL string is a condition not present */
    str_list      on_channel, on_tier, on_category, on_subtopic, on_urgency;
    str_list      kw_any, kw_all;     /* lower-cased (ASCII) */
    const char   *ivr_prefix;
    size_t        ivr_len;
    pcre2_code   *re;
    int           has_ov_min, has_ov_max;
    double        ov_min, ov_max;
    int           hist_90d_min, hist_open_min;   /* -1 when not a condition */
    /* actions; "" when the rule does not set it */
    char          category[32], subtopic[48], urgency[8], priority[4], department[64];
    char          tags[SB_RULES_MAX_TAGS][SB_RULES_TAG_MAX];
    int           ntags;
};

typedef struct mem_block {
    struct mem_block *next;
    size_t            used, cap;
    max_align_t       data[];
} mem_block;

struct sb_rules_mem {
    mem_block           *blocks;   /* the set's strings and lists */
    char                *text;     /* the lower-cased text of the decision at hand */
    size_t               text_cap;
    uint64_t             seen[65536 / 64];   /* byte pairs of that text (cleared after it) */
    pcre2_match_data    *md;
    pcre2_match_context *mctx;
};

/* "high", "medium", "low", NULL. */
extern const char *const sb_rules_urgencies[];

#endif

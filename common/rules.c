/* rules.c - rule sets: parsing and validating the JSON admins write, compiling it (lower-cased
 * keywords, PCRE2), deciding without allocating, explaining every decision. */
#include "common/rules.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/channel.h"

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

static const char *const tiers[] = {"vip", "regular", "new", NULL};
static const char *const urgencies[] = {"high", "medium", "low", NULL};
static const char *const priorities[] = {"P1", "P2", "P3", NULL};

/* A list of strings a condition tests against (borrowed from the set's memory). */
typedef struct str_list {
    const char **v;
    size_t      *len;
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
    pcre2_match_data    *md;
    pcre2_match_context *mctx;
};

/* ---- memory ---- */

/* n bytes (aligned) that live as long as the set; NULL when out of memory. */
static void *mem_alloc(struct sb_rules_mem *m, size_t n)
{
    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    mem_block *b = m->blocks;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > MEM_BLOCK ? n : MEM_BLOCK;
        b = malloc(sizeof(*b) + cap);
        if (!b)
            return NULL;
        b->next = m->blocks;
        b->used = 0;
        b->cap = cap;
        m->blocks = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    return p;
}

/* A copy of s[0, n) in the set's memory, ASCII lower-cased when lower (UTF-8 untouched). */
static char *mem_strndup(struct sb_rules_mem *m, const char *s, size_t n, int lower)
{
    char *d = mem_alloc(m, n + 1);
    if (!d)
        return NULL;
    for (size_t i = 0; i < n; i++)
        d[i] = lower && s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
    d[n] = '\0';
    return d;
}

/* The text lower-cased into the set's buffer (grown once, then reused); NULL on no memory. */
static const char *mem_lower_text(struct sb_rules_mem *m, const char *s, size_t n)
{
    if (n + 1 > m->text_cap) {
        size_t cap = m->text_cap ? m->text_cap : 1024;
        while (cap < n + 1)
            cap *= 2;
        char *t = realloc(m->text, cap);
        if (!t)
            return NULL;
        m->text = t;
        m->text_cap = cap;
    }
    for (size_t i = 0; i < n; i++)
        m->text[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
    m->text[n] = '\0';
    return m->text;
}

/* ---- taxonomy ---- */

/* Copy s into a fixed field; -1 when it does not fit. */
static int copy_field(char *dst, size_t cap, const char *s)
{
    size_t n = strlen(s ? s : "");
    if (n >= cap)
        return -1;
    memcpy(dst, s ? s : "", n + 1);
    return 0;
}

/* Room for element n of an array whose capacity is 8, 16, 32, ... (grown when n reaches it). */
static int grow(void **arr, size_t n, size_t elem)
{
    if (n != 0 && (n < 8 || (n & (n - 1)) != 0))
        return 0;
    void *p = realloc(*arr, (n == 0 ? 8 : n * 2) * elem);
    if (!p)
        return -1;
    *arr = p;
    return 0;
}

int sb_taxonomy_add_category(sb_taxonomy *t, const char *id, const char *department,
                             const char *default_subtopic)
{
    if (grow((void **)&t->categories, t->ncategories, sizeof(*t->categories)) != 0)
        return -1;
    sb_taxonomy_category *c = &t->categories[t->ncategories];
    if (copy_field(c->id, sizeof(c->id), id) != 0 || !*c->id ||
        copy_field(c->department, sizeof(c->department), department) != 0 ||
        copy_field(c->default_subtopic, sizeof(c->default_subtopic), default_subtopic) != 0)
        return -1;
    t->ncategories++;
    return 0;
}

int sb_taxonomy_add_subtopic(sb_taxonomy *t, const char *category, const char *id,
                             const char *default_urgency)
{
    if (grow((void **)&t->subtopics, t->nsubtopics, sizeof(*t->subtopics)) != 0)
        return -1;
    sb_taxonomy_subtopic *s = &t->subtopics[t->nsubtopics];
    if (copy_field(s->category, sizeof(s->category), category) != 0 ||
        copy_field(s->id, sizeof(s->id), id) != 0 || !*s->id ||
        copy_field(s->default_urgency, sizeof(s->default_urgency), default_urgency) != 0)
        return -1;
    t->nsubtopics++;
    return 0;
}

int sb_taxonomy_add_department(sb_taxonomy *t, const char *id)
{
    if (grow((void **)&t->departments, t->ndepartments, sizeof(*t->departments)) != 0)
        return -1;
    if (copy_field(t->departments[t->ndepartments], sizeof(*t->departments), id) != 0 || !*id)
        return -1;
    t->ndepartments++;
    return 0;
}

void sb_taxonomy_free(sb_taxonomy *t)
{
    free(t->categories);
    free(t->subtopics);
    free(t->departments);
    memset(t, 0, sizeof(*t));
}

/* A deep copy of src into dst (zeroed first). 0 or -1. */
static int taxonomy_copy(sb_taxonomy *dst, const sb_taxonomy *src)
{
    memset(dst, 0, sizeof(*dst));
    for (size_t i = 0; i < src->ncategories; i++)
        if (sb_taxonomy_add_category(dst, src->categories[i].id, src->categories[i].department,
                                     src->categories[i].default_subtopic) != 0)
            return -1;
    for (size_t i = 0; i < src->nsubtopics; i++)
        if (sb_taxonomy_add_subtopic(dst, src->subtopics[i].category, src->subtopics[i].id,
                                     src->subtopics[i].default_urgency) != 0)
            return -1;
    for (size_t i = 0; i < src->ndepartments; i++)
        if (sb_taxonomy_add_department(dst, src->departments[i]) != 0)
            return -1;
    return 0;
}

static const sb_taxonomy_category *tax_category(const sb_taxonomy *t, const char *id)
{
    for (size_t i = 0; id && i < t->ncategories; i++)
        if (strcmp(t->categories[i].id, id) == 0)
            return &t->categories[i];
    return NULL;
}

/* The sub-topic id of category (any category when category is NULL). */
static const sb_taxonomy_subtopic *tax_subtopic(const sb_taxonomy *t, const char *category,
                                                const char *id)
{
    for (size_t i = 0; id && i < t->nsubtopics; i++)
        if (strcmp(t->subtopics[i].id, id) == 0 &&
            (!category || strcmp(t->subtopics[i].category, category) == 0))
            return &t->subtopics[i];
    return NULL;
}

static int tax_department(const sb_taxonomy *t, const char *id)
{
    for (size_t i = 0; i < t->ndepartments; i++)
        if (strcmp(t->departments[i], id) == 0)
            return 1;
    return 0;
}

/* The sub-topic a category gets when only the category is known: its default, else its first. */
static const char *tax_default_subtopic(const sb_taxonomy *t, const char *category)
{
    const sb_taxonomy_category *c = tax_category(t, category);
    if (c && c->default_subtopic[0] && tax_subtopic(t, category, c->default_subtopic))
        return c->default_subtopic;
    for (size_t i = 0; i < t->nsubtopics; i++)
        if (strcmp(t->subtopics[i].category, category) == 0)
            return t->subtopics[i].id;
    return "general";
}

/* ---- parsing ---- */

/* Everything the parser of one set carries around. */
typedef struct parse_ctx {
    const sb_taxonomy   *tax;
    struct sb_rules_mem *mem;
    sb_error            *err;
    char                 field[64];   /* "rules[2].conditions" while parsing it */
} parse_ctx;

/* Fail with 400 code on <ctx->field>.<key>[index] (key "" and index < 0 leave parts out). */
__attribute__((format(printf, 5, 6)))
static int fail(parse_ctx *p, const char *code, const char *key, long index, const char *fmt, ...)
{
    char field[64], msg[256];
    int n = snprintf(field, sizeof(field), "%s%s%s", p->field, *key ? "." : "", key);
    if (index >= 0 && n > 0 && (size_t)n < sizeof(field))
        snprintf(field + n, sizeof(field) - (size_t)n, "[%ld]", index);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return sb_error_set(p->err, 400, code, field, "%s: %s", field, msg);
}

static int oom(parse_ctx *p)
{
    return sb_error_set(p->err, 500, "internal", "", "out of memory while compiling rules");
}

static int in_set(const char *s, const char *const *set)
{
    for (size_t i = 0; set[i]; i++)
        if (strcmp(s, set[i]) == 0)
            return 1;
    return 0;
}

/* 1 when s has no control characters (names, tags and keywords are shown to people). */
static int printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 0;
    return 1;
}

/* What each list-valued condition accepts. */
typedef enum { LIST_CHANNEL, LIST_TIER, LIST_CATEGORY, LIST_SUBTOPIC, LIST_URGENCY,
               LIST_KEYWORDS, LIST_TAGS } list_kind;

/* Checks one entry of a list; NULL when fine, else what is wrong. */
static const char *list_entry_problem(const parse_ctx *p, list_kind kind, const char *s)
{
    switch (kind) {
    case LIST_CHANNEL:  return sb_channel_find(s) ? NULL : "is not a channel";
    case LIST_TIER:     return in_set(s, tiers) ? NULL : "must be vip, regular or new";
    case LIST_CATEGORY: return tax_category(p->tax, s) ? NULL : "is not a category";
    case LIST_SUBTOPIC: return tax_subtopic(p->tax, NULL, s) ? NULL : "is not a sub-topic";
    case LIST_URGENCY:  return in_set(s, urgencies) ? NULL : "must be high, medium or low";
    case LIST_KEYWORDS:
        return strlen(s) > RULE_KEYWORD_MAX ? "is longer than 128 bytes"
               : strspn(s, " \t") == strlen(s) ? "must not be blank"
               : !printable(s) ? "must not hold control characters" : NULL;
    case LIST_TAGS:
        return strlen(s) >= SB_RULES_TAG_MAX ? "is longer than 31 bytes"
               : !*s ? "must not be empty"
               : !printable(s) ? "must not hold control characters" : NULL;
    }
    return "is not allowed";
}

/* key's value: a non-empty array of strings of the kind, copied into out. */
static int parse_list(parse_ctx *p, const char *key, const json_t *v, list_kind kind, str_list *out)
{
    size_t max = kind == LIST_KEYWORDS ? RULE_KEYWORDS_MAX : kind == LIST_TAGS ? SB_RULES_MAX_TAGS
                                                                                : RULE_LIST_MAX;
    if (!json_is_array(v))
        return fail(p, "invalid_field", key, -1, "must be an array of strings");
    size_t n = json_array_size(v);
    if (n == 0)
        return fail(p, "invalid_field", key, -1, "must not be empty");
    if (n > max)
        return fail(p, "too_many_items", key, -1, "at most %zu entries", max);
    out->v = mem_alloc(p->mem, n * sizeof(*out->v));
    out->len = mem_alloc(p->mem, n * sizeof(*out->len));
    if (!out->v || !out->len)
        return oom(p);
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(json_array_get(v, i));
        if (!s)
            return fail(p, "invalid_field", key, (long)i, "must be a string");
        const char *problem = list_entry_problem(p, kind, s);
        if (problem)
            return fail(p, "invalid_field", key, (long)i, "'%.64s' %s", s, problem);
        size_t len = strlen(s);
        if (!(out->v[i] = mem_strndup(p->mem, s, len, kind == LIST_KEYWORDS)))
            return oom(p);
        out->len[i] = len;
    }
    out->n = n;
    return 0;
}

/* An IVR step character, as ingest accepts them: A-Z a-z 0-9 * # _ . - */
static int ivr_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           (c && strchr("*#_.-", c));
}

/* ivr_path_prefix: steps joined by '>' ("2", "2>1"), matched step-wise against ingest's hint. */
static int parse_ivr(parse_ctx *p, const json_t *v, struct sb_rule *r)
{
    const char *s = json_string_value(v);
    if (!s)
        return fail(p, "invalid_field", "ivr_path_prefix", -1, "must be a string like \"2>1\"");
    size_t n = strlen(s);
    if (n == 0 || n > RULE_IVR_MAX)
        return fail(p, "invalid_field", "ivr_path_prefix", -1, "must be 1 to %d bytes",
                    RULE_IVR_MAX);
    for (size_t i = 0; i < n; i++)
        if (s[i] == '>' ? i == 0 || i + 1 == n || s[i - 1] == '>' : !ivr_char(s[i]))
            return fail(p, "invalid_field", "ivr_path_prefix", -1,
                        "must be steps of A-Z a-z 0-9 * # _ . - joined by '>' (\"2>1\")");
    if (!(r->ivr_prefix = mem_strndup(p->mem, s, n, 0)))
        return oom(p);
    r->ivr_len = n;
    return 0;
}

/* regex: compiled once here; a pattern that does not compile is refused with PCRE2's reason. */
static int parse_regex(parse_ctx *p, const json_t *v, struct sb_rule *r)
{
    const char *s = json_string_value(v);
    if (!s || !*s)
        return fail(p, "invalid_field", "regex", -1, "must be a non-empty string");
    size_t n = strlen(s);
    if (n > RULE_REGEX_MAX)
        return fail(p, "field_too_long", "regex", -1, "at most %d bytes", RULE_REGEX_MAX);
    int code = 0;
    PCRE2_SIZE at = 0;
    /* MATCH_INVALID_UTF: a message with a broken byte is still matched, never an error. */
    r->re = pcre2_compile((PCRE2_SPTR)s, n,
                          PCRE2_UTF | PCRE2_CASELESS | PCRE2_MATCH_INVALID_UTF |
                              PCRE2_NEVER_BACKSLASH_C,
                          &code, &at, NULL);
    if (!r->re) {
        if (code == PCRE2_ERROR_NOMEMORY)
            return oom(p);
        PCRE2_UCHAR why[160];
        if (pcre2_get_error_message(code, why, sizeof(why)) < 0)
            snprintf((char *)why, sizeof(why), "error %d", code);
        return fail(p, "invalid_regex", "regex", -1, "does not compile at offset %zu: %s",
                    (size_t)at, (const char *)why);
    }
    return 0;
}

/* order_value_min / order_value_max: a number >= 0. */
static int parse_amount(parse_ctx *p, const char *key, const json_t *v, int *has, double *out)
{
    if (!json_is_number(v) || json_number_value(v) < 0)
        return fail(p, "invalid_field", key, -1, "must be a number >= 0");
    *has = 1;
    *out = json_number_value(v);
    return 0;
}

/* history: {"tickets_90d_min": n, "open_tickets_min": n}, at least one. */
static int parse_history(parse_ctx *p, const json_t *v, struct sb_rule *r)
{
    if (!json_is_object(v) || json_object_size(v) == 0)
        return fail(p, "invalid_field", "history", -1,
                    "must be an object with tickets_90d_min and/or open_tickets_min");
    const char *key;
    const json_t *n;
    json_object_foreach((json_t *)v, key, n) {
        int *slot = !strcmp(key, "tickets_90d_min") ? &r->hist_90d_min
                    : !strcmp(key, "open_tickets_min") ? &r->hist_open_min : NULL;
        char sub[48];
        snprintf(sub, sizeof(sub), "history.%.32s", key);
        if (!slot)
            return fail(p, "unknown_field", sub, -1, "not a history condition");
        if (!json_is_integer(n) || json_integer_value(n) < 0 ||
            json_integer_value(n) > RULE_HISTORY_MAX)
            return fail(p, "invalid_field", sub, -1, "must be an integer 0..%d", RULE_HISTORY_MAX);
        *slot = (int)json_integer_value(n);
    }
    return 0;
}

/* One condition key of rule r. */
static int parse_condition(parse_ctx *p, const char *key, const json_t *v, struct sb_rule *r)
{
    static const struct { const char *key; list_kind kind; size_t off; int priority_only; } lists[] = {
        {"channel", LIST_CHANNEL, offsetof(struct sb_rule, on_channel), 0},
        {"tier", LIST_TIER, offsetof(struct sb_rule, on_tier), 0},
        {"keywords_any", LIST_KEYWORDS, offsetof(struct sb_rule, kw_any), 0},
        {"keywords_all", LIST_KEYWORDS, offsetof(struct sb_rule, kw_all), 0},
        {"category", LIST_CATEGORY, offsetof(struct sb_rule, on_category), 1},
        {"subtopic", LIST_SUBTOPIC, offsetof(struct sb_rule, on_subtopic), 1},
        {"urgency", LIST_URGENCY, offsetof(struct sb_rule, on_urgency), 1},
    };
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
        if (strcmp(key, lists[i].key) != 0)
            continue;
        if (lists[i].priority_only && r->stage != SB_RULE_STAGE_PRIORITY)
            return fail(p, "invalid_field", key, -1,
                        "only priority-stage rules test the decided %s", key);
        return parse_list(p, key, v, lists[i].kind, (str_list *)((char *)r + lists[i].off));
    }
    if (!strcmp(key, "ivr_path_prefix"))
        return parse_ivr(p, v, r);
    if (!strcmp(key, "regex"))
        return parse_regex(p, v, r);
    if (!strcmp(key, "order_value_min"))
        return parse_amount(p, key, v, &r->has_ov_min, &r->ov_min);
    if (!strcmp(key, "order_value_max"))
        return parse_amount(p, key, v, &r->has_ov_max, &r->ov_max);
    if (!strcmp(key, "history"))
        return parse_history(p, v, r);
    return fail(p, "unknown_field", key, -1, "not a condition");
}

static int parse_conditions(parse_ctx *p, const json_t *c, struct sb_rule *r)
{
    if (!json_is_object(c))
        return fail(p, "invalid_field", "", -1, "must be an object");
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)c, key, v)
        if (parse_condition(p, key, v, r) != 0)
            return -1;
    if (r->has_ov_min && r->has_ov_max && r->ov_min > r->ov_max)
        return fail(p, "invalid_field", "order_value_max", -1, "is below order_value_min");
    return 0;
}

/* actions.<key> as a string no longer than cap - 1, into dst. */
static int action_str(parse_ctx *p, const char *key, const json_t *v, char *dst, size_t cap)
{
    const char *s = json_string_value(v);
    if (!s || !*s)
        return fail(p, "invalid_field", key, -1, "must be a non-empty string");
    if (copy_field(dst, cap, s) != 0)
        return fail(p, "field_too_long", key, -1, "at most %zu bytes", cap - 1);
    return 0;
}

/* One action key of rule r. */
static int parse_action(parse_ctx *p, const char *key, const json_t *v, struct sb_rule *r)
{
    int classify = r->stage == SB_RULE_STAGE_CLASSIFY;
    if (!strcmp(key, "category") || !strcmp(key, "subtopic") || !strcmp(key, "urgency")) {
        if (!classify)
            return fail(p, "invalid_field", key, -1,
                        "is decided by the classify stage; priority-stage rules set priority, "
                        "tags and department");
        if (!strcmp(key, "category"))
            return action_str(p, key, v, r->category, sizeof(r->category)) ? -1
                   : tax_category(p->tax, r->category) ? 0
                   : fail(p, "invalid_field", key, -1, "'%s' is not a category", r->category);
        if (!strcmp(key, "subtopic"))
            return action_str(p, key, v, r->subtopic, sizeof(r->subtopic));
        return action_str(p, key, v, r->urgency, sizeof(r->urgency)) ? -1
               : in_set(r->urgency, urgencies) ? 0
               : fail(p, "invalid_field", key, -1, "must be high, medium or low");
    }
    if (!strcmp(key, "priority"))
        return action_str(p, key, v, r->priority, sizeof(r->priority)) ? -1
               : in_set(r->priority, priorities) ? 0
               : fail(p, "invalid_field", key, -1, "must be P1, P2 or P3");
    if (!strcmp(key, "department"))
        return action_str(p, key, v, r->department, sizeof(r->department)) ? -1
               : tax_department(p->tax, r->department) ? 0
               : fail(p, "invalid_field", key, -1, "'%s' is not a department", r->department);
    if (!strcmp(key, "tags")) {
        str_list tags = {0};
        if (parse_list(p, key, v, LIST_TAGS, &tags) != 0)
            return -1;
        for (size_t i = 0; i < tags.n; i++)
            memcpy(r->tags[i], tags.v[i], tags.len[i] + 1);
        r->ntags = (int)tags.n;
        return 0;
    }
    return fail(p, "unknown_field", key, -1, "not an action");
}

static int parse_actions(parse_ctx *p, const json_t *a, struct sb_rule *r)
{
    if (!json_is_object(a))
        return fail(p, "invalid_field", "", -1, "must be an object");
    if (json_object_size(a) == 0)
        return fail(p, "missing_field", "", -1, "a rule must decide something");
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)a, key, v)
        if (parse_action(p, key, v, r) != 0)
            return -1;
    /* Category and sub-topic are decided together, so a decision is always consistent. */
    if (r->category[0] && !r->subtopic[0])
        return fail(p, "missing_field", "subtopic", -1, "required with category");
    if (r->subtopic[0] && !r->category[0])
        return fail(p, "missing_field", "category", -1, "required with subtopic");
    if (r->subtopic[0] && !tax_subtopic(p->tax, r->category, r->subtopic))
        return fail(p, "invalid_field", "subtopic", -1, "'%s' is not a sub-topic of %s",
                    r->subtopic, r->category);
    return 0;
}

/* rules[idx] into r. */
static int parse_rule(parse_ctx *p, const json_t *j, size_t idx, struct sb_rule *r)
{
    char base[24];
    snprintf(base, sizeof(base), "rules[%zu]", idx);
    snprintf(p->field, sizeof(p->field), "%s", base);
    memset(r, 0, sizeof(*r));
    r->position = (int)idx;
    r->hist_90d_min = r->hist_open_min = -1;
    if (!json_is_object(j))
        return fail(p, "invalid_field", "", -1, "each rule must be an object");
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)j, key, v)
        if (strcmp(key, "name") && strcmp(key, "stage") && strcmp(key, "conditions") &&
            strcmp(key, "actions"))
            return fail(p, "unknown_field", key, -1, "a rule has name, stage, conditions, actions");
    const char *name = json_string_value(json_object_get(j, "name"));
    if (!json_object_get(j, "name"))
        return fail(p, "missing_field", "name", -1, "every rule has a name");
    if (!name || !*name || strlen(name) >= sizeof(r->name) || !printable(name))
        return fail(p, "invalid_field", "name", -1, "must be 1 to %zu printable bytes",
                    sizeof(r->name) - 1);
    memcpy(r->name, name, strlen(name) + 1);
    const char *stage = json_string_value(json_object_get(j, "stage"));
    if (!json_object_get(j, "stage"))
        return fail(p, "missing_field", "stage", -1, "classify or priority");
    if (!stage || (strcmp(stage, "classify") && strcmp(stage, "priority")))
        return fail(p, "invalid_field", "stage", -1, "must be classify or priority");
    r->stage = !strcmp(stage, "priority") ? SB_RULE_STAGE_PRIORITY : SB_RULE_STAGE_CLASSIFY;
    const json_t *c = json_object_get(j, "conditions"), *a = json_object_get(j, "actions");
    snprintf(p->field, sizeof(p->field), "%s.conditions", base);
    if (c && parse_conditions(p, c, r) != 0)
        return -1;
    snprintf(p->field, sizeof(p->field), "%s.actions", base);
    if (!a)
        return fail(p, "missing_field", "", -1, "every rule has actions");
    return parse_actions(p, a, r);
}

/* The per-set match data and limits. 0 or -1. */
static int mem_init_matching(struct sb_rules_mem *m)
{
    m->md = pcre2_match_data_create(1, NULL);
    m->mctx = pcre2_match_context_create(NULL);
    if (!m->md || !m->mctx)
        return -1;
    pcre2_set_match_limit(m->mctx, RULE_MATCH_LIMIT);
    pcre2_set_depth_limit(m->mctx, RULE_DEPTH_LIMIT);
    pcre2_set_heap_limit(m->mctx, RULE_HEAP_LIMIT_KIB);
    return 0;
}

int sb_rules_parse(const json_t *rules, const sb_taxonomy *tax, sb_ruleset *out, sb_error *err)
{
    memset(out, 0, sizeof(*out));
    sb_error_clear(err);
    if (!json_is_array(rules))
        return sb_error_set(err, 400, "invalid_field", "rules", "rules must be an array");
    size_t n = json_array_size(rules);
    if (n > SB_RULES_MAX_RULES)
        return sb_error_set(err, 400, "too_many_items", "rules", "at most %d rules",
                            SB_RULES_MAX_RULES);
    out->mem = calloc(1, sizeof(*out->mem));
    out->rules = calloc(n ? n : 1, sizeof(*out->rules));
    if (!out->mem || !out->rules || taxonomy_copy(&out->tax, tax) != 0 ||
        mem_init_matching(out->mem) != 0) {
        sb_rules_free(out);
        return sb_error_set(err, 500, "internal", "", "out of memory while compiling rules");
    }
    parse_ctx p = {.tax = tax, .mem = out->mem, .err = err};
    for (size_t i = 0; i < n; i++) {
        struct sb_rule *r = &out->rules[out->nrules++];   /* counted now: freed on failure */
        if (parse_rule(&p, json_array_get(rules, i), i, r) != 0) {
            sb_rules_free(out);
            return -1;
        }
        for (size_t k = 0; k < i; k++)
            if (strcmp(out->rules[k].name, r->name) == 0) {
                snprintf(p.field, sizeof(p.field), "rules[%zu]", i);
                fail(&p, "invalid_field", "name", -1, "'%s' is also the name of rules[%zu]",
                     r->name, k);
                sb_rules_free(out);
                return -1;
            }
    }
    /* The classify stage first, then the priority stage, each in array order. */
    struct sb_rule *sorted = malloc((n ? n : 1) * sizeof(*sorted));
    if (!sorted) {
        sb_rules_free(out);
        return sb_error_set(err, 500, "internal", "", "out of memory while compiling rules");
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (out->rules[i].stage == SB_RULE_STAGE_CLASSIFY)
            sorted[k++] = out->rules[i];
    out->nclassify = k;
    for (size_t i = 0; i < n; i++)
        if (out->rules[i].stage == SB_RULE_STAGE_PRIORITY)
            sorted[k++] = out->rules[i];
    free(out->rules);
    out->rules = sorted;
    return 0;
}

void sb_rules_free(sb_ruleset *rs)
{
    for (size_t i = 0; rs->rules && i < rs->nrules; i++)
        pcre2_code_free(rs->rules[i].re);
    free(rs->rules);
    if (rs->mem) {
        for (mem_block *b = rs->mem->blocks, *next; b; b = next) {
            next = b->next;
            free(b);
        }
        free(rs->mem->text);
        pcre2_match_data_free(rs->mem->md);
        pcre2_match_context_free(rs->mem->mctx);
        free(rs->mem);
    }
    sb_taxonomy_free(&rs->tax);
    memset(rs, 0, sizeof(*rs));
}

/* ---- deciding ---- */

/* The input of one decision with the lower-cased text, made on first need. */
typedef struct match_ctx {
    const sb_ruleset    *rs;
    const sb_rule_input *in;
    const char          *text;
    size_t               len;
    const char          *lower;       /* NULL until a keyword condition needs it */
    int                  lower_failed;
} match_ctx;

static int list_has(const str_list *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return 1;
    return 0;
}

/* The lower-cased text, or NULL when there is no memory for it (keywords then never match). */
static const char *lowered(match_ctx *m)
{
    if (!m->lower && !m->lower_failed) {
        m->lower = mem_lower_text(m->rs->mem, m->text, m->len);
        m->lower_failed = m->lower == NULL;
    }
    return m->lower;
}

/* The IVR path starts with the prefix's steps: "2" matches "2", "2>1", "2 投诉", not "21". */
static int ivr_matches(const struct sb_rule *r, const char *path)
{
    if (!path || strncmp(path, r->ivr_prefix, r->ivr_len) != 0)
        return 0;
    char next = path[r->ivr_len];
    return next == '\0' || next == '>' || next == ' ';
}

/* The keyword conditions hold. */
static int keywords_match(const struct sb_rule *r, match_ctx *m)
{
    if (!r->kw_any.n && !r->kw_all.n)
        return 1;
    const char *t = lowered(m);
    if (!t)
        return 0;
    if (r->kw_any.n) {
        size_t i = 0;
        while (i < r->kw_any.n && (r->kw_any.len[i] > m->len || !strstr(t, r->kw_any.v[i])))
            i++;
        if (i == r->kw_any.n)
            return 0;
    }
    for (size_t i = 0; i < r->kw_all.n; i++)
        if (r->kw_all.len[i] > m->len || !strstr(t, r->kw_all.v[i]))
            return 0;
    return 1;
}

/* The regex matches; hitting a limit (catastrophic backtracking) counts as no match. */
static int regex_matches(const struct sb_rule *r, match_ctx *m)
{
    if (!r->re)
        return 1;
    return pcre2_match(r->re, (PCRE2_SPTR)m->text, m->len, 0, 0, m->rs->mem->md,
                       m->rs->mem->mctx) >= 0;
}

/* Every condition of r holds; cheap tests first, the text last. */
static int rule_matches(const struct sb_rule *r, match_ctx *m, const sb_decision *d)
{
    const sb_rule_input *in = m->in;
    if (r->on_channel.n && (!in->channel || !list_has(&r->on_channel, in->channel)))
        return 0;
    if (r->on_tier.n && (!in->tier || !list_has(&r->on_tier, in->tier)))
        return 0;
    if (r->on_category.n && !list_has(&r->on_category, d->category))
        return 0;
    if (r->on_subtopic.n && !list_has(&r->on_subtopic, d->subtopic))
        return 0;
    if (r->on_urgency.n && !list_has(&r->on_urgency, d->urgency))
        return 0;
    if (r->ivr_prefix && !ivr_matches(r, in->ivr_path))
        return 0;
    if ((r->has_ov_min || r->has_ov_max) &&
        (in->order_value < 0 || (r->has_ov_min && in->order_value < r->ov_min) ||
         (r->has_ov_max && in->order_value > r->ov_max)))
        return 0;
    if (r->hist_90d_min >= 0 && in->tickets_90d < r->hist_90d_min)
        return 0;
    if (r->hist_open_min >= 0 && in->open_tickets < r->hist_open_min)
        return 0;
    return keywords_match(r, m) && regex_matches(r, m);
}

/* Copy into a decision field (all sources are bounded to fit; cut if not). */
static void set_str(char *dst, size_t cap, const char *s)
{
    snprintf(dst, cap, "%s", s);
}
#define SET(field, s) set_str((field), sizeof(field), (s))

/* Adds tag unless present or full; its index, or -1 when not added. */
static int add_tag(sb_decision *d, const char *tag)
{
    for (int i = 0; i < d->ntags; i++)
        if (strcmp(d->tags[i], tag) == 0)
            return -1;
    if (d->ntags == SB_RULES_MAX_TAGS)
        return -1;
    SET(d->tags[d->ntags], tag);
    return d->ntags++;
}

/* A matching rule sets what is still unset and is recorded with what it set. */
static void apply_rule(const struct sb_rule *r, sb_decision *d)
{
    unsigned set = 0, tags = 0;
    if (r->category[0] && !d->category[0]) {
        SET(d->category, r->category);
        SET(d->subtopic, r->subtopic);
        SET(d->source, "rules");
        set |= SB_RULE_SET_CATEGORY;
    }
    if (r->urgency[0] && !d->urgency[0]) {
        SET(d->urgency, r->urgency);
        set |= SB_RULE_SET_URGENCY;
    }
    if (r->priority[0] && !d->priority[0]) {
        SET(d->priority, r->priority);
        SET(d->priority_reason, r->name);
        set |= SB_RULE_SET_PRIORITY;
    }
    if (r->department[0] && !d->department[0]) {
        SET(d->department, r->department);
        set |= SB_RULE_SET_DEPARTMENT;
    }
    for (int i = 0; i < r->ntags; i++) {
        int at = add_tag(d, r->tags[i]);
        if (at >= 0)
            tags |= 1u << at;
    }
    if (d->nfired == SB_RULES_MAX_FIRED) {
        d->fired_omitted++;
        return;
    }
    sb_fired_rule *f = &d->fired[d->nfired++];
    SET(f->name, r->name);
    f->position = r->position;
    f->stage = (unsigned char)r->stage;
    f->set = (unsigned char)set;
    f->tags = (unsigned char)tags;
}

/* Step 2: the channel's hints where the rules left the field open. */
static void apply_hints(const sb_taxonomy *tax, const json_t *hints, sb_decision *d)
{
    const char *u = json_string_value(json_object_get(hints, "urgency"));
    if (!d->urgency[0] && u && in_set(u, urgencies))
        SET(d->urgency, u);
    const char *c = json_string_value(json_object_get(hints, "category"));
    if (d->category[0] || !c || !tax_category(tax, c))
        return;
    const char *s = json_string_value(json_object_get(hints, "subtopic"));
    SET(d->category, c);
    SET(d->subtopic, s && tax_subtopic(tax, c, s) ? s : tax_default_subtopic(tax, c));
    SET(d->source, "hint");
}

/* Step 3: the fallback, held to the taxonomy. */
static void apply_fallback(const sb_ruleset *rs, const sb_rule_input *in,
                           sb_rules_fallback_fn fb, void *fb_ctx, sb_decision *d)
{
    if (fb)
        fb(fb_ctx, in, d);
    if (!d->category[0] || !tax_category(&rs->tax, d->category)) {
        SET(d->category, "other");
        d->subtopic[0] = '\0';
    }
    if (!tax_subtopic(&rs->tax, d->category, d->subtopic))
        SET(d->subtopic, tax_default_subtopic(&rs->tax, d->category));
    if (!d->source[0])
        SET(d->source, "default");
}

void sb_rules_decide(const sb_ruleset *rs, const sb_rule_input *in, sb_rules_fallback_fn fb,
                     void *fb_ctx, sb_decision *out)
{
    memset(out, 0, sizeof(*out));
    out->rule_version = rs->version;
    match_ctx m = {.rs = rs, .in = in, .text = in->text ? in->text : ""};
    m.len = strlen(m.text);
    for (size_t i = 0; i < rs->nclassify; i++)
        if (rule_matches(&rs->rules[i], &m, out))
            apply_rule(&rs->rules[i], out);
    if (in->hints)
        apply_hints(&rs->tax, in->hints, out);
    if (!out->category[0])
        apply_fallback(rs, in, fb, fb_ctx, out);
    if (!out->urgency[0]) {
        const sb_taxonomy_subtopic *s = tax_subtopic(&rs->tax, out->category, out->subtopic);
        SET(out->urgency, s && in_set(s->default_urgency, urgencies) ? s->default_urgency
                                                                      : "medium");
    }
    for (size_t i = rs->nclassify; i < rs->nrules; i++)
        if (rule_matches(&rs->rules[i], &m, out))
            apply_rule(&rs->rules[i], out);
    if (!out->priority[0]) {
        SET(out->priority, "P2");
        SET(out->priority_reason, "default");
    }
    if (!out->department[0]) {
        const sb_taxonomy_category *c = tax_category(&rs->tax, out->category);
        SET(out->department, !strcmp(out->source, "triage") ? "triage"
                             : c && c->department[0]    ? c->department
                                                        : "service");
    }
}

/* ---- explaining ---- */

/* What one fired rule decided, from the decision (first wins: its values are the decision's). */
static json_t *explain_set(const sb_decision *d, const sb_fired_rule *f)
{
    json_t *set = json_object();
    if (f->set & SB_RULE_SET_CATEGORY) {
        json_object_set_new(set, "category", json_string(d->category));
        json_object_set_new(set, "subtopic", json_string(d->subtopic));
    }
    if (f->set & SB_RULE_SET_URGENCY)
        json_object_set_new(set, "urgency", json_string(d->urgency));
    if (f->set & SB_RULE_SET_PRIORITY)
        json_object_set_new(set, "priority", json_string(d->priority));
    if (f->set & SB_RULE_SET_DEPARTMENT)
        json_object_set_new(set, "department", json_string(d->department));
    if (f->tags) {
        json_t *tags = json_array();
        for (int i = 0; i < d->ntags; i++)
            if (f->tags & (1u << i))
                json_array_append_new(tags, json_string(d->tags[i]));
        json_object_set_new(set, "tags", tags);
    }
    return set;
}

json_t *sb_decision_explain(const sb_decision *d)
{
    json_t *rules = json_array(), *tags = json_array();
    for (int i = 0; i < d->nfired; i++) {
        const sb_fired_rule *f = &d->fired[i];
        json_array_append_new(rules, json_pack("{s:s, s:s, s:o}", "name", f->name, "stage",
                                               f->stage == SB_RULE_STAGE_PRIORITY ? "priority"
                                                                                  : "classify",
                                               "set", explain_set(d, f)));
    }
    for (int i = 0; i < d->ntags; i++)
        json_array_append_new(tags, json_string(d->tags[i]));
    json_t *e = json_pack("{s:s, s:i, s:o, s:s, s:o}", "source", d->source[0] ? d->source : "default",
                          "rule_set", d->rule_version, "rules", rules, "priority_reason",
                          d->priority_reason[0] ? d->priority_reason : "default", "tags", tags);
    if (e && d->fired_omitted)
        json_object_set_new(e, "rules_omitted", json_integer(d->fired_omitted));
    if (e && (!strcmp(d->source, "classifier") || !strcmp(d->source, "triage") ||
              d->model_version > 0))
        json_object_set_new(e, "classifier",
                            json_pack("{s:i, s:s, s:f}", "model", d->model_version, "label",
                                      d->model_label, "confidence", d->confidence));
    return e;
}

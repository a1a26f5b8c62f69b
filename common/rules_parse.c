/* rules_parse.c - rule sets as admins write them (JSON), validated with the offending field
 * named and compiled: lower-cased keywords, PCRE2 patterns, fixed-size actions. */
#include "common/rules_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/channel.h"

static const char *const tiers[] = {"vip", "regular", "new", NULL};
static const char *const priorities[] = {"P1", "P2", "P3", NULL};
const char *const sb_rules_urgencies[] = {"high", "medium", "low", NULL};

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

/* The keyword's byte pairs to test, spread over it (none for a one-byte keyword). */
static void kw_pairs_of(const char *kw, size_t len, kw_pairs *out)
{
    size_t avail = len > 1 ? len - 1 : 0;
    out->n = (unsigned char)(avail < KW_PAIRS ? avail : KW_PAIRS);
    for (size_t k = 0; k < out->n; k++) {
        size_t i = out->n == 1 ? 0 : k * (avail - 1) / (out->n - 1u);
        out->pair[k] = (unsigned short)((unsigned char)kw[i] << 8 | (unsigned char)kw[i + 1]);
    }
}

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
    case LIST_TIER:     return sb_json_one_of(s, tiers) ? NULL : "must be vip, regular or new";
    case LIST_CATEGORY: return sb_taxonomy_category_find(p->tax, s) ? NULL : "is not a category";
    case LIST_SUBTOPIC:
        return sb_taxonomy_subtopic_find(p->tax, NULL, s) ? NULL : "is not a sub-topic";
    case LIST_URGENCY:
        return sb_json_one_of(s, sb_rules_urgencies) ? NULL : "must be high, medium or low";
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
    out->pairs = kind == LIST_KEYWORDS ? mem_alloc(p->mem, n * sizeof(*out->pairs)) : NULL;
    if (!out->v || !out->len || (kind == LIST_KEYWORDS && !out->pairs))
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
        if (out->pairs)
            kw_pairs_of(out->v[i], len, &out->pairs[i]);
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
    /* Machine code when this PCRE2 has a JIT (several times faster; it honours the match
     * limit); without one, pcre2_match interprets. SB_RULES_JIT=0 keeps the interpreter: memory
     * checkers cannot see into generated code and report its reads as uninitialised. */
    const char *jit = getenv("SB_RULES_JIT");
    if (!jit || strcmp(jit, "0") != 0)
        (void)pcre2_jit_compile(r->re, PCRE2_JIT_COMPLETE);
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
    static const struct {
        const char *key;
        list_kind   kind;
        size_t      off;             /* of the str_list in struct sb_rule */
        int         priority_only;   /* tests a decided value */
    } lists[] = {
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
    if (strlen(s) >= cap)
        return fail(p, "field_too_long", key, -1, "at most %zu bytes", cap - 1);
    memcpy(dst, s, strlen(s) + 1);
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
                   : sb_taxonomy_category_find(p->tax, r->category) ? 0
                   : fail(p, "invalid_field", key, -1, "'%s' is not a category", r->category);
        if (!strcmp(key, "subtopic"))
            return action_str(p, key, v, r->subtopic, sizeof(r->subtopic));
        return action_str(p, key, v, r->urgency, sizeof(r->urgency)) ? -1
               : sb_json_one_of(r->urgency, sb_rules_urgencies) ? 0
               : fail(p, "invalid_field", key, -1, "must be high, medium or low");
    }
    if (!strcmp(key, "priority"))
        return action_str(p, key, v, r->priority, sizeof(r->priority)) ? -1
               : sb_json_one_of(r->priority, priorities) ? 0
               : fail(p, "invalid_field", key, -1, "must be P1, P2 or P3");
    if (!strcmp(key, "department"))
        return action_str(p, key, v, r->department, sizeof(r->department)) ? -1
               : sb_taxonomy_has_department(p->tax, r->department) ? 0
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
    if (r->subtopic[0] && !sb_taxonomy_subtopic_find(p->tax, r->category, r->subtopic))
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
    if (!out->mem || !out->rules || sb_taxonomy_copy(&out->tax, tax) != 0 ||
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

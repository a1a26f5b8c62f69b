/* rules.c - deciding with a compiled rule set, without allocating, and explaining each decision:
 * which rules fired and what each of them set. */
#include "common/rules_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"

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

/* Marks (on) or clears the byte pairs of t[0, n) in the pair bitmap. Clearing zeroes whole
 * words: every bit set in them came from this text. */
static void pairs_mark(uint64_t *seen, const char *t, size_t n, int on)
{
    for (size_t i = 0; i + 1 < n; i++) {
        unsigned p = (unsigned)(unsigned char)t[i] << 8 | (unsigned char)t[i + 1];
        if (on)
            seen[p >> 6] |= (uint64_t)1 << (p & 63);
        else
            seen[p >> 6] = 0;
    }
}

/* 1 when every tested pair of the keyword is in the text (it may be there). */
static int pairs_present(const uint64_t *seen, const kw_pairs *k)
{
    for (unsigned i = 0; i < k->n; i++)
        if (!(seen[k->pair[i] >> 6] & ((uint64_t)1 << (k->pair[i] & 63))))
            return 0;
    return 1;
}

/* The lower-cased text with its pairs marked, or NULL when there is no memory for it (keywords
 * then never match). */
static const char *lowered(match_ctx *m)
{
    if (!m->lower && !m->lower_failed) {
        m->lower = mem_lower_text(m->rs->mem, m->text, m->len);
        m->lower_failed = m->lower == NULL;
        if (m->lower)
            pairs_mark(m->rs->mem->seen, m->lower, m->len, 1);
    }
    return m->lower;
}

/* Leaves the pair bitmap clear for the next decision. */
static void lowered_done(match_ctx *m)
{
    if (m->lower && m->len > sizeof(m->rs->mem->seen))
        memset(m->rs->mem->seen, 0, sizeof(m->rs->mem->seen));
    else if (m->lower)
        pairs_mark(m->rs->mem->seen, m->lower, m->len, 0);
}

/* keywords[i] is a substring of the lower-cased text t. */
static int kw_in(const str_list *kw, size_t i, const match_ctx *m, const char *t)
{
    return kw->len[i] <= m->len && pairs_present(m->rs->mem->seen, &kw->pairs[i]) &&
           strstr(t, kw->v[i]) != NULL;
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
        while (i < r->kw_any.n && !kw_in(&r->kw_any, i, m, t))
            i++;
        if (i == r->kw_any.n)
            return 0;
    }
    for (size_t i = 0; i < r->kw_all.n; i++)
        if (!kw_in(&r->kw_all, i, m, t))
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
        (!(in->order_value >= 0) || (r->has_ov_min && in->order_value < r->ov_min) ||
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
    if (!d->urgency[0] && u && sb_json_one_of(u, sb_rules_urgencies))
        SET(d->urgency, u);
    const char *c = json_string_value(json_object_get(hints, "category"));
    if (d->category[0] || !c || !sb_taxonomy_category_find(tax, c))
        return;
    const char *s = json_string_value(json_object_get(hints, "subtopic"));
    SET(d->category, c);
    if (!s || !sb_taxonomy_subtopic_find(tax, c, s))
        s = sb_taxonomy_default_subtopic(tax, c);
    SET(d->subtopic, s);
    SET(d->source, "hint");
}

/* Step 3: the fallback, held to the taxonomy. */
static void apply_fallback(const sb_ruleset *rs, const sb_rule_input *in,
                           sb_rules_fallback_fn fb, void *fb_ctx, sb_decision *d)
{
    if (fb)
        fb(fb_ctx, in, d);
    if (!d->category[0] || !sb_taxonomy_category_find(&rs->tax, d->category)) {
        SET(d->category, "other");
        d->subtopic[0] = '\0';
    }
    if (!sb_taxonomy_subtopic_find(&rs->tax, d->category, d->subtopic))
        SET(d->subtopic, sb_taxonomy_default_subtopic(&rs->tax, d->category));
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
        const sb_taxonomy_subtopic *s =
            sb_taxonomy_subtopic_find(&rs->tax, out->category, out->subtopic);
        int known = s && sb_json_one_of(s->default_urgency, sb_rules_urgencies);
        SET(out->urgency, known ? s->default_urgency : "medium");
    }
    for (size_t i = rs->nclassify; i < rs->nrules; i++)
        if (rule_matches(&rs->rules[i], &m, out))
            apply_rule(&rs->rules[i], out);
    lowered_done(&m);
    if (!out->priority[0]) {
        SET(out->priority, "P2");
        SET(out->priority_reason, "default");
    }
    if (!out->department[0]) {
        const sb_taxonomy_category *c = sb_taxonomy_category_find(&rs->tax, out->category);
        SET(out->department, !strcmp(out->source, "triage") ? "triage"
                             : c && c->department[0]    ? c->department
                                                        : "service");
    }
}

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
    json_t *e = json_pack("{s:s, s:i, s:o, s:s, s:o}",
                          "source", d->source[0] ? d->source : "default",
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

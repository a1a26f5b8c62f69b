/* decide.c - the decision for a new ticket: the active rule set, then the channel's hints, then
 * the classifier, or the triage desk when the classifier is not sure; and keeping both fresh. */
#include "classify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/classifier.h"
#include "common/config.h"
#include "common/json.h"
#include "common/log.h"

#define CLASSIFY_REFRESH_MS_DEFAULT 5000

/* What the fallback needs: the service and the item being decided. */
typedef struct fallback_ctx {
    classify_ctx  *cx;
    classify_item *it;
} fallback_ctx;

/* sb_rules_fallback_fn: the model's guess when it is sure enough, else the triage desk. */
static void classify_fallback(void *ctx, const sb_rule_input *in, sb_decision *d)
{
    fallback_ctx *f = ctx;
    sb_nb_prediction *p = &f->it->prediction;
    int known = f->cx->model && sb_nb_predict(f->cx->model, in->text, strlen(in->text), p) == 0;
    f->it->predicted = known;
    d->model_version = known ? f->cx->model_version : 0;
    d->confidence = known ? p->category_confidence : 0.0;
    snprintf(d->model_label, sizeof d->model_label, "%.63s", known ? p->label : "");
    if (known && p->category_confidence >= f->cx->min_confidence) {
        snprintf(d->category, sizeof d->category, "%s", p->category);
        snprintf(d->subtopic, sizeof d->subtopic, "%s", p->subtopic);
        snprintf(d->source, sizeof d->source, "classifier");
    } else {
        snprintf(d->category, sizeof d->category, "other");
        snprintf(d->subtopic, sizeof d->subtopic, "unclassified");
        snprintf(d->source, sizeof d->source, "triage");
    }
}

/* The text decided on: an e-mail's subject says as much as its body. Points into cx's buffer
 * or the item. */
static const char *decision_text(classify_ctx *cx, const classify_item *it)
{
    if (!it->subject || !*it->subject)
        return it->text;
    size_t need = strlen(it->subject) + strlen(it->text) + 2;
    if (need > cx->textcap) {
        char *b = realloc(cx->textbuf, need);
        if (!b)
            return it->text;
        cx->textbuf = b;
        cx->textcap = need;
    }
    snprintf(cx->textbuf, cx->textcap, "%s\n%s", it->subject, it->text);
    return cx->textbuf;
}

/* hints.order_value as a number, or -1. */
static double order_value_of(const json_t *hints)
{
    const char *v = sb_json_str(hints, "order_value");
    char *end = NULL;
    double d = v ? strtod(v, &end) : -1;
    return v && end && *end == '\0' && d >= 0 ? d : -1;
}

void classify_decide(classify_ctx *cx, classify_item *it)
{
    const json_t *hints = json_object_get(it->ev, "hints");
    sb_rule_input in = {.text = decision_text(cx, it), .channel = it->channel, .tier = it->tier,
                        .ivr_path = it->ivr_path, .order_value = order_value_of(hints),
                        .tickets_90d = it->tickets_90d, .open_tickets = it->open_tickets,
                        .hints = hints};
    fallback_ctx f = {cx, it};
    sb_rules_decide(&cx->rules, &in, classify_fallback, &f, &it->decision);
    it->explain = sb_decision_explain(&it->decision);
    if (!it->predicted || !it->explain)
        return;
    /* Beside the model, label and confidence: its alternatives and the terms that weighed. */
    json_t *more = sb_classifier_explain(&it->prediction, cx->model_version);
    json_t *c = json_object_get(it->explain, "classifier");
    if (c && more)
        json_object_update(c, more);
    else if (more)
        json_object_set(it->explain, "classifier", more);
    json_decref(more);
}

const char *classify_decided_by(const sb_decision *d)
{
    static const char *const known[] = {"rules", "hint", "classifier", "triage", "default"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(d->source, known[i]) == 0)
            return known[i];
    return "rules";
}

/* Swaps in the active rule set when an admin activated another. */
static void refresh_rules(classify_ctx *cx)
{
    int active = 0;
    if (sb_rules_active_version(cx->pg, &active) != 0 || active == cx->rules.version)
        return;
    sb_ruleset next;
    if (sb_rules_load_active(cx->pg, &next) != 0) {
        sb_warn("rules_reload", "rule set %d does not load; keeping %d", active, cx->rules.version);
        return;
    }
    sb_info("rules_reload", "rule set %d replaces %d", next.version, cx->rules.version);
    sb_rules_free(&cx->rules);
    cx->rules = next;
}

/* Swaps in a newer classifier model when one was trained. */
static void refresh_model(classify_ctx *cx)
{
    sb_nb_model *m = NULL;
    int version = 0;
    if (sb_classifier_load_latest(cx->pg, cx->model_version, &m, &version) != 1)
        return;
    sb_info("model_reload", "classifier model %d replaces %d", version, cx->model_version);
    sb_nb_free(cx->model);
    cx->model = m;
    cx->model_version = version;
}

/* Timer: between batches (the loop is single-threaded), look for a newer rule set and model. */
static void on_refresh(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    classify_ctx *cx = arg;
    if (sb_pg_ensure(cx->pg) != 0)
        return;
    refresh_rules(cx);
    refresh_model(cx);
}

int classify_decide_init(classify_ctx *cx, struct event_base *base)
{
    const char *thr = getenv("SB_CLASSIFY_MIN_CONFIDENCE");
    cx->min_confidence = thr && *thr ? strtod(thr, NULL) : SB_CLASSIFIER_TRIAGE_THRESHOLD;
    if (cx->min_confidence < 0 || cx->min_confidence > 1) {
        sb_error("config", "SB_CLASSIFY_MIN_CONFIDENCE must be within 0..1");
        return -1;
    }
    if (sb_rules_load_active(cx->pg, &cx->rules) != 0 ||
        sb_classifier_ensure(cx->pg, &cx->model, &cx->model_version) != 0 ||
        !(cx->suggester = sb_kb_suggester_new()))
        return -1;
    const char *ms = getenv("SB_CLASSIFY_REFRESH_MS");
    long every = ms && *ms ? strtol(ms, NULL, 10) : CLASSIFY_REFRESH_MS_DEFAULT;
    if (every < 100)
        every = 100;
    cx->refresh = event_new(base, -1, EV_PERSIST, on_refresh, cx);
    struct timeval tv = {every / 1000, (every % 1000) * 1000};
    if (!cx->refresh || event_add(cx->refresh, &tv) != 0)
        return -1;
    sb_info("decide", "rule set %d, classifier model %d, triage below %.2f", cx->rules.version,
            cx->model_version, cx->min_confidence);
    return 0;
}

void classify_decide_close(classify_ctx *cx)
{
    if (cx->refresh)
        event_free(cx->refresh);
    sb_rules_free(&cx->rules);
    sb_nb_free(cx->model);
    sb_kb_suggester_free(cx->suggester);
    free(cx->textbuf);
}

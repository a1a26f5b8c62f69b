/* nbayes.c - the text classifier: labels and terms, naive Bayes (counts, Lidstone smoothing),
 * prediction by either model (softmax posteriors, the evidence behind it), the naive Bayes JSON
 * form and the evaluation split. Logistic regression's fit and JSON are in logreg.c. */
#include "common/nbayes.h"
#include "common/nbayes_int.h"
#include "common/array.h"
#include "common/hash.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NB_FORMAT         "sb-nbayes"
#define NB_FORMAT_VERSION 1
#define NB_TEXT_TERMS     512      /* distinct known terms of one text that a prediction uses */
#define NB_DEDUP_SLOTS    1024     /* their hash table: twice as many slots */
#define NB_COUNT_MAX      ((json_int_t)1 << 40)   /* sanity bound on counts read from JSON */

void sb_nb_params_default(sb_nb_params *p)
{
    p->flags = SB_TEXTFEAT_ALL;
    p->alpha = 1.0;
    p->binary = 1;
    p->min_count = 1;
    p->kind = SB_NB_LOGISTIC;
    p->c = 10.0;
    p->iterations = 100;
}

/* The seed nb_hash has always used: the split's order follows from it, so another seed would
 * reshuffle the benchmark's held-out fifth and every accuracy measured on it. */
#define NB_HASH_SEED 1469598103934665603ULL

/* FNV-1a, 64 bits: table hash (low half) and split order. */
static uint64_t nb_hash(const char *s, size_t len)
{
    return sb_fnv1a(NB_HASH_SEED, s, len);
}

/* alpha stays well away from 0: log(tokens + alpha * V) must never be log(0); c well away
 * from 0 too: the regularisation 1 / (c * n) sets the gradient step. */
static int nb_params_valid(const sb_nb_params *p)
{
    if (p->flags < 1 || p->flags > SB_TEXTFEAT_ALL || p->min_count > 1000000)
        return 0;
    if (p->kind == SB_NB_BAYES)
        return isfinite(p->alpha) && p->alpha >= 1e-6 && p->alpha <= 1000 &&
               (p->binary == 0 || p->binary == 1);
    return p->kind == SB_NB_LOGISTIC && isfinite(p->c) && p->c >= 1e-3 && p->c <= 1e6 &&
           p->iterations >= 1 && p->iterations <= 100000;
}

sb_nb_model *sb_nb_new_with(const sb_nb_params *p)
{
    if (!nb_params_valid(p))
        return NULL;
    sb_nb_model *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->p = *p;
    return m;
}

sb_nb_model *nb_new_for_load(const sb_nb_params *p, sb_error *err)
{
    sb_nb_model *m = sb_nb_new_with(p);
    if (!m)
        sb_error_set(err, 500, "out_of_memory", "", "out of memory loading the model");
    return m;
}

sb_nb_model *sb_nb_new(void)
{
    sb_nb_params p;
    sb_nb_params_default(&p);
    return sb_nb_new_with(&p);
}

void sb_nb_free(sb_nb_model *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nterms; i++) {
        free(m->terms[i].text);
        free(m->terms[i].counts);
    }
    free(m->terms);
    free(m->slots);
    free(m->tdocs);
    free(m->dterms);
    free(m->weight);
    free(m->idf);
    free(m);
}

/* Index of the term, or -1. */
static long nb_find(const sb_nb_model *m, const char *term, size_t len, uint32_t hash)
{
    if (!m->nslots)
        return -1;
    size_t mask = m->nslots - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        uint32_t s = m->slots[i];
        if (s == 0)
            return -1;
        const nb_term *t = &m->terms[s - 1];
        if (t->hash == hash && strncmp(t->text, term, len) == 0 && t->text[len] == '\0')
            return (long)(s - 1);
    }
}

int nb_rehash(sb_nb_model *m, size_t want)
{
    size_t n = 16;
    while (n < want * 2)
        n *= 2;
    uint32_t *slots = calloc(n, sizeof(*slots));
    if (!slots)
        return -1;
    for (size_t t = 0; t < m->nterms; t++) {
        size_t i = m->terms[t].hash & (n - 1);
        while (slots[i])
            i = (i + 1) & (n - 1);
        slots[i] = (uint32_t)(t + 1);
    }
    free(m->slots);
    m->slots = slots;
    m->nslots = n;
    return 0;
}

long nb_intern(sb_nb_model *m, const char *term, size_t len)
{
    uint32_t hash = (uint32_t)nb_hash(term, len);
    long found = nb_find(m, term, len, hash);
    if (found >= 0)
        return found;
    if (m->nterms >= UINT32_MAX - 1)
        return -1;
    if ((m->nterms + 1) * 2 > m->nslots && nb_rehash(m, m->nterms + 1) != 0)
        return -1;
    nb_term *terms = sb_array_grow(m->terms, &m->capterms, m->nterms + 1, sizeof(nb_term), 256);
    if (!terms)
        return -1;
    m->terms = terms;
    char *text = malloc(len + 1);
    if (!text)
        return -1;
    memcpy(text, term, len);
    text[len] = '\0';
    size_t idx = m->nterms++;
    m->terms[idx] = (nb_term){.text = text, .hash = hash};
    size_t mask = m->nslots - 1, i = hash & mask;
    while (m->slots[i])
        i = (i + 1) & mask;
    m->slots[i] = (uint32_t)(idx + 1);
    return (long)idx;
}

/* Adds n to the term's count for label. 0 or -1. */
static int nb_count_add(nb_term *t, uint32_t label, uint32_t n)
{
    for (size_t i = 0; i < t->ncounts; i++)
        if (t->counts[i].label == label) {
            t->counts[i].count += n;
            return 0;
        }
    nb_count *counts = sb_array_grow(t->counts, &t->capcounts, t->ncounts + 1, sizeof(nb_count), 2);
    if (!counts)
        return -1;
    t->counts = counts;
    t->counts[t->ncounts++] = (nb_count){label, n};
    return 0;
}

/* One part of a label: 1..max-1 bytes of [a-z0-9-]. */
static int nb_part_valid(const char *s, size_t len, size_t max)
{
    return len > 0 && len < max && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") >= len;
}

long nb_label_index(sb_nb_model *m, const char *label, sb_error *err)
{
    const char *slash = label ? strchr(label, '/') : NULL;
    if (!slash || !nb_part_valid(label, (size_t)(slash - label), SB_NB_CATEGORY_MAX) ||
        !nb_part_valid(slash + 1, strlen(slash + 1), SB_NB_SUBTOPIC_MAX))
        return sb_error_set(err, 400, "invalid_field", "label",
                            "a label is category/subtopic in lower-case letters, digits and '-'");
    for (size_t i = 0; i < m->nlabels; i++)
        if (strcmp(m->labels[i], label) == 0)
            return (long)i;
    if (m->nlabels == SB_NB_MAX_LABELS)
        return sb_error_set(err, 400, "invalid_field", "label", "more than %d labels",
                            SB_NB_MAX_LABELS);
    size_t l = m->nlabels++, clen = (size_t)(slash - label);
    strcpy(m->labels[l], label);
    size_t c = 0;
    while (c < m->ncats && !(strncmp(m->cats[c], label, clen) == 0 && m->cats[c][clen] == '\0'))
        c++;
    if (c == m->ncats) {
        memcpy(m->cats[c], label, clen);
        m->cats[c][clen] = '\0';
        m->ncats++;
    }
    m->cat_of[l] = c;
    return (long)l;
}

typedef struct nb_train_walk {
    sb_nb_model *m;
    uint32_t     label;
    int          failed;
} nb_train_walk;

/* Logistic: records term t in the document being trained (a repeat adds to its count). 0 or -1. */
static int nb_doc_term_add(sb_nb_model *m, long t, int repeat)
{
    nb_term *nt = &m->terms[t];
    if (repeat) {
        m->dterms[nt->doc_pos].count++;
        return 0;
    }
    nb_doc_term *d = sb_array_grow(m->dterms, &m->capdterms, m->ndterms + 1, sizeof(*d), 1024);
    if (!d)
        return -1;
    m->dterms = d;
    nt->doc_pos = m->ndterms;
    m->dterms[m->ndterms++] = (nb_doc_term){(uint32_t)t, 1};
    m->tdocs[m->ntdocs - 1].n++;
    return 0;
}

/* Counts one term of a training document. */
static int nb_train_term(void *ctx, const char *term, size_t len)
{
    nb_train_walk *w = ctx;
    sb_nb_model *m = w->m;
    long t = nb_intern(m, term, len);
    if (t < 0) {
        w->failed = 1;
        return 1;
    }
    nb_term *nt = &m->terms[t];
    int repeat = nt->last_doc == m->ndocs;
    nt->last_doc = m->ndocs;
    if (m->p.kind == SB_NB_LOGISTIC && nb_doc_term_add(m, t, repeat) != 0) {
        w->failed = 1;
        return 1;
    }
    if (m->p.kind == SB_NB_BAYES && m->p.binary && repeat)
        return 0;
    if (nb_count_add(nt, w->label, 1) != 0) {
        w->failed = 1;
        return 1;
    }
    m->tokens[w->label]++;
    return 0;
}

/* Logistic: opens the record of a new training document. 0 or -1. */
static int nb_doc_open(sb_nb_model *m, uint32_t label)
{
    nb_doc *d = sb_array_grow(m->tdocs, &m->captdocs, m->ntdocs + 1, sizeof(*d), 256);
    if (!d)
        return -1;
    m->tdocs = d;
    m->tdocs[m->ntdocs++] = (nb_doc){label, m->ndterms, 0};
    return 0;
}

int sb_nb_add(sb_nb_model *m, const char *label, const char *text, size_t len, sb_error *err)
{
    if (m->finished)
        return sb_error_set(err, 400, "finished", "", "the model is finished; train a new one");
    long l = nb_label_index(m, label, err);
    if (l < 0)
        return -1;
    if (m->p.kind == SB_NB_LOGISTIC && nb_doc_open(m, (uint32_t)l) != 0)
        return sb_error_set(err, 500, "out_of_memory", "", "out of memory while training");
    m->ndocs++;
    m->docs[l]++;
    nb_train_walk w = {m, (uint32_t)l, 0};
    sb_textfeat_terms(text ? text : "", text ? len : 0, m->p.flags, nb_train_term, &w);
    if (w.failed)
        return sb_error_set(err, 500, "out_of_memory", "", "out of memory while training");
    return 0;
}

/* Drops the terms counted fewer than min_count times in all; remap (may be NULL, else one
 * entry per term before pruning) gets each term's new index or UINT32_MAX. 0 or -1. */
static int nb_prune(sb_nb_model *m, uint32_t *remap)
{
    size_t kept = 0;
    for (size_t t = 0; t < m->nterms; t++) {
        uint64_t total = 0;
        for (size_t i = 0; i < m->terms[t].ncounts; i++)
            total += m->terms[t].counts[i].count;
        if (total >= m->p.min_count && total > 0) {
            if (remap)
                remap[t] = (uint32_t)kept;
            m->terms[kept++] = m->terms[t];
        } else {
            if (remap)
                remap[t] = UINT32_MAX;
            free(m->terms[t].text);
            free(m->terms[t].counts);
        }
    }
    m->nterms = kept;
    return nb_rehash(m, kept);
}

void nb_top_label(sb_nb_model *m)
{
    m->top_label = 0;
    for (size_t l = 1; l < m->nlabels; l++)
        if (m->docs[l] > m->docs[m->top_label])
            m->top_label = l;
}

/* Naive Bayes: P(t|c) = (count(t,c) + alpha) / (tokens(c) + alpha * V), priors from the
 * documents. 0 or -1 (out of memory). */
static int nb_bayes_fit(sb_nb_model *m)
{
    size_t L = m->nlabels, V = m->nterms;
    m->weight = malloc((V ? V : 1) * L * sizeof(float));
    if (!m->weight)
        return -1;
    double unseen[SB_NB_MAX_LABELS];
    double denom[SB_NB_MAX_LABELS];
    for (size_t l = 0; l < L; l++) {
        denom[l] = log((double)m->tokens[l] + m->p.alpha * (double)V);
        unseen[l] = log(m->p.alpha) - denom[l];
        m->bias[l] = log((double)m->docs[l] / (double)m->ndocs);
    }
    for (size_t t = 0; t < V; t++) {
        float *row = m->weight + t * L;
        for (size_t l = 0; l < L; l++)
            row[l] = (float)unseen[l];
        for (size_t i = 0; i < m->terms[t].ncounts; i++) {
            const nb_count *c = &m->terms[t].counts[i];
            row[c->label] = (float)(log((double)c->count + m->p.alpha) - denom[c->label]);
        }
    }
    return 0;
}

int sb_nb_finish(sb_nb_model *m, sb_error *err)
{
    if (m->finished)
        return 0;
    if (m->ndocs == 0)
        return sb_error_set(err, 400, "no_training_data", "", "no training documents");
    int logistic = m->p.kind == SB_NB_LOGISTIC;
    uint32_t *remap = logistic ? malloc((m->nterms ? m->nterms : 1) * sizeof(*remap)) : NULL;
    if ((logistic && !remap) || nb_prune(m, remap) != 0) {
        free(remap);
        return sb_error_set(err, 500, "out_of_memory", "", "out of memory while finishing");
    }
    nb_top_label(m);
    int rc = logistic ? nb_logreg_fit(m, remap, err) : nb_bayes_fit(m);
    free(remap);
    free(m->tdocs);
    free(m->dterms);
    m->tdocs = NULL;
    m->dterms = NULL;
    m->ntdocs = m->captdocs = m->ndterms = m->capdterms = 0;
    if (rc != 0)
        return logistic ? -1 : sb_error_set(err, 500, "out_of_memory", "",
                                            "out of memory while finishing");
    m->finished = 1;
    return 0;
}

/* The distinct known terms of one text and how often each occurs, without allocating. A
 * text with more distinct known terms than NB_TEXT_TERMS is judged on its first ones. */
typedef struct nb_text {
    uint32_t slot[NB_DEDUP_SLOTS];   /* index into term[] + 1, 0 = empty */
    uint32_t term[NB_TEXT_TERMS];    /* model term index */
    uint32_t count[NB_TEXT_TERMS];
    double   value[NB_TEXT_TERMS];   /* what the term contributes per unit of weight */
    size_t   n;
    size_t   total;                  /* every term of the text, known or not */
} nb_text;

typedef struct nb_collect {
    const sb_nb_model *m;
    nb_text           *text;
} nb_collect;

/* Collects one term of the text being predicted. */
static int nb_collect_term(void *ctx, const char *term, size_t len)
{
    nb_collect *c = ctx;
    nb_text *x = c->text;
    x->total++;
    long t = nb_find(c->m, term, len, (uint32_t)nb_hash(term, len));
    if (t < 0)
        return 0;
    size_t i = ((uint32_t)t * 2654435761u) & (NB_DEDUP_SLOTS - 1);
    while (x->slot[i]) {
        if (x->term[x->slot[i] - 1] == (uint32_t)t) {
            x->count[x->slot[i] - 1]++;
            return 0;
        }
        i = (i + 1) & (NB_DEDUP_SLOTS - 1);
    }
    if (x->n == NB_TEXT_TERMS)
        return 0;
    x->term[x->n] = (uint32_t)t;
    x->count[x->n] = 1;
    x->slot[i] = (uint32_t)++x->n;
    return 0;
}

/* Each collected term's value: bayes 1 (binary) or its count; logistic its sublinear tf-idf,
 * the vector scaled to unit length as in training. */
static void nb_text_values(const sb_nb_model *m, nb_text *x)
{
    double norm = 0;
    for (size_t i = 0; i < x->n; i++) {
        if (m->p.kind == SB_NB_BAYES)
            x->value[i] = m->p.binary ? 1.0 : (double)x->count[i];
        else
            x->value[i] = (1.0 + log((double)x->count[i])) * (double)m->idf[x->term[i]];
        norm += x->value[i] * x->value[i];
    }
    if (m->p.kind == SB_NB_LOGISTIC && norm > 0)
        for (size_t i = 0; i < x->n; i++)
            x->value[i] /= sqrt(norm);
}

/* Keeps the terms adding most log-odds for the chosen label over the runner-up, strongest
 * first; none with a weight <= 0. */
static void nb_explain(const sb_nb_model *m, const nb_text *x, size_t chosen, size_t runner,
                       sb_nb_prediction *o)
{
    for (size_t i = 0; i < x->n; i++) {
        const float *row = m->weight + (size_t)x->term[i] * m->nlabels;
        double weight = x->value[i] * ((double)row[chosen] - (double)row[runner]);
        size_t at;
        if (weight <= 0)
            continue;
        if (o->nterms < SB_NB_TOP_TERMS)
            at = o->nterms++;
        else if (o->terms[SB_NB_TOP_TERMS - 1].weight >= weight)
            continue;
        else
            at = SB_NB_TOP_TERMS - 1;
        while (at > 0 && o->terms[at - 1].weight < weight) {
            o->terms[at] = o->terms[at - 1];
            at--;
        }
        snprintf(o->terms[at].term, sizeof(o->terms[at].term), "%s", m->terms[x->term[i]].text);
        o->terms[at].weight = weight;
    }
}

/* Posteriors from log scores by log-sum-exp, in place. */
static void nb_softmax(double *score, size_t n)
{
    double max = score[0];
    for (size_t l = 1; l < n; l++)
        if (score[l] > max)
            max = score[l];
    double sum = 0;
    for (size_t l = 0; l < n; l++) {
        score[l] = exp(score[l] - max);
        sum += score[l];
    }
    for (size_t l = 0; l < n; l++)
        score[l] /= sum;
}

/* The SB_NB_ALTERNATIVES most probable labels, best first. */
static void nb_alternatives(const sb_nb_model *m, const double *post, sb_nb_prediction *o)
{
    unsigned char taken[SB_NB_MAX_LABELS] = {0};
    o->nalternatives = 0;
    while (o->nalternatives < SB_NB_ALTERNATIVES && o->nalternatives < m->nlabels) {
        size_t best = SIZE_MAX;
        for (size_t l = 0; l < m->nlabels; l++)
            if (!taken[l] && (best == SIZE_MAX || post[l] > post[best]))
                best = l;
        taken[best] = 1;
        sb_nb_alternative *a = &o->alternatives[o->nalternatives++];
        strcpy(a->label, m->labels[best]);
        a->p = post[best];
    }
}

int sb_nb_predict(const sb_nb_model *m, const char *text, size_t len, sb_nb_prediction *out)
{
    memset(out, 0, sizeof(*out));
    if (!m || !m->finished)
        return -1;
    if (!text)
        len = 0;
    nb_text x;
    x.n = x.total = 0;
    memset(x.slot, 0, sizeof(x.slot));
    nb_collect c = {m, &x};
    sb_textfeat_terms(text ? text : "", len, m->p.flags, nb_collect_term, &c);
    nb_text_values(m, &x);
    size_t L = m->nlabels;
    double post[SB_NB_MAX_LABELS];
    for (size_t l = 0; l < L; l++)
        post[l] = m->bias[l];
    for (size_t i = 0; i < x.n; i++) {
        const float *row = m->weight + (size_t)x.term[i] * L;
        for (size_t l = 0; l < L; l++)
            post[l] += x.value[i] * row[l];
    }
    nb_softmax(post, L);

    /* The most probable category, then its most probable sub-topic; knowing no term, the
     * most frequent label. */
    size_t chosen = m->top_label, cat = m->cat_of[chosen];
    if (x.n > 0) {
        double catp[SB_NB_MAX_LABELS] = {0};
        for (size_t l = 0; l < L; l++)
            catp[m->cat_of[l]] += post[l];
        for (size_t c2 = 0; c2 < m->ncats; c2++)
            if (catp[c2] > catp[cat])
                cat = c2;
        chosen = SIZE_MAX;
        for (size_t l = 0; l < L; l++)
            if (m->cat_of[l] == cat && (chosen == SIZE_MAX || post[l] > post[chosen]))
                chosen = l;
        out->category_confidence = catp[cat];
        out->subtopic_confidence = post[chosen];
    }

    strcpy(out->label, m->labels[chosen]);
    strcpy(out->category, m->cats[cat]);
    strcpy(out->subtopic, strchr(m->labels[chosen], '/') + 1);
    out->total_terms = x.total;
    out->known_terms = 0;
    for (size_t i = 0; i < x.n; i++)
        out->known_terms += m->p.kind == SB_NB_BAYES && m->p.binary ? 1 : x.count[i];
    nb_alternatives(m, post, out);

    if (x.n > 0 && L > 1) {
        size_t runner = chosen == 0 ? 1 : 0;
        for (size_t l = 0; l < L; l++)
            if (l != chosen && post[l] > post[runner])
                runner = l;
        nb_explain(m, &x, chosen, runner, out);
    }
    return 0;
}

size_t sb_nb_label_count(const sb_nb_model *m) { return m->nlabels; }
const char *sb_nb_label(const sb_nb_model *m, size_t i) { return i < m->nlabels ? m->labels[i] : NULL; }
size_t sb_nb_docs(const sb_nb_model *m) { return (size_t)m->ndocs; }
size_t sb_nb_vocabulary(const sb_nb_model *m) { return m->nterms; }
const sb_nb_params *sb_nb_params_of(const sb_nb_model *m) { return &m->p; }
const char *sb_nb_format(sb_nb_kind kind)
{
    return kind == SB_NB_LOGISTIC ? NB_FORMAT_LOGREG : NB_FORMAT;
}

/* A growing byte buffer for the term lines. */
typedef struct nb_buf {
    char  *p;
    size_t len, cap;
} nb_buf;

/* Appends n bytes; 0 or -1. */
static int nb_buf_add(nb_buf *b, const char *s, size_t n)
{
    char *p = sb_array_grow(b->p, &b->cap, b->len + n + 1, 1, 4096);
    if (!p)
        return -1;
    b->p = p;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

/* The term counts as lines "term label:count label:count\n": one JSON string instead of a
 * JSON value per number, so a model of tens of thousands of terms loads in milliseconds. */
static json_t *nb_terms_string(const sb_nb_model *m)
{
    nb_buf b = {0};
    int bad = nb_buf_add(&b, "", 0);
    for (size_t t = 0; t < m->nterms && !bad; t++) {
        const nb_term *nt = &m->terms[t];
        bad = nb_buf_add(&b, nt->text, strlen(nt->text));
        for (size_t i = 0; i < nt->ncounts && !bad; i++) {
            char pair[32];
            int n = snprintf(pair, sizeof(pair), " %u:%u", nt->counts[i].label,
                             nt->counts[i].count);
            bad = nb_buf_add(&b, pair, (size_t)n);
        }
        bad = bad || nb_buf_add(&b, "\n", 1);
    }
    json_t *j = bad ? NULL : json_stringn(b.p, b.len);
    free(b.p);
    return j;
}

json_t *sb_nb_to_json(const sb_nb_model *m)
{
    if (!m || !m->finished)
        return NULL;
    if (m->p.kind == SB_NB_LOGISTIC)
        return nb_logreg_to_json(m);
    json_t *labels = json_array(), *terms = nb_terms_string(m);
    json_t *j = json_pack("{s:s, s:i, s:{s:i, s:f, s:b, s:I}, s:o, s:o}", "format", NB_FORMAT,
                          "format_version", NB_FORMAT_VERSION, "params", "flags",
                          (int)m->p.flags, "alpha", m->p.alpha, "binary", m->p.binary,
                          "min_count", (json_int_t)m->p.min_count, "labels", labels,
                          "terms", terms);
    if (!j)
        return NULL;
    int bad = 0;
    for (size_t l = 0; l < m->nlabels && !bad; l++)
        bad = json_array_append_new(labels, json_pack("{s:s, s:I, s:I}", "label", m->labels[l],
                                                      "docs", (json_int_t)m->docs[l], "tokens",
                                                      (json_int_t)m->tokens[l])) != 0;
    if (bad) {
        json_decref(j);
        return NULL;
    }
    return j;
}

int nb_json_int(const json_t *obj, const char *key, json_int_t min, json_int_t max,
                       const char *field, json_int_t *out, sb_error *err)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
        return sb_error_set(err, 400, "invalid_field", field, "%s must be an integer %lld..%lld",
                            field, (long long)min, (long long)max);
    *out = json_integer_value(v);
    return 0;
}

/* "params" into p. 0 or -1 with err. */
static int nb_json_params(const json_t *j, sb_nb_params *p, sb_error *err)
{
    const json_t *o = json_object_get(j, "params");
    json_int_t flags, min_count;
    const json_t *alpha = json_object_get(o, "alpha"), *binary = json_object_get(o, "binary");
    if (!json_is_object(o))
        return sb_error_set(err, 400, "invalid_field", "params", "params must be an object");
    if (nb_json_int(o, "flags", 1, SB_TEXTFEAT_ALL, "params.flags", &flags, err) != 0 ||
        nb_json_int(o, "min_count", 0, 1000000, "params.min_count", &min_count, err) != 0)
        return -1;
    if (!json_is_number(alpha))
        return sb_error_set(err, 400, "invalid_field", "params.alpha", "alpha must be a number");
    if (!json_is_boolean(binary))
        return sb_error_set(err, 400, "invalid_field", "params.binary", "binary must be a boolean");
    sb_nb_params_default(p);
    p->kind = SB_NB_BAYES;
    p->flags = (unsigned)flags;
    p->min_count = (unsigned)min_count;
    p->alpha = json_number_value(alpha);
    p->binary = json_is_true(binary);
    if (!nb_params_valid(p))
        return sb_error_set(err, 400, "invalid_field", "params.alpha",
                            "alpha must be in [0.000001, 1000]");
    return 0;
}

/* "labels" into m: each a new valid label with docs >= 1 and tokens. 0 or -1 with err. */
static int nb_json_labels(const json_t *j, sb_nb_model *m, sb_error *err)
{
    const json_t *labels = json_object_get(j, "labels");
    if (!json_is_array(labels) || json_array_size(labels) == 0 ||
        json_array_size(labels) > SB_NB_MAX_LABELS)
        return sb_error_set(err, 400, "invalid_field", "labels",
                            "labels must be an array of 1..%d labels", SB_NB_MAX_LABELS);
    for (size_t i = 0; i < json_array_size(labels); i++) {
        const json_t *o = json_array_get(labels, i);
        const char *name = json_string_value(json_object_get(o, "label"));
        json_int_t docs, tokens;
        if (!name || nb_label_index(m, name, err) != (long)i)
            return sb_error_set(err, 400, "invalid_field", "labels.label",
                                "label %zu is not a new category/subtopic", i);
        if (nb_json_int(o, "docs", 1, NB_COUNT_MAX, "labels.docs", &docs, err) != 0 ||
            nb_json_int(o, "tokens", 0, NB_COUNT_MAX, "labels.tokens", &tokens, err) != 0)
            return -1;
        m->docs[i] = (uint64_t)docs;
        m->tokens[i] = (uint64_t)tokens;
        m->ndocs += (uint64_t)docs;
    }
    return 0;
}

/* A decimal number of 1..10 digits at *s, up to max; advances *s. 0 or -1. */
static int nb_parse_uint(const char **s, const char *end, uint64_t max, uint64_t *out)
{
    const char *p = *s;
    uint64_t v = 0;
    while (p < end && *p >= '0' && *p <= '9' && p - *s < 10)
        v = v * 10 + (uint64_t)(*p++ - '0');
    if (p == *s || v > max || (p < end && *p >= '0' && *p <= '9'))
        return -1;
    *s = p;
    *out = v;
    return 0;
}

/* One line "term label:count ...\n" (without its newline) into m; used[] sums counts per
 * label. 0 or -1 with err. */
static int nb_parse_term_line(sb_nb_model *m, const char *s, const char *end, uint64_t *used,
                              sb_error *err)
{
    const char *sp = s;
    while (sp < end && (unsigned char)*sp > ' ')
        sp++;
    size_t klen = (size_t)(sp - s);
    if (klen == 0 || klen > SB_TEXTFEAT_TERM_MAX || sp == end || *sp != ' ')
        return sb_error_set(err, 400, "invalid_field", "terms",
                            "a line is a term of 1..%d bytes and its label:count pairs",
                            SB_TEXTFEAT_TERM_MAX);
    long t = nb_intern(m, s, klen);
    if (t < 0)
        return sb_error_set(err, 500, "out_of_memory", "", "out of memory loading the model");
    nb_term *nt = &m->terms[t];
    if (nt->ncounts > 0)
        return sb_error_set(err, 400, "invalid_field", "terms", "term \"%.*s\" repeats",
                            (int)klen, s);
    const char *p = sp;
    while (p < end) {
        uint64_t label, count;
        if (*p++ != ' ' || nb_parse_uint(&p, end, m->nlabels - 1, &label) != 0 || p == end ||
            *p++ != ':' || nb_parse_uint(&p, end, UINT32_MAX, &count) != 0 || count == 0)
            return sb_error_set(err, 400, "invalid_field", "terms",
                                "term \"%.*s\": label:count pairs out of range", (int)klen, s);
        for (size_t k = 0; k < nt->ncounts; k++)
            if (nt->counts[k].label == label)
                return sb_error_set(err, 400, "invalid_field", "terms",
                                    "term \"%.*s\" names a label twice", (int)klen, s);
        if (nb_count_add(nt, (uint32_t)label, (uint32_t)count) != 0)
            return sb_error_set(err, 500, "out_of_memory", "", "out of memory loading the model");
        used[label] += count;
        if (used[label] > m->tokens[label])
            return sb_error_set(err, 400, "invalid_field", "labels.tokens",
                                "the terms of label %u count more than its tokens",
                                (unsigned)label);
    }
    return 0;
}

/* The "terms" string: lines, each ending in a newline. 0 or -1 with err. */
static int nb_parse_terms(sb_nb_model *m, const json_t *terms, sb_error *err)
{
    if (!json_is_string(terms))
        return sb_error_set(err, 400, "invalid_field", "terms", "terms must be a string");
    const char *s = json_string_value(terms), *end = s + json_string_length(terms);
    uint64_t used[SB_NB_MAX_LABELS] = {0};
    size_t lines = 0;
    for (const char *p = s; p < end; p++)
        lines += *p == '\n';
    if (nb_rehash(m, lines) != 0)
        return sb_error_set(err, 500, "out_of_memory", "", "out of memory loading the model");
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        if (!nl)
            return sb_error_set(err, 400, "invalid_field", "terms",
                                "every term line ends with a newline");
        if (nb_parse_term_line(m, s, nl, used, err) != 0)
            return -1;
        s = nl + 1;
    }
    return 0;
}

sb_nb_model *sb_nb_from_json(const json_t *j, sb_error *err)
{
    const char *format = json_string_value(json_object_get(j, "format"));
    json_int_t version;
    sb_nb_params p;
    if (format && strcmp(format, NB_FORMAT_LOGREG) == 0)
        return nb_logreg_from_json(j, err);
    if (!json_is_object(j) || !format || strcmp(format, NB_FORMAT) != 0) {
        sb_error_set(err, 400, "invalid_field", "format", "not a %s or %s model", NB_FORMAT,
                     NB_FORMAT_LOGREG);
        return NULL;
    }
    if (nb_json_int(j, "format_version", NB_FORMAT_VERSION, NB_FORMAT_VERSION, "format_version",
                    &version, err) != 0 || nb_json_params(j, &p, err) != 0)
        return NULL;
    sb_nb_model *m = nb_new_for_load(&p, err);
    if (!m)
        return NULL;
    if (nb_json_labels(j, m, err) != 0 || nb_parse_terms(m, json_object_get(j, "terms"), err) != 0 ||
        sb_nb_finish(m, err) != 0) {
        sb_nb_free(m);
        return NULL;
    }
    return m;
}

/* A document's place in the split order. */
typedef struct nb_split_item {
    const char *label, *text;
    uint64_t    hash;
    size_t      idx;
} nb_split_item;

static int nb_split_cmp(const void *a, const void *b)
{
    const nb_split_item *x = a, *y = b;
    int c = strcmp(x->label, y->label);
    if (c != 0)
        return c;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    c = strcmp(x->text, y->text);
    if (c != 0)
        return c;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

int sb_nb_split(const char *const *labels, const char *const *texts, size_t n, unsigned fold,
                unsigned char *is_test)
{
    nb_split_item *items = fold < SB_NB_FOLDS ? malloc((n ? n : 1) * sizeof(*items)) : NULL;
    if (!items)
        return -1;
    for (size_t i = 0; i < n; i++)
        items[i] = (nb_split_item){labels[i], texts[i], nb_hash(texts[i], strlen(texts[i])), i};
    qsort(items, n, sizeof(*items), nb_split_cmp);
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        pos = (i > 0 && strcmp(items[i].label, items[i - 1].label) == 0) ? pos + 1 : 0;
        is_test[items[i].idx] = pos % SB_NB_FOLDS == fold;
    }
    free(items);
    return 0;
}

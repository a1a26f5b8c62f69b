/* logreg.c - the classifier's logistic regression: sublinear tf-idf document vectors, an
 * L2-regularised softmax fitted by accelerated gradient descent, and its "sb-logreg" JSON. */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/nbayes_int.h"

#define LR_FORMAT_VERSION 1
#define LR_WEIGHT_MAX     1e6      /* sanity bound on weights and biases read from JSON */
#define LR_IDF_MAX        1e3
#define LR_DOCS_MAX       ((json_int_t)1 << 40)
#define LR_NUMBER_MAX     40       /* bytes of one number in the terms string */

/* Power iterations for the step size, and the margin over their estimate. */
#define LR_POWER_ITERATIONS 50
#define LR_POWER_MARGIN     1.25

/* The fit's working set: n documents over V terms and L labels. */
typedef struct lr_fit {
    size_t  n, V, L;
    float  *value;      /* per document term (sb_nb_model.dterms): its unit-vector value */
    float  *w, *prev;   /* weights V x L, now and one step ago (float: half the memory traffic
                           of the fit's inner loops; the stored model is float anyway) */
    float  *ahead;      /* the look-ahead point the gradient is taken at */
    float  *grad;
    double  b[SB_NB_MAX_LABELS], bprev[SB_NB_MAX_LABELS], bahead[SB_NB_MAX_LABELS];
    double  gb[SB_NB_MAX_LABELS];
} lr_fit;

/* Drops the pruned terms from the training documents and renumbers the rest. */
static void lr_remap_docs(sb_nb_model *m, const uint32_t *remap)
{
    size_t out = 0;
    for (size_t d = 0; d < m->ntdocs; d++) {
        nb_doc *doc = &m->tdocs[d];
        size_t start = out;
        for (size_t k = doc->start; k < doc->start + doc->n; k++) {
            uint32_t t = remap[m->dterms[k].term];
            if (t != UINT32_MAX)
                m->dterms[out++] = (nb_doc_term){t, m->dterms[k].count};
        }
        doc->start = start;
        doc->n = out - start;
    }
    m->ndterms = out;
}

/* idf = ln((1 + n) / (1 + df)) + 1, never below 1: a term in every document still counts a
 * little. */
static int lr_idf(sb_nb_model *m)
{
    size_t V = m->nterms;
    uint32_t *df = calloc(V ? V : 1, sizeof(*df));
    m->idf = malloc((V ? V : 1) * sizeof(float));
    if (!df || !m->idf) {
        free(df);
        return -1;
    }
    for (size_t k = 0; k < m->ndterms; k++)
        df[m->dterms[k].term]++;
    for (size_t t = 0; t < V; t++)
        m->idf[t] = (float)(log((1.0 + (double)m->ntdocs) / (1.0 + (double)df[t])) + 1.0);
    free(df);
    return 0;
}

/* Each document's vector: (1 + ln count) * idf per term, scaled to unit length. */
static void lr_values(const sb_nb_model *m, float *value)
{
    for (size_t d = 0; d < m->ntdocs; d++) {
        const nb_doc *doc = &m->tdocs[d];
        double norm = 0;
        for (size_t k = doc->start; k < doc->start + doc->n; k++) {
            const nb_doc_term *dt = &m->dterms[k];
            value[k] = (float)((1.0 + log((double)dt->count)) * (double)m->idf[dt->term]);
            norm += (double)value[k] * (double)value[k];
        }
        for (size_t k = doc->start; norm > 0 && k < doc->start + doc->n; k++)
            value[k] = (float)((double)value[k] / sqrt(norm));
    }
}

/* Adds one document's share of the mean cross-entropy's gradient at the look-ahead point. */
static void lr_doc_gradient(const sb_nb_model *m, lr_fit *f, const nb_doc *doc)
{
    double s[SB_NB_MAX_LABELS], max = -INFINITY, sum = 0;
    float dot[SB_NB_MAX_LABELS] = {0};
    for (size_t k = doc->start; k < doc->start + doc->n; k++) {
        const float *row = f->ahead + (size_t)m->dterms[k].term * f->L;
        for (size_t l = 0; l < f->L; l++)
            dot[l] += f->value[k] * row[l];
    }
    for (size_t l = 0; l < f->L; l++) {
        s[l] = f->bahead[l] + dot[l];
        max = s[l] > max ? s[l] : max;
    }
    for (size_t l = 0; l < f->L; l++)
        sum += (s[l] = exp(s[l] - max));
    for (size_t l = 0; l < f->L; l++)
        s[l] = (s[l] / sum - (l == doc->label)) / (double)f->n;
    float ds[SB_NB_MAX_LABELS];
    for (size_t l = 0; l < f->L; l++) {
        f->gb[l] += s[l];
        ds[l] = (float)s[l];
    }
    for (size_t k = doc->start; k < doc->start + doc->n; k++) {
        float *g = f->grad + (size_t)m->dterms[k].term * f->L;
        for (size_t l = 0; l < f->L; l++)
            g[l] += f->value[k] * ds[l];
    }
}

/* An upper bound of the largest eigenvalue of (1/n) X'X, X the documents' unit vectors: power
 * iteration, then a margin for its residual. Sparse documents are nearly orthogonal, so this is
 * far below the crude bound of 1. */
static double lr_gram_norm(const sb_nb_model *m, const lr_fit *f)
{
    size_t V = f->V ? f->V : 1;
    double *v = malloc(V * sizeof(*v)), *next = calloc(V, sizeof(*next)), est = 1.0;
    if (!v || !next) {
        free(v);
        free(next);
        return est;
    }
    for (size_t t = 0; t < V; t++)
        v[t] = 1.0 / sqrt((double)V);
    for (int it = 0; it < LR_POWER_ITERATIONS; it++) {
        memset(next, 0, V * sizeof(*next));
        for (size_t d = 0; d < f->n; d++) {
            const nb_doc *doc = &m->tdocs[d];
            double dot = 0;
            for (size_t k = doc->start; k < doc->start + doc->n; k++)
                dot += f->value[k] * v[m->dterms[k].term];
            for (size_t k = doc->start; k < doc->start + doc->n; k++)
                next[m->dterms[k].term] += f->value[k] * dot / (double)f->n;
        }
        double norm = 0;
        for (size_t t = 0; t < V; t++)
            norm += next[t] * next[t];
        norm = sqrt(norm);
        if (norm <= 0)
            break;
        est = norm;
        for (size_t t = 0; t < V; t++)
            v[t] = next[t] / norm;
    }
    free(v);
    free(next);
    /* Power iteration approaches from below: a margin, never above the crude bound. */
    return est * LR_POWER_MARGIN < 1.0 ? est * LR_POWER_MARGIN : 1.0;
}

/* Nesterov's accelerated gradient on mean cross-entropy + lambda/2 |W|^2 (the bias is not
 * regularised), preconditioned per block. The softmax's curvature is at most 1/2 per unit of
 * input and (x + 1)^2 <= 2x^2 + 2, so the Hessian is at most diag(gram + lambda, 1) with gram the
 * documents' largest eigenvalue (lr_gram_norm): steps of 1 / (gram + lambda) for the weights and
 * 1 for the biases are safe. Sparse documents make gram small: the weights move in long steps
 * where one step for both would be held back by the bias's constant input. */
static void lr_descend(const sb_nb_model *m, lr_fit *f)
{
    size_t VL = f->V * f->L;
    double lambda = 1.0 / (m->p.c * (double)f->n);
    double step = 1.0 / (lr_gram_norm(m, f) + lambda), bstep = 1.0;
    for (unsigned it = 0; it < m->p.iterations; it++) {
        double mom = (double)it / ((double)it + 3.0);
        float fmom = (float)mom, flambda = (float)lambda;
        for (size_t i = 0; i < VL; i++) {
            f->ahead[i] = f->w[i] + fmom * (f->w[i] - f->prev[i]);
            f->grad[i] = flambda * f->ahead[i];
        }
        for (size_t l = 0; l < f->L; l++) {
            f->bahead[l] = f->b[l] + mom * (f->b[l] - f->bprev[l]);
            f->gb[l] = 0;
        }
        for (size_t d = 0; d < f->n; d++)
            lr_doc_gradient(m, f, &m->tdocs[d]);
        float *old = f->prev, fstep = (float)step;
        f->prev = f->w;
        f->w = old;
        for (size_t i = 0; i < VL; i++)
            f->w[i] = f->ahead[i] - fstep * f->grad[i];
        for (size_t l = 0; l < f->L; l++) {
            f->bprev[l] = f->b[l];
            f->b[l] = f->bahead[l] - bstep * f->gb[l];
        }
    }
}

static void lr_fit_free(lr_fit *f)
{
    free(f->value);
    free(f->w);
    free(f->prev);
    free(f->ahead);
    free(f->grad);
}

int nb_logreg_fit(sb_nb_model *m, const uint32_t *remap, sb_error *err)
{
    lr_remap_docs(m, remap);
    lr_fit f = {.n = m->ntdocs, .V = m->nterms, .L = m->nlabels};
    size_t VL = (f.V ? f.V : 1) * f.L;
    f.value = malloc((m->ndterms ? m->ndterms : 1) * sizeof(float));
    f.w = calloc(VL, sizeof(float));
    f.prev = calloc(VL, sizeof(float));
    f.ahead = malloc(VL * sizeof(float));
    f.grad = malloc(VL * sizeof(float));
    m->weight = malloc(VL * sizeof(float));
    if (!f.value || !f.w || !f.prev || !f.ahead || !f.grad || !m->weight || lr_idf(m) != 0) {
        lr_fit_free(&f);
        return sb_error_set(err, 500, "out_of_memory", "", "out of memory while training");
    }
    lr_values(m, f.value);
    lr_descend(m, &f);
    for (size_t i = 0; i < f.V * f.L; i++)
        m->weight[i] = f.w[i];
    for (size_t l = 0; l < f.L; l++)
        m->bias[l] = f.b[l];
    lr_fit_free(&f);
    return 0;
}

/* A growing byte buffer for the term lines. */
typedef struct lr_buf {
    char  *p;
    size_t len, cap;
    int    failed;
} lr_buf;

/* Appends printf-style text; a failure sticks. */
static void lr_buf_printf(lr_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void lr_buf_printf(lr_buf *b, const char *fmt, ...)
{
    char tmp[SB_TEXTFEAT_TERM_MAX + LR_NUMBER_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    int fits = n >= 0 && (size_t)n < sizeof(tmp);
    char *p = b->failed || !fits ? NULL : sb_array_grow(b->p, &b->cap, b->len + (size_t)n + 1, 1, 65536);
    if (!p) {
        b->failed = 1;
        return;
    }
    b->p = p;
    memcpy(b->p + b->len, tmp, (size_t)n + 1);
    b->len += (size_t)n;
}

/* The terms as lines "term idf w0 w1 ... w(L-1)\n", floats printed to round-trip exactly:
 * one JSON string instead of a JSON value per number, so a model loads in milliseconds. */
static json_t *lr_terms_string(const sb_nb_model *m)
{
    lr_buf b = {0};
    lr_buf_printf(&b, "%s", "");
    for (size_t t = 0; t < m->nterms && !b.failed; t++) {
        lr_buf_printf(&b, "%s %.9g", m->terms[t].text, (double)m->idf[t]);
        for (size_t l = 0; l < m->nlabels; l++)
            lr_buf_printf(&b, " %.9g", (double)m->weight[t * m->nlabels + l]);
        lr_buf_printf(&b, "\n");
    }
    json_t *j = b.failed ? NULL : json_stringn(b.p, b.len);
    free(b.p);
    return j;
}

json_t *nb_logreg_to_json(const sb_nb_model *m)
{
    json_t *labels = json_array(), *bias = json_array(), *terms = lr_terms_string(m);
    json_t *j = json_pack("{s:s, s:i, s:{s:i, s:I, s:f, s:I}, s:o, s:o, s:o}", "format",
                          NB_FORMAT_LOGREG, "format_version", LR_FORMAT_VERSION, "params",
                          "flags", (int)m->p.flags, "min_count", (json_int_t)m->p.min_count,
                          "c", m->p.c, "iterations", (json_int_t)m->p.iterations, "labels",
                          labels, "bias", bias, "terms", terms);
    if (!j)
        return NULL;
    int bad = 0;
    for (size_t l = 0; l < m->nlabels && !bad; l++)
        bad = json_array_append_new(labels, json_pack("{s:s, s:I}", "label", m->labels[l], "docs",
                                                      (json_int_t)m->docs[l])) != 0 ||
              json_array_append_new(bias, json_real(m->bias[l])) != 0;
    if (bad) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* "params" into p. 0 or -1 with err naming the field. */
static int lr_json_params(const json_t *j, sb_nb_params *p, sb_error *err)
{
    const json_t *o = json_object_get(j, "params"), *c = json_object_get(o, "c");
    json_int_t flags, min_count, iterations;
    if (!json_is_object(o))
        return sb_error_set(err, 400, "invalid_field", "params", "params must be an object");
    if (nb_json_int(o, "flags", 1, SB_TEXTFEAT_ALL, "params.flags", &flags, err) != 0 ||
        nb_json_int(o, "min_count", 0, 1000000, "params.min_count", &min_count, err) != 0 ||
        nb_json_int(o, "iterations", 1, 100000, "params.iterations", &iterations, err) != 0)
        return -1;
    if (!json_is_number(c) || !isfinite(json_number_value(c)) || json_number_value(c) < 1e-3 ||
        json_number_value(c) > 1e6)
        return sb_error_set(err, 400, "invalid_field", "params.c",
                            "c must be a number in [0.001, 1000000]");
    sb_nb_params_default(p);
    p->kind = SB_NB_LOGISTIC;
    p->flags = (unsigned)flags;
    p->min_count = (unsigned)min_count;
    p->iterations = (unsigned)iterations;
    p->c = json_number_value(c);
    return 0;
}

/* "labels" and "bias" into m. 0 or -1 with err. */
static int lr_json_labels(const json_t *j, sb_nb_model *m, sb_error *err)
{
    const json_t *labels = json_object_get(j, "labels"), *bias = json_object_get(j, "bias");
    if (!json_is_array(labels) || json_array_size(labels) == 0 ||
        json_array_size(labels) > SB_NB_MAX_LABELS)
        return sb_error_set(err, 400, "invalid_field", "labels",
                            "labels must be an array of 1..%d labels", SB_NB_MAX_LABELS);
    if (!json_is_array(bias) || json_array_size(bias) != json_array_size(labels))
        return sb_error_set(err, 400, "invalid_field", "bias",
                            "bias must have one number per label");
    for (size_t i = 0; i < json_array_size(labels); i++) {
        const json_t *o = json_array_get(labels, i), *b = json_array_get(bias, i);
        const char *name = json_string_value(json_object_get(o, "label"));
        json_int_t docs;
        if (!name || nb_label_index(m, name, err) != (long)i)
            return sb_error_set(err, 400, "invalid_field", "labels.label",
                                "label %zu is not a new category/subtopic", i);
        if (nb_json_int(o, "docs", 1, LR_DOCS_MAX, "labels.docs", &docs, err) != 0)
            return -1;
        if (!json_is_number(b) || !(fabs(json_number_value(b)) <= LR_WEIGHT_MAX))
            return sb_error_set(err, 400, "invalid_field", "bias", "bias %zu is out of range", i);
        m->docs[i] = (uint64_t)docs;
        m->ndocs += (uint64_t)docs;
        m->bias[i] = json_number_value(b);
    }
    return 0;
}

/* One space and a finite number of at most max magnitude at *s (before end); advances *s.
 * strtod works on a bounded copy, so it never reads past the line. 0 or -1. */
static int lr_parse_number(const char **s, const char *end, double max, double *out)
{
    const char *p = *s;
    if (p >= end || *p != ' ')
        return -1;
    const char *q = ++p;
    while (q < end && *q != ' ')
        q++;
    size_t n = (size_t)(q - p);
    char tmp[LR_NUMBER_MAX];
    if (n == 0 || n >= sizeof(tmp))
        return -1;
    memcpy(tmp, p, n);
    tmp[n] = '\0';
    char *stop;
    double v = strtod(tmp, &stop);
    if (stop != tmp + n || !(fabs(v) <= max))
        return -1;
    *out = v;
    *s = q;
    return 0;
}

/* One line "term idf w0 .. w(L-1)" (without its newline) into m. 0 or -1 with err. */
static int lr_parse_term_line(sb_nb_model *m, const char *s, const char *end, sb_error *err)
{
    const char *sp = s;
    while (sp < end && (unsigned char)*sp > ' ')
        sp++;
    size_t klen = (size_t)(sp - s);
    if (klen == 0 || klen > SB_TEXTFEAT_TERM_MAX)
        return sb_error_set(err, 400, "invalid_field", "terms",
                            "a line is a term of 1..%d bytes, its idf and one weight per label",
                            SB_TEXTFEAT_TERM_MAX);
    size_t before = m->nterms;
    long t = nb_intern(m, s, klen);
    if (t < 0)
        return sb_error_set(err, 500, "out_of_memory", "", "out of memory loading the model");
    if (m->nterms == before)
        return sb_error_set(err, 400, "invalid_field", "terms", "term \"%.*s\" repeats",
                            (int)klen, s);
    double v;
    if (lr_parse_number(&sp, end, LR_IDF_MAX, &v) != 0 || v < 1)
        return sb_error_set(err, 400, "invalid_field", "terms", "term \"%.*s\": bad idf",
                            (int)klen, s);
    m->idf[t] = (float)v;
    for (size_t l = 0; l < m->nlabels; l++) {
        if (lr_parse_number(&sp, end, LR_WEIGHT_MAX, &v) != 0)
            return sb_error_set(err, 400, "invalid_field", "terms",
                                "term \"%.*s\": weight %zu is missing or out of range",
                                (int)klen, s, l);
        m->weight[(size_t)t * m->nlabels + l] = (float)v;
    }
    if (sp != end)
        return sb_error_set(err, 400, "invalid_field", "terms",
                            "term \"%.*s\": more weights than labels", (int)klen, s);
    return 0;
}

/* The "terms" string into m's idf and weights. 0 or -1 with err. */
static int lr_parse_terms(sb_nb_model *m, const json_t *terms, sb_error *err)
{
    if (!json_is_string(terms))
        return sb_error_set(err, 400, "invalid_field", "terms", "terms must be a string");
    const char *s = json_string_value(terms), *end = s + json_string_length(terms);
    size_t lines = 0;
    for (const char *p = s; p < end; p++)
        lines += *p == '\n';
    m->idf = malloc((lines ? lines : 1) * sizeof(float));
    m->weight = malloc((lines ? lines : 1) * m->nlabels * sizeof(float));
    if (!m->idf || !m->weight || nb_rehash(m, lines) != 0)
        return sb_error_set(err, 500, "out_of_memory", "", "out of memory loading the model");
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        if (!nl)
            return sb_error_set(err, 400, "invalid_field", "terms",
                                "every term line ends with a newline");
        if (lr_parse_term_line(m, s, nl, err) != 0)
            return -1;
        s = nl + 1;
    }
    return 0;
}

sb_nb_model *nb_logreg_from_json(const json_t *j, sb_error *err)
{
    json_int_t version;
    sb_nb_params p;
    if (nb_json_int(j, "format_version", LR_FORMAT_VERSION, LR_FORMAT_VERSION, "format_version",
                    &version, err) != 0 || lr_json_params(j, &p, err) != 0)
        return NULL;
    sb_nb_model *m = nb_new_for_load(&p, err);
    if (!m)
        return NULL;
    if (lr_json_labels(j, m, err) != 0 ||
        lr_parse_terms(m, json_object_get(j, "terms"), err) != 0) {
        sb_nb_free(m);
        return NULL;
    }
    nb_top_label(m);
    m->finished = 1;
    return m;
}

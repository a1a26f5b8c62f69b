/* metrics.c - in-process counters, gauges and histograms, rendered as Prometheus text. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/metrics.h"

const double sb_metrics_latency_ms[12] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000};

typedef enum { KIND_COUNTER, KIND_GAUGE, KIND_HISTOGRAM } metric_kind;

/* One labelled series of a family; which value fields are used depends on the family's kind. */
typedef struct series {
    struct series *next;
    const struct family *fam; /* owner: histograms need its bounds when observing */
    char          *labels;    /* label body without braces, "" for none */
    uint64_t       count;     /* counter value, or histogram observation count */
    double         value;     /* gauge value, or histogram sum */
    uint64_t      *buckets;   /* histogram: per-bound (non-cumulative) counts, nbounds long */
} series;

/* All series sharing one name: HELP and TYPE are printed once for them. */
typedef struct family {
    struct family *next;
    char          *name;      /* without prefix and without the counter's "_total" */
    char          *help;
    metric_kind    kind;
    double        *bounds;    /* histogram only */
    size_t         nbounds;
    series        *first, **tail;
} family;

struct sb_metrics {
    char   *prefix;
    family *first, **tail;
};

/* Metric handles are series; the public types only exist to keep kinds apart at compile time. */
struct sb_counter { series s; };
struct sb_gauge { series s; };
struct sb_histogram { series s; };

/* Misuse (a name reused with another kind) or OOM: the header promises never to return NULL. */
__attribute__((noreturn)) static void die(const char *why, const char *name)
{
    fprintf(stderr, "metrics: %s: %s\n", why, name ? name : "");
    abort();
}

/* calloc that aborts on failure. */
static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p)
        die("out of memory", NULL);
    return p;
}

/* strdup that aborts on failure; NULL reads as "". */
static char *xstrdup(const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d)
        die("out of memory", NULL);
    return d;
}

sb_metrics *sb_metrics_new(const char *prefix)
{
    sb_metrics *m = xcalloc(1, sizeof *m);
    m->prefix = xstrdup(prefix);
    m->tail = &m->first;
    return m;
}

void sb_metrics_free(sb_metrics *m)
{
    if (!m)
        return;
    for (family *f = m->first, *fn; f; f = fn) {
        fn = f->next;
        for (series *s = f->first, *sn; s; s = sn) {
            sn = s->next;
            free(s->labels);
            free(s->buckets);
            free(s);
        }
        free(f->name);
        free(f->help);
        free(f->bounds);
        free(f);
    }
    free(m->prefix);
    free(m);
}

/* The family called name, created with kind on first use. */
static family *family_get(sb_metrics *m, const char *name, const char *help, metric_kind kind)
{
    for (family *f = m->first; f; f = f->next) {
        if (strcmp(f->name, name) != 0)
            continue;
        if (f->kind != kind)
            die("metric registered twice with different types", name);
        return f;
    }
    family *f = xcalloc(1, sizeof *f);
    f->name = xstrdup(name);
    f->help = xstrdup(help);
    f->kind = kind;
    f->tail = &f->first;
    *m->tail = f;
    m->tail = &f->next;
    return f;
}

/* The series of f with these labels, appended on first use. The handle structs wrap a series
 * as their only member, so the allocation is sized for them. */
static series *series_get(family *f, const char *labels)
{
    const char *l = labels ? labels : "";
    for (series *s = f->first; s; s = s->next)
        if (strcmp(s->labels, l) == 0)
            return s;
    series *s = xcalloc(1, sizeof(struct sb_histogram));
    s->labels = xstrdup(l);
    s->fam = f;
    if (f->kind == KIND_HISTOGRAM)
        s->buckets = xcalloc(f->nbounds, sizeof *s->buckets);
    *f->tail = s;
    f->tail = &s->next;
    return s;
}

sb_counter *sb_metrics_counter(sb_metrics *m, const char *name, const char *help,
                               const char *labels)
{
    return (sb_counter *)series_get(family_get(m, name, help, KIND_COUNTER), labels);
}

sb_gauge *sb_metrics_gauge(sb_metrics *m, const char *name, const char *help, const char *labels)
{
    return (sb_gauge *)series_get(family_get(m, name, help, KIND_GAUGE), labels);
}

sb_histogram *sb_metrics_histogram(sb_metrics *m, const char *name, const char *help,
                                   const char *labels, const double *bounds, size_t nbounds)
{
    family *f = family_get(m, name, help, KIND_HISTOGRAM);
    if (!f->bounds) {
        for (size_t i = 1; i < nbounds; i++)
            if (!(bounds[i] > bounds[i - 1]))
                die("histogram bounds must ascend", name);
        f->bounds = xcalloc(nbounds, sizeof *f->bounds);
        if (nbounds)
            memcpy(f->bounds, bounds, nbounds * sizeof *bounds);
        f->nbounds = nbounds;
    }
    /* Every series of a family shares the first registration's bounds, so buckets line up. */
    return (sb_histogram *)series_get(f, labels);
}

void sb_counter_add(sb_counter *c, uint64_t n)
{
    c->s.count += n;
}

uint64_t sb_counter_value(const sb_counter *c)
{
    return c->s.count;
}

void sb_gauge_set(sb_gauge *g, double v)
{
    g->s.value = v;
}

void sb_histogram_observe(sb_histogram *h, double v)
{
    series *s = &h->s;
    s->count++;
    s->value += v;
    /* Only the first bound that holds v is counted; rendering makes the counts cumulative. */
    for (size_t i = 0; i < s->fam->nbounds; i++) {
        if (v <= s->fam->bounds[i]) {
            s->buckets[i]++;
            break;
        }
    }
}

/* A double as Prometheus writes it: shortest exact decimal, or NaN/+Inf/-Inf. */
static void put_double(FILE *f, double v)
{
    if (isnan(v)) {
        fputs("NaN", f);
    } else if (isinf(v)) {
        fputs(v > 0 ? "+Inf" : "-Inf", f);
    } else {
        char buf[32];
        snprintf(buf, sizeof buf, "%.15g", v);
        if (strtod(buf, NULL) != v)
            snprintf(buf, sizeof buf, "%.17g", v);
        fputs(buf, f);
    }
}

/* HELP text with backslash and newline escaped, as the text format requires. */
static void put_help(FILE *f, const char *help)
{
    for (; *help; help++) {
        if (*help == '\\')
            fputs("\\\\", f);
        else if (*help == '\n')
            fputs("\\n", f);
        else
            fputc(*help, f);
    }
}

/* "name{labels}" or "name{labels,le=\"bound\"}"; bound NULL means no le label. */
static void put_sample_name(FILE *f, const char *prefix, const char *name, const char *suffix,
                            const char *labels, const double *bound)
{
    fprintf(f, "%s_%s%s", prefix, name, suffix);
    if (!*labels && !bound)
        return;
    fprintf(f, "{%s%s", labels, *labels && bound ? "," : "");
    if (bound) {
        fputs("le=\"", f);
        put_double(f, *bound);
        fputc('"', f);
    }
    fputc('}', f);
}

/* The _bucket, _sum and _count lines of one histogram series. */
static void render_histogram(FILE *f, const char *prefix, const family *fam, const series *s)
{
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= fam->nbounds; i++) {
        double inf = INFINITY;
        cumulative += i < fam->nbounds ? s->buckets[i] : 0;
        put_sample_name(f, prefix, fam->name, "_bucket", s->labels,
                        i < fam->nbounds ? &fam->bounds[i] : &inf);
        fprintf(f, " %llu\n", (unsigned long long)(i < fam->nbounds ? cumulative : s->count));
    }
    put_sample_name(f, prefix, fam->name, "_sum", s->labels, NULL);
    fputc(' ', f);
    put_double(f, s->value);
    fputc('\n', f);
    put_sample_name(f, prefix, fam->name, "_count", s->labels, NULL);
    fprintf(f, " %llu\n", (unsigned long long)s->count);
}

/* HELP, TYPE and every series of one family. */
static void render_family(FILE *f, const char *prefix, const family *fam)
{
    static const char *const types[] = {"counter", "gauge", "histogram"};
    /* Counters are exposed with "_total", and the text format wants TYPE to name the sample. */
    const char *suffix = fam->kind == KIND_COUNTER ? "_total" : "";
    fprintf(f, "# HELP %s_%s%s ", prefix, fam->name, suffix);
    put_help(f, fam->help);
    fprintf(f, "\n# TYPE %s_%s%s %s\n", prefix, fam->name, suffix, types[fam->kind]);
    for (const series *s = fam->first; s; s = s->next) {
        if (fam->kind == KIND_HISTOGRAM) {
            render_histogram(f, prefix, fam, s);
            continue;
        }
        put_sample_name(f, prefix, fam->name, suffix, s->labels, NULL);
        if (fam->kind == KIND_COUNTER)
            fprintf(f, " %llu\n", (unsigned long long)s->count);
        else {
            fputc(' ', f);
            put_double(f, s->value);
            fputc('\n', f);
        }
    }
}

char *sb_metrics_render(const sb_metrics *m)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    for (const family *fam = m->first; fam; fam = fam->next)
        render_family(f, m->prefix, fam);
    /* A memstream only fails on OOM; then the partial text is useless. */
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

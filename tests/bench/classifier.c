/* classifier.c - accuracy benchmark of the text classifier on tests/data/classify (every data
 * file, each also reported on its own): deterministic stratified 80/20 split, per-class
 * precision/recall/F1, accuracy per language and per file, accuracy and coverage per confidence
 * threshold, a 5-fold cross-validation, the recommended triage
 * threshold, one summary line; exit 1 when category accuracy on the held-out fifth is below
 * --min-accuracy or, cross-validated, the automatic decisions at the threshold classify uses
 * (SB_CLASSIFIER_TRIAGE_THRESHOLD) are right less often than --min-decided-accuracy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/classifier.h"
#include "common/nbayes.h"

#define BENCH_MAX_ROWS   20000
#define BENCH_LINE_MAX   8192
#define BENCH_MAX_FILES  8
/* Share of automatic decisions (confidence at or above the threshold) that must be right for a
 * threshold to be recommended: the 90 % aim, applied to what is decided without a person. */
#define BENCH_TARGET_PRECISION 0.90

static const double bench_thresholds[] = {0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9};
#define BENCH_NTHRESHOLDS (sizeof(bench_thresholds) / sizeof(bench_thresholds[0]))

typedef struct row {
    char *label;      /* "category/subtopic" */
    char *category;
    char *lang;
    char *text;
    size_t file;      /* index in dataset.files */
} row;

typedef struct dataset {
    row         rows[BENCH_MAX_ROWS];
    size_t      n;
    const char *files[BENCH_MAX_FILES];
    size_t      nfiles;
} dataset;

/* Per-class tallies for precision/recall/F1. */
typedef struct tally {
    char   name[SB_NB_LABEL_MAX];
    size_t tp, fp, fn;
} tally;

typedef struct tallies {
    tally  t[SB_NB_MAX_LABELS];
    size_t n;
} tallies;

/* Appends one labelled file (header category, subtopic, lang, text) to d. 0 or -1. */
static int load(const char *path, dataset *d)
{
    if (d->nfiles == BENCH_MAX_FILES) {
        fprintf(stderr, "%s: more than %d data files\n", path, BENCH_MAX_FILES);
        return -1;
    }
    size_t file = d->nfiles;
    d->files[d->nfiles++] = path;
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return -1;
    }
    char line[BENCH_LINE_MAX];
    size_t lineno = 0;
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (lineno == 1 || !line[0])
            continue;
        char *cat = line, *sub = strchr(cat, '\t'), *lang = sub ? strchr(sub + 1, '\t') : NULL;
        char *text = lang ? strchr(lang + 1, '\t') : NULL;
        if (!text || d->n == BENCH_MAX_ROWS) {
            fprintf(stderr, "%s:%zu: expected category<TAB>subtopic<TAB>lang<TAB>text\n", path,
                    lineno);
            fclose(f);
            return -1;
        }
        *sub++ = *lang++ = *text++ = '\0';
        row *r = &d->rows[d->n++];
        size_t ll = strlen(cat) + strlen(sub) + 2;
        r->label = malloc(ll);
        snprintf(r->label, ll, "%s/%s", cat, sub);
        r->category = strdup(cat);
        r->lang = strdup(lang);
        r->text = strdup(text);
        r->file = file;
    }
    fclose(f);
    return 0;
}

/* qsort order of rows by text. */
static int row_text_cmp(const void *a, const void *b)
{
    return strcmp((*(const row *const *)a)->text, (*(const row *const *)b)->text);
}

/* -1 (reported) when two messages have the same text: one would train and its twin be tested,
 * flattering the measurement. */
static int refuse_duplicates(const dataset *d)
{
    const row **by_text = malloc(d->n * sizeof(*by_text));
    if (!by_text)
        return -1;
    for (size_t i = 0; i < d->n; i++)
        by_text[i] = &d->rows[i];
    qsort(by_text, d->n, sizeof(*by_text), row_text_cmp);
    int rc = 0;
    for (size_t i = 1; i < d->n; i++)
        if (strcmp(by_text[i - 1]->text, by_text[i]->text) == 0) {
            fprintf(stderr, "bench_classifier: %s and %s both have the message \"%s\"\n",
                    d->files[by_text[i - 1]->file], d->files[by_text[i]->file], by_text[i]->text);
            rc = -1;
        }
    free(by_text);
    return rc;
}

static tally *tally_of(tallies *ts, const char *name)
{
    for (size_t i = 0; i < ts->n; i++)
        if (strcmp(ts->t[i].name, name) == 0)
            return &ts->t[i];
    tally *t = &ts->t[ts->n++];
    memset(t, 0, sizeof(*t));
    snprintf(t->name, sizeof(t->name), "%s", name);
    return t;
}

static void tally_add(tallies *ts, const char *truth, const char *guess)
{
    tally *a = tally_of(ts, truth), *b = tally_of(ts, guess);
    if (a == b) {
        a->tp++;
    } else {
        a->fn++;
        b->fp++;
    }
}

static double ratio(size_t a, size_t b) { return b ? (double)a / (double)b : 0; }

/* Prints the table and returns the macro-averaged F1. */
static double tally_print(const char *title, const tallies *ts, int verbose)
{
    double sum = 0;
    if (verbose)
        printf("\n%-34s %9s %9s %9s %7s\n", title, "precision", "recall", "f1", "support");
    for (size_t i = 0; i < ts->n; i++) {
        const tally *t = &ts->t[i];
        double p = ratio(t->tp, t->tp + t->fp), r = ratio(t->tp, t->tp + t->fn);
        double f1 = p + r > 0 ? 2 * p * r / (p + r) : 0;
        sum += f1;
        if (verbose)
            printf("%-34s %9.3f %9.3f %9.3f %7zu\n", t->name, p, r, f1, t->tp + t->fn);
    }
    double macro = ts->n ? sum / (double)ts->n : 0;
    if (verbose)
        printf("%-34s %29.3f\n", "macro average", macro);
    return macro;
}

typedef struct options {
    const char  *data[BENCH_MAX_FILES];
    size_t       ndata;
    sb_nb_params params;
    double       min_accuracy, min_decided_accuracy;
    int          verbose, misses;
} options;

static int usage(void)
{
    fprintf(stderr, "usage: bench_classifier [--data labelled.tsv]... [--kind logistic|bayes]"
                    " [--flags N] [--c C] [--iterations N] [--alpha A]"
                    " [--binary 0|1] [--min-count N] [--min-accuracy X]"
                    " [--min-decided-accuracy X] [--quiet] [--misses]\n");
    return 2;
}

static int parse(int argc, char **argv, options *o)
{
    sb_nb_params_default(&o->params);
    o->min_accuracy = 0;
    o->verbose = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--quiet") == 0) {
            o->verbose = 0;
            continue;
        }
        if (strcmp(a, "--misses") == 0) {
            o->misses = 1;
            continue;
        }
        if (!v)
            return -1;
        i++;
        if (strcmp(a, "--data") == 0 && o->ndata < BENCH_MAX_FILES)
            o->data[o->ndata++] = v;
        else if (strcmp(a, "--flags") == 0)
            o->params.flags = (unsigned)atoi(v);
        else if (strcmp(a, "--kind") == 0 && strcmp(v, "logistic") == 0)
            o->params.kind = SB_NB_LOGISTIC;
        else if (strcmp(a, "--kind") == 0 && strcmp(v, "bayes") == 0)
            o->params.kind = SB_NB_BAYES;
        else if (strcmp(a, "--c") == 0)
            o->params.c = atof(v);
        else if (strcmp(a, "--iterations") == 0)
            o->params.iterations = (unsigned)atoi(v);
        else if (strcmp(a, "--alpha") == 0)
            o->params.alpha = atof(v);
        else if (strcmp(a, "--binary") == 0)
            o->params.binary = atoi(v);
        else if (strcmp(a, "--min-count") == 0)
            o->params.min_count = (unsigned)atoi(v);
        else if (strcmp(a, "--min-accuracy") == 0)
            o->min_accuracy = atof(v);
        else if (strcmp(a, "--min-decided-accuracy") == 0)
            o->min_decided_accuracy = atof(v);
        else
            return -1;
    }
    if (o->ndata == 0) {          /* the shipped set: every file the migrations seed */
        o->data[o->ndata++] = SB_SOURCE_DIR "/tests/data/classify/labelled.tsv";
        o->data[o->ndata++] = SB_SOURCE_DIR "/tests/data/classify/labelled-2.tsv";
    }
    return 0;
}

/* Results on the held-out part. */
typedef struct results {
    size_t  test, cat_ok, sub_ok;
    size_t  lang_n[2], lang_cat_ok[2], lang_sub_ok[2];   /* zh, en */
    size_t  file_n[BENCH_MAX_FILES], file_cat_ok[BENCH_MAX_FILES];
    size_t  covered[BENCH_NTHRESHOLDS], covered_ok[BENCH_NTHRESHOLDS];
    tallies cats, subs;
    double  seconds;
    size_t  predictions;
} results;

static void evaluate(const options *o, const dataset *d, const unsigned char *is_test,
                     const sb_nb_model *m, int timed, results *r)
{
    sb_nb_prediction p;
    for (size_t i = 0; i < d->n; i++) {
        const row *x = &d->rows[i];
        if (!is_test[i])
            continue;
        sb_nb_predict(m, x->text, strlen(x->text), &p);
        int cat_ok = strcmp(p.category, x->category) == 0, sub_ok = strcmp(p.label, x->label) == 0;
        int lang = strcmp(x->lang, "zh") == 0 ? 0 : 1;
        r->test++;
        r->cat_ok += cat_ok;
        r->sub_ok += sub_ok;
        r->lang_n[lang]++;
        r->lang_cat_ok[lang] += cat_ok;
        r->lang_sub_ok[lang] += sub_ok;
        r->file_n[x->file]++;
        r->file_cat_ok[x->file] += cat_ok;
        for (size_t t = 0; t < BENCH_NTHRESHOLDS; t++)
            if (p.category_confidence >= bench_thresholds[t]) {
                r->covered[t]++;
                r->covered_ok[t] += cat_ok;
            }
        tally_add(&r->cats, x->category, p.category);
        tally_add(&r->subs, x->label, p.label);
        if (o->misses && timed && !cat_ok)
            printf("miss %-30s -> %-30s %.2f  %s\n", x->label, p.label, p.category_confidence,
                   x->text);
    }
    if (!timed)
        return;
    /* Speed, for information only (never asserted): every text of the set, 20 times over. */
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int rep = 0; rep < 20; rep++)
        for (size_t i = 0; i < d->n; i++)
            sb_nb_predict(m, d->rows[i].text, strlen(d->rows[i].text), &p);
    clock_gettime(CLOCK_MONOTONIC, &b);
    r->predictions = 20 * d->n;
    r->seconds = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
}

/* The lowest threshold whose automatic decisions are right at least BENCH_TARGET_PRECISION of
 * the time (more tickets decided, few wrong); the highest one when none is. Taken from the
 * cross-validation: a prediction for every example is steadier than the fifth's alone. */
static size_t recommend(const results *r)
{
    for (size_t t = 0; t < BENCH_NTHRESHOLDS; t++)
        if (ratio(r->covered_ok[t], r->covered[t]) >= BENCH_TARGET_PRECISION)
            return t;
    return BENCH_NTHRESHOLDS - 1;
}

/* Category accuracy per data file: shows whether a later file's messages are easier than the
 * first release's (if they were, the mixed figure would flatter the model). */
static void report_files(const dataset *d, const results *r, const char *indent)
{
    if (d->nfiles < 2)
        return;
    for (size_t f = 0; f < d->nfiles; f++) {
        const char *base = strrchr(d->files[f], '/');
        printf("%s%-20s test %5zu  category_accuracy %.3f\n", indent, base ? base + 1 : d->files[f],
               r->file_n[f], ratio(r->file_cat_ok[f], r->file_n[f]));
    }
}

/* The tables; returns the categories' macro-averaged F1. */
static double report(const options *o, const dataset *d, const results *r, const sb_nb_model *m)
{
    static const char *langs[] = {"zh", "en"};
    double cat_f1 = tally_print("category", &r->cats, o->verbose);
    tally_print("category/subtopic", &r->subs, o->verbose);
    if (o->verbose) {
        printf("\nlanguage  test  category_accuracy  subtopic_accuracy\n");
        for (int l = 0; l < 2; l++)
            printf("%-8s %5zu  %17.3f  %17.3f\n", langs[l], r->lang_n[l],
                   ratio(r->lang_cat_ok[l], r->lang_n[l]), ratio(r->lang_sub_ok[l], r->lang_n[l]));
        printf("\n");
        report_files(d, r, "");
        printf("\nthreshold  coverage  accuracy_of_covered  triage_share\n");
        for (size_t t = 0; t < BENCH_NTHRESHOLDS; t++)
            printf("%9.2f  %8.3f  %19.3f  %12.3f\n", bench_thresholds[t],
                   ratio(r->covered[t], r->test), ratio(r->covered_ok[t], r->covered[t]),
                   1 - ratio(r->covered[t], r->test));
        if (o->params.kind == SB_NB_LOGISTIC)
            printf("\nparams: kind=logistic flags=%u c=%g iterations=%u min_count=%u"
                   " vocabulary=%zu\n", o->params.flags, o->params.c, o->params.iterations,
                   o->params.min_count, sb_nb_vocabulary(m));
        else
            printf("\nparams: kind=bayes flags=%u alpha=%g binary=%d min_count=%u"
                   " vocabulary=%zu\n", o->params.flags, o->params.alpha, o->params.binary,
                   o->params.min_count, sb_nb_vocabulary(m));
        printf("speed: %.0f predictions/s (informational)\n",
               r->seconds > 0 ? (double)r->predictions / r->seconds : 0);
    }
    return cat_f1;
}

/* The one line scripts read; the triage share is the fifth's at the threshold classify uses. */
static void summary(const dataset *d, size_t train, const results *r, size_t used, double cat_f1)
{
    printf("classifier: examples=%zu train=%zu test=%zu category_accuracy=%.3f"
           " subtopic_accuracy=%.3f macro_f1=%.3f triage_share@%.2f=%.3f\n",
           d->n, train, r->test, ratio(r->cat_ok, r->test), ratio(r->sub_ok, r->test), cat_f1,
           bench_thresholds[used], 1 - ratio(r->covered[used], r->test));
}

/* A model trained on the documents not in is_test; *train counts them. NULL (reported) on
 * failure. */
static sb_nb_model *train_split(const options *o, const char **labels, const char **texts,
                                size_t n, const unsigned char *is_test, size_t *train)
{
    sb_nb_model *m = sb_nb_new_with(&o->params);
    sb_error err;
    if (!m) {
        fprintf(stderr, "bench_classifier: invalid parameters\n");
        return NULL;
    }
    *train = 0;
    for (size_t i = 0; i < n; i++) {
        if (is_test[i])
            continue;
        (*train)++;
        if (sb_nb_add(m, labels[i], texts[i], strlen(texts[i]), &err) != 0) {
            fprintf(stderr, "bench_classifier: example %zu: %s\n", i + 1, err.message);
            sb_nb_free(m);
            return NULL;
        }
    }
    if (sb_nb_finish(m, &err) != 0) {
        fprintf(stderr, "bench_classifier: %s\n", err.message);
        sb_nb_free(m);
        return NULL;
    }
    return m;
}

/* Every fold held out in turn: category accuracy per fold, and the threshold table over all
 * documents (each predicted by the model that did not see it). For information: a steadier
 * estimate than the one fixed fifth. 0 or -1. */
static int cross_validate(const options *o, const dataset *d, const char **labels,
                          const char **texts, unsigned char *is_test, results *all_out)
{
    static results all;
    memset(&all, 0, sizeof(all));
    if (o->verbose)
        printf("\ncross-validation (%d folds):", SB_NB_FOLDS);
    double lo = 1, hi = 0;
    for (unsigned f = 0; f < SB_NB_FOLDS; f++) {
        static results r;
        size_t train;
        memset(&r, 0, sizeof(r));
        if (sb_nb_split(labels, texts, d->n, f, is_test) != 0)
            return -1;
        sb_nb_model *m = train_split(o, labels, texts, d->n, is_test, &train);
        if (!m)
            return -1;
        evaluate(o, d, is_test, m, 0, &r);
        sb_nb_free(m);
        double acc = ratio(r.cat_ok, r.test);
        lo = acc < lo ? acc : lo;
        hi = acc > hi ? acc : hi;
        if (o->verbose)
            printf(" %.3f", acc);
        all.test += r.test;
        all.cat_ok += r.cat_ok;
        all.sub_ok += r.sub_ok;
        for (size_t t = 0; t < BENCH_NTHRESHOLDS; t++) {
            all.covered[t] += r.covered[t];
            all.covered_ok[t] += r.covered_ok[t];
        }
        for (size_t k = 0; k < d->nfiles; k++) {
            all.file_n[k] += r.file_n[k];
            all.file_cat_ok[k] += r.file_cat_ok[k];
        }
    }
    *all_out = all;
    if (!o->verbose)
        return 0;
    printf("\n  category accuracy %.3f (folds %.3f..%.3f), subtopic accuracy %.3f\n",
           ratio(all.cat_ok, all.test), lo, hi, ratio(all.sub_ok, all.test));
    report_files(d, &all, "  ");
    printf("  threshold  coverage  accuracy_of_covered\n");
    for (size_t t = 0; t < BENCH_NTHRESHOLDS; t++)
        printf("  %9.2f  %8.3f  %19.3f\n", bench_thresholds[t], ratio(all.covered[t], all.test),
               ratio(all.covered_ok[t], all.covered[t]));
    printf("recommended threshold: %.2f (lowest with >= %.0f%% of automatic decisions right,"
           " cross-validated); classify uses %.2f\n", bench_thresholds[recommend(&all)],
           BENCH_TARGET_PRECISION * 100, SB_CLASSIFIER_TRIAGE_THRESHOLD);
    return 0;
}

/* The index of SB_CLASSIFIER_TRIAGE_THRESHOLD in bench_thresholds, or -1. */
static int threshold_in_use(void)
{
    for (size_t t = 0; t < BENCH_NTHRESHOLDS; t++)
        if (bench_thresholds[t] > SB_CLASSIFIER_TRIAGE_THRESHOLD - 1e-9 &&
            bench_thresholds[t] < SB_CLASSIFIER_TRIAGE_THRESHOLD + 1e-9)
            return (int)t;
    return -1;
}

int main(int argc, char **argv)
{
    static dataset d;
    static results r, cv;
    options o;
    memset(&o, 0, sizeof(o));
    if (parse(argc, argv, &o) != 0)
        return usage();
    for (size_t f = 0; f < o.ndata; f++)
        if (load(o.data[f], &d) != 0)
            return 2;
    if (d.n == 0 || refuse_duplicates(&d) != 0)
        return 2;
    const char **labels = malloc(d.n * sizeof(*labels)), **texts = malloc(d.n * sizeof(*texts));
    unsigned char *is_test = calloc(d.n, 1);
    for (size_t i = 0; i < d.n; i++) {
        labels[i] = d.rows[i].label;
        texts[i] = d.rows[i].text;
    }
    size_t train = 0;
    sb_nb_model *m = NULL;
    if (sb_nb_split(labels, texts, d.n, SB_NB_HOLDOUT_FOLD, is_test) != 0 ||
        !(m = train_split(&o, labels, texts, d.n, is_test, &train)))
        return 2;
    evaluate(&o, &d, is_test, m, 1, &r);
    double cat_f1 = report(&o, &d, &r, m);
    if (cross_validate(&o, &d, labels, texts, is_test, &cv) != 0)
        return 2;
    int used = threshold_in_use();
    if (used < 0) {
        fprintf(stderr, "bench_classifier: SB_CLASSIFIER_TRIAGE_THRESHOLD %.2f is not one of the"
                        " thresholds measured\n", SB_CLASSIFIER_TRIAGE_THRESHOLD);
        return 2;
    }
    summary(&d, train, &r, (size_t)used, cat_f1);
    double acc = ratio(r.cat_ok, r.test);
    double decided = ratio(cv.covered_ok[used], cv.covered[used]);
    int rc = 0;
    if (acc < o.min_accuracy) {
        fprintf(stderr, "bench_classifier: category accuracy %.3f is below %.3f\n", acc,
                o.min_accuracy);
        rc = 1;
    }
    if (decided < o.min_decided_accuracy) {
        fprintf(stderr, "bench_classifier: automatic decisions at %.2f are right %.3f of the time"
                        " (cross-validated), below %.3f\n", SB_CLASSIFIER_TRIAGE_THRESHOLD,
                decided, o.min_decided_accuracy);
        rc = 1;
    }
    sb_nb_free(m);
    for (size_t i = 0; i < d.n; i++) {
        free(d.rows[i].label);
        free(d.rows[i].category);
        free(d.rows[i].lang);
        free(d.rows[i].text);
    }
    free(labels);
    free(texts);
    free(is_test);
    return rc;
}

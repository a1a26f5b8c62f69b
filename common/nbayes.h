/* nbayes.h - the statistical text classifier over the terms of common/textfeat.h: labels
 * "category/subtopic", one of two linear models (multinomial logistic regression over tf-idf,
 * the default, or multinomial naive Bayes), posteriors by softmax, the category's confidence as
 * the sum of its sub-topics' posteriors, and the terms that decided. */
#ifndef SB_NBAYES_H
#define SB_NBAYES_H

#include <stddef.h>
#include <jansson.h>
#include "common/error.h"
#include "common/textfeat.h"

#define SB_NB_MAX_LABELS   64   /* distinct "category/subtopic" labels in one model */
#define SB_NB_CATEGORY_MAX 32   /* bytes with NUL, as sb_decision.category */
#define SB_NB_SUBTOPIC_MAX 48   /* bytes with NUL, as sb_decision.subtopic */
#define SB_NB_LABEL_MAX    (SB_NB_CATEGORY_MAX + SB_NB_SUBTOPIC_MAX)
#define SB_NB_ALTERNATIVES 3    /* labels listed in a prediction, best first */
#define SB_NB_TOP_TERMS    5    /* terms listed as the reason for a prediction */

/* Which model is trained. Both score a text as bias[label] + sum of value(term) * weight[term]
 * [label]; they differ in the values and in how the weights are found. */
typedef enum sb_nb_kind {
    /* weights = log P(term | label) from smoothed counts; value = 1 per term (binary) or its
     * count. Trains in one pass; every term votes on its own. */
    SB_NB_BAYES = 0,
    /* weights fitted by L2-regularised softmax regression; value = sublinear tf-idf, the
     * text's vector of unit length. Learns which terms matter together: about 6 points more
     * category accuracy on tests/data/classify (tests/data/classify/README.md). */
    SB_NB_LOGISTIC = 1
} sb_nb_kind;

/* How a model is trained; sb_nb_params_default() gives what the benchmark found best. */
typedef struct sb_nb_params {
    unsigned flags;       /* SB_TEXTFEAT_* terms used */
    double   alpha;       /* bayes: Lidstone smoothing added to every count, 1e-6..1000 */
    int      binary;      /* bayes: count a term once per document (binarized multinomial NB) */
    unsigned min_count;   /* terms seen fewer times than this in training are dropped */
    sb_nb_kind kind;      /* SB_NB_BAYES (0) unless set */
    double   c;           /* logistic: inverse regularisation strength, 1e-3..1e6 */
    unsigned iterations;  /* logistic: accelerated gradient steps, 1..100000 */
} sb_nb_params;

typedef struct sb_nb_model sb_nb_model;

typedef struct sb_nb_alternative {
    char   label[SB_NB_LABEL_MAX];
    double p;                        /* posterior of the label */
} sb_nb_alternative;

typedef struct sb_nb_term_weight {
    char   term[SB_TEXTFEAT_TERM_MAX + 1];
    double weight;                   /* log-odds it adds for the label over the runner-up */
} sb_nb_term_weight;

typedef struct sb_nb_prediction {
    char              label[SB_NB_LABEL_MAX];       /* "category/subtopic" */
    char              category[SB_NB_CATEGORY_MAX];
    char              subtopic[SB_NB_SUBTOPIC_MAX];
    /* P(category | text): the posteriors of its sub-topics summed. The category is the most
     * probable one, which is not always the category of the single most probable label. */
    double            category_confidence;
    /* P(category/subtopic | text) of the best sub-topic within that category (never above
     * category_confidence). */
    double            subtopic_confidence;
    size_t            nalternatives;
    sb_nb_alternative alternatives[SB_NB_ALTERNATIVES];
    size_t            nterms;
    sb_nb_term_weight terms[SB_NB_TOP_TERMS];   /* strongest evidence first */
    size_t            total_terms;              /* terms in the text */
    size_t            known_terms;              /* of which the model knows (0: no confidence) */
} sb_nb_prediction;

void sb_nb_params_default(sb_nb_params *p);

/* An empty model to train, with the default parameters / with these. NULL on allocation failure
 * or invalid parameters. */
sb_nb_model *sb_nb_new(void);
sb_nb_model *sb_nb_new_with(const sb_nb_params *p);
/* One training document. label is "category/subtopic" (lower-case letters, digits, '-').
 * 0, or -1 with err (400 on a bad label, too many labels, or after sb_nb_finish). */
int  sb_nb_add(sb_nb_model *m, const char *label, const char *text, size_t len, sb_error *err);
/* Ends training: prunes rare terms and computes the probabilities. 0, or -1 with err when
 * nothing was trained or memory ran out. Predicting needs it; adding after it is refused. */
int  sb_nb_finish(sb_nb_model *m, sb_error *err);
/* Classifies text. Allocates nothing. 0, or -1 when the model is not finished. When no term
 * of the text is known both confidences are 0 (the label is then the most frequent one). */
int  sb_nb_predict(const sb_nb_model *m, const char *text, size_t len, sb_nb_prediction *out);

size_t      sb_nb_label_count(const sb_nb_model *m);
const char *sb_nb_label(const sb_nb_model *m, size_t i);
size_t      sb_nb_docs(const sb_nb_model *m);        /* training documents */
size_t      sb_nb_vocabulary(const sb_nb_model *m);  /* terms kept */
const sb_nb_params *sb_nb_params_of(const sb_nb_model *m);
/* The "format" of the JSON a model of this kind is stored as: "sb-nbayes" or "sb-logreg". */
const char *sb_nb_format(sb_nb_kind kind);

/* The finished model as JSON. NULL when not finished or out of memory.
 * bayes ("sb-nbayes"): its counts; loading recomputes the same probabilities.
 * logistic ("sb-logreg"): its idf and weights, which loading takes as they are. */
json_t      *sb_nb_to_json(const sb_nb_model *m);
/* A finished model from sb_nb_to_json's JSON (either format); every field is checked. NULL
 * with err. */
sb_nb_model *sb_nb_from_json(const json_t *j, sb_error *err);
void         sb_nb_free(sb_nb_model *m);

/* Deterministic stratified split for evaluation into SB_NB_FOLDS folds: within each label,
 * documents ordered by a hash of their text, the k-th goes to fold k mod SB_NB_FOLDS; is_test[i]
 * = 1 for the documents of fold. The same data always splits the same way, whatever order it
 * comes in. SB_NB_HOLDOUT_FOLD is the fifth the benchmark and the stored holdout accuracy use.
 * 0, or -1 when out of memory or fold is out of range. */
#define SB_NB_FOLDS        5
#define SB_NB_HOLDOUT_FOLD (SB_NB_FOLDS - 1)
int  sb_nb_split(const char *const *labels, const char *const *texts, size_t n, unsigned fold,
                 unsigned char *is_test);

#endif

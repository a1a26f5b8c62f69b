/* nbayes_int.h - the text classifier's model, shared by its two halves: nbayes.c (labels,
 * terms, naive Bayes, prediction, the split) and logreg.c (logistic regression's fit and its
 * JSON). Not for use outside those two files. */
#ifndef SB_NBAYES_INT_H
#define SB_NBAYES_INT_H

#include <stdint.h>
#include <stddef.h>
#include <jansson.h>

#include "common/nbayes.h"

/* Training count of one term for one label. */
typedef struct nb_count {
    uint32_t label;
    uint32_t count;
} nb_count;

typedef struct nb_term {
    char     *text;        /* owned, NUL-terminated */
    uint32_t  hash;
    size_t    ncounts, capcounts;
    nb_count *counts;      /* sparse: only the labels it occurred with */
    uint64_t  last_doc;    /* the training document that counted it last */
    size_t    doc_pos;     /* logistic: its entry in that document's terms */
} nb_term;

/* One distinct term of one training document (logistic regression keeps the documents). */
typedef struct nb_doc_term {
    uint32_t term;
    uint32_t count;
} nb_doc_term;

typedef struct nb_doc {
    uint32_t label;
    size_t   start, n;     /* its terms in sb_nb_model.dterms */
} nb_doc;

struct sb_nb_model {
    sb_nb_params p;
    size_t       nlabels, ncats;
    char         labels[SB_NB_MAX_LABELS][SB_NB_LABEL_MAX];
    char         cats[SB_NB_MAX_LABELS][SB_NB_CATEGORY_MAX];
    size_t       cat_of[SB_NB_MAX_LABELS];   /* label -> index into cats */
    uint64_t     docs[SB_NB_MAX_LABELS];
    /* Term occurrences counted per label, pruned terms included: the denominator of P(t|c). */
    uint64_t     tokens[SB_NB_MAX_LABELS];
    uint64_t     ndocs;
    nb_term     *terms;
    size_t       nterms, capterms;
    uint32_t    *slots;                      /* open addressing: term index + 1, 0 = empty */
    size_t       nslots;                     /* a power of two, at least twice nterms */
    /* Training documents, logistic only; freed by sb_nb_finish. */
    nb_doc      *tdocs;
    size_t       ntdocs, captdocs;
    nb_doc_term *dterms;
    size_t       ndterms, capdterms;
    /* Finished: nterms rows of nlabels weights (bayes: log P(term | label)); float halves the
     * memory and the sums are done in double. */
    float       *weight;
    float       *idf;                        /* logistic: per term; NULL for bayes */
    double       bias[SB_NB_MAX_LABELS];     /* bayes: log prior */
    size_t       top_label;                  /* most documents: the answer knowing no term */
    int          finished;
};

/* Index of the term, added when new; -1 when out of memory. */
long  nb_intern(sb_nb_model *m, const char *term, size_t len);
/* Rebuilds the term table with room for want terms. 0 or -1. */
int   nb_rehash(sb_nb_model *m, size_t want);
/* Index of label ("category/subtopic"), added when new. -1 with err. */
long  nb_label_index(sb_nb_model *m, const char *label, sb_error *err);
/* An empty model of these parameters for a loader to fill; NULL with err (500). */
sb_nb_model *nb_new_for_load(const sb_nb_params *p, sb_error *err);
/* The label with most documents, the answer when no term is known. */
void  nb_top_label(sb_nb_model *m);
/* obj[key] as an integer in [min, max]: 0, or -1 with err naming field. */
int   nb_json_int(const json_t *obj, const char *key, json_int_t min, json_int_t max,
                  const char *field, json_int_t *out, sb_error *err);

/* logreg.c: fits the weights from the training documents (terms already pruned, remap[old
 * index] = new index or UINT32_MAX). 0 or -1 with err. */
int     nb_logreg_fit(sb_nb_model *m, const uint32_t *remap, sb_error *err);
/* logreg.c: the "sb-logreg" JSON of a finished logistic model; NULL when out of memory. */
json_t *nb_logreg_to_json(const sb_nb_model *m);
/* logreg.c: a finished logistic model from its JSON; NULL with err. */
sb_nb_model *nb_logreg_from_json(const json_t *j, sb_error *err);

#define NB_FORMAT_LOGREG "sb-logreg"

#endif

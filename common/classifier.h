/* classifier.h - the statistical classifier's life in PostgreSQL: labelled examples in
 * (training_examples), versioned naive Bayes models out (classifier_models), loading the newest. */
#ifndef SB_CLASSIFIER_H
#define SB_CLASSIFIER_H

#include <jansson.h>
#include "common/nbayes.h"
#include "common/pg.h"

/* Below this category confidence a ticket goes to the triage desk instead of being guessed.
 * Chosen from tests/bench/classifier (tests/data/classify/README.md) for the logistic model: the
 * lowest threshold at which at least 90 % of the automatic decisions were right cross-validated
 * (91.9 %, with 57 % of the messages decided; 95.2 % of 61 % on the held-out fifth). The naive
 * Bayes model needed 0.9 for the same precision and decided 42 %. */
#define SB_CLASSIFIER_TRIAGE_THRESHOLD 0.45

/* What a training run stored. */
typedef struct sb_classifier_info {
    int    version;
    long   examples;
    int    labels;
    long   vocabulary;
    double holdout_accuracy;   /* category accuracy on the held-out fifth; < 0 when none */
} sb_classifier_info;

/* Trains a model from every training example and stores it as a new version, in one
 * transaction of its own. *version (may be NULL) gets the new version. 0 or -1 (logged). */
int sb_classifier_train(sb_pg *pg, const char *by, int *version);
/* The same inside the caller's open transaction (e.g. with the audit record of the person who
 * asked); info may be NULL. 0 or -1; the caller rolls back on -1. */
int sb_classifier_train_tx(sb_pg *pg, const char *by, sb_classifier_info *info);

/* Loads the newest model when it is newer than have_version (0: none loaded yet): 1 with *out
 * (the caller frees it) and *version set; 0 when there is nothing newer (or no model at all),
 * *out and *version untouched; -1 on a database error or a stored model that does not load. */
int sb_classifier_load_latest(sb_pg *pg, int have_version, sb_nb_model **out, int *version);

/* The newest model, training and storing one when there is none, when the newest is not of the
 * kind sb_nb_params_default() trains (an upgrade from naive Bayes retrains once) or when a seed
 * example is newer than it (a migration shipped more of the labelled set); one process trains
 * even when several start together. 0 with *out and *version set, or -1. */
int sb_classifier_ensure(sb_pg *pg, sb_nb_model **out, int *version);

/* Records a labelled example. source is "person" (a reclassification) or "resolved"; ticket_id
 * (a UUID) may be NULL. Per ticket and source there is one example: a second call for the same
 * pair replaces the first. Runs in the caller's transaction, if any. 0 or -1 (bad source or
 * text, unknown category/subtopic, database error). */
int sb_classifier_add_example(sb_pg *pg, const char *ticket_id, const char *text,
                              const char *category, const char *subtopic, const char *source,
                              const char *by);

/* The explanation of a prediction for a ticket: {"model_version", "category_confidence",
 * "subtopic_confidence", "alternatives":[{"label","p"}], "terms":[{"term","weight"}]}. */
json_t *sb_classifier_explain(const sb_nb_prediction *p, int version);

#endif

/* classifier.c - trains naive Bayes models from training_examples, stores them as versions in
 * classifier_models, loads the newest, and records examples people label. */
#include "common/classifier.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

/* Serialises training runs across processes (transaction-scoped advisory lock). */
#define CLASSIFIER_LOCK_KEY "72657306"

/* Every example, oldest first: the label and the text. */
static const char classifier_examples_sql[] =
    "SELECT category || '/' || subtopic, text FROM training_examples ORDER BY id";

/* Trains on the rows of res whose is_test flag equals want_test (NULL: all rows). NULL when
 * training failed (logged). */
static sb_nb_model *classifier_fit(const PGresult *res, const unsigned char *is_test, int want_test)
{
    sb_nb_model *m = sb_nb_new();
    sb_error err;
    if (!m)
        return NULL;
    for (int r = 0; r < PQntuples(res); r++) {
        if (is_test && is_test[r] != want_test)
            continue;
        if (sb_nb_add(m, PQgetvalue(res, r, 0), PQgetvalue(res, r, 1),
                      (size_t)PQgetlength(res, r, 1), &err) != 0) {
            sb_error("classifier_train", "example %d: %s", r, err.message);
            sb_nb_free(m);
            return NULL;
        }
    }
    if (sb_nb_finish(m, &err) != 0) {
        sb_error("classifier_train", "%s", err.message);
        sb_nb_free(m);
        return NULL;
    }
    return m;
}

/* Category accuracy on the held-out rows of a model trained on the others. */
static double classifier_score(const PGresult *res, const sb_nb_model *m,
                               const unsigned char *is_test)
{
    size_t tested = 0, right = 0;
    for (int r = 0; r < PQntuples(res); r++) {
        sb_nb_prediction p;
        if (!is_test[r] ||
            sb_nb_predict(m, PQgetvalue(res, r, 1), (size_t)PQgetlength(res, r, 1), &p) != 0)
            continue;
        const char *label = PQgetvalue(res, r, 0);
        size_t clen = strlen(p.category);
        tested++;
        right += strncmp(label, p.category, clen) == 0 && label[clen] == '/';
    }
    return tested ? (double)right / (double)tested : -1;
}

/* Category accuracy of a model trained on four fifths of the examples, on the fifth held out
 * (the split of tests/bench/classifier); -1 when nothing is held out, -2 on failure. */
static double classifier_holdout(const PGresult *res)
{
    size_t n = (size_t)PQntuples(res);
    const char **labels = malloc((n ? n : 1) * sizeof(*labels));
    const char **texts = malloc((n ? n : 1) * sizeof(*texts));
    unsigned char *is_test = calloc(n ? n : 1, 1);
    double acc = -2;
    if (labels && texts && is_test) {
        size_t tested = 0;
        for (size_t r = 0; r < n; r++) {
            labels[r] = PQgetvalue(res, (int)r, 0);
            texts[r] = PQgetvalue(res, (int)r, 1);
        }
        if (sb_nb_split(labels, texts, n, SB_NB_HOLDOUT_FOLD, is_test) == 0) {
            for (size_t r = 0; r < n; r++)
                tested += is_test[r];
            acc = -1;
        }
        if (acc == -1 && tested > 0 && tested < n) {
            sb_nb_model *m = classifier_fit(res, is_test, 0);
            acc = m ? classifier_score(res, m, is_test) : -2;
            sb_nb_free(m);
        }
    }
    free(labels);
    free(texts);
    free(is_test);
    return acc;
}

/* Stores m as the next version; fills info. 0 or -1. */
static int classifier_store(sb_pg *pg, const sb_nb_model *m, const char *by, double holdout,
                            sb_classifier_info *info)
{
    json_t *j = sb_nb_to_json(m);
    char *model = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!model) {
        sb_error("classifier_train", "cannot serialise the model");
        return -1;
    }
    char examples[24], labels[24], vocabulary[24], accuracy[32];
    snprintf(examples, sizeof(examples), "%zu", sb_nb_docs(m));
    snprintf(labels, sizeof(labels), "%zu", sb_nb_label_count(m));
    snprintf(vocabulary, sizeof(vocabulary), "%zu", sb_nb_vocabulary(m));
    snprintf(accuracy, sizeof(accuracy), "%.6f", holdout);
    const char *p[] = {by, examples, labels, vocabulary, holdout >= 0 ? accuracy : NULL, model};
    PGresult *res = sb_pg_query(pg,
        "INSERT INTO classifier_models"
        " (trained_by, examples, labels, vocabulary, holdout_accuracy, model)"
        " VALUES ($1, $2::int, $3::int, $4::int, $5::real, $6::jsonb) RETURNING version",
        6, p);
    free(model);
    if (!res)
        return -1;
    int version = atoi(PQgetvalue(res, 0, 0));
    PQclear(res);
    if (info)
        *info = (sb_classifier_info){version, (long)sb_nb_docs(m), (int)sb_nb_label_count(m),
                                     (long)sb_nb_vocabulary(m), holdout};
    sb_info("classifier_trained", "model %d by %s: %zu examples, %zu labels, %zu terms,"
            " holdout accuracy %.3f", version, by, sb_nb_docs(m), sb_nb_label_count(m),
            sb_nb_vocabulary(m), holdout);
    return 0;
}

int sb_classifier_train_tx(sb_pg *pg, const char *by, sb_classifier_info *info)
{
    const char *lock[] = {CLASSIFIER_LOCK_KEY};
    if (sb_pg_exec(pg, "SELECT pg_advisory_xact_lock($1::bigint)", 1, lock) != 0)
        return -1;
    PGresult *res = sb_pg_query(pg, classifier_examples_sql, 0, NULL);
    if (!res)
        return -1;
    int rc = -1;
    if (PQntuples(res) == 0) {
        sb_error("classifier_train", "no training examples");
    } else {
        double holdout = classifier_holdout(res);
        sb_nb_model *m = holdout < -1.5 ? NULL : classifier_fit(res, NULL, 0);
        if (m)
            rc = classifier_store(pg, m, by, holdout, info);
        sb_nb_free(m);
    }
    PQclear(res);
    return rc;
}

int sb_classifier_train(sb_pg *pg, const char *by, int *version)
{
    sb_classifier_info info;
    if (sb_pg_begin(pg) != 0)
        return -1;
    if (sb_classifier_train_tx(pg, by, &info) != 0 || sb_pg_commit(pg) != 0) {
        sb_pg_rollback(pg);
        return -1;
    }
    if (version)
        *version = info.version;
    return 0;
}

int sb_classifier_load_latest(sb_pg *pg, int have_version, sb_nb_model **out, int *version)
{
    char have[16];
    snprintf(have, sizeof(have), "%d", have_version);
    const char *p[] = {have};
    PGresult *res = sb_pg_query(pg,
        "SELECT version, model::text FROM classifier_models"
        " WHERE version > $1::int ORDER BY version DESC LIMIT 1", 1, p);
    if (!res)
        return -1;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return 0;
    }
    int v = atoi(PQgetvalue(res, 0, 0));
    json_error_t jerr;
    json_t *j = json_loadb(PQgetvalue(res, 0, 1), (size_t)PQgetlength(res, 0, 1), 0, &jerr);
    PQclear(res);
    sb_error err;
    sb_error_clear(&err);
    sb_nb_model *m = j ? sb_nb_from_json(j, &err) : NULL;
    json_decref(j);
    if (!m) {
        sb_error("classifier_load", "model %d does not load: %s %s", v,
                 j ? err.message : jerr.text, err.field);
        return -1;
    }
    *out = m;
    *version = v;
    return 1;
}

/* The newest model is of today's kind and no shipped (seed) example is newer than it: a
 * migration that ships more seed examples makes every deployment retrain once. */
static const char classifier_current_sql[] =
    "SELECT 1 FROM (SELECT model->>'format' AS format, created_at"
    "               FROM classifier_models ORDER BY version DESC LIMIT 1) newest"
    " WHERE format = $1 AND NOT EXISTS (SELECT 1 FROM training_examples t"
    "   WHERE t.source = 'seed' AND t.created_at > newest.created_at)";

/* 1 when the newest model is current, 0 when not (or there is none), -1 on error. */
static int classifier_is_current(sb_pg *pg, const char *format)
{
    const char *p[] = {format};
    PGresult *res = sb_pg_query(pg, classifier_current_sql, 1, p);
    if (!res)
        return -1;
    int current = PQntuples(res) > 0;
    PQclear(res);
    return current;
}

int sb_classifier_ensure(sb_pg *pg, sb_nb_model **out, int *version)
{
    sb_nb_params want;
    sb_nb_params_default(&want);
    const char *format = sb_nb_format(want.kind);
    int current = classifier_is_current(pg, format);
    if (current < 0)
        return -1;
    if (!current) {
        /* Train under the lock, unless another process did while we waited for it. */
        const char *lock[] = {CLASSIFIER_LOCK_KEY};
        if (sb_pg_begin(pg) != 0)
            return -1;
        if (sb_pg_exec(pg, "SELECT pg_advisory_xact_lock($1::bigint)", 1, lock) != 0 ||
            (current = classifier_is_current(pg, format)) < 0 ||
            (!current && sb_classifier_train_tx(pg, "system", NULL) != 0) ||
            sb_pg_commit(pg) != 0) {
            sb_pg_rollback(pg);
            return -1;
        }
    }
    return sb_classifier_load_latest(pg, 0, out, version) == 1 ? 0 : -1;
}

int sb_classifier_add_example(sb_pg *pg, const char *ticket_id, const char *text,
                              const char *category, const char *subtopic, const char *source,
                              const char *by)
{
    if (!text || !*text || !category || !subtopic || !by || !source ||
        (strcmp(source, "person") != 0 && strcmp(source, "resolved") != 0)) {
        sb_error("classifier_example", "refused: needs text, category, subtopic, by and a"
                 " source of person or resolved");
        return -1;
    }
    const char *p[] = {text, category, subtopic, source, ticket_id, by};
    return sb_pg_exec(pg,
        "INSERT INTO training_examples (text, category, subtopic, source, ticket_id, created_by)"
        " VALUES ($1, $2, $3, $4, $5::uuid, $6)"
        " ON CONFLICT (ticket_id, source) DO UPDATE SET text = EXCLUDED.text,"
        "   category = EXCLUDED.category, subtopic = EXCLUDED.subtopic,"
        "   created_by = EXCLUDED.created_by, created_at = now()",
        6, p);
}

json_t *sb_classifier_explain(const sb_nb_prediction *p, int version)
{
    json_t *alts = json_array(), *terms = json_array();
    for (size_t i = 0; i < p->nalternatives; i++)
        json_array_append_new(alts, json_pack("{s:s, s:f}", "label", p->alternatives[i].label,
                                              "p", p->alternatives[i].p));
    for (size_t i = 0; i < p->nterms; i++)
        json_array_append_new(terms, json_pack("{s:s, s:f}", "term", p->terms[i].term,
                                               "weight", p->terms[i].weight));
    return json_pack("{s:i, s:f, s:f, s:o, s:o}", "model_version", version,
                     "category_confidence", p->category_confidence, "subtopic_confidence",
                     p->subtopic_confidence, "alternatives", alts, "terms", terms);
}

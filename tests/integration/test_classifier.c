/* test_classifier.c - common/classifier against real PostgreSQL: the seed, training versions,
 * load_latest, example upserts, and a person's example changing a prediction. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/classifier.h"
#include "fixture.h"

static sb_pg  *pg;
static PGconn *raw;

static void classifier_setup(void)
{
    const char *dsn = getenv("SB_PG_DSN");
    if (!dsn || !*dsn)
        cr_skip_test("SB_PG_DSN is not set: run through tests/run");
    pg = sb_pg_connect(dsn, 3);
    cr_assert_not_null(pg, "cannot connect to %s", dsn);
    raw = sb_fixture_pg();
    cr_assert_not_null(raw);
}

static void classifier_teardown(void)
{
    sb_pg_free(pg);
    pg = NULL;
    if (raw)
        PQfinish(raw);
    raw = NULL;
}

TestSuite(classifier, .init = classifier_setup, .fini = classifier_teardown, .timeout = 120);

/* First column of the first row as an int (the query must return one). */
static long value_of(const char *sql, int n, const char *const *params)
{
    char *v = sb_fixture_value(raw, sql, n, params);
    cr_assert_not_null(v, "no value from %s", sql);
    long x = atol(v);
    free(v);
    return x;
}

#define SEED_FILE_1 SB_SOURCE_DIR "/tests/data/classify/labelled.tsv"
#define SEED_FILE_2 SB_SOURCE_DIR "/tests/data/classify/labelled-2.tsv"

/* Data rows of one file of the labelled set. */
static long tsv_rows(const char *path)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "cannot open %s", path);
    long lines = 0;
    int c;
    while ((c = fgetc(f)) != EOF)
        lines += c == '\n';
    fclose(f);
    return lines - 1;
}

Test(classifier, migration_seeds_the_whole_labelled_set)
{
    long seeds = value_of("SELECT count(*) FROM training_examples WHERE source = 'seed'", 0, NULL);
    cr_expect_eq(seeds, tsv_rows(SEED_FILE_1) + tsv_rows(SEED_FILE_2),
                 "migrations 006 and 016 seed both files");
    cr_expect_eq(value_of("SELECT count(DISTINCT (category, subtopic)) FROM training_examples"
                          " WHERE source = 'seed'", 0, NULL), 20);
    cr_expect_eq(value_of("SELECT count(*) FROM training_examples WHERE source = 'seed'"
                          " AND text LIKE '%What''s the cutoff time for same-day dispatch%'",
                          0, NULL), 1, "quotes survive the generated SQL");
}

Test(classifier, training_stores_increasing_versions)
{
    int v1 = 0, v2 = 0;
    cr_assert_eq(sb_classifier_train(pg, "test-trainer", &v1), 0);
    cr_assert_eq(sb_classifier_train(pg, "test-trainer", &v2), 0);
    cr_expect_gt(v1, 0);
    cr_expect_gt(v2, v1);
    char v[16];
    snprintf(v, sizeof(v), "%d", v2);
    const char *p[] = {v};
    cr_expect_geq(value_of("SELECT examples FROM classifier_models WHERE version = $1::int", 1, p),
                  tsv_rows(SEED_FILE_1) + tsv_rows(SEED_FILE_2));
    cr_expect_eq(value_of("SELECT labels FROM classifier_models WHERE version = $1::int", 1, p), 20);
    cr_expect_gt(value_of("SELECT vocabulary FROM classifier_models WHERE version = $1::int", 1, p),
                 1000);
    /* the held-out fifth of the seed alone scores 0.91 (tests/bench/classifier) */
    cr_expect_eq(value_of("SELECT (holdout_accuracy BETWEEN 0.85 AND 1)::int FROM classifier_models"
                          " WHERE version = $1::int", 1, p), 1);
    char *by = sb_fixture_value(raw, "SELECT trained_by FROM classifier_models"
                                     " WHERE version = $1::int", 1, p);
    cr_expect_str_eq(by, "test-trainer");
    free(by);
    char *format = sb_fixture_value(raw, "SELECT model->>'format' FROM classifier_models"
                                         " WHERE version = $1::int", 1, p);
    cr_expect_str_eq(format, "sb-logreg", "logistic regression is what is trained");
    free(format);
}

/* Stores a small naive Bayes model as the newest version, as an older release trained them;
 * returns its version. */
static int store_bayes_model(void)
{
    sb_nb_params prm;
    sb_nb_params_default(&prm);
    prm.kind = SB_NB_BAYES;
    sb_nb_model *m = sb_nb_new_with(&prm);
    sb_error err;
    cr_assert_eq(sb_nb_add(m, "after-sales/refund", "退款 refund", 13, &err), 0);
    cr_assert_eq(sb_nb_add(m, "complaint/logistics-delay", "快递 late", 12, &err), 0);
    cr_assert_eq(sb_nb_finish(m, &err), 0);
    json_t *j = sb_nb_to_json(m);
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    sb_nb_free(m);
    const char *p[] = {text};
    char *v = sb_fixture_value(raw,
        "INSERT INTO classifier_models (trained_by, examples, labels, vocabulary, model)"
        " VALUES ('test-old-kind', 2, 2, 6, $1::jsonb) RETURNING version", 1, p);
    free(text);
    cr_assert_not_null(v);
    int version = atoi(v);
    free(v);
    return version;
}

Test(classifier, an_older_kind_of_model_is_replaced_once_by_ensure)
{
    int old = store_bayes_model();
    sb_nb_model *m = NULL;
    int version = 0;
    cr_assert_eq(sb_classifier_load_latest(pg, old - 1, &m, &version), 1);
    cr_expect_eq(sb_nb_params_of(m)->kind, SB_NB_BAYES, "the old model still loads");
    sb_nb_free(m);
    m = NULL;

    cr_assert_eq(sb_classifier_ensure(pg, &m, &version), 0);
    cr_assert_not_null(m);
    cr_expect_eq(sb_nb_params_of(m)->kind, SB_NB_LOGISTIC);
    cr_expect_gt(version, old, "a new version was trained");
    cr_expect_eq(sb_nb_label_count(m), 20);
    sb_nb_free(m);
    m = NULL;

    int again = 0;
    cr_assert_eq(sb_classifier_ensure(pg, &m, &again), 0);
    cr_expect_eq(again, version, "the newest is of today's kind: nothing more is trained");
    cr_expect_eq(value_of("SELECT max(version) FROM classifier_models", 0, NULL), version);
    sb_nb_free(m);
}

Test(classifier, seed_examples_newer_than_the_model_retrain_it_once)
{
    sb_nb_model *m = NULL;
    int before = 0, version = 0, again = 0;
    cr_assert_eq(sb_classifier_ensure(pg, &m, &before), 0);
    sb_nb_free(m);
    m = NULL;
    /* What a migration shipping more of the labelled set leaves behind: a seed row newer than
     * every model. Its text is taken from the data set, so the seed's count does not change. */
    char *moved = sb_fixture_value(raw,
        "UPDATE training_examples SET created_at = clock_timestamp()"
        " WHERE id = (SELECT min(id) FROM training_examples WHERE source = 'seed')"
        " RETURNING id", 0, NULL);
    cr_assert_not_null(moved);
    free(moved);

    cr_assert_eq(sb_classifier_ensure(pg, &m, &version), 0);
    cr_assert_not_null(m);
    cr_expect_gt(version, before, "the shipped set grew: a model is trained");
    cr_expect_eq(sb_nb_label_count(m), 20);
    sb_nb_free(m);
    m = NULL;

    cr_assert_eq(sb_classifier_ensure(pg, &m, &again), 0);
    sb_nb_free(m);
    char v[16];
    snprintf(v, sizeof(v), "%d", version);
    const char *p[] = {v};
    cr_expect_eq(value_of("SELECT count(*) FROM classifier_models"
                          " WHERE version > $1::int AND trained_by = 'system'", 1, p), 0,
                 "the model is current now: ensure trains nothing more");
}

Test(classifier, load_latest_loads_only_what_is_newer)
{
    int trained = 0;
    cr_assert_eq(sb_classifier_train(pg, "test-loader", &trained), 0);
    sb_nb_model *m = NULL;
    int version = -7;
    cr_assert_eq(sb_classifier_load_latest(pg, 0, &m, &version), 1);
    cr_assert_not_null(m);
    cr_expect_geq(version, trained);
    cr_expect_eq(sb_nb_label_count(m), 20);

    sb_nb_model *again = NULL;
    int v2 = -7;
    int newest = (int)value_of("SELECT max(version) FROM classifier_models", 0, NULL);
    cr_expect_eq(sb_classifier_load_latest(pg, newest, &again, &v2), 0);
    cr_expect_null(again, "nothing newer: out untouched");
    cr_expect_eq(v2, -7, "nothing newer: version untouched");
    cr_expect_eq(sb_classifier_load_latest(pg, newest - 1, &again, &v2), 1);
    cr_expect_eq(v2, newest);

    sb_nb_prediction p;
    const char *text = "退款申请了一周还没到账，钱什么时候退回来";
    cr_assert_eq(sb_nb_predict(again, text, strlen(text), &p), 0);
    cr_expect_str_eq(p.category, "after-sales");
    cr_expect_gt(p.category_confidence, 0.5);
    sb_nb_free(m);
    sb_nb_free(again);

    sb_nb_model *ensured = NULL;
    int ev = 0;
    cr_assert_eq(sb_classifier_ensure(pg, &ensured, &ev), 0);
    cr_expect_not_null(ensured);
    cr_expect_geq(ev, newest);
    sb_nb_free(ensured);
}

Test(classifier, a_model_that_does_not_load_is_an_error)
{
    /* A row only a bug or a hand could write: the newest, and refused when loaded. */
    char *bad = sb_fixture_value(raw,
        "INSERT INTO classifier_models (trained_by, examples, labels, vocabulary, model)"
        " VALUES ('test-bad', 1, 1, 0, '{\"format\":\"sb-nbayes\",\"format_version\":1}')"
        " RETURNING version", 0, NULL);
    cr_assert_not_null(bad);
    sb_nb_model *m = NULL;
    int version = -7;
    int rc = sb_classifier_load_latest(pg, atoi(bad) - 1, &m, &version);
    const char *p[] = {bad};
    sb_fixture_exec(raw, "DELETE FROM classifier_models WHERE version = $1::int", 1, p);
    free(bad);
    cr_expect_eq(rc, -1);
    cr_expect_null(m);
    cr_expect_eq(version, -7);
}

/* A planted ticket's id. */
static void new_ticket(char id[37])
{
    char number[64];
    sb_fixture_ticket t = {0};
    cr_assert_eq(sb_fixture_ticket_new(raw, &t, number, id), 0);
}

Test(classifier, a_second_example_for_a_ticket_replaces_the_first)
{
    char id[37];
    new_ticket(id);
    const char *p[] = {id};
    cr_assert_eq(sb_classifier_add_example(pg, id, "charged twice for one order", "complaint",
                                           "overcharge", "person", "agent-a"), 0);
    cr_assert_eq(sb_classifier_add_example(pg, id, "where is my refund", "after-sales", "refund",
                                           "person", "agent-b"), 0);
    cr_expect_eq(value_of("SELECT count(*) FROM training_examples WHERE ticket_id = $1::uuid", 1, p), 1);
    char *row = sb_fixture_value(raw, "SELECT category || '/' || subtopic || '|' || text || '|' ||"
                                      " created_by FROM training_examples"
                                      " WHERE ticket_id = $1::uuid AND source = 'person'", 1, p);
    cr_expect_str_eq(row, "after-sales/refund|where is my refund|agent-b");
    free(row);
    /* another source for the same ticket is another example */
    cr_assert_eq(sb_classifier_add_example(pg, id, "where is my refund", "after-sales", "refund",
                                           "resolved", "agent-b"), 0);
    cr_expect_eq(value_of("SELECT count(*) FROM training_examples WHERE ticket_id = $1::uuid", 1, p), 2);
    /* and examples without a ticket simply add up */
    cr_assert_eq(sb_classifier_add_example(pg, NULL, "no ticket here", "other", "general",
                                           "person", "agent-c"), 0);
    cr_assert_eq(sb_classifier_add_example(pg, NULL, "no ticket here", "other", "general",
                                           "person", "agent-c"), 0);
    cr_expect_geq(value_of("SELECT count(*) FROM training_examples WHERE created_by = 'agent-c'",
                           0, NULL), 2);
}

Test(classifier, bad_examples_are_refused)
{
    char id[37];
    new_ticket(id);
    cr_expect_eq(sb_classifier_add_example(pg, id, "text", "complaint", "overcharge", "seed", "x"), -1);
    cr_expect_eq(sb_classifier_add_example(pg, id, "text", "complaint", "overcharge", "robot", "x"), -1);
    cr_expect_eq(sb_classifier_add_example(pg, id, "", "complaint", "overcharge", "person", "x"), -1);
    cr_expect_eq(sb_classifier_add_example(pg, id, "text", "complaint", "no-such", "person", "x"), -1);
    cr_expect_eq(sb_classifier_add_example(pg, id, "text", "other", "unclassified", "person", "x"), -1);
    cr_expect_eq(sb_classifier_add_example(pg, "not-a-uuid", "text", "other", "general", "person",
                                           "x"), -1);
    const char *p[] = {id};
    cr_expect_eq(value_of("SELECT count(*) FROM training_examples WHERE ticket_id = $1::uuid", 1, p), 0);
}

Test(classifier, a_persons_example_changes_the_prediction_after_retraining)
{
    /* Six words no other example has, unique to this run: each is about twice as likely under
     * the person's label as under any other, so together they outweigh 19 other labels. */
    enum { WORDS = 6 };
    char words[WORDS][16], text[WORDS * 16];
    size_t len = 0;
    for (int i = 0; i < WORDS; i++) {
        snprintf(words[i], sizeof(words[i]), "zq%c", 'a' + i);
        sb_fixture_hex(words[i] + 3, 10);
        len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%s", i ? " " : "", words[i]);
    }
    sb_nb_model *before = NULL, *after = NULL;
    int v0 = 0, v1 = 0, v2 = 0;
    cr_assert_eq(sb_classifier_train(pg, "test-person", &v0), 0);
    cr_assert_eq(sb_classifier_load_latest(pg, v0 - 1, &before, &v1), 1);
    sb_nb_prediction p;
    cr_assert_eq(sb_nb_predict(before, text, strlen(text), &p), 0);
    cr_expect_eq(p.known_terms, 0);
    cr_expect_eq(p.category_confidence, 0);
    cr_expect_str_neq(p.label, "other/business-cooperation");

    char id[37];
    new_ticket(id);
    cr_assert_eq(sb_classifier_add_example(pg, id, text, "other", "business-cooperation",
                                           "person", "agent-test"), 0);
    cr_assert_eq(sb_classifier_train(pg, "test-person", &v2), 0);
    cr_assert_eq(sb_classifier_load_latest(pg, v1, &after, &v2), 1);
    cr_assert_eq(sb_nb_predict(after, text, strlen(text), &p), 0);
    cr_expect_eq(p.known_terms, WORDS);
    cr_expect_str_eq(p.label, "other/business-cooperation");
    cr_expect_gt(p.category_confidence, 0.5);
    cr_assert_gt(p.nterms, 0);
    cr_expect_eq(strncmp(p.terms[0].term, "zq", 2), 0, "the new words explain it, not %s",
                 p.terms[0].term);
    json_t *ex = sb_classifier_explain(&p, v2);
    cr_expect_eq(json_integer_value(json_object_get(ex, "model_version")), v2);
    cr_expect_eq(json_array_size(json_object_get(ex, "terms")), p.nterms);
    json_decref(ex);
    sb_nb_free(before);
    sb_nb_free(after);
}

/* test_nbayes.c - the text classifier: naive Bayes against hand-computed posteriors, category
 * sums, logistic regression's fit, idf and explanation, JSON round trips of both kinds,
 * malformed models refused, unknown terms, empty text, the evaluation split. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/nbayes.h"

#define EPS 1e-6

/* Plain multinomial counts over latin words with Laplace smoothing: easy to compute by hand. */
static sb_nb_model *hand_model(void)
{
    sb_nb_params p = {.flags = SB_TEXTFEAT_WORDS, .alpha = 1.0, .binary = 0, .min_count = 1};
    sb_nb_model *m = sb_nb_new_with(&p);
    cr_assert_not_null(m);
    sb_error err;
    cr_assert_eq(sb_nb_add(m, "a/x", "red red blue", 12, &err), 0);
    cr_assert_eq(sb_nb_add(m, "b/y", "green blue", 10, &err), 0);
    cr_assert_eq(sb_nb_finish(m, &err), 0);
    return m;
}

static void predict(const sb_nb_model *m, const char *text, sb_nb_prediction *p)
{
    cr_assert_eq(sb_nb_predict(m, text, strlen(text), p), 0);
}

/* V = 3; P(red|a) = 3/6, P(blue|a) = 2/6, P(green|a) = 1/6; P(red|b) = 1/5, P(blue|b) = 2/5,
 * P(green|b) = 2/5; priors 1/2 each. */
Test(nbayes, posteriors_match_a_hand_computed_model)
{
    sb_nb_model *m = hand_model();
    sb_nb_prediction p;
    predict(m, "red", &p);
    cr_expect_str_eq(p.label, "a/x");
    cr_expect_str_eq(p.category, "a");
    cr_expect_str_eq(p.subtopic, "x");
    cr_expect_float_eq(p.category_confidence, 0.5 / 0.7, EPS);
    cr_expect_float_eq(p.subtopic_confidence, 0.5 / 0.7, EPS);

    predict(m, "Red, BLUE!", &p);
    cr_expect_str_eq(p.label, "a/x");
    cr_expect_float_eq(p.category_confidence, (1.0 / 6) / (1.0 / 6 + 0.08), EPS);
    cr_expect_eq(p.total_terms, 2);
    cr_expect_eq(p.known_terms, 2);
    /* red speaks for a (log 0.5/0.2); blue for b, so it is not listed as a reason. */
    cr_assert_eq(p.nterms, 1);
    cr_expect_str_eq(p.terms[0].term, "red");
    cr_expect_float_eq(p.terms[0].weight, log(0.5 / 0.2), 1e-5);

    /* Counts, not presence: green twice is (1/6)^2 against (2/5)^2. */
    predict(m, "green green", &p);
    cr_expect_str_eq(p.label, "b/y");
    cr_expect_float_eq(p.category_confidence, 0.16 / (0.16 + 1.0 / 36), EPS);
    cr_assert_eq(p.nalternatives, 2);
    cr_expect_str_eq(p.alternatives[0].label, "b/y");
    cr_expect_str_eq(p.alternatives[1].label, "a/x");
    cr_expect_float_eq(p.alternatives[0].p + p.alternatives[1].p, 1.0, EPS);
    sb_nb_free(m);
}

/* c/one: "p q", c/two: "p r", d/three: "p". For "p": 2/5, 2/5 and 2/4 with equal priors, so
 * the best single label is d/three (0.385) but category c holds 0.615. */
Test(nbayes, category_is_the_sum_of_its_subtopics)
{
    sb_nb_params prm = {.flags = SB_TEXTFEAT_WORDS, .alpha = 1.0, .binary = 0, .min_count = 1};
    sb_nb_model *m = sb_nb_new_with(&prm);
    sb_error err;
    cr_assert_eq(sb_nb_add(m, "c/one", "p q", 3, &err), 0);
    cr_assert_eq(sb_nb_add(m, "c/two", "p r", 3, &err), 0);
    cr_assert_eq(sb_nb_add(m, "d/three", "p", 1, &err), 0);
    cr_assert_eq(sb_nb_finish(m, &err), 0);
    sb_nb_prediction p;
    predict(m, "p", &p);
    double z = 0.4 + 0.4 + 0.5;
    cr_expect_str_eq(p.category, "c");
    cr_expect_float_eq(p.category_confidence, 0.8 / z, EPS);
    cr_expect_str_eq(p.label, "c/one");
    cr_expect_float_eq(p.subtopic_confidence, 0.4 / z, EPS);
    cr_expect_str_eq(p.alternatives[0].label, "d/three");
    cr_expect_float_eq(p.alternatives[0].p, 0.5 / z, EPS);
    cr_expect_leq(p.subtopic_confidence, p.category_confidence);
    sb_nb_free(m);
}

/* A model over Chinese and English, default parameters. */
static sb_nb_model *mixed_model(void)
{
    static const char *const docs[][2] = {
        {"after-sales/refund", "退款什么时候到账"},
        {"after-sales/refund", "I want my refund, returned it a week ago"},
        {"complaint/logistics-delay", "快递一周了还没到"},
        {"complaint/logistics-delay", "my parcel is late again, still not delivered"},
        {"consultation/product-feature", "这款耳机支持降噪吗"},
        {"consultation/product-feature", "does the laptop have a touch screen"},
    };
    sb_nb_model *m = sb_nb_new();
    sb_error err;
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++)
        cr_assert_eq(sb_nb_add(m, docs[i][0], docs[i][1], strlen(docs[i][1]), &err), 0);
    cr_assert_eq(sb_nb_finish(m, &err), 0);
    return m;
}

/* m through its JSON text and back: the loaded copy. */
static sb_nb_model *round_trip(const sb_nb_model *m)
{
    json_t *j = sb_nb_to_json(m);
    cr_assert_not_null(j);
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    json_error_t jerr;
    json_t *back = json_loads(text, 0, &jerr);
    free(text);
    cr_assert_not_null(back);
    sb_error err;
    sb_nb_model *m2 = sb_nb_from_json(back, &err);
    json_decref(back);
    cr_assert_not_null(m2, "%s (%s)", err.message, err.field);
    return m2;
}

/* a and b predict every probe exactly alike, evidence included. */
static void expect_same_predictions(const sb_nb_model *a, const sb_nb_model *b,
                                    const char *const *probes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        sb_nb_prediction x, y;
        predict(a, probes[i], &x);
        predict(b, probes[i], &y);
        cr_expect_str_eq(x.label, y.label, "probe %zu", i);
        cr_expect_eq(x.category_confidence, y.category_confidence, "probe %zu", i);
        cr_expect_eq(x.subtopic_confidence, y.subtopic_confidence, "probe %zu", i);
        cr_expect_eq(x.nterms, y.nterms, "probe %zu", i);
        for (size_t t = 0; t < x.nterms && t < y.nterms; t++)
            cr_expect_eq(x.terms[t].weight, y.terms[t].weight, "probe %zu term %zu", i, t);
    }
}

Test(nbayes, json_round_trip_predicts_the_same)
{
    sb_nb_model *m = mixed_model();
    sb_nb_model *m2 = round_trip(m);
    cr_expect_eq(sb_nb_label_count(m2), sb_nb_label_count(m));
    cr_expect_eq(sb_nb_vocabulary(m2), sb_nb_vocabulary(m));
    cr_expect_eq(sb_nb_docs(m2), 6);
    cr_expect_float_eq(sb_nb_params_of(m2)->alpha, sb_nb_params_of(m)->alpha, 1e-12);
    static const char *const probes[] = {"退款还没到账", "parcel late", "降噪耳机", "hello",
                                         "", "refund 快递"};
    expect_same_predictions(m, m2, probes, sizeof(probes) / sizeof(probes[0]));
    sb_nb_prediction p;
    predict(m2, "退款还没到账", &p);
    cr_expect_str_eq(p.label, "after-sales/refund");
    cr_expect_gt(p.nterms, 0);
    sb_nb_free(m);
    sb_nb_free(m2);
}

/* The valid serialised hand model, made afresh for each mutation. */
static json_t *valid_json(void)
{
    sb_nb_model *m = hand_model();
    json_t *j = sb_nb_to_json(m);
    sb_nb_free(m);
    cr_assert_not_null(j);
    cr_assert_str_eq(json_string_value(json_object_get(j, "terms")),
                     "red 0:2\nblue 0:1 1:1\ngreen 1:1\n");
    return j;
}

/* from_json refuses j with a 400 naming field. */
static void assert_refused(json_t *j, const char *field, const char *what)
{
    sb_error err;
    sb_error_clear(&err);
    sb_nb_model *m = sb_nb_from_json(j, &err);
    cr_expect_null(m, "accepted: %s", what);
    sb_nb_free(m);
    cr_expect_eq(err.status, 400, "%s: status %d", what, err.status);
    cr_expect_str_eq(err.field, field, "%s: field %s", what, err.field);
    json_decref(j);
}

Test(nbayes, malformed_models_are_refused)
{
    json_t *j;
    sb_error err;
    cr_expect_null(sb_nb_from_json(NULL, &err));
    j = json_array();
    assert_refused(j, "format", "not an object");
    j = valid_json(); json_object_set_new(j, "format", json_string("other"));
    assert_refused(j, "format", "wrong format");
    j = valid_json(); json_object_set_new(j, "format_version", json_integer(2));
    assert_refused(j, "format_version", "future version");
    j = valid_json(); json_object_del(j, "params");
    assert_refused(j, "params", "no params");
    j = valid_json(); json_object_set_new(json_object_get(j, "params"), "alpha", json_real(-1));
    assert_refused(j, "params.alpha", "negative alpha");
    j = valid_json(); json_object_set_new(json_object_get(j, "params"), "alpha", json_string("1"));
    assert_refused(j, "params.alpha", "alpha as a string");
    j = valid_json(); json_object_set_new(json_object_get(j, "params"), "flags", json_integer(8));
    assert_refused(j, "params.flags", "unknown flags");
    j = valid_json(); json_object_set_new(json_object_get(j, "params"), "binary", json_integer(1));
    assert_refused(j, "params.binary", "binary not a boolean");
    j = valid_json(); json_object_set_new(j, "labels", json_array());
    assert_refused(j, "labels", "no labels");
    j = valid_json();
    json_object_set_new(json_array_get(json_object_get(j, "labels"), 0), "label", json_string("A/x"));
    assert_refused(j, "labels.label", "upper-case label");
    j = valid_json();
    json_object_set_new(json_array_get(json_object_get(j, "labels"), 1), "label", json_string("a/x"));
    assert_refused(j, "labels.label", "label twice");
    j = valid_json();
    json_object_set_new(json_array_get(json_object_get(j, "labels"), 0), "label", json_string("ax"));
    assert_refused(j, "labels.label", "label without a sub-topic");
    j = valid_json();
    json_object_set_new(json_array_get(json_object_get(j, "labels"), 0), "docs", json_integer(0));
    assert_refused(j, "labels.docs", "label without documents");
    j = valid_json();
    json_object_set_new(json_array_get(json_object_get(j, "labels"), 0), "tokens", json_integer(-3));
    assert_refused(j, "labels.tokens", "negative tokens");
    j = valid_json(); json_object_set_new(j, "terms", json_object());
    assert_refused(j, "terms", "terms not a string");
    /* the term lines: the valid ones are "red 0:2\nblue 0:1 1:1\ngreen 1:1\n" */
    static const struct { const char *terms, *field, *what; } lines[] = {
        {"red 0\n", "terms", "pair without a count"},
        {"red 2:1\n", "terms", "label index out of range"},
        {"red 0:0\n", "terms", "zero count"},
        {"red 0:1 0:1\n", "terms", "label named twice"},
        {"red 0:99\n", "labels.tokens", "counts above the label's tokens"},
        {" 0:1\n", "terms", "empty term"},
        {"red\n", "terms", "term without counts"},
        {"red 0:1", "terms", "no final newline"},
        {"red 0:1\nred 1:1\n", "terms", "term twice"},
        {"red 0:12345678901\n", "terms", "count too long"},
        {"red 0:1x\n", "terms", "trailing garbage"},
        {"red  0:1\n", "terms", "two spaces"},
        {"red 0:-1\n", "terms", "negative count"},
        {"r\ted 0:1\n", "terms", "control byte in a term"},
    };
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        j = valid_json();
        json_object_set_new(j, "terms", json_string(lines[i].terms));
        assert_refused(j, lines[i].field, lines[i].what);
    }
    char longterm[SB_TEXTFEAT_TERM_MAX + 8];
    memset(longterm, 'z', SB_TEXTFEAT_TERM_MAX + 1);
    strcpy(longterm + SB_TEXTFEAT_TERM_MAX + 1, " 0:1\n");
    j = valid_json(); json_object_set_new(j, "terms", json_string(longterm));
    assert_refused(j, "terms", "term too long");
    /* no terms at all is a model of priors only */
    j = valid_json(); json_object_set_new(j, "terms", json_string(""));
    sb_nb_model *priors = sb_nb_from_json(j, &err);
    cr_expect_not_null(priors);
    cr_expect_eq(sb_nb_vocabulary(priors), 0);
    sb_nb_free(priors);
    json_decref(j);
    /* and the unmutated one loads */
    j = valid_json();
    sb_nb_model *m = sb_nb_from_json(j, &err);
    cr_expect_not_null(m);
    sb_nb_free(m);
    json_decref(j);
}

Test(nbayes, unknown_terms_give_no_confidence)
{
    sb_nb_model *m = hand_model();
    sb_nb_prediction p;
    predict(m, "purple orange", &p);
    cr_expect_eq(p.known_terms, 0);
    cr_expect_eq(p.total_terms, 2);
    cr_expect_eq(p.category_confidence, 0);
    cr_expect_eq(p.subtopic_confidence, 0);
    cr_expect_eq(p.nterms, 0);
    cr_expect_str_eq(p.label, "a/x");   /* ties go to the first label trained */
    /* unknown terms around a known one change nothing */
    sb_nb_prediction q;
    predict(m, "red", &q);
    predict(m, "purple red orange", &p);
    cr_expect_eq(p.category_confidence, q.category_confidence);
    cr_expect_eq(p.known_terms, 1);
    sb_nb_free(m);
}

Test(nbayes, empty_text_is_not_an_error)
{
    sb_nb_model *m = mixed_model();
    sb_nb_prediction p;
    cr_expect_eq(sb_nb_predict(m, "", 0, &p), 0);
    cr_expect_eq(p.category_confidence, 0);
    cr_expect_eq(p.total_terms, 0);
    cr_expect_neq(p.label[0], '\0');
    cr_expect_eq(sb_nb_predict(m, NULL, 5, &p), 0);
    cr_expect_eq(p.category_confidence, 0);
    predict(m, "!!! ??? ...", &p);
    cr_expect_eq(p.total_terms, 0);
    sb_nb_free(m);
}

Test(nbayes, binary_mode_counts_a_term_once_per_text)
{
    sb_nb_params prm;
    sb_nb_params_default(&prm);
    prm.kind = SB_NB_BAYES;
    prm.flags = SB_TEXTFEAT_WORDS;
    sb_nb_model *m = sb_nb_new_with(&prm);
    sb_error err;
    cr_assert_eq(sb_nb_add(m, "a/x", "red red red blue", 16, &err), 0);
    cr_assert_eq(sb_nb_add(m, "b/y", "green blue", 10, &err), 0);
    cr_assert_eq(sb_nb_finish(m, &err), 0);
    sb_nb_prediction once, thrice;
    predict(m, "red", &once);
    predict(m, "red red red", &thrice);
    cr_expect_eq(once.category_confidence, thrice.category_confidence);
    cr_expect_eq(thrice.known_terms, 1);
    cr_assert_eq(thrice.nterms, 1);
    cr_expect_float_eq(thrice.terms[0].weight, once.terms[0].weight, 1e-12);
    sb_nb_free(m);
}

Test(nbayes, misuse_is_refused)
{
    sb_error err;
    sb_nb_model *m = sb_nb_new();
    sb_nb_prediction p;
    cr_expect_eq(sb_nb_predict(m, "x", 1, &p), -1, "not finished");
    cr_expect_null(sb_nb_to_json(m));
    cr_expect_eq(sb_nb_finish(m, &err), -1, "nothing trained");
    cr_expect_eq(sb_nb_add(m, "Complaint/x", "t", 1, &err), -1);
    cr_expect_str_eq(err.field, "label");
    cr_expect_eq(sb_nb_add(m, "complaint/", "t", 1, &err), -1);
    cr_expect_eq(sb_nb_add(m, "/x", "t", 1, &err), -1);
    cr_expect_eq(sb_nb_add(m, NULL, "t", 1, &err), -1);
    for (int i = 0; i < SB_NB_MAX_LABELS; i++) {
        char label[32];
        snprintf(label, sizeof(label), "c/s%d", i);
        cr_assert_eq(sb_nb_add(m, label, "word", 4, &err), 0);
    }
    cr_expect_eq(sb_nb_add(m, "c/one-too-many", "word", 4, &err), -1);
    cr_expect_eq(sb_nb_add(m, "c/s0", NULL, 0, &err), 0, "a known label with no text");
    cr_expect_eq(sb_nb_finish(m, &err), 0);
    cr_expect_eq(sb_nb_add(m, "c/s1", "late", 4, &err), -1, "added after finish");
    sb_nb_free(m);
    sb_nb_params bad = {.flags = 0, .alpha = 1, .binary = 0, .min_count = 1};
    cr_expect_null(sb_nb_new_with(&bad));
    bad.flags = SB_TEXTFEAT_ALL;
    bad.alpha = 0;
    cr_expect_null(sb_nb_new_with(&bad));
}

Test(nbayes, rare_terms_are_pruned_at_min_count)
{
    sb_nb_params prm = {.flags = SB_TEXTFEAT_WORDS, .alpha = 1, .binary = 1, .min_count = 2};
    sb_nb_model *m = sb_nb_new_with(&prm);
    sb_error err;
    cr_assert_eq(sb_nb_add(m, "a/x", "shared once", 11, &err), 0);
    cr_assert_eq(sb_nb_add(m, "b/y", "shared", 6, &err), 0);
    cr_assert_eq(sb_nb_finish(m, &err), 0);
    cr_expect_eq(sb_nb_vocabulary(m), 1);
    sb_nb_prediction p;
    predict(m, "once", &p);
    cr_expect_eq(p.known_terms, 0);
    sb_nb_free(m);
}

/* A logistic model over latin words: "shared" is in every document, the other words each name
 * their label. */
static sb_nb_model *logistic_model(void)
{
    sb_nb_params prm;
    sb_nb_params_default(&prm);
    cr_assert_eq(prm.kind, SB_NB_LOGISTIC, "logistic regression is the default");
    prm.flags = SB_TEXTFEAT_WORDS;
    sb_nb_model *m = sb_nb_new_with(&prm);
    cr_assert_not_null(m);
    static const char *const docs[][2] = {
        {"a/x", "shared apple"}, {"a/x", "shared apple apple"}, {"a/y", "shared banana"},
        {"a/y", "banana shared"}, {"b/z", "shared cherry"}, {"b/z", "cherry cherry shared"},
    };
    sb_error err;
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++)
        cr_assert_eq(sb_nb_add(m, docs[i][0], docs[i][1], strlen(docs[i][1]), &err), 0);
    cr_assert_eq(sb_nb_finish(m, &err), 0);
    return m;
}

Test(nbayes, logistic_regression_learns_the_words_that_name_a_label)
{
    sb_nb_model *m = logistic_model();
    cr_expect_eq(sb_nb_vocabulary(m), 4);
    static const char *const probes[][2] = {
        {"apple", "a/x"}, {"banana", "a/y"}, {"cherry", "b/z"}, {"shared apple", "a/x"},
    };
    for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
        sb_nb_prediction p;
        predict(m, probes[i][0], &p);
        cr_expect_str_eq(p.label, probes[i][1], "%s", probes[i][0]);
        cr_expect_gt(p.subtopic_confidence, 0.5, "%s: %g", probes[i][0], p.subtopic_confidence);
        cr_expect_leq(p.subtopic_confidence, p.category_confidence);
        cr_assert_geq(p.nterms, 1);
        cr_expect_str_neq(p.terms[0].term, "shared", "%s: a word every label has explains"
                          " nothing", probes[i][0]);
    }
    /* a and its two sub-topics: "apple banana" is category a for sure, whichever sub-topic */
    sb_nb_prediction p;
    predict(m, "apple banana", &p);
    cr_expect_str_eq(p.category, "a");
    cr_expect_gt(p.category_confidence, 0.8);
    /* the word in every document says little: close to the priors (a/x, a/y, b/z a third each) */
    predict(m, "shared", &p);
    cr_expect_lt(p.alternatives[0].p, 0.5, "shared alone: %g", p.alternatives[0].p);
    sb_nb_free(m);
}

Test(nbayes, logistic_values_are_sublinear_and_length_free)
{
    sb_nb_model *m = logistic_model();
    sb_nb_prediction once, thrice, other;
    predict(m, "apple", &once);
    predict(m, "apple apple apple", &thrice);
    /* one term scaled to unit length: how often it occurs no longer matters */
    cr_expect_float_eq(once.category_confidence, thrice.category_confidence, 1e-9);
    cr_expect_eq(thrice.known_terms, 3);
    /* but against another term it does: 1 + ln 3 to 1 */
    predict(m, "apple apple apple cherry", &thrice);
    predict(m, "apple cherry", &other);
    cr_expect_gt(thrice.alternatives[0].p, other.alternatives[0].p);
    cr_expect_str_eq(thrice.label, "a/x");
    sb_nb_free(m);
}

Test(nbayes, logistic_json_round_trip_is_exact)
{
    sb_nb_model *m = logistic_model();
    json_t *j = sb_nb_to_json(m);
    cr_assert_not_null(j);
    cr_expect_str_eq(json_string_value(json_object_get(j, "format")), "sb-logreg");
    cr_expect_str_eq(sb_nb_format(SB_NB_LOGISTIC), "sb-logreg");
    json_decref(j);
    sb_nb_model *m2 = round_trip(m);
    cr_expect_eq(sb_nb_params_of(m2)->kind, SB_NB_LOGISTIC);
    cr_expect_eq(sb_nb_params_of(m2)->iterations, sb_nb_params_of(m)->iterations);
    cr_expect_float_eq(sb_nb_params_of(m2)->c, sb_nb_params_of(m)->c, 1e-12);
    cr_expect_eq(sb_nb_docs(m2), 6);
    static const char *const probes[] = {"apple", "banana cherry", "shared", "", "nothing known"};
    expect_same_predictions(m, m2, probes, sizeof(probes) / sizeof(probes[0]));
    sb_nb_free(m);
    sb_nb_free(m2);
}

/* The serialised logistic model, made afresh for each mutation. */
static json_t *valid_logistic_json(void)
{
    sb_nb_model *m = logistic_model();
    json_t *j = sb_nb_to_json(m);
    sb_nb_free(m);
    cr_assert_not_null(j);
    return j;
}

Test(nbayes, malformed_logistic_models_are_refused)
{
    json_t *j;
    j = valid_logistic_json(); json_object_set_new(j, "format_version", json_integer(2));
    assert_refused(j, "format_version", "future version");
    j = valid_logistic_json(); json_object_set_new(json_object_get(j, "params"), "c", json_real(0));
    assert_refused(j, "params.c", "c of 0");
    j = valid_logistic_json();
    json_object_set_new(json_object_get(j, "params"), "iterations", json_integer(0));
    assert_refused(j, "params.iterations", "no iterations");
    j = valid_logistic_json(); json_array_remove(json_object_get(j, "bias"), 0);
    assert_refused(j, "bias", "a bias missing");
    j = valid_logistic_json(); json_array_set_new(json_object_get(j, "bias"), 1, json_real(1e9));
    assert_refused(j, "bias", "a bias out of range");
    j = valid_logistic_json(); json_array_set_new(json_object_get(j, "bias"), 1, json_string("x"));
    assert_refused(j, "bias", "a bias not a number");
    j = valid_logistic_json();
    json_object_set_new(json_array_get(json_object_get(j, "labels"), 0), "docs", json_integer(0));
    assert_refused(j, "labels.docs", "label without documents");
    /* three labels, so a line is a term, its idf and three weights */
    static const struct { const char *terms, *what; } lines[] = {
        {"apple 1.5 1 2\n", "a weight missing"},
        {"apple 1.5 1 2 3 4\n", "a weight too many"},
        {"apple 0 1 2 3\n", "idf of 0"},
        {"apple 0.5 1 2 3\n", "idf below 1"},
        {"apple -1 1 2 3\n", "negative idf"},
        {"apple 1.5 1 2 inf\n", "an infinite weight"},
        {"apple 1.5 1 2 nan\n", "not a number"},
        {"apple 1.5 1 2 1e300\n", "a weight out of range"},
        {"apple 1.5 1 2 3x\n", "trailing garbage"},
        {"apple 1.5 1  2 3\n", "two spaces"},
        {"apple 1.5 1 2\n3\n", "a weight on the next line"},
        {"apple 1.5 1 2 3\napple 1.5 1 2 3\n", "term twice"},
        {"apple 1.5 1 2 3", "no final newline"},
        {" 1.5 1 2 3\n", "empty term"},
        {"apple 1.5 1 2 0x1p3\n", "a hex float is a number like any other: loads"},
    };
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        j = valid_logistic_json();
        json_object_set_new(j, "terms", json_string(lines[i].terms));
        sb_error err;
        sb_nb_model *m = sb_nb_from_json(j, &err);
        if (i == sizeof(lines) / sizeof(lines[0]) - 1) {
            cr_expect_not_null(m, "%s", lines[i].what);
            sb_nb_free(m);
            json_decref(j);
            continue;
        }
        cr_expect_null(m, "accepted: %s", lines[i].what);
        sb_nb_free(m);
        cr_expect_eq(err.status, 400, "%s", lines[i].what);
        cr_expect_str_eq(err.field, "terms", "%s: %s", lines[i].what, err.field);
        json_decref(j);
    }
    /* and the unmutated one loads */
    j = valid_logistic_json();
    sb_error err;
    sb_nb_model *m = sb_nb_from_json(j, &err);
    cr_expect_not_null(m);
    sb_nb_free(m);
    json_decref(j);
}

Test(nbayes, logistic_parameters_are_checked)
{
    sb_nb_params prm;
    sb_nb_params_default(&prm);
    prm.c = 0;
    cr_expect_null(sb_nb_new_with(&prm));
    sb_nb_params_default(&prm);
    prm.iterations = 0;
    cr_expect_null(sb_nb_new_with(&prm));
    sb_nb_params_default(&prm);
    prm.kind = (sb_nb_kind)7;
    cr_expect_null(sb_nb_new_with(&prm));
}

Test(nbayes, split_is_stratified_and_order_independent)
{
    enum { PER = 10, LABELS = 3, N = PER * LABELS };
    static const char *const names[LABELS] = {"a/x", "b/y", "c/z"};
    char texts[N][32];
    const char *labels[N], *tp[N], *labels_rev[N], *tp_rev[N];
    for (int i = 0; i < N; i++) {
        snprintf(texts[i], sizeof(texts[i]), "message number %d", i);
        labels[i] = names[i % LABELS];
        tp[i] = texts[i];
        labels_rev[N - 1 - i] = labels[i];
        tp_rev[N - 1 - i] = tp[i];
    }
    unsigned char test[N] = {0}, test_rev[N] = {0}, fold[N] = {0};
    cr_assert_eq(sb_nb_split(labels, tp, N, SB_NB_HOLDOUT_FOLD, test), 0);
    cr_assert_eq(sb_nb_split(labels_rev, tp_rev, N, SB_NB_HOLDOUT_FOLD, test_rev), 0);
    cr_expect_eq(sb_nb_split(labels, tp, N, SB_NB_FOLDS, fold), -1, "fold out of range");
    /* the folds partition the documents */
    int times[N] = {0};
    for (unsigned f = 0; f < SB_NB_FOLDS; f++) {
        cr_assert_eq(sb_nb_split(labels, tp, N, f, fold), 0);
        for (int i = 0; i < N; i++)
            times[i] += fold[i];
    }
    for (int i = 0; i < N; i++)
        cr_expect_eq(times[i], 1, "document %d is in %d folds", i, times[i]);
    int per_label[LABELS] = {0};
    for (int i = 0; i < N; i++) {
        per_label[i % LABELS] += test[i];
        cr_expect_eq(test[i], test_rev[N - 1 - i], "document %d moved between parts", i);
    }
    for (int l = 0; l < LABELS; l++)
        cr_expect_eq(per_label[l], PER / 5, "label %d holds out %d", l, per_label[l]);
}

/* fuzz_nbayes.c - the classifier model loader (sb_nb_from_json, naive Bayes and logistic) and
 * prediction on any bytes: an input starting with '{' is a serialised model, anything else a
 * text for a fixed model. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/nbayes.h"

#define CHECK(cond, ...)                                                                        \
    do {                                                                                        \
        if (!(cond)) {                                                                          \
            fprintf(stderr, "fuzz_nbayes: property failed: %s: ", #cond);                     \
            fprintf(stderr, __VA_ARGS__);                                                       \
            fputc('\n', stderr);                                                                \
            abort();                                                                            \
        }                                                                                       \
    } while (0)

#define EPS 1e-9

/* What every prediction promises. */
static void check_prediction(const sb_nb_model *m, const sb_nb_prediction *p)
{
    CHECK(p->category_confidence >= 0 && p->category_confidence <= 1 + EPS, "category %g",
          p->category_confidence);
    CHECK(p->subtopic_confidence >= 0 && p->subtopic_confidence <= p->category_confidence + EPS,
          "subtopic %g above category %g", p->subtopic_confidence, p->category_confidence);
    CHECK(p->known_terms <= p->total_terms, "known %zu of %zu", p->known_terms, p->total_terms);
    CHECK(p->known_terms > 0 || p->category_confidence == 0, "confidence without a known term");
    size_t clen = strlen(p->category);
    CHECK(strncmp(p->label, p->category, clen) == 0 && p->label[clen] == '/' &&
          strcmp(p->label + clen + 1, p->subtopic) == 0, "label %s vs %s/%s", p->label,
          p->category, p->subtopic);
    int known = 0;
    for (size_t i = 0; i < sb_nb_label_count(m); i++)
        known |= strcmp(sb_nb_label(m, i), p->label) == 0;
    CHECK(known, "label %s is not the model's", p->label);
    CHECK(p->nalternatives >= 1 && p->nalternatives <= SB_NB_ALTERNATIVES, "%zu alternatives",
          p->nalternatives);
    double sum = 0;
    for (size_t i = 0; i < p->nalternatives; i++) {
        CHECK(p->alternatives[i].p >= 0 && isfinite(p->alternatives[i].p), "alternative p");
        CHECK(i == 0 || p->alternatives[i].p <= p->alternatives[i - 1].p, "alternatives order");
        sum += p->alternatives[i].p;
    }
    CHECK(sum <= 1 + 1e-6, "alternatives sum to %g", sum);
    CHECK(p->nterms <= SB_NB_TOP_TERMS, "%zu terms", p->nterms);
    for (size_t i = 0; i < p->nterms; i++) {
        CHECK(p->terms[i].weight > 0 && isfinite(p->terms[i].weight), "weight %g",
              p->terms[i].weight);
        CHECK(i == 0 || p->terms[i].weight <= p->terms[i - 1].weight, "terms order");
        CHECK(strlen(p->terms[i].term) > 0 && strlen(p->terms[i].term) <= SB_TEXTFEAT_TERM_MAX,
              "term length");
    }
}

static void predict_checked(const sb_nb_model *m, const char *text, size_t len,
                            sb_nb_prediction *p)
{
    CHECK(sb_nb_predict(m, text, len, p) == 0, "a finished model refused to predict");
    check_prediction(m, p);
}

/* The model the text inputs run against, trained once. */
static sb_nb_model *fixed_model(void)
{
    static sb_nb_model *m;
    static const char *const docs[][2] = {
        {"after-sales/refund", "退款什么时候到账 refund still not received"},
        {"complaint/logistics-delay", "快递一周了还没到 parcel late again"},
        {"consultation/product-feature", "这款耳机支持降噪吗 does it support noise cancelling"},
        {"complaint/overcharge", "charged twice 重复扣款"},
    };
    if (!m) {
        sb_error err;
        m = sb_nb_new();
        for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++)
            sb_nb_add(m, docs[i][0], docs[i][1], strlen(docs[i][1]), &err);
        CHECK(sb_nb_finish(m, &err) == 0, "cannot train the fixed model");
    }
    return m;
}

/* A loaded model predicts sanely and survives its own round trip unchanged. */
static void check_model(const sb_nb_model *m)
{
    static const char *const probes[] = {"", "退款", "refund late parcel", "red blue green",
                                         "\xe5\xbf\xab\xff"};
    json_t *j = sb_nb_to_json(m);
    CHECK(j, "a loaded model does not serialise");
    sb_error err;
    sb_nb_model *again = sb_nb_from_json(j, &err);
    json_decref(j);
    CHECK(again, "its own JSON does not load: %s (%s)", err.message, err.field);
    for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
        sb_nb_prediction a, b;
        predict_checked(m, probes[i], strlen(probes[i]), &a);
        predict_checked(again, probes[i], strlen(probes[i]), &b);
        CHECK(strcmp(a.label, b.label) == 0 && a.category_confidence == b.category_confidence,
              "round trip changed the prediction of probe %zu", i);
    }
    sb_nb_free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 0 && data[0] == '{') {
        json_error_t jerr;
        json_t *j = json_loadb((const char *)data, size, 0, &jerr);
        if (!j)
            return 0;
        sb_error err;
        sb_error_clear(&err);
        sb_nb_model *m = sb_nb_from_json(j, &err);
        json_decref(j);
        if (!m) {
            CHECK(err.status >= 400 && err.message[0], "refused without an error");
            return 0;
        }
        check_model(m);
        sb_nb_free(m);
        return 0;
    }
    sb_nb_prediction p;
    predict_checked(fixed_model(), (const char *)data, size, &p);
    return 0;
}

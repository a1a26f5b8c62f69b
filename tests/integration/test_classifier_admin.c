/* test_classifier_admin.c - desk's classifier admin API over real HTTP: admins train and list
 * versions, every call is audited, agents and supervisors are refused, and desk keeps answering
 * while it trains. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "fixture.h"
#include "http_client.h"

static PGconn     *pg;
static const char *desk_url;

static void admin_setup(void)
{
    desk_url = getenv("SB_DESK_URL");
    if (!getenv("SB_PG_DSN") || !desk_url)
        cr_skip_test("SB_PG_DSN or SB_DESK_URL unset: the stack is not running");
    pg = sb_fixture_pg();
    cr_assert_not_null(pg, "cannot connect to SB_PG_DSN");
}

static void admin_teardown(void)
{
    if (pg)
        PQfinish(pg);
    pg = NULL;
}

TestSuite(classifier_admin, .init = admin_setup, .fini = admin_teardown, .timeout = 240);

/* A training fits two models over the whole labelled set (about a second here, several under
 * the sanitizers, more when the tests' requests queue behind each other). */
#define TRAIN_TIMEOUT_S 120

/* method desk_url + path with token; the reply as JSON. */
static json_t *call(const char *method, const char *path, const char *token, int *status)
{
    char url[1024];
    snprintf(url, sizeof(url), "%s%s", desk_url, path);
    return sb_test_http_json_wait(method, url, token, method[0] == 'P' ? "{}" : NULL,
                                  TRAIN_TIMEOUT_S, status);
}

/* A fresh subject with a token of role; subject (>= 48 bytes) is filled. */
static char *token_for(const char *role, char *subject)
{
    char hex[11];
    sb_fixture_hex(hex, 10);
    snprintf(subject, 48, "test-%s-%s", role, hex);
    char *token = sb_fixture_token(pg, subject, role);
    cr_assert_not_null(token);
    return token;
}

static void expect_error(json_t *body, int status, int want)
{
    cr_expect_eq(status, want, "status %d, wanted %d", status, want);
    json_t *err = json_object_get(body, "error");
    cr_expect(json_is_object(err), "no error object");
    cr_expect(json_is_string(json_object_get(err, "code")));
    cr_expect(json_is_string(json_object_get(err, "message")));
}

/* How many audit rows actor has for action. */
static long audit_count(const char *actor, const char *action, const char *target)
{
    const char *p[] = {actor, action, target};
    char *v = sb_fixture_value(pg, "SELECT count(*) FROM audit_log WHERE actor = $1 AND action = $2"
                                   " AND ($3::text IS NULL OR target = $3)", 3, p);
    cr_assert_not_null(v);
    long n = atol(v);
    free(v);
    return n;
}

Test(classifier_admin, admin_trains_a_new_version_and_it_is_audited)
{
    char subject[48];
    char *token = token_for("admin", subject);
    int status = 0;
    json_t *body = call("POST", "/v1/admin/classifier/train", token, &status);
    cr_assert_eq(status, 201, "status %d", status);
    json_int_t version = json_integer_value(json_object_get(body, "version"));
    cr_expect_gt(version, 0);
    cr_expect_geq(json_integer_value(json_object_get(body, "examples")), 1200);
    cr_expect_eq(json_integer_value(json_object_get(body, "labels")), 20);
    cr_expect(json_is_number(json_object_get(body, "holdout_accuracy")));
    json_decref(body);

    char target[48];
    snprintf(target, sizeof(target), "classifier_model:%lld", (long long)version);
    cr_expect_eq(audit_count(subject, "classifier.train", target), 1);
    const char *p[] = {target + strlen("classifier_model:")};
    char *by = sb_fixture_value(pg, "SELECT trained_by FROM classifier_models"
                                    " WHERE version = $1::int", 1, p);
    cr_expect_str_eq(by, subject);
    free(by);

    /* A second training is a newer version. */
    body = call("POST", "/v1/admin/classifier/train", token, &status);
    cr_assert_eq(status, 201);
    cr_expect_gt(json_integer_value(json_object_get(body, "version")), version);
    json_decref(body);
    free(token);
}

Test(classifier_admin, admin_lists_versions_newest_first)
{
    char subject[48];
    char *token = token_for("admin", subject);
    int status = 0;
    json_t *trained = call("POST", "/v1/admin/classifier/train", token, &status);
    cr_assert_eq(status, 201);
    json_int_t version = json_integer_value(json_object_get(trained, "version"));
    json_decref(trained);

    json_t *body = call("GET", "/v1/admin/classifier", token, &status);
    cr_assert_eq(status, 200, "status %d", status);
    json_t *models = json_object_get(body, "models");
    cr_assert(json_is_array(models));
    cr_assert_geq(json_array_size(models), 1);
    json_int_t prev = -1;
    int found = 0;
    size_t i;
    json_t *m;
    json_array_foreach(models, i, m) {
        json_int_t v = json_integer_value(json_object_get(m, "version"));
        if (prev >= 0)
            cr_expect_lt(v, prev, "not newest first");
        prev = v;
        if (v == version) {
            found = 1;
            cr_expect_str_eq(json_string_value(json_object_get(m, "trained_by")), subject);
            cr_expect_eq(json_integer_value(json_object_get(m, "labels")), 20);
            cr_expect(json_is_string(json_object_get(m, "created_at")));
            cr_expect(json_is_number(json_object_get(m, "holdout_accuracy")));
        }
    }
    cr_expect(found, "version %lld not listed", (long long)version);
    json_t *examples = json_object_get(body, "examples");
    cr_expect_geq(json_integer_value(json_object_get(examples, "seed")), 1200);
    cr_expect(json_is_integer(json_object_get(examples, "person")));
    cr_expect(json_is_number(json_object_get(body, "triage_threshold")));
    json_decref(body);
    cr_expect_eq(audit_count(subject, "classifier.inspect", NULL), 1);
    free(token);
}

Test(classifier_admin, only_admins_may_train_or_look)
{
    static const char *const roles[] = {"agent", "supervisor"};
    static const struct { const char *method, *path; } calls[] = {
        {"POST", "/v1/admin/classifier/train"}, {"GET", "/v1/admin/classifier"}};
    for (size_t c = 0; c < 2; c++) {
        int status = 0;
        json_t *body = call(calls[c].method, calls[c].path, NULL, &status);
        expect_error(body, status, 401);
        json_decref(body);
        body = call(calls[c].method, calls[c].path, "no-such-token", &status);
        expect_error(body, status, 401);
        json_decref(body);
        for (size_t r = 0; r < 2; r++) {
            char subject[48];
            char *token = token_for(roles[r], subject);
            body = call(calls[c].method, calls[c].path, token, &status);
            expect_error(body, status, 403);
            json_decref(body);
            const char *p[] = {subject};
            char *trained = sb_fixture_value(pg, "SELECT count(*) FROM classifier_models"
                                                 " WHERE trained_by = $1", 1, p);
            cr_expect_str_eq(trained, "0", "a refused %s trained a model", roles[r]);
            free(trained);
            cr_expect_eq(audit_count(subject, "classifier.train", NULL), 0);
            free(token);
        }
    }
    /* A wrong method is not a training, even for the deployment's admin. */
    int status = 0;
    json_t *body = call("GET", "/v1/admin/classifier/train", getenv("SB_ADMIN_TOKEN"), &status);
    cr_expect_eq(status, 405);
    json_decref(body);
}

/* A training request sent from a thread of the test, so the test can talk to desk meanwhile. */
typedef struct train_call {
    const char *token;
    int         status;
    int         done;      /* set (atomically) when the reply has arrived */
} train_call;

static void *train_in_background(void *arg)
{
    train_call *c = arg;
    json_decref(call("POST", "/v1/admin/classifier/train", c->token, &c->status));
    __atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

Test(classifier_admin, desk_answers_other_requests_while_it_trains)
{
    char subject[48], *token = token_for("admin", subject);
    train_call c = {.token = token};
    pthread_t thread;
    cr_assert_eq(pthread_create(&thread, NULL, train_in_background, &c), 0);
    /* Loading the examples and two fits take about a second here, several under the
     * sanitizers: after 200 ms desk is training. A loop that trained in place would answer
     * nothing until the model is stored. */
    usleep(200 * 1000);
    int answered_while_training = 0;
    long long slowest = 0;
    char url[1024];
    snprintf(url, sizeof(url), "%s/healthz", desk_url);
    while (!__atomic_load_n(&c.done, __ATOMIC_ACQUIRE)) {
        int status = 0;
        long long t0 = sb_clock_mono_ms();
        cr_assert_eq(sb_test_http("GET", url, NULL, NULL, &status, NULL), 0);
        long long took = sb_clock_mono_ms() - t0;
        slowest = took > slowest ? took : slowest;
        if (status == 200 && !__atomic_load_n(&c.done, __ATOMIC_ACQUIRE))
            answered_while_training++;
        usleep(20 * 1000);
    }
    pthread_join(thread, NULL);
    cr_expect_eq(c.status, 201, "train: %d", c.status);
    cr_expect_gt(answered_while_training, 0, "desk answered nothing while it trained");
    cr_expect_lt(slowest, 1000, "a health check waited %lld ms behind the training", slowest);
    free(token);
}

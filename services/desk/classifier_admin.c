/* classifier_admin.c - admins retrain the statistical classifier and look at its versions:
 * POST /v1/admin/classifier/train, GET /v1/admin/classifier. */
#include "services/desk/desk.h"

#include <stdio.h>

#include "common/audit.h"
#include "common/classifier.h"
#include "common/http.h"

/* Versions listed by GET, newest first. */
#define DESK_CLASSIFIER_VERSIONS 20

/* The whole GET body, rendered by PostgreSQL (accuracy rounded there, so it reads 0.7438 and
 * not a binary float's 17 digits): the newest versions ($1 of them) and how many examples each
 * source has given so far, and the triage threshold ($2). */
static const char desk_classifier_sql[] =
    "SELECT json_build_object("
    " 'models', coalesce((SELECT json_agg(json_build_object("
    "           'version', m.version, 'created_at', " DESK_SQL_ISO("m.created_at") ","
    "           'trained_by', m.trained_by, 'examples', m.examples, 'labels', m.labels,"
    "           'vocabulary', m.vocabulary,"
    "           'holdout_accuracy', round(m.holdout_accuracy::numeric, 4))"
    "         ORDER BY m.version DESC)"
    "       FROM (SELECT * FROM classifier_models ORDER BY version DESC LIMIT $1::int) m),"
    "       '[]'::json),"
    " 'examples', (SELECT json_build_object("
    "           'seed', count(*) FILTER (WHERE source = 'seed'),"
    "           'person', count(*) FILTER (WHERE source = 'person'),"
    "           'resolved', count(*) FILTER (WHERE source = 'resolved'))"
    "        FROM training_examples),"
    " 'triage_threshold', $2::numeric)::text";

/* An admin, with the database reachable; 0, or -1 with err (401/403/503). */
static int desk_admin(sb_service *s, struct evhttp_request *req, sb_principal *who, sb_error *err)
{
    if (sb_pg_ensure(s->pg) != 0)
        return sb_error_set(err, 503, "unavailable", "", "database unavailable");
    return sb_auth_require(s->pg, req, SB_ROLE_ADMIN, who, err);
}

/* POST /v1/admin/classifier/train: trains from every example now and stores the new version.
 * The fits take about a second (seconds under the sanitizers), so a worker thread does them
 * (trainer.c) and the loop goes on serving; the request is answered when the model is stored. */
static void desk_classifier_train(struct evhttp_request *req, const char *tail, void *ctx)
{
    (void)tail;
    desk_classifier *dc = ctx;
    sb_principal who;
    sb_error err;
    sb_error_clear(&err);
    if (desk_admin(dc->s, req, &who, &err) != 0) {
        sb_http_reply_error(req, &err);
        return;
    }
    if (desk_trainer_submit(dc->trainer, req, &who) != 0)
        sb_http_reply_errorf(req, 503, "busy", "", "trainings are already queued; try again later");
}

/* GET /v1/admin/classifier: the newest versions, the examples per source, the threshold. */
static void desk_classifier_get(struct evhttp_request *req, const char *tail, void *ctx)
{
    (void)tail;
    sb_service *s = ((desk_classifier *)ctx)->s;
    sb_principal who;
    sb_error err;
    sb_error_clear(&err);
    if (desk_admin(s, req, &who, &err) != 0) {
        sb_http_reply_error(req, &err);
        return;
    }
    char limit[8], threshold[16];
    snprintf(limit, sizeof(limit), "%d", DESK_CLASSIFIER_VERSIONS);
    snprintf(threshold, sizeof(threshold), "%.2f", SB_CLASSIFIER_TRIAGE_THRESHOLD);
    const char *p[] = {limit, threshold};
    PGresult *res = NULL;
    if (sb_pg_begin(s->pg) != 0 ||
        sb_audit_record(s->pg, &who, "classifier.inspect", "classifier", NULL) != 0 ||
        !(res = sb_pg_query(s->pg, desk_classifier_sql, 2, p)) || sb_pg_commit(s->pg) != 0) {
        PQclear(res);
        sb_pg_rollback(s->pg);
        sb_http_reply_errorf(req, 503, "unavailable", "", "cannot read the classifier now");
        return;
    }
    sb_http_reply_text(req, 200, "application/json", PQgetvalue(res, 0, 0),
                       (size_t)PQgetlength(res, 0, 0));
    PQclear(res);
}

int desk_classifier_routes(desk_classifier *dc)
{
    sb_http *http = dc->s->http;
    if (sb_http_route(http, "POST", "/v1/admin/classifier/train", desk_classifier_train, dc) != 0)
        return -1;
    return sb_http_route(http, "GET", "/v1/admin/classifier", desk_classifier_get, dc);
}

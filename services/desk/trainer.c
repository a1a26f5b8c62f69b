/* trainer.c - classifier training off desk's loop: a worker thread fits and stores each model
 * while the loop goes on serving agents; the admin's request is answered when it is done. */
#include "services/desk/desk.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event2/event.h>

#include "common/audit.h"
#include "common/classifier.h"
#include "common/http.h"
#include "common/log.h"

/* Requests that may wait behind the one being trained; more are answered 503 at once. */
#define DESK_TRAIN_QUEUE_MAX 4

/*
 * One admin's request to train.
 *
 * Ownership: the loop creates a job, queues it, hands it to the worker by setting
 * trainer.running before pthread_create, and takes it back after pthread_join; the worker
 * touches only that job (rc, info) and the trainer's own connection. pthread_create and
 * pthread_join order every access, so nothing else needs a lock.
 *
 * Holding req while the worker trains is safe for the reason ingest's accept.c gives: a client
 * that leaves is noticed when the reply is written, and evhttp frees the request then. Only
 * evhttp_free at shutdown frees requests still held: desk_trainer_free runs before it.
 */
typedef struct train_job {
    struct train_job      *next;
    struct evhttp_request *req;
    sb_principal           who;
    int                    rc;      /* the worker's result: 0, or -1 (rolled back) */
    sb_classifier_info     info;
} train_job;

struct desk_trainer {
    char         *dsn;
    sb_pg        *pg;          /* the worker's connection: opened by the first job, kept */
    int           wake[2];     /* the worker writes a byte to [1] when its job is done */
    struct event *ev_done;
    train_job    *head, *tail; /* waiting, in arrival order */
    size_t        waiting;
    train_job    *running;     /* the worker's job, NULL when idle */
    pthread_t     thread;
};

/* Trains and records who did it, in one transaction. 0 or -1 (rolled back). */
static int trainer_train_audited(sb_pg *pg, const sb_principal *who, sb_classifier_info *info)
{
    if (sb_pg_ensure(pg) != 0 || sb_pg_begin(pg) != 0)
        return -1;
    char target[48];
    int rc = sb_classifier_train_tx(pg, who->subject, info);
    if (rc == 0) {
        snprintf(target, sizeof(target), "classifier_model:%d", info->version);
        rc = sb_audit_record(pg, who, "classifier.train", target,
                             json_pack("{s:i, s:I, s:i}", "version", info->version, "examples",
                                       (json_int_t)info->examples, "labels", info->labels));
    }
    if (rc != 0 || sb_pg_commit(pg) != 0) {
        sb_pg_rollback(pg);
        return -1;
    }
    return 0;
}

/* The worker: trains for t->running on the trainer's own connection, then wakes the loop. */
static void *trainer_work(void *arg)
{
    desk_trainer *t = arg;
    train_job *job = t->running;
    if (!t->pg)
        t->pg = sb_pg_connect(t->dsn, 3);
    job->rc = t->pg ? trainer_train_audited(t->pg, &job->who, &job->info) : -1;
    char byte = 1;
    while (write(t->wake[1], &byte, 1) < 0 && errno == EINTR)
        ;
    return NULL;
}

/* 201 with the new version, or 503. */
static void trainer_reply(const train_job *job)
{
    if (job->rc != 0) {
        sb_http_reply_errorf(job->req, 503, "unavailable", "", "cannot train the classifier now");
        return;
    }
    const sb_classifier_info *info = &job->info;
    char body[256], accuracy[16] = "null";
    if (info->holdout_accuracy >= 0)
        snprintf(accuracy, sizeof(accuracy), "%.4f", info->holdout_accuracy);
    int n = snprintf(body, sizeof(body),
                     "{\"version\":%d,\"examples\":%ld,\"labels\":%d,\"vocabulary\":%ld,"
                     "\"holdout_accuracy\":%s}", info->version, info->examples, info->labels,
                     info->vocabulary, accuracy);
    sb_http_reply_text(job->req, 201, "application/json", body, (size_t)n);
}

/* Hands the next waiting job to a new worker, unless one is running. */
static void trainer_start_next(desk_trainer *t)
{
    while (!t->running && t->head) {
        train_job *job = t->head;
        t->head = job->next;
        if (!t->head)
            t->tail = NULL;
        t->waiting--;
        t->running = job;
        int err = pthread_create(&t->thread, NULL, trainer_work, t);
        if (err == 0)
            return;
        sb_error("classifier_train", "cannot start the training thread: %s", strerror(err));
        t->running = NULL;
        job->rc = -1;
        trainer_reply(job);
        free(job);
    }
}

/* The worker is done: answer its request and start the next. */
static void trainer_on_done(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    desk_trainer *t = arg;
    char buf[16];
    while (read(fd, buf, sizeof(buf)) > 0)
        ;
    if (!t->running)
        return;
    pthread_join(t->thread, NULL);
    train_job *job = t->running;
    t->running = NULL;
    trainer_reply(job);
    free(job);
    trainer_start_next(t);
}

desk_trainer *desk_trainer_new(struct event_base *base, const char *dsn)
{
    desk_trainer *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->wake[0] = t->wake[1] = -1;
    t->dsn = strdup(dsn);
    if (!t->dsn || pipe2(t->wake, O_CLOEXEC | O_NONBLOCK) != 0 ||
        !(t->ev_done = event_new(base, t->wake[0], EV_READ | EV_PERSIST, trainer_on_done, t)) ||
        event_add(t->ev_done, NULL) != 0) {
        sb_error("startup", "cannot set up the classifier trainer");
        desk_trainer_free(t);
        return NULL;
    }
    return t;
}

int desk_trainer_submit(desk_trainer *t, struct evhttp_request *req, const sb_principal *who)
{
    if (t->waiting >= DESK_TRAIN_QUEUE_MAX)
        return -1;
    train_job *job = calloc(1, sizeof(*job));
    if (!job)
        return -1;
    job->req = req;
    job->who = *who;
    if (t->tail)
        t->tail->next = job;
    else
        t->head = job;
    t->tail = job;
    t->waiting++;
    trainer_start_next(t);
    return 0;
}

void desk_trainer_free(desk_trainer *t)
{
    if (!t)
        return;
    /* A fit takes about a second: let it finish (its model is stored, its request dropped with
     * the connections evhttp_free closes next). */
    if (t->running) {
        pthread_join(t->thread, NULL);
        free(t->running);
    }
    for (train_job *job = t->head, *next; job; job = next) {
        next = job->next;
        free(job);
    }
    if (t->ev_done)
        event_free(t->ev_done);
    for (int i = 0; i < 2; i++)
        if (t->wake[i] >= 0)
            close(t->wake[i]);
    sb_pg_free(t->pg);
    free(t->dsn);
    free(t);
}

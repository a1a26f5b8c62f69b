/* status.c - GET /v1/messages/{id}: one asynchronous PostgreSQL lookup at a time, never blocking
 * the loop that accepts messages; falls back to the ids this process accepted recently. A key
 * sees only its own channel's messages. */
#include "services/ingest/status.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/clock.h"
#include "common/http.h"
#include "common/ids.h"
#include "common/log.h"

/* Beyond this many queued lookups the database is clearly not keeping up: answer 503. */
#define STATUS_MAX_WAITING 1024
/* A lost connection is re-established at most this often (PQreset blocks the loop briefly). */
#define STATUS_RESET_EVERY_MS 2000

/* The message's channel is part of the match: another channel's message reads as absent. */
static const char status_sql[] =
    "SELECT t.number FROM messages m JOIN tickets t ON t.id = m.ticket_id"
    " WHERE m.message_id = $1 AND m.channel = $2";

/* A GET waiting for its lookup; the request pointer stays valid even if the client leaves (see
 * the comment on accept_pending in accept.c). */
typedef struct status_waiter {
    struct status_waiter  *next;
    struct evhttp_request *req;
    const sb_channel      *channel;   /* the caller's key's: the only one it may see */
    sb_uuid                uuid;
    char                   id[SB_UUID_STRLEN];
} status_waiter;

struct ingest_status {
    struct event_base   *base;
    sb_pg               *pg;
    ingest_credentials  *creds;
    const ingest_recent *recent;
    status_waiter       *head, *tail;   /* FIFO; head's query is on the wire while busy */
    size_t               nwaiting;
    int                  busy;
    struct event        *ev_sock;
    int                  sock_fd;
    int64_t              last_reset_ms;
    int                  failed;        /* outcome of the query on the wire */
    char                 ticket[64];    /* "" when the message has no row (yet) */
};

ingest_status *ingest_status_new(struct event_base *base, sb_pg *pg, ingest_credentials *creds,
                                 const ingest_recent *recent)
{
    ingest_status *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->base = base;
    st->pg = pg;
    st->creds = creds;
    st->recent = recent;
    st->sock_fd = -1;
    return st;
}

/* 200 with the message's state. */
static void status_reply(struct evhttp_request *req, const char *id, const char *state,
                         const char *ticket)
{
    json_t *body = json_pack("{s:s, s:s, s:o}", "message_id", id, "status", state,
                             "ticket_number", ticket ? json_string(ticket) : json_null());
    sb_http_reply_json(req, 200, body);
}

/* Answer w from what is known of its channel's message: a ticket, else "accepted" if this
 * process took it, else 404 (or 503 when the database could not be asked). Another channel's
 * message is a 404 like an unknown id, so a key cannot probe which ids exist. */
static void status_answer(const ingest_status *st, status_waiter *w, int failed,
                          const char *ticket)
{
    if (!failed && ticket && *ticket) {
        status_reply(w->req, w->id, "classified", ticket);
    } else if (ingest_recent_channel(st->recent, &w->uuid) == w->channel) {
        status_reply(w->req, w->id, "accepted", NULL);
    } else if (failed) {
        evhttp_add_header(evhttp_request_get_output_headers(w->req), "Retry-After", "1");
        sb_http_reply_errorf(w->req, 503, "unavailable", "", "cannot look the message up now");
    } else {
        sb_http_reply_errorf(w->req, 404, "not_found", "message_id", "no message %s", w->id);
    }
}

/* Remove and return the oldest waiter. */
static status_waiter *status_pop(ingest_status *st)
{
    status_waiter *w = st->head;
    st->head = w->next;
    if (!st->head)
        st->tail = NULL;
    st->nwaiting--;
    return w;
}

/* A usable connection, re-established now and then when lost; NULL when there is none. */
static PGconn *status_conn(ingest_status *st)
{
    if (!st->pg)
        return NULL;
    PGconn *conn = sb_pg_conn(st->pg);
    if (PQstatus(conn) == CONNECTION_OK)
        return conn;
    int64_t now = sb_clock_mono_ms();
    if (st->last_reset_ms && now - st->last_reset_ms < STATUS_RESET_EVERY_MS)
        return NULL;
    st->last_reset_ms = now;
    return sb_pg_ensure(st->pg) == 0 ? sb_pg_conn(st->pg) : NULL;
}

static void status_on_readable(evutil_socket_t fd, short what, void *arg);

/* Watch the connection's socket (it changes after a reset). 0 or -1. */
static int status_watch(ingest_status *st, PGconn *conn)
{
    int fd = PQsocket(conn);
    if (fd < 0)
        return -1;
    if (st->ev_sock && st->sock_fd != fd) {
        event_free(st->ev_sock);
        st->ev_sock = NULL;
    }
    if (!st->ev_sock) {
        st->ev_sock = event_new(st->base, fd, EV_READ | EV_PERSIST, status_on_readable, st);
        st->sock_fd = fd;
    }
    return st->ev_sock && event_add(st->ev_sock, NULL) == 0 ? 0 : -1;
}

/* Put the head waiter's query on the wire. 0, or -1 when it cannot be asked now. */
static int status_send(ingest_status *st)
{
    PGconn *conn = status_conn(st);
    const char *params[2] = {st->head->id, st->head->channel->name};
    if (!conn || PQsetnonblocking(conn, 1) != 0 ||
        !PQsendQueryParams(conn, status_sql, 2, NULL, params, NULL, NULL, 0)) {
        if (conn)
            sb_warn("status_lookup", "%s", PQerrorMessage(conn));
        return -1;
    }
    /* The query is far smaller than the socket buffer: a flush that cannot finish at once
     * means the connection is in trouble. */
    if (PQflush(conn) != 0 || status_watch(st, conn) != 0)
        return -1;
    st->failed = 0;
    st->ticket[0] = '\0';
    return 0;
}

/* Start the next lookup, answering at once the waiters that cannot be looked up. */
static void status_next(ingest_status *st)
{
    while (st->head && !st->busy) {
        if (status_send(st) == 0) {
            st->busy = 1;
            return;
        }
        status_waiter *w = status_pop(st);
        status_answer(st, w, 1, NULL);
        free(w);
    }
}

/* Record what one result says about the message. */
static void status_take_result(ingest_status *st, PGresult *res)
{
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        sb_warn("status_lookup", "%s", PQresultErrorMessage(res));
        st->failed = 1;
        return;
    }
    if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0)) {
        const char *num = PQgetvalue(res, 0, 0);
        size_t n = strlen(num);
        if (n >= sizeof st->ticket)
            n = sizeof st->ticket - 1;
        memcpy(st->ticket, num, n);
        st->ticket[n] = '\0';
    }
}

/* The lookup on the wire is over: answer its waiter and go on with the next. */
static void status_done(ingest_status *st)
{
    event_del(st->ev_sock);
    st->busy = 0;
    status_waiter *w = status_pop(st);
    status_answer(st, w, st->failed, st->ticket);
    free(w);
    status_next(st);
}

/* Data from PostgreSQL: consume it, and finish the lookup once its results are complete. */
static void status_on_readable(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    ingest_status *st = arg;
    PGconn *conn = sb_pg_conn(st->pg);
    if (!st->busy) {
        PQconsumeInput(conn);
        return;
    }
    if (!PQconsumeInput(conn)) {
        sb_warn("status_lookup", "%s", PQerrorMessage(conn));
        st->failed = 1;
        status_done(st);
        return;
    }
    while (!PQisBusy(conn)) {
        PGresult *res = PQgetResult(conn);
        if (!res) {
            status_done(st);
            return;
        }
        status_take_result(st, res);
        PQclear(res);
    }
}

/* The channel of the caller's key, whose messages alone it may look up; NULL after answering
 * 401 when the key is not one of the channel keys. */
static const sb_channel *status_caller(const ingest_status *st, struct evhttp_request *req)
{
    const ingest_credential *cred = ingest_credentials_by_key(st->creds, sb_http_bearer(req));
    if (cred)
        return ingest_credential_channel(cred);
    evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate", "Bearer");
    sb_http_reply_errorf(req, 401, "unauthorized", "Authorization",
                         "a valid channel key is required");
    return NULL;
}

void ingest_status_handle(struct evhttp_request *req, const char *tail, void *ctx)
{
    ingest_status *st = ctx;
    const sb_channel *channel = status_caller(st, req);
    if (!channel)
        return;
    sb_uuid uuid;
    if (sb_uuid_parse(tail, &uuid) != 0) {
        sb_http_reply_errorf(req, 400, "invalid_field", "message_id",
                             "the message id must be a UUID");
        return;
    }
    status_waiter *w = st->nwaiting < STATUS_MAX_WAITING ? malloc(sizeof *w) : NULL;
    if (!w) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "1");
        sb_http_reply_errorf(req, 503, "unavailable", "", "too many lookups waiting");
        return;
    }
    w->next = NULL;
    w->req = req;
    w->channel = channel;
    w->uuid = uuid;
    sb_uuid_format(&uuid, w->id);   /* canonical lower case, as stored */
    if (st->tail)
        st->tail->next = w;
    else
        st->head = w;
    st->tail = w;
    st->nwaiting++;
    status_next(st);
}

void ingest_status_free(ingest_status *st)
{
    if (!st)
        return;
    while (st->head)
        free(status_pop(st));
    if (st->ev_sock)
        event_free(st->ev_sock);
    free(st);
}

/* wechat_http.c - /v1/channels/wechat over the ingest door: URL handshake, signed XML pushes. */
#include "services/ingest/wechat_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "common/channel.h"
#include "common/clock.h"
#include "common/http.h"
#include "services/ingest/wechat.h"

#define WX_HTTP_MAX_BODY   (1024 * 1024)
#define WX_HTTP_ECHOSTR_MAX 512   /* the platform's is a number of about 19 digits */

struct ingest_wechat {
    ingest_accept    *accept;
    sb_metrics       *metrics;
    const sb_channel *channel;   /* "wechat", for the door's refusal metrics */
};

/* The query string, parsed once; the values point into kv. */
typedef struct wx_http_query {
    struct evkeyvalq    kv;
    ingest_wechat_query signed_part;
    const char         *echostr, *openid, *encrypt_type;
} wx_http_query;

ingest_wechat *ingest_wechat_new(ingest_accept *a, sb_metrics *metrics)
{
    ingest_wechat *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->accept = a;
    w->metrics = metrics;
    w->channel = sb_channel_find("wechat");
    return w;
}

void ingest_wechat_free(ingest_wechat *w)
{
    free(w);
}

/* A parameter's value, NULL when absent or empty. */
static const char *wx_http_param(struct evkeyvalq *kv, const char *name)
{
    const char *v = evhttp_find_header(kv, name);
    return v && *v ? v : NULL;
}

/* Parses req's query into q (release it); an unparsable query reads as having no parameters. */
static void wx_http_query_read(struct evhttp_request *req, wx_http_query *q)
{
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *query = uri ? evhttp_uri_get_query(uri) : NULL;
    memset(q, 0, sizeof *q);
    TAILQ_INIT(&q->kv);
    if (query && evhttp_parse_query_str(query, &q->kv) != 0)
        evhttp_clear_headers(&q->kv);
    q->signed_part.signature = wx_http_param(&q->kv, "signature");
    q->signed_part.timestamp = wx_http_param(&q->kv, "timestamp");
    q->signed_part.nonce = wx_http_param(&q->kv, "nonce");
    q->echostr = wx_http_param(&q->kv, "echostr");
    q->openid = wx_http_param(&q->kv, "openid");
    q->encrypt_type = wx_http_param(&q->kv, "encrypt_type");
}

/* Frees what wx_http_query_read parsed. */
static void wx_http_query_release(wx_http_query *q)
{
    evhttp_clear_headers(&q->kv);
}

/* The account's token credential when q is signed with it (and, for a push, fresh); NULL with
 * a 401 in err otherwise. A deployment without a WeChat token refuses every request. */
static ingest_credential *wx_http_authenticate(ingest_wechat *w, const wx_http_query *q,
                                               int push, sb_error *err)
{
    ingest_credential *cred = ingest_credentials_secret(ingest_accept_credentials(w->accept),
                                                        INGEST_CRED_WECHAT_TOKEN, "");
    size_t len = 0;
    const char *token = cred ? ingest_credential_secret(cred, &len) : NULL;
    if (ingest_wechat_verify(token, len, &q->signed_part, err) != 0)
        return NULL;
    if (push && ingest_wechat_fresh(q->signed_part.timestamp, sb_clock_now_ms(), err) != 0)
        return NULL;
    return cred;
}

/* 200 "success": what the platform wants for a push it should not retry. */
static void wx_http_success(struct evhttp_request *req)
{
    sb_http_reply_text(req, 200, "text/plain; charset=utf-8", "success", 7);
}

/* A handshake the platform signed, with an echostr to give back: 0, or -1 with err. */
static int wx_http_handshake_ok(ingest_wechat *w, const wx_http_query *q, sb_error *err)
{
    if (!wx_http_authenticate(w, q, 0, err))
        return -1;
    if (!q->echostr)
        return sb_error_set(err, 401, "unauthorized", "echostr",
                            "the echostr query parameter is required");
    if (strlen(q->echostr) > WX_HTTP_ECHOSTR_MAX)
        return sb_error_set(err, 400, "field_too_long", "echostr",
                            "echostr must be at most %d bytes", WX_HTTP_ECHOSTR_MAX);
    return 0;
}

void ingest_wechat_handle_get(struct evhttp_request *req, const char *tail, void *ctx)
{
    (void)tail;
    ingest_wechat *w = ctx;
    wx_http_query q;
    sb_error err;
    sb_error_clear(&err);
    wx_http_query_read(req, &q);
    if (wx_http_handshake_ok(w, &q, &err) != 0) {
        ingest_accept_reject(w->accept, req, w->channel, &err);
    } else {
        /* Exactly echostr, never sniffed into anything but text. */
        evhttp_add_header(evhttp_request_get_output_headers(req), "X-Content-Type-Options",
                          "nosniff");
        sb_http_reply_text(req, 200, "text/plain; charset=utf-8", q.echostr, strlen(q.echostr));
    }
    wx_http_query_release(&q);
}

/* 0 when the push may be read: plaintext mode (no encrypt_type, or "raw") and an XML
 * Content-Type (or none); else -1 with err. */
static int wx_http_acceptable(struct evhttp_request *req, const wx_http_query *q, sb_error *err)
{
    if (q->encrypt_type && strcmp(q->encrypt_type, "raw") != 0)
        return sb_error_set(err, 400, "unsupported", "encrypt_type",
                            "encrypt_type=%.16s (safe mode) is not supported: set the account to "
                            "plaintext mode", q->encrypt_type);
    const char *ct = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
    if (!ct)
        return 0;
    static const char *const types[] = {"text/xml", "application/xml"};
    for (size_t i = 0; i < 2; i++) {
        size_t n = strlen(types[i]);
        if (strncasecmp(ct, types[i], n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' '))
            return 0;
    }
    return sb_error_set(err, 415, "unsupported_media_type", "Content-Type",
                        "expected text/xml or application/xml");
}

/* An event: acknowledged at once, counted by name, never produced. */
static void wx_http_event(ingest_wechat *w, struct evhttp_request *req, const char *event)
{
    char labels[64];
    snprintf(labels, sizeof labels, "event=\"%s\"", event);
    sb_counter_add(sb_metrics_counter(w->metrics, "ingest_wechat_events",
                                      "WeChat events acknowledged without producing, by event",
                                      labels),
                   1);
    wx_http_success(req);
}

/* The signed, acceptable push: parsed, then submitted (a message) or acknowledged (an event). */
static void wx_http_push(ingest_wechat *w, struct evhttp_request *req, const wx_http_query *q,
                         ingest_credential *cred)
{
    sb_error err;
    size_t len = 0;
    ingest_wechat_push push;
    sb_error_clear(&err);
    char *xml = sb_http_body_raw(req, WX_HTTP_MAX_BODY, &len, &err);
    if (!xml) {
        ingest_accept_reject(w->accept, req, w->channel, &err);
        return;
    }
    if (ingest_wechat_parse(xml, len, q->openid, sb_clock_now_ms(), &push, &err) != 0)
        ingest_accept_reject(w->accept, req, w->channel, &err);
    else if (push.kind == INGEST_WECHAT_EVENT)
        wx_http_event(w, req, push.event);
    else
        ingest_accept_submit(w->accept, req, push.body, cred, INGEST_ANSWER_WECHAT);
    ingest_wechat_push_release(&push);
    free(xml);
}

void ingest_wechat_handle_post(struct evhttp_request *req, const char *tail, void *ctx)
{
    (void)tail;
    ingest_wechat *w = ctx;
    wx_http_query q;
    sb_error err;
    sb_error_clear(&err);
    wx_http_query_read(req, &q);
    ingest_credential *cred = wx_http_authenticate(w, &q, 1, &err);
    if (!cred) {
        ingest_accept_reject(w->accept, req, w->channel, &err);
    } else if (ingest_accept_admit(w->accept, req, cred) == 0) {
        /* Admitted once the signature verified, before the body is read: an event takes a
         * token too, since parsing is what the limit protects. */
        if (wx_http_acceptable(req, &q, &err) != 0)
            ingest_accept_reject(w->accept, req, w->channel, &err);
        else
            wx_http_push(w, req, &q, cred);
    }
    wx_http_query_release(&q);
}

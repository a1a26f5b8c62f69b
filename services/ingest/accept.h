/* accept.h - the door every channel's message passes: rate limit, normalise, produce, answer on
 * the delivery report. POST /v1/messages is its generic adapter; the native ones build the same
 * generic body from their format and submit it here. */
#ifndef INGEST_ACCEPT_H
#define INGEST_ACCEPT_H

#include <event2/http.h>

#include "common/kafka.h"
#include "common/metrics.h"
#include "services/ingest/credentials.h"
#include "services/ingest/normalize.h"
#include "services/ingest/recent.h"

typedef struct ingest_accept ingest_accept;

/* How the answer is written once the broker has the message. */
typedef enum ingest_answer {
    INGEST_ANSWER_JSON = 0,   /* 202 {"message_id": "..."} */
    INGEST_ANSWER_WECHAT,     /* 200 text/plain "success", what the WeChat platform expects */
} ingest_answer;

/* When the door answers 503 instead of waiting. */
typedef struct ingest_accept_limits {
    size_t  high_water;       /* messages in flight past which new ones get 503 at once */
    int64_t ack_timeout_ms;   /* a request still unacknowledged after this gets 503 */
} ingest_accept_limits;

/* creds, secrets and recent are borrowed and must outlive the acceptor. NULL on OOM. */
ingest_accept *ingest_accept_new(struct event_base *base, sb_producer *producer,
                                 sb_metrics *metrics, ingest_credentials *creds,
                                 const ingest_secrets *secrets, ingest_recent *recent,
                                 const ingest_accept_limits *limits);
/* The credentials the adapters authenticate with. */
ingest_credentials *ingest_accept_credentials(ingest_accept *a);

/* POST /v1/messages, the sb_http handler; ctx is the acceptor. */
void ingest_accept_handle(struct evhttp_request *req, const char *tail, void *ctx);

/*
 * An adapter's request goes: authenticate (ingest_accept_key, or the adapter's signature
 * check), ingest_accept_admit, then read and parse the body, then ingest_accept_submit. The
 * token is taken as soon as the credential is known, so a sender over its rate costs no
 * parsing; a signature is verified before it, so nobody without the secret can empty a
 * credential's bucket.
 */

/* The credential of the API key req presents (Authorization: Bearer) when it is one of
 * channel ch's; else NULL after answering 401 (no key, an unknown one) or 403 (another
 * channel's key), both naming Authorization. For the adapters of one channel's key. */
ingest_credential *ingest_accept_key(ingest_accept *a, struct evhttp_request *req,
                                     const sb_channel *ch);
/* Takes a token from the bucket of cred, which authenticated req: 0, or -1 after answering
 * 429 rate_limited + Retry-After, its field naming what req authenticated with: Authorization
 * (an API key), signature (a WeChat token: the query parameter), X-Signature (a marketplace
 * secret). */
int ingest_accept_admit(ingest_accept *a, struct evhttp_request *req, ingest_credential *cred);
/* Submits a message of a request admitted under cred, turned into the generic body
 * (proto/http/message_request.v1.json; body is borrowed): normalises (4xx naming the field),
 * produces, and answers req in style once the broker acknowledged (503 + Retry-After when it
 * cannot). Always answers req, now or later. */
void ingest_accept_submit(ingest_accept *a, struct evhttp_request *req, const json_t *body,
                          ingest_credential *cred, ingest_answer style);
/* An adapter's parse result: body (taken: released here) submitted as ingest_accept_submit,
 * or, when NULL, err answered as ingest_accept_reject under cred's channel. */
void ingest_accept_finish(ingest_accept *a, struct evhttp_request *req, json_t *body,
                          const sb_error *err, ingest_credential *cred, ingest_answer style);
/* Answers an adapter's own refusal (bad signature, unparsable body, ...), counted under
 * ingest_rejected{channel, reason}; ch may be NULL when the channel is not known yet. A 401
 * naming Authorization carries the Bearer challenge (WWW-Authenticate); a 401 of a signature
 * does not: HTTP has no scheme for a signed query or body, and a Bearer challenge would send
 * its client looking for a key. */
void ingest_accept_reject(ingest_accept *a, struct evhttp_request *req, const sb_channel *ch,
                          const sb_error *err);
/* At shutdown, before the HTTP server goes: waits up to timeout_ms for the outstanding
 * delivery reports (answering their requests), purges what is left (answered 503), and lets go
 * of every request, which the HTTP server is about to free. */
void ingest_accept_drain(ingest_accept *a, int timeout_ms);
void ingest_accept_free(ingest_accept *a);

#endif

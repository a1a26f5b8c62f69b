/* accept.h - POST /v1/messages: authenticate, normalise, produce, answer on the delivery report. */
#ifndef INGEST_ACCEPT_H
#define INGEST_ACCEPT_H

#include <event2/http.h>

#include "common/kafka.h"
#include "common/metrics.h"
#include "services/ingest/keys.h"
#include "services/ingest/normalize.h"
#include "services/ingest/recent.h"

typedef struct ingest_accept ingest_accept;

/* keys, secrets and recent are borrowed and must outlive the acceptor. NULL on OOM. */
ingest_accept *ingest_accept_new(sb_producer *producer, sb_metrics *metrics,
                                 const ingest_keys *keys, const ingest_secrets *secrets,
                                 ingest_recent *recent);
/* The sb_http handler; ctx is the acceptor. */
void ingest_accept_handle(struct evhttp_request *req, const char *tail, void *ctx);
/* At shutdown, before the HTTP server goes: waits up to timeout_ms for the outstanding
 * delivery reports (answering their requests), purges what is left (answered 503), and lets go
 * of every request, which the HTTP server is about to free. */
void ingest_accept_drain(ingest_accept *a, int timeout_ms);
void ingest_accept_free(ingest_accept *a);

#endif

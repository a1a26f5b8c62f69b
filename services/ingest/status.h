/* status.h - GET /v1/messages/{id}: classified (with its ticket), accepted, or unknown. */
#ifndef INGEST_STATUS_H
#define INGEST_STATUS_H

#include <event2/event.h>
#include <event2/http.h>

#include "common/pg.h"
#include "services/ingest/credentials.h"
#include "services/ingest/recent.h"

typedef struct ingest_status ingest_status;

/* pg may be NULL (then only "accepted" or 404 can be answered). NULL on OOM. */
ingest_status *ingest_status_new(struct event_base *base, sb_pg *pg, ingest_credentials *creds,
                                 const ingest_recent *recent);
/* The sb_http handler for the "/v1/messages/" subtree; ctx is the status module. */
void ingest_status_handle(struct evhttp_request *req, const char *tail, void *ctx);
/* Before the HTTP server goes: the waiting requests are dropped unanswered (it frees them). */
void ingest_status_free(ingest_status *st);

#endif

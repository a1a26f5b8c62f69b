/* wechat_http.h - /v1/channels/wechat: the platform's URL handshake (GET) and its signed XML
 * pushes (POST), over the ingest door. */
#ifndef INGEST_WECHAT_HTTP_H
#define INGEST_WECHAT_HTTP_H

#include <event2/http.h>

#include "common/metrics.h"
#include "services/ingest/accept.h"

typedef struct ingest_wechat ingest_wechat;

/* The adapter over the door a, counting the events it swallows in metrics (the service's
 * registry: the door does not expose its own). Both borrowed. NULL on OOM. */
ingest_wechat *ingest_wechat_new(ingest_accept *a, sb_metrics *metrics);
void           ingest_wechat_free(ingest_wechat *w);

/* GET /v1/channels/wechat: the URL handshake, echostr back when the signature holds. */
void ingest_wechat_handle_get(struct evhttp_request *req, const char *tail, void *ctx);
/* POST /v1/channels/wechat: a signed XML push; messages are submitted (answered "success" once
 * durable), events answered "success" at once. */
void ingest_wechat_handle_post(struct evhttp_request *req, const char *tail, void *ctx);

#endif

/* http.h - libevent evhttp server: routing, JSON bodies with size limits, uniform JSON errors,
 * bearer tokens, /healthz and /metrics on every service. */
#ifndef SB_HTTP_H
#define SB_HTTP_H

#include <stddef.h>
#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>
#include "common/error.h"
#include "common/metrics.h"

typedef struct sb_http sb_http;

/* tail: the part of the path after the route's prefix (e.g. "WX-20261122-000001" for a route
 * "/v1/tickets/" and path "/v1/tickets/WX-20261122-000001"); query string stripped. */
typedef void (*sb_http_handler)(struct evhttp_request *req, const char *tail, void *ctx);
/* Fills detail (an object) and returns 1 when healthy, 0 when not (503). */
typedef int (*sb_http_health_fn)(void *ctx, json_t *detail);

sb_http *sb_http_new(struct event_base *base, const char *host, int port, size_t max_body,
                     sb_metrics *metrics, sb_error *err);
void     sb_http_free(sb_http *h);
int      sb_http_port(const sb_http *h);   /* the bound port (useful with port 0) */
void     sb_http_set_health(sb_http *h, sb_http_health_fn fn, void *ctx);
/* method: "GET", "POST", ...; prefix ending in "/" matches the subtree, otherwise exact.
 * Longest prefix wins. A path that matches with another method gets 405. */
int      sb_http_route(sb_http *h, const char *method, const char *prefix, sb_http_handler fn,
                       void *ctx);

/* Replies; body is stolen (decref'd). */
void sb_http_reply_json(struct evhttp_request *req, int status, json_t *body);
void sb_http_reply_text(struct evhttp_request *req, int status, const char *content_type,
                        const char *body, size_t len);
/* {"error":{"code","message","field"}} with err->status. */
void sb_http_reply_error(struct evhttp_request *req, const sb_error *err);
void sb_http_reply_errorf(struct evhttp_request *req, int status, const char *code,
                          const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Request body as a JSON object; NULL with err (400 invalid_json, 413 body_too_large,
 * 415 unsupported_media_type when Content-Type is present and not JSON). Caller decrefs. */
json_t *sb_http_body_json(struct evhttp_request *req, size_t max_len, sb_error *err);
/* Raw body copied into a NUL-terminated malloc'd buffer; NULL with err when too large. */
char   *sb_http_body_raw(struct evhttp_request *req, size_t max_len, size_t *len, sb_error *err);
/* The token of "Authorization: Bearer <token>" or NULL. */
const char *sb_http_bearer(struct evhttp_request *req);
/* Query parameter value (decoded) into out; 1 when present, 0 when absent. */
int sb_http_query_param(struct evhttp_request *req, const char *name, char *out, size_t len);

#endif

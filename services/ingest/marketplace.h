/* marketplace.h - the marketplace adapter: a third-party marketplace's signed buyer-message
 * webhook (POST /v1/channels/marketplace/{name}, proto/http/marketplace_event.v1.json) -> the
 * generic message. */
#ifndef INGEST_MARKETPLACE_H
#define INGEST_MARKETPLACE_H

#include <stddef.h>
#include <stdint.h>

#include <event2/http.h>
#include <jansson.h>

#include "common/error.h"

#define INGEST_MARKETPLACE_NAME_MAX 40   /* [a-z0-9_-]{1,40} */

/* Is name a marketplace name as the path carries it: 1..40 of a-z 0-9 _ -? */
int ingest_marketplace_name_ok(const char *name);

/* Checks X-Signature (header; NULL when absent) against the HMAC-SHA256 of the raw body under
 * secret, comparing in constant time. 0, or -1 with 401 unauthorized, field "X-Signature"
 * (missing, not "sha256=<64 hex digits>", or wrong). Pure: no I/O, no globals. */
int ingest_marketplace_verify(const char *header, const char *secret, size_t secret_len,
                              const char *body, size_t len, sb_error *err);

/* Parses and validates a marketplace event (len bytes of JSON) of marketplace name (valid per
 * ingest_marketplace_name_ok) received at now_ms. 0 with *out the generic message body
 * (proto/http/message_request.v1.json, channel "marketplace"; the caller json_decref()s it), or
 * -1 with err naming the event's field ("buyer.id", "message.images[2]"): 400 invalid_json,
 * missing_field, invalid_field, field_too_long, unknown_field, too_many_items; 503 overloaded
 * when out of memory. Pure: no I/O, no globals. */
int ingest_marketplace_parse(const char *name, const char *body, size_t len, int64_t now_ms,
                             json_t **out, sb_error *err);

/* POST /v1/channels/marketplace/{name} (marketplace_http.c), the sb_http handler for the
 * prefix "/v1/channels/marketplace/"; ctx is the ingest_accept. */
void ingest_marketplace_handle(struct evhttp_request *req, const char *tail, void *ctx);

#endif

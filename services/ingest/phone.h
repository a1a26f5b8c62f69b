/* phone.h - the phone / IVR adapter: a telephony platform's call record (POST
 * /v1/channels/phone, proto/http/call_record.v1.json) -> the generic message. */
#ifndef INGEST_PHONE_H
#define INGEST_PHONE_H

#include <stddef.h>
#include <stdint.h>

#include <event2/http.h>
#include <jansson.h>

#include "common/error.h"

#define INGEST_PHONE_STEPS_MAX 16     /* IVR steps (and labels) */
#define INGEST_PHONE_STEP_MAX  16     /* characters of one step */
#define INGEST_PHONE_LABEL_MAX 32     /* characters of one label */
#define INGEST_PHONE_HINT_MAX  256    /* characters of hints.ivr_path, as normalize.c keeps it */

/* Parses and validates a call record (len bytes of JSON) received at now_ms. 0 with *out the
 * generic message body (proto/http/message_request.v1.json, channel "phone"; the caller
 * json_decref()s it), or -1 with err naming the call record's field: 400 invalid_json,
 * missing_field, invalid_field, field_too_long, unknown_field, too_many_items; 503 overloaded
 * when out of memory. Pure: no I/O, no globals. */
int ingest_phone_parse(const char *body, size_t len, int64_t now_ms, json_t **out,
                       sb_error *err);

/* POST /v1/channels/phone (phone_http.c), the sb_http handler; ctx is the ingest_accept. */
void ingest_phone_handle(struct evhttp_request *req, const char *tail, void *ctx);

#endif

/* email.h - the e-mail channel: an RFC 5322 / MIME message, as an MTA pipe or webhook posts it
 * to POST /v1/channels/email, becomes the generic message body (parsed with GMime 3). */
#ifndef INGEST_EMAIL_H
#define INGEST_EMAIL_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "common/error.h"

#define INGEST_EMAIL_MAX_BYTES  (1024 * 1024)   /* a raw message, as posted (413 beyond) */
#define INGEST_EMAIL_SUBJECT_MAX 300            /* characters of hints.subject */
#define INGEST_EMAIL_NAME_MAX    128            /* characters of customer.name */

struct evhttp_request;

/* Initialises GMime once per process (later calls do nothing). Call before the first parse. */
void ingest_email_init(void);
/* Releases GMime's global state at exit (after the last parse). */
void ingest_email_shutdown(void);

/* The raw message (len bytes, need not be NUL-terminated) as the generic body of
 * proto/http/message_request.v1.json, received at now_ms (bounds sent_at). A new object the
 * caller decrefs, or NULL with err: 400 missing_field / invalid_field naming "From" (no usable
 * sender), "text" (neither text nor attachments) or "body" (empty or not a message); 503 when
 * memory runs out. Pure: no I/O, nothing logged. */
json_t *ingest_email_to_body(const char *raw, size_t len, int64_t now_ms, sb_error *err);

/* POST /v1/channels/email, the sb_http handler; ctx is the ingest_accept door. */
void ingest_email_handle(struct evhttp_request *req, const char *tail, void *ctx);

#endif

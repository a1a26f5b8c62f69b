/* email_http.c - POST /v1/channels/email: an MTA pipe or webhook posts the raw message with the
 * e-mail channel's key; it is parsed (email.c) and submitted through the ingest door. */
#include "services/ingest/email.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/http.h>

#include "common/channel.h"
#include "common/clock.h"
#include "common/http.h"
#include "services/ingest/accept.h"

/* Is the request's Content-Type message/rfc822 (parameters allowed) or absent, as a bare pipe
 * such as `curl --data-binary @-` without -H may send it? */
static int email_http_type_ok(struct evhttp_request *req)
{
    const char *ct = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
    if (!ct)
        return 1;
    ct += strspn(ct, " \t");
    size_t n = strlen("message/rfc822");
    return strncasecmp(ct, "message/rfc822", n) == 0 && strchr("; \t", ct[n]) != NULL;
}

/* The e-mail channel's credential of the request, or NULL after answering 401 (no or unknown
 * key) or 403 (a key of another channel). */
static ingest_credential *email_http_auth(ingest_accept *a, struct evhttp_request *req)
{
    sb_error err;
    ingest_credential *cred =
        ingest_credentials_by_key(ingest_accept_credentials(a), sb_http_bearer(req));
    if (!cred) {
        sb_error_set(&err, 401, "unauthorized", "Authorization",
                     "the e-mail channel's key is required");
        ingest_accept_reject(a, req, sb_channel_find("email"), &err);
        return NULL;
    }
    const sb_channel *ch = ingest_credential_channel(cred);
    if (strcmp(ch->name, "email") != 0) {
        sb_error_set(&err, 403, "forbidden", "Authorization",
                     "this key belongs to channel %s, not email", ch->name);
        ingest_accept_reject(a, req, ch, &err);
        return NULL;
    }
    return cred;
}

void ingest_email_handle(struct evhttp_request *req, const char *tail, void *ctx)
{
    (void)tail;
    ingest_accept *a = ctx;
    ingest_credential *cred = email_http_auth(a, req);
    if (!cred)
        return;
    const sb_channel *ch = ingest_credential_channel(cred);
    sb_error err;
    sb_error_clear(&err);
    if (!email_http_type_ok(req)) {
        sb_error_set(&err, 415, "unsupported_media_type", "Content-Type",
                     "expected message/rfc822");
        ingest_accept_reject(a, req, ch, &err);
        return;
    }
    size_t len = 0;
    char *raw = sb_http_body_raw(req, INGEST_EMAIL_MAX_BYTES, &len, &err);
    json_t *body = raw ? ingest_email_to_body(raw, len, sb_clock_now_ms(), &err) : NULL;
    free(raw);
    if (!body) {
        ingest_accept_reject(a, req, ch, &err);
        return;
    }
    ingest_accept_submit(a, req, body, cred, INGEST_ANSWER_JSON);
    json_decref(body);
}

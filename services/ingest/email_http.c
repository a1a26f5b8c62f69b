/* email_http.c - POST /v1/channels/email: an MTA pipe or webhook posts the raw message with the
 * e-mail channel's key; it is admitted (rate limit), then parsed (email.c) and submitted
 * through the ingest door. */
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

void ingest_email_handle(struct evhttp_request *req, const char *tail, void *ctx)
{
    (void)tail;
    ingest_accept *a = ctx;
    /* The token before the parse: GMime's work is spent only on a sender within its rate. */
    ingest_credential *cred = ingest_accept_key(a, req, sb_channel_find("email"));
    if (!cred || ingest_accept_admit(a, req, cred) != 0)
        return;
    sb_error err;
    json_t *body = NULL;
    sb_error_clear(&err);
    if (!email_http_type_ok(req)) {
        sb_error_set(&err, 415, "unsupported_media_type", "Content-Type",
                     "expected message/rfc822");
    } else {
        size_t len = 0;
        char *raw = sb_http_body_raw(req, INGEST_EMAIL_MAX_BYTES, &len, &err);
        body = raw ? ingest_email_to_body(raw, len, sb_clock_now_ms(), &err) : NULL;
        free(raw);
    }
    ingest_accept_finish(a, req, body, &err, cred, INGEST_ANSWER_JSON);
}

/* phone_http.c - POST /v1/channels/phone: the phone channel's key and its rate, then the call
 * record. */
#include <stdlib.h>

#include "common/channel.h"
#include "common/clock.h"
#include "common/http.h"
#include "services/ingest/accept.h"
#include "services/ingest/jsonin.h"
#include "services/ingest/phone.h"

#define PHONE_MAX_BODY (1024 * 1024)

void ingest_phone_handle(struct evhttp_request *req, const char *tail, void *ctx)
{
    (void)tail;
    ingest_accept *a = ctx;
    ingest_credential *cred = ingest_accept_key(a, req, sb_channel_find("phone"));
    if (!cred || ingest_accept_admit(a, req, cred) != 0)
        return;
    sb_error err;
    json_t *body = NULL;
    sb_error_clear(&err);
    const char *type =
        evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
    if (!ingest_jsonin_media_ok(type)) {
        sb_error_set(&err, 415, "unsupported_media_type", "Content-Type",
                     "a call record is application/json");
    } else {
        size_t len = 0;
        char *raw = sb_http_body_raw(req, PHONE_MAX_BODY, &len, &err);
        if (raw)
            ingest_phone_parse(raw, len, sb_clock_now_ms(), &body, &err);
        free(raw);
    }
    ingest_accept_finish(a, req, body, &err, cred, INGEST_ANSWER_JSON);
}

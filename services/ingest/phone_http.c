/* phone_http.c - POST /v1/channels/phone: the phone channel's key, then the call record. */
#include <stdlib.h>

#include "common/channel.h"
#include "common/clock.h"
#include "common/http.h"
#include "services/ingest/accept.h"
#include "services/ingest/jsonin.h"
#include "services/ingest/phone.h"

#define PHONE_MAX_BODY (1024 * 1024)

/* The phone channel's credential of the request, or NULL after answering 401 (no or unknown
 * key) or 403 (another channel's key). Refusals are counted under phone: they happen at its
 * endpoint. */
static ingest_credential *phone_authenticate(ingest_accept *a, struct evhttp_request *req,
                                             const sb_channel *phone)
{
    sb_error err;
    sb_error_clear(&err);
    ingest_credential *cred =
        ingest_credentials_by_key(ingest_accept_credentials(a), sb_http_bearer(req));
    if (!cred) {
        sb_error_set(&err, 401, "unauthorized", "Authorization",
                     "the phone channel's key is required");
        ingest_accept_reject(a, req, phone, &err);
        return NULL;
    }
    const sb_channel *ch = ingest_credential_channel(cred);
    if (ch != phone) {
        sb_error_set(&err, 403, "forbidden", "Authorization",
                     "this key belongs to channel %s, not phone", ch->name);
        ingest_accept_reject(a, req, phone, &err);
        return NULL;
    }
    return cred;
}

void ingest_phone_handle(struct evhttp_request *req, const char *tail, void *ctx)
{
    (void)tail;
    ingest_accept *a = ctx;
    const sb_channel *ch = sb_channel_find("phone");
    ingest_credential *cred = phone_authenticate(a, req, ch);
    if (!cred)
        return;
    sb_error err;
    sb_error_clear(&err);
    const char *type =
        evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
    if (!ingest_jsonin_media_ok(type)) {
        sb_error_set(&err, 415, "unsupported_media_type", "Content-Type",
                     "a call record is application/json");
        ingest_accept_reject(a, req, ch, &err);
        return;
    }
    size_t len = 0;
    json_t *body = NULL;
    char *raw = sb_http_body_raw(req, PHONE_MAX_BODY, &len, &err);
    if (!raw || ingest_phone_parse(raw, len, sb_clock_now_ms(), &body, &err) != 0) {
        free(raw);
        ingest_accept_reject(a, req, ch, &err);
        return;
    }
    free(raw);
    ingest_accept_submit(a, req, body, cred, INGEST_ANSWER_JSON);
    json_decref(body);
}

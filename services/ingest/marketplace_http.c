/* marketplace_http.c - POST /v1/channels/marketplace/{name}: the marketplace's secret, the
 * body's signature, the secret's rate, then the event. */
#include <stdlib.h>
#include <string.h>

#include "common/channel.h"
#include "common/clock.h"
#include "common/http.h"
#include "services/ingest/accept.h"
#include "services/ingest/jsonin.h"
#include "services/ingest/marketplace.h"

#define MP_MAX_BODY (1024 * 1024)

/* The signing secret of marketplace name (its own, else the "*" one), or NULL after answering
 * 404 field "name": a name that cannot be one, or one nobody gave a secret for. */
static ingest_credential *mp_credential(ingest_accept *a, struct evhttp_request *req,
                                        const char *name, const sb_channel *ch)
{
    sb_error err;
    sb_error_clear(&err);
    if (!name || !ingest_marketplace_name_ok(name)) {
        sb_error_set(&err, 404, "unknown_marketplace", "name",
                     "a marketplace name is 1 to %d of a-z 0-9 _ -", INGEST_MARKETPLACE_NAME_MAX);
        ingest_accept_reject(a, req, ch, &err);
        return NULL;
    }
    ingest_credential *cred =
        ingest_credentials_secret(ingest_accept_credentials(a), INGEST_CRED_HMAC_SECRET, name);
    /* A signing secret issued to another channel must not let its holder post as a market. */
    if (!cred || ingest_credential_channel(cred) != ch) {
        sb_error_set(&err, 404, "unknown_marketplace", "name",
                     "no marketplace %s is configured", name);
        ingest_accept_reject(a, req, ch, &err);
        return NULL;
    }
    return cred;
}

/* The raw body once its X-Signature verified, or NULL after answering 413 or 401. */
static char *mp_signed_body(ingest_accept *a, struct evhttp_request *req,
                            const ingest_credential *cred, size_t *len)
{
    sb_error err;
    sb_error_clear(&err);
    size_t secret_len = 0;
    const char *secret = ingest_credential_secret(cred, &secret_len);
    const char *sig = evhttp_find_header(evhttp_request_get_input_headers(req), "X-Signature");
    char *raw = sb_http_body_raw(req, MP_MAX_BODY, len, &err);
    if (!raw || ingest_marketplace_verify(sig, secret, secret_len, raw, *len, &err) != 0) {
        free(raw);
        ingest_accept_reject(a, req, ingest_credential_channel(cred), &err);
        return NULL;
    }
    return raw;
}

void ingest_marketplace_handle(struct evhttp_request *req, const char *tail, void *ctx)
{
    ingest_accept *a = ctx;
    const sb_channel *ch = sb_channel_find("marketplace");
    ingest_credential *cred = mp_credential(a, req, tail, ch);
    size_t len = 0;
    char *raw = cred ? mp_signed_body(a, req, cred, &len) : NULL;
    /* The token only once the signature verified: nobody without the secret can empty the
     * marketplace's bucket. */
    if (!raw || ingest_accept_admit(a, req, cred) != 0) {
        free(raw);
        return;
    }
    sb_error err;
    sb_error_clear(&err);
    json_t *body = NULL;
    const char *type =
        evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
    if (!ingest_jsonin_media_ok(type))
        sb_error_set(&err, 415, "unsupported_media_type", "Content-Type",
                     "a marketplace event is application/json");
    else
        ingest_marketplace_parse(tail, raw, len, sb_clock_now_ms(), &body, &err);
    free(raw);
    ingest_accept_finish(a, req, body, &err, cred, INGEST_ANSWER_JSON);
}

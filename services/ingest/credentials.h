/* credentials.h - channel credentials (API keys, webhook secrets, WeChat tokens), each with its
 * own token-bucket rate limit; kept in PostgreSQL, cached here and refreshed. */
#ifndef INGEST_CREDENTIALS_H
#define INGEST_CREDENTIALS_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "common/channel.h"
#include "common/error.h"

typedef enum ingest_cred_kind {
    INGEST_CRED_API_KEY = 0,    /* Authorization: Bearer <key>; stored as its SHA-256 only */
    INGEST_CRED_HMAC_SECRET,    /* signs a webhook body: X-Signature: sha256=<hex HMAC> */
    INGEST_CRED_WECHAT_TOKEN,   /* an official account's token: sha1(sort(token, timestamp, nonce)) */
} ingest_cred_kind;

/* Name of a secret that applies to every name of its kind (e.g. every marketplace). */
#define INGEST_CRED_ANY "*"

typedef struct ingest_credential  ingest_credential;
typedef struct ingest_credentials ingest_credentials;

/* The credential whose API key is token, or NULL (missing, unknown or disabled). Constant time
 * in the key: keys are compared by their SHA-256. */
ingest_credential *ingest_credentials_by_key(ingest_credentials *cs, const char *token);
/* The enabled signing secret of kind for name (a marketplace's name; "" for WeChat), else the
 * kind's INGEST_CRED_ANY secret, else NULL. */
ingest_credential *ingest_credentials_secret(ingest_credentials *cs, ingest_cred_kind kind,
                                             const char *name);

const sb_channel *ingest_credential_channel(const ingest_credential *c);
ingest_cred_kind  ingest_credential_kind(const ingest_credential *c);
/* The secret bytes of an HMAC secret or WeChat token (NUL-terminated; *len without it); NULL for
 * API keys, which are not kept. */
const char       *ingest_credential_secret(const ingest_credential *c, size_t *len);
/* A stable label for logs and metrics: "<channel>/<name>#<id>"; never the secret. */
const char       *ingest_credential_label(const ingest_credential *c);

/* Takes one token from c's bucket at now_ms: 0, or -1 with *retry_after_s (>= 1) when the
 * credential is over its rate. */
int ingest_credential_take(ingest_credential *c, int64_t now_ms, int *retry_after_s);

/* Connects to PostgreSQL (a connection of its own), stores the credentials the environment
 * provides (SB_CHANNEL_KEY_*, SB_WECHAT_TOKEN, SB_MARKETPLACE_SECRET; seed_rate messages/s, burst
 * twice that, for new ones), loads every live credential and refreshes the cache every
 * refresh_ms in the loop, without blocking it. NULL with err when any of that fails. */
ingest_credentials *ingest_credentials_open(struct event_base *base, const char *dsn,
                                            int64_t refresh_ms, const char *seed_rate,
                                            sb_error *err);
/* Starts a refresh now (tests; the timer does it otherwise). */
void ingest_credentials_refresh_now(ingest_credentials *cs);
/* Pointers handed out stay valid until the next refresh completes or the cache is freed: use
 * them within one callback, never across loop iterations. */
void ingest_credentials_free(ingest_credentials *cs);

#endif

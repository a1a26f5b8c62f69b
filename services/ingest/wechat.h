/* wechat.h - the WeChat-style official account channel, pure part: the URL signature check and
 * the XML push -> generic message body (no libevent, no Kafka: unit-tested and fuzzed). */
#ifndef INGEST_WECHAT_H
#define INGEST_WECHAT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/error.h"

/* A push whose timestamp lies further than this from now is refused (replay protection). */
#define INGEST_WECHAT_MAX_SKEW_S 300

/* The signed query parameters of a handshake or push; NULL when absent. */
typedef struct ingest_wechat_query {
    const char *signature;   /* hex SHA-1 of the sorted concatenation of token, timestamp, nonce */
    const char *timestamp;   /* epoch seconds, as the platform sent it */
    const char *nonce;
} ingest_wechat_query;

/* 1 when signature is 40 hex digits (either case) spelling the SHA-1 of the byte-wise sorted
 * concatenation of token (token_len bytes, at least one), timestamp and nonce; else 0. Constant
 * time in the digest (CRYPTO_memcmp). */
int ingest_wechat_signature_ok(const char *token, size_t token_len, const char *timestamp,
                               const char *nonce, const char *signature);

/* Authenticates q with token: 0, or -1 with a 401 naming the missing parameter ("signature",
 * "timestamp", "nonce") or "signature" when it does not match. */
int ingest_wechat_verify(const char *token, size_t token_len, const ingest_wechat_query *q,
                         sb_error *err);

/* Replay protection for a verified push: 0 when timestamp is epoch seconds within
 * INGEST_WECHAT_MAX_SKEW_S of now_ms, else -1 with a 401 naming "timestamp". */
int ingest_wechat_fresh(const char *timestamp, int64_t now_ms, sb_error *err);

/* What a push turned out to be. */
typedef enum ingest_wechat_kind {
    INGEST_WECHAT_MESSAGE = 0,   /* a customer's message: submit body */
    INGEST_WECHAT_EVENT,         /* subscribe, CLICK, ...: acknowledged, counted, not produced */
} ingest_wechat_kind;

typedef struct ingest_wechat_push {
    ingest_wechat_kind kind;
    json_t            *body;    /* MESSAGE: the generic body (message_request.v1), owned */
    const char        *event;   /* EVENT: a metric label, the known event's name or "other" */
} ingest_wechat_push;

/* Parses the push xml (len bytes) with expat and maps it to the generic message body of
 * channel "wechat", received at now_ms. openid is the query's openid (NULL when absent): it must
 * then equal FromUserName. 0 with out filled (ingest_wechat_push_release it), or -1 with a 400
 * naming the offending XML element ("MsgId", "FromUserName", "CreateTime", ...), "xml" for a
 * document that is not well-formed, carries a DOCTYPE/entity declaration or whose root is not
 * <xml>, or "openid". Whatever it accepts, ingest_normalize accepts. */
int  ingest_wechat_parse(const char *xml, size_t len, const char *openid, int64_t now_ms,
                         ingest_wechat_push *out, sb_error *err);
void ingest_wechat_push_release(ingest_wechat_push *p);

#endif

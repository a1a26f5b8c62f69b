/* native.h - messages in the channels' own formats: WeChat XML push, raw e-mail, IVR call
 * record, signed marketplace webhook, for ingest's native adapters. */
#ifndef SB_LOADGEN_NATIVE_H
#define SB_LOADGEN_NATIVE_H

#include <stddef.h>
#include <stdint.h>

#define LG_NATIVE_PATH_MAX 512
#define LG_NATIVE_AUTH_MAX 160

/* One request: where it goes, how it is authenticated, its body, and the external id ingest
 * will derive from it (so the message id can be computed without the answer). */
typedef struct lg_native_req {
    char        path[LG_NATIVE_PATH_MAX];   /* after the base URL's prefix, with the query */
    const char *content_type;
    const char *auth_header;                /* "Authorization" or "X-Signature" */
    char        auth_value[LG_NATIVE_AUTH_MAX];
    char        external_id[256];
} lg_native_req;

/* The secrets the native formats sign with. */
typedef struct lg_native_secrets {
    const char *wechat_token;         /* SB_WECHAT_TOKEN */
    const char *marketplace_secret;   /* SB_MARKETPLACE_SECRET */
} lg_native_secrets;

/* 1 when channel has a native adapter. */
int lg_native_has(const char *channel);

/* Message seq on channel in its native format: the body into buf (returns its length, or -1
 * when it does not fit or the channel has no native format), the rest into r. bearer is the
 * channel's key for the formats that use one. */
int lg_native_build(char *buf, size_t len, lg_native_req *r, const char *channel,
                    const char *run_id, uint64_t salt, uint64_t seq, uint64_t customers,
                    const char *bearer, const lg_native_secrets *secrets, int64_t now_s);

#endif

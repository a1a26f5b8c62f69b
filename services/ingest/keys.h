/* keys.h - channel credentials: which channel a bearer key was issued for. */
#ifndef INGEST_KEYS_H
#define INGEST_KEYS_H

#include <stddef.h>

#include "common/channel.h"
#include "common/error.h"

#define INGEST_KEYS_MAX 16

typedef struct ingest_keys {
    struct {
        const sb_channel *channel;
        const char       *key;   /* borrowed from the environment */
        size_t            len;
    } k[INGEST_KEYS_MAX];
    size_t n;
} ingest_keys;

/* Reads SB_CHANNEL_KEY_<CHANNEL> (WEB, APP, EMAIL, PHONE, WECHAT, STORE, MARKETPLACE) for every
 * channel; unset ones accept nothing. 0, or -1 with err when two channels share a key. */
int ingest_keys_load(ingest_keys *keys, sb_error *err);
/* The channel token was issued for, or NULL (missing or unknown token). */
const sb_channel *ingest_keys_lookup(const ingest_keys *keys, const char *token);

#endif

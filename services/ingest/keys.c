/* keys.c - channel keys from SB_CHANNEL_KEY_*, looked up in constant time per key. */
#include "services/ingest/keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/log.h"

/* "SB_CHANNEL_KEY_" + the channel name in upper case. */
static void keys_env_name(const sb_channel *ch, char *out, size_t len)
{
    int n = snprintf(out, len, "SB_CHANNEL_KEY_");
    for (const char *p = ch->name; *p && (size_t)n + 1 < len; p++)
        out[n++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
    out[n] = '\0';
}

/* Index of an already loaded key equal to key, or -1. */
static int keys_find(const ingest_keys *keys, const char *key, size_t len)
{
    for (size_t i = 0; i < keys->n; i++)
        if (keys->k[i].len == len && memcmp(keys->k[i].key, key, len) == 0)
            return (int)i;
    return -1;
}

int ingest_keys_load(ingest_keys *keys, sb_error *err)
{
    int count;
    const sb_channel *all = sb_channel_all(&count);
    memset(keys, 0, sizeof *keys);
    for (int i = 0; i < count && keys->n < INGEST_KEYS_MAX; i++) {
        char name[64];
        keys_env_name(&all[i], name, sizeof name);
        const char *v = getenv(name);
        if (!v || !*v) {
            sb_warn("channel_key_missing", "%s is not set: channel %s cannot post", name,
                    all[i].name);
            continue;
        }
        /* A shared key could not tell the channels apart, and the channel check relies on it. */
        int dup = keys_find(keys, v, strlen(v));
        if (dup >= 0)
            return sb_error_set(err, 500, "config", name, "%s has the same value as the key of %s",
                                name, keys->k[dup].channel->name);
        keys->k[keys->n].channel = &all[i];
        keys->k[keys->n].key = v;
        keys->k[keys->n].len = strlen(v);
        keys->n++;
    }
    return 0;
}

const sb_channel *ingest_keys_lookup(const ingest_keys *keys, const char *token)
{
    if (!token)
        return NULL;
    size_t len = strlen(token);
    const sb_channel *found = NULL;
    /* Compare with every key without early exit, so timing does not reveal a key prefix. */
    for (size_t i = 0; i < keys->n; i++)
        if (keys->k[i].len == len && CRYPTO_memcmp(keys->k[i].key, token, len) == 0)
            found = keys->k[i].channel;
    return found;
}

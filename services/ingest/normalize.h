/* normalize.h - POST /v1/messages body -> sb.inbound.v1 inbound_message event (pure, testable). */
#ifndef INGEST_NORMALIZE_H
#define INGEST_NORMALIZE_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "common/channel.h"
#include "common/error.h"
#include "common/ids.h"

#define INGEST_EXTERNAL_ID_MAX 200        /* characters */
#define INGEST_TEXT_MAX        (64 * 1024) /* bytes */
#define INGEST_ATTACHMENTS_MAX 20
/* sent_at must lie within this window around the time the message is received (a clock far
 * off on the channel's side would otherwise skew every SLA and report built on it). Native
 * adapters check their own time fields against it, so a refusal names their field. */
#define INGEST_SENT_AT_FUTURE_MS (5LL * 60 * 1000)
#define INGEST_SENT_AT_PAST_MS   (30LL * 24 * 3600 * 1000)

/* What normalisation needs besides the body: the secret behind customer keys and the
 * sealing key derived from it once at start (deriving it per request would cost a hash). */
typedef struct ingest_secrets {
    const char   *customer_key_secret;
    unsigned char seal_key[32];
} ingest_secrets;

/* The normalised message: its ids, the Kafka key and the serialised event. */
typedef struct ingest_event {
    const sb_channel *channel;
    char              message_id[SB_UUID_STRLEN];
    char              customer_key[65];
    char             *json;   /* compact inbound_message event; ingest_event_release frees it */
    size_t            len;
} ingest_event;

void ingest_secrets_init(ingest_secrets *s, const char *customer_key_secret);

/* Validates body and builds the event, received at now_ms. key_channel is the channel the
 * caller's key belongs to (403 "forbidden" when the body names another), or NULL to skip that
 * check. 0 with ev filled (release it), or -1 with err naming the offending field:
 * 404 unknown_channel, 403 forbidden, 400 missing_field / invalid_field / field_too_long /
 * unknown_field / too_many_items. Raw contact details only ever leave sealed. */
int  ingest_normalize(const json_t *body, const char *key_channel, const ingest_secrets *sec,
                      int64_t now_ms, ingest_event *ev, sb_error *err);
void ingest_event_release(ingest_event *ev);

#endif

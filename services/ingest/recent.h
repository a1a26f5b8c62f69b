/* recent.h - bounded set of the message ids this process accepted last, each with its channel
 * (ring + hash index). */
#ifndef INGEST_RECENT_H
#define INGEST_RECENT_H

#include <stddef.h>

#include "common/channel.h"
#include "common/ids.h"

typedef struct ingest_recent ingest_recent;

/* Remembers up to capacity ids (1..16M); the oldest is forgotten first. NULL on OOM. */
ingest_recent    *ingest_recent_new(size_t capacity);
void              ingest_recent_free(ingest_recent *r);
/* Remembers id as a message of channel ch (one of sb_channel_all()). Adding an id already
 * present changes nothing: an id is derived from its channel, so it never changes channel. */
void              ingest_recent_add(ingest_recent *r, const sb_uuid *id, const sb_channel *ch);
/* The channel id was accepted on, or NULL when it is not (or no longer) remembered. */
const sb_channel *ingest_recent_channel(const ingest_recent *r, const sb_uuid *id);
size_t            ingest_recent_count(const ingest_recent *r);

#endif

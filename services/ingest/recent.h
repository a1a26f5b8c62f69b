/* recent.h - bounded set of the message ids this process accepted last (ring + hash index). */
#ifndef INGEST_RECENT_H
#define INGEST_RECENT_H

#include <stddef.h>

#include "common/ids.h"

typedef struct ingest_recent ingest_recent;

/* Remembers up to capacity ids (1..16M); the oldest is forgotten first. NULL on OOM. */
ingest_recent *ingest_recent_new(size_t capacity);
void           ingest_recent_free(ingest_recent *r);
/* Adding an id already present changes nothing. */
void           ingest_recent_add(ingest_recent *r, const sb_uuid *id);
int            ingest_recent_has(const ingest_recent *r, const sb_uuid *id);
size_t         ingest_recent_count(const ingest_recent *r);

#endif

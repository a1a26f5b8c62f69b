/* recent.c - ring of the last accepted ids (and their channels) with an open-addressing
 * (linear probing) index. */
#include "services/ingest/recent.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define RECENT_MAX_CAPACITY (16u * 1024 * 1024)

struct ingest_recent {
    sb_uuid  *ring;      /* capacity ids, oldest at (head - count) */
    uint8_t  *channel;   /* per ring position: the id's index in sb_channel_all() */
    size_t    capacity;
    size_t    head;      /* where the next id goes */
    size_t    count;
    uint32_t *slots;     /* ring position + 1, 0 = empty; at most half full */
    size_t    mask;      /* slots - 1 (a power of two) */
};

ingest_recent *ingest_recent_new(size_t capacity)
{
    if (capacity == 0 || capacity > RECENT_MAX_CAPACITY)
        return NULL;
    ingest_recent *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    size_t nslots = 1;
    while (nslots < 2 * capacity)
        nslots <<= 1;
    r->capacity = capacity;
    r->mask = nslots - 1;
    /* calloc'd pages are only committed when touched, so a big capacity costs little at start. */
    r->ring = calloc(capacity, sizeof *r->ring);
    r->channel = calloc(capacity, sizeof *r->channel);
    r->slots = calloc(nslots, sizeof *r->slots);
    if (!r->ring || !r->channel || !r->slots) {
        ingest_recent_free(r);
        return NULL;
    }
    return r;
}

void ingest_recent_free(ingest_recent *r)
{
    if (!r)
        return;
    free(r->ring);
    free(r->channel);
    free(r->slots);
    free(r);
}

size_t ingest_recent_count(const ingest_recent *r) { return r->count; }

/* Home slot of an id: its first 8 bytes (SHA-1 output in name-based ids) mixed, so that the
 * version nibble and any structure in other ids do not cluster. */
static size_t recent_home(const ingest_recent *r, const sb_uuid *id)
{
    uint64_t x;
    memcpy(&x, id->b, sizeof x);
    x ^= x >> 33;
    x *= 0x9E3779B97F4A7C15ull;
    x ^= x >> 29;
    return (size_t)x & r->mask;
}

/* The slot holding id, or the empty slot where the probe for it ends. */
static size_t recent_probe(const ingest_recent *r, const sb_uuid *id)
{
    size_t i = recent_home(r, id);
    while (r->slots[i] && memcmp(&r->ring[r->slots[i] - 1], id, sizeof *id) != 0)
        i = (i + 1) & r->mask;
    return i;
}

const sb_channel *ingest_recent_channel(const ingest_recent *r, const sb_uuid *id)
{
    uint32_t slot = r->slots[recent_probe(r, id)];
    int count;
    const sb_channel *all = sb_channel_all(&count);
    return slot && r->channel[slot - 1] < count ? &all[r->channel[slot - 1]] : NULL;
}

/* Empties slot i and moves later members of its probe run back, so no lookup stops early
 * (backward-shift deletion: no tombstones to accumulate). */
static void recent_unslot(ingest_recent *r, size_t i)
{
    size_t j = i;
    for (;;) {
        j = (j + 1) & r->mask;
        if (!r->slots[j])
            break;
        size_t k = recent_home(r, &r->ring[r->slots[j] - 1]);
        /* An entry whose home lies cyclically in (i, j] must stay where it is. */
        int stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
        if (stays)
            continue;
        r->slots[i] = r->slots[j];
        i = j;
    }
    r->slots[i] = 0;
}

/* Forget the oldest id to make room. */
static void recent_evict_oldest(ingest_recent *r)
{
    size_t oldest = (r->head + r->capacity - r->count) % r->capacity;
    recent_unslot(r, recent_probe(r, &r->ring[oldest]));
    r->count--;
}

void ingest_recent_add(ingest_recent *r, const sb_uuid *id, const sb_channel *ch)
{
    int count;
    const sb_channel *all = sb_channel_all(&count);
    ptrdiff_t index = ch ? ch - all : -1;
    if (index < 0 || index >= count || index > UINT8_MAX || r->slots[recent_probe(r, id)])
        return;
    if (r->count == r->capacity)
        recent_evict_oldest(r);
    r->ring[r->head] = *id;
    r->channel[r->head] = (uint8_t)index;
    r->slots[recent_probe(r, id)] = (uint32_t)(r->head + 1);
    r->head = (r->head + 1) % r->capacity;
    r->count++;
}

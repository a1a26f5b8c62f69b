/* timer_heap.c - binary min-heap of sla deadlines with a (ticket, kind) hash index. */
#include "services/sla/timer_heap.h"

#include <stdlib.h>
#include <string.h>

#include "common/hash.h"

#define HEAP_MIN_CAP   64
#define HEAP_MIN_SLOTS 128

/* A heap entry knows its index slot, so moving it in the heap updates the index in O(1). */
struct sla_heap_node {
    sla_timer t;
    uint32_t  slot;
};

static const char *const sla_kind_names[SLA_KIND_COUNT] = {
    "acknowledgement", "first_response", "next_response", "resolution", "follow_up",
    "second_handling"};

int sla_kind_parse(const char *name)
{
    for (int k = 0; k < SLA_KIND_COUNT; k++)
        if (name && strcmp(name, sla_kind_names[k]) == 0)
            return k;
    return -1;
}

const char *sla_kind_name(sla_kind k)
{
    return (unsigned)k < SLA_KIND_COUNT ? sla_kind_names[k] : "unknown";
}

void sla_heap_init(sla_heap *h)
{
    memset(h, 0, sizeof(*h));
}

void sla_heap_free(sla_heap *h)
{
    free(h->nodes);
    free(h->slots);
    memset(h, 0, sizeof(*h));
}

size_t sla_heap_size(const sla_heap *h)
{
    return h->n;
}

/* FNV-1a over the ticket's bytes and the kind: ticket ids are not all random (v5 too). */
static size_t heap_hash(const sb_uuid *ticket, uint8_t kind)
{
    uint64_t x = sb_fnv1a(sb_fnv1a(SB_FNV1A_OFFSET, ticket->b, 16), &kind, 1);
    return (size_t)(x ^ (x >> 29));
}

static int heap_same(const sla_timer *t, const sb_uuid *ticket, uint8_t kind)
{
    return t->kind == kind && memcmp(t->ticket.b, ticket->b, 16) == 0;
}

/* The slot holding (ticket, kind), or the empty slot where it would go. */
static size_t heap_slot_of(const sla_heap *h, const sb_uuid *ticket, uint8_t kind)
{
    size_t mask = h->nslots - 1, i = heap_hash(ticket, kind) & mask;
    while (h->slots[i] && !heap_same(&h->nodes[h->slots[i] - 1].t, ticket, kind))
        i = (i + 1) & mask;
    return i;
}

/* Rebuild the index at nslots (a power of two); 0 or -1. */
static int heap_reindex(sla_heap *h, size_t nslots)
{
    uint32_t *slots = calloc(nslots, sizeof(*slots));
    if (!slots)
        return -1;
    free(h->slots);
    h->slots = slots;
    h->nslots = nslots;
    for (size_t i = 0; i < h->n; i++) {
        size_t s = heap_slot_of(h, &h->nodes[i].t.ticket, h->nodes[i].t.kind);
        h->slots[s] = (uint32_t)(i + 1);
        h->nodes[i].slot = (uint32_t)s;
    }
    return 0;
}

/* Room for one more timer in the heap and the index (load factor <= 1/2); 0 or -1. */
static int heap_reserve(sla_heap *h)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : HEAP_MIN_CAP;
        struct sla_heap_node *nodes = realloc(h->nodes, cap * sizeof(*nodes));
        if (!nodes)
            return -1;
        h->nodes = nodes;
        h->cap = cap;
    }
    if ((h->n + 1) * 2 > h->nslots)
        return heap_reindex(h, h->nslots ? h->nslots * 2 : HEAP_MIN_SLOTS);
    return 0;
}

/* Put node at index i and point its slot at it. */
static void heap_place(sla_heap *h, size_t i, const struct sla_heap_node *node)
{
    h->nodes[i] = *node;
    h->slots[node->slot] = (uint32_t)(i + 1);
}

static size_t heap_sift_up(sla_heap *h, size_t i)
{
    struct sla_heap_node node = h->nodes[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (h->nodes[parent].t.due_ms <= node.t.due_ms)
            break;
        heap_place(h, i, &h->nodes[parent]);
        i = parent;
    }
    heap_place(h, i, &node);
    return i;
}

static void heap_sift_down(sla_heap *h, size_t i)
{
    struct sla_heap_node node = h->nodes[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && h->nodes[c + 1].t.due_ms < h->nodes[c].t.due_ms)
            c++;
        if (node.t.due_ms <= h->nodes[c].t.due_ms)
            break;
        heap_place(h, i, &h->nodes[c]);
        i = c;
    }
    heap_place(h, i, &node);
}

/* Restore heap order around index i after its deadline changed either way. */
static void heap_fix(sla_heap *h, size_t i)
{
    if (heap_sift_up(h, i) == i)
        heap_sift_down(h, i);
}

/* Empty slot s of the linear-probing index, shifting later entries of its run back so every
 * lookup still finds them (no tombstones to accumulate). */
static void heap_slot_clear(sla_heap *h, size_t s)
{
    size_t mask = h->nslots - 1, j = s;
    h->slots[s] = 0;
    for (;;) {
        j = (j + 1) & mask;
        if (!h->slots[j])
            return;
        const sla_timer *t = &h->nodes[h->slots[j] - 1].t;
        size_t home = heap_hash(&t->ticket, t->kind) & mask;
        /* Entry j may move to s only when s lies cyclically within [home, j). */
        if (((j - home) & mask) >= ((j - s) & mask)) {
            h->slots[s] = h->slots[j];
            h->nodes[h->slots[s] - 1].slot = (uint32_t)s;
            h->slots[j] = 0;
            s = j;
        }
    }
}

/* Remove the node at heap index i. */
static void heap_remove_at(sla_heap *h, size_t i)
{
    heap_slot_clear(h, h->nodes[i].slot);
    h->n--;
    if (i == h->n)
        return;
    heap_place(h, i, &h->nodes[h->n]);
    heap_fix(h, i);
}

int sla_heap_set(sla_heap *h, const sla_timer *t)
{
    if (h->nslots) {
        size_t s = heap_slot_of(h, &t->ticket, t->kind);
        if (h->slots[s]) {
            size_t i = h->slots[s] - 1;
            h->nodes[i].t = *t;
            heap_fix(h, i);
            return 0;
        }
    }
    if (heap_reserve(h) != 0)
        return -1;
    struct sla_heap_node node = {.t = *t};
    node.slot = (uint32_t)heap_slot_of(h, &t->ticket, t->kind);
    h->nodes[h->n] = node;
    h->slots[node.slot] = (uint32_t)(h->n + 1);
    h->n++;
    heap_sift_up(h, h->n - 1);
    return 0;
}

const sla_timer *sla_heap_find(const sla_heap *h, const sb_uuid *ticket, uint8_t kind)
{
    if (!h->nslots)
        return NULL;
    size_t s = heap_slot_of(h, ticket, kind);
    return h->slots[s] ? &h->nodes[h->slots[s] - 1].t : NULL;
}

int sla_heap_remove(sla_heap *h, const sb_uuid *ticket, uint8_t kind)
{
    if (!h->nslots)
        return 0;
    size_t s = heap_slot_of(h, ticket, kind);
    if (!h->slots[s])
        return 0;
    heap_remove_at(h, h->slots[s] - 1);
    return 1;
}

const sla_timer *sla_heap_peek(const sla_heap *h)
{
    return h->n ? &h->nodes[0].t : NULL;
}

int sla_heap_pop_due(sla_heap *h, int64_t now_ms, sla_timer *out)
{
    if (!h->n || h->nodes[0].t.due_ms > now_ms)
        return 0;
    *out = h->nodes[0].t;
    heap_remove_at(h, 0);
    return 1;
}

int64_t sla_heap_wait_ms(const sla_heap *h, int64_t now_ms)
{
    if (!h->n)
        return -1;
    int64_t d = h->nodes[0].t.due_ms - now_ms;
    return d > 0 ? d : 0;
}

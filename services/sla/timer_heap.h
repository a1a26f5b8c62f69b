/* timer_heap.h - sla's deadlines in memory: a binary min-heap by due time, indexed by
 * (ticket, kind) so a timer can be re-armed or cancelled in O(log n). Pure: no clock, no I/O. */
#ifndef SLA_TIMER_HEAP_H
#define SLA_TIMER_HEAP_H

#include <stddef.h>
#include <stdint.h>

#include "common/ids.h"

/* The clocks sla watches (sla_timers.kind). */
typedef enum sla_kind {
    SLA_KIND_ACK = 0,          /* "acknowledgement" */
    SLA_KIND_FIRST_RESPONSE,   /* "first_response" */
    SLA_KIND_NEXT_RESPONSE,    /* "next_response" */
    SLA_KIND_RESOLUTION,       /* "resolution" */
    SLA_KIND_FOLLOW_UP,        /* "follow_up" */
    SLA_KIND_SECOND_HANDLING,  /* "second_handling" */
    SLA_KIND_COUNT
} sla_kind;

/* "acknowledgement" -> SLA_KIND_ACK, ...; -1 for a kind sla does not know. */
int         sla_kind_parse(const char *name);
const char *sla_kind_name(sla_kind k);

/* One instant the watch must act at (a warning, a deadline or an urge reminder: sla_timers.next_at).
 * source is the event that armed the clock (derived ids hang off it). */
typedef struct sla_timer {
    int64_t  due_ms;           /* Unix epoch ms */
    sb_uuid  ticket;
    sb_uuid  source;
    uint8_t  kind;             /* sla_kind */
} sla_timer;

typedef struct sla_heap {
    struct sla_heap_node *nodes;   /* heap order: nodes[0] is the earliest */
    size_t                n, cap;
    uint32_t             *slots;   /* open addressing: node index + 1, 0 = empty */
    size_t                nslots;  /* power of two, kept at least twice n */
} sla_heap;

void   sla_heap_init(sla_heap *h);
void   sla_heap_free(sla_heap *h);
/* Insert, or move the timer of the same (ticket, kind) to t's deadline and source (re-arm).
 * 0, or -1 when out of memory (the heap is unchanged). */
int    sla_heap_set(sla_heap *h, const sla_timer *t);
/* 1 when the timer of (ticket, kind) was there and is gone, 0 when there was none. */
int    sla_heap_remove(sla_heap *h, const sb_uuid *ticket, uint8_t kind);
/* The timer of (ticket, kind), or NULL. Valid until the next change. */
const sla_timer *sla_heap_find(const sla_heap *h, const sb_uuid *ticket, uint8_t kind);
/* The earliest timer, or NULL when empty. */
const sla_timer *sla_heap_peek(const sla_heap *h);
/* Take the earliest timer into *out when it is due at now_ms (due_ms <= now_ms): 1, else 0. */
int    sla_heap_pop_due(sla_heap *h, int64_t now_ms, sla_timer *out);
/* Milliseconds from now_ms until the earliest deadline (0 when already due), -1 when empty. */
int64_t sla_heap_wait_ms(const sla_heap *h, int64_t now_ms);
size_t sla_heap_size(const sla_heap *h);

#endif

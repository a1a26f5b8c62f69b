/* ticket_event.h - the ticket event log: build envelopes, store them in ticket_events, publish
 * them on sb.tickets.v1, and load stored ones again so a replay republishes the same events. */
#ifndef SB_TICKET_EVENT_H
#define SB_TICKET_EVENT_H

#include <stdint.h>
#include <jansson.h>
#include "common/kafka.h"
#include "common/pg.h"

/* Envelope per proto/README.md; data is stolen. source_event_id may be NULL. */
json_t *sb_ticket_event_new(const char *type, const char *event_id, const char *source_event_id,
                            const char *ticket_id, const char *ticket_number, int64_t occurred_ms,
                            json_t *data);
/* Insert every event of the array into ticket_events (one statement, in the caller's
 * transaction); events already stored are left as they are. 0 or -1. */
int     sb_ticket_events_store(sb_pg *pg, const json_t *events);
/* Append the stored events with these ids to out, in the order they were stored: what a
 * replay republishes. 0 or -1. */
int     sb_ticket_events_load(sb_pg *pg, const char *const *ids, size_t n, json_t *out);
/* Publish each event on sb.tickets.v1 keyed by its ticket_id, as part of g. 0 or -1. */
int     sb_ticket_events_publish(sb_send_group *g, const json_t *events);

/* Events' JSON texts, each dumped once: a consumer that stores events and then publishes them
 * sends the same bytes both ways instead of serialising every event twice. text[i] is the
 * text of events[i] of the array it was dumped from. All texts live in one buffer: a batch's
 * thousands of events cost a handful of allocations, not a dozen each (jansson's json_dumps
 * grows its own buffer from 16 bytes and copies the result). */
typedef struct sb_event_texts {
    char  **text;    /* into buf; valid until the next sb_event_texts_dump or free */
    size_t *off;     /* text[i] = buf + off[i] */
    char   *buf;     /* owned: the texts, each NUL-terminated */
    size_t  n, cap, offcap, len, bufcap;
} sb_event_texts;

/* Appends the texts of events[t->n ..]: the events added since the last call. 0 or -1. */
int  sb_event_texts_dump(sb_event_texts *t, const json_t *events);
/* sb_ticket_events_store of the events the texts hold. 0 or -1. */
int  sb_ticket_events_store_texts(sb_pg *pg, const sb_event_texts *t);
/* sb_ticket_events_publish, sending t's text for the events it holds (the first t->n) and
 * dumping the rest. 0 or -1. */
int  sb_ticket_events_publish_texts(sb_send_group *g, const json_t *events,
                                    const sb_event_texts *t);
void sb_event_texts_free(sb_event_texts *t);

#endif

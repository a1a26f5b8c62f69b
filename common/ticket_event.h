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

#endif

/* outbox.h - the transactional outbox: a change in PostgreSQL and the event announcing it are
 * written in one transaction; a relay in the loop publishes unsent rows and marks them sent once
 * the broker has them. A crash in between republishes the same events (same ids): consumers
 * dedupe by event id, so nothing is lost and nothing is applied twice. */
#ifndef SB_OUTBOX_H
#define SB_OUTBOX_H

#include <event2/event.h>
#include <jansson.h>

#include "common/kafka.h"
#include "common/metrics.h"
#include "common/pg.h"

/* Inside the caller's transaction: queue event (it must carry "type" and "event_id") for topic
 * under key. 0 or -1. */
int sb_outbox_add(sb_pg *pg, const char *topic, const char *key, const json_t *event);

typedef struct sb_outbox_relay sb_outbox_relay;

/* Publishes unsent rows every interval_ms (and at once after sb_outbox_relay_kick). Only one
 * relay works at a time across replicas and services (a session advisory lock on its connection,
 * held from a round's read until its rows are marked sent, then released for any relay). The relay
 * uses pg between transactions of its own: give it a connection nothing else holds a transaction
 * open on across loop turns (services apply each batch synchronously, so theirs qualifies). */
sb_outbox_relay *sb_outbox_relay_new(struct event_base *base, sb_pg *pg, sb_producer *producer,
                                     int interval_ms, sb_metrics *metrics);
/* Something was just queued: publish it without waiting for the next tick. */
void sb_outbox_relay_kick(sb_outbox_relay *r);
/* Rows published and marked sent so far (for tests and metrics). */
unsigned long sb_outbox_relay_sent(const sb_outbox_relay *r);
void sb_outbox_relay_free(sb_outbox_relay *r);

#endif

/* inbound.h - inbound_message events planted on sb.inbound.v1 exactly as ingest publishes
 * them, for tests of classify (threading, decisions) without going through a channel door. */
#ifndef SB_TEST_INBOUND_H
#define SB_TEST_INBOUND_H

#include <jansson.h>
#include <libpq-fe.h>

/* Publishes an inbound_message for customer key (64 hex) on channel with text and tier; extra
 * (stolen, may be NULL) is merged into the event, e.g. {"thread":{...}} or {"hints":{...}}.
 * Writes the fresh message id (37 bytes). 0, or -1 when the broker did not take it. */
int   sb_inbound_publish(const char *channel, const char *key, const char *tier, const char *text,
                         json_t *extra, char message_id[37]);
/* Waits up to timeout_ms for the message to be stored; its ticket id (malloc'd) or NULL. */
char *sb_inbound_ticket(PGconn *c, const char *message_id, int timeout_ms);
/* Now as RFC 3339 UTC with milliseconds (32 bytes). */
void  sb_inbound_now(char out[32]);

#endif

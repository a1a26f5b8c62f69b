/* inbound.c - planting inbound_message events the way ingest publishes them. */
#include "inbound.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "fixture.h"

void sb_inbound_now(char out[32])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

int sb_inbound_publish(const char *channel, const char *key, const char *tier, const char *text,
                       json_t *extra, char message_id[37])
{
    char ext[24], when[32];
    sb_fixture_uuid(message_id);
    sb_fixture_hex(ext, 16);
    sb_inbound_now(when);
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s}, s:s}",
                           "type", "inbound_message", "event_id", message_id,
                           "message_id", message_id, "occurred_at", when, "channel", channel,
                           "external_id", ext, "received_at", when, "customer", "key", key,
                           "display_name", "C**", "phone_masked", "", "email_masked", "",
                           "tier", tier, "text", text);
    if (!ev) {
        json_decref(extra);
        return -1;
    }
    if (extra) {
        json_object_update(ev, extra);
        json_decref(extra);
    }
    char *s = json_dumps(ev, JSON_COMPACT);
    int rc = s ? sb_fixture_publish("sb.inbound.v1", key, s) : -1;
    free(s);
    json_decref(ev);
    return rc;
}

char *sb_inbound_ticket(PGconn *c, const char *message_id, int timeout_ms)
{
    const char *p[] = {message_id};
    return sb_fixture_wait(c, "SELECT ticket_id::text FROM messages WHERE message_id = $1", 1, p,
                           NULL, timeout_ms);
}

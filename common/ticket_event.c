/* ticket_event.c - ticket event envelopes, their storage in ticket_events, publishing, replay. */
#include "common/ticket_event.h"

#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/ids.h"
#include "common/json.h"
#include "common/log.h"

json_t *sb_ticket_event_new(const char *type, const char *event_id, const char *source_event_id,
                            const char *ticket_id, const char *ticket_number, int64_t occurred_ms,
                            json_t *data)
{
    char ts[32];
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", type, "event_id", event_id,
                           "occurred_at", sb_clock_format_iso(occurred_ms, ts, sizeof(ts)),
                           "ticket_id", ticket_id, "ticket_number", ticket_number);
    if (!ev) {
        json_decref(data);
        return NULL;
    }
    if (source_event_id)
        json_object_set_new(ev, "source_event_id", json_string(source_event_id));
    json_object_set_new(ev, "data", data ? data : json_object());
    return ev;
}

int sb_ticket_events_store(sb_pg *pg, const json_t *events)
{
    if (json_array_size(events) == 0)
        return 0;
    char *body = sb_json_dump(events);
    if (!body)
        return -1;
    const char *p[] = {body};
    int rc = sb_pg_exec(pg,
                        "INSERT INTO ticket_events (event_id, ticket_id, type, occurred_at, payload)"
                        " SELECT (e->>'event_id')::uuid, (e->>'ticket_id')::uuid, e->>'type',"
                        "        (e->>'occurred_at')::timestamptz, e"
                        " FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS x(e, n) ORDER BY n"
                        " ON CONFLICT (event_id) DO NOTHING",
                        1, p);
    free(body);
    return rc;
}

int sb_ticket_events_load(sb_pg *pg, const char *const *ids, size_t n, json_t *out)
{
    if (n == 0)
        return 0;
    char *arr = sb_pg_array_literal(ids, n);
    const char *p[] = {arr};
    PGresult *res = arr ? sb_pg_query(pg,
                                      "SELECT payload::text FROM ticket_events"
                                      " WHERE event_id = ANY($1::uuid[]) ORDER BY seq",
                                      1, p)
                        : NULL;
    free(arr);
    if (!res)
        return -1;
    for (int i = 0; i < PQntuples(res); i++) {
        json_t *ev = json_loads(PQgetvalue(res, i, 0), 0, NULL);
        if (ev)
            json_array_append_new(out, ev);
    }
    PQclear(res);
    return 0;
}

int sb_ticket_events_publish(sb_send_group *g, const json_t *events)
{
    size_t i;
    json_t *ev;
    json_array_foreach(events, i, ev) {
        char *body = sb_json_dump(ev);
        const char *key = sb_json_str(ev, "ticket_id");
        const char *type = sb_json_str(ev, "type");
        int rc = body && key ? sb_send_group_add(g, SB_TOPIC_TICKETS, key, type, body, strlen(body))
                             : -1;
        free(body);
        if (rc != 0)
            return -1;
    }
    return 0;
}

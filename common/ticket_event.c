/* ticket_event.c - ticket event envelopes, their storage in ticket_events, publishing, replay. */
#include "common/ticket_event.h"

#include <stdlib.h>
#include <string.h>

#include "common/array.h"
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

/* The insert of a JSON array of events; events already stored are left as they are. */
static const char ticket_events_store_sql[] =
    "INSERT INTO ticket_events (event_id, ticket_id, type, occurred_at, payload)"
    " SELECT (e->>'event_id')::uuid, (e->>'ticket_id')::uuid, e->>'type',"
    "        (e->>'occurred_at')::timestamptz, e"
    " FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS x(e, n) ORDER BY n"
    " ON CONFLICT (event_id) DO NOTHING";

int sb_ticket_events_store(sb_pg *pg, const json_t *events)
{
    if (json_array_size(events) == 0)
        return 0;
    char *body = sb_json_dump(events);
    if (!body)
        return -1;
    const char *p[] = {body};
    int rc = sb_pg_exec(pg, ticket_events_store_sql, 1, p);
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

/* Sends one event's text on sb.tickets.v1 keyed by its ticket. 0 or -1. */
static int ticket_event_send(sb_send_group *g, const json_t *ev, const char *text)
{
    const char *key = sb_json_str(ev, "ticket_id");
    const char *type = sb_json_str(ev, "type");
    return text && key ? sb_send_group_add(g, SB_TOPIC_TICKETS, key, type, text, strlen(text)) : -1;
}

int sb_ticket_events_publish(sb_send_group *g, const json_t *events)
{
    return sb_ticket_events_publish_texts(g, events, NULL);
}

/* json_dump_callback's sink: appends to the texts' buffer, doubling it as needed. */
static int texts_append(const char *data, size_t size, void *opaque)
{
    sb_event_texts *t = opaque;
    char *buf = sb_array_grow(t->buf, &t->bufcap, t->len + size + 1, 1, 64 * 1024);
    if (!buf)
        return -1;
    t->buf = buf;
    memcpy(t->buf + t->len, data, size);
    t->len += size;
    return 0;
}

int sb_event_texts_dump(sb_event_texts *t, const json_t *events)
{
    size_t n = json_array_size(events);
    char **text = sb_array_grow(t->text, &t->cap, n ? n : 1, sizeof(*text), 64);
    if (!text)
        return -1;
    t->text = text;
    size_t *off = sb_array_grow(t->off, &t->offcap, n ? n : 1, sizeof(*off), 64);
    if (!off)
        return -1;
    t->off = off;
    int rc = 0;
    while (t->n < n && rc == 0) {
        t->off[t->n] = t->len;
        rc = json_dump_callback(json_array_get(events, t->n), texts_append, t,
                                JSON_COMPACT | JSON_ENCODE_ANY) == 0 &&
             texts_append("", 1, t) == 0 ? 0 : -1;   /* the NUL */
        if (rc == 0)
            t->n++;   /* a text cut short by a failure is not counted */
    }
    /* The buffer may have moved: point every text again. */
    for (size_t i = 0; i < t->n; i++)
        t->text[i] = t->buf + t->off[i];
    return rc;
}

int sb_ticket_events_store_texts(sb_pg *pg, const sb_event_texts *t)
{
    if (t->n == 0)
        return 0;
    size_t len = 2;
    for (size_t i = 0; i < t->n; i++)
        len += strlen(t->text[i]) + 1;
    char *body = malloc(len + 1), *p = body;
    if (!body)
        return -1;
    *p++ = '[';
    for (size_t i = 0; i < t->n; i++) {
        size_t l = strlen(t->text[i]);
        if (i)
            *p++ = ',';
        memcpy(p, t->text[i], l);
        p += l;
    }
    *p++ = ']';
    *p = '\0';
    const char *params[] = {body};
    int rc = sb_pg_exec(pg, ticket_events_store_sql, 1, params);
    free(body);
    return rc;
}

int sb_ticket_events_publish_texts(sb_send_group *g, const json_t *events,
                                   const sb_event_texts *t)
{
    size_t i;
    json_t *ev;
    json_array_foreach(events, i, ev) {
        int rc;
        if (t && i < t->n) {
            rc = ticket_event_send(g, ev, t->text[i]);
        } else {
            char *body = sb_json_dump(ev);
            rc = ticket_event_send(g, ev, body);
            free(body);
        }
        if (rc != 0)
            return -1;
    }
    return 0;
}

void sb_event_texts_free(sb_event_texts *t)
{
    free(t->text);
    free(t->off);
    free(t->buf);
    memset(t, 0, sizeof(*t));
}

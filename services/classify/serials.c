/* serials.c - ticket serials handed out from blocks reserved ahead.
 *
 * A ticket number's serial counts per channel and day (ticket_serials). Advancing that row
 * inside the batch's transaction would hold its row lock until the batch commits, so a second
 * classify replica would wait for every batch of the first: replicas would add nothing. Instead
 * a batch first reserves, in a statement of its own (the lock lasts microseconds), enough
 * serials for every message it holds, at least CLASSIFY_SERIAL_BLOCK at a time, and numbers
 * its tickets from the process's blocks. Serials stay unique and increase within a process;
 * a block's unused rest is skipped when the process stops or the batch rolls back, so numbers
 * are not gap-free. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "common/array.h"
#include "common/clock.h"
#include "common/json.h"
#include "common/log.h"

/* The block of one channel and day in s, or NULL. */
static classify_serial_block *serials_find(classify_serials *s, const char *code, int day)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->b[i].day == day && strcmp(s->b[i].code, code) == 0)
            return &s->b[i];
    return NULL;
}

/* The block of one channel and day, made empty when new; NULL when out of memory. */
static classify_serial_block *serials_slot(classify_serials *s, const char *code, int day)
{
    classify_serial_block *b = serials_find(s, code, day);
    if (b)
        return b;
    b = sb_array_grow(s->b, &s->cap, s->n + 1, sizeof(*b), 16);
    if (!b)
        return NULL;
    s->b = b;
    b = &s->b[s->n++];
    memset(b, 0, sizeof(*b));
    snprintf(b->code, sizeof(b->code), "%s", code);
    b->day = day;
    return b;
}

/* Serials left in a block (a new one has none). */
static int64_t serials_left(const classify_serial_block *b)
{
    return b->end == 0 ? 0 : b->end - b->next + 1;
}

/* Counts what the batch may need per channel and day (every message might open a ticket) in
 * its block's need, making the blocks it names; then forgets the blocks of earlier days it
 * does not name (yesterday's, after midnight: their rest is skipped). 0 or -1. */
static int serials_count(classify_serials *s, const classify_item *items, size_t n)
{
    int newest = 0;
    for (size_t k = 0; k < s->n; k++)
        s->b[k].need = 0;
    for (size_t i = 0; i < n; i++) {
        int day = sb_clock_yyyymmdd(items[i].received_ms);
        classify_serial_block *b = serials_slot(s, items[i].channel_code, day);
        if (!b)
            return -1;
        b->need++;
        newest = day > newest ? day : newest;
    }
    size_t kept = 0;
    for (size_t k = 0; k < s->n; k++)
        if (s->b[k].need > 0 || s->b[k].day >= newest)
            s->b[kept++] = s->b[k];
    s->n = kept;
    return 0;
}

/* Requests for the blocks that hold fewer serials than the batch may need, at least
 * CLASSIFY_SERIAL_BLOCK each: [{code, day, count}]; NULL when out of memory. */
static json_t *serials_requests(const classify_serials *s)
{
    json_t *rows = json_array();
    for (size_t k = 0; k < s->n && rows; k++) {
        const classify_serial_block *b = &s->b[k];
        if (serials_left(b) >= b->need)
            continue;
        int64_t want = b->need > CLASSIFY_SERIAL_BLOCK ? b->need : CLASSIFY_SERIAL_BLOCK;
        if (json_array_append_new(rows, json_pack("{s:s, s:i, s:I}", "code", b->code, "day",
                                                  b->day, "count", (json_int_t)want)) != 0) {
            json_decref(rows);
            return NULL;
        }
    }
    return rows;
}

/* Takes a reserved range ending at last: continues the block when it follows on, else the
 * block's rest is skipped. */
static void serials_extend(classify_serials *s, const char *code, int day, int64_t want,
                           int64_t last)
{
    classify_serial_block *b = serials_find(s, code, day);   /* made by serials_count */
    if (!b)
        return;
    int64_t first = last - want + 1;
    if (serials_left(b) == 0 || b->end + 1 != first)
        b->next = first;
    b->end = last;
}

/* The count requested for one channel and day, or 0. */
static json_int_t serials_requested(const json_t *rows, const char *code, int day)
{
    size_t i;
    const json_t *req;
    json_array_foreach(rows, i, req)
        if (strcmp(sb_json_str(req, "code"), code) == 0 &&
            json_integer_value(json_object_get(req, "day")) == day)
            return json_integer_value(json_object_get(req, "count"));
    return 0;
}

int classify_serials_reserve(sb_pg *pg, classify_serials *s, const classify_item *items, size_t n)
{
    json_t *rows = serials_count(s, items, n) == 0 ? serials_requests(s) : NULL;
    if (!rows)
        return -1;
    if (json_array_size(rows) == 0) {
        json_decref(rows);
        return 0;
    }
    char *body = sb_json_dump(rows);
    const char *p[] = {body};
    PGresult *res = body ? sb_pg_query(pg,
        "INSERT INTO ticket_serials AS s (channel_code, day, last_serial)"
        " SELECT code, to_date(day::text, 'YYYYMMDD'), count"
        " FROM jsonb_to_recordset($1::jsonb) AS x(code text, day int, count bigint)"
        " ORDER BY code, day"
        " ON CONFLICT (channel_code, day)"
        "   DO UPDATE SET last_serial = s.last_serial + EXCLUDED.last_serial"
        " RETURNING channel_code, to_char(day, 'YYYYMMDD')::int, last_serial",
        1, p) : NULL;
    free(body);
    if (!res) {
        json_decref(rows);
        return -1;
    }
    /* Each returned row answers the request of its channel and day. */
    int ok = (size_t)PQntuples(res) == json_array_size(rows);
    for (int r = 0; r < PQntuples(res) && ok; r++) {
        const char *code = PQgetvalue(res, r, 0);
        int day = atoi(PQgetvalue(res, r, 1));
        json_int_t want = serials_requested(rows, code, day);
        ok = want > 0;
        if (ok)
            serials_extend(s, code, day, want, strtoll(PQgetvalue(res, r, 2), NULL, 10));
    }
    PQclear(res);
    json_decref(rows);
    if (!ok)
        sb_error("classify_serials", "the reservation did not answer its requests");
    return ok ? 0 : -1;
}

int64_t classify_serials_take(classify_serials *s, const char *code, int day)
{
    classify_serial_block *b = serials_find(s, code, day);
    if (!b || serials_left(b) == 0) {
        sb_error("classify_serials", "no serial reserved for %s on %d", code, day);
        return -1;
    }
    return b->next++;
}

void classify_serials_free(classify_serials *s)
{
    free(s->b);
    memset(s, 0, sizeof(*s));
}

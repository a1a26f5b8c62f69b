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

/* The block of one channel and day, made empty when new; a full table gives up the block of
 * the oldest day (yesterday's, after midnight). */
static classify_serial_block *serials_slot(classify_serials *s, const char *code, int day)
{
    classify_serial_block *b = serials_find(s, code, day);
    if (b)
        return b;
    if (s->n < CLASSIFY_SERIAL_KEYS) {
        b = &s->b[s->n++];
    } else {
        b = &s->b[0];
        for (size_t i = 1; i < s->n; i++)
            if (s->b[i].day < b->day)
                b = &s->b[i];
    }
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

/* Serials the batch may need per channel and day (every message might open a ticket), as
 * requests for the blocks that do not hold that many: [{code, day, count}]. */
static json_t *serials_requests(classify_serials *s, const classify_item *items, size_t n)
{
    json_t *rows = json_array();
    for (size_t i = 0; i < n && rows; i++) {
        const char *code = items[i].channel_code;
        int day = sb_clock_yyyymmdd(items[i].received_ms);
        size_t j = 0;
        while (j < i && !(strcmp(items[j].channel_code, code) == 0 &&
                          sb_clock_yyyymmdd(items[j].received_ms) == day))
            j++;
        if (j < i)
            continue;   /* counted with its first message */
        int64_t need = 0;
        for (size_t k = i; k < n; k++)
            need += strcmp(items[k].channel_code, code) == 0 &&
                    sb_clock_yyyymmdd(items[k].received_ms) == day;
        classify_serial_block *b = serials_slot(s, code, day);
        if (serials_left(b) >= need)
            continue;
        int64_t want = need > CLASSIFY_SERIAL_BLOCK ? need : CLASSIFY_SERIAL_BLOCK;
        json_array_append_new(rows, json_pack("{s:s, s:i, s:I}", "code", code, "day", day,
                                              "count", (json_int_t)want));
    }
    return rows;
}

/* Takes a reserved range ending at last: continues the block when it follows on, else the
 * block's rest is skipped. */
static void serials_extend(classify_serials *s, const char *code, int day, int64_t want,
                           int64_t last)
{
    classify_serial_block *b = serials_slot(s, code, day);
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
    json_t *rows = serials_requests(s, items, n);
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

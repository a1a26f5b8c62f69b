/* test_common_ticket_event.c - common/ticket_event against a real PostgreSQL: events stored by COPY. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/ids.h"
#include "common/json.h"
#include "common/pg.h"
#include "common/ticket_event.h"
#include "fixture.h"
#include "service_pg.h"

/* An event of the ticket with a fresh id; its data holds text, which COPY must carry intact. */
static json_t *event_of(const char *type, const char *ticket_id, const char *number,
                        int64_t at_ms, const char *text)
{
    char id[SB_UUID_STRLEN];
    sb_uuid_v4_str(id);
    return sb_ticket_event_new(type, id, NULL, ticket_id, number, at_ms,
                               json_pack("{s:s, s:i}", "text", text, "n", 7));
}

/* One value of the stored event, as text (caller frees), or NULL. */
static char *stored(sb_pg *pg, const char *expr, const char *event_id)
{
    char sql[256];
    snprintf(sql, sizeof(sql), "SELECT %s FROM ticket_events WHERE event_id = $1::uuid", expr);
    const char *p[] = {event_id};
    PGresult *res = sb_pg_query(pg, sql, 1, p);
    cr_assert(res, "cannot read %s", expr);
    char *v = PQntuples(res) == 1 && !PQgetisnull(res, 0, 0) ? strdup(PQgetvalue(res, 0, 0)) : NULL;
    PQclear(res);
    return v;
}

Test(common_ticket_event, copied_events_are_stored_whole_and_in_order_and_load_back)
{
    sb_pg *pg = sb_test_service_pg();
    char number[32], ticket_id[37];
    cr_assert_eq(sb_fixture_ticket_new(sb_pg_conn(pg), &(sb_fixture_ticket){0}, number, ticket_id), 0);
    /* Every byte COPY's text format treats specially, inside the JSON's own escapes. */
    const char *nasty = "tab\there\nline\r\\N \\ back\\slash 退款 \"q\"";
    int64_t at = sb_clock_now_ms();
    json_t *events = json_array();
    json_array_append_new(events, event_of("opened", ticket_id, number, at, nasty));
    json_array_append_new(events, event_of("classified", ticket_id, number, at, "second"));
    json_array_append_new(events, event_of("message_appended", ticket_id, number, at, "third"));
    sb_event_texts texts = {0};
    cr_assert_eq(sb_event_texts_dump(&texts, events), 0);

    cr_assert_eq(sb_pg_begin(pg), 0);
    cr_assert_eq(sb_ticket_events_copy_texts(pg, events, &texts), 0);
    cr_assert_eq(sb_pg_commit(pg), 0);

    char *v;
    const char *first = sb_json_str(json_array_get(events, 0), "event_id");
    cr_expect_str_eq(v = stored(pg, "type", first), "opened");
    free(v);
    cr_expect_str_eq(v = stored(pg, "ticket_id::text", first), ticket_id);
    free(v);
    cr_expect_str_eq(v = stored(pg, "payload->'data'->>'text'", first), nasty);
    free(v);
    cr_expect_str_eq(v = stored(pg, "payload->>'ticket_number'", first), number);
    free(v);
    /* occurred_at is the envelope's, to the millisecond. */
    char expect_ms[32];
    snprintf(expect_ms, sizeof(expect_ms), "%lld", (long long)at);
    cr_expect_str_eq(v = stored(pg, "(extract(epoch FROM occurred_at) * 1000)::bigint::text", first),
                     expect_ms);
    free(v);

    /* Loaded back in the order they were stored (what a replay republishes), each whole. */
    const char *ids[3];
    for (int i = 0; i < 3; i++)
        ids[2 - i] = sb_json_str(json_array_get(events, (size_t)i), "event_id");
    json_t *back = json_array();
    cr_assert_eq(sb_ticket_events_load(pg, ids, 3, back), 0);
    cr_assert_eq(json_array_size(back), 3);
    for (size_t i = 0; i < 3; i++)
        cr_expect(json_equal(json_array_get(back, i), json_array_get(events, i)), "event %zu", i);
    json_decref(back);
    sb_event_texts_free(&texts);
    json_decref(events);
    sb_pg_free(pg);
}

Test(common_ticket_event, copying_an_event_already_stored_fails_and_stores_nothing)
{
    sb_pg *pg = sb_test_service_pg();
    char number[32], ticket_id[37];
    cr_assert_eq(sb_fixture_ticket_new(sb_pg_conn(pg), &(sb_fixture_ticket){0}, number, ticket_id), 0);
    int64_t at = sb_clock_now_ms();
    json_t *old = json_array();
    json_array_append_new(old, event_of("opened", ticket_id, number, at, "stored before"));
    cr_assert_eq(sb_ticket_events_store(pg, old), 0);

    /* A fresh event, then the stored one again: COPY does not skip, the whole batch fails. */
    json_t *events = json_array();
    json_array_append_new(events, event_of("classified", ticket_id, number, at, "fresh"));
    json_array_append(events, json_array_get(old, 0));
    sb_event_texts texts = {0};
    cr_assert_eq(sb_event_texts_dump(&texts, events), 0);
    cr_assert_eq(sb_pg_begin(pg), 0);
    cr_expect_eq(sb_ticket_events_copy_texts(pg, events, &texts), -1);
    sb_pg_rollback(pg);

    const char *fresh = sb_json_str(json_array_get(events, 0), "event_id");
    char *v = stored(pg, "type", fresh);
    cr_expect_null(v, "the fresh event of the failed COPY was stored");
    free(v);
    cr_expect_str_eq(v = stored(pg, "payload->'data'->>'text'",
                                sb_json_str(json_array_get(old, 0), "event_id")),
                     "stored before");
    free(v);
    /* The connection goes on. */
    cr_expect_eq(sb_pg_exec(pg, "SELECT 1", 0, NULL), 0);

    /* Texts for more events than the array holds are refused before anything is sent. */
    json_t *fewer = json_array();
    cr_expect_eq(sb_ticket_events_copy_texts(pg, fewer, &texts), -1);
    json_decref(fewer);
    sb_event_texts_free(&texts);
    json_decref(events);
    json_decref(old);
    sb_pg_free(pg);
}

/* test_event_texts.c - sb_event_texts: every event's text is what json_dumps gives, across
 * incremental dumps and the buffer moving under them. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ticket_event.h"

/* An event of about 1 KB, its text differing by i (escapes and non-ASCII included). */
static json_t *event(int i)
{
    char id[40], pad[900];
    snprintf(id, sizeof(id), "00000000-0000-4000-8000-%012d", i);
    memset(pad, 'x', sizeof(pad) - 1);
    pad[sizeof(pad) - 1] = '\0';
    return json_pack("{s:s, s:s, s:s, s:{s:s, s:i, s:s}}", "event_id", id, "ticket_id", id,
                     "type", i % 2 ? "opened" : "classified", "data", "subject",
                     "退款 \"quoted\" \\ line\nbreak", "n", i, "pad", pad);
}

/* Every text equals json_dumps of its event. */
static void expect_texts(const sb_event_texts *t, const json_t *events)
{
    cr_assert_eq(t->n, json_array_size(events));
    for (size_t i = 0; i < t->n; i++) {
        char *want = json_dumps(json_array_get(events, i), JSON_COMPACT | JSON_ENCODE_ANY);
        cr_assert_not_null(want);
        cr_expect_str_eq(t->text[i], want, "event %zu", i);
        free(want);
    }
}

Test(event_texts, texts_survive_incremental_dumps_and_a_moving_buffer)
{
    json_t *events = json_array();
    sb_event_texts t = {0};
    for (int i = 0; i < 3; i++)
        json_array_append_new(events, event(i));
    cr_assert_eq(sb_event_texts_dump(&t, events), 0);
    expect_texts(&t, events);
    const char *first = t.text[0];
    /* Enough more to outgrow the first 64 KB: the texts dumped before must move with it. */
    for (int i = 3; i < 300; i++)
        json_array_append_new(events, event(i));
    cr_assert_eq(sb_event_texts_dump(&t, events), 0);
    cr_expect_neq(t.text[0], first, "the buffer grew (else this test proves less)");
    expect_texts(&t, events);
    /* Nothing new: nothing changes. */
    cr_assert_eq(sb_event_texts_dump(&t, events), 0);
    expect_texts(&t, events);
    sb_event_texts_free(&t);
    cr_expect_eq(t.n, 0);
    cr_expect_null(t.buf);
    json_decref(events);
}

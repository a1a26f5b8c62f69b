/* test_sla_heap.c - sla's deadline heap: order, re-arm, cancel, many timers, driven by the fake clock. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "services/sla/timer_heap.h"

#define T0 1795341600000LL   /* 2026-11-22T10:00:00Z */

/* A ticket id that differs in its first bytes only (to stress the index with near keys). */
static sb_uuid ticket(unsigned n)
{
    sb_uuid u;
    memset(&u, 0, sizeof(u));
    memcpy(u.b, &n, sizeof(n));
    return u;
}

static sla_timer timer(unsigned n, int64_t due_ms)
{
    sla_timer t = {.due_ms = due_ms, .ticket = ticket(n), .kind = SLA_KIND_ACK};
    t.source = ticket(n + 1000000);
    return t;
}

/* Which ticket a timer belongs to. */
static unsigned ticket_no(const sla_timer *t)
{
    unsigned n;
    memcpy(&n, t->ticket.b, sizeof(n));
    return n;
}

static void fake_clock_fini(void)
{
    sb_clock_use_real();
}

TestSuite(sla_heap, .fini = fake_clock_fini);

Test(sla_heap, kinds_by_name)
{
    cr_assert_eq(sla_kind_parse("acknowledgement"), SLA_KIND_ACK);
    cr_assert_eq(sla_kind_parse("first_response"), SLA_KIND_FIRST_RESPONSE);
    cr_assert_eq(sla_kind_parse("second_handling"), SLA_KIND_SECOND_HANDLING);
    cr_assert_eq(sla_kind_parse("breakfast"), -1);
    cr_assert_eq(sla_kind_parse(NULL), -1);
    cr_assert_str_eq(sla_kind_name(SLA_KIND_ACK), "acknowledgement");
}

Test(sla_heap, empty_heap_has_nothing_due)
{
    sla_heap h;
    sla_heap_init(&h);
    sla_timer out;
    cr_assert_null(sla_heap_peek(&h));
    cr_assert_eq(sla_heap_pop_due(&h, T0, &out), 0);
    cr_assert_eq(sla_heap_wait_ms(&h, T0), -1);
    sb_uuid u = ticket(1);
    cr_assert_eq(sla_heap_remove(&h, &u, SLA_KIND_ACK), 0);
    cr_assert_null(sla_heap_find(&h, &u, SLA_KIND_ACK));
    sla_heap_free(&h);
}

Test(sla_heap, fires_in_deadline_order_as_the_fake_clock_advances)
{
    sla_heap h;
    sla_heap_init(&h);
    static const int64_t offs[] = {3000, 1000, 5000, 2000, 4000};
    for (unsigned i = 0; i < 5; i++) {
        sla_timer t = timer(i, T0 + offs[i]);
        cr_assert_eq(sla_heap_set(&h, &t), 0);
    }
    sb_clock_fake_set(T0);
    sla_timer out;
    cr_assert_eq(sla_heap_wait_ms(&h, sb_clock_now_ms()), 1000);
    cr_assert_eq(sla_heap_pop_due(&h, sb_clock_now_ms(), &out), 0, "nothing due yet");
    static const unsigned order[] = {1, 3, 0, 4, 2};
    for (unsigned i = 0; i < 5; i++) {
        sb_clock_fake_advance(1000);
        cr_assert_eq(sla_heap_pop_due(&h, sb_clock_now_ms(), &out), 1, "step %u", i);
        cr_assert_eq(ticket_no(&out), order[i], "step %u", i);
        cr_assert_eq(out.source.b[0], ticket(order[i] + 1000000).b[0]);
        cr_assert_eq(sla_heap_pop_due(&h, sb_clock_now_ms(), &out), 0, "one per second");
    }
    cr_assert_eq(sla_heap_size(&h), 0);
    sla_heap_free(&h);
}

Test(sla_heap, rearm_moves_the_deadline_either_way_without_a_duplicate)
{
    sla_heap h;
    sla_heap_init(&h);
    sla_timer a = timer(1, T0 + 1000), b = timer(2, T0 + 2000);
    sla_heap_set(&h, &a);
    sla_heap_set(&h, &b);
    a.due_ms = T0 + 9000;          /* re-offer: a later deadline */
    a.source = ticket(77);
    cr_assert_eq(sla_heap_set(&h, &a), 0);
    cr_assert_eq(sla_heap_size(&h), 2);
    cr_assert_eq(ticket_no(sla_heap_peek(&h)), 2);
    const sla_timer *f = sla_heap_find(&h, &a.ticket, SLA_KIND_ACK);
    cr_assert_not_null(f);
    cr_assert_eq(f->due_ms, T0 + 9000);
    cr_assert_eq(memcmp(f->source.b, ticket(77).b, 16), 0, "the new source is kept");
    a.due_ms = T0 + 500;           /* and earlier again */
    sla_heap_set(&h, &a);
    cr_assert_eq(ticket_no(sla_heap_peek(&h)), 1);
    sla_timer out;
    cr_assert_eq(sla_heap_pop_due(&h, T0 + 600, &out), 1);
    cr_assert_eq(out.due_ms, T0 + 500);
    cr_assert_eq(sla_heap_pop_due(&h, T0 + 600, &out), 0);
    sla_heap_free(&h);
}

Test(sla_heap, cancel_removes_only_that_timer)
{
    sla_heap h;
    sla_heap_init(&h);
    for (unsigned i = 0; i < 10; i++) {
        sla_timer t = timer(i, T0 + i * 100);
        sla_heap_set(&h, &t);
    }
    sb_uuid u = ticket(0), v = ticket(5);
    cr_assert_eq(sla_heap_remove(&h, &u, SLA_KIND_ACK), 1, "the earliest");
    cr_assert_eq(sla_heap_remove(&h, &v, SLA_KIND_ACK), 1, "one in the middle");
    cr_assert_eq(sla_heap_remove(&h, &v, SLA_KIND_ACK), 0, "already gone");
    cr_assert_eq(sla_heap_size(&h), 8);
    sla_timer out;
    unsigned seen = 0;
    while (sla_heap_pop_due(&h, T0 + 10000, &out)) {
        cr_assert_neq(ticket_no(&out), 0);
        cr_assert_neq(ticket_no(&out), 5);
        seen++;
    }
    cr_assert_eq(seen, 8);
    sla_heap_free(&h);
}

/* A cheap deterministic shuffle for many timers. */
static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

Test(sla_heap, many_timers_with_rearms_and_cancels_stay_ordered_and_indexed)
{
    enum { N = 20000 };
    sla_heap h;
    sla_heap_init(&h);
    int64_t *due = malloc(N * sizeof(*due));
    uint64_t seed = 88172645463325252ULL;
    for (unsigned i = 0; i < N; i++) {
        due[i] = T0 + (int64_t)(next_rand(&seed) % 3600000);
        sla_timer t = timer(i, due[i]);
        cr_assert_eq(sla_heap_set(&h, &t), 0);
    }
    for (unsigned i = 0; i < N; i += 3) {          /* every third re-armed */
        due[i] = T0 + (int64_t)(next_rand(&seed) % 3600000);
        sla_timer t = timer(i, due[i]);
        sla_heap_set(&h, &t);
    }
    unsigned cancelled = 0;
    for (unsigned i = 1; i < N; i += 7) {          /* every seventh cancelled */
        sb_uuid u = ticket(i);
        cr_assert_eq(sla_heap_remove(&h, &u, SLA_KIND_ACK), 1, "timer %u", i);
        due[i] = -1;
        cancelled++;
    }
    cr_assert_eq(sla_heap_size(&h), N - cancelled);
    for (unsigned i = 0; i < N; i++) {
        sb_uuid u = ticket(i);
        const sla_timer *f = sla_heap_find(&h, &u, SLA_KIND_ACK);
        if (due[i] < 0)
            cr_assert_null(f, "timer %u cancelled", i);
        else
            cr_assert(f && f->due_ms == due[i], "timer %u indexed at its deadline", i);
    }
    sla_timer out;
    int64_t last = 0;
    size_t popped = 0;
    while (sla_heap_pop_due(&h, T0 + 3600000, &out)) {
        cr_assert_geq(out.due_ms, last);
        cr_assert_eq(out.due_ms, due[ticket_no(&out)]);
        last = out.due_ms;
        popped++;
    }
    cr_assert_eq(popped, (size_t)(N - cancelled));
    free(due);
    sla_heap_free(&h);
}

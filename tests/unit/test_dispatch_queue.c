/* test_dispatch_queue.c - a department's queue: priority then age order, removal by ticket id,
 * and its index, which must know a ticket is not queued without scanning a peak's queue. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "services/dispatch/dispatch.h"

/* A ticket with id "t-<n>", priority p (0 = P1), created at ms. */
static dispatch_ticket ticket(int n, int p, int64_t ms)
{
    dispatch_ticket t;
    memset(&t, 0, sizeof(t));
    snprintf(t.id, sizeof(t.id), "t-%d", n);
    snprintf(t.number, sizeof(t.number), "WEB-20261123-%06d", n);
    t.priority = p;
    t.created_ms = ms;
    return t;
}

/* The id at position i of priority p's FIFO. */
static const char *at(const dispatch_dept *d, int p, size_t i)
{
    return d->fifo[p].items[d->fifo[p].head + i].id;
}

Test(dispatch_queue, keeps_each_priority_oldest_first_and_removes_by_id)
{
    dispatch_dept d;
    memset(&d, 0, sizeof(d));
    dispatch_ticket a = ticket(1, 1, 3000), b = ticket(2, 1, 1000), c = ticket(3, 0, 2000);
    queue_push(&d, &a);
    queue_push(&d, &b);   /* older: goes before a */
    queue_push(&d, &c);
    cr_assert_eq(queue_length(&d), 3);
    cr_assert_str_eq(at(&d, 1, 0), "t-2");
    cr_assert_str_eq(at(&d, 1, 1), "t-1");
    cr_assert_str_eq(at(&d, 0, 0), "t-3");
    queue_remove(&d, "t-2");
    cr_assert_eq(queue_length(&d), 2);
    cr_assert_str_eq(at(&d, 1, 0), "t-1");
    cr_assert_not(queue_may_hold(&d, "t-2"));
    queue_remove(&d, "t-9");   /* never queued: nothing changes */
    cr_assert_eq(queue_length(&d), 2);
    queue_free(&d);
    cr_assert_eq(queue_length(&d), 0);
    cr_assert_not(queue_may_hold(&d, "t-1"));
}

Test(dispatch_queue, index_knows_every_queued_ticket_through_growth_and_removals)
{
    dispatch_dept d;
    memset(&d, 0, sizeof(d));
    enum { N = 20000 };
    for (int n = 0; n < N; n++) {
        dispatch_ticket t = ticket(n, n % 3, n);
        queue_push(&d, &t);
    }
    cr_assert_eq(queue_length(&d), N);
    char id[40];
    /* Remove every other one, in an order unlike the queue's. */
    for (int n = N - 2; n >= 0; n -= 2) {
        snprintf(id, sizeof(id), "t-%d", n);
        queue_remove(&d, id);
    }
    cr_assert_eq(queue_length(&d), N / 2);
    for (int n = 0; n < N; n++) {
        snprintf(id, sizeof(id), "t-%d", n);
        cr_assert_eq(queue_may_hold(&d, id), n % 2, "ticket %d", n);
    }
    /* Ids that were never queued are known absent (a 64-bit hash collision aside). */
    int maybe = 0;
    for (int n = N; n < 2 * N; n++) {
        snprintf(id, sizeof(id), "t-%d", n);
        maybe += queue_may_hold(&d, id);
    }
    cr_assert_eq(maybe, 0);
    /* What is left is still in order within each priority. */
    for (int p = 0; p < 3; p++)
        for (size_t i = 1; i < d.fifo[p].len; i++)
            cr_assert_lt(d.fifo[p].items[d.fifo[p].head + i - 1].created_ms,
                         d.fifo[p].items[d.fifo[p].head + i].created_ms);
    queue_free(&d);
}

Test(dispatch_queue, a_ticket_queued_twice_stays_known_until_both_entries_go)
{
    dispatch_dept d;
    memset(&d, 0, sizeof(d));
    dispatch_ticket t = ticket(7, 2, 100);
    queue_push(&d, &t);
    queue_push(&d, &t);
    queue_remove(&d, "t-7");
    cr_assert_eq(queue_length(&d), 1);
    cr_assert(queue_may_hold(&d, "t-7"));
    queue_remove(&d, "t-7");
    cr_assert_eq(queue_length(&d), 0);
    cr_assert_not(queue_may_hold(&d, "t-7"));
    queue_free(&d);
}

/* queue.c - a department's waiting tickets: one FIFO per priority, oldest first, so the oldest
 * highest-priority ticket an agent may take is the first one found. */
#include "dispatch.h"

#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"

/* Room for one more entry at the end, compacting or growing the array. */
static int fifo_reserve(dispatch_fifo *f)
{
    if (f->head + f->len < f->cap)
        return 0;
    if (f->head > 0) {
        memmove(f->items, f->items + f->head, f->len * sizeof(*f->items));
        f->head = 0;
        if (f->len < f->cap)
            return 0;
    }
    size_t cap = f->cap ? f->cap * 2 : 64;
    dispatch_ticket *items = realloc(f->items, cap * sizeof(*items));
    if (!items)
        return -1;
    f->items = items;
    f->cap = cap;
    return 0;
}

/* Insert t keeping the order by age (a re-offered ticket is older than the newest ones). */
static void fifo_insert(dispatch_fifo *f, const dispatch_ticket *t)
{
    if (fifo_reserve(f) != 0) {
        sb_error("queue_full", "out of memory: ticket %s not queued in memory (it waits in "
                 "PostgreSQL and comes back when the department is reloaded)", t->number);
        return;
    }
    size_t at = f->len;
    while (at > 0 && f->items[f->head + at - 1].created_ms > t->created_ms)
        at--;
    dispatch_ticket *base = f->items + f->head;
    memmove(base + at + 1, base + at, (f->len - at) * sizeof(*base));
    base[at] = *t;
    f->len++;
}

/* Remove entry i of the FIFO. */
static void fifo_remove_at(dispatch_fifo *f, size_t i)
{
    if (i == 0) {
        f->head++;
        f->len--;
        return;
    }
    dispatch_ticket *base = f->items + f->head;
    memmove(base + i, base + i + 1, (f->len - i - 1) * sizeof(*base));
    f->len--;
}

void queue_push(dispatch_dept *d, const dispatch_ticket *t)
{
    int p = t->priority >= 0 && t->priority <= 2 ? t->priority : 2;
    fifo_insert(&d->fifo[p], t);
}

int queue_take_for(dispatch_dept *d, const dispatch_agent *a, dispatch_ticket *out)
{
    for (int p = 0; p < 3; p++) {
        dispatch_fifo *f = &d->fifo[p];
        for (size_t i = 0; i < f->len; i++) {
            const dispatch_ticket *t = &f->items[f->head + i];
            /* Capacity is the caller's business here: it asks for an agent that has room. */
            if (strcmp(a->id, t->exclude) != 0 && capacity_fits(a, t)) {
                *out = *t;
                fifo_remove_at(f, i);
                return 1;
            }
        }
    }
    return 0;
}

void queue_remove(dispatch_dept *d, const char *ticket_id)
{
    for (int p = 0; p < 3; p++) {
        dispatch_fifo *f = &d->fifo[p];
        for (size_t i = 0; i < f->len; i++)
            if (!strcmp(f->items[f->head + i].id, ticket_id)) {
                fifo_remove_at(f, i);
                return;
            }
    }
}

size_t queue_length(const dispatch_dept *d)
{
    return d->fifo[0].len + d->fifo[1].len + d->fifo[2].len;
}

void queue_free(dispatch_dept *d)
{
    for (int p = 0; p < 3; p++) {
        free(d->fifo[p].items);
        memset(&d->fifo[p], 0, sizeof(d->fifo[p]));
    }
}

int queue_load(sb_pg *pg, const dispatch_roster *r, dispatch_dept *d)
{
    const char *p[] = {d->id};
    PGresult *res = sb_pg_query(pg,
        "SELECT id, number, channel, coalesce(category, ''), coalesce(subtopic, ''),"
        "  coalesce(urgency, ''), coalesce(language, ''), coalesce(priority, 'P3'),"
        "  (extract(epoch FROM created_at) * 1000)::bigint"
        " FROM tickets WHERE department_id = $1 AND status = 'classified' AND assignee IS NULL"
        " ORDER BY created_at",
        1, p);
    if (!res)
        return -1;
    queue_free(d);
    for (int i = 0; i < PQntuples(res); i++) {
        dispatch_ticket t;
        memset(&t, 0, sizeof(t));
        snprintf(t.id, sizeof(t.id), "%s", PQgetvalue(res, i, 0));
        snprintf(t.number, sizeof(t.number), "%s", PQgetvalue(res, i, 1));
        snprintf(t.department, sizeof(t.department), "%s", d->id);
        snprintf(t.channel, sizeof(t.channel), "%s", PQgetvalue(res, i, 2));
        snprintf(t.category, sizeof(t.category), "%s", PQgetvalue(res, i, 3));
        snprintf(t.subtopic, sizeof(t.subtopic), "%s", PQgetvalue(res, i, 4));
        snprintf(t.urgency, sizeof(t.urgency), "%s", PQgetvalue(res, i, 5));
        snprintf(t.language, sizeof(t.language), "%s", PQgetvalue(res, i, 6));
        snprintf(t.skill, sizeof(t.skill), "%s", roster_skill_for(r, t.category, t.subtopic));
        t.priority = roster_priority_index(PQgetvalue(res, i, 7));
        t.created_ms = strtoll(PQgetvalue(res, i, 8), NULL, 10);
        queue_push(d, &t);
    }
    PQclear(res);
    return 0;
}

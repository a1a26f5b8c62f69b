/* queue.c - a department's waiting tickets: one FIFO per priority, oldest first, so the oldest
 * highest-priority ticket an agent may take is the first one found. */
#include "dispatch.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/hash.h"
#include "common/log.h"

#define QUEUE_INDEX_EMPTY   0
#define QUEUE_INDEX_DELETED 1

/* FNV-1a of a ticket id, clear of the two reserved keys. */
static uint64_t index_hash(const char *id)
{
    uint64_t h = sb_fnv1a_str(SB_FNV1A_OFFSET, id);
    return h > QUEUE_INDEX_DELETED ? h : h + 2;
}

/* The slot of key h, or of the first free slot where it would go (cap is a power of two). */
static size_t index_slot(const dispatch_queue_index *x, uint64_t h, int for_insert)
{
    size_t mask = x->cap - 1, i = (size_t)h & mask, free_at = SIZE_MAX;
    for (size_t n = 0; n < x->cap; n++, i = (i + 1) & mask) {
        if (x->keys[i] == h)
            return i;
        if (x->keys[i] == QUEUE_INDEX_EMPTY)
            return for_insert && free_at != SIZE_MAX ? free_at : i;
        if (x->keys[i] == QUEUE_INDEX_DELETED && free_at == SIZE_MAX)
            free_at = i;
    }
    return free_at;
}

/* Rebuild the table at cap slots (dropping deleted ones). 0 or -1. */
static int index_rehash(dispatch_queue_index *x, size_t cap)
{
    dispatch_queue_index y = {.keys = calloc(cap, sizeof(uint64_t)),
                              .counts = calloc(cap, sizeof(uint32_t)), .cap = cap,
                              .live = x->live};
    if (!y.keys || !y.counts) {
        free(y.keys);
        free(y.counts);
        return -1;
    }
    for (size_t i = 0; i < x->cap; i++)
        if (x->keys[i] > QUEUE_INDEX_DELETED) {
            size_t at = index_slot(&y, x->keys[i], 1);
            y.keys[at] = x->keys[i];
            y.counts[at] = x->counts[i];
            y.used++;
        }
    free(x->keys);
    free(x->counts);
    *x = y;
    return 0;
}

/* Count one more queued entry of ticket id. -1 when out of memory (the index then stays
 * incomplete, so the caller stops trusting it). */
static int index_add(dispatch_queue_index *x, const char *id)
{
    if ((x->used + 1) * 4 > x->cap * 3) {
        /* Grow while live keys would fill half of it; else just sweep the deleted slots. */
        size_t cap = x->cap ? x->cap : 256;
        while ((x->live + 1) * 2 > cap)
            cap *= 2;
        if (index_rehash(x, cap) != 0)
            return -1;
    }
    uint64_t h = index_hash(id);
    size_t at = index_slot(x, h, 1);
    if (x->keys[at] != h) {
        if (x->keys[at] == QUEUE_INDEX_EMPTY)
            x->used++;
        x->keys[at] = h;
        x->counts[at] = 0;
        x->live++;
    }
    x->counts[at]++;
    return 0;
}

/* 1 when an entry of ticket id may be queued (a hash match), 0 when it surely is not. */
static int index_has(const dispatch_queue_index *x, const char *id)
{
    if (x->cap == 0)
        return 0;
    uint64_t h = index_hash(id);
    size_t at = index_slot(x, h, 0);
    return at != SIZE_MAX && x->keys[at] == h;
}

/* Count one entry of ticket id less. */
static void index_drop(dispatch_queue_index *x, const char *id)
{
    if (x->cap == 0)
        return;
    uint64_t h = index_hash(id);
    size_t at = index_slot(x, h, 0);
    if (at == SIZE_MAX || x->keys[at] != h)
        return;
    if (--x->counts[at] == 0) {
        x->keys[at] = QUEUE_INDEX_DELETED;
        x->live--;
    }
}

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
static int fifo_insert(dispatch_fifo *f, const dispatch_ticket *t)
{
    if (fifo_reserve(f) != 0) {
        sb_error("queue_full", "out of memory: ticket %s not queued in memory (it waits in "
                 "PostgreSQL and comes back when the department is reloaded)", t->number);
        return -1;
    }
    size_t at = f->len;
    while (at > 0 && f->items[f->head + at - 1].created_ms > t->created_ms)
        at--;
    dispatch_ticket *base = f->items + f->head;
    memmove(base + at + 1, base + at, (f->len - at) * sizeof(*base));
    base[at] = *t;
    f->len++;
    return 0;
}

/* Remove entry i of the department's FIFO f. */
static void fifo_remove_at(dispatch_dept *d, dispatch_fifo *f, size_t i)
{
    index_drop(&d->index, f->items[f->head + i].id);
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
    if (fifo_insert(&d->fifo[p], t) == 0 && !d->index.broken && index_add(&d->index, t->id) != 0)
        d->index.broken = 1;
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
                fifo_remove_at(d, f, i);
                return 1;
            }
        }
    }
    return 0;
}

int queue_take_placeable(dispatch_dept *d, dispatch_roster *r, dispatch_ticket *out,
                         dispatch_agent **agent)
{
    for (int p = 0; p < 3; p++) {
        dispatch_fifo *f = &d->fifo[p];
        for (size_t i = 0; i < f->len; i++) {
            dispatch_agent *a = capacity_pick(r, &f->items[f->head + i]);
            if (a) {
                *out = f->items[f->head + i];
                *agent = a;
                fifo_remove_at(d, f, i);
                return 1;
            }
        }
    }
    return 0;
}

void queue_remove(dispatch_dept *d, const char *ticket_id)
{
    if (!queue_may_hold(d, ticket_id))
        return;
    for (int p = 0; p < 3; p++) {
        dispatch_fifo *f = &d->fifo[p];
        for (size_t i = 0; i < f->len; i++)
            if (!strcmp(f->items[f->head + i].id, ticket_id)) {
                fifo_remove_at(d, f, i);
                return;
            }
    }
}

size_t queue_length(const dispatch_dept *d)
{
    return d->fifo[0].len + d->fifo[1].len + d->fifo[2].len;
}

int queue_may_hold(const dispatch_dept *d, const char *ticket_id)
{
    if (d->index.broken)
        return 1;
    return index_has(&d->index, ticket_id);
}

void queue_free(dispatch_dept *d)
{
    for (int p = 0; p < 3; p++) {
        free(d->fifo[p].items);
        memset(&d->fifo[p], 0, sizeof(d->fifo[p]));
    }
    free(d->index.keys);
    free(d->index.counts);
    memset(&d->index, 0, sizeof(d->index));
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

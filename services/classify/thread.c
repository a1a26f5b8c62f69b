/* thread.c - threading: does a new message join an open ticket, and which one. */
#include "classify.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/hash.h"
#include "common/json.h"
#include "common/log.h"

/* A key (e-mail Message-ID, order reference, customer id) that leads to a ticket. The strings
 * are borrowed from the context result or from the batch's items. */
typedef struct thread_link {
    char                kind;          /* 't' thread, 'o' order, 'c' customer */
    const char         *key;
    const char         *ticket_id;
    const char         *number;        /* NULL while the ticket is opened by this batch */
    const classify_item *opener;       /* the item of this batch that opens it, or NULL */
} thread_link;

typedef struct thread_links {
    thread_link *v;
    size_t       n, cap;
    uint32_t    *slot;     /* open addressing: 1 + the index in v of a (kind, key)'s latest link */
    size_t       nslots;   /* a power of two, more than twice n; 0 before the first link */
} thread_links;

/* The hash of a link's kind and key. */
static uint64_t link_hash(char kind, const char *key)
{
    return sb_fnv1a_str(sb_fnv1a(SB_FNV1A_OFFSET, &kind, 1), key);
}

/* The slot of (kind, key): the one that holds it, or the empty one where it goes. */
static size_t links_slot(const thread_links *l, char kind, const char *key)
{
    size_t mask = l->nslots - 1, s = (size_t)link_hash(kind, key) & mask;
    while (l->slot[s]) {
        const thread_link *t = &l->v[l->slot[s] - 1];
        if (t->kind == kind && strcmp(t->key, key) == 0)
            return s;
        s = (s + 1) & mask;
    }
    return s;
}

/* Doubles the slots and indexes every link again, in order, so a key's latest link wins. */
static int links_rehash(thread_links *l)
{
    size_t n = l->nslots ? l->nslots * 2 : 256;
    uint32_t *slot = calloc(n, sizeof(*slot));
    if (!slot)
        return -1;
    free(l->slot);
    l->slot = slot;
    l->nslots = n;
    for (size_t i = 0; i < l->n; i++)
        l->slot[links_slot(l, l->v[i].kind, l->v[i].key)] = (uint32_t)(i + 1);
    return 0;
}

/* Adds a link, the latest of its kind and key from now on; -1 when out of memory. A batch
 * holds a few links per message: a scan of them all for every lookup was quadratic. */
static int links_add(thread_links *l, char kind, const char *key, const char *ticket_id,
                     const char *number, const classify_item *opener)
{
    thread_link *v = sb_array_grow(l->v, &l->cap, l->n + 1, sizeof(*v), 64);
    if (!v || l->n >= UINT32_MAX - 1)
        return -1;
    l->v = v;
    l->v[l->n++] = (thread_link){kind, key, ticket_id, number, opener};
    if (2 * l->n >= l->nslots)
        return links_rehash(l);
    l->slot[links_slot(l, kind, key)] = (uint32_t)l->n;
    return 0;
}

/* The latest link of that kind and key, or NULL. */
static const thread_link *links_find(const thread_links *l, char kind, const char *key)
{
    if (l->nslots == 0)
        return NULL;
    uint32_t at = l->slot[links_slot(l, kind, key)];
    return at ? &l->v[at - 1] : NULL;
}

/* The strings of an e-mail's In-Reply-To and References, appended to refs. */
static void thread_refs_of(const classify_item *it, json_t *refs)
{
    const char *irt = sb_json_str(it->thread, "in_reply_to");
    if (irt)
        json_array_append_new(refs, json_string(irt));
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(it->thread, "references"), i, r)
        if (json_is_string(r))
            json_array_append(refs, r);
}

/* The three array parameters of the context query, as PostgreSQL literals (caller frees). */
static int context_params(const classify_item *items, size_t n, char *lits[3])
{
    const char **cust = calloc(n + 1, sizeof(char *)), **orders = NULL;
    char (*ids)[24] = calloc(n + 1, sizeof(*ids));
    json_t *refs = json_array();
    size_t nc = 0, no = 0, total_orders = 0;
    for (size_t i = 0; i < n; i++)
        total_orders += items[i].norders;
    orders = calloc(total_orders + 1, sizeof(char *));
    int rc = cust && ids && refs && orders ? 0 : -1;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (!items[i].is_new)
            continue;
        snprintf(ids[nc], sizeof(ids[nc]), "%lld", (long long)items[i].customer_id);
        cust[nc] = ids[nc];
        nc++;
        for (size_t k = 0; k < items[i].norders; k++)
            orders[no++] = items[i].orders[k];
        thread_refs_of(&items[i], refs);
    }
    const char **tr = rc == 0 ? calloc(json_array_size(refs) + 1, sizeof(char *)) : NULL;
    for (size_t i = 0; tr && i < json_array_size(refs); i++)
        tr[i] = json_string_value(json_array_get(refs, i));
    if (rc == 0 && tr) {
        lits[0] = sb_pg_array_literal(cust, nc);
        lits[1] = sb_pg_array_literal(tr, json_array_size(refs));
        lits[2] = sb_pg_array_literal(orders, no);
        rc = lits[0] && lits[1] && lits[2] ? 0 : -1;
    } else {
        rc = -1;
    }
    free(tr);
    free(cust);
    free(ids);
    free(orders);
    json_decref(refs);
    return rc;
}

/* One statement for the whole batch: each customer's newest open ticket and 90-day history,
 * and the open tickets the batch's thread and order references lead to. */
static PGresult *context_query(sb_pg *pg, const classify_item *items, size_t n)
{
    char *lits[3] = {NULL, NULL, NULL};
    PGresult *res = NULL;
    if (context_params(items, n, lits) == 0) {
        const char *p[] = {lits[0], lits[1], lits[2]};
        res = sb_pg_query(pg,
            "SELECT 'c', c.id::text, o.id::text, o.number, h.n90, h.nopen"
            "  FROM unnest($1::bigint[]) AS c(id)"
            "  LEFT JOIN LATERAL (SELECT t.id, t.number FROM tickets t WHERE t.customer_id = c.id"
            "       AND t.status NOT IN ('resolved', 'closed')"
            "       ORDER BY t.created_at DESC LIMIT 1) o ON true"
            "  CROSS JOIN LATERAL (SELECT count(*) AS n90,"
            "       count(*) FILTER (WHERE t.status NOT IN ('resolved', 'closed')) AS nopen"
            "       FROM tickets t WHERE t.customer_id = c.id"
            "       AND t.created_at > now() - interval '90 days') h"
            " UNION ALL"
            " SELECT 't', m.thread_ref, t.id::text, t.number, 0, 0"
            "  FROM messages m JOIN tickets t ON t.id = m.ticket_id"
            "  WHERE m.thread_ref = ANY($2::text[]) AND t.status NOT IN ('resolved', 'closed')"
            " UNION ALL"
            " SELECT 'o', r.order_ref, t.id::text, t.number, 0, 0"
            "  FROM ticket_orders r JOIN tickets t ON t.id = r.ticket_id"
            "  WHERE r.order_ref = ANY($3::text[]) AND t.status NOT IN ('resolved', 'closed')",
            3, p);
    }
    for (int i = 0; i < 3; i++)
        free(lits[i]);
    return res;
}

/* A new item by its customer id, to find a customer's items by binary search. */
typedef struct customer_item {
    int64_t id;
    size_t  i;
} customer_item;

/* Orders by customer id. */
static int customer_item_cmp(const void *a, const void *b)
{
    const customer_item *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

/* A customer id against a customer item, for sb_array_lower_bound. */
static int id_vs_item(const void *id, const void *item)
{
    int64_t a = *(const int64_t *)id, b = ((const customer_item *)item)->id;
    return (a > b) - (a < b);
}

/* Sets the customer's history on each of its new items (ix: m of them, by customer id). */
static void history_set(classify_item *items, const customer_item *ix, size_t m, int64_t id,
                        int tickets_90d, int open_tickets)
{
    size_t lo = sb_array_lower_bound(ix, m, sizeof(*ix), &id, id_vs_item);
    for (; lo < m && ix[lo].id == id; lo++) {
        items[ix[lo].i].tickets_90d = tickets_90d;
        items[ix[lo].i].open_tickets = open_tickets;
    }
}

/* Loads the query's rows as links; customer history goes straight onto the items. */
static int links_from_result(PGresult *res, classify_item *items, size_t n, thread_links *l)
{
    customer_item *ix = malloc((n ? n : 1) * sizeof(*ix));
    if (!ix)
        return -1;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (items[i].is_new)
            ix[m++] = (customer_item){items[i].customer_id, i};
    qsort(ix, m, sizeof(*ix), customer_item_cmp);
    int rc = 0;
    for (int r = 0; r < PQntuples(res) && rc == 0; r++) {
        char kind = PQgetvalue(res, r, 0)[0];
        const char *key = PQgetvalue(res, r, 1);
        if (kind == 'c') {
            history_set(items, ix, m, strtoll(key, NULL, 10), atoi(PQgetvalue(res, r, 4)),
                        atoi(PQgetvalue(res, r, 5)));
            if (PQgetisnull(res, r, 2))
                continue;
        }
        rc = links_add(l, kind, key, PQgetvalue(res, r, 2), PQgetvalue(res, r, 3), NULL);
    }
    free(ix);
    return rc;
}

/* The link this item follows: its e-mail thread, then an order it names, then its customer. */
static const thread_link *target_of(const classify_item *it, const thread_links *l,
                                    const char *cust_key)
{
    const thread_link *t = NULL;
    const char *irt = sb_json_str(it->thread, "in_reply_to");
    if (irt)
        t = links_find(l, 't', irt);
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(it->thread, "references"), i, r)
        if (!t && json_is_string(r))
            t = links_find(l, 't', json_string_value(r));
    if (t)
        return t;
    for (size_t k = 0; k < it->norders && !t; k++)
        t = links_find(l, 'o', it->orders[k]);
    return t ? t : links_find(l, 'c', cust_key);
}

/* Records what later items of the batch can find this one's ticket by. */
static int links_register(thread_links *l, classify_item *it, const char *cust_key,
                          const char *number, const classify_item *opener)
{
    int rc = links_add(l, 'c', cust_key, it->ticket_id, number, opener);
    if (rc == 0 && it->thread_mid)
        rc = links_add(l, 't', it->thread_mid, it->ticket_id, number, opener);
    for (size_t k = 0; k < it->norders && rc == 0; k++)
        rc = links_add(l, 'o', it->orders[k], it->ticket_id, number, opener);
    return rc;
}

/* Walks the new items in batch order (one customer's messages keep their order: the topic is
 * keyed by customer), joining or opening. */
static int thread_walk(classify_item *items, size_t n, thread_links *l, char (*keys)[24])
{
    for (size_t i = 0; i < n; i++) {
        classify_item *it = &items[i];
        if (!it->is_new)
            continue;
        snprintf(keys[i], sizeof(keys[i]), "%lld", (long long)it->customer_id);
        const thread_link *t = target_of(it, l, keys[i]);
        const char *number = NULL;
        const classify_item *opener = it;
        if (t) {
            it->joined_by = t->kind == 't' ? "thread" : t->kind == 'o' ? "order" : "customer";
            snprintf(it->ticket_id, sizeof(it->ticket_id), "%s", t->ticket_id);
            if (t->number)
                snprintf(it->number, sizeof(it->number), "%s", t->number);
            it->opener = t->opener;
            number = t->number;
            opener = t->opener;
        }
        if (links_register(l, it, keys[i], number, opener) != 0)
            return -1;
    }
    return 0;
}

int classify_thread(classify_ctx *cx, classify_item *items, size_t n)
{
    PGresult *res = context_query(cx->pg, items, n);
    if (!res)
        return -1;
    thread_links l = {0};
    char (*keys)[24] = calloc(n, sizeof(*keys));
    int rc = keys ? links_from_result(res, items, n, &l) : -1;
    if (rc == 0)
        rc = thread_walk(items, n, &l, keys);
    free(keys);
    free(l.v);
    free(l.slot);
    PQclear(res);
    return rc;
}

void classify_thread_numbers(classify_item *items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (items[i].is_new && items[i].opener)
            snprintf(items[i].number, sizeof(items[i].number), "%s", items[i].opener->number);
}

/* ownership.c - which departments this replica owns: partitions of sb.dispatch.v1 fenced by an
 * epoch in PostgreSQL, departments loaded (queue and agents' loads) on first use. */
#include "dispatch.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

/* The owned entry of partition p, or NULL. */
static dispatch_owned *owned_find(dispatch_ctx *cx, int32_t p)
{
    for (size_t i = 0; i < cx->nowned; i++)
        if (cx->owned[i].partition == p)
            return &cx->owned[i];
    return NULL;
}

/* Drop the in-memory state of every department whose commands come from partition p. */
static void forget_partition(dispatch_ctx *cx, int32_t p)
{
    size_t keep = 0;
    for (size_t i = 0; i < cx->ndepts; i++) {
        if (cx->depts[i].partition == p) {
            queue_free(&cx->depts[i]);
            continue;
        }
        cx->depts[keep++] = cx->depts[i];
    }
    cx->ndepts = keep;
}

/* Take partition p: bump its epoch; the new epoch, or 0 when PostgreSQL could not be asked
 * (the next batch tries again). The bump waits for a previous owner's transaction in flight. */
static int64_t fence_take(dispatch_ctx *cx, int32_t p)
{
    char part[16];
    snprintf(part, sizeof(part), "%" PRId32, p);
    const char *params[] = {part, cx->owner_name};
    PGresult *res = sb_pg_query(cx->pg,
        "INSERT INTO dispatch_owners (partition, epoch, owner) VALUES ($1::int, 1, $2)"
        " ON CONFLICT (partition) DO UPDATE SET epoch = dispatch_owners.epoch + 1,"
        "  owner = EXCLUDED.owner, since = now()"
        " RETURNING epoch",
        2, params);
    if (!res)
        return 0;
    int64_t epoch = PQntuples(res) == 1 ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
    PQclear(res);
    return epoch;
}

void ownership_on_rebalance(void *ctx, int assigned, const rd_kafka_topic_partition_list_t *parts)
{
    dispatch_ctx *cx = ctx;
    for (int i = 0; i < parts->cnt; i++) {
        int32_t p = parts->elems[i].partition;
        dispatch_owned *o = owned_find(cx, p);
        if (!assigned) {
            forget_partition(cx, p);
            if (o)
                *o = cx->owned[--cx->nowned];
            continue;
        }
        if (!o) {
            dispatch_owned *grown = realloc(cx->owned, (cx->nowned + 1) * sizeof(*grown));
            if (!grown) {
                sb_error("dispatch_owner", "out of memory taking partition %" PRId32, p);
                continue;
            }
            cx->owned = grown;
            o = &cx->owned[cx->nowned++];
            o->partition = p;
        }
        forget_partition(cx, p);   /* whatever we knew may have changed under another owner */
        /* Outside a transaction: the bump commits at once, before any decision reads state. */
        o->epoch = sb_pg_ensure(cx->pg) == 0 ? fence_take(cx, p) : 0;
    }
    sb_info("dispatch_partitions", "%s %d partition(s); owning %zu",
            assigned ? "assigned" : "revoked", parts->cnt, cx->nowned);
}

int ownership_check(dispatch_ctx *cx, const int32_t *parts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        dispatch_owned *o = owned_find(cx, parts[i]);
        if (!o)
            return 1;   /* a message of a partition we no longer hold */
        char part[16], epoch[24];
        snprintf(part, sizeof(part), "%" PRId32, parts[i]);
        if (o->epoch == 0) {
            /* Taking it inside this transaction: the bump commits with the batch. */
            o->epoch = fence_take(cx, parts[i]);
            if (o->epoch == 0)
                return -1;
            continue;
        }
        snprintf(epoch, sizeof(epoch), "%" PRId64, o->epoch);
        const char *params[] = {part, epoch};
        /* FOR SHARE: a replica taking the partition over waits for this transaction. */
        PGresult *res = sb_pg_query(cx->pg,
            "SELECT 1 FROM dispatch_owners WHERE partition = $1::int AND epoch = $2::bigint"
            " FOR SHARE",
            2, params);
        if (!res)
            return -1;
        int still = PQntuples(res) == 1;
        PQclear(res);
        if (!still) {
            sb_warn("dispatch_fenced", "partition %" PRId32 " was taken over by another replica",
                    parts[i]);
            forget_partition(cx, parts[i]);
            o->epoch = -1;   /* never matches: wait for the revoke */
            return 1;
        }
    }
    return 0;
}

dispatch_dept *ownership_find(dispatch_ctx *cx, const char *department)
{
    for (size_t i = 0; i < cx->ndepts; i++)
        if (!strcmp(cx->depts[i].id, department))
            return &cx->depts[i];
    return NULL;
}

dispatch_dept *ownership_dept(dispatch_ctx *cx, const char *department, int32_t partition)
{
    dispatch_dept *d = ownership_find(cx, department);
    if (d)
        return d;
    dispatch_dept *grown = realloc(cx->depts, (cx->ndepts + 1) * sizeof(*grown));
    if (!grown)
        return NULL;
    cx->depts = grown;
    d = &cx->depts[cx->ndepts];
    memset(d, 0, sizeof(*d));
    snprintf(d->id, sizeof(d->id), "%s", department);
    d->partition = partition;
    if (queue_load(cx->pg, &cx->roster, d) != 0 ||
        capacity_load(cx->pg, &cx->roster, department) != 0) {
        queue_free(d);
        return NULL;
    }
    cx->ndepts++;
    sb_info("dispatch_department_loaded", "%s: %zu waiting", department, queue_length(d));
    return d;
}

void ownership_forget_all(dispatch_ctx *cx)
{
    for (size_t i = 0; i < cx->ndepts; i++)
        queue_free(&cx->depts[i]);
    cx->ndepts = 0;
}

void ownership_free(dispatch_ctx *cx)
{
    ownership_forget_all(cx);
    free(cx->depts);
    free(cx->owned);
    cx->depts = NULL;
    cx->owned = NULL;
    cx->nowned = 0;
}

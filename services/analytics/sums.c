/* sums.c - one batch's roll-up rows summed in memory, one per key, before a single upsert. */
#include "services/analytics/analytics.h"

#include "common/array.h"
#include "common/hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t analytics_sums_pack(char *out, size_t cap, const char *const dims[ANALYTICS_SUM_DIMS])
{
    size_t len = 0;
    for (int i = 0; i < ANALYTICS_SUM_DIMS; i++) {
        size_t l = strlen(dims[i]) + 1;
        if (len + l > cap)
            return 0;
        memcpy(out + len, dims[i], l);
        len += l;
    }
    return len;
}

/* The slot table rebuilt for twice the rows it may hold. 0 or -1. */
static int sums_rehash(analytics_sums *s, size_t want)
{
    size_t n = 64;
    while (n < want * 2)
        n *= 2;
    uint32_t *slots = calloc(n, sizeof(*slots));
    if (!slots)
        return -1;
    for (size_t r = 0; r < s->n; r++) {
        size_t i = s->rows[r].hash & (n - 1);
        while (slots[i])
            i = (i + 1) & (n - 1);
        slots[i] = (uint32_t)(r + 1);
    }
    free(s->slots);
    s->slots = slots;
    s->nslots = n;
    return 0;
}

/* The row of a key, added with zero sums when new; NULL when out of memory. */
static analytics_sum *sums_row(analytics_sums *s, char grain, int64_t bucket, const char *dims,
                               size_t len, uint64_t hash)
{
    for (size_t i = s->nslots ? hash & (s->nslots - 1) : 0; s->nslots;
         i = (i + 1) & (s->nslots - 1)) {
        uint32_t slot = s->slots[i];
        if (!slot)
            break;
        analytics_sum *r = &s->rows[slot - 1];
        if (r->hash == hash && r->grain == grain && r->bucket_ms == bucket && r->dims_len == len &&
            memcmp(r->dims, dims, len) == 0)
            return r;
    }
    if ((s->n + 1) * 2 > s->nslots && sums_rehash(s, s->n + 1) != 0)
        return NULL;
    analytics_sum *rows = sb_array_grow(s->rows, &s->cap, s->n + 1, sizeof(*rows), 256);
    if (!rows)
        return NULL;
    s->rows = rows;
    char *copy = malloc(len);
    if (!copy)
        return NULL;
    memcpy(copy, dims, len);
    analytics_sum *r = &s->rows[s->n];
    memset(r, 0, sizeof(*r));
    *r = (analytics_sum){.grain = grain, .bucket_ms = bucket, .dims = copy, .dims_len = len,
                         .hash = hash};
    size_t i = hash & (s->nslots - 1);
    while (s->slots[i])
        i = (i + 1) & (s->nslots - 1);
    s->slots[i] = (uint32_t)++s->n;
    return r;
}

int analytics_sums_add(analytics_sums *s, char grain, int64_t bucket_ms, const char *dims,
                       size_t len, uint64_t dims_hash, int64_t n, int64_t dur_ms)
{
    uint64_t h = sb_fnv1a(dims_hash, &grain, 1);
    h = sb_fnv1a(h, &bucket_ms, sizeof(bucket_ms));
    analytics_sum *r = sums_row(s, grain, bucket_ms, dims, len, h);
    if (!r)
        return -1;
    r->n += n;
    if (dur_ms >= 0) {
        r->sum_ms += dur_ms;
        r->h[analytics_bucket_of(dur_ms)] += n;
    }
    return 0;
}

uint64_t analytics_sums_hash(const char *dims, size_t len)
{
    return sb_fnv1a(SB_FNV1A_OFFSET, dims, len);
}

/* One row as the upsert's JSON object. */
static json_t *sums_row_json(const analytics_sum *r)
{
    static const char *const names[ANALYTICS_SUM_DIMS] = {"m", "ch", "cat", "sub", "dept", "ag"};
    const char g[2] = {r->grain, '\0'};
    json_t *o = json_pack("{s:s, s:I, s:I, s:I}", "g", g, "t", (json_int_t)r->bucket_ms, "n",
                          (json_int_t)r->n, "d", (json_int_t)r->sum_ms);
    const char *d = r->dims;
    for (int i = 0; o && i < ANALYTICS_SUM_DIMS; i++) {
        if (json_object_set_new(o, names[i], json_string(d)) != 0)
            goto fail;
        d += strlen(d) + 1;
    }
    for (int i = 0; o && i < ANALYTICS_BUCKETS; i++) {
        char key[8];
        snprintf(key, sizeof(key), "h%d", i);
        if (json_object_set_new(o, key, json_integer(r->h[i])) != 0)
            goto fail;
    }
    return o;
fail:
    json_decref(o);
    return NULL;
}

json_t *analytics_sums_json(const analytics_sums *s)
{
    json_t *list = json_array();
    for (size_t r = 0; list && r < s->n; r++)
        if (json_array_append_new(list, sums_row_json(&s->rows[r])) != 0) {
            json_decref(list);
            return NULL;
        }
    return list;
}

void analytics_sums_free(analytics_sums *s)
{
    for (size_t r = 0; r < s->n; r++)
        free(s->rows[r].dims);
    free(s->rows);
    free(s->slots);
    memset(s, 0, sizeof(*s));
}

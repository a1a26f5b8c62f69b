/* array.h - growing a heap array by doubling, the one way every module does it; finding the
 * first of a key in a sorted one. */
#ifndef SB_ARRAY_H
#define SB_ARRAY_H

#include <stddef.h>

/* arr (room for *cap elements of elem bytes) with room for need elements, doubling from first
 * (>= 1): arr itself when it already has room, else its reallocation with *cap updated. NULL
 * when out of memory or the size would overflow; arr and *cap are then untouched (and still
 * the caller's to free). */
void *sb_array_grow(void *arr, size_t *cap, size_t need, size_t elem, size_t first);

/* The index of the first of n elements (sorted by cmp, of size bytes each, at base) that is
 * not before key: cmp(key, element) <= 0. n when every element is before it. The elements
 * equal to key follow it, unlike bsearch, which finds any one of them. */
size_t sb_array_lower_bound(const void *base, size_t n, size_t size, const void *key,
                            int (*cmp)(const void *key, const void *element));

#endif

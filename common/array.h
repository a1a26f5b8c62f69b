/* array.h - growing a heap array by doubling, the one way every module does it. */
#ifndef SB_ARRAY_H
#define SB_ARRAY_H

#include <stddef.h>

/* arr (room for *cap elements of elem bytes) with room for need elements, doubling from first
 * (>= 1): arr itself when it already has room, else its reallocation with *cap updated. NULL
 * when out of memory or the size would overflow; arr and *cap are then untouched (and still
 * the caller's to free). */
void *sb_array_grow(void *arr, size_t *cap, size_t need, size_t elem, size_t first);

#endif

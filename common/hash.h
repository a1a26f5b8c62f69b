/* hash.h - FNV-1a, the non-cryptographic hash of the in-memory tables (short keys, no adversary
 * that gains anything from a collision). */
#ifndef SB_HASH_H
#define SB_HASH_H

#include <stddef.h>
#include <stdint.h>

#define SB_FNV1A_OFFSET 14695981039346656037ULL   /* where a hash starts */

/* FNV-1a of len bytes at p, continuing from h (SB_FNV1A_OFFSET for a fresh hash). */
uint64_t sb_fnv1a(uint64_t h, const void *p, size_t len);
/* The same over a NUL-terminated string. */
uint64_t sb_fnv1a_str(uint64_t h, const char *s);

#endif

/* hash.c - FNV-1a. */
#include "common/hash.h"

#define SB_FNV1A_PRIME 1099511628211ULL

uint64_t sb_fnv1a(uint64_t h, const void *p, size_t len)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < len; i++)
        h = (h ^ s[i]) * SB_FNV1A_PRIME;
    return h;
}

uint64_t sb_fnv1a_str(uint64_t h, const char *s)
{
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * SB_FNV1A_PRIME;
    return h;
}

/* test_hash.c - sb_fnv1a against FNV-1a's published 64-bit test vectors, and continuation. */
#include <criterion/criterion.h>
#include <string.h>

#include "common/hash.h"

Test(hash, published_fnv1a_64_vectors)
{
    cr_expect_eq(sb_fnv1a(SB_FNV1A_OFFSET, "", 0), 0xcbf29ce484222325ULL);
    cr_expect_eq(sb_fnv1a_str(SB_FNV1A_OFFSET, "a"), 0xaf63dc4c8601ec8cULL);
    cr_expect_eq(sb_fnv1a_str(SB_FNV1A_OFFSET, "foobar"), 0x85944171f73967e8ULL);
}

Test(hash, a_hash_continues_where_the_last_part_ended)
{
    uint64_t whole = sb_fnv1a(SB_FNV1A_OFFSET, "foobar", 6);
    cr_expect_eq(sb_fnv1a(sb_fnv1a(SB_FNV1A_OFFSET, "foo", 3), "bar", 3), whole);
    cr_expect_eq(sb_fnv1a_str(SB_FNV1A_OFFSET, "foobar"), whole);
}

/* test_ingest_recent.c - ingest's bounded set of recently accepted ids: membership with the
 * channel each came from, the oldest forgotten first, and lookups still right after many
 * evictions (backward-shift deletion). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "common/ids.h"
#include "services/ingest/recent.h"

/* The name-based id of number i, as ingest would see it. */
static sb_uuid id_of(unsigned i)
{
    char ext[32], s[SB_UUID_STRLEN];
    sb_uuid u;
    snprintf(ext, sizeof ext, "ext-%u", i);
    sb_ids_message_id("web", ext, s);
    cr_assert_eq(sb_uuid_parse(s, &u), 0);
    return u;
}

Test(ingest_recent, remembers_with_the_channel_and_ignores_duplicates)
{
    ingest_recent *r = ingest_recent_new(8);
    cr_assert(r);
    const sb_channel *web = sb_channel_find("web"), *mp = sb_channel_find("marketplace");
    sb_uuid a = id_of(1), b = id_of(2);
    cr_expect_null(ingest_recent_channel(r, &a));
    ingest_recent_add(r, &a, web);
    ingest_recent_add(r, &a, web);
    ingest_recent_add(r, &b, mp);
    cr_expect_eq(ingest_recent_channel(r, &a), web);
    cr_expect_eq(ingest_recent_channel(r, &b), mp);
    cr_expect_eq(ingest_recent_count(r), 2);
    /* Only a channel of the table is remembered. */
    sb_uuid c = id_of(3);
    ingest_recent_add(r, &c, NULL);
    cr_expect_null(ingest_recent_channel(r, &c));
    ingest_recent_free(r);
}

Test(ingest_recent, forgets_the_oldest_first)
{
    enum { CAP = 1000, TOTAL = 25000 };
    ingest_recent *r = ingest_recent_new(CAP);
    cr_assert(r);
    for (unsigned i = 0; i < TOTAL; i++) {
        sb_uuid u = id_of(i);
        ingest_recent_add(r, &u, sb_channel_find(i % 2 ? "web" : "wechat"));
    }
    cr_expect_eq(ingest_recent_count(r), CAP);
    for (unsigned i = 0; i < TOTAL; i++) {
        sb_uuid u = id_of(i);
        const sb_channel *want =
            i >= TOTAL - CAP ? sb_channel_find(i % 2 ? "web" : "wechat") : NULL;
        const sb_channel *got = ingest_recent_channel(r, &u);
        cr_expect_eq(got, want, "id %u: %s, want %s", i, got ? got->name : "absent",
                     want ? want->name : "absent");
    }
    ingest_recent_free(r);
}

Test(ingest_recent, refuses_impossible_sizes)
{
    cr_expect_null(ingest_recent_new(0));
    cr_expect_null(ingest_recent_new((size_t)1 << 40));
}
